"""The build manifest (``reports/manifest.json``) and the hashes that make builds incremental.

A report is rebuilt only when one of its inputs changed since the build that produced the
outputs now in ``reports/``: the bytes of the data folder, the notebook text, the parameters,
the versions of the package and of the libraries that shape the output, and the source of the
``helpers`` package (modules, templates, assets). The manifest records, per report, the hash of
those inputs, the published files with their sha256, the timings of the build that made them and
the outcome of the latest run. It holds no wall-clock time; it is written atomically.

Standard library only: the driver reads it before importing anything heavy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from helpers.publish.files import write_bytes_atomic

MANIFEST_FILE = "manifest.json"
"""Name of the manifest inside the reports folder."""

MANIFEST_FORMAT = 2
"""Version of the manifest layout; a manifest of another format is ignored (full rebuild)."""

READABLE_FORMATS = (1, MANIFEST_FORMAT)
"""Formats still read: format 1 (before sets recorded their identity): a set of unknown identity."""

OUTPUT_LIBRARIES: tuple[str, ...] = (
    "altair",
    "nbconvert",
    "nbformat",
    "pandas",
    "papermill",
    "vl-convert-python",
)
"""Distributions whose version changes what a report looks like: part of every input hash."""

Outcome = Literal["built", "skipped", "failed", "pending"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class OutputFile:
    """A published file: its path relative to the reports folder and its sha256."""

    path: str
    sha256: str


@dataclass(frozen=True)
class ReportRecord:
    """What the manifest knows about one report.

    ``input_hash`` and ``outputs`` describe the files now published (``None`` / empty when the
    report was never built); ``timings`` are the seconds of the build that made them;
    ``outcome`` and ``error`` are those of the latest run.
    """

    name: str
    notebook: str
    parameters: dict[str, Any]
    input_hash: str | None
    outputs: tuple[OutputFile, ...]
    timings: dict[str, float]
    outcome: Outcome
    error: str | None = None


@dataclass(frozen=True)
class Manifest:
    """The whole manifest: package version, reports in build order, the open data files."""

    package_version: str
    reports: tuple[ReportRecord, ...] = ()
    open_data: tuple[OutputFile, ...] = ()
    open_data_hash: str | None = None
    format: int = MANIFEST_FORMAT
    report_set: str | None = None
    build_timings: dict[str, float] = field(default_factory=dict)
    """Seconds of the build's own steps (validate, run, publish, total) in ``last-run.json``."""

    def record(self, name: str) -> ReportRecord | None:
        """The record of report ``name``, if any."""
        for record in self.reports:
            if record.name == name:
                return record
        return None

    def claimed_paths(self) -> set[str]:
        """Every published file this manifest accounts for (itself included)."""
        paths = {o.path for r in self.reports for o in r.outputs}
        return paths | {o.path for o in self.open_data} | {MANIFEST_FILE}


# --- hashing ---------------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _ignored(relative: Path) -> bool:
    """Files that never change a report: caches, editor and Office lock files, hidden files."""
    return any(
        part == "__pycache__" or part.startswith((".", "~$")) or part.endswith((".pyc", "~"))
        for part in relative.parts
    )


def tree_files(folder: str | Path) -> list[Path]:
    """Every file under ``folder`` that counts as input, sorted by relative path."""
    root = Path(folder)
    found = [
        path for path in root.rglob("*") if path.is_file() and not _ignored(path.relative_to(root))
    ]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def tree_digest(folder: str | Path) -> str:
    """Hex sha256 over the relative paths and bytes of the input files under ``folder``."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in tree_files(root):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def library_versions(names: Iterable[str] = OUTPUT_LIBRARIES) -> dict[str, str]:
    """Installed version of each distribution (``"missing"`` when not installed)."""
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def input_hash(parts: Mapping[str, Any]) -> str:
    """Hex sha256 of ``parts`` (JSON-serialisable values), independent of key order."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading and writing ---------------------------------------------------------------------


def _outputs(items: Iterable[Mapping[str, Any]]) -> tuple[OutputFile, ...]:
    return tuple(OutputFile(path=str(o["path"]), sha256=str(o["sha256"])) for o in items)


def manifest_from_dict(data: Mapping[str, Any]) -> Manifest:
    """Rebuild a :class:`Manifest` from its JSON form (raises ``KeyError``/``TypeError``)."""
    reports = tuple(
        ReportRecord(
            name=str(r["name"]),
            notebook=str(r["notebook"]),
            parameters=dict(r["parameters"]),
            input_hash=r["input_hash"],
            outputs=_outputs(r["outputs"]),
            timings={str(k): float(v) for k, v in r["timings"].items()},
            outcome=r["outcome"],
            error=r.get("error"),
        )
        for r in data["reports"]
    )
    return Manifest(
        package_version=str(data["package_version"]),
        reports=reports,
        open_data=_outputs(data.get("open_data", [])),
        open_data_hash=data.get("open_data_hash"),
        format=int(data["format"]),
        report_set=data.get("report_set"),
        build_timings={str(k): float(v) for k, v in data.get("build_timings", {}).items()},
    )


def manifest_to_dict(manifest: Manifest) -> dict[str, Any]:
    """The JSON form of ``manifest`` (keys in a fixed order)."""
    return {
        "format": manifest.format,
        "report_set": manifest.report_set,
        "package_version": manifest.package_version,
        "reports": [
            {**asdict(r), "outputs": [asdict(o) for o in r.outputs]} for r in manifest.reports
        ],
        "open_data": [asdict(o) for o in manifest.open_data],
        "open_data_hash": manifest.open_data_hash,
        **({"build_timings": manifest.build_timings} if manifest.build_timings else {}),
    }


def read_manifest(path: str | Path) -> Manifest | None:
    """The manifest at ``path``; ``None`` when missing, unreadable or of an unknown format."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        manifest = manifest_from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return manifest if manifest.format in READABLE_FORMATS else None


def write_manifest(path: str | Path, manifest: Manifest) -> None:
    """Write ``manifest`` to ``path`` atomically (indented UTF-8 JSON, final newline)."""
    text = json.dumps(manifest_to_dict(manifest), ensure_ascii=False, indent=2) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def outputs_intact(record: ReportRecord, reports_dir: str | Path) -> bool:
    """True when every output of ``record`` exists with the recorded sha256."""
    root = Path(reports_dir)
    for output in record.outputs:
        target = root / output.path
        if not target.is_file() or file_sha256(target) != output.sha256:
            return False
    return bool(record.outputs)


def is_up_to_date(
    record: ReportRecord | None,
    current_hash: str,
    expected_paths: Iterable[str],
    reports_dir: str | Path,
) -> bool:
    """Whether the published outputs of a report still match ``current_hash``.

    True only when the record was built from the same inputs, lists every one of the
    ``expected_paths`` (the PDF is missing after a ``--no-pdf`` build) and every output it lists
    is on disk unmodified.
    """
    if record is None or record.input_hash != current_hash:
        return False
    if not set(expected_paths) <= {o.path for o in record.outputs}:
        return False
    return outputs_intact(record, reports_dir)
