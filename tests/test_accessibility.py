"""The accessibility statement (helpers.publish.accessibility): checks of a page, the statement."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import browser_kit as browser
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser

from helpers.publish import accessibility as a11y

PAGES = [
    ("plan-1", "第一次計画 評価報告書"),
    ("plan-2", "第二次計画 評価報告書"),
    ("index", "一覧"),
]


def a_check(output: str, *violations: a11y.Violation, tested: str = "2026-11-30") -> a11y.PageCheck:
    return a11y.PageCheck(
        output=output,
        title=output,
        tested=tested,
        tool="axe-core 4.12.1",
        browser="Chromium 156",
        viewport="1280×900",
        rules=27,
        violations=violations,
        incomplete=1,
    )


def statement_soup(out: Path) -> BeautifulSoup:
    return BeautifulSoup((out / "accessibility.html").read_text(encoding="utf-8"), "html.parser")


def result_cells(soup: BeautifulSoup) -> dict[str, list[str]]:
    rows = soup.find("table").tbody.find_all("tr")
    return {
        row.find_all(["th", "td"])[1].get_text(): [c.get_text() for c in row.find_all(["th", "td"])]
        for row in rows
    }


def test_checks_round_trip_through_json(tmp_path: Path) -> None:
    check = a_check("plan-2", a11y.Violation("image-alt", "critical", "Images…", 2, ("1.1.1",)))
    path = a11y.write_checks(a11y.checks_path(tmp_path / "plan-2.pdf"), check)
    assert path.name == "plan-2.checks.json"
    assert a11y.PageCheck.from_json(json.loads(path.read_text(encoding="utf-8"))) == check
    assert not check.passed and a_check("x").passed


def test_statement_lists_every_page_with_its_result(tmp_path: Path) -> None:
    out, published = tmp_path / "out", tmp_path / "published"
    published.mkdir()
    a11y.write_checks(out / "plan-1.checks.json", a_check("plan-1"))
    broken = a11y.Violation("color-contrast", "serious", "Elements must meet…", 3, ("1.4.3",))
    a11y.write_checks(out / "plan-2.checks.json", a_check("plan-2", broken))
    written = a11y.stage_statement(out, published, PAGES, "東大和市 情報化推進計画の評価")
    assert set(written) == {"accessibility.html", "data/accessibility.json"}
    soup = statement_soup(out)
    assert soup.find("script") is None and len(soup.find_all("h1")) == 1
    assert "JIS X 8341-3:2016" in soup.get_text() and "適合レベルAA" in soup.get_text()
    assert "axe-core 4.12.1" in soup.get_text() and "2026年11月30日" in soup.get_text()
    cells = result_cells(soup)
    assert list(cells) == ["plan-1.html", "plan-2.html", "index.html"]  # the set's order
    assert cells["plan-1.html"][-1] == "自動試験で問題なし"
    assert (
        cells["plan-2.html"][-1]
        == "要修正：1.4.3 コントラスト（最低限）：3か所（color-contrast、重大）"
    )
    assert cells["index.html"][-1].startswith("未試験")
    data = json.loads((out / "data" / "accessibility.json").read_text(encoding="utf-8"))
    assert [page["output"] for page in data["pages"]] == ["plan-1", "plan-2"]


def test_statement_speaks_to_readers_and_says_what_was_tested(tmp_path: Path) -> None:
    """Readers are citizens: no instruction to the city's staff; the conformance claim is the
    publisher's after testing by people; the screen size tested and that phones were not; the
    PDFs are printed from the tested pages and are out of the automated test's scope; the test
    date 和暦 first, as on every other page."""
    out, published = tmp_path / "out", tmp_path / "published"
    published.mkdir()
    a11y.write_checks(out / "plan-1.checks.json", a_check("plan-1", tested="2026-12-01"))
    a11y.stage_statement(out, published, PAGES, "市")
    soup = statement_soup(out)
    text = soup.get_text()
    assert "ください" not in text  # nothing addressed to staff
    assert "人による試験を行ったうえで、発行者が行うもの" in text
    assert "表明するものではありません" in text
    terms = {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in soup.find_all("dt")}
    assert terms["試験日"] == "令和8年12月1日（2026年12月1日）"
    assert "1280×900ピクセル（パソコンの画面）" in terms["試験の方法"]
    assert "スマートフォンの幅での表示は、この自動試験では試験していません" in terms["試験の方法"]
    assert "試験したページをそのままA4に印刷したもの" in terms["PDF"]
    assert "PDFそのものは、この自動試験の対象外です" in terms["PDF"]


def test_pages_not_rebuilt_keep_their_published_results(tmp_path: Path) -> None:
    first_out, published = tmp_path / "first", tmp_path / "published"
    for output, _title in PAGES:
        a11y.write_checks(first_out / f"{output}.checks.json", a_check(output, tested="2026-11-01"))
    for relative, path in a11y.stage_statement(first_out, published, PAGES, "市").items():
        (published / relative).parent.mkdir(parents=True, exist_ok=True)
        (published / relative).write_bytes(path.read_bytes())
    for output, _title in PAGES:
        (published / f"{output}.html").write_text("<p>published</p>", encoding="utf-8")
    (published / "index.html").unlink()  # a page no longer published has no result to keep
    second_out = tmp_path / "second"
    a11y.write_checks(second_out / "plan-2.checks.json", a_check("plan-2", tested="2026-11-30"))
    a11y.stage_statement(second_out, published, PAGES, "市")
    cells = result_cells(statement_soup(second_out))
    # kept from the published statement; 和暦 first, as every page writes dates
    assert cells["plan-1.html"][2] == "令和8年11月1日（2026年11月1日）"
    assert cells["plan-2.html"][2] == "令和8年11月30日（2026年11月30日）"  # tested again
    assert cells["index.html"][-1].startswith("未試験")


def test_the_date_follows_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert a11y.checked_on().isoformat() == "2023-11-14"


# --- in the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with browser.launch_browser() as launched:
        yield launched


def write_page(path: Path, body: str, head: str = "") -> Path:
    path.write_text(
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>試験</title>{head}'
        f"</head><body><main><h1>試験ページ</h1>{body}</main></body></html>",
        encoding="utf-8",
    )
    return path


@pytest.mark.browser
def test_check_page_finds_axe_violations_and_the_projects_own_problems(
    tmp_path: Path, chromium: Browser
) -> None:
    page = write_page(
        tmp_path / "bad.html",
        '<div class="chart" id="chart-1"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="'
        ' alt="chart"></div><p style="color:#ddd;background:#fff">薄い文字</p>'
        "<script>1</script>",
    )
    with browser.open_offline(page, browser=chromium) as offline:
        check = a11y.check_page(offline.page, output="bad", requests=offline.requests)
    assert {v.rule for v in check.violations} >= {"color-contrast"}
    contrast = next(v for v in check.violations if v.rule == "color-contrast")
    assert contrast.criteria == ("1.4.3",)
    assert contrast.describe().startswith("1.4.3 コントラスト（最低限）：1か所")
    assert "スクリプトがあります" in check.own_problems
    assert any("代替テキスト" in problem for problem in check.own_problems)
    assert check.tool.startswith("axe-core 4.") and check.rules > 5
    assert not check.passed


@pytest.mark.browser
def test_check_page_passes_a_clean_page(tmp_path: Path, chromium: Browser) -> None:
    page = write_page(tmp_path / "good.html", "<p>本文です。</p>")
    with browser.open_offline(page, browser=chromium) as offline:
        check = a11y.check_page(offline.page, output="good")
    assert check.passed, check


@pytest.mark.browser
def test_pages_opened_one_after_another_in_one_tab_keep_to_themselves(
    tmp_path: Path, chromium: Browser
) -> None:
    """The printer opens every report in one tab: each page is checked on its own, with every
    node of a violation counted, and nothing of the page before it remains."""
    low = '<p style="color:#ddd;background:#fff">薄い文字</p>'
    bad = write_page(
        tmp_path / "bad.html", low * 2 + '<img src="https://example.invalid/x.png" alt="図">'
    )
    good = write_page(tmp_path / "good.html", "<p>本文です。</p>")
    with browser.OfflineTab(chromium) as tab:
        with tab.open(bad) as offline:
            first = a11y.check_page(offline.page, output="bad", requests=offline.requests)
            first_requests = list(offline.requests)
        with tab.open(good) as offline:
            leftover = offline.page.evaluate("typeof window.axe")
            second = a11y.check_page(offline.page, output="good", requests=offline.requests)
            second_requests = list(offline.requests)
    contrast = next(v for v in first.violations if v.rule == "color-contrast")
    assert contrast.nodes == 2
    assert first_requests == ["https://example.invalid/x.png"]
    assert leftover == "undefined"
    assert second_requests == [] and second.passed, second


def test_criteria_from_axe_tags() -> None:
    assert a11y.criteria_of(["cat.color", "wcag2aa", "wcag143", "wcag1411"]) == ("1.4.3", "1.4.11")
