"""A4 PDF of the HTML reports, printed by headless Chromium, reproducible byte for byte.

The page's print stylesheet lays the PDF out (A4, 190 mm of text, a running header with the
report's title and evaluation date, page n / N in the footer: CSS page-margin boxes, so a page
printed from a browser looks the same). The PDF is tagged: each chart is a figure whose
alternate text is the chart's one Japanese text alternative (the ``alt`` of its drawing).

Chromium's PDF differs from build to build in its dates, in the links, which point to the folder
the page was printed from (a build's temporary folder), and in the numbers of the tagged
structure's element IDs. :func:`finish_pdf` fixes them and moves the cross-reference offsets with
its edits:

* ``/CreationDate`` and ``/ModDate`` become ``$SOURCE_DATE_EPOCH`` when set, else the report's
  publication date (``data-report-date`` in the page), else they are left out;
* a link to a file beside the page becomes relative, and a link to another report of the set
  (``*.html``) points to that report's PDF: the PDF links work wherever the set is copied;
* structure element IDs (``nodeNNNNNNNN``) are numbered in order from 1.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from helpers.publish.files import write_bytes_atomic

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
DATE_ATTRIBUTE = "data-report-date"
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")
_URI = re.compile(rb"/URI \((file://[^)\\]*)\)")
_PRINT_OMITTED_ROW = re.compile(r'<tr class="print-omit">.*?</tr>', re.S)


def paper_only(page: str) -> str:
    """The page without the table rows paper leaves out (``tr.print-omit``, after the first
    rows of a long table): a plan of 10,000 items prints, and is checked, in bounded time and
    memory, because the browser never holds those rows."""
    return _PRINT_OMITTED_ROW.sub("", page)


_REPORT_DATE = (
    f"() => document.querySelector('[{DATE_ATTRIBUTE}]')?.getAttribute('{DATE_ATTRIBUTE}')"
)


def pdf_date(report_date: str | None) -> dt.datetime | None:
    """The date a PDF carries: ``$SOURCE_DATE_EPOCH``, else *report_date* (ISO), else none."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    if report_date:
        try:
            day = dt.date.fromisoformat(report_date.strip())
        except ValueError:
            return None
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return None


def _relative_link(uri: bytes, folder: Path) -> bytes | None:
    """A ``file://`` link as a path relative to *folder* (``.html`` -> ``.pdf``), or None."""
    parts = urlsplit(uri.decode("ascii", "replace"))
    if parts.scheme != "file" or parts.query:
        return None
    target = Path(unquote(parts.path))
    try:
        relative = PurePosixPath(os.path.relpath(target, folder))
    except ValueError:
        return None
    if relative.parts and relative.parts[0] == "..":
        return None  # outside the report set's folder
    if relative.suffix == ".html":
        relative = relative.with_suffix(".pdf")
    href = str(relative).replace("%", "%25").replace("(", "%28").replace(")", "%29")
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return (href + fragment).encode("ascii", "backslashreplace")


_XREF = re.compile(rb"\nxref\n0 (\d+)\n((?:\d{10} \d{5} [fn] ?\r?\n)+)trailer\b")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([fn])")
_STARTXREF = re.compile(rb"startxref\n(\d+)\n%%EOF\s*$")


class PdfStructureError(ValueError):
    """The PDF is not laid out as Chromium writes it (one classic cross-reference table)."""


def _replace_keeping_offsets(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply *edits* (start, end, new bytes; in order, not overlapping) and move every object
    offset of the cross-reference table, and ``startxref``, by what was inserted before it."""
    xref = _XREF.search(data)
    startxref = _STARTXREF.search(data)
    if xref is None or startxref is None or xref.start() + 1 != int(startxref.group(1)):
        raise PdfStructureError("no classic cross-reference table at startxref")
    if any(end > xref.start() for _start, end, _new in edits):
        raise PdfStructureError("an edit inside the cross-reference table")

    def shifted(offset: int) -> int:
        return offset + sum(len(new) - (end - start) for start, end, new in edits if end <= offset)

    pieces, position = [], 0
    for start, end, new in edits:
        pieces += [data[position:start], new]
        position = end
    entries = [
        b"%010d %s %s \n" % (shifted(int(o)) if kind == b"n" else int(o), gen, kind)
        for o, gen, kind in _XREF_ENTRY.findall(xref.group(2))
    ]
    pieces.append(data[position : xref.start()])
    pieces.append(b"\nxref\n0 " + xref.group(1) + b"\n" + b"".join(entries) + b"trailer")
    tail = data[xref.end() : startxref.start()]
    pieces += [tail, b"startxref\n%d\n%%%%EOF\n" % shifted(xref.start() + 1)]
    return b"".join(pieces)


def finish_pdf(data: bytes, *, folder: Path, report_date: str | None = None) -> bytes:
    """Chromium's PDF with fixed dates and relative links (see the module docstring).

    The objects' offsets in the cross-reference table are moved with the edits, so the file
    stays valid and its bytes do not depend on the folder it was printed from.
    """
    when = pdf_date(report_date)
    edits: list[tuple[int, int, bytes]] = []
    for match in _PDF_DATE.finditer(data):
        stamp = b""
        if when is not None:
            text = when.strftime("D:%Y%m%d%H%M%S+00'00'").encode("ascii")
            stamp = b"/" + match.group(1) + b" (" + text + b")"
        edits.append((match.start(), match.end(), stamp))
    for match in _URI.finditer(data):
        relative = _relative_link(match.group(1), folder)
        if relative is not None:
            edits.append((match.start(), match.end(), b"/URI (" + relative + b")"))
    edits.sort()
    finished = _replace_keeping_offsets(data, edits) if edits else data
    return _renumber_structure_ids(finished)


_STRUCTURE_ID = re.compile(rb"\(node(\d{8})\)")


def _renumber_structure_ids(data: bytes) -> bytes:
    """Number the tagged structure's element IDs 1, 2, 3 … in their own order.

    Chromium names them after its accessibility objects, whose numbers depend on how many
    objects the page made before (timing); the rank keeps their order (the ID tree is sorted
    by them) and their length, so nothing else moves.
    """
    numbers = sorted({int(n) for n in _STRUCTURE_ID.findall(data)})
    rank = {number: position for position, number in enumerate(numbers, start=1)}
    return _STRUCTURE_ID.sub(lambda m: b"(node%08d)" % rank[int(m.group(1))], data)


class PdfPrinter:
    """Print several HTML reports to A4 PDF with one headless Chromium.

    ``with PdfPrinter() as printer: printer.print(html, pdf)``. Each page is opened offline
    (every request except the page itself is aborted), as a new document in the printer's one
    tab (:class:`helpers.publish.chromium.OfflineTab`); printing waits until every chart has
    drawn and raises :class:`ChartRenderError` otherwise.
    """

    def __init__(self, *, timeout_ms: int = 30_000) -> None:
        self.timeout_ms = timeout_ms
        self._stack = ExitStack()
        self._browser: Any = None
        self._tab: Any = None

    def __enter__(self) -> PdfPrinter:
        from helpers.publish.chromium import OfflineTab, launch_browser

        self._browser = self._stack.enter_context(launch_browser())
        # one tab for every report this printer prints: each is a new document in it
        self._tab = self._stack.enter_context(OfflineTab(self._browser))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._browser = self._tab = None
        self._stack.close()

    def print(self, html_path: Path, pdf_path: Path, *, check: bool = True) -> Path:
        """Print *html_path* to *pdf_path* (written atomically); return *pdf_path*.

        With *check*, the page's accessibility checks are written beside the PDF
        (:func:`helpers.publish.accessibility.checks_path`) for the set's statement.
        """
        from helpers.publish import accessibility
        from helpers.publish.chromium import prepare_for_print, wait_for_charts

        if self._tab is None:
            raise RuntimeError("use PdfPrinter as a context manager")
        html_path, pdf_path = Path(html_path), Path(pdf_path)
        with self._tab.open(html_path, transform=paper_only) as offline:
            if check:  # the page as a reader opens it (data tables folded), charts drawn
                wait_for_charts(offline.page, timeout_ms=self.timeout_ms)
                result = accessibility.check_page(
                    offline.page, output=pdf_path.stem, requests=offline.requests
                )
                accessibility.write_checks(accessibility.checks_path(pdf_path), result)
            prepare_for_print(offline.page, timeout_ms=self.timeout_ms)
            report_date = offline.page.evaluate(_REPORT_DATE)
            data = offline.page.pdf(
                format="A4",
                prefer_css_page_size=True,
                print_background=False,
                display_header_footer=False,  # the stylesheet's page-margin boxes draw them
                tagged=True,
                outline=True,
            )
        data = finish_pdf(data, folder=html_path.resolve().parent, report_date=report_date)
        write_bytes_atomic(pdf_path, data)
        return pdf_path


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print one HTML report to an A4 PDF (starts and stops a browser; see :class:`PdfPrinter`)."""
    with PdfPrinter() as printer:
        return printer.print(html_path, pdf_path)
