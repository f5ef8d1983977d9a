"""Checks of the indicator tables: indicators.csv, indicator_targets.csv and actuals.csv.

The tables are optional (a folder without them has no indicators). Cells are typed by their
contracts (:mod:`helpers.data.contracts`) like every other table; this module adds what only
indicators need, and completes a few cells the way the documentation promises:

* :func:`fill_actual_years`: an actual written with a 時点 (as-of date) but no 年度 gets the
  fiscal year of that date (before duplicate years are looked for);
* :func:`check_indicators`: the rule of every indicator (its own 評価基準, else its plan's) exists
  in city.yaml and gets what it needs (a baseline, a target, a target different from the baseline
  for a ratio against the baseline, a target above zero for a ratio against the target); the
  direction is written or follows from baseline and target; units agree; sub-series of one
  indicator agree; targets and actuals name an existing indicator and series and do not precede
  its baseline year; a published rating is a level of the indicator's rule.

Completed cells: 方向 (from baseline and target when empty), 評価基準 (the plan's rule when
empty), 系列の統合 (``worst`` when empty) and 公表評価 (the level's code when its label was
written).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from helpers.data.contracts import (
    COMBINE_RULES,
    CONFIG_FILE,
    DIRECTIONS,
    CityConfig,
    RuleConfig,
    TypedTable,
)
from helpers.data.problems import Problem
from helpers.data.quantities import normalise_unit

IndicatorKey = tuple[str, str, str | None]
"""(plan_id, indicator_id, series) of one series of an indicator (series ``None``: no series)."""


def fill_actual_years(actuals: TypedTable) -> list[Problem]:
    """Give every actual without 年度 the fiscal year of its 時点; report rows with neither."""
    problems: list[Problem] = []
    years = actuals.columns["fiscal_year"]
    for i in range(len(actuals)):
        if years[i] is not None or actuals.unreadable(i, "fiscal_year"):
            continue
        if actuals.unreadable(i, "as_of"):
            continue  # the bad date is reported already
        date = actuals.dates["as_of"][i]
        if date is None:
            msg = (
                "「年度」か「時点」のどちらかを書いてください "
                "(an actual needs a fiscal year or an as-of date)"
            )
            problems.append(actuals.problem(i, "fiscal_year", msg, "required_value", value=""))
        elif date.precision == "year":
            first, last = date.fiscal_years
            msg = (
                f"時点「{actuals.columns['as_of'][i]}」は {first} 年度と {last} 年度に"
                "またがります。「年度」を書いてください (a calendar year spans two fiscal years)"
            )
            problems.append(actuals.problem(i, "fiscal_year", msg, "required_value", value=""))
        else:
            years[i] = date.fiscal_year
    return problems


def _plan_rules(plans: TypedTable | None) -> dict[str, str | None]:
    if plans is None:
        return {}
    rules: dict[str, str | None] = {}
    for plan_id, rule in zip(
        plans.columns["plan_id"], plans.columns["indicator_rule"], strict=True
    ):
        if plan_id is not None:
            rules.setdefault(plan_id, rule)
    return rules


def _unknown_rule(rule: str, config: CityConfig) -> str:
    known = ", ".join(config.indicator_rules) or "なし (city.yaml に indicator_rules がありません)"
    return f"評価基準「{rule}」は city.yaml の indicator_rules にありません (allowed: {known})"


def _check_plan_rules(plans: TypedTable, config: CityConfig) -> list[Problem]:
    problems = []
    for i, rule in enumerate(plans.columns["indicator_rule"]):
        if rule is not None and rule not in config.rule_ids:
            problems.append(
                plans.problem(i, "indicator_rule", _unknown_rule(rule, config), "unknown_rule")
            )
    return problems


def _unit_problem(
    table: TypedTable, i: int, column: str, unit: str | None, what: str
) -> Problem | None:
    """A problem when the unit written after the number of ``column`` is not ``unit``."""
    written = table.units.get(column, [None] * len(table))[i]
    if written is None or written == normalise_unit(unit):
        return None
    if unit is None:
        msg = (
            f"単位「{written}」が書かれていますが、{what}の「単位」が空欄です。"
            "indicators.csv に単位を書くか、数値だけにしてください (unit mismatch)"
        )
    else:
        msg = (
            f"単位「{written}」は{what}の単位「{unit}」と違います。"
            f"「{unit}」で書くか、数値だけにしてください (unit mismatch)"
        )
    return table.problem(i, column, msg, "unit_mismatch", value=table.written(i, column))


def _is_better(a: float, b: float, direction: str) -> bool:
    return a > b if direction == "higher" else a < b


def _direction(indicators: TypedTable, i: int, problems: list[Problem]) -> str | None:
    """The direction of row ``i``: written, else from baseline and target (filled in)."""
    cols = indicators.columns
    written, baseline, target = cols["direction"][i], cols["baseline"][i], cols["target"][i]
    if written is None and indicators.unreadable(i, "direction"):
        return None
    if written is None:
        if baseline is not None and target is not None and baseline != target:
            cols["direction"][i] = "higher" if target > baseline else "lower"
            return cols["direction"][i]
        msg = (
            "「方向」を書いてください (高いほど良い / 低いほど良い)。基準値と目標値が"
            "そろっていて異なるときは空欄でも決まります (direction unknown)"
        )
        problems.append(indicators.problem(i, "direction", msg, "missing_direction", value=""))
        return None
    if baseline is not None and target is not None and _is_better(baseline, target, written):
        msg = (
            f"方向は「{DIRECTIONS[written]}」ですが、目標値 {target:g} が基準値 {baseline:g} "
            "より悪い値です。方向か値を確かめてください "
            "(目標を策定時に達成済みなら、このままで構いません)"
        )
        problems.append(
            indicators.problem(
                i,
                "direction",
                msg,
                "direction_conflict",
                value=DIRECTIONS[written],
                severity="warning",
            )
        )
    return written


def _needs(indicators: TypedTable, i: int, rule: RuleConfig, problems: list[Problem]) -> None:
    """What the rule of row ``i`` needs from the indicator: a baseline, a target, their years."""
    cols = indicators.columns
    for value, year, what in (("baseline", "baseline_fy", "基準"), ("target", "target_fy", "目標")):
        has_value = cols[value][i] is not None or indicators.unreadable(i, value)
        has_year = cols[year][i] is not None or indicators.unreadable(i, year)
        if has_value and not has_year:
            msg = f"{what}値があるときは{what}年度も書いてください (a value needs its fiscal year)"
            problems.append(indicators.problem(i, year, msg, "indicator_incomplete", value=""))
        if has_year and not has_value:
            msg = f"{what}年度があるときは{what}値も書いてください (a fiscal year needs its value)"
            problems.append(indicators.problem(i, value, msg, "indicator_incomplete", value=""))
    needed = ["baseline"] if rule.kind == "movement" else ["target"]
    if rule.kind == "ratio" and rule.basis == "progress":
        needed = ["baseline", "target"]
    for name in needed:
        if cols[name][i] is None and not indicators.unreadable(i, name):
            what = "基準値" if name == "baseline" else "目標値"
            msg = (
                f"評価基準 {rule.id} ({rule.name}) で評価するには{what}が必要です "
                f"(the rule needs a {name})"
            )
            problems.append(indicators.problem(i, name, msg, "indicator_incomplete", value=""))
    start, end = cols["baseline_fy"][i], cols["target_fy"][i]
    if start is not None and end is not None and end < start:
        msg = f"目標年度 {end} が基準年度 {start} より前です (target year before baseline year)"
        problems.append(indicators.problem(i, "target_fy", msg, "period_order"))


def target_problem(
    table: TypedTable,
    i: int,
    column: str,
    target: float | None,
    baseline: float | None,
    direction: str | None,
    rule: RuleConfig,
) -> Problem | None:
    """A target (final or of a year) that the ratio rule cannot divide by."""
    if target is None or rule.kind != "ratio":
        return None
    if rule.basis == "progress" and baseline is not None and target == baseline:
        msg = (
            f"評価基準 {rule.id} の目標達成度は (実績値−基準値)÷(目標値−基準値) なので、"
            f"目標値 {target:g} が基準値 {baseline:g} と同じでは計算できません。"
            "目標値を確かめるか、basis: target の評価基準を使ってください (target equals baseline)"
        )
        return table.problem(i, column, msg, "target_equals_baseline")
    if rule.basis == "target" and (target < 0 or (target == 0 and direction == "higher")):
        msg = (
            f"評価基準 {rule.id} の目標達成度は実績値÷目標値なので、目標値は 0 より大きい値に"
            "してください (target must be above zero)"
        )
        return table.problem(i, column, msg, "bad_target")
    return None


_SHARED = ("name", "unit", "direction", "rule", "combine", "item_no", "goal_no")
"""Columns every sub-series row of one indicator must agree on."""


def _check_series(
    indicators: TypedTable, rows: Mapping[tuple[str, str], list[int]]
) -> list[Problem]:
    problems: list[Problem] = []
    cols = indicators.columns
    for (_, indicator_id), indexes in rows.items():
        if len(indexes) < 2:
            continue
        blank = [i for i in indexes if cols["series"][i] is None]
        if blank:
            i = blank[0] if blank[0] != indexes[0] else indexes[1]
            msg = (
                f"指標 {indicator_id} には系列のある行とない行があります。系列に分けるなら"
                "すべての行に系列名を書いてください (a blank series among named ones)"
            )
            problems.append(indicators.problem(i, "series", msg, "series_mismatch", value=""))
            continue
        first = indexes[0]
        for i in indexes[1:]:
            for name in _SHARED:
                if name == "combine" and None in (cols[name][i], cols[name][first]):
                    continue
                if cols[name][i] != cols[name][first]:
                    header = indicators.spec.column(name).header
                    msg = (
                        f"指標 {indicator_id} の系列どうしで「{header}」が違います "
                        f"({indicators.raw.row_numbers[first]}行目は"
                        f"「{cols[name][first] or ''}」)。"
                        "1つの指標の系列は同じ値にしてください (sub-series disagree)"
                    )
                    problems.append(indicators.problem(i, name, msg, "series_mismatch"))
        combine = next((cols["combine"][i] for i in indexes if cols["combine"][i]), "worst")
        for i in indexes:
            cols["combine"][i] = combine
    return problems


def _known_series(indicators: TypedTable) -> dict[tuple[str, str], list[str | None]]:
    known: dict[tuple[str, str], list[str | None]] = {}
    cols = indicators.columns
    for i in range(len(indicators)):
        plan_id, indicator_id = cols["plan_id"][i], cols["indicator_id"][i]
        if plan_id is not None and indicator_id is not None:
            known.setdefault((plan_id, indicator_id), []).append(cols["series"][i])
    return known


def _unknown_indicator(
    table: TypedTable,
    i: int,
    known: Mapping[tuple[str, str], list[str | None]],
) -> Problem | None:
    cols = table.columns
    plan_id, indicator_id, series = cols["plan_id"][i], cols["indicator_id"][i], cols["series"][i]
    if plan_id is None or indicator_id is None:
        return None
    found = known.get((plan_id, indicator_id))
    if found is None:
        ids = sorted({k[1] for k in known if k[0] == plan_id})
        allowed = ", ".join(ids) or "なし"
        msg = (
            f"指標(計画ID {plan_id}、指標ID {indicator_id})は indicators.csv にありません "
            f"(unknown indicator; allowed: {allowed})"
        )
        return table.problem(i, "indicator_id", msg, "unknown_indicator")
    if series in found:
        return None
    named = [s for s in found if s is not None]
    if not named:
        msg = (
            f"指標 {indicator_id} には系列がありません。「系列」を空欄にしてください "
            "(unknown series)"
        )
    elif series is None:
        msg = (
            f"指標 {indicator_id} は系列に分かれています。「系列」に {', '.join(named)} "
            "のどれかを書いてください (series required)"
        )
    else:
        msg = (
            f"系列「{series}」は指標 {indicator_id} にありません "
            f"(unknown series; allowed: {', '.join(named)})"
        )
    return table.problem(i, "series", msg, "unknown_indicator", value=series or "")


_DASHES = re.compile(r"[-‐‑‒–—―−－ー─━]")


def rating_key(text: str) -> str:
    """A rating as compared: NFKC, no spaces, every dash alike (cp932 turns "−" into "－")."""
    return _DASHES.sub("-", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))


def _rating_problem(actuals: TypedTable, i: int, rule: RuleConfig) -> Problem | None:
    """A published rating that is not a level of the rule (a label is turned into its code)."""
    cols = actuals.columns
    rating = cols["published_rating"][i]
    if rating is None:
        return None
    level = next(
        (
            lv
            for lv in rule.levels
            if rating_key(rating) in (rating_key(lv.code), rating_key(lv.label))
        ),
        None,
    )
    if level is not None:
        cols["published_rating"][i] = level.code
        return None
    allowed = ", ".join(rule.codes())
    msg = (
        f"公表評価「{rating}」は評価基準 {rule.id} ({rule.name}) の段階にありません "
        f"(unknown rating; allowed: {allowed})"
    )
    return actuals.problem(i, "published_rating", msg, "unknown_rating")


def check_indicators(
    tables: Mapping[str, TypedTable], config: CityConfig, unreadable: Collection[str] = ()
) -> list[Problem]:
    """Every check of the indicator tables (module docstring); completes some cells in place.

    When ``unreadable`` names city.yaml, rule IDs are not checked: city.yaml's own problem says
    it all, and every indicator would fail against its missing rules."""
    problems: list[Problem] = []
    config_known = CONFIG_FILE not in unreadable
    plans = None if "plans" in unreadable else tables.get("plans")
    if plans is not None and config_known:
        problems.extend(_check_plan_rules(plans, config))
    indicators = tables.get("indicators")
    if indicators is None:
        if "indicators" in unreadable:
            return problems
        for name in ("indicator_targets", "actuals"):
            table = tables.get(name)
            for i in range(len(table) if table is not None else 0):
                msg = "indicators.csv がないので、指標を参照できません (unknown indicator)"
                problems.append(table.problem(i, "indicator_id", msg, "unknown_indicator"))  # type: ignore[union-attr]
        return problems
    plan_rules = _plan_rules(plans)
    cols = indicators.columns
    by_key: dict[IndicatorKey, int] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    rules: dict[int, RuleConfig] = {}
    for i in range(len(indicators)):
        plan_id, indicator_id = cols["plan_id"][i], cols["indicator_id"][i]
        for column in ("baseline", "target"):
            found = _unit_problem(indicators, i, column, cols["unit"][i], "この指標")
            if found is not None:
                problems.append(found)
        direction = _direction(indicators, i, problems)
        own = cols["rule"][i]
        rule_id = own or plan_rules.get(plan_id or "")
        if own is None and indicators.unreadable(i, "rule"):
            rule_id = None
        cols["rule"][i] = rule_id
        rule = config.indicator_rules.get(rule_id or "")
        # with city.yaml unreadable its rules are unknown: its own problem is reported
        if not config_known:
            rule = None
        elif rule_id is None and plan_id is not None and (plans is None or plan_id in plan_rules):
            msg = (
                f"評価基準がありません。この行の「評価基準」か、plans.csv の計画 {plan_id} の"
                "「指標の評価基準」に city.yaml の indicator_rules のIDを書いてください "
                "(no rule for the indicator)"
            )
            problems.append(indicators.problem(i, "rule", msg, "indicator_without_rule", value=""))
        elif own is not None and own not in config.rule_ids:
            problems.append(
                indicators.problem(i, "rule", _unknown_rule(own, config), "unknown_rule")
            )
        if rule is not None:
            rules[i] = rule
            _needs(indicators, i, rule, problems)
            found = target_problem(
                indicators, i, "target", cols["target"][i], cols["baseline"][i], direction, rule
            )
            if found is not None:
                problems.append(found)
            if cols["combine"][i] == "mean" and rule.kind != "ratio":
                msg = (
                    f"系列の統合「{COMBINE_RULES['mean']}」は達成率 (ratio) の評価基準でだけ"
                    "使えます。"
                    f"評価基準 {rule.id} は {rule.kind} です (mean needs a ratio rule)"
                )
                problems.append(
                    indicators.problem(
                        i, "combine", msg, "combine_not_allowed", value=COMBINE_RULES["mean"]
                    )
                )
        if plan_id is not None and indicator_id is not None:
            by_key.setdefault((plan_id, indicator_id, cols["series"][i]), i)
            groups.setdefault((plan_id, indicator_id), []).append(i)
    problems.extend(_check_series(indicators, groups))
    for i in range(len(indicators)):
        if cols["combine"][i] is None:
            cols["combine"][i] = "worst"
    known = _known_series(indicators)
    plan_ids = set(plan_rules) if plans is not None else None
    for name in ("indicator_targets", "actuals"):
        table = tables.get(name)
        if table is None:
            continue
        problems.extend(_check_rows(table, indicators, by_key, known, rules, plan_ids))
    return problems


def _check_rows(
    table: TypedTable,
    indicators: TypedTable,
    by_key: Mapping[IndicatorKey, int],
    known: Mapping[tuple[str, str], list[str | None]],
    rules: Mapping[int, RuleConfig],
    plan_ids: set[str] | None,
) -> list[Problem]:
    """Rows of indicator_targets.csv or actuals.csv against their indicator."""
    problems: list[Problem] = []
    cols = table.columns
    ind = indicators.columns
    value_column = "target" if table.spec.name == "indicator_targets" else "value"
    what = "年度目標" if table.spec.name == "indicator_targets" else "実績"
    ratings: dict[tuple[Any, ...], tuple[int, str]] = {}
    for i in range(len(table)):
        plan_id = cols["plan_id"][i]
        if plan_ids is not None and plan_id not in plan_ids:
            continue  # the unknown plan is reported already
        key = (plan_id, cols["indicator_id"][i], cols["series"][i])
        row = by_key.get(key)  # type: ignore[arg-type]
        if row is None:
            found = _unknown_indicator(table, i, known)
            if found is not None:
                problems.append(found)
            continue
        unit = _unit_problem(table, i, value_column, ind["unit"][row], f"指標 {key[1]}")
        if unit is not None:
            problems.append(unit)
        year, baseline_year = cols["fiscal_year"][i], ind["baseline_fy"][row]
        if year is not None and baseline_year is not None and year < baseline_year:
            msg = (
                f"{what}の年度 {year} が指標 {key[1]} の基準年度 {baseline_year} より前です "
                "(before the baseline year)"
            )
            problems.append(table.problem(i, "fiscal_year", msg, "before_baseline"))
        rule = rules.get(row)
        if rule is None:
            continue
        if value_column == "target":
            found = target_problem(
                table,
                i,
                "target",
                cols["target"][i],
                ind["baseline"][row],
                ind["direction"][row],
                rule,
            )
        else:
            found = _rating_problem(table, i, rule) or _rating_disagrees(table, i, ratings)
        if found is not None:
            problems.append(found)
    return problems


def _rating_disagrees(
    actuals: TypedTable, i: int, ratings: dict[tuple[Any, ...], tuple[int, str]]
) -> Problem | None:
    """Sub-series rows of one year that publish different ratings (one rating per indicator)."""
    cols = actuals.columns
    rating = cols["published_rating"][i]
    if rating is None or cols["fiscal_year"][i] is None:
        return None
    key = (cols["plan_id"][i], cols["indicator_id"][i], cols["fiscal_year"][i])
    first = ratings.setdefault(key, (i, rating))
    if first[1] == rating:
        return None
    msg = (
        f"公表評価は指標全体の評価なので、系列の行どうしで同じにしてください "
        f"({actuals.raw.row_numbers[first[0]]}行目は「{first[1]}」) (one published rating per "
        "indicator and year)"
    )
    return actuals.problem(i, "published_rating", msg, "series_mismatch")
