"""environment.yml (conda) and pyproject.toml (pip) name the same packages at pinned versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_packages() -> dict[str, str]:
    """Package name -> requirement, over dependencies and every optional group."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for group in project["optional-dependencies"].values():
        reqs.extend(group)
    return {normalise(NAME.match(r).group(1)): r for r in reqs}


def conda_packages() -> dict[str, str]:
    """Package name -> pinned version from environment.yml (conda and pip sections; python and pip
    themselves left out)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    pip = [d for dep in env["dependencies"] if isinstance(dep, dict) for d in dep.get("pip", [])]
    for dep in [d for d in env["dependencies"] if isinstance(d, str)] + pip:
        if "==" not in dep:  # "-e ." installs the project itself
            continue
        name, _, version = dep.split("#")[0].strip().partition("==")
        if normalise(name) in {"python", "pip"} or name.startswith("python="):
            continue
        out[normalise(name)] = version
    return out


def constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[normalise(name)] = version.strip()
    return pins


def test_same_packages_in_both_files():
    assert set(conda_packages()) == set(pyproject_packages())


def test_conda_versions_are_the_pinned_ones():
    pins = constraints()
    conda = conda_packages()
    wrong = {n: (v, pins.get(n)) for n, v in conda.items() if pins.get(n) != v}
    assert not wrong, f"environment.yml differs from constraints.txt: {wrong}"


def test_every_dependency_is_pinned_and_satisfies_pyproject():
    from packaging.requirements import Requirement

    pins = constraints()
    for name, req in pyproject_packages().items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert Requirement(req).specifier.contains(pins[name], prereleases=True), (name, pins[name])


def test_environment_installs_the_project_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_sections and "-e ." in pip_sections[0]
