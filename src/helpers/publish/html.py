"""HTML for notebook outputs: charts with text alternative and data table, tables, headlines.

Every chart in a report is a :class:`Figure`: a ``<figure>`` holding its title, the chart, a
visible one-sentence description, and a collapsible ``<details>`` data table with the same numbers
(for screen readers, for print and for anyone who prefers numbers). Containers are numbered by a
per-process counter (``chart-1``, ``chart-2``, ...), so executing the same notebook in a fresh
kernel yields byte-identical output (no ``uuid``).

Published reports: static drawings, no JavaScript
-------------------------------------------------
A figure's display output always carries :data:`FIGURE_MIMETYPE`: its Vega-Lite spec, title,
description and data table as JSON. The kernel draws nothing. When the report is exported
(:mod:`helpers.publish.export`, in the long-lived build process), each such output becomes
:func:`static_figure_html`: the chart drawn as SVG by vl-convert (:mod:`helpers.publish.svg`),
embedded as ``<img>`` in a ``<picture>`` whose narrow variant serves phones. The image's ``alt``
is the description, so the description is the one text alternative, and the same text becomes
the figure's alternate text in the tagged PDF; the visible copy of it is hidden from assistive
technology, which therefore meets neither chart internals nor the sentence twice. The page holds
no script at all.

Interactive use (JupyterLab)
----------------------------
Outside report mode (``PLAN_REPORT_MODE=report`` or ``set_mode("report")``) a figure also
carries ``text/html``: a container and a small inline script that calls the *global*
``vegaEmbed`` with the spec (JupyterLab shows ``text/html``; it has no renderer for the figure
JSON). The libraries (vega, vega-lite, vega-embed; about 0.9 MB) come from
``vl_convert.javascript_bundle()``, cached on disk by :func:`helpers.publish.bundle.vega_bundle`:
the first figure displayed in a kernel emits the bundle inline, once, wrapped by
:func:`guarded_bundle` so a second copy is harmless. If the page was reloaded while the kernel
kept running, the chart shows a short Japanese note and waits; ``display(load_vega())`` brings
the libraries back and draws the waiting charts. The exporter ignores all of this and uses the
figure JSON, so a notebook executed interactively exports to the same page as in report mode.
Live charts are embedded with vega-embed's ``ast: true`` option (no ``new Function``) and without
the ``$schema`` URL.

In the project's JupyterLab (``make lab``; :mod:`helpers.lab` turns it on in every kernel) the
bundle is *served*: the Jupyter server has the guarded bundle among its static files
(:data:`SERVED_BUNDLE_NAME`) and every chart output, figures and plain Altair charts alike
(:func:`altair_renderer`), carries a small loader script (:func:`vega_loader_script`) instead of
the bundle. Charts then draw after a page reload, when a saved notebook is reopened, and whichever
cell ran first; no request leaves the machine, and the saved notebook stays small.

Table cells are escaped and formatted for Japanese readers: thousands separators (``1,234``),
percentages from fractions in the columns named in ``percent_columns`` (``0.737`` -> ``73.7%``),
``—`` for missing values.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
import numbers
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.views import labels, theme
from helpers.views.formatting import format_cell, format_number, reader_text

if TYPE_CHECKING:
    from helpers.publish.svg import ChartDrawings, Drawing

MODE_ENV_VAR = "PLAN_REPORT_MODE"
#: The display output of a figure: its spec, title, description and table, drawn at export.
FIGURE_MIMETYPE = "application/vnd.plan-report.figure+json"
#: Marks the output of :func:`load_vega`, which the exporter drops (published pages need no bundle).
VEGA_LOADER_MIMETYPE = "application/vnd.plan-report.vega-loader+json"
#: The page's horizontal padding on both sides at its narrowest (see report.css).
PAGE_SIDE_PADDING = 2 * 24
REPORT_MODE = "report"
INTERACTIVE_MODE = "interactive"
#: Columns whose header and cells are all this short never wrap (status words, dates, codes).
SHORT_TEXT_LENGTH = 12
#: Names (cells of ``name_columns``: items, departments, events) this short do not wrap on a
#: screen wider than a phone, so a katakana word (図書館コンピュータシステム) is never cut in
#: two; longer names wrap between phrases.
NAME_TEXT_LENGTH = 16
#: A column header up to this long never wraps (評価項目数); a longer one wraps between phrases
#: when the column's values are shorter than it.
HEADER_NOWRAP_LENGTH = 6
#: The text column at its widest (em of body text; report.css: ``.report`` 60rem wide, padded).
TEXT_COLUMN_EM = 57
#: A table estimated wider than this (in em of body text; the text column is 57em) is marked
#: ``wide``: on a PC it spreads over the screen's width instead of scrolling sideways.
WIDE_TABLE_EM = 54
#: Screens narrower than this (rem) are phones: every stacked table shows cards (report.css).
PHONE_MAX_REM = 40
#: The text column of a small phone (360 px less the page's sides), in em.
PHONE_COLUMN_EM = 20
#: From this width (rem) a screen is a PC's: names keep to one line, wide tables spread out.
PC_MIN_REM = 64
#: The page's side padding on a tablet (rem, both sides; report.css ``.report``).
_TABLET_SIDES_REM = 3.0
#: On a PC a wide table spreads over the screen but for this much (rem, both sides) and at most
#: this wide (report.css ``.table-scroll.wide``).
_PC_SIDES_REM = 2.0
WIDEST_TABLE_REM = 80
#: How much wider than its estimate a PC screen must be to show a wide table as a table (rem):
#: the estimate of names on one line is close (about 0.5 % either side).
_PC_MARGIN = 0.5
#: A table shows cards on a tablet unless the text column is this much wider than its estimated
#: narrowest layout (share, then em): the estimate misses glyph widths by a few pixels.
_TABLET_SAFETY = (1.02, 0.5)
#: Narrowest a wrapping text column gets (report.css: ``min-width: 8em``) and cell padding.
_WRAPPING_COLUMN_EM = 8.0
#: Narrowest a column of names longer than NAME_TEXT_LENGTH gets (report.css: .name-long).
_LONG_NAME_EM = 12.0
_CELL_PADDING_EM = 2.0
#: A column whose values are mostly longer than this holds sentences (an item's description).
SENTENCE_LENGTH = 40
#: Narrowest a column of sentences gets on a tablet before the table shows cards instead.
_READABLE_TEXT_EM = 16.0
#: Widest phrase a wrapping header keeps on one line, as a rule (必要な, 一部達成): the
#: stylesheet breaks Japanese between phrases.
_PHRASE_EM = 4.0

_REQUIRED_EMBED_OPTIONS: dict[str, Any] = {"actions": False, "ast": True, "mode": "vega-lite"}
_DEFAULT_EMBED_OPTIONS: dict[str, Any] = {"renderer": "svg"}

_mode_override: str | None = None
_chart_ids: Iterator[int] = itertools.count(1)
_bundle_emitted = False
#: The guarded bundle's file name among the Jupyter server's static files (``{baseUrl}static/``).
SERVED_BUNDLE_NAME = "plan-report-vega.js"
#: Set (to any value) in the kernels of the project's JupyterLab by :mod:`helpers.lab`.
SERVED_ENV_VAR = "PLAN_REPORT_SERVED_BUNDLE"
#: Set by :func:`serve_bundle`: chart outputs load the bundle from the Jupyter server, and their
#: container ids carry a token of this kernel (several notebooks share one JupyterLab page).
_served_token: str | None = f"k{secrets.token_hex(4)}" if os.environ.get(SERVED_ENV_VAR) else None


# --- mode and ids -------------------------------------------------------------------------


def set_mode(mode: str | None) -> None:
    """Choose ``"report"`` or ``"interactive"`` output; ``None`` goes back to the env variable."""
    global _mode_override
    if mode not in (None, REPORT_MODE, INTERACTIVE_MODE):
        raise ValueError(f"mode must be {REPORT_MODE!r} or {INTERACTIVE_MODE!r}, got {mode!r}")
    _mode_override = mode


def current_mode() -> str:
    """Return the mode: the ``set_mode`` choice, else ``$PLAN_REPORT_MODE``, else interactive."""
    if _mode_override is not None:
        return _mode_override
    env = os.environ.get(MODE_ENV_VAR, "").strip().lower()
    return REPORT_MODE if env == REPORT_MODE else INTERACTIVE_MODE


def next_chart_id() -> str:
    """Return the next container id of this process: ``chart-1``, ``chart-2``, ...

    With a served bundle (JupyterLab) the ids also name the kernel (``chart-k3f9a1c2-1``): a page
    may show several notebooks, or outputs of an earlier kernel, and ids must not collide there.
    """
    number = next(_chart_ids)
    if _served_token is None or current_mode() == REPORT_MODE:
        return f"chart-{number}"
    return f"chart-{_served_token}-{number}"


def serve_bundle(on: bool = True) -> None:
    """Make interactive chart outputs load the bundle from the Jupyter server (``make lab``)."""
    global _served_token
    _served_token = f"k{secrets.token_hex(4)}" if on else None


def bundle_is_served() -> bool:
    """True when chart outputs load the bundle from the Jupyter server (:func:`serve_bundle`)."""
    return _served_token is not None


def forget_bundle() -> None:
    """Emit the Vega bundle again with the next figure (interactive mode).

    The report notebooks call this from their setup cell, so "Run All" after a page reload in
    JupyterLab (the kernel still running, the page's libraries gone) draws the charts again.
    """
    global _bundle_emitted
    _bundle_emitted = False


def reset_state() -> None:
    """Restart chart numbering at 1 and forget that the bundle was emitted (for tests)."""
    global _chart_ids, _bundle_emitted
    _chart_ids = itertools.count(1)
    _bundle_emitted = False


# --- escaping -----------------------------------------------------------------------------

_JSON_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def esc(text: object) -> str:
    """Escape any value's text for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


#: What :func:`reader_html` leaves alone: style and script elements, comments; and the tags
#: themselves, whose reader-facing attributes (:data:`_READER_ATTRIBUTE`) it converts.
_MARKUP = re.compile(r"(<style\b.*?</style>|<script\b.*?</script>|<!--.*?-->|<[^>]*>)", re.S | re.I)
_READER_ATTRIBUTE = re.compile(r'(\s(?:alt|title|aria-label)=")([^"]*)(")')


def reader_html(markup: str) -> str:
    """*markup* with the reader-text rules (:func:`helpers.views.formatting.reader_text`:
    full-width brackets and tilde in Japanese prose) applied to every text node and to the
    attributes a reader meets (``alt``, ``title``, ``aria-label``); tags, styles, scripts,
    comments and every other attribute (links, ``data:`` images) stay as they are.

    The exporter runs every published page through it, so data text written with half-width
    brackets reads the same on plan, item, index and timeline pages."""

    def attribute(match: re.Match[str]) -> str:
        return match.group(1) + reader_text(match.group(2)) + match.group(3)

    parts = _MARKUP.split(markup)
    for index, part in enumerate(parts):
        if index % 2 == 0:
            parts[index] = reader_text(part)
        elif not part.startswith(("<style", "<script", "<!--", "<STYLE", "<SCRIPT")):
            parts[index] = _READER_ATTRIBUTE.sub(attribute, part)
    return "".join(parts)


def script_json(value: object) -> str:
    """Serialise *value* as JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where their ``\\uXXXX`` escapes mean
    the same text, so ``</script>`` or ``<!--`` in data cannot end or confuse the element.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _JSON_SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def script_safe(source: str) -> str:
    """Make JavaScript source safe to inline in ``<script>``: no ``</script`` and no ``<!--``."""
    return (
        source.replace("</script", "<\\/script")
        .replace("</SCRIPT", "<\\/SCRIPT")
        .replace("<!--", "<\\!--")
    )


# --- number and cell formatting -----------------------------------------------------------


def _is_numeric_cell(value: object) -> bool:
    """True when a cell holds a (non-boolean) number: those cells are right-aligned."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool | complex)


# --- tables -------------------------------------------------------------------------------

#: Tables of more than this many columns become one card per row on phones...
STACK_COLUMNS = 3
#: ...and of more than this many on paper (A4's 190 mm hold seven columns of 9 pt text).
PRINT_STACK_COLUMNS = 7
#: On paper a long table stops after this many rows, with a note naming the full data.
PRINT_ROWS = 100
#: Cells longer than this put their value on its own line under the column name (phone cards).
LONG_TEXT_LENGTH = 24

# A number as text: "73.7%", "+4.7ポイント", "1,234件", "94.7%（19項目中18項目）".
_NUMERIC_TEXT = re.compile(
    r"^[+\-−±]?[0-9０-９][0-9０-９,，.．]*\s*(%|％|ポイント|項目|件|人|円|千円|倍)?"
    r"\s*([（(][^）)]*[）)])?$"
)
_EMPTY_TEXTS = frozenset({"", "—", "-", "－"})


def _is_numeric_text(text: str) -> bool:
    return bool(_NUMERIC_TEXT.match(text.strip()))


def _numeric_column(values: Sequence[object], texts: Sequence[str]) -> bool:
    """True when every filled cell of a column is a number or reads as one (right-aligned)."""
    filled = [(v, t) for v, t in zip(values, texts, strict=True) if t.strip() not in _EMPTY_TEXTS]
    return bool(filled) and all(_is_numeric_cell(v) or _is_numeric_text(t) for v, t in filled)


def _class_attr(*names_on: tuple[str, bool]) -> str:
    """Return a ``class`` attribute of the names that are on (or nothing)."""
    names = [name for name, on in names_on if on]
    return f' class="{" ".join(names)}"' if names else ""


def table_html(
    df: pd.DataFrame,
    caption: str,
    *,
    percent_columns: Iterable[str] = (),
    decimals: int = 1,
    row_headers: bool = True,
    stack: bool | None = None,
    print_rows: int | None = PRINT_ROWS,
    full_data: str | None = None,
    links: Mapping[str, Sequence[str | None]] | None = None,
    name_columns: Iterable[str] = labels.NAME_HEADERS,
) -> str:
    """Render *df* as an accessible HTML table (no pandas index; every text escaped).

    *links* maps a column name to one ``href`` per row (``None``: no link): the cell's text
    becomes a link (the caller makes the ``href`` safe, e.g. ``reportset.relative_href``).

    The table has a ``<caption>``, ``<th scope="col">`` column headers and, with *row_headers*,
    the first column as ``<th scope="row">``. Numbers get thousands separators; columns of
    numbers, or of texts that read as numbers ("73.7%", "+4.7ポイント"), are right-aligned;
    columns named in *percent_columns* hold fractions shown as percentages. Columns of short
    texts (at most ``SHORT_TEXT_LENGTH`` characters) are marked ``short`` and do not wrap, so a
    long description column cannot squeeze 達成 into one glyph per line; the names in the
    columns listed in *name_columns* (items, departments, events) that are at most
    ``NAME_TEXT_LENGTH`` long are marked ``name`` and do not wrap on screens wider than a phone;
    longer ones are marked ``name-long`` and wrap in a column at least 12em wide.

    On phones a table with *stack* (default: more than ``STACK_COLUMNS`` columns, or too wide
    for a phone's text column, :data:`PHONE_COLUMN_EM`) shows one card
    per row, each value under its column's name (``data-label``); on paper a table of more than
    ``PRINT_STACK_COLUMNS`` columns does, so it fits A4's width. On paper only the first
    *print_rows* rows are printed (``None``: all), followed by a note that names *full_data*
    (e.g. the open-data file) where the rest is.
    """
    percent = {str(name) for name in percent_columns}
    unknown = percent - {str(name) for name in df.columns}
    if unknown:
        raise KeyError(f"percent_columns not in the table: {sorted(unknown)}")
    names = [str(name) for name in df.columns]
    texts = [
        [format_cell(v, percent=name in percent, decimals=decimals) for v in df.iloc[:, i]]
        for i, name in enumerate(names)
    ]
    short = [
        max([len(name), *map(len, column)]) <= SHORT_TEXT_LENGTH
        for name, column in zip(names, texts, strict=True)
    ]
    numeric = [
        _numeric_column(list(df.iloc[:, i]), texts[i]) or name in percent
        for i, name in enumerate(names)
    ]
    wanted = {str(name) for name in name_columns}
    name_column = [
        name in wanted and not flag and not num
        for name, flag, num in zip(names, short, numeric, strict=True)
    ]
    tablet_width = _tablet_width_em(names, texts, short)
    # a narrower table too wide for a phone (a sentence column beside names that do not wrap)
    # shows cards there too, instead of squeezing its sentences to a glyph or two a line
    too_wide_for_a_phone = tablet_width > PHONE_COLUMN_EM
    stacked = (len(names) > STACK_COLUMNS or too_wide_for_a_phone) if stack is None else stack
    stacked_on_paper = len(names) > PRINT_STACK_COLUMNS
    classes = ["data-table"] + ["stack"] * stacked + ["stack-print"] * stacked_on_paper
    label_needed = stacked or stacked_on_paper
    # a header longer than its column's values (達成率（一部達成を含む） over 94.7%) wraps
    # between phrases instead of widening the column; a short one (取組状況) never wraps
    head_short = [
        flag and len(name) <= max([HEADER_NOWRAP_LENGTH, *map(len, column)])
        for name, flag, column in zip(names, short, texts, strict=True)
    ]
    pc_width = _estimated_width_em(names, texts, short, name_column)
    wide = pc_width > WIDE_TABLE_EM
    cards = cards_class(tablet_width, pc_width if wide else None) if stacked else None
    head = "".join(
        f'<th scope="col"{_class_attr(("num", num), ("short", flag))}>{esc(name)}</th>'
        for name, flag, num in zip(names, head_short, numeric, strict=True)
    )
    hrefs = [(links or {}).get(str(name)) for name in df.columns]
    rows = []
    n_rows = len(df)
    for row_number in range(n_rows):
        cells = []
        for position, name in enumerate(names):
            text = texts[position][row_number]
            attrs = _class_attr(
                ("num", numeric[position]),
                ("short", short[position]),
                ("name", name_column[position] and len(text) <= NAME_TEXT_LENGTH),
                ("name-long", name_column[position] and len(text) > NAME_TEXT_LENGTH),
                ("long", len(text) > LONG_TEXT_LENGTH),
            )
            label = f' data-label="{esc(name)}"' if label_needed else ""
            content = esc(text)
            column_links = hrefs[position]
            if column_links is not None and column_links[row_number]:
                content = f'<a href="{esc(column_links[row_number])}">{content}</a>'
            if row_headers and position == 0:
                cells.append(f'<th scope="row"{attrs}{label}>{content}</th>')
            else:
                cells.append(f"<td{attrs}{label}>{content}</td>")
        omitted = print_rows is not None and row_number >= print_rows
        rows.append(f"<tr{_class_attr(('print-omit', omitted))}>{''.join(cells)}</tr>")
    note = ""
    if print_rows is not None and n_rows > print_rows:
        where = f"全{n_rows:,}行は{full_data}にあります。" if full_data else ""
        note = (
            f'<p class="table-note print-only">印刷では先頭の{print_rows:,}行を示しています'
            f"（全{n_rows:,}行）。{esc(where)}</p>"
        )
    return (
        # a wide table scrolls on a screen: keyboard users must be able to reach it (WCAG 2.1.1)
        f'<div class="table-scroll{" wide" * wide}{f" {cards}" if cards else ""}" role="region"'
        f' aria-label="{esc(caption)}"'
        ' tabindex="0">'
        f'<table class="{" ".join(classes)}"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def cards_class(tablet_em: float, pc_em: float | None = None) -> str | None:
    """The class that shows a stacked table as cards on screens wider than a phone's that are
    too narrow for it; None when it fits them all.

    ``cards-below-N``: cards on screens narrower than N rem. Below a PC's width (tablets) the
    table needs *tablet_em*, its narrowest layout with names wrapping (:func:`_tablet_width_em`),
    with a safety margin, beside the page's sides, and more than any tablet's text column holds
    means every tablet width. On a PC a ``wide`` table (*pc_em*, names on one line) spreads over
    the screen but for its sides, up to :data:`WIDEST_TABLE_REM`. ``cards-always``: wider than
    that, so cards on every screen.
    """
    share, extra = _TABLET_SAFETY
    table = tablet_em * share + extra
    needed = PC_MIN_REM if table > TEXT_COLUMN_EM else math.ceil(table + _TABLET_SIDES_REM)
    if pc_em is not None:
        if pc_em > WIDEST_TABLE_REM:
            return "cards-always"
        needed = max(needed, math.ceil(pc_em + _PC_SIDES_REM + _PC_MARGIN))
    return f"cards-below-{needed}" if needed > PHONE_MAX_REM else None


def _tablet_width_em(
    names: Sequence[str], texts: Sequence[Sequence[str]], short: Sequence[bool]
) -> float:
    """How wide a table lays out at least on a tablet, in em: short columns (they never wrap) as
    wide as their longest value or header (a longer header wraps between phrases, of a few
    glyphs each), with padding; every other column wraps, names too, down to its ``min-width``
    (report.css: 8em, padding included), except that a column of sentences keeps
    :data:`_READABLE_TEXT_EM` (squeezed to eight glyphs a line, an item's description is a tall
    ribbon that reads worse than a card)."""
    width = 0.0
    for name, column, whole in zip(names, texts, short, strict=True):
        if whole:
            header = _text_em(name)
            if len(name) > HEADER_NOWRAP_LENGTH:
                header = min(header, _PHRASE_EM)
            width += max([header, *map(_text_em, column)]) + _CELL_PADDING_EM
        elif _holds_sentences(column):
            width += _READABLE_TEXT_EM
        else:
            width += _WRAPPING_COLUMN_EM
    return width


def _holds_sentences(column: Sequence[str]) -> bool:
    """True for a column of descriptions (most values longer than :data:`SENTENCE_LENGTH`), not
    of periods, names or an occasional note."""
    long = sum(len(text) > SENTENCE_LENGTH for text in column)
    return bool(column) and 2 * long >= len(column)


def _text_em(text: str) -> float:
    """Width of *text* in em: full-width (Japanese) characters 1, others about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def _estimated_width_em(
    names: Sequence[str],
    texts: Sequence[Sequence[str]],
    short: Sequence[bool],
    name_column: Sequence[bool],
) -> float:
    """How wide a table lays out at least on a PC, in em: short columns as wide as their longest
    value (or header), names that do not wrap as wide as the longest, a column of sentences
    :data:`_READABLE_TEXT_EM` (:func:`_holds_sentences`; not squeezed to a few glyphs a line),
    other columns at their
    narrowest; each with its padding."""
    width = 0.0
    for name, column, whole, names_in in zip(names, texts, short, name_column, strict=True):
        if whole:
            header = _text_em(name) if len(name) <= HEADER_NOWRAP_LENGTH else 0.0
            width += max([header, *map(_text_em, column)])
        else:
            kept = [_text_em(t) for t in column if names_in and len(t) <= NAME_TEXT_LENGTH]
            if names_in and any(len(t) > NAME_TEXT_LENGTH for t in column):
                kept.append(_LONG_NAME_EM)
            narrowest = min(max([_text_em(name), *map(_text_em, column)]), _WRAPPING_COLUMN_EM)
            if _holds_sentences(column):
                narrowest = _READABLE_TEXT_EM - _CELL_PADDING_EM
            width += max([narrowest, *kept])
        width += _CELL_PADDING_EM
    return width


@dataclass(frozen=True, eq=False)
class Table:
    """A plain table for notebooks (item lists etc.), displayed like :func:`table_html`."""

    df: pd.DataFrame
    caption: str
    percent_columns: Sequence[str] = ()
    decimals: int = 1
    row_headers: bool = True
    stack: bool | None = None
    print_rows: int | None = PRINT_ROWS
    full_data: str | None = None
    links: Mapping[str, Sequence[str | None]] | None = None
    name_columns: Sequence[str] = labels.NAME_HEADERS

    def to_html(self) -> str:
        """Return the table's HTML."""
        return table_html(
            self.df,
            self.caption,
            percent_columns=self.percent_columns,
            decimals=self.decimals,
            row_headers=self.row_headers,
            stack=self.stack,
            print_rows=self.print_rows,
            full_data=self.full_data,
            links=self.links,
            name_columns=self.name_columns,
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/plain": self.caption}


# --- charts -------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    """*value* with every NaN or infinite float replaced by ``None`` (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def chart_spec(chart: Any, *, validate: bool = True) -> dict[str, Any]:
    """Return the Vega-Lite spec of an Altair chart (or a spec dict) without ``$schema``.

    Missing numbers (NaN) and infinities become ``null``, so data with gaps always displays.
    *validate* checks the spec against the Vega-Lite schema (Altair's ``to_dict``); the same
    spec comes out either way.
    """
    spec = dict(chart) if isinstance(chart, Mapping) else chart.to_dict(validate=validate)
    spec.pop("$schema", None)
    return _finite(spec)


def embed_options() -> dict[str, Any]:
    """Return the vega-embed options of the theme, with ``actions``, ``ast`` and ``mode`` forced.

    No action menu linking to remote editors, no ``eval`` (Vega's expression interpreter), no
    ``$schema`` needed. Importing the theme module enables the Altair theme.
    """
    options: dict[str, Any] = dict(_DEFAULT_EMBED_OPTIONS)
    options.update(theme.vega_embed_options())
    options.update(_REQUIRED_EMBED_OPTIONS)
    return options


#: Shown in a chart container when the Vega libraries are missing, by mode: the council sees a
#: plain sentence, the analyst a remedy.
MISSING_LIBRARY_NOTES = {
    REPORT_MODE: "グラフを表示できません。下のデータ表に同じ数値があります。",
    INTERACTIVE_MODE: (
        "グラフ描画ライブラリが読み込まれていません。helpers.publish.html.load_vega() を表示すると"
        "描画します（またはカーネルを再起動して実行し直してください）。"
    ),
}
RENDER_FAILED_NOTE = "グラフを描画できませんでした。下のデータ表に同じ数値があります。"
#: Global list of draw functions waiting for the bundle (see :func:`chart_script`).
PENDING_GLOBAL = "planReportPendingCharts"


def chart_script(
    chart_id: str,
    spec: Mapping[str, Any],
    options: Mapping[str, Any],
    missing_note: str = MISSING_LIBRARY_NOTES[REPORT_MODE],
) -> str:
    """Return the inline ``<script>`` that draws *spec* into ``#chart_id`` with global vegaEmbed.

    Without ``vegaEmbed`` the container shows *missing_note* and the draw function waits in
    ``window.planReportPendingCharts``; the bundle runs the waiting functions once it is loaded.
    """
    return (
        "<script>(function(){"
        f'var el=document.getElementById("{chart_id}");'
        f"var spec={script_json(spec)};"
        f"var opts={script_json(options)};"
        "function draw(){"
        'el.removeAttribute("data-chart-error");el.textContent="";'
        f'window.vegaEmbed("#{chart_id}",spec,opts).catch(function(err){{'
        'el.setAttribute("data-chart-error","render");'
        f"el.textContent={script_json(RENDER_FAILED_NOTE)};"
        'console.error("chart " + el.id + ": " + err);});}'
        'if(typeof window.vegaEmbed==="function"){draw();return;}'
        'el.setAttribute("data-chart-error","no-library");'
        f"el.textContent={script_json(missing_note)};"
        f"(window.{PENDING_GLOBAL}=window.{PENDING_GLOBAL}||[]).push(draw);"
        "})();</script>"
    )


def guarded_bundle(source: str) -> str:
    """Wrap the Vega bundle so that it is safe to run twice in one page.

    The bundle declares top-level ``const`` names: a second copy as a plain script would throw
    ``SyntaxError: Identifier ... has already been declared``. Wrapped in a function that only
    runs while ``vegaEmbed`` is undefined, a second copy (a notebook executed interactively, then
    exported) does nothing. The bundle publishes its globals through ``window`` itself. Charts
    that were displayed before the bundle (see :func:`chart_script`) are drawn afterwards.
    """
    return (
        f'if(typeof window.vegaEmbed!=="function"){{(function(){{\n{script_safe(source)}\n}})();}}'
        f"(window.{PENDING_GLOBAL}||[]).splice(0).forEach(function(draw){{draw();}});"
    )


def vega_bundle_script() -> str:
    """Return ``<script>`` with the whole (guarded) Vega bundle: vegaEmbed, vega, vegaLite."""
    from helpers.publish.bundle import vega_bundle

    return f"<script>{guarded_bundle(vega_bundle())}</script>"


@dataclass(frozen=True)
class VegaLoader:
    """Display object that (re)loads the Vega bundle into an interactive notebook page."""

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        global _bundle_emitted
        _bundle_emitted = True
        return {
            "text/html": vega_bundle_script(),
            "text/plain": "Vega bundle loaded",
            VEGA_LOADER_MIMETYPE: {},
        }

    def _repr_html_(self) -> str:
        return self._repr_mimebundle_()["text/html"]


def load_vega() -> VegaLoader:
    """Return an object whose display loads the Vega bundle (interactive use only)."""
    return VegaLoader()


#: Shown while a served bundle loads, and in its place when the server does not have it.
LOADING_NOTE = "グラフを描画しています…"
SERVED_BUNDLE_MISSING_NOTE = (
    "グラフ描画ライブラリを読み込めませんでした。make lab で起動した JupyterLab で開いてください"
    "（または helpers.publish.html.load_vega() を表示してください）。"
)


def vega_loader_script() -> str:
    """Return ``<script>`` that loads the served bundle once per page (unless already there).

    The bundle's address is ``{baseUrl}static/`` + :data:`SERVED_BUNDLE_NAME` on the Jupyter
    server that shows the page (``baseUrl`` from JupyterLab's page configuration): a request to
    the local server only. Charts waiting for the bundle draw once it has run; if it cannot be
    loaded, they say how to get it.
    """
    return (
        "<script>(function(){"
        'if(typeof window.vegaEmbed==="function"||window.planReportVegaLoading)return;'
        "window.planReportVegaLoading=true;"
        'var base="/";'
        'try{var c=document.getElementById("jupyter-config-data");'
        'if(c){base=JSON.parse(c.textContent).baseUrl||"/";}}catch(e){}'
        'if(base.charAt(base.length-1)!=="/")base+="/";'
        'var s=document.createElement("script");'
        f's.src=base+"static/{SERVED_BUNDLE_NAME}";'
        "s.onerror=function(){window.planReportVegaLoading=false;"
        'document.querySelectorAll("[data-chart-error=no-library]").forEach(function(el){'
        f"el.textContent={script_json(SERVED_BUNDLE_MISSING_NOTE)};}});"
        'console.error("plan-report: cannot load "+s.src);};'
        "document.head.appendChild(s);"
        "})();</script>"
    )


def served_bundle_source() -> str:
    """Return the file the Jupyter server serves as :data:`SERVED_BUNDLE_NAME`."""
    from helpers.publish.bundle import vega_bundle

    return guarded_bundle(vega_bundle())


def _library_markup() -> str:
    """What an interactive chart output carries to get the libraries: the loader when the bundle
    is served, else the inline bundle with the first chart of the kernel."""
    global _bundle_emitted
    if current_mode() == REPORT_MODE:
        return ""
    if _served_token is not None:
        return vega_loader_script()
    if _bundle_emitted:
        return ""
    _bundle_emitted = True
    return vega_bundle_script()


def _missing_note() -> str:
    if current_mode() != REPORT_MODE and _served_token is not None:
        return LOADING_NOTE
    return MISSING_LIBRARY_NOTES[current_mode()]


#: vega-embed options of plain charts in notebooks: the export menu (PNG / SVG files made in the
#: browser) without the entries that open remote editors.
NOTEBOOK_ACTIONS: dict[str, bool] = {
    "export": True,
    "source": False,
    "compiled": False,
    "editor": False,
}


def chart_markup(chart: Any, embed_opts: Mapping[str, Any] | None = None) -> str:
    """Return a chart container with its drawing script, for any Altair chart or spec dict.

    Unlike :class:`Figure`, no title, description or table is needed: this is how analysts'
    own charts are shown (:func:`altair_renderer`). Embed options: the theme's, the export
    menu, then *embed_opts* (``alt.renderers.set_embed_options``); ``ast`` and ``mode`` forced.
    """
    chart_id = next_chart_id()
    spec = chart_spec(chart)
    options = embed_options()
    options["actions"] = dict(NOTEBOOK_ACTIONS)
    options.update(embed_opts or {})
    options.update({key: _REQUIRED_EMBED_OPTIONS[key] for key in ("ast", "mode")})
    title = spec.get("title")
    label = title.get("text") if isinstance(title, Mapping) else title
    label = label if isinstance(label, str) and label.strip() else "グラフ"
    return (
        f'<div class="chart" id="{chart_id}" role="img" aria-label="{esc(label)}"></div>'
        f"{chart_script(chart_id, spec, options, _missing_note())}"
        f"{_library_markup()}"
    )


def altair_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    """An Altair renderer (``alt.renderers.register``) that draws offline with the local bundle.

    Altair's own ``html`` renderer loads the libraries from a CDN; this one uses
    :func:`chart_markup`. *metadata* may hold ``embed_options``.
    """
    markup = chart_markup(spec, metadata.get("embed_options"))
    return {"text/html": markup, "text/plain": "<Altair chart>"}


@dataclass(frozen=True, eq=False)
class Figure:
    """A chart with its title, text alternative (*description*) and data table (same numbers).

    Display it (last expression of a cell, or ``display(fig)``). *percent_columns* name the table
    columns holding fractions. *narrow_chart*, if given, is the chart designed for phones;
    without it the exporter derives one (:func:`helpers.publish.svg.narrow_spec`).
    """

    chart: Any
    title: str
    description: str
    table: pd.DataFrame
    percent_columns: Sequence[str] = field(default=())
    decimals: int = 1
    narrow_chart: Any = None
    #: What the data table covers, when it is not what the chart shows (the timeline's table
    #: lists events before the chart's span and undated ones): its caption and summary say it.
    table_title: str = ""

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("a Figure needs a title")
        if not self.description.strip():
            raise ValueError(f"Figure {self.title!r} needs a description (its text alternative)")

    def table_html(self) -> str:
        """The figure's data table."""
        return table_html(
            self.table,
            f"{self.table_title or self.title}（データ表）",
            percent_columns=self.percent_columns,
            decimals=self.decimals,
        )

    def payload(self, chart_id: str) -> dict[str, Any]:
        """The figure as JSON for :data:`FIGURE_MIMETYPE` (drawn by the exporter).

        In report mode the spec is not checked against the Vega-Lite schema again (a third of a
        figure's cost in a report kernel): every chart function is checked by the test suite
        through ``to_dict()``, and the spec is the same either way.
        """
        validate = current_mode() != REPORT_MODE
        spec = chart_spec(self.chart, validate=validate)
        spec.pop("title", None)  # the <figcaption> shows it, as text a screen reader finds
        narrow = None
        if self.narrow_chart is not None:
            narrow = chart_spec(self.narrow_chart, validate=validate)
            narrow.pop("title", None)
        return {
            "id": chart_id,
            "title": self.title,
            "description": self.description,
            "spec": spec,
            "narrow_spec": narrow,
            "table_title": self.table_title or self.title,
            "table_html": self.table_html(),
        }

    def to_html(self, chart_id: str) -> str:
        """Return the live (vegaEmbed) ``<figure>`` markup with container *chart_id* (no bundle)."""
        options = embed_options()  # first: importing the theme module enables the Altair theme
        spec = chart_spec(self.chart)
        spec.pop("title", None)
        graphic = (
            f'<div class="chart" id="{chart_id}" role="img" aria-label="{esc(self.description)}">'
            "</div>"
            f"{chart_script(chart_id, spec, options, _missing_note())}"
        )
        return figure_html(
            chart_id,
            self.title,
            self.description,
            graphic,
            self.table_html(),
            table_title=self.table_title,
        )

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, Any]:
        chart_id = next_chart_id()
        output: dict[str, Any] = {
            FIGURE_MIMETYPE: self.payload(chart_id),
            "text/plain": f"{self.title}: {self.description}",
        }
        if current_mode() != REPORT_MODE:
            markup = self.to_html(chart_id)
            library = _library_markup()
            output["text/html"] = markup + library if bundle_is_served() else library + markup
        return output

    # No ``_repr_html_``: IPython would call it for the missing text/html of report mode.


def figure_html(
    chart_id: str,
    title: str,
    description: str,
    graphic: str,
    table: str,
    *,
    description_hidden: bool = False,
    table_title: str = "",
) -> str:
    """A ``<figure>``: title, *graphic*, the description, and the data table in ``<details>``
    (named by *table_title* when the table covers other than the chart, else by *title*).

    With *description_hidden* the visible description is hidden from assistive technology,
    because the graphic's text alternative already says it.
    """
    title_id = f"{chart_id}-title"
    hidden = ' aria-hidden="true"' if description_hidden else ""
    return (
        f'<figure class="report-figure" aria-labelledby="{title_id}">'
        f'<figcaption id="{title_id}" class="figure-title">{esc(title)}</figcaption>'
        f"{graphic}"
        f'<p class="figure-description"{hidden}>{esc(description)}</p>'
        f'<details class="figure-data"><summary>データ表（{esc(table_title or title)}）</summary>'
        f"{table}</details></figure>"
    )


def svg_data_uri(svg: str) -> str:
    """An SVG drawing as a ``data:`` URI (base64: safe in ``src`` and ``srcset``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _size_attrs(drawing: Drawing) -> str:
    return f'width="{round(drawing.width)}" height="{round(drawing.height)}"'


def picture_html(drawings: ChartDrawings, alt: str) -> str:
    """The chart's drawings as ``<picture>``: the narrow one where the wide one would shrink.

    The narrow drawing is chosen while the viewport is narrower than the wide drawing plus the
    page's side padding, so a drawing is never scaled below its own size where a narrower one
    exists; print uses the page width (A4) and normally the wide drawing.
    """
    wide, narrow = drawings.wide, drawings.narrow
    source = ""
    if narrow is not None:
        breakpoint_px = round(wide.width) + PAGE_SIDE_PADDING
        source = (
            f'<source media="(max-width: {breakpoint_px}px)" '
            f'srcset="{svg_data_uri(narrow.svg)}" {_size_attrs(narrow)}>'
        )
    return (
        f"<picture>{source}"
        f'<img src="{svg_data_uri(wide.svg)}" {_size_attrs(wide)} alt="{esc(alt)}">'
        "</picture>"
    )


def static_figure_html(payload: Mapping[str, Any], drawings: ChartDrawings) -> str:
    """The published figure of a :data:`FIGURE_MIMETYPE` payload, with the chart's drawings."""
    chart_id = str(payload["id"])
    description = str(payload["description"])
    graphic = (
        f'<div class="chart chart-static" id="{esc(chart_id)}">'
        f"{picture_html(drawings, description)}</div>"
    )
    return figure_html(
        chart_id,
        str(payload["title"]),
        description,
        graphic,
        str(payload["table_html"]),
        description_hidden=True,
        table_title=str(payload.get("table_title") or ""),
    )


# --- headline figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One headline card: a label, a big number with its unit, its denominator, one sentence.

    Example: ``Headline("達成率（一部達成を含む）", 0.895, "%", "19項目中17項目", "…")`` with
    ``percent=True`` shows ``89.5%``. A string *value* is shown as given.
    """

    label: str
    value: float | int | str
    unit: str
    denominator: str
    sentence: str
    percent: bool = False
    decimals: int = 1

    def value_text(self) -> str:
        """Return the number as displayed (without the unit)."""
        if isinstance(self.value, str):
            return self.value
        text = format_number(self.value, percent=self.percent, decimals=self.decimals)
        return text.removesuffix("%") if self.percent else text

    def to_html(self) -> str:
        """Return the card's HTML."""
        return (
            '<div class="headline">'
            f'<p class="headline-label">{esc(self.label)}</p>'
            f'<p class="headline-figure"><span class="headline-value">{esc(self.value_text())}'
            f'</span><span class="headline-unit">{esc(self.unit)}</span></p>'
            f'<p class="headline-denominator">{esc(self.denominator)}</p>'
            f'<p class="headline-sentence">{esc(self.sentence)}</p>'
            "</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def headlines_html(cards: Iterable[Headline]) -> str:
    """Return a row of headline cards (a grid that wraps on narrow screens and paper)."""
    return f'<div class="headlines">{"".join(card.to_html() for card in cards)}</div>'


#: The cards' look in JupyterLab, where the report stylesheet is absent (interactive mode only;
#: published pages take it from the template's report.css).
NOTEBOOK_HEADLINE_CSS = (
    "<style>"
    ".headlines{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));"
    "gap:12px;margin:12px 0;}"
    ".headline{border:1px solid #ccc;border-top:8px solid #0072B2;border-radius:8px;"
    "padding:8px 16px 16px;background:#fff;color:#222;}"
    ".headline p{margin:0;padding:0;}"
    ".headline-label{font-weight:700;}"
    ".headline-figure{line-height:1.2;margin:4px 0 !important;}"
    ".headline-value{font-size:3rem;font-weight:700;font-variant-numeric:tabular-nums;}"
    ".headline-unit{font-size:1.5rem;font-weight:700;margin-left:0.125em;}"
    ".headline-denominator{color:#555;}"
    ".headline-sentence{margin-top:4px !important;}"
    "</style>"
)


@dataclass(frozen=True)
class Headlines:
    """Display object for a row of :class:`Headline` cards."""

    cards: Sequence[Headline]

    def _repr_html_(self) -> str:
        return self._repr_mimebundle_()["text/html"]

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        markup = headlines_html(self.cards)
        if current_mode() != REPORT_MODE:
            markup = NOTEBOOK_HEADLINE_CSS + markup
        return {
            "text/html": markup,
            "text/plain": " / ".join(card.label for card in self.cards),
        }
