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

Measuring text is most of what a drawing costs, and vl-convert measures with a font collection
(Debian's ``NotoSansCJK-Regular.ttc`` holds ten faces) about a third slower than with one face in
a file of its own. :func:`measuring_fonts` therefore keeps, in the user's cache, a copy of each
Noto Sans CJK JP face as a font of its own named *Noto Sans JP*: the same glyphs and metrics
under the name the theme asks for first (``'Noto Sans JP', 'Noto Sans CJK JP', …``), so
vl-convert measures with it and draws the same SVG, byte for byte (tested). The drawing still
names the theme's fonts; readers' browsers choose among them as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import vl_convert

from helpers.publish.files import user_cache_dir

FONT_DIR_ENV_VAR = "PLAN_REPORT_FONT_DIR"
#: The face copied for measuring, and the name its copy gets (the theme's first font family).
SOURCE_FAMILY = "Noto Sans CJK JP"
MEASURING_FAMILY = "Noto Sans JP"
#: Bump when the copies are made differently (their folder's name changes with it).
MEASURING_FONTS_VERSION = "1"
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
    """Register the Japanese font folder with vl-convert once per process; return it.

    The measuring copies (:func:`measuring_fonts`) are registered too, when they can be made.
    """
    global _fonts
    if _fonts is None:
        folder = cjk_font_dir()
        vl_convert.register_font_directory(str(folder))
        measuring = measuring_fonts(folder)
        if measuring is not None:
            vl_convert.register_font_directory(str(measuring))
        _fonts = folder
    return _fonts


def _family(font: Any) -> str:
    """A face's family name (typographic family if given, else the legacy one)."""
    names = font["name"]
    return str(names.getDebugName(16) or names.getDebugName(1) or "")


def _renamed(font: Any) -> str:
    """Give *font* (a Noto Sans CJK JP face) the measuring family name; return its style."""
    names = font["name"]
    style = str(names.getDebugName(17) or names.getDebugName(2) or "Regular")
    full = MEASURING_FAMILY if style == "Regular" else f"{MEASURING_FAMILY} {style}"
    postscript = f"{MEASURING_FAMILY.replace(' ', '')}-{style.replace(' ', '')}"
    for record in names.names:
        if record.nameID in (1, 16):
            record.string = MEASURING_FAMILY
        elif record.nameID == 4:
            record.string = full
        elif record.nameID == 6:
            record.string = postscript
    return style.replace(" ", "")


def _write_measuring_fonts(source: Path, target: Path) -> int:
    """Copy every Noto Sans CJK JP face of the fonts in *source* into *target*, renamed."""
    from fontTools.ttLib import TTCollection, TTFont  # only when the copies are made

    written = 0
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        suffix = path.suffix.lower()
        if suffix == ".ttc":
            count = len(TTCollection(str(path), lazy=True).fonts)
        elif suffix in (".otf", ".ttf"):
            count = 1
        else:
            continue
        for number in range(count):
            font = TTFont(
                str(path),
                fontNumber=number,
                lazy=True,
                recalcBBoxes=False,
                recalcTimestamp=False,
            )
            if _family(font) != SOURCE_FAMILY:
                continue
            style = _renamed(font)
            font.save(str(target / f"{MEASURING_FAMILY.replace(' ', '')}-{style}.otf"))
            written += 1
    return written


def measuring_fonts(source: Path) -> Path | None:
    """The folder of the measuring copies of *source*'s Noto Sans CJK JP faces (see the module
    docstring), made once per machine (about 0.7 s, 33 MB) in the user's cache folder
    (:func:`helpers.publish.files.user_cache_dir`); None when there is no such face or the copies
    cannot be made (vl-convert then measures with the fonts themselves: slower, same drawing)."""
    stamp = hashlib.sha256(
        f"{MEASURING_FONTS_VERSION}\0{source.resolve()}\0{_fingerprint(source)}".encode()
    ).hexdigest()[:16]
    folder = user_cache_dir() / "fonts" / stamp
    if (folder / "complete").is_file():
        return folder if any(folder.glob("*.otf")) else None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{stamp}.", dir=folder.parent))
        work.chmod(0o777 & ~0o022)
        try:
            _write_measuring_fonts(source, work)
            (work / "complete").write_text("", encoding="utf-8")
            with contextlib.suppress(OSError):  # another process made it meanwhile: theirs
                os.replace(work, folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except Exception:  # a read-only cache, a font fontTools cannot read: only slower
        return None
    if not (folder / "complete").is_file():
        return None
    return folder if any(folder.glob("*.otf")) else None


def _fingerprint(folder: Path) -> str:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return ";".join(f"{p.name}:{p.stat().st_size}" for p in files)


def font_fingerprint() -> str:
    """Names and sizes of the registered font files: charts drawn with other fonts differ.

    (The measuring copies are left out: they draw the same charts.)
    """
    return _fingerprint(register_cjk_fonts())


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
