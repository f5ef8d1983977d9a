"""Altair charts of indicators, each with a Japanese title, a text alternative and a data table.

Like :mod:`helpers.views.charts`, every chart ``<name>`` has four functions taking the same
frame(s): ``<name>_chart`` (an Altair chart, never displayed here), ``<name>_title``,
``<name>_description`` (one sentence with the numbers, the chart's text alternative) and
``<name>_table`` (the same numbers with Japanese headers).

=============  ==============================================================================
name           input (:mod:`helpers.views.indicators`)
=============  ==============================================================================
trend          ``trend_points(city, plan_id, year)``: small multiples, one panel per indicator
distribution   ``rating_distribution(ratings, rules, year)``: indicators per level of each rule
by_goal        ``ratings_by_goal(ratings, rules, year)``: levels per goal (category)
=============  ==============================================================================

Lower-is-better indicators are drawn as they are (the axis is never turned upside down); each
panel says "低いほど良い" under its name. Levels are never told by colour alone: bars and
segments carry the level's name and count, points their value; colours run from blue (best) to
vermillion (worst) in the colour-blind-safe palette of :mod:`helpers.views.theme`, grey for
"cannot be assessed".
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd

from helpers.data.contracts import DIRECTIONS
from helpers.data.dates import era_year_label, fiscal_year_short
from helpers.views import theme
from helpers.views.formatting import format_percent, is_missing
from helpers.views.indicators import series_label

INDICATOR_UNIT = "指標"
PRELIMINARY = "速報"
"""How a preliminary actual (actuals.csv 速報・確定 = 速報) is marked: its point is hollow."""
KIND_LABELS: dict[str, str] = {
    "actual": "実績値",
    "baseline": "基準値",
    "year_target": "年度目標",
    "target": "目標値",
}
KIND_SHAPES: dict[str, str] = {
    "actual": "circle",
    "baseline": "square",
    "year_target": "triangle-up",
    "target": "diamond",
}
_LEVEL_PALETTES: dict[int, tuple[str, ...]] = {
    1: ("#0072B2",),
    2: ("#0072B2", "#D55E00"),
    3: ("#0072B2", "#E69F00", "#D55E00"),
    4: ("#0072B2", "#56B4E9", "#E69F00", "#D55E00"),
    5: ("#0072B2", "#56B4E9", "#F0E442", "#E69F00", "#D55E00"),
}
PANEL_WIDTH = 240
NARROW_PANEL_WIDTH = 250
"""Plot width of a panel in the phone drawing (at most 340 px with its axis and labels)."""
PANEL_HEIGHT = 140
NAME_LINE = 17
"""Characters per line of an indicator's name in a panel header."""
LABEL_GAP = 10
"""px between a point and the label above or below it."""
LOW_BASELINE = 0.15
"""A baseline or target in this lowest share of its panel's scale gets its label above it."""


def level_colour(order: int, n_rated: int, missing: bool = False) -> str:
    """Colour of the ``order``-th best of ``n_rated`` levels (grey for the missing level)."""
    if missing:
        return theme.UNRATED_COLOUR
    palette = _LEVEL_PALETTES.get(n_rated)
    if palette is None:  # more levels than palettes: blue, sky blue, …, vermillion, repeated
        palette = _LEVEL_PALETTES[5]
        return palette[min(round(order * 4 / max(n_rated - 1, 1)), 4)]
    return palette[order]


def _year(fy: Any) -> str:
    return era_year_label(int(fy))


def _count(n: int) -> str:
    return f"{int(n)}{INDICATOR_UNIT}"


# --------------------------------------------------------------------------------------------
# trend: small multiples per indicator (input: indicators.trend_points)
# --------------------------------------------------------------------------------------------


def _wrap(text: str, width: int = NAME_LINE) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _panel(row: pd.Series) -> str:
    unit = "" if is_missing(row["unit"]) else f"単位: {row['unit']}・"
    lines = [
        *_wrap(f"{row['indicator_id']} {row['name']}"),
        f"（{unit}{DIRECTIONS[row['direction']]}）",
    ]
    return "\n".join(lines)


def _trend_data(points: pd.DataFrame) -> pd.DataFrame:
    data = points.copy()
    data["panel"] = [_panel(r) for _, r in data.iterrows()]
    several = data.groupby("indicator_id")["series"].transform(lambda s: s.notna().any())
    data["series_label"] = [
        str(s) if flag and not is_missing(s) else KIND_LABELS["actual"]
        for s, flag in zip(data["series"], several, strict=True)
    ]
    data["kind_label"] = [KIND_LABELS[k] for k in data["kind"]]
    data["year_label"] = [_year(y) for y in data["fiscal_year"]]
    data["status"] = [PRELIMINARY if s == "preliminary" else "" for s in data["value_status"]]
    data["preliminary"] = data["status"] == PRELIMINARY
    latest = (
        data.loc[data["kind"] == "actual"]
        .groupby(["indicator_id", "series_label"])["fiscal_year"]
        .transform("max")
    )
    data["label"] = ""
    actual = data["kind"] == "actual"
    # the latest actual is written beside its point; a preliminary (速報) actual says so,
    # the latest as "33.0%（速報）", an earlier one as 「速報」
    data.loc[actual, "label"] = [
        (t + (f"（{PRELIMINARY}）" if p else "")) if y == m else (PRELIMINARY if p else "")
        for t, y, m, p in zip(
            data.loc[actual, "text"],
            data.loc[actual, "fiscal_year"],
            latest,
            data.loc[actual, "status"] == PRELIMINARY,
            strict=True,
        )
    ]
    # baseline and target named on the chart (a series indicator's are in its data table)
    single = ~several.astype(bool)
    for kind, word in (("target", "目標"), ("baseline", "基準")):
        rows = single & (data["kind"] == kind)
        data.loc[rows, "label"] = word + " " + data.loc[rows, "text"]
    data["label_side"] = _label_sides(data)
    data["fiscal_year"] = data["fiscal_year"].astype(int)
    return data.reset_index(drop=True)


def _label_sides(data: pd.DataFrame) -> list[str]:
    """Where the label of each baseline and target goes, ``above`` or ``below`` its point, away
    from where the actuals usually run: a baseline's below its dashed line when higher is better
    (the actuals rise from it) and above when lower is better; a target's the other way round.
    A label that would go below a point in the lowest :data:`LOW_BASELINE` of its panel's scale
    (where it would meet the x axis) goes above. "" for the other rows."""
    low = data.groupby("indicator_id")["value"].transform(lambda v: min(0.0, float(v.min())))
    high = data.groupby("indicator_id")["value"].transform(lambda v: max(0.0, float(v.max())))
    sides = []
    for kind, direction, value, bottom, top in zip(
        data["kind"], data["direction"], data["value"], low, high, strict=True
    ):
        height = (float(value) - bottom) / (top - bottom) if top > bottom else 0.0
        below = {"baseline": "higher", "target": "lower"}.get(kind) == direction
        if kind not in ("baseline", "target"):
            sides.append("")
        else:
            sides.append("below" if below and height >= LOW_BASELINE else "above")
    return sides


def trend_title(points: pd.DataFrame) -> str:
    """E.g. "指標の推移(令和6年度まで)"."""
    actual = points.loc[points["kind"] == "actual", "fiscal_year"]
    until = f"（{_year(actual.max())}まで）" if len(actual) else ""
    return f"指標の推移{until}"


def _series_colours(names: list[str]) -> dict[str, str]:
    """The colour of each line drawn: 実績値 (an indicator without series) blue, the series after
    it in order. Only the lines drawn are listed, so the legend names no line the chart lacks (an
    item page of one indicator measured in series listed 実績値 too)."""
    palette = (theme.OKABE_ITO[4], theme.OKABE_ITO[5], theme.OKABE_ITO[2], theme.OKABE_ITO[6])
    ordered = [KIND_LABELS["actual"], *[n for n in names if n != KIND_LABELS["actual"]]]
    colours = {name: palette[n % len(palette)] for n, name in enumerate(dict.fromkeys(ordered))}
    return {name: colour for name, colour in colours.items() if name in names}


def trend_chart(points: pd.DataFrame) -> alt.FacetChart:
    """The trend panels two per row (see :func:`_trend`)."""
    return _trend(points, PANEL_WIDTH, columns=2, legend_direction="horizontal")


def trend_narrow_chart(points: pd.DataFrame) -> alt.FacetChart:
    """The trend panels for phones: one per row, each :data:`NARROW_PANEL_WIDTH` px wide, and
    the legends' entries one under the other (side by side they made the drawing wider than a
    phone, so the derived phone drawing squeezed every panel's plot to about 60 px)."""
    return _trend(points, NARROW_PANEL_WIDTH, columns=1, legend_direction="vertical")


def _trend(
    points: pd.DataFrame, width: int, *, columns: int, legend_direction: str
) -> alt.FacetChart:
    """One panel per indicator: its actuals by fiscal year (a line per series), the baseline as
    a dashed line and a square, the target as a diamond at its year (interim targets as small
    triangles), the latest actual, the baseline and the target written beside their points: the
    baseline's label starts at its square and runs right (clear of the y axis's tick labels),
    baseline and target labels sit on the side away from the actuals (:func:`_label_sides`)."""
    data = _trend_data(points)
    first, last = int(data["fiscal_year"].min()), int(data["fiscal_year"].max())
    names = {y: fiscal_year_short(y) for y in range(first, last + 1)}
    lookup = json.dumps([names[y] for y in range(first, last + 1)], ensure_ascii=False)
    x = alt.X(
        "fiscal_year:Q",
        title=None,
        scale=alt.Scale(domain=[first - 0.5, last + 0.5], nice=False, zero=False),
        axis=alt.Axis(
            values=list(range(first, last + 1)),
            labelExpr=f"{lookup}[datum.value - {first}]",
            grid=False,
            labelOverlap=False,
        ),
    )
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=True, nice=True))
    series = list(dict.fromkeys(data["series_label"]))
    colours = _series_colours(series)
    colour = alt.Color(
        "series_label:N",
        title="系列",
        scale=theme.colour_scale(colours, colours),
        legend=alt.Legend(orient="bottom", direction=legend_direction)
        if len(colours) > 1
        else None,
    )
    references = [k for k in ("baseline", "year_target", "target") if k in set(data["kind"])]
    shape = alt.Shape(
        "kind_label:N",
        title="基準と目標",
        scale=alt.Scale(
            domain=[KIND_LABELS[k] for k in references],
            range=[KIND_SHAPES[k] for k in references],
        ),
        legend=alt.Legend(orient="bottom", direction=legend_direction),
    )
    tooltip = [
        alt.Tooltip("name:N", title="指標"),
        alt.Tooltip("series_label:N", title="系列"),
        alt.Tooltip("kind_label:N", title="種類"),
        alt.Tooltip("year_label:N", title="年度"),
        alt.Tooltip("text:N", title="値"),
        alt.Tooltip("status:N", title="速報・確定"),
    ]
    base = alt.Chart().encode(x=x, y=y)
    baseline_rule = (
        base.mark_rule(strokeDash=[4, 3], color="#777777")
        .encode(x=alt.value(0), x2=alt.value("width"), detail="series_label:N")
        .transform_filter(alt.datum.kind == "baseline")
    )
    lines = (
        base.mark_line(strokeWidth=2)
        .encode(color=colour, detail="series_label:N")
        .transform_filter(alt.datum.kind == "actual")
    )
    actual_points = (
        base.mark_point(filled=True, size=50, shape="circle")
        .encode(color=colour, tooltip=tooltip)
        .transform_filter((alt.datum.kind == "actual") & ~alt.datum.preliminary)
    )
    # a preliminary actual: a hollow point (white inside, the series' colour around), labelled
    preliminary_points = (
        base.mark_point(filled=False, fill="#FFFFFF", size=60, strokeWidth=2, shape="circle")
        .encode(color=colour, tooltip=tooltip)
        .transform_filter((alt.datum.kind == "actual") & alt.datum.preliminary)
    )
    reference_points = (
        base.mark_point(filled=False, size=70, strokeWidth=1.5, color=theme.INK)
        .encode(shape=shape, tooltip=tooltip)
        .transform_filter(alt.datum.kind != "actual")
    )

    # The latest actual is labelled above its point, the target above or below its diamond
    # (:func:`_label_sides`). The baseline is the panel's first year, half a year from the y
    # axis: its label starts at the square's left edge and runs right, above or below the dashed
    # line (centred on the point, half of it lay over the axis's tick labels).
    def labels(kinds: Any, side: str, align: str, dx: int) -> alt.Chart:
        return (
            base.mark_text(
                align=align,
                baseline="top" if side == "below" else "bottom",
                dx=dx,
                dy=LABEL_GAP - 4 if side == "below" else -(LABEL_GAP - 4),
                fontSize=11,
                color=theme.INK,
            )
            .encode(text="label:N")
            .transform_filter(
                (alt.datum.label != "")
                & kinds
                & (
                    (alt.datum.label_side == "below")
                    if side == "below"
                    else (alt.datum.label_side != "below")
                )
            )
        )

    text_layers = [
        labels(alt.datum.kind != "baseline", "above", "center", 0),
        labels(alt.datum.kind == "target", "below", "center", 0),
        labels(alt.datum.kind == "baseline", "above", "left", -4),
        labels(alt.datum.kind == "baseline", "below", "left", -4),
    ]
    order = list(dict.fromkeys(data["panel"]))
    header = alt.Header(
        labelExpr="split(datum.value, '\\n')",
        labelAlign="left",
        labelAnchor="start",
        labelFontSize=11,
        labelLimit=width + 40,
        title=None,
    )
    return (
        alt.layer(
            baseline_rule,
            lines,
            reference_points,
            actual_points,
            preliminary_points,
            *text_layers,
            data=data,
        )
        .properties(width=width, height=PANEL_HEIGHT)
        .facet(facet=alt.Facet("panel:N", sort=order, header=header), columns=columns)
        .resolve_scale(y="independent")
        .properties(title=trend_title(points))
    )


def _names(names: list[str]) -> str:
    return f"（{'、'.join(names)}）" if names else ""


def _trend_states(points: pd.DataFrame) -> list[dict[str, Any]]:
    """Per indicator and series: its name, the years of its latest actual, baseline and target,
    and where the latest actual stands: ``met`` (the target reached), ``better``, ``same`` or
    ``worse`` than the baseline, ``not_met`` (no baseline), ``none`` (no actual)."""
    found = []
    for (_, series), group in points.groupby(["indicator_id", "series"], sort=False, dropna=False):
        first = group.iloc[0]
        good = 1 if first["direction"] == "higher" else -1
        actual = group.loc[group["kind"] == "actual"].sort_values("fiscal_year")
        baseline = group.loc[group["kind"] == "baseline"]
        target = group.loc[group["kind"] == "target"]
        row: dict[str, Any] = {
            "name": series_label(first["name"], series),
            "latest_year": None,
            "baseline_year": int(baseline.iloc[0]["fiscal_year"]) if len(baseline) else None,
            "target_year": int(target.iloc[0]["fiscal_year"]) if len(target) else None,
            "state": "none",
        }
        found.append(row)
        if actual.empty:
            continue
        latest = float(actual.iloc[-1]["value"])
        row["latest_year"] = int(actual.iloc[-1]["fiscal_year"])
        change = good * (latest - float(baseline.iloc[0]["value"])) if len(baseline) else None
        if len(target) and good * (latest - float(target.iloc[0]["value"])) >= 0:
            row["state"] = "met"
        elif change is None:
            row["state"] = "not_met"
        else:
            row["state"] = "better" if change > 0 else "worse" if change < 0 else "same"
    return found


def _comparison_sentence(rows: list[dict[str, Any]], until: int) -> str:
    """One sentence for indicators whose latest actuals are of one year and whose baselines are
    of one year: both years named, then how many reached the target, are better, the same or
    worse than the baseline. Indicators whose latest actual is older than ``until``, and those
    without a baseline, are named."""
    latest, baseline = rows[0]["latest_year"], rows[0]["baseline_year"]
    target_years = {r["target_year"] for r in rows}
    target = "目標値"
    if len(target_years) == 1 and None not in target_years:
        target = f"{_year(next(iter(target_years)))}の目標値"
    named = _names([r["name"] for r in rows])

    def count(state: str) -> int:
        return sum(r["state"] == state for r in rows)

    if baseline is None:
        return (
            f"基準値のない{len(rows)}本{named}では、{_year(latest)}の実績値が"
            f"{target}に達したものが{count('met')}本、達していないものが{count('not_met')}本です。"
        )
    older = f"実績値が{_year(latest)}までの{len(rows)}本{named}では、" if latest != until else ""
    counts = [f"{target}に達したものが{count('met')}本", f"基準値より良いものが{count('better')}本"]
    if count("same"):
        counts.append(f"基準値と同じものが{count('same')}本")
    worse = _names([r["name"] for r in rows if r["state"] == "worse"])
    counts.append(f"基準値より悪いものが{count('worse')}本{worse}")
    return (
        f"{older}{_year(latest)}の実績値を{_year(baseline)}（策定時）の基準値と比べると、"
        + "、".join(counts)
        + "です。"
    )


def trend_description(points: pd.DataFrame) -> str:
    """How many indicators, up to which year, and where their latest actuals stand against
    target and baseline (the worse-than-baseline ones named). Every comparison names the fiscal
    years of both values it compares: indicators are grouped by the year of their latest actual
    and of their baseline, one sentence per group."""
    states = _trend_states(points)
    actual_years = points.loc[points["kind"] == "actual", "fiscal_year"]
    if actual_years.empty:
        return f"{len(states)}本の指標の基準値と目標値を示します（実績値の記録はまだありません）。"
    until = int(actual_years.max())
    sentences = [f"{len(states)}本の指標（系列ごと）の{_year(until)}までの推移を示します。"]
    compared: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in states:
        if row["state"] != "none":
            key = (-row["latest_year"], row["baseline_year"] is None, row["baseline_year"] or 0)
            compared.setdefault(key, []).append(row)
    sentences += [_comparison_sentence(rows, until) for _, rows in sorted(compared.items())]
    none = [r["name"] for r in states if r["state"] == "none"]
    if none:
        sentences.append(f"実績値のないものが{len(none)}本{_names(none)}あります。")
    sentences.append(_preliminary_sentence(points))
    return "".join(sentences)


def _preliminary_sentence(points: pd.DataFrame) -> str:
    """Which actuals are preliminary (速報), with year and value, and how the chart marks them;
    "" when none is."""
    rows = points.loc[(points["kind"] == "actual") & (points["value_status"] == "preliminary")]
    if rows.empty:
        return ""
    values = "、".join(
        f"{series_label(r['name'], r['series'])}の{_year(r['fiscal_year'])}の実績値（{r['text']}）"
        for _, r in rows.iterrows()
    )
    return f"{values}は速報値で、図では白抜きの点と「{PRELIMINARY}」の文字で示します。"


def trend_table(points: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator and series: baseline, the actual of every year, target, and the
    interim targets."""
    actual_years = sorted({int(y) for y in points.loc[points["kind"] == "actual", "fiscal_year"]})
    rows = []
    for (_, series), group in points.groupby(["indicator_id", "series"], sort=False, dropna=False):
        first = group.iloc[0]

        def at(kind: str, g: pd.DataFrame = group) -> str:
            found = g.loc[g["kind"] == kind]
            if found.empty:
                return ""
            row = found.iloc[0]
            return f"{row['text']}（{_year(row['fiscal_year'])}）"

        row: dict[str, Any] = {
            "指標": f"{first['indicator_id']} {first['name']}",
            "系列": "" if is_missing(series) else series,
            "方向": DIRECTIONS[first["direction"]],
            "基準値": at("baseline"),
        }
        actual = group.loc[group["kind"] == "actual"]
        for year in actual_years:
            found = actual.loc[actual["fiscal_year"] == year]
            text = "" if found.empty else found.iloc[0]["text"]
            if not found.empty and found.iloc[0]["value_status"] == "preliminary":
                text += "（速報）"
            row[_year(year)] = text
        row["目標値"] = at("target")
        interim = group.loc[group["kind"] == "year_target"].sort_values("fiscal_year")
        row["年度目標"] = "、".join(
            f"{_year(y)} {t}" for y, t in zip(interim["fiscal_year"], interim["text"], strict=True)
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty and not table["年度目標"].astype(bool).any():
        table = table.drop(columns="年度目標")
    if not table.empty and not table["系列"].astype(bool).any():
        table = table.drop(columns="系列")
    return table


# --------------------------------------------------------------------------------------------
# distribution of ratings (input: indicators.rating_distribution)
# --------------------------------------------------------------------------------------------


def _with_colours(dist: pd.DataFrame) -> pd.DataFrame:
    data = dist.copy()
    n_rated = data.loc[~data["missing"].astype(bool)].groupby("rule")["level"].nunique()
    data["colour"] = [
        level_colour(int(o), int(n_rated.get(r, 1)), bool(m))
        for r, o, m in zip(data["rule"], data["order"], data["missing"], strict=True)
    ]
    data["key"] = data["rule"] + "|" + data["label"]
    return data


def distribution_title(dist: pd.DataFrame) -> str:
    """E.g. "指標の評価の内訳(令和6年度)"."""
    years = dist["fiscal_year"].dropna()
    return f"指標の評価の内訳（{_year(years.iloc[0])}）" if len(years) else "指標の評価の内訳"


def distribution_chart(dist: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Bars of indicators per level (every level listed, best first), labelled "N指標 (x%)";
    one panel per rule when the plan uses several."""
    data = _with_colours(dist)
    data["text"] = [
        f"{_count(c)}" + ("" if is_missing(s) else f"（{format_percent(float(s))}）")
        for c, s in zip(data["count"], data["share"], strict=True)
    ]
    data["share"] = data["share"].astype("float64")
    top = max(2, round(float(data["count"].max()) * 1.5 + 0.5)) if len(data) else 2
    x = alt.X(
        "count:Q",
        title="指標数",
        scale=alt.Scale(domain=[0, top]),
        axis=alt.Axis(values=list(range(top + 1)), format="d"),
    )
    y = alt.Y(
        "key:N",
        title="評価",
        sort=list(data.sort_values(["rule", "order"], kind="stable")["key"]),
        axis=alt.Axis(labelExpr="split(datum.value, '|')[1]"),
    )
    colours = dict(zip(data["key"], data["colour"], strict=True))
    base = alt.Chart().encode(x=x, y=y)
    bars = base.mark_bar().encode(
        color=alt.Color("key:N", scale=theme.colour_scale(colours, colours), legend=None),
        tooltip=[
            alt.Tooltip("rule_name:N", title="評価基準"),
            alt.Tooltip("label:N", title="評価"),
            alt.Tooltip("count:Q", title="指標数"),
            alt.Tooltip("share:Q", title="割合", format=".1%"),
        ],
    )
    text = base.mark_text(align="left", baseline="middle", dx=4).encode(text="text:N")
    title = distribution_title(dist)
    if data["rule"].nunique() <= 1:
        return alt.layer(bars, text, data=data, title=title).properties(width=theme.WIDTH - 120)
    header = alt.Header(
        labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top", title=None
    )
    return (
        alt.layer(bars, text, data=data)
        .properties(width=theme.WIDTH - 120)
        .facet(
            row=alt.Row("rule_name:N", sort=list(dict.fromkeys(data["rule_name"])), header=header),
            title=title,
        )
        .resolve_scale(y="independent")
    )


def distribution_description(dist: pd.DataFrame) -> str:
    """E.g. "令和6年度の7指標の評価は、目標の達成度(4段階)でA 0指標、B 4指標、…です。"."""
    if dist.empty:
        return "評価した指標はありません。"
    parts = []
    for _, rule in dist.groupby("rule", sort=False):
        first = rule.iloc[0]
        levels = "、".join(f"{r['label']} {int(r['count'])}" for _, r in rule.iterrows())
        parts.append(f"{first['rule_name']}で評価した{_count(first['n_indicators'])}が{levels}")
    total = int(dist.drop_duplicates("rule")["n_indicators"].sum())
    year = dist["fiscal_year"].dropna()
    when = f"{_year(year.iloc[0])}の" if len(year) else ""
    return f"{when}{_count(total)}の評価は、" + "、".join(parts) + "です。"


def distribution_table(dist: pd.DataFrame) -> pd.DataFrame:
    """Rule, level, number of indicators and share."""
    return pd.DataFrame(
        {
            "評価基準": dist["rule_name"],
            "評価": dist["label"],
            "指標数": dist["count"].astype(int),
            "割合": ["" if is_missing(s) else format_percent(float(s)) for s in dist["share"]],
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# ratings by goal (input: indicators.ratings_by_goal)
# --------------------------------------------------------------------------------------------


def _goal_label(goal_no: Any, goal: Any) -> str:
    if is_missing(goal_no):
        return "重点目標なし"
    return f"{int(goal_no)} {goal}" if not is_missing(goal) else str(int(goal_no))


def _by_goal_data(by_goal: pd.DataFrame) -> pd.DataFrame:
    data = _with_colours(by_goal)
    data["goal_label"] = [
        _goal_label(n, g) for n, g in zip(data["goal_no"], data["goal"], strict=True)
    ]
    data = data.loc[data["count"] > 0].copy()
    data = data.sort_values(["rule", "goal_label", "order"], kind="stable")
    data["x_end"] = data.groupby(["rule", "goal_label"])["count"].cumsum()
    data["x_start"] = data["x_end"] - data["count"]
    data["x_mid"] = (data["x_start"] + data["x_end"]) / 2
    data["text"] = [f"{lbl} {c}" for lbl, c in zip(data["label"], data["count"], strict=True)]
    return data.reset_index(drop=True)


def by_goal_title(by_goal: pd.DataFrame) -> str:
    """E.g. "重点目標別の指標の評価(令和6年度)"."""
    years = by_goal["fiscal_year"].dropna()
    return (
        f"重点目標別の指標の評価（{_year(years.iloc[0])}）"
        if len(years)
        else "重点目標別の指標の評価"
    )


def by_goal_chart(by_goal: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """One bar per goal, split into its levels (best first, left to right), each segment named
    with its level and count ("B 2")."""
    data = _by_goal_data(by_goal)
    top = max(1, int(data["x_end"].max())) if len(data) else 1
    goals = list(dict.fromkeys(sorted(data["goal_label"], key=lambda g: (g == "重点目標なし", g))))
    y = alt.Y("goal_label:N", title="重点目標", sort=goals, axis=alt.Axis(labelLimit=220))
    colours = dict(zip(data["key"], data["colour"], strict=True))
    text_colours = {k: theme.text_colour(v) for k, v in colours.items()}
    bars = (
        alt.Chart()
        .mark_bar(stroke="#FFFFFF", strokeWidth=1)
        .encode(
            x=alt.X(
                "x_start:Q",
                title="指標数",
                scale=alt.Scale(domain=[0, top]),
                axis=alt.Axis(values=list(range(top + 1)), format="d"),
            ),
            x2="x_end:Q",
            y=y,
            color=alt.Color("key:N", scale=theme.colour_scale(colours, colours), legend=None),
            tooltip=[
                alt.Tooltip("goal_label:N", title="重点目標"),
                alt.Tooltip("rule_name:N", title="評価基準"),
                alt.Tooltip("label:N", title="評価"),
                alt.Tooltip("count:Q", title="指標数"),
            ],
        )
    )
    text = (
        alt.Chart()
        .mark_text(baseline="middle", fontWeight="bold")
        .encode(
            x="x_mid:Q",
            y=y,
            text="text:N",
            color=alt.Color(
                "key:N", scale=theme.colour_scale(text_colours, text_colours), legend=None
            ),
        )
    )
    title = by_goal_title(by_goal)
    layered = alt.layer(bars, text, data=data).resolve_scale(color="independent")
    if data["rule"].nunique() <= 1:
        return layered.properties(title=title, width=theme.WIDTH - 160)
    header = alt.Header(
        labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top", title=None
    )
    return (
        layered.properties(width=theme.WIDTH - 160)
        .facet(
            row=alt.Row("rule_name:N", sort=list(dict.fromkeys(data["rule_name"])), header=header),
            title=title,
        )
        .resolve_scale(y="independent")
    )


def by_goal_description(by_goal: pd.DataFrame) -> str:
    """Per goal: the number of indicators and how they were rated."""
    data = _by_goal_data(by_goal)
    if data.empty:
        return "重点目標ごとに評価した指標はありません。"
    parts = []
    for (goal, _), group in data.groupby(["goal_label", "rule"], sort=False):
        levels = "、".join(f"{r['label']} {_count(r['count'])}" for _, r in group.iterrows())
        parts.append(f"{goal}は{_count(group['count'].sum())}（{levels}）")
    return "重点目標ごとの指標の評価は、" + "、".join(parts) + "です。"


def by_goal_table(by_goal: pd.DataFrame) -> pd.DataFrame:
    """Goal, rule, number of indicators and the levels they got."""
    data = _by_goal_data(by_goal)
    rows = []
    for (goal, rule), group in data.groupby(["goal_label", "rule_name"], sort=False):
        rows.append(
            {
                "重点目標": goal,
                "評価基準": rule,
                "指標数": int(group["count"].sum()),
                "評価の内訳": "、".join(
                    f"{r['label']} {_count(r['count'])}" for _, r in group.iterrows()
                ),
            }
        )
    return pd.DataFrame(rows, columns=["重点目標", "評価基準", "指標数", "評価の内訳"])
