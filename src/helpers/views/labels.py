"""Japanese display strings: the one place for every label a reader sees.

Column headers of data tables, names of the generic status classes, breakdown and source
labels, axis titles and chart titles. Code identifiers stay English; only values here are
Japanese.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# --- generic status classes (any rating scale maps its levels onto these) -------------------
CLASS_ORDER: Final[tuple[str, ...]] = ("achieved", "partial", "not_achieved")
CLASS_LABELS: Final[dict[str, str]] = {
    "achieved": "達成",
    "partial": "一部達成",
    "not_achieved": "未達成",
}
UNRATED_LABEL: Final = "未評価"


@dataclass(frozen=True)
class StatusWords:
    """The words a city's reports use for the status classes and the rates built on them.

    ``classes`` names each class in the words of the plan's own scale (``完了`` / ``実施中`` /
    ``未着手``; ``B・C`` when two levels share a class). A scale whose words are the generic
    class labels (達成 / 一部達成 / 未達成) keeps the established rate names 達成率 and
    達成率（一部達成を含む）; any other scale gets rates named by its own words, e.g.
    「完了」の割合 and 「完了」と「実施中」の割合, never "achievement including partial" for
    "in progress". Built from a scale by ``helpers.views.metrics.status_words``.
    """

    classes: Mapping[str, str]

    @property
    def generic(self) -> bool:
        return dict(self.classes) == CLASS_LABELS

    def cls(self, cls: str) -> str:
        return self.classes[cls]

    @property
    def measures(self) -> dict[str, str]:
        """Name of each rate, as a header or a card's label."""
        if self.generic:
            return dict(MEASURE_LABELS)
        achieved, partial = self.classes["achieved"], self.classes["partial"]
        return {
            "rate_strict": f"「{achieved}」の割合",
            "rate_incl_partial": f"「{achieved}」と「{partial}」の割合",
        }

    @property
    def rates(self) -> str:
        """The rates together, in titles ("達成率の推移", "計画ごとの取組状況の割合の比較")."""
        return "達成率" if self.generic else "取組状況の割合"

    @property
    def changes(self) -> dict[str, str]:
        measures = self.measures
        return {f"change_{m.removeprefix('rate_')}": f"{measures[m]}の増減" for m in measures}

    @property
    def columns(self) -> dict[str, str]:
        """``COLUMNS`` with the class, rate and change headers in these words."""
        if self.generic:
            return dict(COLUMNS)
        return {**COLUMNS, **self.classes, **self.measures, **self.changes}


# --- breakdowns of an achievement table ------------------------------------------------------
BREAKDOWN_ALL: Final = "全体"
BREAKDOWN_KIND_LABELS: Final[dict[str, str]] = {
    "all": "全体",
    "target": "取組目標別",
    "category": "重点目標別",
}
TARGET_PREFIX_LABEL: Final = "取組目標"
#: Between a label and its value in Japanese text ("取組目標：実施").
LABEL_SEPARATOR: Final = "："
CATEGORY_PREFIX_LABEL: Final = "重点目標"

# --- where a figure comes from ---------------------------------------------------------------
SOURCE_LABELS: Final[dict[str, str]] = {
    "computed": "計算値",
    "reported": "報告値",
}

# --- measures (rates) ------------------------------------------------------------------------
MEASURE_LABELS: Final[dict[str, str]] = {
    "rate_strict": "達成率",
    "rate_incl_partial": "達成率（一部達成を含む）",
}

# what a reported rate counts, for sentences ("目標を達成した項目は計画全体の約4割")
MEASURE_PHRASES: Final[dict[str, str]] = {
    "rate_strict": "目標を達成した項目",
    "rate_incl_partial": "達成（一部達成を含む）の項目",
}

# --- change of status between two snapshots --------------------------------------------------
CHANGE_LABELS: Final[dict[str, str]] = {
    "improved": "改善",
    "unchanged": "変化なし",
    "worsened": "後退",
}
CHANGE_MARKS: Final[dict[str, str]] = {
    "improved": "↑",
    "unchanged": "",
    "worsened": "↓",
}

# --- notes written into metric tables --------------------------------------------------------
NOTE_REPORTED_ONLY: Final = (
    "項目ごとの取組状況が出典にないため、出典が記す計画全体の割合（報告値）だけを示しています。"
    "項目数は計算していません。"
)
NOTE_NO_STATUS: Final = "評価時点までに取組状況の記録がありません。"
NOTE_MIXED_AS_OF: Final = "項目によって評価時点が異なります（各項目の最新の評価を使っています）。"
NOTE_FIRST_PLAN: Final = "比較する前の計画はありません。"
NOTE_NOT_COMPARABLE: Final = "前の計画は{prev}、この計画は{this}のため、増減は計算していません。"
NOTE_NO_COMPUTED: Final = "項目ごとの評価がないため、計算値と照合できません。"
NOTE_AS_OF_DIFFERS: Final = "計算値の時点（{computed}）と報告値の時点（{reported}）が異なります。"
NOTE_NO_RATE: Final = "比較できる割合がありません。"
UNKNOWN_DATE: Final = "時期の記載なし"
#: A plan's rate that its source does not give (a chart's empty slot says so, not 0 %).
RATE_NOT_STATED: Final = "記載なし"
PLAN_PERIOD_DATE: Final = "{plan}期間中"
PERIOD_NO_YEAR: Final = "期間中（年度の記載なし）"
MISSING_VALUE: Final = "—"

# --- reported vs computed check --------------------------------------------------------------
VERDICT: Final[dict[bool, str]] = {True: "整合", False: "不整合"}
VERDICT_NOT_JUDGED: Final = "照合できません"

# --- event kinds (values of the 種別 column) and their groups on the timeline ------------------
#: The group of a 種別 when city.yaml ``event_kinds`` does not name it (generic words only).
DEFAULT_EVENT_KINDS: Final[dict[str, str]] = {
    "計画": "plan",
    "策定": "plan",
    "稼働": "golive",
    "導入": "golive",
    "更新": "golive",
    "開設": "golive",
    "開始": "golive",
    "再構築": "golive",
    "リニューアル": "golive",
    "災害": "external",
    "法令": "external",
}
DEFAULT_EVENT_GROUP: Final = "other"
EVENT_GROUP_LABELS: Final[dict[str, str]] = {
    "plan": "計画の策定",
    "golive": "稼働・導入など",
    "other": "その他の取組",
    "external": "市の外の出来事（災害・法令など）",
}
#: Kept for callers that count go-lives without a city's configuration.
GOLIVE_KINDS: Final[tuple[str, ...]] = tuple(
    kind for kind, group in DEFAULT_EVENT_KINDS.items() if group == "golive"
)

# --- wording of reported figures: markers of an approximate figure ---------------------------
APPROXIMATE_MARKERS: Final[tuple[str, ...]] = (
    "約",
    "概ね",
    "おおむね",
    "程度",
    "ほぼ",
    "およそ",
    "前後",
)

# --- units and formats -----------------------------------------------------------------------
ITEMS_UNIT: Final = "項目"
EVENTS_UNIT: Final = "件"
PERIOD_SEPARATOR: Final = "～"

# --- axis and legend titles ------------------------------------------------------------------
AXIS_PLAN: Final = "計画"
AXIS_STATUS: Final = "取組状況"
AXIS_COUNT: Final = "項目数"
AXIS_SHARE: Final = "割合"
AXIS_RATE: Final = "割合"
AXIS_MEASURE: Final = "指標"
AXIS_SOURCE: Final = "数値の種類"
AXIS_TARGET: Final = "取組目標"
AXIS_CATEGORY: Final = "重点目標"
AXIS_FISCAL_YEAR: Final = "年度"
AXIS_AS_OF: Final = "評価時点"
AXIS_ITEM: Final = "項目"
AXIS_EVENT: Final = "事象"
AXIS_KIND: Final = "種別"
AXIS_DATE: Final = "時期"
AXIS_PERIOD: Final = "計画期間"
AXIS_CHANGE: Final = "前回からの変化"
AXIS_CLASS: Final = "区分"
AXIS_WORDING: Final = "出典の表現"

# --- chart titles ----------------------------------------------------------------------------
TITLE_STATUS_DISTRIBUTION: Final = "取組状況の内訳"
TITLE_TARGET_LEVEL: Final = "取組目標別の取組状況"
TITLE_CATEGORY: Final = "重点目標別の取組状況"
TITLE_COMPARISON: Final = "計画ごとの達成率の比較"
TITLE_TIMELINE: Final = "出来事の年表"
TITLE_STATUS_HISTORY: Final = "項目別の取組状況の推移"
TITLE_RATES_OVER_TIME: Final = "達成率の推移"
TITLE_AS_OF_SUFFIX: Final = "（{as_of}時点）"

# --- table column headers (key: column name in a metric frame) -------------------------------
COLUMNS: Final[dict[str, str]] = {
    "plan_id": "計画ID",
    "plan_name": "計画",
    "period": "計画期間",
    "breakdown": "内訳",
    "breakdown_label": "内訳",
    "status": "取組状況",
    "label": "取組状況",
    "cls": "区分",
    "cls_label": "区分",
    "count": "項目数",
    "share": "割合",
    "n_items": "評価項目数",
    "n_unrated": "未評価の項目数",
    "achieved": "達成",
    "partial": "一部達成",
    "not_achieved": "未達成",
    "rate_strict": "達成率",
    "rate_incl_partial": "達成率（一部達成を含む）",
    "change_strict": "達成率の増減",
    "change_incl_partial": "達成率（一部達成を含む）の増減",
    "source": "数値の種類",
    "source_label": "数値の種類",
    "as_of": "評価時点",
    "wording": "出典の表現",
    "note": "備考",
    "measure": "指標",
    "measure_label": "指標",
    "value": "値",
    "reported_value": "報告値",
    "computed_value": "計算値",
    "difference": "差",
    "tolerance": "許容差",
    "consistent": "整合",
    "quote": "出典の記述",
    "page": "出典頁",
    "item_no": "項目番号",
    "item_name": "項目名",
    "target": "取組目標",
    "from_as_of": "前回の時点",
    "to_as_of": "今回の時点",
    "from_status": "前回の取組状況",
    "to_status": "今回の取組状況",
    "change": "変化",
    "change_label": "変化",
    "fiscal_year": "年度（西暦）",
    "fiscal_year_label": "年度",
    "date_written": "時期",
    "event": "事象",
    "kind": "種別",
    "n_events": "件数",
    "events": "事象",
    "start_label": "開始年度",
    "end_label": "終了年度",
}

#: The words of the generic status classes (a scale whose levels are 達成 / 一部達成 / 未達成).
DEFAULT_WORDS: Final = StatusWords(CLASS_LABELS)

#: Table headers whose cells are names (items, events, departments, plans): a name short enough
#: is kept on one line on a PC (``helpers.publish.html.table_html``).
NAME_HEADERS = ("項目", "項目名", "出来事", "担当課", "計画")
