"""Size limits of every input the tool reads, and the characters no cell may hold.

A data folder and a report set come from people (and sometimes from an attacker): every reader
stops at these limits with a clear problem instead of running out of memory or time, and
``data/README.md`` documents them. The limits are far above any real plan (the bundled folder
has 19 items, its largest cell about 200 characters and its largest file 8 KB).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest CSV file or ``workbook.xlsx`` (bytes)."""

MAX_WORKBOOK_UNPACKED_BYTES = 200 * 1024 * 1024
"""Largest total size of the parts of ``workbook.xlsx`` once unzipped (bytes; a zip bomb)."""

MAX_ROWS = 10_000
"""Most data rows per table (CSV file or sheet), the header row not counted."""

MAX_CELL_CHARS = 10_000
"""Longest cell (characters)."""

MAX_QUANTITY = 10**15
"""Every indicator value (baseline, target, actual) is finite and smaller than this in absolute
value: larger ones cannot be shown to their last digit (a float holds about 15 digits)."""

MAX_YAML_BYTES = 256 * 1024
"""Largest ``city.yaml`` or report set file (bytes)."""

MAX_NOTEBOOK_BYTES = 1024 * 1024
"""Largest notebook a report set names (bytes; the bundled ones are under 5 KB)."""

MAX_YAML_DEPTH = 50
"""Deepest nesting of lists and mappings in a YAML file."""

MAX_YAML_NODES = 20_000
"""Most values in a YAML file, every alias (``*name``) counted as a copy of what it names."""

MAX_ID_CHARS = 64
"""Longest plan ID: report names and file names are made from it (``plan-<計画ID>.html``)."""

MAX_PROBLEMS_SHOWN = 200
"""Problems printed as table rows; beyond it, the rest is summarised by code."""

MAX_QUOTED_CHARS = 80
"""Most characters of a header or value a problem message quotes (cut with …): a message never
reproduces a file (a header row 10,000 characters long, a link to a file outside the folder)."""

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embedding, override and isolate controls: they reorder how text around them is shown."""

NAME_PUNCTUATION = frozenset("-_.")
"""Characters a name used in file names may hold besides letters and digits."""

LINE_BREAKS_AND_TAB = frozenset("\t\n\r")
"""Control characters free text may hold (a line break in an Excel cell, a tab)."""


#: Control characters (Unicode category Cc), the line and paragraph separators (Zl, Zp),
#: surrogates (Cs), bidirectional controls and U+FFFE, U+FFFF; tab, line feed and carriage
#: return are left to :data:`_FORBIDDEN_IN_LINE` (tests/test_validate.py checks the sets
#: against ``unicodedata``).
_FORBIDDEN_ALWAYS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
    "\u202a-\u202e\u2066-\u2069\ufffe\uffff"
)
_FORBIDDEN_IN_TEXT = re.compile(f"[{_FORBIDDEN_ALWAYS}]")
_FORBIDDEN_IN_LINE = re.compile(f"[{_FORBIDDEN_ALWAYS}\t\n\r]")


def forbidden_character(text: str, multiline: bool) -> str | None:
    """The first character no cell may hold, ``None`` when ``text`` is clean.

    Forbidden: control characters (ESC, NUL, BEL, DEL, C1 …), the Unicode line and paragraph
    separators (U+2028, U+2029), bidirectional embedding / override / isolate controls and
    the noncharacters U+FFFE, U+FFFF. Tab, line feed and carriage return are allowed only
    when ``multiline`` (free text such as 取組内容). One regular expression search: every
    cell of every table is checked in every report kernel.
    """
    found = (_FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE).search(text)
    return found.group() if found else None


def character_name(ch: str) -> str:
    """``U+001B ESCAPE`` style name of a character for messages."""
    names = {
        "\x00": "NUL",
        "\x07": "BELL",
        "\x08": "BACKSPACE",
        "\t": "TAB",
        "\n": "LINE FEED",
        "\x0b": "VERTICAL TAB",
        "\x0c": "FORM FEED",
        "\r": "CARRIAGE RETURN",
        "\x1b": "ESCAPE",
        "\x7f": "DELETE",
    }
    name = names.get(ch) or unicodedata.name(ch, "")
    if not name and ord(ch) < 0x20:
        name = "CONTROL"
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def is_safe_name(text: str) -> bool:
    """Whether ``text`` can be part of a file name and a link: letters, digits and ``-_.``.

    Letters and digits of any script count (``第2期``); the first character is not ``.``, and
    the text is in Unicode normal form C. No ``:`` (a URL scheme), ``/``, ``\\``, space, ``%``,
    ``?``, ``#`` nor control character can pass.
    """
    return (
        bool(text)
        and not text.startswith(".")
        and all(ch.isalnum() or ch in NAME_PUNCTUATION for ch in text)
        and unicodedata.is_normalized("NFC", text)
    )


_WEB_URL = re.compile(r"https?://[^\s\"'<>\\^`{|}]+", re.IGNORECASE)


def has_userinfo(text: str) -> bool:
    """Whether the address ``text`` names a user or password before its host (``…@``).

    ``https://www.city.example.lg.jp@evil.example/`` starts with the city's host as a reader
    sees it, but the browser opens ``evil.example``.
    """
    return "@" in text.split("//", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def is_web_url(text: str) -> bool:
    """Whether ``text`` is an absolute ``http://`` or ``https://`` address with a host.

    The only external links a page may carry (source document, licence): no ``javascript:``,
    ``data:`` or ``file:`` address, no spaces, quotes or angle brackets, no user name or
    password before the host (:func:`has_userinfo`), no malformed host (``https://[x/``).
    """
    if not _WEB_URL.fullmatch(text) or has_userinfo(text):
        return False
    try:
        return bool(urlsplit(text).hostname)
    except ValueError:  # an unclosed [IPv6] host
        return False
