"""Publishing: HTML pieces, the offline nbconvert export, PDF, open data and the report set.

:mod:`~helpers.publish.html` (figures, tables, headline cards), :mod:`~helpers.publish.export`
(executed notebook → one self-contained HTML page without scripts), :mod:`~helpers.publish.svg`
(charts drawn as SVG at export, cached), :mod:`~helpers.publish.vlconvert` (vl-convert's fonts and
fork safety), :mod:`~helpers.publish.bundle` (the Vega libraries for live charts in JupyterLab),
:mod:`~helpers.publish.pdf` (A4 PDF with Chromium), :mod:`~helpers.publish.opendata` (CSV files
beside the reports), :mod:`~helpers.publish.reportset` (which reports a set holds) and
:mod:`~helpers.publish.files` (atomic writes). Modules that import nbconvert, vl-convert or Chromium
are not imported here; import them by name. The names below are loaded on first use, so that
the build's driver, which needs only :mod:`~helpers.publish.files` and
:mod:`~helpers.publish.reportset` for an unchanged set, never imports Altair.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "Figure": "html",
    "Headline": "html",
    "Headlines": "html",
    "Table": "html",
    "ConfigError": "reportset",
    "ReportSet": "reportset",
    "ReportSpec": "reportset",
    "load_report_set": "reportset",
}

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


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"helpers.publish.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'helpers.publish' has no attribute {name!r}")
