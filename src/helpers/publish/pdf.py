"""A4 PDF of the HTML reports, printed by headless Chromium once every chart has drawn."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

from helpers.publish.files import write_bytes_atomic

PDF_FOOTER = (
    '<div style="width:100%;font-size:9px;text-align:center;color:#000;'
    "font-family:'Noto Sans CJK JP',sans-serif;\">"
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class PdfPrinter:
    """Print several HTML reports to A4 PDF with one headless Chromium.

    ``with PdfPrinter() as printer: printer.print(html, pdf)``. Each page is opened offline
    (every request except the page itself is aborted); printing waits until every chart has
    drawn and raises :class:`ChartRenderError` otherwise.
    """

    def __init__(self, *, timeout_ms: int = 30_000) -> None:
        self.timeout_ms = timeout_ms
        self._stack = ExitStack()
        self._browser: Any = None

    def __enter__(self) -> PdfPrinter:
        from helpers.publish.chromium import launch_browser

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
        from helpers.publish.chromium import open_offline, prepare_for_print

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
