"""Running report tasks: in this process, or in worker processes, one task at a time each.

Worker processes are never forked from the driver, which may have other threads by then (the
chart converter's runtime, BLAS pools, queue feeders): forking a process with threads can leave
the child with a lock held forever. They come from multiprocessing's *forkserver*, a fresh
single-threaded process that imports papermill, nbconvert and the exporter once (the forkserver
``preload``) and forks a worker from that state; each worker records how many threads the
process it was forked from had (:data:`forked_with_threads`), and the tests check it is one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Iterator, Sequence
from typing import Any

from helpers.build.kernels import SINGLE_THREADED, die_with_parent, thread_count
from helpers.build.tasks import PDF_PRINTER, CellFailure, Task, TaskResult, run_task, warm_up

WORKER_PRELOAD = [
    "helpers.build.runner",
    "helpers.build.tasks",
    "helpers.publish.export",
    "jupytext",
    "nbformat",
    "papermill",
    "papermill.engines",
    "jupyter_client.manager",
]
"""Modules the forkserver imports once, before it forks any worker."""


class ExecutorError(RuntimeError):
    """The tasks cannot be run where the build was asked to run them (e.g. an unreachable
    cluster); nothing ran."""


forked_with_threads: int | None = None
"""In a forked process: the threads of the process it was forked from, at the fork."""


def _count_threads_before_fork() -> None:
    global forked_with_threads
    forked_with_threads = thread_count()


os.register_at_fork(before=_count_threads_before_fork)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _worker_main(tasks: Any, results: Any) -> None:
    """Worker loop: run tasks until the ``None`` sentinel; report start and result of each."""
    die_with_parent()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    results.put(("ready", forked_with_threads, os.getpid()))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            warm_up()
            while (task := tasks.get()) is not None:
                results.put(("start", task.name, os.getpid()))
                results.put(("done", run_task(task), os.getpid()))
    finally:
        with contextlib.suppress(KeyboardInterrupt):  # stopped while closing its browser
            PDF_PRINTER.close()


#: Seconds the workers get, after their last task, to close their browsers and end by themselves.
WORKER_EXIT_GRACE = 30.0


class TaskRunner:
    """Runs tasks in this process (``jobs == 1``) or in worker processes (see the module doc).

    ``with TaskRunner(tasks, jobs) as runner: for kind, payload in runner.events(): ...``
    yields ``("start", name)`` and ``("done", TaskResult)`` as they happen. A worker that dies
    fails the report it was running; leaving the block stops the workers (and this process's
    PDF browser). :attr:`fork_threads` lists, per worker, the threads of the process it was
    forked from.
    """

    def __init__(self, tasks: Sequence[Task], jobs: int) -> None:
        self.tasks = list(tasks)
        self.jobs = max(1, min(jobs, len(self.tasks)))
        self.workers: list[Any] = []
        self.task_queue: Any = None
        self.result_queue: Any = None
        self.fork_threads: list[int | None] = []

    def __enter__(self) -> TaskRunner:
        if self.jobs > 1:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(WORKER_PRELOAD)
            self.task_queue = context.Queue()
            self.result_queue = context.Queue()
            self.workers = [
                context.Process(
                    target=_worker_main, args=(self.task_queue, self.result_queue), daemon=True
                )
                for _ in range(self.jobs)
            ]
            with _environment(SINGLE_THREADED):  # the forkserver inherits it when it starts
                for worker in self.workers:
                    worker.start()
            for task in self.tasks:
                self.task_queue.put(task)
            for _ in self.workers:
                self.task_queue.put(None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        PDF_PRINTER.close()
        if exc_info[0] is None:  # every task ran: the workers end after closing their browsers
            deadline = time.monotonic() + WORKER_EXIT_GRACE
            for worker in self.workers:
                worker.join(timeout=max(0.0, deadline - time.monotonic()))
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
            if kind == "ready":
                self.fork_threads.append(payload)
            elif kind == "start":
                running[pid] = payload
                yield ("start", payload)
            else:
                running.pop(pid, None)
                remaining.discard(payload.name)
                yield ("done", payload)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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
