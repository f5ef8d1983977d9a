"""Shared set-up of the hostile corpus: a published set to keep intact, case projects.

Every case runs in a project of its own (``set.yaml``, ``data/``, ``reports/``) copied from one
project whose report set was built once with the quick fixture notebooks, so "the published set
is unchanged" is checked byte for byte against a real published set.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # browser_kit lives in tests/
    sys.path.insert(0, str(TESTS))

from corpus import BUNDLED, Project, write_set  # noqa: E402

from helpers import cli  # noqa: E402


@pytest.fixture(scope="session")
def published_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project whose set (fixture notebooks, the bundled data) was built once."""
    root = tmp_path_factory.mktemp("published") / "project"
    root.mkdir()
    shutil.copytree(BUNDLED, root / "data")
    project = Project(root)
    write_set(project.config)
    code = cli.main(project.build_args())
    assert code == 0, "the baseline set must build"
    assert (project.reports / "index.html").is_file()
    return project


@pytest.fixture
def case_project(published_project: Project, tmp_path: Path) -> Project:
    """A private copy of the published project (data, set file, published set, state)."""
    root = tmp_path / "project"
    shutil.copytree(published_project.root, root, symlinks=True)
    return Project(root)
