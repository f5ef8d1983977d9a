"""The department's evaluation workbook (評価調査票): written for a round, read back, checked.

:func:`workbook_bytes` writes one department's workbook (identical bytes for identical input):

* 「記入方法」: what to do, by when and to whom, in Japanese (です・ます), with the rating levels
  and the directions and their definitions;
* 「評価」: one row per item. Grey columns (keys, name, description, the previous rating and the
  committee's opinion) are locked by sheet protection; white columns are the answers, prefilled
  with the previous evaluation's, 一次評価 and 今後の方向性 as drop-down lists, text wrapping;
* 「指標」 (when the department's items have indicators whose actual of the year is missing):
  one row per indicator with the baseline, target and previous actual, and cells for the year's
  actual (a number), 速報・確定 (a drop-down list) and a note;
* a hidden sheet ``_round`` naming the round (city, as-of, plans, department), so a renamed file,
  or one saved again by Excel or LibreOffice, is still recognised; it also holds the drop-down
  lists.

Every sheet prints on A4 (landscape, one page wide, the header row repeated).

:func:`collect_workbooks` reads a folder of returned workbooks and checks everything at once:
files that are not round workbooks, workbooks of another round or city, unknown departments,
two workbooks for one department, edited sheets, keys or rows, items of another department,
values not in a list, a missing 評価理由, text in number cells. Each problem names the file and
sheet, the Excel row, the column with its cell address, the value and what is allowed
(:class:`helpers.data.problems.Problem`). It also says, per department and item, what is
complete, missing or unchanged since the previous evaluation.

openpyxl is imported only here, when a round is started or collected.
"""

from __future__ import annotations

import io
import math
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from helpers.data.city import CityData
from helpers.data.dates import fiscal_year_label
from helpers.data.evaluations import (
    ANSWER_COLUMNS,
    ANSWER_LABELS,
    REQUIRED_ANSWERS,
    VALUE_STATUS_LABELS,
    ActualAnswer,
    DepartmentRound,
    EvaluationRound,
    ItemAnswer,
    RoundError,
    RoundIndicator,
    RoundItem,
    plan_round,
)
from helpers.data.limits import MAX_CELL_CHARS, MAX_ROWS, forbidden_character
from helpers.data.problems import Problem
from helpers.data.quantities import QuantityError, check_magnitude
from helpers.data.reading import data_file_problem, workbook_size_problem
from helpers.data.workbook import write_cell
from helpers.data.writing import linked_folder_problem, replace_file

FORMAT = "plan-report evaluation round 1"
"""Written into every workbook; a workbook of another format is not read."""

SHEET_GUIDE = "記入方法"
SHEET_ITEMS = "評価"
SHEET_INDICATORS = "指標"
SHEET_META = "_round"

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
"""Returned workbooks larger than this are refused (a sheet of a round is a few KB)."""

FIXED_TIME = datetime(2000, 1, 1)
"""Creation and modification time written into every workbook (identical bytes per input)."""

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SheetColumn:
    """A column of a round sheet: its name in code, header, width and whether it is an answer."""

    name: str
    header: str
    width: float
    answer: bool = False
    wrap: bool = False


ITEM_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("plan_id", "計画ID", 6),
    SheetColumn("item_no", "項目番号", 6),
    SheetColumn("name", "項目名", 16, wrap=True),
    SheetColumn("description", "取組内容", 22, wrap=True),
    SheetColumn("previous", "前回の評価", 12, wrap=True),
    SheetColumn("previous_opinion", "前回の委員会意見", 16, wrap=True),
    SheetColumn("self_rating", "一次評価", 12, answer=True, wrap=True),
    SheetColumn("reason", "評価理由", 24, answer=True, wrap=True),
    SheetColumn("results", "実績", 26, answer=True, wrap=True),
    SheetColumn("challenges", "課題", 18, answer=True, wrap=True),
    SheetColumn("direction", "今後の方向性", 10, answer=True),
)
ITEM_KEYS = ("plan_id", "item_no")
ITEM_LOCKED_TEXT = ("name",)
"""Locked cells besides the keys whose edits are reported (as warnings; they are not applied)."""

INDICATOR_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("plan_id", "計画ID", 7),
    SheetColumn("indicator_id", "指標ID", 8),
    SheetColumn("series", "系列", 8),
    SheetColumn("item_no", "項目番号", 7),
    SheetColumn("name", "指標名", 26, wrap=True),
    SheetColumn("unit", "単位", 7),
    SheetColumn("baseline", "基準値", 16, wrap=True),
    SheetColumn("target", "目標値", 16, wrap=True),
    SheetColumn("previous", "前年度までの実績", 16, wrap=True),
    SheetColumn("fiscal_year", "年度", 14),
    SheetColumn("value", "実績値", 12, answer=True),
    SheetColumn("value_status", "速報・確定", 10, answer=True),
    SheetColumn("note", "備考", 24, answer=True, wrap=True),
)
INDICATOR_KEYS = ("plan_id", "indicator_id", "series")

FILE_PREFIX = "evaluation"
GUIDE_WIDTH = 76.0


def workbook_name(round_: EvaluationRound, department: DepartmentRound) -> str:
    """File name of a department's workbook: ``evaluation-<fiscal year>-<department id>.xlsx``."""
    return f"{FILE_PREFIX}-{round_.fiscal_year}-{department.id}.xlsx"


# --- writing ---------------------------------------------------------------------------------


def _number_text(value: float | None, unit: str | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    return text + (unit or "")


def _with_year(value: float | None, unit: str | None, fiscal_year: int | None) -> str:
    text = _number_text(value, unit)
    return text if fiscal_year is None else f"{text}({fiscal_year_label(fiscal_year)})"


def _guide_lines(round_: EvaluationRound, department: DepartmentRound) -> list[tuple[str, str]]:
    """(style, text) lines of the 記入方法 sheet."""
    settings = round_.settings
    fy = fiscal_year_label(round_.fiscal_year)
    plans = "、".join(p.name for p in round_.plans)
    lines: list[tuple[str, str]] = [
        ("title", f"{round_.city_name} {round_.as_of} 評価調査票(一次評価)"),
        ("text", f"担当課: {department.name}"),
        ("text", f"対象の計画: {plans}"),
        ("text", f"評価の時点: {round_.as_of}({fy}の取組を評価します)"),
    ]
    if round_.deadline:
        lines.append(("strong", f"提出期限: {round_.deadline}"))
    if settings.get("secretariat"):
        contact = f"({settings['contact']})" if settings.get("contact") else ""
        lines.append(("text", f"提出先・問い合わせ先: {settings['secretariat']}{contact}"))
    lines += [
        ("blank", ""),
        ("heading", "記入のしかた"),
        (
            "text",
            f"1. 「{SHEET_ITEMS}」シートに、{department.name}が担当する項目が1行ずつあります"
            f"({len(department.items)}項目)。",
        ),
        (
            "text",
            "2. 灰色の列(計画ID、項目番号、項目名、取組内容、前回の評価、前回の委員会意見)は"
            "変更できません。白い列に記入してください。",
        ),
        (
            "text",
            "3. 白い列には前回の回答をあらかじめ入れてあります。"
            f"{fy}の内容に書き直してください。変わらない場合はそのままでかまいません。",
        ),
        (
            "text",
            "4. 「一次評価」と「今後の方向性」は、セルを選ぶと表示される一覧から選んでください。",
        ),
        (
            "text",
            "5. 一次評価が最上位の段階(下の表の1行目)でないときは、「評価理由」を必ず書いて"
            "ください。「実績」には、その年度に行ったことを具体的に書いてください。",
        ),
    ]
    if department.indicators:
        lines.append(
            (
                "text",
                f"6. 「{SHEET_INDICATORS}」シートに、{fy}の実績値を数値だけで入力してください"
                "(単位は不要です。例: 45.5)。まだ確定していない値は「速報・確定」で「速報」を"
                "選んでください。分からない場合は空欄のままにして、備考に理由を書いてください。",
            )
        )
    lines += [
        (
            "text",
            f"{7 if department.indicators else 6}. 行・列・シートを追加、削除したり、"
            "シートの名前を変えたりしないでください。ファイル名は変えてもかまいません。",
        ),
        (
            "text",
            f"{8 if department.indicators else 7}. 記入が終わったら、Excel ブック(.xlsx)のまま"
            "保存して、提出先へお送りください。",
        ),
        ("blank", ""),
    ]
    for plan in round_.plans:
        lines.append(("heading", f"一次評価の段階({plan.name}: {plan.scale_name})"))
        for number, level in enumerate(plan.levels, start=1):
            label = level.code if level.label == level.code else f"{level.code}({level.label})"
            lines.append(("text", f"{number}. {label}: {level.definition or ''}".rstrip(": ")))
        lines.append(("blank", ""))
    if round_.directions:
        lines.append(("heading", "今後の方向性"))
        for level in round_.directions:
            lines.append(("text", f"・{level.code}: {level.definition or ''}".rstrip(": ")))
    return [(style, full_width(text)) for style, text in lines]


def full_width(text: str) -> str:
    """Japanese prose punctuation: full-width parentheses and colons."""
    return text.replace(" (", "（").replace("(", "（").replace(")", "）").replace(": ", "：")


def _meta_rows(round_: EvaluationRound, department: DepartmentRound) -> list[tuple[str, str]]:
    return [
        ("format", FORMAT),
        ("city", round_.city_id),
        ("as_of", round_.as_of),
        ("plans", " ".join(p.plan_id for p in round_.plans)),
        ("department_id", department.id),
        ("department_name", department.name),
        ("deadline", round_.deadline or ""),
    ]


def _lists(round_: EvaluationRound) -> list[tuple[str, list[str]]]:
    """Drop-down lists: directions, the levels of each plan, 速報・確定."""
    lists = [("directions", [d.code for d in round_.directions])]
    lists += [(f"plan:{p.plan_id}", [level.code for level in p.levels]) for p in round_.plans]
    lists.append(("value_status", list(VALUE_STATUS_LABELS.values())))
    return lists


def _item_cells(item: RoundItem) -> dict[str, Any]:
    previous = item.previous
    answers = item.prefill()
    return {
        "plan_id": item.plan_id,
        "item_no": item.item_no,
        "name": item.name,
        "description": item.description or "",
        "previous": "—" if previous is None else f"{previous.status}({previous.as_of})",
        "previous_opinion": (previous.committee_opinion if previous else None) or "",
        **{name: answers.get(name) for name in ANSWER_COLUMNS},
    }


def _indicator_cells(indicator: RoundIndicator, fiscal_year: int) -> dict[str, Any]:
    return {
        "plan_id": indicator.plan_id,
        "indicator_id": indicator.indicator_id,
        "series": indicator.series or "",
        "item_no": indicator.item_no,
        "name": indicator.name,
        "unit": indicator.unit or "",
        "baseline": _with_year(indicator.baseline, indicator.unit, indicator.baseline_fy),
        "target": _with_year(indicator.target, indicator.unit, indicator.target_fy),
        "previous": _with_year(indicator.previous_value, indicator.unit, indicator.previous_fy),
        "fiscal_year": fiscal_year_label(fiscal_year),
        "value": None,
        "value_status": None,
        "note": None,
    }


LINE_HEIGHT = 15.0
"""Points per line of text (11 pt font) for the row heights of wrapped cells."""


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapped cell ``width`` characters wide (wide glyphs count 2.2,
    a little more than their nominal two columns, as fonts render them)."""
    usable = max(width - 1.5, 1.0)
    lines = 0
    for paragraph in text.split("\n"):
        span = sum(2.2 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in paragraph)
        lines += max(1, math.ceil(span / usable))
    return lines


def row_height(values: dict[str, Any], columns: Sequence[SheetColumn]) -> float:
    """A row height that shows every wrapped cell whole (Excel and LibreOffice do not size
    rows of a generated workbook by themselves); at least two lines, room to write."""
    lines = max(
        (text_lines(str(values.get(c.name) or ""), c.width) for c in columns if c.wrap),
        default=1,
    )
    return LINE_HEIGHT * max(lines, 2) + 6


def _print_setup(sheet: Any, landscape: bool, header: str, department: str) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.75
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.oddHeader.left.text = header
    sheet.oddHeader.right.text = department
    sheet.oddFooter.center.text = "&P / &N"


def _data_sheet(
    book: Any,
    title: str,
    columns: Sequence[SheetColumn],
    rows: Sequence[dict[str, Any]],
    header: str,
    department: str,
) -> Any:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    locked_fill = PatternFill("solid", fgColor="E7E6E6")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    answer_header_fill = PatternFill("solid", fgColor="2E75B6")
    for c, column in enumerate(columns, start=1):
        cell = write_cell(sheet, 1, c, column.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = answer_header_fill if column.answer else header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = border
        sheet.column_dimensions[get_column_letter(c)].width = column.width
    sheet.row_dimensions[1].height = LINE_HEIGHT * 2 + 3
    for r, values in enumerate(rows, start=2):
        sheet.row_dimensions[r].height = row_height(values, columns)
        for c, column in enumerate(columns, start=1):
            cell = write_cell(sheet, r, c, values.get(column.name))
            cell.border = border
            cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
            if isinstance(cell.value, str):
                cell.number_format = "@"
            if column.answer:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = locked_fill
    sheet.freeze_panes = "D2"
    sheet.print_title_rows = "1:1"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widths and heights may be changed
    sheet.protection.formatRows = False
    _print_setup(sheet, True, header, department)
    return sheet


def _validation(sheet: Any, formula: str, cells: str, title: str, allowed: Sequence[str]) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    validation = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=f"一覧から選んでください: {'、'.join(allowed)}"[:255],
        showInputMessage=True,
        promptTitle=title,
        prompt="一覧から選んでください。"[:255],
    )
    for cell in cells.split():
        validation.add(cell)
    sheet.add_data_validation(validation)


def _column_letter(columns: Sequence[SheetColumn], name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter([c.name for c in columns].index(name) + 1)


def build_workbook(round_: EvaluationRound, department: DepartmentRound) -> Any:
    """The openpyxl workbook of ``department`` (see the module docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)
    header = f"{round_.city_name} {round_.as_of} 評価調査票"
    guide = book.create_sheet(SHEET_GUIDE)
    guide.column_dimensions["A"].width = GUIDE_WIDTH
    fonts = {
        "title": Font(bold=True, size=14),
        "heading": Font(bold=True, size=12),
        "strong": Font(bold=True, color="C00000"),
    }
    for r, (style, text) in enumerate(_guide_lines(round_, department), start=1):
        cell = write_cell(guide, r, 1, text or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        size = {"title": 1.4, "heading": 1.2}.get(style, 1.0)
        guide.row_dimensions[r].height = LINE_HEIGHT * size * text_lines(text, GUIDE_WIDTH) + 2
        if style in fonts:
            cell.font = fonts[style]
    guide.protection.sheet = True
    _print_setup(guide, False, header, department.name)

    item_rows = [_item_cells(item) for item in department.items]
    items = _data_sheet(book, SHEET_ITEMS, ITEM_COLUMNS, item_rows, header, department.name)
    meta = book.create_sheet(SHEET_META)
    for r, (key, value) in enumerate(_meta_rows(round_, department), start=1):
        write_cell(meta, r, 1, key)
        write_cell(meta, r, 2, value).number_format = "@"
    ranges: dict[str, str] = {}
    for c, (name, values) in enumerate(_lists(round_), start=4):
        letter = get_column_letter(c)
        write_cell(meta, 1, c, name)
        for r, value in enumerate(values, start=2):
            write_cell(meta, r, c, value).number_format = "@"
        ranges[name] = f"'{SHEET_META}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    meta.sheet_state = "hidden"
    meta.protection.sheet = True

    rating = _column_letter(ITEM_COLUMNS, "self_rating")
    for plan in round_.plans:
        rows = [
            n for n, item in enumerate(department.items, start=2) if item.plan_id == plan.plan_id
        ]
        if rows:
            cells = " ".join(f"{rating}{n}" for n in rows)
            codes = [level.code for level in plan.levels]
            _validation(items, ranges[f"plan:{plan.plan_id}"], cells, "一次評価", codes)
    if round_.directions and department.items:
        letter = _column_letter(ITEM_COLUMNS, "direction")
        cells = f"{letter}2:{letter}{len(department.items) + 1}"
        codes = [d.code for d in round_.directions]
        _validation(items, ranges["directions"], cells, "今後の方向性", codes)

    if department.indicators:
        rows = [_indicator_cells(i, round_.fiscal_year) for i in department.indicators]
        sheet = _data_sheet(
            book, SHEET_INDICATORS, INDICATOR_COLUMNS, rows, header, department.name
        )
        last = len(rows) + 1
        value = _column_letter(INDICATOR_COLUMNS, "value")
        number = DataValidation(
            type="decimal",
            operator="between",
            formula1="-1000000000000",
            formula2="1000000000000",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="実績値",
            error="数値だけを入力してください(単位は不要です)。",
        )
        number.add(f"{value}2:{value}{last}")
        sheet.add_data_validation(number)
        status = _column_letter(INDICATOR_COLUMNS, "value_status")
        _validation(
            sheet,
            ranges["value_status"],
            f"{status}2:{status}{last}",
            "速報・確定",
            list(VALUE_STATUS_LABELS.values()),
        )
    book.active = 0
    return book


def _deterministic_zip(data: bytes) -> bytes:
    """The same zip with fixed entry times (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def workbook_bytes(round_: EvaluationRound, department: DepartmentRound) -> bytes:
    """The department's workbook as .xlsx bytes; identical input gives identical bytes."""
    from openpyxl.writer.excel import ExcelWriter

    book = build_workbook(round_, department)
    book.properties.creator = "plan-report"
    book.properties.lastModifiedBy = "plan-report"
    book.properties.title = f"{round_.city_name} {round_.as_of} 評価調査票 {department.name}"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    return _deterministic_zip(buffer.getvalue())


def write_round(round_: EvaluationRound, out_dir: str | Path) -> list[Path]:
    """Write every department's workbook into ``out_dir`` (each file atomically).

    Nothing is written through a symbolic link: an output folder that is a link is a
    :class:`RoundError`, and a link at a workbook's name is replaced, never followed
    (:func:`helpers.data.writing.replace_file`).
    """
    folder = Path(out_dir)
    refused = linked_folder_problem(folder, "調査票のフォルダ")
    if refused is not None:
        raise RoundError(refused)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for department in round_.departments:
        path = folder / workbook_name(round_, department)
        replace_file(path, workbook_bytes(round_, department))
        paths.append(path)
    return paths


# --- reading back ----------------------------------------------------------------------------

ItemState = Literal["complete", "unchanged", "missing"]

STATE_LABELS: dict[str, str] = {
    "complete": "記入済み",
    "unchanged": "記入済み(前回と同じ)",
    "missing": "未記入",
}


@dataclass
class ItemResult:
    """What a department answered for one item, and whether it is complete."""

    item: RoundItem
    answers: dict[str, str | None]
    state: ItemState
    missing: tuple[str, ...] = ()


@dataclass
class IndicatorResult:
    """The actual a department gave for one indicator (``None`` when left empty)."""

    indicator: RoundIndicator
    value: float | None
    value_status: str
    note: str | None


@dataclass
class DepartmentResult:
    """One department of the round: its returned workbook (if any) and the answers read."""

    department: DepartmentRound
    file: str | None
    items: list[ItemResult] = field(default_factory=list)
    duplicates: tuple[str, ...] = ()
    indicators: list[IndicatorResult] = field(default_factory=list)

    @property
    def returned(self) -> bool:
        return self.file is not None

    @property
    def complete(self) -> bool:
        return self.returned and all(r.state != "missing" for r in self.items)


@dataclass
class Collection:
    """Every returned workbook of a round, read and checked."""

    round: EvaluationRound | None
    departments: list[DepartmentResult]
    problems: list[Problem]
    files: list[str]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.round is not None and not self.errors

    @property
    def complete(self) -> bool:
        return self.ok and all(d.complete for d in self.departments)

    def item_answers(self) -> list[ItemAnswer]:
        """The answers of every item, in the round's order (for :func:`apply_answers`)."""
        return [
            ItemAnswer(r.item.plan_id, r.item.item_no, d.department.name, dict(r.answers))
            for d in self.departments
            for r in d.items
        ]

    def actual_answers(self) -> list[ActualAnswer]:
        """The indicator actuals given (empty cells left out)."""
        assert self.round is not None
        return [
            ActualAnswer(
                plan_id=r.indicator.plan_id,
                indicator_id=r.indicator.indicator_id,
                series=r.indicator.series,
                fiscal_year=self.round.fiscal_year,
                value=r.value,
                unit=r.indicator.unit,
                value_status=r.value_status,
                note=r.note,
            )
            for d in self.departments
            for r in d.indicators
            if r.value is not None
        ]


@dataclass
class _Sheet:
    """A data sheet as read: header texts and rows of raw values with their number formats."""

    headers: list[str | None]
    rows: list[tuple[int, list[Any], list[str]]]


@dataclass
class _Returned:
    file: str
    meta: dict[str, str]
    sheets: dict[str, _Sheet]


def _clean(value: Any) -> str | None:
    """A cell as stripped text (numbers without a trailing .0), ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _problem(
    file: str,
    sheet: str,
    row: int | None,
    column: str | None,
    value: Any,
    message: str,
    code: str,
    severity: str = "error",
) -> Problem:
    where = f"{file} [{sheet}]" if sheet else file
    shown = _clean(value)
    return Problem(where, row, column, shown, message, code, severity)  # type: ignore[arg-type]


EXCEL_LAST_ROW = 1_048_576
"""The last row of an Excel sheet; a returned sheet naming a later row is refused."""


def _too_many_rows(file: str, sheet: str, row: int) -> Problem:
    msg = (
        f"行が多すぎます。記入する行は {MAX_ROWS:,} 行までで、それより後は読んでいません。"
        "余分な行を削除してください (too many rows)"
    )
    return _problem(file, sheet, row, None, None, msg, "too_many_rows")


def _sheet_rows(
    sheet: Any, file: str, title: str, columns: Sequence[SheetColumn]
) -> tuple[_Sheet, Problem | None]:
    """The header and non-empty rows of a returned sheet, read row by row (read-only mode).

    Only the sheet's columns (and one more, to notice an inserted one) are kept, at most
    :data:`MAX_ROWS` non-empty rows: a small file that unpacks to millions of cells is refused
    without holding them in memory. The sheet's recorded dimension is ignored (a false one
    would pad every row).
    """
    width = len(columns) + 1
    sheet.reset_dimensions()
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    headers = [_clean(v) for v in first[:width]]
    if any(_clean(v) is not None for v in first[width:]):
        headers.append("…")  # something far to the right: the header row was edited
    rows: list[tuple[int, list[Any], list[str]]] = []
    for row, cells in enumerate(sheet.iter_rows(min_row=2, max_col=width), start=2):
        if row > EXCEL_LAST_ROW:
            return _Sheet(headers, rows), _too_many_rows(file, title, row)
        values = [c.value for c in cells]
        if all(_clean(v) is None for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            return _Sheet(headers, rows), _too_many_rows(file, title, row)
        rows.append((row, values, [str(c.number_format or "") for c in cells]))
    return _Sheet(headers, rows), None


def _read_file(path: Path) -> tuple[_Returned | None, list[Problem]]:
    from openpyxl import load_workbook

    file = path.name
    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        msg = (
            f"ファイルが大きすぎます ({path.stat().st_size:,} バイト、上限 "
            f"{MAX_WORKBOOK_BYTES:,} バイト) (file too large)"
        )
        return None, [_problem(file, "", None, None, None, msg, "not_round_workbook")]
    too_large = workbook_size_problem(path)  # a zip bomb would be unpacked whole below
    if too_large is not None:
        return None, [_problem(file, "", None, None, None, too_large.message, "not_round_workbook")]
    unreadable = (
        "Excel ブック (.xlsx) として開けません: {} (cannot open the workbook; save it as .xlsx)"
    )
    try:
        # read-only: cells are parsed row by row as they are read, never all held at once
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for broken files
        msg = unreadable.format(type(error).__name__)
        return None, [_problem(file, "", None, None, None, msg, "not_round_workbook")]
    try:
        if SHEET_META not in book.sheetnames:
            msg = (
                "評価調査票ではありません (隠しシート _round がありません)。"
                "plan-report round start で作ったファイルに記入してください "
                "(not a workbook of an evaluation round)"
            )
            return None, [_problem(file, "", None, None, None, msg, "not_round_workbook")]
        meta_sheet = book[SHEET_META]
        meta_sheet.reset_dimensions()
        meta = {}
        meta_rows = meta_sheet.iter_rows(min_row=1, max_row=MAX_ROWS, max_col=2, values_only=True)
        for row in meta_rows:
            key, value = (_clean(v) for v in [*row, None, None][:2])
            if key is not None:
                meta[key] = value or ""
        sheets: dict[str, _Sheet] = {}
        for title, columns in ((SHEET_ITEMS, ITEM_COLUMNS), (SHEET_INDICATORS, INDICATOR_COLUMNS)):
            if title not in book.sheetnames:
                continue
            sheets[title], problem = _sheet_rows(book[title], file, title, columns)
            if problem is not None:
                return None, [problem]
    except Exception as error:  # a damaged sheet shows only when its rows are read
        msg = unreadable.format(type(error).__name__)
        return None, [_problem(file, "", None, None, None, msg, "not_round_workbook")]
    finally:
        book.close()
    return _Returned(file, meta, sheets), []


def _column_of(columns: Sequence[SheetColumn], name: str) -> int:
    return [c.name for c in columns].index(name)


def _address(columns: Sequence[SheetColumn], name: str, row: int) -> str:
    from openpyxl.utils import get_column_letter

    column = columns[_column_of(columns, name)]
    return f"{column.header} ({get_column_letter(_column_of(columns, name) + 1)}{row})"


def _check_headers(
    returned: _Returned, title: str, columns: Sequence[SheetColumn], needed: bool
) -> tuple[_Sheet | None, list[Problem]]:
    sheet = returned.sheets.get(title)
    if sheet is None:
        if not needed:
            return None, []
        msg = f"シート「{title}」がありません。シートの名前を戻してください (sheet missing)"
        return None, [_problem(returned.file, title, None, None, None, msg, "edited_sheet")]
    expected = [c.header for c in columns]
    found = [h for h in sheet.headers]
    while found and found[-1] is None:
        found.pop()
    if found != expected:
        msg = (
            f"1行目の見出しが変わっています。列を追加・削除・移動しないでください "
            f"(expected: {', '.join(expected)}) (edited header row)"
        )
        shown = ", ".join(h or "(空欄)" for h in found)
        return None, [_problem(returned.file, title, 1, None, shown, msg, "edited_sheet")]
    if not needed and sheet.rows:
        msg = "この課に尋ねた指標はありません。「指標」の行を消してください (no indicators asked)"
        return None, [
            _problem(returned.file, title, sheet.rows[0][0], None, None, msg, "edited_key")
        ]
    return sheet, []


def _cells(row: list[Any], columns: Sequence[SheetColumn]) -> dict[str, Any]:
    values = list(row) + [None] * max(0, len(columns) - len(row))
    return {c.name: values[n] for n, c in enumerate(columns)}


def _normalise(text: str | None) -> str | None:
    return None if text is None else unicodedata.normalize("NFKC", text).strip() or None


@dataclass
class _Report:
    """Collects the problems of one sheet, located by row and column name."""

    file: str
    sheet: str
    columns: Sequence[SheetColumn]
    problems: list[Problem] = field(default_factory=list)

    def __call__(
        self,
        row: int | None,
        column: str | None,
        value: Any,
        message: str,
        code: str,
        severity: str = "error",
    ) -> None:
        where = None if column is None or row is None else _address(self.columns, column, row)
        self.problems.append(
            _problem(self.file, self.sheet, row, where, value, message, code, severity)
        )


def _bad_text(report: _Report, row: int, name: str, text: str | None) -> bool:
    """Report a cell the data could not hold (too long, control characters); True if bad."""
    if text is None:
        return False
    if len(text) > MAX_CELL_CHARS:
        msg = (
            f"{len(text):,} 文字あります。1つのセルは {MAX_CELL_CHARS:,} 文字までにしてください "
            "(cell too long)"
        )
        report(row, name, text[:40], msg, "cell_too_long")
        return True
    character = forbidden_character(text, multiline=True)
    if character is not None:
        msg = (
            f"見えない制御文字 (U+{ord(character):04X}) が入っています。削除してください "
            "(control character not allowed)"
        )
        report(row, name, text, msg, "control_character")
        return True
    return False


def _choice(text: str | None, code_of: Any) -> str | None:
    """The code a list answer names (as written, or NFKC-normalised)."""
    if text is None:
        return None
    return code_of(text) or code_of(_normalise(text) or "")


def _read_items(
    returned: _Returned,
    round_: EvaluationRound,
    department: DepartmentRound,
    sheet: _Sheet,
    owner: dict[tuple[str, int], str],
) -> tuple[list[ItemResult], list[Problem]]:
    report = _Report(returned.file, SHEET_ITEMS, ITEM_COLUMNS)
    expected = {item.key: item for item in department.items}
    seen: dict[tuple[str, int], int] = {}
    answered: dict[tuple[str, int], dict[str, str | None]] = {}
    for row, values, _formats in sheet.rows:
        cells = _cells(values, ITEM_COLUMNS)
        plan_id, number = _clean(cells["plan_id"]), _clean(cells["item_no"])
        key = (plan_id or "", int(number) if number and number.isdigit() else -1)
        shown = f"{plan_id}-{number}"
        if key not in expected:
            if key in owner:
                msg = (
                    f"計画 {key[0]} 項目 {key[1]} は{owner[key]}の項目です。"
                    f"{department.name}の調査票には書けません (item of another department)"
                )
            else:
                allowed = ", ".join(f"{p}-{n}" for p, n in expected)
                msg = (
                    f"計画ID「{plan_id}」項目番号「{number}」の項目はこの調査票にありません。"
                    f"灰色の列は変更しないでください (edited key; allowed: {allowed})"
                )
            report(row, "item_no", shown, msg, "edited_key")
            continue
        if key in seen:
            msg = f"計画 {key[0]} 項目 {key[1]} の行が2つあります ({seen[key]}行目と同じ)"
            report(row, "item_no", shown, msg + " (duplicate row)", "edited_key")
            continue
        seen[key] = row
        item = expected[key]
        if _normalise(_clean(cells["name"])) != _normalise(item.name):
            msg = (
                f"項目名が変わっています (データでは「{item.name}」)。"
                "灰色の列の変更は反映されません (locked cell edited; ignored)"
            )
            report(row, "name", cells["name"], msg, "edited_locked", "warning")
        plan = round_.plan(item.plan_id)
        answers: dict[str, str | None] = {name: _clean(cells[name]) for name in ANSWER_COLUMNS}
        for name, text in answers.items():
            if _bad_text(report, row, name, text):
                answers[name] = None
        for name, code_of, allowed in (
            ("self_rating", plan.code_of, [level.code for level in plan.levels]),
            ("direction", round_.direction_code, [d.code for d in round_.directions]),
        ):
            written = answers[name]
            answers[name] = _choice(written, code_of)
            if written is not None and answers[name] is None:
                msg = (
                    f"{ANSWER_LABELS[name]}「{written}」は一覧にありません "
                    f"(not in the list; allowed: {', '.join(allowed) or 'なし'})"
                )
                report(row, name, written, msg, "not_in_list")
        if answers["self_rating"] not in (None, plan.top) and answers["reason"] is None:
            msg = (
                f"一次評価が「{answers['self_rating']}」(最上位の「{plan.top}」ではない) なので、"
                "評価理由を書いてください (a reason is required below the top level)"
            )
            report(row, "reason", None, msg, "reason_required")
        answered[key] = answers
    for key, item in expected.items():
        if key not in seen:
            msg = (
                f"計画 {key[0]} 項目 {key[1]}「{item.name}」の行がありません。"
                "行を削除しないでください (row deleted)"
            )
            report(None, None, f"{key[0]}-{key[1]}", msg, "missing_row")
    results = []
    for key, item in expected.items():
        answers = answered.get(key)
        if answers is None:
            continue
        missing = tuple(ANSWER_LABELS[n] for n in REQUIRED_ANSWERS if answers.get(n) is None)
        if missing:
            state: ItemState = "missing"
        elif answers == item.prefill() and item.previous is not None:
            state = "unchanged"
        else:
            state = "complete"
        results.append(ItemResult(item, answers, state, missing))
    return results, report.problems


def _number(value: Any, number_format: str, unit: str | None) -> float | str | None:
    """A number cell: the number, ``None`` when empty, or the text when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            return str(value)
        if "%" in number_format and unit == "%":
            number *= 100  # typed as 45% in a number cell: Excel stores 0.45
        return round(number, 10)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return str(value)
    return number if math.isfinite(number) else str(value)  # NaN, Infinity, 1e400


def _read_indicators(
    returned: _Returned, department: DepartmentRound, sheet: _Sheet
) -> tuple[list[IndicatorResult], list[Problem]]:
    report = _Report(returned.file, SHEET_INDICATORS, INDICATOR_COLUMNS)
    expected = {i.key: i for i in department.indicators}
    seen: dict[tuple[str, str, str], int] = {}
    results: dict[tuple[str, str, str], IndicatorResult] = {}
    statuses = {label: code for code, label in VALUE_STATUS_LABELS.items()}
    position = _column_of(INDICATOR_COLUMNS, "value")
    for row, values, formats in sheet.rows:
        cells = _cells(values, INDICATOR_COLUMNS)
        key = tuple(_clean(cells[name]) or "" for name in INDICATOR_KEYS)
        assert len(key) == 3
        if key not in expected:
            allowed = ", ".join("/".join(filter(None, k)) for k in expected)
            msg = (
                f"指標 {'/'.join(filter(None, key))} はこの調査票にありません。"
                f"灰色の列は変更しないでください (edited key; allowed: {allowed})"
            )
            report(row, "indicator_id", key[1], msg, "edited_key")
            continue
        if key in seen:
            msg = f"指標 {key[1]} の行が2つあります ({seen[key]}行目と同じ) (duplicate row)"
            report(row, "indicator_id", key[1], msg, "edited_key")
            continue
        seen[key] = row  # type: ignore[index]
        indicator = expected[key]  # type: ignore[index]
        number_format = formats[position] if position < len(formats) else ""
        value = _number(cells["value"], number_format, indicator.unit)
        if isinstance(value, str):
            msg = (
                f"実績値「{value}」は数値ではありません。数値だけを入力してください "
                f"(単位「{indicator.unit or 'なし'}」は不要です。例: 45.5) (number expected)"
            )
            report(row, "value", value, msg, "not_number")
            value = None
        elif value is not None:
            try:
                check_magnitude(value)
            except QuantityError as error:
                written = cells["value"]
                shown = written if isinstance(written, str) else f"{value:g}"
                report(row, "value", shown, f"実績値: {error}", "not_number")
                value = None
        written = _clean(cells["value_status"])
        status = statuses.get(_normalise(written) or "", "final" if written is None else "")
        if not status:
            msg = (
                f"速報・確定「{written}」は一覧にありません (not in the list; allowed: 速報, 確定)"
            )
            report(row, "value_status", written, msg, "not_in_list")
            status = "final"
        note = _clean(cells["note"])
        if _bad_text(report, row, "note", note):
            note = None
        results[key] = IndicatorResult(indicator, value, status, note)  # type: ignore[index]
    for key, indicator in expected.items():
        if key not in seen:
            msg = (
                f"指標 {indicator.indicator_id}「{indicator.name}」の行がありません。"
                "行を削除しないでください (row deleted)"
            )
            report(None, None, indicator.indicator_id, msg, "missing_row")
    return [results[k] for k in expected if k in results], report.problems


def _round_key(meta: dict[str, str]) -> tuple[str, str, str]:
    return (meta.get("city", ""), meta.get("as_of", ""), meta.get("plans", ""))


def _describe_round(key: tuple[str, str, str]) -> str:
    return f"{key[1]}(市 {key[0]}、計画 {key[2]})"


def collect_workbooks(folder: str | Path, city: CityData, as_of: str | None = None) -> Collection:
    """Read and check every returned workbook in ``folder`` against the round of ``city``.

    The round is the one the workbooks name (``as_of`` chooses when they name several). A
    department may return its workbook under any file name; Excel's lock files (``~$…``) and
    hidden files are skipped.
    """
    base = Path(folder)
    problems: list[Problem] = []
    if not base.is_dir():
        msg = f"フォルダ {base} がありません (folder not found)"
        return Collection(
            None, [], [Problem(str(base), None, None, None, msg, "missing_folder")], []
        )
    paths = sorted(p for p in base.iterdir() if not p.name.startswith(("~$", ".")))
    returned: list[_Returned] = []
    files: list[str] = []
    for path in paths:
        suffix = path.suffix.lower()
        if suffix not in (".xls", ".ods", ".csv", ".xlsb", ".xlsx", ".xlsm"):
            continue
        # a link out of the folder (to another city's workbook, to /dev/zero) is never read
        refused = data_file_problem(
            base, path.name, label="調査票のフォルダ", english="the folder of returned workbooks"
        )
        if refused is not None:
            problems.append(refused)
            continue
        if suffix in (".xls", ".ods", ".csv", ".xlsb"):
            msg = (
                f"{suffix} 形式は読めません。Excel ブック (.xlsx) で保存し直してください "
                "(save as .xlsx)"
            )
            problems.append(_problem(path.name, "", None, None, None, msg, "not_round_workbook"))
            continue
        if suffix not in (".xlsx", ".xlsm"):
            continue
        files.append(path.name)
        read, found = _read_file(path)
        problems += found
        if read is not None:
            if read.meta.get("format") != FORMAT:
                msg = (
                    f"調査票の形式「{read.meta.get('format', '')}」は読めません (expected {FORMAT})"
                )
                problems.append(
                    _problem(read.file, SHEET_META, None, None, None, msg, "not_round_workbook")
                )
                continue
            returned.append(read)
    if not files and not problems:
        msg = f"{base} に調査票 (.xlsx) がありません (no workbooks)"
        problems.append(Problem(str(base), None, None, None, msg, "not_round_workbook"))
    keys = Counter(_round_key(r.meta) for r in returned)
    city_id = city.city.get("id", "")
    chosen: tuple[str, str, str] | None = None
    if as_of is not None:
        chosen = next((k for k in keys if k[1] == as_of.strip() and k[0] == city_id), None)
        if chosen is None:
            chosen = (city_id, as_of.strip(), "")
    elif keys:
        ranked = keys.most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            names = "、".join(_describe_round(k) for k, _ in ranked)
            msg = f"複数の回の調査票があります ({names})。--as-of で時点を指定してください"
            problems.append(Problem(str(base), None, None, None, msg, "other_round"))
            return Collection(None, [], problems, files)
        chosen = ranked[0][0]
    if chosen is None:
        return Collection(None, [], problems, files)
    if chosen[0] != city_id:
        msg = f"調査票は市「{chosen[0]}」のものです。データの市は「{city_id}」です (other city)"
        problems.append(Problem(str(base), None, None, None, msg, "other_round"))
        return Collection(None, [], problems, files)
    try:
        plan_ids = tuple(chosen[2].split()) if chosen[2] else ()
        round_ = plan_round(city, chosen[1], plan_ids, None)
    except RoundError as error:
        msg = f"{chosen[1]}の回を組み立てられません: {error}"
        problems.append(Problem(str(base), None, None, None, msg, "other_round"))
        problems += error.problems
        return Collection(None, [], problems, files)
    owner = {item.key: d.name for d in round_.departments for item in d.items}
    by_department: dict[str, list[_Returned]] = {}
    for read in returned:
        if _round_key(read.meta) != chosen:
            msg = (
                f"この調査票は別の回 {_describe_round(_round_key(read.meta))} のものです。"
                f"今回は {_describe_round(chosen)} です (workbook of another round)"
            )
            problems.append(
                _problem(read.file, "", None, None, read.meta.get("as_of"), msg, "other_round")
            )
            continue
        department = round_.department(read.meta.get("department_id", ""))
        if department is None or department.name != read.meta.get("department_name"):
            known = ", ".join(f"{d.name} ({d.id})" for d in round_.departments)
            name = f"{read.meta.get('department_name', '')} ({read.meta.get('department_id', '')})"
            msg = f"担当課 {name} はこの回の担当課ではありません (unknown; allowed: {known})"
            problems.append(
                _problem(read.file, "", None, None, name, msg, "unknown_round_department")
            )
            continue
        by_department.setdefault(department.id, []).append(read)
    results: list[DepartmentResult] = []
    for department in round_.departments:
        mine = by_department.get(department.id, [])
        if len(mine) > 1:
            names = "、".join(r.file for r in mine)
            for read in mine:
                msg = (
                    f"{department.name}の調査票が {len(mine)} つあります ({names})。"
                    "提出する1つだけをフォルダに残してください (two workbooks for one department)"
                )
                problems.append(
                    _problem(
                        read.file, "", None, None, department.name, msg, "duplicate_department"
                    )
                )
            results.append(DepartmentResult(department, None, duplicates=tuple(names.split("、"))))
            continue
        if not mine:
            results.append(DepartmentResult(department, None))
            continue
        read = mine[0]
        result = DepartmentResult(department, read.file)
        sheet, found = _check_headers(read, SHEET_ITEMS, ITEM_COLUMNS, True)
        problems += found
        if sheet is not None:
            result.items, found = _read_items(read, round_, department, sheet, owner)
            problems += found
        sheet, found = _check_headers(
            read, SHEET_INDICATORS, INDICATOR_COLUMNS, bool(department.indicators)
        )
        problems += found
        if sheet is not None and department.indicators:
            result.indicators, found = _read_indicators(read, department, sheet)
            problems += found
        results.append(result)
    return Collection(round_, results, problems, files)
