"""The yearly evaluation round on the fictional example city: start, fill in, collect, apply.

Workbooks are filled in with openpyxl as a department would (a cell at a time, then saved),
and every kind of bad workbook is made by one such edit. Every failing collect must name the
file, sheet and cell, exit non-zero and leave the data folder byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from round_kit import (
    AS_OF,
    DEADLINE,
    column,
    fill,
    fill_all,
    resave_with_libreoffice,
    workbook,
)

from helpers import cli
from helpers.data.city import load_city, validate_folder
from helpers.data.evaluation_workbook import (
    INDICATOR_COLUMNS,
    ITEM_COLUMNS,
    SHEET_GUIDE,
    SHEET_INDICATORS,
    SHEET_ITEMS,
    SHEET_META,
    collect_workbooks,
    workbook_bytes,
)
from helpers.data.evaluations import plan_round

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "example-city"


def folder_state(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` with the digest of its bytes."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the example city."""
    dest = tmp_path / "example-city"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture
def sent(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The round's workbooks as sent to the departments."""
    out = tmp_path / "sent"
    args = ["round", "start", AS_OF, "--data", str(data), "--deadline", DEADLINE]
    code, stdout, stderr = run([*args, "--out", str(out)], capsys)
    assert code == 0, stderr
    assert "5 件" in stdout
    return out


# --- start -------------------------------------------------------------------------------


def test_start_writes_one_workbook_per_department_with_its_items(sent: Path, data: Path) -> None:
    names = sorted(p.name for p in sent.iterdir())
    assert names == [
        f"evaluation-2025-{d}.xlsx" for d in ("johoseisaku", "kyoiku", "shimin", "shokuin", "somu")
    ]
    book = openpyxl.load_workbook(workbook(sent, "shimin"))
    assert book.sheetnames == [SHEET_GUIDE, SHEET_ITEMS, SHEET_META, SHEET_INDICATORS]
    items = book[SHEET_ITEMS]
    rows = list(items.iter_rows(min_row=2, values_only=True))
    city = load_city(data)
    mine = city.items.loc[(city.items["department"] == "市民課") & (city.items["plan_id"] == "2")]
    assert [(r[0], r[1]) for r in rows] == [("2", n) for n in mine["item_no"]]
    # prefilled with the previous evaluation (令和6年度末) of each item
    previous = city.statuses.loc[city.statuses["as_of"] == "令和6年度末"].set_index("item_no")
    for row in rows:
        assert row[column(ITEM_COLUMNS, "一次評価") - 1] == previous.loc[row[1], "self_rating"]
        assert row[column(ITEM_COLUMNS, "実績") - 1] == previous.loc[row[1], "results"]
        assert row[column(ITEM_COLUMNS, "前回の評価") - 1].startswith(
            previous.loc[row[1], "status"]
        )
    assert book[SHEET_META].sheet_state == "hidden"


def test_guide_sheet_says_what_to_do_in_polite_japanese(sent: Path) -> None:
    book = openpyxl.load_workbook(workbook(sent, "johoseisaku"))
    text = "\n".join(str(c.value) for c in book[SHEET_GUIDE]["A"] if c.value)
    assert "担当課：情報政策課" in text
    assert "提出期限：令和8年5月29日（2026年5月29日）" in text
    assert "提出先・問い合わせ先：総務部 情報政策課（架空）（内線 1234）" in text
    numbered = [line for line in text.splitlines() if line[:1].isdigit() and "。" in line]
    endings = [
        re.sub(r"（[^（）]*）$", "", sentence)
        for line in numbered
        for sentence in re.sub(r"（[^（）]*）", "", line).split("。")
        if sentence.strip()
    ]
    assert len(numbered) >= 6
    assert all(e.endswith(("ます", "ません", "ください", "です")) for e in endings), endings
    assert "完了：計画どおり完了した" in text  # the plan's levels with their definitions
    assert "見直し：方法や目標を見直す" in text


def choices(book: openpyxl.Workbook, validation: object) -> list[str]:
    """The values a list validation offers (a range of the hidden sheet)."""
    match = re.fullmatch(r"'?(.+?)'?!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", validation.formula1)
    assert match, validation.formula1
    sheet, letter, first, last = match.groups()
    return [book[sheet][f"{letter}{n}"].value for n in range(int(first), int(last) + 1)]


def test_lists_protection_wrapping_and_a4(sent: Path) -> None:
    book = openpyxl.load_workbook(workbook(sent, "johoseisaku"))
    items = book[SHEET_ITEMS]
    validations = {v.errorTitle: v for v in items.data_validations.dataValidation}
    rating = validations["一次評価"]
    assert rating.type == "list" and rating.showErrorMessage
    assert choices(book, rating) == ["完了", "実施中", "未着手"]
    assert str(rating.sqref) == "G2 G3 G4"
    directions = ["継続", "拡充", "見直し", "完了", "廃止"]
    assert choices(book, validations["今後の方向性"]) == directions
    assert items.protection.sheet
    assert items["A2"].protection.locked and items["C2"].protection.locked
    assert not items["G2"].protection.locked and not items["H2"].protection.locked
    assert items["H2"].alignment.wrap_text and items["D2"].alignment.wrap_text
    indicators = book[SHEET_INDICATORS]
    value = column(INDICATOR_COLUMNS, "実績値")
    assert not indicators.cell(2, value).protection.locked
    assert indicators.cell(2, 1).protection.locked
    for sheet in (items, indicators, book[SHEET_GUIDE]):
        assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert items.page_setup.orientation == "landscape"
    assert items.print_title_rows == "$1:$1"


def test_identical_input_gives_identical_bytes(data: Path) -> None:
    city = load_city(data)
    first = plan_round(city, AS_OF, deadline=DEADLINE)
    second = plan_round(load_city(data), AS_OF, deadline=DEADLINE)
    for left, right in zip(first.departments, second.departments, strict=True):
        assert workbook_bytes(first, left) == workbook_bytes(second, right)
    data_bytes = workbook_bytes(first, first.departments[0])
    with zipfile.ZipFile(__import__("io").BytesIO(data_bytes)) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "2000-01-01T00:00:00Z" in core
    changed = plan_round(city, AS_OF, deadline="2026-06-01")
    assert workbook_bytes(changed, changed.departments[0]) != data_bytes


def test_start_refuses_an_existing_evaluation_and_items_without_department(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["round", "start", "令和6年度末", "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2
    assert "令和6年度末の評価はすでに statuses.csv にあります" in err
    items = data / "items.csv"
    lines = items.read_text(encoding="utf-8").split("\n")
    lines = [line.removesuffix("市民課") if line.startswith("2,2,") else line for line in lines]
    items.write_text("\n".join(lines), encoding="utf-8")
    code, _, err = run(
        ["round", "start", AS_OF, "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2
    assert "担当課がありません" in err
    assert not (tmp_path / "o").exists()


# --- collect and apply ----------------------------------------------------------------------


def test_untouched_workbooks_are_complete_but_unchanged(
    sent: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = folder_state(data)
    code, out, _ = run(["round", "collect", str(sent), "--data", str(data)], capsys)
    assert code == 0
    assert out.count("記入済み(前回と同じ)") == 8
    assert "提出 5/5 課、記入済み 8/8 項目 (うち前回と同じ 8)" in out
    assert "dry run" in out
    assert folder_state(data) == before


def test_missing_answers_and_workbooks_are_listed_and_not_applied(
    sent: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def clear(book: openpyxl.Workbook) -> None:
        book[SHEET_ITEMS].cell(2, column(ITEM_COLUMNS, "実績")).value = None
        book[SHEET_ITEMS].cell(2, column(ITEM_COLUMNS, "今後の方向性")).value = None

    fill(workbook(sent, "shimin"), clear)
    workbook(sent, "somu").unlink()
    before = folder_state(data)
    code, out, _ = run(["round", "collect", str(sent), "--data", str(data)], capsys)
    assert code == 0
    assert "未記入: 実績、今後の方向性" in out
    assert "総務課 (somu): 未提出" in out
    code, _, err = run(["round", "collect", str(sent), "--data", str(data), "--apply"], capsys)
    assert code == 1
    assert "未提出の課か未記入の項目があるため、追記しません" in err
    assert folder_state(data) == before


def test_whole_round_appends_a_new_evaluation(
    sent: Path, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    returned = tmp_path / "returned"
    returned.mkdir()
    for path in sent.iterdir():  # departments rename their files
        shutil.copy(path, returned / f"回答-{path.stem.split('-')[-1]}.xlsx")
    fill_all(returned)
    statuses_before = (data / "statuses.csv").read_bytes()
    actuals_before = (data / "actuals.csv").read_bytes()
    code, out, err = run(
        ["round", "collect", str(returned), "--data", str(data), "--apply"], capsys
    )
    assert code == 0, err
    assert "statuses.csv: 8 行を追加" in out
    assert "actuals.csv: 8 行を追加" in out
    # the previous evaluations are unchanged byte for byte: the files only grew
    assert (data / "statuses.csv").read_bytes().startswith(statuses_before)
    assert (data / "actuals.csv").read_bytes().startswith(actuals_before)
    assert validate_folder(data) == []
    city = load_city(data)
    new = city.statuses.loc[city.statuses["as_of"] == AS_OF].set_index("item_no")
    assert len(new) == 8
    assert new.loc[8, "self_rating"] == "完了" and new.loc[8, "status"] == "完了"
    assert new.loc[8, "direction"] == "継続"
    assert new.loc[1, "results"] == "令和7年度は項目1を進めました。"
    assert new.loc[1, "reason"] == "対象の手続のうちオンライン化できたのは約6割です。"
    assert new.loc[2, "department"] == "市民課"
    actuals = city.actuals.loc[city.actuals["fiscal_year"] == 2025]
    assert len(actuals) == 8
    assert set(actuals["value_status"]) == {"preliminary"}
    # applying again is refused: the evaluation exists now
    before = folder_state(data)
    code, _, err = run(["round", "collect", str(returned), "--data", str(data), "--apply"], capsys)
    assert code == 1
    assert "すでに statuses.csv にあります" in err
    assert folder_state(data) == before


def test_a_percentage_typed_into_a_number_cell(sent: Path, data: Path) -> None:
    def percent(book: openpyxl.Workbook) -> None:
        cell = book[SHEET_INDICATORS].cell(2, column(INDICATOR_COLUMNS, "実績値"))
        cell.value = 0.825  # Excel stores 82.5% typed into the cell like this
        cell.number_format = "0.0%"

    fill(workbook(sent, "johoseisaku"), percent)
    collection = collect_workbooks(sent, load_city(data))
    result = next(d for d in collection.departments if d.department.id == "johoseisaku")
    assert result.indicators[0].indicator.unit == "%"
    assert result.indicators[0].value == pytest.approx(82.5)


# --- bad workbooks: one edit each ----------------------------------------------------------


def _set(department: str, sheet: str, cell: str, value: object) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        def change(book: openpyxl.Workbook) -> None:
            book[sheet][cell] = value

        fill(workbook(folder, department), change)

    return edit


def _delete_row(folder: Path) -> None:
    fill(workbook(folder, "johoseisaku"), lambda book: book[SHEET_ITEMS].delete_rows(3))


def _rename_sheet(folder: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        book[SHEET_ITEMS].title = "評価シート"

    fill(workbook(folder, "shimin"), change)


def _insert_column(folder: Path) -> None:
    fill(workbook(folder, "shimin"), lambda book: book[SHEET_ITEMS].insert_cols(3))


def _duplicate_row(folder: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        sheet = book[SHEET_ITEMS]
        for col in range(1, len(ITEM_COLUMNS) + 1):
            sheet.cell(5, col, sheet.cell(2, col).value)

    fill(workbook(folder, "johoseisaku"), change)


def _copy_department(folder: Path) -> None:
    shutil.copy(workbook(folder, "shimin"), folder / "shimin-copy.xlsx")


def _not_a_round_workbook(folder: Path) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "計画ID"
    book.save(folder / "notes.xlsx")


def _broken_file(folder: Path) -> None:
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")


def _old_format(folder: Path) -> None:
    (folder / "answers.xls").write_bytes(b"\xd0\xcf\x11\xe0")


BAD_WORKBOOKS: dict[str, tuple[Callable[[Path], None], str, list[str]]] = {
    "edited key": (
        _set("johoseisaku", SHEET_ITEMS, "B2", 99),
        "edited_key",
        [
            "evaluation-2025-johoseisaku.xlsx [評価]",
            "項目番号 (B2)",
            "2-99",
            "allowed: 2-1, 2-5, 2-8",
        ],
    ),
    "item of another department": (
        _set("johoseisaku", SHEET_ITEMS, "B2", 2),
        "edited_key",
        ["項目番号 (B2)", "計画 2 項目 2 は市民課の項目です"],
    ),
    "deleted row": (_delete_row, "missing_row", ["[評価]", "項目 5", "行を削除しないでください"]),
    "duplicate row": (_duplicate_row, "edited_key", ["項目番号 (B5)", "2行目と同じ"]),
    "renamed sheet": (
        _rename_sheet,
        "edited_sheet",
        ["evaluation-2025-shimin.xlsx [評価]", "シート「評価」がありません"],
    ),
    "inserted column": (_insert_column, "edited_sheet", ["[評価]", "見出しが変わっています"]),
    "rating not in the list": (
        _set("shimin", SHEET_ITEMS, "G2", "ほぼ完了"),
        "not_in_list",
        ["一次評価 (G2)", "ほぼ完了", "allowed: 完了, 実施中, 未着手"],
    ),
    "direction not in the list": (
        _set("shimin", SHEET_ITEMS, "K3", "中止"),
        "not_in_list",
        ["今後の方向性 (K3)", "中止", "allowed: 継続, 拡充, 見直し, 完了, 廃止"],
    ),
    "reason missing": (
        _set("shokuin", SHEET_ITEMS, "G2", "実施中"),
        "reason_required",
        ["評価理由 (H2)", "最上位の「完了」ではない"],
    ),
    "text in a number cell": (
        _set("shimin", SHEET_INDICATORS, "K2", "約20分"),
        "not_number",
        [
            "evaluation-2025-shimin.xlsx [指標]",
            "実績値 (K2)",
            "約20分",
            "数値だけを入力してください",
        ],
    ),
    "value status not in the list": (
        _set("shimin", SHEET_INDICATORS, "L2", "見込"),
        "not_in_list",
        ["速報・確定 (L2)", "allowed: 速報, 確定"],
    ),
    "control character in an answer": (
        _set("kyoiku", SHEET_ITEMS, "I2", "授業を行いました。\u202egnp.exe"),
        "control_character",
        ["evaluation-2025-kyoiku.xlsx [評価]", "実績 (I2)", "U+202E"],
    ),
    "workbook of another round": (
        _set("somu", SHEET_META, "B3", "令和6年度末"),
        "other_round",
        ["別の回 令和6年度末"],
    ),
    "workbook of another city": (
        _set("somu", SHEET_META, "B2", "higashiyamato"),
        "other_round",
        ["別の回"],
    ),
    "unknown department": (
        _set("somu", SHEET_META, "B5", "kikaku"),
        "unknown_round_department",
        ["evaluation-2025-somu.xlsx", "この回の担当課ではありません"],
    ),
    "two workbooks for one department": (
        _copy_department,
        "duplicate_department",
        ["shimin-copy.xlsx", "evaluation-2025-shimin.xlsx", "市民課の調査票が 2 つあります"],
    ),
    "not a round workbook": (
        _not_a_round_workbook,
        "not_round_workbook",
        ["notes.xlsx", "評価調査票ではありません"],
    ),
    "not a workbook at all": (_broken_file, "not_round_workbook", ["broken.xlsx", "開けません"]),
    "old Excel format": (
        _old_format,
        "not_round_workbook",
        ["answers.xls", ".xlsx) で保存し直してください"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_WORKBOOKS))
def test_bad_workbook(
    case: str, sent: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit, code_name, fragments = BAD_WORKBOOKS[case]
    fill_all(sent)
    edit(sent)
    before = folder_state(data)
    collection = collect_workbooks(sent, load_city(data))
    assert code_name in {p.code for p in collection.errors}, collection.problems
    code, out, err = run(["round", "collect", str(sent), "--data", str(data), "--apply"], capsys)
    assert code == 1
    text = out + err
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "データフォルダは変更していません" in err
    assert "Traceback" not in text
    assert folder_state(data) == before


def test_an_edited_item_name_is_a_warning_and_not_applied(
    sent: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_all(sent)
    _set("shimin", SHEET_ITEMS, "C2", "窓口予約")(sent)
    code, out, _ = run(["round", "collect", str(sent), "--data", str(data), "--apply"], capsys)
    assert code == 0
    assert "警告: 項目名が変わっています" in out
    assert "窓口予約と呼出しの仕組み" in (data / "items.csv").read_text(encoding="utf-8")


def test_answers_that_cannot_be_written_leave_the_folder_untouched(
    sent: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statuses = data / "statuses.csv"
    statuses.write_bytes(statuses.read_text(encoding="utf-8").encode("cp932"))
    fill_all(sent)
    _set("shimin", SHEET_ITEMS, "I2", "窓口で🙂の表示を始めました。")(sent)
    before = folder_state(data)
    code, _, err = run(["round", "collect", str(sent), "--data", str(data), "--apply"], capsys)
    assert code == 1
    assert "Shift_JIS で書けません" in err
    assert folder_state(data) == before


def test_statuses_and_actuals_change_together_or_not_at_all(
    sent: Path, data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answers go to statuses.csv and actuals.csv; when the second cannot be replaced (a
    full disk, a file locked by Excel), the first is put back: no half-applied evaluation."""
    from helpers.data import evaluations

    fill_all(sent)
    before = folder_state(data)
    real_replace = os.replace
    calls: list[str] = []

    def failing_second(source: object, target: object) -> None:
        calls.append(Path(str(target)).name)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied", str(target))
        real_replace(source, target)

    monkeypatch.setattr(evaluations.os, "replace", failing_second)
    code, out, err = run(["round", "collect", str(sent), "--data", str(data), "--apply"], capsys)
    assert calls[:2] == ["statuses.csv", "actuals.csv"]
    assert code == 2
    assert "データフォルダは変更していません" in err
    assert "Traceback" not in out + err
    assert folder_state(data) == before
    assert not [p.name for p in data.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_workbook_saved_again_by_libreoffice_is_read(
    sent: Path, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_all(sent)
    resave_with_libreoffice(workbook(sent, "johoseisaku"), tmp_path)
    code, out, err = run(["round", "collect", str(sent), "--data", str(data), "--apply"], capsys)
    assert code == 0, out + err
    city = load_city(data)
    new = city.statuses.loc[city.statuses["as_of"] == AS_OF].set_index("item_no")
    assert new.loc[5, "results"] == "令和7年度は項目5を進めました。"
    assert new.loc[8, "self_rating"] == "完了"
