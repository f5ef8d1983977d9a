"""The fictional example city (data/example-city, 架空市) built with the README's command and
opened in Debian's Chromium with the network blocked, like the bundled reports: offline, every
chart drawn, no serious accessibility violation, marked 架空 on every page, its indicator
section and open data as documented."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import browser_kit as browser
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CONFIG = ROOT / "notebooks" / "example-city.yaml"
REPORTS = ("index", "plan-1", "plan-2")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("example-city")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "helpers",
            "build",
            "--config",
            str(CONFIG),
            "--reports-dir",
            str(reports),
            "--jobs",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return reports


@pytest.mark.parametrize("name", REPORTS)
def test_example_report_works_offline_in_chromium(built: Path, name: str) -> None:
    check = browser.check_report(built / f"{name}.html")
    assert check.ok, check.summary()
    if name != "index":
        assert check.chart_containers >= 3
    for width in (1280, 375):
        browser.screenshot(
            built / f"{name}.html",
            ARTIFACTS / f"example-city-{name}-{width}.png",
            viewport={"width": width, "height": 900},
        )


@pytest.mark.parametrize("name", REPORTS)
def test_example_names_stay_whole_and_tables_fit_on_a_pc(built: Path, name: str) -> None:
    """At 1280 px no item or indicator name is cut in two and no table scrolls sideways."""
    with browser.open_offline(built / f"{name}.html") as off:
        off.page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
        assert browser.wrapped_names(off.page) == []
        assert browser.scrolling_tables(off.page) == []


@pytest.mark.parametrize("name", REPORTS)
def test_example_tables_fit_or_show_cards_on_tablets_and_small_screens(
    built: Path, name: str
) -> None:
    """From a phone's width to 1280 px no table scrolls sideways: it fits, or shows cards."""
    with browser.open_offline(built / f"{name}.html") as off:
        assert browser.tables_scrolling_on_middle_screens(off.page) == {}


def test_no_printed_page_of_the_example_ends_with_a_heading(built: Path) -> None:
    """Plan 2's PDF ended page 16 with the heading 項目一覧 alone (an empty link target stood
    between it and its introduction): no page of the example city's PDFs ends with a heading."""
    stranded = []
    for name in REPORTS:
        page, pdf = built / f"{name}.html", built / f"{name}.pdf"
        stranded += [f"{name}: {s}" for s in browser.pages_ending_with_a_heading(page, pdf)]
    assert stranded == []


@pytest.mark.parametrize("name", REPORTS)
def test_every_page_says_the_city_is_fictional(built: Path, name: str) -> None:
    page = (built / f"{name}.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and "架空" in title.group(1)
    assert "架空の例" in browser.visible_text(built / f"{name}.html")


def test_plan_2_shows_its_indicators_rated_and_the_disagreement(built: Path) -> None:
    text = browser.visible_text(built / "plan-2.html")
    for expected in (
        "指標の達成状況",
        "令和6年度の実績値で、第2期計画の7つの指標を評価しました。",
        "評価基準「目標の達成度（4段階）」の段階",
        "評価基準「基準値からの変化（5段階）」の段階",
        "指標の評価の内訳（令和6年度）",
        "2-2 窓口の平均待ち時間（低いほど良い）",
        "公表された評価と計算した評価が異なる指標",
        "公表時の評価は速報値 23,800件による",
        "この年度の実績値がないため「−」",
        "系列の評価（小学生 B、中学生 C）のうち最も低い評価で「C」",
        "重点目標別の指標の評価（令和6年度）",
        "指標の推移（令和6年度まで）",
    ):
        assert expected in text, expected


def test_plan_1_rates_by_movement_from_the_baseline(built: Path) -> None:
    text = browser.visible_text(built / "plan-1.html")
    assert "策定時からの変化（4段階）" in text
    assert "実績値 85.0% は基準値 92.0% から7.0ポイント悪化し" in text
    assert "すべてこの報告書で計算した評価と一致しています" in text


def test_open_data_holds_the_indicators(built: Path) -> None:
    raw = (built / "data" / "indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["plan_id"] for r in rows} == {"1", "2"}
    columns = (built / "data" / "columns.csv").read_bytes().decode("utf-8-sig")
    assert "indicators.csv,rating,評価(計算)" in columns


def test_the_index_links_every_open_data_file(built: Path) -> None:
    """indicators.csv was published but not listed on the index."""
    page = (built / "index.html").read_text(encoding="utf-8")
    published = sorted(p.name for p in (built / "data").glob("*.csv"))
    assert "indicators.csv" in published
    for name in published:
        assert f'href="data/{name}"' in page, name
    with_indicators = (built / "plan-2.html").read_text(encoding="utf-8")
    assert 'href="data/indicators.csv"' in with_indicators


#: A hyphen-minus used as a minus sign in Japanese prose: "から-22.5ポイント", "進捗：-37.5%".
_HYPHEN_AS_MINUS = re.compile(r"(?:^|[\s\u3000-\u9fff\uff00-\uffef])-[0-9]")


def test_every_page_follows_the_reader_text_rules(built: Path) -> None:
    """The example city's data holds half-width brackets and the plan pages converted them while
    item pages, titles and running headers did not: every page, title and header now reads the
    same (full-width brackets and tilde in Japanese prose, the minus sign before a figure)."""
    from bs4 import BeautifulSoup

    from helpers.views.formatting import reader_text

    pages = sorted(built.rglob("*.html"))
    assert any(p.parent.name == "items" for p in pages)
    for path in pages:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        style = soup.find("style").string
        header = re.search(r'@top-left \{ content: "([^"]*)"', style)
        texts = [soup.title.string, header.group(1) if header else ""]
        for node in soup.find_all(string=True):
            if node.parent.name not in ("style", "script"):
                texts.append(str(node))
        texts += [img["alt"] for img in soup.find_all("img")]
        for text in texts:
            assert reader_text(text) == text, (path.name, text)
            assert not _HYPHEN_AS_MINUS.search(text), (path.name, text)
    item = BeautifulSoup((built / "items" / "item-2-1.html").read_text("utf-8"), "html.parser")
    assert item.title.string.startswith(
        "オンライン申請の拡大（架空市DX推進計画（架空の例） 項目1）"
    )
    plan = browser.visible_text(built / "plan-2.html")
    assert "前の計画から−22.5ポイント" in plan
