"""``plan-report new-city``: a hostile ID or name is refused, or gives a folder that validates.

The ID names a folder and a report-set file, the name is written into city.yaml and the report
set: neither may escape the project, break the YAML or carry control characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import cli
from helpers.data.city import validate_folder

IDS = ["../../x", "a/b", ".hidden", "javascript:x", "a\nb", "x\x1b[2J", "", "data", "a b"]
NAMES = [
    "名\x1b[2J前",
    "*alias",
    "&anchor",
    "- list",
    "[flow",
    "!!python/object x",
    "a: b",
    "名\u2028前",
    "",
    "%TAG",
    "@x",
    "| block",
]


PROJECT_FILES = {"pyproject.toml", "notebooks/plan_report.py"}


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - PROJECT_FILES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder that looks like the project (new-city refuses any other)."""
    for name in PROJECT_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("city_id", IDS)
def test_a_hostile_city_id_is_refused(
    city_id: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["new-city", city_id, "--name", "架空市", "--root", str(project)])
    output = capsys.readouterr()
    assert code == 2
    assert files_under(project) == set()
    assert "\x1b" not in output.err and "Traceback" not in output.err
    assert not (project.parent / "x").exists()


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_city_name_is_refused_or_validates_as_yaml(
    name: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["new-city", "kakuu", "--name", name, "--root", str(project)])
    output = capsys.readouterr()
    assert "\x1b" not in output.out + output.err and "Traceback" not in output.err
    if code != 0:
        assert code == 2 and files_under(project) == set()
        assert "名前" in output.err  # refused for the name, not for the folder
        return
    problems = validate_folder(project / "data" / "kakuu")
    assert not [p for p in problems if p.code in ("bad_config", "control_character")], problems


@pytest.mark.parametrize("place", ["notebooks/kakuu.yaml", "data/kakuu"])
def test_a_dangling_link_in_place_of_the_new_files_is_refused_not_written_through(
    place: str,
    project: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "target"
    link = project / place
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    code = cli.main(["new-city", "kakuu", "--name", "架空市", "--root", str(project)])
    output = capsys.readouterr()
    assert code == 2, output.err
    assert "既にあります" in output.err and "Traceback" not in output.err
    assert not outside.exists()
    assert files_under(project) == set()
    assert link.is_symlink()
