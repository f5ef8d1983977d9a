"""Loading a plan-data folder (one city) into validated pandas tables, and the Excel workbook.

A data folder holds ``city.yaml`` and either one CSV file per table (``plans.csv``,
``items.csv``, ...) or, instead of the CSV files, one Excel workbook ``workbook.xlsx`` with one
sheet per table named after the CSV stem (``plans``, ``items``, ...). A folder with both is an
error: which one is current would be a guess.

CSV files may be UTF-8, UTF-8 with BOM or cp932 (Shift_JIS as Excel saves it on Japanese
Windows). :func:`load_city` reads, types and checks everything (see :mod:`helpers.schema` and
:mod:`helpers.validate`) and raises :class:`DataValidationError` listing *every* problem.

openpyxl is imported only when a workbook is read or written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from helpers.schema import (
    CONFIG_FILE,
    TABLES,
    WORKBOOK_FILE,
    CityConfig,
    Problem,
    RawTable,
    ScaleConfig,
    TableSpec,
)
from helpers.validate import CheckedTables, TypedTable, check_config, check_tables

__all__ = [
    "CityData",
    "DataValidationError",
    "Inspection",
    "Scale",
    "csv_to_workbook",
    "decode_bytes",
    "inspect_folder",
    "load_city",
]

_DERIVED_AFTER: dict[str, dict[str, str]] = {
    "statuses": {"as_of_date": "as_of"},
    "reported": {"as_of_date": "as_of"},
    "events": {"date": "fiscal_year"},
}
"""Derived columns that are not in the files, and the column each is placed after."""


# --- public data types -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Scale:
    """A rating scale (評価尺度).

    ``levels`` columns: code, label, order (1 = best), cls, definition, page.
    """

    id: str
    name: str
    levels: pd.DataFrame

    def classes(self) -> dict[str, str]:
        """Level code -> class (achieved / partial / not_achieved)."""
        return dict(zip(self.levels["code"], self.levels["cls"], strict=True))

    def codes(self) -> list[str]:
        """Level codes, best first."""
        return list(self.levels.sort_values("order")["code"])


@dataclass(frozen=True, eq=False)
class CityData:
    """One city's validated plan data: English snake_case columns, typed values.

    Text columns hold ``str`` or ``None``; optional integer columns are nullable ``Int64``;
    ``statuses.as_of_date``, ``reported.as_of_date`` and ``events.date`` are Timestamps (NaT
    when unknown). ``warnings`` are the non-blocking problems found while loading.
    """

    city: dict[str, str]
    source: dict[str, str]
    plans: pd.DataFrame
    items: pd.DataFrame
    statuses: pd.DataFrame
    reported: pd.DataFrame
    events: pd.DataFrame
    goals: pd.DataFrame
    measures: pd.DataFrame
    scales: dict[str, Scale]
    target_levels: pd.DataFrame
    folder: Path | None = None
    warnings: tuple[Problem, ...] = ()

    def scale_of(self, plan_id: str) -> Scale | None:
        """The scale of plan ``plan_id``, ``None`` if it has none; KeyError for an unknown plan."""
        rows = self.plans.loc[self.plans["plan_id"] == plan_id, "scale"]
        if rows.empty:
            raise KeyError(plan_id)
        scale_id = rows.iloc[0]
        return None if scale_id is None else self.scales[scale_id]


class DataValidationError(ValueError):
    """A data folder has errors; ``problems`` lists all of them (and the warnings)."""

    def __init__(self, folder: str | Path, problems: Sequence[Problem]) -> None:
        self.folder = Path(folder)
        self.problems = list(problems)
        super().__init__(self._describe())

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error``."""
        return [p for p in self.problems if p.severity == "error"]

    def table(self) -> pd.DataFrame:
        """The problems as a DataFrame: file, row, column, value, message, code, severity."""
        columns = ["file", "row", "column", "value", "message", "code", "severity"]
        frame = pd.DataFrame(
            [[getattr(p, c) for c in columns] for p in self.problems], columns=columns
        )
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def _describe(self, limit: int = 30) -> str:
        errors = self.errors
        lines = [f"{self.folder}: データにエラーが {len(errors)} 件あります ({len(errors)} errors)"]
        for p in errors[:limit]:
            where = p.file + (f" {p.row}行目" if p.row is not None else "")
            where += f" 「{p.column}」" if p.column else ""
            value = f" 値「{p.value}」" if p.value else ""
            lines.append(f"  - {where}{value}: {p.message}")
        if len(errors) > limit:
            lines.append(
                f"  … ほか {len(errors) - limit} 件 (python -m helpers.validate {self.folder})"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Inspection:
    """The result of reading and checking a folder: the data (when error-free) and all problems."""

    city: CityData | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return all(p.severity != "error" for p in self.problems)


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


def _header_key(text: str) -> str:
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
        key = _header_key(header)
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


def _series(values: list[Any], kind: str, required: bool) -> pd.Series:
    if kind in ("int", "fiscal_year"):
        return pd.Series(values, dtype="int64" if required else "Int64")
    if kind == "float":
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if kind == "bool":
        return pd.Series([bool(v) for v in values], dtype="bool")
    return pd.Series(values, dtype=object)


def _frame(typed: TypedTable, derived: dict[str, list[Any]]) -> pd.DataFrame:
    """One typed table as a DataFrame, derived columns filled in or placed after their source."""
    after = {source: name for name, source in _DERIVED_AFTER.get(typed.spec.name, {}).items()}
    data: dict[str, pd.Series] = {}
    for column in typed.spec.columns:
        values = derived.get(column.name, typed.columns[column.name])
        data[column.name] = _series(values, column.kind, column.required)
        if column.name in after:
            name = after[column.name]
            data[name] = pd.to_datetime(pd.Series(derived[name], dtype=object))
    frame = pd.DataFrame(data)
    if typed.spec.name == "plans":
        frame["short_name"] = [
            s if s is not None else n
            for s, n in zip(frame["short_name"], frame["name"], strict=True)
        ]
        frame["short_name"] = frame["short_name"].astype(object)
    return frame


def _scale(config: ScaleConfig) -> Scale:
    levels = pd.DataFrame(
        {
            "code": pd.Series([lv.code for lv in config.levels], dtype=object),
            "label": pd.Series([lv.label for lv in config.levels], dtype=object),
            "order": pd.Series([lv.order for lv in config.levels], dtype="int64"),
            "cls": pd.Series([lv.cls for lv in config.levels], dtype=object),
            "definition": pd.Series([lv.definition for lv in config.levels], dtype=object),
            "page": pd.Series([lv.page for lv in config.levels], dtype="Int64"),
        }
    )
    return Scale(config.id, config.name, levels)


def _empty_raw(spec: TableSpec) -> RawTable:
    return RawTable(spec, spec.file_name, (), (), (), ())


def _city_data(checked: CheckedTables, folder: Path, warnings: Sequence[Problem]) -> CityData:
    frames: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        typed = checked.tables.get(spec.name)
        derived = checked.derived.get(spec.name, {})
        if typed is None:
            typed = TypedTable(_empty_raw(spec), {c.name: [] for c in spec.columns}, {})
            derived = {name: [] for name in _DERIVED_AFTER.get(spec.name, {})}
        frames[spec.name] = _frame(typed, derived)
    config = checked.config
    targets = pd.DataFrame(
        {
            "code": pd.Series([t.code for t in config.target_levels], dtype=object),
            "label": pd.Series([t.label for t in config.target_levels], dtype=object),
            "description": pd.Series([t.description for t in config.target_levels], dtype=object),
        }
    )
    return CityData(
        city=dict(config.city),
        source=dict(config.source),
        plans=frames["plans"],
        items=frames["items"],
        statuses=frames["statuses"],
        reported=frames["reported"],
        events=frames["events"],
        goals=frames["goals"],
        measures=frames["measures"],
        scales={sid: _scale(scale) for sid, scale in config.scales.items()},
        target_levels=targets,
        folder=folder,
        warnings=tuple(warnings),
    )


# --- folder ----------------------------------------------------------------------------------


def inspect_folder(folder: str | Path) -> Inspection:
    """Read and check every file of ``folder``; the data is built only when there is no error."""
    path = Path(folder)
    if not path.is_dir():
        msg = f"フォルダ {path} がありません (data folder not found)"
        return Inspection(None, [Problem(str(path), None, None, None, msg, "missing_folder")])
    config, problems = read_config(path)
    raw_tables, table_problems, unreadable = read_tables(path)
    checked = check_tables(raw_tables, config, unreadable)
    problems = [*problems, *_ordered(table_problems, checked.problems)]
    if any(p.severity == "error" for p in problems):
        return Inspection(None, problems)
    return Inspection(_city_data(checked, path, problems), problems)


def _ordered(first: list[Problem], second: list[Problem]) -> list[Problem]:
    """File-level and cell-level problems merged in table order, then row order (stable)."""
    rank = {}
    for n, spec in enumerate(TABLES):
        rank[spec.file_name] = n
        rank[f"{WORKBOOK_FILE} [{spec.name}]"] = n
    merged = [*first, *second]
    return sorted(merged, key=lambda p: (rank.get(p.file, -1), p.row or 0))


def load_city(folder: str | Path) -> CityData:
    """Load and validate one data folder (one city).

    Raises FileNotFoundError when ``folder`` is not a directory and DataValidationError (with
    every problem of every file) when the data has any error. Warnings are kept in
    ``CityData.warnings``.
    """
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"data folder not found: {path}")
    inspection = inspect_folder(path)
    if inspection.city is None:
        raise DataValidationError(path, inspection.problems)
    return inspection.city


# --- Excel workbook --------------------------------------------------------------------------

_TEXT_FORMAT = "@"


def csv_to_workbook(folder: str | Path, dest: str | Path) -> Path:
    """Write the CSV tables of ``folder`` as ``dest/workbook.xlsx`` and copy city.yaml beside it.

    Cells are written as text exactly as in the CSV (numbers of integer columns as numbers), so
    Excel does not turn dates such as "2012-04" into its own date values. ``dest`` must not hold
    CSV tables (the folder would then hold both). Raises DataValidationError when a CSV file
    cannot be read. Returns the path of the workbook.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    src, out = Path(folder), Path(dest)
    if any((out / spec.file_name).exists() for spec in TABLES):
        raise ValueError(f"{out} holds CSV tables; write the workbook to another folder")
    book = Workbook()
    book.remove(book.active)
    problems: list[Problem] = []
    for spec in TABLES:
        path = src / spec.file_name
        if not path.is_file():
            continue
        text, problem = decode_bytes(path.read_bytes(), path.name)
        if problem is not None or text is None:
            problems.extend([problem] if problem else [])
            continue
        records = list(csv.reader(io.StringIO(text, newline="")))
        sheet = book.create_sheet(spec.name)
        mapping = spec.header_map()
        kinds: list[str] = []
        for pos, header in enumerate(records[0] if records else []):
            name = mapping.get(_header_key(header)) or mapping.get(_header_key(header).lower())
            kinds.append(spec.column(name).kind if name else "text")
            sheet.cell(row=1, column=pos + 1, value=header).font = Font(bold=True)
        for r, record in enumerate(records[1:], start=2):
            for c, value in enumerate(record, start=1):
                if value == "":
                    continue
                kind = kinds[c - 1] if c - 1 < len(kinds) else "text"
                cell = sheet.cell(row=r, column=c)
                if kind == "int" and value.strip().lstrip("-").isdigit():
                    cell.value = int(value)
                else:
                    cell.value = value
                    cell.number_format = _TEXT_FORMAT
        sheet.freeze_panes = "A2"
    if problems:
        raise DataValidationError(src, problems)
    out.mkdir(parents=True, exist_ok=True)
    workbook = out / WORKBOOK_FILE
    tmp = out / f".{WORKBOOK_FILE}.tmp"
    book.save(tmp)
    tmp.replace(workbook)
    if (src / CONFIG_FILE).is_file() and src.resolve() != out.resolve():
        shutil.copyfile(src / CONFIG_FILE, out / CONFIG_FILE)
    return workbook
