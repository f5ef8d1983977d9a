"""Build the report set: validate, execute, export, publish the whole set at once.

One driver process reads the report set (``notebooks/reports.yaml``), checks the data, works out
which reports changed since the published set was built, and runs the others. Each report
executes in a fresh kernel through the papermill API (in this process or in ``--jobs`` worker
processes), is exported to HTML and printed to PDF in the same process. When every report and
the open data succeeded, the driver publishes the set whole (:mod:`helpers.build.release`): a
new release with the new files and the unchanged ones is assembled beside the published folder
and swapped with it in one step. When anything failed, nothing is published: the previous set
stays as it was, and the failed notebooks are kept in the state folder (``.reports.build/failed``).
A lock in that state folder keeps two builds apart; each set owns its folder (its manifest names
the set).

Exit codes (:class:`ExitCode`): 0 every report built or unchanged; 1 a report (or the open data)
failed; 2 invalid data or report set; 3 another build holds the lock; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import helpers
from helpers.build import manifest as mf
from helpers.build import release
from helpers.build.inputs import SharedInputs, report_hash, shared_inputs
from helpers.build.kernels import kernel_env, notebook_imports, zygote_process
from helpers.build.lock import LockHeldError, LockPathError, build_lock
from helpers.build.runner import ExecutorError, TaskRunner
from helpers.build.tasks import (
    PHASES,
    CellFailure,
    Task,
    TaskResult,
    first_message_line,
    warm_up,
)
from helpers.publish import files
from helpers.publish.reportset import (
    DEFAULT_CONFIG,
    RESERVED_OUTPUTS,
    ConfigError,
    ReportSet,
    ReportSetFile,
    ReportSpec,
    expand_report_set,
    item_rows,
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


# --- places ---------------------------------------------------------------------------------

OPEN_DATA_DIR = "data"
OPEN_DATA_NAME = "open data"
DEFAULT_SET_STEM = "reports"
"""The set file ``notebooks/reports.yaml`` publishes to ``reports/``; ``<name>.yaml`` to
``reports/<name>/``."""


def default_reports_dir(config: Path, root: Path) -> Path:
    """Where a set publishes unless ``--reports-dir`` says otherwise (decision D4).

    ``reports/`` under the project root for the bundled set (``reports.yaml``); ``reports/<name>/``
    for any other set file ``<name>.yaml``, so that each set owns its folder.
    """
    stem = config.stem
    if stem == DEFAULT_SET_STEM:
        return root / "reports"
    if stem.startswith((".", "_")) or stem in RESERVED_OUTPUTS or not stem.isascii():
        raise ConfigError(
            f"{config.name}: a set file named {stem!r} cannot have its own folder reports/{stem}/ "
            "(reserved or not a plain ASCII name); rename it or give --reports-dir"
        )
    return root / "reports" / stem


def set_identity(config: Path, root: Path) -> str:
    """The identity of a report set, recorded in its manifest: its file, relative to its project."""
    try:
        return config.relative_to(root).as_posix()
    except ValueError:
        return config.as_posix()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_reports_dir(reports_dir: Path, raw: ReportSetFile) -> None:
    """Refuse output folders that would hold (or sit inside) the project's own inputs."""
    if reports_dir.exists() and not reports_dir.is_dir():
        raise ConfigError(f"the reports folder {reports_dir} is a file, not a folder")
    if reports_dir.parent == reports_dir:
        raise ConfigError("the reports folder cannot be the root of the file system")
    inputs = {"the project": raw.root, "the data folder": raw.data_dir, "the set file": raw.config}
    for what, path in inputs.items():
        if _inside(path, reports_dir):
            raise ConfigError(
                f"the reports folder {reports_dir} contains {what} ({path}); "
                "publishing replaces that folder whole: choose a folder of its own"
            )
    if _inside(reports_dir, raw.data_dir):
        raise ConfigError(
            f"the reports folder {reports_dir} is inside the data folder {raw.data_dir}"
        )


# --- publishing -------------------------------------------------------------------------------


def _output_record(folder: Path, relative: str) -> mf.OutputFile:
    return mf.OutputFile(path=relative, sha256=mf.file_sha256(folder / relative))


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
    scheduler: str | None = None
    """Address of a Dask scheduler (``tcp://host:8786``): run the reports on its workers."""


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
    places: release.Places
    identity: str
    socket_dir: Path
    previous: mf.Manifest | None
    records: dict[str, mf.ReportRecord] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    new_files: dict[str, Path] = field(default_factory=dict)
    open_data: tuple[mf.OutputFile, ...] = ()
    open_data_hash: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.previous is not None:
            self.open_data = self.previous.open_data
            self.open_data_hash = self.previous.open_data_hash

    @property
    def published(self) -> Path:
        return self.places.published


def _previous_record(run: _Run, name: str) -> mf.ReportRecord | None:
    return run.previous.record(name) if run.previous else None


def _set_title(run: _Run) -> str:
    """The set's title, one source for every page: city.yaml's ``publication.title`` (else the
    city's name and plan kind), as the index heading and the accessibility statement say it."""
    from helpers.report.publication import set_title

    return set_title(run.city)


def _obsolete_title_prefix(raw: ReportSetFile, city: Any) -> str | None:
    """A warning when the report set still names a title of its own (``title_prefix``) that
    differs from the set's title: pages used it while the index said the city's title."""
    from helpers.report.publication import set_title

    title = set_title(city)
    if not raw.title_prefix or raw.title_prefix == title:
        return None
    return (
        f"{raw.config.name}: title_prefix「{raw.title_prefix}」は使いません。すべてのページの題名と"
        f"印刷の柱は、city.yaml の publication.title「{title}」を使います。title_prefix は消して"
        "ください (title_prefix is no longer used: every page says city.yaml's publication.title)"
    )


def _plan_tasks(
    run: _Run, selected: Sequence[ReportSpec], report: Reporter
) -> tuple[list[Task], dict[str, str]]:
    """Decide which reports run; record the skipped ones. Returns tasks and their input hashes."""
    shared = shared_inputs(run.report_set.data_dir)
    ipython_dir = run.places.work / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True, exist_ok=True)
    env = tuple(sorted(kernel_env(ipython_dir).items()))
    out = run.places.work / "out"
    tasks: list[Task] = []
    hashes: dict[str, str] = {}
    for spec in selected:
        text = spec.notebook_text  # as the set was checked; the file is not read again
        title = page_title(spec, _set_title(run))
        digest = report_hash(spec, text, shared, run.report_set.config, title)
        hashes[spec.name] = digest
        record = _previous_record(run, spec.name)
        expected = output_paths(spec, run.options.pdf)
        if (
            not run.options.force
            and record is not None
            and mf.is_up_to_date(record, digest, expected, run.published)
        ):
            run.records[spec.name] = replace(record, outcome="skipped", error=None)
            # A failure of other inputs is history once the published outputs are current.
            (run.places.failed / f"{spec.name}.ipynb").unlink(missing_ok=True)
            report(Event("skipped", "skipped (unchanged)", name=spec.name))
            continue
        tasks.append(
            Task(
                name=spec.name,
                notebook_text=text,
                parameters=spec.parameters,
                title=title,
                html_path=str(out / f"{spec.output}.html"),
                pdf_path=(str(out / f"{spec.output}.pdf") if run.options.pdf else None),
                failed_path=str(run.places.work / "failed" / f"{spec.name}.ipynb"),
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
        target = run.places.failed / f"{spec.name}.ipynb"
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
    """Take in the outputs of a report that ran (published with the set), or its failure."""
    if not result.ok:
        run.records[spec.name] = _record_failure(run, spec, result, report)
        return
    out = run.places.work / "out"
    for relative in output_paths(spec, run.options.pdf):
        run.new_files[relative] = out / relative
    (run.places.failed / f"{spec.name}.ipynb").unlink(missing_ok=True)
    outputs = tuple(_output_record(out, p) for p in output_paths(spec, run.options.pdf))
    run.records[spec.name] = mf.ReportRecord(
        name=spec.name,
        notebook=str(spec.notebook),
        parameters=spec.parameters,
        input_hash=digest,
        outputs=outputs,
        timings=result.timings,
        outcome="built",
    )
    spent = ", ".join(f"{k} {result.timings[k]:.2f} s" for k in PHASES if k in result.timings)
    where = f" on {result.worker}" if result.worker else ""
    report(Event("built", f"built {spec.output}.html{where} ({spent})", name=spec.name))


def _open_data_hash(shared: SharedInputs) -> str:
    return mf.input_hash({"open_data": shared.as_dict()})


def _open_data_intact(run: _Run, digest: str) -> bool:
    previous = run.previous
    return (
        previous is not None
        and previous.open_data_hash == digest
        and bool(previous.open_data)
        and all(
            (run.published / o.path).is_file()
            and mf.file_sha256(run.published / o.path) == o.sha256
            for o in previous.open_data
        )
    )


def _stage_open_data(run: _Run, report: Reporter) -> None:
    """Write the open data CSVs to the work folder when their inputs changed."""
    from helpers.publish import opendata

    digest = _open_data_hash(shared_inputs(run.report_set.data_dir))
    if not run.options.force and _open_data_intact(run, digest):
        report(Event("skipped", "skipped (unchanged)", name=OPEN_DATA_NAME))
        return
    try:
        tables = opendata.open_data_files(run.city)
    except Exception as exc:
        run.failed.append(OPEN_DATA_NAME)
        message = f"open data failed: {type(exc).__name__}: {first_message_line(str(exc))}"
        report(Event("failed", message, name=OPEN_DATA_NAME))
        return
    staged = []
    for name, data in sorted(tables.items()):
        relative = f"{OPEN_DATA_DIR}/{name}"
        source = run.places.work / relative
        files.write_bytes_atomic(source, data)
        run.new_files[relative] = source
        staged.append(mf.OutputFile(path=relative, sha256=mf.file_sha256(source)))
    run.open_data = tuple(staged)
    run.open_data_hash = digest
    names = ", ".join(sorted(tables))
    report(Event("built", f"open data written: {names}", name=OPEN_DATA_NAME))


STATEMENT_NAME = "accessibility statement"


def _stage_statement(run: _Run, report: Reporter) -> None:
    """The set's accessibility statement, from the checks its PDF printers left (PDFs only).

    Its files are published with the set's other set-wide files (listed with the open data);
    an unchanged statement is not staged again, so an unchanged set is not published again.
    """
    if not run.options.pdf or run.failed:
        return
    from helpers.publish import accessibility

    pages = [(spec.output, spec.title) for spec in run.report_set.reports]
    title = _set_title(run)
    try:
        written = accessibility.stage_statement(
            run.places.work / "out", run.published, pages, title
        )
    except Exception as exc:
        run.failed.append(STATEMENT_NAME)
        message = f"{STATEMENT_NAME} failed: {type(exc).__name__}: {first_message_line(str(exc))}"
        report(Event("failed", message, name=STATEMENT_NAME))
        return
    for relative, path in written.items():
        published = run.published / relative
        if not published.is_file() or published.read_bytes() != path.read_bytes():
            run.new_files[relative] = path
    kept = tuple(o for o in run.open_data if o.path not in written)
    run.open_data = kept + tuple(
        mf.OutputFile(path=relative, sha256=mf.file_sha256(path))
        for relative, path in sorted(written.items())
    )


def build_manifest(run: _Run) -> mf.Manifest:
    """The manifest after this run: every report of the set, in order.

    Published with the release when nothing failed (every record then describes files in it);
    always kept as ``last-run.json`` in the state folder, failures included.
    """
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
        report_set=run.identity,
    )


def _own_files(run: _Run, manifest: mf.Manifest) -> dict[str, Path]:
    """Every file of the new release: new ones from the work folder, the others published."""
    own = {}
    for path in manifest.claimed_paths() - {mf.MANIFEST_FILE}:
        own[path] = run.new_files.get(path, run.published / path)
    return own


def _needs_publishing(run: _Run, manifest: mf.Manifest) -> bool:
    previous = run.previous
    return (
        bool(run.new_files)
        or previous is None
        or previous.format != manifest.format
        or previous.report_set != manifest.report_set
        or previous.claimed_paths() != manifest.claimed_paths()
    )


def _publish(run: _Run, report: Reporter) -> None:
    """Publish the new release whole (see :mod:`helpers.build.release`)."""
    manifest = build_manifest(run)
    if not _needs_publishing(run, manifest):
        report(Event("info", f"nothing changed: {run.published} left as it was"))
        return
    own = _own_files(run, manifest)
    claimed = run.previous.claimed_paths() if run.previous else set()
    nested = [release.Places(n).state for n in release.nested_sets(run.published)]
    with build_lock(nested), _signals_held():
        release.assemble(run.places, own, manifest, claimed)
        release.switch(run.places)
    count = sum(1 for p in run.new_files if not p.startswith(f"{OPEN_DATA_DIR}/"))
    report(Event("info", f"published {run.published} ({count} new files, {len(own)} in all)"))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM during the swap (a few system calls); delivered right after."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _kernel_source(run: _Run, tasks: list[Task]) -> Iterator[Callable[[], list[Task]]]:
    """Start a kernel zygote preloaded with the notebooks' imports (unless disabled).

    The block gets a function returning the tasks, pointed at the zygote once it is up.
    """
    if not tasks or not run.options.preload:
        yield lambda: tasks
        return
    modules = _preloaded_modules(tasks)
    with zygote_process(run.socket_dir, modules, dict(tasks[0].env)) as wait:
        yield lambda: [replace(t, zygote=wait()) for t in tasks]


def _preloaded_modules(tasks: Sequence[Task]) -> list[str]:
    return sorted({m for t in {t.notebook_text for t in tasks} for m in notebook_imports(t)})


def _run_tasks(run: _Run, runner: Any, hashes: dict[str, str], report: Reporter) -> None:
    specs = {s.name: s for s in run.report_set.reports}
    with runner:
        # Workers (if any) are busy now: the driver makes the open data meanwhile.
        _stage_open_data(run, report)
        for kind, payload in runner.events():
            if kind == "start":
                report(Event("start", f"building {payload}", name=payload))
                continue
            spec = specs[payload.name]
            _finish_report(run, spec, payload, hashes[spec.name], report)
    _stage_statement(run, report)


def _execute(run: _Run, selected: Sequence[ReportSpec], report: Reporter) -> None:
    planned, hashes = _plan_tasks(run, selected, report)
    count = len(planned)
    total = len(selected)
    report(Event("plan", f"{count} of {total} reports to build", count=count, total=total))
    if run.options.scheduler:
        from helpers.build.cluster import ClusterRunner

        runner = ClusterRunner(
            planned,
            run.options.scheduler,
            must_see=[str(run.report_set.data_dir), str(run.report_set.config)],
            preload=_preloaded_modules(planned) if run.options.preload else [],
            env=dict(planned[0].env) if planned else {},
        )
        _run_tasks(run, runner, hashes, report)
        return
    with _kernel_source(run, planned) as ready:
        runner = TaskRunner(planned, run.options.jobs)
        if runner.jobs == 1 and planned:
            warm_up()  # tasks run in this process; meanwhile the zygote imports
        runner.tasks = ready()
        _run_tasks(run, runner, hashes, report)


def _check_owner(run: _Run) -> None:
    """Refuse a folder that holds another set, or files no build published."""
    previous = run.previous
    if previous is not None and previous.report_set not in (None, run.identity):
        raise ConfigError(
            f"{run.published} holds the report set {previous.report_set}, not {run.identity}; "
            "each set publishes to a folder of its own (give another --reports-dir)"
        )
    if previous is None:
        unexpected = release.unexpected_entries(run.published)
        if unexpected:
            shown = ", ".join(unexpected[:5]) + (" …" if len(unexpected) > 5 else "")
            raise ConfigError(
                f"{run.published} holds files that no build published ({shown}); publishing "
                "replaces the folder whole: give an empty or new --reports-dir"
            )


def _build_locked(
    options: BuildOptions, raw: ReportSetFile, places: release.Places, report: Reporter
) -> ExitCode:
    started = time.perf_counter()
    release.recover(places)
    previous = mf.read_manifest(places.manifest)
    identity = set_identity(raw.config, raw.root)
    if previous is None and places.manifest.exists():
        raise ConfigError(
            f"{places.manifest} cannot be read; move {places.published} aside or delete it"
        )
    city = inspect_data(raw.data_dir, report)
    if city is None:
        report(Event("info", "build stopped: the data has errors; no report was run"))
        return ExitCode.INVALID
    if (obsolete := _obsolete_title_prefix(raw, city)) is not None:
        report(Event("warning", obsolete))
    report_set = expand_report_set(
        raw, plan_rows(city.plans), pdf=options.pdf, items=item_rows(city.items, city.plans)
    )
    selected = select_reports(report_set, options.only)
    sockets = Path(tempfile.mkdtemp(prefix="plan-report-"))
    run = _Run(report_set, city, options, places, identity, sockets, previous)
    run.timings["validate"] = round(time.perf_counter() - started, 3)
    _check_owner(run)
    places.work.mkdir(parents=True, exist_ok=True)
    try:
        step = time.perf_counter()
        _execute(run, selected, report)
        run.timings["run"] = round(time.perf_counter() - step, 3)
        step = time.perf_counter()
        if run.failed:
            report(Event("info", f"nothing published: {places.published} keeps the previous set"))
        else:
            _publish(run, report)
        run.timings["publish"] = round(time.perf_counter() - step, 3)
    finally:
        run.timings["total"] = round(time.perf_counter() - started, 3)
        last = replace(build_manifest(run), build_timings=run.timings)
        with contextlib.suppress(OSError):
            mf.write_manifest(places.last_run, last)
        shutil.rmtree(places.work, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
    return ExitCode.REPORT_FAILED if run.failed else ExitCode.OK


def resolve_reports_dir(options_dir: Path | None, raw: ReportSetFile) -> Path:
    """The folder a set publishes to: ``--reports-dir``, else its own (see D4), resolved."""
    folder = options_dir if options_dir is not None else default_reports_dir(raw.config, raw.root)
    folder = folder.resolve()
    check_reports_dir(folder, raw)
    return folder


def build(options: BuildOptions, report: Reporter = _silent) -> ExitCode:
    """Build the report set of ``options.config``; tell ``report`` what happens.

    Returns the exit code (see :class:`ExitCode`); never raises for expected failures.
    """
    try:
        raw = read_report_set(options.config)
        places = release.Places(resolve_reports_dir(options.reports_dir, raw))
        enclosing = [release.Places(a).state for a in release.enclosing_sets(places.published)]
        with build_lock([*enclosing, places.state]):
            code = _build_locked(options, raw, places, report)
    except LockHeldError as exc:
        code = ExitCode.LOCKED
        report(Event("failed", str(exc)))
    except (ConfigError, LockPathError) as exc:
        code = ExitCode.INVALID
        report(Event("failed", f"invalid report set or folder: {exc}"))
    except release.PublishError as exc:
        code = ExitCode.REPORT_FAILED
        report(Event("failed", f"cannot publish: {exc}; the previous set is unchanged"))
    except ExecutorError as exc:
        code = ExitCode.INVALID
        report(Event("failed", f"cannot build on the cluster: {exc}; nothing was published"))
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
        report(Event("failed", "interrupted: nothing was published; the previous set is unchanged"))
    report(Event("done", f"exit code {int(code)}", count=int(code)))
    return code


def rollback(config: Path, reports_dir: Path | None, report: Reporter = _silent) -> ExitCode:
    """Publish the previous release of a set again (``plan-report rollback``)."""
    try:
        raw = read_report_set(config)
        places = release.Places(resolve_reports_dir(reports_dir, raw))
        enclosing = [release.Places(a).state for a in release.enclosing_sets(places.published)]
        with build_lock([*enclosing, places.state]):
            release.recover(places)
            if not places.previous.is_dir():
                raise ConfigError(f"{places.published} has no previous release to roll back to")
            nested = [release.Places(n).state for n in release.nested_sets(places.published)]
            with build_lock(nested), _signals_held():
                manifest = release.rollback(places)
        built = sum(1 for r in manifest.reports if r.outputs)
        report(
            Event(
                "info",
                f"rolled back {places.published} to the previous release "
                f"({built} reports); rollback again to undo",
            )
        )
        code = ExitCode.OK
    except LockHeldError as exc:
        code = ExitCode.LOCKED
        report(Event("failed", str(exc)))
    except (ConfigError, LockPathError) as exc:
        code = ExitCode.INVALID
        report(Event("failed", f"invalid report set or folder: {exc}"))
    except release.PublishError as exc:
        code = ExitCode.REPORT_FAILED
        report(Event("failed", f"cannot roll back: {exc}"))
    report(Event("done", f"exit code {int(code)}", count=int(code)))
    return code
