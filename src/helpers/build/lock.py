"""The build lock: two builds of one reports folder never interleave.

The lock is a file in the build's state folder beside the published folder (never among the
published files), held with ``flock``: the kernel drops it when the holder dies, however it dies.
It is opened without following symbolic links (a symlinked lock or state folder is refused), and
the process id written into it is named only while that process is alive.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator, Sequence
from pathlib import Path


class LockHeldError(RuntimeError):
    """Another build holds the lock on the reports folder."""


class LockPathError(RuntimeError):
    """The lock cannot be placed safely (a symbolic link, or not a regular file)."""


LOCK_FILE = "lock"
"""Name of the lock file inside a state folder."""

_HOLDER_WAIT = 0.5
"""Seconds to wait for a new holder to write its process id (a dead one may still be there)."""


def open_state_folder(folder: Path) -> int:
    """Create ``folder`` if needed and open it without following a symbolic link.

    Returns a descriptor of the folder; raises :class:`LockPathError` when ``folder`` (the last
    component) is a symbolic link or not a folder.
    """
    if folder.is_symlink():
        raise LockPathError(f"{folder} is a symbolic link; remove it (the build makes its own)")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise LockPathError(f"{folder} is not a plain folder; remove it") from None
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is dead too
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return "State:\tZ" not in status


def _holder(descriptor: int) -> str:
    """The holder's process id if a living process wrote it; else a neutral description."""
    deadline = time.monotonic() + _HOLDER_WAIT
    while True:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit() and _alive(int(text)):
            return f"pid {text}"
        if time.monotonic() > deadline:
            return "just starting"
        time.sleep(0.05)


@contextlib.contextmanager
def _hold(state_dir: Path) -> Iterator[None]:
    folder = open_state_folder(state_dir)
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            descriptor = os.open(LOCK_FILE, flags, 0o644, dir_fd=folder)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LockPathError(
                    f"{state_dir / LOCK_FILE} is a symbolic link; remove it "
                    "(the build never follows a link for its lock)"
                ) from None
            raise
    finally:
        os.close(folder)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise LockPathError(f"{state_dir / LOCK_FILE} is not a regular file; remove it")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeldError(
                f"another build ({_holder(descriptor)}) holds {state_dir / LOCK_FILE}; "
                "wait for it to finish or stop it"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def build_lock(state_dirs: Sequence[Path]) -> Iterator[None]:
    """Hold the exclusive, non-blocking lock of every state folder in ``state_dirs``.

    Raises :class:`LockHeldError` naming the living holder when another build has one of them,
    :class:`LockPathError` when a lock path is a symbolic link.
    """
    with contextlib.ExitStack() as stack:
        for state_dir in state_dirs:
            stack.enter_context(_hold(state_dir))
        yield
