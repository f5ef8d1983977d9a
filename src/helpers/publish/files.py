"""Atomic file writes and folder swaps: a reader sees the old version or the new one, never half.

:func:`write_bytes_atomic` replaces one file; :func:`exchange_paths` swaps two folders in one
step (how a whole report set is published); :func:`link_or_copy` carries unchanged files into a
new folder without copying their bytes. :func:`cache_dir` is where drawings and scripts that are
expensive to make are kept between builds.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from pathlib import Path
from typing import Any

from helpers.data.writing import replace_file

CACHE_ENV_VAR = "PLAN_REPORT_CACHE"


def cache_dir() -> Path:
    """Return the cache directory: ``$PLAN_REPORT_CACHE``, else ``$XDG_CACHE_HOME/plan-report``."""
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit)
    return user_cache_dir()


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/plan-report`` (else ``~/.cache/plan-report``), whatever
    ``$PLAN_REPORT_CACHE`` says: for what is made once per machine from installed files (the
    measuring fonts of ``helpers.publish.vlconvert``), not per build or test."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "plan-report"


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half
    (its folder is made when missing; see :func:`helpers.data.writing.replace_file`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return replace_file(target, data)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write *text* as UTF-8 to *path* atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


# --- whole folders ------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NOT_SUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def _renameat2() -> Any:
    """glibc's ``renameat2`` (2.28 and later), or ``None`` where it is missing."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange_paths(first: str | Path, second: str | Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns ``False``, changing nothing, where the C library, the kernel or the file system
    cannot exchange (the caller then falls back to two renames); raises ``OSError`` for any
    other failure (a missing path, no permission).
    """
    function = _renameat2()
    if function is None:
        return False
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _NOT_SUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Make ``target`` a hard link to ``source``, or a copy where links are not possible.

    Published files are never modified in place (they are replaced), so a link is as safe as
    a copy and costs nothing.
    """
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        shutil.copy2(source, target, follow_symlinks=False)


def fsync_folder(folder: str | Path) -> None:
    """Flush a folder's entries (new names, renames) to disk."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
