"""A report set is published whole (``helpers.build.release``), and each set owns its folder.

The first tests publish hand-made releases (no kernels: quick), and kill the publishing process
at every moment of the sequence, with the atomic exchange and with its fallback. The others go
through ``plan-report build`` / ``rollback`` with the tiny fixture notebooks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from set_kit import files_of, run_cli

from helpers.build import lock, release
from helpers.build import manifest as mf

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notebooks"
DATA = ROOT / "data" / "higashiyamato"


# --- hand-made releases ----------------------------------------------------------------------

V1 = {"plan-1.html": b"plan 1, first", "plan-1.pdf": b"%PDF first", "data/a.csv": b"a,1\n"}
V2 = {
    "plan-1.html": b"plan 1, second",
    "plan-1.pdf": b"%PDF second",
    "data/a.csv": b"a,2\n",
    "plan-2.html": b"plan 2, new",
}
FOREIGN = {".gitkeep": b"", "city/manifest.json": b"{}", "city/index.html": b"another set"}


def release_manifest(contents: dict[str, bytes], name: str) -> mf.Manifest:
    outputs = tuple(
        mf.OutputFile(path, mf.input_hash({"bytes": data.decode()}))
        for path, data in sorted(contents.items())
    )
    record = mf.ReportRecord(name, "nb.py", {}, name, outputs, {}, "built")
    return mf.Manifest(package_version="test", reports=(record,), report_set=name)


def publish(places: release.Places, contents: dict[str, bytes], *, exchange: bool = True) -> None:
    """Publish ``contents`` as the set's files (a fake manifest records them)."""
    source = places.published.parent / f"source-{len(contents)}"
    shutil.rmtree(source, ignore_errors=True)
    own = {}
    for path, data in contents.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(data)
        own[path] = source / path
    current = mf.read_manifest(places.manifest)
    claimed = current.claimed_paths() if current else set()
    manifest = release_manifest(contents, "v2" if contents == V2 else "v1")
    release.assemble(places, own, manifest, claimed)
    release.switch(places, exchange=exchange)


def expected(contents: dict[str, bytes], name: str) -> dict[str, bytes]:
    text = json.dumps(mf.manifest_to_dict(release_manifest(contents, name)), indent=2)
    return {**contents, **FOREIGN, mf.MANIFEST_FILE: (text + "\n").encode()}


@pytest.fixture
def published(tmp_path: Path) -> release.Places:
    """A folder holding release v1 and another set's folder (``city/``) and a ``.gitkeep``."""
    places = release.Places(tmp_path / "reports")
    places.published.mkdir()
    for path, data in FOREIGN.items():
        (places.published / path).parent.mkdir(parents=True, exist_ok=True)
        (places.published / path).write_bytes(data)
    publish(places, V1)
    assert files_of(places.published) == expected(V1, "v1")
    return places


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "fallback"])
def test_a_release_replaces_the_set_whole_and_keeps_the_previous(
    published: release.Places, exchange: bool
) -> None:
    publish(published, V2, exchange=exchange)
    assert files_of(published.published) == expected(V2, "v2")
    assert files_of(published.previous) == expected(V1, "v1")
    assert not published.next.exists() and not published.displaced.exists()

    publish(published, V1, exchange=exchange)  # a file leaves the set: it leaves the folder
    assert files_of(published.published) == expected(V1, "v1")
    assert "plan-2.html" not in files_of(published.published)


def test_unchanged_files_are_hard_links_not_copies(published: release.Places) -> None:
    before = (published.published / "city" / "index.html").stat().st_ino
    publish(published, V2)
    assert (published.published / "city" / "index.html").stat().st_ino == before
    assert os.path.samefile(
        published.published / "city" / "index.html", published.previous / "city" / "index.html"
    )


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    import test_release as t
    from helpers.build import release

    def moment(name):
        if name == {moment!r}:
            os.kill(os.getpid(), signal.SIGKILL)

    release.moment = moment
    t.publish(release.Places(t.Path({published!r})), t.V2, exchange={exchange!r})
    """
)

MOMENTS = {
    "exchange": ["assembling", "assembled", "switched", "rotated"],
    "fallback": ["assembling", "assembled", "displaced", "switched", "rotated"],
}


@pytest.mark.parametrize(
    ("mode", "moment"), [(mode, m) for mode, moments in MOMENTS.items() for m in moments]
)
def test_a_kill_at_any_moment_leaves_a_whole_set(
    published: release.Places, mode: str, moment: str
) -> None:
    script = KILLER.format(
        tests=str(Path(__file__).parent),
        moment=moment,
        published=str(published.published),
        exchange=mode == "exchange",
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False)
    assert result.returncode == -signal.SIGKILL

    whole = [expected(V1, "v1"), expected(V2, "v2")]
    # what a reader finds right after the kill (only the fallback's "displaced" moment leaves
    # no folder in place: the next build or rollback puts it back)
    if published.published.exists():
        assert files_of(published.published) in whole
    else:
        assert (mode, moment) == ("fallback", "displaced")
    release.recover(published)  # what the next build does first, holding the lock
    assert files_of(published.published) in whole
    publish(published, V2)
    assert files_of(published.published) == expected(V2, "v2")


def test_recover_puts_a_displaced_set_back(published: release.Places) -> None:
    os.rename(published.published, published.displaced)  # killed between the two renames
    release.recover(published)
    assert files_of(published.published) == expected(V1, "v1")


def test_exchange_paths_swaps_two_folders(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "one").write_text("1")
    (second / "two").write_text("2")
    from helpers.publish import files

    if not files.exchange_paths(first, second):
        pytest.skip("this system cannot exchange paths (the fallback is tested above)")
    assert [p.name for p in first.iterdir()] == ["two"]
    assert [p.name for p in second.iterdir()] == ["one"]
    with pytest.raises(FileNotFoundError):
        files.exchange_paths(first, tmp_path / "missing")


# --- through plan-report build ---------------------------------------------------------------


def write_set(path: Path, reports: list[dict[str, Any]], data: Path) -> Path:
    entries = [{**r, "notebook": str(FIXTURES / r["notebook"])} for r in reports]
    text = yaml.safe_dump({"data": str(data), "reports": entries}, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder (``pyproject.toml``, data, notebooks/) of its own."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path


def build(config: Path, *extra: str) -> list[str]:
    return ["build", "--config", str(config), "--no-pdf", *extra]


def test_each_set_owns_its_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = project / "data"
    bundled = write_set(
        project / "notebooks" / "reports.yaml", [{"name": "a", "notebook": "ok.py"}], data
    )
    city = write_set(
        project / "notebooks" / "example-city.yaml",
        [{"name": "b", "notebook": "ok.py"}, {"name": "c", "notebook": "ok.py"}],
        data,
    )
    assert run_cli(build(bundled), capsys)[0] == 0
    assert run_cli(build(city), capsys)[0] == 0
    reports = project / "reports"
    assert (reports / "a.html").is_file() and not (reports / "b.html").exists()
    assert (reports / "example-city" / "b.html").is_file()
    city_files = files_of(reports / "example-city")

    # the bundled set republished: the other set's folder is carried over untouched
    assert run_cli(build(bundled, "--force"), capsys)[0] == 0
    assert files_of(reports / "example-city") == city_files
    bundled_manifest = mf.read_manifest(reports / mf.MANIFEST_FILE)
    assert bundled_manifest is not None
    assert bundled_manifest.report_set == "notebooks/reports.yaml"

    # a report removed from a set leaves its folder
    write_set(city, [{"name": "b", "notebook": "ok.py"}], data)
    assert run_cli(build(city), capsys)[0] == 0
    assert not (reports / "example-city" / "c.html").exists()
    assert (reports / "example-city" / "b.html").is_file()

    # a set never publishes into another set's folder
    before = files_of(reports)
    code, _, err = run_cli(build(city, "--reports-dir", str(reports)), capsys)
    assert code == 2
    assert "holds the report set notebooks/reports.yaml, not notebooks/example-city.yaml" in err
    assert "Traceback" not in err
    assert files_of(reports) == before


def test_user_mistakes_about_the_folder_are_messages_with_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(
        project / "notebooks" / "reports.yaml",
        [{"name": "a", "notebook": "ok.py"}],
        project / "data",
    )
    stranger = project / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine", encoding="utf-8")
    afile = project / "afile"
    afile.write_text("x", encoding="utf-8")
    cases = {
        str(stranger): "holds files that no build published (notes.txt)",
        str(project): "contains the project",
        str(project / "data" / "out"): "is inside the data folder",
        str(afile): "is a file, not a folder",
    }
    for folder, message in cases.items():
        code, _, err = run_cli(build(config, "--reports-dir", folder), capsys)
        assert code == 2, folder
        assert message in err
        assert "Traceback" not in err
    assert (stranger / "notes.txt").read_text(encoding="utf-8") == "mine"
    reserved = write_set(
        project / "notebooks" / "data.yaml", [{"name": "a", "notebook": "ok.py"}], project / "data"
    )
    code, _, err = run_cli(build(reserved), capsys)
    assert code == 2 and "give --reports-dir" in err


def test_rollback_publishes_the_previous_release_and_undoes_itself(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(
        project / "notebooks" / "reports.yaml",
        [{"name": "a", "notebook": "ok.py"}],
        project / "data",
    )
    reports = project / "reports"
    code, _, err = run_cli(["rollback", "--config", str(config)], capsys)
    assert code == 2 and "no previous release" in err
    assert "Traceback" not in err
    assert run_cli(build(config), capsys)[0] == 0
    first = files_of(reports)
    write_set(
        config,
        [{"name": "a", "notebook": "ok.py", "parameters": {"label": "二版"}}],
        project / "data",
    )
    assert run_cli(build(config), capsys)[0] == 0
    second = files_of(reports)
    assert second != first

    code, out, _ = run_cli(["rollback", "--config", str(config)], capsys)
    assert code == 0 and "rolled back" in out
    assert files_of(reports) == first
    assert run_cli(["rollback", "--config", str(config)], capsys)[0] == 0
    assert files_of(reports) == second


def test_a_folder_that_cannot_be_replaced_fails_clearly_and_keeps_the_set(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(
        project / "notebooks" / "reports.yaml",
        [{"name": "a", "notebook": "ok.py"}],
        project / "data",
    )
    reports = project / "out" / "reports"
    assert run_cli(build(config, "--reports-dir", str(reports)), capsys)[0] == 0
    before = files_of(reports)
    locked_parent = reports.parent
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(locked_parent)], check=False).returncode:
            pytest.skip("chattr +i is not supported here")
        undo = ["chattr", "-i", str(locked_parent)]
    else:
        locked_parent.chmod(0o555)
        undo = ["chmod", "755", str(locked_parent)]
    try:
        code, _, err = run_cli(build(config, "--reports-dir", str(reports), "--force"), capsys)
    finally:
        subprocess.run(undo, check=True)
    assert code == 1
    assert "cannot publish" in err and "the previous set is unchanged" in err
    assert "Traceback" not in err
    assert files_of(reports) == before


# --- the lock --------------------------------------------------------------------------------


def test_the_lock_lives_beside_the_published_folder_and_never_follows_a_link(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_set(
        project / "notebooks" / "reports.yaml",
        [{"name": "a", "notebook": "ok.py"}],
        project / "data",
    )
    places = release.Places(project / "reports")
    target = project / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    places.state.mkdir()
    (places.state / lock.LOCK_FILE).symlink_to(target)
    code, _, err = run_cli(build(config), capsys)
    assert code == 2 and "symbolic link" in err and "Traceback" not in err
    assert target.read_text(encoding="utf-8") == "keep me"

    shutil.rmtree(places.state)
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    places.state.symlink_to(elsewhere)
    code, _, err = run_cli(build(config), capsys)
    assert code == 2 and "symbolic link" in err
    assert list(elsewhere.iterdir()) == []

    places.state.unlink()
    assert run_cli(build(config), capsys)[0] == 0
    assert (places.state / lock.LOCK_FILE).is_file()
    assert not any(p.name == lock.LOCK_FILE for p in places.published.rglob("*"))


def test_a_dead_holder_is_never_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_set(
        project / "notebooks" / "reports.yaml",
        [{"name": "a", "notebook": "ok.py"}],
        project / "data",
    )
    places = release.Places(project / "reports")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = dead.stdout.strip()
    places.state.mkdir()
    path = places.state / lock.LOCK_FILE
    path.write_text(f"{dead_pid}\n", encoding="ascii")
    import fcntl

    with open(path, "rb") as held:  # another open file: the build cannot get the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        code, _, err = run_cli(build(config), capsys)
    assert code == 3
    assert dead_pid not in err and "just starting" in err
