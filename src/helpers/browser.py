"""Headless Chromium (Debian's ``/usr/bin/chromium`` via Playwright) for offline report checks.

:func:`open_offline` opens a report as a council PC would see it: every request other than the
page itself is aborted and recorded, console errors, page errors and Content-Security-Policy
violations are collected. :func:`check_report` adds chart counts, a Japanese-text check and an
axe-core accessibility scan (axe is read from ``tests/node_modules/axe-core/axe.min.js``, or
``$PLAN_REPORT_AXE``; run ``npm ci --prefix tests`` once). :func:`screenshot` saves a PNG.
Playwright never downloads a browser here: it is always given ``executable_path``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Request, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM_ENV_VAR = "PLAN_REPORT_CHROMIUM"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
AXE_ENV_VAR = "PLAN_REPORT_AXE"
DEFAULT_AXE = Path(__file__).resolve().parents[2] / "tests/node_modules/axe-core/axe.min.js"
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
DEFAULT_VIEWPORT = {"width": 1280, "height": 900}

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || ""));
});
"""

_CHART_STATUS = """
() => {
  const containers = Array.from(document.querySelectorAll("div.chart"));
  const drawn = containers.filter((el) => el.querySelector("svg, canvas"));
  const failed = containers.filter((el) => el.hasAttribute("data-chart-error"));
  return {containers: containers.length, drawn: drawn.length,
          failed: failed.map((el) => el.id)};
}
"""

_ALL_SETTLED = """
() => Array.from(document.querySelectorAll("div.chart")).every(
  (el) => el.querySelector("svg, canvas") || el.hasAttribute("data-chart-error"))
"""


class ChartRenderError(RuntimeError):
    """Some chart containers of a page have no drawing."""


def chromium_path() -> Path:
    """Return the Chromium executable: ``$PLAN_REPORT_CHROMIUM`` or ``/usr/bin/chromium``."""
    return Path(os.environ.get(CHROMIUM_ENV_VAR) or DEFAULT_CHROMIUM)


@contextmanager
def launch_browser() -> Iterator[Browser]:
    """Launch headless Chromium with the offline flags; close it (and Playwright) on exit."""
    executable = chromium_path()
    if not executable.exists():
        raise FileNotFoundError(f"Chromium not found at {executable} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=list(LAUNCH_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class OfflinePage:
    """A page opened by :func:`open_offline` and what it tried to do."""

    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        """Return the Content-Security-Policy violations reported by the page so far."""
        return list(self.page.evaluate("window.__cspViolations || []"))


@contextmanager
def _browser_or_new(browser: Browser | None) -> Iterator[Browser]:
    """Yield *browser*, or a freshly launched one that is closed afterwards."""
    if browser is not None:
        yield browser
        return
    with launch_browser() as launched:
        yield launched


@contextmanager
def open_offline(
    html_path: Path,
    *,
    browser: Browser | None = None,
    viewport: dict[str, int] | None = None,
) -> Iterator[OfflinePage]:
    """Open *html_path* with every other request aborted and recorded; yield an OfflinePage.

    The page has loaded (``load`` event) when it is yielded; charts may still be drawing, see
    :func:`wait_for_charts`.
    """
    url = Path(html_path).resolve().as_uri()
    with _browser_or_new(browser) as active:
        context = active.new_context(
            viewport=viewport or DEFAULT_VIEWPORT, locale="ja-JP", service_workers="block"
        )
        try:
            page = context.new_page()
            offline = OfflinePage(page=page, url=url)

            def on_request(request: Request) -> None:
                if request.url != url:
                    offline.requests.append(request.url)

            def on_route(route: Route) -> None:
                if route.request.url == url:
                    route.continue_()
                else:
                    route.abort("internetdisconnected")

            def on_console(message: Any) -> None:
                if message.type == "error":
                    offline.console_errors.append(message.text)
                elif message.type == "warning":
                    offline.console_warnings.append(message.text)

            context.route("**/*", on_route)
            page.on("request", on_request)
            page.on("console", on_console)
            page.on("pageerror", lambda error: offline.page_errors.append(str(error)))
            page.add_init_script(_CSP_LISTENER)
            page.goto(url, wait_until="load")
            yield offline
        finally:
            context.close()


def chart_status(page: Page) -> dict[str, Any]:
    """Return ``{"containers": n, "drawn": n, "failed": [ids]}`` for the page's chart containers."""
    return dict(page.evaluate(_CHART_STATUS))


def wait_for_charts(page: Page, *, timeout_ms: int = 30_000) -> dict[str, Any]:
    """Wait until every chart container has drawn or failed (or the timeout); return the status."""
    with suppress(PlaywrightTimeoutError):  # a timeout is reported through the status
        page.wait_for_function(_ALL_SETTLED, timeout=timeout_ms)
    page.evaluate("document.fonts.ready.then(() => true)")
    return chart_status(page)


def prepare_for_print(page: Page, *, timeout_ms: int = 30_000) -> None:
    """Wait for every chart (raise ChartRenderError if one is missing) and open all details."""
    status = wait_for_charts(page, timeout_ms=timeout_ms)
    if status["drawn"] != status["containers"]:
        raise ChartRenderError(
            f"{status['containers'] - status['drawn']} of {status['containers']} charts "
            f"did not draw (failed: {status['failed']})"
        )
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def axe_path() -> Path:
    """Return the local axe-core script (``$PLAN_REPORT_AXE`` or tests/node_modules)."""
    return Path(os.environ.get(AXE_ENV_VAR) or DEFAULT_AXE)


@dataclass(frozen=True)
class AxeViolation:
    """One axe-core rule violated by a page."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]


def run_axe(page: Page, script: Path | None = None) -> list[AxeViolation]:
    """Inject axe-core from the local file into *page*, run it, return its violations."""
    source_path = script or axe_path()
    if not source_path.is_file():
        raise FileNotFoundError(f"axe-core not found at {source_path}: run `npm ci --prefix tests`")
    page.add_script_tag(content=source_path.read_text(encoding="utf-8"))
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
