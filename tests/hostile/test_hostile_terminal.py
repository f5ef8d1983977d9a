"""What reaches a terminal or a log: control characters escaped, no line a value could forge.

The progress line on a terminal and the timestamped log lines both print text that can come from
data, report sets and failed notebooks; ``plan-report list`` prints parameters and last errors.
"""

from __future__ import annotations

import io
import re

import pytest
from corpus import Project, set_text, snapshot, write_set

from helpers import cli
from helpers.build import Event

HOSTILE = "名前\x1b]0;pwned\x07\x1b[2J\n2026-01-01 00:00:00 done: 9 built (exit 0)\u2028\u202eX"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def events() -> list[Event]:
    return [
        Event("plan", "1 of 1 reports to build", count=1, total=1),
        Event("start", "building x", name="x"),
        Event("failed", f"report x failed: cell 3: ValueError: {HOSTILE}", name="x"),
        Event("problems", f"ファイル  値\nitems.csv  {HOSTILE}"),
        Event("info", HOSTILE),
        Event("done", "exit code 1", count=1),
    ]


def test_log_lines_escape_what_a_value_holds() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = cli.LogReporter(out, err)
    for event in events():
        reporter(event)
    text = out.getvalue() + err.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\u2028" not in text
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in text
    # a line feed inside a message continues it (indented): it cannot start a log entry
    assert "\n    2026-01-01 00:00:00 done" in text
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")
    for line in text.splitlines():
        assert stamp.match(line) or line.startswith("    "), line
        assert not line.startswith("2026-01-01 00:00:00 done")
    assert err.getvalue().count("\n") == 5  # failed (2 lines) + problems (3 lines)


def test_the_live_line_escapes_what_a_value_holds() -> None:
    screen = Terminal()
    reporter = cli.reporter_for(screen, io.StringIO())
    assert isinstance(reporter, cli.LiveReporter)
    for event in events():
        reporter(event)
    text = screen.getvalue()
    assert text.replace("\r\x1b[K", "").count("\x1b") == 0  # only its own erase-line sequence
    assert "\x07" not in text and "\u2028" not in text and "\u202e" not in text
    assert "\\x1b]0;pwned" in text


def test_list_shows_a_hostile_error_escaped(
    case_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report that failed with a hostile message: ``list`` shows its last outcome escaped.

    The report set may not carry control characters (they are refused before any report runs),
    but an error raised in a notebook may: this one raises one it makes itself.
    """
    notebook = case_project.root / "hostile_failure.py"
    notebook.write_text(
        '# %% tags=["parameters"]\ndata_dir: str = ""\nplan_id: str = ""\n\n'
        '# %%\nraise ValueError(plan_id + "\\x1b[2J\\n2026-01-01 00:00:00 forged")\n',
        encoding="utf-8",
    )
    plan = {"name": "bad-plan", "notebook": str(notebook), "parameters": {"plan_id": "9"}}
    write_set(case_project.config, set_text([plan]))
    before = snapshot(case_project.reports)
    code = cli.main(case_project.build_args())
    captured = capsys.readouterr()
    assert code == 1, captured.out + captured.err  # the report fails
    assert snapshot(case_project.reports) == before  # nothing published
    log = captured.out + captured.err
    assert "\x1b" not in log and "\\x1b[2J" in log
    assert not any(line.startswith("2026-01-01") for line in log.splitlines())

    code = cli.main(
        ["list", "--config", str(case_project.config), "--reports-dir", str(case_project.reports)]
    )
    listing = capsys.readouterr().out
    assert code == 0
    assert "\x1b" not in listing and "\\x1b[2J" in listing
    assert len([line for line in listing.splitlines() if "bad-plan" in line]) == 1
