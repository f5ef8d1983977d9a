"""Tests for helpers.publish.html: figure, table and headline HTML for notebook outputs."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from collections.abc import Iterator

import altair as alt
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from helpers.publish import html as render
from helpers.publish import svg
from helpers.views import formatting

EVIL = "<script>alert(1)</script>"
FAKE_BUNDLE = "window.vegaEmbed=function(){/* fake bundle */};"


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts at chart-1, in report mode, with a fake (tiny) bundle."""
    monkeypatch.setattr("helpers.publish.bundle.vega_bundle", lambda: FAKE_BUNDLE)
    monkeypatch.delenv(render.MODE_ENV_VAR, raising=False)
    render.reset_state()
    render.set_mode(render.REPORT_MODE)
    yield
    render.set_mode(None)
    render.reset_state()


def counts_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "取組状況": ["達成", "一部達成", "未達成"],
            "項目数": [14, 3, 2],
            "割合": [0.737, 0.158, 0.105],
        }
    )


def make_figure(
    title: str = "取組状況", description: str = "19項目中14項目が達成。"
) -> render.Figure:
    data = counts_table()
    chart = alt.Chart(data).mark_bar().encode(x="項目数:Q", y="取組状況:N")
    return render.Figure(
        chart=chart, title=title, description=description, table=data, percent_columns=["割合"]
    )


def soup_of(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def script_spec(script_text: str) -> dict:
    """Extract the spec literal from a chart script."""
    match = re.search(r"var spec=(\{.*?\});var opts=", script_text)
    assert match, script_text[:200]
    return json.loads(match.group(1))


# --- Figure -------------------------------------------------------------------------------


def live_markup(figure: render.Figure) -> str:
    """What JupyterLab shows for a displayed figure (interactive mode)."""
    render.set_mode(render.INTERACTIVE_MODE)
    try:
        return figure._repr_mimebundle_()["text/html"]
    finally:
        render.set_mode(render.REPORT_MODE)


def fake_drawings(wide_width: float = 600, narrow: bool = True) -> svg.ChartDrawings:
    def drawing(width: float) -> svg.Drawing:
        text = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="100"></svg>'
        return svg.Drawing(text, width, 100)

    return svg.ChartDrawings(drawing(wide_width), drawing(330) if narrow else None)


def test_report_mode_output_is_the_figure_json_only() -> None:
    """The kernel draws nothing: the exporter draws the spec (no HTML, no script, no bundle)."""
    output = make_figure()._repr_mimebundle_()
    assert set(output) == {render.FIGURE_MIMETYPE, "text/plain"}
    assert render.FIGURE_MIMETYPE.endswith("+json")  # nbformat stores it as JSON
    payload = output[render.FIGURE_MIMETYPE]
    assert payload["id"] == "chart-1"
    assert payload["title"] == "取組状況"
    assert payload["description"] == "19項目中14項目が達成。"
    assert payload["narrow_spec"] is None
    assert "$schema" not in payload["spec"] and "title" not in payload["spec"]
    assert payload["spec"]["encoding"]["x"]["field"] == "項目数"
    assert json.loads(json.dumps(payload)) == payload
    table = soup_of(payload["table_html"]).find("table")
    assert table.caption.get_text() == "取組状況（データ表）"
    assert output["text/plain"] == "取組状況: 19項目中14項目が達成。"


def test_figure_with_a_chart_designed_for_phones() -> None:
    data = counts_table()
    narrow = alt.Chart(data).mark_bar().encode(y="項目数:Q", x="取組状況:N").properties(width=200)
    figure = render.Figure(
        chart=make_figure().chart, title="t", description="d", table=data, narrow_chart=narrow
    )
    payload = figure._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    assert payload["narrow_spec"]["width"] == 200
    assert "$schema" not in payload["narrow_spec"]


def test_static_figure_structure() -> None:
    payload = make_figure()._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    soup = soup_of(render.static_figure_html(payload, fake_drawings()))
    figure = soup.find("figure")
    assert figure.figcaption.get_text() == "取組状況"
    assert figure["aria-labelledby"] == figure.figcaption["id"]
    assert soup.find("script") is None
    chart = figure.find("div", class_="chart")
    assert chart["id"] == "chart-1"
    # one text alternative: the image's alt; its visible copy is hidden from screen readers
    image = chart.picture.img
    assert image["alt"] == "19項目中14項目が達成。"
    assert image["src"].startswith("data:image/svg+xml;base64,")
    assert (image["width"], image["height"]) == ("600", "100")
    description = figure.find("p", class_="figure-description")
    assert description.get_text() == image["alt"]
    assert description["aria-hidden"] == "true"
    assert chart.get("role") is None and chart.get("aria-label") is None
    # the phone drawing is chosen below the wide drawing's width plus the page padding
    source = chart.picture.source
    assert source["media"] == f"(max-width: {600 + render.PAGE_SIDE_PADDING}px)"
    assert source["srcset"].startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(source["srcset"].split(",", 1)[1]).decode().count('width="330"')
    details = figure.find("details")
    assert details.summary.get_text() == "データ表（取組状況）"
    first_row = [cell.get_text() for cell in details.tbody.tr.find_all(["th", "td"])]
    assert first_row == ["達成", "14", "73.7%"]


def test_static_figure_without_a_phone_drawing() -> None:
    payload = make_figure()._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    soup = soup_of(render.static_figure_html(payload, fake_drawings(300, narrow=False)))
    assert soup.find("source") is None
    assert soup.find("img")["width"] == "300"


def test_live_figure_structure() -> None:
    soup = soup_of(live_markup(make_figure()))
    figure = soup.find("figure")
    chart = figure.find("div", class_="chart")
    assert chart["id"] == "chart-1"
    assert chart["role"] == "img"
    assert chart["aria-label"] == "19項目中14項目が達成。"
    scripts = figure.find_all("script")
    assert len(scripts) == 1
    assert 'window.vegaEmbed("#chart-1",spec,opts)' in scripts[0].string
    assert figure.find("p", class_="figure-description").get_text() == "19項目中14項目が達成。"
    assert figure.find("details").find("table").caption.get_text() == "取組状況（データ表）"


def test_live_figure_spec_is_the_chart_without_schema() -> None:
    spec = script_spec(soup_of(live_markup(make_figure())).find_all("script")[-1].string)
    assert "$schema" not in spec
    assert spec["mark"] == {"type": "bar"} or spec["mark"] == "bar"
    assert spec["encoding"]["x"]["field"] == "項目数"


def test_embed_options_forbid_eval_and_actions() -> None:
    options = render.embed_options()
    assert options["ast"] is True
    assert options["actions"] is False
    assert options["mode"] == "vega-lite"
    markup = make_figure().to_html("chart-9")
    opts = json.loads(re.search(r"var opts=(\{.*?\});function draw", markup).group(1))
    assert opts == options


def test_figure_ids_count_up_and_repeat_after_reset() -> None:
    def ids() -> list[str]:
        return [make_figure()._repr_mimebundle_()[render.FIGURE_MIMETYPE]["id"] for _ in range(3)]

    first = ids()
    assert first == ["chart-1", "chart-2", "chart-3"]
    render.reset_state()
    assert ids() == first


def test_same_figure_displayed_twice_gets_two_containers() -> None:
    figure = make_figure()
    one, two = (figure._repr_mimebundle_()[render.FIGURE_MIMETYPE]["id"] for _ in range(2))
    assert (one, two) == ("chart-1", "chart-2")


def test_figure_text_is_escaped() -> None:
    data = pd.DataFrame({"取組項目": [EVIL], "件数": [1]})
    chart = alt.Chart(data).mark_bar().encode(x="件数:Q", y="取組項目:N")
    figure = render.Figure(chart=chart, title=EVIL, description=f'"{EVIL}"', table=data)
    payload = figure._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    soup = soup_of(render.static_figure_html(payload, fake_drawings()))
    assert soup.find("script") is None  # the names only appear as text
    assert soup.figcaption.get_text() == EVIL
    assert soup.find("img")["alt"] == f'"{EVIL}"'
    assert soup.tbody.th.get_text() == EVIL
    live = soup_of(live_markup(figure))
    assert len(live.find_all("script")) == 2  # the bundle (first figure), the chart's call
    script = live.find_all("script")[-1].string
    assert "</script" not in script
    assert "<!--" not in script
    datasets = script_spec(script)["datasets"]
    assert list(datasets.values()) == [[{"取組項目": EVIL, "件数": 1}]]


def test_figure_requires_title_and_description() -> None:
    with pytest.raises(ValueError, match="description"):
        make_figure(description=" ")
    with pytest.raises(ValueError, match="title"):
        make_figure(title="")


def test_figure_accepts_a_spec_dict() -> None:
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "mark": "point",
        "data": {"values": [{"a": 1}]},
        "encoding": {"x": {"field": "a", "type": "quantitative"}},
    }
    figure = render.Figure(chart=spec, title="t", description="d", table=pd.DataFrame({"a": [1]}))
    payload = figure._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    assert "https://" not in json.dumps(payload)
    assert payload["spec"]["mark"] == "point"


def test_figure_has_no_html_repr_for_ipython_to_add() -> None:
    """IPython calls ``_repr_html_`` for a mimetype missing from the bundle: there is none."""
    assert not hasattr(make_figure(), "_repr_html_")


# --- modes and the Vega bundle ------------------------------------------------------------


def test_report_mode_never_emits_the_bundle() -> None:
    outputs = [json.dumps(make_figure()._repr_mimebundle_()) for _ in range(2)]
    assert all("fake bundle" not in o for o in outputs)


def test_interactive_mode_emits_the_bundle_once_per_kernel() -> None:
    render.set_mode(render.INTERACTIVE_MODE)
    first, second = (make_figure()._repr_mimebundle_() for _ in range(2))
    assert first["text/html"].count(FAKE_BUNDLE) == 1
    assert first["text/html"].index(FAKE_BUNDLE) < first["text/html"].index("<figure")
    assert FAKE_BUNDLE not in second["text/html"]
    assert render.FIGURE_MIMETYPE in first  # the exporter draws the same figure statically
    loader = render.load_vega()._repr_mimebundle_()
    assert FAKE_BUNDLE in loader["text/html"]
    assert render.VEGA_LOADER_MIMETYPE in loader  # the exporter drops it


def test_missing_library_note_depends_on_the_mode() -> None:
    analyst_note = render.MISSING_LIBRARY_NOTES[render.INTERACTIVE_MODE]
    assert render.script_json(analyst_note) in live_markup(make_figure())
    report_note = render.MISSING_LIBRARY_NOTES[render.REPORT_MODE]
    in_report = make_figure().to_html("chart-9")  # live markup made in report mode
    assert render.script_json(report_note) in in_report
    assert "load_vega" not in in_report  # the council never reads developer advice


def test_mode_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    render.set_mode(None)
    monkeypatch.setenv(render.MODE_ENV_VAR, "report")
    assert render.current_mode() == render.REPORT_MODE
    monkeypatch.setenv(render.MODE_ENV_VAR, "anything else")
    assert render.current_mode() == render.INTERACTIVE_MODE
    monkeypatch.delenv(render.MODE_ENV_VAR)
    assert render.current_mode() == render.INTERACTIVE_MODE
    render.set_mode(render.REPORT_MODE)
    assert render.current_mode() == render.REPORT_MODE
    with pytest.raises(ValueError):
        render.set_mode("pdf")


def test_script_safe_defuses_closing_tags() -> None:
    source = 'var a="</script><!--";var b="</SCRIPT>";'
    safe = render.script_safe(source)
    assert "</script" not in safe.lower()
    assert "<!--" not in safe


# --- tables -------------------------------------------------------------------------------


def test_table_html_has_no_index_and_formats_numbers() -> None:
    df = pd.DataFrame(
        {
            "項目": ["電子申請", EVIL, "地図"],
            "件数": [1234567, 12, 0],
            "率": [0.737, 1.0, float("nan")],
            "金額": [1234.5, 2.25, None],
            "公開": [True, False, True],
            "日付": [pd.Timestamp("2012-11-01"), pd.NaT, pd.Timestamp("2013-03-31")],
        },
        index=[10, 20, 30],
    )
    markup = render.table_html(df, "一覧 & 件数", percent_columns=["率"])
    soup = soup_of(markup)
    assert soup.caption.get_text() == "一覧 & 件数"
    assert [th.get_text() for th in soup.thead.find_all("th")] == list(df.columns)
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in soup.tbody.find_all("tr")]
    assert rows == [
        ["電子申請", "1,234,567", "73.7%", "1,234.5", "はい", "2012-11-01"],
        [EVIL, "12", "100.0%", "2.3", "いいえ", "—"],
        ["地図", "0", "—", "—", "はい", "2013-03-31"],
    ]
    assert "10" not in [row[0] for row in rows]  # the pandas index is not shown
    assert soup.find("script") is None
    assert soup.tbody.tr.find_all("td")[0]["class"] == ["num", "short"]
    assert soup.tbody.tr.th["scope"] == "row"


def test_short_columns_do_not_wrap_long_ones_do() -> None:
    df = pd.DataFrame(
        {
            "取組状況": ["達成", "一部達成"],
            "取組内容": ["短い", "庁内の業務システムを共同利用するための調査と検討を行いました。"],
            "稼働": ["平成24年11月", "—"],
        }
    )
    soup = soup_of(render.table_html(df, "一覧"))
    head = [th.get("class") for th in soup.thead.find_all("th")]
    assert head == [["short"], None, ["short"]]
    second = soup.tbody.find_all("tr")[1].find_all(["th", "td"])
    # a long value gets its own line under the column name on a phone card
    assert [cell.get("class") for cell in second] == [["short"], ["long"], ["short"]]


def test_names_are_marked_so_they_do_not_wrap_on_wide_screens() -> None:
    """Item and event names up to 16 characters are one line on a PC (a katakana word was cut
    in two: 図書館コンピュータシ|ステム); a longer name wraps, and a column that does not hold
    names (分類, 取組内容) is never marked."""
    df = pd.DataFrame(
        {
            "番号": [9, 11],
            "項目": ["統合型地理情報システム（GIS）", "図書館コンピュータシステム"],
            "状況": ["未達成", "達成"],
            "取組内容": ["地図データ等の共用空間データを一元管理しました。", "更新しました。"],
            "出来事": [
                "電子申請サービス更新（モバイル端末から一部利用可能に）",
                "グループウェア稼働",
            ],
            "分類": ["稼働・導入など", "市の外の出来事（災害・法令など）"],
        }
    )
    soup = soup_of(render.table_html(df, "一覧"))
    assert not soup.thead.find(class_="name")
    marks = [
        ["name" in (c.get("class") or []) for c in row.find_all(["th", "td"])]
        for row in soup.tbody.find_all("tr")
    ]
    assert marks == [
        [False, True, False, False, False, False],
        [False, True, False, False, True, False],
    ]
    chosen = soup_of(render.table_html(df, "一覧", name_columns=("分類",)))
    named = [c.get_text() for c in chosen.find_all(class_="name")]
    assert named == ["稼働・導入など", "市の外の出来事（災害・法令など）"]


def test_a_long_header_over_short_values_may_wrap() -> None:
    """達成率（一部達成を含む） over 94.7% wraps between phrases instead of widening its
    column; 評価項目数 and the values never wrap."""
    df = pd.DataFrame({"評価項目数": [19], "達成率（一部達成を含む）": ["94.7%"]})
    soup = soup_of(render.table_html(df, "比較"))
    head = [th.get("class") or [] for th in soup.thead.find_all("th")]
    assert ["short" in c for c in head] == [True, False]
    cells = soup.tbody.tr.find_all(["th", "td"])
    assert all("short" in c.get("class") for c in cells)


def test_columns_of_numbers_written_as_text_are_right_aligned() -> None:
    df = pd.DataFrame(
        {
            "指標": ["達成率", "一部達成を含む"],
            "報告値": ["約4割", "概ね9割（90%）"],
            "計算値": ["73.7%（19項目中14項目）", "94.7%"],
            "差": ["—", "+4.7ポイント"],
        }
    )
    soup = soup_of(render.table_html(df, "照合"))
    head = [th.get("class") or [] for th in soup.thead.find_all("th")]
    assert ["num" in c for c in head] == [False, False, True, True]
    cells = soup.tbody.find_all("tr")[1].find_all(["th", "td"])
    assert ["num" in (c.get("class") or []) for c in cells] == [False, False, True, True]


def test_wide_tables_become_cards_on_phones() -> None:
    wide = pd.DataFrame({"番号": [1], "項目": ["電子申請"], "取組目標": ["実施"], "状況": ["達成"]})
    soup = soup_of(render.table_html(wide, "一覧"))
    assert soup.table["class"] == ["data-table", "stack"]
    labels = [cell["data-label"] for cell in soup.tbody.tr.find_all(["th", "td"])]
    assert labels == ["番号", "項目", "取組目標", "状況"]
    narrow = soup_of(render.table_html(counts_table(), "状況"))
    assert narrow.table["class"] == ["data-table"]
    assert narrow.tbody.td.get("data-label") is None
    forced = soup_of(render.table_html(counts_table(), "状況", stack=True))
    assert "stack" in forced.table["class"]


def _box_classes(markup: str) -> list[str]:
    return soup_of(markup).find("div", class_="table-scroll")["class"]


def test_tables_too_wide_for_a_tablet_are_marked_for_cards_there() -> None:
    """Between a phone's and a PC's width a stacked table shows cards on screens narrower than
    it needs (``cards-below-N``, N in rem); one that fits every tablet is not marked."""
    four = pd.DataFrame({"番号": [1], "項目": ["電子申請"], "取組目標": ["実施"], "状況": ["達成"]})
    assert _box_classes(render.table_html(four, "一覧")) == ["table-scroll"]
    text = "庁内の業務システムを共同利用するための調査と検討を、近隣の三つの市と共同で行いました。"
    assert len(text) > render.SENTENCE_LENGTH
    wide = pd.DataFrame(
        {
            "番号": [1],  # short columns: their widest text and padding, 4em
            "取組状況": ["一部達成"],  # 6em
            "項目": ["統合型地理情報システムの構築"],  # a name: wraps down to 8em
            "取組内容": [text],  # sentences: 16em each, not squeezed to 8 glyphs a line
            "備考": [text],
        }
    )
    tablet = math.ceil(50 * 1.02 + 0.5 + 3)  # 50em, the margin and the page's sides (rem)
    # on a PC the name stays on one line (14em and padding): 58em, a wide table beside 2rem
    pc = math.ceil(58 + 2 + 0.5)
    assert tablet < pc
    assert _box_classes(render.table_html(wide, "一覧")) == [
        "table-scroll",
        "wide",
        f"cards-below-{pc}",
    ]
    # eight columns of sentences: 84em even on a PC, wider than any screen shows a table
    wider = pd.DataFrame({"番号": [1], **{f"説明{i}": [text] for i in range(1, 9)}})
    assert "cards-always" in _box_classes(render.table_html(wider, "一覧"))
    kept = _box_classes(render.table_html(wider, "一覧", stack=False))  # never cards
    assert not any(c.startswith("cards") for c in kept)


def test_a_narrow_table_too_wide_for_a_phone_shows_cards_there() -> None:
    """Three columns, but 重点目標 does not wrap (11 glyphs) and beside it 主な施策 was two
    glyphs wide on a phone: such a table stacks; three short columns do not."""
    goals = pd.DataFrame(
        {
            "重点目標": ["（1）情報化基盤の整備"],
            "主な施策": ["本庁舎と市内公共施設を高速専用回線で結ぶ公共ネットワーク稼動"],
            "出典頁": [9],
        }
    )
    assert "stack" in soup_of(render.table_html(goals, "施策")).table["class"]
    assert soup_of(render.table_html(counts_table(), "状況")).table["class"] == ["data-table"]
    assert soup_of(render.table_html(goals, "施策", stack=False)).table["class"] == ["data-table"]


def test_a_column_of_descriptions_keeps_a_readable_width_before_cards() -> None:
    """An item list whose 取組内容 holds descriptions (most longer than 40 characters) needs
    16em for them, so it shows cards on a 1024 px screen instead of nine glyphs a line; the
    same table with short notes does not need that room."""
    text = (
        "運用コストの低減、業務の効率化、情報セキュリティの確保、将来の環境変化への対応等を踏まえ"
    )
    assert len(text) > render.SENTENCE_LENGTH
    items = {
        "番号": [1, 2, 3],
        "項目": ["基幹系システムの更新と全体最適化", "事務用パソコン", "グループウェア"],
        "取組目標": ["実施", "実施", "検討"],
        "取組状況": ["達成", "一部達成", "達成"],
        "時期": ["平成23年1月", "—", "平成21年10月"],
        "出典頁": [10, 10, 11],
    }
    described = pd.DataFrame({**items, "取組内容": [text, text, "更新しました。"]})
    noted = pd.DataFrame({**items, "取組内容": ["更新しました。", "稼働しました。", text]})

    def needed(df: pd.DataFrame) -> int:
        box = _box_classes(render.table_html(df, "一覧"))
        return int(next(c for c in box if c.startswith("cards-below-")).rsplit("-", 1)[1])

    assert needed(described) > 64 >= needed(noted) - 1  # cards at 1024 px (64rem), or not
    assert needed(described) - needed(noted) >= 5  # 16em instead of 10em, rounded


def test_cards_follow_the_width_a_table_needs_on_each_kind_of_screen() -> None:
    """Below a PC's width (64rem) the tablet layout's estimate counts, beside 3rem of page;
    from 64rem a wide table's PC layout (names on one line), beside 2rem, up to 80rem."""
    assert render.cards_class(30.0) is None  # fits a tablet's narrowest text column
    assert render.cards_class(45.0) == f"cards-below-{math.ceil(45 * 1.02 + 0.5 + 3)}"
    assert render.cards_class(56.9) == "cards-below-64"  # wider than any tablet's column
    assert render.cards_class(40.0, 70.0) == "cards-below-73"  # 70 + 2 + 0.5, rounded up
    assert render.cards_class(30.0, 60.0) == "cards-below-63"
    assert render.cards_class(56.9, 55.0) == "cards-below-64"  # the tablet's need is larger
    assert render.cards_class(40.0, 80.5) == "cards-always"  # wider than the widest table


def test_long_tables_are_shortened_on_paper_with_a_pointer_to_the_data() -> None:
    df = pd.DataFrame({"番号": range(1, 251), "項目": [f"項目{i}" for i in range(1, 251)]})
    soup = soup_of(render.table_html(df, "一覧", print_rows=200, full_data="data/items.csv"))
    rows = soup.tbody.find_all("tr")
    assert len(rows) == 250  # the screen shows every row
    assert [("print-omit" in (r.get("class") or [])) for r in rows].count(True) == 50
    assert "print-omit" in rows[200]["class"] and rows[199].get("class") is None
    note = soup.find("p", class_="print-only")
    assert (
        note.get_text()
        == "印刷では先頭の200行を示しています（全250行）。全250行はdata/items.csvにあります。"
    )
    short = soup_of(render.table_html(df.head(5), "一覧", print_rows=200))
    assert short.find(class_="print-only") is None
    everything = soup_of(render.table_html(df, "一覧", print_rows=None))
    assert everything.find(class_="print-omit") is None


def test_table_html_without_row_headers() -> None:
    markup = render.table_html(counts_table(), "c", row_headers=False)
    soup = soup_of(markup)
    assert soup.tbody.find("th") is None
    assert len(soup.tbody.tr.find_all("td")) == 3


def test_table_html_rejects_unknown_percent_columns() -> None:
    with pytest.raises(KeyError, match="達成率"):
        render.table_html(counts_table(), "c", percent_columns=["達成率"])


def test_table_object_displays_its_table_in_notebooks() -> None:
    """A notebook shows the Table as the formatted table (not pandas' own HTML or repr)."""
    table = render.Table(counts_table(), "状況", percent_columns=["割合"])
    bundle = table._repr_mimebundle_()
    soup = BeautifulSoup(bundle["text/html"], "html.parser")
    assert soup.caption.get_text() == "状況"
    assert soup.select_one("tbody tr th").get_text() == "達成"
    assert [td.get_text() for td in soup.select("tbody tr:first-child td")] == ["14", "73.7%"]
    assert bundle["text/plain"] == "状況"
    assert table._repr_html_() == bundle["text/html"]


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (0, {}, "0"),
        (1234, {}, "1,234"),
        (-9876543, {}, "\u22129,876,543"),
        (-0.375, {"percent": True}, "\u221237.5%"),
        (12.0, {}, "12"),
        (1234.56, {}, "1,234.6"),
        (0.737, {"percent": True}, "73.7%"),
        (0.9, {"percent": True, "decimals": 0}, "90%"),
        (0.125, {"percent": True, "decimals": 0}, "13%"),
        (0.0005, {"percent": True}, "0.1%"),
        (2.675, {"decimals": 2}, "2.68"),
        (0.35, {}, "0.4"),
        (1, {"percent": True}, "100.0%"),
        (float("nan"), {}, "—"),
    ],
)
def test_format_number(value: float, kwargs: dict, expected: str) -> None:
    assert formatting.format_number(value, **kwargs) == expected


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_thousands_separators_round_trip(number: int) -> None:
    text = formatting.format_number(number)
    assert "-" not in text  # the minus sign, never the hyphen-minus, in Japanese prose
    assert int(text.replace(",", "").replace(formatting.MINUS, "-")) == number
    groups = text.lstrip(formatting.MINUS).split(",")
    assert all(len(g) == 3 for g in groups[1:])
    assert 1 <= len(groups[0]) <= 3


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (4.7, {}, "+4.7"),
        (-22.5, {}, "\u221222.5"),
        (-0.375, {"percent": True}, "\u221237.5%"),
        (0.0004, {}, "±0.0"),
        (2.25, {}, "+2.3"),
        (-1234.5, {"decimals": 0}, "\u22121,235"),
    ],
)
def test_format_signed(value: float, kwargs: dict, expected: str) -> None:
    assert formatting.format_signed(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ようにする(架空)。", "ようにする（架空）。"),
        ("拡大(架空市DX推進計画(架空の例) 項目1)", "拡大（架空市DX推進計画（架空の例） 項目1）"),
        ("外部委託化(事務電算化の始まり)", "外部委託化（事務電算化の始まり）"),
        ("令和4年度~令和6年度", "令和4年度～令和6年度"),
        ("平成24年度 (2012)", "平成24年度 (2012)"),
        ("https://example.jp/~city/(a)", "https://example.jp/~city/(a)"),
        (3, 3),
    ],
)
def test_reader_text(text: object, expected: object) -> None:
    assert formatting.reader_text(text) == expected


def test_format_cell_dates_and_text() -> None:
    assert formatting.format_cell(dt.date(2013, 3, 31)) == "2013-03-31"
    assert formatting.format_cell(pd.Timestamp("2012-11-01 09:30")) == "2012-11-01 09:30"
    assert formatting.format_cell(None) == "—"
    assert formatting.format_cell(pd.NA) == "—"
    assert formatting.format_cell("達成") == "達成"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=20,
    )
)
def test_script_json_round_trips_and_never_holds_markup(value: object) -> None:
    text = render.script_json(value)
    assert json.loads(text) == value
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text


# --- headlines ----------------------------------------------------------------------------


def test_headline_card() -> None:
    card = render.Headline(
        label="達成率（一部達成を含む）",
        value=0.8947,
        unit="%",
        denominator="19項目中17項目",
        sentence=EVIL,
        percent=True,
    )
    soup = soup_of(card.to_html())
    assert soup.find(class_="headline-value").get_text() == "89.5"
    assert soup.find(class_="headline-unit").get_text() == "%"
    assert soup.find(class_="headline-denominator").get_text() == "19項目中17項目"
    assert soup.find(class_="headline-sentence").get_text() == EVIL
    assert soup.find("script") is None


def test_headlines_row() -> None:
    cards = [
        render.Headline("件数", 1234, "件", "全体", "文。"),
        render.Headline("状況", "約4割", "", "報告値", "文。"),
    ]
    soup = soup_of(render.Headlines(cards)._repr_html_())
    row = soup.find("div", class_="headlines")
    values = [v.get_text() for v in row.find_all(class_="headline-value")]
    assert values == ["1,234", "約4割"]


# --- interactive charts in JupyterLab ---------------------------------------------------------


def test_plain_charts_draw_with_the_local_bundle_and_an_export_menu() -> None:
    render.set_mode(render.INTERACTIVE_MODE)
    chart = alt.Chart(counts_table()).mark_bar().encode(x="項目数:Q", y="取組状況:N")
    first = render.altair_renderer(chart.to_dict())["text/html"]
    second = render.altair_renderer(chart.to_dict())["text/html"]
    assert FAKE_BUNDLE in first and FAKE_BUNDLE not in second  # inline, once per kernel
    soup = soup_of(second)
    assert soup.find("div", class_="chart")["id"] == "chart-2"
    opts = json.loads(re.search(r"var opts=(\{.*?\});function", second).group(1))
    assert opts["actions"] == render.NOTEBOOK_ACTIONS and opts["ast"] is True
    assert "$schema" not in script_spec(soup.find("script").string)


def test_served_bundle_puts_a_small_loader_in_every_chart_output() -> None:
    render.set_mode(render.INTERACTIVE_MODE)
    render.serve_bundle()
    try:
        outputs = [
            make_figure()._repr_mimebundle_()["text/html"],
            make_figure()._repr_mimebundle_()["text/html"],
            render.chart_markup(alt.Chart(counts_table()).mark_point().encode(x="項目数:Q")),
        ]
    finally:
        render.serve_bundle(False)
    for markup in outputs:
        assert FAKE_BUNDLE not in markup
        assert f'"static/{render.SERVED_BUNDLE_NAME}"' in markup
        assert render.LOADING_NOTE in markup  # shown until the bundle arrives
        assert "https:" not in markup and "http:" not in markup
    ids = [soup_of(m).find("div", class_="chart")["id"] for m in outputs]
    token = ids[0].split("-")[1]
    assert ids == [f"chart-{token}-1", f"chart-{token}-2", f"chart-{token}-3"]


def test_report_mode_ignores_the_served_bundle() -> None:
    render.serve_bundle()
    try:
        output = make_figure()._repr_mimebundle_()
    finally:
        render.serve_bundle(False)
    assert "text/html" not in output and output[render.FIGURE_MIMETYPE]["id"] == "chart-1"


def test_charts_with_missing_and_infinite_numbers_display() -> None:
    data = pd.DataFrame({"x": ["a", "b", "c"], "y": [1.0, float("nan"), float("inf")]})
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(x="x:N", y=alt.Y("y:Q", scale=alt.Scale(domain=[0, float("nan")])))
    )
    figure = render.Figure(chart, "欠けた値", "値の一部がありません。", data)
    payload = figure._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    json.dumps(payload, allow_nan=False)  # what a notebook stores must be valid JSON
    assert payload["spec"]["encoding"]["y"]["scale"]["domain"] == [0, None]
    cells = [td.text for td in soup_of(payload["table_html"]).find_all("td")]
    assert cells == ["1", "—", "∞"]


def test_headline_cards_bring_their_style_only_to_notebooks() -> None:
    cards = render.Headlines(
        [render.Headline("達成率", 0.5, "%", "2項目中1項目", "半分です。", True)]
    )
    assert "<style>" not in cards._repr_html_()  # report mode: the template styles them
    render.set_mode(render.INTERACTIVE_MODE)
    assert cards._repr_html_().startswith(render.NOTEBOOK_HEADLINE_CSS)


def test_a_table_without_rows_keeps_its_headers() -> None:
    """No rows (a plan not evaluated yet): the headers and caption still render."""
    df = pd.DataFrame({"項目": pd.Series([], dtype=object), "達成率（一部達成を含む）": []})
    soup = soup_of(render.table_html(df, "一覧"))
    assert [th.get_text() for th in soup.thead.find_all("th")] == [
        "項目",
        "達成率（一部達成を含む）",
    ]
    assert soup.tbody.find_all("tr") == []


def test_a_figures_table_can_name_what_it_covers() -> None:
    """A data table listing more than its chart shows is named for itself, in the published
    (static) figure as in the live one; without a table title the chart's title names it."""
    figure = render.Figure(
        chart=make_figure().chart,
        title="出来事の年表（平成4年度～平成25年度）",
        description="年表です。",
        table=counts_table(),
        table_title="出来事の年表（昭和43年度～平成25年度）",
    )
    payload = figure._repr_mimebundle_()[render.FIGURE_MIMETYPE]
    soup = soup_of(render.static_figure_html(payload, fake_drawings()))
    assert soup.figcaption.get_text() == "出来事の年表（平成4年度～平成25年度）"
    assert soup.summary.get_text() == "データ表（出来事の年表（昭和43年度～平成25年度））"
    assert soup.table.caption.get_text() == "出来事の年表（昭和43年度～平成25年度）（データ表）"
    plain = soup_of(
        render.static_figure_html(
            make_figure()._repr_mimebundle_()[render.FIGURE_MIMETYPE], fake_drawings()
        )
    )
    assert plain.summary.get_text() == "データ表（取組状況）"
