"""A whole evaluation round on the fictional example city, ending in the built reports.

``round start`` → every department fills in its workbook (one saved again by LibreOffice) →
``round collect --apply`` → the committee changes one rating and adds its opinions (as
README step 6 says) → ``plan-report build`` → the plan report, the item pages and the index
opened offline in Debian's Chromium: the new evaluation, the committee's opinions, the links
between the item table and the item pages, no network request, no serious axe violation.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import browser_kit as browser
import pytest
from round_kit import AS_OF, DEADLINE, fill_all, resave_with_libreoffice, workbook

from helpers import cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "example-city"
ARTIFACTS = ROOT / "tests" / "artifacts"
COMMITTEE_OPINION = "生成AIの全庁利用は、利用のルールを定めてからにしてください。"
PLAN_OPINION = "令和7年度は電子申請と窓口改革が着実に進みました。"
ONLY = ("--only", "plan-2", "--only", "item-2-*", "--only", "index")
"""The round evaluates plan 2: its report, its item pages and the index are built."""


def _committee(data: Path) -> None:
    """The committee keeps item 8 at 実施中 (the department said 完了) and gives its opinions."""
    path = data / "statuses.csv"
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row[:3] == ["2", "8", AS_OF]:
            row[header.index("取組状況")] = "実施中"
            row[header.index("評価理由")] = (
                "全庁での利用に至っていないため、委員会は実施中としました。"
            )
            row[header.index("委員会意見")] = COMMITTEE_OPINION
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    with (data / "opinions.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write(f"2,{AS_OF},1,架空市情報化推進委員会,{PLAN_OPINION},\n")


@pytest.fixture(scope="module")
def round_built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("round")
    data = base / "example-city"
    shutil.copytree(EXAMPLE, data)
    previous = (data / "statuses.csv").read_bytes()
    sent = base / "sent"
    start = ["round", "start", AS_OF, "--data", str(data), "--deadline", DEADLINE]
    assert cli.main([*start, "--out", str(sent)]) == 0
    fill_all(sent)
    resave_with_libreoffice(workbook(sent, "somu"), base)
    assert cli.main(["round", "collect", str(sent), "--data", str(data), "--apply"]) == 0
    assert (data / "statuses.csv").read_bytes().startswith(previous)
    _committee(data)
    assert cli.main(["validate", str(data)]) == 0
    config = base / "set.yaml"
    config.write_text(
        (ROOT / "notebooks" / "example-city.yaml")
        .read_text(encoding="utf-8")
        .replace("data: data/example-city", f"data: {data}")
        .replace("notebook: notebooks/", f"notebook: {ROOT / 'notebooks'}/"),
        encoding="utf-8",
    )
    reports = base / "reports"
    build = ["build", "--config", str(config), "--reports-dir", str(reports), "--no-pdf"]
    result = subprocess.run(
        [sys.executable, "-m", "helpers", *build, "--jobs", "2", *ONLY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"reports": reports, "data": data}


@pytest.mark.parametrize("page", ["plan-2", "items/item-2-8", "items/item-2-1", "index"])
def test_round_pages_work_offline(round_built: dict[str, Path], page: str) -> None:
    path = round_built["reports"] / f"{page}.html"
    check = browser.check_report(path)
    assert check.ok, check.summary()
    for width in (1280, 375):
        name = f"round-{page.replace('/', '-')}-{width}.png"
        browser.screenshot(path, ARTIFACTS / name, viewport={"width": width, "height": 900})


def test_plan_report_shows_the_new_evaluation_and_the_committee(
    round_built: dict[str, Path],
) -> None:
    """Read the plan report, follow an item's link to its page and the page's link back (local
    files may load each other here; any other request is aborted and recorded)."""
    reports = round_built["reports"]
    external: list[str] = []

    def local_only(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort("internetdisconnected")

    with browser.launch_browser() as chromium:
        context = chromium.new_context(locale="ja-JP", service_workers="block")
        context.route("**/*", local_only)
        page = context.new_page()
        page.goto((reports / "plan-2.html").resolve().as_uri(), wait_until="load")
        text = page.inner_text("main")
        assert f"評価時点：{AS_OF}" in text
        assert PLAN_OPINION in text
        assert COMMITTEE_OPINION in text
        departments = page.locator("table", has=page.locator("caption", has_text="担当課別"))
        assert departments.count() == 1
        assert page.locator("#item-list").count() == 1
        items = page.locator("table", has=page.locator("caption", has_text="の項目一覧"))
        link = items.locator("a", has_text="生成AIの業務利用")
        assert link.get_attribute("href") == "items/item-2-8.html"
        link.click()
        page.wait_for_load_state()
        assert page.url.endswith("items/item-2-8.html")
        item_text = page.inner_text("main")
        assert "生成AIの業務利用（第2期計画 項目8）" in item_text
        history = page.locator("table", has=page.locator("caption", has_text="評価の推移"))
        last = history.locator("tbody tr").last.inner_text()
        assert AS_OF in last and "実施中" in last and "完了" in last
        assert "全庁での利用に至っていないため、委員会は実施中としました。" in last
        assert "令和7年度は項目8を進めました。" in item_text
        assert COMMITTEE_OPINION in item_text
        page.locator("nav a", has_text="項目一覧に戻る").click()
        page.wait_for_load_state()
        assert page.url.endswith("plan-2.html#item-list")
        context.close()
    assert external == []


def test_item_page_shows_the_actual_given_in_the_round(round_built: dict[str, Path]) -> None:
    with browser.open_offline(round_built["reports"] / "items/item-2-1.html") as offline:
        text = offline.page.inner_text("main")
    assert "令和7年度" in text
    assert "（速報）" in text


def test_open_data_has_the_new_evaluation(round_built: dict[str, Path]) -> None:
    items = (round_built["reports"] / "data" / "items.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(items)))
    new = [r for r in rows if r["as_of"] == AS_OF]
    assert len(new) == 8
    item8 = next(r for r in new if r["item_no"] == "8")
    assert (item8["status"], item8["self_rating"]) == ("実施中", "完了")
    assert item8["committee_opinion"] == COMMITTEE_OPINION
    opinions = (round_built["reports"] / "data" / "opinions.csv").read_text(encoding="utf-8-sig")
    assert PLAN_OPINION in opinions
