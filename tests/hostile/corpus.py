"""The hostile corpus: broken and malicious inputs, each with what the tool must do with it.

A **data case** changes one thing in a copy of the bundled data folder; it is either refused
(``codes``: the problem codes ``plan-report validate`` must report, then ``plan-report build``
exits 2 and the published set stays byte-identical) or accepted (no ``codes``: it validates
clean; :data:`PAYLOADS` are accepted text built into real reports by test_hostile_pages.py).
A **set case** is a hostile report set (``set.yaml``) built over a published set: exit code,
message, no traceback, published set unchanged (unless it is a harmless set that builds).

``cause`` names the item of issue 13 the case belongs to ("1" … "9"), "links" for data files
that are links out of the folder or not regular files, "yaml" for YAML keys written twice and
types that are not plain data, or "held" for the inputs that were already handled before (they
must keep holding).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from helpers.data.limits import MAX_NOTEBOOK_BYTES

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "higashiyamato"
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
WORKBOOK = "workbook.xlsx"


# --- projects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A case's project folder: ``set.yaml``, ``data/`` and the published ``reports/``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "set.yaml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def build_args(self, *extra: str) -> list[str]:
        return [
            "build",
            "--config",
            str(self.config),
            "--reports-dir",
            str(self.reports),
            "--no-pdf",
            *extra,
        ]


BASE_ENTRIES: list[dict[str, object]] = [
    {
        "name": "ok-{plan_id}",
        "notebook": str(FIXTURES / "ok.py"),
        "for_each": "plan",
        "title": "{plan_name}",
        "parameters": {"label": "{plan_name}"},
    },
    {"name": "index", "notebook": str(FIXTURES / "ok.py"), "title": "一覧"},
]
"""The set every case project starts from (quick fixture notebooks, one page per plan)."""


def set_text(entries: list[dict[str, object]] | None = None, **top: object) -> str:
    """A report set file: ``data: data`` (relative to the set file) and ``entries``."""
    body: dict[str, object] = {"data": "data", "title_prefix": "テスト"}
    body.update(top)
    body["reports"] = BASE_ENTRIES if entries is None else entries
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


def write_set(config: Path, text: str | bytes | None = None) -> None:
    """Write the report set (the base set when ``text`` is None)."""
    data = set_text() if text is None else text
    if isinstance(data, str):
        data = data.encode("utf-8")
    config.write_bytes(data)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a published folder (relative path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- changing a data folder --------------------------------------------------------------------

Change = Callable[[Path], None]


def read_records(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def write_records(path: Path, records: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)  # quotes a lone CR too
    path.write_text(buffer.getvalue(), encoding="utf-8")


def cell(file: str, row: int, header: str, value: str) -> Change:
    """Set one cell (Excel row ``row``, the header is row 1) of a CSV file."""

    def change(folder: Path) -> None:
        records = read_records(folder / file)
        records[row - 1][records[0].index(header)] = value
        write_records(folder / file, records)

    return change


def replace_bytes(file: str, old: bytes, new: bytes) -> Change:
    """Replace the first ``old`` in a file's bytes."""

    def change(folder: Path) -> None:
        path = folder / file
        data = path.read_bytes()
        assert old in data, (file, old)
        path.write_bytes(data.replace(old, new, 1))

    return change


def write_bytes(file: str, data: bytes | Callable[[Path], bytes]) -> Change:
    def change(folder: Path) -> None:
        path = folder / file
        path.write_bytes(data(path) if callable(data) else data)

    return change


def append_yaml(text: str) -> Change:
    """Append ``text`` to city.yaml."""

    def change(folder: Path) -> None:
        with (folder / "city.yaml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text + "\n")

    return change


def both(*changes: Change) -> Change:
    def change(folder: Path) -> None:
        for step in changes:
            step(folder)

    return change


def symlink(file: str, target: str | Callable[[Path], Path], keep: bool = False) -> Change:
    """Replace ``file`` by a symbolic link to ``target``; ``keep``: move the file there first."""

    def change(folder: Path) -> None:
        path = folder / file
        goal = Path(target(folder) if callable(target) else target)
        if keep:
            shutil.move(str(path), goal)
        elif path.exists():
            path.unlink()
        path.symlink_to(goal)

    return change


def make_folder(file: str) -> Change:
    """Replace ``file`` by a folder of the same name."""

    def change(folder: Path) -> None:
        (folder / file).unlink()
        (folder / file).mkdir()

    return change


def make_fifo(file: str) -> Change:
    """Replace ``file`` by a named pipe (reading it would wait for a writer for ever)."""

    def change(folder: Path) -> None:
        (folder / file).unlink()
        os.mkfifo(folder / file)

    return change


def rename_plan(new: str, old: str = "2") -> Change:
    """Give plan ``old`` the ID ``new`` everywhere."""

    def change(folder: Path) -> None:
        for path in folder.glob("*.csv"):
            records = read_records(path)
            columns = [k for k, h in enumerate(records[0]) if h in ("計画ID", "計画期間")]
            for record in records[1:]:
                for k in columns:
                    if k < len(record) and record[k] == old:
                        record[k] = new
            write_records(path, records)

    return change


def many_items(count: int, target: str = "実施") -> Change:
    """Plan 2 with ``count`` items (statuses left as they are)."""

    def change(folder: Path) -> None:
        records = read_records(folder / "items.csv")
        header, template = records[0], records[1]
        number = header.index("項目番号")
        goal = header.index("取組目標")
        rows = [header]
        for n in range(1, count + 1):
            record = list(template)
            record[number] = str(n)
            record[goal] = target
            rows.append(record)
        write_records(folder / "items.csv", rows)

    return change


# --- workbooks ---------------------------------------------------------------------------------


def to_workbook(folder: Path) -> None:
    """Replace the folder's CSV files by workbook.xlsx (one sheet per table)."""
    from helpers.data.workbook import csv_to_workbook

    staging = folder.parent / f"{folder.name}-xlsx"
    csv_to_workbook(folder, staging)
    for path in folder.glob("*.csv"):
        path.unlink()
    shutil.move(str(staging / WORKBOOK), folder / WORKBOOK)
    shutil.rmtree(staging)


def workbook_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def sheet_part(parts: dict[str, bytes], sheet: str) -> str:
    """The zip member of the sheet named ``sheet`` (through workbook.xml and its rels)."""
    import re

    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    sheet_tag = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*/>', book)
    assert sheet_tag is not None, sheet
    rid = re.search(r'r:id="([^"]+)"', sheet_tag.group(0))
    assert rid is not None
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*/>', rels)
    assert target is not None
    path = re.search(r'Target="([^"]+)"', target.group(0))
    assert path is not None
    name = path.group(1).lstrip("/")
    return name if name.startswith("xl/") else f"xl/{name}"


def workbook_sheet(sheet: str, change_xml: Callable[[bytes], bytes]) -> Change:
    """Make the folder a workbook, then rewrite the XML of one sheet."""

    def change(folder: Path) -> None:
        to_workbook(folder)
        parts = workbook_parts(folder / WORKBOOK)
        name = sheet_part(parts, sheet)
        parts[name] = change_xml(parts[name])
        write_parts(folder / WORKBOOK, parts)

    return change


def million_rows(xml: bytes) -> bytes:
    """A sheet of 1,000,000 rows, every one missing its required cells."""
    head, _, _ = xml.partition(b"<sheetData>")
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
        for n in range(2, 1_000_002)
    )
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe8\xa8\x88\xe7\x94\xbbID</t></is></c>'
    header += b'<c r="B1" t="inlineStr"><is><t>\xe9\xa0\x85\xe7\x9b\xae\xe7\x95\xaa\xe5\x8f\xb7'
    header += b"</t></is></c></row>"
    return head + b"<sheetData>" + header + rows + b"</sheetData></worksheet>"


def zip_bomb(folder: Path) -> None:
    """A workbook whose parts unzip to more than the limit (a part of zeros)."""
    from helpers.data.limits import MAX_WORKBOOK_UNPACKED_BYTES

    to_workbook(folder)
    parts = workbook_parts(folder / WORKBOOK)
    with zipfile.ZipFile(folder / WORKBOOK, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as handle:
            block = b"\0" * (1 << 20)
            for _ in range(MAX_WORKBOOK_UNPACKED_BYTES // len(block) + 1):
                handle.write(block)


# --- YAML bombs ------------------------------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines)


DEEP_FLOW = "[" * 100_000 + "]" * 100_000
DEEP_BLOCK = "\n".join("  " * i + "k:" for i in range(200)) + " 1"


# --- the cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataCase:
    """A change of the bundled data: refused with ``codes`` (and ``text`` in the output)."""

    id: str
    cause: str
    change: Change
    codes: frozenset[str] = frozenset()
    text: str = ""
    max_lines: int = 60  # the problem table stays short
    workbook: bool = False


def refused(
    id: str, cause: str, change: Change, *codes: str, text: str = "", **kw: object
) -> DataCase:
    return DataCase(id, cause, change, frozenset(codes), text, **kw)  # type: ignore[arg-type]


ESC_TITLE = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"

DATA_CASES: list[DataCase] = [
    # 2: links and file names made from data
    refused("plan_id_javascript", "2", rename_plan("javascript:alert(1)"), "bad_identifier"),
    refused("plan_id_traversal", "2", rename_plan("../../etc"), "bad_identifier"),
    refused("plan_id_space", "2", rename_plan("2 2"), "bad_identifier"),
    refused("plan_id_dot", "2", rename_plan(".2"), "bad_identifier"),
    refused("plan_id_too_long", "8", rename_plan("2" * 200), "bad_identifier", text="64"),
    refused("plan_id_quote_code", "2", rename_plan('2";__import__("os")'), "bad_identifier"),
    refused("plan_id_fullwidth_colon", "2", rename_plan("2：1"), "bad_identifier"),
    refused(
        "plan_id_case",
        "2",
        both(rename_plan("a", "1"), rename_plan("A", "2")),
        "plan_id_case",
        text="大文字・小文字しか違いません",
    ),
    # 6: tracebacks become messages
    refused(
        "cell_200k_chars",
        "6",
        cell("items.csv", 3, "項目名", "X" * 200_000),
        "cell_too_long",
        text="10,000",
    ),
    refused(
        "cell_131073_chars",
        "6",
        cell("items.csv", 3, "取組内容", "長" * 131_073),
        "cell_too_long",
    ),
    refused(
        "workbook_truncated_sheet",
        "6",
        workbook_sheet("items", lambda xml: xml[: len(xml) // 2]),
        "unreadable_workbook",
        text="[items]",
        workbook=True,
    ),
    refused(
        "workbook_sheet_not_xml",
        "6",
        workbook_sheet("statuses", lambda xml: b"\x00\x01 not xml"),
        "unreadable_workbook",
        workbook=True,
    ),
    refused(
        "workbook_xml_entity_bomb",
        "6",
        workbook_sheet(
            "items",
            lambda xml: (
                b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                + b"".join(
                    b'<!ENTITY %s "%s">' % (b"b%d" % i, (b"&b%d;" % (i - 1) if i else b"&a;") * 10)
                    for i in range(8)
                )
                + b"]>"
                + xml.split(b"?>", 1)[-1].replace(b"<sheetData>", b"<sheetData>&b7;", 1)
            ),
        ),
        "unreadable_workbook",
        workbook=True,
    ),
    refused("yaml_alias_bomb", "6", append_yaml("bomb:\n" + alias_bomb()), "bad_config"),
    refused("yaml_deep_flow", "6", append_yaml("deep: " + DEEP_FLOW), "bad_config", text="50"),
    refused("yaml_deep_block", "6", append_yaml(DEEP_BLOCK), "bad_config", text="50"),
    refused("yaml_recursive_alias", "6", append_yaml("loop: &x [*x]"), "bad_config"),
    refused("yaml_huge_integer", "6", append_yaml("n: " + "9" * 5000), "bad_config"),
    refused("yaml_impossible_date", "6", append_yaml("d: 2001-02-30"), "bad_config"),
    refused(
        "yaml_python_tag",
        "held",
        append_yaml("x: !!python/object/apply:os.system ['true']"),
        "bad_config",
    ),
    refused("yaml_not_a_mapping", "held", write_bytes("city.yaml", b"- a\n- b\n"), "bad_config"),
    # yaml: a key written twice (PyYAML kept the last one), types that are not plain data
    refused(
        "yaml_name_twice",
        "yaml",
        replace_bytes(
            "city.yaml", "  name: 東大和市\n".encode(), "  name: 東大和市\n  name: 偽市\n".encode()
        ),
        "bad_config",
        text="name",
    ),
    refused("yaml_city_block_twice", "yaml", append_yaml("city:\n  id: other"), "bad_config"),
    refused(
        "yaml_binary_name",
        "yaml",
        replace_bytes("city.yaml", "name: 東大和市".encode(), b"name: !!binary 5p2x5aSn5ZKM5biC"),
        "bad_config",
        text="!!binary",
    ),
    refused("yaml_set", "yaml", append_yaml("extra: !!set {a, b}"), "bad_config", text="!!set"),
    refused("yaml_omap", "yaml", append_yaml("extra: !!omap [a: 1]"), "bad_config", text="!!omap"),
    refused("integer_400_digits", "6", cell("items.csv", 3, "出典頁", "9" * 400), "not_integer"),
    refused("integer_beyond_int64", "6", cell("items.csv", 3, "項目番号", "1" * 20), "not_integer"),
    # 7: validated, then failed to build
    refused(
        "short_name_u2028",
        "7",
        cell("plans.csv", 3, "略称", "第二次\u2028計画"),
        "control_character",
        text="U+2028",
    ),
    refused(
        "item_name_u2029",
        "7",
        cell("items.csv", 3, "項目名", "段落\u2029区切り"),
        "control_character",
    ),
    # 8: unbounded
    refused("items_20000_rows", "8", many_items(20_000), "too_many_rows", text="10,000"),
    refused(
        "workbook_million_rows",
        "8",
        workbook_sheet("items", million_rows),
        "too_many_rows",
        max_lines=250,
        workbook=True,
    ),
    refused(
        "csv_over_20_mib",
        "8",
        write_bytes("events.csv", lambda p: p.read_bytes() + b"," * (21 * 1024 * 1024)),
        "file_too_large",
    ),
    refused("workbook_zip_bomb", "8", zip_bomb, "file_too_large", workbook=True),
    refused("city_yaml_over_limit", "8", append_yaml("# " + "x" * 300_000), "file_too_large"),
    refused(
        "ten_thousand_bad_rows",
        "8",
        many_items(10_000, target="完了"),
        "unknown_target",
        text="ほか",
        max_lines=250,
    ),
    # 9: terminal
    refused(
        "esc_in_item_name",
        "9",
        cell("items.csv", 3, "項目名", ESC_TITLE + "名前"),
        "control_character",
        text="\\x1b]0;pwned",
    ),
    refused(
        "esc_in_description",
        "9",
        cell("items.csv", 4, "取組内容", "説明\x1b[2J\x1b[H"),
        "control_character",
    ),
    refused(
        "newline_in_plan_id",
        "9",
        rename_plan("2\n2026-01-01 00:00:00 done: 4 built, 0 failed (exit 0)"),
        "control_character",
        text="2\\n2026-01-01",
        max_lines=250,
    ),
    refused(
        "nul_in_cell",
        "9",
        replace_bytes("items.csv", "事務用".encode(), b"\x00"),
        "control_character",
        text="NUL",
    ),
    refused(
        "unclosed_quote",
        "9",
        replace_bytes("items.csv", ",実施,".encode(), ',"実施,'.encode()),
        "unclosed_quote",
        text="引用符",
    ),
    refused(
        "bidi_override", "9", cell("items.csv", 5, "項目名", "\u202eトスセア"), "control_character"
    ),
    refused(
        "bell_and_delete", "9", cell("events.csv", 3, "事象", "鐘\x07消\x7f"), "control_character"
    ),
    refused(
        "c1_next_line_in_id", "9", cell("events.csv", 3, "事象ID", "E\x85X"), "control_character"
    ),
    refused(
        "tab_in_status", "9", cell("statuses.csv", 3, "取組状況", "達\t成"), "control_character"
    ),
    refused(
        "esc_in_city_yaml",
        "9",
        replace_bytes("city.yaml", "name: 東大和市".encode(), 'name: "東大和市\\e[2J"'.encode()),
        "control_character",
    ),
    refused(
        "esc_in_header",
        "9",
        replace_bytes("items.csv", "項目名".encode(), "項目名\x1b[8m".encode()),
        "missing_column",
        text="\\x1b[8m",
    ),
    refused(
        "source_url_javascript",
        "2",
        replace_bytes("city.yaml", b"source:\n", b"source:\n  url: javascript:alert(1)\n"),
        "bad_url",
        text="source.url",
    ),
    refused(
        "source_url_userinfo",
        "2",
        replace_bytes(
            "city.yaml",
            b"source:\n",
            b"source:\n  url: https://www.city.higashiyamato.lg.jp@evil.example/\n",
        ),
        "bad_url",
        text="ユーザー名やパスワード",
    ),
    refused(
        "source_url_unclosed_ipv6_host",
        "6",
        replace_bytes("city.yaml", b"source:\n", b"source:\n  url: https://[x/\n"),
        "bad_url",
        text="source.url",
    ),
    refused(
        "licence_url_data",
        "2",
        replace_bytes(
            "city.yaml",
            b"\n  licence: ",
            b"\n  licence_url: data:text/html,<script>x</script>\n  licence: ",
        ),
        "bad_url",
        text="licence_url",
    ),
    # held before: bad data refused with a message
    refused(
        "utf16_file",
        "held",
        write_bytes("plans.csv", lambda p: p.read_text(encoding="utf-8").encode("utf-16")),
        "unreadable_encoding",
        text="UTF-16",
    ),
    refused(
        "binary_garbage",
        "held",
        write_bytes("plans.csv", bytes(range(256)) * 8),
        "unreadable_encoding",
    ),
    refused(
        "workbook_not_a_zip",
        "held",
        both(to_workbook, write_bytes(WORKBOOK, b"PK\x03\x04")),
        "unreadable_workbook",
        workbook=True,
    ),
    refused(
        "unknown_status", "held", cell("statuses.csv", 6, "取組状況", "完了"), "unknown_status"
    ),
    refused(
        "impossible_date", "held", cell("events.csv", 3, "時期", "平成23年2月30日"), "bad_date"
    ),
    refused("rate_out_of_range", "held", cell("reported.csv", 2, "値", "1.5"), "value_range"),
    refused("rate_not_a_number", "held", cell("reported.csv", 2, "値", "NaN"), "not_number"),
    refused("rate_infinite", "held", cell("reported.csv", 2, "値", "1e400"), "not_number"),
    refused("duplicate_item", "held", cell("items.csv", 3, "項目番号", "1"), "duplicate_key"),
    refused("missing_plans_file", "held", lambda f: (f / "plans.csv").unlink(), "missing_file"),
    refused("empty_items_file", "held", write_bytes("items.csv", b""), "empty_file"),
    refused(
        "period_reversed", "held", cell("plans.csv", 3, "終了年度", "平成20年度"), "period_order"
    ),
    refused(
        "both_sources",
        "held",
        lambda f: shutil.copy(f / "plans.csv", f / WORKBOOK),
        "both_sources",
        workbook=True,
    ),
    # links: a data file is a regular file of the folder; a link out of it is not followed
    refused(
        "link_to_process_environment",
        "links",
        symlink("plans.csv", "/proc/self/environ"),
        "link_outside_folder",
        text="plans.csv",
    ),
    refused("link_to_passwd", "links", symlink("items.csv", "/etc/passwd"), "link_outside_folder"),
    refused(
        "link_to_a_csv_outside",
        "links",
        symlink("plans.csv", lambda f: f.parent / "outside.csv", keep=True),
        "link_outside_folder",
    ),
    refused(
        "link_to_a_yaml_outside",
        "links",
        symlink("city.yaml", lambda f: f.parent / "outside.yaml", keep=True),
        "link_outside_folder",
    ),
    refused(
        "workbook_link_outside",
        "links",
        both(to_workbook, symlink(WORKBOOK, lambda f: f.parent / "outside.xlsx", keep=True)),
        "link_outside_folder",
        workbook=True,
    ),
    refused(
        "broken_link", "links", symlink("goals.csv", "/nonexistent/goals.csv"), "unreadable_file"
    ),
    refused("folder_as_city_yaml", "links", make_folder("city.yaml"), "not_regular_file"),
    refused("pipe_as_items_csv", "links", make_fifo("items.csv"), "not_regular_file"),
]
"""Data changes the tool must refuse with a clear problem (file, row, column, value)."""


PAYLOADS: list[str] = [
    "<script>window.__hostile=1</script>",
    '"><img src=x onerror="window.__hostile=2">',
    "'><svg onload=window.__hostile=3>",
    "</script><script>window.__hostile=4</script>",
    "</style><script>window.__hostile=5</script>",
    "</title><script>window.__hostile=6</script>",
    "<!-- --> <![CDATA[ ]]> ]]>",
    "javascript:window.__hostile=7",
    "[click](javascript:window.__hostile=8) **bold** # heading",
    "{{7*7}} {% raw %} ${7*7} #{7*7} {plan_name} {0} %s %(x)s",
    "$\\alert{1}$ $$x^2$$",
    "\\u003cscript\\u003ewindow.__hostile=9\\u003c/script\\u003e",
    "&lt;script&gt; &amp; &#60;script&#62;",
    "/* plan-report: vega bundle */",
    "plan-report-content-security-policy",
    '=HYPERLINK("http://example.invalid","click")',
    "=cmd|' /C calc'!A0",
    "+1+1 -1+1 @SUM(1)",
    "'; DROP TABLE items; --",
    "🙂👨\u200d👩\u200d👧 Ünïcödé العربية עברית",
    "ＡＢＣ　全角　スペース",
    "長" * 300,
    "x" * 1500,
    "改行\nのある\n項目",
    "\ufeffBOMつき \u200bゼロ幅",
    '<base href="http://example.invalid/">',
    '<meta http-equiv="refresh" content="0;url=http://example.invalid/">',
    '<link rel="stylesheet" href="http://example.invalid/x.css">',
    '<iframe src="http://example.invalid/"></iframe>',
    '<form action="http://example.invalid/"><button>送信</button></form>',
    '<a href="http://example.invalid/">リンク</a>',
    "data:text/html,<script>window.__hostile=10</script>",
    "<style>body{display:none}</style>",
    '<object data="http://example.invalid/"></object><embed src="x">',
    "%3Cscript%3Ewindow.__hostile=11%3C/script%3E",
    '\\" onmouseover=\\"window.__hostile=12',
    "${alert(1)} `window.__hostile=13`",
    '<img src="x" onerror="window.__hostile=14">',
]
"""Text that must pass validation and come out as text (never markup, script, link or formula)."""


PAYLOAD_FIELDS: list[tuple[str, str]] = [
    ("items.csv", "項目名"),
    ("items.csv", "取組内容"),
    ("items.csv", "時期の内容"),
    ("events.csv", "事象"),
    ("events.csv", "種別"),
    ("events.csv", "備考"),
    ("goals.csv", "重点目標"),
    ("measures.csv", "施策"),
    ("reported.csv", "表現"),
    ("reported.csv", "原文"),
]
"""Free-text cells that carry :data:`PAYLOADS` into the reports (cycled over their rows)."""


def hostile_text(folder: Path) -> list[str]:
    """Put every payload into the free-text cells of ``folder``; return what was placed.

    Plan names and short names get payloads too (they reach titles, headings, chart labels and
    the index); city.yaml's city name and source title as well.
    """
    placed: list[str] = []
    queue = list(PAYLOADS)
    for file, header in PAYLOAD_FIELDS:
        path = folder / file
        records = read_records(path)
        column = records[0].index(header)
        for record in records[1:]:
            if not queue:
                queue = list(PAYLOADS)
            record[column] = queue.pop(0)
            placed.append(record[column])
        write_records(path, records)
    records = read_records(folder / "plans.csv")
    name, short = records[0].index("計画名"), records[0].index("略称")
    records[1][name] = "<script>window.__hostile=20</script>計画"
    records[2][name] = '"><img src=x onerror=window.__hostile=21>第二次計画'
    records[2][short] = "</script><svg onload=window.__hostile=22>第二次"
    write_records(folder / "plans.csv", records)
    placed += [records[1][name], records[2][name], records[2][short]]
    config = (folder / "city.yaml").read_text(encoding="utf-8")
    config = config.replace(
        "name: 東大和市", "name: '東大和市<script>window.__hostile=23</script>'", 1
    )
    (folder / "city.yaml").write_text(config, encoding="utf-8")
    return placed


# --- report sets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetCase:
    """A hostile report set built over the published set."""

    id: str
    cause: str
    text: str | bytes
    exit: int = 2
    message: str = ""
    changes_published: bool = False  # a harmless set that builds publishes its reports
    marker: bool = False  # the set tries to create MARKER: it must never exist
    files: tuple[tuple[str, bytes], ...] = ()  # files the set names, written beside it first
    fifos: tuple[str, ...] = ()  # named pipes the set names, made beside it first


MARKER = "hostile-marker"
"""A file a hostile parameter tries to create next to the set (it must never appear)."""


def entry(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"name": "x", "notebook": str(FIXTURES / "ok.py")}
    base.update(fields)
    return base


def one(message: str, id: str, cause: str, **fields: object) -> SetCase:
    return SetCase(id, cause, set_text([entry(**fields)]), message=message)


OUTPUT_REFUSED = "must be a relative name"
NAME_REFUSED = "must be letters, digits"
BARE_NAME = "write a bare name"
CONTROL_REFUSED = "制御文字"
NOT_REGULAR = "the notebook must be a regular file"

SET_CASES: list[SetCase] = [
    # 2: output names and links
    one(OUTPUT_REFUSED, "output_javascript", "2", output="javascript:alert(document.domain)//"),
    one(OUTPUT_REFUSED, "output_javascript_upper", "2", output="JAVASCRIPT:alert(1)"),
    one(OUTPUT_REFUSED, "output_data_url", "2", output="data:text/html,<script>x</script>"),
    one(OUTPUT_REFUSED, "output_protocol_relative", "2", output="//example.invalid/x"),
    one(OUTPUT_REFUSED, "output_http", "2", output="http://example.invalid/x"),
    one(OUTPUT_REFUSED, "output_parent", "2", output="../x"),
    one(OUTPUT_REFUSED, "output_nested_parent", "2", output="a/../../x"),
    one(OUTPUT_REFUSED, "output_hidden", "2", output=".hidden"),
    one(OUTPUT_REFUSED, "output_backslash", "2", output="..\\..\\x"),
    one(OUTPUT_REFUSED, "output_absolute", "2", output="/tmp/x"),
    one(OUTPUT_REFUSED, "output_space", "2", output="a b"),
    one(OUTPUT_REFUSED, "output_percent", "2", output="%2e%2e/x"),
    one(OUTPUT_REFUSED, "output_query", "2", output="x?y=1"),
    one(OUTPUT_REFUSED, "output_fragment", "2", output="x#y"),
    one(OUTPUT_REFUSED, "output_fullwidth_colon", "2", output="javascript：alert(1)"),
    one(OUTPUT_REFUSED, "output_reserved_data", "held", output="data/x"),
    one(OUTPUT_REFUSED, "output_reserved_data_upper", "held", output="Data/x"),
    one("accessibility statement", "output_reserved_accessibility", "held", output="accessibility"),
    one("accessibility statement", "output_reserved_page_upper", "held", output="Accessibility"),
    SetCase(
        "outputs_equal_ignoring_case",
        "2",
        set_text([entry(name="a", output="OK-1"), entry(name="b", output="ok-1")]),
        message="大文字・小文字しか違いません",
    ),
    SetCase(
        "output_folders_equal_ignoring_case",
        "2",
        set_text([entry(name="a", output="Items/x"), entry(name="b", output="items/y")]),
        message="'Items' と 'items' は大文字・小文字しか違いません",
    ),
    one(OUTPUT_REFUSED, "output_newline", "9", output="x\ny"),
    one(OUTPUT_REFUSED, "output_nul", "9", output="x\x00y"),
    one(OUTPUT_REFUSED, "output_too_long", "8", output="a" * 300),
    one(NAME_REFUSED, "name_newline", "9", name="x\n2026-01-01 00:00:00 done (exit 0)"),
    one(NAME_REFUSED, "name_escape", "9", name="x\x1b[2J"),
    one(NAME_REFUSED, "name_traversal", "2", name="../x"),
    one(CONTROL_REFUSED, "title_escape", "9", title="報告書" + ESC_TITLE),
    one(CONTROL_REFUSED, "title_bell", "9", title="報告書\x07"),
    one(CONTROL_REFUSED, "parameter_nul", "9", parameters={"label": "a\x00b"}),
    SetCase(
        "title_prefix_bidi_override",
        "9",
        set_text(title_prefix="東大和市\u202eexe.txt"),
        message="U+202E",
    ),
    one(NAME_REFUSED, "name_colon", "2", name="javascript:x"),
    # 6: placeholders, YAML
    one(
        BARE_NAME,
        "title_width_bomb",
        "6",
        title="{plan_name:>2000000000}",
        for_each="plan",
        name="x-{plan_id}",
    ),
    one(
        BARE_NAME,
        "title_conversion",
        "6",
        title="{plan_name!r}",
        for_each="plan",
        name="x-{plan_id}",
    ),
    one(
        BARE_NAME,
        "title_attribute",
        "6",
        title="{plan_name.__class__.__mro__}",
        for_each="plan",
        name="x-{plan_id}",
    ),
    one(BARE_NAME, "title_index", "6", title="{plan_name[0]}", for_each="plan", name="x-{plan_id}"),
    one(BARE_NAME, "title_positional", "6", title="{0}"),
    one(
        BARE_NAME,
        "parameter_width_bomb",
        "6",
        parameters={"label": "{plan_id:>999999999}"},
        for_each="plan",
        name="x-{plan_id}",
    ),
    one(
        "characters long",
        "title_repeated_placeholder",
        "8",
        title="{plan_name}" * 10_000,
        for_each="plan",
        name="x-{plan_id}",
    ),
    one("unknown placeholder", "title_unknown_placeholder", "held", title="{city}"),
    SetCase(
        "set_alias_bomb",
        "6",
        set_text() + "bomb:\n" + "\n".join("  " + line for line in alias_bomb().splitlines()),
        message="aliases",
    ),
    SetCase("set_deep_flow", "6", set_text() + "deep: " + DEEP_FLOW + "\n", message="50 levels"),
    SetCase("set_recursive_alias", "6", set_text() + "loop: &x [*x]\n", message="itself"),
    SetCase("set_too_large", "8", set_text() + "# " + "x" * 300_000 + "\n", message="limit"),
    SetCase("set_not_utf8", "6", set_text().encode("utf-8") + b"# \xff\xfe\n", message="not UTF-8"),
    SetCase("set_nul_byte", "6", set_text() + "# \x00\n", message="not valid YAML"),
    SetCase(
        "set_python_tag",
        "held",
        set_text([entry(parameters={"label": "x"})]).replace(
            "label: x", "label: !!python/object/apply:os.system ['touch " + MARKER + "']"
        ),
        message="not valid YAML",
        marker=True,
    ),
    SetCase("set_top_level_list", "held", "- a\n- b\n", message="'reports' list"),
    SetCase("set_empty", "held", "", message="'reports' list"),
    SetCase(
        "set_reports_mapping", "held", "data: data\nreports: {a: 1}\n", message="'reports' list"
    ),
    SetCase(
        "set_entry_not_mapping", "held", "data: data\nreports: [1]\n", message="expected a mapping"
    ),
    one("for_each must be 'plan'", "for_each_list", "6", for_each=["plan"]),
    SetCase(
        "entry_integer_key",
        "6",
        "data: data\nreports:\n  - {name: x, notebook: " + str(FIXTURES / "ok.py") + ", 1: 2}\n",
        message="unknown key",
    ),
    one("'notebook' is required", "notebook_not_a_string", "held", notebook=["x"]),
    one(
        "no cell tagged 'parameters'",
        "notebook_not_a_notebook",
        "held",
        notebook=str(ROOT / "README.md"),
    ),
    one("does not exist", "notebook_missing", "held", notebook=str(ROOT / "nowhere.py")),
    one("UTF-8", "notebook_not_utf8", "6", notebook=str(ROOT / "docs" / "report-plan-2.png")),
    SetCase(
        "notebook_too_large",
        "8",
        set_text([entry(notebook="huge.py")]),
        message="大きすぎます",
        files=(("huge.py", (FIXTURES / "ok.py").read_bytes() + b"#" * MAX_NOTEBOOK_BYTES),),
    ),
    # links: a device or a pipe named as the notebook is not a regular file (never read)
    one(NOT_REGULAR, "notebook_dev_zero", "links", notebook="/dev/zero"),
    SetCase(
        "notebook_fifo",
        "links",
        set_text([entry(notebook="pipe.py")]),
        message=NOT_REGULAR,
        fifos=("pipe.py",),
    ),
    one("parameters must be a mapping", "parameters_list", "held", parameters=["a"]),
    one("set by the build", "parameter_data_dir", "held", parameters={"data_dir": "/etc"}),
    one("not declared", "parameter_undeclared", "held", parameters={"__import__": "os"}),
    # held: a parameter never runs as code, a title never runs as script
    SetCase(
        "parameter_code_injection",
        "held",
        set_text(
            [
                entry(
                    parameters={
                        "label": f"\"); import os; os.system('touch {MARKER}'); (\"",
                    }
                )
            ]
        ),
        exit=0,
        changes_published=True,
        marker=True,
    ),
    SetCase(
        "title_script",
        "held",
        set_text(
            [entry(name="index", title="</title><script>window.__hostile=1</script>")],
            title_prefix="<img src=x onerror=window.__hostile=2>",
        ),
        exit=0,
        changes_published=True,
    ),
]
"""Report sets the build must refuse with exit 2 (or build harmlessly: ``exit=0``)."""


FIXED_INPUTS = len(DATA_CASES) + len(SET_CASES) + len(PAYLOADS) + 4
"""Hostile inputs the corpus tries on every run (payloads: + 3 plan names and the city name)."""
