"""Report kernels: forked from the preloaded zygote through the kernel provisioner, never from a
process with other threads; workers likewise come from a single-threaded forkserver."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from set_kit import write_set

from helpers import cli
from helpers.build import driver, kernels, runner

MODULES = Path(__file__).resolve().parent / "fixtures" / "modules"


def build(config: Path, reports: Path, *extra: str) -> int:
    args = ["build", "--config", str(config), "--reports-dir", str(reports), "--no-pdf"]
    return cli.main([*args, *extra])


def test_kernels_are_forked_by_the_zygote_through_the_provisioner(tmp_path: Path) -> None:
    config = write_set(tmp_path, [{"name": "parent", "notebook": "parent.py"}])
    assert build(config, tmp_path / "preloaded") == 0
    page = (tmp_path / "preloaded" / "parent.html").read_text(encoding="utf-8")
    assert "-m helpers.build.zygote" in page  # the kernel's parent process is the zygote

    assert build(config, tmp_path / "plain", "--no-preload") == 0
    page = (tmp_path / "plain" / "parent.html").read_text(encoding="utf-8")
    assert "helpers.build.zygote" not in page and "-m helpers.build.launch" not in page


def test_the_zygote_never_forks_with_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(MODULES))
    config = write_set(
        tmp_path,
        [
            {"name": "threads", "notebook": "threads.py"},
            {"name": "parent", "notebook": "parent.py"},
        ],
    )
    assert build(config, tmp_path / "reports") == 0
    assert "kernel zygote disabled (2 threads after preloading)" in capfd.readouterr().out
    page = (tmp_path / "reports" / "parent.html").read_text(encoding="utf-8")
    assert "helpers.build.zygote" not in page  # kernels were started the ordinary way
    assert "threads started: True" in (tmp_path / "reports" / "threads.html").read_text("utf-8")


def test_workers_come_from_a_single_threaded_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runners: list[runner.TaskRunner] = []

    class Recording(runner.TaskRunner):
        def __enter__(self) -> runner.TaskRunner:
            runners.append(self)
            return super().__enter__()

    monkeypatch.setattr(driver, "TaskRunner", Recording)
    config = write_set(tmp_path, [{"name": f"r{n}", "notebook": "ok.py"} for n in range(3)])
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait)  # the driver has threads of its own
    busy.start()
    try:
        assert kernels.thread_count() > 1
        assert build(config, tmp_path / "reports", "--jobs", "2") == 0
    finally:
        stop.set()
        busy.join()
    assert [r.jobs for r in runners] == [2]
    assert runners[0].fork_threads == [1, 1]
