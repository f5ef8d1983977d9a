"""The benchmark's building blocks (``scripts/bench.py``, run by ``make bench``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
_SPEC = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench"] = bench  # dataclasses look their module up by name
_SPEC.loader.exec_module(bench)


def test_bench_runs_stock_clis_with_raw_parameters(tmp_path: Path) -> None:
    report = bench.BenchReport("plan-2", FIXTURES / "ok.py", {"plan_id": "2", "data_dir": "/d"})
    commands = bench.stock_commands(
        [report], {str(report.notebook): tmp_path / "ok.ipynb"}, Path("/venv/bin"), tmp_path
    )
    papermill, nbconvert = commands
    assert papermill[:3] == [
        "/venv/bin/papermill",
        str(tmp_path / "ok.ipynb"),
        str(tmp_path / "plan-2.ipynb"),
    ]
    assert papermill[3:] == ["-r", "plan_id", "2", "-r", "data_dir", "/d", "--no-progress-bar"]
    assert nbconvert == [
        "/venv/bin/jupyter",
        "nbconvert",
        "--to",
        "html",
        "--no-input",
        str(tmp_path / "plan-2.ipynb"),
    ]


def test_bench_table_compares_each_build_with_each_stock_run() -> None:
    rows = [
        bench.Measurement("batch of 50", "stock CLIs", ".venv", 50, 400.0, 160.0),
        bench.Measurement("batch of 50", "stock CLIs", ".venv-lab", 50, 1000.0, 180.0),
        bench.Measurement("batch of 50", "plan-report build --jobs 2", ".venv", 50, 50.0, 150.0),
    ]
    lines = bench.markdown_table(rows).splitlines()
    assert lines[0].startswith("| report set | command |")
    assert lines[-1] == (
        "| batch of 50 | plan-report build --jobs 2 | .venv | 50 | 50.0 | 1.00 | 150 "
        "| 8.0x | 20.0x |"
    )
    assert lines[2].endswith("| 8.00 | 160 |  |  |")


def test_bench_measures_time_and_memory_of_child_processes(tmp_path: Path) -> None:
    allocate = "x = bytearray(64 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"
    seconds, peak_mb = bench.run_and_measure([[sys.executable, "-c", allocate]], tmp_path)
    assert seconds > 0
    assert peak_mb >= 64
