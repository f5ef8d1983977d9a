"""The ``plan-report`` command: build, list and validate the report set.

``plan-report build`` rebuilds the reports whose inputs changed (exit codes: 0 ok, 1 a report
failed, 2 invalid data or report set, 3 another build holds the lock, 130 interrupted);
``plan-report list`` shows the set and the outcome of the last build; ``plan-report rollback``
publishes the previous release again; ``plan-report validate`` checks a data folder and prints
every problem (exit 1 on errors); ``plan-report round start`` / ``round collect`` run the yearly
evaluation round (:mod:`helpers.data.evaluations`).

On a terminal the build draws one live progress line; otherwise (cron, systemd, CI) it writes
plain timestamped log lines. Every line printed shows control characters escaped
(:func:`helpers.data.problems.printable`): text from data or a report set can neither drive
the terminal nor start a log line of its own.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from helpers.build import BuildOptions, Event, ExitCode, build, driver, release
from helpers.build import manifest as mf
from helpers.data.problems import printable
from helpers.publish import reportset

# --- progress --------------------------------------------------------------------------------

_REPORT_KINDS = ("built", "skipped", "failed")


def _timestamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


class LogReporter:
    """Plain log lines with a timestamp, one per event (for cron and systemd journals)."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.counts = dict.fromkeys(_REPORT_KINDS, 0)
        self.started = time.monotonic()

    def __call__(self, event: Event) -> None:
        """Write ``event`` as one line (problem tables as they are)."""
        if event.kind in _REPORT_KINDS and event.name != driver.OPEN_DATA_NAME and event.name:
            self.counts[event.kind] += 1
        if event.kind == "done":
            text = _summary(self.counts, time.monotonic() - self.started, event.count)
        else:
            label = f"{event.name}: " if event.name and event.kind == "skipped" else ""
            text = label + event.message
        stream = self.err if event.kind in ("failed", "problems", "warning") else self.out
        first, *rest = safe_lines(text)
        print(f"{_timestamp()} {first}", file=stream, flush=True)
        for line in rest:
            print(f"    {line}", file=stream, flush=True)


class LiveReporter:
    """One progress line redrawn in place; failures, problems and the summary stay on screen."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.counts = dict.fromkeys(_REPORT_KINDS, 0)
        self.running: list[str] = []
        self.to_build = 0
        self.total = 0
        self.started = time.monotonic()

    def _line(self) -> str:
        done = self.counts["built"] + self.counts["failed"]
        running = ", ".join(self.running[:3]) + (" …" if len(self.running) > 3 else "")
        elapsed = time.monotonic() - self.started
        text = (
            f"[{done}/{self.to_build}] built {self.counts['built']}, "
            f"unchanged {self.counts['skipped']}, failed {self.counts['failed']}"
            f" | {elapsed:.0f} s" + (f" | building {running}" if running else "")
        )
        return text[:200]

    def _print(self, text: str) -> None:
        self.out.write("\r\x1b[K" + "\n".join(safe_lines(text)) + "\n")

    def __call__(self, event: Event) -> None:
        """Update the counters and redraw the line; print lasting messages above it."""
        if event.kind == "plan":
            self.to_build, self.total = event.count, event.total
        elif event.kind == "start" and event.name:
            self.running.append(event.name)
        elif event.kind in _REPORT_KINDS and event.name and event.name != driver.OPEN_DATA_NAME:
            self.counts[event.kind] += 1
            if event.name in self.running:
                self.running.remove(event.name)
        if event.kind in ("failed", "problems", "warning", "info"):
            self._print(event.message)
        if event.kind == "done":
            summary = _summary(self.counts, time.monotonic() - self.started, event.count)
            self._print(summary)
        else:
            self.out.write("\r\x1b[K" + self._line())
        self.out.flush()


def safe_lines(text: str) -> list[str]:
    """``text`` split at its line feeds, each line with control characters escaped."""
    return [printable(line) for line in text.split("\n")] or [""]


def _error(message: object) -> None:
    """Print an error message to stderr, one escaped line per line feed."""
    for line in safe_lines(str(message)):
        print(line, file=sys.stderr)


def _summary(counts: dict[str, int], seconds: float, code: int) -> str:
    return (
        f"done in {seconds:.1f} s: {counts['built']} built, {counts['skipped']} unchanged, "
        f"{counts['failed']} failed (exit {code})"
    )


def reporter_for(out: TextIO, err: TextIO) -> Callable[[Event], None]:
    """A live line on a terminal, timestamped log lines otherwise."""
    if out.isatty():
        return LiveReporter(out)
    return LogReporter(out, err)


# --- tables ----------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned text table; the last column is not padded."""
    widths = [max(display_width(r[k]) for r in [header, *rows]) for k in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [c + " " * (w - display_width(c)) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _parameter_text(parameters: dict[str, Any]) -> str:
    own = {k: v for k, v in parameters.items() if k not in reportset.INJECTED}
    return " ".join(f"{k}={v}" for k, v in own.items()) or "-"


def list_rows(report_set: reportset.ReportSet, manifest: mf.Manifest | None) -> list[list[str]]:
    """One row per report: name, notebook, parameters, output, last outcome."""
    rows = []
    for spec in report_set.reports:
        record = manifest.record(spec.name) if manifest else None
        outcome = record.outcome if record else "never built"
        if record and record.outcome == "failed" and record.error:
            outcome = f"failed: {record.error}"
        try:
            notebook = spec.notebook.relative_to(report_set.root).as_posix()
        except ValueError:
            notebook = str(spec.notebook)
        rows.append(
            [spec.name, notebook, _parameter_text(spec.parameters), f"{spec.output}.html", outcome]
        )
    return rows


# --- commands --------------------------------------------------------------------------------


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def cmd_build(args: argparse.Namespace) -> int:
    """``plan-report build``."""
    options = BuildOptions(
        config=args.config,
        reports_dir=args.reports_dir,
        only=tuple(args.only or ()),
        jobs=args.jobs,
        force=args.force,
        pdf=not args.no_pdf,
        timeout=args.timeout if args.timeout and args.timeout > 0 else None,
        preload=not args.no_preload,
        scheduler=args.scheduler,
    )
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return int(build(options, reporter_for(sys.stdout, sys.stderr)))
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_list(args: argparse.Namespace) -> int:
    """``plan-report list``."""
    from helpers.data.city import DataValidationError

    try:
        report_set = reportset.load_report_set(args.config)
    except (reportset.ConfigError, DataValidationError) as exc:
        _error(f"cannot list the report set: {exc}")
        return int(ExitCode.INVALID)
    try:
        reports_dir = (
            args.reports_dir or driver.default_reports_dir(report_set.config, report_set.root)
        ).resolve()
    except reportset.ConfigError as exc:
        print(f"cannot list the report set: {exc}", file=sys.stderr)
        return int(ExitCode.INVALID)
    places = release.Places(reports_dir)
    manifest = mf.read_manifest(places.last_run) or mf.read_manifest(places.manifest)
    header = ["name", "notebook", "parameters", "output", "last outcome"]
    rows = [[printable(cell) for cell in row] for row in list_rows(report_set, manifest)]
    print(format_table(header, rows))
    print(
        printable(
            f"{len(report_set.reports)} reports; data {report_set.data_dir}; "
            f"outputs in {reports_dir}"
        )
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """``plan-report rollback``: publish the previous release again."""
    return int(driver.rollback(args.config, args.reports_dir, reporter_for(sys.stdout, sys.stderr)))


def cmd_validate(args: argparse.Namespace) -> int:
    """``plan-report validate [DIR ...]``: every problem of each folder; exit 1 on any error."""
    from helpers.data import inspect_folder
    from helpers.data.problems import format_problems, problems_csv, summary

    folders = list(args.folders)
    if not folders:
        try:
            folders = [reportset.read_report_set(args.config).data_dir]
        except reportset.ConfigError as exc:
            _error(f"no data folder given and {exc}")
            return int(ExitCode.INVALID)
    status = 0
    as_csv = args.format == "csv"
    if as_csv:
        # One CSV for Excel: a BOM (Excel on Japanese Windows reads UTF-8 without one as cp932),
        # one header row; the summaries go to stderr so that they are not rows of it.
        sys.stdout.write("\ufeff")
    for number, folder in enumerate(folders):
        problems = inspect_folder(folder).problems
        if as_csv:
            rows = problems
            if len(folders) > 1:  # say which folder each row is about
                where = Path(folder).as_posix()
                rows = [
                    p if p.code == "missing_folder" else replace(p, file=f"{where}/{p.file}")
                    for p in problems
                ]
            text = problems_csv(rows, header=number == 0)
            if text:
                print(text)
            print(summary(folder, problems), file=sys.stderr)
        else:
            if problems:
                print(format_problems(problems))
            print(summary(folder, problems))
        if any(p.severity == "error" for p in problems):
            status = 1
    return status


def cmd_new_city(args: argparse.Namespace) -> int:
    """``plan-report new-city ID --name 名前``: an empty data folder and the city's report set."""
    from helpers.report.scaffold import ScaffoldError, new_city

    try:
        made = new_city(args.city_id, args.name, args.root)
    except ScaffoldError as exc:
        _error(exc)
        return int(ExitCode.INVALID)
    for path in made.files:
        _say(f"created {path}")
    _say(
        "\n次の手順 (next steps, data/README.md「別の市の報告書を作る」):\n"
        f"  1. {made.data_dir}/city.yaml の「記入:」の行と CSV を埋める\n"
        f"  2. plan-report validate {made.data_dir}\n"
        f"  3. plan-report build --config {made.report_set}"
    )
    return 0


def _say(text: str) -> None:
    """Print ``text`` to stdout, one escaped line per line feed."""
    for line in safe_lines(text):
        print(line)


def _round_data(args: argparse.Namespace) -> Any:
    """The data folder of a round command, loaded; ``None`` (message printed) when invalid."""
    from helpers.data.city import inspect_folder
    from helpers.data.problems import format_problems, summary

    folder = args.data
    if folder is None:
        try:
            folder = reportset.read_report_set(args.config).data_dir
        except reportset.ConfigError as exc:
            _error(f"no data folder given (--data) and {exc}")
            return None
    inspection = inspect_folder(folder)
    if inspection.city is None:
        _error(format_problems(inspection.problems) + "\n" + summary(folder, inspection.problems))
        _error("評価の取りまとめを始める前に、データの問題を直してください (invalid data folder)")
    return inspection.city


def cmd_round_start(args: argparse.Namespace) -> int:
    """``plan-report round start AS_OF``: one workbook per department."""
    from helpers.data.evaluation_workbook import write_round
    from helpers.data.evaluations import RoundError, plan_round
    from helpers.data.problems import format_problems
    from helpers.data.round_messages import started

    city = _round_data(args)
    if city is None:
        return ROUND_INVALID
    try:
        round_ = plan_round(city, args.as_of, tuple(args.plan or ()), args.deadline)
    except RoundError as error:
        _error(str(error))
        if error.problems:
            _error(format_problems(error.problems))
        return ROUND_INVALID
    out = args.out or Path("rounds") / f"{round_.city_id}-{round_.fiscal_year}"
    if city.folder is not None and out.resolve() == city.folder.resolve():
        _error("調査票はデータフォルダとは別のフォルダに作ってください (--out)")
        return ROUND_INVALID
    try:
        paths = write_round(round_, out)
    except RoundError as error:
        _error(str(error))
        return ROUND_INVALID
    except OSError as error:
        _error(
            f"調査票を {out} に書き込めませんでした（{error.strerror or error}: "
            f"{error.filename or out}）。書き込みの権限と空き容量、同じ名前のフォルダが"
            "ないかを確かめてください (could not write the workbooks)"
        )
        return ROUND_INVALID
    _say(started(round_, paths, out))
    return 0


def cmd_round_collect(args: argparse.Namespace) -> int:
    """``plan-report round collect FOLDER [--apply]``: check the returned workbooks."""
    from helpers.data.evaluation_workbook import collect_workbooks
    from helpers.data.evaluations import RoundError, apply_answers
    from helpers.data.problems import format_problems
    from helpers.data.round_messages import applied, collected

    city = _round_data(args)
    if city is None:
        return ROUND_INVALID
    collection = collect_workbooks(args.folder, city, args.as_of)
    if collection.round is None:
        _error(format_problems(collection.problems))
        _error(
            "この回の調査票を取り込めないため、データフォルダは変更していません (nothing changed)"
        )
        return ROUND_PROBLEMS
    _say(collected(collection))
    if collection.errors:
        _error(
            "調査票に問題があります。上の表の場所を直して、もう一度実行してください。"
            "データフォルダは変更していません (problems found; nothing changed)"
        )
        return ROUND_PROBLEMS
    if not args.apply:
        _say("確認だけを行いました。データに追記するには --apply を付けてください (dry run)")
        return 0
    if not collection.complete:
        _error(
            "未提出の課か未記入の項目があるため、追記しません。"
            "データフォルダは変更していません (incomplete; nothing changed)"
        )
        return ROUND_PROBLEMS
    try:
        files = apply_answers(
            city.folder, collection.round, collection.item_answers(), collection.actual_answers()
        )
    except RoundError as error:
        _error(str(error))
        if error.problems:
            _error(format_problems(error.problems))
        return ROUND_PROBLEMS
    except OSError as error:
        _error(
            f"データフォルダ {city.folder} に書き込めませんでした（{error.strerror or error}）。"
            "データフォルダは変更していません。書き込みの権限と空き容量を確かめてください "
            "(could not write the data folder; nothing changed)"
        )
        return ROUND_INVALID
    _say(applied(collection, files, city.folder))
    return 0


ROUND_PROBLEMS = 1
ROUND_INVALID = 2

ROUND_HELP = """exit codes of round:
  0    done (start: workbooks written; collect: no problem, answers appended with --apply)
  1    collect: a returned workbook has problems, or --apply with answers missing
       (the table says where); the data folder is unchanged
  2    invalid data folder or arguments; nothing written"""


EXIT_CODES_HELP = """exit codes of build:
  0    every report built or unchanged; the set published whole
  1    a report (or the open data, or publishing) failed; the previous set kept
  2    invalid data, report set or output folder; no report was run
  3    another build holds the lock
  130  interrupted (Ctrl-C, SIGTERM)"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``plan-report``."""
    parser = argparse.ArgumentParser(
        prog="plan-report",
        description="情報化推進計画の評価報告書を作る (build the evaluation reports)",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=reportset.DEFAULT_CONFIG,
        help=f"report set file (default: {reportset.DEFAULT_CONFIG})",
    )
    common.add_argument(
        "--reports-dir",
        type=Path,
        default=None,
        help="output folder (default: reports/ for reports.yaml, reports/<name>/ for <name>.yaml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    build_cmd = commands.add_parser(
        "build",
        parents=[common],
        help="build the reports whose inputs changed",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build_cmd.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="build only this report (repeatable; shell patterns such as 'plan-*' allowed)",
    )
    build_cmd.add_argument("--jobs", "-j", type=_positive_int, default=1, help="worker processes")
    build_cmd.add_argument("--force", action="store_true", help="rebuild even unchanged reports")
    build_cmd.add_argument("--no-pdf", action="store_true", help="skip the PDF of each report")
    build_cmd.add_argument(
        "--no-preload",
        action="store_true",
        help="start every kernel from scratch instead of forking it from a preloaded one",
    )
    build_cmd.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the reports on the workers of a Dask cluster (e.g. tcp://host:8786); "
        "this process keeps the checks, the lock, skipping and publishing",
    )
    build_cmd.add_argument(
        "--timeout",
        type=float,
        default=driver.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit of each cell (default {driver.DEFAULT_TIMEOUT:.0f}; 0 = none)",
    )
    build_cmd.set_defaults(func=cmd_build)

    rollback = commands.add_parser(
        "rollback",
        parents=[common],
        help="publish the previous release of the set again (run twice to undo)",
    )
    rollback.set_defaults(func=cmd_rollback)

    listing = commands.add_parser(
        "list", parents=[common], help="show the reports and their last outcome"
    )
    listing.set_defaults(func=cmd_list)

    validate = commands.add_parser(
        "validate", parents=[common], help="check a data folder and list every problem"
    )
    validate.add_argument(
        "folders", nargs="*", type=Path, metavar="folder", help="data folder (default: the set's)"
    )
    validate.add_argument(
        "--format", choices=("table", "csv"), default="table", help="output format (default: table)"
    )
    validate.set_defaults(func=cmd_validate)

    new_city_cmd = commands.add_parser(
        "new-city",
        help="start a new city: an empty data folder and its own report set",
        description=(
            "Write data/ID/ (city.yaml with the keys to fill in, CSV files with their headers) "
            "and notebooks/ID.yaml (the city's report set, published to reports/ID/). "
            "Nothing is overwritten."
        ),
    )
    new_city_cmd.add_argument("city_id", metavar="ID", help="ASCII id of the city, e.g. kakuu")
    new_city_cmd.add_argument("--name", required=True, help="the city's name, e.g. 架空市")
    new_city_cmd.add_argument(
        "--root", type=Path, default=Path("."), help="project folder (default: current folder)"
    )
    new_city_cmd.set_defaults(func=cmd_new_city)

    round_cmd = commands.add_parser(
        "round",
        help="the yearly evaluation round: workbooks out to departments, answers back in",
        epilog=ROUND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    steps = round_cmd.add_subparsers(dest="step", required=True)
    round_common = argparse.ArgumentParser(add_help=False)
    round_common.add_argument(
        "--config",
        type=Path,
        default=reportset.DEFAULT_CONFIG,
        help=f"report set whose data folder is used (default: {reportset.DEFAULT_CONFIG})",
    )
    round_common.add_argument(
        "--data", type=Path, default=None, help="data folder (default: the report set's)"
    )
    start = steps.add_parser(
        "start",
        parents=[round_common],
        help="write one evaluation workbook per department",
        epilog=ROUND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    start.add_argument("as_of", metavar="as-of", help="評価の時点 (e.g. 令和7年度末)")
    start.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the workbooks (default: rounds/<city id>-<fiscal year>)",
    )
    start.add_argument("--deadline", help="提出期限 shown in every workbook (e.g. 2026-05-29)")
    start.add_argument(
        "--plan",
        action="append",
        metavar="PLAN_ID",
        help="plan to evaluate (repeatable; default: the plans in progress that fiscal year)",
    )
    start.set_defaults(func=cmd_round_start)
    collect = steps.add_parser(
        "collect",
        parents=[round_common],
        help="check the returned workbooks; --apply appends the answers to the data",
        epilog=ROUND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    collect.add_argument("folder", type=Path, help="folder holding the returned workbooks")
    collect.add_argument(
        "--apply", action="store_true", help="append the answers as a new evaluation"
    )
    collect.add_argument(
        "--as-of", default=None, help="the round to collect when the folder holds several"
    )
    collect.set_defaults(func=cmd_round_collect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``plan-report`` and ``python -m helpers``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
