"""Indicator ratings (helpers.views.indicators): a real published evaluation reproduced, every
edge of the rules, and properties that hold for any rule a body may configure."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers.data import load_city
from helpers.data.contracts import RuleConfig, RuleLevelConfig
from helpers.views import indicators as iv

REPO = Path(__file__).resolve().parents[1]
GUNMA = REPO / "tests" / "fixtures" / "gunma_indicators"
EXAMPLE = REPO / "data" / "example-city"


def movement(tolerance: float = 5.0, relative: bool = False) -> RuleConfig:
    levels = (
        RuleLevelConfig("達成", "達成", ("target_met",)),
        RuleLevelConfig("前進", "前進", ("improved",)),
        RuleLevelConfig("横ばい", "横ばい", ("unchanged",)),
        RuleLevelConfig("後退", "後退", ("worsened",)),
        RuleLevelConfig("−", "−", ("missing",)),
    )
    return RuleConfig("m", "movement", "movement", levels, tolerance, relative)


def ratio(basis: str = "target", mins: tuple[float, ...] = (1.0, 0.8, 0.5)) -> RuleConfig:
    names = "ABCDEFG"
    levels = [RuleLevelConfig(names[n], names[n], min=m) for n, m in enumerate(mins)]
    levels.append(RuleLevelConfig(names[len(mins)], names[len(mins)]))
    levels.append(RuleLevelConfig("−", "−", ("missing",)))
    return RuleConfig("r", "ratio", "ratio", tuple(levels), basis=basis)


def code(value, *, baseline=None, target=None, direction="higher", rule=None) -> str:
    rule = rule or movement()
    return iv.rate(value, baseline=baseline, target=target, direction=direction, rule=rule).code


# --- a published evaluation reproduced ------------------------------------------------------


def test_gunma_published_ratings_are_reproduced() -> None:
    """第4次群馬県情報化推進計画: the 8 published ratings of 平成29年度 and 令和元年度, from the
    data entered by following data/README.md only."""
    city = load_city(GUNMA)
    ratings = iv.indicator_ratings(city, "4")
    published = ratings.loc[ratings["published_rating"].notna()]
    assert len(published) == 8
    assert published["agrees"].all(), published[["indicator_id", "fiscal_year", "rating"]]
    assert iv.disagreements(ratings).empty
    by_year = published.set_index(["indicator_id", "fiscal_year"])["rating"].to_dict()
    assert by_year == {
        ("(1)ア", 2017): "横ばいC",
        ("(1)ア", 2019): "横ばいC",
        ("(1)イ", 2017): "横ばいC",
        ("(1)イ", 2019): "横ばいC",
        ("(1)ウ", 2017): "横ばいC",
        ("(1)ウ", 2019): "横ばいC",
        ("(2)", 2017): "前進B",
        ("(2)", 2019): "前進B",
    }


@pytest.mark.parametrize(
    ("tolerance", "agree"), [(3.0, False), (3.1, True), (6.8, True), (6.9, False)]
)
def test_gunma_tolerance_band_consistent_with_the_published_ratings(
    tolerance: float, agree: bool
) -> None:
    """The source gives no number for 目立った変動; every tolerance from 3.1 up to (not
    including) 6.9 points reproduces all published ratings, and only those do."""
    city = load_city(GUNMA)
    rule = replace(city.indicator_rules["gunma4"], tolerance=tolerance)
    city = replace(city, indicator_rules={"gunma4": rule})
    ratings = iv.indicator_ratings(city, "4")
    assert bool(ratings.loc[ratings["published_rating"].notna(), "agrees"].all()) is agree


def test_example_city_disagrees_once_and_says_why() -> None:
    city = load_city(EXAMPLE)
    assert iv.disagreements(iv.indicator_ratings(city, "1")).empty
    ratings = iv.indicator_ratings(city, "2")
    (row,) = iv.disagreements(ratings).itertuples()
    assert (row.indicator_id, row.fiscal_year, row.rating, row.published_rating) == (
        "2-3",
        2024,
        "B",
        "C",
    )
    assert "24,010件 ÷ 目標値 30,000件 = 80.0%" in row.reason and "80%以上" in row.reason
    assert "速報値" in row.note


def test_example_city_uses_its_interim_targets_and_series() -> None:
    ratings = iv.indicator_ratings(load_city(EXAMPLE), "2").set_index(
        ["indicator_id", "series", "fiscal_year"], drop=False
    )
    online = ratings.loc[("2-1", None, 2024)]
    assert online["year_target"] == 80.0 and online["target"] == 100.0
    assert "年度目標 80.0%" in online["reason"] and online["rating"] == "B"
    assert online["progress"] == pytest.approx((78.5 - 35) / (100 - 35))
    assert online["previous_value"] == 66.0
    moral = ratings.loc[("2-4", None, 2024)]
    assert (moral["row_kind"], moral["rating"]) == ("indicator", "C")
    assert ratings.loc[("2-4", "小学生", 2024), "rating"] == "B"
    assert ratings.loc[("2-4", "中学生", 2024), "rating"] == "C"
    survey = ratings.loc[("2-5", None, 2024)]
    assert (survey["rating"], survey["condition"]) == ("−", "missing")


def test_distribution_and_goals_of_a_year() -> None:
    city = load_city(EXAMPLE)
    ratings = iv.indicator_ratings(city, "2")
    dist = iv.rating_distribution(ratings, city.indicator_rules, 2024)
    ratio4 = dist.loc[dist["rule"] == "ratio4"].set_index("level")["count"].to_dict()
    # B: 2-1, 2-3 (published C), 2-6, 2-7; C: 2-4 (its 中学生 series); −: 2-5
    assert ratio4 == {"A": 0, "B": 4, "C": 1, "D": 0, "−": 1}
    sabc = dist.loc[dist["rule"] == "sabc"].set_index("level")["count"].to_dict()
    assert sabc == {"S": 0, "A": 1, "B": 0, "C": 0, "−": 0}
    assert dist.loc[dist["rule"] == "ratio4", "n_indicators"].iloc[0] == 6
    by_goal = iv.ratings_by_goal(ratings, city.indicator_rules, 2024)
    counted = by_goal.groupby("goal_no")["count"].sum().to_dict()
    assert counted == {1: 3, 2: 2, 3: 2}


def test_evaluation_year_and_assessed_years() -> None:
    actuals = load_city(EXAMPLE).actuals
    assert iv.evaluation_year(actuals, "2") == 2024
    assert iv.evaluation_year(actuals, "2", "2024-03-31") == 2023
    assert iv.assessed_years(actuals, "2", 2023) == [2022, 2023]
    assert iv.assessed_years(actuals, "2", 2025) == [2022, 2023, 2024, 2025]
    ratings = iv.indicator_ratings(load_city(EXAMPLE), "2", 2025)
    year = iv.year_ratings(ratings, 2025)
    assert set(year["rating"]) == {"−"}  # no actual yet: cannot be assessed


# --- the edges of every rule --------------------------------------------------------------


def test_exactly_at_the_target() -> None:
    assert code(100, baseline=80, target=100) == "達成"
    assert code(15, baseline=30, target=15, direction="lower") == "達成"
    assert code(99.99, baseline=80, target=100) == "前進"
    assert code(1000, target=1000, rule=ratio()) == "A"
    assert code(15, target=15, direction="lower", rule=ratio()) == "A"
    assert code(60, baseline=40, target=60, rule=ratio("progress")) == "A"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(105, "横ばい"), (105.01, "前進"), (95, "横ばい"), (94.99, "後退"), (100, "横ばい")],
)
def test_absolute_band_edges(value: float, expected: str) -> None:
    assert code(value, baseline=100, target=150, rule=movement(5)) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(220, "横ばい"), (221, "前進"), (180, "横ばい"), (179, "後退")]
)
def test_relative_band_edges(value: float, expected: str) -> None:
    """±10 % of 200 is 20 (0.1 * 200 is 20.000000000000004 in floating point)."""
    assert code(value, baseline=200, target=260, rule=movement(0.1, relative=True)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (26, "前進"),
        (28.8, "横ばい"),
        (33.2, "横ばい"),
        (35.3, "後退"),
        (32, "横ばい"),
        (20, "達成"),
    ],
)
def test_lower_is_better_movement(value: float, expected: str) -> None:
    """Waiting time, baseline 32 minutes, target 20, band ±10 % (3.2 minutes)."""
    rule = movement(0.1, relative=True)
    assert code(value, baseline=32, target=20, direction="lower", rule=rule) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(800, "B"), (799, "C"), (500, "C"), (499, "D"), (1200, "A"), (0, "D")]
)
def test_ratio_thresholds(value: float, expected: str) -> None:
    assert code(value, target=1000, rule=ratio()) == expected


def test_ratio_threshold_is_exact_in_floating_point() -> None:
    assert 5.6 / 7 < 0.8  # 0.7999999999999999
    assert code(5.6, target=7, rule=ratio()) == "B"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(15, "A"), (18.75, "B"), (18.76, "C"), (30, "C"), (30.01, "D"), (0, "A")],
)
def test_lower_is_better_ratio(value: float, expected: str) -> None:
    """Target 15 minutes: ratio = target / actual; an actual of 0 meets the target."""
    assert code(value, target=15, direction="lower", rule=ratio()) == expected


def test_progress_ratio_lower_is_better() -> None:
    rule = ratio("progress")
    # baseline 420, target 250: 335 is half way
    assert code(335, baseline=420, target=250, direction="lower", rule=rule) == "C"
    assert code(284, baseline=420, target=250, direction="lower", rule=rule) == "B"
    assert code(430, baseline=420, target=250, direction="lower", rule=rule) == "D"


def test_baseline_zero() -> None:
    relative = movement(0.1, relative=True)  # ±10 % of 0 is no band at all
    assert code(0, baseline=0, target=10, rule=relative) == "横ばい"
    assert code(0.1, baseline=0, target=10, rule=relative) == "前進"
    assert code(-0.1, baseline=0, target=10, rule=relative) == "後退"
    assert code(5, baseline=0, target=10, rule=ratio("progress")) == "C"
    assert code(0, baseline=5, target=0, direction="lower", rule=ratio()) == "A"


def test_target_met_already_at_baseline() -> None:
    """A target kept (baseline = target) and a target already beaten when the plan began."""
    assert code(100, baseline=100, target=100, rule=movement(1)) == "達成"
    assert code(99.5, baseline=100, target=100, rule=movement(1)) == "横ばい"
    assert code(98, baseline=100, target=100, rule=movement(1)) == "後退"
    assert code(102, baseline=105, target=100, rule=movement(1)) == "達成"
    assert code(99, baseline=105, target=100, rule=movement(1)) == "後退"
    # progress against a target not better than the baseline: met or not, nothing between
    assert code(102, baseline=105, target=100, rule=ratio("progress")) == "A"
    assert code(99, baseline=105, target=100, rule=ratio("progress")) == "D"


def test_missing_actual_or_target() -> None:
    for rule in (movement(), ratio(), ratio("progress")):
        rating = iv.rate(None, baseline=1, target=2, direction="higher", rule=rule)
        assert (rating.code, rating.condition) == ("−", "missing")
        assert (
            iv.rate(float("nan"), baseline=1, target=2, direction="higher", rule=rule).code == "−"
        )
    assert code(5, baseline=1, target=None, rule=ratio()) == "−"
    assert code(5, baseline=1, target=None, rule=movement(1)) == "前進"  # no target to meet


def test_missing_years_and_interim_targets(tmp_path: Path) -> None:
    city = load_city(EXAMPLE)
    ratings = iv.indicator_ratings(city, "2").set_index(["indicator_id", "fiscal_year"])
    # 2-5 has no actual in 2023 and 2024; 2024's previous year is 2023, itself missing
    assert ratings.loc[("2-5", 2024), "previous_value"] is None or math.isnan(
        ratings.loc[("2-5", 2024), "previous_value"]
    )
    # an interim target per year; 2025 has one but no actual yet
    assert ratings.loc[("2-1", 2022), "year_target"] == 50.0
    assert ratings.loc[("2-3", 2022), "year_target"] == 30000.0  # no interim: the final target


@pytest.mark.parametrize(
    ("how", "codes", "expected"),
    [
        ("worst", ["A", "C"], "C"),
        ("best", ["A", "C"], "A"),
        ("worst", ["A", "−"], "−"),
        ("best", ["A", "−"], "A"),
        ("best", ["−", "−"], "−"),
    ],
)
def test_combining_series(how: str, codes: list[str], expected: str) -> None:
    rule = ratio()
    values = {"A": 100.0, "C": 60.0, "−": None}
    ratings = [
        iv.rate(values[c], baseline=0, target=100, direction="higher", rule=rule) for c in codes
    ]
    assert [r.code for r in ratings] == codes
    assert iv.combine(ratings, how, rule)[0].code == expected


def test_mean_of_series() -> None:
    rule = ratio()
    ratings = [
        iv.rate(v, baseline=0, target=100, direction="higher", rule=rule) for v in (100.0, 60.0)
    ]
    level, condition, mean = iv.combine(ratings, "mean", rule)
    assert (level.code, condition, mean) == ("B", "ratio", 0.8)


# --- properties of any configured rule ------------------------------------------------------

values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
thresholds = st.lists(
    st.floats(min_value=0.05, max_value=1.5), min_size=1, max_size=4, unique=True
).map(lambda xs: tuple(sorted((round(x, 3) for x in xs), reverse=True)))


@st.composite
def rules(draw: st.DrawFn) -> RuleConfig:
    if draw(st.booleans()):
        relative = draw(st.booleans())
        top = 0.5 if relative else 100.0
        return movement(draw(st.floats(min_value=0, max_value=top)), relative)
    mins = draw(thresholds)
    assume(len(set(mins)) == len(mins))
    return ratio(draw(st.sampled_from(["target", "progress"])), mins)


def order(rule: RuleConfig, value: float, **kwargs: float | str) -> int:
    rating = iv.rate(value, rule=rule, **kwargs)  # type: ignore[arg-type]
    found = iv.level_order(rule, rating.code)
    assert found is not None
    return found


@given(rules(), values, values, values, values, st.sampled_from(["higher", "lower"]))
def test_a_better_actual_never_gets_a_worse_rating(
    rule: RuleConfig, a: float, b: float, baseline: float, target: float, direction: str
) -> None:
    if rule.kind == "ratio" and rule.basis == "target":
        a, b, target = abs(a) + 0.01, abs(b) + 0.01, abs(target) + 0.01
    worse, better = sorted((a, b)) if direction == "higher" else sorted((a, b), reverse=True)
    kwargs = {"baseline": baseline, "target": target, "direction": direction}
    assert order(rule, better, **kwargs) <= order(rule, worse, **kwargs)


@given(rules(), values, values, values)
def test_swapping_the_direction_mirrors_the_result(
    rule: RuleConfig, value: float, baseline: float, target: float
) -> None:
    """Lower-is-better of the negated values rates like higher-is-better of the values (for a
    ratio against the target, of the reciprocal values: a / t = (1/t) / (1/a))."""
    if rule.kind == "ratio" and rule.basis == "target":
        value, target = abs(value) + 0.01, abs(target) + 0.01
        mirrored = (1 / value, baseline, 1 / target)
    else:
        mirrored = (-value, -baseline, -target)
    higher = iv.rate(value, baseline=baseline, target=target, direction="higher", rule=rule)
    lower = iv.rate(
        mirrored[0], baseline=mirrored[1], target=mirrored[2], direction="lower", rule=rule
    )
    assert higher.code == lower.code


@given(positive, positive, st.sampled_from(["higher", "lower"]))
def test_a_met_target_is_the_top_of_every_ratio_rule(
    value: float, target: float, direction: str
) -> None:
    met = iv.target_met(value, target, direction)
    rating = iv.rate(value, baseline=None, target=target, direction=direction, rule=ratio())
    assert (rating.code == "A") is met
