"""The Vega, Vega-Lite and vega-embed JavaScript bundle of vl-convert, cached on disk.

Building it costs about a second in every fresh process, so it is made once per vl-convert version
and kept in ``$PLAN_REPORT_CACHE`` (default ``~/.cache/plan-report``).
"""

from __future__ import annotations

import functools
import os
from contextlib import suppress
from pathlib import Path

import vl_convert

from helpers.publish.files import write_text_atomic

CACHE_ENV_VAR = "PLAN_REPORT_CACHE"


def cache_dir() -> Path:
    """Return the cache directory: ``$PLAN_REPORT_CACHE``, else ``$XDG_CACHE_HOME/plan-report``."""
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "plan-report"


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
    bundle = vl_convert.javascript_bundle()
    if not _looks_like_bundle(bundle):
        raise RuntimeError("vl_convert.javascript_bundle() returned an unexpected bundle")
    with suppress(OSError):  # a read-only cache only costs time
        write_text_atomic(path, bundle)
    return bundle
