"""Numbers and cells as Japanese readers see them: one formatter for every page and sentence.

Rounding is half up (四捨五入) everywhere, so a headline card, a sentence and a chart label
show the same figure (1/16 is 6.3% in all three)."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

MISSING_TEXT = "—"
#: The minus sign of a negative figure (U+2212), never the hyphen-minus "-" of ASCII: in Japanese
#: prose "-22.5" reads as a dash; "−22.5" as a number.
MINUS = "\u2212"


def is_missing(value: object) -> bool:
    """True for ``None``, ``NaN``, ``NaT`` and ``pd.NA``; false for any other value (lists too)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str | bytes) or not pd.api.types.is_scalar(value):
        return False
    return bool(pd.isna(value))


def _round_half_up(value: float, decimals: int) -> Decimal:
    """Round as Japanese documents do (四捨五入), from the float's shortest decimal form."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def format_number(value: float | int, *, percent: bool = False, decimals: int = 1) -> str:
    """Format a number for Japanese readers: ``1,234``, ``12.5``, ``73.7%`` (from ``0.737``).

    Rounding is half up (``2.25`` -> ``2.3``). Integral values show no decimals unless they are
    percentages; missing values show ``—``.
    """
    if is_missing(value):
        return MISSING_TEXT
    if not math.isfinite(value):
        return "∞" if value > 0 else f"{MINUS}∞"
    if percent:
        text = f"{_round_half_up(float(value) * 100, decimals):,.{decimals}f}%"
    elif isinstance(value, numbers.Integral):
        text = f"{int(value):,}"
    elif float(value).is_integer():
        text = f"{float(value):,.0f}"
    else:
        text = f"{_round_half_up(float(value), decimals):,.{decimals}f}"
    return text.replace("-", MINUS, 1)


def format_signed(value: float, *, percent: bool = False, decimals: int = 1) -> str:
    """A signed difference for readers, with the sign always shown: ``+4.7``, ``−22.5``
    (the minus sign U+2212, :data:`MINUS`), ``±0.0`` when it rounds to nothing; decimals fixed.

    The one formatter of differences ("前の計画から−22.5ポイント", a table's 増減 column)."""
    if is_missing(value):
        return MISSING_TEXT
    number = float(value) * 100 if percent else float(value)
    if not math.isfinite(number):
        return format_number(number)
    rounded = _round_half_up(abs(number), decimals)
    sign = "±" if rounded == 0 else ("+" if number > 0 else MINUS)
    return f"{sign}{rounded:,.{decimals}f}{'%' if percent else ''}"


def format_cell(value: object, *, percent: bool = False, decimals: int = 1) -> str:
    """Return the display text (not yet escaped) of one table cell."""
    if is_missing(value):
        return MISSING_TEXT
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return format_number(value, percent=percent, decimals=decimals)  # type: ignore[arg-type]
    if isinstance(value, pd.Timestamp | dt.datetime):
        if value.hour or value.minute or value.second:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def format_percent(value: float, decimals: int = 1) -> str:
    """Format a fraction as a percentage, half up, e.g. 0.7368 -> "73.7%", 0.0625 -> "6.3%"."""
    return format_number(value, percent=True, decimals=decimals)


def text_or_none(value: Any) -> str | None:
    """Return a string value, or None for any missing marker."""
    return None if is_missing(value) else str(value)


_BRACKETED = re.compile(r"(?P<before>.?)\((?P<inside>[^()]*)\)")


def jp_brackets(text: Any) -> Any:
    """Japanese text with full-width brackets: "統合型地理情報システム(GIS)" ->
    "統合型地理情報システム（GIS）". A pair is converted when it follows a Japanese character
    or holds one (the source's brackets, lost to half-width by the PDF's text extraction);
    "平成24年度 (2012)" and other ASCII stays as it is. Non-text values pass through."""
    if not isinstance(text, str) or "(" not in text:
        return text

    def convert(match: re.Match[str]) -> str:
        before, inside = match.group("before"), match.group("inside")
        japanese = (before and ord(before) > 0x2E7F) or any(ord(ch) > 0x2E7F for ch in inside)
        return f"{before}（{inside}）" if japanese else match.group(0)

    previous = None
    while previous != text:  # nested pairs, innermost first
        previous, text = text, _BRACKETED.sub(convert, text)
    return text


#: An ASCII tilde beside a Japanese character: a range in Japanese prose ("令和4年度~令和6年度").
_JP_TILDE = re.compile(r"~(?=[\u2e80-\U0010ffff])|(?<=[\u2e80-\U0010ffff])~")


def reader_text(text: Any) -> Any:
    """Japanese prose as readers see it (the project's reader-text rules, one function):
    full-width brackets (:func:`jp_brackets`) and the full-width tilde ～ of a range beside
    Japanese ("令和4年度~令和6年度" -> "令和4年度～令和6年度"). ASCII text ("平成24年度 (2012)",
    "https://example.jp/~x") stays as it is; non-text values pass through.

    Every published page passes through it (:func:`helpers.publish.html.reader_html`), its title
    and running header included, so data text written with half-width brackets reads the same on
    every page."""
    if not isinstance(text, str):
        return text
    text = jp_brackets(text)
    return _JP_TILDE.sub("～", text) if "~" in text else text
