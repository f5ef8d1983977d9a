"""One city's data folder as validated pandas tables: :func:`load_city` and :func:`inspect_folder`.

:func:`inspect_folder` reads every file (:mod:`helpers.data.reading`), runs every check
(:mod:`helpers.data.checks`) and returns the data together with every problem;
:func:`load_city` raises :class:`DataValidationError` listing all of them instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.data.checks import CheckedTables, TypedTable, check_tables
from helpers.data.contracts import (
    ACTUALS,
    CONFIG_FILE,
    GLOSSARY,
    INDICATOR_TARGETS,
    INDICATORS,
    OPINIONS,
    TABLES,
    WORKBOOK_FILE,
    DepartmentConfig,
    RawTable,
    RuleConfig,
    ScaleConfig,
    TableSpec,
    TargetLevelConfig,
)
from helpers.data.errors import InputError
from helpers.data.problems import Problem, printable
from helpers.data.reading import read_config, read_tables

_DERIVED_AFTER: dict[str, dict[str, str]] = {
    "statuses": {"as_of_date": "as_of"},
    "reported": {"as_of_date": "as_of"},
    "events": {"date": "fiscal_year"},
    "opinions": {"as_of_date": "as_of"},
}
"""Derived columns that are not in the files, and the column each is placed after."""


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

    Indicators (optional, empty frames when the folder has none): ``indicators`` one row per
    indicator and series, with 方向, 評価基準 and 系列の統合 completed; ``indicator_targets`` the
    interim targets per fiscal year; ``actuals`` one row per indicator, series and fiscal year
    (``value`` NaN when not known); ``indicator_rules`` the rules of city.yaml by id.

    The evaluation round adds (all optional, empty when not used): ``opinions`` (the committee's
    opinions per plan and evaluation, with ``as_of_date``), ``directions`` (code, label,
    description of 今後の方向性), ``departments`` (id, name) and ``round_settings`` (secretariat,
    contact, committee).
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
    indicators: pd.DataFrame = field(default_factory=lambda: empty_frame(INDICATORS))
    indicator_targets: pd.DataFrame = field(default_factory=lambda: empty_frame(INDICATOR_TARGETS))
    actuals: pd.DataFrame = field(default_factory=lambda: empty_frame(ACTUALS))
    indicator_rules: dict[str, RuleConfig] = field(default_factory=dict)
    opinions: pd.DataFrame = field(default_factory=lambda: empty_frame(OPINIONS))
    directions: pd.DataFrame = field(default_factory=lambda: _levels_frame(()))
    departments: pd.DataFrame = field(default_factory=lambda: _departments_frame(()))
    round_settings: dict[str, str] = field(default_factory=dict)
    glossary: pd.DataFrame = field(default_factory=lambda: empty_frame(GLOSSARY))
    publication: dict[str, str] = field(default_factory=dict)
    event_kinds: dict[str, str] = field(default_factory=dict)

    def scale_of(self, plan_id: str) -> Scale | None:
        """The scale of plan ``plan_id``, ``None`` if it has none; KeyError for an unknown plan."""
        rows = self.plans.loc[self.plans["plan_id"] == plan_id, "scale"]
        if rows.empty:
            raise KeyError(plan_id)
        scale_id = rows.iloc[0]
        return None if scale_id is None else self.scales[scale_id]


class DataValidationError(InputError):
    """A data folder has errors; ``problems`` lists all of them (and the warnings)."""

    heading = "データに問題があります"

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
        """The errors as lines, control characters escaped, values cut at 40 characters."""
        errors = self.errors
        folder = printable(self.folder)
        lines = [f"{folder}: データにエラーが {len(errors)} 件あります ({len(errors)} errors)"]
        for p in errors[:limit]:
            where = printable(p.file) + (f" {p.row}行目" if p.row is not None else "")
            where += f" 「{printable(p.column)}」" if p.column else ""
            shown = printable(p.value or "")
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            value = f" 値「{shown}」" if p.value else ""
            message = printable(p.message)
            message = message if len(message) <= 400 else message[:400] + "…"
            lines.append(f"  - {where}{value}: {message}")
        if len(errors) > limit:
            lines.append(f"  … ほか {len(errors) - limit} 件 (plan-report validate {folder})")
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


def _series(values: list[Any], kind: str, required: bool) -> pd.Series:
    if kind in ("int", "fiscal_year"):
        return pd.Series(values, dtype="int64" if required else "Int64")
    if kind in ("float", "quantity"):
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


def empty_frame(spec: TableSpec) -> pd.DataFrame:
    """The frame of a table without rows (an optional file that is absent)."""
    typed = TypedTable(_empty_raw(spec), {c.name: [] for c in spec.columns}, {})
    return _frame(typed, {name: [] for name in _DERIVED_AFTER.get(spec.name, {})})


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
    targets = _levels_frame(config.target_levels)
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
        indicators=frames["indicators"],
        indicator_targets=frames["indicator_targets"],
        actuals=frames["actuals"],
        indicator_rules=dict(config.indicator_rules),
        opinions=frames["opinions"],
        directions=_levels_frame(config.directions),
        departments=_departments_frame(config.departments),
        round_settings=dict(config.round_settings),
        glossary=frames["glossary"],
        publication=dict(config.publication),
        event_kinds=dict(config.event_kinds),
    )


def _departments_frame(departments: Sequence[DepartmentConfig]) -> pd.DataFrame:
    """Departments of city.yaml as a frame: id, name."""
    return pd.DataFrame(
        {
            "id": pd.Series([d.id for d in departments], dtype=object),
            "name": pd.Series([d.name for d in departments], dtype=object),
        }
    )


def _levels_frame(levels: Sequence[TargetLevelConfig]) -> pd.DataFrame:
    """Target levels or directions as a frame: code, label, description."""
    return pd.DataFrame(
        {
            "code": pd.Series([t.code for t in levels], dtype=object),
            "label": pd.Series([t.label for t in levels], dtype=object),
            "description": pd.Series([t.description for t in levels], dtype=object),
        }
    )


def inspect_folder(folder: str | Path) -> Inspection:
    """Read and check every file of ``folder``; the data is built only when there is no error."""
    path = Path(folder)
    if not path.is_dir():
        msg = f"フォルダ {path} がありません (data folder not found)"
        return Inspection(None, [Problem(str(path), None, None, None, msg, "missing_folder")])
    config, problems = read_config(path)
    raw_tables, table_problems, unreadable = read_tables(path)
    if any(p.file == CONFIG_FILE and p.column is None for p in problems):
        unreadable = {*unreadable, CONFIG_FILE}  # the file as a whole: skip checks against it
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


def validate_folder(folder: str | Path) -> list[Problem]:
    """Every problem (errors and warnings) of the data folder ``folder``, in file and row order."""
    from helpers.data.city import inspect_folder

    return inspect_folder(folder).problems
