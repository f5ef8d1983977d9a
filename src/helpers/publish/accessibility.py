"""The accessibility statement of a report set, from the build's own checks.

Japanese public bodies publish, for JIS X 8341-3:2016, which pages they tested, how (method and
tool versions), when, and the result per page. The build produces that page itself:

* :func:`check_page` runs axe-core (the copy the ``axe-playwright-python`` wheel bundles; no
  network, no Node.js) in the page the PDF printer has open, with the rules of WCAG 2.0 and 2.1
  levels A and AA, plus the project's own checks (no request leaves the page, no script, every
  chart drawn with a Japanese text alternative). The printer writes the result beside the PDF
  (``<output>.checks.json``, :func:`checks_path`); it is not published by itself.
* :func:`stage_statement` (called by the build once every report ran) merges the new results
  with the published ones of reports that were not rebuilt, and writes ``accessibility.html``
  (the statement, exported like every report: same look, no script) and
  ``data/accessibility.json`` (the results as data) into the build's output folder.

Automated checks find only part of the problems a person would: the statement says so to its
readers (citizens), says the conformance claim (準拠 / 一部準拠 / 配慮) is the publisher's after
testing by people, names the screen size the pages were tested at (and that phones were not) and
that the PDFs, printed from the tested pages, are outside the automated test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from helpers.data.dates import parse_jp_date, reader_label
from helpers.publish.files import write_bytes_atomic, write_text_atomic

STATEMENT_OUTPUT = "accessibility"
INDEX_OUTPUT = "index"
STATEMENT_TITLE = "アクセシビリティの試験結果"
RESULTS_FILE = "data/accessibility.json"
AXE_ENV_VAR = "PLAN_REPORT_AXE"
#: The rules run: WCAG 2.0 (which JIS X 8341-3:2016 adopts) and 2.1, levels A and AA.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
IMPACT_LABELS = {
    "critical": "致命的",
    "serious": "重大",
    "moderate": "中程度",
    "minor": "軽微",
}
FORMAT = 1
#: The success criteria of WCAG 2.0 levels A and AA by their names in JIS X 8341-3:2016.
CRITERIA = {
    "1.1.1": "非テキストコンテンツ",
    "1.2.1": "音声のみ及び映像のみ（収録済み）",
    "1.2.2": "キャプション（収録済み）",
    "1.2.3": "音声解説、又はメディアに対する代替（収録済み）",
    "1.2.4": "キャプション（ライブ）",
    "1.2.5": "音声解説（収録済み）",
    "1.3.1": "情報及び関係性",
    "1.3.2": "意味のある順序",
    "1.3.3": "感覚的な特徴",
    "1.4.1": "色の使用",
    "1.4.2": "音声の制御",
    "1.4.3": "コントラスト（最低限）",
    "1.4.4": "テキストのサイズ変更",
    "1.4.5": "文字画像",
    "2.1.1": "キーボード",
    "2.1.2": "キーボードトラップなし",
    "2.2.1": "タイミング調整可能",
    "2.2.2": "一時停止、停止、非表示",
    "2.3.1": "3回の閃光、又は閾値以下",
    "2.4.1": "ブロックスキップ",
    "2.4.2": "ページタイトル",
    "2.4.3": "フォーカス順序",
    "2.4.4": "リンクの目的（コンテキスト内）",
    "2.4.5": "複数の手段",
    "2.4.6": "見出し及びラベル",
    "2.4.7": "フォーカスの可視化",
    "3.1.1": "ページの言語",
    "3.1.2": "一部分の言語",
    "3.2.1": "フォーカス時",
    "3.2.2": "入力時",
    "3.2.3": "一貫したナビゲーション",
    "3.2.4": "一貫した識別性",
    "3.3.1": "エラーの特定",
    "3.3.2": "ラベル又は説明",
    "3.3.3": "エラー修正の提案",
    "3.3.4": "エラー回避（法的、金融及びデータ）",
    "4.1.1": "構文解析",
    "4.1.2": "名前（name）・役割（role）及び値（value）",
}
_CRITERION_TAG = re.compile(r"^wcag(\d)(\d)(\d+)$")

_PAGE_FACTS = """
() => {
  const charts = Array.from(document.querySelectorAll("div.chart"));
  const described = charts.filter((c) => {
    const img = c.querySelector("img");
    const japanese = /[\\u3040-\\u30ff\\u4e00-\\u9fff]/;
    return img && img.complete && img.naturalWidth > 0 && japanese.test(img.alt);
  });
  return {
    scripts: document.querySelectorAll("script").length,
    charts: charts.length,
    described: described.length,
    lang: document.documentElement.lang,
    h1: document.querySelectorAll("h1").length,
    main: document.querySelectorAll("main").length,
  };
}
"""


def axe_path() -> Path:
    """axe-core: ``$PLAN_REPORT_AXE``, else the copy bundled by ``axe-playwright-python``."""
    explicit = os.environ.get(AXE_ENV_VAR)
    if explicit:
        return Path(explicit)
    import axe_playwright_python

    return Path(axe_playwright_python.__file__).with_name("axe.min.js")


@dataclass(frozen=True)
class Violation:
    """One axe-core rule a page breaks, with the success criteria it tests (e.g. "1.4.3")."""

    rule: str
    impact: str
    help: str
    nodes: int
    criteria: tuple[str, ...] = ()

    def describe(self) -> str:
        """In Japanese: criteria by their JIS names, places, rule and impact."""
        named = "、".join(f"{c} {CRITERIA.get(c, '')}".strip() for c in self.criteria)
        impact = IMPACT_LABELS.get(self.impact, self.impact)
        return f"{named or self.help}：{self.nodes}か所（{self.rule}、{impact}）"


def criteria_of(tags: Iterable[str]) -> tuple[str, ...]:
    """Success criteria named by axe-core's tags: ``wcag143`` -> ``1.4.3``."""
    found = (_CRITERION_TAG.match(tag) for tag in tags)
    return tuple(".".join(match.groups()) for match in found if match)


@dataclass(frozen=True)
class PageCheck:
    """The checks of one page, as the statement reports them."""

    output: str
    title: str
    tested: str  # ISO date
    tool: str  # "axe-core 4.12.1"
    browser: str
    viewport: str
    rules: int  # rules that applied (passed, failed or needing review)
    violations: tuple[Violation, ...] = ()
    incomplete: int = 0  # rules axe could not decide: for a person to review
    own_problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """No rule broken and no problem found by the project's own checks."""
        return not self.violations and not self.own_problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["violations"] = [asdict(v) for v in self.violations]
        data["own_problems"] = list(self.own_problems)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PageCheck:
        values = dict(data)
        values["violations"] = tuple(
            Violation(**{**v, "criteria": tuple(v.get("criteria", ()))})
            for v in values.get("violations", ())
        )
        values["own_problems"] = tuple(values.get("own_problems", ()))
        return cls(**values)


def checked_on() -> dt.date:
    """The date of the checks: ``$SOURCE_DATE_EPOCH`` when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def check_page(page: Any, *, output: str, requests: Sequence[str] = ()) -> PageCheck:
    """Run axe-core and the project's own checks in *page* (a loaded Playwright page).

    axe is evaluated through the DevTools protocol: the page's policy forbids every script and
    stays in force. *requests* are the requests the page tried to make (none is allowed).
    """
    source = axe_path()
    if not source.is_file():
        raise FileNotFoundError(f"axe-core not found at {source}")
    page.evaluate(source.read_text(encoding="utf-8"))
    # Every node is listed for violations only; passes and incomplete rules still come back
    # (one node each), which is all the statement counts: axe then skips describing every
    # passing node, a fifth of its time.
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)}, "resultTypes": ["violations"]}
    results = page.evaluate("(options) => axe.run(document, options)", options)
    facts = page.evaluate(_PAGE_FACTS)
    own = []
    if requests:
        own.append(f"外部への読み込みがあります（{len(requests)}件）")
    if facts["scripts"]:
        own.append("スクリプトがあります")
    if facts["described"] != facts["charts"]:
        missing = facts["charts"] - facts["described"]
        own.append(f"日本語の代替テキストのない図があります（{missing}件）")
    if facts["lang"] != "ja":
        own.append("ページの言語が日本語と指定されていません")
    if facts["h1"] != 1 or facts["main"] != 1:
        own.append("見出しh1または本文（main）が一つではありません")
    size = page.viewport_size or {}
    version = page.context.browser.version if page.context.browser else ""
    applied = {r["id"] for key in ("passes", "violations", "incomplete") for r in results[key]}
    return PageCheck(
        output=output,
        title=page.title(),
        tested=checked_on().isoformat(),
        tool=f"axe-core {results.get('testEngine', {}).get('version', '')}".strip(),
        browser=f"Chromium {version}".strip(),
        viewport=f"{size.get('width', '')}×{size.get('height', '')}",
        rules=len(applied),
        violations=tuple(
            Violation(
                v["id"],
                v.get("impact") or "unknown",
                v["help"],
                len(v["nodes"]),
                criteria_of(v.get("tags", ())),
            )
            for v in results["violations"]
        ),
        incomplete=len(results["incomplete"]),
        own_problems=tuple(own),
    )


def checks_path(pdf_path: Path) -> Path:
    """Where the printer leaves a page's checks: ``<output>.checks.json`` beside its PDF."""
    return pdf_path.with_name(pdf_path.name.removesuffix(".pdf") + ".checks.json")


def write_checks(path: Path, check: PageCheck) -> Path:
    """Write one page's checks (JSON, atomically)."""
    text = json.dumps(check.to_json(), ensure_ascii=False, indent=1, sort_keys=True)
    return write_text_atomic(path, text + "\n")


# --- the statement --------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementPage:
    """A page of the set as the statement lists it: its check, or why it has none."""

    output: str
    title: str
    check: PageCheck | None = None


@dataclass(frozen=True)
class Statement:
    """What the statement says: the set's name, its pages and their results."""

    set_title: str
    pages: tuple[StatementPage, ...] = field(default=())

    def tools(self) -> list[str]:
        checks = [p.check for p in self.pages if p.check is not None]
        return sorted({c.tool for c in checks} | {c.browser for c in checks})

    def dates(self) -> list[str]:
        return sorted({p.check.tested for p in self.pages if p.check is not None})


def _result_text(check: PageCheck | None) -> str:
    if check is None:
        return "未試験（PDFを作らない設定で作成したため）"
    if check.passed:
        return "自動試験で問題なし"
    parts = [v.describe() for v in check.violations]
    return "要修正：" + "／".join([*parts, *check.own_problems])


def _date_text(iso: str) -> str:
    """A test date as every page shows dates: 和暦 first, "令和8年12月1日（2026年12月1日）"."""
    return reader_label(parse_jp_date(dt.date.fromisoformat(iso).isoformat()))


def _viewport_text(viewports: Sequence[str]) -> str:
    """The screen sizes the pages were opened at, and what that leaves untested (phones)."""
    if not viewports:
        return ""
    sizes = "、".join(f"{v}ピクセル" for v in viewports)
    return (
        f"画面の大きさ{sizes}（パソコンの画面）で開いて試験しています。"
        "スマートフォンの幅での表示は、この自動試験では試験していません。"
    )


def statement_notebook(statement: Statement) -> Any:
    """The statement as a notebook of Markdown and HTML outputs, exported like a report."""
    import nbformat
    import pandas as pd

    from helpers.publish.html import Table, esc

    checked = [p for p in statement.pages if p.check is not None]
    dates = statement.dates()
    when = "、".join(_date_text(d) for d in dates) if dates else "未試験"
    viewports = sorted({p.check.viewport for p in checked if p.check})
    intro = (
        '<nav class="report-nav" aria-label="関連ページ"><ul>'
        f'<li><a href="{INDEX_OUTPUT}.html">報告書の一覧</a></li>'
        f'<li><a href="{RESULTS_FILE}">試験結果のデータ（JSON）</a></li></ul></nav>'
        f'<h1 class="report-title">{esc(STATEMENT_TITLE)}</h1>'
        f'<p class="report-lead">{esc(statement.set_title)}の各ページを、日本産業規格 '
        "JIS X 8341-3:2016「高齢者・障害者等配慮設計指針－情報通信における機器，ソフトウェア及び"
        "サービス－第3部：ウェブコンテンツ」の適合レベルAAを目標に、報告書を作るたびに自動で試験しています。"
        "</p>"
        '<dl class="about">'
        f"<dt>対象ページ</dt><dd>{len(statement.pages)}ページ（この報告書のすべてのページ）</dd>"
        "<dt>目標とする適合レベル</dt><dd>JIS X 8341-3:2016 適合レベルAA</dd>"
        f"<dt>試験日</dt><dd>{esc(when)}</dd>"
        "<dt>試験の方法</dt><dd>自動試験：axe-core による WCAG 2.0・2.1 のレベルA・AAの規則"
        f"（{esc('、'.join(statement.tools()))}）。"
        "あわせて、外部への読み込みとスクリプトがないこと、すべての図に日本語の代替テキストと"
        "データ表があること、見出しh1と本文の領域が一つずつあること、ページの言語を確認しています。"
        f"{esc(_viewport_text(viewports))}</dd>"
        "<dt>PDF</dt><dd>各ページのPDFは、試験したページをそのままA4に印刷したものです"
        "（図には、ページと同じ日本語の代替テキストが付いています）。"
        "PDFそのものは、この自動試験の対象外です。</dd></dl>"
    )
    note = (
        '<p class="note">自動試験で確かめられるのは達成基準の一部です。このページは自動試験の'
        "結果を示すもので、JIS X 8341-3:2016 への「準拠」「一部準拠」などを"
        "表明するものではありません。"
        "その表明は、読み上げソフトやキーボードだけでの操作など人による試験を行ったうえで、"
        "発行者が行うものです。</p>"
    )
    rows = pd.DataFrame(
        {
            "ページ": [p.title for p in statement.pages],
            "ファイル": [f"{p.output}.html" for p in statement.pages],
            "試験日": [_date_text(p.check.tested) if p.check else "—" for p in statement.pages],
            "適用した規則": [p.check.rules if p.check else "—" for p in statement.pages],
            "人の確認が必要な項目": [
                p.check.incomplete if p.check else "—" for p in statement.pages
            ],
            "結果": [_result_text(p.check) for p in statement.pages],
        }
    )
    table = Table(
        rows,
        "ページごとの試験結果",
        stack=True,
        print_rows=None,
        name_columns=("ページ", "ファイル"),
    )
    cells = [
        nbformat.v4.new_code_cell(
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": intro})]
        ),
        nbformat.v4.new_markdown_cell(
            "## ページごとの結果\n\n各ページを開いた状態で試験した結果です。"
            "「人の確認が必要な項目」は、自動では判定できず人が確かめる項目の数です。"
        ),
        nbformat.v4.new_code_cell(
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": table.to_html()})]
        ),
        nbformat.v4.new_markdown_cell("## 試験結果の読み方"),
        nbformat.v4.new_code_cell(
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": note})]
        ),
    ]
    return nbformat.v4.new_notebook(cells=cells, metadata={"title": STATEMENT_TITLE})


def _published_checks(published: Path) -> dict[str, PageCheck]:
    """The results the published statement holds, by page output (none when unreadable)."""
    try:
        data = json.loads((published / RESULTS_FILE).read_text(encoding="utf-8"))
        return {c["output"]: PageCheck.from_json(c) for c in data.get("pages", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def stage_statement(
    out: Path,
    published: Path,
    pages: Iterable[tuple[str, str]],
    set_title: str,
) -> dict[str, Path]:
    """Write the statement of the set's *pages* ((output, title), in order) into *out*.

    A page's result is the one its printer left in *out* this build (:func:`checks_path`), else
    the published one (the page was not rebuilt), else none. Returns the written files by
    their path relative to the reports folder (``accessibility.html``, ``data/accessibility.json``).
    """
    from helpers.publish.export import export_html

    previous = _published_checks(published)
    listed = []
    for output, title in pages:
        fresh = checks_path(out / f"{output}.pdf")
        check = None
        if fresh.is_file():
            loaded = PageCheck.from_json(json.loads(fresh.read_text(encoding="utf-8")))
            check = replace(loaded, output=output, title=title)
        elif output in previous and (published / f"{output}.html").is_file():
            check = previous[output]
        listed.append(StatementPage(output, title, check))
    statement = Statement(set_title, tuple(listed))
    page = export_html(statement_notebook(statement), title=f"{STATEMENT_TITLE} | {set_title}")
    results = {
        "format": FORMAT,
        "set": set_title,
        "pages": [p.check.to_json() for p in listed if p.check is not None],
    }
    html_path = write_text_atomic(out / f"{STATEMENT_OUTPUT}.html", page)
    json_text = json.dumps(results, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    json_path = write_bytes_atomic(out / RESULTS_FILE, json_text.encode("utf-8"))
    return {f"{STATEMENT_OUTPUT}.html": html_path, RESULTS_FILE: json_path}
