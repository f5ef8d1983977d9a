"""Japanese sentences that describe computed figures (the numbers come from ``metrics``).

Every sentence is です・ます, uses full-width punctuation and names its denominator. Words that
depend on the city (the names and definitions of its rating levels, its items) come in as
arguments, so another city's report reads right without code changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd

from helpers.data.dates import era_year_label, fiscal_year_of
from helpers.views import labels, metrics
from helpers.views.formatting import format_percent, is_missing, jp_brackets, text_or_none

#: Up to this many items are named in a sentence; more are counted only.
MAX_NAMED_ITEMS = 3


def count_phrase(count: int, total: int) -> str:
    """E.g. "14項目（73.7%）": a count with its share of *total*."""
    return f"{count}{labels.ITEMS_UNIT}（{format_percent(count / total)}）"


def quoted_list(names: Sequence[str]) -> str:
    """「A」「B」 … as Japanese prose lists names."""
    return "".join(f"「{name}」" for name in names)


def _class_word(cls: str, words: labels.StatusWords = labels.DEFAULT_WORDS) -> str:
    return f"「{words.cls(cls)}」"


def remaining_years_sentence(as_of: Any, start_fy: int, end_fy: int) -> str:
    """Where an evaluation date falls in the plan period, as one sentence ("" after the end).

    "評価の時点では、計画期間の最終年度（平成25年度）が残っていました。" when one full fiscal year
    remained; an evaluation before the start or in the middle of a year says so too.
    """
    if is_missing(as_of):
        return ""
    day = pd.Timestamp(as_of).date()
    next_day = day + timedelta(days=1)
    if day < date(start_fy, 4, 1):
        return "計画期間が始まる前の時点の評価です。"
    if next_day > date(end_fy + 1, 3, 31):
        return ""
    first_left = fiscal_year_of(next_day)
    if next_day != date(first_left, 4, 1):  # in the middle of a fiscal year
        return (
            f"評価の時点は{era_year_label(first_left)}の途中で、計画期間は"
            f"{era_year_label(end_fy)}末まで続いていました。"
        )
    years = end_fy - first_left + 1
    if years == 1:
        return f"評価の時点では、計画期間の最終年度（{era_year_label(end_fy)}）が残っていました。"
    return (
        f"評価の時点では、計画期間が{years}年度（{era_year_label(first_left)}～"
        f"{era_year_label(end_fy)}）残っていました。"
    )


def _reported_sentences(row: Mapping[str, Any]) -> dict[str, str]:
    """A plan known only by the document's aggregate: what the document says, as it says it."""
    name = row["plan_name"]
    as_of = f"{row['as_of']}時点で、" if text_or_none(row["as_of"]) else ""
    present = [m for m in metrics.MEASURES if row[m] is not None]
    sentences: dict[str, str] = {}
    parts = []
    for measure in present:
        wording = text_or_none(row["wording"]) if len(present) == 1 else None
        amount = wording or format_percent(float(row[measure]))
        part = f"{labels.MEASURE_PHRASES[measure]}は計画全体の{amount}"
        parts.append(part)
        sentences[measure] = f"{as_of}{part}と出典に記載されています。"
    sentences["summary"] = (
        f"{name}は項目ごとの評価が出典になく、{as_of}{'、'.join(parts)}"
        f"と報告されています（{labels.SOURCE_LABELS['reported']}）。"
    )
    return sentences


def _not_achieved_sentence(count: int, names: Sequence[str], words: labels.StatusWords) -> str:
    word = _class_word("not_achieved", words)
    if count == 0:
        return f"{word}の項目はありません。"
    if names and len(names) == count and count <= MAX_NAMED_ITEMS:
        shown = quoted_list([jp_brackets(n) for n in names])
        return f"{word}は{shown}の{count}{labels.ITEMS_UNIT}です。"
    return f"{word}は{count}{labels.ITEMS_UNIT}です（項目一覧に示しています）。"


def during_period_sentence(row: Mapping[str, Any], *, dated: bool = True) -> str:
    """ "計画期間中（令和6年度末時点）の評価です。" for figures of an evaluation made before the
    plan's last fiscal year ended (a mid-term figure, not the plan's result), else "";
    without the date when the sentence before gives it (*dated* false)."""
    if not metrics.evaluated_during_period(row):
        return ""
    when = f"（{row['as_of']}時点）" if dated and text_or_none(row.get("as_of")) else ""
    return f"計画期間中{when}の評価です。"


def _headline_sentences(
    row: Mapping[str, Any],
    partial_definition: str | None,
    not_achieved_names: Sequence[str],
    words: labels.StatusWords = labels.DEFAULT_WORDS,
) -> dict[str, str]:
    """Plain-language Japanese sentences for the headline figures of one plan, naming the
    status classes in the plan's *words*; a rate that counts the partial class says when the
    plan was evaluated during its period."""
    if row["source"] == "reported":
        return _reported_sentences(row)
    name = row["plan_name"]
    as_of = f"{row['as_of']}時点で、" if text_or_none(row["as_of"]) else ""
    n_items = int(row["n_items"])
    unrated = int(row["n_unrated"])
    unrated_text = f"（未評価の{unrated}{labels.ITEMS_UNIT}を除く）" if unrated else ""
    if n_items == 0:
        text = f"{name}には、この時点までに評価した項目がありません（{unrated}項目が未評価）。"
        return {"summary": text, "not_evaluated": text}
    achieved, partial = int(row["achieved"]), int(row["partial"])
    not_achieved = int(row["not_achieved"])
    cls = words.classes
    definition = f"（{partial_definition}）" if partial_definition else ""
    during = during_period_sentence(row)
    both = count_phrase(achieved + partial, n_items)
    if not partial:
        incl_partial = f"{_class_word('partial', words)}の項目はありません。"
    elif words.generic:
        incl_partial = (
            f"{_class_word('partial')}{definition}の{partial}{labels.ITEMS_UNIT}を含めると"
            f"{achieved + partial}{labels.ITEMS_UNIT}です。"
        )
    else:
        # 実施中 is not 一部達成: the two classes are named, added up, never called achievement
        incl_partial = (
            f"{_class_word('achieved', words)}と{_class_word('partial', words)}{definition}を"
            f"合わせると{both}です。"
        )
    if words.generic:
        achieved_word, summary_incl = cls["achieved"], f"{cls['partial']}を含めると{both}です。"
    else:
        achieved_word = _class_word("achieved", words)
        summary_incl = f"{_class_word('partial', words)}を合わせると{both}です。"
    return {
        "summary": (
            f"{as_of}{name}の{n_items}{labels.ITEMS_UNIT}{unrated_text}のうち"
            f"{count_phrase(achieved, n_items)}が{achieved_word}、{summary_incl}"
            + (during_period_sentence(row, dated=not as_of) if partial else "")
        ),
        "n_items": f"評価した項目は{n_items}{labels.ITEMS_UNIT}{unrated_text}です。",
        "achieved": f"{cls['achieved']}は{count_phrase(achieved, n_items)}です。",
        "partial": f"{cls['partial']}は{count_phrase(partial, n_items)}です。",
        "not_achieved": _not_achieved_sentence(not_achieved, not_achieved_names, words),
        "rate_strict": (
            f"{as_of}評価した{n_items}{labels.ITEMS_UNIT}{unrated_text}のうち"
            f"{achieved}{labels.ITEMS_UNIT}が{_class_word('achieved', words)}です。"
        ),
        "rate_incl_partial": incl_partial + (during if partial else ""),
    }


def headline_from_achievement(
    achievement_df: pd.DataFrame,
    plan_id: str,
    *,
    partial_definition: str | None = None,
    not_achieved_names: Sequence[str] = (),
    words: labels.StatusWords = labels.DEFAULT_WORDS,
) -> dict[str, Any]:
    """Headline figures of one plan (:func:`helpers.views.metrics.headline_figures`) with words.

    Adds ``summary`` (one Japanese sentence) and ``sentences`` (one sentence per figure, keyed
    like the figures; ``not_evaluated`` when nothing was rated by then). *partial_definition*
    (the scale's own definition of its partly-achieved level) and *not_achieved_names* (names
    of the items not achieved) make the sentences say what the numbers mean, *words* (the
    plan's scale's words, :func:`helpers.views.metrics.status_words`) name the classes.
    """
    figures = metrics.headline_figures(achievement_df, plan_id)
    row = achievement_df.loc[
        (achievement_df["plan_id"] == plan_id) & (achievement_df["breakdown"] == "all")
    ].iloc[0]
    sentences = _headline_sentences(
        {**figures, "as_of_date": row.get("as_of_date"), "end_fy": row.get("end_fy")},
        partial_definition,
        not_achieved_names,
        words,
    )
    return {**figures, "summary": sentences["summary"], "sentences": sentences}


def headline(city: metrics.CityLike, plan_id: str, as_of: Any = None) -> dict[str, Any]:
    """Headline figures of one plan for a report's first screen (see
    ``headline_from_achievement``), e.g. summary "平成24年度末時点で、第二次計画の19項目のうち
    14項目（73.7%）が達成、一部達成を含めると18項目（94.7%）です。"."""
    return headline_from_achievement(metrics.achievement(city, as_of), plan_id)
