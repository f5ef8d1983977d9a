"""The one Altair theme of the reports, status colours and vega-embed options.

Importing this module registers and enables the theme ``plan_report``: Japanese font stack,
the Okabe-Ito colour-blind-safe palette and sizes that fit an A4 page. Text is at least 13 px
and never rotated: published charts are drawn at their own size (a narrower drawing serves
phones, see ``helpers.publish.svg``), so these sizes are the sizes readers get. The font stack
starts with Noto Sans JP (the Digital Agency design system recommends it; the build measures
labels with Noto Sans CJK JP, the same design, under that name: ``helpers.publish.vlconvert``),
then Noto Sans CJK JP and the Japanese fonts of Windows and macOS.
Status colours derive from a level's generic class (and its order within the class), so any
rating scale works; charts never rely on colour alone (bars carry text labels).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

import altair as alt
import pandas as pd

THEME_NAME: Final = "plan_report"
FONT: Final = (
    "'Noto Sans JP', 'Noto Sans CJK JP', 'BIZ UDPGothic', Meiryo, 'Yu Gothic', "
    "'Hiragino Sans', sans-serif"
)
LOCALE: Final = "ja-JP"

# Okabe & Ito (2008), "Color Universal Design": distinguishable with common colour-vision
# deficiencies.
OKABE_ITO: Final[tuple[str, ...]] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
# Colours per generic status class, best level of the class first.
CLASS_COLOURS: Final[dict[str, tuple[str, ...]]] = {
    "achieved": ("#0072B2", "#56B4E9", "#009E73"),
    "partial": ("#E69F00", "#F0E442"),
    "not_achieved": ("#D55E00", "#CC79A7", "#000000"),
}
UNRATED_COLOUR: Final = "#999999"
# Text drawn on top of a coloured cell: dark fills get white text.
DARK_FILLS: Final[frozenset[str]] = frozenset({"#0072B2", "#D55E00", "#009E73", "#000000"})
SOURCE_COLOURS: Final[dict[str, str]] = {"computed": "#0072B2", "reported": "#FFFFFF"}
PERIOD_BAND_COLOUR: Final = "#56B4E9"
INK: Final = "#222222"

# Sizes for an A4 page (about 170 mm of text width, i.e. ~640 CSS px).
WIDTH: Final = 520
HEIGHT: Final = 280
BAND_STEP: Final = 26
FONT_SIZES: Final[dict[str, int]] = {"label": 13, "title": 13, "chart_title": 16, "text": 13}


def class_colour(cls: str | None, rank: int = 0) -> str:
    """Colour of the ``rank``-th best level (0-based) of a status class."""
    if cls is None or cls not in CLASS_COLOURS:
        return UNRATED_COLOUR
    shades = CLASS_COLOURS[cls]
    return shades[rank % len(shades)]


def status_colours(levels: pd.DataFrame, key: str = "code") -> dict[str, str]:
    """Colour per level of a scale (``levels`` has code/label, order, cls).

    Within a class the better level (smaller ``order``) gets the class's main colour.
    ``key`` chooses the column whose values become the dict keys ("code" or "label").
    """
    ordered = levels.sort_values("order", kind="stable")
    rank_in_class: dict[str, int] = {}
    colours: dict[str, str] = {}
    for _, level in ordered.iterrows():
        cls = str(level["cls"])
        rank = rank_in_class.get(cls, 0)
        rank_in_class[cls] = rank + 1
        colours.setdefault(str(level[key]), class_colour(cls, rank))
    return colours


def text_colour(fill: str) -> str:
    """Readable text colour on ``fill``."""
    return "#FFFFFF" if fill.upper() in DARK_FILLS else INK


def colour_scale(domain: Iterable[str], colours: dict[str, str]) -> alt.Scale:
    """An ordinal Altair colour scale with an explicit domain and range."""
    values = list(dict.fromkeys(domain))
    return alt.Scale(domain=values, range=[colours.get(v, UNRATED_COLOUR) for v in values])


def theme_config() -> dict[str, Any]:
    """The theme as a plain Vega-Lite config dict."""
    sizes = FONT_SIZES
    axis = {
        "labelFontSize": sizes["label"],
        "titleFontSize": sizes["title"],
        "labelColor": INK,
        "titleColor": INK,
        "gridColor": "#DDDDDD",
        "domainColor": "#888888",
        "tickColor": "#888888",
        "labelLimit": 260,
    }
    return {
        "config": {
            "font": FONT,
            "background": "#FFFFFF",
            "view": {
                "continuousWidth": WIDTH,
                "continuousHeight": HEIGHT,
                "discreteHeight": {"step": BAND_STEP},
                "stroke": None,
            },
            "range": {"category": list(OKABE_ITO)},
            "axis": axis,
            # Japanese reads horizontally: the y title sits above the axis, not turned 90°
            "axisY": {
                "titleAngle": 0,
                "titleAlign": "left",
                "titleAnchor": "end",
                "titleBaseline": "bottom",
                "titleY": -10,
            },
            "legend": {
                "labelFontSize": sizes["label"],
                "titleFontSize": sizes["title"],
                "orient": "bottom",
                "labelLimit": 260,
            },
            "header": {
                "labelFontSize": sizes["title"],
                "titleFontSize": sizes["title"],
                "labelFontWeight": "bold",
            },
            "title": {
                "fontSize": sizes["chart_title"],
                "subtitleFontSize": sizes["label"],
                "anchor": "start",
                "color": INK,
                "offset": 10,
            },
            "text": {"fontSize": sizes["text"], "color": INK},
            "bar": {"stroke": INK, "strokeWidth": 0.5},
            "point": {"size": 60, "filled": True},
        }
    }


@alt.theme.register(THEME_NAME, enable=True)
def plan_report_theme() -> alt.theme.ThemeConfig:
    """The registered theme (see ``theme_config``)."""
    return alt.theme.ThemeConfig(**theme_config())


def enable_theme() -> str:
    """Enable the report theme (idempotent) and return its name."""
    alt.theme.enable(THEME_NAME)
    return THEME_NAME


@lru_cache(maxsize=1)
def _locales() -> tuple[dict[str, Any], dict[str, Any]]:
    """ja-JP number and time format locales from vl-convert (imported on first use)."""
    import vl_convert

    return vl_convert.get_format_locale(LOCALE), vl_convert.get_time_format_locale(LOCALE)


def format_locales() -> tuple[dict[str, Any], dict[str, Any]]:
    """Fresh copies of the ja-JP number and time format locales (d3-format, d3-time-format)."""
    number, time = _locales()
    return copy.deepcopy(number), copy.deepcopy(time)


def vega_embed_options() -> dict[str, Any]:
    """Options for ``vegaEmbed``: Japanese number/time formats, no action menu, SVG output.

    A fresh copy each call, so callers may modify it.
    """
    number, time = _locales()
    return {
        "actions": False,
        "renderer": "svg",
        "formatLocale": copy.deepcopy(number),
        "timeFormatLocale": copy.deepcopy(time),
    }
