"""The Excel workbook form of a data folder: the CSV tables written as sheets of one workbook."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from helpers.data.city import DataValidationError
from helpers.data.contracts import (
    CONFIG_FILE,
    TABLES,
    WORKBOOK_FILE,
)
from helpers.data.limits import MAX_YAML_BYTES
from helpers.data.problems import Problem
from helpers.data.reading import (
    data_file_problem,
    decode_bytes,
    header_key,
    long_cells,
    parse_csv,
    present,
    read_data_file,
)
from helpers.data.writing import linked_folder_problem, replace_file

_TEXT_FORMAT = "@"


def write_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` into a cell of ``sheet`` and return the cell; text stays text.

    openpyxl turns any text that starts with ``=`` into a live formula (and ``#N/A`` and the
    like into error values), so a name or a reason typed as ``=HYPERLINK(...)`` would run when
    the workbook is opened. Text is therefore always written as a string cell: Excel shows the
    text, and reading the workbook back gives the same text.
    """
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def csv_to_workbook(folder: str | Path, dest: str | Path) -> Path:
    """Write the CSV tables of ``folder`` as ``dest/workbook.xlsx`` and copy city.yaml beside it.

    Cells are written as text exactly as in the CSV (numbers of integer columns as numbers), so
    Excel does not turn dates such as "2012-04" into its own date values, nor text such as
    "=1+1" into a formula. ``dest`` must not hold
    CSV tables (the folder would then hold both). Raises DataValidationError when a CSV file
    cannot be read, is a link out of ``folder`` or not a regular file, or is beyond a limit
    of :mod:`helpers.data.limits` (file size, rows, cell length; city.yaml's size), with the
    problems ``validate`` reports for it (no more than the limit is read); ValueError when
    ``dest`` is a symbolic link. No file is written through a link
    (:func:`helpers.data.writing.replace_file`). Returns the path of the workbook.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    src, out = Path(folder), Path(dest)
    refused = linked_folder_problem(out, "ブックを書き込むフォルダ")
    if refused is not None:
        raise ValueError(refused)
    if any(present(out / spec.file_name) for spec in TABLES):
        raise ValueError(f"{out} holds CSV tables; write the workbook to another folder")
    book = Workbook()
    book.remove(book.active)
    problems: list[Problem] = []
    for spec in TABLES:
        path = src / spec.file_name
        if not present(path):
            continue
        # as validate reads them: a link out of the folder, a pipe or a folder is not read
        refused_file = data_file_problem(src, spec.file_name)
        if refused_file is not None:
            problems.append(refused_file)
            continue
        data, problem = read_data_file(path)  # validate's limits: size, then rows and cells
        text = None
        if data is not None:
            text, problem = decode_bytes(data, path.name)
        if text is None:
            problems.extend([problem] if problem else [])
            continue
        parsed, found = parse_csv(text, path.name)
        problems.extend(p for p in found if p.severity == "error")
        if parsed is None:
            continue
        problems.extend(long_cells(path.name, parsed, range(1, len(parsed) + 1)))
        records = [[c or "" for c in r] for r in parsed]
        sheet = book.create_sheet(spec.name)
        mapping = spec.header_map()
        kinds: list[str] = []
        for pos, header in enumerate(records[0] if records else []):
            name = mapping.get(header_key(header)) or mapping.get(header_key(header).lower())
            kinds.append(spec.column(name).kind if name else "text")
            write_cell(sheet, 1, pos + 1, header).font = Font(bold=True)
        for r, record in enumerate(records[1:], start=2):
            for c, value in enumerate(record, start=1):
                if value == "":
                    continue
                kind = kinds[c - 1] if c - 1 < len(kinds) else "text"
                if kind == "int" and value.strip().lstrip("-").isdigit():
                    write_cell(sheet, r, c, int(value))
                else:
                    write_cell(sheet, r, c, value).number_format = _TEXT_FORMAT
        sheet.freeze_panes = "A2"
    config = None
    if present(src / CONFIG_FILE) and src.resolve() != out.resolve():
        refused_file = data_file_problem(src, CONFIG_FILE)
        if refused_file is None:
            config, refused_file = read_data_file(src / CONFIG_FILE, MAX_YAML_BYTES)
        if refused_file is not None:
            problems.append(refused_file)
    if problems:
        raise DataValidationError(src, problems)
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book.save(buffer)
    workbook = replace_file(out / WORKBOOK_FILE, buffer.getvalue())
    if config is not None:
        replace_file(out / CONFIG_FILE, config)
    return workbook
