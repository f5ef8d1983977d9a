"""Table contracts of a plan-data folder (one city): columns, keys, references and problems.

Every CSV file (or workbook sheet) of a data folder has one :class:`TableSpec` here. A spec maps
the Japanese headers that analysts edit in Excel to the English snake_case names used in code,
says which columns are required, what kind of value each cell holds and which other tables a
row refers to. The checks that apply these contracts live in :mod:`helpers.data.checks`; reading
files lives in :mod:`helpers.data.reading`.

This module is plain typed Python on purpose: every report kernel imports it, so it must import
nothing heavier than the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from helpers.data.problems import Problem

ColumnKind = Literal["id", "text", "int", "float", "bool", "fiscal_year", "date", "precision"]
"""How a cell is read.

- ``id``: identifier text (``計画ID`` "1" stays the string "1")
- ``text``: free text
- ``int`` / ``float``: numbers (full-width digits are accepted)
- ``bool``: 1/0, TRUE/FALSE, ○ or empty
- ``fiscal_year``: a fiscal year as written ("平成21年度", "2009年度", "2009") read as an int
- ``date``: a Japanese date as written ("平成23年1月"), kept as text and checked
- ``precision``: a date precision label (年度, 年度末, 年, 年月, 年月日, 不明)
"""


CONFIG_FILE = "city.yaml"
"""Name of the configuration file every data folder holds."""

WORKBOOK_FILE = "workbook.xlsx"
"""Name of the optional Excel workbook that replaces the CSV files of a folder."""

STATUS_CLASSES: tuple[str, ...] = ("achieved", "partial", "not_achieved")
"""Classes a scale level can belong to, best first."""

REPORTED_MEASURES: tuple[str, ...] = ("rate_strict", "rate_incl_partial")
"""Aggregates a document can state: achieved only, or achieved including partly achieved."""

PRECISION_LABELS: dict[str, str] = {
    "fiscal_year": "年度",
    "fiscal_year_end": "年度末",
    "year": "年",
    "month": "年月",
    "day": "年月日",
    "unknown": "不明",
}
"""Date precision (English code used in code) -> Japanese label written in events.csv."""

BOOL_TRUE: frozenset[str] = frozenset({"1", "true", "yes", "○", "〇", "はい", "y"})
BOOL_FALSE: frozenset[str] = frozenset({"0", "false", "no", "×", "いいえ", "n", "-"})


@dataclass(frozen=True)
class Column:
    """One column of a table: its Japanese header, English name and the values it may hold."""

    name: str
    header: str
    kind: ColumnKind
    required: bool = False
    allowed: tuple[str, ...] = ()
    description: str = ""
    example: str = ""


@dataclass(frozen=True)
class Reference:
    """Rows of a table refer to rows of another table (checked when all local cells are set)."""

    columns: tuple[str, ...]
    table: str
    target_columns: tuple[str, ...]
    code: str
    what: str


@dataclass(frozen=True)
class TableSpec:
    """The contract of one CSV file / workbook sheet."""

    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_file: bool
    min_rows: int = 0
    references: tuple[Reference, ...] = ()

    @property
    def file_name(self) -> str:
        """The CSV file name of this table, e.g. ``items.csv``."""
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        """Return the column with English name ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def header_map(self) -> dict[str, str]:
        """Map every accepted header (Japanese, or English in lower case) to the English name."""
        mapping: dict[str, str] = {}
        for col in self.columns:
            mapping[col.header] = col.name
            mapping[col.name.lower()] = col.name
        return mapping


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file, before typing: every cell is text or ``None`` (empty).

    ``headers`` are the English column names the file's headers map to, ``header_text`` the
    headers as written (same order); ``rows`` hold one cell per header and ``row_numbers`` the
    Excel row number of each row.
    """

    spec: TableSpec
    file: str
    headers: tuple[str, ...]
    header_text: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]
    row_numbers: tuple[int, ...]
    problems: tuple[Problem, ...] = field(default=())

    def header_of(self, name: str) -> str:
        """The header text this file uses for English column ``name`` (Japanese if absent)."""
        if name in self.headers:
            return self.header_text[self.headers.index(name)]
        return self.spec.column(name).header


_PLAN_ID = Column("plan_id", "計画ID", "id", True, description="計画の識別子", example="2")
_PAGE = Column("page", "出典頁", "int", description="出典資料の頁番号", example="10")


def _plan_ref(columns: tuple[str, ...] = ("plan_id",)) -> Reference:
    return Reference(columns, "plans", ("plan_id",), "unknown_plan", "計画")


PLANS = TableSpec(
    name="plans",
    title="計画",
    columns=(
        _PLAN_ID,
        Column("name", "計画名", "text", True, example="第二次東大和市情報化推進計画"),
        Column("short_name", "略称", "text", description="空欄なら計画名", example="第二次計画"),
        Column("start_fy", "開始年度", "fiscal_year", True, example="平成21年度"),
        Column("end_fy", "終了年度", "fiscal_year", True, example="平成25年度"),
        Column(
            "formulated",
            "策定",
            "date",
            description="策定時期(書かれたとおり)",
            example="平成21年3月",
        ),
        Column(
            "scale",
            "評価尺度",
            "id",
            description="city.yaml の scales のキー",
            example="achievement3",
        ),
        Column("source", "出典", "text", example="第三次東大和市情報化推進計画 第3章 3-1-2"),
        _PAGE,
    ),
    key=("plan_id",),
    required_file=True,
    min_rows=1,
)

GOALS = TableSpec(
    name="goals",
    title="重点目標",
    columns=(
        _PLAN_ID,
        Column("goal_no", "重点目標番号", "int", True, example="1"),
        Column("goal", "重点目標", "text", True, example="情報化基盤の整備"),
        _PAGE,
    ),
    key=("plan_id", "goal_no"),
    required_file=False,
    references=(_plan_ref(),),
)

MEASURES = TableSpec(
    name="measures",
    title="施策",
    columns=(
        _PLAN_ID,
        Column("goal_no", "重点目標番号", "int", example="1"),
        Column("measure_no", "施策番号", "int", True, example="1"),
        Column("measure", "施策", "text", True, example="公的個人認証サービス稼動"),
        _PAGE,
    ),
    key=("plan_id", "measure_no"),
    required_file=False,
    references=(
        _plan_ref(),
        Reference(
            ("plan_id", "goal_no"), "goals", ("plan_id", "goal_no"), "unknown_goal", "重点目標"
        ),
    ),
)

ITEMS = TableSpec(
    name="items",
    title="取組項目",
    columns=(
        _PLAN_ID,
        Column("item_no", "項目番号", "int", True, example="1"),
        Column("name", "項目名", "text", True, example="財務会計システム"),
        Column(
            "target",
            "取組目標",
            "id",
            True,
            description="city.yaml の target_levels",
            example="実施",
        ),
        Column("description", "取組内容", "text", example="……新システムへ更新しました"),
        Column("goal_no", "重点目標番号", "int", description="goals.csv の番号", example="1"),
        Column(
            "date_written",
            "時期",
            "date",
            description="書かれたとおりの時期",
            example="平成21年10月",
        ),
        Column("date_kind", "時期の内容", "text", example="稼働"),
        _PAGE,
    ),
    key=("plan_id", "item_no"),
    required_file=True,
    references=(
        _plan_ref(),
        Reference(
            ("plan_id", "goal_no"), "goals", ("plan_id", "goal_no"), "unknown_goal", "重点目標"
        ),
    ),
)

STATUSES = TableSpec(
    name="statuses",
    title="取組状況",
    columns=(
        _PLAN_ID,
        Column("item_no", "項目番号", "int", True, example="1"),
        Column("as_of", "時点", "date", True, description="評価の時点", example="平成24年度末"),
        Column(
            "status", "取組状況", "id", True, description="計画の評価尺度の段階", example="達成"
        ),
        _PAGE,
    ),
    key=("plan_id", "item_no", "as_of"),
    required_file=True,
    references=(
        _plan_ref(),
        Reference(
            ("plan_id", "item_no"), "items", ("plan_id", "item_no"), "unknown_item", "取組項目"
        ),
    ),
)

REPORTED = TableSpec(
    name="reported",
    title="資料に記載された集計値",
    columns=(
        _PLAN_ID,
        Column("as_of", "時点", "date", example="平成24年度末"),
        Column(
            "measure", "指標", "id", True, allowed=REPORTED_MEASURES, example="rate_incl_partial"
        ),
        Column("value", "値", "float", True, description="0から1の割合", example="0.9"),
        Column("wording", "表現", "text", example="概ね9割"),
        Column("quote", "原文", "text", example="……計画全体の概ね9割となっています。"),
        _PAGE,
    ),
    key=("plan_id", "as_of", "measure"),
    required_file=False,
    references=(_plan_ref(),),
)

EVENTS = TableSpec(
    name="events",
    title="年表",
    columns=(
        Column("event_id", "事象ID", "id", True, example="E19"),
        Column(
            "date_written",
            "時期",
            "date",
            description="書かれたとおり。不明なら空欄",
            example="平成21年10月",
        ),
        Column(
            "precision",
            "精度",
            "precision",
            allowed=tuple(PRECISION_LABELS.values()),
            example="年月",
        ),
        Column(
            "fiscal_year", "年度", "fiscal_year", description="西暦の年度開始年", example="2009"
        ),
        Column(
            "period_plan_id", "計画期間", "id", description="その年度を期間に含む計画", example="2"
        ),
        Column("event", "事象", "text", True, example="新財務会計システム稼働"),
        Column("kind", "種別", "text", example="稼働"),
        Column("plan_id", "計画ID", "id", example="2"),
        Column("item_no", "項目番号", "int", example="5"),
        Column(
            "in_chart", "年表掲載", "bool", description="資料の年表に載っていれば1", example="1"
        ),
        _PAGE,
        Column("note", "備考", "text"),
    ),
    key=("event_id",),
    required_file=False,
    references=(
        _plan_ref(),
        Reference(
            ("plan_id", "item_no"), "items", ("plan_id", "item_no"), "unknown_item", "取組項目"
        ),
    ),
)

TABLES: tuple[TableSpec, ...] = (PLANS, GOALS, MEASURES, ITEMS, STATUSES, REPORTED, EVENTS)
"""All table contracts, in the order tables are read and reported."""

TABLES_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in TABLES}

DERIVED_EVENT_COLUMNS: tuple[str, ...] = ("precision", "fiscal_year", "period_plan_id")
"""events.csv columns computed from 時期 and plans.csv when empty, checked when given."""


@dataclass(frozen=True)
class LevelConfig:
    """One level of a rating scale, as configured in city.yaml."""

    code: str
    label: str
    order: int
    cls: str
    definition: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class ScaleConfig:
    """A rating scale (評価尺度) from city.yaml: its levels, best (order 1) first."""

    id: str
    name: str
    levels: tuple[LevelConfig, ...]

    def codes(self) -> tuple[str, ...]:
        """Level codes, best first."""
        return tuple(level.code for level in self.levels)


@dataclass(frozen=True)
class TargetLevelConfig:
    """A target level (取組目標) from city.yaml."""

    code: str
    label: str
    description: str | None = None


@dataclass(frozen=True)
class CityConfig:
    """The parsed city.yaml of a data folder."""

    city: dict[str, str]
    source: dict[str, str]
    target_levels: tuple[TargetLevelConfig, ...]
    scales: dict[str, ScaleConfig]
