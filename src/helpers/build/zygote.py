"""The kernel zygote: a process that imports what report kernels need once, then forks a fresh
kernel process for each report.

``python -m helpers.build.zygote SOCKET MODULE...`` imports the modules, checks that it is still a
single thread (forking a process that has other threads can deadlock the child: the zygote
refuses to serve otherwise), and listens on the Unix socket ``SOCKET``. Each request (from
:class:`helpers.build.provisioner.ZygoteProvisioner`) carries the kernel's arguments, working
folder and environment, and its standard streams as file descriptors; the zygote forks, the
child becomes that kernel (``IPKernelApp``), and the zygote answers ``pid N``. When the kernel
exits the zygote reports ``exit CODE`` on the same connection; when the client closes the
connection first (its build died or gave up), the zygote kills the kernel. No report code ever
runs in the zygote, so reports share nothing but the imported modules' fresh state.

One thread, one loop: every read has a timeout, children are reaped as soon as they exit
(``SIGCHLD`` wakes the loop), and the zygote dies with the build (``PR_SET_PDEATHSIG``), its
kernels with it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from helpers.build.kernels import (
    ALWAYS_PRELOADED,
    KERNEL_BLOCKED_MODULES,
    die_with_parent,
    thread_count,
)

REQUEST_TIMEOUT = 5.0
"""Seconds a client may take to send its request once connected."""

MAX_REQUEST = 1 << 20
"""Largest request accepted (arguments and environment as JSON)."""


class RequestError(ValueError):
    """A request that cannot be served."""


def read_request(link: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A client's request: 8-byte length, JSON (args, cwd, env), and three standard fds.

    Raises :class:`RequestError` (or ``OSError``, ``TimeoutError``) when it is malformed, too
    large or not complete within :data:`REQUEST_TIMEOUT`.
    """
    link.settimeout(REQUEST_TIMEOUT)
    data, fds, _, _ = socket.recv_fds(link, 1 << 16, 3)
    if len(data) < 8:
        for fd in fds:
            os.close(fd)
        raise RequestError("short request")
    size = int.from_bytes(data[:8], "big")
    if size > MAX_REQUEST:
        for fd in fds:
            os.close(fd)
        raise RequestError("request too large")
    while len(data) < 8 + size:
        chunk = link.recv(1 << 16)
        if not chunk:
            for fd in fds:
                os.close(fd)
            raise RequestError("truncated request")
        data += chunk
    request = json.loads(data[8 : 8 + size])
    if len(fds) != 3 or not isinstance(request.get("args"), list):
        for fd in fds:
            os.close(fd)
        raise RequestError("request without arguments or standard streams")
    return request, list(fds)


def run_kernel(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the requested kernel; never returns."""
    code = 1
    try:
        die_with_parent(signal.SIGKILL)  # the zygote's death ends its kernels
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
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import random

        random.seed()
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:
            numpy_random.seed()
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


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


class Zygote:
    """The zygote's loop (see the module docstring)."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.kernels: dict[int, socket.socket | None] = {}
        self.wakeup_read, self.wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self.wakeup_write, warn_on_full_buffer=False)
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wakeup_read, selectors.EVENT_READ, "child")

    def serve(self) -> None:
        """Serve until terminated."""
        while True:
            for key, _ in self.selector.select(timeout=1.0):
                if key.data == "accept":
                    self._accept()
                elif key.data == "child":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wakeup_read, 4096)
                else:
                    self._client_spoke(key.data)
            self._reap()

    def _accept(self) -> None:
        try:
            link, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        try:
            request, fds = read_request(link)
        except (OSError, ValueError):
            link.close()
            return
        threads = thread_count()
        if threads > 1:  # never fork a process with other threads
            for fd in fds:
                os.close(fd)
            with contextlib.suppress(OSError):
                link.sendall(f"refused {threads} threads\n".encode())
            link.close()
            return
        child = os.fork()
        if child == 0:
            self.selector.close()
            self.listener.close()
            signal.set_wakeup_fd(-1)
            os.close(self.wakeup_read)
            os.close(self.wakeup_write)
            for other in self.kernels.values():
                if other is not None:
                    other.close()
            link.close()
            run_kernel(request, fds)
        for fd in fds:
            os.close(fd)
        try:
            link.sendall(f"pid {child}\n".encode())
        except OSError:
            os.kill(child, signal.SIGKILL)
            link.close()
            return
        link.setblocking(False)
        self.kernels[child] = link
        self.selector.register(link, selectors.EVENT_READ, child)

    def _client_spoke(self, child: int) -> None:
        """A client closed its connection (or sent something): its kernel is no longer wanted."""
        link = self.kernels.get(child)
        if link is None:
            return
        try:
            data = link.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            with contextlib.suppress(OSError):
                os.killpg(child, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
            self.selector.unregister(link)
            link.close()
            self.kernels[child] = None  # reaped (and forgotten) once it has exited

    def _reap(self) -> None:
        while True:
            try:
                child, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if child == 0:
                return
            link = self.kernels.pop(child, None)
            if link is not None:
                with contextlib.suppress(OSError):
                    link.setblocking(True)
                    link.settimeout(1.0)
                    link.sendall(f"exit {_exit_code(status)}\n".encode())
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(link)
                link.close()


def warm_libraries() -> None:
    """Fill the caches every report fills first (Altair's Vega-Lite schema and its validator).

    Library code on a throw-away chart, never report code: kernels forked afterwards start with
    the schema loaded instead of each loading it again.
    """
    altair = sys.modules.get("altair")
    pandas = sys.modules.get("pandas")
    if altair is None or pandas is None:
        return
    with contextlib.suppress(Exception):
        chart = altair.Chart(pandas.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
        chart.to_dict()


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.build.zygote SOCKET MODULE...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    path, modules = Path(args[0]), args[1:]
    die_with_parent(signal.SIGKILL)
    sys.modules.update(dict.fromkeys(KERNEL_BLOCKED_MODULES))
    for name in (*ALWAYS_PRELOADED, *modules):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    warm_libraries()
    threads = thread_count()
    if threads > 1:
        print(f"plan-report: kernel zygote disabled ({threads} threads after preloading)")
        return 1
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(f"{path}.new")
    listener.listen(64)
    listener.setblocking(False)
    os.rename(f"{path}.new", path)  # the socket appears only once it accepts
    Zygote(listener).serve()
    return 0


if __name__ == "__main__":
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # the report's folder is not an import path of the zygote
    sys.exit(main())
