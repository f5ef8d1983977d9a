"""One report as a picklable task: execute its notebook in a fresh kernel, export HTML, print PDF.

:func:`run_task` shares no state with other tasks; a worker process, a thread of the driver or a
cluster worker can run it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.build.kernels import (
    ENGINE_NAME,
    kernel_argv,
    kernel_manager_class,
    parse_notebook,
    register_engine,
)


def warm_up() -> None:
    """Import papermill, nbconvert and the exporter once per driver.

    Worker processes fork from the driver after this, so none of them pays it again. Charts are
    drawn by vl-convert in the workers; it is not started here (its runtime does not survive a
    fork, see ``helpers.publish.vlconvert``), and published pages need no Vega bundle.
    """
    import jupytext  # noqa: F401
    import nbformat
    import papermill  # noqa: F401

    from helpers.publish import export

    register_engine()
    export.export_html(nbformat.v4.new_notebook(), title="warm-up")  # compiles the template


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to execute and export one report."""

    name: str
    notebook_text: str
    parameters: dict[str, Any]
    title: str
    html_path: str
    failed_path: str
    cwd: str
    timeout: float | None
    env: tuple[tuple[str, str], ...]
    socket_dir: str
    zygote: str | None = None
    pdf_path: str | None = None


@dataclass(frozen=True)
class CellFailure:
    """Where and why a report failed."""

    error: str
    cell_index: int | None = None
    execution_count: int | None = None
    first_line: str | None = None

    def describe(self) -> str:
        """One line: the cell (index, execution count, first source line) and the error."""
        if self.cell_index is None:
            return self.error
        count = "" if self.execution_count is None else f" (In [{self.execution_count}])"
        line = f" `{self.first_line}`" if self.first_line else ""
        return f"cell {self.cell_index}{count}{line}: {self.error}"


@dataclass(frozen=True)
class TaskResult:
    """Outcome of executing and exporting one report in a worker."""

    name: str
    ok: bool
    timings: dict[str, float] = field(default_factory=dict)
    failure: CellFailure | None = None
    failed_notebook: str | None = None
    worker: str | None = None
    """Where it ran, when not in the build's own processes (``host:pid`` of a cluster worker)."""


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def first_message_line(text: str) -> str:
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


def describe_failure(exc: BaseException, notebook: Any | None) -> CellFailure:
    """The failing cell and error of a papermill run that raised ``exc``.

    ``PapermillExecutionError`` names the cell; for other errors (cell timeout, dead kernel) the
    culprit is the last cell papermill started in ``notebook``.
    """
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return CellFailure(
            error=f"{exc.ename}: {first_message_line(exc.evalue)}",
            cell_index=exc.cell_index,
            execution_count=exc.exec_count,
            first_line=_first_line(exc.source),
        )
    error = f"{type(exc).__name__}: {first_message_line(str(exc))}"
    cells = list(getattr(notebook, "cells", None) or [])
    started = [
        index
        for index, cell in enumerate(cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if started:
        cell = cells[started[-1]]
        return CellFailure(
            error=error,
            cell_index=started[-1],
            execution_count=cell.get("execution_count"),
            first_line=_first_line(cell.get("source", "")),
        )
    return CellFailure(error=error)


class _Clock:
    """Marks the phases of one report's execution (nbclient's hooks call :meth:`mark`)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, name: str, **_: Any) -> None:
        self.marks[name] = time.perf_counter()

    def phases(self, notebook: Any | None) -> dict[str, float]:
        """``kernel`` (start until ready), ``cells``, ``shutdown``, and each code cell's seconds
        (``cell N``, N its index in the notebook); what is known when a run stops early."""
        end = time.perf_counter()
        ready = self.marks.get("ready")
        last = self.marks.get("cell", ready)
        result: dict[str, float] = {}
        if ready is None:
            result["kernel"] = end - self.started
        else:
            result["kernel"] = ready - self.started
            result["cells"] = (last or ready) - ready
            result["shutdown"] = end - (last or ready)
        for index, cell in enumerate(getattr(notebook, "cells", None) or []):
            duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
            if cell.get("cell_type") == "code" and isinstance(duration, int | float):
                result[f"cell {index}"] = duration
        return {name: round(value, 3) for name, value in result.items()}


PHASES = ("kernel", "cells", "shutdown", "export", "charts", "pdf")
"""Phases of a report's timings, in order (``charts``: drawing SVG, part of ``export``)."""


def run_task(task: Task) -> TaskResult:
    """Execute the report's notebook in a fresh kernel and export it to ``task.html_path``.

    On failure the executed notebook (as far as it ran) is written to ``task.failed_path`` and
    nothing is written to ``task.html_path``. The result's timings hold the phases
    (:data:`PHASES`) and each code cell's seconds.
    """
    import nbformat
    import papermill

    from helpers.publish import export, svg

    register_engine()
    # Failures are reported once, by the build, with the cell and the error.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    holder: list[Any] = []
    clock = _Clock()
    try:
        executed = papermill.execute_notebook(
            parse_notebook(task.notebook_text),
            None,
            parameters=task.parameters,
            engine_name=ENGINE_NAME,
            kernel_name="python3",
            language="python",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=task.timeout,
            cwd=task.cwd,
            kernel_manager_class=kernel_manager_class(
                tuple(kernel_argv(sys.executable)), task.env, task.socket_dir, task.zygote
            ),
            notebook_holder=holder,
            shutdown_kernel="immediate",  # kill, not the ~0.4 s polite shutdown
            on_notebook_start=lambda **_: clock.mark("ready"),
            on_cell_executed=lambda **_: clock.mark("cell"),
        )
    except Exception as exc:
        notebook = holder[0] if holder else None
        if notebook is not None:
            Path(task.failed_path).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, task.failed_path)
        return TaskResult(
            name=task.name,
            ok=False,
            timings=clock.phases(notebook),
            failure=describe_failure(exc, notebook),
            failed_notebook=task.failed_path if notebook is not None else None,
        )
    timings = clock.phases(executed)
    started = time.perf_counter()
    svg.reset_stats()
    try:
        html = export.export_html(executed, title=task.title)
        Path(task.html_path).parent.mkdir(parents=True, exist_ok=True)
        Path(task.html_path).write_text(html, encoding="utf-8")
    except Exception as exc:
        timings["export"] = round(time.perf_counter() - started, 3)
        failure = CellFailure(error=f"HTML export failed: {type(exc).__name__}: {exc}")
        return TaskResult(name=task.name, ok=False, timings=timings, failure=failure)
    timings["export"] = round(time.perf_counter() - started, 3)
    timings["charts"] = round(svg.stats().seconds, 3)
    if task.pdf_path is None:
        return TaskResult(name=task.name, ok=True, timings=timings)
    started = time.perf_counter()
    try:
        PDF_PRINTER.print(Path(task.html_path), Path(task.pdf_path))
    except Exception as exc:
        timings["pdf"] = round(time.perf_counter() - started, 3)
        failure = CellFailure(error=f"PDF printing failed: {type(exc).__name__}: {exc}")
        return TaskResult(name=task.name, ok=False, timings=timings, failure=failure)
    timings["pdf"] = round(time.perf_counter() - started, 3)
    return TaskResult(name=task.name, ok=True, timings=timings)


class ProcessPdfPrinter:
    """The PDF printer of this process: one headless Chromium, started at the first PDF.

    Each worker process prints the reports it executed, so PDFs print in parallel and overlap
    with the other workers' kernels; :meth:`close` stops the browser.
    """

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._printer: Any = None

    def print(self, html_path: Path, pdf_path: Path) -> None:
        """Print ``html_path`` to ``pdf_path`` (see ``helpers.publish.pdf.PdfPrinter``)."""
        if self._printer is None:
            from helpers.publish.pdf import PdfPrinter

            self._printer = self._stack.enter_context(PdfPrinter())
        self._printer.print(html_path, pdf_path)

    def close(self) -> None:
        """Stop the browser, if one was started."""
        self._printer = None
        with contextlib.suppress(Exception):
            self._stack.close()


PDF_PRINTER = ProcessPdfPrinter()
