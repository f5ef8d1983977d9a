"""The ``plan-report`` command line: list, validate, report-set errors, progress output."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from reading_kit import hide_file_sizes
from set_kit import run_cli

from helpers import build, cli
from helpers.data.limits import MAX_NOTEBOOK_BYTES
from helpers.publish import reportset

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
DATA = ROOT / "data" / "higashiyamato"


def write_set(folder: Path, reports: list[dict[str, Any]], data: Path = DATA) -> Path:
    config = folder / "set.yaml"
    for entry in reports:
        entry["notebook"] = str(FIXTURES / entry["notebook"])
    text = yaml.safe_dump({"data": str(data), "reports": reports}, allow_unicode=True)
    config.write_text(text, encoding="utf-8")
    return config


def test_python_m_helpers_is_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "build", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--only", "--jobs", "--force", "--no-pdf", "--config", "--reports-dir"):
        assert option in result.stdout
    assert "--timeout" in result.stdout


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    codes = re.findall(r"^  (\d+) +", out, flags=re.MULTILINE)
    assert codes == ["0", "1", "2", "3", "130"]
    assert "another build holds the lock" in out


def test_list_shows_the_expanded_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = {"name": "ok-{plan_id}", "notebook": "ok.py", "for_each": "plan"}
    entry["parameters"] = {"label": "{plan_name}"}
    config = write_set(tmp_path, [entry, {"name": "plain", "notebook": "ok.py"}])
    reports = tmp_path / "reports"
    code, out, _ = run_cli(["list", "--config", str(config), "--reports-dir", str(reports)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "notebook", "parameters", "output", "last", "outcome"]
    assert lines[1].split()[0] == "ok-1"
    assert "label=東大和市情報化推進計画" in lines[1]
    assert lines[2].split()[0] == "ok-2" and "ok-2.html" in lines[2]
    assert "never built" in lines[3] and "plain.html" in lines[3]
    assert "3 reports" in out

    args = ["build", "--config", str(config), "--reports-dir", str(reports), "--no-pdf"]
    assert cli.main([*args, "--only", "plain"]) == 0
    capsys.readouterr()
    code, out, _ = run_cli(["list", "--config", str(config), "--reports-dir", str(reports)], capsys)
    plain = next(line for line in out.splitlines() if line.startswith("plain"))
    assert plain.endswith("built")


def test_validate_good_and_bad_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["validate", str(DATA)], capsys)
    assert code == 0 and "問題はありません" in out

    bad = tmp_path / "bad"
    shutil.copytree(DATA, bad)
    items = bad / "items.csv"
    items.write_text(items.read_text(encoding="utf-8").replace(",実施,", ",実行,", 1), "utf-8")
    code, out, _ = run_cli(["validate", str(bad)], capsys)
    assert code == 1
    assert "items.csv" in out and "実行" in out and "エラー 1 件" in out

    config = write_set(tmp_path, [{"name": "plain", "notebook": "ok.py"}], data=bad)
    code, out, _ = run_cli(["validate", "--config", str(config)], capsys)
    assert code == 1 and "items.csv" in out


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "notebook": "ok.py", "parameters": {"lable": "y"}}, "'lable' is not"),
        ({"name": "x", "notebook": "ok.py", "parameters": {"data_dir": "y"}}, "set by the build"),
        ({"name": "x-{plan}", "notebook": "ok.py", "for_each": "plan"}, "unknown placeholder"),
        ({"name": "x", "notebook": "ok.py", "output": "../x"}, "must be a relative name"),
        ({"name": "x", "notebook": "ok.py", "output": "data/x"}, "must be a relative name"),
        ({"name": "x", "notebook": "ok.py", "for_each": "goal"}, "must be 'plan' or 'item'"),
        ({"name": "x", "notebook": "missing.py"}, "does not exist"),
        ({"name": "x", "notebook": "ok.py", "title": "t", "colour": 1}, "unknown key"),
    ],
)
def test_bad_report_set_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: dict[str, Any], message: str
) -> None:
    config = write_set(tmp_path, [entry])
    reports = tmp_path / "reports"
    code, _, err = run_cli(
        ["build", "--config", str(config), "--reports-dir", str(reports)], capsys
    )
    assert code == build.ExitCode.INVALID
    assert message in err
    assert not (reports / "x.html").exists()


def test_duplicate_outputs_and_missing_config_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twins = [
        {"name": "a", "notebook": "ok.py", "output": "same"},
        {"name": "b", "notebook": "ok.py", "output": "same"},
    ]
    config = write_set(tmp_path, twins)
    code, _, err = run_cli(["build", "--config", str(config)], capsys)
    assert code == 2 and "share the output 'same'" in err

    code, _, err = run_cli(["build", "--config", str(tmp_path / "none.yaml")], capsys)
    assert code == 2 and "cannot read report set" in err


def test_notebook_must_declare_data_dir(tmp_path: Path) -> None:
    notebook = tmp_path / "nb.py"
    notebook.write_text('# %% tags=["parameters"]\nplan_id: str = "2"\n', encoding="utf-8")
    config = tmp_path / "set.yaml"
    config.write_text(
        yaml.safe_dump({"data": str(DATA), "reports": [{"name": "x", "notebook": str(notebook)}]}),
        encoding="utf-8",
    )
    with pytest.raises(reportset.ConfigError, match="must declare the parameter 'data_dir'"):
        reportset.load_report_set(config)


def test_relative_paths_count_from_the_project_root() -> None:
    report_set = reportset.load_report_set(ROOT / "notebooks" / "reports.yaml")
    assert report_set.root == ROOT
    assert report_set.data_dir == DATA
    assert report_set.names()[:2] == ["plan-1", "plan-2"]
    plan2 = report_set.reports[1]
    assert plan2.parameters["plan_id"] == "2"
    assert plan2.parameters["data_dir"] == str(DATA)
    assert plan2.title == "第二次東大和市情報化推進計画 評価報告書"
    index = report_set.reports[-1]
    assert index.parameters.get("report_set") == str(ROOT / "notebooks" / "reports.yaml")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_a_live_line_and_logs_get_timestamps() -> None:
    events = [
        build.Event("plan", "2 of 3 reports to build", count=2, total=3),
        build.Event("skipped", "skipped (unchanged)", name="a"),
        build.Event("start", "building b", name="b"),
        build.Event("built", "built b.html (execute 1.00 s)", name="b"),
        build.Event("start", "building c", name="c"),
        build.Event("failed", "report c failed: cell 2: ValueError: x", name="c"),
        build.Event("done", "exit code 1", count=1),
    ]
    terminal = FakeTerminal()
    live = cli.reporter_for(terminal, terminal)
    assert isinstance(live, cli.LiveReporter)
    for event in events:
        live(event)
    screen = terminal.getvalue()
    assert "\r\x1b[K[0/2]" in screen and "building b" in screen
    assert "[2/2] built 1, unchanged 1, failed 1" in screen
    assert "report c failed: cell 2: ValueError: x\n" in screen
    assert screen.endswith("1 built, 1 unchanged, 1 failed (exit 1)\n")

    out, err = io.StringIO(), io.StringIO()
    log = cli.reporter_for(out, err)
    assert isinstance(log, cli.LogReporter)
    for event in events:
        log(event)
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
    assert re.fullmatch(
        f"{stamp}2 of 3 reports to build\n{stamp}a: skipped \\(unchanged\\)\n"
        f"{stamp}building b\n{stamp}built b.html \\(execute 1.00 s\\)\n{stamp}building c\n"
        f"{stamp}done in [0-9.]+ s: 1 built, 1 unchanged, 1 failed \\(exit 1\\)\n",
        out.getvalue(),
    )
    assert re.fullmatch(f"{stamp}report c failed: cell 2: ValueError: x\n", err.getvalue())
    assert "\r" not in out.getvalue() + err.getvalue()


def test_table_aligns_japanese_text() -> None:
    table = cli.format_table(["name", "title"], [["計画", "a"], ["plan-10", "b"]])
    first, second, third = table.splitlines()
    assert first.index("title") == second.index("a") + 2 == third.index("b")
    assert cli.display_width("計画ab") == 6


def _capped_build(config: Path, reports: Path) -> subprocess.CompletedProcess[str]:
    """``plan-report build --config CONFIG`` in a child of at most 2 GB and 60 s: a reader
    without bound would fill memory (``/dev/zero``) or wait for ever (a FIFO)."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))

    args = [sys.executable, "-m", "helpers", "build", "--config", str(config)]
    args += ["--reports-dir", str(reports), "--no-pdf"]
    return subprocess.run(
        args, capture_output=True, text=True, timeout=60, preexec_fn=cap, check=False
    )


def special_files(folder: Path, suffix: str) -> dict[Path, str]:
    """Things that are not regular files, each with what the refusal calls it: a device, a
    link to one, a FIFO and a folder, named ``*{suffix}``."""
    fifo = folder / f"fifo{suffix}"
    os.mkfifo(fifo)
    link = folder / f"link{suffix}"
    link.symlink_to("/dev/zero")
    inner = folder / f"folder{suffix}"
    inner.mkdir()
    return {Path("/dev/zero"): "a device", link: "a device", fifo: "a FIFO", inner: "a folder"}


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero and FIFOs")
def test_a_report_set_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    for config, kind in special_files(tmp_path, ".yaml").items():
        result = _capped_build(config, tmp_path / "reports")
        assert result.returncode == 2, (config, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        assert "通常のファイルではなく" in result.stderr
        assert f"must be a regular file, not {kind}" in result.stderr
    assert not (tmp_path / "reports").exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero and FIFOs")
def test_a_notebook_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    """A device, a FIFO or a folder named as a notebook is refused as not a regular file
    (it was told that it does not exist), unread, as a report set of that kind is."""
    for notebook, kind in special_files(tmp_path, ".py").items():
        config = tmp_path / "set.yaml"
        entries = [{"name": "x", "notebook": str(notebook)}]
        config.write_text(yaml.safe_dump({"data": str(DATA), "reports": entries}), "utf-8")
        result = _capped_build(config, tmp_path / "reports")
        assert result.returncode == 2, (notebook, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        assert "does not exist" not in result.stderr
        assert "は通常のファイルではなく" in result.stderr
        assert f"the notebook must be a regular file, not {kind}" in result.stderr
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_a_report_set_is_read_only_up_to_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A regular file whose size the file system gives as 0 (``/proc``) is still read no
    further than the limit."""

    from helpers.data.limits import MAX_YAML_BYTES

    config = tmp_path / "set.yaml"
    config.write_text("reports: []\n# " + "x" * 2 * MAX_YAML_BYTES + "\n", encoding="utf-8")
    reads = hide_file_sizes(monkeypatch)
    with pytest.raises(reportset.ConfigError, match="longer than"):
        reportset.read_report_set(config)
    assert sum(reads) <= MAX_YAML_BYTES + 1


def test_a_yaml_syntax_error_in_the_report_set_is_told_in_japanese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report set's YAML errors name the file, line and column in Japanese and say what to
    check; the parser's English follows as a hint. An unclosed quote is shown where it opens."""
    config = tmp_path / "set.yaml"
    config.write_text(
        f'data: {DATA}\nreports:\n  - name: x\n    notebook: "plan.py\n', encoding="utf-8"
    )
    reports = tmp_path / "reports"
    code, out, err = run_cli(
        ["build", "--config", str(config), "--reports-dir", str(reports)], capsys
    )
    assert code == build.ExitCode.INVALID
    assert "Traceback" not in out + err
    assert f"報告書セット {config} の 4 行目 15 文字目で YAML の書き方が正しくありません。" in err
    assert "引用符" in err and "(not valid YAML: " in err
    config.write_text(f"data: {DATA}\nreports:\n\t- name: x\n", encoding="utf-8")
    with pytest.raises(reportset.ConfigError, match=r"3 行目 1 文字目で.*タブ文字は使えません"):
        reportset.read_report_set(config)


def test_a_notebook_that_is_not_utf8_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = tmp_path / "cp932.py"
    text = '# %% tags=["parameters"]\ndata_dir: str = ""  # データフォルダ\n'
    notebook.write_bytes(text.encode("cp932"))
    config = tmp_path / "set.yaml"
    entries = [{"name": "x", "notebook": str(notebook)}]
    config.write_text(yaml.safe_dump({"data": str(DATA), "reports": entries}), encoding="utf-8")
    reports = tmp_path / "reports"
    code, out, err = run_cli(
        ["build", "--config", str(config), "--reports-dir", str(reports)], capsys
    )
    assert code == build.ExitCode.INVALID
    assert "Traceback" not in out + err
    assert "UTF-8 のテキストではありません" in err and "cp932.py" in err
    assert not (reports / "x.html").exists()


def _set_naming(tmp_path: Path, notebook: Path) -> Path:
    config = tmp_path / "set.yaml"
    entries = [{"name": "x", "notebook": str(notebook)}]
    config.write_text(yaml.safe_dump({"data": str(DATA), "reports": entries}), encoding="utf-8")
    return config


def test_a_notebook_larger_than_its_limit_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report set naming a huge file as its notebook (a log, a disk image) read all of it."""
    notebook = tmp_path / "huge.py"
    text = '# %% tags=["parameters"]\ndata_dir: str = ""  # データフォルダ\n'
    notebook.write_text(text + "#" * MAX_NOTEBOOK_BYTES, encoding="utf-8")
    reports = tmp_path / "reports"
    code, out, err = run_cli(
        ["build", "--config", str(_set_naming(tmp_path, notebook)), "--reports-dir", str(reports)],
        capsys,
    )
    assert code == build.ExitCode.INVALID
    assert "Traceback" not in out + err
    assert "huge.py が大きすぎます" in err and f"上限 {MAX_NOTEBOOK_BYTES:,} バイト" in err
    assert not reports.exists() or not any(reports.iterdir())


def test_a_notebook_is_read_only_up_to_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file stating a size of 0 (as /proc files do) is still read no further than the limit."""
    notebook = tmp_path / "endless.py"
    notebook.write_bytes(b"#" * (3 * MAX_NOTEBOOK_BYTES))
    raw = reportset.read_report_set(_set_naming(tmp_path, notebook))
    reads = hide_file_sizes(monkeypatch)
    with pytest.raises(reportset.ConfigError, match="大きすぎます"):
        reportset.expand_report_set(raw, [])
    assert sum(reads) <= MAX_NOTEBOOK_BYTES + 1


def test_a_notebook_with_windows_line_ends_is_read(tmp_path: Path) -> None:
    notebook = tmp_path / "crlf.py"
    text = '# %% tags=["parameters"]\ndata_dir: str = ""  # データフォルダ\nlabel: str = "a"\n'
    notebook.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    config = tmp_path / "set.yaml"
    entries = [{"name": "x", "notebook": str(notebook), "parameters": {"label": "b"}}]
    config.write_text(yaml.safe_dump({"data": str(DATA), "reports": entries}), encoding="utf-8")
    (report,) = reportset.expand_report_set(reportset.read_report_set(config), []).reports
    assert report.parameters["label"] == "b"
