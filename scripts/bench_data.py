"""Fictional data for ``make bench``: many plans that differ, or one plan with many items.

:func:`write_city` writes a data folder of a fictional city (ベンチ市, "bench city"; no real body)
in the format of ``data/README.md``: ``plans`` plans, each with its own number of items, target
levels, priority goals, statuses and events drawn from a seeded random generator, so every
report of the benchmark computes and draws different figures (no cache can flatter a result) and
every run draws the same ones. The configuration (rating scale, target levels, labels) is the
bundled city's, renamed.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "higashiyamato"
CITY_NAME = "ベンチ市"
STATUSES = ("達成", "一部達成", "未達成")
TARGETS = ("実施", "検討")
GOALS = ("情報化基盤の整備", "行政運営の効率化", "市民サービスの充実", "情報セキュリティの確保")
SUBJECTS = (
    "電子申請",
    "庁内ネットワーク",
    "基幹系システム",
    "ホームページ",
    "オープンデータ",
    "テレワーク",
    "窓口のキャッシュレス化",
    "文書管理",
    "施設予約",
    "防災情報の配信",
    "マイナンバーカードの活用",
    "AI・RPA",
)
ACTIONS = ("の導入", "の拡充", "の更新", "の検討", "の運用改善", "の標準化")


def era_year(year: int) -> str:
    """和暦 of a western (fiscal) year: 平成N (1989-2018) or 令和N (2019 on)."""
    if year >= 2019:
        return "令和元" if year == 2019 else f"令和{year - 2018}"
    return "平成元" if year == 1989 else f"平成{year - 1988}"


def era_month(year: int, month: int) -> str:
    """和暦 of a calendar month (令和 began on 1 May 2019)."""
    if (year, month) < (2019, 5):
        return f"平成{year - 1988}年{month}月"
    return f"{era_year(year)}年{month}月"


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _header(template: Path, name: str) -> list[str]:
    with (template / name).open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def write_city(
    folder: Path,
    plans: int = 50,
    items: tuple[int, int] = (12, 30),
    seed: int = 20261130,
    template: Path = TEMPLATE,
) -> Path:
    """Write the fictional city's data folder into ``folder`` and return it.

    ``items``: the smallest and largest number of items of a plan (a plan's count is drawn in
    between; equal bounds give every plan that many items). ``template``: the data folder whose
    configuration and column headers are used (the bundled city's).
    """
    generator = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    config = (template / "city.yaml").read_text(encoding="utf-8")
    config = config.replace("higashiyamato", "bench").replace("東大和", "ベンチ")
    (folder / "city.yaml").write_text(
        "# 架空の市 (ベンチマーク用に生成したデータ。実在の市・計画とは関係ありません)\n" + config,
        encoding="utf-8",
    )
    for name in ("glossary.csv",):
        if (template / name).exists():
            shutil.copyfile(template / name, folder / name)
    plan_rows, item_rows, status_rows, goal_rows, event_rows = [], [], [], [], []
    for number in range(1, plans + 1):
        plan_id = f"b{number:03d}"
        start = 1995 + (number % 25)
        end = start + 4
        plan_rows.append(
            [
                plan_id,
                f"{CITY_NAME}第{number}次情報化推進計画",
                f"第{number}次計画",
                f"{era_year(start)}年度",
                f"{era_year(end)}年度",
                era_month(start, 3),
                "achievement3",
                f"{CITY_NAME}情報化推進計画 評価報告書 (架空)",
                1,
            ]
        )
        goals = generator.randint(2, len(GOALS))
        for goal in range(1, goals + 1):
            goal_rows.append([plan_id, goal, GOALS[goal - 1], 1])
        count = generator.randint(*items)
        achieved_share = generator.uniform(0.3, 0.9)
        for item in range(1, count + 1):
            subject = generator.choice(SUBJECTS)
            action = generator.choice(ACTIONS)
            item_rows.append(
                [
                    plan_id,
                    item,
                    f"{subject}{action}",
                    generator.choice(TARGETS),
                    f"{subject}{action}を進めました(架空の取組 {plan_id}-{item})。",
                    generator.randint(1, goals),
                    "",
                    "",
                    1,
                ]
            )
            roll = generator.random()
            status = STATUSES[0 if roll < achieved_share else 1 if roll < 0.95 else 2]
            status_rows.append([plan_id, item, f"{era_year(end - 1)}年度末", status, 1])
        for event in range(1, 3):
            year = generator.randint(start, end)
            event_rows.append(
                [
                    f"B{number:03d}{event}",
                    f"{era_year(year)}年度",
                    "年度",
                    year,
                    "",
                    f"{generator.choice(SUBJECTS)}システム稼働",
                    "稼働",
                    plan_id,
                    "",
                    1,
                    1,
                    "",
                ]
            )
    _write(folder / "plans.csv", _header(template, "plans.csv"), plan_rows)
    _write(folder / "items.csv", _header(template, "items.csv"), item_rows)
    _write(folder / "statuses.csv", _header(template, "statuses.csv"), status_rows)
    _write(folder / "goals.csv", _header(template, "goals.csv"), goal_rows)
    _write(folder / "events.csv", _header(template, "events.csv"), event_rows)
    _write(folder / "measures.csv", _header(template, "measures.csv"), [])
    _write(folder / "reported.csv", _header(template, "reported.csv"), [])
    return folder
