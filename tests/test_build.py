"""Behaviour of ``plan-report build``: safe for a scheduled job, incremental, and complete.

Every test builds into a ``tmp_path`` copy (``--config`` / ``--reports-dir``): the repository's
``reports/`` is never touched. Tiny fixture notebooks (tests/fixtures/notebooks) keep most
tests quick; one test builds the real bundled report set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
import yaml

import helpers
from helpers import build, cli
from helpers.build import driver, kernels, release
from helpers.build import manifest as mf
from helpers.data import writing
from helpers.data.limits import MAX_NOTEBOOK_BYTES

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
DATA = ROOT / "data" / "higashiyamato"


# --- helpers ---------------------------------------------------------------------------------


def write_set(folder: Path, reports: list[dict[str, Any]], data: Path) -> Path:
    """Write a report set file with absolute paths into ``folder``."""
    config = folder / "set.yaml"
    entries = []
    for entry in reports:
        entry = dict(entry)
        entry["notebook"] = str(FIXTURES / entry["notebook"])
        entries.append(entry)
    text = yaml.safe_dump({"data": str(data), "reports": entries}, allow_unicode=True)
    config.write_text(text, encoding="utf-8")
    return config


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes): the build's machinery (lock, work
    files, failed notebooks, releases) lives beside the published folder, never in it."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def top_level_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def start_build(config: Path, reports: Path, tag: str, *extra: str) -> subprocess.Popen[str]:
    """``python -m helpers build`` in a subprocess; ``tag`` marks it and its kernels' env."""
    env = {**os.environ, "PLAN_REPORT_TEST_TAG": tag}
    command = [sys.executable, "-m", "helpers", "build", "--config", str(config)]
    command += ["--reports-dir", str(reports), "--no-pdf", *extra]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def tagged_processes(tag: str) -> list[psutil.Process]:
    """Processes whose environment carries ``tag`` (the build, its workers and kernels)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PLAN_REPORT_TEST_TAG") == tag:
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    """A private copy of the bundled data and an empty reports folder."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    return {"root": tmp_path, "data": data, "reports": tmp_path / "reports"}


OK_PLANS = {
    "name": "ok-{plan_id}",
    "notebook": "ok.py",
    "for_each": "plan",
    "title": "{plan_name}",
    "parameters": {"label": "{plan_name}"},
}


def build_args(config: Path, reports: Path, *extra: str) -> list[str]:
    return ["build", "--config", str(config), "--reports-dir", str(reports), "--no-pdf", *extra]


# --- invalid data ----------------------------------------------------------------------------


def test_invalid_data_fails_before_any_notebook_runs(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(project["root"], [OK_PLANS], project["data"])
    code, _, _ = run_cli(build_args(config, project["reports"]), capsys)
    assert code == 0
    before = snapshot(project["reports"])

    marker = project["root"] / "marker"
    sleeper = {
        "name": "sleeper",
        "notebook": "sleep.py",
        "parameters": {"seconds": 0, "marker": str(marker)},
    }
    config = write_set(project["root"], [OK_PLANS, sleeper], project["data"])
    statuses = project["data"] / "statuses.csv"
    statuses.write_text(
        statuses.read_text(encoding="utf-8").replace("一部達成", "部分達成", 1), encoding="utf-8"
    )
    code, out, err = run_cli(build_args(config, project["reports"], "--force"), capsys)

    assert code == build.ExitCode.INVALID == 2
    assert "statuses.csv" in err and "部分達成" in err  # the validator's problem table
    assert "no report was run" in out
    assert not marker.exists()
    assert snapshot(project["reports"]) == before


# --- a failing report ------------------------------------------------------------------------


def test_failing_report_keeps_previous_outputs_and_names_the_cell(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = {"name": "summary", "notebook": "ok.py", "output": "summary"}
    config = write_set(project["root"], [OK_PLANS, good], project["data"])
    assert run_cli(build_args(config, project["reports"]), capsys)[0] == 0
    before = snapshot(project["reports"])
    assert "summary.html" in before and "data/achievement.csv" in before

    bad = {"name": "summary", "notebook": "fail.py", "output": "summary"}
    config = write_set(project["root"], [OK_PLANS, bad], project["data"])
    code, _, err = run_cli(build_args(config, project["reports"]), capsys)

    assert code == build.ExitCode.REPORT_FAILED == 1
    assert "report summary failed" in err
    assert "cell 4 (In [4])" in err
    assert 'raise ValueError(f"fixture failure after {total} items")' in err
    assert "ValueError: fixture failure after 19 items" in err
    places = release.Places(project["reports"])
    kept = places.failed / "summary.ipynb"
    assert str(kept) in err
    notebook = nbformat.read(kept, as_version=4)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"

    # nothing is published: the set stays whole, manifest included
    assert snapshot(project["reports"]) == before
    manifest = mf.read_manifest(places.last_run)
    assert manifest is not None
    record = manifest.record("summary")
    assert record is not None and record.outcome == "failed"
    assert record.error is not None and "ValueError" in record.error
    previous = mf.manifest_from_dict(json.loads(before[mf.MANIFEST_FILE]))
    previous_record = previous.record("summary")
    assert previous_record is not None
    assert record.outputs == previous_record.outputs  # still the published files
    assert record.input_hash == previous_record.input_hash

    config = write_set(project["root"], [OK_PLANS, good], project["data"])
    assert run_cli(build_args(config, project["reports"]), capsys)[0] == 0
    assert not kept.exists()  # a good build clears the failure


def test_cell_timeout_fails_the_report(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    slow = {"name": "slow", "notebook": "sleep.py", "parameters": {"seconds": 30}}
    config = write_set(project["root"], [slow], project["data"])
    code, _, err = run_cli(build_args(config, project["reports"], "--timeout", "1"), capsys)
    assert code == 1
    assert "report slow failed: cell" in err
    assert "`import time`" in err  # the first line of the cell that timed out
    assert "CellTimeoutError" in err
    assert not (project["reports"] / "slow.html").exists()


# --- interruption, kill and lock -------------------------------------------------------------


def test_kill_in_the_middle_leaves_previous_reports_intact(project: dict[str, Path]) -> None:
    config = write_set(project["root"], [OK_PLANS], project["data"])
    assert cli.main(build_args(config, project["reports"])) == 0
    before = snapshot(project["reports"])
    before_top = top_level_files(project["reports"])

    marker = project["root"] / "started"
    slow = {
        "name": "ok-2",
        "notebook": "sleep.py",
        "output": "ok-2",
        "parameters": {"seconds": 120, "marker": str(marker)},
    }
    config = write_set(project["root"], [slow], project["data"])
    tag = uuid.uuid4().hex
    process = start_build(config, project["reports"], tag)
    try:
        wait_for(marker.exists, 120, "the slow cell to start")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()

    assert process.returncode == -signal.SIGKILL
    assert snapshot(project["reports"]) == before
    assert top_level_files(project["reports"]) == before_top
    wait_for(lambda: not tagged_processes(tag), 30, "orphaned kernels to exit")

    # The lock died with the build: the next build runs and cleans the work files left behind.
    config = write_set(project["root"], [OK_PLANS], project["data"])
    assert cli.main(build_args(config, project["reports"])) == 0
    assert not release.Places(project["reports"]).work.exists()


def test_second_build_exits_3_and_sigterm_interrupts_the_first(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(project["root"], [OK_PLANS], project["data"])
    assert run_cli(build_args(config, project["reports"]), capsys)[0] == 0
    before = snapshot(project["reports"])

    marker = project["root"] / "started"
    slow = {
        "name": "ok-1",
        "notebook": "sleep.py",
        "output": "ok-1",
        "parameters": {"seconds": 120, "marker": str(marker)},
    }
    slow_config = write_set(project["root"], [slow], project["data"])
    tag = uuid.uuid4().hex
    process = start_build(slow_config, project["reports"], tag)
    try:
        wait_for(marker.exists, 120, "the slow cell to start")
        code, _, err = run_cli(build_args(config, project["reports"]), capsys)
        assert code == build.ExitCode.LOCKED == 3
        assert f"another build (pid {process.pid}) holds" in err

        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == build.ExitCode.INTERRUPTED == 130
    assert "interrupted" in stderr
    assert snapshot(project["reports"]) == before
    assert not release.Places(project["reports"]).work.exists()
    wait_for(lambda: not tagged_processes(tag), 30, "kernels to exit")


# --- incremental builds ----------------------------------------------------------------------


def test_unchanged_rebuild_skips_force_rebuilds_and_only_selects(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(project["root"], [OK_PLANS], project["data"])
    reports = project["reports"]
    assert run_cli(build_args(config, reports), capsys)[0] == 0
    first = snapshot(reports)
    mtimes = {p: (reports / p).stat().st_mtime_ns for p in ("ok-1.html", "ok-2.html")}

    code, out, _ = run_cli(build_args(config, reports), capsys)
    assert code == 0
    assert out.count("skipped (unchanged)") == 3  # two reports and the open data
    assert "building" not in out
    assert {p: (reports / p).stat().st_mtime_ns for p in mtimes} == mtimes

    code, out, _ = run_cli(build_args(config, reports, "--force", "--only", "ok-2"), capsys)
    assert code == 0
    assert "building ok-2" in out and "building ok-1" not in out
    assert (reports / "ok-1.html").stat().st_mtime_ns == mtimes["ok-1.html"]
    assert (reports / "ok-2.html").stat().st_mtime_ns != mtimes["ok-2.html"]
    assert snapshot(reports)["ok-2.html"] == first["ok-2.html"]  # deterministic HTML

    (reports / "ok-1.html").write_text("tampered", encoding="utf-8")
    code, out, _ = run_cli(build_args(config, reports), capsys)
    assert code == 0
    assert "building ok-1" in out and "building ok-2" not in out
    assert (reports / "ok-1.html").read_bytes() == first["ok-1.html"]

    data_file = project["data"] / "reported.csv"
    data_file.write_bytes(data_file.read_bytes() + b"\n")  # any change of the data's bytes
    code, out, _ = run_cli(build_args(config, reports), capsys)
    assert "building ok-1" in out and "building ok-2" in out

    code, _, err = run_cli(build_args(config, reports, "--only", "nope"), capsys)
    assert code == 2 and "no report named nope" in err


def test_the_build_runs_the_notebook_text_the_set_was_checked_with(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build reads each notebook once, within its limit: a file swapped in after the set
    was checked (larger than the limit, showing other text) is never read, the checked text
    runs."""
    notebook = project["root"] / "ok.py"
    shutil.copyfile(FIXTURES / "ok.py", notebook)
    config = project["root"] / "set.yaml"
    entries = [{"name": "x", "notebook": str(notebook)}]
    text = yaml.safe_dump({"data": str(project["data"]), "reports": entries}, allow_unicode=True)
    config.write_text(text, encoding="utf-8")
    swapped = notebook.read_text(encoding="utf-8").replace('"見本"', '"差し替え"')
    assert swapped != notebook.read_text(encoding="utf-8")
    real_select = driver.select_reports

    def select_then_swap(*args: Any) -> Any:
        selected = real_select(*args)
        notebook.write_text(swapped + "#" * MAX_NOTEBOOK_BYTES, encoding="utf-8")
        return selected

    monkeypatch.setattr(driver, "select_reports", select_then_swap)
    code, out, err = run_cli(build_args(config, project["reports"]), capsys)
    assert code == build.ExitCode.OK, out + err
    page = (project["reports"] / "x.html").read_text(encoding="utf-8")
    assert "見本" in page and "差し替え" not in page


def test_jobs_2_with_preloaded_kernels_builds_the_same_bytes_as_plain_kernels(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    extra = {"name": "plain", "notebook": "ok.py"}
    config = write_set(project["root"], [OK_PLANS, extra], project["data"])
    serial, parallel = project["root"] / "serial", project["root"] / "parallel"
    assert run_cli(build_args(config, serial, "--no-preload"), capsys)[0] == 0
    code, out, _ = run_cli(build_args(config, parallel, "--jobs", "2"), capsys)
    assert code == 0
    assert out.count("built ok-") == 2 and out.count("built plain.html") == 1
    drop = {mf.MANIFEST_FILE}
    assert {k: v for k, v in snapshot(serial).items() if k not in drop} == {
        k: v for k, v in snapshot(parallel).items() if k not in drop
    }


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_reports_share_no_kernel_state(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    reports = [
        {"name": f"state-{mark}", "notebook": "state.py", "parameters": {"mark": mark}}
        for mark in "abcd"
    ]
    config = write_set(project["root"], reports, project["data"])
    code, out, err = run_cli(build_args(config, project["reports"], "--jobs", jobs), capsys)
    assert code == 0, err
    assert out.count("built state-") == 4


def test_notebook_imports_are_what_the_zygote_preloads() -> None:
    text = (FIXTURES / "state.py").read_text(encoding="utf-8")
    assert kernels.notebook_imports(text) == [
        "IPython.display",
        "IPython.display.Markdown",
        "IPython.display.display",
        "json",
        "os",
        "sys",
    ]


def test_manifest_records_every_report(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(project["root"], [OK_PLANS], project["data"])
    reports = project["reports"]
    assert run_cli(build_args(config, reports), capsys)[0] == 0
    data = json.loads((reports / mf.MANIFEST_FILE).read_text(encoding="utf-8"))

    assert data["package_version"] == helpers.__version__
    assert [r["name"] for r in data["reports"]] == ["ok-1", "ok-2"]
    record = data["reports"][1]
    assert record["notebook"] == str(FIXTURES / "ok.py")
    assert record["parameters"] == {
        "data_dir": str(project["data"]),
        "label": "第二次東大和市情報化推進計画",
    }
    assert len(record["input_hash"]) == 64
    assert record["outcome"] == "built" and record["error"] is None
    phases = {k for k in record["timings"] if not k.startswith("cell ")}
    assert phases == {"kernel", "cells", "shutdown", "export", "charts"}
    cells = [k for k in record["timings"] if k.startswith("cell ")]
    # the fixture's parameters (1), the parameters papermill injects (2) and its code cell (3)
    assert cells == ["cell 1", "cell 2", "cell 3"]
    assert all(v >= 0 for v in record["timings"].values())
    assert [o["path"] for o in record["outputs"]] == ["ok-2.html"]
    assert record["outputs"][0]["sha256"] == mf.file_sha256(reports / "ok-2.html")
    assert sorted(o["path"] for o in data["open_data"]) == [
        "data/achievement.csv",
        "data/columns.csv",
        "data/events.csv",
        "data/items.csv",
    ]
    assert "time" not in json.dumps(data).replace("timings", "")  # no wall-clock stamps

    assert data["report_set"] == "set.yaml"  # the set's file, relative to its project

    assert run_cli(build_args(config, reports), capsys)[0] == 0
    assert json.loads((reports / mf.MANIFEST_FILE).read_text(encoding="utf-8")) == data
    again = json.loads(release.Places(reports).last_run.read_text(encoding="utf-8"))
    assert [r["outcome"] for r in again["reports"]] == ["skipped", "skipped"]
    assert again["reports"][1]["outputs"] == record["outputs"]


@pytest.mark.browser
def test_pdf_is_printed_and_published_with_the_html(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path("/usr/bin/chromium").exists() and "PLAN_REPORT_CHROMIUM" not in os.environ:
        pytest.fail("Chromium is needed to print PDFs: run `make system-deps`")
    config = write_set(project["root"], [{"name": "plain", "notebook": "ok.py"}], project["data"])
    args = ["build", "--config", str(config), "--reports-dir", str(project["reports"])]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    pdf = project["reports"] / "plain.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert oct(pdf.stat().st_mode & 0o777) == oct(writing.default_file_mode())
    assert "pdf " in out  # the timing of the PDF step is reported

    code, out, _ = run_cli(build_args(config, project["reports"], "--force"), capsys)
    assert code == 0
    assert not pdf.exists()  # a PDF older than its HTML is not left behind


# --- the real report set ---------------------------------------------------------------------


@pytest.mark.slow
def test_bundled_report_set_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "reports"
    args = ["build", "--reports-dir", str(reports), "--no-pdf", "--jobs", "2"]
    args += ["--config", str(ROOT / "notebooks" / "reports.yaml")]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    names = {"plan-1.html", "plan-2.html", "timeline.html", "index.html"}
    assert names <= top_level_files(reports)
    for name in names:
        page = (reports / name).read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and 'lang="ja"' in page
    assert (reports / "data" / "achievement.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "4 built" in out
    # --no-pdf: the index links to no PDF, since none is published
    assert '.pdf"' not in (reports / "index.html").read_text(encoding="utf-8")
    assert not list(reports.glob("*.pdf"))


def test_every_page_names_the_set_by_the_citys_title(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The set's title is one thing from one source (city.yaml's publication.title): pages'
    <title> and printed running header used the report set's title_prefix while the index
    heading and the accessibility statement said the city's title; a title_prefix that differs
    is now named in a warning and not used."""
    city_yaml = project["data"] / "city.yaml"
    config_text = city_yaml.read_text(encoding="utf-8")
    line = "  title: 東大和市 情報化推進計画の評価"
    assert line in config_text
    city_yaml.write_text(config_text.replace(line, "  title: 東大和市(例) 評価の題", 1), "utf-8")
    index = {"name": "index", "notebook": str(ROOT / "notebooks" / "index.py"), "title": "一覧"}
    config = write_set(project["root"], [OK_PLANS], project["data"])
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["title_prefix"] = "別の題"
    raw["reports"].append(index)
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    code, out, err = run_cli(build_args(config, project["reports"]), capsys)
    assert code == 0, err
    assert "title_prefix「別の題」は使いません" in out + err
    assert "publication.title「東大和市(例) 評価の題」" in out + err
    title = "東大和市（例） 評価の題"  # as readers see it
    pages = sorted(project["reports"].glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "ok-1.html", "ok-2.html"}
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert re.search(r"<title>[^<]* \| " + re.escape(title) + "</title>", page), path.name
        assert re.search(r'@top-left \{ content: "[^"]* \| ' + re.escape(title) + '"', page)
        assert "別の題" not in page
    index_page = (project["reports"] / "index.html").read_text(encoding="utf-8")
    assert f'<h1 class="report-title">{title}</h1>' in index_page
