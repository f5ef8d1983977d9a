"""Running report tasks: in this process, or in worker processes, one task at a time each."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
from collections.abc import Iterator, Sequence
from typing import Any

from helpers.build.kernels import die_with_parent
from helpers.build.tasks import PDF_PRINTER, CellFailure, Task, TaskResult, run_task


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _worker_main(tasks: Any, results: Any) -> None:
    """Worker loop: run tasks until the ``None`` sentinel; report start and result of each."""
    die_with_parent()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while (task := tasks.get()) is not None:
                results.put(("start", task.name, os.getpid()))
                results.put(("done", run_task(task), os.getpid()))
    finally:
        PDF_PRINTER.close()


class TaskRunner:
    """Runs tasks in this process (``jobs == 1``) or in forked worker processes.

    ``with TaskRunner(tasks, jobs) as runner: for kind, payload in runner.events(): ...``
    yields ``("start", name)`` and ``("done", TaskResult)`` as they happen. Workers are forked
    on entering the block, before the driver starts any thread (queue feeders), and inherit
    everything :func:`warm_up` loaded; a worker that dies fails the report it was running;
    leaving the block stops them (and this process's PDF browser).
    """

    def __init__(self, tasks: Sequence[Task], jobs: int) -> None:
        self.tasks = list(tasks)
        self.jobs = max(1, min(jobs, len(self.tasks)))
        self.workers: list[Any] = []
        self.task_queue: Any = None
        self.result_queue: Any = None

    def __enter__(self) -> TaskRunner:
        if self.jobs > 1:
            context = multiprocessing.get_context("fork")
            self.task_queue = context.Queue()
            self.result_queue = context.Queue()
            self.workers = [
                context.Process(
                    target=_worker_main, args=(self.task_queue, self.result_queue), daemon=True
                )
                for _ in range(self.jobs)
            ]
            for worker in self.workers:
                worker.start()
            for task in self.tasks:
                self.task_queue.put(task)
            for _ in self.workers:
                self.task_queue.put(None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        PDF_PRINTER.close()
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()
        for worker in self.workers:
            worker.join(timeout=10)

    def events(self) -> Iterator[tuple[str, Any]]:
        """Start and result of every task, in the order they happen."""
        if not self.workers:
            for task in self.tasks:
                yield ("start", task.name)
                yield ("done", run_task(task))
            return
        running: dict[int, str] = {}
        remaining = {t.name for t in self.tasks}
        while remaining:
            try:
                kind, payload, pid = self.result_queue.get(timeout=0.5)
            except queue.Empty:
                yield from _reap_dead_workers(self.workers, running, remaining)
                if remaining and not any(w.is_alive() for w in self.workers):
                    for name in sorted(remaining):
                        yield ("done", TaskResult(name, False, failure=_lost()))
                    return
                continue
            if kind == "start":
                running[pid] = payload
                yield ("start", payload)
            else:
                running.pop(pid, None)
                remaining.discard(payload.name)
                yield ("done", payload)


def _lost() -> CellFailure:
    return CellFailure(error="no worker process left to run this report")


def _reap_dead_workers(
    workers: Sequence[Any], running: dict[int, str], remaining: set[str]
) -> Iterator[tuple[str, Any]]:
    """Fail the report of every worker that died while running it."""
    for worker in workers:
        name = running.get(worker.pid)
        if name is not None and not worker.is_alive():
            del running[worker.pid]
            remaining.discard(name)
            failure = CellFailure(error=f"worker process died (exit code {worker.exitcode})")
            yield ("done", TaskResult(name, False, failure=failure))
