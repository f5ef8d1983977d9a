"""The report notebooks stay thin: text (jupytext percent) without outputs, one typed and
commented parameters cell, no function definitions; everything else lives in src/helpers."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def test_there_are_report_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"plan_report", "timeline_report", "index"}


def test_no_notebook_with_outputs_is_tracked():
    tracked = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    tracked = [t for t in tracked if not t.startswith("tests/fixtures/")]
    assert tracked == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path: Path):
    nb = jupytext.read(path)
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and code[0] is parameters[0]
    for line in parameters[0].source.splitlines():
        tree = ast.parse(line.split("#")[0])
        (statement,) = tree.body
        assert isinstance(statement, ast.AnnAssign), line  # typed: name: type = literal
        assert isinstance(statement.value, ast.Constant), line
        assert "#" in line and line.split("#", 1)[1].strip(), f"no comment: {line}"
    for cell in code:
        tree = ast.parse(cell.source)
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not defs, f"{path.name}: define functions in src/helpers, not in a notebook"
        if cell is parameters[0]:
            continue  # typed literals, one per parameter (checked above)
        statements = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom)]
        assert len(statements) <= 3, f"{path.name}: a section is one call\n{cell.source}"
