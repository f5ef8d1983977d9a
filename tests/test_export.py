"""Tests for helpers.publish.export: the offline HTML page of a notebook, the bundle cache, PDF."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import time
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import papermill
import pytest
import tinycss2
from bs4 import BeautifulSoup
from nbformat import v4

from helpers.publish import bundle, export, pdf, svg
from helpers.publish import html as render

DEMO = Path(__file__).parent / "fixtures" / "demo_report.py"
ARTIFACTS = Path(__file__).parent / "artifacts"
DEMO_TITLE = "情報化推進計画 評価報告書（デモ）"
FAKE_BUNDLE = "/* fake vega */" + "x" * 150_000 + "window.vegaEmbed=function(){};"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def execute_demo(workdir: Path, name: str) -> nbformat.NotebookNode:
    """Convert the demo with jupytext and execute it with papermill in a fresh kernel."""
    source = workdir / f"{name}.ipynb"
    nbformat.write(jupytext.read(DEMO), source)
    executed = workdir / f"{name}.out.ipynb"
    papermill.execute_notebook(
        source, executed, kernel_name="python3", progress_bar=False, cwd=str(workdir)
    )
    return nbformat.read(executed, as_version=4)


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The demo executed twice (two fresh kernels) in report mode and exported twice."""
    workdir = tmp_path_factory.mktemp("demo")
    pages = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(render.MODE_ENV_VAR, render.REPORT_MODE)
        for run in range(2):
            notebook = execute_demo(workdir, f"run{run}")
            started = time.perf_counter()
            pages.append(export.export_html(notebook))
            elapsed = time.perf_counter() - started
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"demo_report_{run}.html").write_text(pages[-1], encoding="utf-8")
            with (ARTIFACTS / "export_metrics.txt").open("a", encoding="utf-8") as metrics:
                metrics.write(f"export_html {elapsed:.3f} s, {len(pages[-1].encode())} bytes\n")
    return pages


@pytest.fixture(scope="module")
def demo_page(demo_pages: list[str]) -> str:
    return demo_pages[0]


@pytest.fixture(scope="module")
def demo_soup(demo_page: str) -> BeautifulSoup:
    return BeautifulSoup(demo_page, "html.parser")


# --- the demo report ----------------------------------------------------------------------


def test_export_is_byte_identical_across_executions(demo_pages: list[str]) -> None:
    assert demo_pages[0] == demo_pages[1]


def test_page_loads_nothing_from_anywhere(demo_page: str, demo_soup: BeautifulSoup) -> None:
    assert "<script src" not in demo_page
    for tag in demo_soup.find_all(["script", "img", "link", "iframe", "source", "object"]):
        for attribute in ("src", "href", "data"):
            value = tag.get(attribute)
            assert value is None or value.startswith("data:"), (tag.name, value)
    for style in demo_soup.find_all("style"):
        assert "url(" not in style.string
        assert "@import" not in style.string
    assert not demo_soup.find_all("link")


def test_page_shows_no_remote_address(demo_soup: BeautifulSoup) -> None:
    visible = BeautifulSoup(str(demo_soup), "html.parser")
    for tag in visible.find_all(["script", "style"]):
        tag.decompose()
    text = visible.get_text()
    assert "http://" not in text
    assert "https://" not in text
    hrefs = [a.get("href", "") for a in demo_soup.find_all("a")]
    assert all(href.startswith("#") for href in hrefs), hrefs


def test_page_holds_no_script(demo_page: str, demo_soup: BeautifulSoup) -> None:
    """Charts are drawings: no chart library, no inline call, no script of any kind."""
    assert demo_soup.find("script") is None
    assert "<script" not in demo_page.lower()
    assert "vegaEmbed" not in demo_page
    assert bundle.vega_bundle()[-200:] not in demo_page


def test_page_head(demo_soup: BeautifulSoup) -> None:
    assert demo_soup.html["lang"] == "ja"
    assert demo_soup.title.get_text() == DEMO_TITLE
    csp = demo_soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in csp["content"].split(";") if part.strip()
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'none'"]
    assert policy["img-src"] == ["data:"]
    # the one stylesheet is allowed by its hash: no 'unsafe-inline' anywhere
    styles = demo_soup.find_all("style")
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].string.encode()).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    assert "unsafe" not in csp["content"]
    assert demo_soup.find("meta", attrs={"name": "viewport"}) is not None
    head_children = [t.name for t in demo_soup.head.find_all(True, recursive=False)]
    assert head_children.index("meta") < head_children.index("style")


def svg_of(data_uri: str) -> str:
    assert data_uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(data_uri.split(",", 1)[1]).decode("utf-8")


def test_figures_are_drawings_with_japanese_text(demo_soup: BeautifulSoup) -> None:
    images = demo_soup.find("main").select("figure div.chart picture img")
    assert len(images) == 3
    for image in images:
        drawing = svg_of(image["src"])
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", drawing)
        assert any(JAPANESE.search(t) for t in texts), texts
        assert "…" not in "".join(texts)  # labels were measured with a Japanese font
        width, height = svg.svg_size(drawing)
        assert (image["width"], image["height"]) == (str(round(width)), str(round(height)))
    # the time axis speaks Japanese (ja-JP time format locale)
    timeline = svg_of(images[2]["src"])
    assert re.search(r">20\d\d年\d\d月<", timeline), timeline[:500]


def test_wide_figures_have_a_phone_drawing(demo_soup: BeautifulSoup) -> None:
    for picture in demo_soup.find("main").select("figure picture"):
        wide = svg.svg_size(svg_of(picture.img["src"]))[0]
        source = picture.find("source")
        if wide <= svg.NARROW_WIDTH:
            assert source is None
            continue
        narrow = svg.svg_size(svg_of(source["srcset"]))[0]
        assert narrow <= svg.NARROW_WIDTH + 3, (wide, narrow)


def test_page_has_no_code_prompts_or_stray_outputs(
    demo_page: str, demo_soup: BeautifulSoup
) -> None:
    main = demo_soup.find("main")
    text = main.get_text()
    for leaked in (
        "import altair",
        "render.Figure",
        "plan_label: str",
        "In [",
        "Out[",
        "debug: counts computed",
        "warning text on stderr",
        "a warning the council must not see",
        "UserWarning",
        "Traceback",
    ):
        assert leaked not in demo_page, leaked
    assert main.find("pre") is None
    assert main.find("code") is None
    # headlines, generated heading, three figures, one table: no text/plain "42"
    outputs = main.find_all("div", class_="output", recursive=False)
    assert len(outputs) == 6
    assert all(o.get_text().strip() != "42" for o in outputs)
    assert "第二次計画（架空）の取組状況（2013-03-31時点）" in text


def test_papermill_metadata_does_not_leak(demo_page: str) -> None:
    for leaked in ("papermill", "injected-parameters", "run0", ".ipynb", "execution_count"):
        assert leaked not in demo_page, leaked


def test_item_names_are_text(demo_page: str, demo_soup: BeautifulSoup) -> None:
    assert "<script>alert(1)</script>" not in demo_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in demo_page
    cells = [td.get_text() for td in demo_soup.find("main").find_all("td")]
    assert "<script>alert(1)</script>" in cells


def test_figures_are_accessible(demo_soup: BeautifulSoup) -> None:
    figures = demo_soup.find_all("figure")
    assert len(figures) == 3
    for number, figure in enumerate(figures, start=1):
        chart = figure.find("div", class_="chart")
        assert chart["id"] == f"chart-{number}"
        image = chart.find("img")
        assert JAPANESE.search(image["alt"])  # the one text alternative
        description = figure.find("p", class_="figure-description")
        assert description.get_text() == image["alt"]
        assert description["aria-hidden"] == "true"  # not read twice
        assert figure["aria-labelledby"] == figure.figcaption["id"]
        assert figure.find("details").find("table").caption is not None


# --- export rules on hand-made notebooks --------------------------------------------------


def hand_made_notebook() -> nbformat.NotebookNode:
    code = v4.new_code_cell("SECRET_SOURCE = 1\nSECRET_SOURCE", execution_count=1)
    code.outputs = [
        v4.new_output("stream", name="stdout", text="printed\n"),
        v4.new_output("stream", name="stderr", text="to stderr\n"),
        v4.new_output("execute_result", data={"text/plain": "'stray'"}, execution_count=1),
        v4.new_output("display_data", data={"text/html": "<p>shown html</p>"}),
        v4.new_output("display_data", data={"application/javascript": "alert('js')"}),
        v4.new_output("error", ename="ValueError", evalue="boom", traceback=["Traceback boom"]),
    ]
    hidden = v4.new_code_cell("x = 2", metadata={"tags": ["remove-cell"]})
    hidden.outputs = [v4.new_output("display_data", data={"text/html": "<p>removed</p>"})]
    notebook = v4.new_notebook(
        cells=[v4.new_markdown_cell("Intro without heading"), code, hidden],
        metadata={"papermill": {"input_path": "secret_input.ipynb"}},
    )
    return notebook


def test_hidden_outputs_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    page = export.export_html(hand_made_notebook())
    for leaked in (
        "SECRET_SOURCE",
        "printed",
        "to stderr",
        "stray",
        "alert('js')",
        "boom",
        "removed",
        "secret_input",
    ):
        assert leaked not in page, leaked
    assert "<p>shown html</p>" in page
    assert "Intro without heading" in page
    assert FAKE_BUNDLE not in page


def test_title_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = hand_made_notebook()
    assert export.notebook_title(notebook) == export.DEFAULT_TITLE
    notebook.cells.insert(
        0, v4.new_markdown_cell("前書き\n\n## 第二次計画の評価 ##\n\n# 後の見出し")
    )
    assert export.notebook_title(notebook) == "第二次計画の評価"
    generated = v4.new_code_cell("display(Markdown(...))")
    generated.outputs = [v4.new_output("display_data", data={"text/markdown": "# 生成した題"})]
    notebook.cells.insert(0, generated)
    assert export.notebook_title(notebook) == "生成した題"
    notebook.metadata["title"] = "メタデータの題 <b>"
    assert export.notebook_title(notebook) == "メタデータの題 <b>"
    page = export.export_html(notebook)
    assert "<title>メタデータの題 &lt;b&gt;</title>" in page
    assert "<title>引数の題</title>" in export.export_html(notebook, title="引数の題")


def test_stylesheet_is_slim_and_prints_on_a4() -> None:
    css = (export.TEMPLATES_DIR / export.TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")
    assert len(css.encode()) < 20_000
    assert "size: A4" in css
    assert "display: table-header-group" in css
    assert "break-inside: avoid" in css
    assert "url(" not in css


def _table_page(*tables: pd.DataFrame) -> str:
    notebook = v4.new_notebook(metadata={"title": "表"})
    cell = v4.new_code_cell("tables")
    markup = "".join(render.table_html(df, f"表{i}") for i, df in enumerate(tables, start=1))
    cell.outputs = [v4.new_output("display_data", data={"text/html": markup})]
    notebook.cells.append(cell)
    return export.export_html(notebook)


def test_tables_too_wide_for_a_screen_get_the_card_rules_there() -> None:
    """The stylesheet's card rules, copied for each cards class of the page's tables: on
    screens wider than a phone's (and narrower than N rem for ``cards-below-N``), scoped to
    those tables, once per class, inside the hashed stylesheet."""
    text = "庁内の業務システムを共同利用するための調査と検討を、近隣の三つの市と共同で行いました。"
    fits = pd.DataFrame({"番号": [1], "項目": ["電子申請"], "状況": ["達成"], "時期": ["—"]})
    tablet = pd.DataFrame(
        {"番号": [1], "取組状況": ["一部達成"], "項目": ["統合型地理情報システムの構築"]}
        | {"取組内容": [text], "備考": [text]}
    )
    always = pd.DataFrame({"番号": [1], **{f"説明{i}": [text] for i in range(1, 9)}})
    assert "(40rem < width" not in _table_page(fits)  # no copy of the card rules
    soup = BeautifulSoup(_table_page(fits, tablet, always, always), "html.parser")
    classes = [
        next((c for c in box["class"] if c.startswith("cards")), None)
        for box in soup.find_all("div", class_="table-scroll")
    ]
    assert classes == [None, "cards-below-61", "cards-always", "cards-always"]
    style = soup.find("style").string
    media = {
        tinycss2.serialize(rule.prelude).strip(): rule
        for rule in tinycss2.parse_stylesheet(style, skip_comments=True, skip_whitespace=True)
        if rule.type == "at-rule" and rule.lower_at_keyword == "media"
    }

    def selectors(name: str) -> list[str]:
        rules = tinycss2.parse_rule_list(media[name].content, True, True)
        return [tinycss2.serialize(r.prelude).strip() for r in rules]

    phone = selectors("screen and (max-width: 40rem)")
    cards = [s for s in phone if ".stack" in s]  # the phones' card rules (one of 2 blocks)
    copies = {"cards-below-61": "(40rem < width < 61rem)", "cards-always": "(40rem < width)"}
    copied_queries = sorted(m for m in media if "40rem < width" in m)
    assert copied_queries == sorted(f"screen and {q}" for q in copies.values())
    for name, query in copies.items():
        scope = f".table-scroll.{name}"
        copied = selectors(f"screen and {query}")
        assert len(copied) == len(cards) >= 8  # every card rule, once
        for rule, original in zip(copied, cards, strict=True):
            for selector in re.split(r",(?![^()]*\))", rule):  # commas outside :is( … )
                assert selector.strip().startswith(scope), selector
            unscoped = rule.replace(f"{scope} ", "").replace(scope, ".table-scroll:has(.stack)")
            assert unscoped == original
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in soup.find("meta", attrs={"http-equiv": True})["content"]


def test_the_card_rules_must_be_found() -> None:
    with pytest.raises(RuntimeError, match="cards block"):
        export.table_cards_css("body { color: red }", 'class="table-scroll cards-below-50"')


def test_bundle_speaks_the_vega_lite_version_of_altair() -> None:
    """vega_bundle() uses vl-convert's newest Vega-Lite: it must be the one Altair writes."""
    import altair as alt

    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    assert bundle.vl_convert.get_vegalite_versions()[-1] == major_minor


# --- the bundle cache ---------------------------------------------------------------------


def test_bundle_cache_is_written_once_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(bundle.CACHE_ENV_VAR, str(tmp_path))
    calls: list[int] = []

    def fake_bundle() -> str:
        calls.append(1)
        return FAKE_BUNDLE

    monkeypatch.setattr(bundle.vl_convert, "javascript_bundle", fake_bundle)
    bundle.vega_bundle.cache_clear()
    try:
        assert bundle.vega_bundle() == FAKE_BUNDLE
        path = bundle.bundle_cache_path()
        assert path.parent == tmp_path
        assert bundle.vl_convert.__version__ in path.name
        assert path.read_text(encoding="utf-8") == FAKE_BUNDLE
        assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left
        bundle.vega_bundle.cache_clear()
        assert bundle.vega_bundle() == FAKE_BUNDLE
        assert len(calls) == 1  # the second process-level call read the disk cache
        path.write_text("window.vegaEmbed= truncated", encoding="utf-8")
        bundle.vega_bundle.cache_clear()
        assert bundle.vega_bundle() == FAKE_BUNDLE
        assert len(calls) == 2  # a damaged cache is rebuilt
    finally:
        bundle.vega_bundle.cache_clear()


def test_write_html_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("previous good report", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("export failed")

    monkeypatch.setattr(export, "export_html", broken)
    with pytest.raises(RuntimeError):
        export.write_html(hand_made_notebook(), target)
    assert target.read_text(encoding="utf-8") == "previous good report"
    monkeypatch.undo()
    export.write_html(hand_made_notebook(), target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    assert target.stat().st_mode & 0o777 == 0o644


# --- PDF ----------------------------------------------------------------------------------


def pdf_font_names(data: bytes) -> set[str]:
    """Font names from the PDF's font descriptors (Chromium embeds CFF fonts as Type 3)."""
    names = {m.decode() for m in re.findall(rb"/FontName /(?:[A-Z]{6}\+)?([\w-]+)", data)}
    names |= {m.decode() for m in re.findall(rb"/FontFamily \(([^)]*)\)", data)}
    return names


@pytest.mark.browser
def test_pdf_is_a4_with_embedded_japanese_font(demo_page: str, tmp_path: Path) -> None:
    html_path = tmp_path / "demo.html"
    html_path.write_text(demo_page, encoding="utf-8")
    pdf_path = ARTIFACTS / "demo_report.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf.write_pdf(html_path, pdf_path)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 20_000
    assert any("NotoSansCJK" in name or "Noto Sans CJK" in name for name in pdf_font_names(data))
    assert re.search(rb"/MediaBox \[0 0 59[45](?:\.\d+)? 841(?:\.\d+)?\]", data)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert DEMO_TITLE in text
        assert "<script>alert(1)</script>" in text  # the data table is printed, as text
        assert "取組状況別の項目数（データ表）" in text  # details are open on paper


@pytest.mark.browser
def test_pdf_refuses_a_page_whose_charts_do_not_draw(tmp_path: Path) -> None:
    from browser_kit import ChartRenderError

    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="ja"><body><div class="chart" id="chart-1"></div>'
        "<script>document.getElementById('chart-1').setAttribute('data-chart-error','x')"
        "</script></body></html>",
        encoding="utf-8",
    )
    target = tmp_path / "broken.pdf"
    with pytest.raises(ChartRenderError, match="1 of 1"):
        pdf.write_pdf(page, target)
    assert not target.exists()


# --- print: running header, reproducible PDF ----------------------------------------------


def test_running_header_names_the_report_and_its_evaluation_date() -> None:
    css = export.running_header_css('題 "A" \\ </style>', "平成24年度末")
    assert '@top-left { content: "題 \\22 A\\22  \\5c  \\3c /style\\3e "' in css
    assert '@top-right { content: "評価時点：平成24年度末"' in css
    assert "@top-right" not in export.running_header_css("題", None)


@pytest.mark.parametrize("line_break", ["\r", "\n", "\r\n", "\f"])
def test_a_title_cannot_end_the_running_headers_string(line_break: str) -> None:
    """A plan or item name is free text (a cell may hold a carriage return) and becomes the
    title: a line break in it ended the CSS string, and the rest became rules of the page's
    stylesheet (hashed into the policy, so they applied), e.g. one hiding the whole report."""
    hostile = f'計画{line_break}"; }} }} body {{ display: none }} @page {{ @top-left {{ content: "'
    css = export.running_header_css(hostile, "令和7年度末" + line_break + "} body { x: y }")
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    assert [(rule.type, rule.lower_at_keyword) for rule in rules] == [("at-rule", "page")]
    boxes = [
        token
        for token in tinycss2.parse_blocks_contents(rules[0].content)
        if token.type == "at-rule"
    ]
    assert [box.lower_at_keyword for box in boxes] == ["top-left", "top-right"]
    contents = [
        next(
            token.value
            for declaration in tinycss2.parse_blocks_contents(box.content)
            if declaration.type == "declaration" and declaration.lower_name == "content"
            for token in declaration.value
            if token.type == "string"
        )
        for box in boxes
    ]
    assert contents == [hostile, "評価時点：令和7年度末" + line_break + "} body { x: y }"]


def test_page_carries_the_running_header_inside_the_hashed_stylesheet() -> None:
    notebook = v4.new_notebook(metadata={"title": "第二次計画の評価"})
    cell = v4.new_code_cell("heading")
    cell.outputs = [
        v4.new_output(
            "display_data",
            data={"text/html": '<div class="report-meta" data-report-as-of="平成24年度末"></div>'},
        )
    ]
    notebook.cells.append(cell)
    soup = BeautifulSoup(export.export_html(notebook), "html.parser")
    style = soup.find("style").string
    assert '@top-left { content: "第二次計画の評価"' in style
    assert '@top-right { content: "評価時点：平成24年度末"' in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in soup.find("meta", attrs={"http-equiv": True})["content"]


def fake_pdf(*objects: bytes) -> bytes:
    """A PDF laid out as Chromium writes it: numbered objects, a classic xref table."""
    data, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<</Size %d\n/Info 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return data


def assert_valid_xref(data: bytes) -> None:
    """Every offset of the cross-reference table, and startxref, points where it should."""
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF", data).group(1))
    assert data[startxref:].startswith(b"xref\n")
    entries = re.findall(rb"(\d{10}) \d{5} n", data[startxref:])
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number), number


def chromium_pdf(folder: bytes = b"/tmp/build/work/out") -> bytes:
    return fake_pdf(
        b"<</Producer (Skia/PDF m156)\n/CreationDate (D:20261130210847+00'00')\n"
        b"/ModDate (D:20261130210847+00'00')>>",
        b"<</A <</S /URI\n/URI (file://" + folder + b"/plan-1.html)>>>>",
        b"<</A <</S /URI\n/URI (file://" + folder + b"/data/items.csv)>>>>",
        b"<</A <</S /URI\n/URI (file:///etc/passwd)>>>>",
        b"<</Length 3>>\nstream\nabc\nendstream",
    )


FAKE_PDF = chromium_pdf()


def test_pdf_dates_come_from_source_date_epoch_or_the_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = Path("/tmp/build/work/out")
    monkeypatch.delenv(pdf.SOURCE_DATE_EPOCH, raising=False)
    dated = pdf.finish_pdf(FAKE_PDF, folder=folder, report_date="2026-11-30")
    assert_valid_xref(FAKE_PDF)
    assert_valid_xref(dated)
    assert dated.count(b"(D:20261130000000+00'00')") == 2
    undated = pdf.finish_pdf(FAKE_PDF, folder=folder)
    assert_valid_xref(undated)
    assert b"CreationDate" not in undated and b"ModDate" not in undated
    monkeypatch.setenv(pdf.SOURCE_DATE_EPOCH, "1700000000")
    fixed = pdf.finish_pdf(FAKE_PDF, folder=folder, report_date="2026-11-30")
    assert fixed.count(b"(D:20231114221320+00'00')") == 2


def test_pdf_links_are_relative_and_point_to_pdfs() -> None:
    finished = pdf.finish_pdf(FAKE_PDF, folder=Path("/tmp/build/work/out"))
    assert_valid_xref(finished)
    elsewhere = chromium_pdf(b"/srv/a/longer/build/folder/out")
    assert pdf.finish_pdf(elsewhere, folder=Path("/srv/a/longer/build/folder/out")) == finished
    assert b"/URI (plan-1.pdf)" in finished
    assert b"/URI (data/items.csv)" in finished
    assert b"/tmp/build" not in finished
    assert b"/URI (file:///etc/passwd)" in finished  # outside the set: left alone


def test_a_pdf_not_laid_out_as_chromium_writes_it_is_refused() -> None:
    broken = FAKE_PDF.replace(b"xref\n", b"xref-damaged\n")
    with pytest.raises(pdf.PdfStructureError):
        pdf.finish_pdf(broken, folder=Path("/tmp/build/work/out"))


def test_paper_leaves_out_the_omitted_rows() -> None:
    page = render.table_html(pd.DataFrame({"番号": range(1, 151)}), "一覧", print_rows=100)
    kept = pdf.paper_only(page)
    assert page.count("<tr") == 151 and kept.count("<tr") == 101  # header and 100 rows
    assert "印刷では先頭の100行" in kept


@pytest.mark.browser
def test_a_long_table_prints_in_bounded_pages(tmp_path: Path) -> None:
    """A plan of thousands of items: the PDF holds the first rows and a pointer to the data,
    and the browser never holds the rest (time and memory stay bounded)."""
    rows = 3000
    items = pd.DataFrame(
        {"番号": range(1, rows + 1), "項目": [f"架空の取組{i}の導入と運用" for i in range(rows)]}
    )
    table = render.Table(items, "項目一覧", full_data="data/items.csv")
    notebook = v4.new_notebook(metadata={"title": "長い一覧"})
    cell = v4.new_code_cell("table")
    cell.outputs = [v4.new_output("display_data", data=table._repr_mimebundle_())]
    notebook.cells.append(cell)
    html_path = export.write_html(notebook, tmp_path / "long.html")
    started = time.perf_counter()
    pdf.write_pdf(html_path, tmp_path / "long.pdf")
    assert time.perf_counter() - started < 60
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "long.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "架空の取組99の導入と運用" in text and "架空の取組100の導入と運用" not in text
    assert "全3,000行はdata/items.csvにあります。" in re.sub(r"\s+", "", text)
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(tmp_path / "long.pdf")], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )
    assert pages <= 5


def test_structure_ids_do_not_depend_on_the_browsers_numbering() -> None:
    """Chromium numbers tagged elements after its accessibility objects (timing-dependent)."""

    def tagged(first: int) -> bytes:
        return fake_pdf(
            b"<</Producer (Skia/PDF m156)>>",
            b"<</S /TH /ID (node%08d)>>" % first,
            b"<</S /TD /ID (node%08d)>>" % (first + 5),
            b"<</Names [(node%08d) 2 0 R (node%08d) 3 0 R]>>" % (first, first + 5),
        )

    folder = Path("/tmp/build/work/out")
    one, other = (
        pdf.finish_pdf(tagged(72), folder=folder),
        pdf.finish_pdf(tagged(71), folder=folder),
    )
    assert one == other
    assert b"(node00000001) 2 0 R (node00000002) 3 0 R" in one  # the ID tree stays sorted
    assert_valid_xref(one)


def test_every_page_text_follows_the_reader_text_rules() -> None:
    """Data text written with half-width brackets or an ASCII tilde (the example city's) reads
    with full-width ones on every page: text, reader-facing attributes, <title> and the printed
    running header, through the exporter (one place), while markup, links, styles and ASCII
    text stay as they are."""
    notebook = v4.new_notebook(
        metadata={"title": "オンライン申請(架空市DX推進計画(架空の例) 項目1)"}
    )
    cell = v4.new_code_cell("page")
    markup = (
        '<div class="report-meta" data-report-as-of="令和6年度末(速報)"></div>'
        "<p>申請できるようにする(架空)。期間は令和4年度~令和6年度です。平成24年度 (2012)</p>"
        '<img alt="外部委託化(事務電算化の始まり)" src="data:image/png;base64,AAAA">'
        '<a href="a(b)~c.html" title="項目(一覧)">一覧</a><!-- 注記(x) -->'
    )
    cell.outputs = [v4.new_output("display_data", data={"text/html": markup})]
    notebook.cells.append(cell)
    page = export.export_html(notebook)
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title.string == "オンライン申請（架空市DX推進計画（架空の例） 項目1）"
    assert (
        soup.p.string
        == "申請できるようにする（架空）。期間は令和4年度～令和6年度です。平成24年度 (2012)"
    )
    assert soup.img["alt"] == "外部委託化（事務電算化の始まり）"
    link = soup.find("a", href="a(b)~c.html")
    assert link is not None and link["title"] == "項目（一覧）"
    assert "<!-- 注記(x) -->" in page
    style = soup.find("style").string
    assert '@top-left { content: "オンライン申請（架空市DX推進計画（架空の例） 項目1）"' in style
    assert '@top-right { content: "評価時点：令和6年度末（速報）"' in style
