"""The indicator tables (indicators.csv, indicator_targets.csv, actuals.csv) and the indicator
rules of city.yaml: how values are read as people type them, and one test per kind of bad input.

Bad inputs are made by copying the fictional example city (data/example-city) and editing one
cell, so each test shows which edit a check catches and where (file, Excel row, header) it says.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pytest
import yaml

from helpers.data import csv_to_workbook, load_city, validate_folder
from helpers.data.problems import Problem
from helpers.data.quantities import Quantity, QuantityError, is_no_value, parse_quantity

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "example-city"

Rows = list[list[str]]


@pytest.fixture
def city(tmp_path: Path) -> Path:
    dest = tmp_path / "example-city"
    shutil.copytree(EXAMPLE, dest)
    return dest


def read_rows(path: Path) -> Rows:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def write_rows(path: Path, rows: Rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(path: Path, excel_row: int, header: str, value: str) -> None:
    rows = read_rows(path)
    rows[excel_row - 1][rows[0].index(header)] = value
    write_rows(path, rows)


def cell(path: Path, excel_row: int, header: str) -> str:
    rows = read_rows(path)
    return rows[excel_row - 1][rows[0].index(header)]


def add_row(path: Path, values: dict[str, str]) -> int:
    """Append a row (cells by header) and return its Excel row number."""
    rows = read_rows(path)
    rows.append([values.get(h, "") for h in rows[0]])
    write_rows(path, rows)
    return len(rows)


def edit_config(folder: Path, change) -> None:
    path = folder / "city.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def errors(folder: Path) -> list[Problem]:
    return [p for p in validate_folder(folder) if p.severity == "error"]


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def row_of(path: Path, **match: str) -> int:
    """Excel row number of the first row whose cells (by header) equal ``match``."""
    rows = read_rows(path)
    for number, row in enumerate(rows[1:], start=2):
        if all(row[rows[0].index(h)] == v for h, v in match.items()):
            return number
    raise LookupError(match)


# --- reading values as people type them ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("95.0%", Quantity(95.0, "%")),
        ("95.0％", Quantity(95.0, "%")),
        ("９５．０％", Quantity(95.0, "%")),
        ("1,234件", Quantity(1234.0, "件")),
        ("１，２３４件", Quantity(1234.0, "件")),
        ("12,345,678", Quantity(12345678.0, None)),
        ("△5", Quantity(-5.0, None)),
        ("▲0.5ポイント", Quantity(-0.5, "ポイント")),
        ("−3", Quantity(-3.0, None)),
        ("-3", Quantity(-3.0, None)),
        ("+2", Quantity(2.0, None)),
        ("24 分", Quantity(24.0, "分")),
        ("0", Quantity(0.0, None)),
    ],
)
def test_values_are_read_as_typed(text: str, expected: Quantity) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("約95%", "数字で書いてください"),
        ("九十五", "数字で書いてください"),
        ("12,34", "3桁ごと"),
        ("1,2345", "3桁ごと"),
        ("1e3", "1つの数値"),
        ("95%〜98%", "1つの数値"),
        ("", "数字で書いてください"),
    ],
)
def test_values_that_are_not_numbers_are_refused(text: str, says: str) -> None:
    with pytest.raises(QuantityError, match=says):
        parse_quantity(text)


@pytest.mark.parametrize("text", ["-", "−", "―", "ー", "－", " - "])
def test_a_dash_alone_means_no_value(text: str) -> None:
    assert is_no_value(text)
    assert not is_no_value("-5")


# --- the example city loads ---------------------------------------------------------------


def test_example_city_is_valid_and_typed() -> None:
    assert validate_folder(EXAMPLE) == []
    city = load_city(EXAMPLE)
    assert city.city["name"] == "架空市"
    ind = city.indicators.set_index(["plan_id", "indicator_id", "series"], drop=False)
    assert ind.loc[("2", "2-3", None), "baseline"] == 12400.0  # "12,400"
    assert ind.loc[("2", "2-1", None), "target"] == 100.0  # "100%"
    assert ind.loc[("2", "2-2", None), "direction"] == "lower"
    assert ind.loc[("2", "2-2", None), "rule"] == "sabc"  # its own rule
    assert ind.loc[("2", "2-1", None), "rule"] == "ratio4"  # the plan's rule, filled in
    assert ind.loc[("1", "1-1", None), "rule"] == "movement4"
    assert set(ind.loc[ind["indicator_id"] == "2-4", "series"]) == {"小学生", "中学生"}
    assert set(city.indicators["combine"]) == {"worst"}
    actuals = city.actuals
    dash = actuals.loc[(actuals["indicator_id"] == "2-5") & (actuals["fiscal_year"] == 2024)]
    assert math.isnan(dash["value"].iloc[0])  # "-": not known
    assert dash["published_rating"].iloc[0] == "−"
    assert actuals["value_status"].dropna().isin(["final", "preliminary"]).all()
    assert actuals.loc[actuals["value_status"] == "preliminary", "indicator_id"].tolist() == ["2-6"]
    assert city.indicator_targets["target"].tolist() == [50.0, 65.0, 80.0, 90.0]
    assert set(city.indicator_rules) == {"movement4", "ratio4", "sabc"}
    sabc = city.indicator_rules["sabc"]
    assert (sabc.kind, sabc.tolerance, sabc.relative) == ("movement", 0.1, True)
    assert sabc.codes() == ("S", "A", "B", "C", "−")
    ratio = city.indicator_rules["ratio4"]
    assert [lv.min for lv in ratio.levels] == [1.0, 0.8, 0.5, None, None]


def test_folders_without_indicators_stay_valid() -> None:
    for folder in (REPO / "data" / "higashiyamato", REPO / "tests" / "fixtures" / "sample_city"):
        assert errors(folder) == []
        city = load_city(folder)
        assert city.indicators.empty and city.actuals.empty and city.indicator_rules == {}
        assert list(city.actuals.columns)[:4] == [
            "plan_id",
            "indicator_id",
            "series",
            "fiscal_year",
        ]


def test_cp932_and_workbook_load_the_same(city: Path, tmp_path: Path) -> None:
    for name in ("indicators.csv", "actuals.csv"):
        path = city / name
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp932"))
    expected = load_city(EXAMPLE)
    for folder in (city, csv_to_workbook(EXAMPLE, tmp_path / "wb").parent):
        loaded = load_city(folder)
        for table in ("indicators", "indicator_targets", "actuals"):
            assert getattr(loaded, table).equals(getattr(expected, table)), (folder, table)


def test_an_actual_dated_by_as_of_gets_its_fiscal_year(city: Path) -> None:
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-6", 年度="令和6年度")
    set_cell(path, row, "年度", "")
    set_cell(path, row, "時点", "令和7年3月31日")
    assert errors(city) == []
    actuals = load_city(city).actuals
    dated = actuals.loc[actuals["as_of"] == "令和7年3月31日"]
    assert dated["fiscal_year"].tolist() == [2024]


# --- one test per kind of bad input ---------------------------------------------------------


def test_unknown_indicator_and_series(city: Path) -> None:
    path = city / "actuals.csv"
    bad_id = add_row(path, {"計画ID": "2", "指標ID": "2-99", "年度": "令和6年度", "実績値": "1"})
    bad_series = add_row(
        path, {"計画ID": "2", "指標ID": "2-4", "系列": "高校生", "年度": "令和6年度", "実績値": "1"}
    )
    no_series = add_row(path, {"計画ID": "2", "指標ID": "2-4", "年度": "令和6年度", "実績値": "1"})
    found = [p for p in errors(city) if p.code == "unknown_indicator"]
    assert [(p.file, p.row, p.column) for p in found] == [
        ("actuals.csv", bad_id, "指標ID"),
        ("actuals.csv", bad_series, "系列"),
        ("actuals.csv", no_series, "系列"),
    ]
    assert "2-1" in found[0].message  # what is allowed
    assert "小学生" in found[1].message and "中学生" in found[1].message


def test_unit_mismatch(city: Path) -> None:
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-3", 年度="令和6年度")
    set_cell(path, row, "実績値", "24,010人")
    problem = only(errors(city), "unit_mismatch")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "actuals.csv",
        row,
        "実績値",
        "24,010人",
    )
    assert "「件」" in problem.message


def test_unit_mismatch_in_indicators(city: Path) -> None:
    path = city / "indicators.csv"
    row = row_of(path, 指標ID="2-2")
    set_cell(path, row, "目標値", "15秒")
    problem = only(errors(city), "unit_mismatch")
    assert (problem.file, problem.row, problem.column) == ("indicators.csv", row, "目標値")


def test_actual_before_the_baseline_year(city: Path) -> None:
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-6", 年度="令和4年度")
    set_cell(path, row, "年度", "令和2年度")
    problem = only(errors(city), "before_baseline")
    assert (problem.row, problem.column, problem.value) == (row, "年度", "2020")
    assert "2021" in problem.message


def test_duplicate_year(city: Path) -> None:
    path = city / "actuals.csv"
    first = row_of(path, 指標ID="2-6", 年度="令和5年度")
    dup = add_row(path, {"計画ID": "2", "指標ID": "2-6", "年度": "令和5年度", "実績値": "22%"})
    problem = only(errors(city), "duplicate_key")
    assert (problem.row, problem.column) == (dup, "年度")
    assert f"{first}行目" in problem.message


def test_duplicate_year_through_an_as_of_date(city: Path) -> None:
    path = city / "actuals.csv"
    dup = add_row(path, {"計画ID": "2", "指標ID": "2-6", "時点": "令和6年3月31日", "実績値": "22%"})
    problem = only(errors(city), "duplicate_key")
    assert problem.row == dup


def test_actual_needs_a_year_or_a_date(city: Path) -> None:
    path = city / "actuals.csv"
    row = add_row(path, {"計画ID": "2", "指標ID": "2-6", "実績値": "22%"})
    calendar = add_row(path, {"計画ID": "2", "指標ID": "2-6", "時点": "令和6年", "実績値": "22%"})
    found = [p for p in errors(city) if p.code == "required_value"]
    assert [(p.row, p.column) for p in found] == [(row, "年度"), (calendar, "年度")]
    assert "またがります" in found[1].message


def test_target_equal_to_baseline_under_a_ratio_against_the_baseline(city: Path) -> None:
    def progress(data: dict) -> None:
        data["indicator_rules"]["ratio4"]["basis"] = "progress"

    edit_config(city, progress)
    path = city / "indicators.csv"
    row = row_of(path, 指標ID="2-6")
    set_cell(path, row, "目標値", "5.0%")  # the baseline
    set_cell(path, row, "方向", "高いほど良い")
    problem = only(errors(city), "target_equals_baseline")
    assert (problem.file, problem.row, problem.column) == ("indicators.csv", row, "目標値")
    # an interim target equal to the baseline is just as impossible to divide by
    add_row(
        city / "indicator_targets.csv",
        {"計画ID": "2", "指標ID": "2-3", "年度": "令和6年度", "目標値": "12,400"},
    )
    found = [p for p in errors(city) if p.code == "target_equals_baseline"]
    assert [p.file for p in found] == ["indicators.csv", "indicator_targets.csv"]


def test_a_ratio_against_the_target_needs_a_target_above_zero(city: Path) -> None:
    path = city / "indicators.csv"
    row = row_of(path, 指標ID="2-6")
    set_cell(path, row, "目標値", "0%")
    set_cell(path, row, "方向", "高いほど良い")
    problem = only(errors(city), "bad_target")
    assert (problem.row, problem.column) == (row, "目標値")


@pytest.mark.parametrize("value", ["約50%", "五十", "50%から60%", "12,34"])
def test_non_numeric_values(city: Path, value: str) -> None:
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-6", 年度="令和6年度")
    set_cell(path, row, "実績値", value)
    problem = only(errors(city), "not_number")
    assert (problem.row, problem.column, problem.value) == (row, "実績値", value)
    assert problem.message.startswith("「実績値」")


def test_direction(city: Path) -> None:
    path = city / "indicators.csv"
    unknown = row_of(path, 指標ID="2-6")
    set_cell(path, unknown, "方向", "")
    set_cell(path, unknown, "目標値", "5.0%")  # equal to the baseline: no direction follows
    conflict = row_of(path, 指標ID="1-1")
    set_cell(path, conflict, "方向", "低いほど良い")  # target 180 > baseline 152
    bad = row_of(path, 指標ID="1-2")
    set_cell(path, bad, "方向", "右肩上がり")
    problems = validate_folder(city)
    assert only(problems, "missing_direction").row == unknown
    warning = only(problems, "direction_conflict")
    assert (warning.row, warning.severity) == (conflict, "warning")
    not_allowed = only(problems, "not_allowed")
    assert (not_allowed.row, not_allowed.column) == (bad, "方向")
    assert "高いほど良い" in not_allowed.message


def test_direction_follows_from_baseline_and_target(city: Path) -> None:
    path = city / "indicators.csv"
    set_cell(path, row_of(path, 指標ID="2-7"), "方向", "")
    set_cell(path, row_of(path, 指標ID="2-6"), "方向", "")
    ind = load_city(city).indicators.set_index("indicator_id")
    assert ind.loc["2-7", "direction"] == "lower"  # 420 -> 250
    assert ind.loc["2-6", "direction"] == "higher"  # 5 -> 40


def test_rules_are_named_and_exist(city: Path) -> None:
    plans = city / "plans.csv"
    set_cell(plans, 3, "指標の評価基準", "no_such_rule")
    indicators = city / "indicators.csv"
    set_cell(indicators, row_of(indicators, 指標ID="2-2"), "評価基準", "sabcd")
    set_cell(plans, 2, "指標の評価基準", "")
    found = errors(city)
    assert [(p.file, p.row, p.code) for p in found if p.code == "unknown_rule"] == [
        ("plans.csv", 3, "unknown_rule"),
        ("indicators.csv", row_of(indicators, 指標ID="2-2"), "unknown_rule"),
    ]
    without = [p for p in found if p.code == "indicator_without_rule"]
    assert {p.row for p in without} == {row_of(indicators, 指標ID=f"1-{n}") for n in (1, 2, 3, 4)}
    # indicators of the plan whose rule is unknown are not reported a second time
    assert not [
        p
        for p in found
        if p.code == "unknown_rule" and p.value == "no_such_rule" and p.file == "indicators.csv"
    ]


def test_published_rating_must_be_a_level_of_the_rule(city: Path) -> None:
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-2", 年度="令和6年度")
    set_cell(path, row, "公表評価", "D")  # a level of ratio4, not of sabc
    problem = only(errors(city), "unknown_rating")
    assert (problem.row, problem.column, problem.value) == (row, "公表評価", "D")
    assert "S, A, B, C, −" in problem.message


def test_published_rating_by_label_is_read_as_its_code(city: Path) -> None:
    def label(data: dict) -> None:
        data["indicator_rules"]["ratio4"]["levels"][1]["label"] = "B(概ね達成)"

    edit_config(city, label)
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-6", 年度="令和6年度")
    set_cell(path, row, "公表評価", "B(概ね達成)")
    actuals = load_city(city).actuals
    assert actuals.loc[row - 2, "published_rating"] == "B"


def test_series_must_agree(city: Path) -> None:
    path = city / "indicators.csv"
    row = row_of(path, 指標ID="2-4", 系列="中学生")
    set_cell(path, row, "単位", "人")
    set_cell(path, row, "基準値", "84.0")
    set_cell(path, row, "目標値", "100")
    actuals = city / "actuals.csv"
    for r in (row_of(actuals, 指標ID="2-4", 系列="中学生"),):
        set_cell(actuals, r, "実績値", cell(actuals, r, "実績値").rstrip("%"))
    problem = only(errors(city), "series_mismatch")
    assert (problem.row, problem.column) == (row, "単位")


def test_one_published_rating_per_indicator_and_year(city: Path) -> None:
    path = city / "actuals.csv"
    row = row_of(path, 指標ID="2-4", 系列="中学生", 年度="令和6年度")
    set_cell(path, row, "公表評価", "B")  # 小学生 says C
    problem = only(errors(city), "series_mismatch")
    assert (problem.row, problem.column) == (row, "公表評価")


def test_a_blank_series_among_named_ones(city: Path) -> None:
    path = city / "indicators.csv"
    set_cell(path, row_of(path, 指標ID="2-4", 系列="中学生"), "系列", "")
    found = [p for p in errors(city) if p.code == "series_mismatch"]
    assert found and found[0].column == "系列"


def test_mean_of_series_needs_a_ratio_rule(city: Path) -> None:
    path = city / "indicators.csv"
    row = row_of(path, 指標ID="1-1")
    set_cell(path, row, "系列の統合", "平均")
    problem = only(errors(city), "combine_not_allowed")
    assert (problem.row, problem.column) == (row, "系列の統合")


def test_rule_needs_its_values(city: Path) -> None:
    path = city / "indicators.csv"
    movement = row_of(path, 指標ID="1-1")
    set_cell(path, movement, "基準値", "")
    set_cell(path, movement, "基準年度", "")
    ratio = row_of(path, 指標ID="2-6")
    set_cell(path, ratio, "目標年度", "")
    found = [p for p in errors(city) if p.code == "indicator_incomplete"]
    assert [(p.row, p.column) for p in found] == [(movement, "基準値"), (ratio, "目標年度")]


def test_target_year_before_baseline_year(city: Path) -> None:
    path = city / "indicators.csv"
    row = row_of(path, 指標ID="2-6")
    set_cell(path, row, "目標年度", "令和2年度")
    problem = only(errors(city), "period_order")
    assert (problem.file, problem.row, problem.column) == ("indicators.csv", row, "目標年度")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda r: r["movement4"].pop("kind"), "kind は movement か ratio"),
        (lambda r: r["movement4"]["levels"].pop(), "when: missing"),
        (lambda r: r["movement4"]["levels"].reverse(), "良い順"),
        (lambda r: r["movement4"]["levels"][0].update(when="best"), "allowed: target_met"),
        (lambda r: r["movement4"].update(tolerance="±5"), "0 以上の数"),
        (lambda r: r["ratio4"]["levels"][1].update(min="120%"), "大きい値"),
        (lambda r: r["ratio4"]["levels"][3].update(min="10%"), "最後の段階"),
        (lambda r: r["ratio4"].update(basis="difference"), "basis は target か progress"),
        (lambda r: r["ratio4"]["levels"][0].update(mn="100%"), "段階のキー mn"),
        (lambda r: r["ratio4"].update(bases="target"), "評価基準のキー bases は使えません"),
        (lambda r: r["ratio4"].update(tolerance=5), "tolerance は使えません"),
        (lambda r: r["sabc"]["levels"][1].update(code="S"), "重複"),
    ],
)
def test_bad_rules(city: Path, change, says: str) -> None:
    edit_config(city, lambda data: change(data["indicator_rules"]))
    problems = errors(city)
    rules = [p for p in problems if p.code == "bad_rule"]
    assert rules, problems
    assert all(p.file == "city.yaml" for p in rules)
    assert any(says in p.message for p in rules), [p.message for p in rules]
    # indicators naming a broken rule are not reported again as naming an unknown one
    assert not [p for p in problems if p.code in ("unknown_rule", "indicator_without_rule")]


def test_every_problem_at_once(city: Path) -> None:
    actuals = city / "actuals.csv"
    set_cell(actuals, row_of(actuals, 指標ID="2-3", 年度="令和6年度"), "実績値", "24,010人")
    set_cell(actuals, row_of(actuals, 指標ID="2-6", 年度="令和6年度"), "実績値", "約33%")
    set_cell(actuals, row_of(actuals, 指標ID="2-7", 年度="令和6年度"), "指標ID", "2-77")
    set_cell(actuals, row_of(actuals, 指標ID="2-2", 年度="令和6年度"), "公表評価", "AA")
    codes = [p.code for p in errors(city)]
    assert sorted(codes) == ["not_number", "unit_mismatch", "unknown_indicator", "unknown_rating"]


def test_cli_reports_indicator_problems(city: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers import cli

    path = city / "actuals.csv"
    set_cell(path, row_of(path, 指標ID="2-3", 年度="令和6年度"), "実績値", "24,010人")
    assert cli.main(["validate", str(city)]) == 1
    out = capsys.readouterr().out
    assert "actuals.csv" in out and "24,010人" in out and "「件」" in out


def test_workbook_percent_cells_read_as_shown(tmp_path: Path) -> None:
    """A value typed as 92.9% in Excel is stored as 0.929 with a percent format: it is read as
    92.9%, as a CSV saved by Excel holds it (only in indicator value columns)."""
    from openpyxl import load_workbook

    workbook = csv_to_workbook(EXAMPLE, tmp_path / "wb")
    book = load_workbook(workbook)
    sheet = book["actuals"]
    header = [c.value for c in sheet[1]]
    column = header.index("実績値") + 1
    target = next(
        r
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(r, header.index("指標ID") + 1).value == "2-6"
    )
    cell = sheet.cell(target, column)
    cell.value, cell.number_format = 0.12, "0.0%"
    year = sheet.cell(target, header.index("年度") + 1).value
    book.save(workbook)
    actuals = load_city(workbook.parent).actuals
    row = actuals.loc[(actuals["indicator_id"] == "2-6") & (actuals["fiscal_year"] == 2022)]
    assert year == "令和4年度"
    assert row["value"].tolist() == [12.0]
