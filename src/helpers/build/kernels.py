"""Report kernels: a fresh ipykernel process per report, optionally forked from a preloaded zygote.

Every report runs in its own new kernel process with a fixed kernel spec (this interpreter), a
private IPython profile and a deterministic environment (:data:`KERNEL_ENV`). With preloading, a
zygote process (:mod:`helpers.build.zygote`) imports the notebooks' modules once and forks a
kernel per report, asked by jupyter_client's documented extension point, a kernel provisioner
(:mod:`helpers.build.provisioner`); nothing of one report reaches another.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

SINGLE_THREADED: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""No BLAS/OpenMP thread pools: reports hold small tables, the other worker needs the core, and
a process that imported numpy stays single-threaded (so it can be forked safely)."""

KERNEL_ENV: dict[str, str] = {
    # Report mode: figures hold only their containers; the exporter puts the Vega bundle in the
    # page once (an interactive kernel would emit the ~0.9 MB bundle with its first figure).
    "PLAN_REPORT_MODE": "report",
    # Reuse (and write) bytecode caches: a kernel that cannot compiles every module it imports.
    "PYTHONDONTWRITEBYTECODE": "",
    # Byte-identical reports: no hash randomisation of str sets and dicts in kernels.
    "PYTHONHASHSEED": "0",
    **SINGLE_THREADED,
    # Quieter, cheaper start-up of Jupyter components.
    "JUPYTER_PLATFORM_DIRS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
"""Environment every report kernel gets on top of the driver's."""


def kernel_env(ipython_dir: Path) -> dict[str, str]:
    """Kernel environment: :data:`KERNEL_ENV` plus a private, empty IPython profile folder.

    The private profile keeps user start-up scripts and history out of report builds.
    """
    return {**KERNEL_ENV, "IPYTHONDIR": str(ipython_dir)}


KERNEL_BLOCKED_MODULES: tuple[str, ...] = ("debugpy", "rfc3987_syntax")
"""Modules report kernels never need but would import at start-up.

``debugpy`` (~0.15 s: ipykernel's debugger, useless in a batch build) and ``rfc3987_syntax``
(~1 s where jupyterlab's ``jsonschema[format-nongpl]`` installs it: it builds Lark parsers on
import; altair's validation does not need IRI format checks).
"""


ALWAYS_PRELOADED: tuple[str, ...] = ("ipykernel.kernelapp", "ipykernel.ipkernel")
"""Modules every kernel imports at start-up: the zygote imports them first."""


LAUNCH_MODULE = "helpers.build.launch"
PROVISIONER_NAME = "plan-report-zygote"
"""Entry point (group ``jupyter_client.kernel_provisioners``) of
:class:`helpers.build.provisioner.ZygoteProvisioner`."""


def kernel_argv(python: str) -> list[str]:
    """Command of a report kernel started the ordinary way (:mod:`helpers.build.launch`).

    The kernel's own log (e.g. the interrupt jupyter_client sends before every shutdown) stays
    out of the build log; cell output and errors reach the notebook as usual. The zygote, when
    there is one, receives the same arguments and forks the kernel instead.
    """
    return [
        python,
        "-m",
        LAUNCH_MODULE,
        "-f",
        "{connection_file}",
        "--IPKernelApp.log_level=CRITICAL",
    ]


ZYGOTE_SOCKET = "zygote"


def notebook_imports(text: str) -> list[str]:
    """Modules a py:percent notebook imports in its code cells (top-level statements, sorted).

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule); relative imports and
    cells that do not parse (magics) are left out.
    """
    names: set[str] = set()
    for cell in parse_notebook(text).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return sorted(names)


def thread_count() -> int:
    """Threads of this process, native ones included (BLAS pools are invisible to threading)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


@contextlib.contextmanager
def zygote_process(
    socket_dir: Path, modules: Sequence[str], env: Mapping[str, str]
) -> Iterator[Callable[[], str | None]]:
    """Run a kernel zygote (:mod:`helpers.build.zygote`) for the duration of the block.

    It starts in the background (the driver warms up meanwhile); the block gets a function that
    waits (at most 60 s) for the zygote's socket, which appears once the modules are imported,
    and returns its path (None if the zygote failed: kernels then start the ordinary way).
    """
    path = socket_dir / ZYGOTE_SOCKET
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.build.zygote", str(path), *modules],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield lambda: _wait_for_socket(path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_socket(path: Path, process: subprocess.Popen[bytes]) -> str | None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(0.02)
    return str(path)


ENGINE_NAME = "plan_report"


@cache
def kernel_manager_class(
    argv: tuple[str, ...],
    env: tuple[tuple[str, str], ...],
    socket_dir: str,
    zygote: str | None = None,
) -> type:
    """A kernel manager with a fixed kernel spec (``argv`` with ``env``) and IPC sockets.

    Fixing the spec means the kernel is always this interpreter, whatever kernelspecs the
    machine (or the user's home) has installed. The connection file and the Unix sockets live
    in ``socket_dir`` (short, private to the build) instead of the user's Jupyter runtime folder,
    which a service account may not have. With a ``zygote`` socket, the spec names the
    :class:`~helpers.build.provisioner.ZygoteProvisioner`, which has the kernel forked there.
    Its clients are :class:`ReportKernelClient`.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    metadata: dict[str, Any] = {}
    if zygote is not None:
        metadata["kernel_provisioner"] = {
            "provisioner_name": PROVISIONER_NAME,
            "config": {"zygote_socket": zygote},
        }
    spec = KernelSpec(
        argv=list(argv),
        env=dict(env),
        display_name="plan-report",
        language="python",
        metadata=metadata,
    )
    numbers = itertools.count(1)

    class ReportKernelSpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
            return spec

    class ReportKernelManager(AsyncKernelManager):
        client_class = "helpers.build.kernels.ReportKernelClient"
        client_factory = report_kernel_client_class()

        @default("kernel_spec_manager")
        def _report_kernel_spec_manager(self) -> KernelSpecManager:
            return ReportKernelSpecManager()

        @default("transport")
        def _report_transport(self) -> str:
            return "ipc"

        @default("connection_file")
        def _report_connection_file(self) -> str:
            return f"{self._report_stem()}.json"

        @default("ip")
        def _report_ip(self) -> str:
            return self._report_stem()

        def _report_stem(self) -> str:
            if not hasattr(self, "report_stem"):
                self.report_stem = f"{socket_dir}/k{os.getpid()}-{next(numbers)}"
            return str(self.report_stem)

    return ReportKernelManager


@cache
def report_kernel_client_class() -> type:
    """The kernel client of report builds: jupyter_client's, without its idle waits.

    ``wait_for_ready`` of jupyter_client ends by listening to the IOPub channel until it has
    been quiet for 0.2 s: a fixed 0.2 s per report. Here it takes what has arrived and goes on
    (nbclient ignores IOPub messages that answer no request of its own).
    """
    from jupyter_client.asynchronous import AsyncKernelClient

    class ReportKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except queue.Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once the kernel's busy/idle status arrives
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except queue.Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while await self.iopub_channel.msg_ready():
                await self.iopub_channel.get_msg(timeout=0)

    return ReportKernelClient


def __getattr__(name: str) -> Any:
    if name == "ReportKernelClient":  # the dotted name jupyter_client may import
        return report_kernel_client_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def register_engine() -> None:
    """Register a papermill engine that hands the running notebook to the caller.

    With it a failed run (timeout, dead kernel) still yields the notebook as far as it got.
    """
    from papermill.engines import NBClientEngine, papermill_engines

    class ReportEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            kwargs.pop("notebook_holder").append(nb_man.nb)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, ReportEngine)


@cache
def parse_notebook(text: str) -> Any:
    import jupytext

    return jupytext.reads(text, fmt="py:percent")


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signum)
