"""Japanese sentences that describe computed figures (the numbers come from ``metrics``).

Every sentence is です・ます and names its denominator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.views import labels, metrics
from helpers.views.formatting import format_percent, text_or_none


def _count_phrase(count: int, total: int) -> str:
    """E.g. "14項目(73.7%)"."""
    return f"{count}{labels.ITEMS_UNIT}({format_percent(count / total)})"


def _headline_sentences(row: Mapping[str, Any]) -> dict[str, str]:
    """Plain-language Japanese sentences for the headline figures of one plan."""
    name = row["plan_name"]
    as_of = f"{row['as_of']}現在、" if text_or_none(row["as_of"]) else ""
    if row["source"] == "reported":
        present = [m for m in metrics.MEASURES if row[m] is not None]
        parts = []
        for measure in present:
            wording = text_or_none(row["wording"]) if len(present) == 1 else None
            amount = wording or format_percent(float(row[measure]))
            parts.append(f"{labels.MEASURE_PHRASES[measure]}は計画全体の{amount}")
        summary = (
            f"{name}は項目別の取組状況が出典になく、{as_of}{'、'.join(parts)}"
            f"({labels.SOURCE_LABELS['reported']})。"
        )
        return {"summary": summary}
    n_items = int(row["n_items"])
    unrated = int(row["n_unrated"])
    unrated_text = f"(未評価の{unrated}項目を除く)" if unrated else ""
    if n_items == 0:
        return {"summary": f"{name}には評価済みの項目がない({unrated}項目が未評価)。"}
    achieved, partial = int(row["achieved"]), int(row["partial"])
    not_achieved = int(row["not_achieved"])
    cls = labels.CLASS_LABELS
    return {
        "summary": (
            f"{as_of}{name}の{n_items}{labels.ITEMS_UNIT}{unrated_text}のうち"
            f"{_count_phrase(achieved, n_items)}が{cls['achieved']}、"
            f"{cls['partial']}を含めると{_count_phrase(achieved + partial, n_items)}。"
        ),
        "n_items": f"評価した項目は{n_items}{labels.ITEMS_UNIT}{unrated_text}。",
        "achieved": f"{cls['achieved']}は{_count_phrase(achieved, n_items)}。",
        "partial": f"{cls['partial']}は{_count_phrase(partial, n_items)}。",
        "not_achieved": f"{cls['not_achieved']}は{_count_phrase(not_achieved, n_items)}。",
        "rate_strict": (
            f"{as_of}評価した{n_items}{labels.ITEMS_UNIT}{unrated_text}のうち"
            f"{achieved}{labels.ITEMS_UNIT}が「{cls['achieved']}」と評価されました。"
        ),
        "rate_incl_partial": (
            f"目標の一部だけを達成した{partial}{labels.ITEMS_UNIT}も含めると、"
            f"{achieved + partial}{labels.ITEMS_UNIT}が何らかの成果を上げています。"
        ),
    }


def headline_from_achievement(achievement_df: pd.DataFrame, plan_id: str) -> dict[str, Any]:
    """Headline figures of one plan (:func:`helpers.views.metrics.headline_figures`) with words.

    Adds ``summary`` (one Japanese sentence) and ``sentences`` (one sentence per figure, keyed
    like the figures).
    """
    figures = metrics.headline_figures(achievement_df, plan_id)
    sentences = _headline_sentences(figures)
    return {**figures, "summary": sentences["summary"], "sentences": sentences}


def headline(city: metrics.CityLike, plan_id: str, as_of: Any = None) -> dict[str, Any]:
    """Headline figures of one plan for a report's first screen (see
    ``headline_from_achievement``), e.g. summary "平成24年度末現在、第二次計画の19項目のうち
    14項目(73.7%)が達成、一部達成を含めると18項目(94.7%)。"."""
    return headline_from_achievement(metrics.achievement(city, as_of), plan_id)
