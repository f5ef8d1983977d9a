"""Files the tool writes: never through a symbolic link, and atomically (round workbooks, the
workbook form of a data folder, and through :mod:`helpers.publish.files` every file the build
writes).

A link planted where the tool writes (the output folder, a workbook's name, its temporary
name) would otherwise carry the bytes to a file outside the folder: another city's data, a
shell start-up file. :func:`linked_folder_problem` refuses an output folder that is a link;
:func:`replace_file` creates each file's bytes exclusively under a new hidden name (which never
follows a link) and renames it over the file's name (which replaces a link there, never writes
through it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def linked_folder_problem(folder: Path, what: str) -> str | None:
    """Why ``folder`` must not be written into (a symbolic link, or not a folder), else ``None``.

    ``what`` names the folder in the message (「調査票のフォルダ」).
    """
    if folder.is_symlink():
        return (
            f"{what} {folder} はシンボリックリンクです。リンクを通して書き込むことはしません。"
            "リンクではないフォルダを指定してください "
            "(the output folder is a symbolic link; nothing written)"
        )
    if folder.exists() and not folder.is_dir():
        return (
            f"{what} {folder} はフォルダではありません。フォルダを指定してください "
            "(the output folder is not a folder; nothing written)"
        )
    return None


def default_file_mode() -> int:
    """Permissions a new file gets under the current umask (0o644 for umask 022)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def replace_file(path: Path, data: bytes) -> Path:
    """Write ``data`` as ``path``, never through a link: readers see the old file or the new one.

    The bytes go to a hidden file created exclusively beside ``path`` (``O_EXCL``: a link at
    that name is an error, never followed), are synced, and the file is renamed over ``path``
    (a link at ``path`` is replaced by the file, its target untouched).
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, default_file_mode())
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
