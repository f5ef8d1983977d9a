"""What a report's outputs depend on, hashed: data, notebook, parameters, package, libraries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helpers
from helpers.build import manifest as mf
from helpers.publish.reportset import INJECTED_REPORT_SET, ReportSpec


def package_dir() -> Path:
    """Folder of the installed ``helpers`` package (its modules, templates and assets)."""
    return Path(helpers.__file__).resolve().parent


@dataclass(frozen=True)
class SharedInputs:
    """Digests every report depends on, computed once per build."""

    data: str
    package: str
    versions: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form for hashing."""
        return {"data": self.data, "package": self.package, "versions": self.versions}


def shared_inputs(data_dir: Path) -> SharedInputs:
    """Digest of the data folder and the package source, and the versions that shape output."""
    versions = {"plan-report": helpers.__version__, **mf.library_versions()}
    return SharedInputs(
        data=mf.tree_digest(data_dir), package=mf.tree_digest(package_dir()), versions=versions
    )


def report_hash(
    report: ReportSpec, notebook_text: str, shared: SharedInputs, config: Path, title: str
) -> str:
    """Hash of everything that determines a report's outputs (``title``: the page title).

    A notebook that receives the report set itself (the index) also depends on its bytes.
    """
    parts: dict[str, Any] = {
        "shared": shared.as_dict(),
        "notebook": notebook_text,
        "parameters": report.parameters,
        "title": title,
        "output": report.output,
    }
    if INJECTED_REPORT_SET in report.parameters:
        parts["report_set"] = mf.file_sha256(config)
    return mf.input_hash(parts)
