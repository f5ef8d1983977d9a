"""Report kernels: a fresh ipykernel process per report, optionally forked from a preloaded zygote.

Every report runs in its own new kernel process with a fixed kernel spec (this interpreter), a
private IPython profile and a deterministic environment (:data:`KERNEL_ENV`). With preloading, a
zygote process imports the notebooks' modules once and forks a kernel per request; nothing of one
report reaches another.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

KERNEL_ENV: dict[str, str] = {
    # Report mode: figures hold only their containers; the exporter puts the Vega bundle in the
    # page once (an interactive kernel would emit the ~0.9 MB bundle with its first figure).
    "PLAN_REPORT_MODE": "report",
    # Reuse (and write) bytecode caches: a kernel that cannot compiles every module it imports.
    "PYTHONDONTWRITEBYTECODE": "",
    # Byte-identical reports: no hash randomisation of str sets and dicts in kernels.
    "PYTHONHASHSEED": "0",
    # Reports hold small tables: no BLAS/OpenMP thread pools competing with the other worker.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
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


KERNEL_LAUNCH = (
    "import sys; "
    f"sys.modules.update(dict.fromkeys({KERNEL_BLOCKED_MODULES!r})); "
    "sys.path[:1] = [] if sys.path and sys.path[0] == '' else sys.path[:1]; "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)
"""What ``ipykernel_launcher`` does (drop the working folder from ``sys.path``, launch the
kernel app), after marking :data:`KERNEL_BLOCKED_MODULES` as absent."""


KERNEL_STUB = r"""
import ctypes, json, os, signal, socket, sys
zygote, plain = sys.argv[1], sys.argv[3:]
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
except Exception:
    pass
try:
    link = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    link.connect(zygote)
    body = json.dumps(
        dict(args=plain[plain.index("-f"):], cwd=os.getcwd(), env=dict(os.environ))
    ).encode()
    socket.send_fds(link, [len(body).to_bytes(8, "big") + body], [0, 1, 2])
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = link.recv(64)
        if not chunk:
            raise ValueError("no reply")
        reply += chunk
    child = int(reply)
except (OSError, ValueError):
    os.execv(plain[0], plain)

def forward(signum, frame):
    try:
        os.kill(child, signum)
    except OSError:
        pass

for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
    signal.signal(getattr(signal, name), forward)
while link.recv(4096):
    pass
"""
"""The process jupyter_client starts when kernels are preloaded (stdlib only, ~20 ms).

It asks the zygote (:func:`kernel_zygote`) to fork a kernel with its own arguments, working
folder, environment and standard streams, forwards every signal jupyter_client sends (interrupt,
terminate) to that kernel, and exits when the kernel exits; when killed, its kernel notices the
closed link and exits too. Without a zygote it becomes an ordinary kernel (``execv``).
"""


def kernel_argv(python: str, zygote: str | None = None) -> list[str]:
    """Command of a report kernel: :data:`KERNEL_LAUNCH` run by ``python``.

    With a ``zygote`` socket the command is :data:`KERNEL_STUB`, which gets the kernel forked
    from the preloaded zygote and falls back to the plain command. The kernel's own log (e.g.
    the interrupt jupyter_client sends before every shutdown) stays out of the build log; cell
    output and errors reach the notebook as usual.
    """
    plain = [python, "-c", KERNEL_LAUNCH, "-f", "{connection_file}"]
    plain.append("--IPKernelApp.log_level=CRITICAL")
    if zygote is None:
        return plain
    return [python, "-I", "-S", "-c", KERNEL_STUB, zygote, "--", *plain]


ZYGOTE_SOCKET = "zygote"


ALWAYS_PRELOADED: tuple[str, ...] = ("ipykernel.kernelapp", "ipykernel.ipkernel")


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


def _thread_count() -> int:
    """Threads of this process, native ones included (BLAS pools are invisible to threading)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _reap_children() -> None:
    """Collect every exited child of the zygote (no zombies)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _read_request(link: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A stub's request: 8-byte length, JSON (args, cwd, env), and its three standard fds."""
    data, fds, _, _ = socket.recv_fds(link, 1 << 16, 3)
    if len(data) < 8:
        raise ValueError("short request")
    size = int.from_bytes(data[:8], "big")
    while len(data) < 8 + size:
        chunk = link.recv(1 << 16)
        if not chunk:
            raise ValueError("truncated request")
        data += chunk
    return json.loads(data[8 : 8 + size]), list(fds)


def _exit_when_closed(link: socket.socket) -> None:
    """In a forked kernel: exit as soon as the stub that asked for it is gone."""
    with contextlib.suppress(OSError):
        while link.recv(4096):
            pass
    os._exit(1)


def _run_forked_kernel(link: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the stub's kernel (its streams, folder and environment)."""
    code = 1
    try:
        os.setsid()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import random

        random.seed()
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:
            numpy_random.seed()
        threading.Thread(target=_exit_when_closed, args=(link,), daemon=True).start()
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = ["ipykernel", *request["args"]]
        IPKernelApp.launch_instance(argv=list(request["args"]))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def kernel_zygote(argv: Sequence[str] | None = None) -> None:
    """The zygote: import what report kernels need once, then fork a kernel per request.

    ``argv``: the socket path, then the modules to preload. Forked kernels start with those
    modules imported and nothing else: no report code ever runs in the zygote, so reports share
    no state. The zygote refuses to serve (stubs then start ordinary kernels) when a preloaded
    module started a thread, which would make forking unsafe. It dies with the build.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    path, modules = args[0], args[1:]
    die_with_parent(signal.SIGKILL)
    sys.modules.update(dict.fromkeys(KERNEL_BLOCKED_MODULES))
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    for name in (*ALWAYS_PRELOADED, *modules):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    threads = _thread_count()
    if threads > 1:
        print(f"plan-report: kernel zygote disabled ({threads} threads after preloading)")
        return
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    listener.listen(64)
    os.rename(path + ".new", path)  # the socket appears only once it accepts
    listener.settimeout(1.0)
    while True:
        _reap_children()
        try:
            link, _ = listener.accept()
        except TimeoutError:
            continue
        link.settimeout(None)
        try:
            request, fds = _read_request(link)
        except (OSError, ValueError):
            link.close()
            continue
        child = os.fork()
        if child == 0:
            listener.close()
            _run_forked_kernel(link, request, fds)
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            link.sendall(f"{child}\n".encode())
        link.close()


@contextlib.contextmanager
def zygote_process(
    socket_dir: Path, modules: Sequence[str], env: Mapping[str, str]
) -> Iterator[Callable[[], str | None]]:
    """Run a kernel zygote for the duration of the block.

    It starts in the background (the driver warms up meanwhile); the block gets a function that
    waits (at most 60 s) for the zygote's socket, which appears once the modules are imported,
    and returns its path (None if the zygote failed: kernels then start the ordinary way).
    """
    path = socket_dir / ZYGOTE_SOCKET
    command = [
        sys.executable,
        "-c",
        "from helpers.build.kernels import kernel_zygote; kernel_zygote()",
    ]
    process = subprocess.Popen(
        [*command, str(path), *modules],
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
    argv: tuple[str, ...], env: tuple[tuple[str, str], ...], socket_dir: str
) -> type:
    """A kernel manager with a fixed kernel spec (``argv`` with ``env``) and IPC sockets.

    Fixing the spec means the kernel is always this interpreter, whatever kernelspecs the
    machine (or the user's home) has installed. The connection file and the Unix sockets live
    in ``socket_dir`` (short, private to the build) instead of the user's Jupyter runtime folder,
    which a service account may not have.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    spec = KernelSpec(
        argv=list(argv),
        env=dict(env),
        display_name="plan-report",
        language="python",
        metadata={},
    )
    numbers = itertools.count(1)

    class ReportKernelSpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
            return spec

    class ReportKernelManager(AsyncKernelManager):
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
