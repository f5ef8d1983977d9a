"""What the report notebooks show: one context object per notebook, one method per section.

A report notebook holds a title, its parameters, one setup call (``plan_context``,
``timeline_context`` or ``index_context``) and then one call per section, e.g.
``plan.status_figure()``. Each call returns a display object (a :class:`helpers.render.Figure`,
a :class:`helpers.render.Table`, :class:`helpers.render.Headlines` or :class:`Markup`), so the
same notebook works in JupyterLab and in the exported HTML. The numbers come from
:mod:`helpers.metrics`, the charts from :mod:`helpers.charts`; nothing is computed here.

Parameters are checked first: an unknown plan id or a missing data folder stops the run with a
message that names the bad value and what is allowed (:class:`ReportParameterError`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from helpers import charts, labels, metrics
from helpers.dates import JpDateError, fiscal_year_label, parse_jp_date
from helpers.io import CityData, load_city
from helpers.render import Figure, Headline, Headlines, Table, forget_bundle

__all__ = [
    "IndexReport",
    "Markup",
    "PlanReport",
    "ReportParameterError",
    "TimelineReport",
    "index_context",
    "plan_context",
    "resolve_path",
    "timeline_context",
]


class ReportParameterError(ValueError):
    """A notebook parameter has a value the report cannot use."""


@dataclass(frozen=True)
class Markup:
    """A small piece of report HTML (already escaped by the function that made it)."""

    html: str
    text: str = ""

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": self.text or "…"}


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _note(text: str) -> Markup:
    return Markup(f'<p class="note">{_esc(text)}</p>', text)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


# --- parameters -------------------------------------------------------------------------------


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


def _load(data_dir: str) -> CityData:
    """Set up a report run (theme, chart libraries) and load the validated data."""
    from helpers.theme import enable_theme

    enable_theme()
    forget_bundle()
    return load_city(resolve_path(data_dir, "データフォルダ data_dir"))


def _as_of(value: str | None) -> tuple[pd.Timestamp | None, str | None]:
    """The evaluation date asked for: None for the latest, else the last day the text covers."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None, None
    try:
        written = parse_jp_date(text)
    except JpDateError as error:
        raise ReportParameterError(f"評価時点 as_of: {error}") from error
    return pd.Timestamp(written.end), text


def _plan_row(city: CityData, plan_id: str) -> pd.Series:
    match = city.plans.loc[city.plans["plan_id"] == plan_id]
    if match.empty:
        allowed = ", ".join(city.plans["plan_id"].astype(str))
        raise ReportParameterError(
            f"計画ID「{plan_id}」は {city.folder} の plans.csv にありません (unknown plan_id; "
            f"allowed: {allowed})."
        )
    return match.iloc[0]


def _plan_name(plan: pd.Series) -> str:
    short = plan.get("short_name")
    return str(plan["name"]) if _missing(short) else str(short)


# --- shared sections --------------------------------------------------------------------------


def _figure(kind: str, *frames: pd.DataFrame) -> Figure:
    """The chart ``charts.<kind>_chart`` of *frames* with its title, text alternative and table."""
    parts = ("chart", "title", "description", "table")
    return Figure(*(getattr(charts, f"{kind}_{part}")(*frames) for part in parts))


def _comparison_figure(achievement_df: pd.DataFrame) -> Figure | Markup:
    comparison = metrics.comparison(achievement_df)
    if comparison.empty:
        return _note("比較できる計画がありません。")
    return _figure("comparison", comparison)


def _timeline_figure(events: pd.DataFrame, plans: pd.DataFrame) -> Figure | Markup:
    if metrics.timeline_events(events).empty:
        return _note("時期の分かる出来事の記録がありません。")
    return _figure("timeline", events, plans)


def _source_lines(city: CityData) -> list[str]:
    src = city.source
    lines = [f"出典: {src.get('title', '')}({src.get('pages', '')}頁)。"]
    if src.get("note"):
        lines.append(str(src["note"]))
    lines += [
        "年度は4月から翌年3月まで(例: 平成23年1月は平成22年度)。和暦と西暦を併記しています。",
        "達成率は、評価した項目のうち「達成」に区分される項目の割合です。"
        "「一部達成を含む」達成率は、一部達成に区分される項目も数えた割合です。",
        "「報告値」は出典の文章に記載された値をそのまま示したもので、項目別の評価から計算した値"
        "(計算値)とは区別しています。",
    ]
    return lines


def _sources_markup(lines: Sequence[str], extra: str = "") -> Markup:
    body = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    return Markup(f'<ul class="sources">{body}</ul>{extra}', "\n".join(lines))


def _heading(lines: Sequence[str]) -> Markup:
    body = "".join(f"<p>{_esc(line)}</p>" for line in lines)
    return Markup(f'<div class="report-meta">{body}</div>', "\n".join(lines))


# --- plan report --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanReport:
    """Sections of one plan's evaluation report."""

    city: CityData
    plan: pd.Series
    as_of: pd.Timestamp | None = None
    as_of_text: str | None = None
    achievement_df: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def plan_id(self) -> str:
        return str(self.plan["plan_id"])

    @property
    def name(self) -> str:
        return _plan_name(self.plan)

    @property
    def scale(self) -> Any:
        return self.city.scale_of(self.plan_id)

    def _items(self) -> pd.DataFrame:
        return self.city.items.loc[self.city.items["plan_id"] == self.plan_id]

    def _statuses(self) -> pd.DataFrame:
        return self.city.statuses.loc[self.city.statuses["plan_id"] == self.plan_id]

    def _rows(self) -> pd.DataFrame:
        return self.achievement_df.loc[self.achievement_df["plan_id"] == self.plan_id]

    def _no_statuses(self) -> Markup | None:
        if self._statuses().empty:
            return _note(
                f"{self.name}は項目別の取組状況の記録がないため、この図はありません"
                "(計画全体の報告値は「評価の要点」に示しています)。"
            )
        return None

    def heading(self) -> Markup:
        """City, plan name, period and evaluation date under the title."""
        period = metrics.period_label(int(self.plan["start_fy"]), int(self.plan["end_fy"]))
        lines = [f"{self.city.city.get('name', '')} {self.plan['name']}", f"計画期間: {period}"]
        if not _missing(self.plan.get("formulated")):
            lines.append(f"策定: {self.plan['formulated']}")
        rows = self._rows()
        if not rows.empty and not _missing(rows.iloc[0]["as_of"]):
            lines.append(f"評価時点: {rows.iloc[0]['as_of']}")
        return _heading(lines)

    def headline(self) -> Headlines | Markup:
        """The first screen: the plan's figures as large numbers with denominators."""
        rows = self._rows()
        if rows.empty:
            return _note(f"{self.name}には評価の記録がありません。")
        figures = metrics.headline_from_achievement(self.achievement_df, self.plan_id)
        sentences = figures["sentences"]
        if figures["source"] == "reported":
            cards = []
            for measure in ("rate_strict", "rate_incl_partial"):
                if figures[measure] is None:
                    continue
                cards.append(
                    Headline(
                        f"{labels.MEASURE_LABELS[measure]}({labels.SOURCE_LABELS['reported']})",
                        figures["wording"] or figures[measure],
                        "",
                        "項目数は出典に記載なし",
                        sentences.get(measure) or figures["summary"],
                    )
                )
            return Headlines(cards)
        n = figures["n_items"]
        counted = {
            "rate_strict": figures["achieved"],
            "rate_incl_partial": figures["achieved"] + figures["partial"],
        }
        cards = [
            Headline(
                labels.MEASURE_LABELS[measure],
                figures[measure],
                "%",
                f"{n}項目中{count}項目",
                sentences.get(measure) or figures["summary"],
                percent=True,
            )
            for measure, count in counted.items()
        ]
        cards.append(
            Headline(
                labels.CLASS_LABELS["not_achieved"],
                figures["not_achieved"],
                "項目",
                f"{n}項目中",
                sentences.get("not_achieved") or figures["summary"],
            )
        )
        return Headlines(cards)

    def scale_table(self) -> Table | Markup:
        """The rating scale of the plan with its definitions as written."""
        scale = self.scale
        if scale is None:
            return _note(
                f"{self.name}については、出典に項目別の取組状況と評価区分の記載がありません。"
            )
        levels = scale.levels.sort_values("order", kind="stable")
        df = pd.DataFrame(
            {
                labels.AXIS_STATUS: levels["label"].fillna(levels["code"]),
                labels.AXIS_CLASS: [labels.CLASS_LABELS[c] for c in levels["cls"]],
                "定義": levels["definition"],
                "出典頁": levels["page"],
            }
        )
        return Table(df, f"評価区分({scale.name})")

    def status_figure(self) -> Figure | Markup:
        """Items per status level, with counts and shares."""
        if (note := self._no_statuses()) is not None:
            return note
        counts = metrics.status_counts(
            self._items(), self._statuses(), self.city.scales, self.city.plans, self.as_of
        )
        return _figure("status_distribution", counts)

    def target_figure(self) -> Figure | Markup:
        """Status classes by target level (実施 / 検討)."""
        if (note := self._no_statuses()) is not None:
            return note
        rows = self._rows()
        if not rows["breakdown"].str.startswith("target:").any():
            return _note("取組目標の区分がありません。")
        return _figure("target_level", rows)

    def category_figure(self) -> Figure | Markup:
        """Status classes by category (priority goal), for plans whose items name one."""
        if (note := self._no_statuses()) is not None:
            return note
        rows = self._rows()
        if not rows["breakdown"].str.startswith("category:").any():
            return _note(f"{self.name}の項目は重点目標に分類されていません。")
        return _figure("category", rows)

    def history_figure(self) -> Figure | Markup:
        """Rates at each evaluation date, when the plan was evaluated more than once."""
        if (note := self._no_statuses()) is not None:
            return note
        dates = self._statuses()["as_of"].dropna().unique()
        if len(dates) < 2:
            when = f"{dates[0]}時点の" if len(dates) else ""
            return _note(f"{self.name}の評価は{when}1回のみのため、推移はありません。")
        rates = metrics.rates_over_time(self._items(), self._statuses(), self.scale)
        return _figure("rates_over_time", rates)

    def item_table(self) -> Table | Markup:
        """Every item with its target, status and description (or plan 1's measures)."""
        items = self._items()
        if items.empty:
            return self._measures_table()
        latest = metrics.latest_statuses(self._statuses(), self.as_of)
        merged = items.merge(
            latest[["plan_id", "item_no", "status"]], on=["plan_id", "item_no"], how="left"
        )
        df = pd.DataFrame(
            {
                "番号": merged["item_no"],
                "項目": merged["name"],
                "取組目標": merged["target"],
                "取組状況": merged["status"].fillna(labels.UNRATED_LABEL),
                "取組内容": merged["description"],
                "時期": merged["date_written"],
                "出典頁": merged["page"],
            }
        )
        return Table(df, f"{self.name}の項目一覧")

    def _measures_table(self) -> Table | Markup:
        measures = self.city.measures.loc[self.city.measures["plan_id"] == self.plan_id]
        if measures.empty:
            return _note(f"{self.name}には項目の記録がありません。")
        goals = self.city.goals.loc[self.city.goals["plan_id"] == self.plan_id]
        merged = measures.merge(goals[["goal_no", "goal"]], on="goal_no", how="left")
        df = pd.DataFrame(
            {
                "重点目標": [
                    f"({g}){t}" for g, t in zip(merged["goal_no"], merged["goal"], strict=True)
                ],
                "主な施策": merged["measure"],
                "出典頁": merged["page"],
            }
        )
        return Table(
            df,
            f"{self.name}の重点目標と主な施策(出典に項目別の評価はありません)",
        )

    def timeline_figure(self) -> Figure | Markup:
        """Events of the plan period on a fiscal-year axis."""
        events = self.city.events
        start, end = int(self.plan["start_fy"]), int(self.plan["end_fy"])
        fy = events["fiscal_year"]
        in_period = events.loc[fy.notna() & (fy >= start) & (fy <= end)]
        plans = self.city.plans.loc[self.city.plans["plan_id"] == self.plan_id]
        return _timeline_figure(in_period, plans)

    def comparison_figure(self) -> Figure | Markup:
        """Rates of every plan of the city, reported figures marked as such."""
        return _comparison_figure(metrics.achievement(self.city, self.as_of))

    def sources(self) -> Markup:
        """Source document, page references, definitions and the check of reported figures."""
        lines = _source_lines(self.city)
        lines.append(f"計画の出典: {self.plan['source']}({self.plan['page']}頁)。")
        check = metrics.check_reported(self.achievement_df, self.city.reported)
        check = check.loc[check["plan_id"] == self.plan_id] if "plan_id" in check else check
        extra = ""
        if not check.empty:
            extra = Table(charts_table_check(check), "出典の報告値と計算値の照合")._repr_html_()
        return _sources_markup(lines, extra)


def charts_table_check(check: pd.DataFrame) -> pd.DataFrame:
    """Display columns of :func:`helpers.metrics.check_reported` (Japanese headers)."""
    renamed = check.rename(columns=labels.COLUMNS)
    return renamed[[c for c in renamed.columns if c not in {"plan_id"}]]


def plan_context(plan_id: str, data_dir: str, as_of: str = "") -> PlanReport:
    """Load and validate the data, check the parameters, and return the plan's report."""
    city = _load(data_dir)
    plan = _plan_row(city, str(plan_id).strip())
    when, when_text = _as_of(as_of)
    achievement_df = metrics.achievement(city, when)
    return PlanReport(city, plan, when, when_text, achievement_df)


# --- timeline report ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineReport:
    """Sections of the timeline report across all plans."""

    city: CityData

    def heading(self) -> Markup:
        events = self.city.events
        dated = events.loc[events["fiscal_year"].notna()]
        first = int(dated["fiscal_year"].min()) if not dated.empty else None
        last = int(dated["fiscal_year"].max()) if not dated.empty else None
        lines = [f"{self.city.city.get('name', '')} 情報化施策の歩み"]
        if first is not None:
            lines.append(f"対象: {metrics.period_label(first, last)}、出来事{len(events)}件")
        return _heading(lines)

    def timeline_figure(self) -> Figure | Markup:
        return _timeline_figure(self.city.events, self.city.plans)

    def golive_figure(self) -> Table | Markup:
        per_plan = metrics.golives_per_plan(self.city.events, self.city.plans)
        if per_plan.empty:
            return _note("計画期間中の稼働・導入の記録がありません。")
        df = pd.DataFrame(
            {
                "計画": per_plan["plan_name"],
                "年度": per_plan["fiscal_year_label"],
                "件数": per_plan["n_events"],
                "主な施策": per_plan["events"],
            }
        )
        return Table(df, "計画期間中の年度ごとの稼働・導入・更新")

    def event_table(self) -> Table:
        events = self.city.events.sort_values(
            ["date", "event_id"], kind="stable", na_position="last"
        )
        plan_names = dict(
            zip(self.city.plans["plan_id"], self.city.plans["short_name"], strict=True)
        )
        df = pd.DataFrame(
            {
                "時期(出典の表記)": events["date_written"].fillna(labels.UNKNOWN_DATE),
                "年度": [
                    fiscal_year_label(int(fy)) if not _missing(fy) else labels.UNKNOWN_DATE
                    for fy in events["fiscal_year"]
                ],
                "出来事": events["event"],
                "計画期間": [
                    plan_names.get(p, "—") if not _missing(p) else "—"
                    for p in events["period_plan_id"]
                ],
                "出典頁": events["page"],
                "備考": events["note"],
            }
        )
        return Table(df, "出来事の一覧(時期順)")

    def sources(self) -> Markup:
        return _sources_markup(_source_lines(self.city))


def timeline_context(data_dir: str) -> TimelineReport:
    """Load and validate the data for the timeline report."""
    return TimelineReport(_load(data_dir))


# --- index page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexReport:
    """The index page: every report with its headline figures."""

    city: CityData
    report_set: dict[str, Any]
    achievement_df: pd.DataFrame

    def heading(self) -> Markup:
        return _heading([f"{self.city.city.get('name', '')} 情報化推進計画の評価報告書"])

    def _entries(self) -> list[dict[str, str]]:
        entries: list[dict[str, str]] = []
        for spec in self.report_set.get("reports", []):
            if spec.get("for_each") == "plan":
                for _, plan in self.city.plans.sort_values("start_fy").iterrows():
                    values = {"plan_id": plan["plan_id"], "plan_name": plan["name"]}
                    entries.append(
                        {
                            "output": str(spec["output"]).format(**values),
                            "title": str(spec.get("title", spec["name"])).format(**values),
                            "plan_id": str(plan["plan_id"]),
                        }
                    )
            elif spec.get("output") != "index":
                entries.append(
                    {"output": str(spec["output"]), "title": str(spec.get("title", spec["name"]))}
                )
        return entries

    def report_list(self) -> Markup:
        items = []
        for entry in self._entries():
            summary = ""
            if "plan_id" in entry:
                try:
                    figures = metrics.headline_from_achievement(
                        self.achievement_df, entry["plan_id"]
                    )
                    summary = figures["summary"]
                except KeyError:
                    summary = "評価の記録なし。"
            href = _esc(f"{entry['output']}.html")
            pdf = _esc(f"{entry['output']}.pdf")
            items.append(
                f'<li><a href="{href}">{_esc(entry["title"])}</a>'
                f' <span class="alt-format">(<a href="{pdf}">PDF</a>)</span>'
                + (f'<p class="summary">{_esc(summary)}</p>' if summary else "")
                + "</li>"
            )
        return Markup(f'<ul class="report-list">{"".join(items)}</ul>', "報告書の一覧")

    def comparison_figure(self) -> Figure | Markup:
        return _comparison_figure(self.achievement_df)

    def open_data(self) -> Markup:
        files = [
            ("data/achievement.csv", "計画・内訳ごとの項目数と達成率"),
            ("data/items.csv", "項目と取組状況"),
            ("data/events.csv", "年表の出来事(年度・計画期間つき)"),
            ("data/columns.csv", "各ファイルの列の意味"),
        ]
        body = "".join(
            f'<li><a href="{_esc(path)}">{_esc(path)}</a>: {_esc(text)}</li>'
            for path, text in files
        )
        note = "文字コードはUTF-8(BOM付き)で、表計算ソフトでそのまま開けます。"
        return Markup(f'<ul class="open-data">{body}</ul><p>{_esc(note)}</p>', note)


def index_context(data_dir: str, report_set: str) -> IndexReport:
    """Load the data and the report set for the index page."""
    city = _load(data_dir)
    path = resolve_path(report_set, "報告書の設定 report_set")
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return IndexReport(city, config, metrics.achievement(city))
