"""What the evaluation-round commands print: the workbooks made, the state of each department's
answers, and what ``--apply`` changed in the data folder.

Plain text tables for a terminal or a log (East Asian wide characters count two columns).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from helpers.data.evaluation_workbook import STATE_LABELS, Collection, workbook_name
from helpers.data.evaluations import (
    VALUE_STATUS_LABELS,
    AppliedFile,
    EvaluationRound,
)
from helpers.data.problems import format_problems, printable


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """Left-aligned columns; the last one is not padded."""
    widths = [max(_width(r[k]) for r in [header, *rows]) for k in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def _clip(text: str | None, limit: int = 24) -> str:
    value = (text or "").replace("\n", " ")
    out = ""
    for ch in value:
        if _width(out + ch) > limit - 1:
            return out + "…"
        out += ch
    return out


def started(round_: EvaluationRound, paths: Sequence[Path], out_dir: Path) -> str:
    """The workbooks ``round start`` wrote, one line per department."""
    rows = [
        [workbook_name(round_, d), d.name, f"{len(d.items)}項目", f"指標 {len(d.indicators)}"]
        for d in round_.departments
    ]
    lines = [
        f"{round_.as_of}の評価調査票を {len(paths)} 件作りました ({out_dir}):",
        text_table(["ファイル", "担当課", "項目", "指標"], rows, "  "),
    ]
    if round_.deadline:
        lines.append(f"提出期限: {round_.deadline}")
    lines.append(
        "各課へ送り、返ってきたファイルを1つのフォルダに集めて "
        "plan-report round collect <フォルダ> で確かめてください。"
    )
    return "\n".join(lines)


def collected(collection: Collection) -> str:
    """One table per department: each item's answers and whether they are complete."""
    round_ = collection.round
    if round_ is None:
        return ""
    blocks = [f"{round_.city_name} {round_.as_of}の評価調査票 ({len(collection.files)} ファイル)"]
    for result in collection.departments:
        department = result.department
        if result.duplicates:
            names = "、".join(printable(name) for name in result.duplicates)
            blocks.append(f"\n{department.name} ({department.id}): 調査票が複数あります ({names})")
            continue
        if not result.returned:
            blocks.append(f"\n{department.name} ({department.id}): 未提出 (no workbook)")
            continue
        # the file name is the sender's: a line break in it would forge a line of the log
        blocks.append(f"\n{department.name} ({department.id}): {printable(result.file)}")
        rows = []
        for item in result.items:
            state = STATE_LABELS[item.state]
            if item.missing:
                state += ": " + "、".join(item.missing)
            rows.append(
                [
                    item.item.plan_id,
                    str(item.item.item_no),
                    _clip(item.item.name, 22),
                    item.answers.get("self_rating") or "",
                    item.answers.get("direction") or "",
                    state,
                ]
            )
        header = ["計画", "番号", "項目", "一次評価", "今後の方向性", "状態"]
        blocks.append(text_table(header, rows, "  "))
        if result.indicators:
            rows = [
                [
                    r.indicator.indicator_id
                    + (f" {r.indicator.series}" if r.indicator.series else ""),
                    _clip(r.indicator.name, 22),
                    "" if r.value is None else f"{r.value:g}{r.indicator.unit or ''}",
                    VALUE_STATUS_LABELS[r.value_status] if r.value is not None else "",
                    "記入済み" if r.value is not None else "空欄",
                ]
                for r in result.indicators
            ]
            blocks.append(
                text_table(["指標", "指標名", "実績値", "速報・確定", "状態"], rows, "  ")
            )
    if collection.problems:
        blocks.append("\n問題 (problems):\n" + format_problems(collection.problems))
    blocks.append("\n" + collected_summary(collection))
    return "\n".join(blocks)


def collected_summary(collection: Collection) -> str:
    """One line: departments returned, items complete, unchanged and missing, problems."""
    departments = collection.departments
    items = [i for d in departments for i in d.items]
    expected = sum(len(d.department.items) for d in departments)
    returned = sum(d.returned for d in departments)
    complete = sum(i.state != "missing" for i in items)
    unchanged = sum(i.state == "unchanged" for i in items)
    errors = len(collection.errors)
    warnings = len(collection.problems) - errors
    return (
        f"提出 {returned}/{len(departments)} 課、記入済み {complete}/{expected} 項目"
        f" (うち前回と同じ {unchanged})、エラー {errors} 件、警告 {warnings} 件"
    )


def applied(collection: Collection, files: Sequence[AppliedFile], folder: Path) -> str:
    """What ``--apply`` appended, and how each item's rating moved."""
    round_ = collection.round
    assert round_ is not None
    lines = [f"{folder} に{round_.as_of}の評価を追記しました (earlier rows unchanged):"]
    for change in files:
        extra = (
            f"、見出しに {'、'.join(change.headers_added)} を追加" if change.headers_added else ""
        )
        made = " (新しいファイル)" if change.created else ""
        lines.append(f"  {change.file}{made}: {change.rows_added} 行を追加{extra}")
    rows = []
    for result in collection.departments:
        for item in result.items:
            previous = item.item.previous
            rows.append(
                [
                    result.department.name,
                    f"{item.item.plan_id}-{item.item.item_no}",
                    _clip(item.item.name, 20),
                    previous.status if previous else "—",
                    item.answers.get("self_rating") or "",
                    (previous.answers.get("direction") if previous else None) or "—",
                    item.answers.get("direction") or "",
                ]
            )
    header = [
        "担当課",
        "項目",
        "項目名",
        "前回の評価",
        "今回の評価",
        "前回の方向性",
        "今回の方向性",
    ]
    lines.append(text_table(header, rows, "  "))
    lines.append(
        "取組状況 (二次評価) は一次評価と同じ値で記録しました。"
        "委員会が評価を変えた項目と委員会意見は statuses.csv の今回の行に、"
        "計画全体への意見は opinions.csv に書いてください。"
    )
    return "\n".join(lines)
