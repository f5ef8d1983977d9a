"""Who publishes a report, how to find its other forms, how to cite it, and its glossary.

Everything here comes from the data folder's ``city.yaml`` (block ``publication`` and
``source``) and ``glossary.csv``, so another city's reports name their own publisher, plan kind
and terms without code changes. Empty fields are left out rather than shown blank.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from helpers.data.city import CityData
from helpers.data.dates import JpDate, JpDateError, parse_jp_date, reader_label
from helpers.publish.accessibility import STATEMENT_OUTPUT
from helpers.publish.html import Table, esc
from helpers.publish.reportset import external_href, relative_href
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.report.common import Markup
from helpers.views import tables

#: Defaults when city.yaml does not name them: neutral words that fit any plan.
DEFAULT_PLAN_KIND = "計画"
DEFAULT_MEASURE_KIND = "施策"
#: The index page of a report set (its output name, see notebooks/README: report sets).
INDEX_OUTPUT = "index"


def plan_kind(city: CityData) -> str:
    """What the city's plans are called (情報化推進計画, 自治体DX推進計画, 行財政改革プラン …)."""
    return city.publication.get("plan_kind") or DEFAULT_PLAN_KIND


def measure_kind(city: CityData) -> str:
    """What the measures of the plans are called (情報化施策, DXの取組 …)."""
    return city.publication.get("measure_kind") or DEFAULT_MEASURE_KIND


def set_title(city: CityData) -> str:
    """The title of the whole report set, e.g. "東大和市 情報化推進計画の評価"."""
    title = city.publication.get("title")
    if title:
        return title
    return f"{city.city.get('name', '')} {plan_kind(city)}の評価".strip()


def _configured_date(value: str | None, shown: Callable[[JpDate], str]) -> str | None:
    """A date of city.yaml as *shown* gives it; a text that is not a date stays as written."""
    if not value:
        return None
    try:
        parsed = parse_jp_date(value)
    except JpDateError:
        return value
    return shown(parsed)


def date_text(value: str | None) -> str | None:
    """A configured date for readers: "2026-11-30" -> "令和8年11月30日（2026年11月30日）"."""
    return _configured_date(value, reader_label)


def short_date_text(value: str | None) -> str | None:
    """A configured date in one form, as written (era or western): for citations."""
    return _configured_date(value, lambda d: d.era_text or d.western)


def pages_text(pages: str | None) -> str | None:
    """Page range for readers: "9-18" -> "9～18"."""
    return pages.replace("-", "～").replace("~", "～") if pages else None


def _relative(from_output: str, target: str) -> str:
    """A link from the page *from_output* (e.g. ``plans/plan-2``) to *target* (set-relative),
    percent-encoded like every published link (:func:`helpers.publish.reportset.relative_href`)."""
    depth = len(PurePosixPath(from_output).parts) - 1
    return "../" * depth + relative_href(target)


def navigation(report_output: str, pdf: bool, data_files: Sequence[tuple[str, str]]) -> str:
    """Links to the set's index, this page's PDF and its open data (empty outside a build)."""
    if not report_output:
        return ""
    links = [(_relative(report_output, f"{INDEX_OUTPUT}.html"), "報告書の一覧")]
    if pdf:
        stem = PurePosixPath(report_output).name
        links.append((relative_href(f"{stem}.pdf"), "この報告書のPDF版"))
    links += [(_relative(report_output, path), label) for path, label in data_files]
    if pdf:  # the statement is made while the PDFs are printed
        links.append((_relative(report_output, f"{STATEMENT_OUTPUT}.html"), "アクセシビリティ"))
    items = "".join(f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for href, text in links)
    return f'<nav class="report-nav" aria-label="関連ページ"><ul>{items}</ul></nav>'


def publisher_line(city: CityData) -> str | None:
    """One line under the title: "発行：…（担当：…）　公表：…"."""
    pub = city.publication
    parts = []
    if pub.get("publisher"):
        department = f"　{pub['department']}" if pub.get("department") else ""
        parts.append(f"発行：{pub['publisher']}{department}")
    published = date_text(pub.get("published"))
    if published:
        parts.append(f"公表：{published}")
    return "　".join(parts) or None


def source_citation(city: CityData) -> str:
    """The source document as a reader would cite it."""
    src = city.source
    publisher = f"{src['publisher']}「" if src.get("publisher") else "「"
    pages = f"（{pages_text(src['pages'])}頁）" if src.get("pages") else ""
    return f"{publisher}{src.get('title', '')}」{pages}"


def report_citation(city: CityData, report_title: str) -> str:
    """How to cite a report: the configured citation, else publisher, title and date."""
    configured = city.publication.get("citation")
    if configured:
        return configured
    pub = city.publication
    publisher = f"{pub['publisher']}" if pub.get("publisher") else city.city.get("name", "")
    published = short_date_text(pub.get("published"))
    when = f"（{published}公表）" if published else ""
    source = f"出典：{source_citation(city)}。" if city.source.get("title") else ""
    return f"{publisher}『{report_title}』{when}。{source}"


def about(city: CityData, report_title: str) -> Markup:
    """The publication block: publisher, department, date, contact, licence, source, citation."""
    pub, src = city.publication, city.source
    rows: list[tuple[str, str, str | None]] = []  # (label, text, link)
    if pub.get("evaluator"):
        rows.append(("評価を行った者", pub["evaluator"], None))
    if pub.get("publisher"):
        rows.append(("発行", pub["publisher"], None))
    if pub.get("department"):
        rows.append(("担当", pub["department"], None))
    if published := date_text(pub.get("published")):
        rows.append(("公表日", published, None))
    if pub.get("contact"):
        rows.append(("問い合わせ先", pub["contact"], None))
    if pub.get("licence"):
        rows.append(("利用条件", pub["licence"], external_href(pub.get("licence_url"))))
    if src.get("title"):
        rows.append(("出典", source_citation(city), external_href(src.get("url"))))
    rows.append(("引用するとき", report_citation(city, report_title), None))
    body = "".join(
        f"<dt>{esc(label)}</dt><dd>"
        + (f'<a href="{esc(link)}">{esc(text)}</a>' if link else esc(text))
        + (f"<br>{esc(link)}" if link else "")
        + "</dd>"
        for label, text, link in rows
    )
    text = "\n".join(f"{label}：{value}" for label, value, _ in rows)
    return Markup(f'<dl class="about">{body}</dl>', text)


def glossary(city: CityData, texts: Sequence[str], page: str) -> Table | NotApplicable:
    """The glossary entries used on a page (its texts), or nothing when none is used."""
    used = tables.glossary_terms_in(city.glossary, list(texts))
    if used.empty:
        return not_applicable(f"{page}に用語集の用語はありません。")
    return Table(tables.glossary_table(used), "用語の説明", row_headers=True)
