"""helpers.explore: the analysts' tables and quick charts, on the bundled data and the fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from helpers import explore
from helpers.data.city import load_city
from helpers.report.common import ReportParameterError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "sample_city"
EXAMPLE = ROOT / "data" / "example-city"


@pytest.fixture(scope="module")
def data() -> explore.Dataset:
    return explore.load(str(ROOT / "data" / "higashiyamato"))


def test_load_finds_the_data_folder_from_any_working_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    assert explore.load().city.folder == ROOT / "data" / "higashiyamato"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportParameterError, match="見つかりません"):
        explore.load()


def test_items_joined_with_their_latest_evaluation(data: explore.Dataset) -> None:
    items = data.items(plan_id="2")
    city = load_city(ROOT / "data" / "higashiyamato")
    assert len(items) == (city.items["plan_id"] == "2").sum() == 19
    assert items["取組状況"].value_counts(sort=False).to_dict() == {
        "達成": 14,
        "一部達成": 4,
        "未達成": 1,
    }
    assert set(items["時点"]) == {"平成24年度末"}
    statuses = city.statuses.set_index(["plan_id", "item_no"])["status"]
    for _, row in items.iterrows():
        assert row["取組状況"] == statuses[(row["計画ID"], row["項目番号"])]


def test_ratings_are_ordered_in_the_scale_order_not_the_alphabet(data: explore.Dataset) -> None:
    status = data.items(plan_id="2")["取組状況"]
    assert isinstance(status.dtype, pd.CategoricalDtype) and status.cat.ordered
    assert list(status.cat.categories) == ["達成", "一部達成", "未達成"]
    assert sorted(["未達成", "一部達成", "達成"]) != list(status.cat.categories)  # not by code
    assert list(status.sort_values().unique()) == ["達成", "一部達成", "未達成"]


def test_english_columns_on_request() -> None:
    items = explore.load(str(SAMPLE), columns="en").items()
    assert {"plan_id", "item_no", "name", "target", "status", "as_of"} <= set(items.columns)
    with pytest.raises(ReportParameterError, match="columns"):
        explore.load(str(SAMPLE), columns="fr")  # type: ignore[arg-type]


def test_history_and_an_earlier_evaluation() -> None:
    """The fictional city has three evaluation dates: as_of picks the one before it."""
    sample = explore.load(str(SAMPLE), columns="en")
    history = sample.evaluations()
    city = load_city(SAMPLE)
    assert len(history) == len(city.statuses)
    dates = sorted(city.statuses["as_of_date"].dropna().unique())
    first = city.statuses.loc[city.statuses["as_of_date"] == dates[0], "as_of"].iloc[0]
    early = sample.items(as_of=first)
    assert set(early["as_of"].dropna()) == {first}
    latest = sample.items()
    assert (latest["as_of_date"].dropna() >= early["as_of_date"].dropna().max()).all()


def test_as_of_before_every_evaluation_is_a_clear_error(data: explore.Dataset) -> None:
    with pytest.raises(
        ReportParameterError, match=r"平成20年度末.*以前の評価はありません.*平成24年度末"
    ):
        data.items(plan_id="2", as_of="平成20年度末")
    with pytest.raises(ReportParameterError, match="計画ID「9」"):
        data.items(plan_id="9")


def test_indicators_and_actuals() -> None:
    example = explore.load(str(EXAMPLE))
    city = load_city(EXAMPLE)
    indicators, actuals = example.indicators(), example.actuals()
    assert len(indicators) == len(city.indicators) > 0
    assert len(actuals) == len(city.actuals) > 0
    assert {"指標名", "単位", "年度", "実績値"} <= set(actuals.columns)
    assert actuals["指標名"].notna().all()
    assert explore.load(str(ROOT / "data" / "higashiyamato")).actuals().empty


def test_quick_chart_counts_in_scale_order_with_status_colours(data: explore.Dataset) -> None:
    items = data.items(plan_id="2")
    chart = explore.chart(items, x="取組状況", color="取組状況", title="取組状況")
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["aggregate"] == "count"
    assert spec["encoding"]["x"]["sort"] == ["達成", "一部達成", "未達成"]
    colour = spec["encoding"]["color"]["scale"]
    assert colour["domain"] == ["達成", "一部達成", "未達成"]
    assert colour["range"][0] != colour["range"][2]
    assert spec["config"]["font"].startswith(alt.theme.get()()["config"]["font"][:8])


def test_quick_chart_is_nan_safe_and_explains_unknown_columns() -> None:
    frame = pd.DataFrame({"年度": [2019, 2020, 2021], "値": [1.5, float("nan"), float("inf")]})
    chart = explore.chart(frame, x="年度", y="値", mark="line")
    spec = chart.to_dict()
    assert spec["encoding"]["x"]["type"] == "ordinal"  # years, not 2,019
    from helpers.publish.html import chart_markup

    json.dumps(spec, default=str)
    assert "null" in chart_markup(chart)  # the gap and the infinity become null, no error
    with pytest.raises(ReportParameterError, match="列「金額」がありません"):
        explore.chart(frame, x="金額")


def test_overview_names_the_city_and_its_tables(data: explore.Dataset) -> None:
    overview = data.overview()
    assert "東大和市" in overview.html and "items()" in overview.html
    assert data._repr_html_() == overview.html


def test_indicator_ratings_with_the_published_ones_beside() -> None:
    ratings = explore.load(str(EXAMPLE)).indicator_ratings()
    assert not ratings.empty
    label = ratings["評価(計算、表示名)"]
    assert isinstance(label.dtype, pd.CategoricalDtype) and label.cat.ordered
    assert not any(name.isascii() for name in ratings.columns)  # Japanese names throughout
    disagree = ratings.loc[ratings["計算と公表の一致"] == False]  # noqa: E712
    assert not disagree.empty  # the fictional city has a published rating that disagrees
    english = explore.load(str(EXAMPLE), columns="en").indicator_ratings()
    assert {"rating", "rating_label", "published_rating", "agrees"} <= set(english.columns)
    assert explore.load(str(ROOT / "data" / "higashiyamato")).indicator_ratings().empty
