"""Indicators rated by each body's own rule: ratings, progress toward the target, distributions.

The rules come from city.yaml (:class:`helpers.data.contracts.RuleConfig`); nothing about a body's
levels is written here. :func:`rate` rates one value; :func:`indicator_ratings` rates every
indicator (and each of its series) of a plan in every fiscal year that has actuals;
:func:`rating_distribution`, :func:`ratings_by_goal` and :func:`disagreements` summarise one
year. Every rating carries ``reason``: the numbers that decided it, in Japanese.

How a value is rated (``data/README.md`` has worked examples)
------------------------------------------------------------
* No actual for the year (no row, an empty value or a dash): the rule's ``missing`` level.
* ``movement``: the target of the year (an interim target, else the final one) met or beaten
  -> ``target_met``; else the change from the baseline, counted in the good direction, is
  compared with the tolerance (absolute, or relative to ``|baseline|``): more than it ->
  ``improved``, within it (edges included) -> ``unchanged``, below minus it -> ``worsened``.
* ``ratio``: the achievement ratio (``basis: target``: actual / target, lower-is-better
  target / actual; ``basis: progress``: (actual - baseline) / (target - baseline)); a met target
  counts at least 100 %, a target not better than the baseline under ``progress`` gives 100 %
  when met and 0 % otherwise; the best level whose ``min`` the ratio reaches, else the last.
* Comparisons are made on values rounded to 9 decimals, so 56 / 70 is exactly 80 %.
* Sub-series are rated one by one and combined by the indicator's 系列の統合: ``worst`` (any
  series missing -> missing), ``best`` (missing only when every series is), ``mean`` (the mean
  ratio of the series, rated by the rule; any series missing -> missing).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.data.contracts import MISSING_CONDITION, RuleConfig, RuleLevelConfig
from helpers.data.dates import era_year_label
from helpers.views.formatting import format_number, is_missing
from helpers.views.sentences import jp_brackets

_DECIMALS = 9

RATING_COLUMNS: tuple[str, ...] = (
    "plan_id",
    "indicator_id",
    "series",
    "row_kind",
    "name",
    "unit",
    "direction",
    "goal_no",
    "goal",
    "item_no",
    "rule",
    "decimals",
    "fiscal_year",
    "baseline",
    "baseline_fy",
    "target",
    "target_fy",
    "year_target",
    "value",
    "value_status",
    "previous_value",
    "change",
    "progress",
    "ratio",
    "condition",
    "rating",
    "rating_label",
    "rating_order",
    "published_rating",
    "published_label",
    "agrees",
    "reason",
    "note",
)
"""Columns of :func:`indicator_ratings`, in order. ``row_kind`` is ``indicator`` (the rating of
the whole indicator: its only row, or its series combined, ``series`` empty) or ``series``."""

#: The reader's name of an indicator's share of its target (実績値÷目標値, a ratio rule's measure):
#: distinct from 達成率, the share of a plan's items achieved, which the same report shows.
RATIO_TERM = "目標達成度"

CONDITION_WORDS: dict[str, str] = {
    "target_met": "目標を達成",
    "improved": "改善",
    "unchanged": "許容幅以内",
    "worsened": "悪化",
    MISSING_CONDITION: "実績値なし",
    "ratio": RATIO_TERM,
}


@dataclass(frozen=True)
class Rating:
    """The rating of one value: the level, what decided it and the figures behind it.

    ``condition`` is a movement condition, ``missing``, or ``ratio``; ``change`` the change from
    the baseline (actual - baseline, as measured); ``band`` the tolerance in the indicator's
    unit; ``ratio`` the achievement ratio (1.0 = 100 %) of ratio rules.
    """

    level: RuleLevelConfig
    condition: str
    target: float | None = None
    change: float | None = None
    band: float | None = None
    ratio: float | None = None

    @property
    def code(self) -> str:
        """The level's code."""
        return self.level.code


def _round(value: float) -> float:
    return round(value, _DECIMALS)


def _missing(value: Any) -> bool:
    return value is None or is_missing(value) or (isinstance(value, float) and math.isnan(value))


def rated_levels(rule: RuleConfig) -> tuple[RuleLevelConfig, ...]:
    """The rule's levels that rate a value (the missing level left out), best first."""
    return tuple(level for level in rule.levels if MISSING_CONDITION not in level.when)


def missing_level(rule: RuleConfig) -> RuleLevelConfig:
    """The level of a missing actual (評価できない)."""
    level = rule.level_for(MISSING_CONDITION)
    if level is None:  # checked when city.yaml is read
        raise ValueError(f"rule {rule.id} has no level for a missing actual")
    return level


def level_order(rule: RuleConfig, code: str) -> int | None:
    """0 for the best level, 1 for the next …; ``None`` for the missing level."""
    for order, level in enumerate(rated_levels(rule)):
        if level.code == code:
            return order
    return None


def target_met(value: float, target: float | None, direction: str) -> bool:
    """Whether ``value`` meets or beats ``target`` in the good direction."""
    if target is None or _missing(target):
        return False
    good = 1.0 if direction == "higher" else -1.0
    return _round(good * (value - target)) >= 0


def tolerance_band(rule: RuleConfig, baseline: float) -> float:
    """The tolerance of a movement rule in the indicator's unit."""
    band = rule.tolerance * abs(baseline) if rule.relative else rule.tolerance
    return _round(band)


def achievement_ratio(
    value: float, baseline: float | None, target: float, direction: str, basis: str
) -> float:
    """The share of the target reached (1.0 = 100 %), see the module docstring."""
    met = target_met(value, target, direction)
    if basis == "progress":
        good = 1.0 if direction == "higher" else -1.0
        if baseline is None or _missing(baseline) or _round(good * (target - baseline)) <= 0:
            return 1.0 if met else 0.0
        ratio = (value - baseline) / (target - baseline)
    elif direction == "higher":
        ratio = value / target if target > 0 else (1.0 if met else 0.0)
    else:
        ratio = target / value if value > 0 else math.inf
    ratio = _round(ratio) if math.isfinite(ratio) else ratio
    return max(ratio, 1.0) if met else min(ratio, math.nextafter(1.0, 0.0))


def level_for_ratio(rule: RuleConfig, ratio: float) -> RuleLevelConfig:
    """The best level whose ``min`` the ratio reaches, else the last level."""
    levels = rated_levels(rule)
    for level in levels:
        if level.min is not None and ratio >= level.min:
            return level
    return next(level for level in levels if level.min is None)


def rate(
    value: float | None,
    *,
    baseline: float | None,
    target: float | None,
    direction: str,
    rule: RuleConfig,
) -> Rating:
    """Rate one actual by ``rule`` (``target``: the target of that year). Pure."""
    if _missing(value):
        return Rating(missing_level(rule), MISSING_CONDITION, target)
    assert value is not None
    change = None if _missing(baseline) else float(value) - float(baseline)  # type: ignore[arg-type]
    if rule.kind == "ratio":
        if target is None or _missing(target):
            return Rating(missing_level(rule), MISSING_CONDITION, target, change)
        ratio = achievement_ratio(value, baseline, target, direction, rule.basis)
        return Rating(level_for_ratio(rule, ratio), "ratio", target, change, ratio=ratio)
    if target_met(value, target, direction):
        condition = "target_met"
    elif baseline is None or _missing(baseline):
        return Rating(missing_level(rule), MISSING_CONDITION, target)
    else:
        good = 1.0 if direction == "higher" else -1.0
        delta = _round(good * (value - baseline))
        band = tolerance_band(rule, baseline)
        if delta > band:
            condition = "improved"
        elif delta >= -band:
            condition = "unchanged"
        else:
            condition = "worsened"
    band = None if baseline is None or _missing(baseline) else tolerance_band(rule, baseline)
    level = rule.level_for(condition)
    assert level is not None  # every condition has a level (checked when city.yaml is read)
    return Rating(level, condition, target, change, band)


def combine(
    ratings: Sequence[Rating], how: str, rule: RuleConfig
) -> tuple[RuleLevelConfig, str, float | None]:
    """The level of an indicator measured in several series: (level, condition, mean ratio)."""
    missing = [r for r in ratings if r.condition == MISSING_CONDITION]
    known = [r for r in ratings if r.condition != MISSING_CONDITION]
    if not known or (missing and how != "best"):
        return missing_level(rule), MISSING_CONDITION, None
    if how == "mean":
        ratios = [r.ratio for r in known if r.ratio is not None]
        mean = _round(sum(ratios) / len(ratios)) if all(map(math.isfinite, ratios)) else math.inf
        return level_for_ratio(rule, mean), "ratio", mean
    orders = [(level_order(rule, r.code) or 0, r) for r in known]
    pick = max(orders, key=lambda x: x[0]) if how == "worst" else min(orders, key=lambda x: x[0])
    return pick[1].level, pick[1].condition, None


def progress(value: Any, baseline: Any, target: Any) -> float | None:
    """How far from the baseline toward the (final) target: (actual - baseline) / (target -
    baseline); ``None`` when a value is missing or the target equals the baseline."""
    if any(_missing(v) for v in (value, baseline, target)) or _round(target - baseline) == 0:
        return None
    return _round((value - baseline) / (target - baseline))


# --- reasons --------------------------------------------------------------------------------


def decimals_of(values: Iterable[Any]) -> int:
    """The decimals to show an indicator's values with: the most any of them has (at most 2)."""
    most = 0
    for value in values:
        if _missing(value) or not math.isfinite(float(value)):
            continue
        text = f"{float(value):.6f}".rstrip("0").rstrip(".")
        most = max(most, len(text.split(".")[1]) if "." in text else 0)
    return min(most, 2)


def quantity_text(value: Any, unit: Any, decimals: int | None = None) -> str:
    """A value with its unit: "32.8%", "24,010件" (``decimals`` fixed, else as needed)."""
    if _missing(value):
        return "—"
    places = decimals_of([value]) if decimals is None else decimals
    text = format_number(float(value), decimals=places)  # half up; whole numbers bare
    if places and "." not in text:
        text = f"{text}.{'0' * places}"
    return f"{text}{'' if _missing(unit) else unit}"


def _amount(change: float, unit: Any, decimals: int) -> str:
    """A change or a tolerance with its unit (percentage points for % indicators)."""
    word = "ポイント" if unit == "%" else ("" if _missing(unit) else str(unit))
    return f"{quantity_text(abs(change), None, decimals)}{word}"


def percent_text(ratio: float) -> str:
    """An achievement ratio or threshold: "96.0%", "80%" (whole thresholds without decimals)."""
    if not math.isfinite(ratio):
        return "計算できない（実績値 0）"
    whole = _round(ratio * 100).is_integer()
    return format_number(ratio, percent=True, decimals=0 if whole else 1)


def _ratio_text(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "計算できない（実績値 0）"
    return format_number(ratio, percent=True)


def reason_text(
    rating: Rating,
    *,
    value: Any,
    baseline: Any,
    unit: Any,
    direction: str,
    rule: RuleConfig,
    decimals: int | None = None,
    year_target: bool = False,
) -> str:
    """Why ``rating`` was given, with its numbers, e.g. "実績値 32.8% は基準値 20.7% から
    12.1ポイント改善し、許容幅(±5ポイント)を超えるため「前進B」"."""
    places = decimals_of([value, baseline, rating.target]) if decimals is None else decimals
    level = f"「{rating.level.label}」"
    if rating.condition == MISSING_CONDITION:
        if _missing(value):
            return f"この年度の実績値がないため{level}"
        return f"目標値がないため{level}"
    actual = quantity_text(value, unit, places)
    target = ("年度目標 " if year_target else "目標値 ") + quantity_text(
        rating.target, unit, places
    )
    if rating.condition == "ratio":
        assert rating.ratio is not None
        if rule.basis == "progress":
            base = quantity_text(baseline, unit, places)
            formula = f"（実績値 {actual} − 基準値 {base}）÷（{target} − 基準値 {base}）"
        elif direction == "higher":
            formula = f"実績値 {actual} ÷ {target}"
        else:
            formula = f"{target} ÷ 実績値 {actual}"
        threshold = rating.level.min
        if threshold is not None:
            bound = f"{percent_text(threshold)}以上"
        else:
            lowest = min((lv.min for lv in rated_levels(rule) if lv.min is not None), default=None)
            bound = f"{percent_text(lowest)}未満" if lowest is not None else "下限なし"
        return f"{RATIO_TERM} = {formula} = {_ratio_text(rating.ratio)}。{bound}のため{level}"
    if rating.condition == "target_met":
        comparison = "以上" if direction == "higher" else "以下"
        return f"実績値 {actual} が{target} {comparison}のため{level}"
    assert rating.change is not None and rating.band is not None
    base = quantity_text(baseline, unit, places)
    good = rating.change if direction == "higher" else -rating.change
    band = f"±{_amount(rating.band, unit, decimals_of([rating.band]))}"
    if rule.relative:
        band += f"、基準値の{percent_text(rule.tolerance)}"
    if _round(good) == 0:
        moved = f"と同じで、許容幅（{band}）以内の"
    elif rating.condition == "unchanged":
        word = "改善" if good > 0 else "悪化"
        moved = f"から{_amount(good, unit, places)}{word}したが、許容幅（{band}）以内の"
    else:
        word = "改善" if rating.condition == "improved" else "悪化"
        moved = f"から{_amount(good, unit, places)}{word}し、許容幅（{band}）を超える"
    return f"実績値 {actual} は基準値 {base} {moved}ため{level}"


# --- a plan's indicators ----------------------------------------------------------------------


def _year_targets(targets: pd.DataFrame) -> dict[tuple[Any, ...], float]:
    return {
        (r.plan_id, r.indicator_id, r.series, int(r.fiscal_year)): float(r.target)
        for r in targets.itertuples(index=False)
    }


def _actual_rows(actuals: pd.DataFrame) -> dict[tuple[Any, ...], Any]:
    return {
        (r.plan_id, r.indicator_id, r.series, int(r.fiscal_year)): r
        for r in actuals.itertuples(index=False)
        if not _missing(r.fiscal_year)
    }


def _none(value: Any) -> Any:
    return None if _missing(value) else value


def assessed_years(
    actuals: pd.DataFrame, plan_id: str, fiscal_year: int | None = None
) -> list[int]:
    """The fiscal years a plan's indicators are rated in: every year with an actual of the plan
    (up to ``fiscal_year`` when given), and ``fiscal_year`` itself."""
    years = {int(y) for y in actuals.loc[actuals["plan_id"] == plan_id, "fiscal_year"].dropna()}
    if fiscal_year is not None:
        years = {y for y in years if y <= fiscal_year} | {fiscal_year}
    return sorted(years)


def evaluation_year(actuals: pd.DataFrame, plan_id: str, as_of: Any = None) -> int | None:
    """The fiscal year a report rates: that of ``as_of`` (a date), else the plan's latest year
    with an actual; ``None`` when the plan has no actuals and no date was given."""
    if as_of is not None and not _missing(as_of):
        stamp = pd.Timestamp(as_of)
        return stamp.year if stamp.month >= 4 else stamp.year - 1
    years = assessed_years(actuals, plan_id)
    return years[-1] if years else None


def indicator_ratings(city: Any, plan_id: str, fiscal_year: int | None = None) -> pd.DataFrame:
    """Every indicator of a plan (and each of its series) rated in every assessed year after its
    baseline year (:func:`assessed_years`); columns :data:`RATING_COLUMNS`."""
    indicators = city.indicators.loc[city.indicators["plan_id"] == plan_id]
    if indicators.empty:
        return pd.DataFrame(columns=list(RATING_COLUMNS))
    years = assessed_years(city.actuals, plan_id, fiscal_year)
    actuals = _actual_rows(city.actuals)
    targets = _year_targets(city.indicator_targets)
    goal_names = {(r.plan_id, int(r.goal_no)): r.goal for r in city.goals.itertuples(index=False)}
    item_goals = {
        (r.plan_id, int(r.item_no)): r.goal_no
        for r in city.items.itertuples(index=False)
        if not _missing(r.goal_no)
    }
    rows: list[dict[str, Any]] = []
    for indicator_id, group in indicators.groupby("indicator_id", sort=False):
        first = group.iloc[0]
        rule: RuleConfig = city.indicator_rules[first["rule"]]
        goal_no = _none(first["goal_no"])
        if goal_no is None and not _missing(first["item_no"]):
            goal_no = _none(item_goals.get((plan_id, int(first["item_no"]))))
        shared = {
            "plan_id": plan_id,
            "indicator_id": indicator_id,
            "name": first["name"],
            "unit": _none(first["unit"]),
            "direction": first["direction"],
            "goal_no": None if goal_no is None else int(goal_no),
            "goal": None if goal_no is None else goal_names.get((plan_id, int(goal_no))),
            "item_no": None if _missing(first["item_no"]) else int(first["item_no"]),
            "rule": rule.id,
        }
        several = len(group) > 1
        values = city.actuals.loc[
            (city.actuals["plan_id"] == plan_id) & (city.actuals["indicator_id"] == indicator_id),
            "value",
        ]
        shared["decimals"] = decimals_of([*group["baseline"], *values])
        baseline_years = [int(y) for y in group["baseline_fy"].dropna()]
        first_year = min(baseline_years) if baseline_years else None
        for year in years:
            if first_year is not None and year <= first_year:
                continue
            series_rows = [
                _series_row(s, year, shared, rule, actuals, targets, several)
                for _, s in group.iterrows()
            ]
            ratings = [r.pop("_rating") for r in series_rows]
            if several:
                rows.append(_combined_row(series_rows, ratings, shared, rule, year, first, actuals))
                rows.extend(series_rows)
            else:
                row = series_rows[0]
                row["row_kind"] = "indicator"
                rows.append(row)
    frame = pd.DataFrame(rows, columns=list(RATING_COLUMNS))
    for column in (
        "fiscal_year",
        "baseline_fy",
        "target_fy",
        "goal_no",
        "item_no",
        "rating_order",
        "decimals",
    ):
        frame[column] = frame[column].astype("Int64")
    for column in ("baseline", "target", "year_target", "value", "previous_value", "change"):
        frame[column] = frame[column].astype("float64")
    return frame


def _published(rule: RuleConfig, code: Any) -> tuple[str | None, str | None]:
    if _missing(code):
        return None, None
    level = next((lv for lv in rule.levels if lv.code == code), None)
    return str(code), (level.label if level else str(code))


def _series_row(
    s: pd.Series,
    year: int,
    shared: Mapping[str, Any],
    rule: RuleConfig,
    actuals: Mapping[tuple[Any, ...], Any],
    targets: Mapping[tuple[Any, ...], float],
    several: bool,
) -> dict[str, Any]:
    series = _none(s["series"])
    key = (shared["plan_id"], shared["indicator_id"], series)
    actual = actuals.get((*key, year))
    previous = actuals.get((*key, year - 1))
    value = None if actual is None else _none(actual.value)
    baseline, target = _none(s["baseline"]), _none(s["target"])
    year_target = targets.get((*key, year), target)
    rating = rate(
        value, baseline=baseline, target=year_target, direction=shared["direction"], rule=rule
    )
    # a published rating belongs to the whole indicator (its combined row when it has series)
    published = None if actual is None or several else actual.published_rating
    published, published_label = _published(rule, published)
    return {
        **shared,
        "series": series,
        "row_kind": "series",
        "fiscal_year": year,
        "baseline": baseline,
        "baseline_fy": _none(s["baseline_fy"]),
        "target": target,
        "target_fy": _none(s["target_fy"]),
        "year_target": year_target,
        "value": value,
        "value_status": None if actual is None else _none(actual.value_status),
        "previous_value": None if previous is None else _none(previous.value),
        "change": rating.change,
        "progress": progress(value, baseline, target),
        "ratio": rating.ratio,
        "condition": rating.condition,
        "rating": rating.code,
        "rating_label": rating.level.label,
        "rating_order": level_order(rule, rating.code),
        "published_rating": published,
        "published_label": published_label,
        "agrees": None if published is None else published == rating.code,
        "reason": reason_text(
            rating,
            value=value,
            baseline=baseline,
            unit=shared["unit"],
            direction=shared["direction"],
            rule=rule,
            decimals=shared["decimals"],
            year_target=(*key, year) in targets,
        ),
        "note": None if actual is None else _none(actual.note),
        "_rating": rating,
    }


COMBINE_WORDS: dict[str, str] = {"worst": "最も低い評価", "best": "最も高い評価", "mean": "平均"}


def _combined_row(
    series_rows: list[dict[str, Any]],
    ratings: list[Rating],
    shared: Mapping[str, Any],
    rule: RuleConfig,
    year: int,
    first: pd.Series,
    actuals: Mapping[tuple[Any, ...], Any],
) -> dict[str, Any]:
    how = str(first["combine"])
    level, condition, mean = combine(ratings, how, rule)
    parts = "、".join(f"{r['series']} {r['rating_label']}" for r in series_rows)
    if how == "mean" and mean is not None:
        reason = (
            f"系列の{RATIO_TERM}の平均 {_ratio_text(mean)} で「{level.label}」（系列: {parts}）"
        )
    elif condition == MISSING_CONDITION:
        reason = f"実績値のない系列があるため「{level.label}」（系列: {parts}）"
    else:
        reason = f"系列の評価（{parts}）のうち{COMBINE_WORDS[how]}で「{level.label}」"
    published = None
    for row in series_rows:
        actual = actuals.get((shared["plan_id"], shared["indicator_id"], row["series"], year))
        if actual is not None and not _missing(actual.published_rating):
            published = actual.published_rating
            break
    published, published_label = _published(rule, published)
    notes = list(dict.fromkeys(r["note"] for r in series_rows if r["note"]))
    return {
        **shared,
        "series": None,
        "row_kind": "indicator",
        "fiscal_year": year,
        "baseline": None,
        "baseline_fy": None,
        "target": None,
        "target_fy": None,
        "year_target": None,
        "value": None,
        "value_status": None,
        "previous_value": None,
        "change": None,
        "progress": None,
        "ratio": mean,
        "condition": condition,
        "rating": level.code,
        "rating_label": level.label,
        "rating_order": level_order(rule, level.code),
        "published_rating": published,
        "published_label": published_label,
        "agrees": None if published is None else published == level.code,
        "reason": reason,
        "note": "。".join(notes) or None,
    }


# --- summaries of one year ------------------------------------------------------------------


def year_ratings(ratings: pd.DataFrame, fiscal_year: int | None) -> pd.DataFrame:
    """The indicator rows (not the series) of one fiscal year."""
    if fiscal_year is None:
        return ratings.iloc[0:0]
    rows = ratings.loc[
        (ratings["row_kind"] == "indicator") & (ratings["fiscal_year"] == fiscal_year)
    ]
    return rows.reset_index(drop=True)


def rules_in(ratings: pd.DataFrame, rules: Mapping[str, RuleConfig]) -> list[RuleConfig]:
    """The rules the rated indicators use, in the order they first appear."""
    return [rules[r] for r in dict.fromkeys(ratings["rule"])]


def rating_distribution(
    ratings: pd.DataFrame, rules: Mapping[str, RuleConfig], fiscal_year: int | None
) -> pd.DataFrame:
    """Indicators per level of each rule in one year, every level listed (zero counts too).

    Columns: rule, rule_name, level, label, order (0 = best; the missing level last), missing
    (bool), count, share (of the indicators rated by the rule), n_indicators, fiscal_year.
    """
    rows = []
    year = year_ratings(ratings, fiscal_year)
    for rule in rules_in(year, rules):
        rated = year.loc[year["rule"] == rule.id]
        levels = [*rated_levels(rule), missing_level(rule)]
        for order, level in enumerate(levels):
            count = int((rated["rating"] == level.code).sum())
            rows.append(
                {
                    "rule": rule.id,
                    "rule_name": jp_brackets(rule.name),
                    "level": level.code,
                    "label": level.label,
                    "order": order,
                    "missing": MISSING_CONDITION in level.when,
                    "count": count,
                    "share": count / len(rated) if len(rated) else None,
                    "n_indicators": len(rated),
                    "fiscal_year": fiscal_year,
                }
            )
    columns = [
        "rule",
        "rule_name",
        "level",
        "label",
        "order",
        "missing",
        "count",
        "share",
        "n_indicators",
        "fiscal_year",
    ]
    return pd.DataFrame(rows, columns=columns)


def ratings_by_goal(
    ratings: pd.DataFrame, rules: Mapping[str, RuleConfig], fiscal_year: int | None
) -> pd.DataFrame:
    """Indicators per goal (category) and level in one year; indicators without a goal are
    counted under goal ``None`` ("分類なし"). Columns as :func:`rating_distribution` plus goal_no
    and goal."""
    year = year_ratings(ratings, fiscal_year)
    frames = []
    for (goal_no, goal), group in year.groupby(["goal_no", "goal"], dropna=False, sort=True):
        part = rating_distribution(group, rules, fiscal_year)
        part.insert(0, "goal", None if _missing(goal) else goal)
        part.insert(0, "goal_no", None if _missing(goal_no) else int(goal_no))
        frames.append(part)
    if not frames:
        return rating_distribution(year, rules, fiscal_year).assign(goal_no=None, goal=None)
    return pd.concat(frames, ignore_index=True)


def disagreements(ratings: pd.DataFrame) -> pd.DataFrame:
    """Every indicator and year whose computed rating differs from the published one."""
    rows = ratings.loc[(ratings["row_kind"] == "indicator") & (ratings["agrees"] == False)]  # noqa: E712
    return rows.reset_index(drop=True)


TREND_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "name",
    "unit",
    "direction",
    "series",
    "kind",
    "fiscal_year",
    "value",
    "text",
    "value_status",
)
"""Columns of :func:`trend_points`; ``kind`` is ``actual``, ``baseline``, ``target`` (final) or
``year_target`` (interim), ``text`` the value as shown ("32.8%")."""


def _trend_point(
    rows: list[dict[str, Any]],
    shared: Mapping[str, Any],
    decimals: int,
    kind: str,
    year: Any,
    value: Any,
    status: Any = None,
) -> None:
    if _missing(year) or _missing(value):
        return
    rows.append(
        {
            **shared,
            "kind": kind,
            "fiscal_year": int(year),
            "value": float(value),
            "text": quantity_text(value, shared["unit"], decimals),
            "value_status": _none(status),
        }
    )


def trend_points(city: Any, plan_id: str, fiscal_year: int | None = None) -> pd.DataFrame:
    """A plan's indicators over time: for every indicator and series its baseline, its final
    and interim targets and every known actual up to ``fiscal_year``, in indicators.csv order
    (the data of the trend charts; an actual not known yet is left out)."""
    indicators = city.indicators.loc[city.indicators["plan_id"] == plan_id]
    actuals = city.actuals.loc[city.actuals["plan_id"] == plan_id]
    targets = city.indicator_targets.loc[city.indicator_targets["plan_id"] == plan_id]
    rows: list[dict[str, Any]] = []
    for indicator_id, group in indicators.groupby("indicator_id", sort=False):
        values = actuals.loc[actuals["indicator_id"] == indicator_id, "value"]
        decimals = decimals_of([*group["baseline"], *values])
        for _, ind in group.iterrows():
            series = _none(ind["series"])
            shared = {
                "indicator_id": indicator_id,
                "name": ind["name"],
                "unit": _none(ind["unit"]),
                "direction": ind["direction"],
                "series": series,
            }

            def point(kind: str, year: Any, value: Any, status: Any = None) -> None:
                _trend_point(rows, shared, decimals, kind, year, value, status)  # noqa: B023

            point("baseline", ind["baseline_fy"], ind["baseline"])
            point("target", ind["target_fy"], ind["target"])
            mine = targets.loc[(targets["indicator_id"] == indicator_id)]
            for t in mine.itertuples(index=False):
                if _none(t.series) == series:
                    point("year_target", t.fiscal_year, t.target)
            own = actuals.loc[actuals["indicator_id"] == indicator_id]
            for a in own.sort_values("fiscal_year").itertuples(index=False):
                if _none(a.series) != series:
                    continue
                if fiscal_year is not None and a.fiscal_year > fiscal_year:
                    continue
                point("actual", a.fiscal_year, a.value, a.value_status)
    frame = pd.DataFrame(rows, columns=list(TREND_COLUMNS))
    frame["fiscal_year"] = frame["fiscal_year"].astype("Int64")
    frame["value"] = frame["value"].astype("float64")
    return frame


def series_label(name: Any, series: Any) -> str:
    """ "情報モラル学習の受講率(小学生)", or the name alone."""
    return f"{name}（{series}）" if not _missing(series) and series else str(name)


def years_text(years: Iterable[int]) -> str:
    """ "令和4年度～令和6年度" for consecutive years, else the years listed."""
    ordered = sorted(set(years))
    if not ordered:
        return ""
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{era_year_label(ordered[0])}～{era_year_label(ordered[-1])}"
    return "、".join(era_year_label(y) for y in ordered)
