"""Evaluation views computed from the loaded plan data (see ``helpers.data.load_city``).

Every function is pure: it takes DataFrames (and the rating scale where needed) and returns
a new DataFrame or dict; nothing is read from disk and the inputs are never modified.

Conventions
-----------
* Status levels are mapped to their generic class (``achieved`` / ``partial`` /
  ``not_achieved``) through the plan's scale, so any scale declared in config works.
* ``n_items`` counts the items that HAVE a status at the evaluation time (the denominator of
  every rate); items of the plan without a status then are counted in ``n_unrated``.
* Rates are fractions 0-1: ``rate_strict = achieved / n_items`` and
  ``rate_incl_partial = (achieved + partial) / n_items``; NA when ``n_items`` is 0.
* A figure stated by the document (``reported``) is never mixed into a computed rate: a plan
  known only by a reported aggregate gets a row with ``source == "reported"`` and NA counts.
"""

from __future__ import annotations

import calendar
import itertools
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import pandas as pd

from helpers.data.dates import era_year_label, fiscal_year_label, fiscal_year_of
from helpers.views import labels
from helpers.views.formatting import is_missing, jp_brackets, text_or_none

ACHIEVEMENT_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "breakdown",
    "n_items",
    "achieved",
    "partial",
    "not_achieved",
    "rate_strict",
    "rate_incl_partial",
    "source",
    "as_of",
    "wording",
    "note",
    "plan_name",
    "breakdown_label",
    "n_unrated",
    "as_of_date",
    "start_fy",
    "end_fy",
)
COUNT_COLUMNS: tuple[str, ...] = ("n_items", "achieved", "partial", "not_achieved", "n_unrated")
RATE_COLUMNS: tuple[str, ...] = ("rate_strict", "rate_incl_partial")
MEASURES: tuple[str, ...] = RATE_COLUMNS

_EPSILON = 1e-9


class ScaleLike(Protocol):
    """A rating scale: ``levels`` has code, label, order (1 = best), cls."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def levels(self) -> pd.DataFrame: ...


class CityLike(Protocol):
    """The parts of ``helpers.data.CityData`` the metrics read."""

    @property
    def plans(self) -> pd.DataFrame: ...

    @property
    def items(self) -> pd.DataFrame: ...

    @property
    def statuses(self) -> pd.DataFrame: ...

    @property
    def reported(self) -> pd.DataFrame: ...

    @property
    def goals(self) -> pd.DataFrame: ...

    @property
    def scales(self) -> Mapping[str, ScaleLike]: ...

    @property
    def target_levels(self) -> pd.DataFrame: ...


# --------------------------------------------------------------------------------------------
# small shared helpers
# --------------------------------------------------------------------------------------------


def _to_timestamp(as_of: Any) -> pd.Timestamp | None:
    """Return ``as_of`` as a Timestamp (None stays None)."""
    if as_of is None:
        return None
    stamp = pd.Timestamp(as_of)
    if pd.isna(stamp):
        raise ValueError(f"as_of is not a date: {as_of!r}")
    return stamp


def _ratio(numerator: int, denominator: int) -> float | None:
    """Return numerator / denominator, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def fiscal_year_text(fy: int) -> str:
    """A fiscal year for readers, both forms with full-width brackets: "平成22年度（2010年度）"."""
    return f"{era_year_label(fy)}（{fy}年度）"


def period_label(start_fy: int, end_fy: int) -> str:
    """Return a plan period in both forms, e.g. "平成21年度～平成25年度（2009～2013年度）"."""
    sep = labels.PERIOD_SEPARATOR
    era = f"{era_year_label(start_fy)}{sep}{era_year_label(end_fy)}"
    return f"{era}（{start_fy}{sep}{end_fy}年度）"


def scale_for_plan(plans: pd.DataFrame, scales: Mapping[str, ScaleLike], plan_id: str) -> Any:
    """Return the Scale of a plan, or None when the plan declares no scale."""
    row = plans.loc[plans["plan_id"] == plan_id]
    if row.empty:
        raise KeyError(f"unknown plan_id: {plan_id!r}")
    key = text_or_none(row["scale"].iloc[0])
    if key is None:
        return None
    if key not in scales:
        raise KeyError(f"plan {plan_id!r} names scale {key!r}, which is not declared")
    return scales[key]


def _ordered_plans(plans: pd.DataFrame) -> pd.DataFrame:
    """Plans sorted by start of period, then id."""
    return plans.sort_values(["start_fy", "plan_id"], kind="stable").reset_index(drop=True)


def plan_name(plan: pd.Series) -> str:
    """Short display name of a plan (short_name, else name), with full-width brackets."""
    return jp_brackets(text_or_none(plan.get("short_name")) or str(plan["name"]))


# --------------------------------------------------------------------------------------------
# statuses
# --------------------------------------------------------------------------------------------


def latest_statuses(statuses: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Return one status row per item: the latest snapshot on or before ``as_of``.

    With ``as_of=None`` the latest snapshot of each item is used. Columns are those of
    ``statuses``; items without a snapshot on or before ``as_of`` are absent.
    """
    stamp = _to_timestamp(as_of)
    frame = statuses if stamp is None else statuses.loc[statuses["as_of_date"] <= stamp]
    frame = frame.sort_values(
        ["plan_id", "item_no", "as_of_date"], kind="stable", na_position="first"
    )
    return frame.drop_duplicates(["plan_id", "item_no"], keep="last").reset_index(drop=True)


def _levels_with_labels(scale: ScaleLike) -> pd.DataFrame:
    """The scale's levels ordered by ``order``, with ``label`` defaulting to ``code``."""
    levels = scale.levels.copy()
    if "label" not in levels.columns:
        levels["label"] = levels["code"]
    levels["label"] = [
        text_or_none(label) or str(code)
        for code, label in zip(levels["code"], levels["label"], strict=True)
    ]
    return levels.sort_values("order", kind="stable").reset_index(drop=True)


def level_labels(scale: ScaleLike | None) -> dict[str, str]:
    """Display label of each level code of ``scale`` (the code where it gives none)."""
    if scale is None:
        return {}
    levels = _levels_with_labels(scale)
    return {str(c): str(label) for c, label in zip(levels["code"], levels["label"], strict=True)}


def status_words(scale: ScaleLike | None) -> labels.StatusWords:
    """The words of ``scale`` for the status classes (see :class:`labels.StatusWords`): each
    class named by the label of its level, or its levels' labels joined by "・" when several
    levels share it (B・C). Without a scale, or with a class no level uses, the generic words."""
    if scale is None:
        return labels.DEFAULT_WORDS
    levels = _levels_with_labels(scale)
    classes: dict[str, str] = {}
    for cls in labels.CLASS_ORDER:
        names = [str(n) for n in levels.loc[levels["cls"] == cls, "label"]]
        if not names:
            return labels.DEFAULT_WORDS
        classes[cls] = "・".join(names)
    return labels.StatusWords(classes)


def city_status_words(city: CityLike) -> labels.StatusWords:
    """The words every rated plan of *city* shares (one scale's words), else the generic ones: a
    page about several plans rated on different scales cannot speak one plan's words. Plans
    without a scale (known only by a reported aggregate) do not count."""
    scales = [scale_for_plan(city.plans, city.scales, str(p)) for p in city.plans["plan_id"]]
    words = [status_words(scale) for scale in scales if scale is not None]
    if words and all(dict(w.classes) == dict(words[0].classes) for w in words):
        return words[0]
    return labels.DEFAULT_WORDS


def target_labels(target_levels: pd.DataFrame | None) -> dict[str, str]:
    """Display label of each target level code (the code where city.yaml gives none)."""
    if target_levels is None or target_levels.empty:
        return {}
    given = target_levels["label"] if "label" in target_levels.columns else target_levels["code"]
    return {
        str(code): text_or_none(label) or str(code)
        for code, label in zip(target_levels["code"], given, strict=True)
    }


def _rate_items(items: pd.DataFrame, latest: pd.DataFrame, scale: ScaleLike) -> pd.DataFrame:
    """Join one plan's items with their latest status and its class.

    Returns the items with columns status, as_of, as_of_date, order, cls (NA where unrated).
    Raises ValueError when a status is not a level of ``scale``.
    """
    levels = _levels_with_labels(scale)
    latest = latest.loc[latest["plan_id"].isin(items["plan_id"].unique())]
    unknown = sorted(set(latest["status"].astype(str)) - set(levels["code"].astype(str)))
    if unknown:
        raise ValueError(f"status not in scale {scale.id!r}: {', '.join(unknown)}")
    latest = latest.astype({"status": object})
    levels = levels.astype({"code": object})
    joined = items.merge(
        latest[["plan_id", "item_no", "status", "as_of", "as_of_date"]],
        on=["plan_id", "item_no"],
        how="left",
    )
    return joined.merge(
        levels[["code", "order", "cls", "label"]].rename(columns={"code": "status"}),
        on="status",
        how="left",
    )


class _PlanRater:
    """Rates the items of many plans (what :func:`_rate_items` does for one) with one join of
    all items and their latest statuses, and one join with each scale's levels, instead of two
    joins per plan: a report of a city with many plans computes every plan's achievement."""

    def __init__(self, items: pd.DataFrame, latest: pd.DataFrame) -> None:
        self._items = items
        self._latest = latest.astype({"status": object})
        self._statuses_of = {
            plan_id: set(group.astype(str))
            for plan_id, group in self._latest.groupby("plan_id", sort=False)["status"]
        }
        self._joined: pd.DataFrame | None = None
        self._by_scale: dict[int, tuple[pd.DataFrame, dict[Any, Any]]] = {}

    def rate(self, plan_id: Any, scale: ScaleLike) -> pd.DataFrame:
        """The plan's items with status, as_of, as_of_date, order, cls and label (NA where
        unrated), in item order; ValueError when a status is not a level of *scale*."""
        levels = _levels_with_labels(scale)
        unknown = sorted(self._statuses_of.get(plan_id, set()) - set(levels["code"].astype(str)))
        if unknown:
            raise ValueError(f"status not in scale {scale.id!r}: {', '.join(unknown)}")
        if self._joined is None:
            self._joined = self._items.merge(
                self._latest[["plan_id", "item_no", "status", "as_of", "as_of_date"]],
                on=["plan_id", "item_no"],
                how="left",
            )
        if id(scale) not in self._by_scale:
            rated = self._joined.merge(
                levels.astype({"code": object})[["code", "order", "cls", "label"]].rename(
                    columns={"code": "status"}
                ),
                on="status",
                how="left",
            )
            rows = rated.groupby("plan_id", sort=False).indices
            self._by_scale[id(scale)] = (rated, rows)
        rated, rows = self._by_scale[id(scale)]
        return rated.take(rows.get(plan_id, [])).reset_index(drop=True)


def _class_counts(rated: pd.DataFrame) -> dict[str, Any]:
    """Counts per class and rates of a set of rated items (``cls`` NA = unrated)."""
    present = rated["cls"].notna().tolist()
    counted = [c for c, here in zip(rated["cls"].tolist(), present, strict=True) if here]
    achieved = counted.count("achieved")
    partial = counted.count("partial")
    not_achieved = counted.count("not_achieved")
    n_items = len(counted)
    return {
        "n_items": n_items,
        "achieved": achieved,
        "partial": partial,
        "not_achieved": not_achieved,
        "rate_strict": _ratio(achieved, n_items),
        "rate_incl_partial": _ratio(achieved + partial, n_items),
        "n_unrated": len(present) - n_items,
    }


def _as_of_summary(rated: pd.DataFrame) -> tuple[str | None, pd.Timestamp | None, bool]:
    """Written as-of, its date and whether several snapshot dates were mixed."""
    used = rated.loc[rated["as_of_date"].notna()]
    if used.empty:
        return None, None, False
    latest = used.sort_values("as_of_date", kind="stable").iloc[-1]
    mixed = used["as_of_date"].nunique() > 1
    return text_or_none(latest["as_of"]), pd.Timestamp(latest["as_of_date"]), mixed


def status_counts(
    items: pd.DataFrame,
    statuses: pd.DataFrame,
    scales: Mapping[str, ScaleLike],
    plans: pd.DataFrame,
    as_of: Any = None,
) -> pd.DataFrame:
    """Count items per plan and status level of the plan's own scale.

    One row per plan with items and a scale, and per level of that scale (zero counts
    included), in plan order then level order. Columns: plan_id, status, order, cls, label,
    count, share (count / evaluated items, NA when none is evaluated), n_items (evaluated
    items), n_unrated, as_of (written), plan_name.
    """
    latest = latest_statuses(statuses, as_of)
    rows: list[dict[str, Any]] = []
    for _, plan in _ordered_plans(plans).iterrows():
        plan_items = items.loc[items["plan_id"] == plan["plan_id"]]
        scale = scale_for_plan(plans, scales, plan["plan_id"])
        if plan_items.empty or scale is None:
            continue
        rated = _rate_items(plan_items, latest, scale)
        n_items = int(rated["status"].notna().sum())
        written, _, _ = _as_of_summary(rated)
        for _, level in _levels_with_labels(scale).iterrows():
            count = int((rated["status"] == level["code"]).sum())
            rows.append(
                {
                    "plan_id": plan["plan_id"],
                    "status": level["code"],
                    "order": int(level["order"]),
                    "cls": level["cls"],
                    "label": level["label"],
                    "count": count,
                    "share": _ratio(count, n_items),
                    "n_items": n_items,
                    "n_unrated": len(rated) - n_items,
                    "as_of": written,
                    "plan_name": plan_name(plan),
                }
            )
    columns = [
        "plan_id",
        "status",
        "order",
        "cls",
        "label",
        "count",
        "share",
        "n_items",
        "n_unrated",
        "as_of",
        "plan_name",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype(
        {"order": "int64", "count": "int64", "n_items": "int64", "n_unrated": "int64"}
    ).astype({"share": "Float64"})


# --------------------------------------------------------------------------------------------
# achievement
# --------------------------------------------------------------------------------------------


def _target_order(plan_items: pd.DataFrame, target_levels: pd.DataFrame | None) -> list[str]:
    """Target codes of a plan's items: config order first, then order of appearance."""
    present = list(dict.fromkeys(plan_items["target"].dropna().astype(str)))
    configured = [] if target_levels is None else [str(c) for c in target_levels["code"]]
    return [c for c in configured if c in present] + [c for c in present if c not in configured]


def _target_label(code: str, target_levels: pd.DataFrame | None) -> str:
    """Display label of a target level, e.g. "取組目標：実施"."""
    label = target_labels(target_levels).get(code, code)
    return f"{labels.TARGET_PREFIX_LABEL}{labels.LABEL_SEPARATOR}{label}"


def _category_label(plan_id: str, goal_no: int | None, goals: pd.DataFrame | None) -> str:
    """Display label of a category, e.g. "重点目標1：情報化基盤の整備"."""
    if goal_no is None:
        return f"{labels.CATEGORY_PREFIX_LABEL}{labels.LABEL_SEPARATOR}指定なし"
    name = None
    if goals is not None and not goals.empty:
        match = goals.loc[(goals["plan_id"] == plan_id) & (goals["goal_no"] == goal_no), "goal"]
        name = text_or_none(match.iloc[0]) if not match.empty else None
    prefix = f"{labels.CATEGORY_PREFIX_LABEL}{goal_no}"
    return f"{prefix}{labels.LABEL_SEPARATOR}{name}" if name else prefix


class _BreakdownLabels:
    """:func:`_target_label` and :func:`_category_label`, each label looked up once."""

    def __init__(self, target_levels: pd.DataFrame | None, goals: pd.DataFrame | None) -> None:
        self.target_levels = target_levels
        self._targets: dict[str, str] = {}
        self._categories: dict[tuple[Any, int | None], str] = {}
        # every goal's name at once (the first row of a plan and number, as _category_label)
        self._goal_names: dict[tuple[Any, int], Any] = {}
        if goals is not None and not goals.empty:
            for plan_id, goal_no, goal in zip(
                goals["plan_id"], goals["goal_no"], goals["goal"], strict=True
            ):
                if not is_missing(goal_no):
                    self._goal_names.setdefault((plan_id, int(goal_no)), goal)

    def target(self, code: str) -> str:
        if code not in self._targets:
            self._targets[code] = _target_label(code, self.target_levels)
        return self._targets[code]

    def category(self, plan_id: Any, goal_no: int | None) -> str:
        key = (plan_id, goal_no)
        if key not in self._categories:
            if goal_no is None:
                self._categories[key] = _category_label(plan_id, None, None)
            else:
                name = text_or_none(self._goal_names.get((plan_id, goal_no)))
                prefix = f"{labels.CATEGORY_PREFIX_LABEL}{goal_no}"
                label = f"{prefix}{labels.LABEL_SEPARATOR}{name}" if name else prefix
                self._categories[key] = label
        return self._categories[key]


def _breakdowns(
    plan_id: str,
    rated: pd.DataFrame,
    target_levels: pd.DataFrame | None,
    goals: pd.DataFrame | None,
    labels_of: _BreakdownLabels | None = None,
) -> list[tuple[str, str, pd.DataFrame]]:
    """(breakdown key, display label, rows) for all, each target level and each category.

    The rows hold the ``cls`` column only (all :func:`_class_counts` reads).
    """
    labels_of = labels_of or _BreakdownLabels(target_levels, goals)
    classes = rated[["cls"]]
    groups: list[tuple[str, str, pd.DataFrame]] = [("all", labels.BREAKDOWN_ALL, classes)]
    targets = rated["target"].astype(str)
    for code in _target_order(rated, target_levels):
        subset = classes.loc[targets == code]
        groups.append((f"target:{code}", labels_of.target(code), subset))
    if "goal_no" in rated.columns and rated["goal_no"].notna().any():
        for goal_no in sorted(int(g) for g in rated["goal_no"].dropna().unique()):
            subset = classes.loc[rated["goal_no"] == goal_no]
            label = labels_of.category(plan_id, goal_no)
            groups.append((f"category:{goal_no}", label, subset))
        without = classes.loc[rated["goal_no"].isna()]
        if not without.empty:
            groups.append(("category:none", labels_of.category(plan_id, None), without))
    return groups


def _reported_at(reported: pd.DataFrame, plan_id: str, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """The plan's reported figures valid at ``as_of``: the latest dated group (undated kept)."""
    rows = reported.loc[reported["plan_id"] == plan_id]
    if as_of is not None:
        rows = rows.loc[rows["as_of_date"].isna() | (rows["as_of_date"] <= as_of)]
    if rows.empty:
        return rows
    dated = rows.loc[rows["as_of_date"].notna()]
    if dated.empty:
        return rows
    return dated.loc[dated["as_of_date"] == dated["as_of_date"].max()]


def _reported_row(plan: pd.Series, figures: pd.DataFrame) -> dict[str, Any]:
    """An achievement row for a plan known only by reported aggregates."""
    rates: dict[str, float | None] = dict.fromkeys(RATE_COLUMNS)
    for _, figure in figures.iterrows():
        measure = str(figure["measure"])
        if measure not in rates:
            raise ValueError(f"unknown reported measure: {measure!r}")
        rates[measure] = float(figure["value"])
    wordings = [w for w in (text_or_none(w) for w in figures["wording"]) if w]
    first = figures.iloc[0]
    as_of_date = first["as_of_date"]
    return {
        "plan_id": plan["plan_id"],
        "breakdown": "all",
        "n_items": None,
        "achieved": None,
        "partial": None,
        "not_achieved": None,
        **rates,
        "source": "reported",
        "as_of": text_or_none(first["as_of"]),
        "wording": "、".join(wordings) if wordings else None,
        "note": labels.NOTE_REPORTED_ONLY,
        "plan_name": plan_name(plan),
        "n_unrated": None,
        "as_of_date": None if is_missing(as_of_date) else as_of_date,
        "breakdown_label": labels.BREAKDOWN_ALL,
    }


def _typed_achievement(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the achievement frame with its fixed column order and nullable dtypes."""
    frame = pd.DataFrame(rows, columns=list(ACHIEVEMENT_COLUMNS))
    dtypes: dict[str, str] = dict.fromkeys(COUNT_COLUMNS, "Int64")
    dtypes.update(dict.fromkeys(RATE_COLUMNS, "Float64"))
    dtypes.update({"start_fy": "Int64", "end_fy": "Int64"})
    frame = frame.astype(dtypes)
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    return frame


def achievement_from_frames(
    plans: pd.DataFrame,
    items: pd.DataFrame,
    statuses: pd.DataFrame,
    scales: Mapping[str, ScaleLike],
    reported: pd.DataFrame,
    target_levels: pd.DataFrame | None = None,
    goals: pd.DataFrame | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Achievement per plan and breakdown (see ``achievement``), from the individual frames."""
    stamp = _to_timestamp(as_of)
    latest = latest_statuses(statuses, stamp)
    rater = _PlanRater(items, latest)
    labels_of = _BreakdownLabels(target_levels, goals)
    rows: list[dict[str, Any]] = []
    for _, plan in _ordered_plans(plans).iterrows():
        plan_id = plan["plan_id"]
        period = {"start_fy": plan["start_fy"], "end_fy": plan["end_fy"]}
        plan_items = items.loc[items["plan_id"] == plan_id]
        scale = scale_for_plan(plans, scales, plan_id)
        rated = None
        if not plan_items.empty and scale is not None:
            rated = rater.rate(plan_id, scale)
        if rated is not None and rated["cls"].notna().any():
            written, date, mixed = _as_of_summary(rated)
            for key, label, subset in _breakdowns(plan_id, rated, target_levels, goals, labels_of):
                rows.append(
                    {
                        "plan_id": plan_id,
                        "breakdown": key,
                        **_class_counts(subset),
                        "source": "computed",
                        "as_of": written,
                        "wording": None,
                        "note": labels.NOTE_MIXED_AS_OF if mixed else None,
                        "plan_name": plan_name(plan),
                        "as_of_date": date,
                        "breakdown_label": label,
                        **period,
                    }
                )
            continue
        figures = _reported_at(reported, plan_id, stamp)
        if not figures.empty:
            rows.append({**_reported_row(plan, figures), **period})
        elif not plan_items.empty:
            empty = plan_items.assign(cls=pd.NA)
            rows.append(
                {
                    "plan_id": plan_id,
                    "breakdown": "all",
                    **_class_counts(empty),
                    "source": "computed",
                    "as_of": None,
                    "wording": None,
                    "note": labels.NOTE_NO_STATUS,
                    "plan_name": plan_name(plan),
                    "as_of_date": None,
                    "breakdown_label": labels.BREAKDOWN_ALL,
                    **period,
                }
            )
    return _typed_achievement(rows)


def achievement(city: CityLike, as_of: Any = None) -> pd.DataFrame:
    """Achievement per plan and breakdown at ``as_of`` (latest snapshot when None).

    One row per plan and breakdown ("all", "target:<level>", "category:<goal_no>" when the
    plan's items name goals). Leading columns: plan_id, breakdown, n_items, achieved,
    partial, not_achieved, rate_strict, rate_incl_partial, source, as_of, wording, note,
    plan_name; then n_unrated, as_of_date, breakdown_label, start_fy, end_fy.

    * computed rows: counts of evaluated items per status class; ``n_items`` excludes the
      items without a status at ``as_of`` (counted in ``n_unrated``).
    * a plan without statuses but with reported aggregates: one "all" row, NA counts, the
      reported value in the matching rate column, ``source == "reported"``.
    * a plan with items but neither statuses nor reported figures: an "all" row with
      ``n_items == 0`` and NA rates. Plans with nothing to evaluate are left out.
    """
    return achievement_from_frames(
        city.plans,
        city.items,
        city.statuses,
        city.scales,
        city.reported,
        target_levels=city.target_levels,
        goals=city.goals,
        as_of=as_of,
    )


def class_counts_long(
    achievement_df: pd.DataFrame, kind: str, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Computed achievement rows of one breakdown kind ("all", "target", "category") in long
    form: one row per plan, breakdown and status class.

    Columns: plan_id, plan_name, breakdown, breakdown_label, n_items, cls, cls_label, count,
    share (count / n_items, NA when n_items is 0), as_of.
    """
    prefix = "all" if kind == "all" else f"{kind}:"
    rows_of_kind = achievement_df.loc[
        (achievement_df["source"] == "computed")
        & achievement_df["breakdown"].astype(str).str.startswith(prefix)
    ]
    rows: list[dict[str, Any]] = []
    for _, row in rows_of_kind.iterrows():
        n_items = int(row["n_items"])
        for cls in labels.CLASS_ORDER:
            count = int(row[cls])
            rows.append(
                {
                    "plan_id": row["plan_id"],
                    "plan_name": row["plan_name"],
                    "breakdown": row["breakdown"],
                    "breakdown_label": row["breakdown_label"],
                    "n_items": n_items,
                    "cls": cls,
                    "cls_label": words.cls(cls),
                    "count": count,
                    "share": _ratio(count, n_items),
                    "as_of": row["as_of"],
                }
            )
    columns = [
        "plan_id",
        "plan_name",
        "breakdown",
        "breakdown_label",
        "n_items",
        "cls",
        "cls_label",
        "count",
        "share",
        "as_of",
    ]
    return pd.DataFrame(rows, columns=columns).astype({"share": "Float64"})


# --------------------------------------------------------------------------------------------
# reported figures
# --------------------------------------------------------------------------------------------


def reported_figures(reported: pd.DataFrame, plans: pd.DataFrame | None = None) -> pd.DataFrame:
    """The document's own aggregates, values untouched, with display labels added.

    Columns: those of ``reported`` plus measure_label, source ("reported") and plan_name
    (when ``plans`` is given).
    """
    frame = reported.copy()
    frame["measure_label"] = [labels.MEASURE_LABELS.get(str(m), str(m)) for m in frame["measure"]]
    frame["source"] = "reported"
    if plans is not None:
        names = {p["plan_id"]: plan_name(p) for _, p in plans.iterrows()}
        frame["plan_name"] = [names.get(pid) for pid in frame["plan_id"]]
    return frame.reset_index(drop=True)


def reported_tolerance(wording: str | None) -> float:
    """Allowed gap between a computed rate and a reported figure worded as ``wording``.

    * approximate wording (約, 概ね, 程度, ほぼ ...): 0.1, i.e. "rounds to the stated tenth
      within ±0.1" (0.947 is consistent with 概ね9割);
    * an exact tenth ("9割"): 0.05 (the figure rounds to that tenth);
    * an exact percentage ("73.7%" or "73.7％"): half a unit of its last digit;
    * no wording: 0 (the value itself is exact).
    """
    if not wording:
        return 0.0
    text = unicodedata.normalize("NFKC", wording)  # ％ and full-width digits read as % and 0-9
    if any(marker in text for marker in labels.APPROXIMATE_MARKERS):
        return 0.1
    if "割" in text:
        return 0.05
    if "%" in text:
        number = text.split("%")[0]
        decimals = len(number.split(".")[1]) if "." in number else 0
        return 0.5 * 10 ** (-(decimals + 2))
    return 0.0


def _numerator(row: pd.Series, measure: str) -> Any:
    """Count of items behind a computed rate."""
    if measure == "rate_strict":
        return row["achieved"]
    return row["achieved"] + row["partial"]


def reconcile_reported(achievement_df: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """Compare each reported aggregate with the computed rate of the same plan.

    Uses the computed "all" row of the plan (source "computed", n_items > 0). Columns:
    plan_id, plan_name, as_of, measure, measure_label, wording, reported_value,
    computed_value, numerator, n_items, difference (computed - reported), tolerance
    (``reported_tolerance``), consistent (True/False, NA when not comparable), note, quote,
    page.
    """
    computed = achievement_df.loc[
        (achievement_df["breakdown"] == "all")
        & (achievement_df["source"] == "computed")
        & (achievement_df["n_items"].fillna(0) > 0)
    ]
    rows: list[dict[str, Any]] = []
    for _, figure in reported.iterrows():
        measure = str(figure["measure"])
        wording = text_or_none(figure["wording"])
        match = computed.loc[computed["plan_id"] == figure["plan_id"]]
        row: dict[str, Any] = {
            "plan_id": figure["plan_id"],
            "plan_name": None,
            "as_of": text_or_none(figure["as_of"]),
            "measure": measure,
            "measure_label": labels.MEASURE_LABELS.get(measure, measure),
            "wording": wording,
            "reported_value": float(figure["value"]),
            "computed_value": None,
            "numerator": None,
            "n_items": None,
            "difference": None,
            "tolerance": reported_tolerance(wording),
            "consistent": None,
            "note": labels.NOTE_NO_COMPUTED,
            "quote": text_or_none(figure.get("quote")),
            "page": figure.get("page"),
        }
        by_plan = achievement_df.loc[achievement_df["plan_id"] == figure["plan_id"]]
        if not by_plan.empty:
            row["plan_name"] = by_plan["plan_name"].iloc[0]
        if not match.empty:
            best = match.iloc[0]
            value = float(best[measure])
            row.update(
                computed_value=value,
                numerator=int(_numerator(best, measure)),
                n_items=int(best["n_items"]),
                difference=value - float(figure["value"]),
                note=None,
            )
            reported_date = figure["as_of_date"]
            if not is_missing(reported_date) and reported_date != best["as_of_date"]:
                row["note"] = labels.NOTE_AS_OF_DIFFERS.format(
                    computed=best["as_of"], reported=figure["as_of"]
                )
            else:
                row["consistent"] = abs(row["difference"]) <= row["tolerance"] + _EPSILON
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else _CHECK_COLUMNS)
    return frame.astype(
        {
            "reported_value": "Float64",
            "computed_value": "Float64",
            "difference": "Float64",
            "tolerance": "Float64",
            "numerator": "Int64",
            "n_items": "Int64",
            "consistent": "boolean",
        }
    )


_CHECK_COLUMNS = [
    "plan_id",
    "plan_name",
    "as_of",
    "measure",
    "measure_label",
    "wording",
    "reported_value",
    "computed_value",
    "numerator",
    "n_items",
    "difference",
    "tolerance",
    "consistent",
    "note",
    "quote",
    "page",
]


# --------------------------------------------------------------------------------------------
# plan-to-plan comparison
# --------------------------------------------------------------------------------------------


def _change_note(prev: pd.Series | None, this: pd.Series) -> str | None:
    """Why a change vs the previous plan is (not) given."""
    if prev is None:
        return labels.NOTE_FIRST_PLAN
    if prev["source"] != this["source"]:
        return labels.NOTE_NOT_COMPARABLE.format(
            prev=labels.SOURCE_LABELS.get(prev["source"], prev["source"]),
            this=labels.SOURCE_LABELS.get(this["source"], this["source"]),
        )
    if all(is_missing(prev[m]) or is_missing(this[m]) for m in MEASURES):
        return labels.NOTE_NO_RATE
    return None


def evaluated_during_period(row: Any) -> bool:
    """Whether a plan's figures come from an evaluation made before its last fiscal year ended
    (令和7年3月末 for a plan to 令和8年度): a mid-term figure, not the plan's final result."""
    when = row.get("as_of_date")
    if is_missing(when) or is_missing(row.get("end_fy")):
        return False
    return fiscal_year_of(pd.Timestamp(when).date()) < int(row["end_fy"])


def comparison(achievement_df: pd.DataFrame) -> pd.DataFrame:
    """Compare the plans of one city, ordered by the start of their period.

    Uses the "all" rows. Columns: plan_id, plan_name, period, start_fy, end_fy,
    rate_strict, rate_incl_partial, source, wording, as_of, change_strict,
    change_incl_partial, note. A change is given only when this plan and the previous one
    have figures of the same source kind (computed vs computed, reported vs reported) for
    that measure; otherwise it is NA and ``note`` says why.
    """
    overall = achievement_df.loc[achievement_df["breakdown"] == "all"]
    overall = overall.sort_values(["start_fy", "plan_id"], kind="stable").reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    prev: pd.Series | None = None
    for _, this in overall.iterrows():
        changes: dict[str, float | None] = {}
        for measure in MEASURES:
            comparable = (
                prev is not None
                and prev["source"] == this["source"]
                and not is_missing(prev[measure])
                and not is_missing(this[measure])
            )
            changes[f"change_{measure.removeprefix('rate_')}"] = (
                float(this[measure]) - float(prev[measure])
                if comparable and prev is not None
                else None
            )
        has_period = not is_missing(this["start_fy"]) and not is_missing(this["end_fy"])
        rows.append(
            {
                "plan_id": this["plan_id"],
                "plan_name": this["plan_name"],
                "period": (
                    period_label(int(this["start_fy"]), int(this["end_fy"])) if has_period else None
                ),
                "start_fy": this["start_fy"],
                "end_fy": this["end_fy"],
                "rate_strict": this["rate_strict"],
                "rate_incl_partial": this["rate_incl_partial"],
                "source": this["source"],
                "wording": this["wording"],
                "as_of": this["as_of"],
                "during_period": evaluated_during_period(this),
                **changes,
                "note": _change_note(prev, this),
            }
        )
        prev = this
    columns = [
        "plan_id",
        "plan_name",
        "period",
        "start_fy",
        "end_fy",
        "rate_strict",
        "rate_incl_partial",
        "source",
        "wording",
        "as_of",
        "during_period",
        "change_strict",
        "change_incl_partial",
        "note",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype(
        {
            "start_fy": "Int64",
            "end_fy": "Int64",
            "rate_strict": "Float64",
            "rate_incl_partial": "Float64",
            "change_strict": "Float64",
            "change_incl_partial": "Float64",
        }
    )


# --------------------------------------------------------------------------------------------
# several snapshots
# --------------------------------------------------------------------------------------------


def _change(from_order: int, to_order: int) -> str:
    """improved / unchanged / worsened, by the scale's order (1 = best)."""
    if to_order < from_order:
        return "improved"
    if to_order > from_order:
        return "worsened"
    return "unchanged"


def status_history(items: pd.DataFrame, statuses: pd.DataFrame, scale: ScaleLike) -> pd.DataFrame:
    """Per item and consecutive pair of its snapshots: the status before, after and the change.

    Columns: plan_id, item_no, item_name, from_as_of, from_as_of_date, to_as_of,
    to_as_of_date, from_status, to_status, from_label, to_label, from_cls, to_cls,
    from_order, to_order, change ("improved" | "unchanged" | "worsened"), change_label.
    Items with a single snapshot give no row. ``statuses`` must use ``scale``'s codes.
    """
    levels = _levels_with_labels(scale).set_index("code")
    unknown = sorted(set(statuses["status"].astype(str)) - set(levels.index.astype(str)))
    if unknown:
        raise ValueError(f"status not in scale {scale.id!r}: {', '.join(unknown)}")
    ordered = statuses.sort_values(["plan_id", "item_no", "as_of_date"], kind="stable")
    names = {(i["plan_id"], i["item_no"]): i["name"] for _, i in items.iterrows()}
    rows: list[dict[str, Any]] = []
    for (plan_id, item_no), group in ordered.groupby(["plan_id", "item_no"], sort=False):
        snapshots = list(group.itertuples(index=False))
        for before, after in itertools.pairwise(snapshots):
            from_level = levels.loc[before.status]
            to_level = levels.loc[after.status]
            change = _change(int(from_level["order"]), int(to_level["order"]))
            rows.append(
                {
                    "plan_id": plan_id,
                    "item_no": item_no,
                    "item_name": names.get((plan_id, item_no)),
                    "from_as_of": before.as_of,
                    "from_as_of_date": before.as_of_date,
                    "to_as_of": after.as_of,
                    "to_as_of_date": after.as_of_date,
                    "from_status": before.status,
                    "to_status": after.status,
                    "from_label": from_level["label"],
                    "to_label": to_level["label"],
                    "from_cls": from_level["cls"],
                    "to_cls": to_level["cls"],
                    "from_order": int(from_level["order"]),
                    "to_order": int(to_level["order"]),
                    "change": change,
                    "change_label": labels.CHANGE_LABELS[change],
                }
            )
    columns = [
        "plan_id",
        "item_no",
        "item_name",
        "from_as_of",
        "from_as_of_date",
        "to_as_of",
        "to_as_of_date",
        "from_status",
        "to_status",
        "from_label",
        "to_label",
        "from_cls",
        "to_cls",
        "from_order",
        "to_order",
        "change",
        "change_label",
    ]
    return pd.DataFrame(rows, columns=columns)


def status_snapshots(items: pd.DataFrame, statuses: pd.DataFrame, scale: ScaleLike) -> pd.DataFrame:
    """Every recorded snapshot of every item with its level label, class and order.

    Columns: plan_id, item_no, item_name, as_of, as_of_date, status, label, cls, order,
    change (vs the item's previous snapshot; NA for its first), change_label.
    """
    history = status_history(items, statuses, scale)
    levels = _levels_with_labels(scale)
    frame = statuses.merge(
        levels[["code", "label", "cls", "order"]].rename(columns={"code": "status"}),
        on="status",
        how="left",
    )
    names = items[["plan_id", "item_no", "name"]].rename(columns={"name": "item_name"})
    frame = frame.merge(names, on=["plan_id", "item_no"], how="left")
    changes = history[["plan_id", "item_no", "to_as_of_date", "change", "change_label"]].rename(
        columns={"to_as_of_date": "as_of_date"}
    )
    frame = frame.merge(changes, on=["plan_id", "item_no", "as_of_date"], how="left")
    columns = [
        "plan_id",
        "item_no",
        "item_name",
        "as_of",
        "as_of_date",
        "status",
        "label",
        "cls",
        "order",
        "change",
        "change_label",
    ]
    return (
        frame[columns]
        .sort_values(["plan_id", "item_no", "as_of_date"], kind="stable")
        .reset_index(drop=True)
    )


def rates_over_time(items: pd.DataFrame, statuses: pd.DataFrame, scale: ScaleLike) -> pd.DataFrame:
    """Achievement of each plan at every snapshot date found in ``statuses``.

    At each date every item counts with its latest status on or before that date. Columns:
    plan_id, as_of, as_of_date, n_items, achieved, partial, not_achieved, rate_strict,
    rate_incl_partial, n_unrated.
    """
    rows: list[dict[str, Any]] = []
    for plan_id, plan_statuses in statuses.groupby("plan_id", sort=True):
        plan_items = items.loc[items["plan_id"] == plan_id]
        snapshots = (
            plan_statuses[["as_of", "as_of_date"]]
            .drop_duplicates("as_of_date")
            .sort_values("as_of_date", kind="stable")
        )
        for _, snapshot in snapshots.iterrows():
            latest = latest_statuses(plan_statuses, snapshot["as_of_date"])
            rated = _rate_items(plan_items, latest, scale)
            rows.append(
                {
                    "plan_id": plan_id,
                    "as_of": snapshot["as_of"],
                    "as_of_date": snapshot["as_of_date"],
                    **_class_counts(rated),
                }
            )
    columns = [
        "plan_id",
        "as_of",
        "as_of_date",
        "n_items",
        "achieved",
        "partial",
        "not_achieved",
        "rate_strict",
        "rate_incl_partial",
        "n_unrated",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"rate_strict": "Float64", "rate_incl_partial": "Float64"})


# --------------------------------------------------------------------------------------------
# timeline
# --------------------------------------------------------------------------------------------


def plan_periods(plans: pd.DataFrame) -> pd.DataFrame:
    """Plan periods for a timeline, ordered by start.

    Columns: plan_id, name, short_name, start_fy, end_fy, start_label, end_label
    (e.g. "平成21年度 (2009)"), period_label.
    """
    rows = [
        {
            "plan_id": plan["plan_id"],
            "name": plan["name"],
            "short_name": plan_name(plan),
            "start_fy": int(plan["start_fy"]),
            "end_fy": int(plan["end_fy"]),
            "start_label": fiscal_year_label(int(plan["start_fy"])),
            "end_label": fiscal_year_label(int(plan["end_fy"])),
            "period_label": period_label(int(plan["start_fy"]), int(plan["end_fy"])),
        }
        for _, plan in _ordered_plans(plans).iterrows()
    ]
    columns = [
        "plan_id",
        "name",
        "short_name",
        "start_fy",
        "end_fy",
        "start_label",
        "end_label",
        "period_label",
    ]
    return pd.DataFrame(rows, columns=columns)


def _position(fiscal_year: int, precision: str, date: Any) -> float:
    """Place an event on a fiscal-year axis where year N spans [N - 0.5, N + 0.5).

    Events known to the month or day sit at their share of the fiscal year (April first);
    events known only by year or fiscal year sit in the middle of the year; "fiscal_year_end"
    sits at the end of the year.
    """
    if precision == "fiscal_year_end":
        return fiscal_year + 0.45
    if precision in ("month", "day") and not is_missing(date):
        stamp = pd.Timestamp(date)
        months = (stamp.month - 4) % 12
        if precision == "month":
            within = 0.5
        else:
            within = (stamp.day - 0.5) / calendar.monthrange(stamp.year, stamp.month)[1]
        return fiscal_year - 0.5 + (months + within) / 12
    return float(fiscal_year)


def timeline_events(events: pd.DataFrame) -> pd.DataFrame:
    """Dated events (fiscal year known) with their place on a fiscal-year axis.

    Columns: event_id, fiscal_year, fiscal_year_label, date_written, precision, position,
    event, kind, period_plan_id, in_chart, page, note; ordered by position.
    """
    dated = events.loc[events["fiscal_year"].notna()].copy()
    dated["fiscal_year"] = dated["fiscal_year"].astype("int64")
    dated["fiscal_year_label"] = [fiscal_year_label(int(fy)) for fy in dated["fiscal_year"]]
    dated["position"] = [
        _position(int(fy), str(precision), date)
        for fy, precision, date in zip(
            dated["fiscal_year"], dated["precision"], dated["date"], strict=True
        )
    ]
    columns = [
        "event_id",
        "fiscal_year",
        "fiscal_year_label",
        "date_written",
        "precision",
        "position",
        "event",
        "kind",
        "period_plan_id",
        "in_chart",
        "page",
        "note",
    ]
    ordered = dated.sort_values(["position", "event_id"], kind="stable")
    return ordered[columns].reset_index(drop=True)


def undated_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events whose time is unknown: no fiscal year and not placed in a plan's period (left out
    of charts, listed in tables)."""
    columns = ["event_id", "date_written", "event", "kind", "in_chart", "page", "note"]
    unknown = events["fiscal_year"].isna() & (events["precision"] != "plan_period")
    return events.loc[unknown, columns].reset_index(drop=True)


def period_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events the source places in a plan's period without a year (precision ``plan_period``).

    Columns: event_id, period_plan_id, event, kind, in_chart, page, note (and group when the
    events carry one)."""
    columns = ["event_id", "period_plan_id", "event", "kind", "in_chart", "page", "note"]
    columns += ["group"] if "group" in events.columns else []
    during = events.loc[events["precision"] == "plan_period", columns]
    return during.reset_index(drop=True)


def event_group(kind: Any, event_kinds: Mapping[str, str] | None = None) -> str:
    """The timeline group of an event's 種別: city.yaml ``event_kinds`` first, then the
    generic defaults, else "other"."""
    text = text_or_none(kind)
    if text is None:
        return labels.DEFAULT_EVENT_GROUP
    if event_kinds and text in event_kinds:
        return event_kinds[text]
    return labels.DEFAULT_EVENT_KINDS.get(text, labels.DEFAULT_EVENT_GROUP)


def with_event_groups(
    events: pd.DataFrame, event_kinds: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The events with a ``group`` column (see :func:`event_group`)."""
    grouped = events.copy()
    grouped["group"] = [event_group(k, event_kinds) for k in grouped["kind"]]
    return grouped


def _joined(texts: Iterable[Any]) -> str:
    """Join event texts for a table cell."""
    return "、".join(str(t) for t in texts)


def events_per_fiscal_year(events: pd.DataFrame) -> pd.DataFrame:
    """Number of dated events per fiscal year.

    Columns: fiscal_year, fiscal_year_label, period_plan_id, n_events, n_in_chart, events
    (texts joined with "、"); only years with events, ascending.
    """
    dated = timeline_events(events)
    rows = [
        {
            "fiscal_year": int(fy),
            "fiscal_year_label": fiscal_year_label(int(fy)),
            "period_plan_id": next((p for p in group["period_plan_id"] if not is_missing(p)), None),
            "n_events": len(group),
            "n_in_chart": int(group["in_chart"].fillna(False).astype(bool).sum()),
            "events": _joined(group["event"]),
        }
        for fy, group in dated.groupby("fiscal_year", sort=True)
    ]
    columns = [
        "fiscal_year",
        "fiscal_year_label",
        "period_plan_id",
        "n_events",
        "n_in_chart",
        "events",
    ]
    return pd.DataFrame(rows, columns=columns)


def golives_per_plan(
    events: pd.DataFrame,
    plans: pd.DataFrame,
    kinds: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Systems going live per fiscal year within each plan's period.

    Go-lives are the events of ``kinds`` (種別 values), else those whose ``group`` column is
    "golive", else those of the generic go-live kinds. One row per plan and fiscal year of its
    period (zero years included), then, for a plan with go-lives the source places in its period
    without a year, one row with ``fiscal_year`` NA and ``fiscal_year_label`` saying so.
    Columns: plan_id, plan_name, fiscal_year, fiscal_year_label, n_events, events.
    """
    if kinds is not None:
        is_golive = events["kind"].isin(list(kinds))
    elif "group" in events.columns:
        is_golive = events["group"] == "golive"
    else:
        is_golive = events["kind"].isin(list(labels.GOLIVE_KINDS))
    golives = events.loc[is_golive]
    dated = timeline_events(golives)
    during = period_events(golives)
    rows: list[dict[str, Any]] = []
    for _, plan in _ordered_plans(plans).iterrows():
        for fy in range(int(plan["start_fy"]), int(plan["end_fy"]) + 1):
            in_year = dated.loc[dated["fiscal_year"] == fy]
            rows.append(
                {
                    "plan_id": plan["plan_id"],
                    "plan_name": plan_name(plan),
                    "fiscal_year": fy,
                    "fiscal_year_label": fiscal_year_text(fy),
                    "n_events": len(in_year),
                    "events": _joined(in_year["event"]),
                }
            )
        in_period = during.loc[during["period_plan_id"] == plan["plan_id"]]
        if not in_period.empty:
            rows.append(
                {
                    "plan_id": plan["plan_id"],
                    "plan_name": plan_name(plan),
                    "fiscal_year": None,
                    "fiscal_year_label": labels.PERIOD_NO_YEAR,
                    "n_events": len(in_period),
                    "events": _joined(in_period["event"]),
                }
            )
    columns = ["plan_id", "plan_name", "fiscal_year", "fiscal_year_label", "n_events", "events"]
    return pd.DataFrame(rows, columns=columns).astype({"fiscal_year": "Int64"})


# --------------------------------------------------------------------------------------------
# headline
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# headline
# --------------------------------------------------------------------------------------------


def headline_figures(achievement_df: pd.DataFrame, plan_id: str) -> dict[str, Any]:
    """Headline figures of one plan from an achievement table (its "all" row).

    Keys: plan_id, plan_name, source, as_of, wording, n_items, n_unrated, achieved, partial,
    not_achieved, rate_strict, rate_incl_partial (None where NA). KeyError when the plan has no
    "all" row. :func:`helpers.views.sentences.headline_from_achievement` adds the sentences.
    """
    match = achievement_df.loc[
        (achievement_df["plan_id"] == plan_id) & (achievement_df["breakdown"] == "all")
    ]
    if match.empty:
        raise KeyError(f"no achievement figures for plan {plan_id!r}")
    row = match.iloc[0]
    keys = ["n_items", "n_unrated", "achieved", "partial", "not_achieved"]
    figures: dict[str, Any] = {k: None if is_missing(row[k]) else int(row[k]) for k in keys}
    for measure in MEASURES:
        figures[measure] = None if is_missing(row[measure]) else float(row[measure])
    return {
        "plan_id": plan_id,
        "plan_name": row["plan_name"],
        "source": row["source"],
        "as_of": text_or_none(row["as_of"]),
        "wording": text_or_none(row["wording"]),
        **figures,
    }
