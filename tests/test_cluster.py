"""The build on a Dask cluster (``plan-report build --scheduler``): a LocalCluster of two worker
processes on this machine runs the report tasks; the driver keeps the checks and publishes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import set_kit
from set_kit import write_set

from helpers import cli
from helpers.build import release

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes (as the README says to run them)."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def files_of(folder: Path) -> dict[str, bytes]:
    return set_kit.files_of(folder, leave_out={"manifest.json"})


REPORTS = [
    {"name": "plan-{plan_id}", "notebook": "ok.py", "for_each": "plan"},
    {"name": "parent", "notebook": "parent.py"},
    *({"name": f"state-{m}", "notebook": "state.py", "parameters": {"mark": m}} for m in "ab"),
]


def test_the_cluster_builds_the_same_set_as_local_workers(
    cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(tmp_path, REPORTS)
    common = ["build", "--config", str(config), "--no-pdf"]
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert cli.main([*common, "--reports-dir", str(local)]) == 0
    capsys.readouterr()
    code = cli.main(
        [*common, "--reports-dir", str(remote), "--scheduler", cluster.scheduler_address]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "5 built, 0 unchanged, 0 failed" in out
    page = (remote / "parent.html").read_text(encoding="utf-8")
    assert "-m helpers.build.zygote" in page  # kernels forked by the zygote on each worker
    local_files, remote_files = files_of(local), files_of(remote)
    local_files.pop("parent.html")
    remote_files.pop("parent.html")
    assert remote_files == local_files  # the same bytes, whoever built them

    worker_pids = {str(nanny.pid) for nanny in cluster.workers.values()}
    ran_on = set(re.findall(r"\.html on [^:]+:(\d+) ", out))
    assert ran_on and ran_on <= worker_pids  # every report ran in a cluster worker process
    assert str(os.getpid()) not in ran_on

    # unchanged: the driver skips without asking the cluster
    code = cli.main([*common, "--reports-dir", str(remote), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 0
    assert "skipped (unchanged)" in capsys.readouterr().out


def test_a_failure_on_the_cluster_publishes_nothing(
    cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_set(tmp_path, [{"name": "summary", "notebook": "ok.py"}])
    reports = tmp_path / "reports"
    args = ["build", "--config", str(good), "--no-pdf", "--reports-dir", str(reports)]
    assert cli.main([*args, "--scheduler", cluster.scheduler_address]) == 0
    before = files_of(reports)
    write_set(tmp_path, [{"name": "summary", "notebook": "fail.py"}])
    code = cli.main([*args, "--scheduler", cluster.scheduler_address])
    err = capsys.readouterr().err
    assert code == 1
    assert "ValueError: fixture failure after 19 items" in err
    assert files_of(reports) == before
    kept = release.Places(reports).failed / "summary.ipynb"
    assert kept.is_file() and "ValueError" in kept.read_text(encoding="utf-8")


def test_an_unreachable_scheduler_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.build import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 3.0)
    config = write_set(tmp_path, [{"name": "summary", "notebook": "ok.py"}])
    args = ["build", "--config", str(config), "--no-pdf", "--reports-dir", str(tmp_path / "r")]
    code = cli.main([*args, "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
