"""Report sections (helpers.report) and the notebooks run with their default parameters."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import papermill as pm
import pytest

from helpers import report
from helpers.publish.html import Figure, Headlines, Table
from helpers.publish.sections import NotApplicable

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "higashiyamato"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def html_of(obj) -> str:
    return obj._repr_mimebundle_()["text/html"]


def table_of(section) -> Table:
    """The one table of a section (a table, or a stack of a sentence and a table)."""
    (table,) = [p for p in getattr(section, "parts", (section,)) if isinstance(p, Table)]
    return table


def text_of(obj) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(obj)))


def test_unknown_plan_id_names_the_allowed_values():
    with pytest.raises(report.ReportParameterError, match=r"「9」.*allowed: 1, 2"):
        report.plan_context(plan_id="9", data_dir=str(DATA))


def test_missing_data_folder_is_named():
    with pytest.raises(report.ReportParameterError, match="no-such-folder"):
        report.plan_context(plan_id="2", data_dir="no-such-folder")


def test_bad_as_of_is_rejected():
    with pytest.raises(report.ReportParameterError, match="as_of"):
        report.plan_context(plan_id="2", data_dir=str(DATA), as_of="平成24年13月")


def test_integer_plan_id_from_papermill_is_accepted():
    plan = report.plan_context(plan_id=2, data_dir=str(DATA))  # papermill -p plan_id 2 gives an int
    assert plan.plan_id == "2"


def test_plan_2_headline_figures_match_the_document():
    plan = report.plan_context(plan_id="2", data_dir=str(DATA))
    headline = plan.headline()
    assert isinstance(headline, Headlines)
    text = text_of(headline)
    assert "73.7" in text and "19項目中14項目" in text
    assert "94.7" in text and "19項目中18項目" in text
    assert "未達成" in text and "19項目中" in text


def test_plan_1_shows_its_reported_figure_only():
    plan = report.plan_context(plan_id="1", data_dir=str(DATA))
    text = text_of(plan.headline())
    assert "約4割" in text and "報告値" in text
    assert "%" not in text  # no computed rate invented for plan 1
    assert not isinstance(plan.status_figure(), Figure)
    measures = table_of(plan.item_table())
    assert len(measures.df) == 9


def test_plan_2_sections_are_figures_and_tables():
    plan = report.plan_context(plan_id="2", data_dir=str(DATA))
    for section in (plan.status_figure, plan.timeline_figure, plan.comparison_figure):
        assert isinstance(section(), Figure), section.__name__
    assert 'class="report-figure"' in html_of(plan.target_figure())
    items = table_of(plan.item_table())
    assert len(items.df) == 19
    assert items.df["取組状況"].value_counts().to_dict() == {"達成": 14, "一部達成": 4, "未達成": 1}


def test_item_table_shows_the_scales_labels_not_the_codes_of_the_csv():
    """statuses.csv holds codes (◎ △ ×); the reader sees the scale's labels (◎ 達成 …)."""
    fixture = ROOT / "tests" / "fixtures" / "sample_city"
    plan = report.plan_context(plan_id="k1", data_dir=str(fixture))
    shown = list(table_of(plan.item_table()).df["取組状況"])
    assert shown == ["◎ 達成", "△ 着手", "× 未着手"]


def test_scale_table_says_each_thing_once():
    """東大和市's levels are named like their classes (達成 / 達成): no second column saying it
    again; 架空市's ○ and △ levels, counted together, say so in the scale's own words."""
    bundled = report.plan_context(plan_id="2", data_dir=str(DATA)).scale_table().df
    assert list(bundled.columns) == ["取組状況", "定義（出典の記載）", "出典頁"]
    fixture = ROOT / "tests" / "fixtures" / "sample_city"
    kakuu = report.plan_context(plan_id="k1", data_dir=str(fixture)).scale_table().df
    together = "○ ほぼ達成・△ 着手"
    assert list(kakuu["区分"]) == ["◎ 達成", together, together, "× 未着手"]


def test_plan_source_line_leaves_out_what_plans_csv_does_not_give(tmp_path: Path):
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(ROOT / "tests" / "fixtures" / "sample_city", folder)
    plans = folder / "plans.csv"
    text = plans.read_text(encoding="utf-8")
    plans.write_text(text.replace(" 第2章,3\n", " 第2章,\n"), encoding="utf-8")
    page = text_of(report.plan_context(plan_id="k2", data_dir=str(folder)).sources())
    assert "計画の出典：架空市デジタル推進計画 評価報告書 第2章。" in page
    assert "<NA>" not in page and "nan" not in page


def test_as_of_before_any_snapshot_leaves_items_unrated():
    plan = report.plan_context(plan_id="2", data_dir=str(DATA), as_of="平成22年度末")
    assert set(table_of(plan.item_table()).df["取組状況"]) == {"未評価"}
    first_screen = text_of(plan.headline())
    assert "0項目中" not in first_screen
    assert "評価した項目がありません" in first_screen and "最初の評価は平成24年度末" in first_screen
    for section in (plan.status_figure, plan.target_figure, plan.history_figure):
        assert isinstance(section(), NotApplicable), section.__name__


def test_plan_2_first_screen_says_what_the_figures_mean():
    plan = report.plan_context(plan_id="2", data_dir=str(DATA))
    heading = html_of(plan.heading())
    assert "<h1" in heading and "第二次東大和市情報化推進計画 評価報告書" in heading
    assert "東大和市 第二次東大和市" not in heading  # the city is not named twice
    # evaluated at the end of FY H24 while the plan ran until the end of FY H25
    assert "計画期間の最終年度（平成25年度）が残っていました" in text_of(plan.heading())
    text = text_of(plan.headline())
    # 一部達成 items include ones 「導入には至っていません」: no claim that all 18 succeeded
    assert "何らかの成果" not in text
    assert "取組目標の一部のみ達成したもの" in text  # the scale's own definition, from city.yaml
    assert "「未達成」は「統合型地理情報システム（GIS）」の1項目です" in text


def test_each_plan_report_has_its_own_title():
    titles = {
        plan_id: re.search(
            r"<h1[^>]*>(.*?)</h1>", html_of(report.plan_context(plan_id, str(DATA)).heading())
        ).group(1)
        for plan_id in ("1", "2")
    }
    assert titles["1"] != titles["2"]
    assert titles["1"] == "東大和市情報化推進計画 評価報告書"


def test_plan_1_says_once_that_it_has_no_per_item_evaluation():
    plan = report.plan_context(plan_id="1", data_dir=str(DATA))
    inapplicable = [
        section.__name__
        for section in (
            plan.scale_table,
            plan.status_figure,
            plan.target_figure,
            plan.category_figure,
            plan.history_figure,
        )
        if isinstance(section(), NotApplicable)
    ]
    assert len(inapplicable) == 5  # left out of the published page, not repeated four times
    assert "項目ごとの評価は出典にありません" in text_of(plan.headline())


def test_reconciliation_reads_in_japanese_with_counts():
    plan = report.plan_context(plan_id="2", data_dir=str(DATA))
    page = html_of(plan.sources())
    text = text_of(plan.sources())
    for leftover in ("rate_incl_partial", "rate_strict", "numerator", "True", "False", "computed"):
        assert leftover not in page, leftover
    assert "概ね9割（90%）" in text and "94.7%（19項目中18項目）" in text
    assert "+4.7ポイント" in text and "±10ポイント" in text and "整合" in text
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page)
    assert len(headers) == len(set(headers))  # no four columns all named 指標
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", h) for h in headers), headers
    assert "抽出" not in text  # no note about how the text was extracted


def test_plan_1_sources_do_not_show_an_empty_reconciliation_table():
    plan = report.plan_context(plan_id="1", data_dir=str(DATA))
    page = html_of(plan.sources())
    assert "<table" not in page
    assert "照合できません" in text_of(plan.sources())


def test_target_levels_are_explained_from_the_citys_own_config():
    fixture = ROOT / "tests" / "fixtures" / "sample_city"
    plan = report.plan_context(plan_id="k2", data_dir=str(fixture))
    text = text_of(plan.target_figure())
    assert "「新規」（計画期間内に新たに実施する）" in text
    assert "実施」を目標" not in text
    bundled = text_of(report.plan_context(plan_id="2", data_dir=str(DATA)).target_figure())
    assert "「実施」（期間内に実施する）、「検討」（期間内に検討する）の2つ" in bundled


def test_inapplicable_sections_are_left_out_of_the_exported_page():
    from helpers.publish.export import export_html

    nb = nbformat.v4.new_notebook()
    skipped = report.plan_context(plan_id="1", data_dir=str(DATA)).status_figure()
    data, metadata = skipped._repr_mimebundle_()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## 残る節"),
        nbformat.v4.new_code_cell(
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": "<p>本文</p>"})]
        ),
        nbformat.v4.new_markdown_cell("## 除く節"),
        nbformat.v4.new_code_cell(
            outputs=[nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
        ),
    ]
    page = export_html(nb, title="t")
    assert "残る節" in page and "本文" in page
    assert "除く節" not in page and "section-not-applicable" not in page


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.parametrize("cwd", ["root", "notebooks"])
def test_notebook_runs_with_its_defaults(path: Path, cwd: str, tmp_path: Path):
    """Each notebook runs top to bottom with its defaults, from the repository root (the build)
    and from notebooks/ (JupyterLab), and shows no error, warning or stray text output."""
    nb = jupytext.read(path)
    src = tmp_path / f"{path.stem}.ipynb"
    nbformat.write(nb, src)
    out = tmp_path / f"{path.stem}.out.ipynb"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    pm.execute_notebook(
        src,
        out,
        kernel_name="python3",
        cwd=str(ROOT if cwd == "root" else ROOT / "notebooks"),
        progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    parameters = [c for c in executed.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] not in {"error", "stream"}, (cell.source, output)
    html = "".join(
        o.get("data", {}).get("text/html", "") for c in executed.cells for o in c.get("outputs", [])
    )
    assert "東大和市" in html


def test_other_city_with_its_own_scale_history_and_categories():
    fixture = ROOT / "tests" / "fixtures" / "sample_city"
    plan = report.plan_context(plan_id="k2", data_dir=str(fixture))
    assert isinstance(plan.history_figure(), Figure)
    assert isinstance(plan.category_figure(), Figure)
    scale = plan.scale_table()
    assert isinstance(scale, Table) and len(scale.df) == 4
    assert "上回って達成" in set(scale.df.iloc[:, 0])


# --- the index page ----------------------------------------------------------------------------


def write_set(tmp_path: Path, reports: str) -> Path:
    """A report set file over the bundled data, with the given ``reports:`` entries."""
    path = tmp_path / "reports.yaml"
    path.write_text(f"data: {DATA}\nreports:\n{reports}", encoding="utf-8")
    return path


INDEX_ENTRY = f"""  - name: index
    notebook: {ROOT / "notebooks" / "index.py"}
"""


def test_index_lists_the_reports_the_build_publishes(tmp_path: Path) -> None:
    """Entries without ``output`` (named after ``name``) and plans in period order."""
    config = write_set(
        tmp_path,
        f"""  - name: timeline
    notebook: {ROOT / "notebooks" / "timeline_report.py"}
  - name: plan-{{plan_id}}
    notebook: {ROOT / "notebooks" / "plan_report.py"}
    for_each: plan
    parameters:
      plan_id: "{{plan_id}}"
{INDEX_ENTRY}""",
    )
    index = report.index_context(data_dir=str(DATA), report_set=str(config))
    links = re.findall(r'<a href="([^"]+)">', html_of(index.report_list()))
    assert links == [
        "timeline.html",
        "timeline.pdf",
        "plan-1.html",
        "plan-1.pdf",
        "plan-2.html",
        "plan-2.pdf",
        "accessibility.html",  # the statement, made while the PDFs are printed
    ]


def test_index_without_pdfs_links_to_none(tmp_path: Path) -> None:
    timeline = f"  - name: timeline\n    notebook: {ROOT / 'notebooks' / 'timeline_report.py'}\n"
    config = write_set(tmp_path, timeline + INDEX_ENTRY)
    index = report.index_context(data_dir=str(DATA), report_set=str(config), pdf=False)
    page = html_of(index.report_list())
    assert 'href="timeline.html"' in page
    assert ".pdf" not in page


def test_index_with_a_broken_report_set_names_it(tmp_path: Path) -> None:
    config = write_set(tmp_path, "  - name: x\n    notebook: missing.py\n")
    with pytest.raises(report.ReportParameterError, match=r"missing\.py"):
        report.index_context(data_dir=str(DATA), report_set=str(config))


# --- publication metadata, navigation, glossary ------------------------------------------------

FIXTURE = ROOT / "tests" / "fixtures" / "sample_city"


def test_each_page_links_to_the_index_its_pdf_and_its_data():
    plan = report.plan_context("2", str(DATA), pdf=True, report_output="plan-2")
    links = re.findall(r'<a href="([^"]+)">', html_of(plan.heading()))
    assert links == [
        "index.html",
        "plan-2.pdf",
        "data/items.csv",
        "data/achievement.csv",
        "accessibility.html",  # with PDFs the build tests the pages and publishes the results
    ]
    nested = report.plan_context("2", str(DATA), pdf=False, report_output="plans/plan-2")
    links = re.findall(r'<a href="([^"]+)">', html_of(nested.heading()))
    assert links == ["../index.html", "../data/items.csv", "../data/achievement.csv"]
    timeline = report.timeline_context(str(DATA), pdf=True, report_output="timeline")
    links = re.findall(r'<a href="([^"]+)">', html_of(timeline.heading()))
    assert links == ["index.html", "timeline.pdf", "data/events.csv", "accessibility.html"]
    # in JupyterLab (no output name) there is nothing to link to
    assert "<nav" not in html_of(report.plan_context("2", str(DATA)).heading())


def test_publication_metadata_comes_from_the_data_folder():
    plan = report.plan_context("2", str(DATA))
    about = text_of(plan.about())
    for label in (
        "評価を行った者",
        "発行",
        "公表日",
        "問い合わせ先",
        "利用条件",
        "出典",
        "引用するとき",
    ):
        assert label in about, label
    assert "令和8年11月30日（2026年11月30日）" in about  # publication.published, both forms
    assert "『第二次東大和市情報化推進計画 評価報告書』" in about  # how to cite this report
    assert "9～18頁" in about
    fictional = report.plan_context("k2", str(FIXTURE))
    page = html_of(fictional.about())
    assert "総務部 デジタル推進課" in page and "電話 000-000-0000" in page
    assert '<a href="https://creativecommons.org/licenses/by/4.0/deed.ja">' in page
    assert '<a href="https://www.city.kakuu.example/digital/plan-review.html">' in page
    assert "発行：架空市 総務部 デジタル推進課" in text_of(fictional.heading())


def test_glossary_explains_the_terms_each_page_uses():
    plan_1 = report.plan_context("1", str(DATA)).glossary()
    plan_2 = report.plan_context("2", str(DATA)).glossary()
    assert isinstance(plan_1, Table) and isinstance(plan_2, Table)
    terms_1 = " ".join(plan_1.df["用語"])
    terms_2 = " ".join(plan_2.df["用語"])
    assert "LGWAN" in terms_1 and "公的個人認証サービス" in terms_1  # plan 1's measures
    assert "GIS" in terms_2 and "グループウェア" in terms_2 and "CMS" not in terms_2
    assert "例規集" in terms_1 and "例規集" not in terms_2  # only terms the page uses
    for definition in plan_2.df["説明"]:
        assert definition.endswith("。")  # sentences for citizens, です・ます
    assert "RPA" in " ".join(report.plan_context("k2", str(FIXTURE)).glossary().df["用語"])


def test_index_says_what_the_plans_are_who_evaluated_them_and_when(tmp_path: Path):
    timeline = f"  - name: timeline\n    notebook: {ROOT / 'notebooks' / 'timeline_report.py'}\n"
    index = report.index_context(str(DATA), str(write_set(tmp_path, timeline + INDEX_ENTRY)))
    heading = html_of(index.heading())
    assert re.search(r"<h1[^>]*>東大和市 情報化推進計画の評価</h1>", heading)
    lead = re.search(r'<p class="report-lead">(.*?)</p>', heading).group(1)
    assert "第一次計画（平成16年度～平成20年度）と第二次計画（平成21年度～平成25年度）" in lead
    assert "東大和市が「第三次東大和市情報化推進計画 第3章 東大和市の情報化」で" in lead
    assert "第二次計画は平成24年度末時点" in lead and lead.count("。") == 1


def test_another_citys_words_come_from_its_config(tmp_path: Path):
    timeline = report.timeline_context(str(FIXTURE))
    assert timeline.title == "架空市 主なデジタル化の取組の年表"
    config = tmp_path / "reports.yaml"
    config.write_text(f"data: {FIXTURE}\nreports:\n{INDEX_ENTRY}", encoding="utf-8")
    index = report.index_context(str(FIXTURE), str(config))
    assert index.title == "架空市 デジタル推進計画の評価"
    lead = text_of(index.heading())
    assert "架空市のデジタル推進計画のうち" in lead and "情報化推進計画" not in lead
    assert "架空市 デジタル推進本部が" in lead


def test_the_build_tells_each_report_its_own_output(tmp_path: Path):
    from helpers.publish import reportset

    report_set = reportset.load_report_set(ROOT / "notebooks" / "reports.yaml")
    by_name = {spec.name: spec for spec in report_set.reports}
    assert by_name["plan-2"].parameters["report_output"] == "plan-2"
    assert by_name["timeline"].parameters["report_output"] == "timeline"
    assert "report_output" not in by_name["index"].parameters  # the index does not declare it
    entry = (
        f"  - name: t\n    notebook: {ROOT / 'notebooks' / 'timeline_report.py'}\n"
        "    parameters:\n      report_output: other\n"
    )
    with pytest.raises(reportset.ConfigError, match="set by the build"):
        reportset.load_report_set(write_set(tmp_path, entry))


# --- history ------------------------------------------------------------------------------


def test_per_item_changes_name_each_move_between_evaluations():
    plan = report.plan_context("k2", str(FIXTURE))
    changes = plan.changes_figure()
    page = html_of(changes)
    assert 'class="report-figure"' in page  # the item-by-evaluation grid
    tables_html = re.findall(r"<table.*?</table>", page, re.S)
    listing = tables_html[-1]
    assert listing.count("<tr>") - 1 == 8  # 8 moves over three evaluations, all improvements
    assert "未達成→遅れはあるがおおむね達成" in listing and "令和3年度末→令和4年度末" in listing
    assert "令和3年度末から令和5年度末までの評価で、6項目が改善しました" in text_of(changes)
    # an earlier evaluation date shows only the moves up to that date
    earlier = report.plan_context("k2", str(FIXTURE), as_of="令和4年度末").changes_figure()
    assert "令和5年度末" not in text_of(earlier)
    # plan 2 of the bundled data was evaluated once: the section is left out
    assert isinstance(report.plan_context("2", str(DATA)).changes_figure(), NotApplicable)


def test_changes_sentence_names_a_worsened_item():
    from helpers.views import tables

    history = pd.DataFrame(
        {
            "item_no": [1, 2],
            "item_name": ["電子申請", "文書管理"],
            "from_as_of": ["令和4年度末"] * 2,
            "from_as_of_date": [pd.Timestamp("2023-03-31")] * 2,
            "to_as_of": ["令和5年度末"] * 2,
            "to_as_of_date": [pd.Timestamp("2024-03-31")] * 2,
            "from_label": ["B", "A"],
            "to_label": ["A", "C"],
            "change": ["improved", "worsened"],
            "change_label": ["改善", "後退"],
        }
    )
    sentence = tables.status_changes_sentence(history)
    assert sentence == (
        "令和4年度末から令和5年度末までの評価で、「電子申請」の1項目が改善、"
        "「文書管理」の1項目が後退しました。"
    )


def test_as_of_written_as_month_end_is_read():
    plan = report.plan_context("2", str(DATA), as_of="平成25年3月末")
    assert "19項目中14項目" in text_of(plan.headline())  # 平成25年3月末 = 平成24年度末


def test_a_nominal_era_year_is_named_one_way_everywhere(tmp_path: Path):
    import shutil

    from helpers.data.city import inspect_folder

    folder = tmp_path / "nominal"
    shutil.copytree(FIXTURE, folder)
    for name in ("statuses.csv", "reported.csv"):
        path = folder / name
        text = path.read_text(encoding="utf-8-sig").replace("令和2年度末", "平成32年度末")
        path.write_text(text, encoding="utf-8")
    warnings = [p for p in inspect_folder(folder).problems if p.code == "nominal_era_year"]
    assert [(p.file, p.severity) for p in warnings] == [
        ("statuses.csv", "warning"),  # once for the three rows that hold it
        ("reported.csv", "warning"),
    ]
    assert "ほかに2行" in warnings[0].message
    plan = report.plan_context("k1", str(folder))
    shown = " ".join(
        text_of(section()) for section in (plan.heading, plan.headline, plan.status_figure)
    )
    assert "令和2年度末" in shown and "平成32年度" not in shown


# --- timeline -------------------------------------------------------------------------------


def test_timeline_starts_where_the_source_chart_does_and_keeps_every_event():
    timeline = report.timeline_context(str(DATA))
    figure = text_of(timeline.timeline_figure())
    assert "平成4年度から示します" in figure
    assert "昭和43年度の「市・都民税課税業務の外部委託化(事務電算化の始まり)」" in figure
    figures = [p for p in timeline.timeline_figure().parts if isinstance(p, Figure)]
    table = figures[0].table  # one list of every event: the chart's data table
    assert len(table) == 33 and table.iloc[0]["時期（出典の表記）"] == "昭和43年度"
    assert "図の範囲より前の1件と時期の記載がない2件は図に含めず表に載せています" in (
        figures[0].description
    )
    during = table.loc[table["出来事"] == "公式ホームページ再構築"].iloc[0]
    assert during["時期（出典の表記）"] == "第一次計画期間中（年度の記載なし）"
    assert "抽出" not in " ".join(table["備考"].dropna())  # no process notes for readers
    # asked for, the chart goes back to 昭和43年度
    wide = report.timeline_context(str(DATA), first_year="昭和43年度").timeline_figure()
    assert "出来事の年表（昭和43年度～平成25年度）" in text_of(wide)
    with pytest.raises(report.ReportParameterError, match="first_year"):
        report.timeline_context(str(DATA), first_year="平成99月")


def test_go_lives_count_the_measures_known_only_during_plan_1():
    table = report.timeline_context(str(DATA)).golive_figure().df
    plan1 = table.loc[table["計画"] == "第一次計画"]
    counts = dict(zip(plan1["年度"], plan1["件数"], strict=True))
    assert counts["平成20年度（2008年度）"] == 1  # 全小中学校の校内LAN整備完了 (city.yaml: golive)
    assert counts["期間中（年度の記載なし）"] == 4
    assert plan1["件数"].sum() == 6


def test_plan_report_timeline_shows_the_plans_own_period_events():
    figure = report.plan_context("1", str(DATA)).timeline_figure()
    assert "第一次計画の期間は7件（うち年度の記載がないもの4件）" in text_of(figure)


def test_during_plan_events_and_event_kinds_are_checked(tmp_path: Path):
    import shutil

    from helpers.data.city import inspect_folder

    folder = tmp_path / "city"
    shutil.copytree(FIXTURE, folder)
    with (folder / "events.csv").open("a", encoding="utf-8") as out:
        out.write("K08,,計画期間中,,,期間だけ分かる出来事,稼働,,,,3,\n")
        out.write("K09,,計画期間中,2021,k2,年度も書いた出来事,稼働,,,,3,\n")
    config = folder / "city.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\nevent_kinds:\n  稼働: golive\n  注記: misc\n",
        encoding="utf-8",
    )
    problems = {(p.file, p.column, p.code) for p in inspect_folder(folder).problems}
    assert ("events.csv", "計画期間", "required_value") in problems
    assert ("events.csv", "年度", "derived_mismatch") in problems
    assert ("city.yaml", "event_kinds.注記", "bad_config") in problems


# --- another city ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_new_city_from_scaffold_to_published_reports(tmp_path: Path):
    """data/README.md「別の市の報告書を作る」, step by step, in a copy of the project."""
    import shutil
    import subprocess
    import sys

    from helpers.cli import main

    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "notebooks").mkdir()
    for notebook in NOTEBOOKS:
        shutil.copy(notebook, tmp_path / "notebooks")
    # 1. scaffold; a second time it refuses to overwrite
    assert main(["new-city", "minami", "--name", "南市", "--root", str(tmp_path)]) == 0
    assert main(["new-city", "minami", "--name", "南市", "--root", str(tmp_path)]) == 2
    folder = tmp_path / "data" / "minami"
    assert main(["validate", str(folder)]) == 1  # no plan yet: the first thing to fill in
    # 2.-3. the city's own words and rows
    config = folder / "city.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'title: ""                 # 記入', "title: 南市DX推進計画 進捗状況報告書  # 記入"
        ),
        encoding="utf-8",
    )
    (folder / "plans.csv").write_text(
        "計画ID,計画名,略称,開始年度,終了年度,策定,評価尺度,出典,出典頁\n"
        "1,南市DX推進計画,第1期計画,令和3年度,令和7年度,令和3年3月,status3,進捗状況報告書,2\n",
        encoding="utf-8",
    )
    (folder / "items.csv").write_text(
        "計画ID,項目番号,項目名,取組目標,取組内容,出典頁\n"
        "1,1,オンライン申請の拡大,実施,申請手続のオンライン化を進めました。,3\n"
        "1,2,文書管理システム,検討,導入には至っていません。,3\n",
        encoding="utf-8",
    )
    (folder / "statuses.csv").write_text(
        "計画ID,項目番号,時点,取組状況,出典頁\n1,1,令和5年度末,達成,3\n1,2,令和5年度末,未達成,3\n",
        encoding="utf-8",
    )
    # 4. validate
    assert main(["validate", str(folder)]) == 0
    # 5. build the city's own set: published to reports/minami/
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "build", "--config", "notebooks/minami.yaml", "--no-pdf"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    published = tmp_path / "reports" / "minami"
    for name in ("index.html", "plan-1.html", "timeline.html", "data/items.csv"):
        assert (published / name).is_file(), name
    plan = (published / "plan-1.html").read_text(encoding="utf-8")
    assert "<h1" in plan and "南市DX推進計画 評価報告書" in plan
    assert 'href="index.html"' in plan and 'href="data/items.csv"' in plan
    assert "「未達成」は「文書管理システム」の1項目です" in plan
    assert "東大和市" not in plan and "情報化推進計画" not in plan  # nothing of the bundled city
    index = (published / "index.html").read_text(encoding="utf-8")
    assert "南市 DX推進計画の評価" in index and 'href="plan-1.html"' in index


def test_scaffold_refuses_bad_ids_and_names(tmp_path: Path):
    from helpers.report.scaffold import ScaffoldError, new_city

    for bad in ("Minami", "1city", "reports", "../x", "a", "南市"):
        with pytest.raises(ScaffoldError, match="使えません"):
            new_city(bad, "南市", tmp_path)
    with pytest.raises(ScaffoldError, match="名前"):
        new_city("minami", "南市: 改行\n", tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written


def test_scaffold_outside_the_project_is_refused_with_what_to_do(tmp_path: Path, capsys):
    """A report set written elsewhere names notebooks that are not there: it would validate,
    then fail to build ("notebooks/data/minami がありません"). new-city says so at once."""
    from helpers.cli import main

    assert main(["new-city", "minami", "--name", "南市", "--root", str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert "プロジェクトのフォルダではありません" in message and "--root" in message
    assert not any(tmp_path.iterdir())


def test_a_class_of_several_levels_is_described_by_their_names():
    """架空市's plan k1 counts ○ and △ together: the headline names both levels in the scale's
    words instead of the first one's definition (which described the other wrongly)."""
    fixture = ROOT / "tests" / "fixtures" / "sample_city"
    html = report.plan_context(plan_id="k1", data_dir=str(fixture)).headline()._repr_html_()
    assert "「◎ 達成」と「○ ほぼ達成・△ 着手」を合わせると2項目（66.7%）です。" in html
    assert "一部達成" not in html
    bundled = report.plan_context(plan_id="2", data_dir=str(DATA)).headline()._repr_html_()
    assert "（取組目標の一部のみ達成したもの）の4項目を含めると18項目です。" in bundled


def test_the_timeline_tables_caption_describes_the_table_not_the_chart():
    """The chart starts where the source's chart starts (平成4年度) but its data table lists every
    event, from 昭和43年度, and the undated ones: its caption and summary said the chart's span."""
    section = report.timeline_context(str(DATA)).timeline_figure()
    figure = next(p for p in getattr(section, "parts", (section,)) if isinstance(p, Figure))
    assert figure.title == "出来事の年表（平成4年度～平成25年度）"
    table = figure.table
    undated = int((table["年度"] == "—").sum())
    assert table["年度"].iloc[0].startswith("昭和43年度") and undated > 0
    expected = f"出来事の年表（昭和43年度～平成25年度、年度の記載のない{undated}件を含む）"
    assert figure.table_title == expected
    assert f"<caption>{expected}（データ表）</caption>" in figure.table_html()
    summary = f"<summary>データ表（{expected}）</summary>"
    assert summary in figure.to_html("chart-1")
    payload = figure.payload("chart-1")
    assert payload["table_title"] == expected


def test_the_item_list_says_only_what_applies_to_its_plan():
    """The section's sentence came from the notebook and named both cases on both plans (items
    with their status, and measures for a plan without per-item evaluation): the package now
    says the one that applies, per plan."""
    items = text_of(report.plan_context("2", str(DATA)).item_table())
    measures = text_of(report.plan_context("1", str(DATA)).item_table())
    assert "第二次計画のすべての項目（19項目）と、その取組目標・取組状況・取組内容です。" in items
    assert "項目ごとの評価がない" not in items and "重点目標と主な施策" not in items
    assert "第一次計画には項目ごとの評価がないため、出典が挙げる重点目標と主な施策を示します。" in (
        measures
    )
    assert "すべての項目" not in measures
    notebook = (ROOT / "notebooks" / "plan_report.py").read_text(encoding="utf-8")
    assert "項目ごとの評価がない計画は" not in notebook
