"""The open data contract: exact columns, UTF-8 with BOM, the reported-only plan, determinism."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.data import spreadsheet_formulas
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


# --- formulas (CSV injection) -----------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://example.invalid","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
    " =1+1",
]


@pytest.fixture(scope="module")
def hostile_city(tmp_path_factory: pytest.TempPathFactory) -> CityData:
    """The bundled data with formula-like item names, descriptions and an event."""
    folder = tmp_path_factory.mktemp("formulas") / "city"
    shutil.copytree(DATA, folder)
    items = folder / "items.csv"
    records = list(csv.reader(io.StringIO(items.read_text(encoding="utf-8-sig"), newline="")))
    name, description = records[0].index("項目名"), records[0].index("取組内容")
    for record, formula in zip(records[1:], FORMULAS, strict=False):
        record[name] = formula
        record[description] = "-" + formula
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    items.write_text(buffer.getvalue(), encoding="utf-8")
    return load_city(folder)


def test_text_cells_beginning_with_a_formula_character_are_neutralised(
    hostile_city: CityData,
) -> None:
    items = rows(opendata.open_data_files(hostile_city)["items.csv"])
    by_no = {int(r["item_no"]): r for r in items}
    for number, formula in enumerate(FORMULAS, start=1):
        stored = formula.strip()  # the loader strips cells
        assert by_no[number]["item_name"] == "'" + stored, number
        assert by_no[number]["description"] == "'" + ("-" + formula).strip(), number
    untouched = by_no[len(FORMULAS) + 1]
    assert not untouched["item_name"].startswith("'")
    # numbers stay numbers
    assert [int(r["item_no"]) for r in items] == list(range(1, 20))
    rates = rows(opendata.open_data_files(hostile_city)["achievement.csv"])
    assert float(rates[1]["rate_incl_partial"]) == pytest.approx(18 / 19)


def test_no_published_cell_begins_with_a_formula_character(hostile_city: CityData) -> None:
    for name, data in opendata.open_data_files(hostile_city).items():
        for record in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
            for cell in record:
                if cell and cell[0] in spreadsheet_formulas.FORMULA_TRIGGERS:
                    float(cell)  # only a plain number may start with + or -, e.g. -1
                    assert name != "columns.csv"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1", "-1"),
        ("+0.5", "+0.5"),
        ("-1.5e3", "-1.5e3"),
        ("-", "'-"),
        ("1-2", "1-2"),
        ("=1", "'=1"),
        ("\r=1", "'\r=1"),
        ("\x00", "'\x00"),
        ("　＝1", "'　＝1"),
        ("達成", "達成"),
        (None, None),
        (3, 3),
    ],
)
def test_neutralise_formula(value: object, expected: object) -> None:
    assert spreadsheet_formulas.neutralise_formula(value) == expected


def test_numeric_columns_are_never_prefixed() -> None:
    frame = pd.DataFrame(
        {"n": pd.Series([-1, 2], dtype="Int64"), "x": [-0.5, 1.0], "t": ["-x", "ok"]}
    )
    text = opendata.to_csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines() == ["n,x,t", "-1,-0.5,'-x", "2,1.0,ok"]


def test_columns_file_documents_the_neutralising(files: dict[str, bytes]) -> None:
    notes = {(r["file"], r["column"]): r["note"] for r in rows(files["columns.csv"])}
    assert opendata.FORMULA_NOTE in notes[("items.csv", "item_name")]
    assert opendata.FORMULA_NOTE in notes[("achievement.csv", "breakdown")]
    assert opendata.BREAKDOWN_NOTE in notes[("achievement.csv", "breakdown")]
    assert opendata.FORMULA_NOTE not in (notes[("items.csv", "item_no")] or "")
    assert opendata.FORMULA_NOTE not in (notes[("achievement.csv", "rate_strict")] or "")


def test_indicators_file_is_neutralised_too(tmp_path: Path) -> None:
    """Every file the module writes goes through the same writer: indicators.csv included."""
    folder = tmp_path / "city"
    shutil.copytree(DATA.parent / "example-city", folder)
    path = folder / "indicators.csv"
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    column = records[0].index("指標名")
    records[1][column] = '=HYPERLINK("http://example.invalid","x")'
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    files = opendata.open_data_files(load_city(folder))
    assert "indicators.csv" in files
    text = files["indicators.csv"].decode("utf-8-sig")
    assert "'=HYPERLINK(" in text and ",=HYPERLINK(" not in text
    notes = {(r["file"], r["column"]): r["note"] for r in rows(files["columns.csv"])}
    assert any(
        f == "indicators.csv" and opendata.FORMULA_NOTE in (n or "") for (f, _), n in notes.items()
    )
