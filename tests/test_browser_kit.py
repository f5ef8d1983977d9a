"""Tests of the browser kit (tests/browser_kit.py); the demo report opened offline in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import altair as alt
import browser_kit as browser
import jupytext
import nbformat
import pandas as pd
import papermill
import pytest
from playwright.sync_api import Browser

from helpers.publish import bundle, export
from helpers.publish import html as render

pytestmark = pytest.mark.browser

DEMO = Path(__file__).parent / "fixtures" / "demo_report.py"
ARTIFACTS = Path(__file__).parent / "artifacts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def execute_and_export(workdir: Path, mode: str | None) -> Path:
    """Execute the demo with papermill (fresh kernel) in *mode*; write and return its page."""
    source = workdir / "demo.ipynb"
    nbformat.write(jupytext.read(DEMO), source)
    executed = workdir / f"demo.{mode}.ipynb"
    with pytest.MonkeyPatch.context() as patch:
        if mode is None:
            patch.delenv(render.MODE_ENV_VAR, raising=False)
        else:
            patch.setenv(render.MODE_ENV_VAR, mode)
        papermill.execute_notebook(
            source, executed, kernel_name="python3", progress_bar=False, cwd=str(workdir)
        )
    page = workdir / f"demo.{mode}.html"
    export.write_html(nbformat.read(executed, as_version=4), page)
    return page


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with browser.launch_browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return execute_and_export(tmp_path_factory.mktemp("demo"), render.REPORT_MODE)


@pytest.fixture(scope="module")
def demo_check(demo_html: Path, chromium: Browser) -> browser.ReportCheck:
    return browser.check_report(demo_html, browser=chromium)


def write_page(path: Path, body: str, head: str = "") -> Path:
    path.write_text(
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>試験</title>{head}'
        f"</head><body><main><h1>試験ページ</h1>{body}</main></body></html>",
        encoding="utf-8",
    )
    return path


def csp_meta(policy: str | None = None) -> str:
    """The reports' policy (for a page without a stylesheet), or *policy*."""
    content = policy or export.content_security_policy("")
    return f'<meta http-equiv="Content-Security-Policy" content="{content}">'


#: What a live chart needs: inline scripts, but no eval (vega-embed's ``ast`` interpreter).
LIVE_CHART_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"


def live_figure_outputs(count: int = 1) -> list[str]:
    """The text/html of *count* figures as JupyterLab gets them (the first brings the bundle)."""
    render.reset_state()
    render.set_mode(render.INTERACTIVE_MODE)
    try:
        df = pd.DataFrame({"区分": ["達成", "未達成"], "件数": [3, 1]})
        chart = alt.Chart(df).mark_bar().encode(x="件数:Q", y="区分:N")
        return [
            render.Figure(
                chart=chart, title=f"図{n}", description="達成3件、未達成1件。", table=df
            )._repr_mimebundle_()["text/html"]
            for n in range(count)
        ]
    finally:
        render.set_mode(None)
        render.reset_state()


# --- the demo report, offline ---------------------------------------------------------------


def test_demo_makes_no_network_request(demo_check: browser.ReportCheck) -> None:
    assert demo_check.requests == ()
    assert demo_check.csp_violations == ()


def test_demo_draws_every_chart(demo_check: browser.ReportCheck) -> None:
    assert demo_check.chart_containers == 3
    assert demo_check.charts_drawn == 3
    assert demo_check.failed_charts == ()


def test_demo_has_no_console_or_page_errors(demo_check: browser.ReportCheck) -> None:
    assert demo_check.console_errors == ()
    assert demo_check.page_errors == ()


def test_demo_shows_japanese_text(demo_check: browser.ReportCheck) -> None:
    assert demo_check.has_japanese_text


def test_demo_has_no_serious_accessibility_violations(demo_check: browser.ReportCheck) -> None:
    assert demo_check.blocking_violations == (), demo_check.summary()
    assert demo_check.ok, demo_check.summary()


def test_demo_on_a_phone_has_no_serious_violations(demo_html: Path, chromium: Browser) -> None:
    check = browser.check_report(
        demo_html, browser=chromium, viewport={"width": 390, "height": 844}
    )
    assert check.ok, check.summary()


@pytest.mark.parametrize(("width", "variant"), [(1280, "wide"), (390, "narrow")])
def test_demo_draws_each_chart_at_its_own_size(
    demo_html: Path, chromium: Browser, width: int, variant: str
) -> None:
    """A phone gets the narrow drawing where there is one; no drawing is shown shrunk."""
    with browser.open_offline(
        demo_html, browser=chromium, viewport={"width": width, "height": 844}
    ) as offline:
        browser.wait_for_charts(offline.page)
        images = offline.page.evaluate(
            """Array.from(document.querySelectorAll('div.chart img')).map((img) => ({
                 current: img.currentSrc, src: img.src,
                 source: img.parentElement.querySelector('source')?.srcset || null,
                 shown: img.getBoundingClientRect().width, natural: img.naturalWidth}))"""
        )
    assert len(images) == 3
    for image in images:
        chosen = image["source"] if variant == "narrow" and image["source"] else image["src"]
        assert image["current"] == chosen
        assert image["shown"] == pytest.approx(image["natural"], abs=1), image["shown"]


def test_demo_screenshots(demo_html: Path, chromium: Browser) -> None:
    desktop = browser.screenshot(demo_html, ARTIFACTS / "demo_report.png", browser=chromium)
    narrow = browser.screenshot(
        demo_html,
        ARTIFACTS / "demo_report_narrow.png",
        browser=chromium,
        viewport={"width": 390, "height": 844},
    )
    for png in (desktop, narrow):
        data = png.read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert len(data) > 10_000


def test_notebook_run_interactively_exports_to_the_same_page(
    demo_html: Path, tmp_path: Path, chromium: Browser
) -> None:
    page = execute_and_export(tmp_path, None)
    text = page.read_text(encoding="utf-8")
    executed = (tmp_path / "demo.None.ipynb").read_text(encoding="utf-8")
    assert "vegaEmbed" in executed  # JupyterLab drew live charts...
    assert bundle.vega_bundle()[-200:] not in text  # ...the page has the drawings only
    assert text == demo_html.read_text(encoding="utf-8")


def test_interactive_outputs_draw_without_the_template(tmp_path: Path, chromium: Browser) -> None:
    """What JupyterLab shows: outputs only; the first figure brings the bundle, twice is safe."""
    outputs = [*live_figure_outputs(2), render.load_vega()._repr_html_()]
    page = write_page(tmp_path / "lab.html", "".join(outputs))
    check = browser.check_report(page, browser=chromium)
    assert check.charts_drawn == check.chart_containers == 2
    assert check.console_errors == ()
    assert check.page_errors == ()


def test_charts_shown_before_the_bundle_draw_once_it_loads(
    tmp_path: Path, chromium: Browser
) -> None:
    """A page reloaded while the kernel kept running: load_vega() draws the waiting charts."""
    render.reset_state()
    render.set_mode(render.INTERACTIVE_MODE)
    try:
        df = pd.DataFrame({"区分": ["達成", "未達成"], "件数": [3, 1]})
        chart = alt.Chart(df).mark_bar().encode(x="件数:Q", y="区分:N")
        figure = render.Figure(
            chart=chart, title="図", description="達成3件、未達成1件。", table=df
        )
        figure._repr_mimebundle_()  # the kernel's first figure carried the bundle: it is gone now
        waiting = figure._repr_mimebundle_()["text/html"]
        loader = render.load_vega()._repr_html_()
    finally:
        render.set_mode(None)
        render.reset_state()
    assert bundle.vega_bundle()[-200:] not in waiting
    before = browser.check_report(write_page(tmp_path / "before.html", waiting), browser=chromium)
    assert (before.chart_containers, before.charts_drawn) == (1, 0)
    after = browser.check_report(
        write_page(tmp_path / "after.html", waiting + loader), browser=chromium
    )
    assert (after.chart_containers, after.charts_drawn) == (1, 1)
    assert after.console_errors == ()


# --- the kit notices what it must notice ----------------------------------------------------


def test_remote_loads_are_aborted_and_recorded(tmp_path: Path, chromium: Browser) -> None:
    page = write_page(
        tmp_path / "remote.html",
        '<img src="https://example.invalid/logo.png" alt="ロゴ">'
        '<img src="other-local-file.png" alt="ローカル">',
        head='<script src="http://example.invalid/lib.js"></script>',
    )
    check = browser.check_report(page, browser=chromium)
    assert "https://example.invalid/logo.png" in check.requests
    assert "http://example.invalid/lib.js" in check.requests
    assert any(url.endswith("/other-local-file.png") for url in check.requests)
    assert not check.ok


def test_the_reports_policy_blocks_remote_loads_and_every_script(
    tmp_path: Path, chromium: Browser
) -> None:
    page = write_page(
        tmp_path / "csp.html",
        '<img src="https://example.invalid/logo.png" alt="ロゴ">'
        "<script>document.title = 'ran';</script>"
        '<p style="color: red">赤</p>',
        head=csp_meta(),
    )
    check = browser.check_report(page, browser=chromium)
    assert any(v.startswith("img-src") for v in check.csp_violations)
    assert any(v.startswith("script-src") for v in check.csp_violations)
    assert any(v.startswith("style-src") for v in check.csp_violations)  # only the hashed sheet
    with browser.open_offline(page, browser=chromium) as offline:
        assert offline.page.title() == "試験"  # the inline script never ran


def live_chart_page(path: Path, *, ast: bool) -> Path:
    markup = "".join(live_figure_outputs(1))
    if not ast:
        markup = markup.replace('"ast":true', '"ast":false')
    return write_page(path, markup, head=csp_meta(LIVE_CHART_POLICY))


def test_live_charts_need_no_eval(tmp_path: Path, chromium: Browser) -> None:
    """In JupyterLab charts draw with Vega's expression interpreter: no 'unsafe-eval'."""
    drawing = browser.check_report(
        live_chart_page(tmp_path / "ast.html", ast=True), browser=chromium
    )
    assert (drawing.chart_containers, drawing.charts_drawn) == (1, 1)
    assert drawing.csp_violations == ()
    evaluating = browser.check_report(
        live_chart_page(tmp_path / "eval.html", ast=False), browser=chromium
    )
    assert evaluating.charts_drawn == 0
    assert evaluating.failed_charts == ("chart-1",)
    assert any("unsafe-eval" in error for error in evaluating.console_errors)


def test_undrawn_charts_are_counted(tmp_path: Path, chromium: Browser) -> None:
    page = write_page(
        tmp_path / "charts.html",
        '<div class="chart" id="chart-1"><svg width="10" height="10"></svg></div>'
        '<div class="chart" id="chart-2"></div>',
    )
    check = browser.check_report(page, browser=chromium, timeout_ms=500)
    assert (check.chart_containers, check.charts_drawn) == (2, 1)
    assert not check.ok


def test_axe_reports_serious_violations(tmp_path: Path, chromium: Browser) -> None:
    page = write_page(
        tmp_path / "axe.html",
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#ddd;background:#fff">薄い文字</p>',
    )
    check = browser.check_report(page, browser=chromium)
    rules = {v.rule for v in check.blocking_violations}
    assert "image-alt" in rules
    assert "color-contrast" in rules


def test_console_errors_and_japanese_text(tmp_path: Path, chromium: Browser) -> None:
    page = tmp_path / "english.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
        "<p>English only</p><script>console.error('bad'); undefinedFunction();</script>"
        "</main></body></html>",
        encoding="utf-8",
    )
    check = browser.check_report(page, browser=chromium)
    assert not check.has_japanese_text
    assert "bad" in check.console_errors
    assert any("undefinedFunction" in error for error in check.page_errors)


def test_missing_axe_is_a_clear_error(tmp_path: Path, chromium: Browser) -> None:
    page = write_page(tmp_path / "p.html", "<p>本文</p>")
    with pytest.raises(FileNotFoundError, match=r"axe-core not found at .*missing\.js"):
        browser.check_report(page, browser=chromium, axe_script=tmp_path / "missing.js")
