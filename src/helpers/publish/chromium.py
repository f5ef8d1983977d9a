"""Headless Chromium (Debian's ``/usr/bin/chromium`` through Playwright), opened offline.

:func:`open_offline` opens a report as a council PC would see it: every request other than the
page itself is aborted and recorded; console errors, page errors and Content-Security-Policy
violations are collected. :func:`wait_for_charts` waits until every chart has drawn. Playwright
never downloads a browser: it is always given ``executable_path`` (``$PLAN_REPORT_CHROMIUM``
overrides the default path). The PDF printer and the browser tests both use this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Request, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM_ENV_VAR = "PLAN_REPORT_CHROMIUM"


DEFAULT_CHROMIUM = Path("/usr/bin/chromium")


LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


DEFAULT_VIEWPORT = {"width": 1280, "height": 900}


_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || ""));
});
"""


# A chart is drawn when its container holds a live drawing (svg, canvas) or a loaded image;
# it failed when the container says so or its image cannot be decoded.
_CHART_STATE = """
const chartState = (el) => {
  if (el.hasAttribute("data-chart-error")) return "failed";
  if (el.querySelector("svg, canvas")) return "drawn";
  const img = el.querySelector("img");
  if (!img) return "pending";
  if (!img.complete) return "pending";
  return img.naturalWidth > 0 ? "drawn" : "failed";
};
"""

_CHART_STATUS = (
    "() => {"
    + _CHART_STATE
    + """
  const containers = Array.from(document.querySelectorAll("div.chart"));
  const states = containers.map(chartState);
  return {containers: containers.length,
          drawn: states.filter((s) => s === "drawn").length,
          failed: containers.filter((el, i) => states[i] === "failed").map((el) => el.id)};
}"""
)


_ALL_SETTLED = (
    "() => {"
    + _CHART_STATE
    + """
  return Array.from(document.querySelectorAll("div.chart")).every(
    (el) => chartState(el) !== "pending");
}"""
)


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
    transform: Callable[[str], str] | None = None,
) -> Iterator[OfflinePage]:
    """Open *html_path* with every other request aborted and recorded; yield an OfflinePage.

    With *transform*, the browser gets ``transform(text of the page)`` instead of the file
    (the printer leaves out what paper never shows, see ``helpers.publish.pdf``).

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
                if route.request.url == url and transform is not None:
                    text = Path(html_path).read_text(encoding="utf-8")
                    route.fulfill(
                        status=200,
                        content_type="text/html; charset=utf-8",
                        body=transform(text).encode("utf-8"),
                    )
                elif route.request.url == url:
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


class OfflineTab:
    """One offline page that opens report after report (a printer prints many): the browser
    context, the page and its handlers are made once, and each report is a fresh navigation
    (a new document: nothing of the previous one remains), which saves Chromium a new context,
    renderer and page per report and lets it reuse the code it compiled for the checks.

    ``with OfflineTab(browser) as tab: with tab.open(html_path, transform=...) as offline: ...``
    yields an :class:`OfflinePage` recording what that report alone tried to do; requests of
    anything but the report are aborted as by :func:`open_offline`.
    """

    def __init__(self, browser: Browser, *, viewport: dict[str, int] | None = None) -> None:
        self._browser = browser
        self._viewport = viewport or DEFAULT_VIEWPORT
        self._context: Any = None
        self._page: Page | None = None
        self._current: OfflinePage | None = None
        self._source: tuple[Path, Callable[[str], str] | None] | None = None

    def __enter__(self) -> OfflineTab:
        self._context = self._browser.new_context(
            viewport=self._viewport, locale="ja-JP", service_workers="block"
        )
        self._context.route("**/*", self._on_route)
        page = self._context.new_page()
        page.on("request", self._on_request)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.add_init_script(_CSP_LISTENER)
        self._page = page
        return self

    def __exit__(self, *exc_info: object) -> None:
        context, self._context, self._page = self._context, None, None
        if context is not None:
            with suppress(Exception):
                context.close()

    def _on_route(self, route: Route) -> None:
        current, source = self._current, self._source
        if current is None or source is None or route.request.url != current.url:
            route.abort("internetdisconnected")
            return
        path, transform = source
        if transform is None:
            route.continue_()
            return
        text = path.read_text(encoding="utf-8")
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=transform(text).encode("utf-8"),
        )

    def _on_request(self, request: Request) -> None:
        if self._current is not None and request.url != self._current.url:
            self._current.requests.append(request.url)

    def _on_console(self, message: Any) -> None:
        if self._current is None:
            return
        if message.type == "error":
            self._current.console_errors.append(message.text)
        elif message.type == "warning":
            self._current.console_warnings.append(message.text)

    def _on_page_error(self, error: Any) -> None:
        if self._current is not None:
            self._current.page_errors.append(str(error))

    @contextmanager
    def open(
        self, html_path: Path, *, transform: Callable[[str], str] | None = None
    ) -> Iterator[OfflinePage]:
        """Open *html_path* in the tab (see :func:`open_offline`); yield its OfflinePage."""
        if self._page is None:
            raise RuntimeError("use OfflineTab as a context manager")
        url = Path(html_path).resolve().as_uri()
        self._current = OfflinePage(page=self._page, url=url)
        self._source = (Path(html_path), transform)
        try:
            self._page.goto(url, wait_until="load")
            yield self._current
        finally:
            self._current, self._source = None, None


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
