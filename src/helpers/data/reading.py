"""Loading a plan-data folder (one city) into validated pandas tables, and the Excel workbook.

A data folder holds ``city.yaml`` and either one CSV file per table (``plans.csv``,
``items.csv``, ...) or, instead of the CSV files, one Excel workbook ``workbook.xlsx`` with one
sheet per table named after the CSV stem (``plans``, ``items``, ...). A folder with both is an
error: which one is current would be a guess.

CSV files may be UTF-8, UTF-8 with BOM or cp932 (Shift_JIS as Excel saves it on Japanese
Windows). :func:`helpers.data.load_city` reads, types and checks everything (contracts in
:mod:`helpers.data.contracts`, checks in :mod:`helpers.data.checks`).

Every reader stops at the limits of :mod:`helpers.data.limits` (file size, rows, cell length,
YAML size, depth and aliases) with a problem naming the file, row, column and limit; nothing a
file holds raises out of here. :func:`load_yaml` is the bounded YAML reader the report set uses
too.

openpyxl is imported only when a workbook is read or written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
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
from helpers.data.dates import JpDateError, written_date
from helpers.data.limits import (
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_WORKBOOK_UNPACKED_BYTES,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
)
from helpers.data.problems import Problem, printable, quoted

# --- public data types -----------------------------------------------------------------------


# --- decoding and raw tables -----------------------------------------------------------------


def _looks_like_utf16(data: bytes) -> bool:
    """A UTF-16 byte order mark, or NUL in most even or most odd bytes (UTF-16 without BOM)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = data[:4096]
    half = len(sample) // 2
    return half >= 2 and max(sample[0::2].count(0), sample[1::2].count(0)) > half * 0.4


def decode_bytes(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    """Decode a text file: UTF-8 (with or without BOM), else cp932; a clear problem otherwise.

    UTF-16 (Excel's "Unicode text") is refused by name because cp932 would misread it. A stray
    NUL byte is not UTF-16: it is decoded and reported where it sits (the cell checks refuse
    control characters with their file, row and column).
    """
    if _looks_like_utf16(data):
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
    spec: TableSpec, file: str, records: Sequence[list[str | None]], row_numbers: Sequence[int]
) -> tuple[RawTable, list[Problem]]:
    """Map the header row (``records[0]``) to English names and keep the non-empty data rows.

    ``row_numbers`` are the Excel row numbers of ``records``. Reports missing required columns,
    duplicate or unnamed columns, unknown columns (warning), cells beyond the header and cells
    longer than :data:`MAX_CELL_CHARS` (cut to it in ``records``).
    """
    problems: list[Problem] = long_cells(file, records, row_numbers)
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
                f"列「{quoted(header)}」は使われません。見出しの誤りではありませんか "
                f"(unknown column; known: {known})"
            )
            problems.append(Problem(file, 1, header, header, msg, "unknown_column", "warning"))
            continue
        if name in names:
            msg = f"列「{quoted(header)}」が重複しています (duplicate column)"
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


def long_cells(
    file: str, records: Sequence[list[str | None]], row_numbers: Sequence[int]
) -> list[Problem]:
    """Cells longer than :data:`MAX_CELL_CHARS`, cut to the limit in place (one problem each)."""
    problems: list[Problem] = []
    for index, (record, number) in enumerate(zip(records, row_numbers, strict=True)):
        for pos, cell in enumerate(record):
            if cell is None or len(cell) <= MAX_CELL_CHARS:
                continue
            header = _cell(records[0][pos]) if index and pos < len(records[0]) else None
            msg = (
                f"セルが長すぎます ({len(cell):,} 文字、上限 {MAX_CELL_CHARS:,} 文字) "
                f"(cell longer than {MAX_CELL_CHARS:,} characters)"
            )
            problems.append(Problem(file, number, header, cell[:40], msg, "cell_too_long"))
            record[pos] = cell[:MAX_CELL_CHARS]
    return problems


def _too_many_rows(file: str, what: str) -> Problem:
    msg = (
        f"{what}の行が多すぎます。上限は {MAX_ROWS:,} 行 (見出しを除く) で、それより後の行は"
        f"読んでいません (more than {MAX_ROWS:,} rows)"
    )
    return Problem(file, MAX_ROWS + 2, None, None, msg, "too_many_rows")


def _unreadable_file(file: str, err: OSError) -> Problem:
    msg = f"ファイルを読めません: {err.strerror or err} (cannot read the file)"
    return Problem(file, None, None, None, msg, "unreadable_file")


def present(path: Path) -> bool:
    """Whether anything (a file, a folder, a link, even a broken one) sits at ``path``."""
    return path.is_symlink() or path.exists()


def data_file_problem(
    folder: Path,
    name: str,
    *,
    label: str = "データフォルダ",
    english: str = "the data folder",
) -> Problem | None:
    """Why the data file ``name`` of ``folder`` must not be read, or ``None`` when it may be.

    A data file is a regular file inside the folder. A symbolic link is followed only when it
    leads to a regular file inside the data folder (``plans.csv`` -> ``2025/plans.csv``); a link
    out of the folder (to ``/etc/passwd``, ``/proc/self/environ``, another city's data) would
    read, echo and publish a file nobody put in the folder. A folder, device or pipe in a data
    file's place is refused without being opened (reading a pipe would wait for ever).
    ``label`` and ``english`` name the folder in messages (the folder of returned workbooks).
    """
    path = folder / name
    try:
        target = path.resolve(strict=True)
        mode = target.stat().st_mode
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError) as err:  # a broken link, a loop of links, no permission
        if not path.is_symlink() or isinstance(err, PermissionError):
            return _unreadable_file(name, err if isinstance(err, OSError) else OSError(str(err)))
        msg = f"{name} はリンクですが、リンク先を開けません (broken symbolic link)"
        return Problem(name, None, None, None, msg, "unreadable_file")
    if path.is_symlink() and not target.is_relative_to(root):
        msg = (
            f"{name} は{label}の外を指すリンクです。リンク先は読んでいません。ファイルそのものを"
            f"フォルダに置いてください (a symbolic link leading outside {english}; allowed: a "
            "regular file, or a link to one inside the folder)"
        )
        return Problem(name, None, None, None, msg, "link_outside_folder")
    if not stat.S_ISREG(mode):
        return _not_regular_file(name, mode)
    return None


def _not_regular_file(name: str, mode: int) -> Problem:
    what = "フォルダ" if stat.S_ISDIR(mode) else "通常のファイルではないもの"
    msg = (
        f"{name} が{what}です。ファイルで置いてください "
        "(not a regular file; allowed: a regular file)"
    )
    return Problem(name, None, None, None, msg, "not_regular_file")


def _file_too_large(file: str, size: int | None, limit: int | None = None) -> Problem:
    """``file`` is ``size`` bytes long (``None``: longer than ``limit``, read no further);
    ``limit`` is :data:`MAX_FILE_BYTES` unless given."""
    limit = MAX_FILE_BYTES if limit is None else limit
    shown = f"{limit:,} バイトより長い" if size is None else f"{size:,} バイト"
    msg = (
        f"ファイルが大きすぎます ({shown}、上限 {limit:,} バイト) "
        f"(file larger than {limit:,} bytes)"
    )
    return Problem(file, None, None, None, msg, "file_too_large")


class NotRegularFile(Exception):
    """What :func:`read_bounded` was asked to read is not a regular file (``mode``: its kind)."""

    def __init__(self, mode: int) -> None:
        super().__init__(file_kind(mode)[1])
        self.mode = mode


class TooLarge(Exception):
    """What :func:`read_bounded` was asked to read is longer than its limit (``size``: as the
    file system states it; ``None`` when found while reading, which stopped there)."""

    def __init__(self, size: int | None) -> None:
        super().__init__("too large")
        self.size = size


_FILE_KINDS = (
    (stat.S_ISDIR, "フォルダ", "a folder"),
    (stat.S_ISFIFO, "名前付きパイプ", "a FIFO"),
    (stat.S_ISCHR, "デバイス", "a device"),
    (stat.S_ISBLK, "デバイス", "a device"),
    (stat.S_ISSOCK, "ソケット", "a socket"),
)


def file_kind(mode: int) -> tuple[str, str]:
    """What a file that is not a regular file is, in Japanese and in English."""
    return next(
        ((k, e) for test, k, e in _FILE_KINDS if test(mode)), ("特殊なファイル", "a special file")
    )


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, never more than ``limit`` + 1 of them read.

    The file is opened without blocking (a FIFO with no writer would wait for ever) and checked
    through the opened descriptor, so a file swapped in after an earlier check (a pipe, a
    device, a larger file) is refused as it is; a file stating a size of 0 (``/dev/zero``,
    ``/proc``) cannot make the read unbounded. Raises :class:`NotRegularFile`,
    :class:`TooLarge`, or the ``OSError`` of opening or reading.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(info.st_mode)
        if info.st_size > limit:
            raise TooLarge(info.st_size)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0 and (chunk := os.read(descriptor, left)):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise TooLarge(None)
    return data


def read_data_file(
    path: Path, limit: int | None = None, file: str | None = None
) -> tuple[bytes | None, Problem | None]:
    """The bytes of the data file ``path``, or the problem that stops it.

    Read by :func:`read_bounded`, never more than ``limit`` (:data:`MAX_FILE_BYTES` unless
    given) + 1 bytes: a file swapped in after :func:`data_file_problem` (a pipe, a device, a
    larger file) is refused as it is (``not_regular_file``, ``file_too_large``). ``file`` names
    it in the problem (its name unless given).
    """
    file = path.name if file is None else file
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        return read_bounded(path, limit), None
    except NotRegularFile as err:
        return None, _not_regular_file(file, err.mode)
    except TooLarge as err:
        return None, _file_too_large(file, err.size, limit)
    except OSError as err:
        return None, _unreadable_file(file, err)


def _csv_records(text: str, strict: bool) -> tuple[list[list[str | None]], bool]:
    """Records of ``text`` (at most ``MAX_ROWS`` + 1); True when rows were left unread."""
    records: list[list[str | None]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    for record in reader:
        if len(records) > MAX_ROWS:
            return records, True
        records.append(list(record))
    return records, False


def parse_csv(text: str, file: str) -> tuple[list[list[str | None]] | None, list[Problem]]:
    """The records of a CSV text (header first), or ``None`` and the problem that stops it.

    Cells may be as long as the file (the limit is checked per cell afterwards, with its
    column). A quote that is never closed would swallow the rest of the file into one cell: it
    is reported at the row where it opens. Other quoting slips (``"a"b``) are read as Excel
    reads them. Rows beyond :data:`MAX_ROWS` are not read.
    """
    problems: list[Problem] = []
    previous = csv.field_size_limit(max(len(text), 131_072))
    try:
        try:
            records, cut = _csv_records(text, strict=True)
        except csv.Error as err:
            records, cut = _csv_records(text, strict=False)
            if "unexpected end of data" in str(err):
                return None, [_unclosed_quote(file, records)]
    finally:
        csv.field_size_limit(previous)
    if cut:
        problems.append(_too_many_rows(file, f"{file} "))
    return records, problems


def _unclosed_quote(file: str, records: list[list[str | None]]) -> Problem:
    """The problem of a quote opened in the last record and never closed."""
    row = len(records)
    last = records[-1] if records else []
    header = records[0] if records else []
    column = len(last) - 1
    name = header[column] if row > 1 and 0 <= column < len(header) else None
    value = last[column] if last else None
    msg = (
        f'{row}行目のセルの引用符 (") が閉じられていません。このままではファイルの最後までが'
        "1つのセルになります。引用符を閉じるか削除してください (unclosed quote)"
    )
    shown = None if value is None else value[:40]
    return Problem(file, row, name, shown, msg, "unclosed_quote")


def read_csv_table(path: Path, spec: TableSpec) -> tuple[RawTable | None, list[Problem]]:
    """Read one CSV file of a folder; ``None`` when it cannot be read at all."""
    file = path.name
    data, problem = read_data_file(path)
    if problem is not None or data is None:
        return None, [problem] if problem else []
    text, problem = decode_bytes(data, file)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    if not text.strip():
        msg = "ファイルが空です。少なくとも見出しの行が必要です (empty file)"
        return None, [Problem(file, None, None, None, msg, "empty_file")]
    records, problems = parse_csv(text, file)
    if records is None:
        return None, problems
    raw, found = build_raw_table(spec, file, records, range(1, len(records) + 1))
    return raw, [*problems, *found]


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


def workbook_size_problem(path: Path) -> Problem | None:
    """A problem when ``workbook.xlsx`` or its unzipped parts are larger than the limits."""
    from zipfile import BadZipFile, ZipFile

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return _file_too_large(path.name, size)
    try:
        with ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (BadZipFile, OSError, ValueError):
        return None  # reported as unreadable when opened
    if unpacked > MAX_WORKBOOK_UNPACKED_BYTES:
        msg = (
            f"Excel ブックを展開すると大きすぎます ({unpacked:,} バイト、上限 "
            f"{MAX_WORKBOOK_UNPACKED_BYTES:,} バイト) (unzipped workbook too large)"
        )
        return Problem(path.name, None, None, None, msg, "file_too_large")
    return None


def _percent_cell(value: Any, number_format: str) -> str | None:
    """A number Excel shows as a percentage ("0.0%"), as typed: 0.929 -> "92.9%"."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    shown = re.sub(r'"[^"]*"|\\.', "", number_format or "")  # quoted text and escapes
    if "%" not in shown:
        return None
    percent = round(float(value) * 100, 10)
    return (str(int(percent)) if percent.is_integer() else repr(percent)) + "%"


def _date_cell(value: Any, number_format: str) -> str | None:
    """A date Excel stored for a cell typed as one (令和6年4月 becomes 2024-04-01), in 和暦 as
    typed: without the day when the cell's format shows none ("yyyy年m月", "ggge年m月")."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            return None
        value = value.date()
    if not isinstance(value, dt.date):
        return None
    shown = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format or "").lower()
    try:
        return written_date(value, with_day="d" in shown)
    except JpDateError:
        return None


def _quantity_positions(spec: TableSpec, header: Sequence[Any]) -> set[int]:
    """Positions of the ``quantity`` columns in a sheet's header row."""
    mapping = spec.header_map()
    positions = set()
    for pos, value in enumerate(header):
        if value is None:
            continue
        key = header_key(str(value))
        name = mapping.get(key) or mapping.get(key.lower())
        if name is not None and spec.column(name).kind == "quantity":
            positions.add(pos)
    return positions


def _sheet_records(sheet: Any, spec: TableSpec) -> tuple[list[list[str | None]], bool]:
    """The rows of a sheet as text cells (at most ``MAX_ROWS`` + 1); True when cut.

    A number that Excel formats as a percentage in a ``quantity`` column (an indicator value typed
    as 95% is stored as 0.95) is read as it is shown, "95%", like a CSV saved by Excel holds it.
    """
    records: list[list[str | None]] = []
    sheet.reset_dimensions()  # read to the real end, not to a (possibly stale) stated size
    percent_columns: set[int] = set()
    for row in sheet.iter_rows(min_row=1):
        if len(records) > MAX_ROWS:
            return records, True
        values = [getattr(cell, "value", None) for cell in row]
        if not records:
            percent_columns = _quantity_positions(spec, values)
        texts = []
        for pos, (cell, value) in enumerate(zip(row, values, strict=True)):
            shown = None
            if pos in percent_columns:
                shown = _percent_cell(value, getattr(cell, "number_format", ""))
            if shown is None:
                shown = _date_cell(value, getattr(cell, "number_format", ""))
            texts.append(shown if shown is not None else _xlsx_cell(value))
        records.append(texts)
    return records, False


def _unreadable_sheet(file: str, err: BaseException) -> Problem:
    detail = str(err).splitlines()[0][:200] if str(err) else ""
    msg = (
        f"シートを読み取れません: {type(err).__name__}: {detail} "
        "(the sheet is damaged or truncated; save the workbook again in Excel)"
    )
    return Problem(file, None, None, None, msg, "unreadable_workbook")


def read_workbook(path: Path) -> tuple[dict[str, RawTable], list[Problem], set[str]]:
    """Read every table sheet of ``workbook.xlsx``; a missing required sheet is a problem.

    Returns the tables, the problems and the names of sheets present but unreadable. A damaged
    workbook or sheet (truncated XML, a broken zip) is a problem, never an exception.
    """
    from openpyxl import load_workbook  # heavy: only when a workbook is used

    everything = {spec.name for spec in TABLES}
    too_large = workbook_size_problem(path)
    if too_large is not None:
        return {}, [too_large], everything
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # any damage of the file: openpyxl, zipfile and XML errors
        detail = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        msg = f"Excel ブックを開けません: {detail} (cannot open the workbook)"
        problem = Problem(path.name, None, None, None, msg, "unreadable_workbook")
        return {}, [problem], everything
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
                    unreadable.add(spec.name)  # rows referring to it are not checked
                continue
            try:
                records, cut = _sheet_records(book[spec.name], spec)
            except Exception as err:  # truncated or malformed sheet XML (ParseError …)
                problems.append(_unreadable_sheet(file, err))
                unreadable.add(spec.name)
                continue
            if not any(any(c is not None for c in r) for r in records):
                msg = "シートが空です。少なくとも見出しの行が必要です (empty sheet)"
                problems.append(Problem(file, None, None, None, msg, "empty_file"))
                unreadable.add(spec.name)
                continue
            if cut:
                problems.append(_too_many_rows(file, f"シート {spec.name} "))
            raw, found = build_raw_table(spec, file, records, range(1, len(records) + 1))
            tables[spec.name] = raw
            problems.extend(found)
    finally:
        book.close()
    return tables, problems, unreadable


# --- YAML ---------------------------------------------------------------------------------------


class YamlLimitError(yaml.YAMLError):
    """A YAML file goes beyond a limit of :mod:`helpers.data.limits`, or holds a bad value."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.problem_mark = mark
        self.message = message

    def __str__(self) -> str:
        where = "" if self.problem_mark is None else f" (line {self.problem_mark.line + 1})"
        return self.message + where


_YAML_CORE = "tag:yaml.org,2002:"

PLAIN_YAML_TAGS = frozenset(
    _YAML_CORE + name
    for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "merge")
)
"""The YAML types a file may hold: text, numbers, true/false, null, lists, mappings, dates (and
``<<`` merge keys). ``!!binary`` (bytes a report would show as ``b'...'``), ``!!set``,
``!!omap``, ``!!pairs`` and ``!!python/...`` are refused."""


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_CORE) if tag.startswith(_YAML_CORE) else tag


def _refuse_tag(node: yaml.Node) -> None:
    """Raise when ``node`` is of a YAML type other than :data:`PLAIN_YAML_TAGS`."""
    if node.tag in PLAIN_YAML_TAGS:
        return
    raise YamlLimitError(
        f"{quoted(_tag_name(str(node.tag)), 40)} は使えません。文字、数値、true/false、null、"
        "日付、リスト、対応表 (キー: 値) だけを書いてください (YAML type not allowed; allowed: "
        "str, int, float, bool, null, date, list, mapping)",
        node.start_mark,
    )


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that stops past :data:`MAX_YAML_DEPTH` or :data:`MAX_YAML_NODES`,
    and refuses a key written twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == _YAML_CORE + "merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the constructor says so
                    continue
                if first is not key_node:
                    before, now = first.start_mark.line + 1, key_node.start_mark.line + 1
                    lines = f"{before} 行目と {now} 行目"
                    raise YamlLimitError(
                        f"キー「{quoted(printable(key), 40)}」が同じ対応表に2回書かれています "
                        f"({lines})。1つにしてください (duplicate key)",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        self._nodes += 1
        try:
            if self._nodes > MAX_YAML_NODES:
                raise YamlLimitError(
                    f"more than {MAX_YAML_NODES:,} values (値が多すぎます)",
                    self.peek_event().start_mark,
                )
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimitError(
                    f"nesting deeper than {MAX_YAML_DEPTH} levels (入れ子が深すぎます)", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_deep(mark: Any) -> YamlLimitError:
    return YamlLimitError(
        f"nesting deeper than {MAX_YAML_DEPTH} levels once aliases are expanded "
        "(入れ子が深すぎます)",
        mark,
    )


def _expanded_size(
    node: yaml.Node, depth: int, memo: dict[int, tuple[int, int]]
) -> tuple[int, int]:
    """(values, height) of ``node`` with every alias expanded; raises beyond the limits.

    ``depth`` is how deep ``node`` sits; the recursion never goes deeper than the limit.
    """
    if depth > MAX_YAML_DEPTH:
        raise _too_deep(node.start_mark)
    _refuse_tag(node)
    key = id(node)
    if key in memo:
        size, height = memo[key]
        if size < 0:
            raise YamlLimitError(
                "an alias refers to itself (再帰的な別名 * は使えません)", node.start_mark
            )
    else:
        memo[key] = (-1, 0)  # in progress: meeting it again is a cycle
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        size, height = 1, 0
        for child in children:
            child_size, child_height = _expanded_size(child, depth + 1, memo)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_YAML_NODES:
                break
        memo[key] = (size, height)
    if size > MAX_YAML_NODES:
        raise YamlLimitError(
            f"more than {MAX_YAML_NODES:,} values once aliases (*name) are expanded "
            "(値が多すぎます)",
            node.start_mark,
        )
    if depth + height > MAX_YAML_DEPTH:
        raise _too_deep(node.start_mark)
    return size, height


def yaml_error_text(err: yaml.YAMLError) -> str:
    """One line for a YAML error: what is wrong and where (line, column)."""
    if isinstance(err, YamlLimitError):
        return str(err)
    problem = getattr(err, "problem", None)
    context = getattr(err, "context", None)
    mark = getattr(err, "problem_mark", None)
    text = " ".join(str(part) for part in (context, problem) if part) or str(err)
    text = text.splitlines()[0] if text else type(err).__name__
    if mark is not None:
        text += f" (line {mark.line + 1}, column {mark.column + 1})"
    return text


#: What to fix, in Japanese, for PyYAML's syntax problems, found by a phrase of its (English)
#: message; the first phrase found wins. A problem not listed gets the general sentence only.
YAML_HINTS: tuple[tuple[str, str], ...] = (
    (
        "found character '\\t'",
        "タブ文字は使えません。字下げ (行頭の空白) には半角の空白を使ってください",
    ),
    (
        "mapping values are not allowed",
        "ここに「:」(キーと値の区切り) は書けません。字下げ (行頭の空白の数) がそろっているか、"
        '値の中に「: 」がないかを確かめてください (「: 」を含む値は "…" で囲みます)',
    ),
    (
        "found unexpected end of stream",
        "引用符 (\" または ') が閉じられていません。値の終わりにも同じ引用符を書いてください",
    ),
    (
        "unknown escape character",
        '"…" の中の「\\」の後の文字が正しくありません。'
        "「\\」をそのまま書くときは '…' で囲んでください",
    ),
    (
        "could not find expected ':'",
        "「キー: 値」の「:」が見つかりません。"
        "引用符の閉じ忘れや、「:」の後の空白を確かめてください",
    ),
    (
        "expected <block end>",
        "字下げ (行頭の空白の数) がそろっていないか、この行より前の引用符 (\" または ') が"
        "閉じられていません。同じ段の行は同じ数の空白で始めてください",
    ),
    (
        "block sequence entries are not allowed",
        "ここに「- 」(リストの項目) は書けません。字下げを確かめてください",
    ),
    ("expected ',' or ']'", "[ ] のリストが閉じられていないか、項目の間の「,」がありません"),
    ("expected ',' or '}'", "{ } の対応表が閉じられていないか、項目の間の「,」がありません"),
    ("found undefined alias", "別名 (*名前) が指す「&名前」がありません"),
    (
        "expected a single document",
        "文書が2つあります (「---」の後)。1つのファイルには1つだけ書いてください",
    ),
    (
        "expected the node content",
        "値があるべき位置に値がありません。字下げや記号を確かめてください",
    ),
    (
        "expected alphabetic or numeric character",
        '「&」「*」の後には英数字の名前を書きます。& や * で始まる値は "…" で囲んでください',
    ),
    (
        "that cannot start any token",
        'この文字で値を始めることはできません。値を "…" で囲んでください',
    ),
    ("special characters are not allowed", "書けない文字 (制御文字) があります。削除してください"),
)


def _yaml_place(err: yaml.YAMLError) -> Any:
    """The mark a reader should look at: where an unclosed quote opened, else the problem."""
    problem = str(getattr(err, "problem", "") or "")
    context = getattr(err, "context_mark", None)
    if "unexpected end of stream" in problem and context is not None:
        return context
    return getattr(err, "problem_mark", None)


def yaml_error_message(err: yaml.YAMLError, where: str, english: str) -> str:
    """A YAML error told in Japanese: the file (*where*), the line and column to look at and
    what to fix, then the parser's own words in English after *english* (for a search or a
    developer). A limit or a refused value (:class:`YamlLimitError`) keeps its own message."""
    detail = yaml_error_text(err)
    if isinstance(err, YamlLimitError):
        return f"{where} の書式が正しくありません ({english}): {detail}"
    mark = _yaml_place(err)
    place = "" if mark is None else f"の {mark.line + 1} 行目 {mark.column + 1} 文字目"
    place = f" {place}で" if place else " で"
    words = " ".join(str(getattr(err, part, "") or "") for part in ("context", "problem"))
    words = words.strip() or str(err)
    hint = next((text for phrase, text in YAML_HINTS if phrase in words), "")
    hint = f"{hint}。" if hint else "字下げ、「:」、引用符、括弧を確かめてください。"
    return f"{where}{place} YAML の書き方が正しくありません。{hint} ({english}: {detail})"


def load_yaml(text: str) -> Any:
    """Parse YAML text safely and within the limits of :mod:`helpers.data.limits`.

    Raises ``yaml.YAMLError`` (:class:`YamlLimitError` for a limit or a value Python cannot
    hold, such as a 5,000-digit number or the date 2001-02-30) instead of exhausting memory,
    time or the stack: alias bombs, deep nesting and recursive aliases are refused. A key
    written twice in one mapping and a YAML type other than :data:`PLAIN_YAML_TAGS` are
    refused too (the error names the key or type and its line).
    """
    if len(text) > MAX_YAML_BYTES:
        raise YamlLimitError(f"larger than {MAX_YAML_BYTES:,} characters (ファイルが大きすぎます)")
    try:
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as err:  # a character YAML does not allow (NUL, …)
        before = text[: err.position]
        line, column = before.count("\n"), len(before) - (before.rfind("\n") + 1)
        err.problem_mark = yaml.error.Mark("<text>", err.position, line, column, None, None)  # type: ignore[attr-defined]
        raise
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, 0, {})
        try:
            return loader.construct_document(node)
        except (ValueError, OverflowError, TypeError, RecursionError) as err:
            raise YamlLimitError(f"a value cannot be read: {err}") from None
    finally:
        loader.dispose()


def read_config(folder: Path) -> tuple[CityConfig, list[Problem]]:
    """Read and check ``city.yaml`` of ``folder``."""
    path = folder / CONFIG_FILE
    if not present(path):
        msg = "city.yaml がありません (missing configuration file)"
        config, _ = check_config({})
        return config, [Problem(CONFIG_FILE, None, None, None, msg, "missing_file")]
    refused = data_file_problem(folder, CONFIG_FILE)
    if refused is not None:
        config, _ = check_config({})
        return config, [refused]
    data, problem = read_data_file(path, MAX_YAML_BYTES, CONFIG_FILE)
    if problem is not None or data is None:
        config, _ = check_config({})
        return config, [problem] if problem else []
    text, problem = decode_bytes(data, CONFIG_FILE)
    if problem is not None or text is None:
        config, _ = check_config({})
        return config, [problem] if problem else []
    try:
        data = load_yaml(text)
    except yaml.YAMLError as err:
        mark = _yaml_place(err)
        row = None if mark is None else mark.line + 1
        msg = yaml_error_message(err, CONFIG_FILE, "invalid YAML")
        config, _ = check_config({})
        return config, [Problem(CONFIG_FILE, row, None, None, msg, "bad_config")]
    return check_config(data)


def read_tables(folder: Path) -> tuple[dict[str, RawTable], list[Problem], set[str]]:
    """Read the tables of ``folder`` from its CSV files or its ``workbook.xlsx`` (module doc).

    Returns the tables, the problems and the names of tables present but unreadable, or
    required and missing.
    """
    csv_present = [spec for spec in TABLES if present(folder / spec.file_name)]
    workbook = folder / WORKBOOK_FILE
    problems: list[Problem] = []
    if present(workbook) and not csv_present:
        refused = data_file_problem(folder, WORKBOOK_FILE)
        if refused is not None:
            return {}, [refused], {spec.name for spec in TABLES}
        try:
            return read_workbook(workbook)
        except OSError as err:
            return {}, [_unreadable_file(WORKBOOK_FILE, err)], {spec.name for spec in TABLES}
    if present(workbook):
        msg = (
            f"{WORKBOOK_FILE} と CSV ファイルが両方あります。どちらか一方にしてください "
            "(a folder holds either CSV files or workbook.xlsx, not both)"
        )
        problems.append(Problem(WORKBOOK_FILE, None, None, None, msg, "both_sources"))
    tables: dict[str, RawTable] = {}
    for spec in TABLES:
        path = folder / spec.file_name
        if not present(path):
            if spec.required_file:
                msg = f"{spec.file_name} がありません (required file is missing)"
                problems.append(Problem(spec.file_name, None, None, None, msg, "missing_file"))
            continue
        refused = data_file_problem(folder, spec.file_name)
        if refused is not None:
            problems.append(refused)
            continue
        try:
            raw, found = read_csv_table(path, spec)
        except OSError as err:
            raw, found = None, [_unreadable_file(spec.file_name, err)]
        problems.extend(found)
        if raw is not None:
            tables[spec.name] = raw
    found_names = {s.name for s in TABLES if present(folder / s.file_name)}
    missing = {s.name for s in TABLES if s.required_file and s.name not in found_names}
    # Rows referring to a missing or unreadable table are not checked: its problem says it all.
    unreadable = (found_names - set(tables)) | missing
    return tables, problems, unreadable


# --- typed frames ----------------------------------------------------------------------------


# --- folder ----------------------------------------------------------------------------------


# --- Excel workbook --------------------------------------------------------------------------
