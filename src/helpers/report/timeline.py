"""The timeline report: IT measures across all plans (``notebooks/timeline_report.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.data.city import CityData
from helpers.data.dates import fiscal_year_label
from helpers.publish.html import Figure, Table
from helpers.publish.sections import NotApplicable
from helpers.report import publication
from helpers.report.common import (
    Markup,
    heading_markup,
    load_report_data,
    note_markup,
    source_lines,
    sources_markup,
    timeline_figure_or_note,
    with_city,
)
from helpers.views import labels, metrics
from helpers.views.formatting import is_missing

#: Open data files the timeline links to (paths relative to the report set's folder).
TIMELINE_DATA_FILES = (("data/events.csv", "出来事のデータ（CSV）"),)


@dataclass(frozen=True)
class TimelineReport:
    """Sections of the timeline report across all plans."""

    city: CityData
    pdf: bool = True
    report_output: str = ""

    @property
    def title(self) -> str:
        """The report's own title, e.g. "東大和市 主な情報化施策の年表"."""
        return with_city(self.city, f"主な{publication.measure_kind(self.city)}の年表")

    def heading(self) -> Markup:
        events = self.city.events
        dated = events.loc[events["fiscal_year"].notna()]
        lines = []
        if not dated.empty:
            first, last = int(dated["fiscal_year"].min()), int(dated["fiscal_year"].max())
            lines.append(f"対象：{metrics.period_label(first, last)}、出来事{len(events)}件")
        if (publisher := publication.publisher_line(self.city)) is not None:
            lines.append(publisher)
        nav = publication.navigation(self.report_output, self.pdf, TIMELINE_DATA_FILES)
        heading = heading_markup(
            lines, title=self.title, published=self.city.publication.get("published")
        )
        return Markup(heading.html + nav, heading.text)

    def timeline_figure(self) -> Figure | Markup:
        return timeline_figure_or_note(self.city.events, self.city.plans)

    def golive_figure(self) -> Table | Markup:
        per_plan = metrics.golives_per_plan(self.city.events, self.city.plans)
        if per_plan.empty:
            return note_markup("計画期間中の稼働・導入の記録がありません。")
        df = pd.DataFrame(
            {
                "計画": per_plan["plan_name"],
                "年度": per_plan["fiscal_year_label"],
                "件数": per_plan["n_events"],
                "主な施策": per_plan["events"],
            }
        )
        return Table(df, "計画期間中の年度ごとの稼働・導入・更新")

    def event_table(self) -> Table:
        events = self.city.events.sort_values(
            ["date", "event_id"], kind="stable", na_position="last"
        )
        plan_names = dict(
            zip(self.city.plans["plan_id"], self.city.plans["short_name"], strict=True)
        )
        df = pd.DataFrame(
            {
                "時期（出典の表記）": events["date_written"].fillna(labels.UNKNOWN_DATE),
                "年度": [
                    fiscal_year_label(int(fy)) if not is_missing(fy) else labels.UNKNOWN_DATE
                    for fy in events["fiscal_year"]
                ],
                "出来事": events["event"],
                "計画期間": [
                    plan_names.get(p, "—") if not is_missing(p) else "—"
                    for p in events["period_plan_id"]
                ],
                "出典頁": events["page"],
                "備考": events["note"],
            }
        )
        return Table(df, "出来事の一覧（時期順）")

    def glossary(self) -> Table | NotApplicable:
        """The glossary terms the events use, explained for citizens."""
        events = self.city.events
        texts = [str(t) for t in [*events["event"], *events["note"].dropna()]]
        return publication.glossary(self.city, texts, "年表")

    def sources(self) -> Markup:
        return sources_markup(source_lines(self.city))

    def about(self) -> Markup:
        """Publisher, date, contact, licence, source document and how to cite this report."""
        return publication.about(self.city, self.title)


def timeline_context(data_dir: str, pdf: bool = True, report_output: str = "") -> TimelineReport:
    """Load and validate the data for the timeline report (*pdf* and *report_output* as for
    :func:`helpers.report.plan.plan_context`)."""
    return TimelineReport(load_report_data(data_dir), bool(pdf), str(report_output))
