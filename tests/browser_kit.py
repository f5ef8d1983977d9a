"""Headless Chromium (Debian's ``/usr/bin/chromium`` via Playwright) for offline report checks.

:func:`open_offline` opens a report as a council PC would see it: every request other than the
page itself is aborted and recorded, console errors, page errors and Content-Security-Policy
violations are collected. :func:`check_report` adds chart counts, a Japanese-text check and an
axe-core accessibility scan (axe-core as bundled by the PyPI package ``axe-playwright-python``,
or the file named by ``$PLAN_REPORT_AXE``). :func:`screenshot` saves a PNG.
Playwright never downloads a browser here: it is always given ``executable_path``.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import axe_playwright_python
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, Page

from helpers.publish.chromium import (  # re-exported for the tests
    ChartRenderError,
    OfflineTab,
    launch_browser,
    open_offline,
    prepare_for_print,
    wait_for_charts,
)

__all__ = [
    "A4_TEXT_WIDTH_PX",
    "PHONE_VIEWPORT",
    "AxeViolation",
    "ChartRenderError",
    "OfflineTab",
    "ReportCheck",
    "accessible_texts",
    "chart_text_sizes",
    "check_report",
    "launch_browser",
    "open_offline",
    "overflowing",
    "prepare_for_print",
    "run_axe",
    "screenshot",
    "scrolling_tables",
    "tables_scrolling_on_middle_screens",
    "visible_text",
    "wait_for_charts",
    "wrapped_names",
]

AXE_ENV_VAR = "PLAN_REPORT_AXE"
DEFAULT_AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js")
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def axe_path() -> Path:
    """The axe-core script: ``$PLAN_REPORT_AXE``, else the one axe-playwright-python bundles."""
    return Path(os.environ.get(AXE_ENV_VAR) or DEFAULT_AXE)


@dataclass(frozen=True)
class AxeViolation:
    """One axe-core rule violated by a page."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]


def run_axe(page: Page, script: Path | None = None) -> list[AxeViolation]:
    """Run axe-core from the local file in *page*, return its violations.

    axe is evaluated through the DevTools protocol, not added as a ``<script>`` element: the
    reports' Content-Security-Policy forbids every script, and must stay in force while checked.
    """
    source_path = script or axe_path()
    if not source_path.is_file():
        raise FileNotFoundError(f"axe-core not found at {source_path}")
    page.evaluate(source_path.read_text(encoding="utf-8"))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        AxeViolation(
            rule=item["id"],
            impact=item.get("impact") or "unknown",
            help=item["help"],
            targets=tuple(str(node["target"]) for node in item["nodes"]),
        )
        for item in results["violations"]
    ]


@dataclass(frozen=True)
class ReportCheck:
    """What a report does when opened offline in Chromium."""

    url: str
    requests: tuple[str, ...]
    chart_containers: int
    charts_drawn: int
    failed_charts: tuple[str, ...]
    console_errors: tuple[str, ...]
    page_errors: tuple[str, ...]
    csp_violations: tuple[str, ...]
    has_japanese_text: bool
    axe_violations: tuple[AxeViolation, ...]

    @property
    def blocking_violations(self) -> tuple[AxeViolation, ...]:
        """The axe violations with impact serious or critical."""
        return tuple(v for v in self.axe_violations if v.impact in BLOCKING_IMPACTS)

    @property
    def ok(self) -> bool:
        """True when the page is fit for the council (offline, drawn, clean, accessible)."""
        return (
            not self.requests
            and self.charts_drawn == self.chart_containers
            and not self.console_errors
            and not self.page_errors
            and not self.csp_violations
            and self.has_japanese_text
            and not self.blocking_violations
        )

    def summary(self) -> str:
        """Return a short, readable account of the problems (empty when ok)."""
        problems = []
        if self.requests:
            problems.append(f"network requests: {list(self.requests)}")
        if self.charts_drawn != self.chart_containers:
            problems.append(
                f"charts drawn {self.charts_drawn}/{self.chart_containers} "
                f"(failed: {list(self.failed_charts)})"
            )
        for label, items in (
            ("console errors", self.console_errors),
            ("page errors", self.page_errors),
            ("CSP violations", self.csp_violations),
        ):
            if items:
                problems.append(f"{label}: {list(items)}")
        if not self.has_japanese_text:
            problems.append("no Japanese text")
        for violation in self.blocking_violations:
            problems.append(
                f"axe {violation.impact} {violation.rule}: {violation.help} {violation.targets}"
            )
        return "\n".join(problems)


def check_report(
    html_path: Path,
    *,
    browser: Browser | None = None,
    axe_script: Path | None = None,
    timeout_ms: int = 30_000,
    viewport: dict[str, int] | None = None,
) -> ReportCheck:
    """Open *html_path* offline and check requests, charts, errors, Japanese text, axe."""
    with open_offline(html_path, browser=browser, viewport=viewport) as offline:
        status = wait_for_charts(offline.page, timeout_ms=timeout_ms)
        text = offline.page.evaluate("document.body ? document.body.innerText : ''")
        csp = offline.csp_violations()
        violations = run_axe(offline.page, axe_script)
        return ReportCheck(
            url=offline.url,
            requests=tuple(offline.requests),
            chart_containers=status["containers"],
            charts_drawn=status["drawn"],
            failed_charts=tuple(status["failed"]),
            console_errors=tuple(offline.console_errors),
            page_errors=tuple(offline.page_errors),
            csp_violations=tuple(csp),
            has_japanese_text=bool(_JAPANESE.search(text)),
            axe_violations=tuple(violations),
        )


def screenshot(
    html_path: Path,
    png_path: Path,
    *,
    browser: Browser | None = None,
    full_page: bool = True,
    viewport: dict[str, int] | None = None,
    timeout_ms: int = 30_000,
) -> Path:
    """Save a PNG of *html_path* as drawn offline (after the charts); return *png_path*."""
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    with open_offline(html_path, browser=browser, viewport=viewport) as offline:
        wait_for_charts(offline.page, timeout_ms=timeout_ms)
        offline.page.screenshot(path=str(png_path), full_page=full_page)
    return png_path


# --- layout and accessibility-tree probes ---------------------------------------------------

#: 190 mm of text on an A4 page (210 mm minus 10 mm margins), in CSS px at 96 dpi.
A4_TEXT_WIDTH_PX = round(190 / 25.4 * 96)
PHONE_VIEWPORT = {"width": 375, "height": 812}

_OVERFLOWING = """
(selector) => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not laid out (print-only, hidden)
    if (box.left < -0.5 || box.right > width + 0.5) {
      found.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
                 `${el.className ? "." + String(el.className).split(" ").join(".") : ""}` +
                 ` [${Math.round(box.left)}, ${Math.round(box.right)}] > ${width}`);
    }
  }
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) found.push(`page scrolls sideways: ${scroll} > ${width}`);
  return found;
}
"""

#: What must fit: tables, figures, images and the blocks that hold them.
WIDE_CANDIDATES = "table, figure, img, picture, svg, .chart, .headlines, .headline, pre, dl"


def overflowing(page: Page, selector: str = WIDE_CANDIDATES) -> list[str]:
    """Elements wider than the page (or reaching past its edges), and sideways scrolling."""
    return list(page.evaluate(_OVERFLOWING, selector))


_WRAPPED_NAMES = """() => [...document.querySelectorAll('td.name, th.name')].filter((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return cell.getBoundingClientRect().width > 0 && tops.size > 1;
}).map((cell) => cell.textContent.trim())"""

_SCROLLING_TABLES = """() => [...document.querySelectorAll('.table-scroll')]
  .filter((box) => box.clientWidth > 0 && box.scrollWidth > box.clientWidth + 1)
  .map((box) => box.querySelector('caption')?.textContent.trim() ?? box.outerHTML.slice(0, 80))"""


def wrapped_names(page: Page) -> list[str]:
    """Name cells (``html.table_html``'s ``name`` class) laid out on more than one line."""
    return list(page.evaluate(_WRAPPED_NAMES))


def scrolling_tables(page: Page) -> list[str]:
    """Captions of the tables that scroll sideways in their box (wider than the text column)."""
    return list(page.evaluate(_SCROLLING_TABLES))


#: Screens wider than a phone's and narrower than a wide PC's (tablets upright and on their
#: side, small laptops, narrow windows), every 16 px.
MIDDLE_WIDTHS = (*range(656, 1280, 16), 1279)


def tables_scrolling_on_middle_screens(page: Page) -> dict[int, list[str]]:
    """The tables that scroll sideways at each of :data:`MIDDLE_WIDTHS` (empty ones left out),
    with every ``<details>`` opened; the page's viewport is put back afterwards."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
    before = page.viewport_size
    found: dict[int, list[str]] = {}
    for width in MIDDLE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scrolling = scrolling_tables(page)
        if scrolling:
            found[width] = scrolling
    if before:
        page.set_viewport_size(before)
    return found


def accessible_texts(page: Page) -> list[str]:
    """Every name, value and description in the page's accessibility tree (Chromium's own)."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    texts = []
    for node in nodes:
        if node.get("ignored"):
            continue
        for key in ("name", "value", "description"):
            value = (node.get(key) or {}).get("value")
            if isinstance(value, str) and value.strip():
                texts.append(value)
    return texts


_CHART_TEXT = """
() => Array.from(document.querySelectorAll("div.chart img")).map((img) => ({
  id: img.closest("div.chart").id,
  src: img.currentSrc,
  shown: img.getBoundingClientRect().width,
  natural: img.naturalWidth,
}))
"""


def chart_text_sizes(page: Page) -> dict[str, float]:
    """Per chart: the smallest text size as shown (SVG font size x displayed/natural width)."""
    import base64

    sizes = {}
    for chart in page.evaluate(_CHART_TEXT):
        svg = base64.b64decode(chart["src"].split(",", 1)[1]).decode("utf-8")
        fonts = [float(f) for f in re.findall(r'font-size="([\d.]+)px"', svg)]
        scale = chart["shown"] / chart["natural"] if chart["natural"] else 0.0
        sizes[chart["id"]] = (min(fonts) if fonts else 0.0) * scale
    return sizes


class _Text(HTMLParser):
    """Visible text of a page (script and style left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(path: Path) -> str:
    """The text a reader sees on the page at *path*, whitespace collapsed (no browser needed)."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext, page by page)."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def squeeze(text: str) -> str:
    """*text* without any white space (PDF text breaks lines where the page did)."""
    return re.sub(r"\s+", "", text)


def _headings(page: Path) -> set[str]:
    """What must not end a printed page, as squeezed text: headings, figure titles, a table's
    caption (alone or with its header row), and a heading with only its introduction."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    headings = {squeeze(h.get_text()) for h in soup.find_all(["h1", "h2", "h3", "h4"])}
    headings |= {squeeze(caption.get_text()) for caption in soup.find_all("figcaption")}
    for table in soup.find_all("table"):
        caption = squeeze(table.caption.get_text()) if table.caption else ""
        headings |= {caption, caption + squeeze(table.thead.get_text()) if table.thead else ""}
    for cell in soup.select("main > div.cell-markdown"):
        if not cell.find(["h1", "h2", "h3", "h4"]):
            continue
        block = squeeze(cell.get_text())
        headings.add(block)
        for output in cell.find_next_siblings("div"):
            if not output.get_text(strip=True):
                continue  # an empty link target (the item list's anchor) prints nothing
            children = output.find_all(recursive=False)
            if [child.name for child in children] != ["p"]:
                break
            block += squeeze(output.get_text())
            headings.add(block)
    headings.discard("")
    return headings


def pages_ending_with_a_heading(page: Path, pdf: Path) -> list[str]:
    """The pages of *pdf* (printed from *page*) whose last text is a heading (:func:`_headings`),
    each as "page n: heading"; the footer "n / N" is left out."""
    headings = _headings(page)
    markup = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(markup, "html.parser")
    # the running header (the title, and the evaluation date on the right) and the footer are
    # printed on every page, wherever pdftotext puts them
    margins = [squeeze(soup.title.get_text())] if soup.title else []
    as_of = re.search(r'data-report-as-of="([^"]*)"', markup)
    if as_of and as_of.group(1):
        margins.append(squeeze(f"評価時点：{html.unescape(as_of.group(1))}"))
    pages = pdf_pages(pdf)
    found = []
    for number, text in enumerate(pages, start=1):
        body = squeeze(text).replace(f"{number}/{len(pages)}", "")
        for margin in margins:
            body = body.replace(margin, "")
        found += [f"page {number}: {h}" for h in sorted(headings) if body.endswith(h)]
    return found
