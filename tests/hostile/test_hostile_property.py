"""Random Unicode in every text field: validation and the build always agree and behave.

Hypothesis writes random text (any Unicode except lone surrogates, which UTF-8 cannot hold; now
and then a payload of the corpus) into every free-text cell of the bundled data, and a random
plan ID. Whatever it draws:

* ``validate`` never raises, prints every character visibly and reports only registered codes;
* when the data validates, the bundled report set expands (names and outputs made from the plan
  ID are safe), the text loads unchanged, and the open data neutralises formulas;
* a few validated examples are built into real reports and opened offline in Chromium: they
  build, no script runs, nothing is requested, the charts draw and the text is shown.
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from browser_kit import launch_browser, open_offline, wait_for_charts
from corpus import BUNDLED, PAYLOADS, ROOT, read_records, rename_plan, write_records
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_hostile_pages import DOM_AUDIT

from helpers import cli
from helpers.data.city import inspect_folder
from helpers.data.contracts import TABLES
from helpers.data.problems import PROBLEM_CODES, format_problems, problems_csv
from helpers.publish import opendata
from helpers.publish.reportset import expand_report_set, plan_rows, read_report_set

QUICK_EXAMPLES = 60
"""Random data folders validated per run (in-process, about 0.1 s each)."""

BUILT_EXAMPLES = 2
"""Random data folders built into real reports and opened in Chromium per run."""

PROPERTY_EXAMPLES = QUICK_EXAMPLES + BUILT_EXAMPLES
"""Random hostile inputs the suite tries per run (recorded in the README)."""

ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
VISIBLE_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
)
FIELD_TEXT = st.one_of(ANY_TEXT, VISIBLE_TEXT, st.sampled_from(PAYLOADS))
PLAN_ID = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8),
    st.from_regex(r"[A-Za-z0-9\u4e00-\u4e20]{60,70}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,7}", fullmatch=True),
)


def text_cells() -> list[tuple[str, str]]:
    """(file, header) of every free-text column the bundled folder has."""
    cells = []
    for spec in TABLES:
        path = BUNDLED / spec.file_name
        if not path.is_file():
            continue
        headers = read_records(path)[0]
        cells += [(spec.file_name, c.header) for c in spec.columns if c.kind == "text"]
        cells = [(f, h) for f, h in cells if f != spec.file_name or h in headers]
    return cells


TEXT_CELLS = text_cells()


def fill_text(folder: Path, texts: list[str]) -> list[str]:
    """Write ``texts`` (cycled) into every free-text cell of ``folder``; return what was put."""
    placed: list[str] = []
    for file, header in TEXT_CELLS:
        path = folder / file
        records = read_records(path)
        column = records[0].index(header)
        for record in records[1:]:
            record[column] = texts[len(placed) % len(texts)]
            placed.append(record[column])
        write_records(path, records)
    return placed


def visible(text: str) -> bool:
    return all(ch == "\n" or ch.isprintable() or unicodedata.category(ch) == "Zs" for ch in text)


def data_folder(tmp: Path, texts: list[str], plan_id: str) -> tuple[Path, list[str]]:
    folder = tmp / "data"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(BUNDLED, folder)
    placed = fill_text(folder, texts)
    rename_plan(plan_id)(folder)
    return folder, placed


@settings(
    max_examples=QUICK_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(FIELD_TEXT, min_size=1, max_size=6), plan_id=PLAN_ID)
def test_random_text_validates_or_is_refused_clearly(
    tmp_path: Path, texts: list[str], plan_id: str
) -> None:
    folder, placed = data_folder(tmp_path, texts, plan_id)
    inspection = inspect_folder(folder)
    problems = inspection.problems
    assert {p.code for p in problems} <= set(PROBLEM_CODES)
    for shown in (format_problems(problems), problems_csv(problems)):
        assert visible(shown)
    if not inspection.ok:
        event("refused: " + ", ".join(sorted({p.code for p in problems if p.severity == "error"})))
        return
    event("validated")
    city = inspection.city
    assert city is not None
    expected = {t.strip() or None for t in placed}
    names = set(city.items["name"]) | set(city.items["description"]) | set(city.events["event"])
    assert names <= expected
    raw = read_report_set(ROOT / "notebooks" / "reports.yaml")
    raw = type(raw)(raw.config, raw.root, folder, raw.title_prefix, raw.entries)
    report_set = expand_report_set(raw, plan_rows(city.plans), pdf=False)  # never refused
    assert f"plan-{plan_id}" in report_set.names()
    for name, data in opendata.open_data_files(city).items():
        for line in data.decode("utf-8-sig").split("\r\n")[1:]:
            assert not line.startswith(("=", "@", "＝", "＠")), (name, line[:40])


@pytest.mark.browser
@pytest.mark.slow
@settings(
    max_examples=BUILT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(st.one_of(VISIBLE_TEXT, st.sampled_from(PAYLOADS)), min_size=2, max_size=5),
    plan_id=st.from_regex(
        r"[A-Za-z0-9\u3041-\u3093\u4e00-\u4e20][A-Za-z0-9_-]{0,5}", fullmatch=True
    ),
)
def test_random_text_builds_and_runs_no_script(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], plan_id: str
) -> None:
    root = tmp_path_factory.mktemp("random-site")
    folder, placed = data_folder(root, texts, plan_id)
    inspection = inspect_folder(folder)
    if not inspection.ok:  # e.g. a drawn text made a required cell empty: refused, not built
        code = cli.main(["validate", str(folder)])
        assert code == 1
        return
    bundled = yaml.safe_load((ROOT / "notebooks" / "reports.yaml").read_text(encoding="utf-8"))
    bundled["data"] = str(folder)
    for entry in bundled["reports"]:
        entry["notebook"] = str(ROOT / entry["notebook"])
    config = root / "reports.yaml"
    config.write_text(yaml.safe_dump(bundled, allow_unicode=True), encoding="utf-8")
    reports = root / "reports"
    args = ["build", "--config", str(config), "--reports-dir", str(reports), "--no-pdf"]
    assert cli.main(args) == 0, "validated data must build"
    with launch_browser() as browser:
        for page_path in sorted(reports.glob("*.html")):
            with open_offline(page_path, browser=browser) as offline:
                status = wait_for_charts(offline.page)
                page = offline.page
                assert page.evaluate("typeof window.__hostile") == "undefined"
                assert offline.requests == [] and offline.page_errors == []
                assert page.evaluate(DOM_AUDIT) == [], page_path.name
                assert status["drawn"] == status["containers"], (page_path.name, status)
                if page_path.name == f"plan-{plan_id}.html":
                    text = " ".join(page.evaluate("document.body.innerText").split())
                    item_names = [" ".join(t.split()) for t in placed if t.strip()][:5]
                    assert all(name in text for name in item_names)
