"""The bundled data states what the source document states, row by row.

Source: 第三次東大和市情報化推進計画 第3章 (pp. 9-18). The facts below were read off the
document by hand; any edit of data/higashiyamato/ that changes a figure, a name, a status, a
date or a page of the document makes one of these tests fail. The document itself is not
needed to run them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.data.city import CityData, load_city

BUNDLED = Path(__file__).resolve().parents[1] / "data" / "higashiyamato"

# item_no, name, target (取組目標), status (取組状況, 平成24年度末), page
ITEMS = [
    (1, "基幹系システムの更新と全体最適化", "実施", "達成", 10),
    (2, "事務用パソコン", "実施", "達成", 10),
    (3, "インターネット用パソコン", "実施", "達成", 10),
    (4, "個人認証・組織認証基盤", "検討", "達成", 10),
    (5, "財務会計システム", "実施", "達成", 11),
    (6, "グループウェア", "実施", "達成", 11),
    (7, "福祉総合システム", "実施", "達成", 11),
    (8, "文書総合管理システム", "検討", "一部達成", 11),
    (9, "統合型地理情報システム(GIS)", "検討", "未達成", 11),
    (10, "市公式ホームページ", "実施", "達成", 11),
    (11, "図書館コンピュータシステム", "実施", "達成", 11),
    (12, "電子申請・電子調達サービス", "実施", "一部達成", 11),
    (13, "総合窓口", "検討", "達成", 12),
    (14, "証明書自動交付機", "検討", "一部達成", 12),
    (15, "収納方法の多角化", "検討", "達成", 12),
    (16, "議会のインターネット中継", "検討", "達成", 12),
    (17, "小学校におけるコンピュータ教室", "実施", "達成", 12),
    (18, "小中学校における校内LAN", "検討", "達成", 12),
    (19, "施設予約・抽選システム", "検討", "一部達成", 12),
]

# item_no -> (start of 取組内容, 時期 as written or None, 時期の内容 or None)
DESCRIPTIONS = {
    1: ("運用コストの低減、業務の効率化", "平成23年1月", "稼働"),
    2: ("業務の電子化を進めるため", None, None),
    3: ("職員による情報収集や情報発信", None, None),
    4: ("住民基本台帳カード(ICカード)を利用した", None, None),
    5: ("予算編成から執行管理", "平成21年10月", "稼働"),
    6: ("会議室・庁用車の予約管理等", "平成21年10月", "稼働"),
    7: ("福祉系の各システム(生活保護、児童福祉等)", "平成23年1月", "稼働"),
    8: ("全ての行政文書を電子化し", None, None),
    9: ("地図データ等の共用空間データ", None, None),
    10: ("アクセシビリティやユーザビリティに配慮し", "平成24年11月", "稼働"),
    11: ("インターネットを介した蔵書のリアルタイム検索", "平成21年度", "更新"),
    12: ("電子申請サービスでは", "平成22年4月", "更新"),
    13: ("庁舎建物の構造上の問題等により", None, None),
    14: ("他の自治体の導入状況や費用対効果", None, None),
    15: ("市税等の収納方法の多角化を図るため", "平成22年4月", "導入"),
    16: ("議場に行かずとも審議を傍聴できる", "平成24年度", "導入"),
    17: ("情報教育の更なる充実を図るために", None, None),
    18: ("パソコン教室以外の普通教室での情報教育", "平成20年度末", "整備完了"),
    19: ("公民館、市民センター等の各公共施設", None, None),
}

# event_id -> (時期 as written or None, 年表掲載, page)
EVENTS = {
    "E01": ("昭和43年度", False, 9),
    "E02": ("平成4年度", True, 9),
    "E03": ("平成4年度", True, 9),
    "E04": ("平成4年度", False, 9),
    "E05": ("平成5年度", False, 9),
    "E06": ("平成7年度", True, 9),
    "E07": ("平成8年度", False, 9),
    "E08": ("平成9年度", False, 9),
    "E09": ("平成12年度", False, 9),
    "E10": ("平成12年度", True, 9),
    "E11": ("平成14年度", True, 9),
    "E12": ("平成15年度", False, 9),
    "E13": ("平成16年3月", False, 9),
    "E14": ("平成17年度", True, 14),
    "E15": (None, True, 13),
    "E16": (None, True, 13),
    "E17": ("平成20年度末", False, 12),
    "E18": ("平成21年3月", False, 10),
    "E19": ("平成21年10月", True, 11),
    "E20": ("平成21年10月", False, 11),
    "E21": ("平成21年度", False, 11),
    "E22": ("平成22年4月", False, 11),
    "E23": ("平成22年4月", False, 12),
    "E24": ("平成23年1月", True, 10),
    "E25": ("平成23年1月", True, 11),
    "E26": ("平成23年3月11日", False, 15),
    "E27": ("平成24年11月", True, 11),
    "E28": ("平成24年度", False, 12),
    "E29": ("平成25年5月", False, 15),
    "E30": (None, True, 13),
    # plan 1's measures that go live, listed on p9 without a year: "during plan 1"
    "E31": (None, False, 9),
    "E32": (None, False, 9),
    "E33": (None, False, 9),
}

# events the source places in a plan's period without a year (精度 計画期間中)
DURING_PLAN = {"E15": "1", "E31": "1", "E32": "1", "E33": "1"}


@pytest.fixture(scope="module")
def city() -> CityData:
    return load_city(BUNDLED)


def test_plans(city: CityData) -> None:
    plans = city.plans[
        ["plan_id", "name", "short_name", "start_fy", "end_fy", "formulated", "scale", "page"]
    ]
    assert plans.values.tolist() == [
        ["1", "東大和市情報化推進計画", "第一次計画", 2004, 2008, "平成16年3月", None, 9],
        [
            "2",
            "第二次東大和市情報化推進計画",
            "第二次計画",
            2009,
            2013,
            "平成21年3月",
            "achievement3",
            10,
        ],
    ]


def test_plan_1_has_goals_and_measures_but_no_items(city: CityData) -> None:
    assert city.goals[["plan_id", "goal_no", "goal"]].values.tolist() == [
        ["1", 1, "情報化基盤の整備"],
        ["1", 2, "行政運営の効率化"],
        ["1", 3, "市民サービスの充実"],
    ]
    measures = city.measures
    assert (measures["plan_id"] == "1").all()
    assert measures["measure_no"].tolist() == list(range(1, 10))
    assert measures["goal_no"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert measures["measure"].tolist()[4] == "総合行政ネットワーク(LGWAN)稼動"
    assert measures["measure"].tolist()[8] == "住民基本台帳ネットワークへの参加"
    assert (measures["page"] == 9).all()
    assert not (city.items["plan_id"] == "1").any()
    assert not (city.statuses["plan_id"] == "1").any()


def test_plan_2_items_row_by_row(city: CityData) -> None:
    items = city.items.loc[city.items["plan_id"] == "2"]
    statuses = city.statuses.set_index("item_no")["status"]
    got = [
        (row.item_no, row.name, row.target, statuses[row.item_no], row.page)
        for row in items.itertuples()
    ]
    assert got == ITEMS


def test_plan_2_descriptions_and_dates(city: CityData) -> None:
    for row in city.items.itertuples():
        start, written, kind = DESCRIPTIONS[row.item_no]
        assert row.description.startswith(start), row.item_no
        assert (row.date_written, row.date_kind) == (written, kind), row.item_no
        if written is not None:  # the date is the one the description gives
            assert written in row.description, row.item_no
    not_introduced = {
        r.item_no for r in city.items.itertuples() if "導入には至っていません" in r.description
    }
    assert not_introduced == {8, 9, 14, 19}


def test_plan_2_status_counts_and_snapshot(city: CityData) -> None:
    statuses = city.statuses
    assert len(statuses) == 19
    assert statuses["as_of"].unique().tolist() == ["平成24年度末"]
    assert statuses["as_of_date"].unique().tolist() == [pd.Timestamp("2013-03-31")]
    assert statuses["status"].value_counts().to_dict() == {"達成": 14, "一部達成": 4, "未達成": 1}
    partial = statuses.loc[statuses["status"] == "一部達成", "item_no"].tolist()
    assert partial == [8, 12, 14, 19]
    assert statuses.loc[statuses["status"] == "未達成", "item_no"].tolist() == [9]
    assert city.items["target"].value_counts().to_dict() == {"実施": 10, "検討": 9}


def test_reported_aggregates_match_the_item_table(city: CityData) -> None:
    reported = city.reported[["plan_id", "as_of", "measure", "value", "wording", "page"]]
    assert reported.values.tolist() == [
        ["1", None, "rate_strict", 0.4, "約4割", 10],
        ["2", "平成24年度末", "rate_incl_partial", 0.9, "概ね9割", 10],
    ]
    assert "約4割にとどまりました" in city.reported.loc[0, "quote"]
    assert "概ね9割となっています" in city.reported.loc[1, "quote"]
    # 概ね9割 (including partial) agrees with the item table: (14 + 4) / 19 = 0.947
    assert round((14 + 4) / 19, 1) == 0.9


def test_status_definitions(city: CityData) -> None:
    levels = city.scales["achievement3"].levels
    assert levels[["code", "order", "cls", "page"]].values.tolist() == [
        ["達成", 1, "achieved", 10],
        ["一部達成", 2, "partial", 10],
        ["未達成", 3, "not_achieved", 10],
    ]
    assert levels["definition"].tolist() == [
        "当初目標を概ね達成したもの",
        "取組目標の一部のみ達成したもの",
        "計画期間中に具体的な取り組みが行われていないもの",
    ]


def test_events_dates_chart_flags_and_pages(city: CityData) -> None:
    got = {
        row.event_id: (row.date_written, bool(row.in_chart), row.page)
        for row in city.events.itertuples()
    }
    assert got == EVENTS


def test_events_linked_to_items_share_their_dates(city: CityData) -> None:
    items = city.items.set_index(["plan_id", "item_no"])
    linked = city.events.dropna(subset=["item_no"])
    dated = {no for no, (_, written, _) in DESCRIPTIONS.items() if written is not None}
    assert sorted(linked["item_no"]) == sorted(dated)  # one event per dated item
    for row in linked.itertuples():
        assert items.loc[(row.plan_id, row.item_no), "date_written"] == row.date_written


def test_events_known_only_as_during_a_plan(city: CityData) -> None:
    during = city.events.loc[city.events["precision"] == "plan_period"]
    assert dict(zip(during["event_id"], during["period_plan_id"], strict=True)) == DURING_PLAN
    assert during["fiscal_year"].isna().all()
    measures = set(city.measures["measure"])
    for event_id in ("E31", "E32", "E33"):  # the wording of plan 1's measures on p9
        (text,) = during.loc[during["event_id"] == event_id, "event"]
        assert text in measures, text
