"""The analysts' JupyterLab (``make lab``): its settings, its kernels' extension, working copies.

``make lab`` creates the environment ``.venv-lab`` (JupyterLab, kept apart from the lean build
environment) and runs ``python -m helpers.lab install``, which writes into that environment:

* the Jupyter server's settings (``etc/jupyter/jupyter_server_config.json`` and
  ``jupyter_lab_config.json``, merged into what is there): running as root allowed (containers),
  no news or update checks, every notebook paired with a ``py:percent`` text file wherever the
  server starts, and the guarded Vega bundle among the server's static files
  (:data:`helpers.publish.html.SERVED_BUNDLE_NAME`);
* JupyterLab's settings (``share/jupyter/lab/settings/overrides.json``): Japanese interface (the
  ``jupyterlab-language-pack-ja-JP`` package), no news prompt, ``*.py`` files open as notebooks;
* the kernels' settings (``etc/ipython/ipython_kernel_config.json``): every kernel of the
  environment loads this module as an IPython extension (:func:`load_ipython_extension`).

In a kernel, the extension makes every chart draw offline with nothing for the analyst to do:
Altair charts (any chart, the project's ``charts.*_chart(...)`` included) and figures load the
chart libraries from the local Jupyter server. It imports nothing heavy when the kernel starts:
Altair is hooked only when a chart is first displayed.

``python -m helpers.lab prepare`` (also run by ``make lab``) keeps working copies of the tracked
notebooks in ``work/`` (git-ignored): analysts change parameters there, and ``notebooks/*.py``
stays as committed.

This module imports only the standard library at import time: it runs in every lab kernel.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: :data:`helpers.publish.html.SERVED_ENV_VAR` (not imported here: this module must stay light).
SERVED_ENV_VAR = "PLAN_REPORT_SERVED_BUNDLE"
#: The Altair class every top-level chart derives from (hooked by module and name, not imported).
ALTAIR_TOP_LEVEL = ("altair.vegalite.v6.api", "TopLevelMixin")
RENDERER_NAME = "plan_report"
#: This module, as IPython extensions are named (``%load_ext helpers.lab``).
EXTENSION = "helpers.lab"

SERVER_CONFIG = Path("etc/jupyter/jupyter_server_config.json")
LAB_CONFIG = Path("etc/jupyter/jupyter_lab_config.json")
LAB_SETTINGS = Path("share/jupyter/lab/settings/overrides.json")
KERNEL_CONFIG = Path("etc/ipython/ipython_kernel_config.json")
STATIC_DIR = Path("share/plan-report/static")
LOCALE = "ja_JP"

WORK_DIR = "work"
NOTEBOOKS_DIR = "notebooks"
_COPIES_RECORD = ".copies.json"


# --- kernel extension ---------------------------------------------------------------------


def load_ipython_extension(ip: Any) -> None:
    """Every chart of this kernel draws offline from the Jupyter server's bundle.

    Loaded by the kernels of the lab environment (see :func:`install`). Sets
    :data:`SERVED_ENV_VAR` (figures use it) and registers a display hook for Altair charts that
    chooses the project's renderer, unless the analyst enabled another one.
    """
    os.environ[SERVED_ENV_VAR] = "1"
    html = sys.modules.get("helpers.publish.html")
    if html is not None:
        html.serve_bundle()
    formatter = ip.display_formatter.mimebundle_formatter
    formatter.for_type_by_name(*ALTAIR_TOP_LEVEL, altair_mimebundle)


def unload_ipython_extension(ip: Any) -> None:
    """Charts go back to Altair's own renderer (``%unload_ext helpers.lab``)."""
    import altair as alt

    os.environ.pop(SERVED_ENV_VAR, None)
    formatter = ip.display_formatter.mimebundle_formatter
    formatter.pop(alt.TopLevelMixin, None)
    formatter.deferred_printers.pop(ALTAIR_TOP_LEVEL, None)
    if alt.renderers.active == RENDERER_NAME:
        alt.renderers.enable("default")


def enable_renderer() -> str:
    """Register the project's Altair renderer and enable it unless another one was chosen.

    Returns the active renderer's name. ``alt.renderers.enable("plan_report")`` switches back to
    it after trying another.
    """
    import altair as alt

    from helpers.publish import html

    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, html.altair_renderer)
    if alt.renderers.active == "default":
        alt.renderers.enable(RENDERER_NAME)
    return alt.renderers.active


def altair_mimebundle(chart: Any) -> Any:
    """Display hook for Altair charts: the active renderer's output (the project's by default)."""
    enable_renderer()
    return chart._repr_mimebundle_()


# --- environment settings -----------------------------------------------------------------


def server_settings(prefix: Path) -> dict[str, Any]:
    """The Jupyter server settings of the lab environment at *prefix*."""
    return {
        "ServerApp": {
            # containers and these machines run as root; harmless for other users
            "allow_root": True,
            "extra_static_paths": [str(prefix / STATIC_DIR)],
        },
        # every notebook is paired with a py:percent text file, wherever the server starts
        # (the same setting as [tool.jupytext] in pyproject.toml, which is found only when the
        # server starts at the repository root or above)
        "JupytextConfiguration": {"formats": "ipynb,py:percent"},
    }


def jupyterlab_app_settings() -> dict[str, Any]:
    """JupyterLab's server-side settings: no news feed, no update check (no request out)."""
    return {
        "LabApp": {
            "news_url": None,
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        }
    }


def lab_settings() -> dict[str, Any]:
    """JupyterLab's default settings: Japanese, no news prompt, text notebooks open as notebooks."""
    return {
        "@jupyterlab/translation-extension:plugin": {"locale": LOCALE},
        "@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/docmanager-extension:plugin": {
            "defaultViewers": {"python": "Jupytext Notebook"}
        },
    }


def kernel_settings() -> dict[str, Any]:
    """IPython kernel settings: load this module in every kernel."""
    return {"IPKernelApp": {"extensions": [EXTENSION]}}


def _merge_json(path: Path, value: dict[str, Any]) -> None:
    """Write *value*'s sections into the JSON settings file *path*, keeping other sections."""
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = {}
    for section, settings in value.items():
        current[section] = {**current.get(section, {}), **settings}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def install(prefix: Path | str = sys.prefix) -> list[Path]:
    """Write the lab settings and the served bundle into the environment at *prefix*.

    Returns the files written. Run by ``make lab`` (``python -m helpers.lab install``).
    """
    from helpers.publish.html import SERVED_BUNDLE_NAME, served_bundle_source

    prefix = Path(prefix).resolve()
    written = []
    for relative, value in (
        (SERVER_CONFIG, server_settings(prefix)),
        (LAB_CONFIG, jupyterlab_app_settings()),
        (LAB_SETTINGS, lab_settings()),
        (KERNEL_CONFIG, kernel_settings()),
    ):
        _merge_json(prefix / relative, value)
        written.append(prefix / relative)
    bundle = prefix / STATIC_DIR / SERVED_BUNDLE_NAME
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_text(served_bundle_source(), encoding="utf-8")
    written.append(bundle)
    return written


# --- working copies -----------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_work(root: Path | str = ".") -> list[str]:
    """Keep working copies of ``notebooks/*.py`` in ``work/``; return what was done, one line each.

    A missing copy is made; a copy the analyst never changed follows the tracked notebook when
    that changes; a changed copy is kept as it is (the line says how to get a fresh one).
    """
    root = Path(root)
    work = root / WORK_DIR
    work.mkdir(exist_ok=True)
    record_path = work / _COPIES_RECORD
    try:
        record: dict[str, str] = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    lines = []
    for source in sorted((root / NOTEBOOKS_DIR).glob("*.py")):
        copy = work / source.name
        original = _digest(source)
        if not copy.exists():
            shutil.copyfile(source, copy)
            lines.append(f"作成: {copy}")
        elif _digest(copy) == original:
            pass
        elif _digest(copy) == record.get(source.name):
            shutil.copyfile(source, copy)
            lines.append(f"更新: {copy}({source} が新しくなりました)")
        else:
            lines.append(
                f"そのまま: {copy} は変更されています({source} の最新版が必要なら、"
                f"{copy} を削除して make lab を実行し直してください)"
            )
            continue
        record[source.name] = original
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.lab install|prepare``."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.lab", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="write the lab settings into this environment")
    prepare = sub.add_parser("prepare", help="make or update the working copies in work/")
    prepare.add_argument("--root", default=".", help="the repository (default: .)")
    args = parser.parse_args(argv)
    if args.command == "install":
        for path in install():
            print(f"wrote {path}")
    else:
        for line in prepare_work(args.root):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
