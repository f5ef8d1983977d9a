"""Tables a reader sees without a chart: Japanese headers, formatted cells, no codes.

Each function takes a frame of :mod:`helpers.views.metrics` (or the loaded data) and returns a
DataFrame whose column headers and cells are already the words a council member reads: no
English codes (``rate_incl_partial``, ``computed``), no raw ``True``, rates with the counts
behind them.
"""

from __future__ import annotations

import pandas as pd

from helpers.views import labels
from helpers.views.formatting import format_percent, format_signed, is_missing, text_or_none


def points(value: float) -> str:
    """A difference of two rates in percentage points, e.g. "+4.7ポイント", "−22.5ポイント"."""
    return f"{format_signed(float(value) * 100)}ポイント"


def _reported_text(wording: str | None, value: float) -> str:
    """ "概ね9割（90%）": the document's words and the value they were recorded as."""
    percent = format_percent(value, decimals=0 if round(value * 100, 6).is_integer() else 1)
    return f"{wording}（{percent}）" if wording else percent


def _computed_text(row: pd.Series) -> str:
    """ "94.7%（19項目中18項目）": the computed rate with the counts behind it."""
    if is_missing(row["computed_value"]):
        return labels.MISSING_VALUE
    return (
        f"{format_percent(float(row['computed_value']))}"
        f"（{int(row['n_items'])}{labels.ITEMS_UNIT}中{int(row['numerator'])}{labels.ITEMS_UNIT}）"
    )


def _verdict(row: pd.Series) -> str:
    if is_missing(row["consistent"]):
        reason = text_or_none(row["note"])
        if not reason:
            return labels.VERDICT_NOT_JUDGED
        return f"{labels.VERDICT_NOT_JUDGED}（{reason.rstrip('。')}）"
    return labels.VERDICT[bool(row["consistent"])]


def _tolerance_text(tolerance: float) -> str:
    """ "±10ポイント" (0.1), "±0.05ポイント" (0.0005), "一致" (0)."""
    if tolerance <= 0:
        return "一致"
    return f"±{tolerance * 100:.4g}ポイント"


def reconciliation_table(check: pd.DataFrame, *, with_plan: bool = True) -> pd.DataFrame:
    """The reported-vs-computed check (:func:`helpers.views.metrics.reconcile_reported`) for
    readers: plan and as-of (unless *with_plan* is false, as in one plan's report), what is
    measured, the document's words and value, the computed rate with its counts, the
    difference in points, the allowed gap and the verdict."""
    rows = []
    for _, row in check.iterrows():
        difference = row["difference"]
        rows.append(
            {
                "計画": text_or_none(row["plan_name"]) or labels.MISSING_VALUE,
                "評価時点": text_or_none(row["as_of"]) or "記載なし",
                "指標": row["measure_label"],
                "出典の記載（報告値）": _reported_text(
                    text_or_none(row["wording"]), float(row["reported_value"])
                ),
                "項目別の評価からの計算（計算値）": _computed_text(row),
                "差": labels.MISSING_VALUE if is_missing(difference) else points(difference),
                "許容する差": _tolerance_text(float(row["tolerance"])),
                "照合の結果": _verdict(row),
                "出典頁": row["page"],
            }
        )
    columns = [
        "計画",
        "評価時点",
        "指標",
        "出典の記載（報告値）",
        "項目別の評価からの計算（計算値）",
        "差",
        "許容する差",
        "照合の結果",
        "出典頁",
    ]
    if not with_plan:
        columns = columns[2:]
    return pd.DataFrame(rows, columns=columns)


def reconciliation_sentence(check: pd.DataFrame) -> str:
    """One sentence per reported figure: whether the document's words match the items."""
    parts = []
    for _, row in check.iterrows():
        reported = _reported_text(text_or_none(row["wording"]), float(row["reported_value"]))
        subject = f"{row['plan_name']}の{row['measure_label']}について出典が記す「{reported}」"
        if is_missing(row["consistent"]):
            parts.append(f"{subject}は、項目別の評価がないため照合できません。")
        elif bool(row["consistent"]):
            parts.append(f"{subject}は、計算値{_computed_text(row)}と整合します。")
        else:
            parts.append(
                f"{subject}は、計算値{_computed_text(row)}と"
                f"{points(row['difference']).lstrip('+')}の差があり、整合しません。"
            )
    return "".join(parts)


def _glossary_names(row: pd.Series) -> list[str]:
    aliases = text_or_none(row.get("aliases")) or ""
    return [str(row["term"]), *(a.strip() for a in aliases.split("、") if a.strip())]


def glossary_terms_in(glossary: pd.DataFrame, texts: list[str]) -> pd.DataFrame:
    """The glossary entries whose term (or one of its other spellings) occurs in *texts*,
    in the glossary's own order."""
    if glossary.empty:
        return glossary
    joined = "\n".join(t for t in texts if t)
    used = [any(name in joined for name in _glossary_names(row)) for _, row in glossary.iterrows()]
    return glossary.loc[used]


def glossary_table(glossary: pd.DataFrame) -> pd.DataFrame:
    """Term (with its reading) and definition, for readers."""
    rows = []
    for _, row in glossary.iterrows():
        term = str(row["term"])
        reading = text_or_none(row.get("reading"))
        aliases = [a for a in _glossary_names(row)[1:] if a != term]
        shown = f"{term}（{reading}）" if reading else term
        definition = str(row["definition"])
        if aliases:
            definition += f"別の呼び方：{'、'.join(aliases)}。"
        rows.append({"用語": shown, "説明": definition})
    return pd.DataFrame(rows, columns=["用語", "説明"])


def status_changes_table(history: pd.DataFrame) -> pd.DataFrame:
    """Items whose status changed between two consecutive evaluations
    (:func:`helpers.views.metrics.status_history` rows), one row per change."""
    changed = history.loc[history["change"] != "unchanged"]
    rows = [
        {
            "項目": f"{int(row['item_no'])} {row['item_name']}",
            "評価の時点": f"{row['from_as_of']}→{row['to_as_of']}",
            "取組状況": f"{row['from_label']}→{row['to_label']}",
            "変化": row["change_label"],
        }
        for _, row in changed.iterrows()
    ]
    return pd.DataFrame(rows, columns=["項目", "評価の時点", "取組状況", "変化"])


def status_changes_sentence(history: pd.DataFrame) -> str:
    """One sentence: how many items moved up or down between the first and last evaluation,
    naming them when few."""
    if history.empty:
        return "評価が1回だけのため、取組状況の変化はありません。"
    first = history.sort_values("from_as_of_date", kind="stable").iloc[0]["from_as_of"]
    last = history.sort_values("to_as_of_date", kind="stable").iloc[-1]["to_as_of"]
    parts = []
    for change in ("improved", "worsened"):
        items = history.loc[history["change"] == change, "item_name"].drop_duplicates()
        if items.empty:
            continue
        label = labels.CHANGE_LABELS[change]
        names = "".join(f"「{name}」" for name in items) if len(items) <= 3 else ""
        names = f"{names}の" if names else ""
        parts.append(f"{names}{len(items)}{labels.ITEMS_UNIT}が{label}")
    if not parts:
        return f"{first}から{last}までの評価で、取組状況が変わった項目はありません。"
    return f"{first}から{last}までの評価で、{'、'.join(parts)}しました。"
