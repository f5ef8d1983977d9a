"""Exploring the plan data yourself in JupyterLab: one import, tables for pandas, quick charts.

::

    from helpers import explore

    data = explore.load()                      # data/higashiyamato, found from any folder
    items = data.items(plan_id="2")            # items with their latest evaluation
    items["取組状況"].value_counts(sort=False)  # in the scale's order: 達成, 一部達成, 未達成
    explore.chart(items, x="取組状況")          # a quick bar chart in the reports' theme

* :func:`load` finds the data folder the way report parameters do (as given, else relative to the
  working folder or one of its parents), reads and checks it, and returns a :class:`Dataset`.
* Tables come with Japanese column names (the CSV headers) or English ones
  (``load(columns="en")``), one row per item or evaluation, and ratings as **ordered
  categoricals** in the scale's order, so sorting, ``value_counts(sort=False)`` and charts follow
  the scale, not the alphabet.
* :func:`chart` draws a bar, line or point chart of any frame in the reports' theme (counts when
  no ``y`` is given), without the title, description and table a report figure needs. Missing
  values are fine.

Problems with the folder or a parameter raise the same short Japanese errors as the reports.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd

from helpers.data.city import CityData, Scale, load_city
from helpers.data.contracts import TABLES_BY_NAME
from helpers.publish.opendata import COLUMN_LABELS
from helpers.report.common import Markup, ReportParameterError, parse_as_of, resolve_path
from helpers.views import indicators, metrics, theme

DEFAULT_DATA_DIR = "data/higashiyamato"
Language = Literal["ja", "en"]

#: Japanese names of the columns the tables derive (not in any CSV).
DERIVED_COLUMNS: dict[str, str] = {
    "plan_name": "計画",
    "goal": "重点目標",
    "as_of_date": "時点の日付",
    "status_order": "取組状況の順位",
    "status_class": "取組状況の区分",
    "status_label": "取組状況の表示名",
    "indicator_name": "指標名",
    "unit": "単位",
}
#: Japanese names of the rating columns that the open data does not publish.
RATING_EXTRA_COLUMNS: dict[str, str] = {
    "goal": "重点目標",
    "decimals": "小数点以下の桁数",
    "previous_value": "前年度の値",
    "condition": "判定",
    "rating_order": "評価の順位",
    "published_label": "公表された評価(表示名)",
}
#: Columns whose names hold one of these are years: shown as they are, one bar or point each.
YEAR_WORDS: tuple[str, ...] = ("年度", "fiscal_year", "_fy")
#: The classes of status levels, as readers see them.
CLASS_NAMES: dict[str, str] = {
    "achieved": "達成",
    "partial": "一部達成",
    "not_achieved": "未達成",
}


def load(data_dir: str = DEFAULT_DATA_DIR, columns: Language = "ja") -> Dataset:
    """Read and check the data folder *data_dir* and return its tables for exploring.

    *data_dir* is found like a report's ``data_dir`` parameter: as given, or relative to the
    working folder or one of its parents (so ``data/higashiyamato`` works from ``notebooks/``
    and ``work/``). *columns* chooses Japanese (``"ja"``, the CSV headers) or English names.
    """
    if columns not in ("ja", "en"):
        raise ReportParameterError(f'columns は "ja" か "en" です(指定: {columns!r})。')
    theme.enable_theme()
    city = load_city(resolve_path(data_dir, "データフォルダ data_dir"))
    return Dataset(city, columns)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One city's data as tables for pandas (see the module docstring). ``city`` is the raw data."""

    city: CityData
    columns: Language = "ja"

    # --- names ---------------------------------------------------------------------------

    def _named(self, frame: pd.DataFrame, *tables: str) -> pd.DataFrame:
        """*frame* with Japanese column names (headers of *tables*), unless English was chosen."""
        if self.columns == "en":
            return frame.reset_index(drop=True)
        names: dict[str, str] = {}
        for table in tables:
            for column in TABLES_BY_NAME[table].columns:
                names.setdefault(column.name, column.header)
        names.update(DERIVED_COLUMNS)
        return frame.rename(columns=names).reset_index(drop=True)

    def _plan_ids(self, plan_id: str | None) -> list[str]:
        plans = self.city.plans["plan_id"].astype(str).tolist()
        if plan_id is None:
            return plans
        if str(plan_id) not in plans:
            raise ReportParameterError(
                f"計画ID「{plan_id}」は plans.csv にありません(あるのは {', '.join(plans)})。"
            )
        return [str(plan_id)]

    # --- what there is ---------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """How many rows each table of the folder has (表, 行数, what to call)."""
        city = self.city
        rows = [
            ("計画", len(city.plans), "plans()"),
            ("取組項目", len(city.items), "items()"),
            ("取組状況(評価)", len(city.statuses), "evaluations()"),
            ("指標", len(city.indicators), "indicators()"),
            ("指標の実績値", len(city.actuals), "actuals()"),
        ]
        return pd.DataFrame(rows, columns=["表", "行数", "呼び出し方"])

    def overview(self) -> Markup:
        """The city's name and the tables with their row counts, for display."""
        name = self.city.city.get("name", "")
        folder = "" if self.city.folder is None else f"({self.city.folder.name})"
        heading = f"{name}のデータ{folder}"
        table = self.summary()
        return Markup(
            f"<p><strong>{html.escape(heading)}</strong></p>{table.to_html(index=False)}",
            f"{heading}\n{table.to_string(index=False)}",
        )

    def _repr_html_(self) -> str:
        return self.overview().html

    # --- tables ----------------------------------------------------------------------------

    def plans(self) -> pd.DataFrame:
        """The plans, one row each."""
        return self._named(self.city.plans.copy(), "plans")

    def scale(self, plan_id: str) -> pd.DataFrame:
        """The rating scale of plan *plan_id*, best level first (code, label, order, class)."""
        scale = self._scale(plan_id)
        if scale is None:
            return self._named(pd.DataFrame(columns=["status", "status_label"]), "statuses")
        levels = scale.levels.sort_values("order", kind="stable")
        frame = pd.DataFrame(
            {
                "status": levels["code"].to_numpy(),
                "status_label": levels["label"].fillna(levels["code"]).to_numpy(),
                "status_order": levels["order"].to_numpy(),
                "status_class": [CLASS_NAMES.get(c, c) for c in levels["cls"]],
                "definition": levels["definition"].to_numpy(),
            }
        )
        frame = self._named(frame, "statuses")
        return frame.rename(columns={"definition": "定義"}) if self.columns == "ja" else frame

    def items(self, plan_id: str | None = None, as_of: str = "") -> pd.DataFrame:
        """Items with their latest evaluation, or the latest on or before *as_of* (平成24年度末).

        One row per item (plan, item number, name, target, goal, description, …) with the
        evaluation's 時点 and 取組状況 (an ordered categorical in the scale's order; missing when
        not yet evaluated), its order and class. An *as_of* before every evaluation of the plans
        asked for is an error that lists the evaluation dates there are.
        """
        ids = self._plan_ids(plan_id)
        when, when_text = parse_as_of(as_of)
        items = self.city.items.loc[self.city.items["plan_id"].isin(ids)]
        statuses = self.city.statuses.loc[self.city.statuses["plan_id"].isin(ids)]
        latest = metrics.latest_statuses(statuses, when)
        if when is not None and latest.empty and not statuses.empty:
            dates = ", ".join(dict.fromkeys(statuses.sort_values("as_of_date")["as_of"]))
            raise ReportParameterError(
                f"評価時点「{when_text}」({when:%Y-%m-%d})以前の評価はありません。"
                f"記録のある評価時点: {dates}。"
            )
        keep = ["plan_id", "item_no", "as_of", "as_of_date", "status"]
        joined = items.merge(latest[keep], on=["plan_id", "item_no"], how="left")
        joined = self._with_plan_and_goal(joined)
        return self._named(self._rated(joined), "items", "statuses")

    def evaluations(self, plan_id: str | None = None) -> pd.DataFrame:
        """Every evaluation of every item (the history), oldest first, with the item's name."""
        ids = self._plan_ids(plan_id)
        statuses = self.city.statuses.loc[self.city.statuses["plan_id"].isin(ids)]
        names = self.city.items[["plan_id", "item_no", "name", "target"]]
        joined = statuses.merge(names, on=["plan_id", "item_no"], how="left")
        joined = joined.sort_values(["plan_id", "item_no", "as_of_date"], kind="stable")
        joined = self._with_plan_and_goal(joined)
        return self._named(self._rated(joined), "statuses", "items")

    def indicators(self, plan_id: str | None = None) -> pd.DataFrame:
        """The indicators (指標): baseline, target, unit, direction; empty when there are none."""
        ids = self._plan_ids(plan_id)
        frame = self.city.indicators.loc[self.city.indicators["plan_id"].isin(ids)]
        return self._named(self._with_plan_and_goal(frame.copy()), "indicators")

    def actuals(self, plan_id: str | None = None) -> pd.DataFrame:
        """The indicators' actual values per fiscal year, with the indicator's name and unit."""
        ids = self._plan_ids(plan_id)
        actuals = self.city.actuals.loc[self.city.actuals["plan_id"].isin(ids)]
        names = self.city.indicators[["plan_id", "indicator_id", "series", "name", "unit"]]
        names = names.rename(columns={"name": "indicator_name"})
        joined = actuals.merge(names, on=["plan_id", "indicator_id", "series"], how="left")
        joined = joined.sort_values(["plan_id", "indicator_id", "fiscal_year"], kind="stable")
        return self._named(self._with_plan_and_goal(joined), "actuals")

    def indicator_ratings(self, plan_id: str | None = None) -> pd.DataFrame:
        """Every indicator rated by its plan's rule in every assessed fiscal year, the published
        rating beside it, as in the open data's ``indicators.csv`` (same column names).

        The computed rating's display name is an ordered categorical, best level first.
        """
        frames = [indicators.indicator_ratings(self.city, pid) for pid in self._plan_ids(plan_id)]
        frames = [frame for frame in frames if not frame.empty]
        if not frames:
            ratings = pd.DataFrame(columns=list(indicators.RATING_COLUMNS))
        else:
            ratings = pd.concat(frames, ignore_index=True)
            rated = ratings.dropna(subset=["rating_label"]).sort_values("rating_order")
            order = list(dict.fromkeys(rated["rating_label"]))
            ratings["rating_label"] = pd.Categorical(
                ratings["rating_label"], categories=order, ordered=True
            )
        if self.columns == "en":
            return ratings
        return ratings.rename(columns={**COLUMN_LABELS, **RATING_EXTRA_COLUMNS})

    def achievement(self, as_of: str = "") -> pd.DataFrame:
        """Achievement per plan and breakdown (counts and rates), as in ``achievement.csv``."""
        when, _ = parse_as_of(as_of)
        return metrics.achievement(self.city, when)

    # --- helpers ---------------------------------------------------------------------------

    def _scale(self, plan_id: str) -> Scale | None:
        (plan_id,) = self._plan_ids(plan_id)
        return self.city.scale_of(plan_id)

    def _with_plan_and_goal(self, frame: pd.DataFrame) -> pd.DataFrame:
        """*frame* with the plan's short name after plan_id and, where known, the goal's name."""
        plans = self.city.plans[["plan_id", "short_name"]].rename(
            columns={"short_name": "plan_name"}
        )
        frame = frame.merge(plans, on="plan_id", how="left")
        if "goal_no" in frame.columns and not self.city.goals.empty:
            goals = self.city.goals[["plan_id", "goal_no", "goal"]]
            frame = frame.merge(goals, on=["plan_id", "goal_no"], how="left")
        columns = list(frame.columns)
        columns.insert(1, columns.pop(columns.index("plan_name")))
        return frame[columns]

    def _levels(self, plan_ids: list[str]) -> pd.DataFrame:
        """Levels of the plans' scales: code, order, class; best first, each code once."""
        frames = []
        for plan_id in plan_ids:
            scale = self.city.scale_of(plan_id)
            if scale is not None:
                frames.append(scale.levels[["code", "order", "cls"]])
        if not frames:
            return pd.DataFrame({"code": [], "order": [], "cls": []})
        levels = pd.concat(frames).sort_values("order", kind="stable")
        return levels.drop_duplicates("code").reset_index(drop=True)

    def _rated(self, frame: pd.DataFrame) -> pd.DataFrame:
        """*frame* with status as an ordered categorical, and its order and class beside it."""
        levels = self._levels(list(dict.fromkeys(frame["plan_id"].astype(str))))
        order = dict(zip(levels["code"], levels["order"], strict=True))
        classes = dict(zip(levels["code"], levels["cls"], strict=True))
        status = frame["status"]
        frame = frame.assign(
            status=pd.Categorical(status, categories=list(levels["code"]), ordered=True),
            status_order=status.map(order).astype("Int64"),
            status_class=status.map(lambda code: CLASS_NAMES.get(classes.get(code, ""))),
        )
        return frame


def chart(
    frame: pd.DataFrame,
    x: str,
    y: str | None = None,
    color: str | None = None,
    mark: Literal["bar", "line", "point"] = "bar",
    title: str | None = None,
) -> alt.Chart:
    """A quick chart of *frame* in the reports' theme (displayed by showing it).

    *x* and *y* name columns; without *y*, bars count the rows per *x* (件数). Categorical
    columns (ratings from :class:`Dataset`) keep their order, and a rating column as *color*
    gets the reports' status colours. Missing values are left out of the drawing, never an error.
    """
    theme.enable_theme()
    missing = [c for c in (x, y, color) if c is not None and c not in frame.columns]
    if missing:
        present = ", ".join(map(str, frame.columns))
        raise ReportParameterError(f"列「{'」「'.join(missing)}」がありません(ある列: {present})。")
    base = alt.Chart(_plain(frame))
    encoding: dict[str, Any] = {"x": _channel(frame, x, "x")}
    if y is None:
        encoding["y"] = alt.Y("count():Q", title="件数")
    else:
        encoding["y"] = _channel(frame, y, "y")
    if color is not None:
        encoding["color"] = _channel(frame, color, "color")
    tooltip = list(dict.fromkeys(c for c in (x, y, color) if c is not None))
    marks = {"bar": base.mark_bar, "line": base.mark_line, "point": base.mark_point}
    if mark not in marks:
        raise ReportParameterError(f"mark は bar, line, point のどれかです(指定: {mark!r})。")
    drawn = marks[mark]().encode(**encoding, tooltip=tooltip)
    return drawn.properties(title=title) if title else drawn


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* with categoricals as text (their order goes into the encoding instead)."""
    out = frame.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def _channel(frame: pd.DataFrame, column: str, channel: str) -> Any:
    """An Altair channel for *column*: ordinal in category order, else by the column's type."""
    series = frame[column]
    kinds = {"x": alt.X, "y": alt.Y, "color": alt.Color}
    make = kinds[channel]
    upright = {"axis": alt.Axis(labelAngle=0)} if channel == "x" else {}  # Japanese stays upright
    if isinstance(series.dtype, pd.CategoricalDtype):
        order = [str(c) for c in series.cat.categories]
        options: dict[str, Any] = {"sort": order}
        if channel == "color":
            options = {"scale": _colour_scale(frame, column, order), "sort": order}
        return make(f"{column}:O", **options, **upright)
    if channel == "x" and any(word in column for word in YEAR_WORDS):
        return make(f"{column}:O", **upright)  # fiscal years: 2019, not 2,019
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return make(f"{column}:Q")
    if pd.api.types.is_datetime64_any_dtype(series):
        return make(f"{column}:T")
    return make(f"{column}:N", **upright)


def _colour_scale(frame: pd.DataFrame, column: str, order: list[str]) -> alt.Scale:
    """The reports' status colours when *frame* says each category's class, else the palette."""
    class_column = next(
        (c for c in ("status_class", DERIVED_COLUMNS["status_class"]) if c in frame.columns), None
    )
    if class_column is None:
        return alt.Scale(domain=order)
    english = {name: cls for cls, name in CLASS_NAMES.items()}
    pairs = frame[[column, class_column]].dropna().astype(str).drop_duplicates(column)
    classes = {
        code: english.get(name)
        for code, name in zip(pairs[column], pairs[class_column], strict=True)
    }
    if not classes:
        return alt.Scale(domain=order)
    rank: dict[str, int] = {}
    colours = []
    for code in order:
        cls = classes.get(code)
        colours.append(theme.class_colour(cls, rank.get(cls or "", 0)))
        rank[cls or ""] = rank.get(cls or "", 0) + 1
    return alt.Scale(domain=order, range=colours)
