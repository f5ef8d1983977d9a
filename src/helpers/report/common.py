"""Parts every report notebook shares: parameter checks, data loading, notes, headings, sources.

A bad parameter (missing data folder, unknown plan, unreadable ``as_of``) raises
:class:`ReportParameterError` naming the value and what is allowed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.data.city import CityData, load_city
from helpers.data.dates import JpDateError, parse_jp_date
from helpers.data.errors import InputError
from helpers.publish.html import Figure, esc, forget_bundle
from helpers.publish.sections import NotApplicable, not_applicable
from helpers.views import charts, labels, metrics


class ReportParameterError(InputError):
    """A notebook parameter has a value the report cannot use."""

    heading = "パラメーターに問題があります"


@dataclass(frozen=True)
class Markup:
    """A small piece of report HTML (already escaped by the function that made it)."""

    html: str
    text: str = ""

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": self.text or "…"}


def note_markup(text: str) -> Markup:
    return Markup(f'<p class="note">{esc(text)}</p>', text)


def paragraph_markup(text: str) -> Markup:
    """One paragraph of explanation (escaped)."""
    return Markup(f"<p>{esc(text)}</p>", text)


@dataclass(frozen=True)
class Stack:
    """Several display objects shown as one section's outputs, in order (e.g. a sentence that
    explains the city's own levels, then the figure).

    As the result of a cell, IPython calls :meth:`_ipython_display_`, which displays every part
    as its own output, so a figure keeps its own output type (drawn as SVG by the exporter).
    """

    parts: tuple[Any, ...]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for part in self.parts:
            display(part)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """The parts' HTML joined (for tests and tools outside IPython; interactive mode)."""
        html_parts, texts = [], []
        for part in self.parts:
            bundle = part._repr_mimebundle_()
            data = bundle[0] if isinstance(bundle, tuple) else bundle
            html_parts.append(data.get("text/html", ""))
            texts.append(data.get("text/plain", ""))
        return {"text/html": "".join(html_parts), "text/plain": "\n".join(texts)}


def stack(*parts: Any) -> Stack | Any:
    """The parts that are not None, as one output (the part itself when there is one)."""
    present = tuple(p for p in parts if p is not None)
    return present[0] if len(present) == 1 else Stack(present)


def resolve_path(value: str | Path, what: str) -> Path:
    """Find *value* as given, else relative to the working folder's parents (so the default
    ``data/higashiyamato`` works from ``notebooks/`` in JupyterLab as from the repository root)."""
    text = str(value).strip()
    if not text:
        raise ReportParameterError(f"{what}が空です (the parameter is empty).")
    path = Path(text).expanduser()
    candidates = (
        [path]
        if path.is_absolute()
        else [base / path for base in (Path.cwd(), *Path.cwd().parents)]
    )
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    raise ReportParameterError(
        f"{what}「{text}」が見つかりません (not found; looked in {candidates[0]} and its parents)."
    )


def load_report_data(data_dir: str) -> CityData:
    """Set up a report run (theme, chart libraries) and load the validated data."""
    from helpers.views.theme import enable_theme

    enable_theme()
    forget_bundle()
    return load_city(resolve_path(data_dir, "データフォルダ data_dir"))


def parse_as_of(value: str | None) -> tuple[pd.Timestamp | None, str | None]:
    """The evaluation date asked for: None for the latest, else the last day the text covers."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None, None
    try:
        written = parse_jp_date(text)
    except JpDateError as error:
        raise ReportParameterError(f"評価時点 as_of: {error}") from error
    return pd.Timestamp(written.end), written.display_text


def plan_row(city: CityData, plan_id: str) -> pd.Series:
    match = city.plans.loc[city.plans["plan_id"] == plan_id]
    if match.empty:
        allowed = ", ".join(city.plans["plan_id"].astype(str))
        raise ReportParameterError(
            f"計画ID「{plan_id}」は {city.folder} の plans.csv にありません (unknown plan_id; "
            f"allowed: {allowed})."
        )
    return match.iloc[0]


def plan_display_name(plan: pd.Series) -> str:
    """The plan's name in reports: its short name (略称), else its name."""
    return metrics.plan_name(plan)


def figure_of(kind: str, *frames: pd.DataFrame, **options: Any) -> Figure:
    """The chart ``charts.<kind>_chart`` of *frames* with its title, text alternative and table
    (and ``charts.<kind>_narrow_chart`` for phones, where the chart has one;
    ``charts.<kind>_table_title`` where the table covers other than the chart); *options*
    (such as the plan's status ``words``) go to the chart, title, description, table and
    narrow chart."""
    parts = ("chart", "title", "description", "table")
    chart, title, description, table = (
        getattr(charts, f"{kind}_{p}")(*frames, **options) for p in parts
    )
    narrow = getattr(charts, f"{kind}_narrow_chart", None)
    table_title = getattr(charts, f"{kind}_table_title", None)
    return Figure(
        chart,
        title,
        description,
        table,
        narrow_chart=narrow(*frames, **options) if narrow else None,
        table_title=table_title(*frames) if table_title else "",
    )


def comparison_figure_or_note(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> Figure | NotApplicable:
    """Plans side by side (rates named in the city's *words*); left out when there is no other
    plan to compare with."""
    comparison = metrics.comparison(achievement_df)
    if len(comparison) < 2:
        return not_applicable("比較する計画がほかにありません。")
    return figure_of("comparison", comparison, words=words)


def timeline_figure_or_note(events: pd.DataFrame, plans: pd.DataFrame) -> Figure | Markup:
    if metrics.timeline_events(events).empty and metrics.period_events(events).empty:
        return note_markup("時期の分かる出来事の記録がありません。")
    return figure_of("timeline", events, plans)


def rates_explanation(words: labels.StatusWords) -> str:
    """What the two rates count, in the plan's *words*."""
    achieved, partial = words.cls("achieved"), words.cls("partial")
    if words.generic:
        return (
            "達成率は、評価した項目のうち「達成」に区分される項目の割合です。"
            "「一部達成を含む」達成率は、一部達成に区分される項目も数えた割合です。"
        )
    strict, incl = words.measures["rate_strict"], words.measures["rate_incl_partial"]
    return (
        f"{strict}は、評価した項目のうち「{achieved}」の項目の割合です。"
        f"{incl}は、「{partial}」の項目も数えた割合で、"
        f"「{partial}」の項目は「{achieved}」には至っていません。"
    )


def source_lines(city: CityData, words: labels.StatusWords = labels.DEFAULT_WORDS) -> list[str]:
    """How to read the figures: the source, fiscal years, rates (in the plan's *words*) and
    reported figures."""
    src = city.source
    lines = []
    if src.get("title"):
        pages = str(src.get("pages", "")).replace("-", "～")
        lines.append(f"出典：{src['title']}" + (f"（{pages}頁）" if pages else "") + "。")
    if src.get("note"):
        lines.append(str(src["note"]))
    lines += [
        "年度は4月から翌年3月までです（例：平成23年1月は平成22年度）。和暦と西暦を併記しています。",
        rates_explanation(words),
        "「報告値」は出典の文章に記載された値をそのまま示したもので、項目ごとの評価から計算した値"
        "（計算値）とは区別しています。",
    ]
    return lines


def sources_markup(lines: Sequence[str], extra: str = "") -> Markup:
    body = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return Markup(f'<ul class="sources">{body}</ul>{extra}', "\n".join(lines))


def heading_markup(
    lines: Sequence[str],
    title: str | None = None,
    lead: str | None = None,
    *,
    as_of: str | None = None,
    published: str | None = None,
) -> Markup:
    """The report's own ``<h1>`` (when *title* is given), a lead sentence and the lines under it.

    *as_of* (the evaluation date as written) is repeated in the running header of every printed
    page, and *published* (the publication date) dates the PDF: both ride on the header block as
    ``data-report-as-of`` and ``data-report-date`` (see ``helpers.publish.export`` and ``pdf``).
    """
    body = "".join(f"<p>{esc(line)}</p>" for line in lines)
    h1 = f'<h1 class="report-title">{esc(title)}</h1>' if title else ""
    lead_html = f'<p class="report-lead">{esc(lead)}</p>' if lead else ""
    text = "\n".join([title or "", lead or "", *lines]).strip()
    facts = f' data-report-as-of="{esc(as_of)}"' if as_of else ""
    if published:
        # a date that does not parse is shown as written; the PDF then carries no date
        with contextlib.suppress(JpDateError):
            facts += f' data-report-date="{parse_jp_date(published).end.isoformat()}"'
    return Markup(f'{h1}{lead_html}<div class="report-meta"{facts}>{body}</div>', text)


def with_city(city: CityData, name: str) -> str:
    """A plan or report name with the city in front, unless the name already holds it."""
    city_name = str(city.city.get("name", "")).strip()
    return name if not city_name or city_name in name else f"{city_name} {name}"
