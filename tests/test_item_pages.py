"""Item pages and what the evaluation round adds to the plan report, on the example city.

The report set's ``for_each: item`` entry, the plan report's links, its sections by department
and of the committee's opinions, each section of an item page, and the open data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import report
from helpers.data.city import load_city
from helpers.publish import opendata
from helpers.publish.reportset import (
    ConfigError,
    expand_report_set,
    item_rows,
    plan_rows,
    read_report_set,
)
from helpers.publish.sections import NotApplicable

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "example-city"
CONFIG = REPO / "notebooks" / "example-city.yaml"


def html_of(shown: object) -> str:
    bundle = shown._repr_mimebundle_()  # type: ignore[attr-defined]
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return data["text/html"]


@pytest.fixture(scope="module")
def city():
    return load_city(EXAMPLE)


# --- the report set ----------------------------------------------------------------------


def test_for_each_item_gives_one_page_per_item(city) -> None:
    raw = read_report_set(CONFIG)
    reports = expand_report_set(
        raw, plan_rows(city.plans), pdf=False, items=item_rows(city.items, city.plans)
    ).reports
    pages = [r for r in reports if r.for_each == "item"]
    assert len(pages) == len(city.items) == 13
    first = pages[0]
    assert (first.name, first.output) == ("item-1-1", "items/item-1-1")
    assert first.title == "ホームページの再構築(架空市情報化推進計画(架空の例) 項目1)"
    assert first.parameters["plan_id"] == "1" and first.parameters["item_no"] == "1"
    assert first.parameters["plan_report"] == "plan-1"
    assert first.parameters["report_output"] == "items/item-1-1"
    plan = next(r for r in reports if r.name == "plan-2")
    assert plan.parameters["item_pages"] == "items/item-{plan_id}-{item_no}"
    assert [r.output for r in pages[-2:]] == ["items/item-2-7", "items/item-2-8"]


def test_item_pages_are_not_listed_on_the_index(city) -> None:
    index = report.index_context(data_dir=str(EXAMPLE), report_set=str(CONFIG), pdf=False)
    listing = html_of(index.report_list())
    assert "plan-2.html" in listing and "items/" not in listing
    assert "項目ごとの評価のページ（13件）" in listing


def test_an_unknown_for_each_is_refused(tmp_path: Path, city) -> None:
    config = tmp_path / "set.yaml"
    config.write_text(
        f"data: {EXAMPLE}\nreports:\n  - name: x-{{plan_id}}\n"
        f"    notebook: {REPO / 'notebooks' / 'item_report.py'}\n    for_each: goal\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="for_each must be 'plan' or 'item'"):
        expand_report_set(read_report_set(config), plan_rows(city.plans))


# --- the plan report ---------------------------------------------------------------------


def test_plan_item_table_links_to_item_pages_and_names_departments() -> None:
    plan = report.plan_context(
        plan_id="2",
        data_dir=str(EXAMPLE),
        report_output="plan-2",
        item_pages="items/item-{plan_id}-{item_no}",
    )
    html = html_of(plan.item_table())
    assert '<div id="item-list"></div>' in html
    assert '<a href="items/item-2-1.html">オンライン申請の拡大</a>' in html
    assert html.count('href="items/item-2-') == 8
    assert '<th scope="col"' in html and "担当課" in html
    unlinked = html_of(report.plan_context(plan_id="2", data_dir=str(EXAMPLE)).item_table())
    assert "<a " not in unlinked


def test_department_breakdown_counts_each_departments_items(city) -> None:
    table = report.plan_context(plan_id="2", data_dir=str(EXAMPLE)).departments()
    frame = table.df.set_index("担当課")
    items = city.items.loc[city.items["plan_id"] == "2"]
    assert frame["項目数"].to_dict() == items["department"].value_counts().to_dict()
    # 市民課: 2-2 and 2-3 are 完了 (achieved) at 令和6年度末; the headers are the city's words
    assert frame.loc["市民課", "完了"] == 2 and frame.loc["市民課", "「完了」の割合"] == 1.0
    assert frame.loc["情報政策課", "実施中"] == 3
    assert frame.loc["情報政策課", "「完了」と「実施中」の割合"] == 1.0
    assert not {"達成", "一部達成", "未達成", "達成率"} & set(table.df.columns)


def test_department_breakdown_not_applicable_without_departments() -> None:
    plan = report.plan_context(plan_id="2", data_dir=str(REPO / "data" / "higashiyamato"))
    assert isinstance(plan.departments(), NotApplicable)
    assert isinstance(plan.committee(), NotApplicable)


def test_committee_opinions_on_the_plan_and_its_items() -> None:
    html = html_of(report.plan_context(plan_id="2", data_dir=str(EXAMPLE)).committee())
    assert "架空市情報化推進委員会は令和6年度末の評価について、次の意見を述べました。" in html
    assert html.index("オンライン申請は着実に") < html.index("デジタル活用支援の講座は")
    assert "項目ごとの委員会意見（令和6年度末）" in html
    assert "個人情報の扱いに注意して試行を進めてください。" in html


def test_committee_opinions_follow_the_report_date() -> None:
    earlier = report.plan_context(plan_id="2", data_dir=str(EXAMPLE), as_of="令和5年度末")
    assert isinstance(earlier.committee(), NotApplicable)


# --- item pages ----------------------------------------------------------------------------


def test_item_page_sections(city) -> None:
    item = report.item_context(
        plan_id="2",
        item_no=5,
        data_dir=str(EXAMPLE),
        report_output="items/item-2-5",
        plan_report="plan-2",
    )
    heading = html_of(item.heading())
    assert "デジタル活用支援講座（第2期計画 項目5）" in heading
    assert "担当課：情報政策課" in heading
    assert 'href="../plan-2.html#item-list"' in heading and 'href="../index.html"' in heading
    history = item.history().df
    assert history["時点"].tolist() == ["令和5年度末", "令和6年度末"]
    assert history["評価理由"].tolist() == ["—", "講座の参加者が一部の地区に偏っています。"]
    cards = item.summary().cards
    assert [c.value for c in cards] == ["実施中", "実施中", "見直し"]
    assert item.results().df["実績"].tolist() == ["講座を24回開き、延べ410人が参加しました。"]
    assert item.committee().df["委員会意見"].tolist() == [
        "参加の少ない地区での開催を検討してください。"
    ]
    indicators = html_of(item.indicators())
    assert "2-5 デジタル化に満足している市民の割合" in indicators
    assert "2-1" not in indicators  # only this item's indicators


def test_item_page_of_an_item_without_round_data() -> None:
    item = report.item_context(plan_id="1", item_no=5, data_dir=str(EXAMPLE))
    assert list(item.history().df.columns) == ["時点", "取組状況（最終）"]
    for section in (item.results(), item.committee(), item.indicators()):
        assert isinstance(section, NotApplicable)
    assert "../" not in html_of(item.heading())  # no links outside a build


def test_unknown_item_is_a_parameter_error() -> None:
    with pytest.raises(report.ReportParameterError, match="allowed: 1, 2, 3"):
        report.item_context(plan_id="2", item_no=99, data_dir=str(EXAMPLE))


# --- open data ------------------------------------------------------------------------------


def test_open_data_carries_the_round(city) -> None:
    tables = opendata.open_data_tables(city)
    items = tables["items.csv"]
    row = items.loc[
        (items["plan_id"] == "2") & (items["item_no"] == 5) & (items["as_of"] == "令和6年度末")
    ]
    assert row.iloc[0]["way_forward"] == "見直し"
    assert row.iloc[0]["rating_reason"] == "講座の参加者が一部の地区に偏っています。"
    opinions = tables["opinions.csv"]
    assert opinions["opinion_no"].tolist() == [1, 2]
    assert opinions["as_of_date"].tolist() == ["2025-03-31", "2025-03-31"]
    labels = tables["columns.csv"].set_index(["file", "column"])["label"]
    assert labels[("items.csv", "way_forward")] == "今後の方向性"
    assert labels[("opinions.csv", "opinion")] == "委員会の意見(計画全体)"


def test_open_data_without_round_data_is_unchanged(tmp_path: Path) -> None:
    bundled = opendata.open_data_tables(load_city(REPO / "data" / "higashiyamato"))
    assert list(bundled["items.csv"].columns) == list(opendata.ITEM_COLUMNS)
    assert "opinions.csv" not in bundled
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    (copy / "opinions.csv").unlink()
    assert "opinions.csv" not in opendata.open_data_tables(load_city(copy))
