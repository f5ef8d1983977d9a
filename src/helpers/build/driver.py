"""Build the report set: validate, execute, export, publish atomically, record a manifest.

One driver process reads the report set (``notebooks/reports.yaml``), checks the data, works out
which reports changed since their last good build, and runs the others. Each report executes in a
fresh kernel through the papermill API (in this process, or in ``--jobs`` worker processes forked
from it once papermill, nbconvert and the Vega bundle are loaded), is exported to HTML and printed
to PDF in the same process, and published by the driver with ``os.replace`` only when every step
succeeded. Kernels are forked from a zygote that imported the notebooks' modules once (see
:func:`kernel_zygote`); each report still gets a new kernel process of its own. A failed report
leaves its previous outputs untouched and its executed notebook in ``reports/_failed/``. A lock
on ``reports/.build.lock`` keeps two builds apart.

Exit codes (:class:`ExitCode`): 0 every report built or unchanged; 1 a report (or the open data)
failed; 2 invalid data or report set; 3 another build holds the lock; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import helpers
from helpers.build import manifest as mf
from helpers.build.inputs import SharedInputs, report_hash, shared_inputs
from helpers.build.kernels import kernel_env, notebook_imports, zygote_process
from helpers.build.lock import LockHeldError, build_lock
from helpers.build.runner import TaskRunner
from helpers.build.tasks import CellFailure, Task, TaskResult, first_message_line, warm_up
from helpers.publish import files
from helpers.publish.reportset import (
    DEFAULT_CONFIG,
    ConfigError,
    ReportSet,
    ReportSetFile,
    ReportSpec,
    expand_report_set,
    output_paths,
    page_title,
    plan_rows,
    read_report_set,
    select_reports,
)

# --- exit codes and errors -------------------------------------------------------------------


class ExitCode(enum.IntEnum):
    """Exit status of ``plan-report build`` (documented for cron and systemd)."""

    OK = 0
    REPORT_FAILED = 1
    INVALID = 2
    LOCKED = 3
    INTERRUPTED = 130


# --- events (progress is drawn by the CLI) -----------------------------------------------------

EventKind = Literal[
    "info", "warning", "problems", "plan", "start", "built", "skipped", "failed", "done"
]


@dataclass(frozen=True)
class Event:
    """Something the build tells its user.

    ``plan`` announces how many reports will run (``count``) and how many are selected in all
    (``total``); ``start``/``built``/``skipped``/``failed`` concern report ``name``; ``problems``
    carries the validator's table; ``done`` ends the build with the exit code in ``count``.
    """

    kind: EventKind
    message: str
    name: str | None = None
    count: int = 0
    total: int = 0


Reporter = Callable[[Event], None]


def _silent(event: Event) -> None:
    """A reporter that drops every event."""


# --- the report set --------------------------------------------------------------------------


DEFAULT_TIMEOUT = 300.0
"""Seconds a single cell may run before the report fails."""


# --- inputs -----------------------------------------------------------------------------------


# --- lock and staging -------------------------------------------------------------------------

STAGING_DIR = ".staging"
FAILED_DIR = "_failed"
OPEN_DATA_DIR = "data"
OPEN_DATA_NAME = "open data"


def fresh_staging(reports_dir: Path) -> Path:
    """An empty staging folder inside ``reports_dir`` (left-overs of killed builds removed)."""
    base = reports_dir / STAGING_DIR
    shutil.rmtree(base, ignore_errors=True)
    staging = base / f"run-{os.getpid()}"
    staging.mkdir(parents=True)
    return staging


# --- kernels ----------------------------------------------------------------------------------


# --- preloaded kernels: a zygote that forks them -----------------------------------------------


# --- one report: execute and export (runs in a worker) ---------------------------------------


# --- workers ----------------------------------------------------------------------------------


# --- publishing -------------------------------------------------------------------------------


def publish(staged: Mapping[Path, Path]) -> None:
    """Move each staged file over its destination with ``os.replace`` (PDF before HTML).

    Files get the usual permissions first (temporary files are created private), so a web
    server can serve what is published.
    """
    mode = files.default_file_mode()
    for source, target in sorted(staged.items(), key=lambda item: item[1].suffix != ".pdf"):
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source, mode)
        os.replace(source, target)


def _output_record(reports_dir: Path, relative: str) -> mf.OutputFile:
    return mf.OutputFile(path=relative, sha256=mf.file_sha256(reports_dir / relative))


# --- the build --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildOptions:
    """What ``plan-report build`` was asked to do."""

    config: Path = DEFAULT_CONFIG
    reports_dir: Path | None = None
    only: tuple[str, ...] = ()
    jobs: int = 1
    force: bool = False
    pdf: bool = True
    timeout: float | None = DEFAULT_TIMEOUT
    preload: bool = True


def default_reports_dir(root: Path) -> Path:
    """``reports/`` under a report set's project root."""
    return root / "reports"


def inspect_data(data_dir: Path, report: Reporter) -> Any | None:
    """Load and check the data folder, telling ``report`` every problem.

    Returns the ``CityData``, or ``None`` when the data has errors.
    """
    from helpers.data.city import inspect_folder
    from helpers.data.problems import format_problems, summary

    inspection = inspect_folder(data_dir)
    problems = inspection.problems
    if problems:
        kind: EventKind = "warning" if inspection.city is not None else "problems"
        report(Event(kind, format_problems(problems) + "\n" + summary(data_dir, problems)))
    return inspection.city


@dataclass
class _Run:
    """Mutable state of one build run (driver side)."""

    report_set: ReportSet
    city: Any
    options: BuildOptions
    reports_dir: Path
    staging: Path
    socket_dir: Path
    previous: mf.Manifest | None
    records: dict[str, mf.ReportRecord] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    open_data: tuple[mf.OutputFile, ...] = ()
    open_data_hash: str | None = None
    open_data_staged: dict[Path, Path] = field(default_factory=dict)
    open_data_pending: str | None = None

    def __post_init__(self) -> None:
        if self.previous is not None:
            self.open_data = self.previous.open_data
            self.open_data_hash = self.previous.open_data_hash


def _previous_record(run: _Run, name: str) -> mf.ReportRecord | None:
    return run.previous.record(name) if run.previous else None


def _plan_tasks(
    run: _Run, selected: Sequence[ReportSpec], report: Reporter
) -> tuple[list[Task], dict[str, str]]:
    """Decide which reports run; record the skipped ones. Returns tasks and their input hashes."""
    shared = shared_inputs(run.report_set.data_dir)
    ipython_dir = run.staging / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True, exist_ok=True)
    env = tuple(sorted(kernel_env(ipython_dir).items()))
    tasks: list[Task] = []
    hashes: dict[str, str] = {}
    for spec in selected:
        text = spec.notebook.read_text(encoding="utf-8")
        title = page_title(spec, run.report_set.title_prefix)
        digest = report_hash(spec, text, shared, run.report_set.config, title)
        hashes[spec.name] = digest
        record = _previous_record(run, spec.name)
        expected = output_paths(spec, run.options.pdf)
        if (
            not run.options.force
            and record is not None
            and mf.is_up_to_date(record, digest, expected, run.reports_dir)
        ):
            run.records[spec.name] = replace(record, outcome="skipped", error=None)
            # A failure of other inputs is history once the published outputs are current.
            (run.reports_dir / FAILED_DIR / f"{spec.name}.ipynb").unlink(missing_ok=True)
            report(Event("skipped", "skipped (unchanged)", name=spec.name))
            continue
        tasks.append(
            Task(
                name=spec.name,
                notebook_text=text,
                parameters=spec.parameters,
                title=title,
                html_path=str(run.staging / "out" / f"{spec.output}.html"),
                pdf_path=(
                    str(run.staging / "out" / f"{spec.output}.pdf") if run.options.pdf else None
                ),
                failed_path=str(run.staging / FAILED_DIR / f"{spec.name}.ipynb"),
                cwd=str(run.report_set.root),
                timeout=run.options.timeout,
                env=env,
                socket_dir=str(run.socket_dir),
            )
        )
    return tasks, hashes


def _record_failure(
    run: _Run, spec: ReportSpec, result: TaskResult, report: Reporter
) -> mf.ReportRecord:
    """Keep the failed notebook, tell the user, and keep the previous outputs in the record."""
    kept = ""
    if result.failed_notebook and Path(result.failed_notebook).is_file():
        target = run.reports_dir / FAILED_DIR / f"{spec.name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(result.failed_notebook, target)
        kept = f"; executed notebook kept in {target}"
    failure = result.failure or CellFailure(error="unknown error")
    message = f"report {spec.name} failed: {failure.describe()}{kept}"
    run.failed.append(spec.name)
    report(Event("failed", message, name=spec.name))
    previous = _previous_record(run, spec.name)
    return mf.ReportRecord(
        name=spec.name,
        notebook=str(spec.notebook),
        parameters=spec.parameters,
        input_hash=previous.input_hash if previous else None,
        outputs=previous.outputs if previous else (),
        timings=result.timings,
        outcome="failed",
        error=failure.describe(),
    )


def _finish_report(
    run: _Run, spec: ReportSpec, result: TaskResult, digest: str, report: Reporter
) -> None:
    """Publish the outputs of a report that ran, or keep the old ones; record the outcome."""
    if not result.ok:
        run.records[spec.name] = _record_failure(run, spec, result, report)
        return
    staged_html = run.staging / "out" / f"{spec.output}.html"
    staged = {staged_html: run.reports_dir / f"{spec.output}.html"}
    if run.options.pdf:
        staged[staged_html.with_suffix(".pdf")] = run.reports_dir / f"{spec.output}.pdf"
    publish(staged)
    if not run.options.pdf:
        (run.reports_dir / f"{spec.output}.pdf").unlink(missing_ok=True)  # older than the HTML
    (run.reports_dir / FAILED_DIR / f"{spec.name}.ipynb").unlink(missing_ok=True)
    outputs = tuple(_output_record(run.reports_dir, p) for p in output_paths(spec, run.options.pdf))
    run.records[spec.name] = mf.ReportRecord(
        name=spec.name,
        notebook=str(spec.notebook),
        parameters=spec.parameters,
        input_hash=digest,
        outputs=outputs,
        timings=result.timings,
        outcome="built",
    )
    spent = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
    report(Event("built", f"built {spec.output}.html ({spent})", name=spec.name))


def _open_data_hash(shared: SharedInputs) -> str:
    return mf.input_hash({"open_data": shared.as_dict()})


def _open_data_intact(run: _Run, digest: str) -> bool:
    previous = run.previous
    return (
        previous is not None
        and previous.open_data_hash == digest
        and bool(previous.open_data)
        and all(
            (run.reports_dir / o.path).is_file()
            and mf.file_sha256(run.reports_dir / o.path) == o.sha256
            for o in previous.open_data
        )
    )


def _stage_open_data(run: _Run, report: Reporter) -> None:
    """Write the open data CSVs to staging when their inputs changed (published at the end)."""
    from helpers.publish import opendata

    digest = _open_data_hash(shared_inputs(run.report_set.data_dir))
    if not run.options.force and _open_data_intact(run, digest):
        report(Event("skipped", "skipped (unchanged)", name=OPEN_DATA_NAME))
        return
    try:
        files = opendata.open_data_files(run.city)
    except Exception as exc:
        run.failed.append(OPEN_DATA_NAME)
        message = f"open data failed: {type(exc).__name__}: {first_message_line(str(exc))}"
        report(Event("failed", message, name=OPEN_DATA_NAME))
        return
    for name, data in files.items():
        source = run.staging / OPEN_DATA_DIR / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        run.open_data_staged[source] = run.reports_dir / OPEN_DATA_DIR / name
    run.open_data_pending = digest


def _publish_open_data(run: _Run, report: Reporter) -> None:
    """Publish staged open data (only files whose bytes changed) and record it."""
    if run.open_data_pending is None:
        return
    changed = {
        source: target
        for source, target in run.open_data_staged.items()
        if not target.is_file() or target.read_bytes() != source.read_bytes()
    }
    publish(changed)
    run.open_data = tuple(
        _output_record(run.reports_dir, f"{OPEN_DATA_DIR}/{target.name}")
        for target in sorted(run.open_data_staged.values())
    )
    run.open_data_hash = run.open_data_pending
    names = ", ".join(t.name for t in sorted(run.open_data_staged.values()))
    report(Event("built", f"open data written: {names}", name=OPEN_DATA_NAME))


def build_manifest(run: _Run) -> mf.Manifest:
    """The manifest after this run: every report of the set, in order."""
    records = []
    for spec in run.report_set.reports:
        record = run.records.get(spec.name) or _previous_record(run, spec.name)
        if record is None:
            record = mf.ReportRecord(
                name=spec.name,
                notebook=str(spec.notebook),
                parameters=spec.parameters,
                input_hash=None,
                outputs=(),
                timings={},
                outcome="pending",
            )
        records.append(record)
    return mf.Manifest(
        package_version=helpers.__version__,
        reports=tuple(records),
        open_data=run.open_data,
        open_data_hash=run.open_data_hash,
    )


@contextlib.contextmanager
def _kernel_source(run: _Run, tasks: list[Task]) -> Iterator[Callable[[], list[Task]]]:
    """Start a kernel zygote preloaded with the notebooks' imports (unless disabled).

    The block gets a function returning the tasks, pointed at the zygote once it is up.
    """
    if not tasks or not run.options.preload:
        yield lambda: tasks
        return
    modules = sorted({m for t in {t.notebook_text for t in tasks} for m in notebook_imports(t)})
    with zygote_process(run.socket_dir, modules, dict(tasks[0].env)) as wait:
        yield lambda: [replace(t, zygote=wait()) for t in tasks]


def _execute(run: _Run, selected: Sequence[ReportSpec], report: Reporter) -> None:
    planned, hashes = _plan_tasks(run, selected, report)
    count = len(planned)
    total = len(selected)
    report(Event("plan", f"{count} of {total} reports to build", count=count, total=total))
    specs = {s.name: s for s in selected}
    with _kernel_source(run, planned) as ready:
        if planned:
            warm_up()  # while the zygote imports
        with TaskRunner(ready(), run.options.jobs) as runner:
            # Workers (if any) are busy now: the driver makes the open data meanwhile.
            _stage_open_data(run, report)
            for kind, payload in runner.events():
                if kind == "start":
                    report(Event("start", f"building {payload}", name=payload))
                    continue
                spec = specs[payload.name]
                _finish_report(run, spec, payload, hashes[spec.name], report)
    if not run.failed:
        _publish_open_data(run, report)


def _build_locked(options: BuildOptions, raw: ReportSetFile, report: Reporter) -> ExitCode:
    city = inspect_data(raw.data_dir, report)
    if city is None:
        report(Event("info", "build stopped: the data has errors; no report was run"))
        return ExitCode.INVALID
    report_set = expand_report_set(raw, plan_rows(city.plans), pdf=options.pdf)
    selected = select_reports(report_set, options.only)
    reports_dir = (options.reports_dir or default_reports_dir(raw.root)).resolve()
    previous = mf.read_manifest(reports_dir / mf.MANIFEST_FILE)
    staging = fresh_staging(reports_dir)
    sockets = Path(tempfile.mkdtemp(prefix="plan-report-"))
    run = _Run(report_set, city, options, reports_dir, staging, sockets, previous)
    try:
        _execute(run, selected, report)
    finally:
        mf.write_manifest(reports_dir / mf.MANIFEST_FILE, build_manifest(run))
        shutil.rmtree(reports_dir / STAGING_DIR, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
    return ExitCode.REPORT_FAILED if run.failed else ExitCode.OK


def build(options: BuildOptions, report: Reporter = _silent) -> ExitCode:
    """Build the report set of ``options.config``; tell ``report`` what happens.

    Returns the exit code (see :class:`ExitCode`); never raises for expected failures.
    """
    try:
        raw = read_report_set(options.config)
        reports_dir = (options.reports_dir or default_reports_dir(raw.root)).resolve()
        with build_lock(reports_dir):
            code = _build_locked(options, raw, report)
    except LockHeldError as exc:
        code = ExitCode.LOCKED
        report(Event("failed", str(exc)))
    except ConfigError as exc:
        code = ExitCode.INVALID
        report(Event("failed", f"invalid report set: {exc}"))
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
        report(
            Event(
                "failed",
                "interrupted: reports published before the interrupt are complete; "
                "the others keep their previous version",
            )
        )
    report(Event("done", f"exit code {int(code)}", count=int(code)))
    return code
