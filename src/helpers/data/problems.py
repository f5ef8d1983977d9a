"""Problems found in a data folder: the registered codes, the problem record and its text forms.

Every check reports :class:`Problem` values located as an analyst sees them in Excel (file, row,
column, value); :func:`format_problems` prints them as an aligned table, :func:`problems_csv` as
CSV for machines, :func:`summary` as one line."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


PROBLEM_CODES: dict[str, str] = {
    # files
    "missing_folder": "the data folder does not exist",
    "missing_file": "a required file (or workbook sheet) is missing",
    "empty_file": "a file or sheet has no content, not even a header row",
    "unreadable_encoding": "a file is neither UTF-8 nor cp932 (e.g. UTF-16)",
    "unreadable_workbook": "workbook.xlsx cannot be opened",
    "both_sources": "a folder holds both CSV files and workbook.xlsx",
    "missing_column": "a required column is missing",
    "duplicate_column": "two headers name the same column",
    "unnamed_column": "values in a column without a header",
    "unknown_column": "a header that is not part of the table (warning)",
    "too_many_cells": "a row has more cells than there are headers",
    "no_rows": "plans.csv has no data row",
    # city.yaml
    "bad_config": "city.yaml is not valid YAML or misses a required key",
    "bad_level_class": "a scale level has an unknown class",
    "scale_order_class": "a scale's classes get better as its order gets worse",
    # cells
    "required_value": "a required cell is empty",
    "not_integer": "an integer column holds something else",
    "not_number": "a number column holds something else",
    "not_boolean": "a 1/0 column holds something else",
    "bad_fiscal_year": "a fiscal year cannot be read",
    "bad_date": "a date cannot be read or does not exist",
    "not_allowed": "a value outside the column's allowed values",
    # rows and tables
    "duplicate_key": "a row repeats the key of an earlier row",
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


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def format_problems(problems: Sequence[Problem], value_width: int = 24) -> str:
    """Problems as an aligned text table (file, row, column, value, message)."""
    header = ("ファイル", "行", "列", "値", "内容")
    rows = [
        (
            p.file,
            "" if p.row is None else str(p.row),
            p.column or "",
            _clip((p.value or "").replace("\n", " "), value_width),
            ("警告: " if p.severity == "warning" else "") + p.message,
        )
        for p in problems
    ]
    widths = [max(_width(r[k]) for r in [header, *rows]) for k in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(cells[:4], widths, strict=True)]
        return "  ".join([*padded, cells[4]]).rstrip()

    return "\n".join(line(r) for r in [header, *rows])


def summary(folder: str | Path, problems: Sequence[Problem]) -> str:
    """One line: how many errors and warnings ``folder`` has."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors == 0:
        extra = f" (警告 {warnings} 件)" if warnings else ""
        return f"{folder}: 問題はありません (OK){extra}"
    return (
        f"{folder}: エラー {errors} 件、警告 {warnings} 件 ({errors} errors, {warnings} warnings)"
    )


def problems_csv(problems: Sequence[Problem]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "row", "column", "value", "message", "code", "severity"])
    for p in problems:
        writer.writerow(
            [p.file, p.row or "", p.column or "", p.value or "", p.message, p.code, p.severity]
        )
    return buffer.getvalue().rstrip("\n")
