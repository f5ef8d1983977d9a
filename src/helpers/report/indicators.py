"""The indicator section of a plan report: one call shows everything, or nothing at all.

:func:`indicator_section` rates the plan's indicators in the evaluation year (the year of the
report's ``as_of``, else the latest year with an actual) and returns one display object: how the
indicators are rated (each rule in the body's own words), the distribution of ratings, the table
of indicators (baseline, previous year, current value, target, progress, rating and why), the
ratings by priority goal, the trend of every indicator, and every published rating the
computation disagrees with. A plan without indicators gets :func:`not_applicable`, so the
published page shows no heading and no empty section. Nothing is computed here: the numbers
come from :mod:`helpers.views.indicators`, the charts from :mod:`helpers.views.indicator_charts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.data.city import CityData
from helpers.data.contracts import DIRECTIONS, RuleConfig
from helpers.data.dates import era_year_label
from helpers.publish.html import Figure, Table
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.report.common import note_markup, paragraph_markup, stack
from helpers.views import indicator_charts
from helpers.views import indicators as iv
from helpers.views.formatting import format_number, is_missing
from helpers.views.sentences import jp_brackets

CONDITION_MEANINGS: dict[str, str] = {
    "target_met": "実績値がその年度の目標値に達した",
    "improved": "基準値から許容幅を超えて改善した",
    "unchanged": "基準値からの変化が許容幅以内",
    "worsened": "基準値から許容幅を超えて悪化した",
    "missing": "その年度の実績値がない（評価できない）",
}


def figure(kind: str, *frames: pd.DataFrame) -> Figure:
    """The chart ``indicator_charts.<kind>_chart`` with its title, text alternative and table
    (and ``indicator_charts.<kind>_narrow_chart`` for phones, where the chart has one)."""
    parts = ("chart", "title", "description", "table")
    chart, title, description, table = (
        getattr(indicator_charts, f"{kind}_{part}")(*frames) for part in parts
    )
    narrow = getattr(indicator_charts, f"{kind}_narrow_chart", None)
    return Figure(
        chart, title, description, table, narrow_chart=narrow(*frames) if narrow else None
    )


def _rule_sentence(rule: RuleConfig) -> str:
    """How a rule rates, in one or two sentences (です・ます)."""
    if rule.kind == "movement":
        if rule.relative:
            band = f"基準値の±{format_number(rule.tolerance, percent=True, decimals=0)}"
        else:
            band = f"±{format_number(rule.tolerance)}（指標の単位で。%の指標はポイント）"
        return (
            f"「{jp_brackets(rule.name)}」は、実績値を目標値と策定時の基準値と比べて評価します。"
            f"基準値からの変化が{band}以内なら変化なしとみなします。"
        )
    if rule.basis == "progress":
        formula = "（実績値−基準値）÷（目標値−基準値）"
    else:
        formula = "実績値÷目標値（低いほど良い指標は目標値÷実績値）"
    return (
        f"「{jp_brackets(rule.name)}」は、{iv.RATIO_TERM}={formula}で評価します"
        "（取組項目の達成率とは別の値です）。"
        "年度目標がある年度は、その目標値で計算します。"
    )


def _rule_table(rule: RuleConfig) -> Table:
    rows = []
    for level in rule.levels:
        if rule.kind == "movement" or "missing" in level.when:
            meaning = "、または".join(CONDITION_MEANINGS[c] for c in level.when)
        elif level.min is not None:
            meaning = f"{iv.RATIO_TERM}が{iv.percent_text(level.min)}以上"
        else:
            lowest = min((lv.min for lv in iv.rated_levels(rule) if lv.min is not None), default=0)
            meaning = f"{iv.RATIO_TERM}が{iv.percent_text(lowest)}未満"
        rows.append(
            {
                "評価": level.label,
                "判定の条件": meaning,
                "定義（出典の記載）": jp_brackets(level.definition or ""),
            }
        )
    frame = pd.DataFrame(rows)
    if not frame["定義（出典の記載）"].astype(bool).any():
        frame = frame.drop(columns="定義（出典の記載）")
    return Table(frame, f"評価基準「{jp_brackets(rule.name)}」の段階")


#: Header of the indicator table's column naming the rule each indicator is rated by.
RULE_COLUMN = "評価基準"


def _status(value_status: Any) -> str:
    return "（速報）" if value_status == "preliminary" else ""


@dataclass(frozen=True)
class IndicatorSection:
    """The indicators of one plan rated in one fiscal year (``ratings``: every assessed year)."""

    city: CityData
    plan_id: str
    plan_name: str
    fiscal_year: int | None
    ratings: pd.DataFrame

    @property
    def year_rows(self) -> pd.DataFrame:
        """Indicator and series rows of the evaluation year."""
        if self.fiscal_year is None:
            return self.ratings.iloc[0:0]
        return self.ratings.loc[self.ratings["fiscal_year"] == self.fiscal_year]

    def _indicators(self) -> pd.DataFrame:
        return self.city.indicators.loc[self.city.indicators["plan_id"] == self.plan_id]

    def _rules(self) -> list[RuleConfig]:
        ids = dict.fromkeys(self._indicators()["rule"])
        return [self.city.indicator_rules[r] for r in ids]

    def intro(self) -> Any:
        """What is rated, in which year, by which rules (each rule's levels as a table)."""
        n = self._indicators()["indicator_id"].nunique()
        if self.fiscal_year is None:
            first = f"{self.plan_name}の{n}つの指標には、まだ実績値の記録がありません。"
        else:
            first = (
                f"{era_year_label(self.fiscal_year)}の実績値で、"
                f"{self.plan_name}の{n}つの指標を評価しました。"
            )
        sentences = [first, *(_rule_sentence(rule) for rule in self._rules())]
        return stack(
            paragraph_markup("".join(sentences)), *(_rule_table(rule) for rule in self._rules())
        )

    def distribution_figure(self) -> Figure | None:
        """How many indicators got each level (per rule)."""
        if self.fiscal_year is None:
            return None
        dist = iv.rating_distribution(self.ratings, self.city.indicator_rules, self.fiscal_year)
        return figure("distribution", dist)

    def table(self) -> Table:
        """Every indicator (and series): baseline, previous year, current, target, progress,
        rating, published rating and why."""
        year = self.fiscal_year
        rows = self.year_rows
        published = rows["published_rating"].notna().any()
        rules = self.city.indicator_rules
        records = []
        if rows.empty:  # no actual yet: what the indicators are
            for _, ind in self._indicators().iterrows():
                records.append(
                    {
                        "指標": iv.series_label(
                            f"{ind['indicator_id']} {ind['name']}", ind["series"]
                        ),
                        "方向": DIRECTIONS[ind["direction"]],
                        "策定時": self._with_year(ind["baseline"], ind["unit"], ind["baseline_fy"]),
                        "目標値": self._with_year(ind["target"], ind["unit"], ind["target_fy"]),
                    }
                )
            return Table(pd.DataFrame(records), f"{self.plan_name}の指標")
        for _, row in rows.iterrows():
            unit, places = row["unit"], row["decimals"]
            is_series = row["row_kind"] == "series"
            combined = not is_series and self._has_series(row["indicator_id"])
            record = {
                "指標": self._name(row),
                "策定時": ""
                if combined
                else self._with_year(row["baseline"], unit, row["baseline_fy"], places),
                "前年度": "" if combined else iv.quantity_text(row["previous_value"], unit, places),
                "現状値": ""
                if combined
                else iv.quantity_text(row["value"], unit, places) + _status(row["value_status"]),
                "目標値": "" if combined else self._target_text(row, places),
                "進捗": ""
                if combined
                else "—"  # no actual that year: a dash, not an empty 「進捗：」 on a phone card
                if is_missing(row["progress"])
                else format_number(row["progress"], percent=True),
                # the measure a ratio rule rates by; a dash where the rule rates movement
                iv.RATIO_TERM: ""
                if combined
                else "—"
                if is_missing(row["ratio"])
                else format_number(row["ratio"], percent=True),
                "評価": row["rating_label"],
                RULE_COLUMN: "" if is_series else jp_brackets(rules[row["rule"]].name),
                "公表評価": "" if is_missing(row["published_label"]) else row["published_label"],
            }
            records.append(record)
        frame = pd.DataFrame(records)
        if not published:
            frame = frame.drop(columns="公表評価")
        # which rule rated each indicator, when the plan's indicators are not all rated alike
        # (a B of 目標の達成度 and an A of 基準値からの変化 are different scales)
        if rows["rule"].nunique() < 2:
            frame = frame.drop(columns=RULE_COLUMN)
        if frame[iv.RATIO_TERM].isin(["", "—"]).all():
            frame = frame.drop(columns=iv.RATIO_TERM)
        caption = f"{self.plan_name}の指標の評価（{era_year_label(year)}）" if year else "指標"
        return Table(frame, caption)

    @staticmethod
    def _name(row: pd.Series) -> str:
        if row["row_kind"] == "series":
            return f"　{row['series']}"
        lower = "（低いほど良い）" if row["direction"] == "lower" else ""
        return f"{row['indicator_id']} {row['name']}{lower}"

    def reasons(self) -> Any:
        """Why each indicator got its rating, with the numbers, and what 進捗 means."""
        rows = self.year_rows
        if rows.empty:
            return None
        frame = pd.DataFrame(
            {
                "指標": [self._name(r) for _, r in rows.iterrows()],
                "評価": rows["rating_label"].tolist(),
                "評価の理由": rows["reason"].tolist(),
            }
        )
        note = note_markup(
            "進捗は、策定時の値から目標値までのうち、どこまで進んだかを"
            "（現状値−策定時）÷（目標値−策定時）で示します。マイナスは策定時より後退したことを示します。"
        )
        return stack(
            note, Table(frame, f"評価の理由（{era_year_label(int(self.fiscal_year or 0))}）")
        )

    def _has_series(self, indicator_id: str) -> bool:
        ind = self._indicators()
        return bool(ind.loc[ind["indicator_id"] == indicator_id, "series"].notna().any())

    @staticmethod
    def _with_year(value: Any, unit: Any, fy: Any, places: Any = None) -> str:
        if is_missing(value):
            return "—"
        decimals = None if places is None or is_missing(places) else int(places)
        text = iv.quantity_text(value, unit, decimals)
        return text if is_missing(fy) else f"{text}（{era_year_label(int(fy))}）"

    def _target_text(self, row: pd.Series, places: Any) -> str:
        text = self._with_year(row["target"], row["unit"], row["target_fy"], places)
        year_target = row["year_target"]
        if (
            not is_missing(year_target)
            and not is_missing(row["target"])
            and (year_target != row["target"] or row["fiscal_year"] != row["target_fy"])
        ):
            interim = iv.quantity_text(year_target, row["unit"], int(places))
            if interim != iv.quantity_text(row["target"], row["unit"], int(places)):
                text += f"。年度目標 {interim}"
        return text

    def goal_figure(self) -> Figure | None:
        """Ratings by priority goal, when the plan's indicators name goals."""
        if self.fiscal_year is None:
            return None
        year = iv.year_ratings(self.ratings, self.fiscal_year)
        if year["goal_no"].isna().all():
            return None
        by_goal = iv.ratings_by_goal(self.ratings, self.city.indicator_rules, self.fiscal_year)
        return figure("by_goal", by_goal)

    def trend_figure(self) -> Figure | None:
        """The trend of every indicator, with its baseline and target."""
        points = iv.trend_points(self.city, self.plan_id, self.fiscal_year)
        if points.empty:
            return None
        return figure("trend", points)

    def published_check(self) -> Any:
        """Every year and indicator whose published rating differs from the computed one."""
        indicator_rows = self.ratings.loc[self.ratings["row_kind"] == "indicator"]
        published = indicator_rows.loc[indicator_rows["published_rating"].notna()]
        if published.empty:
            return None
        differ = iv.disagreements(self.ratings)
        years = iv.years_text(int(y) for y in published["fiscal_year"])
        if differ.empty:
            return paragraph_markup(
                f"出典が公表した評価（{years}の{len(published)}件）は、"
                "すべてこの報告書で計算した評価と一致しています。"
            )
        sentence = paragraph_markup(
            f"出典が公表した評価（{years}の{len(published)}件）のうち、{len(differ)}件が"
            "この報告書で計算した評価と異なります。理由は次のとおりです。"
        )
        frame = pd.DataFrame(
            {
                "年度": [era_year_label(int(y)) for y in differ["fiscal_year"]],
                "指標": [
                    f"{i} {n}" for i, n in zip(differ["indicator_id"], differ["name"], strict=True)
                ],
                "公表された評価": differ["published_label"],
                "計算した評価": differ["rating_label"],
                "計算の根拠": differ["reason"],
                "備考（出典の注記）": ["" if is_missing(n) else n for n in differ["note"]],
            }
        )
        return stack(sentence, Table(frame, "公表された評価と計算した評価が異なる指標"))

    def show(self) -> Any:
        """The whole section as one output (see the module docstring)."""
        return stack(
            self.intro(),
            self.distribution_figure(),
            self.table(),
            self.reasons(),
            self.published_check(),
            self.goal_figure(),
            self.trend_figure(),
        )


def indicator_section(
    city: CityData, plan: pd.Series, plan_name: str, as_of: Any = None
) -> IndicatorSection | None:
    """The indicator section of a plan, ``None`` when the plan has no indicators."""
    plan_id = str(plan["plan_id"])
    if (city.indicators["plan_id"] == plan_id).sum() == 0:
        return None
    year = iv.evaluation_year(city.actuals, plan_id, as_of)
    ratings = iv.indicator_ratings(city, plan_id, year)
    return IndicatorSection(city, plan_id, plan_name, year, ratings)


def indicators_output(
    city: CityData, plan: pd.Series, plan_name: str, as_of: Any = None
) -> Any | NotApplicable:
    """The section's one output, or :func:`not_applicable` for a plan without indicators."""
    section = indicator_section(city, plan, plan_name, as_of)
    if section is None:
        return not_applicable(f"{plan_name}には指標の記録がありません。")
    return section.show()
