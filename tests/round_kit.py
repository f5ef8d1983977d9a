"""Filling in the evaluation round's workbooks with openpyxl, as a department would.

:func:`fill` opens a workbook, changes it and saves it; :func:`answer_everything` writes new
実績 for every item, rates item 8 完了 and gives every indicator an actual (速報);
:func:`fill_all` does that for every workbook of a folder.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl

from helpers.data.evaluation_workbook import (
    INDICATOR_COLUMNS,
    ITEM_COLUMNS,
    SHEET_INDICATORS,
    SHEET_ITEMS,
)

REPO = Path(__file__).resolve().parents[1]
AS_OF = "令和7年度末"
DEADLINE = "2026-05-29"


def column(columns: tuple, header: str) -> int:
    return [c.header for c in columns].index(header) + 1


def fill(path: Path, change: Callable[[openpyxl.Workbook], None]) -> None:
    """Open a workbook, change it and save it, as a department does in Excel."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)


def answer_everything(book: openpyxl.Workbook) -> None:
    """The department's answers: new 実績 for every item, an actual for every indicator."""
    items = book[SHEET_ITEMS]
    for row in range(2, items.max_row + 1):
        number = items.cell(row, column(ITEM_COLUMNS, "項目番号")).value
        items.cell(row, column(ITEM_COLUMNS, "実績"), f"令和7年度は項目{number}を進めました。")
        if number == 8:
            items.cell(row, column(ITEM_COLUMNS, "一次評価"), "完了")
            items.cell(row, column(ITEM_COLUMNS, "評価理由")).value = None
            items.cell(row, column(ITEM_COLUMNS, "今後の方向性"), "継続")
    if SHEET_INDICATORS in book.sheetnames:
        sheet = book[SHEET_INDICATORS]
        for row in range(2, sheet.max_row + 1):
            sheet.cell(row, column(INDICATOR_COLUMNS, "実績値"), 50 + row)
            sheet.cell(row, column(INDICATOR_COLUMNS, "速報・確定"), "速報")


def fill_all(folder: Path) -> None:
    for path in sorted(folder.glob("*.xlsx")):
        fill(path, answer_everything)


def workbook(folder: Path, department: str) -> Path:
    return folder / f"evaluation-2025-{department}.xlsx"


def resave_with_libreoffice(path: Path, scratch: Path) -> None:
    """Save ``path`` again with LibreOffice Calc (``soffice --headless --convert-to xlsx``), as
    a department using LibreOffice would; Debian's libreoffice-calc-nogui is installed by
    ``scripts/system-deps.sh`` when missing."""
    if shutil.which("soffice") is None:
        subprocess.run([str(REPO / "scripts" / "system-deps.sh")], check=True)
    out = scratch / "libreoffice-out"
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{scratch}/libreoffice-profile",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    converted = out / path.name
    assert converted.read_bytes() != path.read_bytes()
    shutil.move(converted, path)
