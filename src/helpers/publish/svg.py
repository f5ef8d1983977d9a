"""Charts as static SVG, drawn at build time by vl-convert, with a disk cache.

:func:`chart_svgs` turns a figure's Vega-Lite spec into two drawings: the chart as designed
(for screens and A4 paper) and a narrow one for phones, at most :data:`NARROW_WIDTH` px wide
so that its text is drawn at full size instead of shrunk with the picture. The narrow drawing
comes from :func:`narrow_spec` (side-by-side panels stacked, plot widths fitted, long axis
labels shortened), unless the figure brings its own narrow chart.

Every drawing is cached on disk (``<cache>/svg/<sha256>.svg``) under a key made of the spec,
the vl-convert version, the locales and the fonts; an unchanged chart costs one file read.
:func:`stats` counts conversions, cache hits and seconds, for the build's timings.

Nothing here starts vl-convert before it is needed (see :mod:`helpers.publish.vlconvert`).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.publish.files import cache_dir, write_text_atomic
from helpers.publish.vlconvert import converter, font_fingerprint
from helpers.views import theme

#: The widest a phone drawing may be: a 375 px screen minus the page's side padding.
NARROW_WIDTH = 340
#: Axis and legend labels of a phone drawing are cut (with "…") beyond this width.
NARROW_LABEL_LIMIT = 140
#: Bump when the drawing code changes in a way the cache key cannot see.
DRAWING_VERSION = "3"
#: px beside the plot of a typical phone drawing (axis labels, text beside the bars)
_FIRST_GUESS_OVERHEAD = 110
#: px right of a phone drawing's plot: text beside the bars sticks out of a narrow plot
_RIGHT_OF_NARROW_PLOT = 50
_ORIGIN = re.compile(r'<g\b[^>]*\btransform="translate\(([\d.]+),[\d.]+\)"')
_AIM_BELOW_TARGET = 10  # a correction aims a little inside the accepted widths
_WIDTH_TOLERANCE = 3
_NARROW_ENOUGH = 0.85  # a phone drawing at least this share of the target width is kept
_MAX_ATTEMPTS = 3
_MIN_PLOT = 80
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


@dataclass
class ConversionStats:
    """What this process spent drawing charts."""

    drawings: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    per_chart: list[float] = field(default_factory=list)


_stats = ConversionStats()


def stats() -> ConversionStats:
    """The conversion counters of this process (reset with :func:`reset_stats`)."""
    return _stats


def reset_stats() -> None:
    """Start counting conversions afresh."""
    global _stats
    _stats = ConversionStats()


@dataclass(frozen=True)
class Drawing:
    """One SVG drawing and its size in CSS px."""

    svg: str
    width: float
    height: float


def svg_size(svg: str) -> tuple[float, float]:
    """The ``width`` and ``height`` attributes of an SVG document's root element."""
    match = _SVG_SIZE.search(svg)
    if not match:
        raise ValueError("not an SVG drawing with width and height")
    return float(match.group(1)), float(match.group(2))


def _locales() -> tuple[dict[str, Any], dict[str, Any]]:
    return theme.format_locales()


@functools.cache
def _environment_key() -> str:
    """What besides the spec changes a drawing: vl-convert, Vega-Lite, locales, fonts."""
    import vl_convert  # versions only: this starts no converter

    parts = {
        "vl_convert": vl_convert.__version__,
        "vega_lite": vl_convert.get_vegalite_versions()[-1],
        "locales": _locales(),
        "fonts": font_fingerprint(),
        "drawing": DRAWING_VERSION,
    }
    return json.dumps(parts, sort_keys=True, ensure_ascii=False)


def spec_key(spec: Mapping[str, Any], variant: str = "") -> str:
    """The cache key of a spec's drawing: a SHA-256 over the spec and the environment."""
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256()
    for part in (_environment_key(), variant, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def svg_cache_path(key: str) -> Path:
    """The cache file of a drawing."""
    return cache_dir() / "svg" / f"{key}.svg"


def _looks_like_svg(text: str) -> bool:
    return text.startswith("<svg") and text.rstrip().endswith("</svg>")


def _read_cached(key: str) -> str | None:
    try:
        text = svg_cache_path(key).read_text(encoding="utf-8")
    except OSError:
        return None
    return text if _looks_like_svg(text) else None


def _write_cached(key: str, svg: str) -> None:
    with contextlib.suppress(OSError):  # a read-only cache only costs time
        write_text_atomic(svg_cache_path(key), svg)


def convert(spec: Mapping[str, Any]) -> str:
    """Draw a Vega-Lite spec as SVG with vl-convert (no cache; no network: data is inline)."""
    number, time_format = _locales()
    started = time.perf_counter()
    svg = converter().vegalite_to_svg(
        dict(spec),
        format_locale=number,
        time_format_locale=time_format,
        allowed_base_urls=[],
    )
    elapsed = time.perf_counter() - started
    _stats.drawings += 1
    _stats.seconds += elapsed
    return svg


def cached_svg(spec: Mapping[str, Any], variant: str, draw: Callable[[], str]) -> Drawing:
    """The drawing of ``(spec, variant)`` from the cache, else made by *draw* and cached."""
    key = spec_key(spec, variant)
    svg = _read_cached(key)
    if svg is None:
        svg = draw()
        _write_cached(key, svg)
    else:
        _stats.cache_hits += 1
    width, height = svg_size(svg)
    return Drawing(svg, width, height)


# --- the narrow (phone) drawing -------------------------------------------------------------

_VIEW_KEYS = ("layer", "hconcat", "vconcat", "concat")


def _views(node: Any) -> Iterator[dict[str, Any]]:
    """Every view-like dict of a spec: the spec itself, facet inner specs, layers, concats."""
    if not isinstance(node, dict):
        return
    yield node
    inner = node.get("spec")
    if isinstance(inner, dict):
        yield from _views(inner)
    for key in _VIEW_KEYS:
        for child in node.get(key) or ():
            yield from _views(child)


def _stack(spec: dict[str, Any]) -> None:
    """Side-by-side parts one below the other: column facets become rows, hconcat vconcat."""
    for view in _views(spec):
        facet = view.get("facet")
        if isinstance(facet, dict) and "column" in facet and "row" not in facet:
            column = facet.pop("column")
            header = dict(column.get("header") or {})
            header.update(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top")
            column["header"] = header
            facet["row"] = column
            # each panel keeps its own labels under its bars (a shared axis labels the last
            # panel only, and a phone reader cannot tell which bar of the first is which)
            resolve = view.setdefault("resolve", {}).setdefault("axis", {})
            resolve.setdefault("x", "independent")
        elif isinstance(facet, dict) and "field" in facet and "columns" in view:
            view["columns"] = 1
        if "hconcat" in view:
            view["vconcat"] = view.pop("hconcat")
        if "concat" in view and "columns" in view:
            view["columns"] = 1


def _cap_label_limits(spec: dict[str, Any], limit: int) -> None:
    """Axis and legend labels no wider than *limit* px (the config and every encoding)."""
    config = spec.setdefault("config", {})
    for part in ("axis", "axisX", "axisY", "axisBand", "legend"):
        if part == "axis" or part in config:
            section = config.setdefault(part, {})
            section["labelLimit"] = min(int(section.get("labelLimit", limit)), limit)
    for view in _views(spec):
        for channel in (view.get("encoding") or {}).values():
            if not isinstance(channel, dict):
                continue
            for guide in ("axis", "legend"):
                settings = channel.get(guide)
                if isinstance(settings, dict):
                    current = settings.get("labelLimit", limit)
                    if isinstance(current, int | float):
                        settings["labelLimit"] = min(current, limit)


def _set_plot_widths(spec: dict[str, Any], width: int) -> None:
    """Every view's plot width becomes *width* px (step widths too; bands fit the width)."""
    spec.setdefault("config", {}).setdefault("view", {})["continuousWidth"] = width
    spec["config"]["view"]["discreteWidth"] = width
    for view in _views(spec):
        if "width" in view:
            view["width"] = width


_COMPOSED_KEYS = ("facet", "spec", "repeat", "hconcat", "vconcat", "concat")


def is_single_view(spec: Mapping[str, Any]) -> bool:
    """True for a single or layered view (no facet, repeat or concatenation at the top)."""
    return not any(key in spec for key in _COMPOSED_KEYS)


def narrow_spec(spec: Mapping[str, Any], plot_width: int) -> dict[str, Any]:
    """The spec redrawn for a phone: parts stacked, short labels, every plot *plot_width* px.

    Vega's ``fit`` autosize is not used: it fits the plot, not the text beside the bars, which
    it would cut off; :func:`draw_narrow` corrects the plot width from the drawing instead.
    """
    narrow = copy.deepcopy(dict(spec))
    _stack(narrow)
    _cap_label_limits(narrow, NARROW_LABEL_LIMIT)
    _set_plot_widths(narrow, plot_width)
    return narrow


def _left_offset(drawing: Drawing) -> float | None:
    """Where the plot area starts in a drawing: the room Vega left for what stands to its left
    (axis labels and title, row headers, padding), from the drawing's first translation."""
    match = _ORIGIN.search(drawing.svg)
    return float(match.group(1)) if match else None


def _overhead_guess(wide: Drawing | None) -> int:
    """Pixels the phone drawing will need beside its plot.

    What stands left of the plot in the drawing as designed (the phone drawing keeps it, with
    labels cut at :data:`NARROW_LABEL_LIMIT`), plus room on the right for text beside the bars,
    which sticks out of a narrow plot; a typical value without a drawing. Aiming at the middle
    of the accepted widths, the first phone drawing is normally the last.
    """
    left = _left_offset(wide) if wide is not None else None
    if left is None:
        return _FIRST_GUESS_OVERHEAD
    return int(min(left, NARROW_LABEL_LIMIT + 40)) + _RIGHT_OF_NARROW_PLOT


def _next_plot(plot: int, width: float, target: int, tried: list[tuple[int, float]]) -> int:
    """The plot width to try next, from the drawings so far (plot width, drawing width).

    With two drawings of different plot widths the line through them is followed (the drawing
    grows by less than the plot when text beside the bars moves with it); with one, a drawing
    too wide loses twice its excess, one too narrow gains its shortfall.
    """
    goal = target - _AIM_BELOW_TARGET
    slope = 0.0
    if len(tried) >= 2:
        (p0, w0), (p1, w1) = tried[-2], tried[-1]
        if p0 != p1:
            slope = (w1 - w0) / (p1 - p0)
    if 0.2 <= slope <= 1.5:
        corrected = plot + (goal - width) / slope
    else:
        excess = width - target
        corrected = plot - (2 * excess if excess > 0 else excess)
    return max(_MIN_PLOT, int(corrected))


def draw_narrow(spec: Mapping[str, Any], target: int, wide: Drawing | None = None) -> str:
    """The phone drawing, at most *target* px wide: draw, and correct the plot width if needed.

    A drawing between 85 % and 100 % of *target* is kept. The first plot width comes from the
    chart as designed (:func:`_overhead_guess`), so one drawing is normally enough; otherwise
    corrections follow (at most :data:`_MAX_ATTEMPTS` drawings). A chart whose width does not
    follow its plot width (a long legend or title sets it) is drawn no more than twice.
    """
    plot = max(_MIN_PLOT, target - _overhead_guess(wide))
    svg = convert(narrow_spec(spec, plot))
    tried = [(plot, svg_size(svg)[0])]
    while len(tried) < _MAX_ATTEMPTS:
        width = tried[-1][1]
        if target * _NARROW_ENOUGH <= width <= target + _WIDTH_TOLERANCE:
            break
        if len(tried) >= 2 and abs(tried[-1][1] - tried[-2][1]) < 1:
            break  # the plot width does not change the drawing's width
        corrected = _next_plot(plot, width, target, tried)
        if corrected == plot:
            break
        plot = corrected
        svg = convert(narrow_spec(spec, plot))
        tried.append((plot, svg_size(svg)[0]))
    return svg


@dataclass(frozen=True)
class ChartDrawings:
    """A chart's drawings: ``wide`` as designed, ``narrow`` for phones (None: wide fits)."""

    wide: Drawing
    narrow: Drawing | None


def chart_svgs(
    spec: Mapping[str, Any],
    narrow: Mapping[str, Any] | None = None,
    *,
    target: int = NARROW_WIDTH,
) -> ChartDrawings:
    """Draw *spec* as designed and for phones (*narrow*: a spec designed for phones, if any).

    The phone drawing is left out when the chart as designed already fits *target*.
    """
    started = time.perf_counter()
    wide = cached_svg(spec, "wide", lambda: convert(spec))
    small: Drawing | None = None
    if narrow is not None:
        small = cached_svg(narrow, "narrow-given", lambda: convert(narrow))
    elif wide.width > target:
        small = cached_svg(spec, f"narrow-{target}", lambda: draw_narrow(spec, target, wide))
    _stats.per_chart.append(time.perf_counter() - started)
    return ChartDrawings(wide, small)
