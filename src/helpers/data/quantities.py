"""Numbers as people type them in Japanese sheets: ``95.0%``, ``1,234件``, ``△5``, ``１２３``.

:func:`parse_quantity` reads one cell of a ``quantity`` column (indicator baselines, targets and
actuals) into a number and the unit written after it, or says in Japanese why it cannot:

* full-width digits, signs and ``％`` are read like their ASCII forms (NFKC);
* ``△`` or ``▲`` before a number make it negative (the usual way to write -5 in Japanese
  tables), as do ``-`` and ``−``; ``+`` is allowed;
* thousands separators must sit every three digits (``1,234,567``); ``12,34`` is refused, as a
  decimal comma would be misread;
* the text after the number is its unit (``%``, ``件``, ``人``, ``分``, ``ポイント``); it is
  checked against the indicator's unit by the caller;
* a dash alone (``-``, ``−``, ``―``, ``ー``) is "no value", as published tables write an unknown
  figure (:data:`NO_VALUE`);
* anything else (``約95%``, ``95%程度``, ``1e3``, ``九十五``) is refused, and so is a number of
  :data:`helpers.data.limits.MAX_QUANTITY` or more in absolute value (:func:`check_magnitude`,
  also used for numbers read from the evaluation round's workbooks).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from helpers.data.limits import MAX_QUANTITY

NO_VALUE_MARKS: frozenset[str] = frozenset({"-", "−", "―", "—", "–", "‐", "ー", "ｰ", "－"})
"""Cells that mean "no value" (a published table's dash for an unknown figure)."""

_NEGATIVE_MARKS = ("△", "▲", "-", "−", "ー")
_NUMBER = re.compile(
    r"(?P<sign>[△▲+\-−ー]?)(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<unit>.*)"
)
_UNIT = re.compile(r"[^\d.,+\-−△▲]*")


@dataclass(frozen=True)
class Quantity:
    """A number read from a cell and the unit written after it (``None`` when there was none)."""

    value: float
    unit: str | None


class QuantityError(ValueError):
    """A cell of a quantity column that is not a number (the message says why, in Japanese)."""


def normalise_unit(text: str | None) -> str | None:
    """A unit as compared: NFKC, without spaces (``％`` -> ``%``); ``None`` when empty."""
    if text is None:
        return None
    unit = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return unit or None


def is_no_value(text: str) -> bool:
    """True for a cell that only holds a dash (an unknown figure)."""
    return re.sub(r"\s+", "", text) in NO_VALUE_MARKS or (
        unicodedata.normalize("NFKC", text).strip() in NO_VALUE_MARKS
    )


def check_magnitude(value: float) -> float:
    """``value`` itself; raise :class:`QuantityError` unless it is finite and smaller than
    :data:`~helpers.data.limits.MAX_QUANTITY` in absolute value."""
    if not math.isfinite(value):
        raise QuantityError("数値として読めません (not a finite number)")
    if abs(value) >= MAX_QUANTITY:
        raise QuantityError(
            f"数値が大きすぎます。絶対値は {MAX_QUANTITY:,} 未満にしてください "
            f"(beyond the limit of ±{MAX_QUANTITY:.0e})"
        )
    return value


def parse_quantity(text: str) -> Quantity:
    """Read a typed number with its unit; raise :class:`QuantityError` when it is not one.

    >>> parse_quantity("95.0%")
    Quantity(value=95.0, unit='%')
    >>> parse_quantity("△5")
    Quantity(value=-5.0, unit=None)
    >>> parse_quantity("１，２３４件")
    Quantity(value=1234.0, unit='件')
    """
    raw = re.sub(r"\s+", "", text)
    norm = unicodedata.normalize("NFKC", raw)
    match = _NUMBER.fullmatch(norm)
    if match is None:
        raise QuantityError("数値として読めません。数字で書いてください (例: 95.0%, 1,234件, △5)")
    unit = match.group("unit")
    if re.search(r"\d", unit) and ("," in match.group("number") or unit.startswith(",")):
        raise QuantityError("桁区切りのコンマは3桁ごとに書いてください (例: 1,234)")
    if not _UNIT.fullmatch(unit) or re.search(r"\d", unit):
        raise QuantityError(
            "数値の後に数字や記号が続いています。1つのセルには1つの数値を書いてください"
        )
    value = check_magnitude(float(match.group("number").replace(",", "")))
    if match.group("sign") in _NEGATIVE_MARKS:
        value = -value
    return Quantity(value + 0.0, normalise_unit(unit))
