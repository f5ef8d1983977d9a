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
from typing import Any, Literal

from helpers.data.problems import Problem, Severity

ColumnKind = Literal[
    "id", "text", "int", "float", "bool", "fiscal_year", "date", "precision", "choice", "quantity"
]
"""How a cell is read.

- ``id``: identifier text (``計画ID`` "1" stays the string "1")
- ``text``: free text
- ``int`` / ``float``: numbers (full-width digits are accepted)
- ``bool``: 1/0, TRUE/FALSE, ○ or empty
- ``fiscal_year``: a fiscal year as written ("平成21年度", "2009年度", "2009") read as an int
- ``date``: a Japanese date as written ("平成23年1月"), kept as text and checked
- ``precision``: a date precision label (年度, 年度末, 年, 年月, 年月日, 計画期間中, 不明)
- ``choice``: one of the words of ``Column.choices`` (several words may mean one code), read as
  the code (``方向`` "高いほど良い" -> "higher")
- ``quantity``: a number as people type it in Japanese sheets ("95.0%", "1,234件", "△5" for -5,
  full-width digits), read as a float; the unit written after the number is kept and checked
  against the indicator's unit (:mod:`helpers.data.quantities`). A dash alone ("-", "−", "―")
  means "no value", as published tables write it.
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
    "plan_period": "計画期間中",
    "unknown": "不明",
}
"""Date precision (English code used in code) -> Japanese label written in events.csv."""

DIRECTIONS: dict[str, str] = {"higher": "高いほど良い", "lower": "低いほど良い"}
"""Direction of an indicator (English code -> Japanese label written in indicators.csv)."""

DIRECTION_CHOICES: tuple[tuple[str, str], ...] = (
    ("高いほど良い", "higher"),
    ("大きいほど良い", "higher"),
    ("多いほど良い", "higher"),
    ("増加", "higher"),
    ("上昇", "higher"),
    ("↑", "higher"),
    ("higher", "higher"),
    ("低いほど良い", "lower"),
    ("小さいほど良い", "lower"),
    ("少ないほど良い", "lower"),
    ("減少", "lower"),
    ("低下", "lower"),
    ("↓", "lower"),
    ("lower", "lower"),
)
"""Words accepted in the 方向 column of indicators.csv and the direction each means."""

VALUE_STATUSES: dict[str, str] = {"preliminary": "速報", "final": "確定"}
"""Whether an actual is preliminary or final (English code -> Japanese label)."""

VALUE_STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("速報", "preliminary"),
    ("速報値", "preliminary"),
    ("暫定", "preliminary"),
    ("暫定値", "preliminary"),
    ("見込み", "preliminary"),
    ("preliminary", "preliminary"),
    ("確定", "final"),
    ("確定値", "final"),
    ("final", "final"),
)
"""Words accepted in the 速報・確定 column of actuals.csv."""

COMBINE_RULES: dict[str, str] = {"worst": "最低", "best": "最高", "mean": "平均"}
"""How the sub-series of one indicator are rated together (code -> Japanese label):
``worst`` the lowest rating of the series, ``best`` the highest, ``mean`` (ratio rules only)
the rating of the mean achievement ratio of the series."""

COMBINE_CHOICES: tuple[tuple[str, str], ...] = (
    ("最低", "worst"),
    ("最も低い評価", "worst"),
    ("worst", "worst"),
    ("最高", "best"),
    ("最も高い評価", "best"),
    ("best", "best"),
    ("平均", "mean"),
    ("mean", "mean"),
)
"""Words accepted in the 系列の統合 column of indicators.csv."""

RULE_KINDS: tuple[str, ...] = ("movement", "ratio")
"""Kinds of indicator rating rule: movement from the baseline with a tolerance band, or the
share of the target reached (達成率)."""

MOVEMENT_CONDITIONS: tuple[str, ...] = ("target_met", "improved", "unchanged", "worsened")
"""What a movement rule tells apart, best first: the target is met; the actual moved toward
the target by more than the tolerance; it stayed within the tolerance of the baseline; it
moved away by more than the tolerance."""

MISSING_CONDITION = "missing"
"""The condition of a rule level used when the year's actual is not known (評価できない)."""

RATIO_BASES: tuple[str, ...] = ("target", "progress")
"""How a ratio rule computes the share of the target reached: ``target`` actual / target
(lower-is-better: target / actual); ``progress`` (actual - baseline) / (target - baseline)."""

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
    choices: tuple[tuple[str, str], ...] = ()
    """For ``choice`` columns: (word as written, code) pairs."""
    aliases: tuple[str, ...] = ()
    """Other headers accepted for this column (e.g. 二次評価 for 取組状況)."""


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
            for alias in col.aliases:
                mapping[alias] = col.name
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


@dataclass(frozen=True)
class TypedTable:
    """A table whose cells are typed: one list per spec column, ``None`` where empty or bad.

    ``dates`` holds the parsed :class:`~helpers.data.dates.JpDate` of every ``date`` column
    (``None`` where empty or unreadable); ``units`` the unit written after the number of every
    ``quantity`` cell (``None`` where none was written).
    """

    raw: RawTable
    columns: dict[str, list[Any]]
    dates: dict[str, list[Any]]
    units: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def spec(self) -> TableSpec:
        """The contract of this table."""
        return self.raw.spec

    def __len__(self) -> int:
        return len(self.raw.rows)

    def problem(
        self,
        index: int,
        column: str,
        message: str,
        code: str,
        value: object = None,
        severity: Severity = "error",
    ) -> Problem:
        """A problem at data row ``index`` (0-based) and English column ``column``."""
        shown = self.columns[column][index] if value is None else value
        return Problem(
            self.raw.file,
            self.raw.row_numbers[index],
            self.raw.header_of(column),
            None if shown is None else str(shown),
            message,
            code,
            severity,
        )

    def written(self, index: int, column: str) -> str | None:
        """The cell text of row ``index`` as written in the file (``None`` when empty or absent)."""
        if column not in self.raw.headers:
            return None
        return self.raw.rows[index][self.raw.headers.index(column)]

    def unreadable(self, index: int, column: str) -> bool:
        """Whether cell ``column`` of row ``index`` holds text that could not be typed."""
        return self.written(index, column) is not None and self.columns[column][index] is None

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts of English column name -> typed value."""
        names = list(self.columns)
        return [{name: self.columns[name][i] for name in names} for i in range(len(self.raw.rows))]


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
        Column(
            "indicator_rule",
            "指標の評価基準",
            "id",
            description="city.yaml の indicator_rules のキー(指標のある計画)",
            example="movement4",
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
        Column(
            "department",
            "担当課",
            "text",
            description="いまの担当課 (評価の取りまとめで調査票を送る課)",
            example="情報政策課",
        ),
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

EVALUATION_COLUMNS: tuple[Column, ...] = (
    Column("department", "担当課", "text", description="評価した課", example="情報政策課"),
    Column(
        "self_rating",
        "一次評価",
        "id",
        description="担当課の自己評価。計画の評価尺度の段階",
        example="一部達成",
    ),
    Column(
        "reason",
        "評価理由",
        "text",
        description="一次評価のある行で、評価が最上位の段階でないときは必須",
        example="利用者数が目標に届きませんでした。",
    ),
    Column(
        "results", "実績", "text", description="その年度に行ったこと", example="……を導入しました"
    ),
    Column("challenges", "課題", "text", example="職員の習熟に時間がかかっています。"),
    Column(
        "direction",
        "今後の方向性",
        "id",
        description="city.yaml の directions の code",
        example="継続",
    ),
    Column(
        "committee_opinion",
        "委員会意見",
        "text",
        description="この項目への委員会の意見",
        example="利用促進の広報を求めます。",
    ),
)
"""Optional statuses.csv columns of the yearly evaluation round (調査票の回答と委員会の評価)."""

STATUSES = TableSpec(
    name="statuses",
    title="取組状況",
    columns=(
        _PLAN_ID,
        Column("item_no", "項目番号", "int", True, example="1"),
        Column("as_of", "時点", "date", True, description="評価の時点", example="平成24年度末"),
        Column(
            "status",
            "取組状況",
            "id",
            True,
            description="最終の評価 (二次評価)。計画の評価尺度の段階。達成率はこの値で数える",
            example="達成",
            aliases=("二次評価",),
        ),
        _PAGE,
        *EVALUATION_COLUMNS,
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

_INDICATOR_ID = Column(
    "indicator_id", "指標ID", "id", True, description="計画内で指標を識別する文字列", example="1-1"
)
_SERIES = Column(
    "series",
    "系列",
    "text",
    description="1つの指標を分けて測る系列の名前(小学生/中学生など)。なければ空欄",
    example="小学生",
)

INDICATORS = TableSpec(
    name="indicators",
    title="指標",
    columns=(
        _PLAN_ID,
        _INDICATOR_ID,
        _SERIES,
        Column("name", "指標名", "text", True, example="電子申請の利用率"),
        Column("unit", "単位", "text", description="値の単位", example="%"),
        Column(
            "direction",
            "方向",
            "choice",
            description="高いほど良い / 低いほど良い。空欄なら基準値と目標値の大小から決める",
            example="高いほど良い",
            choices=DIRECTION_CHOICES,
        ),
        Column(
            "item_no", "項目番号", "int", description="指標が測る items.csv の項目", example="3"
        ),
        Column(
            "goal_no",
            "重点目標番号",
            "int",
            description="指標が測る goals.csv の重点目標",
            example="1",
        ),
        Column("baseline", "基準値", "quantity", description="策定時の値", example="20.7%"),
        Column("baseline_fy", "基準年度", "fiscal_year", example="平成28年度"),
        Column("target", "目標値", "quantity", description="最終の目標値", example="70.0%"),
        Column("target_fy", "目標年度", "fiscal_year", example="令和元年度"),
        Column(
            "rule",
            "評価基準",
            "id",
            description="city.yaml の indicator_rules のキー。空欄なら計画の評価基準",
            example="ratio4",
        ),
        Column(
            "combine",
            "系列の統合",
            "choice",
            description="系列をまとめた評価: 最低 / 最高 / 平均。空欄なら最低",
            example="最低",
            choices=COMBINE_CHOICES,
        ),
        Column("description", "指標の説明", "text", example="電子申請できる手続の利用件数の割合"),
        _PAGE,
    ),
    key=("plan_id", "indicator_id", "series"),
    required_file=False,
    references=(
        _plan_ref(),
        Reference(
            ("plan_id", "item_no"), "items", ("plan_id", "item_no"), "unknown_item", "取組項目"
        ),
        Reference(
            ("plan_id", "goal_no"), "goals", ("plan_id", "goal_no"), "unknown_goal", "重点目標"
        ),
    ),
)

INDICATOR_TARGETS = TableSpec(
    name="indicator_targets",
    title="指標の年度目標",
    columns=(
        _PLAN_ID,
        _INDICATOR_ID,
        _SERIES,
        Column("fiscal_year", "年度", "fiscal_year", True, example="令和5年度"),
        Column("target", "目標値", "quantity", True, description="その年度の目標値", example="60%"),
        _PAGE,
    ),
    key=("plan_id", "indicator_id", "series", "fiscal_year"),
    required_file=False,
    references=(_plan_ref(),),
)

ACTUALS = TableSpec(
    name="actuals",
    title="指標の実績",
    columns=(
        _PLAN_ID,
        _INDICATOR_ID,
        _SERIES,
        Column(
            "fiscal_year",
            "年度",
            "fiscal_year",
            description="実績の年度。空欄なら時点の年度",
            example="令和元年度",
        ),
        Column(
            "as_of",
            "時点",
            "date",
            description="実績の時点(書かれたとおり)",
            example="令和2年3月31日",
        ),
        Column(
            "value",
            "実績値",
            "quantity",
            description="空欄か「-」は未把握",
            example="32.8%",
        ),
        Column(
            "value_status",
            "速報・確定",
            "choice",
            description="速報 / 確定。空欄は確定として扱う",
            example="確定",
            choices=VALUE_STATUS_CHOICES,
        ),
        Column(
            "published_rating",
            "公表評価",
            "text",
            description="出典が公表した評価(評価基準の段階)",
            example="前進B",
        ),
        Column("note", "備考", "text", example="調査方法を変更"),
        _PAGE,
    ),
    key=("plan_id", "indicator_id", "series", "fiscal_year"),
    required_file=False,
    references=(_plan_ref(),),
)

OPINIONS = TableSpec(
    name="opinions",
    title="委員会の意見",
    columns=(
        _PLAN_ID,
        Column(
            "as_of",
            "時点",
            "date",
            True,
            description="意見を述べた評価の時点",
            example="令和6年度末",
        ),
        Column(
            "opinion_no",
            "番号",
            "int",
            True,
            description="意見の順番 (計画と時点ごとに一意)",
            example="1",
        ),
        Column(
            "committee",
            "委員会",
            "text",
            description="意見を述べた委員会",
            example="情報化推進委員会",
        ),
        Column(
            "opinion",
            "意見",
            "text",
            True,
            description="計画全体への意見 (改行可)",
            example="……を求めます。",
        ),
        _PAGE,
    ),
    key=("plan_id", "as_of", "opinion_no"),
    required_file=False,
    references=(_plan_ref(),),
)

GLOSSARY = TableSpec(
    name="glossary",
    title="用語集",
    columns=(
        Column("term", "用語", "text", True, example="LGWAN"),
        Column("reading", "読み", "text", description="用語の読み", example="エルジーワン"),
        Column(
            "definition",
            "説明",
            "text",
            True,
            description="市民向けの短い説明 (です・ます)",
            example="全国の自治体や国の機関を結ぶ、行政専用のネットワークです。",
        ),
        Column(
            "aliases",
            "別表記",
            "text",
            description="本文で使われる別の書き方 (「、」区切り)",
            example="総合行政ネットワーク",
        ),
    ),
    key=("term",),
    required_file=False,
)

TABLES: tuple[TableSpec, ...] = (
    PLANS,
    GOALS,
    MEASURES,
    ITEMS,
    STATUSES,
    REPORTED,
    EVENTS,
    INDICATORS,
    INDICATOR_TARGETS,
    ACTUALS,
    OPINIONS,
    GLOSSARY,
)
"""All table contracts, in the order tables are read and reported."""

INDICATOR_TABLES: tuple[str, ...] = ("indicators", "indicator_targets", "actuals")
"""The optional indicator tables: a folder without them has no indicators."""

TABLES_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in TABLES}

EVENT_GROUPS: tuple[str, ...] = ("plan", "golive", "other", "external")
"""Groups of timeline events (city.yaml ``event_kinds``): the plans themselves, systems going
live (稼働・導入・更新 …), other measures, and events outside the city (災害, 法令 …)."""

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


DirectionConfig = TargetLevelConfig
"""A level of 今後の方向性 (継続, 拡充, 見直し, 完了, 廃止 …) from city.yaml."""


@dataclass(frozen=True)
class DepartmentConfig:
    """A department (担当課) of city.yaml: ``id`` (ASCII, names its round workbook), ``name``."""

    id: str
    name: str


@dataclass(frozen=True)
class RuleLevelConfig:
    """One level of an indicator rating rule, as configured in city.yaml.

    ``when`` holds the conditions this level is given for (movement rules: some of
    :data:`MOVEMENT_CONDITIONS`; any rule: :data:`MISSING_CONDITION`); ``min`` is the lowest
    achievement ratio of a ratio rule's level (1.0 = 100 %), ``None`` for the level below every
    threshold and for the missing level.
    """

    code: str
    label: str
    when: tuple[str, ...] = ()
    min: float | None = None
    definition: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class RuleConfig:
    """An indicator rating rule (指標の評価基準) from city.yaml; ``levels`` best first.

    ``kind`` is ``movement`` or ``ratio`` (:data:`RULE_KINDS`). Movement rules have a
    ``tolerance``: an absolute amount in the indicator's unit, or, with ``relative``, a share of
    the baseline (0.1 = ±10 %). Ratio rules have a ``basis`` (:data:`RATIO_BASES`).
    """

    id: str
    name: str
    kind: str
    levels: tuple[RuleLevelConfig, ...]
    tolerance: float = 0.0
    relative: bool = False
    basis: str = "target"
    definition: str | None = None
    page: int | None = None

    def codes(self) -> tuple[str, ...]:
        """Level codes, best first (the missing level where it was written)."""
        return tuple(level.code for level in self.levels)

    def level_for(self, condition: str) -> RuleLevelConfig | None:
        """The level given for a movement condition or for a missing actual."""
        return next((level for level in self.levels if condition in level.when), None)


@dataclass(frozen=True)
class CityConfig:
    """The parsed city.yaml of a data folder.

    ``directions``, ``departments`` and ``round_settings`` (city.yaml ``round``: secretariat,
    contact, committee) are optional and used by the yearly evaluation round.
    """

    city: dict[str, str]
    source: dict[str, str]
    target_levels: tuple[TargetLevelConfig, ...]
    scales: dict[str, ScaleConfig]
    indicator_rules: dict[str, RuleConfig] = field(default_factory=dict)
    rule_ids: tuple[str, ...] = ()
    """Every rule id written in city.yaml, also those left out of ``indicator_rules`` because
    of a problem (rows naming them are not reported a second time)."""
    directions: tuple[DirectionConfig, ...] = ()
    departments: tuple[DepartmentConfig, ...] = ()
    round_settings: dict[str, str] = field(default_factory=dict)
    publication: dict[str, str] = field(default_factory=dict)
    event_kinds: dict[str, str] = field(default_factory=dict)
    """events.csv 種別 -> its group on the timeline (one of :data:`EVENT_GROUPS`)."""
