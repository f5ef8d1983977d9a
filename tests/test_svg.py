"""Tests for helpers.publish.svg and helpers.publish.vlconvert: charts drawn as static SVG."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Iterator
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from helpers.publish import files, svg, vlconvert
from helpers.views import theme  # (importing it enables the report theme)

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "higashiyamato"
TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(files.CACHE_ENV_VAR, str(tmp_path / "cache"))
    svg.reset_stats()
    yield tmp_path / "cache"
    svg.reset_stats()


def texts(drawing: str) -> list[str]:
    return TEXT.findall(drawing)


def status_chart(names: list[str] | None = None) -> dict:
    names = names or ["達成", "一部達成", "未達成"]
    data = pd.DataFrame({"取組状況": names, "項目数": range(len(names), 0, -1)})
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(x=alt.X("項目数:Q", title="項目数"), y=alt.Y("取組状況:N", title=None))
        .properties(width=520)
    )
    return chart.to_dict()


def faceted_chart() -> dict:
    data = pd.DataFrame(
        {
            "計画": ["第一次計画", "第二次計画"] * 2,
            "指標": ["達成率", "達成率", "一部達成を含む", "一部達成を含む"],
            "割合": [0.4, 0.737, 0.4, 0.947],
        }
    )
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(x=alt.X("計画:N", axis=alt.Axis(labelAngle=0)), y="割合:Q")
        .properties(width=alt.Step(110))
        .facet(column="指標:N")
    )
    return chart.to_dict()


def test_japanese_labels_are_drawn_as_text_at_full_length() -> None:
    drawings = svg.chart_svgs(status_chart())
    labels = texts(drawings.wide.svg)
    assert {"達成", "一部達成", "未達成", "項目数"} <= set(labels)
    assert not any("…" in label for label in labels)
    assert 'font-family="' in drawings.wide.svg and "Noto Sans CJK JP" in drawings.wide.svg
    assert "<script" not in drawings.wide.svg


def test_text_is_at_least_13_px() -> None:
    drawing = svg.chart_svgs(status_chart()).wide.svg
    sizes = [float(size) for size in re.findall(r'font-size="([\d.]+)px"', drawing)]
    assert sizes and min(sizes) >= 13


def test_a_wide_chart_gets_a_phone_drawing_that_fits() -> None:
    drawings = svg.chart_svgs(status_chart())
    assert drawings.wide.width > svg.NARROW_WIDTH
    assert drawings.narrow is not None
    assert svg.NARROW_WIDTH - 60 <= drawings.narrow.width <= svg.NARROW_WIDTH + 3
    assert {"達成", "一部達成", "未達成"} <= set(texts(drawings.narrow.svg))


@pytest.mark.parametrize("section", ["status_figure", "target_figure", "comparison_figure"])
def test_a_report_charts_phone_drawing_is_made_in_one_go(section: str) -> None:
    """The plot width of the phone drawing is guessed from the drawing as designed (text beside
    the bars included): one drawing each, not a drawing and then corrections."""
    from helpers import report

    plan = report.plan_context(plan_id="2", data_dir=str(BUNDLED))
    shown = getattr(plan, section)()
    figure = next(p for p in getattr(shown, "parts", (shown,)) if hasattr(p, "payload"))
    payload = figure.payload("chart-1")
    drawings = svg.chart_svgs(payload["spec"], payload["narrow_spec"])
    assert drawings.narrow is not None
    assert svg.NARROW_WIDTH * 0.85 <= drawings.narrow.width <= svg.NARROW_WIDTH + 3
    assert svg.stats().drawings == 2


def test_a_chart_whose_width_does_not_follow_its_plot_is_not_redrawn_in_vain() -> None:
    spec = status_chart()
    spec["title"] = {"text": "計画の取組状況を区分ごとに示す図の題名", "fontSize": 20}
    drawings = svg.chart_svgs(spec)
    assert drawings.narrow is not None and drawings.narrow.width > svg.NARROW_WIDTH
    assert svg.stats().drawings == 3  # as designed, then two phone drawings of equal width


def test_side_by_side_panels_are_stacked_for_phones() -> None:
    spec = faceted_chart()
    narrow = svg.narrow_spec(spec, 200)
    assert "row" in narrow["facet"] and "column" not in narrow["facet"]
    assert narrow["spec"]["width"] == 200  # the step width became a plot width
    drawings = svg.chart_svgs(spec)
    assert drawings.narrow is not None
    assert drawings.narrow.width <= svg.NARROW_WIDTH + 3
    assert drawings.narrow.height > drawings.wide.height  # one panel below the other


def test_stacked_panels_each_keep_their_axis_labels() -> None:
    """Stacked for a phone, a shared x axis labelled the last panel only: the first panel's
    bars had no names under them."""
    spec = faceted_chart()
    narrow = svg.narrow_spec(spec, 200)
    assert narrow["resolve"]["axis"]["x"] == "independent"
    labels_drawn = texts(svg.convert(narrow))
    for name in ("第一次計画", "第二次計画"):  # under the bars of both panels
        assert labels_drawn.count(name) == 2, (name, labels_drawn)
    assert texts(svg.convert(spec)).count("第一次計画") == 2  # side by side: as designed


def test_long_labels_are_shortened_only_on_phones() -> None:
    long_name = "住民基本台帳ネットワークシステム稼働"  # 18 characters: 234 px
    drawings = svg.chart_svgs(status_chart([long_name, "達成"]))
    assert long_name in texts(drawings.wide.svg)
    assert drawings.narrow is not None
    assert any(label.endswith("…") for label in texts(drawings.narrow.svg))


def test_a_chart_designed_for_phones_is_used_as_given() -> None:
    narrow = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")
    drawings = svg.chart_svgs(status_chart(), narrow.properties(width=150).to_dict())
    assert drawings.narrow is not None and drawings.narrow.width < 250


def test_a_small_chart_needs_no_phone_drawing() -> None:
    spec = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_point().encode(x="a:Q").to_dict()
    spec["width"] = 200
    drawings = svg.chart_svgs(spec)
    assert drawings.wide.width <= svg.NARROW_WIDTH
    assert drawings.narrow is None


def test_drawings_are_cached_on_disk(own_cache: Path) -> None:
    spec = status_chart()
    first = svg.chart_svgs(spec)
    made = svg.stats().drawings
    assert made >= 2  # wide and narrow
    cached = sorted((own_cache / "svg").glob("*.svg"))
    assert len(cached) == 2
    assert not list((own_cache / "svg").glob(".*"))  # no temporary files left
    again = svg.chart_svgs(spec)
    assert again == first
    assert svg.stats().drawings == made  # nothing drawn again
    assert svg.stats().cache_hits == 2
    changed = status_chart(["達成", "未達成"])
    assert svg.spec_key(changed, "wide") != svg.spec_key(spec, "wide")
    svg.chart_svgs(changed)
    assert svg.stats().drawings > made


def test_a_damaged_cache_file_is_drawn_again(own_cache: Path) -> None:
    spec = status_chart()
    wide = svg.chart_svgs(spec).wide
    path = svg.svg_cache_path(svg.spec_key(spec, "wide"))
    path.write_text("<svg truncated", encoding="utf-8")
    drawn = svg.stats().drawings
    assert svg.chart_svgs(spec).wide == wide
    assert svg.stats().drawings == drawn + 1


def test_the_cache_key_depends_on_the_environment() -> None:
    spec = status_chart()
    key = svg.spec_key(spec, "wide")
    svg._environment_key.cache_clear()
    try:
        original = svg.DRAWING_VERSION
        svg.DRAWING_VERSION = original + "-changed"
        assert svg.spec_key(spec, "wide") != key
    finally:
        svg.DRAWING_VERSION = original
        svg._environment_key.cache_clear()
    assert svg.spec_key(spec, "wide") == key


def test_no_data_is_fetched_while_drawing() -> None:
    spec = {"data": {"url": "https://example.invalid/data.csv"}, "mark": "point"}
    with pytest.raises(Exception, match=r"example\.invalid|not allowed|base URL"):
        svg.convert(spec)


def _draw_in_child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        drawing = svg.convert(status_chart())
        queue.put(("ok", vlconvert.started_here(), "達成" in drawing))
    except Exception as error:  # reported to the test
        queue.put(("error", repr(error), False))


def test_a_process_forked_after_drawing_draws_in_a_fresh_process() -> None:
    """vl-convert's runtime does not survive fork: the child draws through a drawing process
    instead of waiting forever (what a build with --jobs 2 started from a test process does)."""
    svg.convert(status_chart())
    assert vlconvert.started_here()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_draw_in_child, args=(queue,))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == ("ok", False, True)


_DRAW_WITH_FONTS = """
import json, sys
import vl_convert
for folder in sys.argv[2:]:
    vl_convert.register_font_directory(folder)
spec = json.loads(sys.argv[1])
print(vl_convert.vegalite_to_svg(spec), end="")
"""


def _draw_in_fresh_process(spec: dict, *folders: Path) -> str:
    """A drawing by vl-convert in a process of its own with only these font folders added
    (registered fonts cannot be taken back in a process)."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-c", _DRAW_WITH_FONTS, json.dumps(spec), *map(str, folders)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_measuring_fonts_draw_the_same_charts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renamed copies of Noto Sans CJK JP (faster to measure with) change no drawing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    source = vlconvert.cjk_font_dir()
    measuring = vlconvert.measuring_fonts(source)
    assert measuring is not None and measuring.is_relative_to(tmp_path / "user-cache")
    assert vlconvert.measuring_fonts(source) == measuring  # made once
    from fontTools.ttLib import TTFont

    families = {TTFont(str(p), lazy=True)["name"].getDebugName(1) for p in measuring.glob("*.otf")}
    assert families == {vlconvert.MEASURING_FAMILY}
    spec = status_chart(["達成", "一部達成", "未達成（Windows 7 のサポート終了）"])
    spec["layer"] = [
        {"mark": "bar", "encoding": spec.pop("encoding")},
        {
            "mark": {"type": "text", "dx": 4, "align": "left", "fontWeight": "bold"},
            "encoding": {
                "x": {"field": "項目数", "type": "quantitative"},
                "y": {"field": "取組状況", "type": "nominal"},
                "text": {"field": "取組状況", "type": "nominal"},
            },
        },
    ]
    spec.pop("mark")

    def drawn(font: str, *folders: Path) -> str:
        return _draw_in_fresh_process({**spec, "config": {"font": font}}, *folders)

    # the copy measures exactly as the original face does ...
    copy_alone = drawn("'Noto Sans JP'", source, measuring)
    original = drawn("'Noto Sans CJK JP'", source)
    assert copy_alone.replace("Noto Sans JP", "Noto Sans CJK JP") == original
    assert drawn("'Noto Sans JP'", source) != copy_alone  # (without it: another font)
    # ... so the theme's charts are drawn the same, byte for byte
    with_copies = drawn(theme.FONT, source, measuring)
    assert "Windows 7" in with_copies and with_copies == drawn(theme.FONT, source)


def test_no_measuring_fonts_without_noto_sans_cjk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    other = tmp_path / "fonts"
    other.mkdir()
    (other / "readme.txt").write_text("no fonts here", encoding="utf-8")
    assert vlconvert.measuring_fonts(other) is None


def test_missing_japanese_fonts_are_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    monkeypatch.setenv(vlconvert.FONT_DIR_ENV_VAR, str(empty))
    with pytest.raises(vlconvert.MissingFontError, match="fonts-noto-cjk"):
        vlconvert.cjk_font_dir()


def test_the_font_folder_holds_a_japanese_font() -> None:
    folder = vlconvert.cjk_font_dir()
    assert any("CJK" in path.name for path in folder.iterdir())
