"""The evaluation round's data: statuses.csv's optional columns, opinions.csv, city.yaml settings.

Each bad input edits one cell or key of a round-ready copy of the fictional city
(``tests/round_city.py``) and checks the problem's code and where it is reported.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from round_city import make_round_city

from helpers.data.city import load_city, validate_folder
from helpers.data.problems import Problem

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def city(tmp_path: Path) -> Path:
    return make_round_city(tmp_path / "kakuu")


def rows_of(path: Path, encoding: str) -> list[list[str]]:
    return [list(r) for r in csv.reader(io.StringIO(path.read_bytes().decode(encoding)))]


def edit_cell(path: Path, excel_row: int, header: str, value: str, encoding: str) -> None:
    rows = rows_of(path, encoding)
    rows[excel_row - 1][rows[0].index(header)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def edit_status(city: Path, excel_row: int, header: str, value: str) -> None:
    edit_cell(city / "statuses.csv", excel_row, header, value, "utf-8-sig")


def only(folder: Path, code: str) -> Problem:
    found = [p for p in validate_folder(folder) if p.code == code]
    assert len(found) == 1, validate_folder(folder)
    return found[0]


LAST_ROW = 24  # statuses.csv: k2 item 7 at 令和5年度末 (おおむね達成, with a reason)


def test_round_city_is_valid_and_loads_the_round_columns(city: Path) -> None:
    assert validate_folder(city) == []
    data = load_city(city)
    latest = data.statuses.loc[data.statuses["as_of"] == "令和5年度末"].set_index("item_no")
    assert latest.loc[6, "self_rating"] == "遅れはあるがおおむね達成"
    assert latest.loc[6, "reason"] == "予算化が遅れました。"
    assert latest.loc[6, "direction"] == "見直し"
    assert latest.loc[1, "department"] == "市民課"
    assert data.items.set_index(["plan_id", "item_no"]).loc[("k2", 3), "department"] == "職員課"
    assert data.directions["code"].tolist() == ["継続", "拡充", "見直し", "完了", "廃止"]
    assert data.departments.to_dict("records")[0] == {"id": "shimin", "name": "市民課"}
    assert data.round_settings["committee"] == "架空市情報化推進委員会"


def test_folders_without_round_columns_stay_valid() -> None:
    for folder in (REPO / "data" / "higashiyamato", REPO / "tests" / "fixtures" / "sample_city"):
        assert [p for p in validate_folder(folder) if p.severity == "error"] == []
        data = load_city(folder)
        assert data.opinions.empty and data.directions.empty and data.departments.empty
        assert data.statuses["self_rating"].isna().all()


def test_direction_not_in_config(city: Path) -> None:
    edit_status(city, LAST_ROW, "今後の方向性", "中止")
    problem = only(city, "unknown_direction")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "statuses.csv",
        LAST_ROW,
        "今後の方向性",
        "中止",
    )
    assert "継続, 拡充, 見直し, 完了, 廃止" in problem.message


def test_reason_required_below_the_top_level(city: Path) -> None:
    edit_status(city, LAST_ROW, "評価理由", "")
    problem = only(city, "reason_required")
    assert (problem.row, problem.column) == (LAST_ROW, "評価理由")
    assert "おおむね達成" in problem.message and "上回って達成" in problem.message


def test_reason_required_when_the_committee_lowers_a_top_rating(city: Path) -> None:
    row = 19  # item 2 at 令和5年度末: 上回って達成 by the department, no reason
    assert validate_folder(city) == []
    edit_status(city, row, "取組状況", "おおむね達成")
    assert only(city, "reason_required").row == row


def test_no_reason_needed_without_a_self_rating(city: Path) -> None:
    edit_status(city, LAST_ROW, "評価理由", "")
    edit_status(city, LAST_ROW, "一次評価", "")
    assert validate_folder(city) == []


def test_self_rating_must_be_a_level_of_the_plans_scale(city: Path) -> None:
    edit_status(city, LAST_ROW, "一次評価", "◎")
    problem = only(city, "status_not_in_scale")
    assert (problem.column, problem.value) == ("一次評価", "◎")
    assert problem.message.startswith("一次評価「◎」")


def test_unknown_department_of_an_item(city: Path) -> None:
    edit_cell(city / "items.csv", 5, "担当課", "企画課", "cp932")
    problem = only(city, "unknown_department")
    assert (problem.file, problem.row, problem.value) == ("items.csv", 5, "企画課")
    assert "市民課, 情報政策課, 職員課" in problem.message


def test_department_ids_must_be_ascii(city: Path) -> None:
    config = city / "city.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("id: shimin", "id: 市民"), encoding="utf-8"
    )
    problems = [p for p in validate_folder(city) if p.code == "bad_config"]
    assert [p.column for p in problems] == ["departments[0].id"]


def test_second_rating_header_is_accepted(city: Path) -> None:
    path = city / "statuses.csv"
    text = path.read_bytes().decode("utf-8-sig").replace("取組状況", "二次評価", 1)
    path.write_bytes(text.encode("utf-8-sig"))
    assert validate_folder(city) == []
    assert load_city(city).statuses["status"].notna().all()


def test_opinions_load_with_their_date(city: Path) -> None:
    (city / "opinions.csv").write_text(
        "計画ID,時点,番号,委員会,意見\r\n"
        "k2,令和5年度末,1,架空市情報化推進委員会,利用の広報を続けてください。\r\n"
        "k2,令和5年度末,2,,データの活用を期待します。\r\n",
        encoding="utf-8",
    )
    opinions = load_city(city).opinions
    assert opinions["opinion"].tolist() == [
        "利用の広報を続けてください。",
        "データの活用を期待します。",
    ]
    assert opinions["as_of_date"].tolist() == [pd.Timestamp("2024-03-31")] * 2


def test_opinions_checks(city: Path) -> None:
    (city / "opinions.csv").write_text(
        "計画ID,時点,番号,意見\r\nk9,令和5年度末,1,意見です。\r\nk2,令和5年度末,1,\r\n"
        "k2,令和5年度末,1,重複です。\r\n",
        encoding="utf-8",
    )
    codes = sorted(p.code for p in validate_folder(city))
    assert codes == ["duplicate_key", "required_value", "unknown_plan"]
