"""The package's layers: imports run one way (data <- views <- publish <- report <- build <- cli).

``make test`` runs ``lint-imports`` on the package itself; these tests show that the contracts in
``pyproject.toml`` catch a reversed import and a cycle, on a copy of the package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts on the package copied under ``tree``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "src" / "helpers",
        tmp_path / "src" / "helpers",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_package_keeps_its_contracts(package_copy: Path) -> None:
    result = lint(package_copy)
    assert result.returncode == 0, result.stdout
    assert "2 kept, 0 broken" in result.stdout


def test_a_reversed_import_breaks_the_layers(package_copy: Path) -> None:
    append(package_copy / "src/helpers/data/dates.py", "import helpers.views.labels  # noqa")
    result = lint(package_copy)
    assert result.returncode != 0
    assert "helpers.data is not allowed to import helpers.views" in result.stdout


def test_a_cycle_between_siblings_is_caught(package_copy: Path) -> None:
    # formatting is imported by metrics; make it import metrics back
    append(package_copy / "src/helpers/views/formatting.py", "import helpers.views.metrics  # noqa")
    result = lint(package_copy)
    assert result.returncode != 0
    assert "No cycles are allowed in helpers.views" in result.stdout


def test_readme_layout_table_lists_every_module() -> None:
    """The README's layout table names every module of every layer, and no module that is gone."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`helpers."):
            names = {name.strip("` ") for name in cells[1].split(",") if name.strip()}
            listed[cells[0].strip("`")] = names
    package = ROOT / "src" / "helpers"
    actual: dict[str, set[str]] = {}
    for path in sorted(package.iterdir()):
        if path.is_dir() and (path / "__init__.py").is_file():
            actual[f"helpers.{path.name}"] = {
                p.stem for p in path.glob("*.py") if p.name != "__init__.py"
            }
        elif path.suffix == ".py" and path.stem not in ("__init__", "__main__"):
            actual[f"helpers.{path.stem}"] = set()
    assert listed == actual
