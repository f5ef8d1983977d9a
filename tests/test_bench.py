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
_DATA_SPEC = importlib.util.spec_from_file_location(
    "bench_data", ROOT / "scripts" / "bench_data.py"
)
assert _DATA_SPEC is not None and _DATA_SPEC.loader is not None
bench_data = importlib.util.module_from_spec(_DATA_SPEC)
_DATA_SPEC.loader.exec_module(bench_data)


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
        bench.Measurement("batch of 50", "stock CLIs", ".venv", 50, 400.0, 160.0, 170.0),
        bench.Measurement("batch of 50", "stock CLIs", ".venv-lab", 50, 1000.0, 180.0),
        bench.Measurement("batch of 50", "build --jobs 2", ".venv", 50, 50.0, 150.0, 600.0),
    ]
    lines = bench.markdown_table(rows).splitlines()
    assert lines[0].startswith("| report set | command |")
    assert lines[-1] == (
        "| batch of 50 | build --jobs 2 | .venv | 50 | 50.0 | 1.00 | 150 | 600 | 8.0x | 20.0x |"
    )
    assert lines[2].endswith("| 8.00 | 160 | 170 |  |  |")


def test_bench_profile_sums_the_phases_of_the_built_reports() -> None:
    built = {"outcome": "built", "timings": {"kernel": 0.25, "cells": 1.0, "export": 2.0}}
    skipped = {"outcome": "skipped", "timings": {"kernel": 9.0}}
    state = {"reports": [built, built, skipped], "build_timings": {"publish": 0.5, "total": 3.0}}
    table = bench.phase_table([("batch: build", state)])
    assert table.splitlines()[-1] == (
        "| batch: build | 2 | 0.5 (0.25) | 2.0 (1.00) | 0.0 (0.00) | 4.0 (2.00) "
        "| 0.0 (0.00) | 0.0 (0.00) | 0.50 | 3.0 |"
    )


def test_bench_data_is_a_valid_city_whose_plans_differ(tmp_path: Path) -> None:
    from helpers.data.city import inspect_folder

    folder = bench_data.write_city(tmp_path / "city", plans=6, items=(5, 12))
    inspection = inspect_folder(folder)
    assert not [p for p in inspection.problems if p.severity == "error"]
    city = inspection.city
    assert city is not None and len(city.plans) == 6
    per_plan = city.items.groupby("plan_id").size()
    assert per_plan.between(5, 12).all() and per_plan.nunique() > 1
    again = bench_data.write_city(tmp_path / "again", plans=6, items=(5, 12))
    assert (again / "items.csv").read_bytes() == (folder / "items.csv").read_bytes()  # seeded


def test_bench_measures_time_and_memory_of_child_processes(tmp_path: Path) -> None:
    allocate = "x = bytearray(64 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"
    run = bench.run_and_measure([[sys.executable, "-c", allocate]], tmp_path)
    assert run.seconds > 0
    assert run.peak_mb >= 64
