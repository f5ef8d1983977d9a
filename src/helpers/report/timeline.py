"""The timeline report: IT measures across all plans (``notebooks/timeline_report.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.data.city import CityData
from helpers.data.dates import JpDateError, era_year_label, parse_fiscal_year
from helpers.publish.html import Table
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.report import publication
from helpers.report.common import (
    Markup,
    ReportParameterError,
    heading_markup,
    load_report_data,
    paragraph_markup,
    source_lines,
    sources_markup,
    stack,
    timeline_figure_or_note,
    with_city,
)
from helpers.views import metrics, sentences

#: Open data files the timeline links to (paths relative to the report set's folder).
TIMELINE_DATA_FILES = (("data/events.csv", "出来事のデータ（CSV）"),)


@dataclass(frozen=True)
class TimelineReport:
    """Sections of the timeline report across all plans.

    ``first_year`` is the first fiscal year the chart shows: by default the first year of the
    events the source's own chart shows (年表掲載), so one early event does not stretch the
    axis; every event stays in the tables."""

    city: CityData
    pdf: bool = True
    report_output: str = ""
    first_year: int | None = None

    @property
    def title(self) -> str:
        """The report's own title, e.g. "東大和市 主な情報化施策の年表"."""
        return with_city(self.city, f"主な{publication.measure_kind(self.city)}の年表")

    @property
    def events(self) -> pd.DataFrame:
        """The events with their timeline group (city.yaml ``event_kinds``)."""
        return metrics.with_event_groups(self.city.events, self.city.event_kinds)

    def _chart_start(self) -> int | None:
        if self.first_year is not None:
            return self.first_year
        events = self.city.events
        in_chart = events.loc[events["in_chart"].fillna(False).astype(bool)]
        dated = in_chart["fiscal_year"].dropna()
        return int(dated.min()) if not dated.empty else None

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

    def timeline_figure(self) -> Any:
        """The chart from the first year shown; a sentence names the events before it."""
        events = self.events
        start = self._chart_start()
        if start is None:
            return timeline_figure_or_note(events, self.city.plans)
        fy = events["fiscal_year"]
        earlier = events.loc[fy.notna() & (fy < start)]
        shown = events.assign(on_chart=fy.isna() | (fy >= start))
        note = None
        if not earlier.empty:
            names = "、".join(
                f"{label}の「{event}」"
                for label, event in zip(
                    [era_year_label(int(y)) for y in earlier["fiscal_year"]],
                    earlier["event"],
                    strict=True,
                )
            )
            note = paragraph_markup(
                f"図は、出典の年表と同じ{era_year_label(start)}から示します。"
                f"それより前の{len(earlier)}件（{names}）は、図の下のデータ表に載せています。"
            )
        return stack(note, timeline_figure_or_note(shown, self.city.plans))

    def golive_figure(self) -> Table | NotApplicable:
        per_plan = metrics.golives_per_plan(self.events, self.city.plans)
        if per_plan.empty or per_plan["n_events"].sum() == 0:
            return not_applicable("計画期間中の稼働・導入の記録はありません。")
        df = pd.DataFrame(
            {
                "計画": per_plan["plan_name"],
                "年度": per_plan["fiscal_year_label"],
                "件数": per_plan["n_events"],
                "主な施策": per_plan["events"].map(sentences.jp_brackets),
            }
        )
        return Table(df, "計画期間中の年度ごとの稼働・導入など")

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


def timeline_context(
    data_dir: str, pdf: bool = True, report_output: str = "", first_year: str = ""
) -> TimelineReport:
    """Load and validate the data for the timeline report (*pdf* and *report_output* as for
    :func:`helpers.report.plan.plan_context`; *first_year*, e.g. "昭和43年度", moves the
    chart's start, empty for the source chart's own start)."""
    city = load_report_data(data_dir)
    first = None
    if str(first_year).strip():
        try:
            first = parse_fiscal_year(str(first_year).strip())
        except JpDateError as error:
            raise ReportParameterError(f"年表の最初の年度 first_year: {error}") from error
    return TimelineReport(city, bool(pdf), str(report_output), first)
