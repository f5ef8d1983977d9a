"""The build lock: two builds of one reports folder never interleave."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class LockHeldError(RuntimeError):
    """Another build holds the lock on the reports folder."""


LOCK_FILE = ".build.lock"


@contextlib.contextmanager
def build_lock(reports_dir: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``reports_dir/.build.lock``.

    Raises :class:`LockHeldError` naming the holder's process id when another build has it.
    The kernel drops the lock when the holder dies, however it dies.
    """
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip()
            raise LockHeldError(
                f"another build (pid {holder or 'unknown'}) holds {path}; "
                "wait for it to finish or stop it"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)
