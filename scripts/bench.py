"""``python scripts/bench.py`` (``make bench``): where the time goes; the build vs the stock CLIs.

In one run on one machine it measures, each in a child process of its own:

* the stock CLIs, report by report: ``papermill in.ipynb out.ipynb -r ...`` then
  ``jupyter nbconvert --to html --no-input out.ipynb`` (build venv ``.venv``; with ``--lab`` also
  the analyst venv ``.venv-lab``);
* ``plan-report build --force`` on the bundled set and on a batch of plan reports whose data is
  generated (``scripts/bench_data.py``: every plan different, so no cache flatters a result):
  ``--jobs 2`` HTML, ``--jobs 2 --no-preload`` (does the preloading zygote pay?), the same tasks
  on a Dask ``LocalCluster`` of two workers (``--scheduler``), and ``--jobs 2`` with PDFs; every
  build starts with an empty chart cache;
* a plan of ``--items`` generated items: a cold build and an unchanged rebuild (with item pages
  once the report set supports ``for_each: item`` and ``notebooks/item_report.py`` exists).

It prints a Markdown table (seconds, seconds per report, peak memory of the largest process and
of all processes together, ratios against the stock CLIs of the same run) and the per-phase
profile that each build records (kernel start, cells, kernel shutdown, export, chart drawing, PDF,
publishing): summed over the batch and for one report cell by cell. The text is also written to
``--out`` (default ``build/bench.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BATCH = 50
DEFAULT_ITEMS = 200
LAB_VENV = ".venv-lab"
LAB_INSTALL = ("-c", "constraints.txt", "-e", ".[lab]")


@dataclass(frozen=True)
class Measurement:
    """One timed run: what ran, where, for how many reports, how long, peak memory."""

    report_set: str
    command: str
    environment: str
    reports: int
    seconds: float
    peak_rss_mb: float
    total_rss_mb: float = 0.0

    @property
    def per_report(self) -> float:
        """Seconds per report."""
        return self.seconds / self.reports


@dataclass(frozen=True)
class BenchReport:
    """A report of a set, as the stock CLIs run it."""

    name: str
    notebook: Path
    parameters: dict[str, str]


# --- running commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Seconds, peak RSS of the largest process and of all processes at once (MB)."""

    seconds: float
    peak_mb: float
    total_mb: float


def run_and_measure(
    commands: Sequence[Sequence[str]], cwd: Path, env: dict[str, str] | None = None
) -> Run:
    """Run ``commands`` one after the other in a fresh child process and measure them.

    The child times the commands, reads ``RUSAGE_CHILDREN`` (the largest process they started
    and waited for) and samples the resident memory of its whole process tree every 0.1 s.
    """
    payload = json.dumps({"commands": [list(c) for c in commands], "cwd": str(cwd)})
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure-child"],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark command failed:\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return Run(float(data["seconds"]), data["peak_rss_kb"] / 1024, data["total_rss_kb"] / 1024)


def _tree_rss_kb() -> float:
    import psutil

    me = psutil.Process()
    total = 0
    for process in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total / 1024


def _measure_child() -> int:
    """Body of the measuring child: read commands from stdin, run them, print JSON."""
    request = json.loads(sys.stdin.read())
    peak_total = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak_total[0] = max(peak_total[0], _tree_rss_kb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    for command in request["commands"]:
        result = subprocess.run(
            command, cwd=request["cwd"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            print(" ".join(command), file=sys.stderr)
            print(result.stdout[-2000:], result.stderr[-4000:], file=sys.stderr)
            return 1
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_kb": peak, "total_rss_kb": peak_total[0]}))
    return 0


# --- report sets -----------------------------------------------------------------------------


def bench_reports(config: Path) -> list[BenchReport]:
    """The reports of a set with the parameters the build would give them."""
    from helpers.publish.reportset import load_report_set

    report_set = load_report_set(config)
    return [
        BenchReport(r.name, r.notebook, {k: str(v) for k, v in r.parameters.items()})
        for r in report_set.reports
    ]


def write_set(folder: Path, name: str, data: Path, entries: list[dict[str, Any]]) -> Path:
    """A report set file ``<name>.yaml`` in ``folder`` (absolute paths)."""
    import yaml

    config = folder / f"{name}.yaml"
    text = {"data": str(data), "title_prefix": "ベンチ市 (架空)", "reports": entries}
    config.write_text(yaml.safe_dump(text, allow_unicode=True), encoding="utf-8")
    return config


def plan_entry(root: Path) -> dict[str, Any]:
    """One plan report per plan of the data (``for_each: plan``)."""
    return {
        "name": "plan-{plan_id}",
        "notebook": str(root / "notebooks" / "plan_report.py"),
        "for_each": "plan",
        "title": "{plan_name} 評価報告書",
        "parameters": {"plan_id": "{plan_id}"},
    }


def item_entry(root: Path) -> dict[str, Any] | None:
    """One page per item (``for_each: item``), when the report set and the notebook exist.

    Placeholders and parameters are taken from the report set itself, so the harness follows
    whatever the item pages declare.
    """
    from helpers.publish import reportset

    notebook = root / "notebooks" / "item_report.py"
    placeholders = reportset.PLACEHOLDERS.get("item")
    if placeholders is None or not notebook.is_file():
        return None
    declared = reportset.notebook_parameters(notebook.read_text(encoding="utf-8"), str(notebook))
    keys = [p for p in placeholders if not p.endswith("name")]
    stem = "item-" + "-".join(f"{{{p}}}" for p in keys)
    return {
        "name": stem,
        "notebook": str(notebook),
        "for_each": "item",
        "output": stem,
        "parameters": {p: f"{{{p}}}" for p in placeholders if p in declared},
    }


def write_ipynb_inputs(reports: Sequence[BenchReport], folder: Path) -> dict[str, Path]:
    """The ``.ipynb`` of each distinct notebook (what the stock CLIs read); untimed."""
    import jupytext

    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for report in reports:
        key = str(report.notebook)
        if key not in paths:
            path = folder / f"{report.notebook.stem}.ipynb"
            jupytext.write(jupytext.read(report.notebook), path)
            paths[key] = path
    return paths


def stock_commands(
    reports: Sequence[BenchReport], inputs: dict[str, Path], bin_dir: Path, out: Path
) -> list[list[str]]:
    """papermill then ``jupyter nbconvert --to html --no-input`` for every report.

    Parameters go with ``-r`` (raw strings): ``-p plan_id 2`` would pass the integer 2.
    """
    out.mkdir(parents=True, exist_ok=True)
    commands: list[list[str]] = []
    for report in reports:
        executed = out / f"{report.name}.ipynb"
        papermill = [str(bin_dir / "papermill"), str(inputs[str(report.notebook)]), str(executed)]
        for key, value in report.parameters.items():
            papermill += ["-r", key, value]
        commands.append([*papermill, "--no-progress-bar"])
        commands.append(
            [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)]
        )
    return commands


def build_command(config: Path, reports_dir: Path, *options: str) -> list[str]:
    """``plan-report build --force`` with this interpreter and ``options``."""
    return [
        sys.executable,
        "-m",
        "helpers",
        "build",
        "--config",
        str(config),
        "--reports-dir",
        str(reports_dir),
        *options,
    ]


def ensure_lab_venv(root: Path) -> Path | None:
    """``.venv-lab/bin`` (created like ``make lab`` does when missing); None if that fails."""
    venv = root / LAB_VENV
    bin_dir = venv / "bin"
    if (bin_dir / "papermill").exists() and (bin_dir / "jupyter-lab").exists():
        return bin_dir
    print(f"creating {venv} (python -m venv + pip install -c constraints.txt -e .[lab]) …")
    base = shutil.which("python3") or sys.executable
    steps = [
        [base, "-m", "venv", str(venv)],
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *LAB_INSTALL],
    ]
    for step in steps:
        if subprocess.run(step, cwd=root, check=False).returncode != 0:
            print(f"could not create {venv}: the lab column is left out", file=sys.stderr)
            return None
    return bin_dir


# --- the table -------------------------------------------------------------------------------


def speedup(baseline: Measurement | None, run: Measurement) -> str:
    """``baseline.seconds / run.seconds`` as ``6.1x``, or ``-``."""
    if baseline is None or baseline.reports != run.reports:
        return "-"
    return f"{baseline.seconds / run.seconds:.1f}x"


def markdown_table(rows: Sequence[Measurement]) -> str:
    """The results as a Markdown table, speed-ups against the stock runs of the same set."""
    header = (
        "| report set | command | environment | reports | seconds | s/report "
        "| peak RSS (MB) | all processes (MB) | vs stock .venv | vs stock .venv-lab |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for row in rows:
        stock = {
            r.environment: r
            for r in rows
            if r.report_set == row.report_set and r.command == "stock CLIs"
        }
        is_build = row.command != "stock CLIs"
        versus_build = speedup(stock.get(".venv"), row) if is_build else ""
        versus_lab = speedup(stock.get(LAB_VENV), row) if is_build else ""
        total = f"{row.total_rss_mb:.0f}" if row.total_rss_mb else ""
        lines.append(
            f"| {row.report_set} | {row.command} | {row.environment} | {row.reports} "
            f"| {row.seconds:.1f} | {row.per_report:.2f} | {row.peak_rss_mb:.0f} | {total} "
            f"| {versus_build} | {versus_lab} |"
        )
    return "\n".join(lines)


PHASE_ORDER = ("kernel", "cells", "shutdown", "export", "charts", "pdf")


def phase_table(profiles: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """Per build: seconds per phase summed over its reports (core-seconds), and per report."""
    lines = [
        "| build | reports | " + " | ".join(PHASE_ORDER) + " | publish | wall |",
        "|---|---:|" + "---:|" * (len(PHASE_ORDER) + 2),
    ]
    for label, last_run in profiles:
        records = [r for r in last_run["reports"] if r["outcome"] == "built"]
        if not records:
            continue
        sums = {p: sum(r["timings"].get(p, 0.0) for r in records) for p in PHASE_ORDER}
        build = last_run.get("build_timings", {})
        cells = " | ".join(f"{sums[p]:.1f} ({sums[p] / len(records):.2f})" for p in PHASE_ORDER)
        lines.append(
            f"| {label} | {len(records)} | {cells} | {build.get('publish', 0.0):.2f} "
            f"| {build.get('total', 0.0):.1f} |"
        )
    return "\n".join(lines)


def cell_table(record: dict[str, Any], notebook: Path) -> str:
    """One report's timings, cell by cell, with each cell's first line."""
    import jupytext

    cells = jupytext.read(notebook).cells
    lines = ["| step | seconds |", "|---|---:|"]
    timings = record["timings"]
    for phase in ("kernel",):
        lines.append(f"| kernel start (until ready) | {timings.get(phase, 0):.3f} |")
    parameters = next(
        (n for n, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), -1
    )
    for key, value in timings.items():
        if key.startswith("cell "):
            index = int(key.split()[1])  # in the executed notebook: papermill injected a cell
            if index == parameters + 1:
                lines.append(f"| cell {index}: (parameters injected by papermill) | {value:.3f} |")
                continue
            source_index = index - 1 if index > parameters + 1 else index
            source = cells[source_index].source.strip().splitlines()
            first = source[-1][:60] if source else ""
            lines.append(f"| cell {index}: `{first}` | {value:.3f} |")
    for phase in ("shutdown", "export", "charts", "pdf"):
        if phase in timings:
            lines.append(f"| {phase} | {timings[phase]:.3f} |")
    return "\n".join(lines)


def machine_line() -> str:
    """Where the numbers were measured."""
    import platform

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


# --- main ------------------------------------------------------------------------------------


def last_run(reports_dir: Path) -> dict[str, Any]:
    """The state the build left beside its folder (``.<name>.build/last-run.json``)."""
    state = reports_dir.parent / f".{reports_dir.name}.build" / "last-run.json"
    return json.loads(state.read_text(encoding="utf-8"))


class Bench:
    """One benchmark run: the work folder, the rows and profiles gathered so far."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root = root
        self.work = work
        self.rows: list[Measurement] = []
        self.profiles: list[tuple[str, dict[str, Any]]] = []
        self.runs = 0

    def stock(self, name: str, config: Path, label: str, bin_dir: Path) -> None:
        reports = bench_reports(config)
        inputs = write_ipynb_inputs(reports, self.work / f"{name}-inputs")
        print(f"[{name}] stock CLIs in {label}: {len(reports)} reports …", flush=True)
        commands = stock_commands(reports, inputs, bin_dir, self.work / f"{name}-stock-{label}")
        run = run_and_measure(commands, self.root)
        self.rows.append(
            Measurement(
                name, "stock CLIs", label, len(reports), run.seconds, run.peak_mb, run.total_mb
            )
        )

    def build(
        self,
        name: str,
        config: Path,
        label: str,
        *options: str,
        reports_dir: Path | None = None,
        cold: bool = True,
    ) -> Path:
        self.runs += 1
        folder = reports_dir or self.work / f"{name}-build-{self.runs}" / "reports"
        cache = self.work / f"cache-{self.runs}"  # an empty chart cache: nothing drawn before
        print(f"[{name}] plan-report build {' '.join(options)} …", flush=True)
        env = {"PLAN_REPORT_CACHE": str(cache)} if cold else {}
        run = run_and_measure([build_command(config, folder, *options)], self.root, env)
        state = last_run(folder)
        count = sum(1 for r in state["reports"] if r["outcome"] in ("built", "skipped"))
        self.rows.append(
            Measurement(name, label, ".venv", count, run.seconds, run.peak_mb, run.total_mb)
        )
        self.profiles.append((f"{name}: {label}", state))
        return folder


def _cluster() -> Any:
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the tables and write them to ``--out``."""
    parser = argparse.ArgumentParser(prog="python scripts/bench.py", description=__doc__)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="generated plan reports")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="items of the large plan")
    parser.add_argument(
        "--lab", action="store_true", help=f"also time the stock CLIs in {LAB_VENV}"
    )
    parser.add_argument("--no-cluster", action="store_true", help="skip the Dask LocalCluster run")
    parser.add_argument("--out", type=Path, default=Path("build/bench.md"))
    parser.add_argument("--measure-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_child:
        return _measure_child()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_data

    root = Path.cwd().resolve()
    environments = {".venv": Path(sys.executable).parent}
    if args.lab:
        lab = ensure_lab_venv(root)
        if lab is not None:
            environments[LAB_VENV] = lab
    machine = machine_line()
    batch_name = f"{args.batch} plans"
    items_name = f"{args.items} items"
    with tempfile.TemporaryDirectory(prefix="plan-report-bench-") as folder:
        work = Path(folder)
        bench = Bench(root, work)
        bundled = root / "notebooks" / "reports.yaml"
        template = root / "data" / "higashiyamato"
        city = bench_data.write_city(work / "bench-city", plans=args.batch, template=template)
        batch = write_set(work, "batch", city, [plan_entry(root)])
        big = bench_data.write_city(
            work / "item-city", plans=1, items=(args.items, args.items), template=template
        )
        items = item_entry(root)
        item_set = write_set(work, "items", big, [plan_entry(root), *([items] if items else [])])

        print("warming up (untimed) …", flush=True)
        bench_reports(bundled)
        run_and_measure([build_command(bundled, work / "warm" / "reports", "--no-pdf")], root)

        for label, bin_dir in environments.items():
            bench.stock("bundled", bundled, label, bin_dir)
        bench.build("bundled", bundled, "build --jobs 2", "--force", "--no-pdf", "--jobs", "2")
        for label, bin_dir in environments.items():
            bench.stock(batch_name, batch, label, bin_dir)
        html = ("--force", "--no-pdf", "--jobs", "2")
        bench.build(batch_name, batch, "build --jobs 2", *html)
        bench.build(batch_name, batch, "build --jobs 2 --no-preload", *html, "--no-preload")
        if not args.no_cluster:
            with _cluster() as cluster:
                address = cluster.scheduler_address
                print("warming up the cluster (untimed) …", flush=True)
                run_and_measure(
                    [
                        build_command(
                            bundled,
                            work / "warm-cluster" / "reports",
                            "--no-pdf",
                            "--scheduler",
                            address,
                        )
                    ],
                    root,
                )
                bench.build(
                    batch_name,
                    batch,
                    "build --scheduler (LocalCluster, 2 workers)",
                    "--force",
                    "--no-pdf",
                    "--scheduler",
                    address,
                )
        bench.build(batch_name, batch, "build --jobs 2, with PDFs", "--force", "--jobs", "2")
        what = "plan report and item pages" if items else "plan report only (no item pages yet)"
        target = work / "items-build" / "reports"
        bench.build(
            items_name,
            item_set,
            f"cold build --jobs 2 ({what})",
            "--no-pdf",
            "--jobs",
            "2",
            reports_dir=target,
        )
        bench.build(
            items_name,
            item_set,
            "unchanged rebuild",
            "--no-pdf",
            "--jobs",
            "2",
            reports_dir=target,
            cold=False,
        )
        one = next((r for r in bench.profiles[1][1]["reports"] if r["outcome"] == "built"), None)
        cells = cell_table(one, root / "notebooks" / "plan_report.py") if one else ""
    text = (
        f"Measured by `make bench` ({machine}).\n\n{markdown_table(bench.rows)}\n\n"
        "Stock CLIs: `papermill` then `jupyter nbconvert --to html --no-input`, one report after "
        "the other. Peak RSS: the largest single process; all processes: the most memory the "
        "whole run held at once (sampled every 0.1 s). Every build starts with an empty chart "
        "cache, except the unchanged rebuild.\n\n"
        "Where the time goes (seconds summed over the reports of each build, per report in "
        "brackets; `charts` is the SVG drawing inside `export`; publish and wall are the "
        "driver's):\n\n"
        f"{phase_table(bench.profiles)}\n\n"
        f"One report of the batch ({one['name'] if one else '-'}), step by step:\n\n{cells}\n"
    )
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
