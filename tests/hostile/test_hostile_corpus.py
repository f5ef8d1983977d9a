"""The hostile corpus through ``plan-report validate`` and ``plan-report build``.

For every case: the exit code, the message (file, row, column, value, limit), no traceback, every
printed character visible (control characters escaped), a bounded output and run time, and the
published set byte-identical to what it was (tests/hostile/corpus.py lists the cases).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from corpus import (
    BUNDLED,
    DATA_CASES,
    MARKER,
    PAYLOADS,
    SET_CASES,
    DataCase,
    Project,
    SetCase,
    hostile_text,
    snapshot,
    write_set,
)

from helpers import cli
from helpers.data.city import inspect_folder
from helpers.publish import opendata

SECONDS = 30.0
"""Longest a single validate or refused build may take (the alias bomb took 35 s and 3 GB)."""

_LOG_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} |    )")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code = cli.main(args)
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    return code, captured.out, captured.err, elapsed


def invisible(text: str) -> list[str]:
    """Characters of ``text`` a terminal would not show as themselves (line feeds aside)."""
    return [
        ch
        for ch in text
        if ch != "\n" and not ch.isprintable() and unicodedata.category(ch) != "Zs"
    ]


def assert_readable(text: str) -> None:
    """No traceback, no raw control character, no line a value could have forged."""
    assert "Traceback" not in text, text[-2000:]
    assert invisible(text) == [], sorted(set(invisible(text)))
    assert not any(line.startswith("2026-01-01") for line in text.splitlines())


def assert_log_lines(text: str) -> None:
    """Every line of the build's log starts with its timestamp or continues a message."""
    for line in text.splitlines():
        assert _LOG_LINE.match(line), line[:120]


# --- data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", DATA_CASES, ids=[c.id for c in DATA_CASES])
def test_bad_data_is_refused_with_a_message_and_nothing_published(
    case: DataCase, case_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    case.change(case_project.data)
    assert (case_project.data / "workbook.xlsx").is_file() == case.workbook

    started = time.monotonic()
    problems = inspect_folder(case_project.data).problems
    assert time.monotonic() - started < SECONDS
    found = {p.code for p in problems if p.severity == "error"}
    assert case.codes <= found, (case.codes, found)

    code, out, err, elapsed = run(["validate", str(case_project.data)], capsys)
    assert code == 1 and elapsed < SECONDS
    assert_readable(out + err)
    assert case.text in out
    assert len(out.splitlines()) <= case.max_lines
    assert "エラー" in out.splitlines()[-1]

    before = snapshot(case_project.reports)
    code, out, err, elapsed = run(case_project.build_args("--force"), capsys)
    assert code == 2, out + err
    assert elapsed < SECONDS
    assert_readable(out + err)
    assert_log_lines(out + err)
    assert case.text in err
    assert "no report was run" in out
    assert snapshot(case_project.reports) == before


def test_hostile_text_is_accepted_as_data(tmp_path: Path) -> None:
    """Markup, script, template and formula text is valid data (it is escaped on the way out)."""
    folder = tmp_path / "data"
    shutil.copytree(BUNDLED, folder)
    placed = hostile_text(folder)
    assert set(PAYLOADS) <= set(placed)
    inspection = inspect_folder(folder)
    assert [p for p in inspection.problems if p.severity == "error"] == []
    city = inspection.city
    assert city is not None
    names = set(city.items["name"])
    assert "<script>window.__hostile=1</script>" in names
    items = opendata.open_data_files(city)["items.csv"].decode("utf-8-sig")
    assert "'=HYPERLINK(" in items and ",=HYPERLINK(" not in items


# --- report sets -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", SET_CASES, ids=[c.id for c in SET_CASES])
def test_hostile_report_set(
    case: SetCase, case_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    write_set(case_project.config, case.text)
    for name, data in case.files:
        (case_project.root / name).write_bytes(data)
    for name in case.fifos:
        os.mkfifo(case_project.root / name)
    before = snapshot(case_project.reports)
    code, out, err, elapsed = run(case_project.build_args(), capsys)
    assert code == case.exit, out + err
    assert elapsed < SECONDS * (3 if case.exit == 0 else 1)
    assert_readable(out + err)
    assert_log_lines(out + err)
    assert case.message in out + err
    if not case.changes_published:
        assert snapshot(case_project.reports) == before
    for folder in (case_project.root, Path.cwd(), case_project.data):
        assert not (folder / MARKER).exists()
    if case.exit == 0:
        for name, data in snapshot(case_project.reports).items():
            if name.endswith(".html"):
                page = data.decode("utf-8")
                assert "<script>window.__hostile" not in page, name
                assert "<img src=x onerror" not in page, name
                assert "os.system" not in page or "&quot;" in page or "'" in page


def test_every_case_has_a_distinct_id_and_a_cause() -> None:
    ids = [c.id for c in DATA_CASES] + [c.id for c in SET_CASES]
    assert len(ids) == len(set(ids))
    causes = {c.cause for c in DATA_CASES} | {c.cause for c in SET_CASES}
    assert causes == {"2", "6", "7", "8", "9", "held", "links", "yaml"}


def test_readme_records_how_many_hostile_inputs_the_suite_tries() -> None:
    from corpus import FIXED_INPUTS, ROOT
    from test_hostile_property import BUILT_EXAMPLES, PROPERTY_EXAMPLES, QUICK_EXAMPLES
    from test_hostile_round import EDITS
    from test_hostile_scaffold import IDS, NAMES

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    total = FIXED_INPUTS + PROPERTY_EXAMPLES + len(EDITS) + len(IDS) + len(NAMES)
    assert f"{len(IDS) + len(NAMES)} city IDs and names" in readme
    assert f"{len(EDITS)} damaged evaluation workbooks" in readme
    assert f"**{total} hostile inputs**" in readme
    assert f"{len(DATA_CASES)} broken or malicious data folders" in readme
    assert f"{len(SET_CASES)} hostile report sets" in readme
    assert f"{len(PAYLOADS) + 4} payload texts" in readme
    assert f"{PROPERTY_EXAMPLES} random ones" in readme
    assert f"({QUICK_EXAMPLES} data folders" in readme and f"{BUILT_EXAMPLES} built" in readme
