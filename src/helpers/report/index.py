"""The index page: every report of the set with each plan's headline figures."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.data.city import CityData
from helpers.data.dates import era_year_label
from helpers.publish.accessibility import STATEMENT_OUTPUT, STATEMENT_TITLE
from helpers.publish.html import Figure, esc
from helpers.publish.reportset import (
    INJECTED_REPORT_SET,
    ConfigError,
    ReportSpec,
    expand_report_set,
    item_rows,
    plan_rows,
    read_report_set,
    relative_href,
)
from helpers.report import publication
from helpers.report.common import (
    Markup,
    ReportParameterError,
    comparison_figure_or_note,
    heading_markup,
    load_report_data,
    plan_display_name,
    resolve_path,
)
from helpers.views import metrics, sentences
from helpers.views.formatting import text_or_none


@dataclass(frozen=True)
class IndexReport:
    """The index page: every other report of the set, with each plan's headline figures.

    ``reports`` is the expanded report set (:mod:`helpers.publish.reportset`), so the index lists
    exactly what the build publishes, in the same order; ``pdf`` says whether PDFs are published.
    """

    city: CityData
    reports: tuple[ReportSpec, ...]
    achievement_df: pd.DataFrame
    pdf: bool = True

    @property
    def title(self) -> str:
        """The set's title (this page's ``<h1>``), from city.yaml ``publication.title``."""
        return publication.set_title(self.city)

    def _overview(self) -> str:
        """One sentence: which plans, who evaluated them, where and as of when."""
        city = self.city
        plans = city.plans.sort_values(["start_fy", "plan_id"], kind="stable")
        names = "と".join(
            f"{plan_display_name(p)}（{era_year_label(int(p['start_fy']))}～"
            f"{era_year_label(int(p['end_fy']))}）"
            for _, p in plans.iterrows()
        )
        overall = self.achievement_df.loc[self.achievement_df["breakdown"] == "all"]
        when = "、".join(
            f"{row['plan_name']}は{row['as_of']}時点"
            for _, row in overall.iterrows()
            if text_or_none(row["as_of"])
        )
        evaluator = (
            city.publication.get("evaluator")
            or city.source.get("publisher")
            or city.city.get("name", "")
        )
        where = f"「{city.source['title']}」で" if city.source.get("title") else ""
        timing = f"（{when}）" if when else ""
        return (
            f"{city.city.get('name', '')}の{publication.plan_kind(city)}のうち{names}について、"
            f"{evaluator}が{where}行った評価{timing}をまとめています。"
        )

    def heading(self) -> Markup:
        lines = []
        if (publisher := publication.publisher_line(self.city)) is not None:
            lines.append(publisher)
        return heading_markup(
            lines,
            title=self.title,
            lead=self._overview(),
            published=self.city.publication.get("published"),
        )

    def about(self) -> Markup:
        """Publisher, date, contact, licence, source document and how to cite the reports."""
        return publication.about(self.city, self.title)

    def _listed(self) -> list[ReportSpec]:
        """The reports this page links to: all but index pages (those given the report set)
        and item pages (linked from their plan report's item table)."""
        return [
            r
            for r in self.reports
            if INJECTED_REPORT_SET not in r.parameters and r.for_each != "item"
        ]

    def report_list(self) -> Markup:
        items = []
        for spec in self._listed():
            summary = ""
            plan_id = spec.parameters.get("plan_id")
            if plan_id is not None:
                try:
                    figures = sentences.headline_from_achievement(
                        self.achievement_df,
                        plan_id,
                        words=metrics.status_words(self.city.scale_of(str(plan_id))),
                    )
                    summary = figures["summary"]
                except KeyError:
                    summary = "評価の記録はありません。"
            href = esc(relative_href(f"{spec.output}.html"))
            pdf_href = esc(relative_href(f"{spec.output}.pdf"))
            pdf = (
                f'<span class="alt-format">（<a href="{pdf_href}">PDF</a>）</span>'
                if self.pdf
                else ""
            )
            items.append(
                f'<li><a href="{href}">{esc(spec.title)}</a>{pdf}'
                + (f'<p class="summary">{esc(summary)}</p>' if summary else "")
                + "</li>"
            )
        if (
            self.pdf
        ):  # the build tests the pages while it prints them (helpers.publish.accessibility)
            items.append(
                f'<li><a href="{esc(relative_href(f"{STATEMENT_OUTPUT}.html"))}">'
                f"{esc(STATEMENT_TITLE)}</a>"
                '<p class="summary">各ページのアクセシビリティを自動で試験した結果です。</p></li>'
            )
        pages = sum(r.for_each == "item" for r in self.reports)
        note = (
            f'<p class="note">項目ごとの評価のページ（{pages}件）は、各計画の報告書の'
            "「項目一覧」から開けます。</p>"
            if pages
            else ""
        )
        return Markup(f'<ul class="report-list">{"".join(items)}</ul>{note}', "報告書の一覧")

    def comparison_figure(self) -> Figure | Markup:
        return comparison_figure_or_note(self.achievement_df, metrics.city_status_words(self.city))

    def open_data(self) -> Markup:
        files = [
            ("data/achievement.csv", "計画・内訳ごとの項目数と達成率"),
            ("data/items.csv", "項目と取組状況"),
            ("data/events.csv", "年表の出来事（年度・計画期間つき）"),
            ("data/columns.csv", "各ファイルの列の意味"),
        ]
        if not self.city.indicators.empty:
            files.insert(-1, ("data/indicators.csv", "指標の年度ごとの実績値と評価"))
        if not self.city.opinions.empty:
            files.insert(-1, ("data/opinions.csv", "委員会の意見（計画全体）"))
        body = "".join(
            f'<li><a href="{esc(relative_href(path))}">{esc(path)}</a>：{esc(text)}</li>'
            for path, text in files
        )
        note = "文字コードはUTF-8（BOM付き）で、表計算ソフトでそのまま開けます。"
        return Markup(f'<ul class="open-data">{body}</ul><p>{esc(note)}</p>', note)


def index_context(data_dir: str, report_set: str, pdf: bool = True) -> IndexReport:
    """Load the data and the report set (read and expanded as the build does) for the index."""
    city = load_report_data(data_dir)
    path = resolve_path(report_set, "報告書の設定 report_set")
    try:
        raw = read_report_set(path)
        rows = plan_rows(city.plans)
        items = item_rows(city.items, city.plans)
        reports = expand_report_set(raw, rows, pdf=pdf, items=items).reports
    except ConfigError as error:
        raise ReportParameterError(f"報告書の設定 report_set「{path}」: {error}") from error
    return IndexReport(city, reports, metrics.achievement(city), pdf)
