"""Small report sets for the build tests: fixture notebooks, the bundled data, the CLI's output.

The notebooks of ``tests/fixtures/notebooks`` (``ok.py``, ``fail.py``, ``parent.py`` …) stand in
for the report notebooks where a test is about the build, not about what a report shows.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
DATA = ROOT / "data" / "higashiyamato"


def write_set(folder: Path, reports: list[dict[str, Any]]) -> Path:
    """``folder/set.yaml``: *reports* on fixture notebooks (by absolute path) over a copy of the
    bundled data in ``folder/data``."""
    shutil.copytree(DATA, folder / "data", dirs_exist_ok=True)
    entries = [{**r, "notebook": str(FIXTURES / r["notebook"])} for r in reports]
    config = folder / "set.yaml"
    text = yaml.safe_dump({"data": str(folder / "data"), "reports": entries}, allow_unicode=True)
    config.write_text(text, encoding="utf-8")
    return config


def files_of(folder: Path, leave_out: Iterable[str] = ()) -> dict[str, bytes]:
    """Every file under *folder* (relative path -> bytes), but those named in *leave_out*."""
    skipped = set(leave_out)
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skipped
    }


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``plan-report ARGS`` in this process: exit code, stdout, stderr."""
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
