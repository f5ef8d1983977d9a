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


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("city_id", IDS)
def test_a_hostile_city_id_is_refused(
    city_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["new-city", city_id, "--name", "架空市", "--root", str(tmp_path)])
    output = capsys.readouterr()
    assert code == 2
    assert files_under(tmp_path) == set()
    assert "\x1b" not in output.err and "Traceback" not in output.err
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_city_name_is_refused_or_validates_as_yaml(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["new-city", "kakuu", "--name", name, "--root", str(tmp_path)])
    output = capsys.readouterr()
    assert "\x1b" not in output.out + output.err and "Traceback" not in output.err
    if code != 0:
        assert code == 2 and files_under(tmp_path) == set()
        return
    problems = validate_folder(tmp_path / "data" / "kakuu")
    assert not [p for p in problems if p.code in ("bad_config", "control_character")], problems
