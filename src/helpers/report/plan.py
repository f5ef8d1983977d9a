"""The plan report: one evaluation report per plan (``notebooks/plan_report.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers.data.city import CityData
from helpers.publish.html import Figure, Headline, Headlines, Table
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.report import evaluation, publication
from helpers.report.common import (
    Markup,
    Stack,
    comparison_figure_or_note,
    figure_of,
    heading_markup,
    load_report_data,
    note_markup,
    paragraph_markup,
    parse_as_of,
    plan_display_name,
    plan_row,
    source_lines,
    sources_markup,
    stack,
    timeline_figure_or_note,
    with_city,
)
from helpers.report.indicators import indicators_output
from helpers.views import charts, labels, metrics, sentences, tables
from helpers.views.formatting import is_missing, text_or_none

REPORT_TITLE_SUFFIX = "評価報告書"
#: Open data files a plan report links to (paths relative to the report set's folder).
PLAN_DATA_FILES = (
    ("data/items.csv", "項目と取組状況のデータ（CSV）"),
    ("data/achievement.csv", "達成率のデータ（CSV）"),
)
#: ...and, for a plan with indicators, this one too.
INDICATOR_DATA_FILE = ("data/indicators.csv", "指標のデータ（CSV）")


@dataclass(frozen=True)
class PlanReport:
    """Sections of one plan's evaluation report."""

    city: CityData
    plan: pd.Series
    as_of: pd.Timestamp | None = None
    as_of_text: str | None = None
    achievement_df: pd.DataFrame = field(default_factory=pd.DataFrame)
    pdf: bool = True
    report_output: str = ""
    item_pages: str = ""

    @property
    def plan_id(self) -> str:
        return str(self.plan["plan_id"])

    @property
    def name(self) -> str:
        return plan_display_name(self.plan)

    @property
    def title(self) -> str:
        """The report's own title (its ``<h1>``), e.g. "第二次東大和市情報化推進計画 評価報告書"."""
        name = sentences.jp_brackets(str(self.plan["name"]))
        return f"{with_city(self.city, name)} {REPORT_TITLE_SUFFIX}"

    @property
    def scale(self) -> Any:
        return self.city.scale_of(self.plan_id)

    @property
    def words(self) -> labels.StatusWords:
        """The plan's scale's words for the status classes (完了 / 実施中 / 未着手 …)."""
        return metrics.status_words(self.scale)

    def _items(self) -> pd.DataFrame:
        return self.city.items.loc[self.city.items["plan_id"] == self.plan_id]

    def _statuses(self) -> pd.DataFrame:
        return self.city.statuses.loc[self.city.statuses["plan_id"] == self.plan_id]

    def _statuses_until(self) -> pd.DataFrame:
        """The plan's evaluations on or before the report's evaluation date."""
        statuses = self._statuses()
        if self.as_of is None:
            return statuses
        return statuses.loc[statuses["as_of_date"] <= self.as_of]

    def _rows(self) -> pd.DataFrame:
        return self.achievement_df.loc[self.achievement_df["plan_id"] == self.plan_id]

    def _all_row(self) -> pd.Series | None:
        rows = self._rows()
        rows = rows.loc[rows["breakdown"] == "all"]
        return None if rows.empty else rows.iloc[0]

    def _first_evaluation(self) -> str | None:
        statuses = self._statuses().sort_values("as_of_date", kind="stable")
        return None if statuses.empty else text_or_none(statuses.iloc[0]["as_of"])

    def _not_evaluated(self) -> NotApplicable | None:
        """Why the per-item sections do not apply (no per-item statuses, or none yet)."""
        if self._statuses().empty:
            return not_applicable(f"{self.name}は項目ごとの取組状況の記録がありません。")
        row = self._all_row()
        if row is None or row["source"] != "computed" or int(row["n_items"]) == 0:
            when = self.as_of_text or "指定の時点"
            return not_applicable(f"{when}までに評価の記録がありません。")
        return None

    # --- first screen ------------------------------------------------------------------------

    def heading(self) -> Markup:
        """The report's title, plan period, adoption and evaluation date."""
        period = metrics.period_label(int(self.plan["start_fy"]), int(self.plan["end_fy"]))
        lines = [f"計画期間：{period}"]
        if not is_missing(self.plan.get("formulated")):
            lines.append(f"策定：{self.plan['formulated']}")
        row = self._all_row()
        if row is not None and text_or_none(row["as_of"]):
            timing = sentences.remaining_years_sentence(
                row["as_of_date"], int(self.plan["start_fy"]), int(self.plan["end_fy"])
            )
            lines.append(f"評価時点：{row['as_of']}" + (f"（{timing}）" if timing else ""))
        elif self.as_of_text:
            lines.append(f"評価時点：{self.as_of_text}")
        if (publisher := publication.publisher_line(self.city)) is not None:
            lines.append(publisher)
        has_indicators = bool((self.city.indicators["plan_id"] == self.plan_id).any())
        files = PLAN_DATA_FILES + ((INDICATOR_DATA_FILE,) if has_indicators else ())
        nav = publication.navigation(self.report_output, self.pdf, files)
        as_of = text_or_none(row["as_of"]) if row is not None else None
        heading = heading_markup(
            lines,
            title=self.title,
            as_of=as_of or self.as_of_text,
            published=self.city.publication.get("published"),
        )
        return Markup(heading.html + nav, heading.text)

    def _scale_definition(self, cls: str) -> str | None:
        """The definition the plan's scale gives its level of class *cls*; none when several
        levels count as that class (B and C): one level's definition would describe the others
        wrongly, and the plan's words (「B・C」) already name them all."""
        scale = self.scale
        if scale is None:
            return None
        levels = scale.levels.loc[scale.levels["cls"] == cls]
        return None if len(levels) != 1 else text_or_none(levels.iloc[0]["definition"])

    def _names_of_class(self, cls: str) -> list[str]:
        """Names of the plan's items whose status at the evaluation date is of class *cls*."""
        scale = self.scale
        if scale is None:
            return []
        latest = metrics.latest_statuses(self._statuses(), self.as_of)
        codes = set(scale.levels.loc[scale.levels["cls"] == cls, "code"])
        chosen = latest.loc[latest["status"].isin(codes)]
        items = self._items().merge(chosen[["plan_id", "item_no"]], on=["plan_id", "item_no"])
        return [str(n) for n in items.sort_values("item_no")["name"]]

    def headline(self) -> Headlines | Markup:
        """The first screen: the plan's figures as large numbers with denominators."""
        if self._rows().empty:
            return note_markup(f"{self.name}には評価の記録がありません。")
        figures = sentences.headline_from_achievement(
            self.achievement_df,
            self.plan_id,
            partial_definition=self._scale_definition("partial"),
            not_achieved_names=self._names_of_class("not_achieved"),
            words=self.words,
        )
        lines = figures["sentences"]
        if figures["source"] == "reported":
            return Headlines(
                [
                    Headline(
                        f"{labels.MEASURE_LABELS[measure]}（{labels.SOURCE_LABELS['reported']}）",
                        figures["wording"] or figures[measure],
                        "",
                        "項目ごとの評価は出典にありません",
                        lines[measure],
                        percent=figures["wording"] is None,
                    )
                    for measure in metrics.MEASURES
                    if figures[measure] is not None
                ]
            )
        if "not_evaluated" in lines:
            first = self._first_evaluation()
            later = f"最初の評価は{first}です。" if first else ""
            return note_markup(f"{lines['not_evaluated']}{later}")
        n = figures["n_items"]
        counted = {
            "rate_strict": figures["achieved"],
            "rate_incl_partial": figures["achieved"] + figures["partial"],
        }
        cards = [
            Headline(
                self.words.measures[measure],
                figures[measure],
                "%",
                f"{n}項目中{count}項目",
                lines[measure],
                percent=True,
            )
            for measure, count in counted.items()
        ]
        cards.append(
            Headline(
                self.words.cls("not_achieved"),
                figures["not_achieved"],
                "項目",
                f"{n}項目中",
                lines["not_achieved"],
            )
        )
        return Headlines(cards)

    # --- per-item sections -------------------------------------------------------------------

    def scale_table(self) -> Table | NotApplicable:
        """The rating scale of the plan with its definitions as written."""
        scale = self.scale
        if scale is None:
            return not_applicable(f"{self.name}には評価区分の定めがありません。")
        levels = scale.levels.sort_values("order", kind="stable")
        df = pd.DataFrame(
            {
                labels.AXIS_STATUS: levels["label"].fillna(levels["code"]),
                labels.AXIS_CLASS: [self.words.cls(c) for c in levels["cls"]],
                "定義（出典の記載）": levels["definition"],
                "出典頁": levels["page"],
            }
        )
        # nothing said twice or left as a column of dashes: 区分 when it repeats the level's
        # own name (達成 / 達成), 定義 and 出典頁 when city.yaml gives none
        if (df[labels.AXIS_STATUS].astype(str) == df[labels.AXIS_CLASS]).all():
            df = df.drop(columns=labels.AXIS_CLASS)
        caption = f"評価区分（{sentences.jp_brackets(scale.name)}）"
        return Table(df.dropna(axis="columns", how="all"), caption)

    def status_figure(self) -> Figure | NotApplicable:
        """Items per status level, with counts and shares."""
        if (skip := self._not_evaluated()) is not None:
            return skip
        counts = metrics.status_counts(
            self._items(), self._statuses(), self.city.scales, self.city.plans, self.as_of
        )
        return figure_of("status_distribution", counts, words=self.words)

    def _target_levels_sentence(self) -> str:
        """What the plan's target levels mean, from the data's own configuration."""
        used = list(dict.fromkeys(self._items()["target"].dropna().astype(str)))
        config = self.city.target_levels
        parts = []
        for code in used:
            match = config.loc[config["code"].astype(str) == code]
            label = code
            description = None
            if not match.empty:
                label = text_or_none(match.iloc[0]["label"]) or code
                description = text_or_none(match.iloc[0]["description"])
            parts.append(f"「{label}」（{description}）" if description else f"「{label}」")
        if not parts:
            return ""
        return (
            f"この計画の取組目標は{'、'.join(parts)}の{len(parts)}つです。"
            "目標の種類によって達成の意味が異なるため、分けて示します。"
        )

    def target_figure(self) -> Any:
        """Status classes by target level, after what the levels mean for this plan."""
        if (skip := self._not_evaluated()) is not None:
            return skip
        rows = self._rows()
        if not rows["breakdown"].str.startswith("target:").any():
            return not_applicable(f"{self.name}の項目には取組目標がありません。")
        sentence = self._target_levels_sentence()
        explanation = paragraph_markup(sentence) if sentence else None
        return stack(explanation, figure_of("target_level", rows, words=self.words))

    def category_figure(self) -> Figure | NotApplicable:
        """Status classes by category (priority goal), for plans whose items name one."""
        if (skip := self._not_evaluated()) is not None:
            return skip
        rows = self._rows()
        if not rows["breakdown"].str.startswith("category:").any():
            return not_applicable(f"{self.name}の項目は重点目標に分類されていません。")
        return figure_of("category", rows, words=self.words)

    def history_figure(self) -> Figure | NotApplicable:
        """Rates at each evaluation date, when the plan was evaluated more than once."""
        if (skip := self._not_evaluated()) is not None:
            return skip
        statuses = self._statuses_until()
        dates = statuses["as_of"].dropna().unique()
        if len(dates) < 2:
            return not_applicable(f"{self.name}の評価は{dates[0]}の1回だけです。")
        rates = metrics.rates_over_time(self._items(), statuses, self.scale)
        return figure_of("rates_over_time", rates, words=self.words)

    def changes_figure(self) -> Any:
        """Which items moved from which level to which between evaluations: a grid of every
        item's status at each evaluation (↑/↓ where it changed) and a list of the changes."""
        if (skip := self._not_evaluated()) is not None:
            return skip
        statuses = self._statuses_until()
        snapshots = metrics.status_snapshots(self._items(), statuses, self.scale)
        if not charts.has_history(snapshots):
            return not_applicable(f"{self.name}の項目は1回しか評価されていません。")
        history = metrics.status_history(self._items(), statuses, self.scale)
        changes = tables.status_changes_table(history)
        listing: Table | Markup = (
            Table(changes, f"{self.name}：前回の評価から取組状況が変わった項目")
            if not changes.empty
            else note_markup("前回の評価から取組状況が変わった項目はありません。")
        )
        legend = "図の↑は直前の評価より良くなった区分、↓は悪くなった区分を表します。"
        return stack(
            paragraph_markup(tables.status_changes_sentence(history) + legend),
            figure_of("status_history", snapshots),
            listing,
        )

    def indicators(self) -> Any:
        """The plan's indicators rated by its own rule; nothing when the plan has none."""
        return indicators_output(self.city, self.plan, self.name, self.as_of)

    def item_table(self) -> Any:
        """Every item with its target, status and description (or plan 1's measures); each
        item's name links to its page when the set publishes item pages."""
        items = self._items()
        if items.empty:
            return self._measures_table()
        latest = metrics.latest_statuses(self._statuses(), self.as_of)
        merged = items.merge(
            latest[["plan_id", "item_no", "status"]], on=["plan_id", "item_no"], how="left"
        )
        # the scale's and city.yaml's words, not the codes written in the CSV (3 → 目標をほぼ達成)
        status_label = metrics.level_labels(self.scale)
        target_label = metrics.target_labels(self.city.target_levels)
        df = pd.DataFrame(
            {
                "番号": merged["item_no"],
                "項目": merged["name"].map(sentences.jp_brackets),
                "取組目標": [target_label.get(str(t), t) for t in merged["target"]],
                "取組状況": [
                    labels.UNRATED_LABEL if is_missing(s) else status_label.get(str(s), s)
                    for s in merged["status"]
                ],
                "取組内容": merged["description"].map(sentences.jp_brackets),
                "時期": merged["date_written"],
                "出典頁": merged["page"],
            }
        )
        if merged["department"].notna().any():
            df.insert(4, "担当課", merged["department"])
        links = evaluation.item_links(merged, self.item_pages, self.report_output)
        # on paper a long list stops after its first rows and names the open data
        full_data = "オープンデータの data/items.csv"
        # the sentence says what this plan's table holds (another plan's may hold measures)
        shown = "・".join(
            c for c in df.columns if c in ("取組目標", "取組状況", "担当課", "取組内容")
        )
        intro = paragraph_markup(
            f"{self.name}のすべての項目（{len(df)}{labels.ITEMS_UNIT}）と、その{shown}です。"
        )
        if links is None:
            return stack(intro, Table(df, f"{self.name}の項目一覧", full_data=full_data))
        table = Table(df, f"{self.name}の項目一覧", links={"項目": links}, full_data=full_data)
        return stack(evaluation.anchor(evaluation.ITEM_TABLE_ANCHOR), intro, table)

    def departments(self) -> Table | NotApplicable:
        """Items per department (担当課) by the class of their status, when items name one."""
        return evaluation.department_section(
            self._items(), self._statuses(), self.scale, self.as_of, self.name, self.words
        )

    def committee(self) -> Any:
        """The committee's opinions on the plan and its items at the latest evaluation."""
        return evaluation.opinions_section(
            self.city, self.plan_id, self._statuses(), self.as_of, self.name
        )

    def _measures_table(self) -> Stack | Markup:
        measures = self.city.measures.loc[self.city.measures["plan_id"] == self.plan_id]
        if measures.empty:
            return note_markup(f"{self.name}には項目の記録がありません。")
        goals = self.city.goals.loc[self.city.goals["plan_id"] == self.plan_id]
        merged = measures.merge(goals[["goal_no", "goal"]], on="goal_no", how="left")
        df = pd.DataFrame(
            {
                "重点目標": [
                    f"（{g}）{t}" for g, t in zip(merged["goal_no"], merged["goal"], strict=True)
                ],
                "主な施策": merged["measure"].map(sentences.jp_brackets),
                "出典頁": merged["page"],
            }
        )
        intro = paragraph_markup(
            f"{self.name}には項目ごとの評価がないため、出典が挙げる重点目標と主な施策を示します。"
        )
        table = Table(df, f"{self.name}の重点目標と主な施策（出典に項目ごとの評価はありません）")
        return stack(intro, table)

    # --- context -----------------------------------------------------------------------------

    def timeline_figure(self) -> Figure | Markup:
        """Events of the plan period on a fiscal-year axis."""
        events = metrics.with_event_groups(self.city.events, self.city.event_kinds)
        start, end = int(self.plan["start_fy"]), int(self.plan["end_fy"])
        fy = events["fiscal_year"]
        during = (events["precision"] == "plan_period") & (events["period_plan_id"] == self.plan_id)
        in_period = events.loc[(fy.notna() & (fy >= start) & (fy <= end)) | during]
        plans = self.city.plans.loc[self.city.plans["plan_id"] == self.plan_id]
        return timeline_figure_or_note(in_period, plans)

    def comparison_figure(self) -> Figure | Markup:
        """Rates of every plan of the city, reported figures marked as such."""
        # every plan, at ``as_of``, in the words its plans share
        return comparison_figure_or_note(self.achievement_df, metrics.city_status_words(self.city))

    def _texts(self) -> list[str]:
        """The data texts this report shows (for the glossary)."""
        items = self._items()
        measures = self.city.measures.loc[self.city.measures["plan_id"] == self.plan_id]
        events = self.city.events
        fy = events["fiscal_year"]
        start, end = int(self.plan["start_fy"]), int(self.plan["end_fy"])
        in_period = events.loc[fy.notna() & (fy >= start) & (fy <= end), "event"]
        columns = [items["name"], items["description"], measures["measure"], in_period]
        return [str(t) for column in columns for t in column.dropna()]

    def glossary(self) -> Table | NotApplicable:
        """The terms of the city's glossary that this report uses, explained for citizens."""
        return publication.glossary(self.city, self._texts(), self.name)

    def about(self) -> Markup:
        """Publisher, date, contact, licence, source document and how to cite this report."""
        return publication.about(self.city, self.title)

    def sources(self) -> Markup:
        """Source document, page references, definitions and the check of reported figures."""
        lines = source_lines(self.city, self.words)
        if (source := text_or_none(self.plan["source"])) is not None:
            page = "" if is_missing(self.plan["page"]) else f"（{self.plan['page']}頁）"
            lines.append(f"計画の出典：{source}{page}。")
        check = metrics.reconcile_reported(self.achievement_df, self.city.reported)
        check = check.loc[check["plan_id"] == self.plan_id] if "plan_id" in check else check
        extra = ""
        if not check.empty:
            sentence = tables.reconciliation_sentence(check)
            comparable = check.loc[check["consistent"].notna()]
            extra = paragraph_markup(sentence).html if sentence else ""
            if not comparable.empty:
                table = Table(
                    tables.reconciliation_table(comparable, with_plan=False),
                    f"出典の報告値と計算値の照合（{self.name}）",
                )
                extra += table.to_html()
        return sources_markup(lines, extra)


def plan_context(
    plan_id: str,
    data_dir: str,
    as_of: str = "",
    pdf: bool = True,
    report_output: str = "",
    item_pages: str = "",
) -> PlanReport:
    """Load and validate the data, check the parameters, and return the plan's report.

    *pdf* and *report_output* (set by the build) give the links to this report's PDF and back
    to the index, *item_pages* (the set's item page template) the links to each item's page;
    in JupyterLab they are left at their defaults and no links are shown.
    """
    city = load_report_data(data_dir)
    plan = plan_row(city, str(plan_id).strip())
    when, when_text = parse_as_of(as_of)
    achievement_df = metrics.achievement(city, when)
    return PlanReport(
        city,
        plan,
        when,
        when_text,
        achievement_df,
        bool(pdf),
        str(report_output),
        str(item_pages),
    )
