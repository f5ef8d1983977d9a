"""The same report tasks on a Dask cluster (``plan-report build --scheduler tcp://host:8786``).

The driver keeps everything that makes a build safe: validation, the lock, skipping unchanged
reports and publishing the whole set. Only :func:`~helpers.build.tasks.run_task` runs on the
cluster's workers, through :func:`run_remote_task`: each report still executes in a fresh kernel
process of its own (forked from a zygote that a :class:`ZygotePlugin` starts on each worker, or
started the ordinary way), in a private temporary folder of the worker; the HTML and PDF come back
to the driver as bytes, so workers need no write access to the driver's files.

What workers must see: the notebooks travel with each task (their text), but the data folder and
the report set are read where the parameters point (``data_dir``, ``report_set``: absolute paths
of the driver). Workers therefore need the project at the same path, on a shared file system or
a copy; :class:`ClusterRunner` checks it on every worker before any report runs. Run workers with
one thread each (``dask worker ADDRESS --nworkers N --nthreads 1``): a task is a kernel process
plus an export, and a worker process runs one task at a time (:func:`run_remote_task`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from helpers.build.kernels import zygote_process
from helpers.build.runner import ExecutorError
from helpers.build.tasks import CellFailure, Task, TaskResult, run_task

PLUGIN_NAME = "plan-report-zygote"

CONNECT_TIMEOUT = 20.0
"""Seconds to reach the scheduler before the build gives up (exit 2)."""

_REPORT_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-report")


class ClusterError(ExecutorError):
    """The cluster cannot be reached, or its workers cannot see the project's files."""


@dataclass(frozen=True)
class RemoteResult:
    """What a worker sends back: the task's result and the bytes of its files."""

    result: TaskResult
    html: bytes | None = None
    pdf: bytes | None = None
    failed_notebook: bytes | None = None


def _read(path: str | None) -> bytes | None:
    if path is None or not Path(path).is_file():
        return None
    return Path(path).read_bytes()


def run_remote_task(task: Task) -> RemoteResult:
    """Run ``task`` on this (cluster) worker in a private folder; return its files as bytes.

    Tasks of one worker process run one at a time, always in the same thread (the PDF browser
    of a process belongs to the thread that started it), whatever ``--nthreads`` the worker has.
    """
    zygote = _worker_zygote()  # the worker's context is known in the task's own thread only
    return _REPORT_THREAD.submit(_run_here, task, zygote).result()


def _run_here(task: Task, zygote: str | None) -> RemoteResult:
    with tempfile.TemporaryDirectory(prefix="plan-report-") as folder:
        work = Path(folder)
        ipython = work / "ipython"
        (ipython / "profile_default").mkdir(parents=True)
        env = dict(task.env)
        env["IPYTHONDIR"] = str(ipython)
        local = replace(
            task,
            html_path=str(work / "out.html"),
            pdf_path=str(work / "out.pdf") if task.pdf_path else None,
            failed_path=str(work / "failed.ipynb"),
            socket_dir=str(work),
            env=tuple(sorted(env.items())),
            cwd=task.cwd if Path(task.cwd).is_dir() else str(work),
            zygote=zygote,
        )
        result = run_task(local)
        result = replace(result, worker=f"{socket.gethostname()}:{os.getpid()}")
        if not result.ok:
            return RemoteResult(result, failed_notebook=_read(result.failed_notebook))
        return RemoteResult(result, html=_read(local.html_path), pdf=_read(local.pdf_path))


def _worker_zygote() -> str | None:
    """The socket of the zygote the plugin started on this worker, if any."""
    with contextlib.suppress(ImportError, ValueError, KeyError, AttributeError):
        from distributed import get_worker

        plugin = get_worker().plugins[PLUGIN_NAME]
        return plugin.socket()
    return None


class ZygotePlugin(WorkerPlugin):  # type: ignore[misc]
    """A Dask worker plugin that runs a kernel zygote on each worker, preloading ``modules``."""

    name = PLUGIN_NAME

    def __init__(self, modules: Sequence[str], env: dict[str, str]) -> None:
        self.modules = list(modules)
        self.env = dict(env)
        self._stack: contextlib.ExitStack | None = None
        self._wait: Any = None
        self._folder: str | None = None

    def setup(self, worker: Any = None) -> None:
        """Start the zygote (it imports in the background)."""
        self._folder = tempfile.mkdtemp(prefix="plan-report-zygote-")
        self._stack = contextlib.ExitStack()
        self._wait = self._stack.enter_context(
            zygote_process(Path(self._folder), self.modules, self.env)
        )

    def socket(self) -> str | None:
        """The zygote's socket once it listens (``None`` if it could not start)."""
        return self._wait() if self._wait is not None else None

    def teardown(self, worker: Any = None) -> None:
        """Stop the zygote and its kernels."""
        if self._stack is not None:
            self._stack.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _sees(paths: Sequence[str]) -> list[str]:
    """On a worker: which of ``paths`` it cannot see."""
    return [p for p in paths if not Path(p).exists()]


class ClusterRunner:
    """Runs tasks on a Dask cluster, like :class:`~helpers.build.runner.TaskRunner` does locally.

    ``with ClusterRunner(tasks, address, must_see, preload) as runner:`` connects to the
    scheduler, checks that every worker sees ``must_see`` (the data folder, the report set),
    starts a zygote on each worker when ``preload`` names modules, and submits every task;
    ``runner.events()`` yields ``("start", name)`` and ``("done", TaskResult)``, and writes each
    report's files where the task asked for them (on the driver's side).
    """

    def __init__(
        self,
        tasks: Sequence[Task],
        address: str,
        must_see: Sequence[str] = (),
        preload: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.tasks = list(tasks)
        self.address = address
        self.must_see = list(must_see)
        self.preload = list(preload)
        self.env = dict(env or {})
        self.client: Any = None
        self.jobs = 1

    def __enter__(self) -> ClusterRunner:
        from distributed import Client

        if not self.tasks:
            return self  # nothing to run: the cluster is not even asked
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {self.address}: {exc}"
            ) from None
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        if not workers:
            self.client.close()
            raise ClusterError(f"the Dask scheduler at {self.address} has no workers")
        self.jobs = len(workers)
        blind = {
            w: missing for w, missing in self.client.run(_sees, self.must_see).items() if missing
        }
        if blind:
            self.client.close()
            worker, missing = next(iter(blind.items()))
            raise ClusterError(
                f"{len(blind)} of {len(workers)} workers cannot see the project's files "
                f"(e.g. {worker}: {', '.join(missing)}); workers need the project at the same "
                "path (a shared file system)"
            )
        if self.preload and self.tasks:
            self.client.register_plugin(ZygotePlugin(self.preload, self.env), name=PLUGIN_NAME)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                if self.preload and self.tasks:
                    self.client.unregister_worker_plugin(PLUGIN_NAME)
            self.client.close()

    def events(self) -> Iterator[tuple[str, Any]]:
        """Start and result of every task; the files of each report written on arrival."""
        from distributed import as_completed

        if not self.tasks:
            return

        futures = {}
        for task in self.tasks:
            future = self.client.submit(
                run_remote_task, task, key=f"report-{task.name}", pure=False
            )
            futures[future] = task
            yield ("start", task.name)
        for future in as_completed(futures):
            task = futures[future]
            try:
                remote: RemoteResult = future.result()
            except Exception as exc:
                failure = CellFailure(error=f"cluster task failed: {type(exc).__name__}: {exc}")
                yield ("done", TaskResult(task.name, False, failure=failure))
                continue
            yield ("done", _take_in(task, remote))


def _write(path: str | None, data: bytes | None) -> str | None:
    if path is None or data is None:
        return None
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)
    return path


def _take_in(task: Task, remote: RemoteResult) -> TaskResult:
    """Write a remote report's files where the driver expects them; the result with local paths."""
    result = remote.result
    if not result.ok:
        kept = _write(task.failed_path, remote.failed_notebook)
        return replace(result, failed_notebook=kept)
    _write(task.html_path, remote.html)
    _write(task.pdf_path, remote.pdf)
    return result
