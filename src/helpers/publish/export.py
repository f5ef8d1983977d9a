"""Export executed report notebooks to self-contained offline HTML pages, and print them to PDF.

* :func:`vega_bundle` returns the Vega/Vega-Lite/vega-embed JavaScript bundle of vl-convert,
  cached on disk (``$PLAN_REPORT_CACHE`` or ``~/.cache/plan-report``) per vl-convert version,
  because building it costs about a second in every fresh process.
* :func:`html_exporter` returns an nbconvert ``HTMLExporter`` using the project template
  ``helpers/templates/plan_report`` (it extends nbconvert's *base* template, not *lab*): no code,
  no prompts, no stray outputs, no require.js / MathJax / mermaid / widgets, ``<html lang="ja">``,
  a Content-Security-Policy that forbids every remote load, the project stylesheet, and the Vega
  bundle inlined once in ``<head>`` (the charts' inline scripts, from
  :mod:`helpers.publish.html`, call the global ``vegaEmbed``).
* :func:`export_html` is deterministic: the same notebook gives the same bytes (no timestamps,
  no cell ids, no notebook metadata except the title).
* :func:`write_pdf` / :class:`PdfPrinter` print pages to A4 PDF with Debian's Chromium, after
  every chart has drawn.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

from helpers.publish.bundle import vega_bundle
from helpers.publish.files import write_text_atomic
from helpers.publish.html import (
    INTERACTIVE_MODE,
    MISSING_LIBRARY_NOTES,
    REPORT_MODE,
    guarded_bundle,
    script_json,
)
from helpers.publish.sections import DropInapplicableSections

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
    # sections that do not apply to this report (helpers.publish.sections) are left out
    config.ReportHTMLExporter.preprocessors = [DropInapplicableSections]
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
