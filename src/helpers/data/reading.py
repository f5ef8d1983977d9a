"""Loading a plan-data folder (one city) into validated pandas tables, and the Excel workbook.

A data folder holds ``city.yaml`` and either one CSV file per table (``plans.csv``,
``items.csv``, ...) or, instead of the CSV files, one Excel workbook ``workbook.xlsx`` with one
sheet per table named after the CSV stem (``plans``, ``items``, ...). A folder with both is an
error: which one is current would be a guess.

CSV files may be UTF-8, UTF-8 with BOM or cp932 (Shift_JIS as Excel saves it on Japanese
Windows). :func:`helpers.data.load_city` reads, types and checks everything (contracts in
:mod:`helpers.data.contracts`, checks in :mod:`helpers.data.checks`).

openpyxl is imported only when a workbook is read or written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from helpers.data.checks import check_config
from helpers.data.contracts import (
    CONFIG_FILE,
    TABLES,
    WORKBOOK_FILE,
    CityConfig,
    RawTable,
    TableSpec,
)
from helpers.data.problems import Problem

# --- public data types -----------------------------------------------------------------------


# --- decoding and raw tables -----------------------------------------------------------------


def decode_bytes(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    """Decode a text file: UTF-8 (with or without BOM), else cp932; a clear problem otherwise.

    UTF-16 (Excel's "Unicode text") is refused by name because cp932 would misread it.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        msg = (
            "UTF-16 のファイルは読めません。「CSV UTF-8 (コンマ区切り)」で保存し直してください "
            "(UTF-16 is not supported; save as CSV UTF-8)"
        )
        return None, Problem(file, None, None, None, msg, "unreadable_encoding")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as err:
        msg = (
            f"文字コードを判別できません ({err.start} バイト目)。"
            "UTF-8 か Shift_JIS (cp932) で保存してください "
            "(encoding is neither UTF-8 nor cp932)"
        )
        return None, Problem(file, None, None, None, msg, "unreadable_encoding")
    if any("\uf8f0" <= ch <= "\uf8f3" for ch in text):  # cp932 maps 0xA0, 0xFD-0xFF here
        msg = "文字コードを判別できません (encoding is neither UTF-8 nor cp932)"
        return None, Problem(file, None, None, None, msg, "unreadable_encoding")
    return text, None


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None


def header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff").strip()


def build_raw_table(
    spec: TableSpec, file: str, records: Sequence[Sequence[str | None]], row_numbers: Sequence[int]
) -> tuple[RawTable, list[Problem]]:
    """Map the header row (``records[0]``) to English names and keep the non-empty data rows.

    ``row_numbers`` are the Excel row numbers of ``records``. Reports missing required columns,
    duplicate or unnamed columns, unknown columns (warning) and cells beyond the header.
    """
    problems: list[Problem] = []
    header_cells = [_cell(c) for c in records[0]] if records else []
    mapping = spec.header_map()
    positions: list[int] = []
    names: list[str] = []
    texts: list[str] = []
    data = records[1:]
    for pos, header in enumerate(header_cells):
        if header is None:
            if any(pos < len(r) and _cell(r[pos]) is not None for r in data):
                msg = "見出しのない列に値があります (values in a column without a header)"
                problems.append(Problem(file, 1, None, None, msg, "unnamed_column"))
            continue
        key = header_key(header)
        name = mapping.get(key) or mapping.get(key.lower())
        if name is None:
            known = ", ".join(c.header for c in spec.columns)
            msg = (
                f"列「{header}」は使われません。見出しの誤りではありませんか "
                f"(unknown column; known: {known})"
            )
            problems.append(Problem(file, 1, header, header, msg, "unknown_column", "warning"))
            continue
        if name in names:
            msg = f"列「{header}」が重複しています (duplicate column)"
            problems.append(Problem(file, 1, header, header, msg, "duplicate_column"))
            continue
        positions.append(pos)
        names.append(name)
        texts.append(header)
    for column in spec.columns:
        if column.required and column.name not in names:
            msg = (
                f"必須の列「{column.header}」がありません "
                f"(required column {column.name} is missing)"
            )
            problems.append(Problem(file, 1, column.header, None, msg, "missing_column"))
    rows: list[tuple[str | None, ...]] = []
    numbers: list[int] = []
    width = len(header_cells)
    for record, number in zip(data, row_numbers[1:], strict=True):
        cells = [_cell(c) for c in record]
        if all(c is None for c in cells):
            continue
        extra = [c for c in cells[width:] if c is not None]
        if extra:
            msg = (
                f"見出しより右の列に値があります (more cells than headers: {len(cells)} > {width})"
            )
            problems.append(Problem(file, number, None, extra[0], msg, "too_many_cells"))
        rows.append(tuple(cells[p] if p < len(cells) else None for p in positions))
        numbers.append(number)
    if spec.min_rows and len(rows) < spec.min_rows and records:
        msg = f"{spec.title}の行がありません (no data rows)"
        problems.append(Problem(file, None, None, None, msg, "no_rows"))
    raw = RawTable(spec, file, tuple(names), tuple(texts), tuple(rows), tuple(numbers))
    return raw, problems


def read_csv_table(path: Path, spec: TableSpec) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV file of a folder; ``None`` when it cannot be read at all."""
    file = path.name
    text, problem = decode_bytes(path.read_bytes(), file)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    if not text.strip():
        msg = "ファイルが空です。少なくとも見出しの行が必要です (empty file)"
        return None, [Problem(file, None, None, None, msg, "empty_file")]
    records = list(csv.reader(io.StringIO(text, newline="")))
    return build_raw_table(spec, file, records, range(1, len(records) + 1))


def _xlsx_cell(value: Any) -> str | None:
    """A workbook cell as the text a CSV would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_workbook(path: Path) -> tuple[dict[str, RawTable], list[Problem], set[str]]:
    """Read every table sheet of ``workbook.xlsx``; a missing required sheet is a problem.

    Returns the tables, the problems and the names of sheets present but unreadable.
    """
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # heavy: only when a workbook is used
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as err:
        msg = f"Excel ブックを開けません: {err} (cannot open the workbook)"
        problem = Problem(path.name, None, None, None, msg, "unreadable_workbook")
        return {}, [problem], {spec.name for spec in TABLES}
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    unreadable: set[str] = set()
    try:
        for spec in TABLES:
            file = f"{path.name} [{spec.name}]"
            if spec.name not in book.sheetnames:
                if spec.required_file:
                    msg = f"シート「{spec.name}」がありません (required sheet is missing)"
                    problems.append(Problem(file, None, None, None, msg, "missing_file"))
                continue
            records = [
                [_xlsx_cell(v) for v in row]
                for row in book[spec.name].iter_rows(min_row=1, values_only=True)
            ]
            if not any(any(c is not None for c in r) for r in records):
                msg = "シートが空です。少なくとも見出しの行が必要です (empty sheet)"
                problems.append(Problem(file, None, None, None, msg, "empty_file"))
                unreadable.add(spec.name)
                continue
            raw, found = build_raw_table(spec, file, records, range(1, len(records) + 1))
            tables[spec.name] = raw
            problems.extend(found)
    finally:
        book.close()
    return tables, problems, unreadable


def read_config(folder: Path) -> tuple[CityConfig, list[Problem]]:
    """Read and check ``city.yaml`` of ``folder``."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        msg = "city.yaml がありません (missing configuration file)"
        config, _ = check_config({})
        return config, [Problem(CONFIG_FILE, None, None, None, msg, "missing_file")]
    text, problem = decode_bytes(path.read_bytes(), CONFIG_FILE)
    if problem is not None or text is None:
        config, _ = check_config({})
        return config, [problem] if problem else []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        msg = f"city.yaml の書式が正しくありません (invalid YAML): {err}"
        config, _ = check_config({})
        return config, [Problem(CONFIG_FILE, row, None, None, msg, "bad_config")]
    return check_config(data)


def read_tables(folder: Path) -> tuple[dict[str, RawTable], list[Problem], set[str]]:
    """Read the tables of ``folder`` from its CSV files or its ``workbook.xlsx`` (module doc).

    Returns the tables, the problems and the names of tables present but unreadable.
    """
    csv_present = [spec for spec in TABLES if (folder / spec.file_name).is_file()]
    workbook = folder / WORKBOOK_FILE
    problems: list[Problem] = []
    if workbook.is_file() and not csv_present:
        return read_workbook(workbook)
    if workbook.is_file():
        msg = (
            f"{WORKBOOK_FILE} と CSV ファイルが両方あります。どちらか一方にしてください "
            "(a folder holds either CSV files or workbook.xlsx, not both)"
        )
        problems.append(Problem(WORKBOOK_FILE, None, None, None, msg, "both_sources"))
    tables: dict[str, RawTable] = {}
    for spec in TABLES:
        path = folder / spec.file_name
        if not path.is_file():
            if spec.required_file:
                msg = f"{spec.file_name} がありません (required file is missing)"
                problems.append(Problem(spec.file_name, None, None, None, msg, "missing_file"))
            continue
        raw, found = read_csv_table(path, spec)
        problems.extend(found)
        if raw is not None:
            tables[spec.name] = raw
    unreadable = {s.name for s in TABLES if (folder / s.file_name).is_file()} - set(tables)
    return tables, problems, unreadable


# --- typed frames ----------------------------------------------------------------------------


# --- folder ----------------------------------------------------------------------------------


# --- Excel workbook --------------------------------------------------------------------------
