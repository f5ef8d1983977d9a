"""``python scripts/bench.py`` (``make bench``): time the build against the stock CLIs.

For the bundled report set and for a batch of generated plan reports (the bundled plan 2 report
repeated), it times

* the stock CLIs, report by report: ``papermill in.ipynb out.ipynb -r ...`` then
  ``jupyter nbconvert --to html --no-input out.ipynb``, in the build venv (``.venv``) and in the
  analyst venv with JupyterLab (``.venv-lab``; created first when missing, unless ``--no-lab``);
* ``plan-report build --force --no-pdf`` with ``--jobs 1`` and ``--jobs 2``;

and prints a Markdown table (also written to ``reports/bench.md``) with seconds, seconds per
report, peak memory and the speed-up of the build over each stock run. Every measurement runs in
its own child process, whose ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak resident
memory of the largest process the measurement started (kernels included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BATCH = 50
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


def run_and_measure(commands: Sequence[Sequence[str]], cwd: Path) -> tuple[float, float]:
    """Run ``commands`` one after the other in a fresh child process; (seconds, peak RSS MB).

    The child times the commands and reads ``RUSAGE_CHILDREN``, so the figures cover exactly
    these commands and every process they started and waited for.
    """
    payload = json.dumps({"commands": [list(c) for c in commands], "cwd": str(cwd)})
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure-child"],
        input=payload,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark command failed:\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return float(data["seconds"]), float(data["peak_rss_kb"]) / 1024


def _measure_child() -> int:
    """Body of the measuring child: read commands from stdin, run them, print JSON."""
    request = json.loads(sys.stdin.read())
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
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_kb": peak}))
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


def write_batch_config(folder: Path, root: Path, count: int, plan_id: str = "2") -> Path:
    """A report set of ``count`` copies of the bundled plan report (plan ``plan_id``)."""
    import yaml

    entries = [
        {
            "name": f"batch-{n:03d}",
            "notebook": str(root / "notebooks" / "plan_report.py"),
            "output": f"batch-{n:03d}",
            "title": f"ベンチマーク {n:03d}",
            "parameters": {"plan_id": plan_id},
        }
        for n in range(1, count + 1)
    ]
    data = {
        "data": str(root / "data" / "higashiyamato"),
        "title_prefix": "ベンチ",
        "reports": entries,
    }
    config = folder / f"batch-{count}.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config


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


def build_command(config: Path, reports_dir: Path, jobs: int) -> list[str]:
    """``plan-report build --force --no-pdf --jobs N`` with this interpreter."""
    return [
        sys.executable,
        "-m",
        "helpers",
        "build",
        "--config",
        str(config),
        "--reports-dir",
        str(reports_dir),
        "--force",
        "--no-pdf",
        "--jobs",
        str(jobs),
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
        "| peak RSS (MB) | speed-up vs stock .venv | vs stock .venv-lab |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---:|"
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
        lines.append(
            f"| {row.report_set} | {row.command} | {row.environment} | {row.reports} "
            f"| {row.seconds:.1f} | {row.per_report:.2f} | {row.peak_rss_mb:.0f} "
            f"| {versus_build} | {versus_lab} |"
        )
    return "\n".join(lines)


def machine_line() -> str:
    """Where the numbers were measured."""
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}; "
        f"load average before the run {os.getloadavg()[0]:.2f}"
    )


# --- main ------------------------------------------------------------------------------------


def _measure_set(
    name: str,
    config: Path,
    root: Path,
    work: Path,
    environments: dict[str, Path],
    jobs: Sequence[int],
) -> list[Measurement]:
    reports = bench_reports(config)
    inputs = write_ipynb_inputs(reports, work / f"{name}-inputs")
    rows: list[Measurement] = []
    for label, bin_dir in environments.items():
        print(f"[{name}] stock CLIs in {label}: {len(reports)} reports …", flush=True)
        commands = stock_commands(reports, inputs, bin_dir, work / f"{name}-stock-{label}")
        seconds, peak = run_and_measure(commands, root)
        rows.append(Measurement(name, "stock CLIs", label, len(reports), seconds, peak))
    for count in jobs:
        print(f"[{name}] plan-report build --jobs {count} …", flush=True)
        command = build_command(config, work / f"{name}-build-j{count}", count)
        seconds, peak = run_and_measure([command], root)
        label = f"plan-report build --jobs {count}"
        rows.append(Measurement(name, label, ".venv", len(reports), seconds, peak))
    return rows


def _warm_up(root: Path, config: Path, work: Path, environments: dict[str, Path]) -> None:
    """One untimed run of each kind so no measurement pays for a cold disk cache."""
    reports = bench_reports(config)[:1]
    inputs = write_ipynb_inputs(reports, work / "warm-inputs")
    for label, bin_dir in environments.items():
        run_and_measure(stock_commands(reports, inputs, bin_dir, work / f"warm-{label}"), root)
    run_and_measure([build_command(config, work / "warm-build", 1)], root)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and write it to ``--out``."""
    parser = argparse.ArgumentParser(prog="python scripts/bench.py", description=__doc__)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="generated reports")
    parser.add_argument("--no-lab", action="store_true", help=f"skip the {LAB_VENV} runs")
    parser.add_argument("--out", type=Path, default=Path("reports/bench.md"))
    parser.add_argument("--measure-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_child:
        return _measure_child()

    root = Path.cwd().resolve()
    bundled = root / "notebooks" / "reports.yaml"
    environments = {".venv": Path(sys.executable).parent}
    if not args.no_lab:
        lab = ensure_lab_venv(root)
        if lab is not None:
            environments[LAB_VENV] = lab
    machine = machine_line()
    with tempfile.TemporaryDirectory(prefix="plan-report-bench-") as folder:
        work = Path(folder)
        _warm_up(root, bundled, work, environments)
        rows = _measure_set("bundled", bundled, root, work, environments, (1, 2))
        batch = write_batch_config(work, root, args.batch)
        rows += _measure_set(f"batch of {args.batch}", batch, root, work, environments, (1, 2))
    table = markdown_table(rows)
    text = (
        f"Measured by `make bench` ({machine}).\n\n{table}\n\n"
        "Stock CLIs: `papermill` then `jupyter nbconvert --to html --no-input`, one report "
        "after the other. Peak RSS: the largest single process of the run.\n"
    )
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
