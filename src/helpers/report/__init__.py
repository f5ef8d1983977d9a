"""What the report notebooks show: one context object per notebook, one method per section.

A report notebook holds a title, its parameters, one setup call (``plan_context``,
``item_context``, ``timeline_context`` or ``index_context``) and then one call per section, e.g.
``plan.status_figure()``. Each call returns a display object (a ``Figure``, ``Table`` or
``Headlines`` of :mod:`helpers.publish.html`, or a :class:`Markup`), so the same notebook works in
JupyterLab and in the exported HTML. The numbers come from :mod:`helpers.views.metrics`, the charts
from :mod:`helpers.views.charts`; nothing is computed here.

Parameters are checked first: an unknown plan id or a missing data folder stops the run with a
message that names the bad value and what is allowed (:class:`ReportParameterError`).
"""

from helpers.report.common import Markup, ReportParameterError, resolve_path
from helpers.report.index import IndexReport, index_context
from helpers.report.item import ItemReport, item_context
from helpers.report.plan import PlanReport, plan_context
from helpers.report.timeline import TimelineReport, timeline_context

__all__ = [
    "IndexReport",
    "ItemReport",
    "Markup",
    "PlanReport",
    "ReportParameterError",
    "TimelineReport",
    "index_context",
    "item_context",
    "plan_context",
    "resolve_path",
    "timeline_context",
]


# --- parameters -------------------------------------------------------------------------------


# --- shared sections --------------------------------------------------------------------------


# --- plan report --------------------------------------------------------------------------


# --- timeline report ----------------------------------------------------------------------


# --- index page ---------------------------------------------------------------------------
