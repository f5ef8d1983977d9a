"""Export executed report notebooks to self-contained offline HTML pages, and print them to PDF.

* :func:`vega_bundle` returns the Vega/Vega-Lite/vega-embed JavaScript bundle of vl-convert,
  cached on disk (``$PLAN_REPORT_CACHE`` or ``~/.cache/plan-report``) per vl-convert version,
  because building it costs about a second in every fresh process.
* :func:`html_exporter` returns an nbconvert ``HTMLExporter`` using the project template
  ``helpers/templates/plan_report`` (it extends nbconvert's *base* template, not *lab*): no code,
  no prompts, no stray outputs, no require.js / MathJax / mermaid / widgets, ``<html lang="ja">``,
  a Content-Security-Policy that forbids every remote load, the project stylesheet, and the Vega
  bundle inlined once in ``<head>`` (the charts' inline scripts, from :mod:`helpers.render`, call
  the global ``vegaEmbed``).
* :func:`export_html` is deterministic: the same notebook gives the same bytes (no timestamps,
  no cell ids, no notebook metadata except the title).
* :func:`write_pdf` / :class:`PdfPrinter` print pages to A4 PDF with Debian's Chromium, after
  every chart has drawn.
"""

from __future__ import annotations

import functools
import os
import re
from contextlib import ExitStack, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import nbformat
import vl_convert
from nbconvert import HTMLExporter
from traitlets.config import Config

from helpers.manifest import write_bytes_atomic
from helpers.render import (
    INTERACTIVE_MODE,
    MISSING_LIBRARY_NOTES,
    REPORT_MODE,
    guarded_bundle,
    script_json,
)

CACHE_ENV_VAR = "PLAN_REPORT_CACHE"
TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "plan_report"
DEFAULT_TITLE = "報告書"
BUNDLE_PLACEHOLDER = "/* plan-report: vega bundle */"

#: Every remote (and local-file) load is forbidden; inline scripts and styles are allowed and
#: images may be data: URIs. No 'unsafe-eval': charts use Vega's expression interpreter.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
)

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$", re.MULTILINE)
_ENGLISH_ALT = 'alt="No description has been provided for this image"'


# --- Vega bundle --------------------------------------------------------------------------


def cache_dir() -> Path:
    """Return the cache directory: ``$PLAN_REPORT_CACHE``, else ``$XDG_CACHE_HOME/plan-report``."""
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "plan-report"


def bundle_cache_path() -> Path:
    """Return the cache file of the bundle for the installed vl-convert version."""
    return cache_dir() / f"vega-bundle-vl-convert-{vl_convert.__version__}.js"


def write_text_atomic(path: Path, text: str) -> Path:
    """Write *text* as UTF-8 to *path* atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _looks_like_bundle(text: str) -> bool:
    """True when *text* is a complete bundle (it ends by defining the globals)."""
    return "window.vegaEmbed" in text[-2000:] and len(text) > 100_000


@functools.cache
def vega_bundle() -> str:
    """Return the vl-convert JavaScript bundle, from the disk cache when it is there.

    A missing, truncated or unreadable cache file is rebuilt; the cache is written atomically,
    so concurrent builds never see half a file.
    """
    path = bundle_cache_path()
    try:
        cached = path.read_text(encoding="utf-8")
    except OSError:
        cached = ""
    if _looks_like_bundle(cached):
        return cached
    bundle = vl_convert.javascript_bundle()
    if not _looks_like_bundle(bundle):
        raise RuntimeError("vl_convert.javascript_bundle() returned an unexpected bundle")
    with suppress(OSError):  # a read-only cache only costs time
        write_text_atomic(path, bundle)
    return bundle


# --- HTML export --------------------------------------------------------------------------


def notebook_title(nb: nbformat.NotebookNode) -> str:
    """Return the page title: ``nb.metadata["title"]``, else the first Markdown heading.

    Headings are looked for in Markdown cells and in Markdown outputs (a heading built from
    parameters), in document order; without any, the title is ``報告書``.
    """
    title = str(nb.metadata.get("title", "")).strip()
    if title:
        return title
    for cell in nb.cells:
        sources = [cell.source] if cell.cell_type == "markdown" else []
        if cell.cell_type == "code":
            sources = [
                str(output.get("data", {}).get("text/markdown", ""))
                for output in cell.get("outputs", [])
            ]
        for source in sources:
            match = _HEADING.search(source)
            if match:
                return match.group("text").strip()
    return DEFAULT_TITLE


def _report_css() -> str:
    """Return the project stylesheet."""
    return (TEMPLATES_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


class ReportHTMLExporter(HTMLExporter):
    """HTMLExporter for council reports (see the module docstring); use :func:`html_exporter`."""

    def from_notebook_node(  # type: ignore[override]
        self,
        nb: nbformat.NotebookNode,
        resources: dict[str, Any] | None = None,
        **kw: Any,
    ) -> tuple[str, dict[str, Any]]:
        """Render *nb*; ``resources["plan_report"]["title"]`` overrides the derived title."""
        resources = dict(resources or {})
        settings = dict(resources.get("plan_report", {}))
        settings.setdefault("title", notebook_title(nb))
        settings.update(
            csp=CONTENT_SECURITY_POLICY, css=_report_css(), bundle_placeholder=BUNDLE_PLACEHOLDER
        )
        resources["plan_report"] = settings
        page, resources = super().from_notebook_node(nb, resources, **kw)
        if page.count(BUNDLE_PLACEHOLDER) != 1:
            raise RuntimeError("the report template must hold the Vega bundle placeholder once")
        bundle = guarded_bundle(vega_bundle())
        # figures displayed interactively: the head already has the bundle, and the council
        # reads the report's note, not the analyst's
        page = page.replace(f"<script>{bundle}</script>", "")
        page = page.replace(
            script_json(MISSING_LIBRARY_NOTES[INTERACTIVE_MODE]),
            script_json(MISSING_LIBRARY_NOTES[REPORT_MODE]),
        )
        page = page.replace(BUNDLE_PLACEHOLDER, bundle)
        page = page.replace(_ENGLISH_ALT, 'alt=""')
        return page, resources


def _exporter_config() -> Config:
    """Return the nbconvert configuration of the report exporter."""
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    return config


def html_exporter() -> ReportHTMLExporter:
    """Return a new exporter configured with the project template (see the module docstring)."""
    return ReportHTMLExporter(
        config=_exporter_config(),
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        template_name=TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        sanitize_html=False,
        language_code="ja",
    )


@functools.cache
def _shared_exporter() -> ReportHTMLExporter:
    """One exporter per process: its template environment is built once."""
    return html_exporter()


def export_html(nb: nbformat.NotebookNode, title: str | None = None) -> str:
    """Return the offline HTML page of an executed notebook (deterministic bytes).

    *title* overrides the title taken from the notebook (see :func:`notebook_title`).
    """
    resources = {"plan_report": {"title": title}} if title else None
    page, _ = _shared_exporter().from_notebook_node(nb, resources=resources)
    return page


def write_html(nb: nbformat.NotebookNode, html_path: Path, title: str | None = None) -> Path:
    """Export *nb* and write the page atomically to *html_path*; return the path."""
    return write_text_atomic(Path(html_path), export_html(nb, title))


# --- PDF ----------------------------------------------------------------------------------

PDF_FOOTER = (
    '<div style="width:100%;font-size:9px;text-align:center;color:#000;'
    "font-family:'Noto Sans CJK JP',sans-serif;\">"
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class PdfPrinter:
    """Print several HTML reports to A4 PDF with one headless Chromium.

    ``with PdfPrinter() as printer: printer.print(html, pdf)``. Each page is opened offline
    (every request except the page itself is aborted); printing waits until every chart has
    drawn and raises :class:`helpers.browser.ChartRenderError` otherwise.
    """

    def __init__(self, *, timeout_ms: int = 30_000) -> None:
        self.timeout_ms = timeout_ms
        self._stack = ExitStack()
        self._browser: Any = None

    def __enter__(self) -> PdfPrinter:
        from helpers.browser import launch_browser  # lazy: only PDFs need Playwright

        self._browser = self._stack.enter_context(launch_browser())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._browser = None
        self._stack.close()

    def print(self, html_path: Path, pdf_path: Path) -> Path:
        """Print *html_path* to *pdf_path* (written atomically); return *pdf_path*."""
        from helpers.browser import open_offline, prepare_for_print  # lazy, as above

        if self._browser is None:
            raise RuntimeError("use PdfPrinter as a context manager")
        pdf_path = Path(pdf_path)
        with open_offline(Path(html_path), browser=self._browser) as offline:
            prepare_for_print(offline.page, timeout_ms=self.timeout_ms)
            data = offline.page.pdf(
                format="A4",
                prefer_css_page_size=True,
                print_background=False,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=PDF_FOOTER,
                tagged=True,
                outline=True,
            )
        write_bytes_atomic(pdf_path, data)
        return pdf_path


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print one HTML report to an A4 PDF (starts and stops a browser; see :class:`PdfPrinter`)."""
    with PdfPrinter() as printer:
        return printer.print(html_path, pdf_path)
