"""Problems found in a data folder: the registered codes, the problem record and its text forms.

Every check reports :class:`Problem` values located as an analyst sees them in Excel (file, row,
column, value); :func:`format_problems` prints them as an aligned table, :func:`problems_csv` as
CSV for machines, :func:`summary` as one line.

Values come from the files and may hold anything: every text form shows control and invisible
characters escaped (:func:`printable`: ESC as ``\x1b``, a line break as ``\n``), so a cell can
neither drive the terminal nor forge a line of the table or of a build log; a table of more
than :data:`~helpers.data.limits.MAX_PROBLEMS_SHOWN` problems is cut there and the rest
summarised by code."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from helpers.data.limits import MAX_PROBLEMS_SHOWN, MAX_QUOTED_CHARS
from helpers.data.spreadsheet_formulas import neutralise_formula

Severity = Literal["error", "warning"]


PROBLEM_CODES: dict[str, str] = {
    # files
    "missing_folder": "the data folder does not exist",
    "missing_file": "a required file (or workbook sheet) is missing",
    "empty_file": "a file or sheet has no content, not even a header row",
    "unreadable_encoding": "a file is neither UTF-8 nor cp932 (e.g. UTF-16)",
    "unreadable_workbook": "workbook.xlsx, or one of its sheets, cannot be read",
    "unreadable_file": "a file cannot be read (permissions, a device in its place …)",
    "file_too_large": "a file is larger than the documented limit",
    "too_many_rows": "a table has more rows than the documented limit",
    "unclosed_quote": "a quoted CSV cell is never closed (the rest of the file would be one cell)",
    "both_sources": "a folder holds both CSV files and workbook.xlsx",
    "missing_column": "a required column is missing",
    "duplicate_column": "two headers name the same column",
    "unnamed_column": "values in a column without a header",
    "unknown_column": "a header that is not part of the table (warning)",
    "too_many_cells": "a row has more cells than there are headers",
    "no_rows": "plans.csv has no data row",
    "link_outside_folder": (
        "a data file (or a returned workbook) is a symbolic link to a file outside its folder"
    ),
    "not_regular_file": (
        "a data file (or a returned workbook) is not a regular file (a folder, a device, a pipe …)"
    ),
    # city.yaml
    "bad_config": (
        "city.yaml is not valid YAML, exceeds a YAML limit, repeats a key, holds a YAML type"
        " other than plain data (!!binary, !!set …) or misses a required key"
    ),
    "bad_url": (
        "a city.yaml address (source.url, publication.licence_url) is not a plain http:// or"
        " https:// URL: another scheme, or a user name or password before the host"
    ),
    "bad_level_class": "a scale level has an unknown class",
    "scale_order_class": "a scale's classes get better as its order gets worse",
    # cells
    "required_value": "a required cell is empty",
    "not_integer": "an integer column holds something else",
    "not_number": "a number column holds something else",
    "not_boolean": "a 1/0 column holds something else",
    "bad_fiscal_year": "a fiscal year cannot be read",
    "bad_date": "a date cannot be read or does not exist",
    "nominal_era_year": "an era year past its era's end (平成32年度), read in the era in force",
    "not_allowed": "a value outside the column's allowed values",
    "cell_too_long": "a cell is longer than the documented limit",
    "bad_identifier": "a plan ID holds a character a file name or link cannot (space, :, / …)",
    "plan_id_case": "two plan IDs differ only in upper and lower case (a, A): one file on Windows",
    "control_character": "a cell holds a control or invisible formatting character (ESC, NUL …)",
    # rows and tables
    "duplicate_key": "a row repeats the key of an earlier row",
    "as_of_spelt_twice": "one plan's evaluation date is written in two ways (R7.3.31, 令和6年度末)",
    "unknown_plan": "a row refers to a plan that plans.csv does not hold",
    "unknown_item": "a row refers to an item that items.csv does not hold",
    "unknown_goal": "a row refers to a goal that goals.csv does not hold",
    "unknown_target": "an item's target level is not in city.yaml",
    "unknown_scale": "a plan names a scale that city.yaml does not define",
    "statuses_without_scale": "a plan has statuses but no scale",
    "status_not_in_scale": "a status belongs to another scale than its plan's",
    "unknown_status": "a status is not a level of its plan's scale (nor of any scale)",
    "period_order": "a plan's period ends before it starts",
    "value_range": "a reported rate lies outside 0-1",
    "item_without_plan": "an event names an item number but no plan",
    "derived_mismatch": "an event's 精度/年度/計画期間 disagrees with its date",
    # indicators
    "bad_rule": "an indicator rule (indicator_rules in city.yaml) is malformed",
    "unknown_rule": "a plan or indicator names a rule that city.yaml does not define",
    "indicator_without_rule": "an indicator has no rule (neither its own nor its plan's)",
    "indicator_incomplete": "an indicator lacks a value its rule needs, or a year for a value",
    "missing_direction": "an indicator's direction is neither written nor given by its values",
    "direction_conflict": "an indicator's target is worse than its baseline (warning)",
    "target_equals_baseline": "a ratio against the baseline needs a target unlike the baseline",
    "bad_target": "a ratio against the target needs a target above zero",
    "combine_not_allowed": "sub-series averaged (平均) under a rule that is not a ratio",
    "series_mismatch": "the sub-series rows of one indicator disagree",
    "unknown_indicator": "a row refers to an indicator or series that indicators.csv does not hold",
    "unit_mismatch": "a value is written with another unit than its indicator's",
    "before_baseline": "an actual or a target of a year before the indicator's baseline year",
    "unknown_rating": "a published rating is not a level of the indicator's rule",
    # evaluation round (statuses.csv extra columns, items.csv 担当課)
    "unknown_direction": "a 今後の方向性 is not one of city.yaml's directions",
    "reason_required": "an evaluation below the top level has no 評価理由",
    "unknown_department": "an item's 担当課 is not one of city.yaml's departments",
    # returned workbooks of an evaluation round (plan-report round collect)
    "not_round_workbook": "a returned file is not a readable workbook of an evaluation round",
    "other_round": "a workbook belongs to another round or city",
    "unknown_round_department": "a workbook names a department the round does not ask",
    "duplicate_department": "two workbooks for one department",
    "edited_sheet": "a sheet of the workbook is missing, renamed or has edited headers",
    "edited_key": "a row's key was edited, or names an item of another department, or repeats",
    "missing_row": "a row of the department's items or indicators was deleted",
    "not_in_list": "an answer is not one of its drop-down list's choices",
    "edited_locked": "a locked cell such as an item name was edited (warning; not applied)",
}
"""Every check's code (``Problem.code``) and what it means."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a data folder, located as an analyst sees it in Excel.

    ``row`` is the Excel row number (the header is row 1, the first data row is 2) or ``None``
    for a problem of the whole file; ``column`` is the header as written in the file (the
    expected Japanese header when the column is missing). ``code`` names the check.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    code: str
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.code not in PROBLEM_CODES:
            raise ValueError(f"unknown problem code {self.code!r}")


def quoted(text: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """``text`` as a message may quote it: at most ``limit`` characters, cut with ``…``."""
    shown = str(text)
    return shown if len(shown) <= limit else shown[:limit] + "…"


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` safe to print on one terminal line: invisible characters shown as escapes.

    Control characters (ESC, NUL, line breaks, tab …), format characters (zero-width space,
    bidirectional overrides, BOM), the line and paragraph separators and unassigned or private
    code points become ``\\x1b``, ``\\n``, ``\\u2028`` …; letters, digits, punctuation and
    spaces (the ideographic space too) stay as they are.
    """
    shown = str(text)
    if shown.isprintable():
        return shown
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else _escape(ch) for ch in shown
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit // 2 or _width(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        used += _width(ch)
        if used > limit - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


MESSAGE_WIDTH = 400
"""Terminal columns a message may take in the table before it is cut with …."""


def format_problems(
    problems: Sequence[Problem], value_width: int = 24, limit: int = MAX_PROBLEMS_SHOWN
) -> str:
    """Problems as an aligned text table (file, row, column, value, message).

    Every cell is shown with :func:`printable`; values are cut at ``value_width`` columns and
    messages at :data:`MESSAGE_WIDTH`. Only the first ``limit`` problems become rows; a last
    line counts the others by code (``plan-report validate --format csv`` lists them all).
    """
    header = ("ファイル", "行", "列", "値", "内容")
    shown = problems[:limit]
    rows = [
        (
            _clip(printable(p.file), 60),
            "" if p.row is None else str(p.row),
            _clip(printable(p.column or ""), 30),
            _clip(printable(p.value or ""), value_width),
            _clip(
                ("警告: " if p.severity == "warning" else "") + printable(p.message), MESSAGE_WIDTH
            ),
        )
        for p in shown
    ]
    widths = [max(_width(r[k]) for r in [header, *rows]) for k in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(cells[:4], widths, strict=True)]
        return "  ".join([*padded, cells[4]]).rstrip()

    lines = [line(r) for r in [header, *rows]]
    rest = problems[limit:]
    if rest:
        counts: dict[str, int] = {}
        for p in rest:
            counts[p.code] = counts.get(p.code, 0) + 1
        by_code = ", ".join(f"{code} {n:,}" for code, n in sorted(counts.items()))
        lines.append(
            f"… ほか {len(rest):,} 件 ({len(rest):,} more: {by_code}; "
            "全件は plan-report validate --format csv で出力できます)"
        )
    return "\n".join(lines)


def summary(folder: str | Path, problems: Sequence[Problem]) -> str:
    """One line: how many errors and warnings ``folder`` has."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    where = printable(folder)
    if errors == 0:
        extra = f" (警告 {warnings} 件)" if warnings else ""
        return f"{where}: 問題はありません (OK){extra}"
    return (
        f"{where}: エラー {errors:,} 件、警告 {warnings:,} 件 "
        f"({errors:,} errors, {warnings:,} warnings)"
    )


CSV_VALUE_LIMIT = 200
"""Characters of a value or column ``problems_csv`` keeps (a cell may be 10,000 characters)."""

CSV_MESSAGE_LIMIT = 1000
"""Characters of a message ``problems_csv`` keeps."""


def problems_csv(problems: Sequence[Problem], header: bool = True) -> str:
    """Every problem as CSV (file, row, column, value, message, code, severity).

    Text is shown with :func:`printable` (one line per problem); values and columns are cut at
    :data:`CSV_VALUE_LIMIT` characters, messages at :data:`CSV_MESSAGE_LIMIT`. The output is
    opened in Excel: text that a spreadsheet would run as a formula (``=HYPERLINK(…)``) gets a
    leading ``'`` (:func:`~helpers.data.spreadsheet_formulas.neutralise_formula`). ``header``:
    begin with the header row.
    """
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(["file", "row", "column", "value", "message", "code", "severity"])
    for p in problems:
        writer.writerow(
            [
                neutralise_formula(printable(p.file)),
                p.row or "",
                neutralise_formula(quoted(printable(p.column or ""), CSV_VALUE_LIMIT)),
                neutralise_formula(quoted(printable(p.value or ""), CSV_VALUE_LIMIT)),
                neutralise_formula(quoted(printable(p.message), CSV_MESSAGE_LIMIT)),
                p.code,
                p.severity,
            ]
        )
    return buffer.getvalue().rstrip("\n")
