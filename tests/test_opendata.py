"""The open data contract: exact columns, UTF-8 with BOM, the reported-only plan, determinism."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from helpers.data.city import CityData, load_city
from helpers.publish import opendata

DATA = Path(__file__).resolve().parents[1] / "data" / "higashiyamato"
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def city() -> CityData:
    return load_city(DATA)


@pytest.fixture(scope="module")
def files(city: CityData) -> dict[str, bytes]:
    return opendata.open_data_files(city)


def rows(data: bytes) -> list[dict[str, str]]:
    """Parse a published CSV the way a spreadsheet would (BOM stripped by utf-8-sig)."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def header(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_every_file_is_utf8_with_bom_and_crlf(files: dict[str, bytes]) -> None:
    assert list(files) == ["achievement.csv", "items.csv", "events.csv", "columns.csv"]
    for name, data in files.items():
        assert data.startswith(BOM), name
        assert not data[3:].startswith(BOM), name
        body = data[3:]
        assert body.count(b"\r\n") == body.count(b"\n"), name  # every line ends with CRLF
        data.decode("utf-8")


def test_achievement_has_exactly_the_leading_columns(files: dict[str, bytes]) -> None:
    columns = header(files["achievement.csv"])
    assert columns[:8] == [
        "plan_id",
        "breakdown",
        "n_items",
        "achieved",
        "partial",
        "not_achieved",
        "rate_strict",
        "rate_incl_partial",
    ]
    assert columns[8:12] == ["source", "as_of", "wording", "note"]


def test_breakdowns_are_all_or_target_levels(files: dict[str, bytes]) -> None:
    breakdowns = [(r["plan_id"], r["breakdown"]) for r in rows(files["achievement.csv"])]
    assert breakdowns == [
        ("1", "all"),
        ("2", "all"),
        ("2", "target:実施"),
        ("2", "target:検討"),
    ]


def test_plan_1_is_its_reported_aggregate_only(files: dict[str, bytes]) -> None:
    plan1 = [r for r in rows(files["achievement.csv"]) if r["plan_id"] == "1"]
    assert len(plan1) == 1
    row = plan1[0]
    for column in ("n_items", "achieved", "partial", "not_achieved", "rate_incl_partial"):
        assert row[column] == "", column
    assert float(row["rate_strict"]) == pytest.approx(0.4)
    assert row["source"] == "reported"
    assert row["wording"] == "約4割"
    assert "報告値" in row["note"]


def test_plan_2_counts_match_the_source_table(files: dict[str, bytes]) -> None:
    overall = next(
        r for r in rows(files["achievement.csv"]) if (r["plan_id"], r["breakdown"]) == ("2", "all")
    )
    assert (overall["n_items"], overall["achieved"], overall["partial"]) == ("19", "14", "4")
    assert overall["not_achieved"] == "1"
    assert float(overall["rate_incl_partial"]) == pytest.approx(18 / 19)
    assert overall["source"] == "computed"
    assert overall["as_of"] == "平成24年度末"
    assert overall["as_of_date"] == "2013-03-31"


def test_items_carry_their_status(files: dict[str, bytes]) -> None:
    items = rows(files["items.csv"])
    assert header(files["items.csv"])[:4] == ["plan_id", "item_no", "item_name", "target"]
    assert [int(r["item_no"]) for r in items] == list(range(1, 20))
    gis = items[8]
    assert gis["item_name"] == "統合型地理情報システム(GIS)"
    assert (gis["status"], gis["status_class"]) == ("未達成", "not_achieved")
    assert {r["status"] for r in items} == {"達成", "一部達成", "未達成"}


def test_events_have_fiscal_year_and_plan_period(files: dict[str, bytes]) -> None:
    events = {r["event_id"]: r for r in rows(files["events.csv"])}
    new_core = events["E24"]  # 平成23年1月: January 2011 belongs to fiscal year 2010
    assert new_core["date_written"] == "平成23年1月"
    assert new_core["date"] == "2011-01"
    assert new_core["fiscal_year"] == "2010"
    assert new_core["fiscal_year_label"] == "平成22年度 (2010)"
    assert new_core["period_plan_id"] == "2"
    assert new_core["period_plan_name"] == "第二次計画"
    assert events["E01"]["date"] == ""  # known only to the fiscal year: no invented day
    assert events["E01"]["fiscal_year_label"] == "昭和43年度 (1968)"
    assert events["E15"]["fiscal_year"] == ""  # the source gives no date


def test_columns_file_describes_every_published_column(files: dict[str, bytes]) -> None:
    described = {(r["file"], r["column"]): r["label"] for r in rows(files["columns.csv"])}
    for name in ("achievement.csv", "items.csv", "events.csv"):
        for column in header(files[name]):
            assert described.get((name, column)), (name, column)


def test_files_are_deterministic(city: CityData, files: dict[str, bytes]) -> None:
    assert opendata.open_data_files(load_city(DATA)) == files


def test_write_open_data_writes_the_same_bytes(city: CityData, tmp_path: Path) -> None:
    paths = opendata.write_open_data(city, tmp_path / "data")
    assert [p.name for p in paths] == list(opendata.open_data_files(city))
    for path in paths:
        assert path.read_bytes() == opendata.open_data_files(city)[path.name]
