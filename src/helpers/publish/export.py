"""Export executed report notebooks to self-contained offline HTML pages.

* :func:`html_exporter` returns an nbconvert ``HTMLExporter`` using the project template
  ``helpers/publish/templates/plan_report`` (it extends nbconvert's *base* template, not *lab*):
  no code, no prompts, no stray outputs, no require.js / MathJax / mermaid / widgets, no script
  at all, ``<html lang="ja">``, the project stylesheet, and a Content-Security-Policy that allows
  nothing but that stylesheet (by its hash) and ``data:`` images.
* :class:`StaticFigurePreprocessor` turns every figure output
  (:data:`helpers.publish.html.FIGURE_MIMETYPE`) into static HTML with the chart drawn as SVG by
  vl-convert (:mod:`helpers.publish.svg`, cached on disk). It runs here, in the process that
  exports (the build's worker), never in a kernel. Outputs of ``load_vega()`` are dropped.
* Every page passes through :func:`helpers.publish.html.reader_html` (full-width brackets and
  tilde in Japanese prose), its ``<title>`` and printed running header included.
* :func:`export_html` is deterministic: the same notebook gives the same bytes (no timestamps,
  no cell ids, no notebook metadata except the title).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
import time
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from helpers.publish.files import write_text_atomic
from helpers.publish.html import (
    FIGURE_MIMETYPE,
    NOTEBOOK_HEADLINE_CSS,
    PHONE_MAX_REM,
    VEGA_LOADER_MIMETYPE,
    reader_html,
    static_figure_html,
)
from helpers.publish.sections import DropInapplicableSections
from helpers.publish.svg import chart_svgs
from helpers.views.formatting import reader_text

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "plan_report"
DEFAULT_TITLE = "報告書"
CSP_PLACEHOLDER = "plan-report-content-security-policy"

#: Nothing may load or run: no script at all, no remote or local file; the page's one
#: stylesheet is allowed by its hash (``{style_hash}``), images only as ``data:`` URIs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src '{style_hash}'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$", re.MULTILINE)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_ENGLISH_ALT = 'alt="No description has been provided for this image"'


#: An element of the page carrying the evaluation date shown in the running header of print.
AS_OF_ATTRIBUTE = "data-report-as-of"
_AS_OF = re.compile(AS_OF_ATTRIBUTE + r'="([^"]*)"')


#: Characters a CSS string literal must not hold as they are: quotes, backslash, ``<`` (the end
#: of the ``<style>`` element) and every control character. A carriage return or form feed ends a
#: CSS string like a line feed does, so a plan name holding one (a cell may: it is free text)
#: would end the running header's string and write rules of its own into the stylesheet.
_CSS_STRING_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\"'\\<>]")


def css_string(text: str) -> str:
    """*text* as a CSS string literal: quotes, backslashes, ``<``, ``>`` and every control
    character (line feed, carriage return, form feed …) written as CSS escapes (``\\d ``)."""
    escaped = _CSS_STRING_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text)
    return f'"{escaped}"'


def running_header_css(title: str, as_of: str | None) -> str:
    """The printed page's running header: the report's title, and its evaluation date.

    CSS page-margin boxes, so a page printed from the browser carries it as the PDF does; the
    footer (page n / N) is in the stylesheet.
    """
    box = "font-family: 'Noto Sans JP', 'Noto Sans CJK JP', Meiryo, sans-serif; font-size: 8.5pt"
    parts = [f"@top-left {{ content: {css_string(title)}; {box}; }}"]
    if as_of:
        parts.append(f"@top-right {{ content: {css_string('評価時点：' + as_of)}; {box}; }}")
    return "\n@page { " + " ".join(parts) + " }\n"


#: The stylesheet's card rules (report.css, between its "cards" comments), phones' media first.
_CARDS_BLOCK = re.compile(r"/\* cards: begin \*/\n(?P<block>.*?)/\* cards: end \*/", re.S)
_PHONE_MEDIA = f"@media screen and (max-width: {PHONE_MAX_REM}rem) {{"
#: A table the build marked for cards on screens wider than a phone's (html.cards_class). Page
#: text cannot fake it: quotes in text and attributes are escaped.
_CARDS_CLASS = re.compile(r'class="table-scroll(?: [a-z-]+)*? (cards-below-\d+|cards-always)[ "]')


def table_cards_css(css: str, page: str) -> str:
    """The card rules of the stylesheet *css* for the tables of *page* that show cards on
    screens wider than a phone's: ``cards-below-N`` on those narrower than N rem,
    ``cards-always`` on all.

    A copy of report.css's cards block per class, its media query widened to the class's
    screens and its selectors scoped to the tables so marked: one set of rules to maintain.
    """
    match = _CARDS_BLOCK.search(css)
    if match is None or not match.group("block").startswith(_PHONE_MEDIA):
        raise RuntimeError("report.css must hold the cards block, for phones first")
    block = match.group("block")
    copies = []
    marked = set(_CARDS_CLASS.findall(page))
    for name in sorted(marked, key=lambda n: (len(n), n)):
        below = name.removeprefix("cards-below-")
        upper = f" < {below}rem" if below != name else ""
        scope = f".table-scroll.{name}"
        media = f"@media screen and ({PHONE_MAX_REM}rem < width{upper}) {{"
        copy = block.replace(_PHONE_MEDIA, media, 1).replace(".table-scroll:has(.stack)", scope)
        copies.append(copy.replace(".data-table.stack", f"{scope} .data-table.stack"))
    return "".join(copies)


def content_security_policy(style: str) -> str:
    """The page's policy, allowing exactly the stylesheet *style* (the ``<style>`` content)."""
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    return CONTENT_SECURITY_POLICY.format(style_hash=f"sha256-{digest}")


# --- figures as static drawings -----------------------------------------------------------


class StaticFigurePreprocessor(Preprocessor):
    """Replace every figure output with its static HTML (SVG drawings); drop bundle outputs.

    Counts the figures and the seconds spent drawing them in
    ``resources["plan_report"]["figures"]`` and ``["figure_seconds"]``.
    """

    def preprocess_cell(
        self, cell: Any, resources: dict[str, Any], index: int
    ) -> tuple[Any, dict[str, Any]]:
        if cell.get("cell_type") != "code" or not cell.get("outputs"):
            return cell, resources
        settings = resources.setdefault("plan_report", {})
        outputs = []
        for output in cell.outputs:
            data = output.get("data", {})
            if VEGA_LOADER_MIMETYPE in data:
                continue
            if FIGURE_MIMETYPE in data:
                started = time.perf_counter()
                payload = data[FIGURE_MIMETYPE]
                drawings = chart_svgs(payload["spec"], payload.get("narrow_spec"))
                output = nbformat.from_dict(
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"text/html": static_figure_html(payload, drawings)},
                    }
                )
                settings["figures"] = settings.get("figures", 0) + 1
                settings["figure_seconds"] = settings.get("figure_seconds", 0.0) + (
                    time.perf_counter() - started
                )
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


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
        # the reader-text rules (full-width brackets and tilde in Japanese prose) for the
        # title, the running header and every text of the page: one place for all pages
        settings["title"] = reader_text(settings.get("title") or notebook_title(nb))
        settings.update(csp=CSP_PLACEHOLDER, css=_report_css())
        resources["plan_report"] = settings
        page, resources = super().from_notebook_node(nb, resources, **kw)
        # headline cards of a notebook run in the project's JupyterLab bring their own style;
        # the page has the report stylesheet
        page = page.replace(NOTEBOOK_HEADLINE_CSS, "")
        page = reader_html(page)
        as_of = _AS_OF.search(page)
        header = running_header_css(
            settings["title"], reader_text(html.unescape(as_of.group(1))) if as_of else None
        )
        cards = table_cards_css(settings["css"], page)
        page = page.replace("</style>", header + cards + "</style>", 1)
        styles = _STYLE.findall(page)
        # The placeholder in its attribute: data text can hold the placeholder's words, never
        # this markup (text and attributes are escaped, quotes included).
        slot = f'content="{CSP_PLACEHOLDER}"'
        if len(styles) != 1 or page.count(slot) != 1:
            raise RuntimeError("the report template must hold one <style> and one policy")
        page = page.replace(slot, f'content="{content_security_policy(styles[0])}"')
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
    exporter = ReportHTMLExporter(
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
    exporter.register_preprocessor(StaticFigurePreprocessor(), enabled=True)
    return exporter


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
