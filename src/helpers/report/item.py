"""The item page: one item's evaluation story (``notebooks/item_report.py``, one page per item).

What the item is, who is responsible, how it was rated at each evaluation and why, what was done
and what remains, where it is heading, what the committee said, and its indicators with their
trend. The page is light on purpose (a plan of 200 items has 200 of them): one table per
section, a chart only for indicators.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.data.city import CityData
from helpers.publish.html import Headline, Headlines, Table, esc
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.report import publication
from helpers.report.common import (
    Markup,
    ReportParameterError,
    heading_markup,
    load_report_data,
    paragraph_markup,
    parse_as_of,
    plan_display_name,
    plan_row,
    stack,
    with_city,
)
from helpers.report.evaluation import ITEM_TABLE_ANCHOR, page_href
from helpers.report.indicators import indicator_section
from helpers.views import evaluations, metrics
from helpers.views.formatting import text_or_none

#: Open data an item page links to (paths relative to the report set's folder).
ITEM_DATA_FILES = (("data/items.csv", "項目と評価のデータ（CSV）"),)


@dataclass(frozen=True)
class ItemReport:
    """Sections of one item's page."""

    city: CityData
    plan: pd.Series
    item: pd.Series
    as_of: pd.Timestamp | None = None
    as_of_text: str | None = None
    pdf: bool = True
    report_output: str = ""
    plan_report: str = ""

    @property
    def plan_id(self) -> str:
        return str(self.plan["plan_id"])

    @property
    def item_no(self) -> int:
        return int(self.item["item_no"])

    @property
    def plan_name(self) -> str:
        return plan_display_name(self.plan)

    @property
    def title(self) -> str:
        """The page's ``<h1>``: the item's name, its plan and number."""
        return f"{self.item['name']}（{self.plan_name} 項目{self.item_no}）"

    def _history(self) -> pd.DataFrame:
        return evaluations.item_history(self.city.statuses, self.plan_id, self.item_no, self.as_of)

    def _latest(self) -> pd.Series | None:
        history = self._history()
        return None if history.empty else history.iloc[-1]

    def _label(self, code: Any) -> str:
        """A status code's label in the plan's scale (the code where the scale gives none)."""
        text = text_or_none(code)
        if text is None:
            return "—"
        return metrics.level_labels(self.city.scale_of(self.plan_id)).get(text, text)

    # --- first screen ------------------------------------------------------------------------

    def heading(self) -> Markup:
        """Title, plan and department, and links to the plan report, the index, PDF and data."""
        lines = [f"計画：{with_city(self.city, str(self.plan['name']))}"]
        department = text_or_none(self.item.get("department"))
        if department:
            lines.append(f"担当課：{department}")
        if (publisher := publication.publisher_line(self.city)) is not None:
            lines.append(publisher)
        heading = heading_markup(lines, title=self.title)
        nav = publication.navigation(self.report_output, self.pdf, ITEM_DATA_FILES)
        if self.report_output and self.plan_report:
            href = page_href(self.report_output, self.plan_report, ITEM_TABLE_ANCHOR)
            back = f'<li><a href="{esc(href)}">{esc(self.plan_name)}の項目一覧に戻る</a></li>'
            nav = nav.replace("<ul>", f"<ul>{back}", 1)
        return Markup(heading.html + nav, heading.text)

    def summary(self) -> Headlines | NotApplicable:
        """The latest evaluation as cards: final rating, the department's, the way forward."""
        latest = self._latest()
        if latest is None:
            return not_applicable("この項目には評価の記録がありません。")
        when = str(latest["as_of"])
        cards = [Headline("取組状況（最終の評価）", self._label(latest["status"]), "", when, "")]
        if text_or_none(latest["self_rating"]):
            cards.append(
                Headline("一次評価（担当課）", self._label(latest["self_rating"]), "", when, "")
            )
        if text_or_none(latest["direction"]):
            cards.append(Headline("今後の方向性", str(latest["direction"]), "", when, ""))
        return Headlines(cards)

    def description(self) -> Any:
        """What the item is: its description, target level, priority goal and timing."""
        rows = [("取組目標", text_or_none(self.item["target"]))]
        goal_no = self.item.get("goal_no")
        if goal_no is not None and not pd.isna(goal_no):
            goals = self.city.goals
            match = goals.loc[(goals["plan_id"] == self.plan_id) & (goals["goal_no"] == goal_no)]
            name = f"（{int(goal_no)}）" + (str(match.iloc[0]["goal"]) if not match.empty else "")
            rows.append(("重点目標", name))
        if text_or_none(self.item.get("date_written")):
            kind = text_or_none(self.item.get("date_kind")) or ""
            rows.append(("時期", f"{self.item['date_written']} {kind}".strip()))
        if text_or_none(self.item.get("department")):
            rows.append(("担当課", str(self.item["department"])))
        body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
        facts = Markup(f'<dl class="about">{body}</dl>', "\n".join(f"{k}：{v}" for k, v in rows))
        text = text_or_none(self.item.get("description"))
        return stack(paragraph_markup(text) if text else None, facts)

    def history(self) -> Table | NotApplicable:
        """Every evaluation of the item: final rating, the department's rating and reason."""
        history = self._history()
        if history.empty:
            return not_applicable("この項目には評価の記録がありません。")
        frame = pd.DataFrame(
            {
                "時点": history["as_of"],
                "取組状況（最終）": [self._label(s) for s in history["status"]],
                "一次評価（担当課）": [
                    self._label(s) if text_or_none(s) else "—" for s in history["self_rating"]
                ],
                "評価理由": [text_or_none(r) or "—" for r in history["reason"]],
                "今後の方向性": [text_or_none(d) or "—" for d in history["direction"]],
            }
        )
        if history["self_rating"].isna().all():
            frame = frame.drop(columns=["一次評価（担当課）", "評価理由", "今後の方向性"])
        return Table(frame, f"{self.item['name']}の評価の推移")

    def results(self) -> Table | NotApplicable:
        """What was done (実績) and what remains (課題), per evaluation."""
        history = self._history()
        answered = history.loc[history["results"].notna() | history["challenges"].notna()]
        if answered.empty:
            return not_applicable("この項目には実績と課題の記録がありません。")
        frame = pd.DataFrame(
            {
                "時点": answered["as_of"],
                "実績": [text_or_none(r) or "—" for r in answered["results"]],
                "課題": [text_or_none(c) or "—" for c in answered["challenges"]],
                "担当課": [text_or_none(d) or "—" for d in answered["department"]],
            }
        )
        return Table(frame, f"{self.item['name']}の実績と課題")

    def committee(self) -> Table | NotApplicable:
        """What the committee said about the item, per evaluation."""
        history = self._history()
        said = history.loc[history["committee_opinion"].notna()]
        if said.empty:
            return not_applicable("この項目には委員会の意見の記録がありません。")
        frame = pd.DataFrame({"時点": said["as_of"], "委員会意見": said["committee_opinion"]})
        return Table(frame, f"{self.item['name']}への委員会の意見")

    def indicators(self) -> Any:
        """The indicators that measure this item: rating, reasons and trend."""
        indicators = self.city.indicators
        mine = indicators.loc[
            (indicators["plan_id"] == self.plan_id) & (indicators["item_no"] == self.item_no)
        ]
        if mine.empty:
            return not_applicable("この項目には指標がありません。")
        city = dataclasses.replace(self.city, indicators=mine)
        section = indicator_section(city, self.plan, str(self.item["name"]), self.as_of)
        if section is None:
            return not_applicable("この項目には指標がありません。")
        return stack(section.table(), section.reasons(), section.trend_figure())

    def about(self) -> Markup:
        """Publisher, date, contact, licence, source document and how to cite this page."""
        return publication.about(self.city, self.title)


def item_context(
    plan_id: str,
    item_no: int,
    data_dir: str,
    as_of: str = "",
    pdf: bool = True,
    report_output: str = "",
    plan_report: str = "",
) -> ItemReport:
    """Load and validate the data, check the parameters, and return the item's page.

    *pdf*, *report_output* and *plan_report* (set by the build) give the links to the page's
    PDF, the index and the plan report; in JupyterLab no links are shown.
    """
    city = load_report_data(data_dir)
    plan = plan_row(city, str(plan_id).strip())
    items = city.items
    try:
        number = int(str(item_no).strip())
    except ValueError:
        number = -1
    match = items.loc[(items["plan_id"] == plan["plan_id"]) & (items["item_no"] == number)]
    if match.empty:
        allowed = ", ".join(
            str(n) for n in items.loc[items["plan_id"] == plan["plan_id"], "item_no"]
        )
        raise ReportParameterError(
            f"計画 {plan['plan_id']} に項目番号「{item_no}」はありません "
            f"(unknown item_no; allowed: {allowed or 'none'})."
        )
    when, when_text = parse_as_of(as_of)
    return ItemReport(
        city,
        plan,
        match.iloc[0],
        when,
        when_text,
        bool(pdf),
        str(report_output),
        str(plan_report),
    )
