"""Publishing: HTML pieces, the offline nbconvert export, PDF, open data and the report set.

:mod:`~helpers.publish.html` (figures, tables, headline cards), :mod:`~helpers.publish.export`
(executed notebook → one self-contained HTML page without scripts), :mod:`~helpers.publish.svg`
(charts drawn as SVG at export, cached), :mod:`~helpers.publish.vlconvert` (vl-convert's fonts and
fork safety), :mod:`~helpers.publish.bundle` (the Vega libraries for live charts in JupyterLab),
:mod:`~helpers.publish.pdf` (A4 PDF with Chromium), :mod:`~helpers.publish.opendata` (CSV files
beside the reports), :mod:`~helpers.publish.reportset` (which reports a set holds) and
:mod:`~helpers.publish.files` (atomic writes). Modules that import nbconvert, vl-convert or Chromium
are not imported here; import them by name.
"""

from helpers.publish.html import Figure, Headline, Headlines, Table
from helpers.publish.reportset import ConfigError, ReportSet, ReportSpec, load_report_set

__all__ = [
    "ConfigError",
    "Figure",
    "Headline",
    "Headlines",
    "ReportSet",
    "ReportSpec",
    "Table",
    "load_report_set",
]
