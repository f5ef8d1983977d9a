"""Sections that do not apply to a report are left out of the published page.

A report notebook is a sequence of sections: a Markdown cell (heading and explanation) followed by
one code cell whose output is the section's content. Some sections do not apply to every report:
a plan known only by a reported aggregate has no per-item chart, a plan evaluated once has no
history. Rather than print the same "not applicable" note under several headings, the section's
call returns :func:`not_applicable`: in JupyterLab the analyst sees the reason; in the exported
page :class:`DropInapplicableSections` removes the section (its output cell and the Markdown
cell just before it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from nbconvert.preprocessors import Preprocessor

METADATA_KEY = "plan_report"
SKIP_FLAG = "section_not_applicable"


@dataclass(frozen=True)
class NotApplicable:
    """Display object of a section that does not apply (``reason`` is shown interactively)."""

    reason: str

    def _repr_mimebundle_(
        self, include: object = None, exclude: object = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        data = {
            "text/html": f'<p class="note section-not-applicable">{html.escape(self.reason)}</p>',
            "text/plain": self.reason,
        }
        return data, {METADATA_KEY: {SKIP_FLAG: True}}


def not_applicable(reason: str) -> NotApplicable:
    """The output of a section that does not apply to this report (see the module docstring)."""
    return NotApplicable(reason)


def _is_skipped(cell: Any) -> bool:
    if cell.get("cell_type") != "code":
        return False
    for output in cell.get("outputs", []):
        flags = output.get("metadata", {}).get(METADATA_KEY, {})
        if isinstance(flags, dict) and flags.get(SKIP_FLAG):
            return True
    return False


class DropInapplicableSections(Preprocessor):
    """Remove every code cell whose output is :func:`not_applicable`, and its heading cell."""

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        kept: list[Any] = []
        for cell in nb.cells:
            if _is_skipped(cell):
                if kept and kept[-1].get("cell_type") == "markdown":
                    kept.pop()
                continue
            kept.append(cell)
        nb.cells = kept
        return nb, resources
