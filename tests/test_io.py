"""Tests for helpers.data (reading): loading folders (CSV encodings, Excel workbook) as CityData."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from reading_kit import hide_file_sizes

from helpers.data.city import CityData, DataValidationError, load_city, validate_folder
from helpers.data.contracts import CONFIG_FILE, TABLES, WORKBOOK_FILE
from helpers.data.limits import MAX_CELL_CHARS, MAX_YAML_BYTES
from helpers.data.problems import Problem
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
    assert events.loc["E16", "precision"] == "unknown"
    assert pd.isna(events.loc["E16", "date"])
    # the source places 再構築 in plan 1 without a year (p9): "during plan 1"
    assert (events.loc["E15", "precision"], events.loc["E15", "period_plan_id"]) == (
        "plan_period",
        "1",
    )
    assert pd.isna(events.loc["E15", "date"]) and pd.isna(events.loc["E15", "fiscal_year"])


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


def test_dates_excel_stored_are_read_as_typed_in_japanese(tmp_path: Path) -> None:
    """Japanese Excel turns 平成23年1月 typed into a cell into a date (shown 2011年1月); it was
    published as 2011-01-01. It is read as the 和暦 it shows: the month, or the day when the
    cell's format shows one."""
    import datetime as dt

    workbook = csv_to_workbook(BUNDLED, tmp_path / "wb")
    book = load_workbook(workbook)
    sheet = book["events"]
    sheet["B25"] = dt.datetime(2011, 1, 1)
    sheet["B25"].number_format = 'yyyy"年"m"月"'
    sheet["B26"] = dt.datetime(2011, 1, 1)
    sheet["B26"].number_format = '[$-ja-JP]ggge"年"m"月"'
    sheet["B27"] = dt.datetime(2011, 3, 11)
    sheet["B27"].number_format = "yyyy/m/d"
    book.save(workbook)
    events = load_city(workbook.parent).events
    written = list(events["date_written"])
    assert written[23] == "平成23年1月"
    assert written[24] == "平成23年1月"
    assert written[25] == "平成23年3月11日"


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


def test_csv_to_workbook_never_reads_through_a_link_out_of_the_folder(tmp_path: Path) -> None:
    """A CSV (or city.yaml) that is a link out of the folder is refused unread, as validate
    refuses it; nothing is written."""
    folder = copy_folder(BUNDLED, tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("計画ID,計画名\nSECRET,秘密\n", encoding="utf-8")
    (folder / "events.csv").unlink()
    (folder / "events.csv").symlink_to(secret)
    (folder / CONFIG_FILE).unlink()
    (folder / CONFIG_FILE).symlink_to(BUNDLED / CONFIG_FILE)
    out = tmp_path / "wb"
    with pytest.raises(DataValidationError) as caught:
        csv_to_workbook(folder, out)
    problems = {(p.file, p.code) for p in caught.value.problems}
    assert problems == {
        ("events.csv", "link_outside_folder"),
        (CONFIG_FILE, "link_outside_folder"),
    }
    assert "SECRET" not in str(caught.value)
    assert not out.exists()


def test_csv_to_workbook_never_writes_through_a_link(tmp_path: Path) -> None:
    """Links planted at the workbook's name, at city.yaml's name and at the old temporary name
    are replaced by the new files; the files they pointed to are untouched."""
    out = tmp_path / "wb"
    out.mkdir()
    victims = {
        name: tmp_path / f"victim-{n}"
        for n, name in enumerate([WORKBOOK_FILE, CONFIG_FILE, f".{WORKBOOK_FILE}.tmp"])
    }
    for name, victim in victims.items():
        victim.write_text("keep", encoding="utf-8")
        (out / name).symlink_to(victim)
    workbook = csv_to_workbook(BUNDLED, out)
    assert all(victim.read_text(encoding="utf-8") == "keep" for victim in victims.values())
    assert not workbook.is_symlink() and not (out / CONFIG_FILE).is_symlink()
    assert (out / CONFIG_FILE).read_bytes() == (BUNDLED / CONFIG_FILE).read_bytes()
    assert_same_data(load_city(BUNDLED), load_city(out))


def test_csv_to_workbook_refuses_an_output_folder_that_is_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "wb").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="シンボリックリンク"):
        csv_to_workbook(BUNDLED, tmp_path / "wb")
    assert list(elsewhere.iterdir()) == []


def _limit_problems(problems: list[Problem]) -> set[tuple[str, int | None, str, str]]:
    codes = {"file_too_large", "too_many_rows", "cell_too_long"}
    return {(p.file, p.row, p.code, p.message) for p in problems if p.code in codes}


def test_csv_to_workbook_refuses_a_csv_over_the_size_limit_as_validate_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CSV files larger than the limit were read whole and converted; now they are refused
    with validate's problems (same file, code and message) and nothing is written."""
    from helpers.data import reading

    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 3000)
    folder = copy_folder(BUNDLED, tmp_path)
    larger = {p.name for p in folder.glob("*.csv") if p.stat().st_size > 3000}
    assert len(larger) >= 2
    out = tmp_path / "wb"
    with pytest.raises(DataValidationError) as caught:
        csv_to_workbook(folder, out)
    refused = _limit_problems(caught.value.problems)
    assert {(file, code) for file, _, code, _ in refused} == {
        (name, "file_too_large") for name in larger
    }
    assert refused == _limit_problems(validate_folder(folder))
    assert all("上限 3,000 バイト" in message for *_, message in refused)
    assert not out.exists()


def test_csv_to_workbook_refuses_long_cells_and_a_large_city_yaml_as_validate_does(
    tmp_path: Path,
) -> None:
    """A cell longer than its limit was written into the workbook, and a city.yaml of any size
    copied beside it; both are refused with validate's problems, nothing is written."""
    folder = copy_folder(BUNDLED, tmp_path)
    items = folder / "items.csv"
    long_name = "長" * (MAX_CELL_CHARS + 1)
    items.write_text(
        items.read_text(encoding="utf-8").replace("事務用パソコン", long_name, 1), "utf-8"
    )
    with (folder / CONFIG_FILE).open("a", encoding="utf-8") as handle:
        handle.write("# " + "x" * MAX_YAML_BYTES + "\n")
    out = tmp_path / "wb"
    with pytest.raises(DataValidationError) as caught:
        csv_to_workbook(folder, out)
    refused = _limit_problems(caught.value.problems)
    assert {(file, code) for file, _, code, _ in refused} == {
        ("items.csv", "cell_too_long"),
        (CONFIG_FILE, "file_too_large"),
    }
    assert refused == _limit_problems(validate_folder(folder))
    assert any(f"上限 {MAX_YAML_BYTES:,} バイト" in message for *_, message in refused)
    assert long_name not in str(caught.value)
    assert not out.exists()


def test_csv_to_workbook_reads_a_csv_only_up_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file stating a size of 0 (as /proc files do) is still read no further than the
    limit, by csv_to_workbook as by validate."""

    from helpers.data import reading

    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 3000)
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "plans.csv").write_bytes((BUNDLED / "plans.csv").read_bytes() + b"\n" * 9000)
    reads = hide_file_sizes(monkeypatch)
    with pytest.raises(DataValidationError) as caught:
        csv_to_workbook(folder, tmp_path / "wb")
    assert [(p.file, p.code) for p in caught.value.problems] == [("plans.csv", "file_too_large")]
    assert 0 < sum(reads) <= 3001
    reads.clear()
    problems = validate_folder(folder)
    assert ("plans.csv", "file_too_large") in {(p.file, p.code) for p in problems}
    assert 0 < sum(reads) <= 3001


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


# --- broken and hostile files: clear problems, never an exception ---------------------------


def load_rows(path: Path) -> list[str]:
    """The data rows of a CSV file (0 when it does not exist)."""
    if not path.is_file():
        return []
    return path.read_text(encoding="utf-8-sig").strip().split("\n")[1:]


def make_workbook(tmp_path: Path) -> Path:
    """A workbook folder made from the bundled CSV files."""
    folder = tmp_path / "wb"
    csv_to_workbook(BUNDLED, folder)
    return folder


def rewrite_part(workbook: Path, part: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part (e.g. the XML of a sheet) of an xlsx file."""
    with zipfile.ZipFile(workbook) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[part] = change(parts[part])
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def sheet_part(workbook: Path, sheet: str) -> str:
    """The zip member holding ``sheet``."""
    book = load_workbook(workbook, read_only=True)
    index = book.sheetnames.index(sheet)
    book.close()
    return f"xl/worksheets/sheet{index + 1}.xml"


def test_a_nul_byte_is_located_not_called_utf16(tmp_path: Path) -> None:
    text, problem = decode_bytes("計画\x00ID".encode(), "x.csv")
    assert problem is None and text == "計画\x00ID"
    for data in ("計画ID,計画名\n".encode("utf-16-le"), "計画ID".encode("utf-16-be")):
        assert decode_bytes(data, "x.csv")[1] is not None  # UTF-16 without BOM: still named
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "items.csv"
    path.write_bytes(path.read_bytes().replace("事務用パソコン".encode(), b"\x00", 1))
    problems = validate_folder(folder)
    assert [(p.file, p.row, p.column, p.code) for p in problems] == [
        ("items.csv", 3, "項目名", "control_character")
    ]
    assert "NUL" in problems[0].message and "UTF-16" not in problems[0].message


def test_an_unclosed_quote_is_reported_where_it_opens(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "items.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[10] = lines[10].replace(",実施,", ',"実施,', 1)  # Excel row 11
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = validate_folder(folder)
    assert [(p.file, p.row, p.column, p.code) for p in problems] == [
        ("items.csv", 11, "取組目標", "unclosed_quote")
    ]
    assert problems[0].value is not None and problems[0].value.startswith("実施,")


def test_a_stray_quote_inside_a_cell_is_read_as_excel_reads_it(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "items.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("事務用パソコン", '事務用"パソコン', 1), "utf-8"
    )
    assert validate_folder(folder) == []
    assert '事務用"パソコン' in load_city(folder).items["name"].tolist()


@pytest.mark.parametrize("length", [10_001, 131_073, 400_000])
def test_a_cell_over_the_limit_is_one_problem(tmp_path: Path, length: int) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "items.csv"
    text = path.read_text(encoding="utf-8").replace("事務用パソコン", "長" * length, 1)
    path.write_text(text, encoding="utf-8")
    problems = validate_folder(folder)
    assert [(p.file, p.row, p.column, p.code) for p in problems] == [
        ("items.csv", 3, "項目名", "cell_too_long")
    ]
    assert f"{length:,}" in problems[0].message and "10,000" in problems[0].message
    assert problems[0].value is not None and len(problems[0].value) <= 40


def test_rows_beyond_the_limit_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.data import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 10)
    folder = copy_folder(BUNDLED, tmp_path)
    problems = validate_folder(folder)
    rows = [p for p in problems if p.code == "too_many_rows"]
    longer = [s.file_name for s in TABLES if len(load_rows(folder / s.file_name)) > 10]
    assert [(p.file, p.row) for p in rows] == [(name, 12) for name in longer]
    assert len(longer) >= 2
    assert "10 行" in rows[0].message


def test_a_file_over_the_limit_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.data import reading

    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 3000)
    folder = copy_folder(BUNDLED, tmp_path)
    problems = [p for p in validate_folder(folder) if p.code == "file_too_large"]
    larger = {p.name for p in folder.glob("*.csv") if p.stat().st_size > 3000}
    assert {p.file for p in problems} == larger and len(larger) >= 2
    assert all("3,000" in p.message for p in problems)


def test_an_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from helpers.data import reading

    folder = copy_folder(BUNDLED, tmp_path)
    original = os.open

    def refusing_open(path: str | Path, flags: int, *args: Any) -> int:
        if Path(path).name in ("items.csv", "city.yaml"):
            raise PermissionError(13, "Permission denied")
        return original(path, flags, *args)

    monkeypatch.setattr(reading.os, "open", refusing_open)
    problems = validate_folder(folder)
    assert {(p.file, p.code) for p in problems} >= {
        ("items.csv", "unreadable_file"),
        ("city.yaml", "unreadable_file"),
    }
    assert "Permission denied" in problems[0].message


def test_a_truncated_sheet_is_a_problem_naming_it(tmp_path: Path) -> None:
    folder = make_workbook(tmp_path)
    workbook = folder / WORKBOOK_FILE
    rewrite_part(workbook, sheet_part(workbook, "items"), lambda xml: xml[: len(xml) // 2])
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems if p.severity == "error"] == [
        (f"{WORKBOOK_FILE} [items]", "unreadable_workbook")
    ]
    assert "ParseError" in problems[0].message or "damaged" in problems[0].message


def test_a_workbook_with_too_many_rows_stops_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.data import reading

    folder = make_workbook(tmp_path)
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    problems = [p for p in validate_folder(folder) if p.code == "too_many_rows"]
    longer = [s.name for s in TABLES if len(load_rows(BUNDLED / s.file_name)) > 5]
    assert [(p.file, p.row) for p in problems] == [
        (f"{WORKBOOK_FILE} [{name}]", 7) for name in longer
    ]


def test_a_workbook_that_unzips_too_large_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.data import reading

    folder = make_workbook(tmp_path)
    monkeypatch.setattr(reading, "MAX_WORKBOOK_UNPACKED_BYTES", 10_000)
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems] == [(WORKBOOK_FILE, "file_too_large")]


def yaml_error(text: str) -> str:
    from helpers.data.reading import load_yaml

    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml(text)
    return str(caught.value)


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.monotonic()
    assert "values once aliases" in yaml_error("\n".join(lines))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "[" * 100_000, "nesting deeper than 50"),
        ("a: " + "{b: " * 60 + "1" + "}" * 60, "nesting deeper than 50"),
        ("a: &x [*x]", "refers to itself"),
        (
            "- &a [[[[[[[[[[1]]]]]]]]]]\n- &b [*a, [[[[[[[[[[*a]]]]]]]]]]]\n"
            "- &c [*b, [[[[[[[[[[*b]]]]]]]]]]]\n- &d [*c, [[[[[[[[[[*c]]]]]]]]]]]\n"
            "- &e [*d, [[[[[[[[[[*d]]]]]]]]]]]\n",
            "once aliases are expanded",
        ),
        ("[" + "a, " * 30_000 + "]", "more than 20,000 values"),
        ("n: " + "1" * 5000, "cannot be read"),
        ("d: 2001-02-30", "cannot be read"),
        ("x: " + "a" * 300_000, "larger than"),
    ],
)
def test_yaml_limits(text: str, message: str) -> None:
    assert message in yaml_error(text)


def test_city_yaml_beyond_a_limit_is_one_problem(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    with (folder / "city.yaml").open("a", encoding="utf-8") as handle:
        handle.write("deep: " + "[" * 1000 + "]" * 1000 + "\n")
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems] == [("city.yaml", "bad_config")]
    assert problems[0].row is not None and "50" in problems[0].message


def test_city_yaml_too_large(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    with (folder / "city.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# " + "x" * 300_000 + "\n")
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems] == [("city.yaml", "file_too_large")]


# --- links and what a message may quote --------------------------------------------------------


def test_a_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    """plans.csv -> 2025/plans.csv: a link that stays in the data folder is followed."""
    folder = copy_folder(BUNDLED, tmp_path)
    (folder / "2025").mkdir()
    for name in ("plans.csv", "city.yaml"):
        (folder / name).rename(folder / "2025" / name)
        (folder / name).symlink_to(Path("2025") / name)
    assert validate_folder(folder) == []
    assert_same_data(load_city(folder), load_city(BUNDLED))


def test_a_data_folder_given_as_a_link_is_read(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    link = tmp_path / "current"
    link.symlink_to(folder)
    assert validate_folder(link) == []


def test_a_link_out_of_the_folder_is_never_read_nor_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ln -s /proc/self/environ plans.csv`` printed the whole environment as an unknown column."""
    from helpers import cli

    monkeypatch.setenv("PLAN_REPORT_SECRET", "s3cr3t-value")
    folder = copy_folder(BUNDLED, tmp_path)
    (folder / "plans.csv").unlink()
    (folder / "plans.csv").symlink_to("/proc/self/environ")
    problems = validate_folder(folder)
    assert [(p.file, p.code) for p in problems] == [("plans.csv", "link_outside_folder")]
    assert cli.main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "link_outside_folder" not in out and "フォルダの外" in out
    assert "s3cr3t-value" not in out and "PLAN_REPORT_SECRET" not in out


def test_a_message_quotes_at_most_80_characters_of_a_header_or_value(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "plans.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[0] += ",ABC" + "x" * 5000
    lines[1] += ","
    lines[2] += ","
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = folder / "items.csv"
    rows = list(csv.reader(items.open(encoding="utf-8-sig", newline="")))
    rows[1][rows[0].index("取組目標")] = "Z" * 5000
    with items.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    problems = validate_folder(folder)
    unknown = next(p for p in problems if p.code == "unknown_column")
    assert "ABC" + "x" * 77 + "…」" in unknown.message
    assert len(unknown.message) < 80 + 200
    target = next(p for p in problems if p.code == "unknown_target")
    assert "Z" * 80 + "…」" in target.message and "Z" * 81 not in target.message
    from helpers.data.problems import problems_csv

    assert all(len(line) < 1500 for line in problems_csv(problems).splitlines())


# --- YAML: keys written twice, types other than plain data ---------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("city:\n  name: 東大和市\n  name: 偽市\n", "name", (2, 3)),
        ("city:\n  id: a\ncity:\n  id: b\n", "city", (1, 3)),
        ("{a: 1, b: 2, a: 3}", "a", (1, 1)),
        ("x:\n  - k: 1\n    k: 2\n", "k", (2, 3)),
    ],
)
def test_yaml_key_written_twice_is_refused(text: str, key: str, lines: tuple[int, int]) -> None:
    message = yaml_error(text)
    assert f"キー「{key}」" in message and "duplicate key" in message
    assert f"{lines[0]} 行目と {lines[1]} 行目" in message
    assert message.endswith(f"(line {lines[1]})")


def test_yaml_merge_keys_and_the_same_key_in_two_mappings_stay_allowed() -> None:
    from helpers.data.reading import load_yaml

    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nthird: {x: 1}\n"
    expected = {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}, "third": {"x": 1}}
    assert load_yaml(text) == expected


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("name: !!binary 5p2x5aSn5ZKM5biC", "!!binary"),
        ("s: !!set {a, b}", "!!set"),
        ("o: !!omap [a: 1, b: 2]", "!!omap"),
        ("p: !!pairs [a: 1]", "!!pairs"),
        ("- !!python/object/apply:os.system ['true']", "!!python/object/apply:os.system"),
        ("x: !!python/bytes YQ==", "!!python/bytes"),
    ],
)
def test_yaml_types_other_than_plain_data_are_refused(text: str, tag: str) -> None:
    message = yaml_error(text)
    assert f"{tag} は使えません" in message and "YAML type not allowed" in message
    assert "(line 1)" in message


def test_yaml_plain_types_are_read() -> None:
    import datetime as dt

    from helpers.data.reading import load_yaml

    text = "s: text\ni: 1\nf: 1.5\nb: true\nn: null\nd: 2026-11-30\nl: [1]\nm: {k: v}\n"
    text += "e: !!str 12\n"
    assert load_yaml(text) == {
        "s": "text",
        "i": 1,
        "f": 1.5,
        "b": True,
        "n": None,
        "d": dt.date(2026, 11, 30),
        "l": [1],
        "m": {"k": "v"},
        "e": "12",
    }


def test_city_yaml_with_a_binary_name_or_a_repeated_key_is_a_problem(tmp_path: Path) -> None:
    folder = copy_folder(BUNDLED, tmp_path)
    path = folder / "city.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("name: 東大和市", "name: !!binary 5p2x5aSn5ZKM5biC"), "utf-8")
    problems = validate_folder(folder)
    assert [(p.file, p.row, p.code) for p in problems] == [("city.yaml", 5, "bad_config")]
    assert "!!binary" in problems[0].message and "b'" not in problems[0].message
    twice = original.replace("  name: 東大和市\n", "  name: 東大和市\n  name: 偽市\n")
    path.write_text(twice, "utf-8")
    problems = validate_folder(folder)
    assert [(p.file, p.row, p.code) for p in problems] == [("city.yaml", 6, "bad_config")]
    assert "キー「name」" in problems[0].message
