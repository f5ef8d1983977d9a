"""Tests of helpers.views.charts and helpers.theme through the Vega-Lite specs (``to_dict``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

from helpers.data.city import load_city
from helpers.views import charts, metrics, theme

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def city() -> Any:
    return load_city(ROOT / "data" / "higashiyamato")


@pytest.fixture(scope="module")
def kakuu() -> Any:
    return load_city(ROOT / "tests" / "fixtures" / "sample_city")


# --------------------------------------------------------------------------------------------
# spec helpers
# --------------------------------------------------------------------------------------------


def units(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every unit spec (one with a mark) inside layers and facets."""
    if "mark" in spec:
        yield spec
    for child in spec.get("layer", []):
        yield from units(child)
    if "spec" in spec:
        yield from units(spec["spec"])
    for key in ("hconcat", "vconcat"):
        for child in spec.get(key, []):
            yield from units(child)


def mark_type(unit: dict[str, Any]) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def units_of(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    return [u for u in units(spec) if mark_type(u) == mark]


def rows(spec: dict[str, Any], unit: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The inline data rows used by ``unit`` (or by the top level)."""
    data = (unit or {}).get("data") or spec.get("data")
    return spec["datasets"][data["name"]]


def title_text(spec: dict[str, Any]) -> str:
    title = spec["title"]
    return title if isinstance(title, str) else title["text"]


def tooltips(unit: dict[str, Any]) -> dict[str, str]:
    """field -> Japanese tooltip title."""
    entries = unit["encoding"]["tooltip"]
    return {t["field"]: t["title"] for t in entries}


def assert_japanese_tooltips(unit: dict[str, Any]) -> None:
    tips = tooltips(unit)
    assert tips
    for title in tips.values():
        assert any(ord(ch) > 0x3000 for ch in title), title


# --------------------------------------------------------------------------------------------
# theme
# --------------------------------------------------------------------------------------------


def test_theme_is_registered_enabled_and_applied() -> None:
    assert alt.theme.active == theme.THEME_NAME
    assert theme.enable_theme() == "plan_report"
    config = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().to_dict()["config"]
    assert config["font"] == theme.FONT
    # the font the build measures labels with comes first, then Windows' and macOS' fonts
    assert config["font"].startswith("'Noto Sans JP', 'Noto Sans CJK JP'")
    assert "Meiryo" in config["font"] and config["font"].endswith("sans-serif")
    assert config["range"]["category"] == list(theme.OKABE_ITO)
    assert config["view"]["continuousWidth"] <= 640  # fits the text width of an A4 page


def test_status_colours_follow_class_and_order() -> None:
    levels = pd.DataFrame(
        {
            "code": ["S", "A", "B", "C"],
            "order": [1, 2, 3, 4],
            "cls": ["achieved", "achieved", "partial", "not_achieved"],
        }
    )
    colours = theme.status_colours(levels)
    assert colours["S"] == theme.CLASS_COLOURS["achieved"][0]
    assert colours["A"] == theme.CLASS_COLOURS["achieved"][1]
    assert colours["S"] != colours["A"]
    assert colours["B"] == theme.CLASS_COLOURS["partial"][0]
    assert colours["C"] == theme.CLASS_COLOURS["not_achieved"][0]
    assert set(colours.values()) <= set(theme.OKABE_ITO)
    assert theme.text_colour(colours["S"]) == "#FFFFFF"
    assert theme.text_colour(theme.CLASS_COLOURS["partial"][0]) == theme.INK


def test_vega_embed_options_are_japanese_and_fresh() -> None:
    options = theme.vega_embed_options()
    assert options["actions"] is False
    assert options["timeFormatLocale"]["months"][0] == "1月"
    assert options["formatLocale"]["decimal"] == "."
    options["formatLocale"]["decimal"] = ","
    assert theme.vega_embed_options()["formatLocale"]["decimal"] == "."


# --------------------------------------------------------------------------------------------
# status distribution
# --------------------------------------------------------------------------------------------


def test_status_distribution_bundled(city: Any) -> None:
    counts = metrics.status_counts(city.items, city.statuses, city.scales, city.plans)
    chart = charts.status_distribution_chart(counts)
    spec = chart.to_dict()
    assert title_text(spec) == "第二次計画の取組状況の内訳（平成24年度末時点）"
    assert title_text(spec) == charts.status_distribution_title(counts)
    (bar,) = units_of(spec, "bar")
    (text,) = units_of(spec, "text")
    enc = bar["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"], enc["x"]["title"]) == (
        "count",
        "quantitative",
        "項目数",
    )
    assert (enc["y"]["field"], enc["y"]["type"], enc["y"]["title"]) == (
        "label",
        "nominal",
        "取組状況",
    )
    assert enc["y"]["sort"] == ["達成", "一部達成", "未達成"]
    assert enc["color"]["scale"]["range"] == [
        theme.CLASS_COLOURS["achieved"][0],
        theme.CLASS_COLOURS["partial"][0],
        theme.CLASS_COLOURS["not_achieved"][0],
    ]
    assert text["encoding"]["text"]["field"] == "text"
    assert_japanese_tooltips(bar)
    assert tooltips(bar)["share"] == "割合"
    data = rows(spec)
    assert [r["text"] for r in data] == ["14項目（73.7%）", "4項目（21.1%）", "1項目（5.3%）"]
    description = charts.status_distribution_description(counts)
    expected = ("19項目", "達成14項目（73.7%）", "一部達成4項目（21.1%）", "未達成1項目（5.3%）")
    for number in expected:
        assert number in description
    assert description.count("。") == 1 and description.endswith("です。")  # one sentence
    table = charts.status_distribution_table(counts)
    assert list(table.columns) == ["計画", "取組状況", "区分", "項目数", "割合"]
    assert list(table["項目数"]) == list(counts["count"])
    assert list(table["割合"]) == ["73.7%", "21.1%", "5.3%"]


def test_status_distribution_fixture_facets_each_plan(kakuu: Any) -> None:
    counts = metrics.status_counts(kakuu.items, kakuu.statuses, kakuu.scales, kakuu.plans)
    spec = charts.status_distribution_chart(counts).to_dict()
    assert spec["facet"]["row"]["field"] == "plan_name"
    assert spec["resolve"]["scale"]["y"] == "independent"
    domain = next(iter(units_of(spec, "bar")))["encoding"]["color"]["scale"]["domain"]
    assert "上回って達成" in domain and "◎ 達成" in domain
    description = charts.status_distribution_description(counts)
    assert "第1期計画" in description and "第2期計画" in description
    assert "「上回って達成」3項目（42.9%）" in description  # a long level name is quoted
    # one long name in a plan's list quotes them all (「◎ 達成」 stood bare beside 「○ ほぼ達成」)
    assert "「◎ 達成」1項目（33.3%）、「○ ほぼ達成」0項目" in description
    assert "「未達成」0項目" in description


# --------------------------------------------------------------------------------------------
# breakdowns
# --------------------------------------------------------------------------------------------


def test_target_level_chart_bundled(city: Any) -> None:
    frame = metrics.achievement(city)
    spec = charts.target_level_chart(frame).to_dict()
    assert title_text(spec) == "第二次計画の取組目標別の取組状況（平成24年度末時点）"
    assert spec["facet"]["row"]["field"] == "panel"
    (bar,) = units_of(spec, "bar")
    assert bar["encoding"]["y"]["field"] == "cls_label"
    assert bar["encoding"]["y"]["sort"] == ["達成", "一部達成", "未達成"]
    assert_japanese_tooltips(bar)
    data = rows(spec)
    by_panel = {(r["panel"], r["cls_label"]): r["count"] for r in data}
    assert by_panel[("取組目標：実施（10項目）", "達成")] == 9
    assert by_panel[("取組目標：検討（9項目）", "一部達成")] == 3
    assert by_panel[("取組目標：検討（9項目）", "未達成")] == 1
    description = charts.target_level_description(frame)
    assert "「実施」の10項目は達成9項目・一部達成1項目・未達成0項目（達成率90.0%）" in description
    assert "「検討」の9項目は達成5項目・一部達成3項目・未達成1項目（達成率55.6%）" in description
    assert description.count("。") == 1 and description.endswith("です。")  # one sentence
    table = charts.target_level_table(frame)
    assert list(table["評価項目数"]) == [10, 9]
    assert list(table["達成"]) == [9, 5]
    assert list(table["達成率（一部達成を含む）"]) == ["100.0%", "88.9%"]


def test_category_chart_fixture(kakuu: Any) -> None:
    frame = metrics.achievement(kakuu)
    spec = charts.category_chart(frame).to_dict()
    assert title_text(spec) == "重点目標別の取組状況"
    panels = list(dict.fromkeys(r["panel"] for r in rows(spec)))
    assert "第2期計画 重点目標3：データの活用（2項目）" in panels
    table = charts.category_table(frame)
    expected = frame.loc[frame["breakdown"].str.startswith("category:"), "n_items"]
    assert list(table["評価項目数"]) == list(expected)
    assert "第2期計画の「データの活用」の2項目は" in charts.category_description(frame)


def test_long_panel_names_wrap_so_phones_need_not_shrink_the_chart(tmp_path: Path) -> None:
    """A goal named at length made the panel name the widest thing in the chart: on a phone the
    whole chart was shown shrunk, its text under 11 px."""
    import json
    import re
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(ROOT / "tests" / "fixtures" / "sample_city", folder)
    goals = folder / "goals.csv"
    long_goal = "ITを活用した参加と協働のしくみづくりと市民本位の情報環境の整備"
    goals.write_text(goals.read_text(encoding="utf-8").replace("働き方改革", long_goal), "utf-8")
    spec = charts.category_chart(metrics.achievement(load_city(folder))).to_dict()
    expr = spec["facet"]["row"]["header"]["labelExpr"]
    lines = json.loads(re.match(r"(\{.*\})\[datum\.value\]", expr).group(1))
    panels = set(dict.fromkeys(r["panel"] for r in rows(spec)))
    assert set(lines) == panels
    (name,) = [p for p in panels if long_goal in p]
    assert "".join(lines[name]) == name and len(lines[name]) > 1
    hang = 13  # a closing bracket may hang past the line's end (禁則)
    widths = [charts._text_width(line) for parts in lines.values() for line in parts]
    assert max(widths) <= charts.PANEL_NAME_WIDTH + hang
    assert lines[name][0].endswith("：")  # broken after the goal's number first


def test_category_description_without_categories(city: Any) -> None:
    description = charts.category_description(metrics.achievement(city))
    assert description == "重点目標ごとの内訳はありません。"


# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------


def test_a_mid_term_evaluation_is_named_as_such_in_the_comparison(city: Any) -> None:
    """Plan 2 was evaluated at the end of FY H24, with FY H25 left: beside plan 1's final
    figure the reader is told it is a mid-term one; plan 1 (no date) is not."""
    table = metrics.comparison(metrics.achievement(city))
    assert list(table["during_period"]) == [False, True]
    text = charts.comparison_description(table)
    assert "（第二次計画は計画期間中の平成24年度末時点の評価）。" in text
    assert "第一次計画は計画期間中" not in text


def test_comparison_chart_marks_reported_figures(city: Any) -> None:
    table = metrics.comparison(metrics.achievement(city))
    spec = charts.comparison_chart(table).to_dict()
    assert title_text(spec) == "計画ごとの達成率の比較"
    assert spec["facet"]["column"]["field"] == "measure_label"
    (bar,) = units_of(spec, "bar")
    enc = bar["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("plan_name", "nominal")
    assert enc["x"]["sort"] == ["第一次計画", "第二次計画"]
    assert (enc["y"]["field"], enc["y"]["type"]) == ("value", "quantitative")
    assert enc["y"]["axis"]["format"] == ".0%"
    # reported = hollow (white fill) and dashed outline; computed = filled, solid
    assert enc["color"]["field"] == "source_label"
    colour = dict(zip(enc["color"]["scale"]["domain"], enc["color"]["scale"]["range"], strict=True))
    assert colour["報告値"] == "#FFFFFF" and colour["計算値"] != "#FFFFFF"
    dash = dict(
        zip(enc["strokeDash"]["scale"]["domain"], enc["strokeDash"]["scale"]["range"], strict=True)
    )
    assert dash["報告値"] != dash["計算値"]
    assert_japanese_tooltips(bar)
    assert tooltips(bar)["value"] == "割合"
    data = {(r["plan_name"], r["measure"]): r for r in rows(spec)}
    assert data[("第一次計画", "rate_strict")]["text"] == "約4割（報告値）"
    assert data[("第一次計画", "rate_strict")]["value"] == 0.4
    assert data[("第二次計画", "rate_strict")]["text"] == "73.7%"
    # no rate including partial achievement in the source: no bar, but "記載なし" in its
    # place (an empty place read as 0 %), drawn by the text layer at the bottom
    missing = data[("第一次計画", "rate_incl_partial")]
    assert missing["text"] == "記載なし" and missing["label_y"] == 0
    assert missing.get("value") is None
    (label,) = units_of(spec, "text")
    assert label["encoding"]["y"]["field"] == "label_y"
    second = data[("第二次計画", "rate_strict")]
    assert second["label_y"] == second["value"] == 14 / 19  # others on their bars
    description = charts.comparison_description(table)
    assert "第一次計画が約4割（報告値）" in description
    assert "第二次計画が73.7%" in description and "94.7%" in description
    assert "増減は示していません" in description
    out = charts.comparison_table(table)
    assert list(out["数値の種類"]) == ["報告値", "計算値"]
    # the reported figure keeps the document's words: 約4割 never becomes a precise 40.0%
    assert list(out["達成率"]) == ["約4割", "73.7%"]
    assert "40.0%" not in out.to_string()
    assert list(out["達成率の増減"]) == ["", ""]


def test_comparison_changes_between_computed_plans(kakuu: Any) -> None:
    table = metrics.comparison(metrics.achievement(kakuu))
    description = charts.comparison_description(table)
    assert "第2期計画の達成率は前の計画から+52.4ポイント" in description
    assert list(charts.comparison_table(table)["達成率の増減"]) == ["", "+52.4ポイント"]


def test_comparison_wraps_long_plan_names_within_their_bar(kakuu: Any) -> None:
    """Plans known only by a long name (略称 left empty) must not run into each other."""
    import json
    import re

    table = metrics.comparison(metrics.achievement(kakuu))
    names = ["実行計画（2005〜2007年度）", "実行計画（2008〜2010年度）"]
    table["plan_name"] = names
    spec = charts.comparison_chart(table).to_dict()
    (bar,) = units_of(spec, "bar")
    expr = bar["encoding"]["x"]["axis"]["labelExpr"]
    lines = json.loads(re.match(r"(\{.*\})\[datum\.value\]", expr).group(1))
    assert set(lines) == set(names)
    for name, parts in lines.items():
        assert "".join(parts) == name and len(parts) > 1  # nothing cut, wrapped
        assert all(charts._text_width(p) <= charts.COMPARISON_STEP for p in parts)


# --------------------------------------------------------------------------------------------
# timeline
# --------------------------------------------------------------------------------------------


def timeline_inputs(city: Any, first_year: int = 1992) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events as the timeline report passes them: grouped, from the source chart's start."""
    events = metrics.with_event_groups(city.events, city.event_kinds)
    fy = events["fiscal_year"]
    return events.loc[fy.isna() | (fy >= first_year)], city.plans


def data_of(spec: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline rows a unit or layer uses (its own data, else its first layer's)."""
    data = node.get("data") or next(
        (c.get("data") for c in node.get("layer", []) if c.get("data")), None
    )
    return spec["datasets"][data["name"]]


def text_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return data_of(spec, spec["hconcat"][0])


def test_timeline_chart_bundled(city: Any) -> None:
    events, plans = timeline_inputs(city)
    spec = charts.timeline_chart(events, plans).to_dict()
    # the axis starts where the source's own chart does (FY H4); 昭和43年度 stays in the tables
    assert title_text(spec) == "出来事の年表（平成4年度～平成25年度）"
    plot = spec["hconcat"][1]
    data = text_rows(spec)
    shown = [r for r in data if r["row_kind"] in ("event", "period_event")]
    assert len(shown) == 30  # 33 events minus 昭和43年度 and the 2 without any time
    # every label is whole: no "…", and the wrapped lines give back the event text
    for row in data:
        assert "…" not in row["event_text"] + row["date_text"]
        if row["row_kind"] != "lane":
            assert row["event_text"].replace("\n", "") == row["event"]
    lanes = [r["event_text"] for r in data if r["row_kind"] == "lane"]
    assert lanes == ["計画", "稼働・導入など", "その他の取組", "市の外の出来事（災害・法令など）"]
    # go-lives, plans and outside events differ in shape and fill, not only colour
    (point,) = units_of(plot, "point")
    enc = point["encoding"]
    assert enc["shape"]["field"] == enc["fill"]["field"] == enc["stroke"]["field"]
    assert len(set(enc["shape"]["scale"]["range"])) == len(enc["shape"]["scale"]["domain"])
    assert "#FFFFFF" in enc["fill"]["scale"]["range"]  # その他: hollow
    by_group = {r["event"]: r["group"] for r in shown}
    assert by_group["東日本大震災"] == "external" and by_group["新基幹系システム稼働"] == "golive"
    # plan bands: two styles that differ in lightness and outline, with a gap between them
    rects = [
        u
        for u in units(plot)
        if mark_type(u) == "rect" and u["encoding"]["x"]["field"] == "band_start"
    ]
    (band1,) = data_of(spec, rects[0])
    (band2,) = data_of(spec, rects[1])
    assert band1["band_end"] < band2["band_start"]
    assert rects[0]["mark"]["fill"] != rects[1]["mark"]["fill"]
    assert rects[0]["mark"]["strokeDash"] != rects[1]["mark"]["strokeDash"]
    # plan 1's measures without a year: a line across plan 1's band, counted in plan 1
    during = [r for r in shown if r["row_kind"] == "period_event"]
    assert {r["event"] for r in during} >= {"公式ホームページ再構築", "公的個人認証サービス稼動"}
    assert all(r["position"] == band1["band_start"] for r in during)
    assert all(r["position_end"] == band1["band_end"] for r in during)
    description = charts.timeline_description(events, plans)
    assert description.count("。") == 1
    assert "平成4年度から平成25年度までの出来事30件" in description
    assert "第一次計画の期間は7件（うち年度の記載がないもの4件）" in description
    assert "第二次計画の期間は11件" in description and "時期の記載がない2件" in description
    table = charts.timeline_table(events, plans)
    assert list(table.columns) == [
        "時期（出典の表記）",
        "年度",
        "出来事",
        "分類",
        "計画期間",
        "出典頁",
        "備考",
    ]
    assert len(table) == 32  # the 30 drawn and the 2 without a time, last
    assert list(table["時期（出典の表記）"].tail(2)) == ["時期の記載なし"] * 2
    during = table.loc[table["出来事"] == "公的個人認証サービス稼動"].iloc[0]
    assert during["時期（出典の表記）"] == "第一次計画期間中（年度の記載なし）"
    assert during["計画期間"] == "第一次計画"


def test_timeline_narrow_chart_fits_a_phone(city: Any) -> None:
    events, plans = timeline_inputs(city)
    spec = charts.timeline_narrow_chart(events, plans).to_dict()
    left, plot = spec["hconcat"]
    assert left["width"] + plot["width"] <= 320
    for row in text_rows(spec):
        assert "…" not in row["event_text"]


def test_wrapped_lines_keep_japanese_line_breaking_rules() -> None:
    lines = charts.wrap_text("電子申請サービス更新(モバイル端末から一部利用可能に)", 210)
    assert "".join(lines) == "電子申請サービス更新(モバイル端末から一部利用可能に)"
    assert not any(line.startswith((")", "）", "、", "。")) for line in lines)
    assert lines[1].startswith("(")  # broken before the bracket, not inside it
    assert all(len(line) > 1 for line in charts.wrap_text("全小中学校の校内LAN整備完了", 120))


def test_timeline_year_axis_labels_every_year_in_range() -> None:
    axis = charts._year_axis(2009, 2013)
    assert axis.values == [2009, 2010, 2011, 2012, 2013]
    wide = charts._year_axis(1968, 2013)
    assert len(wide.values) < charts.MAX_YEAR_LABELS


def test_timeline_year_labels_above_the_plot_keep_off_its_axis_line(city: Any) -> None:
    """The labels' second line 「(2005)」 was drawn across the axis line above the plot: both
    lines of every year label now stand above it, in the drawing too."""
    from helpers.publish import svg

    spec = charts.timeline_chart(city.events, city.plans).to_dict()
    axes = [
        enc["x"]["axis"]
        for unit in units(spec)
        for enc in [unit.get("encoding", {})]
        if isinstance(enc.get("x", {}).get("axis"), dict)
    ]
    (top,) = [a for a in axes if a.get("orient") == "top"]
    assert top["labelPadding"] >= top["labelLineHeight"] + charts.YEAR_LABEL_PADDING
    drawing = svg.convert(spec)
    labels_group = re.search(r'class="mark-text role-axis-label".*?</g>', drawing, re.S)
    assert labels_group
    lines = re.findall(
        r'translate\([\d.]+,(-?[\d.]+)\)"[^>]*><tspan>[^<]*</tspan><tspan x="0" dy="([\d.]+)"',
        labels_group.group(0),
    )
    assert lines  # two-line labels were found
    assert all(float(y) + float(dy) < 0 for y, dy in lines)  # the second line above the axis


# --------------------------------------------------------------------------------------------
# status history and rates over time
# --------------------------------------------------------------------------------------------


def test_status_history_for_phones_fits_its_columns(kakuu: Any) -> None:
    """On a phone the grid's full status names ran over the next cell: the phone chart shows the
    code where it fits (A ↑, 実施中 ↑) or, with long codes, only the ↑/↓ mark, in columns as
    wide as their date, with a one-column legend naming every status."""
    scale = kakuu.scales["kakuu4"]
    snaps = metrics.status_snapshots(kakuu.items, kakuu.statuses.query("plan_id == 'k2'"), scale)
    spec = charts.status_history_narrow_chart(snaps).to_dict()
    texts = {row["text"] for row in spec["datasets"][spec["data"]["name"]]}
    assert texts <= {"", "↑", "↓"}  # 遅れはあるがおおむね達成 is too long for a cell
    (rect,) = units_of(spec, "rect")
    assert rect["encoding"]["color"]["legend"]["columns"] == 1
    assert spec["width"]["step"] == 13 * len("令和3年度末") + 2
    coded = snaps.assign(status=snaps["order"].map({1: "S", 2: "A", 3: "B", 4: "C"}))
    short = charts.status_history_narrow_chart(coded).to_dict()
    texts = {row["text"] for row in short["datasets"][short["data"]["name"]]}
    assert "A ↑" in texts and "B" in texts
    worded = snaps.assign(
        status=snaps["order"].map({1: "完了", 2: "実施中", 3: "遅れ", 4: "未着手"})
    )
    spec = charts.status_history_narrow_chart(worded).to_dict()
    texts = {row["text"] for row in spec["datasets"][spec["data"]["name"]]}
    assert "実施中 ↑" in texts  # three glyphs and a mark fit a column as wide as 令和3年度末


def test_status_history_fixture(kakuu: Any) -> None:
    scale = kakuu.scales["kakuu4"]
    snaps = metrics.status_snapshots(kakuu.items, kakuu.statuses.query("plan_id == 'k2'"), scale)
    assert charts.has_history(snaps)
    spec = charts.status_history_chart(snaps).to_dict()
    assert title_text(spec) == "項目別の取組状況の推移"
    (rect,) = units_of(spec, "rect")
    (text,) = units_of(spec, "text")
    enc = rect["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("as_of", "nominal")
    assert enc["x"]["sort"] == ["令和3年度末", "令和4年度末", "令和5年度末"]
    assert (enc["y"]["field"], enc["y"]["type"]) == ("item_label", "nominal")
    assert enc["color"]["scale"]["domain"] == [
        "上回って達成",
        "おおむね達成",
        "遅れはあるがおおむね達成",
        "未達成",
    ]
    assert text["encoding"]["text"]["field"] == "text"
    assert_japanese_tooltips(rect)
    cells = {(r["item_no"], r["as_of"]): r["text"] for r in rows(spec)}
    assert cells[(1, "令和4年度末")] == "おおむね達成 ↑"
    assert cells[(1, "令和3年度末")] == "遅れはあるがおおむね達成"
    description = charts.status_history_description(snaps)
    assert "7項目" in description and "3時点" in description and "改善8件" in description
    table = charts.status_history_table(snaps)
    assert list(table.columns) == [
        "項目番号",
        "項目名",
        "令和3年度末",
        "令和4年度末",
        "令和5年度末",
    ]
    assert table.loc[table["項目番号"] == 6, "令和5年度末"].item() == "遅れはあるがおおむね達成 ↑"


def test_single_snapshot_has_no_history(city: Any) -> None:
    snaps = metrics.status_snapshots(city.items, city.statuses, city.scales["achievement3"])
    assert not charts.has_history(snaps)


def test_rates_over_time_fixture(kakuu: Any) -> None:
    scale = kakuu.scales["kakuu4"]
    rates = metrics.rates_over_time(
        kakuu.items.query("plan_id == 'k2'"), kakuu.statuses.query("plan_id == 'k2'"), scale
    )
    spec = charts.rates_over_time_chart(rates).to_dict()
    assert title_text(spec) == "達成率の推移"
    (line,) = units_of(spec, "line")
    (point,) = units_of(spec, "point")
    assert line["encoding"]["strokeDash"]["field"] == "measure_label"
    assert point["encoding"]["shape"]["field"] == "measure_label"
    assert point["encoding"]["y"]["axis"]["format"] == ".0%"
    assert_japanese_tooltips(point)
    values = [(r["as_of"], r["measure"], r["text"]) for r in rows(spec)]
    assert ("令和3年度末", "rate_strict", "42.9%") in values
    assert ("令和5年度末", "rate_incl_partial", "100.0%") in values
    description = charts.rates_over_time_description(rates)
    assert "令和3年度末42.9%→令和4年度末71.4%→令和5年度末85.7%" in description
    table = charts.rates_over_time_table(rates)
    assert list(table["達成"]) == [3, 5, 6]
    assert list(table["達成率"]) == ["42.9%", "71.4%", "85.7%"]


# --------------------------------------------------------------------------------------------
# every chart: a title, tooltips and nothing displayed
# --------------------------------------------------------------------------------------------


def all_charts(city: Any) -> list[tuple[str, tuple[Any, ...]]]:
    achievement = metrics.achievement(city)
    scale = city.scales["achievement3"]
    return [
        (
            "status_distribution",
            (metrics.status_counts(city.items, city.statuses, city.scales, city.plans),),
        ),
        ("target_level", (achievement,)),
        ("comparison", (metrics.comparison(achievement),)),
        ("timeline", (city.events, city.plans)),
        ("status_history", (metrics.status_snapshots(city.items, city.statuses, scale),)),
        ("rates_over_time", (metrics.rates_over_time(city.items, city.statuses, scale),)),
    ]


def test_every_chart_has_title_description_table_and_tooltips(city: Any) -> None:
    for name, args in all_charts(city):
        chart = getattr(charts, f"{name}_chart")(*args)
        spec = chart.to_dict()
        assert title_text(spec) == getattr(charts, f"{name}_title")(*args), name
        assert spec["config"]["font"] == theme.FONT, name
        assert any("tooltip" in u.get("encoding", {}) for u in units(spec)), name
        description = getattr(charts, f"{name}_description")(*args)
        assert description.endswith("。") and any(ch.isdigit() for ch in description), name
        assert description.count("。") == 1, name  # one sentence, the text alternative
        table = getattr(charts, f"{name}_table")(*args)
        assert isinstance(table, pd.DataFrame) and not table.empty, name
        assert all(any(ord(ch) > 0x3000 for ch in str(c)) for c in table.columns), name
