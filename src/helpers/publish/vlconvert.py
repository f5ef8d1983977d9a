"""The vl-convert converter of this process: Japanese fonts, and safety across ``fork``.

vl-convert runs Vega in a JavaScript runtime on a thread of the process that first converts
something (``vegalite_to_svg``, ``javascript_bundle``). A process forked after that inherits the
converter's state but not its thread, and its first conversion would wait forever. The build
forks its worker processes from the driver before any conversion, so each worker (or a
``--jobs 1`` driver) starts its own converter in-process. :func:`converter` returns the
``vl_convert`` module there; in a forked child whose parent had started the converter (a test
process that drew charts, then builds with ``--jobs 2``) it returns a :class:`DrawingProcess`
instead: the same functions, run by ``python -m helpers.publish.vlconvert`` in a fresh process
of its own. Reading locales and registering fonts start no runtime and are safe before a fork.

Label widths are measured by vl-convert with the fonts it knows: :func:`register_cjk_fonts`
registers the folder of the Noto CJK fonts (``$PLAN_REPORT_FONT_DIR`` overrides it), so Japanese
labels are measured with a Japanese font and never drawn as boxes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import vl_convert

FONT_DIR_ENV_VAR = "PLAN_REPORT_FONT_DIR"
#: Where Debian's ``fonts-noto-cjk`` puts the fonts, when fontconfig cannot be asked.
DEFAULT_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"),)
CJK_FAMILY = "Noto Sans CJK JP"

_started_in: int | None = None  # pid of the process whose converter thread exists
_inherited = False  # this process was forked from one whose converter had started
_fonts: Path | None = None
_drawing_process: DrawingProcess | None = None


class MissingFontError(RuntimeError):
    """No Japanese font folder was found for measuring and drawing chart labels."""


class DrawingError(RuntimeError):
    """vl-convert failed in the drawing process."""


class DrawingProcess:
    """vl-convert's functions, run in a fresh Python process (``python -m`` this module).

    Requests and answers are JSON lines on the process's stdin and stdout; the process ends when
    its stdin closes. Only ``vl_convert`` functions with JSON arguments and results can be called.
    """

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``vl_convert.<name>(*args, **kwargs)`` in the drawing process."""
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise DrawingError("the drawing process has no pipes")
        request = {"name": name, "args": args, "kwargs": kwargs}
        stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise DrawingError(f"the drawing process ended (exit code {self._process.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise DrawingError(answer["error"])
        return answer["result"]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def close(self) -> None:
        """End the drawing process."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)


def _after_fork_in_child() -> None:
    global _fonts, _inherited, _drawing_process
    _inherited = _inherited or _started_in is not None
    _fonts = None  # registering again is cheap
    _drawing_process = None  # the parent's, not ours


os.register_at_fork(after_in_child=_after_fork_in_child)


def converter(*, fonts: bool = True) -> Any:
    """Return what converts in this process: ``vl_convert`` itself, or a :class:`DrawingProcess`
    in a forked child of a process that had started vl-convert (see the module docstring).

    With *fonts* the Japanese fonts are registered first (the JavaScript bundle needs none).
    """
    global _started_in, _drawing_process
    if _inherited:
        if _drawing_process is None:
            _drawing_process = DrawingProcess()
        return _drawing_process
    if fonts:
        register_cjk_fonts()
    _started_in = os.getpid()
    return vl_convert


def started_here() -> bool:
    """True when vl-convert runs in this very process (not in a drawing process)."""
    return _started_in == os.getpid() and not _inherited


def _fontconfig_dir() -> Path | None:
    """The folder of the font fontconfig uses for Japanese sans-serif, if it is a CJK font."""
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{family}", f"{CJK_FAMILY}:lang=ja"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) == 2 and "CJK" in found[1]:
        return Path(found[0]).parent
    return None


def cjk_font_dir() -> Path:
    """The folder of the Japanese fonts: ``$PLAN_REPORT_FONT_DIR``, fontconfig, Debian's path."""
    explicit = os.environ.get(FONT_DIR_ENV_VAR)
    candidates = [Path(explicit)] if explicit else [_fontconfig_dir(), *DEFAULT_FONT_DIRS]
    for candidate in candidates:
        if candidate is not None and candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    raise MissingFontError(
        "日本語フォント (Noto Sans CJK JP) が見つかりません。グラフの文字を正しく描けません。"
        "sudo apt-get install fonts-noto-cjk を実行するか、"
        f"{FONT_DIR_ENV_VAR} にフォントのフォルダを指定してください。"
    )


def register_cjk_fonts() -> Path:
    """Register the Japanese font folder with vl-convert once per process; return it."""
    global _fonts
    if _fonts is None:
        folder = cjk_font_dir()
        vl_convert.register_font_directory(str(folder))
        _fonts = folder
    return _fonts


def font_fingerprint() -> str:
    """Names and sizes of the registered font files: charts drawn with other fonts differ."""
    folder = register_cjk_fonts()
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return ";".join(f"{p.name}:{p.stat().st_size}" for p in files)


def _serve() -> None:
    """The drawing process: answer JSON-line requests until stdin closes."""
    register_cjk_fonts()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            function = getattr(vl_convert, str(request["name"]))
            answer = {"result": function(*request["args"], **request["kwargs"])}
        except Exception as error:  # reported to the caller, who raises it
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
