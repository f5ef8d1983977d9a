"""Indicator charts (helpers.views.indicator_charts), the plan report's indicator section
(helpers.report.indicators) and indicators.csv in the open data."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import report
from helpers.data import load_city
from helpers.publish import opendata, svg
from helpers.publish.html import Figure, Table
from helpers.publish.sections import NotApplicable
from helpers.report.common import Stack
from helpers.report.indicators import indicator_section
from helpers.views import indicator_charts as ic
from helpers.views import indicators as iv
from helpers.views import theme

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "example-city"
BUNDLED = ROOT / "data" / "higashiyamato"
GUNMA = ROOT / "tests" / "fixtures" / "gunma_indicators"


@pytest.fixture(scope="module")
def city():
    return load_city(EXAMPLE)


@pytest.fixture(scope="module")
def ratings(city):
    return iv.indicator_ratings(city, "2")


def html_of(obj) -> str:
    bundle = obj._repr_mimebundle_()
    return (bundle[0] if isinstance(bundle, tuple) else bundle)["text/html"]


def text_of(obj) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(obj)))


def layers_of(spec: dict) -> list[dict]:
    """Every unit spec of a (faceted, layered) chart spec."""
    found, stack = [], [spec]
    while stack:
        node = stack.pop()
        if "mark" in node:
            found.append(node)
        stack.extend(node.get("layer", []))
        if "spec" in node:
            stack.append(node["spec"])
    return found


# --- charts ---------------------------------------------------------------------------------


def test_trend_has_a_panel_per_indicator_with_baseline_and_target(city) -> None:
    points = iv.trend_points(city, "2", 2024)
    spec = ic.trend_chart(points).to_dict()
    panels = {row["panel"] for row in spec["datasets"][spec["data"]["name"]]}
    assert (
        len(panels)
        == city.indicators.loc[city.indicators["plan_id"] == "2", "indicator_id"].nunique()
    )
    lower = [p for p in panels if p.startswith("2-2 ") or p.startswith("2-7 ")]
    assert lower and all("低いほど良い" in p for p in lower)
    assert spec["facet"]["field"] == "panel" and spec["columns"] == 2
    assert spec["resolve"]["scale"]["y"] == "independent"
    marks = [layer["mark"]["type"] for layer in layers_of(spec)]
    assert marks.count("rule") == 1 and "line" in marks and "text" in marks
    assert "reverse" not in json.dumps(spec)  # lower-is-better is not turned upside down
    kinds = {row["kind"] for row in spec["datasets"][spec["data"]["name"]]}
    assert kinds == {"actual", "baseline", "target", "year_target"}


def test_trend_words_and_table(city) -> None:
    points = iv.trend_points(city, "2", 2024)
    assert ic.trend_title(points) == "指標の推移（令和6年度まで）"
    sentence = ic.trend_description(points)
    assert (
        "8本の指標" in sentence
        and "基準値より悪いものが1本（情報モラル学習の受講率（中学生））" in sentence
    )
    table = ic.trend_table(points)
    assert list(table.columns[:4]) == ["指標", "系列", "方向", "基準値"]
    assert {"令和4年度", "令和5年度", "令和6年度", "目標値", "年度目標"} <= set(table.columns)
    telework = table.loc[table["指標"] == "2-6 テレワークを行った職員の割合"].iloc[0]
    assert telework["令和6年度"] == "33.0%（速報）"
    assert telework["基準値"] == "5.0%（令和3年度）"


def test_trend_sentence_names_the_years_it_compares(city) -> None:
    """Every comparison of the trend's text names the fiscal year of both values: the latest
    actual and the baseline (策定時); an indicator whose latest actual is older than the others'
    is compared in a sentence of its own that names it and its year."""
    sentence = ic.trend_description(iv.trend_points(city, "2", 2024))
    assert "令和6年度の実績値を令和3年度（策定時）の基準値と比べると、" in sentence
    # 2-5 has no actual after 令和4年度: not counted as if it were of 令和6年度
    assert (
        "実績値が令和4年度までの1本（デジタル化に満足している市民の割合）では、"
        "令和4年度の実績値を令和3年度（策定時）の基準値と比べると、" in sentence
    )
    assert "令和8年度の目標値に達したものが" in sentence
    # です・ます, full-width punctuation, every sentence closed
    assert sentence.endswith("す。") and not re.search(r"[(),:;]", sentence)
    # baselines of different years (Gunma: 平成27年度 and 平成28年度) are never lumped together
    gunma = ic.trend_description(iv.trend_points(load_city(GUNMA), "4", 2019))
    assert "令和元年度の実績値を平成27年度（策定時）の基準値と比べると" in gunma
    assert "令和元年度の実績値を平成28年度（策定時）の基準値と比べると" in gunma


def test_trend_sentence_without_baseline_names_the_indicators(city) -> None:
    points = iv.trend_points(city, "2", 2024)
    one = points.loc[points["indicator_id"] == "2-3"]
    no_baseline = one.loc[one["kind"] != "baseline"]
    sentence = ic.trend_description(no_baseline)
    assert sentence == (
        "1本の指標（系列ごと）の令和6年度までの推移を示します。基準値のない1本（電子申請の件数）"
        "では、令和6年度の実績値が令和8年度の目標値に達したものが0本、達していないものが1本です。"
    )


def shown_by(layer: dict, row: dict) -> bool:
    """Whether a unit layer's filters keep ``row`` (the simple predicates Altair writes)."""
    for step in layer.get("transform", []):
        expr = step["filter"].replace("===", "==").replace("!==", "!=").replace("&&", " and ")
        expr = re.sub(r"!(?!=)", " not ", expr)
        if not eval(expr.replace("datum.", "row_."), {"row_": Row(row)}):
            return False
    return True


class Row:
    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


def test_trend_baseline_labels_keep_clear_of_the_y_axis(city) -> None:
    """The baseline sits half a year from the y axis: a label centred on it ran over the
    axis's tick labels (「基準 35.0%」 over 「40」). Its label now starts at the square and runs
    right, below the dashed line when higher is better, above it when lower is better or the
    line is low."""
    spec = ic.trend_chart(iv.trend_points(city, "2", 2024)).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    texts = [layer for layer in layers_of(spec) if layer["mark"]["type"] == "text"]
    baselines = [r for r in rows if r["kind"] == "baseline" and r["label"]]
    assert len(baselines) == 6  # every single-series indicator's baseline is named
    for row in baselines:
        showing = [layer["mark"] for layer in texts if shown_by(layer, row)]
        assert len(showing) == 1, row["label"]
        mark = showing[0]
        assert mark["align"] == "left" and -6 <= mark.get("dx", 0) <= 0, row["label"]
        side = "top" if row["label_side"] == "below" else "bottom"
        assert mark["baseline"] == side and (mark["dy"] > 0) == (side == "top")
    sides = {r["indicator_id"]: r["label_side"] for r in baselines}
    assert sides["2-1"] == "below"  # higher is better: the actuals rise above the line
    assert sides["2-2"] == "above"  # lower is better: the actuals fall below it
    assert sides["2-6"] == "above"  # 5% on a 0-40 scale: below the line it would meet the x axis
    target = next(r for r in rows if r["kind"] == "target" and r["indicator_id"] == "2-7")
    assert target["label_side"] == "below"  # lower is better: clear of the latest actual's label
    # every label is drawn exactly once
    for row in rows:
        if row["label"]:
            assert sum(shown_by(layer, row) for layer in texts) == 1, row["label"]
    # the baseline's dashed line spans the plot, whatever width a phone drawing gives it
    rule = next(layer for layer in layers_of(spec) if layer["mark"]["type"] == "rule")
    assert rule["encoding"]["x2"] == {"value": "width"}


def test_trend_marks_a_preliminary_actual(city) -> None:
    """A 速報 actual (2-6, 令和6年度) is drawn as a hollow point, labelled 「速報」, and named
    with its year and value in the chart's text; the data table says （速報） too."""
    points = iv.trend_points(city, "2", 2024)
    spec = ic.trend_chart(points).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    preliminary = [r for r in rows if r["kind"] == "actual" and r["status"] == "速報"]
    assert [(r["indicator_id"], r["fiscal_year"]) for r in preliminary] == [("2-6", 2024)]
    assert preliminary[0]["label"] == "33.0%（速報）"
    points_layers = [
        layer
        for layer in layers_of(spec)
        if layer["mark"]["type"] == "point" and "color" in layer["encoding"]
    ]
    for row in rows:
        if row["kind"] != "actual":
            continue
        (mark,) = [layer["mark"] for layer in points_layers if shown_by(layer, row)]
        hollow = mark["filled"] is False and mark.get("fill") == "#FFFFFF"
        assert hollow == (row["status"] == "速報"), row
    sentence = ic.trend_description(points)
    assert "テレワークを行った職員の割合の令和6年度の実績値（33.0%）は速報値で" in sentence
    assert "白抜きの点" in sentence and sentence.endswith("。")
    telework = ic.trend_table(points).set_index("指標").loc["2-6 テレワークを行った職員の割合"]
    assert telework["令和6年度"] == "33.0%（速報）"
    # a set without preliminary values says nothing about them
    confirmed = points.assign(value_status=None)
    assert "速報" not in ic.trend_description(confirmed)


def test_trend_has_a_phone_chart_with_one_full_width_panel_per_row(city) -> None:
    """Drawn from the two-column chart, the phone drawing kept the legends side by side (wider
    than a phone) and squeezed every panel's plot to about 60 px; the chart for phones stacks the
    panels and the legends' entries, and its drawing fits a phone at its own size."""
    points = iv.trend_points(city, "2", 2024)
    plan = city.plans.loc[city.plans["plan_id"] == "2"].iloc[0]
    section = indicator_section(city, plan, "第2期計画")
    assert section is not None
    figure = section.trend_figure()
    assert figure is not None and figure.narrow_chart is not None
    spec = ic.trend_narrow_chart(points).to_dict()
    assert spec["columns"] == 1 and spec["spec"]["width"] == ic.NARROW_PANEL_WIDTH
    legends = [
        layer["encoding"][channel]["legend"]
        for layer in layers_of(spec)
        for channel in ("color", "shape")
        if layer["encoding"].get(channel, {}).get("legend")
    ]
    assert legends and all(legend["direction"] == "vertical" for legend in legends)
    width, _ = svg.svg_size(svg.convert(spec))
    assert svg.NARROW_WIDTH * 0.85 <= width <= svg.NARROW_WIDTH


def test_trend_legend_names_only_the_lines_drawn(city) -> None:
    """An item page shows one indicator measured in series (2-4): its legend named 実績値 too, a
    line the chart does not have. The series keep the colours they have on the plan's chart."""
    points = iv.trend_points(city, "2", 2024)

    def colours(frame: pd.DataFrame) -> dict[str, str]:
        spec = ic.trend_chart(frame).to_dict()
        scale = next(
            layer["encoding"]["color"]["scale"]
            for layer in layers_of(spec)
            if layer["mark"]["type"] == "line"
        )
        return dict(zip(scale["domain"], scale["range"], strict=True))

    whole = colours(points)
    assert list(whole) == ["実績値", "小学生", "中学生"]
    series_only = colours(points.loc[points["indicator_id"] == "2-4"])
    assert series_only == {name: whole[name] for name in ("小学生", "中学生")}


def test_distribution_lists_every_level_and_colours_missing_grey(city, ratings) -> None:
    dist = iv.rating_distribution(ratings, city.indicator_rules, 2024)
    spec = ic.distribution_chart(dist).to_dict()
    data = spec["datasets"][spec["data"]["name"]]
    assert [r["label"] for r in data if r["rule"] == "ratio4"] == ["A", "B", "C", "D", "−"]
    colours = dict(
        zip(
            spec["spec"]["layer"][0]["encoding"]["color"]["scale"]["domain"],
            spec["spec"]["layer"][0]["encoding"]["color"]["scale"]["range"],
            strict=True,
        )
    )
    assert colours["ratio4|−"] == theme.UNRATED_COLOUR
    assert colours["ratio4|A"] != colours["ratio4|D"]
    assert "row" in spec["facet"] or "row" in spec.get("encoding", {})  # one panel per rule
    sentence = ic.distribution_description(dist)
    assert sentence.startswith("令和6年度の7指標の評価は、")
    assert "目標の達成度（4段階）で評価した6指標がA 0、B 4、C 1、D 0、− 1" in sentence
    table = ic.distribution_table(dist)
    assert list(table.columns) == ["評価基準", "評価", "指標数", "割合"]
    assert table["指標数"].sum() == 7


def test_text_labels_carry_every_level(city, ratings) -> None:
    """Colour is never the only cue: every bar and segment names its level and count."""
    by_goal = iv.ratings_by_goal(ratings, city.indicator_rules, 2024)
    spec = ic.by_goal_chart(by_goal).to_dict()
    data = spec["datasets"][spec["data"]["name"]]
    assert sorted(r["text"] for r in data) == ["A 1", "B 2", "B 2", "C 1", "− 1"]
    assert "行かない窓口" in ic.by_goal_description(by_goal)
    table = ic.by_goal_table(by_goal)
    assert table["指標数"].sum() == 7


def test_level_colours_run_from_blue_to_vermillion() -> None:
    assert ic.level_colour(0, 4) == "#0072B2" and ic.level_colour(3, 4) == "#D55E00"
    assert ic.level_colour(0, 4, missing=True) == theme.UNRATED_COLOUR
    assert ic.level_colour(6, 7) == "#D55E00"  # more levels than palettes still end in vermillion


def test_charts_of_a_real_published_evaluation() -> None:
    gunma = load_city(GUNMA)
    points = iv.trend_points(gunma, "4", 2019)
    assert ic.trend_title(points) == "指標の推移（令和元年度まで）"
    ic.trend_chart(points).to_dict()  # valid Vega-Lite (Altair validates)
    ratings = iv.indicator_ratings(gunma, "4")
    dist = iv.rating_distribution(ratings, gunma.indicator_rules, 2019)
    assert dist.set_index("level")["count"].to_dict() == {
        "達成A": 0,
        "前進B": 1,
        "横ばいC": 3,
        "後退D": 0,
        "−": 0,
    }


# --- the report section ---------------------------------------------------------------------


#: A half-width bracket after or around Japanese text ("評価の内訳(令和6年度)").
HALF_WIDTH_AROUND_JAPANESE = re.compile(r"[\u3040-\u9fff]\(|\([^()]*[\u3040-\u9fff][^()]*\)")


def parts_of(section) -> list:
    out = []
    for part in section.parts if isinstance(section, Stack) else (section,):
        out.extend(parts_of(part) if isinstance(part, Stack) else [part])
    return out


def test_plan_report_indicator_section(tmp_path: Path) -> None:
    plan = report.plan_context(plan_id="2", data_dir=str(EXAMPLE))
    section = plan.indicators()
    parts = parts_of(section)
    figures = [p for p in parts if isinstance(p, Figure)]
    assert [f.title for f in figures] == [
        "指標の評価の内訳（令和6年度）",
        "重点目標別の指標の評価（令和6年度）",
        "指標の推移（令和6年度まで）",
    ]
    tables = {p.caption: p.df for p in parts if isinstance(p, Table)}
    main = tables["第2期計画の指標の評価（令和6年度）"]
    assert list(main.columns) == [
        "指標",
        "策定時",
        "前年度",
        "現状値",
        "目標値",
        "進捗",
        "目標達成度",  # the ratio rule's measure: 2-1's B is its 98.1 %, not its 進捗
        "評価",
        "評価基準",  # two rules (ratio4, sabc): which one rated each indicator
        "公表評価",
    ]
    row = main.set_index("指標").loc["2-3 電子申請の件数"]
    assert (row["現状値"], row["評価"], row["公表評価"]) == ("24,010件", "B", "C")
    assert main.set_index("指標").loc["2-2 窓口の平均待ち時間（低いほど良い）", "評価"] == "A"
    assert main.set_index("指標").loc["2-5 デジタル化に満足している市民の割合", "現状値"] == "—"
    assert (
        "年度目標 80.0%"
        in main.set_index("指標").loc["2-1 オンラインで申請できる手続の割合", "目標値"]
    )
    differ = tables["公表された評価と計算した評価が異なる指標"]
    assert differ[["年度", "指標", "公表された評価", "計算した評価"]].values.tolist() == [
        ["令和6年度", "2-3 電子申請の件数", "C", "B"]
    ]
    assert "速報値" in differ.iloc[0]["備考（出典の注記）"]
    text = text_of(section)
    assert "令和6年度の実績値で、第2期計画の7つの指標を評価しました。" in text
    assert "評価基準「目標の達成度（4段階）」の段階" in text
    assert "1件がこの報告書で計算した評価と異なります" in text
    # Japanese prose, titles and cells use full-width brackets (city.yaml's 「…(4段階)」 too)
    shown = [text, *(f.title for f in figures), *tables]
    shown += [str(v) for df in tables.values() for v in df.to_numpy().ravel()]
    half_width = [t for t in shown if HALF_WIDTH_AROUND_JAPANESE.search(t)]
    assert half_width == []


def test_plan_with_only_agreeing_published_ratings_says_so() -> None:
    plan = report.plan_context(plan_id="1", data_dir=str(EXAMPLE))
    text = text_of(plan.indicators())
    assert "すべてこの報告書で計算した評価と一致しています" in text
    assert "重点目標別" not in text  # plan 1's indicators name no goal


def test_as_of_chooses_the_evaluation_year() -> None:
    plan = report.plan_context(plan_id="2", data_dir=str(EXAMPLE), as_of="令和5年度末")
    tables = {p.caption: p.df for p in parts_of(plan.indicators()) if isinstance(p, Table)}
    main = tables["第2期計画の指標の評価（令和5年度）"]
    assert main.set_index("指標").loc["2-1 オンラインで申請できる手続の割合", "評価"] == "A"


def test_plan_without_indicators_shows_nothing() -> None:
    for plan_id in ("1", "2"):
        section = report.plan_context(plan_id=plan_id, data_dir=str(BUNDLED)).indicators()
        assert isinstance(section, NotApplicable)


def test_indicators_without_any_actual_yet(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(EXAMPLE, folder)
    header = (folder / "actuals.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "actuals.csv").write_text(header + "\n", encoding="utf-8")
    section = report.plan_context(plan_id="2", data_dir=str(folder)).indicators()
    text = text_of(section)
    assert "7つの指標には、まだ実績値の記録がありません。" in text
    tables = [p for p in parts_of(section) if isinstance(p, Table)]
    assert any(list(t.df.columns) == ["指標", "方向", "策定時", "目標値"] for t in tables)


# --- open data ------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_indicators_csv_contract(city) -> None:
    files = opendata.open_data_files(city)
    assert list(files) == [
        "achievement.csv",
        "items.csv",
        "events.csv",
        "indicators.csv",
        "opinions.csv",  # the example city also records its committee's opinions
        "columns.csv",
    ]
    raw = files["indicators.csv"]
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    head = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(head) == opendata.INDICATOR_COLUMNS
    rows = read_csv(raw)
    whole = [r for r in rows if r["row_kind"] == "indicator"]
    keys = [(r["plan_id"], r["indicator_id"], r["fiscal_year"]) for r in whole]
    assert len(keys) == len(set(keys))  # one row per indicator and fiscal year
    assert len(whole) == 11 + 7 * 3  # plan 1: 11 indicator-years; plan 2: 7 indicators x 3 years
    row = next(r for r in whole if r["indicator_id"] == "2-3" and r["fiscal_year"] == "2024")
    assert (row["rating"], row["published_rating"], row["agrees"]) == ("B", "C", "False")
    assert abs(float(row["ratio"]) - 24010 / 30000) < 1e-9
    series = [r for r in rows if r["indicator_id"] == "2-4" and r["fiscal_year"] == "2024"]
    assert [(r["series"], r["rating"]) for r in series] == [
        ("", "C"),
        ("小学生", "B"),
        ("中学生", "C"),
    ]
    missing = next(r for r in whole if r["indicator_id"] == "2-5" and r["fiscal_year"] == "2024")
    assert (missing["value"], missing["rating"]) == ("", "−")
    described = {(r["file"], r["column"]): r for r in read_csv(files["columns.csv"])}
    for column in opendata.INDICATOR_COLUMNS:
        assert described[("indicators.csv", column)]["label"], column
    assert "lower: 低いほど良い" in described[("indicators.csv", "direction")]["note"]


def test_data_without_indicators_publishes_no_indicators_csv() -> None:
    assert "indicators.csv" not in opendata.open_data_files(load_city(BUNDLED))


def test_indicators_csv_is_deterministic(city) -> None:
    assert opendata.open_data_files(city) == opendata.open_data_files(load_city(EXAMPLE))
    frame = opendata.indicators_table(city)
    assert isinstance(frame, pd.DataFrame) and not frame["rating"].isna().any()


def test_an_indicator_without_an_actual_shows_a_dash_for_its_progress() -> None:
    """A phone card showed 「進捗：」 and nothing after it for 2-5 (no actual in 令和6年度)."""
    from helpers.data.city import load_city
    from helpers.report.indicators import indicator_section

    city = load_city(ROOT / "data" / "example-city")
    plan = city.plans.loc[city.plans["plan_id"] == "2"].iloc[0]
    section = indicator_section(city, plan, "第2期計画")
    assert section is not None
    rows = section.table().df.set_index("指標")["進捗"]
    assert rows["2-5 デジタル化に満足している市民の割合"] == "—"
    assert rows["2-4 情報モラル学習の受講率"] == ""  # the series below carry the values
