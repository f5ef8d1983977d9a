"""The Vega, Vega-Lite and vega-embed JavaScript bundle of vl-convert, cached on disk.

Only charts drawn live in JupyterLab need it (published reports carry static SVG drawings).
Building it costs about a second in every fresh process, so it is made once per vl-convert version
and kept in ``$PLAN_REPORT_CACHE`` (default ``~/.cache/plan-report``). Building it starts
vl-convert in this process (see :mod:`helpers.publish.vlconvert`): never in a build driver.
"""

from __future__ import annotations

import functools
from contextlib import suppress
from pathlib import Path

import vl_convert

from helpers.publish.files import CACHE_ENV_VAR, cache_dir, write_text_atomic
from helpers.publish.vlconvert import converter

__all__ = ["CACHE_ENV_VAR", "bundle_cache_path", "cache_dir", "vega_bundle"]


def bundle_cache_path() -> Path:
    """Return the cache file of the bundle for the installed vl-convert version."""
    return cache_dir() / f"vega-bundle-vl-convert-{vl_convert.__version__}.js"


def _looks_like_bundle(text: str) -> bool:
    """True when *text* is a complete bundle (it ends by defining the globals)."""
    return "window.vegaEmbed" in text[-2000:] and len(text) > 100_000


@functools.cache
def vega_bundle() -> str:
    """Return the vl-convert JavaScript bundle, from the disk cache when it is there.

    A missing, truncated or unreadable cache file is rebuilt; the cache is written atomically,
    so concurrent builds never see half a file.
    """
    path = bundle_cache_path()
    try:
        cached = path.read_text(encoding="utf-8")
    except OSError:
        cached = ""
    if _looks_like_bundle(cached):
        return cached
    bundle = converter(fonts=False).javascript_bundle()
    if not _looks_like_bundle(bundle):
        raise RuntimeError("vl_convert.javascript_bundle() returned an unexpected bundle")
    with suppress(OSError):  # a read-only cache only costs time
        write_text_atomic(path, bundle)
    return bundle
