"""The plan report: one evaluation report per plan (``notebooks/plan_report.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers.data.city import CityData
from helpers.publish.html import Figure, Headline, Headlines, Table
from helpers.report.common import (
    Markup,
    comparison_figure_or_note,
    figure_of,
    heading_markup,
    load_report_data,
    note_markup,
    parse_as_of,
    plan_display_name,
    plan_row,
    source_lines,
    sources_markup,
    timeline_figure_or_note,
)
from helpers.views import labels, metrics, sentences
from helpers.views.formatting import is_missing


@dataclass(frozen=True)
class PlanReport:
    """Sections of one plan's evaluation report."""

    city: CityData
    plan: pd.Series
    as_of: pd.Timestamp | None = None
    as_of_text: str | None = None
    achievement_df: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def plan_id(self) -> str:
        return str(self.plan["plan_id"])

    @property
    def name(self) -> str:
        return plan_display_name(self.plan)

    @property
    def scale(self) -> Any:
        return self.city.scale_of(self.plan_id)

    def _items(self) -> pd.DataFrame:
        return self.city.items.loc[self.city.items["plan_id"] == self.plan_id]

    def _statuses(self) -> pd.DataFrame:
        return self.city.statuses.loc[self.city.statuses["plan_id"] == self.plan_id]

    def _rows(self) -> pd.DataFrame:
        return self.achievement_df.loc[self.achievement_df["plan_id"] == self.plan_id]

    def _no_statuses(self) -> Markup | None:
        if self._statuses().empty:
            return note_markup(
                f"{self.name}は項目別の取組状況の記録がないため、この図はありません"
                "(計画全体の報告値は「評価の要点」に示しています)。"
            )
        return None

    def heading(self) -> Markup:
        """City, plan name, period and evaluation date under the title."""
        period = metrics.period_label(int(self.plan["start_fy"]), int(self.plan["end_fy"]))
        lines = [f"{self.city.city.get('name', '')} {self.plan['name']}", f"計画期間: {period}"]
        if not is_missing(self.plan.get("formulated")):
            lines.append(f"策定: {self.plan['formulated']}")
        rows = self._rows()
        if not rows.empty and not is_missing(rows.iloc[0]["as_of"]):
            lines.append(f"評価時点: {rows.iloc[0]['as_of']}")
        return heading_markup(lines)

    def headline(self) -> Headlines | Markup:
        """The first screen: the plan's figures as large numbers with denominators."""
        rows = self._rows()
        if rows.empty:
            return note_markup(f"{self.name}には評価の記録がありません。")
        figures = sentences.headline_from_achievement(self.achievement_df, self.plan_id)
        lines = figures["sentences"]
        if figures["source"] == "reported":
            cards = []
            for measure in ("rate_strict", "rate_incl_partial"):
                if figures[measure] is None:
                    continue
                cards.append(
                    Headline(
                        f"{labels.MEASURE_LABELS[measure]}({labels.SOURCE_LABELS['reported']})",
                        figures["wording"] or figures[measure],
                        "",
                        "項目数は出典に記載なし",
                        lines.get(measure) or figures["summary"],
                    )
                )
            return Headlines(cards)
        n = figures["n_items"]
        counted = {
            "rate_strict": figures["achieved"],
            "rate_incl_partial": figures["achieved"] + figures["partial"],
        }
        cards = [
            Headline(
                labels.MEASURE_LABELS[measure],
                figures[measure],
                "%",
                f"{n}項目中{count}項目",
                lines.get(measure) or figures["summary"],
                percent=True,
            )
            for measure, count in counted.items()
        ]
        cards.append(
            Headline(
                labels.CLASS_LABELS["not_achieved"],
                figures["not_achieved"],
                "項目",
                f"{n}項目中",
                lines.get("not_achieved") or figures["summary"],
            )
        )
        return Headlines(cards)

    def scale_table(self) -> Table | Markup:
        """The rating scale of the plan with its definitions as written."""
        scale = self.scale
        if scale is None:
            return note_markup(
                f"{self.name}については、出典に項目別の取組状況と評価区分の記載がありません。"
            )
        levels = scale.levels.sort_values("order", kind="stable")
        df = pd.DataFrame(
            {
                labels.AXIS_STATUS: levels["label"].fillna(levels["code"]),
                labels.AXIS_CLASS: [labels.CLASS_LABELS[c] for c in levels["cls"]],
                "定義": levels["definition"],
                "出典頁": levels["page"],
            }
        )
        return Table(df, f"評価区分({scale.name})")

    def status_figure(self) -> Figure | Markup:
        """Items per status level, with counts and shares."""
        if (note := self._no_statuses()) is not None:
            return note
        counts = metrics.status_counts(
            self._items(), self._statuses(), self.city.scales, self.city.plans, self.as_of
        )
        return figure_of("status_distribution", counts)

    def target_figure(self) -> Figure | Markup:
        """Status classes by target level (実施 / 検討)."""
        if (note := self._no_statuses()) is not None:
            return note
        rows = self._rows()
        if not rows["breakdown"].str.startswith("target:").any():
            return note_markup("取組目標の区分がありません。")
        return figure_of("target_level", rows)

    def category_figure(self) -> Figure | Markup:
        """Status classes by category (priority goal), for plans whose items name one."""
        if (note := self._no_statuses()) is not None:
            return note
        rows = self._rows()
        if not rows["breakdown"].str.startswith("category:").any():
            return note_markup(f"{self.name}の項目は重点目標に分類されていません。")
        return figure_of("category", rows)

    def history_figure(self) -> Figure | Markup:
        """Rates at each evaluation date, when the plan was evaluated more than once."""
        if (note := self._no_statuses()) is not None:
            return note
        dates = self._statuses()["as_of"].dropna().unique()
        if len(dates) < 2:
            when = f"{dates[0]}時点の" if len(dates) else ""
            return note_markup(f"{self.name}の評価は{when}1回のみのため、推移はありません。")
        rates = metrics.rates_over_time(self._items(), self._statuses(), self.scale)
        return figure_of("rates_over_time", rates)

    def item_table(self) -> Table | Markup:
        """Every item with its target, status and description (or plan 1's measures)."""
        items = self._items()
        if items.empty:
            return self._measures_table()
        latest = metrics.latest_statuses(self._statuses(), self.as_of)
        merged = items.merge(
            latest[["plan_id", "item_no", "status"]], on=["plan_id", "item_no"], how="left"
        )
        df = pd.DataFrame(
            {
                "番号": merged["item_no"],
                "項目": merged["name"],
                "取組目標": merged["target"],
                "取組状況": merged["status"].fillna(labels.UNRATED_LABEL),
                "取組内容": merged["description"],
                "時期": merged["date_written"],
                "出典頁": merged["page"],
            }
        )
        return Table(df, f"{self.name}の項目一覧")

    def _measures_table(self) -> Table | Markup:
        measures = self.city.measures.loc[self.city.measures["plan_id"] == self.plan_id]
        if measures.empty:
            return note_markup(f"{self.name}には項目の記録がありません。")
        goals = self.city.goals.loc[self.city.goals["plan_id"] == self.plan_id]
        merged = measures.merge(goals[["goal_no", "goal"]], on="goal_no", how="left")
        df = pd.DataFrame(
            {
                "重点目標": [
                    f"({g}){t}" for g, t in zip(merged["goal_no"], merged["goal"], strict=True)
                ],
                "主な施策": merged["measure"],
                "出典頁": merged["page"],
            }
        )
        return Table(
            df,
            f"{self.name}の重点目標と主な施策(出典に項目別の評価はありません)",
        )

    def timeline_figure(self) -> Figure | Markup:
        """Events of the plan period on a fiscal-year axis."""
        events = self.city.events
        start, end = int(self.plan["start_fy"]), int(self.plan["end_fy"])
        fy = events["fiscal_year"]
        in_period = events.loc[fy.notna() & (fy >= start) & (fy <= end)]
        plans = self.city.plans.loc[self.city.plans["plan_id"] == self.plan_id]
        return timeline_figure_or_note(in_period, plans)

    def comparison_figure(self) -> Figure | Markup:
        """Rates of every plan of the city, reported figures marked as such."""
        return comparison_figure_or_note(metrics.achievement(self.city, self.as_of))

    def sources(self) -> Markup:
        """Source document, page references, definitions and the check of reported figures."""
        lines = source_lines(self.city)
        lines.append(f"計画の出典: {self.plan['source']}({self.plan['page']}頁)。")
        check = metrics.reconcile_reported(self.achievement_df, self.city.reported)
        check = check.loc[check["plan_id"] == self.plan_id] if "plan_id" in check else check
        extra = ""
        if not check.empty:
            extra = Table(charts_table_check(check), "出典の報告値と計算値の照合")._repr_html_()
        return sources_markup(lines, extra)


def charts_table_check(check: pd.DataFrame) -> pd.DataFrame:
    """Display columns of :func:`helpers.metrics.reconcile_reported` (Japanese headers)."""
    renamed = check.rename(columns=labels.COLUMNS)
    return renamed[[c for c in renamed.columns if c not in {"plan_id"}]]


def plan_context(plan_id: str, data_dir: str, as_of: str = "") -> PlanReport:
    """Load and validate the data, check the parameters, and return the plan's report."""
    city = load_report_data(data_dir)
    plan = plan_row(city, str(plan_id).strip())
    when, when_text = parse_as_of(as_of)
    achievement_df = metrics.achievement(city, when)
    return PlanReport(city, plan, when, when_text, achievement_df)
