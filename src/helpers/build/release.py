"""Publishing a report set whole: a new release is assembled beside the published folder, then
swapped with it in one step.

The published folder (``reports/``) stays a plain folder that people copy to a USB stick. The
build's own machinery lives beside it, in a hidden state folder (``.reports.build/``): the lock,
the work files of the running build, the failed notebooks, the release being assembled
(``next``) and the release published before the current one (``previous``, for
``plan-report rollback``).

Publishing a release:

1. ``next`` is assembled completely: the new files, every unchanged file of the set (a hard link
   to the published one), every file of the published folder that belongs to no set's report
   (another set's folder inside it, a ``.gitkeep``), and the manifest last;
2. ``next`` and the published folder are exchanged in one atomic step
   (``renameat2(RENAME_EXCHANGE)``); where the system cannot exchange, the published folder is
   renamed aside and ``next`` renamed into its place (a reader may then find no folder for an
   instant; a build killed in between is repaired by the next build or ``rollback``, see
   :func:`recover`);
3. the folder that was published becomes ``previous``.

A build killed at any moment leaves the published folder holding the complete previous set or the
complete new set. A file that cannot be linked, copied or swapped stops the publication before
step 2: the published set stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from helpers.build import manifest as mf
from helpers.data.writing import default_file_mode
from helpers.publish import files

STATE_SUFFIX = ".build"
"""The state folder of ``reports/`` is ``.reports.build/`` beside it."""

LEGACY_MACHINERY = (".build.lock", ".staging", "_failed")
"""What builds before releases left inside the published folder (dropped when publishing)."""


class PublishError(RuntimeError):
    """A release could not be assembled or swapped in; the published set is unchanged."""


def moment(name: str) -> None:
    """A step of publishing has completed (``name``); the kill tests stop the build here."""


@dataclass(frozen=True)
class Places:
    """The published folder of a set and the build's state folder beside it."""

    published: Path

    @property
    def state(self) -> Path:
        """Hidden state folder beside the published one."""
        return self.published.parent / f".{self.published.name}{STATE_SUFFIX}"

    @property
    def next(self) -> Path:
        """The release being assembled."""
        return self.state / "next"

    @property
    def previous(self) -> Path:
        """The release published before the current one."""
        return self.state / "previous"

    @property
    def displaced(self) -> Path:
        """Where the published folder waits during a swap without exchange (fallback)."""
        return self.state / "displaced"

    @property
    def trash(self) -> Path:
        """A release being deleted."""
        return self.state / "trash"

    @property
    def work(self) -> Path:
        """Work files of the running build (executed notebooks, exported pages)."""
        return self.state / "work"

    @property
    def failed(self) -> Path:
        """Executed notebooks of reports that failed."""
        return self.state / "failed"

    @property
    def last_run(self) -> Path:
        """The outcome of the latest build (failures included), for ``plan-report list``."""
        return self.state / "last-run.json"

    @property
    def manifest(self) -> Path:
        """The manifest of the published set."""
        return self.published / mf.MANIFEST_FILE


def is_published_set(folder: Path) -> bool:
    """Whether ``folder`` holds a set published by a build (its manifest)."""
    return (folder / mf.MANIFEST_FILE).is_file() and not folder.is_symlink()


def enclosing_sets(published: Path) -> list[Path]:
    """Published sets that contain ``published`` (outermost first)."""
    return [a for a in reversed(published.parents) if is_published_set(a)]


def nested_sets(published: Path) -> list[Path]:
    """Published sets inside ``published`` (other report sets' folders), sorted."""
    found = []
    if not published.is_dir():
        return found
    for folder, subfolders, _ in os.walk(published):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
        path = Path(folder)
        if path != published and is_published_set(path):
            found.append(path)
    return found


def unexpected_entries(published: Path) -> list[str]:
    """Visible entries of a folder that no build published (refuse to publish over them)."""
    if not published.is_dir():
        return []
    return sorted(
        entry.name
        for entry in published.iterdir()
        if not entry.name.startswith(".")
        and not (entry.is_dir() and (is_published_set(entry) or nested_sets(entry)))
    )


def _remove(path: Path, *, strict: bool = True) -> None:
    """Delete a file or a folder tree; ``strict=False`` leaves what cannot be deleted."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=not strict)
        elif path.exists() or path.is_symlink():
            path.unlink()
    except OSError:
        if strict:
            raise


def recover(places: Places) -> None:
    """Repair what a killed build left (call it holding the lock).

    A swap without exchange killed after the published folder was moved aside: the previous set
    goes back in place. A release killed while assembling (or kept after the exchange, an
    instant before it became ``previous``) is discarded, and so is a half-deleted one.
    """
    if places.displaced.exists():
        if not places.published.exists():
            os.rename(places.displaced, places.published)
        else:  # the new set is in place; the displaced one is the previous set
            _rotate(places, places.displaced)
    for leftover in (places.next, places.trash, places.work):
        if leftover.exists():
            _remove(leftover, strict=False)


def _rotate(places: Places, old: Path) -> None:
    """Keep ``old`` (the release just replaced) as ``previous``."""
    if places.previous.exists():
        os.rename(places.previous, places.trash)
    os.rename(old, places.previous)
    moment("rotated")
    if places.trash.exists():
        _remove(places.trash, strict=False)  # what cannot be deleted now goes next time


def _foreign_files(published: Path, claimed: set[str], own: set[str]) -> list[str]:
    """Relative paths of what the published folder holds that the set does not own.

    Other sets' folders and their state, hidden files such as ``.gitkeep``, anything a person
    put there. The set's own files (``claimed`` by the published manifest, or ``own`` in the
    new release) and the machinery of older builds are left out.
    """
    found: list[str] = []
    if not published.is_dir():
        return found
    for folder, subfolders, names in os.walk(published):
        relative_folder = Path(folder).relative_to(published)
        if relative_folder == Path("."):
            subfolders[:] = [s for s in subfolders if s not in LEGACY_MACHINERY]
            names = [n for n in names if n not in LEGACY_MACHINERY]
        for name in sorted(names):
            relative = (relative_folder / name).as_posix()
            if relative not in claimed and relative not in own:
                found.append(relative)
        for name in subfolders:
            path = Path(folder) / name
            if path.is_symlink():
                found.append((relative_folder / name).as_posix())
        subfolders[:] = [s for s in subfolders if not (Path(folder) / s).is_symlink()]
    return found


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    else:
        files.link_or_copy(source, target)


def assemble(
    places: Places,
    own: Mapping[str, Path],
    manifest: mf.Manifest,
    claimed: Iterable[str] = (),
) -> Path:
    """Assemble the complete new release in ``places.next`` and return it.

    ``own`` maps each file of the set (relative path) to the file to publish (a new one, or the
    published one when unchanged); ``claimed`` are the files the published manifest accounts
    for (dropped unless ``own`` has them again: a report no longer in the set disappears).
    Everything else in the published folder is carried over. Raises :class:`PublishError`.
    """
    release = places.next
    mode = default_file_mode()
    try:
        if release.exists():
            _remove(release)
        release.mkdir(parents=True)
        foreign = _foreign_files(places.published, set(claimed), set(own))
        for number, (relative, source) in enumerate(sorted(own.items()), start=1):
            target = release / relative
            _place(source, target)
            if not source.is_relative_to(places.published) and not source.is_symlink():
                os.chmod(target, mode)  # new files were created private
            if number == 1:
                moment("assembling")
        for relative in foreign:
            _place(places.published / relative, release / relative)
        mf.write_manifest(release / mf.MANIFEST_FILE, manifest)
        files.fsync_folder(release)
    except OSError as exc:
        with contextlib.suppress(OSError):
            _remove(release)
        raise PublishError(_describe(exc)) from None
    moment("assembled")
    return release


def _describe(exc: OSError) -> str:
    where = exc.filename or ""
    if exc.filename2:
        where = f"{where} -> {exc.filename2}"
    return f"{exc.strerror or exc} ({where})" if where else str(exc.strerror or exc)


def switch(places: Places, *, exchange: bool = True) -> None:
    """Put the assembled release in place of the published folder (see the module docstring).

    ``exchange=False`` forces the fallback of two renames. Raises :class:`PublishError` with the
    published set unchanged when the swap itself is refused.
    """
    release, published = places.next, places.published
    try:
        if not published.exists():
            os.rename(release, published)
            moment("switched")
            files.fsync_folder(published.parent)
            return
        if exchange and files.exchange_paths(release, published):
            moment("switched")
            files.fsync_folder(published.parent)
            _rotate(places, release)
            return
        os.rename(published, places.displaced)
        moment("displaced")
        try:
            os.rename(release, published)
        except OSError:
            os.rename(places.displaced, published)
            raise
        moment("switched")
        files.fsync_folder(published.parent)
        _rotate(places, places.displaced)
    except OSError as exc:
        with contextlib.suppress(OSError):
            _remove(release)
        raise PublishError(_describe(exc)) from None


def rollback(places: Places) -> mf.Manifest:
    """Publish the previous release again (the current one becomes ``previous``: a second
    rollback undoes the first). Other sets' folders inside stay as they are now.

    Returns the manifest now published; raises :class:`PublishError` when there is no previous
    release or it cannot be swapped in.
    """
    previous = mf.read_manifest(places.previous / mf.MANIFEST_FILE)
    if previous is None:
        raise PublishError(f"no previous release of {places.published} to roll back to")
    current = mf.read_manifest(places.manifest)
    own = {p: places.previous / p for p in previous.claimed_paths() if p != mf.MANIFEST_FILE}
    missing = sorted(p for p, source in own.items() if not source.is_file())
    if missing:
        raise PublishError(f"the previous release is incomplete (missing {', '.join(missing)})")
    claimed = current.claimed_paths() if current else set()
    assemble(places, own, previous, claimed)
    switch(places)
    return previous
