"""Open data published beside the reports (``reports/data/``): CSV files anyone can reuse.

* ``achievement.csv``: achievement per plan, overall (``all``) and per target level
  (``target:<level>``). The leading columns are fixed: plan_id, breakdown, n_items, achieved,
  partial, not_achieved, rate_strict, rate_incl_partial; then source, as_of, wording, note and
  more. A plan the document evaluates only as a whole (plan 1: 約4割) has one row with empty
  counts, the reported rate and a note; nothing is invented for it.
* ``items.csv``: every item of every plan with its status at each evaluation (one row per item
  and evaluation; an item never evaluated has one row with an empty status).
* ``events.csv``: the timeline, with the fiscal year derived from each date and the plan period
  the event falls in.
* ``indicators.csv`` (only for data with indicators): one row per indicator and fiscal year with
  an actual, with the computed rating (by the plan's own rule), the published one where the
  source gives it, and why; an indicator measured in series has a row for the whole indicator
  (``row_kind`` ``indicator``, ``series`` empty) and one per series.
* ``opinions.csv`` (only for data with committee opinions): the committee's opinions on each
  plan per evaluation. ``items.csv`` also carries the answers of the yearly evaluation round
  (担当課, 一次評価, 評価理由, 実績, 課題, 今後の方向性, 委員会意見) when the data holds any.
* ``columns.csv``: what every column of the files above means, in Japanese.

Files are UTF-8 with a byte order mark (Excel on Japanese Windows then reads them correctly),
CRLF line ends (RFC 4180), and byte-for-byte deterministic for the same data.

Every file this module writes goes through :func:`to_csv_bytes`, which neutralises formulas the
OWASP way (CSV injection): a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a
line break or NUL (or the full-width ``＝＋－＠``; also after leading spaces) gets a leading
``'``, so a spreadsheet shows it as text instead of running it. Numbers stay numbers: numeric
columns, and text cells that are a plain number such as ``-1`` or ``+0.5``, are written as they
are.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.data.dates import fiscal_year_label
from helpers.data.spreadsheet_formulas import neutralise_formula
from helpers.publish.files import write_bytes_atomic
from helpers.views import indicators as indicator_views
from helpers.views import labels, metrics

ACHIEVEMENT_LEADING: tuple[str, ...] = metrics.ACHIEVEMENT_COLUMNS[:8]
"""The contract: achievement.csv starts with exactly these columns, in this order."""

ITEM_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "item_no",
    "item_name",
    "target",
    "as_of",
    "as_of_date",
    "status",
    "status_class",
    "description",
    "date_written",
    "date_kind",
    "page",
    "status_page",
)
ROUND_ITEM_COLUMNS: dict[str, str] = {
    "department": "department",
    "self_rating": "self_rating",
    "reason": "rating_reason",
    "results": "results",
    "challenges": "challenges",
    "direction": "way_forward",
    "committee_opinion": "committee_opinion",
}
"""items.csv columns of the evaluation round (data column -> published column), added after
the others when the data holds any answer of a round; ``department`` is the item's 担当課."""

OPINION_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "as_of",
    "as_of_date",
    "opinion_no",
    "committee",
    "opinion",
    "page",
)

EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "date_written",
    "precision",
    "date",
    "fiscal_year",
    "fiscal_year_label",
    "period_plan_id",
    "period_plan_name",
    "event",
    "kind",
    "plan_id",
    "item_no",
    "in_chart",
    "page",
    "note",
)

INDICATOR_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "indicator_id",
    "series",
    "row_kind",
    "name",
    "unit",
    "direction",
    "goal_no",
    "item_no",
    "rule",
    "fiscal_year",
    "fiscal_year_label",
    "baseline",
    "baseline_fy",
    "target",
    "target_fy",
    "year_target",
    "value",
    "value_status",
    "progress",
    "ratio",
    "rating",
    "rating_label",
    "published_rating",
    "agrees",
    "reason",
    "note",
)
"""The contract of indicators.csv, in order."""

PUBLISHED_BREAKDOWNS: tuple[str, ...] = ("all", "target:")
"""Breakdowns published in achievement.csv: the whole plan and each target level."""

ENCODING = "utf-8-sig"
LINE_END = "\r\n"

COLUMN_LABELS: dict[str, str] = {
    **labels.COLUMNS,
    "as_of_date": "評価時点(日付)",
    "start_fy": "開始年度(西暦)",
    "end_fy": "終了年度(西暦)",
    "status_class": "区分",
    "description": "取組内容",
    "date_kind": "時期の内容",
    "status_page": "取組状況の出典頁",
    "event_id": "事象ID",
    "precision": "時期の精度",
    "date": "日付",
    "period_plan_id": "計画期間(計画ID)",
    "period_plan_name": "計画期間(計画)",
    "in_chart": "年表に掲載",
    "plan_name": "計画",
    "indicator_id": "指標ID",
    "series": "系列(空欄は指標全体)",
    "row_kind": "行の種類",
    "name": "指標名",
    "unit": "単位",
    "direction": "方向",
    "goal_no": "重点目標番号",
    "rule": "評価基準",
    "baseline": "基準値",
    "baseline_fy": "基準年度(西暦)",
    "target": "目標値",
    "target_fy": "目標年度(西暦)",
    "year_target": "その年度の目標値",
    "value_status": "速報・確定",
    "progress": "進捗(策定時から目標値までの割合)",
    "ratio": "目標達成度(ratio の評価基準の値。取組項目の達成率とは別)",
    "rating": "評価(計算)",
    "rating_label": "評価(計算、表示名)",
    "published_rating": "公表された評価",
    "agrees": "計算と公表の一致",
    "reason": "評価の理由",
    "department": "担当課",
    "self_rating": "一次評価(担当課の自己評価)",
    "rating_reason": "評価理由",
    "results": "実績",
    "challenges": "課題",
    "way_forward": "今後の方向性",
    "committee_opinion": "委員会意見(項目)",
    "opinion_no": "番号",
    "committee": "委員会",
    "opinion": "委員会の意見(計画全体)",
}
"""Japanese meaning of every published column (labels.COLUMNS plus the open-data extras)."""

BREAKDOWN_NOTE = "all: 計画全体 / target:<取組目標>: 取組目標別"

CODE_NOTES: dict[tuple[str, str], str] = {
    ("indicators.csv", "direction"): "higher: 高いほど良い / lower: 低いほど良い",
    ("indicators.csv", "value_status"): "final: 確定 / preliminary: 速報 (空欄は確定として扱う)",
    ("indicators.csv", "row_kind"): "indicator: 指標全体の評価 / series: 系列ごとの値と評価",
    ("indicators.csv", "rule"): "city.yaml の indicator_rules のID",
    ("indicators.csv", "progress"): "(実績値−基準値)÷(目標値−基準値)。1 = 100%",
    ("indicators.csv", "ratio"): "目標達成度 (実績値÷目標値など)。1 = 100%",
    ("indicators.csv", "value"): "指標の単位での値。空欄は実績値なし",
}
"""What the codes and numbers of some published columns mean (columns.csv notes)."""

FORMULA_NOTE = (
    "文字の値が = + - @ (全角を含む)、タブ、改行で始まるときは、表計算ソフトが数式として"
    "実行しないよう先頭に ' を付けています"
)
"""How neutralised text cells are marked (columns.csv note of every text column)."""


def _iso_date(value: Any) -> str | None:
    """``YYYY-MM-DD`` of a timestamp, ``None`` when missing."""
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


DATE_FORMATS: dict[str, str] = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
"""How a date is written in events.csv, by the precision the source gives (others: empty)."""


def _date_at_precision(value: Any, precision: str) -> str | None:
    """The date only as precise as the source: 2009-10 for 平成21年10月, empty for 年度 only."""
    fmt = DATE_FORMATS.get(precision)
    if fmt is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime(fmt)


def _is_published_breakdown(breakdown: str) -> bool:
    return breakdown == "all" or breakdown.startswith("target:")


def achievement_table(city: Any) -> pd.DataFrame:
    """achievement.csv: :func:`helpers.views.metrics.achievement` in the published column order."""
    frame = metrics.achievement(city)
    frame = frame.loc[[_is_published_breakdown(str(b)) for b in frame["breakdown"]]].copy()
    frame["as_of_date"] = [_iso_date(v) for v in frame["as_of_date"]]
    return frame[list(metrics.ACHIEVEMENT_COLUMNS)].reset_index(drop=True)


def _status_classes(city: Any) -> dict[tuple[str, str], str]:
    """(plan_id, status code) -> generic class, through each plan's scale."""
    classes: dict[tuple[str, str], str] = {}
    for plan_id in city.plans["plan_id"]:
        scale = city.scale_of(plan_id)
        if scale is not None:
            classes.update({(plan_id, c): k for c, k in scale.classes().items()})
    return classes


def _uses_round(city: Any) -> bool:
    """Whether the data holds any answer of an evaluation round (or an item's 担当課)."""
    columns = [c for c in ROUND_ITEM_COLUMNS if c != "department"]
    return bool(
        city.items["department"].notna().any()
        or any(city.statuses[c].notna().any() for c in columns)
    )


def items_table(city: Any) -> pd.DataFrame:
    """items.csv: one row per item and evaluation (items never evaluated: one empty row)."""
    items = city.items.rename(columns={"name": "item_name"})
    statuses = city.statuses.rename(columns={"page": "status_page"})
    answers = [c for c in ROUND_ITEM_COLUMNS if c != "department"]
    merged = items.merge(
        statuses[
            ["plan_id", "item_no", "as_of", "as_of_date", "status", "status_page", *answers]
        ].rename(columns=ROUND_ITEM_COLUMNS),
        on=["plan_id", "item_no"],
        how="left",
    )
    classes = _status_classes(city)
    merged["status_class"] = [
        None if pd.isna(s) else classes.get((p, s))
        for p, s in zip(merged["plan_id"], merged["status"], strict=True)
    ]
    order = {pid: n for n, pid in enumerate(city.plans["plan_id"])}
    merged["_plan_order"] = [order.get(p, len(order)) for p in merged["plan_id"]]
    merged = merged.sort_values(
        ["_plan_order", "item_no", "as_of_date"], kind="stable", na_position="first"
    )
    merged["as_of_date"] = [_iso_date(v) for v in merged["as_of_date"]]
    columns = list(ITEM_COLUMNS)
    if _uses_round(city):
        columns += list(ROUND_ITEM_COLUMNS.values())
    return merged[columns].reset_index(drop=True)


def opinions_table(city: Any) -> pd.DataFrame:
    """opinions.csv: the committee's opinions per plan and evaluation, in order."""
    opinions = city.opinions.sort_values(["plan_id", "as_of_date", "opinion_no"], kind="stable")
    opinions = opinions.assign(as_of_date=[_iso_date(v) for v in opinions["as_of_date"]])
    return opinions[list(OPINION_COLUMNS)].reset_index(drop=True)


def events_table(city: Any) -> pd.DataFrame:
    """events.csv: every event, with its fiscal year (both forms) and plan period."""
    events = city.events.copy()
    events["fiscal_year_label"] = [
        None if pd.isna(fy) else fiscal_year_label(int(fy)) for fy in events["fiscal_year"]
    ]
    names = dict(zip(city.plans["plan_id"], city.plans["short_name"], strict=True))
    events["period_plan_name"] = [
        None if p is None or pd.isna(p) else names.get(p) for p in events["period_plan_id"]
    ]
    events["date"] = [
        _date_at_precision(d, str(p))
        for d, p in zip(events["date"], events["precision"], strict=True)
    ]
    return events[list(EVENT_COLUMNS)].reset_index(drop=True)


def indicators_table(city: Any) -> pd.DataFrame:
    """indicators.csv: every plan's indicators rated in every fiscal year with an actual."""
    frames = [
        indicator_views.indicator_ratings(city, str(plan_id)) for plan_id in city.plans["plan_id"]
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(INDICATOR_COLUMNS))
    rated = pd.concat(frames, ignore_index=True)
    rated["fiscal_year_label"] = [fiscal_year_label(int(y)) for y in rated["fiscal_year"]]
    for column in ("ratio", "progress"):
        rated[column] = [
            None if v is None or pd.isna(v) or v in (float("inf"), float("-inf")) else float(v)
            for v in rated[column]
        ]
        rated[column] = rated[column].astype("float64")
    rated["agrees"] = rated["agrees"].astype("boolean")
    return rated[list(INDICATOR_COLUMNS)].reset_index(drop=True)


def _is_text_column(series: pd.Series) -> bool:
    """Whether a column holds text (formulas are neutralised there), not numbers or flags."""
    dtype = series.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def _column_note(column: str, series: pd.Series, file: str = "") -> str | None:
    notes = [BREAKDOWN_NOTE] if column == "breakdown" else []
    if (file, column) in CODE_NOTES:
        notes.append(CODE_NOTES[(file, column)])
    if _is_text_column(series):
        notes.append(FORMULA_NOTE)
    return " / ".join(notes) or None


def columns_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """columns.csv: file, column, Japanese label and note of every published column.

    The note of every text column says how formula-like values are neutralised.
    """
    rows = [
        {
            "file": file,
            "column": column,
            "label": COLUMN_LABELS.get(column, ""),
            "note": _column_note(column, frame[column], file),
        }
        for file, frame in tables.items()
        for column in frame.columns
    ]
    return pd.DataFrame(rows, columns=["file", "column", "label", "note"])


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised (:func:`neutralise_formula`)."""
    out = frame.copy()
    for column in out.columns:
        if not _is_text_column(out[column]):
            continue
        original = list(out[column])
        values = [neutralise_formula(v) for v in original]
        if any(new is not old for new, old in zip(values, original, strict=True)):
            out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV bytes: UTF-8 with BOM, CRLF, empty cells for missing values, no index.

    Text cells are neutralised first (:func:`neutralise_formulas`): every file written here is
    safe to open in a spreadsheet.
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator=LINE_END, na_rep="")
    return text.encode(ENCODING)


def open_data_tables(city: Any) -> dict[str, pd.DataFrame]:
    """Every open data table by file name, ``columns.csv`` last."""
    tables = {
        "achievement.csv": achievement_table(city),
        "items.csv": items_table(city),
        "events.csv": events_table(city),
    }
    if not city.indicators.empty:
        tables["indicators.csv"] = indicators_table(city)
    if not city.opinions.empty:
        tables["opinions.csv"] = opinions_table(city)
    return {**tables, "columns.csv": columns_table(tables)}


def open_data_files(city: Any) -> dict[str, bytes]:
    """Every open data file (name -> bytes) of a loaded city (``helpers.data.CityData``)."""
    return {name: to_csv_bytes(frame) for name, frame in open_data_tables(city).items()}


def write_open_data(city: Any, folder: str | Path) -> list[Path]:
    """Write the open data files into ``folder`` (each atomically); return their paths."""
    paths = []
    for name, data in open_data_files(city).items():
        path = Path(folder) / name
        write_bytes_atomic(path, data)
        paths.append(path)
    return paths
