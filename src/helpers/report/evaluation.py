"""What the yearly evaluation round adds to a plan report: departments, committee, item links.

The plan report calls these for its sections 「担当課別の状況」 and 「委員会の意見」 and for
the links of its item table to the item pages; a plan whose data has no departments or no
opinions gets :func:`not_applicable`, so its page shows no empty section.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.data.city import CityData
from helpers.publish.html import Table, esc
from helpers.publish.reportset import fill, relative_href
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.report.common import Markup, paragraph_markup, stack
from helpers.views import evaluations, labels
from helpers.views.formatting import text_or_none

ITEM_TABLE_ANCHOR = "item-list"
"""The ``id`` placed before the plan report's item table: item pages link back to it."""


def anchor(name: str) -> Markup:
    """An empty element a link can point to (``page.html#name``)."""
    return Markup(f'<div id="{esc(name)}"></div>', "")


def item_page(template: str, plan_id: str, item_no: int) -> str | None:
    """The output of an item's page from the set's template (``""``: no item pages)."""
    if not template:
        return None
    values = {"plan_id": plan_id, "item_no": str(int(item_no))}
    try:
        return fill(template, values, "item_pages")
    except ValueError:
        return None


def page_href(from_output: str, target_output: str, anchor: str = "") -> str:
    """A relative link from the page ``from_output`` to the page ``target_output``."""
    depth = len(from_output.split("/")) - 1
    href = "../" * depth + relative_href(f"{target_output}.html")
    return href + (f"#{anchor}" if anchor else "")


def item_links(items: pd.DataFrame, template: str, report_output: str) -> list[str | None] | None:
    """One link per item row to its page, ``None`` outside a build or without item pages."""
    if not template or not report_output:
        return None
    links: list[str | None] = []
    for plan_id, item_no in zip(items["plan_id"], items["item_no"], strict=True):
        output = item_page(template, str(plan_id), int(item_no))
        links.append(None if output is None else page_href(report_output, output))
    return links


def department_section(
    items: pd.DataFrame,
    statuses: pd.DataFrame,
    scale: Any,
    as_of: Any,
    name: str,
    words: labels.StatusWords = labels.DEFAULT_WORDS,
) -> Table | NotApplicable:
    """Items per department by the class of their latest status (a table with rates; classes
    and rates named in the plan's *words*)."""
    if scale is None or items["department"].isna().all() or statuses.empty:
        return not_applicable(f"{name}の項目には担当課の記録がありません。")
    counts = evaluations.department_counts(items, statuses, scale, as_of)
    # the established header "一部達成を含む達成率" for the generic words, else the scale's own
    strict = words.measures["rate_strict"]
    incl_partial = "一部達成を含む達成率" if words.generic else words.measures["rate_incl_partial"]
    frame = pd.DataFrame(
        {
            "担当課": counts["department"],
            "項目数": counts["n_items"],
            words.cls("achieved"): counts["achieved"],
            words.cls("partial"): counts["partial"],
            words.cls("not_achieved"): counts["not_achieved"],
            strict: counts["rate_strict"],
            incl_partial: counts["rate_incl_partial"],
        }
    )
    if counts["unrated"].any():
        frame.insert(5, labels.UNRATED_LABEL, counts["unrated"])
    return Table(
        frame,
        f"{name}の担当課別の取組状況",
        percent_columns=(strict, incl_partial),
    )


def opinions_section(
    city: CityData, plan_id: str, statuses: pd.DataFrame, as_of: Any, name: str
) -> Any:
    """The committee's opinions on the plan and on its items at the latest evaluation."""
    overall = evaluations.opinions_at(city.opinions, plan_id, as_of)
    per_item = evaluations.item_opinions(statuses, plan_id, as_of)
    if overall.empty and per_item.empty:
        return not_applicable(f"{name}には委員会の意見の記録がありません。")
    parts: list[Any] = []
    if not overall.empty:
        first = overall.iloc[0]
        committee = text_or_none(first["committee"]) or city.round_settings.get("committee")
        who = f"{committee}は" if committee else "委員会は"
        parts.append(
            paragraph_markup(f"{who}{first['as_of']}の評価について、次の意見を述べました。")
        )
        parts.append(_numbered(list(overall["opinion"])))
    if not per_item.empty:
        items = city.items.set_index(["plan_id", "item_no"])["name"]
        frame = pd.DataFrame(
            {
                "番号": per_item["item_no"],
                "項目": [items.get((plan_id, n), "") for n in per_item["item_no"]],
                "委員会意見": per_item["committee_opinion"],
            }
        )
        when = per_item.iloc[0]["as_of"]
        parts.append(Table(frame, f"項目ごとの委員会意見（{when}）"))
    return stack(*parts)


def _numbered(texts: list[str]) -> Markup:
    body = "".join(f"<li>{esc(t)}</li>" for t in texts)
    return Markup(f'<ol class="opinions">{body}</ol>', "\n".join(texts))
