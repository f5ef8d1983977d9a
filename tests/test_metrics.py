"""Tests of helpers.views.metrics: figures of the bundled data, the fixture city's own scale,
snapshots over time, the timeline, and invariants over random scales and statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data.city import load_city
from helpers.views import labels, metrics, sentences

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "higashiyamato"
FIXTURE = ROOT / "tests" / "fixtures" / "sample_city"


# --------------------------------------------------------------------------------------------
# a small builder of frames that follow the helpers.data contract
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeScale:
    id: str
    name: str
    levels: pd.DataFrame


@dataclass(frozen=True)
class FakeCity:
    plans: pd.DataFrame
    items: pd.DataFrame
    statuses: pd.DataFrame
    reported: pd.DataFrame
    scales: dict[str, FakeScale]
    goals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["plan_id", "goal_no", "goal", "page"])
    )
    target_levels: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"code": ["A", "B"], "label": ["A", "B"], "description": ["", ""]}
        )
    )


def make_scale(classes: list[str], scale_id: str = "s") -> FakeScale:
    """A scale whose level i (order i + 1) has class classes[i]; codes L1, L2, ..."""
    levels = pd.DataFrame(
        {
            "code": [f"L{i + 1}" for i in range(len(classes))],
            "label": [f"段階{i + 1}" for i in range(len(classes))],
            "order": list(range(1, len(classes) + 1)),
            "cls": classes,
            "definition": "",
            "page": 1,
        }
    )
    return FakeScale(scale_id, "test scale", levels)


def make_plans(rows: list[tuple[str, int, int, str | None]]) -> pd.DataFrame:
    """Plans from (plan_id, start_fy, end_fy, scale)."""
    return pd.DataFrame(
        {
            "plan_id": [r[0] for r in rows],
            "name": [f"計画{r[0]}" for r in rows],
            "short_name": [f"第{r[0]}計画" for r in rows],
            "start_fy": [r[1] for r in rows],
            "end_fy": [r[2] for r in rows],
            "formulated": None,
            "scale": [r[3] for r in rows],
            "source": "test",
            "page": 1,
        }
    )


def make_items(plan_id: str, targets: list[str], goals: list[int | None] | None = None) -> Any:
    """Items 1..n of one plan with the given target codes."""
    n = len(targets)
    return pd.DataFrame(
        {
            "plan_id": plan_id,
            "item_no": list(range(1, n + 1)),
            "name": [f"項目{i}" for i in range(1, n + 1)],
            "target": targets,
            "description": "",
            "goal_no": pd.array(goals if goals is not None else [None] * n, dtype="Int64"),
            "date_written": None,
            "date_kind": None,
            "page": 1,
        }
    )


def make_statuses(plan_id: str, rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    """Statuses from (item_no, as_of ISO date, status code)."""
    return pd.DataFrame(
        {
            "plan_id": plan_id,
            "item_no": [r[0] for r in rows],
            "as_of": [f"時点{r[1]}" for r in rows],
            "as_of_date": pd.to_datetime([r[1] for r in rows]),
            "status": [r[2] for r in rows],
            "page": 1,
        }
    )


def make_reported(rows: list[tuple[str, str | None, str, float, str]]) -> pd.DataFrame:
    """Reported figures from (plan_id, as_of ISO date or None, measure, value, wording)."""
    return pd.DataFrame(
        {
            "plan_id": [r[0] for r in rows],
            "as_of": [None if r[1] is None else f"時点{r[1]}" for r in rows],
            "as_of_date": pd.to_datetime([r[1] for r in rows]),
            "measure": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "wording": [r[4] for r in rows],
            "quote": "原文",
            "page": 1,
        }
    )


def empty_reported() -> pd.DataFrame:
    return make_reported([]).astype({"value": "float64"})


# --------------------------------------------------------------------------------------------
# bundled data: the figures the source document implies
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city() -> Any:
    return load_city(BUNDLED)


@pytest.fixture(scope="module")
def kakuu() -> Any:
    return load_city(FIXTURE)


def row_of(frame: pd.DataFrame, plan_id: str, breakdown: str) -> pd.Series:
    match = frame.loc[(frame["plan_id"] == plan_id) & (frame["breakdown"] == breakdown)]
    assert len(match) == 1, (plan_id, breakdown, match)
    return match.iloc[0]


def test_achievement_columns_lead_with_the_contract(city: Any) -> None:
    frame = metrics.achievement(city)
    assert list(frame.columns[:13]) == [
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
    ]
    assert "n_unrated" in frame.columns


@pytest.mark.parametrize(
    ("breakdown", "n_items", "achieved", "partial", "not_achieved"),
    [
        ("all", 19, 14, 4, 1),
        ("target:実施", 10, 9, 1, 0),
        ("target:検討", 9, 5, 3, 1),
    ],
)
def test_plan2_counts_match_the_source(
    city: Any, breakdown: str, n_items: int, achieved: int, partial: int, not_achieved: int
) -> None:
    row = row_of(metrics.achievement(city), "2", breakdown)
    assert (row["n_items"], row["achieved"], row["partial"], row["not_achieved"]) == (
        n_items,
        achieved,
        partial,
        not_achieved,
    )
    assert row["n_unrated"] == 0
    assert row["source"] == "computed"
    assert row["as_of"] == "平成24年度末"
    assert row["rate_strict"] == pytest.approx(achieved / n_items)
    assert row["rate_incl_partial"] == pytest.approx((achieved + partial) / n_items)


def test_plan2_has_no_category_rows_and_plan1_is_reported_only(city: Any) -> None:
    frame = metrics.achievement(city)
    assert list(frame.loc[frame["plan_id"] == "2", "breakdown"]) == [
        "all",
        "target:実施",
        "target:検討",
    ]
    plan1 = frame.loc[frame["plan_id"] == "1"]
    assert list(plan1["breakdown"]) == ["all"]
    row = plan1.iloc[0]
    assert row["source"] == "reported"
    assert row["rate_strict"] == 0.4
    assert pd.isna(row["rate_incl_partial"])
    assert row["wording"] == "約4割"
    for column in ("n_items", "achieved", "partial", "not_achieved", "n_unrated"):
        assert pd.isna(row[column]), column
    assert row["note"] == labels.NOTE_REPORTED_ONLY


def test_reported_figure_never_enters_a_computed_rate(city: Any) -> None:
    row = row_of(metrics.achievement(city), "2", "all")
    assert row["rate_incl_partial"] == pytest.approx(18 / 19)
    assert pd.isna(row["wording"])


def test_reported_figures_pass_through_untouched(city: Any) -> None:
    figures = metrics.reported_figures(city.reported, city.plans)
    assert list(figures["value"]) == list(city.reported["value"])
    assert list(figures["wording"]) == ["約4割", "概ね9割"]
    assert list(figures["measure_label"]) == ["達成率", "達成率（一部達成を含む）"]
    assert list(figures["plan_name"]) == ["第一次計画", "第二次計画"]
    assert set(figures["source"]) == {"reported"}


def test_check_reported_plan2_is_consistent_plan1_has_nothing_to_compare(city: Any) -> None:
    check = metrics.reconcile_reported(metrics.achievement(city), city.reported)
    plan2 = check.loc[check["plan_id"] == "2"].iloc[0]
    assert plan2["computed_value"] == pytest.approx(18 / 19)
    assert plan2["reported_value"] == 0.9
    assert plan2["numerator"] == 18 and plan2["n_items"] == 19
    assert plan2["tolerance"] == pytest.approx(0.1)
    assert bool(plan2["consistent"]) is True
    plan1 = check.loc[check["plan_id"] == "1"].iloc[0]
    assert pd.isna(plan1["computed_value"])
    assert pd.isna(plan1["consistent"])
    assert plan1["note"] == labels.NOTE_NO_COMPUTED


def test_check_reported_flags_an_inconsistent_figure(city: Any) -> None:
    wrong = city.reported.copy()
    wrong.loc[wrong["plan_id"] == "2", "value"] = 0.7
    wrong.loc[wrong["plan_id"] == "2", "wording"] = "約7割"
    check = metrics.reconcile_reported(metrics.achievement(city), wrong)
    assert bool(check.loc[check["plan_id"] == "2", "consistent"].iloc[0]) is False


@pytest.mark.parametrize(
    ("wording", "tolerance"),
    [
        ("概ね9割", 0.1),
        ("約4割", 0.1),
        ("9割程度", 0.1),
        ("9割", 0.05),
        ("74%", 0.005),
        ("73.7%", 0.0005),
        ("73.7％", 0.0005),  # full-width percent sign, as typed in Japanese documents
        ("７４％", 0.005),
        ("全項目", 0.0),
        (None, 0.0),
    ],
)
def test_reported_tolerance(wording: str | None, tolerance: float) -> None:
    assert metrics.reported_tolerance(wording) == pytest.approx(tolerance)


def test_comparison_orders_plans_and_refuses_mixed_sources(city: Any) -> None:
    table = metrics.comparison(metrics.achievement(city))
    assert list(table["plan_id"]) == ["1", "2"]
    assert list(table["period"]) == [
        "平成16年度～平成20年度（2004～2008年度）",
        "平成21年度～平成25年度（2009～2013年度）",
    ]
    assert list(table["source"]) == ["reported", "computed"]
    assert table["change_strict"].isna().all()
    assert table["change_incl_partial"].isna().all()
    assert table.loc[0, "note"] == labels.NOTE_FIRST_PLAN
    assert "報告値" in table.loc[1, "note"] and "計算値" in table.loc[1, "note"]


def test_status_counts_bundled(city: Any) -> None:
    counts = metrics.status_counts(city.items, city.statuses, city.scales, city.plans)
    assert list(counts["plan_id"].unique()) == ["2"]
    assert list(counts["status"]) == ["達成", "一部達成", "未達成"]
    assert list(counts["count"]) == [14, 4, 1]
    assert list(counts["cls"]) == ["achieved", "partial", "not_achieved"]
    assert counts["share"].sum() == pytest.approx(1.0)
    assert counts["share"].iloc[0] == pytest.approx(14 / 19)


def test_headline_plan2_sentence(city: Any) -> None:
    head = sentences.headline(city, "2")
    assert (head["n_items"], head["achieved"], head["partial"], head["not_achieved"]) == (
        19,
        14,
        4,
        1,
    )
    assert "19項目のうち14項目（73.7%）が達成" in head["summary"]
    assert "一部達成を含めると18項目（94.7%）" in head["summary"]
    assert head["sentences"]["not_achieved"] == "「未達成」は1項目です（項目一覧に示しています）。"


def test_headline_plan1_uses_the_reported_wording(city: Any) -> None:
    head = sentences.headline(city, "1")
    assert head["source"] == "reported"
    assert head["n_items"] is None
    assert head["rate_strict"] == 0.4
    assert "約4割" in head["summary"] and "報告値" in head["summary"]


def test_headline_unknown_plan_raises(city: Any) -> None:
    with pytest.raises(KeyError):
        sentences.headline(city, "9")


# --------------------------------------------------------------------------------------------
# bundled timeline
# --------------------------------------------------------------------------------------------


def test_timeline_events_drop_undated_and_place_months(city: Any) -> None:
    dated = metrics.timeline_events(city.events)
    undated = metrics.undated_events(city.events)
    during = metrics.period_events(city.events)
    assert len(dated) + len(undated) + len(during) == len(city.events)
    assert set(undated["event_id"]) == {"E16", "E30"}
    # the source lists these under plan 1 without a year (p9): "during plan 1"
    assert set(during["event_id"]) == {"E15", "E31", "E32", "E33"}
    assert set(during["period_plan_id"]) == {"1"}
    positions = dict(zip(dated["event_id"], dated["position"], strict=True))
    # 平成23年1月 lies in FY 平成22年度 (2010), in the last quarter of that year's band
    assert 2010 < positions["E24"] < 2010.5
    # 平成21年10月 is in FY2009, after 平成21年度 events placed mid-year are not required
    assert 2008.5 <= positions["E19"] < 2009.5
    assert positions["E02"] == 1992.0
    assert list(dated["position"]) == sorted(dated["position"])


def test_events_per_fiscal_year(city: Any) -> None:
    per_year = metrics.events_per_fiscal_year(city.events).set_index("fiscal_year")
    assert per_year.loc[1992, "n_events"] == 3
    assert per_year.loc[2010, "n_events"] == 5
    assert per_year.loc[2010, "fiscal_year_label"] == "平成22年度 (2010)"
    assert per_year["n_events"].sum() == 27
    assert 2011 not in per_year.index


def test_plan_periods(city: Any) -> None:
    periods = metrics.plan_periods(city.plans)
    assert list(periods["start_label"]) == ["平成16年度 (2004)", "平成21年度 (2009)"]
    assert list(periods["end_label"]) == ["平成20年度 (2008)", "平成25年度 (2013)"]
    assert list(periods["short_name"]) == ["第一次計画", "第二次計画"]


def test_golives_per_plan(city: Any) -> None:
    golives = metrics.golives_per_plan(city.events, city.plans)
    plan2 = golives.loc[golives["plan_id"] == "2"].set_index("fiscal_year")
    assert list(plan2.index) == [2009, 2010, 2011, 2012, 2013]
    assert list(plan2["n_events"]) == [3, 4, 0, 2, 0]
    assert "新基幹系システム稼働" in plan2.loc[2010, "events"]
    plan1 = golives.loc[golives["plan_id"] == "1"]
    by_year = dict(zip(plan1["fiscal_year_label"], plan1["n_events"], strict=True))
    assert by_year["平成17年度（2005年度）"] == 1  # 電子申請・電子調達サービス稼働
    assert by_year["平成20年度（2008年度）"] == 0  # 校内LAN整備完了 is not a generic go-live kind
    # 公共ネットワーク, 公的個人認証, LGWAN and ホームページ再構築 count in plan 1, without a year
    assert by_year["期間中（年度の記載なし）"] == 4
    assert plan1["fiscal_year"].isna().sum() == 1
    # with the city's own kinds (city.yaml event_kinds) 整備完了 counts as well
    configured = metrics.golives_per_plan(
        metrics.with_event_groups(city.events, city.event_kinds), city.plans
    )
    plan1 = configured.loc[configured["plan_id"] == "1"]
    assert plan1["n_events"].sum() == 6
    only_updates = metrics.golives_per_plan(city.events, city.plans, kinds=("更新",))
    assert only_updates["n_events"].sum() == 2


# --------------------------------------------------------------------------------------------
# fixture city: 4-level scale, categories, three snapshots
# --------------------------------------------------------------------------------------------


def test_fixture_status_counts_use_each_plans_own_scale(kakuu: Any) -> None:
    counts = metrics.status_counts(kakuu.items, kakuu.statuses, kakuu.scales, kakuu.plans)
    k2 = counts.loc[counts["plan_id"] == "k2"]
    assert list(k2["status"]) == [
        "上回って達成",
        "おおむね達成",
        "遅れはあるがおおむね達成",
        "未達成",
    ]
    assert list(k2["count"]) == [3, 3, 1, 0]
    assert list(k2["as_of"].unique()) == ["令和5年度末"]
    k1 = counts.loc[counts["plan_id"] == "k1"]
    assert list(k1["label"]) == ["◎ 達成", "○ ほぼ達成", "△ 着手", "× 未着手"]
    assert list(k1["count"]) == [1, 0, 1, 1]


def test_fixture_achievement_latest_and_as_of(kakuu: Any) -> None:
    latest = row_of(metrics.achievement(kakuu), "k2", "all")
    assert (latest["achieved"], latest["partial"], latest["not_achieved"]) == (6, 1, 0)
    assert latest["as_of"] == "令和5年度末"
    first = row_of(metrics.achievement(kakuu, as_of=pd.Timestamp("2022-03-31")), "k2", "all")
    assert (first["achieved"], first["partial"], first["not_achieved"]) == (3, 2, 2)
    between = row_of(metrics.achievement(kakuu, as_of="2022-12-31"), "k2", "all")
    assert between["as_of"] == "令和3年度末"
    assert between["achieved"] == 3


def test_fixture_as_of_before_any_snapshot(kakuu: Any) -> None:
    frame = metrics.achievement(kakuu, as_of="2021-06-30")
    row = row_of(frame, "k2", "all")
    assert row["n_items"] == 0 and row["n_unrated"] == 7
    assert pd.isna(row["rate_strict"])
    assert row["note"] == labels.NOTE_NO_STATUS
    k1 = row_of(frame, "k1", "all")
    assert k1["source"] == "computed" and k1["n_items"] == 3


@pytest.mark.parametrize("as_of", [None, "2022-03-31", "2021-06-30"])
def test_each_plans_achievement_is_the_same_computed_alone(kakuu: Any, as_of: str | None) -> None:
    """All plans are rated together (one join per scale): a plan's rows are what it gives alone,
    with its own scale and goals, whatever the other plans hold."""
    together = metrics.achievement(kakuu, as_of=as_of)
    assert together["plan_id"].nunique() > 1
    for plan_id in kakuu.plans["plan_id"]:
        alone = metrics.achievement_from_frames(
            kakuu.plans.loc[kakuu.plans["plan_id"] == plan_id],
            kakuu.items,
            kakuu.statuses,
            kakuu.scales,
            kakuu.reported,
            target_levels=kakuu.target_levels,
            goals=kakuu.goals,
            as_of=as_of,
        )
        mine = together.loc[together["plan_id"] == plan_id].reset_index(drop=True)
        # (dtypes follow the rows present: a column of one plan alone may be all missing)
        pd.testing.assert_frame_equal(mine, alone, check_exact=True, check_dtype=False)


def test_fixture_category_and_target_breakdowns(kakuu: Any) -> None:
    frame = metrics.achievement(kakuu)
    k2 = frame.loc[frame["plan_id"] == "k2"]
    assert list(k2["breakdown"]) == [
        "all",
        "target:新規",
        "target:拡充",
        "target:継続",
        "category:1",
        "category:2",
        "category:3",
        "category:none",
    ]
    category = row_of(frame, "k2", "category:3")
    assert category["breakdown_label"] == "重点目標3：データの活用"
    assert (category["n_items"], category["achieved"], category["partial"]) == (2, 1, 1)
    categories = k2.loc[k2["breakdown"].str.startswith("category:")]
    assert categories["n_items"].sum() == row_of(frame, "k2", "all")["n_items"]


def test_fixture_comparison_gives_changes_between_computed_plans(kakuu: Any) -> None:
    table = metrics.comparison(metrics.achievement(kakuu))
    assert list(table["plan_id"]) == ["k1", "k2"]
    assert table.loc[1, "change_strict"] == pytest.approx(6 / 7 - 1 / 3)
    assert table.loc[1, "change_incl_partial"] == pytest.approx(1.0 - 2 / 3)
    assert pd.isna(table.loc[1, "note"])


def test_fixture_check_reported(kakuu: Any) -> None:
    check = metrics.reconcile_reported(metrics.achievement(kakuu), kakuu.reported)
    assert check["consistent"].tolist() == [True, True]


def test_check_reported_different_as_of_is_not_judged(kakuu: Any) -> None:
    earlier = metrics.achievement(kakuu, as_of="2023-03-31")
    check = metrics.reconcile_reported(earlier, kakuu.reported)
    k2 = check.loc[check["plan_id"] == "k2"].iloc[0]
    assert pd.isna(k2["consistent"])
    assert "令和4年度末" in k2["note"] and "令和5年度末" in k2["note"]


def test_fixture_status_history(kakuu: Any) -> None:
    scale = kakuu.scales["kakuu4"]
    history = metrics.status_history(kakuu.items, kakuu.statuses.query("plan_id == 'k2'"), scale)
    assert len(history) == 14  # 7 items x 2 consecutive pairs
    item1 = history.loc[history["item_no"] == 1]
    assert list(item1["change"]) == ["improved", "improved"]
    assert list(item1["from_as_of"]) == ["令和3年度末", "令和4年度末"]
    item6 = history.loc[history["item_no"] == 6]
    assert list(item6["change"]) == ["unchanged", "improved"]
    assert history["change"].value_counts().to_dict() == {"improved": 8, "unchanged": 6}


def test_status_history_detects_worsening() -> None:
    scale = make_scale(["achieved", "partial", "not_achieved"])
    items = make_items("p", ["A"])
    statuses = make_statuses("p", [(1, "2020-03-31", "L1"), (1, "2021-03-31", "L3")])
    history = metrics.status_history(items, statuses, scale)
    assert list(history["change"]) == ["worsened"]
    assert list(history["change_label"]) == ["後退"]


def test_status_history_rejects_unknown_status() -> None:
    scale = make_scale(["achieved", "not_achieved"])
    statuses = make_statuses("p", [(1, "2020-03-31", "L9")])
    with pytest.raises(ValueError, match="L9"):
        metrics.status_history(make_items("p", ["A"]), statuses, scale)


def test_fixture_rates_over_time(kakuu: Any) -> None:
    scale = kakuu.scales["kakuu4"]
    rates = metrics.rates_over_time(
        kakuu.items.query("plan_id == 'k2'"), kakuu.statuses.query("plan_id == 'k2'"), scale
    )
    assert list(rates["as_of"]) == ["令和3年度末", "令和4年度末", "令和5年度末"]
    assert list(rates["achieved"]) == [3, 5, 6]
    assert rates["rate_incl_partial"].tolist() == pytest.approx([5 / 7, 6 / 7, 1.0])


def test_fixture_status_snapshots(kakuu: Any) -> None:
    scale = kakuu.scales["kakuu4"]
    snaps = metrics.status_snapshots(kakuu.items, kakuu.statuses.query("plan_id == 'k2'"), scale)
    assert len(snaps) == 21
    first = snaps.loc[snaps["as_of"] == "令和3年度末"]
    assert first["change"].isna().all()
    item4 = snaps.loc[snaps["item_no"] == 4]
    assert list(item4["cls"]) == ["not_achieved", "partial", "achieved"]


def test_fixture_headline_at_first_snapshot(kakuu: Any) -> None:
    head = sentences.headline(kakuu, "k2", as_of="2022-03-31")
    assert head["as_of"] == "令和3年度末"
    assert "7項目のうち3項目（42.9%）が達成" in head["summary"]


def test_fixture_timeline_year_precision_and_undated(kakuu: Any) -> None:
    dated = metrics.timeline_events(kakuu.events)
    assert "K07" not in set(dated["event_id"])
    k04 = dated.loc[dated["event_id"] == "K04"].iloc[0]
    assert k04["position"] == 2020.0 and k04["fiscal_year_label"] == "令和2年度 (2020)"


# --------------------------------------------------------------------------------------------
# synthetic cases
# --------------------------------------------------------------------------------------------


def test_unrated_items_are_excluded_from_n_items() -> None:
    scale = make_scale(["achieved", "partial", "not_achieved"])
    city = FakeCity(
        plans=make_plans([("p", 2020, 2024, "s")]),
        items=make_items("p", ["A", "A", "B", "B"]),
        statuses=make_statuses("p", [(1, "2022-03-31", "L1"), (3, "2022-03-31", "L2")]),
        reported=empty_reported(),
        scales={"s": scale},
    )
    row = row_of(metrics.achievement(city), "p", "all")
    assert (row["n_items"], row["n_unrated"]) == (2, 2)
    assert row["rate_strict"] == pytest.approx(0.5)
    head = sentences.headline(city, "p")
    assert "未評価の2項目を除く" in head["summary"]


def test_mixed_snapshot_dates_are_noted() -> None:
    scale = make_scale(["achieved", "not_achieved"])
    city = FakeCity(
        plans=make_plans([("p", 2020, 2024, "s")]),
        items=make_items("p", ["A", "A"]),
        statuses=make_statuses("p", [(1, "2022-03-31", "L1"), (2, "2023-03-31", "L2")]),
        reported=empty_reported(),
        scales={"s": scale},
    )
    row = row_of(metrics.achievement(city), "p", "all")
    assert row["note"] == labels.NOTE_MIXED_AS_OF
    assert row["as_of"] == "時点2023-03-31"


def test_latest_statuses_picks_latest_on_or_before() -> None:
    statuses = make_statuses(
        "p", [(1, "2021-03-31", "L2"), (1, "2023-03-31", "L1"), (2, "2023-03-31", "L1")]
    )
    latest = metrics.latest_statuses(statuses)
    assert latest.set_index("item_no")["status"].to_dict() == {1: "L1", 2: "L1"}
    earlier = metrics.latest_statuses(statuses, pd.Timestamp("2022-01-01"))
    assert earlier.set_index("item_no")["status"].to_dict() == {1: "L2"}


def test_plan_with_nothing_to_evaluate_is_left_out() -> None:
    city = FakeCity(
        plans=make_plans([("p", 2020, 2024, None)]),
        items=make_items("p", []),
        statuses=make_statuses("p", []),
        reported=empty_reported(),
        scales={},
    )
    assert metrics.achievement(city).empty


def test_reported_only_comparison_with_two_reported_plans() -> None:
    city = FakeCity(
        plans=make_plans([("a", 2010, 2014, None), ("b", 2015, 2019, None)]),
        items=make_items("a", []),
        statuses=make_statuses("a", []),
        reported=make_reported(
            [("a", None, "rate_strict", 0.4, "約4割"), ("b", None, "rate_strict", 0.6, "約6割")]
        ),
        scales={},
    )
    table = metrics.comparison(metrics.achievement(city))
    assert table.loc[1, "change_strict"] == pytest.approx(0.2)
    assert pd.isna(table.loc[1, "change_incl_partial"])


# --------------------------------------------------------------------------------------------
# invariants over random scales and statuses
# --------------------------------------------------------------------------------------------

CLASSES = st.sampled_from(["achieved", "partial", "not_achieved"])


@st.composite
def random_city(draw: st.DrawFn) -> FakeCity:
    """One plan with a random 2-6 level scale, random items, snapshots and a reported figure."""
    classes = draw(st.lists(CLASSES, min_size=2, max_size=6))
    scale = make_scale(classes)
    n_items = draw(st.integers(min_value=1, max_value=25))
    targets = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n_items, max_size=n_items))
    goals = draw(
        st.lists(st.one_of(st.none(), st.integers(1, 3)), min_size=n_items, max_size=n_items)
    )
    dates = ["2021-03-31", "2022-03-31", "2023-03-31"]
    rows = []
    for item_no in range(1, n_items + 1):
        for date in draw(st.lists(st.sampled_from(dates), unique=True, max_size=3)):
            rows.append((item_no, date, f"L{draw(st.integers(1, len(classes)))}"))
    value = draw(st.floats(min_value=0, max_value=1, allow_nan=False))
    return FakeCity(
        plans=make_plans([("p", 2020, 2024, "s"), ("r", 2015, 2019, None)]),
        items=make_items("p", targets, goals),
        statuses=make_statuses("p", rows),
        reported=make_reported([("r", None, "rate_strict", value, "約")]),
        scales={"s": scale},
    )


@settings(max_examples=60, deadline=None)
@given(random_city(), st.sampled_from([None, "2021-12-31", "2022-03-31", "2030-01-01"]))
def test_achievement_invariants(city: FakeCity, as_of: str | None) -> None:
    frame = metrics.achievement(city, as_of=as_of)
    computed = frame.loc[frame["source"] == "computed"]
    assert not computed.empty
    for _, row in computed.iterrows():
        assert row["achieved"] + row["partial"] + row["not_achieved"] == row["n_items"]
        if row["n_items"] == 0:
            assert pd.isna(row["rate_strict"]) and pd.isna(row["rate_incl_partial"])
            continue
        assert 0 <= row["rate_strict"] <= row["rate_incl_partial"] <= 1
    overall = row_of(frame, "p", "all")
    assert overall["n_items"] + overall["n_unrated"] == len(city.items)
    for kind in ("target:", "category:"):
        parts = computed.loc[computed["breakdown"].str.startswith(kind)]
        if not parts.empty:
            assert parts["n_items"].sum() == overall["n_items"]
            assert parts["n_unrated"].sum() == overall["n_unrated"]
    reported = row_of(frame, "r", "all")
    assert reported["source"] == "reported"
    assert reported["rate_strict"] == city.reported["value"].iloc[0]
    assert pd.isna(reported["n_items"])


@settings(max_examples=60, deadline=None)
@given(random_city())
def test_status_counts_invariants(city: FakeCity) -> None:
    counts = metrics.status_counts(city.items, city.statuses, city.scales, city.plans)
    scale = city.scales["s"]
    assert list(counts["status"]) == list(scale.levels["code"])
    evaluated = counts["n_items"].iloc[0]
    assert counts["count"].sum() == evaluated
    if evaluated:
        assert counts["share"].sum() == pytest.approx(1.0)
    overall = row_of(metrics.achievement(city), "p", "all")
    per_class = counts.groupby("cls")["count"].sum()
    for cls in ("achieved", "partial", "not_achieved"):
        assert per_class.get(cls, 0) == overall[cls]


@settings(max_examples=40, deadline=None)
@given(random_city())
def test_history_and_rates_over_time_invariants(city: FakeCity) -> None:
    scale = city.scales["s"]
    history = metrics.status_history(city.items, city.statuses, scale)
    pairs = city.statuses.groupby("item_no").size().clip(lower=1).sub(1).sum()
    assert len(history) == pairs
    for _, row in history.iterrows():
        expected = (
            "improved"
            if row["to_order"] < row["from_order"]
            else "worsened"
            if row["to_order"] > row["from_order"]
            else "unchanged"
        )
        assert row["change"] == expected
        assert row["from_as_of_date"] < row["to_as_of_date"]
    rates = metrics.rates_over_time(city.items, city.statuses, scale)
    assert list(rates["as_of_date"]) == sorted(city.statuses["as_of_date"].unique())
    evaluated = list(rates["n_items"])
    assert evaluated == sorted(evaluated)  # an item once rated stays rated
    for _, row in rates.iterrows():
        assert row["achieved"] + row["partial"] + row["not_achieved"] == row["n_items"]


@pytest.mark.parametrize("n_items", [16, 32, 48])
def test_one_rounding_for_cards_sentences_and_charts(n_items: int) -> None:
    """k/16 lies exactly on a half (6.25 %): every place rounds it half up to the same text."""
    from helpers.publish.html import Headline
    from helpers.views import charts

    achieved = n_items // 16
    city = FakeCity(
        plans=make_plans([("1", 2020, 2024, "s")]),
        items=make_items("1", ["A"] * n_items),
        statuses=make_statuses(
            "1",
            [(i, "2024-03-31", "L1" if i <= achieved else "L3") for i in range(1, n_items + 1)],
        ),
        reported=pd.DataFrame(columns=["plan_id", "as_of", "as_of_date", "measure", "value"]),
        scales={"s": make_scale(["achieved", "partial", "not_achieved"])},
    )
    achievement_df = metrics.achievement(city)
    figures = sentences.headline_from_achievement(achievement_df, "1")
    card = Headline("達成率", figures["rate_strict"], "%", "", "", percent=True)
    assert card.value_text() == "6.3"
    assert f"{achieved}項目（6.3%）" in figures["sentences"]["achieved"]
    counts = metrics.status_counts(city.items, city.statuses, city.scales, city.plans)
    table = charts.status_distribution_table(counts)
    assert "6.3%" in table.to_string()
    assert "6.2%" not in table.to_string() + figures["summary"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("統合型地理情報システム(GIS)", "統合型地理情報システム（GIS）"),
        ("更新しました(平成21年10月稼働)。", "更新しました（平成21年10月稼働）。"),
        ("外部委託化(事務電算化の始まり)", "外部委託化（事務電算化の始まり）"),
        ("平成24年度 (2012)", "平成24年度 (2012)"),  # ASCII stays ASCII
        ("CMS (content)", "CMS (content)"),
    ],
)
def test_source_text_gets_full_width_brackets(text: str, shown: str) -> None:
    assert sentences.jp_brackets(text) == shown


def test_plan_names_get_full_width_brackets_wherever_they_are_shown() -> None:
    """A plan named with half-width brackets in plans.csv (as text extraction leaves them) is
    shown with full-width ones in charts, tables and sentences alike: they all take
    ``metrics.plan_name``."""
    plan = pd.Series({"name": "第2期DX推進計画(改訂版)", "short_name": None})
    assert metrics.plan_name(plan) == "第2期DX推進計画（改訂版）"
    assert metrics.plan_name(plan.replace({None: "DX計画(第2期)"})) == "DX計画（第2期）"
