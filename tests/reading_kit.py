"""Test help for bounded reading: files whose size the file system does not tell."""

from __future__ import annotations

import os

import pytest

from helpers.data import reading


def hide_file_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make every file state a size of 0 (as ``/proc`` files and ``/dev/zero`` do) to the
    bounded reader, and count what it reads: the returned list gets the length of each read."""
    real_fstat, real_read = os.fstat, os.read
    reads: list[int] = []

    def size_zero(descriptor: int) -> os.stat_result:
        info = list(real_fstat(descriptor))
        info[6] = 0  # st_size
        return os.stat_result(info)

    def counted(descriptor: int, size: int) -> bytes:
        data = real_read(descriptor, size)
        reads.append(len(data))
        return data

    monkeypatch.setattr(reading.os, "fstat", size_zero)
    monkeypatch.setattr(reading.os, "read", counted)
    return reads
