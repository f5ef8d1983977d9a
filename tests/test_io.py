"""Tests for helpers.data (reading): loading folders (CSV encodings, Excel workbook) as CityData."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from helpers.data.city import CityData, DataValidationError, load_city, validate_folder
from helpers.data.contracts import TABLES, WORKBOOK_FILE
from helpers.data.reading import decode_bytes
from helpers.data.workbook import csv_to_workbook

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "higashiyamato"
SAMPLE = REPO / "tests" / "fixtures" / "sample_city"
FRAMES = ("plans", "items", "statuses", "reported", "events", "goals", "measures", "opinions")


def copy_folder(src: Path, tmp_path: Path, name: str | None = None) -> Path:
    """Copy a data folder into ``tmp_path`` and return the copy."""
    dest = tmp_path / (name or src.name)
    shutil.copytree(src, dest)
    return dest


def assert_same_data(left: CityData, right: CityData) -> None:
    """Both loads hold equal tables, config and scales."""
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(left, name), getattr(right, name), obj=name)
    pd.testing.assert_frame_equal(left.target_levels, right.target_levels)
    assert left.city == right.city
    assert left.source == right.source
    assert left.scales.keys() == right.scales.keys()
    for key, scale in left.scales.items():
        pd.testing.assert_frame_equal(scale.levels, right.scales[key].levels)


@pytest.fixture(scope="module")
def bundled() -> CityData:
    return load_city(BUNDLED)


@pytest.fixture(scope="module")
def sample() -> CityData:
    return load_city(SAMPLE)


# --- the contract --------------------------------------------------------------------------


def test_bundled_columns_and_types(bundled: CityData) -> None:
    assert list(bundled.plans.columns) == [
        "plan_id",
        "name",
        "short_name",
        "start_fy",
        "end_fy",
        "formulated",
        "scale",
        "indicator_rule",
        "source",
        "page",
    ]
    assert list(bundled.statuses.columns) == [
        "plan_id",
        "item_no",
        "as_of",
        "as_of_date",
        "status",
        "page",
        # the evaluation round's optional columns (empty here)
        "department",
        "self_rating",
        "reason",
        "results",
        "challenges",
        "direction",
        "committee_opinion",
    ]
    assert bundled.statuses["self_rating"].isna().all()
    assert list(bundled.events.columns) == [
        "event_id",
        "date_written",
        "precision",
        "fiscal_year",
        "date",
        "period_plan_id",
        "event",
        "kind",
        "plan_id",
        "item_no",
        "in_chart",
        "page",
        "note",
    ]
    plans = bundled.plans
    assert plans["plan_id"].tolist() == ["1", "2"]  # ids stay strings
    assert plans["start_fy"].dtype == "int64"
    assert plans["scale"].tolist() == [None, "achievement3"]  # missing text is None
    assert bundled.items["item_no"].dtype == "int64"
    assert bundled.items["goal_no"].dtype == "Int64"
    assert bundled.items["goal_no"].isna().all()
    assert bundled.events["fiscal_year"].dtype == "Int64"
    assert bundled.events["in_chart"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(bundled.statuses["as_of_date"])
    assert bundled.statuses["as_of_date"].unique().tolist() == [pd.Timestamp("2013-03-31")]
    assert bundled.reported["value"].tolist() == [0.4, 0.9]
    assert pd.isna(bundled.reported.loc[0, "as_of_date"])


def test_bundled_config(bundled: CityData) -> None:
    assert bundled.city == {
        "id": "higashiyamato",
        "name": "東大和市",
        "name_en": "Higashiyamato City",
    }
    assert bundled.target_levels["code"].tolist() == ["実施", "検討"]
    scale = bundled.scale_of("2")
    assert scale is not None and scale.id == "achievement3"
    assert scale.classes() == {"達成": "achieved", "一部達成": "partial", "未達成": "not_achieved"}
    assert scale.levels["order"].tolist() == [1, 2, 3]
    assert bundled.scale_of("1") is None
    with pytest.raises(KeyError):
        bundled.scale_of("3")


def test_event_dates_and_derived_columns(bundled: CityData) -> None:
    events = bundled.events.set_index("event_id")
    assert events.loc["E24", "date"] == pd.Timestamp("2011-01-01")
    assert (events.loc["E24", "precision"], events.loc["E24", "fiscal_year"]) == ("month", 2010)
    assert events.loc["E17", "date"] == pd.Timestamp("2009-03-31")  # 平成20年度末
    assert events.loc["E17", "precision"] == "fiscal_year_end"
    assert events.loc["E18", "period_plan_id"] == "1"  # 平成21年3月 is FY 2008, plan 1's period
    assert events.loc["E13", "period_plan_id"] is None  # 平成16年3月: before plan 1
    assert events.loc["E15", "precision"] == "unknown"
    assert pd.isna(events.loc["E15", "date"])


# --- the fictional second city -------------------------------------------------------------


def test_sample_city_files_use_the_encodings_they_exercise() -> None:
    items = (SAMPLE / "items.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        items.decode("utf-8")
    assert items.decode("cp932").startswith("計画ID")
    assert (SAMPLE / "statuses.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_sample_city_loads(sample: CityData) -> None:
    assert sample.city["name"] == "架空市"
    assert "fictional" in sample.city["name_en"]
    assert sample.plans["plan_id"].tolist() == ["k1", "k2"]
    assert sample.plans[["start_fy", "end_fy"]].values.tolist() == [[2016, 2020], [2021, 2025]]
    assert len(sample.items) == 10
    assert sample.items.loc[0, "name"] == "電子申請の拡大"  # read from cp932
    assert sample.items["goal_no"].tolist()[:3] == [1, 2, 2]
    assert sample.target_levels["code"].tolist() == ["新規", "拡充", "継続"]
    assert sample.measures.empty


def test_sample_city_scales(sample: CityData) -> None:
    four = sample.scales["kakuu4"]
    assert four.codes() == ["上回って達成", "おおむね達成", "遅れはあるがおおむね達成", "未達成"]
    assert list(four.classes().values()) == ["achieved", "achieved", "partial", "not_achieved"]
    marks = sample.scale_of("k1")
    assert marks is not None
    assert marks.codes() == ["◎", "○", "△", "×"]
    assert marks.levels["label"].tolist()[0] == "◎ 達成"


def test_sample_city_status_history(sample: CityData) -> None:
    k2 = sample.statuses.loc[sample.statuses["plan_id"] == "k2"]
    assert k2["as_of"].unique().tolist() == ["令和3年度末", "令和4年度末", "令和5年度末"]
    assert k2["as_of_date"].unique().tolist() == [
        pd.Timestamp("2022-03-31"),
        pd.Timestamp("2023-03-31"),
        pd.Timestamp("2024-03-31"),
    ]
    assert k2.groupby("as_of")["item_no"].count().tolist() == [7, 7, 7]


def test_sample_city_events(sample: CityData) -> None:
    events = sample.events.set_index("event_id")
    assert events.loc["K02", "fiscal_year"] == 2019  # 平成31年4月
    assert events.loc["K02", "period_plan_id"] == "k1"
    assert events.loc["K04", "precision"] == "year"  # 令和2年 with its 年度 given
    assert events.loc["K04", "fiscal_year"] == 2020
    assert events.loc["K06", "date"] == pd.Timestamp("2023-01-01")  # R5.1
    assert events.loc["K06", "fiscal_year"] == 2022
    assert events.loc["K07", "precision"] == "unknown"


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_every_file_in_another_encoding_loads_the_same(
    bundled: CityData, tmp_path: Path, encoding: str
) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    for spec in TABLES:
        path = folder / spec.file_name
        if path.exists():
            path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    assert_same_data(bundled, load_city(folder))


def test_bom_does_not_stick_to_the_first_header(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "plans.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_folder(folder) == []
    assert load_city(folder).plans["plan_id"].tolist() == ["1", "2"]


def test_decode_bytes() -> None:
    assert decode_bytes("計画".encode(), "x.csv") == ("計画", None)
    assert decode_bytes("計画".encode("cp932"), "x.csv") == ("計画", None)
    text, problem = decode_bytes("計画".encode("utf-16"), "x.csv")
    assert text is None and problem is not None
    assert (problem.file, problem.code) == ("x.csv", "unreadable_encoding")


def test_english_headers_are_accepted(bundled: CityData, tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    for spec in TABLES:
        path = folder / spec.file_name
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        mapping = {c.header: c.name for c in spec.columns}
        lines[0] = ",".join(mapping[h] for h in lines[0].split(","))
        path.write_text("\n".join(lines), encoding="utf-8")
    assert_same_data(bundled, load_city(folder))


# --- Excel workbook ------------------------------------------------------------------------


@pytest.mark.parametrize("source", [BUNDLED, SAMPLE], ids=["bundled", "sample_city"])
def test_workbook_round_trip(source: Path, tmp_path: Path) -> None:
    workbook = csv_to_workbook(source, tmp_path / "wb")
    assert workbook == tmp_path / "wb" / WORKBOOK_FILE
    assert sorted(p.name for p in workbook.parent.iterdir()) == ["city.yaml", WORKBOOK_FILE]
    book = load_workbook(workbook, read_only=True)
    expected = [s.name for s in TABLES if (source / s.file_name).exists()]
    assert book.sheetnames == expected
    book.close()
    assert_same_data(load_city(source), load_city(workbook.parent))


def test_workbook_keeps_dates_as_text(tmp_path: Path) -> None:
    workbook = csv_to_workbook(BUNDLED, tmp_path / "wb")
    sheet = load_workbook(workbook)["events"]
    assert sheet["B25"].value == "平成23年1月"
    assert sheet["B25"].number_format == "@"
    assert sheet["I25"].value == 1  # 項目番号 stays a number


def test_workbook_problems_name_the_sheet_and_excel_row(tmp_path: Path) -> None:
    workbook = csv_to_workbook(BUNDLED, tmp_path / "wb")
    book = load_workbook(workbook)
    sheet = book["statuses"]
    sheet.insert_rows(3)  # an empty Excel row 3
    sheet["D7"] = "完了"  # item 5 moved from row 6 to row 7
    book.save(workbook)
    problems = validate_folder(workbook.parent)
    assert [(p.file, p.row, p.column, p.value, p.code) for p in problems] == [
        ("workbook.xlsx [statuses]", 7, "取組状況", "完了", "unknown_status")
    ]


def test_workbook_missing_required_sheet(tmp_path: Path) -> None:
    workbook = csv_to_workbook(BUNDLED, tmp_path / "wb")
    book = load_workbook(workbook)
    del book["items"]
    book.save(workbook)
    with pytest.raises(DataValidationError) as caught:
        load_city(workbook.parent)
    codes = {(p.file, p.code) for p in caught.value.errors}
    assert ("workbook.xlsx [items]", "missing_file") in codes


def test_folder_with_both_csv_and_workbook_is_an_error(tmp_path: Path) -> None:
    workbook = csv_to_workbook(BUNDLED, tmp_path / "wb")
    folder = copy_folder(BUNDLED, tmp_path)
    shutil.copyfile(workbook, folder / WORKBOOK_FILE)
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems] == [(WORKBOOK_FILE, "both_sources")]


def test_corrupt_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "wb"
    folder.mkdir()
    shutil.copyfile(BUNDLED / "city.yaml", folder / "city.yaml")
    (folder / WORKBOOK_FILE).write_bytes(b"not a zip file")
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems] == [(WORKBOOK_FILE, "unreadable_workbook")]


def test_csv_to_workbook_refuses_a_csv_folder(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    with pytest.raises(ValueError, match="CSV"):
        csv_to_workbook(BUNDLED, folder)
    assert not (folder / WORKBOOK_FILE).exists()


# --- loading cost --------------------------------------------------------------------------


def test_loading_csv_does_not_import_openpyxl() -> None:
    code = (
        "import sys; from helpers.data import load_city; "
        f"load_city({str(BUNDLED)!r}); print('openpyxl' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
