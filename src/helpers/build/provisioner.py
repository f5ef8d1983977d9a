"""A jupyter_client kernel provisioner that has each report kernel forked by the zygote.

jupyter_client starts kernels through provisioners (its documented extension point, chosen by
the kernel spec's ``metadata.kernel_provisioner``); this one is registered as
``plan-report-zygote`` in the entry point group ``jupyter_client.kernel_provisioners``
(``pyproject.toml``). It prepares the connection file like the stock
:class:`~jupyter_client.provisioning.LocalProvisioner`, then, instead of starting a process,
asks the zygote (:mod:`helpers.build.zygote`) over its Unix socket to fork a kernel with the
same arguments, working folder, environment and standard streams. The kernel is not a child of
this process: its exit is reported by the zygote on the open connection (which also ties the
kernel's life to this client), and signals go to its process group (only while its pidfd says it
is alive, so a recycled process id is never hit). If the zygote cannot serve, the kernel is
started the ordinary way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the zygote to accept and answer with the kernel's process id."""


class ZygoteProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Kernels forked from the zygote listening on :attr:`zygote_socket` (see the module doc)."""

    zygote_socket = Unicode("", config=True, help="Unix socket of the kernel zygote")

    forked = False
    link: socket.socket | None = None
    kernel_pid: int | None = None
    pidfd: int | None = None
    returncode: int | None = None

    @property
    def has_process(self) -> bool:
        if not self.forked:
            return bool(super().has_process)
        return self.kernel_pid is not None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Have the zygote fork the kernel; start it the ordinary way if the zygote cannot."""
        try:
            self._fork(cmd, kwargs)
        except (OSError, ValueError) as exc:
            self.log.debug("zygote unavailable (%s): starting the kernel the ordinary way", exc)
            self._close()
            return await super().launch_kernel(cmd, **kwargs)
        self.forked = True
        self.pid = self.pgid = self.kernel_pid
        return self.connection_info

    def _fork(self, cmd: list[str], kwargs: dict[str, Any]) -> None:
        if not self.zygote_socket:
            raise ValueError("no zygote socket configured")
        arguments = cmd[cmd.index("-f") :]
        env = kwargs.get("env") or dict(os.environ)
        cwd = kwargs.get("cwd") or os.getcwd()
        body = json.dumps({"args": arguments, "cwd": str(cwd), "env": dict(env)}).encode()
        link = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.link = link
        link.settimeout(CONNECT_TIMEOUT)
        link.connect(self.zygote_socket)
        with open(os.devnull, "rb") as stdin:
            streams = [stdin.fileno(), 1, 2]
            socket.send_fds(link, [len(body).to_bytes(8, "big") + body], streams)
        reply = self._read_line()
        if not reply.startswith("pid "):
            raise ValueError(f"zygote answered {reply!r}")
        self.kernel_pid = int(reply.split()[1])
        with contextlib.suppress(OSError, AttributeError):
            self.pidfd = os.pidfd_open(self.kernel_pid)
        link.setblocking(False)

    def _read_line(self) -> str:
        assert self.link is not None
        data = b""
        while not data.endswith(b"\n"):
            chunk = self.link.recv(64)
            if not chunk:
                raise ValueError("the zygote closed the connection")
            data += chunk
            if len(data) > 256:
                raise ValueError("unexpected answer from the zygote")
        return data.decode("ascii", "replace").strip()

    async def poll(self) -> int | None:
        """``None`` while the kernel runs; its exit code (as the zygote reports it) after."""
        if not self.forked:
            return await super().poll()
        if self.returncode is not None:
            return self.returncode
        if self.link is None:
            return self.returncode
        try:
            data = self.link.recv(64)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            data = b""
        text = data.decode("ascii", "replace").strip()
        self.returncode = int(text.split()[1]) if text.startswith("exit ") else -signal.SIGKILL
        self._close()
        return self.returncode

    async def wait(self) -> int | None:
        """Wait for the kernel to exit (every 10 ms: it is reported within a few)."""
        if not self.forked:
            return await super().wait()
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.01)
        self.kernel_pid = None
        return code

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group (the kernel and what it started)."""
        if not self.forked:
            return await super().send_signal(signum)
        if self.kernel_pid is None or self.returncode is not None:
            return None
        if self.pidfd is not None and select.select([self.pidfd], [], [], 0)[0]:
            return None  # exited: its process id may already belong to another process
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.kernel_pid, signum)
        return None

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel and wait (at most 2 s) until the zygote reports its exit."""
        if not self.forked:
            return await super().kill(restart)
        await self.send_signal(signal.SIGKILL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.wait(), timeout=2.0)
        return None

    async def terminate(self, restart: bool = False) -> None:
        """Ask the kernel to stop (SIGTERM)."""
        if not self.forked:
            return await super().terminate(restart)
        await self.send_signal(signal.SIGTERM)
        return None

    async def cleanup(self, restart: bool = False) -> None:
        """Close the connection to the zygote (which then kills the kernel if still alive)."""
        self._close()
        self.kernel_pid = None
        await super().cleanup(restart)

    def _close(self) -> None:
        if self.link is not None:
            with contextlib.suppress(OSError):
                self.link.close()
            self.link = None
        if self.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None
