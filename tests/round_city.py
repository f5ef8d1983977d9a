"""A fictional city ready for an evaluation round, made from a copy of tests/fixtures/sample_city.

:func:`make_round_city` copies the fixture and adds what a round needs: departments, directions
and the round's contacts in city.yaml, a 担当課 for every item of plan k2, and the department's
answers (一次評価, 評価理由, 実績, 課題, 今後の方向性) on the latest evaluation (令和5年度末), so a
new round (令和6年度末) has a previous evaluation to prefill from. The encodings of the fixture are
kept (items.csv cp932, statuses.csv UTF-8 with BOM).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "fixtures" / "sample_city"

ROUND_CONFIG = """
directions:
  - {code: 継続, description: これまでどおり続ける}
  - {code: 拡充, description: 対象や内容を広げる}
  - {code: 見直し, description: 方法や目標を見直す}
  - {code: 完了, description: 目的を達成したので終える}
  - {code: 廃止, description: 取組をやめる}
departments:
  - {id: shimin, name: 市民課}
  - {id: johoseisaku, name: 情報政策課}
  - {id: shokuin, name: 職員課}
round:
  secretariat: 総務部 情報政策課
  contact: 内線 1234
  committee: 架空市情報化推進委員会
"""

DEPARTMENTS: dict[tuple[str, int], str] = {
    ("k1", 1): "市民課",
    ("k1", 2): "情報政策課",
    ("k1", 3): "情報政策課",
    ("k2", 1): "市民課",
    ("k2", 2): "市民課",
    ("k2", 3): "職員課",
    ("k2", 4): "情報政策課",
    ("k2", 5): "情報政策課",
    ("k2", 6): "情報政策課",
    ("k2", 7): "職員課",
}

EVALUATION_HEADERS = [
    "担当課",
    "一次評価",
    "評価理由",
    "実績",
    "課題",
    "今後の方向性",
    "委員会意見",
]

#: The department's answers at 令和5年度末 (一次評価, 評価理由, 実績, 課題, 今後の方向性).
PREVIOUS_ANSWERS: dict[int, tuple[str, str, str, str, str]] = {
    1: ("上回って達成", "", "転入手続をオンライン化しました。", "", "拡充"),
    2: ("上回って達成", "", "全窓口で決済を導入しました。", "", "継続"),
    3: (
        "おおむね達成",
        "端末の配備が一部の課に残りました。",
        "端末を100台増やしました。",
        "",
        "拡充",
    ),
    4: ("おおむね達成", "対象業務が計画の9割でした。", "10業務を自動化しました。", "", "継続"),
    5: ("上回って達成", "", "統計20件を公開しました。", "", "継続"),
    6: (
        "遅れはあるがおおむね達成",
        "予算化が遅れました。",
        "仕様を検討しました。",
        "予算の確保",
        "見直し",
    ),
    7: ("おおむね達成", "検索語の改善が残りました。", "システムを更新しました。", "", "継続"),
}


def _rows(path: Path, encoding: str) -> list[list[str]]:
    text = path.read_bytes().decode(encoding)
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _write(path: Path, rows: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def make_round_city(dest: Path) -> Path:
    """Write the round-ready fictional city into ``dest`` (created) and return it."""
    shutil.copytree(SAMPLE, dest)
    with (dest / "city.yaml").open("a", encoding="utf-8") as handle:
        handle.write(ROUND_CONFIG)
    items = _rows(dest / "items.csv", "cp932")
    items[0].append("担当課")
    for row in items[1:]:
        row.append(DEPARTMENTS[(row[0], int(row[1]))])
    _write(dest / "items.csv", items, "cp932")
    statuses = _rows(dest / "statuses.csv", "utf-8-sig")
    statuses[0] += EVALUATION_HEADERS
    for row in statuses[1:]:
        if row[0] == "k2" and row[2] == "令和5年度末":
            self_rating, reason, results, challenges, direction = PREVIOUS_ANSWERS[int(row[1])]
            department = DEPARTMENTS[("k2", int(row[1]))]
            assert row[3] == self_rating  # the committee kept every department's rating
            row += [department, self_rating, reason, results, challenges, direction, ""]
    _write(dest / "statuses.csv", statuses, "utf-8-sig")
    return dest
