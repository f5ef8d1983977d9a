"""A city's reports speak its own rating words: the example city (架空市) rates items 完了 /
実施中 / 未着手, so its headline cards, sentences, breakdown charts, department table and index
say 完了 / 実施中 / 未着手, never the bundled city's 達成 / 一部達成 / 未達成; a rate that counts
its "in progress" class says that the plan was evaluated during its period; its indicator table
names the rule each indicator is rated by and calls 実績値÷目標値 目標達成度, not 達成率."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import report
from helpers.data.city import load_city
from helpers.report.indicators import indicator_section
from helpers.views import charts, labels, metrics

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "example-city"
BUNDLED = ROOT / "data" / "higashiyamato"
FIXTURE = ROOT / "tests" / "fixtures" / "sample_city"
GENERIC = ("達成", "一部達成", "未達成")


@pytest.fixture(scope="module")
def example() -> Any:
    return report.plan_context(plan_id="2", data_dir=str(EXAMPLE))


def _units(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every unit spec (one with a mark) inside layers and facets."""
    found = [spec] if "mark" in spec else []
    for child in [*spec.get("layer", []), *([spec["spec"]] if "spec" in spec else [])]:
        found += _units(child)
    return found


def _strings(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_status_words_come_from_the_scale() -> None:
    example = load_city(EXAMPLE)
    words = metrics.status_words(example.scale_of("2"))
    assert dict(words.classes) == {
        "achieved": "完了",
        "partial": "実施中",
        "not_achieved": "未着手",
    }
    assert words.measures == {
        "rate_strict": "「完了」の割合",
        "rate_incl_partial": "「完了」と「実施中」の割合",
    }
    assert metrics.city_status_words(example) == words
    # the bundled scale's words are the generic ones, with the established rate names
    bundled = load_city(BUNDLED)
    assert metrics.status_words(bundled.scale_of("2")).generic
    assert metrics.city_status_words(bundled).measures["rate_incl_partial"] == (
        "達成率（一部達成を含む）"
    )
    # two levels counted as one class are named together
    four = metrics.status_words(load_city(FIXTURE).scale_of("k1"))
    assert four.cls("partial") == "○ ほぼ達成・△ 着手"


def test_headline_cards_use_the_citys_words_and_say_mid_term(example: Any) -> None:
    cards = example.headline().cards
    assert [c.label for c in cards] == ["「完了」の割合", "「完了」と「実施中」の割合", "未着手"]
    both = cards[1].sentence
    assert both == (
        "「完了」と「実施中」（実施しているが完了していない）を合わせると8項目（100.0%）です。"
        "計画期間中（令和6年度末時点）の評価です。"
    )
    text = _strings([c.label + c.sentence for c in cards])
    for word in GENERIC:
        assert f"「{word}」" not in text and "達成率" not in text


def test_a_final_evaluation_says_nothing_of_the_period() -> None:
    # plan 1 (令和元年度～令和3年度) evaluated at 令和3年度末: its final result
    plan1 = report.plan_context(plan_id="1", data_dir=str(EXAMPLE))
    assert "計画期間中" not in _strings([c.sentence for c in plan1.headline().cards])


def test_bundled_headline_keeps_its_words_and_adds_the_mid_term_note() -> None:
    cards = report.plan_context(plan_id="2", data_dir=str(BUNDLED)).headline().cards
    assert [c.label for c in cards] == ["達成率", "達成率（一部達成を含む）", "未達成"]
    assert cards[1].sentence == (
        "「一部達成」（取組目標の一部のみ達成したもの）の4項目を含めると18項目です。"
        "計画期間中（平成24年度末時点）の評価です。"
    )


def test_index_summary_uses_the_citys_words() -> None:
    city = load_city(EXAMPLE)
    from helpers.views import sentences

    achievement = metrics.achievement(city)
    summary = sentences.headline_from_achievement(
        achievement, "2", words=metrics.status_words(city.scale_of("2"))
    )["summary"]
    assert summary == (
        "令和6年度末時点で、第2期計画の8項目のうち3項目（37.5%）が「完了」、"
        "「実施中」を合わせると8項目（100.0%）です。計画期間中の評価です。"
    )


def test_breakdown_charts_name_the_classes_in_the_citys_words(example: Any) -> None:
    rows = example._rows()
    for kind in ("target_level", "category"):
        chart = getattr(charts, f"{kind}_chart")(rows, words=example.words)
        spec = chart.to_dict()
        bars = [
            u
            for u in _units(spec)
            if (u["mark"] if isinstance(u["mark"], str) else u["mark"]["type"]) == "bar"
        ]
        y = bars[0]["encoding"]["y"]
        assert y["sort"] == ["完了", "実施中", "未着手"]
        data = next(iter(spec["datasets"].values()))
        assert {r["cls_label"] for r in data} == {"完了", "実施中", "未着手"}
        description = getattr(charts, f"{kind}_description")(rows, words=example.words)
        assert "達成" not in description.replace("「完了」の割合", "")
        table = getattr(charts, f"{kind}_table")(rows, words=example.words)
        assert {"完了", "実施中", "未着手", "「完了」の割合"} <= set(table.columns)
        assert not set(GENERIC) & set(table.columns)
    # the bundled breakdown is unchanged without words
    bundled = report.plan_context(plan_id="2", data_dir=str(BUNDLED))
    table = charts.target_level_table(bundled._rows())
    assert {"達成", "一部達成", "達成率（一部達成を含む）"} <= set(table.columns)


def test_comparison_and_history_charts_name_the_rates_in_the_citys_words(example: Any) -> None:
    words = metrics.city_status_words(example.city)
    comparison = metrics.comparison(example.achievement_df)
    spec = charts.comparison_chart(comparison, words=words).to_dict()
    assert spec["facet"]["column"]["sort"] == ["「完了」の割合", "「完了」と「実施中」の割合"]
    assert "達成率" not in _strings(spec)
    statuses = example._statuses_until()
    rates = metrics.rates_over_time(example._items(), statuses, example.scale)
    spec = charts.rates_over_time_chart(rates, words=example.words).to_dict()
    assert spec["title"]["text"] == "取組状況の割合の推移"
    assert "達成率" not in _strings(spec)
    assert "一部達成" not in _strings(spec)


def test_scale_table_and_reading_notes_use_the_citys_words(example: Any) -> None:
    # 完了 is its own class's name: no second column saying 達成
    assert "区分" not in example.scale_table().df.columns
    notes = example.sources().text
    assert "「完了」と「実施中」の割合は、「実施中」の項目も数えた割合" in notes
    assert "一部達成" not in notes


def test_generic_words_keep_the_established_names() -> None:
    words = labels.DEFAULT_WORDS
    assert words.columns == labels.COLUMNS
    assert words.measures == labels.MEASURE_LABELS


def test_indicator_table_names_each_indicators_rule_and_target_ratio(example: Any) -> None:
    section = indicator_section(example.city, example.plan, example.name, example.as_of)
    assert section is not None
    frame = section.table().df.set_index("指標")
    # 2-1 is rated B by the ratio rule on its 目標達成度 98.1 %, 2-2 A by movement (no ratio)
    first = frame.loc["2-1 オンラインで申請できる手続の割合"]
    assert first["評価基準"] == "目標の達成度（4段階）"
    assert first["目標達成度"] == "98.1%" and first["評価"] == "B"
    second = frame.loc["2-2 窓口の平均待ち時間（低いほど良い）"]
    assert second["評価基準"] == "基準値からの変化（5段階）"
    assert second["目標達成度"] == "—"
    reasons = section.reasons()._repr_mimebundle_()["text/html"]
    assert "目標達成度 = 実績値 78.5% ÷ 年度目標 80.0% = 98.1%" in reasons
    assert "達成率" not in reasons


def test_indicator_table_of_one_rule_needs_no_rule_column() -> None:
    plan1 = report.plan_context(plan_id="1", data_dir=str(EXAMPLE))
    section = indicator_section(plan1.city, plan1.plan, plan1.name, plan1.as_of)
    assert section is not None
    columns = set(section.table().df.columns)
    assert "評価基準" not in columns and "目標達成度" not in columns
