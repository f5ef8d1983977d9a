"""Altair charts of the evaluation views, each with a title, a text alternative and a table.

For every chart ``<name>`` there are four functions taking the same frame(s):

* ``<name>_chart(...)`` -> an Altair chart (never displayed, saved or rendered here);
* ``<name>_title(...)`` -> the chart's Japanese title;
* ``<name>_description(...)`` -> one Japanese sentence with the actual numbers, usable as the
  chart's text alternative;
* ``<name>_table(...)`` -> the same numbers as a DataFrame with Japanese column headers.

Inputs are the frames of ``helpers.views.metrics``:

=====================  ==============================================================
name                   input
=====================  ==============================================================
status_distribution    ``metrics.status_counts(...)``
target_level           ``metrics.achievement(...)`` (rows "target:<level>")
category               ``metrics.achievement(...)`` (rows "category:<goal_no>")
comparison             ``metrics.comparison(metrics.achievement(...))``
timeline               the loaded ``events`` and ``plans`` frames (``helpers.data``)
status_history         ``metrics.status_snapshots(items, statuses, scale)``
rates_over_time        ``metrics.rates_over_time(items, statuses, scale)``
=====================  ==============================================================

Status is never shown by colour alone: bars and cells carry text labels, and status axes
name the levels. Colours come from ``helpers.views.theme`` (importing this module enables it).

Encodings are given as channel objects (``alt.Text("text:N")``, ``alt.XValue(0)``), not as bare
strings or ``alt.value(...)``: Altair turns those through ``from_dict``, which indexes its whole
schema again on every call (about 5 ms; the timeline has thirty of them). The spec is the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import pandas as pd

from helpers.data.dates import era_year_label
from helpers.views import labels, metrics, theme
from helpers.views.formatting import format_percent, is_missing
from helpers.views.sentences import jp_brackets
from helpers.views.tables import points

# --------------------------------------------------------------------------------------------
# shared base helpers
# --------------------------------------------------------------------------------------------


def breakdown_value(label: str) -> str:
    """The value part of a breakdown label: "取組目標：実施" -> "実施"."""
    return label.split(labels.LABEL_SEPARATOR, 1)[-1]


def _title(text: str, subtitle: str | None = None) -> alt.Title:
    """A chart title (subtitle optional)."""
    return alt.Title(text=text, subtitle=subtitle) if subtitle else alt.Title(text=text)


def _tip(shorthand: str, title: str, fmt: str | None = None) -> alt.Tooltip:
    """A tooltip entry with a Japanese title, e.g. ``_tip("count:Q", "項目数")``."""
    return (
        alt.Tooltip(shorthand, title=title, format=fmt)
        if fmt
        else alt.Tooltip(shorthand, title=title)
    )


def _percent(value: Any) -> str:
    """0.7368 -> "73.7%"; "" for a missing value."""
    return "" if is_missing(value) else format_percent(float(value))


def _count_text(count: int, share: Any) -> str:
    """14, 0.7368 -> "14項目（73.7%）"."""
    text = f"{int(count)}{labels.ITEMS_UNIT}"
    return text if is_missing(share) else f"{text}（{_percent(share)}）"


def _points(value: Any) -> str:
    """A change of a rate in percentage points, e.g. "+12.3ポイント"."""
    return points(value)


def _sentence(clauses: Sequence[str], ending: str = "です") -> str:
    """Join clauses into one Japanese sentence: "A、B、Cです。"."""
    return "、".join(c for c in clauses if c) + f"{ending}。"


def _table(
    frame: pd.DataFrame, columns: Sequence[str], words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Select ``columns`` and give them their Japanese headers (``labels.COLUMNS`` in the
    plan's *words*)."""
    column_labels = words.columns
    headers = {c: column_labels.get(c, c) for c in columns}
    table = frame.loc[:, list(columns)].copy()
    for column in columns:
        if table[column].isna().any() or not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = pd.Series(
                ["" if is_missing(v) else v for v in table[column]], dtype=object, index=table.index
            )
    return table.rename(columns=headers).reset_index(drop=True)


def _as_of_suffix(values: pd.Series) -> str:
    """ "（平成24年度末時点）" when all rows share one written as-of, else ""."""
    written = [str(v) for v in values.dropna().unique()]
    return labels.TITLE_AS_OF_SUFFIX.format(as_of=written[0]) if len(written) == 1 else ""


def _count_domain(counts: pd.Series) -> list[float]:
    """An x domain leaving room right of the longest bar for its label."""
    top = float(counts.max()) if len(counts) else 0.0
    return [0.0, max(1.0, top * 1.45)]


def _count_bars(
    data: pd.DataFrame,
    *,
    y_field: str,
    y_title: str,
    y_order: list[str],
    colour: alt.Scale,
    tooltip: list[alt.Tooltip],
    title: alt.Title,
    row_field: str | None = None,
    row_order: list[str] | None = None,
) -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars of ``count`` per ``y_field`` with a "N項目（x%）" label on each bar.

    ``data`` needs columns ``y_field``, count and text. With ``row_field`` the chart is
    faceted into one row per value (in ``row_order``).
    """
    x = alt.X(
        "count:Q",
        title=labels.AXIS_COUNT,
        scale=alt.Scale(domain=_count_domain(data["count"])),
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    y = alt.Y(f"{y_field}:N", title=y_title, sort=y_order)
    base = alt.Chart().encode(x=x, y=y)
    bars = base.mark_bar().encode(
        color=alt.Color(f"{y_field}:N", scale=colour, legend=None), tooltip=tooltip
    )
    text = base.mark_text(align="left", baseline="middle", dx=4).encode(text=alt.Text("text:N"))
    if row_field is None:
        return alt.layer(bars, text, data=data, title=title)
    # a long panel name (重点目標1：ITを活用した参加と協働のしくみづくり（1項目）) wraps instead
    # of widening the chart, which a phone would then show shrunk below legible size
    lines = json.dumps(
        {str(v): _panel_name_lines(str(v)) for v in row_order or data[row_field]},
        ensure_ascii=False,
    )
    header = alt.Header(
        labelAngle=0,
        labelAlign="left",
        labelAnchor="start",
        labelOrient="top",
        labelExpr=f"{lines}[datum.value] || datum.value",
        title=None,
    )
    return (
        alt.layer(bars, text, data=data)
        .facet(row=alt.Row(f"{row_field}:N", sort=row_order, header=header), title=title)
        .resolve_scale(y="independent")
    )


# --------------------------------------------------------------------------------------------
# status distribution per plan (input: metrics.status_counts)
# --------------------------------------------------------------------------------------------


def _status_distribution_data(
    counts: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Rows of status_counts with the bar label text and class label."""
    data = counts[["plan_id", "plan_name", "status", "label", "order", "cls", "count", "share"]]
    data = data.copy()
    data["cls_label"] = [words.classes.get(str(c), str(c)) for c in data["cls"]]
    data["text"] = [_count_text(c, s) for c, s in zip(data["count"], data["share"], strict=True)]
    data["share"] = data["share"].astype("float64")
    return data.reset_index(drop=True)


def status_distribution_title(
    counts: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """E.g. "第二次計画の取組状況の内訳（平成24年度末時点）"."""
    del words  # levels are named by the scale itself
    plans = list(dict.fromkeys(counts["plan_name"]))
    prefix = f"{plans[0]}の" if len(plans) == 1 else ""
    return f"{prefix}{labels.TITLE_STATUS_DISTRIBUTION}{_as_of_suffix(counts['as_of'])}"


def status_distribution_chart(
    counts: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> alt.LayerChart | alt.FacetChart:
    """Bars of items per status level (one panel per plan when several), labelled with count
    and share; colours follow each level's class."""
    data = _status_distribution_data(counts, words)
    levels = data.drop_duplicates("label").sort_values(["order", "plan_id"], kind="stable")
    colours = theme.status_colours(levels, key="label")
    plans = list(dict.fromkeys(data["plan_name"]))
    tooltip = [
        _tip("plan_name:N", labels.AXIS_PLAN),
        _tip("label:N", labels.AXIS_STATUS),
        _tip("cls_label:N", labels.AXIS_CLASS),
        _tip("count:Q", labels.AXIS_COUNT),
        _tip("share:Q", labels.AXIS_SHARE, ".1%"),
    ]
    return _count_bars(
        data,
        y_field="label",
        y_title=labels.AXIS_STATUS,
        y_order=list(levels["label"]),
        colour=theme.colour_scale(levels["label"], colours),
        tooltip=tooltip,
        title=_title(status_distribution_title(counts)),
        row_field="plan_name" if len(plans) > 1 else None,
        row_order=plans,
    )


#: A level name longer than this is quoted in sentences, so it does not run into its count.
SHORT_LEVEL_NAME = 4


def level_names(labels: Iterable[Any]) -> list[str]:
    """Rating levels' names as a sentence shows them before their counts: 達成 as it is; when one
    name of the list is longer, every name in 「」 (「目標を大きく上回って達成」0項目, not
    目標を大きく上回って達成0項目; 「◎ 達成」2項目、「○ 概ね達成」2項目, alike)."""
    texts = [str(label) for label in labels]
    if all(len(text) <= SHORT_LEVEL_NAME for text in texts):
        return texts
    return [f"「{text}」" for text in texts]


def status_distribution_description(
    counts: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """One sentence, e.g. "平成24年度末時点で評価した第二次計画の19項目の取組状況は、
    達成14項目（73.7%）、一部達成4項目（21.1%）、未達成1項目（5.3%）です。"."""
    del words  # levels are named by the scale itself
    parts = []
    for _, plan in counts.groupby("plan_id", sort=False):
        first = plan.iloc[0]
        when = f"{first['as_of']}時点で" if not is_missing(first["as_of"]) else ""
        n_unrated = int(first["n_unrated"])
        unrated = f"（ほかに未評価{n_unrated}項目）" if n_unrated else ""
        ordered = plan.sort_values("order", kind="stable")
        levels = "、".join(
            f"{name}{_count_text(row['count'], row['share'])}"
            for name, (_, row) in zip(
                level_names(ordered["label"]), ordered.iterrows(), strict=True
            )
        )
        parts.append(
            f"{when}評価した{first['plan_name']}の{int(first['n_items'])}項目{unrated}"
            f"の取組状況は{levels}"
        )
    return _sentence(parts) if parts else "取組状況の記録はありません。"


def status_distribution_table(
    counts: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Plan, status, class, count and share (formatted "73.7%")."""
    data = _status_distribution_data(counts, words)
    data["share"] = [_percent(s) for s in data["share"]]
    return _table(data, ["plan_name", "label", "cls_label", "count", "share"])


# --------------------------------------------------------------------------------------------
# breakdowns by target level / category (input: metrics.achievement)
# --------------------------------------------------------------------------------------------


def _breakdown_data(
    achievement_df: pd.DataFrame, kind: str, words: labels.StatusWords
) -> pd.DataFrame:
    """Long rows per breakdown and class, with the panel label and bar text."""
    data = metrics.class_counts_long(achievement_df, kind, words)
    several_plans = data["plan_id"].nunique() > 1
    data["panel"] = [
        f"{plan + ' ' if several_plans else ''}{label}（{n}{labels.ITEMS_UNIT}）"
        for plan, label, n in zip(
            data["plan_name"], data["breakdown_label"], data["n_items"], strict=True
        )
    ]
    data["text"] = [_count_text(c, s) for c, s in zip(data["count"], data["share"], strict=True)]
    data["share"] = data["share"].astype("float64")
    return data


def _breakdown_title(achievement_df: pd.DataFrame, kind: str, title: str) -> str:
    """Title of a breakdown chart, with the plan when there is one."""
    data = metrics.class_counts_long(achievement_df, kind)
    plans = list(dict.fromkeys(data["plan_name"]))
    prefix = f"{plans[0]}の" if len(plans) == 1 else ""
    return f"{prefix}{title}{_as_of_suffix(data['as_of'])}"


def _breakdown_chart(
    achievement_df: pd.DataFrame, kind: str, title: str, words: labels.StatusWords
) -> alt.FacetChart:
    """One panel per breakdown value: bars per status class (in the plan's *words*) with count
    and share."""
    data = _breakdown_data(achievement_df, kind, words)
    class_labels = [words.cls(c) for c in labels.CLASS_ORDER]
    colours = {words.cls(c): theme.class_colour(c) for c in labels.CLASS_ORDER}
    tooltip = [
        _tip("plan_name:N", labels.AXIS_PLAN),
        _tip("breakdown_label:N", labels.COLUMNS["breakdown_label"]),
        _tip("cls_label:N", labels.AXIS_CLASS),
        _tip("count:Q", labels.AXIS_COUNT),
        _tip("share:Q", labels.AXIS_SHARE, ".1%"),
    ]
    chart = _count_bars(
        data,
        y_field="cls_label",
        y_title=labels.AXIS_CLASS,
        y_order=class_labels,
        colour=theme.colour_scale(class_labels, colours),
        tooltip=tooltip,
        title=_title(_breakdown_title(achievement_df, kind, title)),
        row_field="panel",
        row_order=list(dict.fromkeys(data["panel"])),
    )
    assert isinstance(chart, alt.FacetChart)
    return chart


def _breakdown_description(
    achievement_df: pd.DataFrame, kind: str, what: str, words: labels.StatusWords
) -> str:
    """One sentence: counts per class for each breakdown value."""
    rows = achievement_df.loc[
        (achievement_df["source"] == "computed")
        & achievement_df["breakdown"].astype(str).str.startswith(f"{kind}:")
    ]
    if rows.empty:
        return f"{what}ごとの内訳はありません。"
    several_plans = rows["plan_id"].nunique() > 1
    parts = []
    for _, row in rows.iterrows():
        n_items = int(row["n_items"])
        counts = "・".join(
            f"{name}{int(row[c])}{labels.ITEMS_UNIT}"
            for name, c in zip(
                level_names(words.cls(c) for c in labels.CLASS_ORDER),
                labels.CLASS_ORDER,
                strict=True,
            )
        )
        rate = _percent(row["rate_strict"])
        label = breakdown_value(str(row["breakdown_label"]))
        plan = f"{row['plan_name']}の" if several_plans else ""
        parts.append(
            f"{plan}「{label}」の{n_items}項目は{counts}（{words.measures['rate_strict']}{rate}）"
        )
    plans = list(dict.fromkeys(rows["plan_name"]))
    return f"{'・'.join(plans)}の{what}別の取組状況は、" + _sentence(parts)


def _breakdown_table(
    achievement_df: pd.DataFrame, kind: str, words: labels.StatusWords
) -> pd.DataFrame:
    """Counts and rates per breakdown value."""
    rows = achievement_df.loc[
        (achievement_df["source"] == "computed")
        & achievement_df["breakdown"].astype(str).str.startswith(f"{kind}:")
    ].copy()
    for column in metrics.RATE_COLUMNS:
        rows[column] = [_percent(v) for v in rows[column]]
    # plan and breakdown names, then the counts and rates of the achievement contract
    columns = ["plan_name", "breakdown_label", *metrics.ACHIEVEMENT_COLUMNS[2:8]]
    return _table(rows, columns, words)


def target_level_title(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """E.g. "第二次計画の取組目標別の取組状況（平成24年度末時点）"."""
    del words  # the title names no class
    return _breakdown_title(achievement_df, "target", labels.TITLE_TARGET_LEVEL)


def target_level_chart(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> alt.FacetChart:
    """Status classes per target level (取組目標), one panel per level."""
    return _breakdown_chart(achievement_df, "target", labels.TITLE_TARGET_LEVEL, words)


def target_level_description(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """Counts per class and strict rate for each target level."""
    return _breakdown_description(achievement_df, "target", labels.AXIS_TARGET, words)


def target_level_table(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Counts and rates per target level."""
    return _breakdown_table(achievement_df, "target", words)


def category_title(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """E.g. "第二次計画の重点目標別の取組状況（令和4年度末時点）"."""
    del words  # the title names no class
    return _breakdown_title(achievement_df, "category", labels.TITLE_CATEGORY)


def category_chart(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> alt.FacetChart:
    """Status classes per category (重点目標), one panel per category."""
    return _breakdown_chart(achievement_df, "category", labels.TITLE_CATEGORY, words)


def category_description(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """Counts per class and strict rate for each category."""
    return _breakdown_description(achievement_df, "category", labels.AXIS_CATEGORY, words)


def category_table(
    achievement_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Counts and rates per category."""
    return _breakdown_table(achievement_df, "category", words)


# --------------------------------------------------------------------------------------------
# plan-to-plan comparison (input: metrics.comparison)
# --------------------------------------------------------------------------------------------


def _comparison_data(
    comparison_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """One row per plan and measure that has a value; reported rows say so in their text."""
    rows = []
    for _, plan in comparison_df.iterrows():
        for measure in metrics.MEASURES:
            value = plan[measure]
            if is_missing(value):
                continue
            reported = plan["source"] == "reported"
            wording = None if is_missing(plan["wording"]) else str(plan["wording"])
            amount = wording if reported and wording else _percent(value)
            source_label = labels.SOURCE_LABELS.get(str(plan["source"]), str(plan["source"]))
            rows.append(
                {
                    "plan_id": plan["plan_id"],
                    "plan_name": plan["plan_name"],
                    "period": plan["period"],
                    "measure": measure,
                    "measure_label": words.measures[measure],
                    "value": float(value),
                    "source": plan["source"],
                    "source_label": source_label,
                    "wording": wording,
                    "as_of": None if is_missing(plan["as_of"]) else str(plan["as_of"]),
                    "text": f"{amount}（{source_label}）" if reported else amount,
                }
            )
    columns = [
        "plan_id",
        "plan_name",
        "period",
        "measure",
        "measure_label",
        "value",
        "source",
        "source_label",
        "wording",
        "as_of",
        "text",
    ]
    return pd.DataFrame(rows, columns=columns)


def _comparison_slots(
    comparison_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """The chart's rows: a bar's value and its text, and for each plan and measure without a
    value a text "記載なし" at the bottom of its empty place (which would read as 0 %)."""
    data = _comparison_data(comparison_df, words).assign(label_y=lambda d: d["value"])
    shown = set(zip(data["plan_name"], data["measure"], strict=True))
    missing = [
        {
            "plan_name": name,
            "measure": measure,
            "measure_label": words.measures[measure],
            "label_y": 0.0,
            "text": labels.RATE_NOT_STATED,
        }
        for name in dict.fromkeys(comparison_df["plan_name"])
        for measure in metrics.MEASURES
        if (name, measure) not in shown
    ]
    if not missing:
        return data
    return pd.concat([data, pd.DataFrame(missing)], ignore_index=True)


def comparison_title(
    comparison_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """ "計画ごとの達成率の比較" (in the city's *words*: "計画ごとの取組状況の割合の比較")."""
    del comparison_df
    return labels.TITLE_COMPARISON.replace("達成率", words.rates)


COMPARISON_STEP = 110  # px per plan in each panel of the comparison
PANEL_NAME_WIDTH = 240  # px of a panel's name (bold 13 px) before it wraps: fits a phone


def comparison_chart(
    comparison_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> alt.FacetChart:
    """Rates per plan, one panel per measure. Computed rates are filled bars; reported
    aggregates are hollow dashed bars labelled "（報告値）"; a rate the source does not give
    is the text "記載なし" in its empty place."""
    data = _comparison_slots(comparison_df, words)
    plans = list(dict.fromkeys(comparison_df["plan_name"]))
    present = [k for k in ("computed", "reported") if (comparison_df["source"] == k).any()]
    sources = [labels.SOURCE_LABELS[k] for k in present]  # the legend names what is shown
    fills = {labels.SOURCE_LABELS[k]: theme.SOURCE_COLOURS[k] for k in present}
    dash_of = {"computed": [1, 0], "reported": [5, 3]}
    dashes = alt.Scale(domain=sources, range=[dash_of[k] for k in present])
    # a long plan name wraps within its bar's step instead of running into its neighbour
    lines = json.dumps({p: wrap_text(p, COMPARISON_STEP - 8) for p in plans}, ensure_ascii=False)
    axis = alt.Axis(labelAngle=0, labelExpr=f"{lines}[datum.value] || datum.value")
    base = alt.Chart().encode(
        x=alt.X("plan_name:N", title=labels.AXIS_PLAN, sort=plans, axis=axis),
        y=alt.Y(
            "value:Q",
            title=labels.AXIS_RATE,
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format=".0%"),
        ),
    )
    bars = base.mark_bar(stroke=theme.INK, strokeWidth=1.5, width=alt.RelativeBandSize(0.6)).encode(
        color=alt.Color(
            "source_label:N",
            title=labels.AXIS_SOURCE,
            scale=theme.colour_scale(sources, fills),
        ),
        strokeDash=alt.StrokeDash("source_label:N", title=labels.AXIS_SOURCE, scale=dashes),
        tooltip=[
            _tip("plan_name:N", labels.AXIS_PLAN),
            _tip("period:N", labels.AXIS_PERIOD),
            _tip("measure_label:N", labels.AXIS_MEASURE),
            _tip("value:Q", labels.AXIS_RATE, ".1%"),
            _tip("source_label:N", labels.AXIS_SOURCE),
            _tip("wording:N", labels.AXIS_WORDING),
            _tip("as_of:N", labels.AXIS_AS_OF),
        ],
    )
    rate_scale = alt.Scale(domain=[0, 1])
    text = base.mark_text(baseline="bottom", dy=-4).encode(
        y=alt.Y("label_y:Q", title=labels.AXIS_RATE, scale=rate_scale),
        text=alt.Text("text:N"),
    )
    header = alt.Header(title=None, labelFontWeight="bold")
    layers = alt.layer(bars, text, data=data).properties(width=alt.Step(COMPARISON_STEP))
    return layers.facet(
        column=alt.Column(
            "measure_label:N",
            sort=[words.measures[m] for m in metrics.MEASURES],
            header=header,
        ),
        title=_title(comparison_title(comparison_df, words)),
    )


def comparison_description(
    comparison_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """Each measure's value per plan, changes where comparable, and why not otherwise."""
    data = _comparison_data(comparison_df, words)
    parts = []
    for measure in metrics.MEASURES:
        rows = data.loc[data["measure"] == measure]
        if rows.empty:
            continue
        values = "、".join(f"{r['plan_name']}が{r['text']}" for _, r in rows.iterrows())
        parts.append(f"{words.measures[measure]}は{values}")
    changes = []
    for _, plan in comparison_df.iterrows():
        for measure in metrics.MEASURES:
            change = plan[f"change_{measure.removeprefix('rate_')}"]
            if not is_missing(change):
                changes.append(
                    f"{plan['plan_name']}の{words.measures[measure]}は前の計画から{_points(change)}"
                )
    if not parts:
        return "比較できる計画はありません。"
    if changes:
        sentence = _sentence([*parts, *changes])
    elif comparison_df["source"].nunique() > 1:
        parts[-1] += "で、報告値と計算値は求め方が異なるため増減は示していません"
        sentence = "、".join(parts) + "。"
    else:
        sentence = _sentence(parts)
    # a plan evaluated before its period ended is compared with a final result: say so
    during = comparison_df.loc[comparison_df["during_period"].fillna(False).astype(bool)]
    caveats = [
        f"{plan['plan_name']}は計画期間中の{plan['as_of']}時点の評価"
        for _, plan in during.iterrows()
        if not is_missing(plan["as_of"])
    ]
    return f"{sentence[:-1]}（{'、'.join(caveats)}）。" if caveats else sentence


def comparison_table(
    comparison_df: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Plans with period, rates, their kind, wording, changes and notes."""
    data = comparison_df.copy()
    for column in ("rate_strict", "rate_incl_partial"):
        # a reported figure is shown in the document's own words ("約4割"), never as "40.0%"
        data[column] = [
            (w if isinstance(w, str) and w else _percent(v))
            if source == "reported" and not is_missing(v)
            else _percent(v)
            for v, w, source in zip(data[column], data["wording"], data["source"], strict=True)
        ]
    for column in ("change_strict", "change_incl_partial"):
        data[column] = ["" if is_missing(v) else _points(v) for v in data[column]]
    data["source_label"] = [labels.SOURCE_LABELS.get(str(s), str(s)) for s in data["source"]]
    columns = [
        "plan_name",
        "period",
        "rate_strict",
        "rate_incl_partial",
        "source_label",
        "wording",
        "as_of",
        "change_strict",
        "change_incl_partial",
        "note",
    ]
    return _table(data, columns, words)


# --------------------------------------------------------------------------------------------
# timeline (input: the loaded events and plans frames)
# --------------------------------------------------------------------------------------------


MAX_YEAR_LABELS = 7
#: Room one year label needs on the axis ("平成24" over "(2012)" in 13 px text).
YEAR_LABEL_PX = 46


def _year_step(span: int, plot_width: float | None = None) -> int:
    """Distance between labelled years: at most ``MAX_YEAR_LABELS`` labels, and, given the
    plot's width, at least ``YEAR_LABEL_PX`` between two labels."""
    per_year = None if plot_width is None else plot_width / max(span + 1, 1)
    for step in (1, 2, 5, 10, 20):
        if span / step < MAX_YEAR_LABELS and (per_year is None or step * per_year >= YEAR_LABEL_PX):
            return step
    return 50


#: Line height of the two-line year labels (px) and their distance from the axis line.
YEAR_LABEL_LINE = 15
YEAR_LABEL_PADDING = 4


def _year_axis(
    first: int, last: int, plot_width: float | None = None, *, orient: str = "bottom"
) -> alt.Axis:
    """A fiscal-year axis labelled in both forms on two lines ("平成24" / "(2012)"; the axis
    title says 年度). Above a plot (*orient* "top") the labels stand a line higher: Vega
    writes a label's second line below its first, which put 「(2005)」 on the axis line."""
    step = _year_step(last - first, plot_width)
    values = [y for y in range(first, last + 1) if y % step == 0]
    names = [[era_year_label(y).removesuffix("年度"), f"({y})"] for y in range(first, last + 1)]
    lookup = json.dumps(names, ensure_ascii=False)
    return alt.Axis(
        values=values,
        labelExpr=f"{lookup}[datum.value - {first}]",
        title=labels.AXIS_FISCAL_YEAR,
        grid=True,
        labelOverlap=False,
        labelLineHeight=YEAR_LABEL_LINE,
        labelPadding=YEAR_LABEL_PADDING + (YEAR_LABEL_LINE if orient == "top" else 0),
        orient=orient,
    )


# Layout of the timeline: a left column of text (date, then the event, wrapped, never cut) and
# a plot with one row per event on a fiscal-year axis; rows are grouped in lanes (plans, systems
# going live, other measures, events outside the city). Sizes in px; the narrow variant serves
# phones (at most 340 px wide, see helpers.publish.svg.NARROW_WIDTH).
#: (date column, event column, plot) widths; the narrow variant puts the date above the event.
TIMELINE_WIDTHS: dict[str, tuple[int, int, int]] = {
    "wide": (118, 248, 260),
    "narrow": (0, 168, 118),
}
TIMELINE_LINE = 15  # px per line of 13 px text
TIMELINE_ROW_PADDING = 4
TIMELINE_LANE_HEADER = 21
TIMELINE_BAND_GAP = 0.15  # years left empty between neighbouring plan bands
#: Plan bands alternate in lightness and outline, so they stay apart in grayscale too.
PLAN_BAND_STYLES: tuple[tuple[str, str, list[int]], ...] = (
    ("#BCD6EE", "#3E6E99", [1, 0]),
    ("#E4E4E4", "#666666", [5, 3]),
)
EVENT_GROUP_MARKS: dict[str, tuple[str, str, bool]] = {
    # group: (shape, colour, filled)
    "plan": ("diamond", "#000000", True),
    "golive": ("circle", "#0072B2", True),
    "other": ("square", "#555555", False),
    "external": ("triangle-up", "#D55E00", True),
}


def _char_width(ch: str) -> float:
    """Approximate width of one character of 13 px text (full-width 13 px, half-width ~7 px)."""
    return 7.2 if ord(ch) < 0x2E80 or "\uff61" <= ch <= "\uff9f" else 13.0


#: Characters a line never starts with (Japanese line-breaking rules, 禁則).
_NO_LINE_START = frozenset(")）」』、。・ー")


def _text_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def wrap_text(text: str, width: float) -> list[str]:
    """Lines of *text* no wider than *width* px, breaking before an opening bracket or after a
    Japanese comma where one lies in the second half of a line; never cut, never "…"."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and _text_width(line + ch) > width and ch not in _NO_LINE_START:
            cut = max(line.rfind("("), line.rfind("（"))
            comma = max(line.rfind("、"), line.rfind("・")) + 1
            at = cut if cut > len(line) // 2 else comma if comma > len(line) // 2 else len(line)
            lines.append(line[:at])
            line = line[at:]
        line += ch
    if line:
        lines.append(line)
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2:
        lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]  # no single character alone
    return lines or [""]


def _panel_name_lines(name: str) -> list[str]:
    """A panel's name on lines of at most ``PANEL_NAME_WIDTH`` px, broken after its "：" first
    ("第1期計画 重点目標2：" / "庁内業務の効率化（2項目）")."""
    head, colon, rest = name.partition("：")
    if _text_width(name) <= PANEL_NAME_WIDTH or not colon:
        return wrap_text(name, PANEL_NAME_WIDTH)
    return [*wrap_text(head + colon, PANEL_NAME_WIDTH), *wrap_text(rest, PANEL_NAME_WIDTH)]


def _timeline_frames(
    events: pd.DataFrame, plans: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Events on the chart (dated and "during plan N"), plan bands and the first/last year.

    An ``on_chart`` column, where the events have one, leaves events out of the drawing (e.g.
    those before the year the source's own chart starts); the table still lists them."""
    grouped = events if "group" in events.columns else metrics.with_event_groups(events)
    if "on_chart" in grouped.columns:
        grouped = grouped.loc[grouped["on_chart"].fillna(True).astype(bool)]
    dated = metrics.timeline_events(grouped)
    dated["group"] = [metrics.event_group(k) for k in dated["kind"]]
    groups = dict(zip(grouped["event_id"], grouped["group"], strict=True))
    dated["group"] = [
        groups.get(e, g) for e, g in zip(dated["event_id"], dated["group"], strict=True)
    ]
    dated["date_text"] = [
        w if not is_missing(w) else label
        for w, label in zip(dated["date_written"], dated["fiscal_year_label"], strict=True)
    ]
    dated["period_plan_id"] = dated["period_plan_id"].astype(object)
    during = metrics.period_events(grouped)
    periods = metrics.plan_periods(plans)
    periods["band_start"] = periods["start_fy"] - 0.5 + TIMELINE_BAND_GAP
    periods["band_end"] = periods["end_fy"] + 0.5 - TIMELINE_BAND_GAP
    periods["band_index"] = range(len(periods))
    names = dict(zip(periods["plan_id"], periods["short_name"], strict=True))
    starts = dict(zip(periods["plan_id"], periods["band_start"], strict=True))
    ends = dict(zip(periods["plan_id"], periods["band_end"], strict=True))
    during = during.loc[during["period_plan_id"].isin(list(starts))].copy()
    during["date_text"] = [
        labels.PLAN_PERIOD_DATE.format(plan=names[p]) for p in during["period_plan_id"]
    ]
    during["position"] = [starts[p] for p in during["period_plan_id"]]
    during["position_end"] = [ends[p] for p in during["period_plan_id"]]
    shown = pd.concat([dated.assign(position_end=pd.NA), during], ignore_index=True)
    shown = shown.sort_values(["position", "event_id"], kind="stable").reset_index(drop=True)
    years = list(dated["fiscal_year"]) + list(periods["start_fy"]) + list(periods["end_fy"])
    if not years:
        return shown, periods, 0, 0
    return shown, periods, int(min(years)), int(max(years))


def _period_text(start_fy: int, end_fy: int) -> str:
    """ "平成16～20年度" (one era), else "平成30年度～令和4年度"."""
    first, last = era_year_label(start_fy), era_year_label(end_fy)
    if first[:2] == last[:2]:
        return f"{first.removesuffix('年度')}{labels.PERIOD_SEPARATOR}{last[2:]}"
    return f"{first}{labels.PERIOD_SEPARATOR}{last}"


def _timeline_rows(events: pd.DataFrame, plans: pd.DataFrame, variant: str) -> pd.DataFrame:
    """One row per lane header, plan bar and event, with its place (top, height, centre).

    The wide layout writes the date and the event side by side, the narrow one the date above
    the event; either wraps a long text onto more lines of the same row."""
    shown, periods, _, _ = _timeline_frames(events, plans)
    date_width, event_width, _ = TIMELINE_WIDTHS[variant]
    stacked = date_width == 0
    rows: list[dict[str, Any]] = []
    top = 0.0

    def add(kind: str, group: str, date_text: str, text: str, **extra: Any) -> None:
        nonlocal top
        room = (date_width + event_width) * 13 / 14 if kind == "lane" else event_width
        lines = wrap_text(text, room - 8) if text else []
        date_room = (event_width if stacked else date_width) - 8
        date_lines = wrap_text(date_text, date_room) if date_text else []
        n_lines = len(lines) + len(date_lines) if stacked else max(len(lines), len(date_lines))
        height = TIMELINE_LINE * n_lines + TIMELINE_ROW_PADDING
        if kind == "lane":
            height = TIMELINE_LANE_HEADER + TIMELINE_LINE * (len(lines) - 1)
        text_top = top + TIMELINE_ROW_PADDING / 2
        event_top = text_top + TIMELINE_LINE * len(date_lines) if stacked else text_top
        rows.append(
            {
                "row_kind": kind,
                "group": group,
                "group_label": labels.EVENT_GROUP_LABELS[group],
                "date_text": "\n".join(date_lines),
                "event_text": "\n".join(lines),
                "top": top,
                "text_top": text_top,
                "event_top": event_top,
                "height": height,
                "y": top + height / 2,
                "bottom": top + height,
                **extra,
            }
        )
        top += height

    for group in ("plan", "golive", "other", "external"):
        in_lane = shown.loc[shown["group"] == group]
        if group != "plan" and in_lane.empty:
            continue
        add("lane", group, "", labels.EVENT_GROUP_LABELS[group] if group != "plan" else "計画")
        if group == "plan":
            for _, plan in periods.iterrows():
                add(
                    "plan_bar",
                    group,
                    _period_text(int(plan["start_fy"]), int(plan["end_fy"])),
                    str(plan["short_name"]),
                    position=float(plan["band_start"]),
                    position_end=float(plan["band_end"]),
                    band_index=int(plan["band_index"]),
                    event=str(plan["short_name"]),
                )
        for _, event in in_lane.iterrows():
            during = not is_missing(event.get("position_end"))
            add(
                "period_event" if during else "event",
                group,
                str(event["date_text"]),
                jp_brackets(str(event["event"])),
                position=float(event["position"]),
                position_end=float(event["position_end"]) if during else None,
                event=jp_brackets(str(event["event"])),
                event_id=str(event["event_id"]),
            )
    return pd.DataFrame(rows)


def timeline_title(events: pd.DataFrame, plans: pd.DataFrame) -> str:
    """E.g. "出来事の年表（平成4年度～平成25年度）"."""
    _, _, first, last = _timeline_frames(events, plans)
    if first == last == 0:
        return labels.TITLE_TIMELINE
    span = f"{era_year_label(first)}{labels.PERIOD_SEPARATOR}{era_year_label(last)}"
    return f"{labels.TITLE_TIMELINE}（{span}）"


def timeline_table_title(events: pd.DataFrame, plans: pd.DataFrame) -> str:
    """What the timeline's data table lists, which is more than the chart shows: every event,
    from the earliest fiscal year given to the latest, and those without a fiscal year, e.g.
    "出来事の年表（昭和43年度～平成25年度、年度の記載のない1件を含む）"."""
    years = [int(fy) for fy in events["fiscal_year"] if not is_missing(fy)]
    undated = len(events) - len(years)
    parts = []
    if years:
        first, last = min(years), max(years)
        parts.append(
            era_year_label(first)
            if first == last
            else f"{era_year_label(first)}{labels.PERIOD_SEPARATOR}{era_year_label(last)}"
        )
    if undated:
        parts.append(
            f"年度の記載のない{undated}件を含む" if years else f"年度の記載なし{undated}件"
        )
    return f"{labels.TITLE_TIMELINE}（{'、'.join(parts)}）" if parts else labels.TITLE_TIMELINE


def _timeline(events: pd.DataFrame, plans: pd.DataFrame, variant: str) -> alt.HConcatChart:
    date_width, event_width, plot_width = TIMELINE_WIDTHS[variant]
    rows = _timeline_rows(events, plans, variant)
    _, periods, first, last = _timeline_frames(events, plans)
    total = float(rows["bottom"].max()) if not rows.empty else 40.0
    y_scale = alt.Scale(domain=[total, 0], nice=False, zero=False)
    positions = rows.get("position", pd.Series(dtype=float)).dropna()
    low = min([first - 0.5, *(positions - 0.1)])
    high = max([last + 0.5, *(positions + 0.1)])
    x_scale = alt.Scale(domain=[low, high], nice=False, zero=False)

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", scale=y_scale, axis=None)

    # left column: lane headers (bold), dates (grey) and events, wrapped, never cut
    base = alt.Chart(rows)
    lane_names = (
        base.mark_text(align="left", baseline="top", fontWeight="bold", fontSize=14, lineBreak="\n")
        .encode(x=alt.XValue(0), y=y("text_top"), text=alt.Text("event_text:N"))
        .transform_filter(alt.datum.row_kind == "lane")
    )
    text_style = {"align": "left", "baseline": "top", "lineBreak": "\n"}
    dates = (
        base.mark_text(color="#555555", lineHeight=TIMELINE_LINE, **text_style)
        .encode(x=alt.XValue(0), y=y("text_top"), text=alt.Text("date_text:N"))
        .transform_filter(alt.datum.row_kind != "lane")
    )
    names = (
        base.mark_text(lineHeight=TIMELINE_LINE, **text_style)
        .encode(x=alt.XValue(date_width), y=y("event_top"), text=alt.Text("event_text:N"))
        .transform_filter(alt.datum.row_kind != "lane")
    )
    left = alt.layer(lane_names, dates, names).properties(
        width=date_width + event_width, height=total
    )

    # plot: plan bands behind everything, row separators, plan bars, events
    n_styles = len(PLAN_BAND_STYLES)
    bands = periods.assign(y0=0.0, y1=total, style=[i % n_styles for i in range(len(periods))])
    plan_rows = rows.loc[rows["row_kind"] == "plan_bar"].assign(
        bar_top=lambda r: r["top"] + 4, bar_bottom=lambda r: r["bottom"] - 4
    )
    plan_rows["style"] = [int(i) % n_styles for i in plan_rows["band_index"]]
    top_axis = _year_axis(first, last, plot_width, orient="top")
    layers: list[alt.Chart] = []
    for style, (fill_colour, stroke_colour, dash) in enumerate(PLAN_BAND_STYLES):
        style_props = {"fill": fill_colour, "stroke": stroke_colour, "strokeDash": dash}
        layers.append(
            alt.Chart(bands.loc[bands["style"] == style])
            .mark_rect(opacity=0.45, strokeWidth=1, **style_props)
            .encode(
                x=alt.X("band_start:Q", scale=x_scale, axis=top_axis if style == 0 else None),
                x2=alt.X2("band_end:Q"),
                y=y("y0"),
                y2=alt.Y2("y1:Q"),
            )
        )
        layers.append(
            alt.Chart(plan_rows.loc[plan_rows["style"] == style])
            .mark_rect(strokeWidth=1.5, **style_props)
            .encode(
                x=alt.X("position:Q", scale=x_scale, axis=None),
                x2=alt.X2("position_end:Q"),
                y=y("bar_top"),
                y2=alt.Y2("bar_bottom:Q"),
            )
        )
    layers.append(base.mark_rule(color="#D0D0D0", strokeWidth=0.7).encode(y=y("bottom")))
    present = [g for g in EVENT_GROUP_MARKS if (rows["group"] == g).any()]
    group_labels = [labels.EVENT_GROUP_LABELS[g] for g in present]
    colour = alt.Scale(domain=group_labels, range=[EVENT_GROUP_MARKS[g][1] for g in present])
    fill = alt.Scale(
        domain=group_labels,
        range=[EVENT_GROUP_MARKS[g][1] if EVENT_GROUP_MARKS[g][2] else "#FFFFFF" for g in present],
    )
    shape = alt.Scale(domain=group_labels, range=[EVENT_GROUP_MARKS[g][0] for g in present])
    legend = alt.Legend(
        title=None, orient="top", direction="horizontal", columns=1 if date_width == 0 else 2
    )
    period_rules = (
        base.transform_filter(alt.datum.row_kind == "period_event")
        .mark_rule(strokeWidth=4, strokeCap="round")
        .encode(
            x=alt.X("position:Q", scale=x_scale, axis=None),
            x2=alt.X2("position_end:Q"),
            y=y("y"),
            stroke=alt.Stroke("group_label:N", scale=colour, legend=legend),
        )
    )
    points = (
        base.transform_filter(alt.datum.row_kind == "event")
        .mark_point(size=90, strokeWidth=1.8, opacity=1)
        .encode(
            x=alt.X("position:Q", scale=x_scale, axis=None),  # the year axis is at the top
            y=y("y"),
            stroke=alt.Stroke("group_label:N", scale=colour, legend=legend),
            fill=alt.Fill("group_label:N", scale=fill, legend=legend),
            shape=alt.Shape("group_label:N", scale=shape, legend=legend),
            tooltip=[
                _tip("date_text:N", labels.AXIS_DATE),
                _tip("event:N", labels.AXIS_EVENT),
                _tip("group_label:N", labels.AXIS_KIND),
            ],
        )
    )
    plot = (
        alt.layer(*layers, period_rules, points)
        .resolve_axis(x="independent")
        .properties(width=plot_width, height=total)
    )
    return alt.hconcat(left, plot, spacing=8, title=_title(timeline_title(events, plans)))


def timeline_chart(events: pd.DataFrame, plans: pd.DataFrame) -> alt.HConcatChart:
    """Every event on its own row, grouped in lanes (計画, 稼働・導入など, その他の取組, 市の外の
    出来事), with its date and text in a left column (wrapped, never cut) and its place on a
    fiscal-year axis labelled "平成24年度 (2012)" at top and bottom. Plan periods are bands of
    alternating lightness and outline with a gap between them; events the source places in a
    plan only ("during plan N") are a line across that plan's band. Groups differ in shape and
    fill as well as colour. Undated events are left out (see the table)."""
    return _timeline(events, plans, "wide")


def timeline_narrow_chart(events: pd.DataFrame, plans: pd.DataFrame) -> alt.HConcatChart:
    """The same timeline laid out for a phone (narrower columns, more wrapped lines)."""
    return _timeline(events, plans, "narrow")


def timeline_description(events: pd.DataFrame, plans: pd.DataFrame) -> str:
    """One sentence: span, events per group, per plan period (how many without a year), and
    the events left out of the chart."""
    shown, periods, first, last = _timeline_frames(events, plans)
    undated = metrics.undated_events(events)
    off_chart = 0
    if "on_chart" in events.columns:
        off_chart = int((~events["on_chart"].fillna(True).astype(bool)).sum())
    if shown.empty:
        return (
            "時期の分かる出来事はありません"
            f"（時期の記載がない{len(undated)}件は表に載せています）。"
        )
    by_group = "、".join(
        f"{labels.EVENT_GROUP_LABELS[g]}{int((shown['group'] == g).sum())}件"
        for g in EVENT_GROUP_MARKS
        if (shown["group"] == g).any()
    )
    per_plan = []
    for _, plan in periods.iterrows():
        in_plan = shown.loc[shown["period_plan_id"] == plan["plan_id"]]
        no_year = int(in_plan["position_end"].notna().sum())
        extra = f"（うち年度の記載がないもの{no_year}件）" if no_year else ""
        per_plan.append(f"{plan['short_name']}の期間は{len(in_plan)}件{extra}")
    clauses = [
        f"{era_year_label(first)}から{era_year_label(last)}までの出来事{len(shown)}件を"
        f"年度順に示し、その内訳は{by_group}",
        *per_plan,
    ]
    left_out = []
    if off_chart:
        left_out.append(f"図の範囲より前の{off_chart}件")
    if not undated.empty:
        left_out.append(f"時期の記載がない{len(undated)}件")
    if left_out:
        clauses.append(f"{'と'.join(left_out)}は図に含めず表に載せています")
        return "、".join(clauses) + "。"
    return "、".join(clauses) + "です。"


def timeline_table(events: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Every event given, in time order (also those left off the drawing): dated ones by date,
    those known only as "during plan N" at the start of that plan, undated ones last; with the
    date as the source writes it, the fiscal year, group, plan period, page and note."""
    grouped = events if "group" in events.columns else metrics.with_event_groups(events)
    grouped = grouped.copy()
    periods = metrics.plan_periods(plans)
    names = dict(zip(periods["plan_id"], periods["short_name"], strict=True))
    starts = {
        p: pd.Timestamp(int(fy), 4, 1)
        for p, fy in zip(periods["plan_id"], periods["start_fy"], strict=True)
    }
    during = grouped["precision"] == "plan_period"
    grouped["order"] = pd.to_datetime(
        [
            starts.get(p) if d else date
            for d, p, date in zip(during, grouped["period_plan_id"], grouped["date"], strict=True)
        ]
    )
    grouped = grouped.sort_values(["order", "event_id"], kind="stable", na_position="last")
    when = []
    for _, event in grouped.iterrows():
        if event["precision"] == "plan_period":
            plan = names.get(event["period_plan_id"], "")
            when.append(labels.PLAN_PERIOD_DATE.format(plan=plan) + "（年度の記載なし）")
        elif is_missing(event["date_written"]):
            when.append(labels.UNKNOWN_DATE)
        else:
            when.append(str(event["date_written"]))
    table = pd.DataFrame(
        {
            "時期（出典の表記）": when,
            "年度": [
                metrics.fiscal_year_text(int(fy)) if not is_missing(fy) else labels.MISSING_VALUE
                for fy in grouped["fiscal_year"]
            ],
            "出来事": grouped["event"].map(jp_brackets),
            "分類": [labels.EVENT_GROUP_LABELS[g] for g in grouped["group"]],
            "計画期間": [
                names.get(p, labels.MISSING_VALUE) if not is_missing(p) else labels.MISSING_VALUE
                for p in grouped["period_plan_id"]
            ],
            "出典頁": grouped["page"],
            "備考": grouped["note"].map(jp_brackets),
        }
    )
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# status history (input: metrics.status_snapshots)
# --------------------------------------------------------------------------------------------


def has_history(snapshots: pd.DataFrame) -> bool:
    """True when some item has more than one snapshot (the history chart is meaningful)."""
    return bool(snapshots.groupby(["plan_id", "item_no"]).size().gt(1).any())


def _history_data(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Snapshots with item label, cell text (status and change mark) and cell colours."""
    data = snapshots.copy()
    data["item_label"] = [
        f"{n} {name}" if not is_missing(name) else str(n)
        for n, name in zip(data["item_no"], data["item_name"], strict=True)
    ]
    data["text"] = [
        f"{label} {labels.CHANGE_MARKS[c]}".strip() if not is_missing(c) else str(label)
        for label, c in zip(data["label"], data["change"], strict=True)
    ]
    data["change_label"] = ["" if is_missing(c) else c for c in data["change_label"]]
    data["as_of_date"] = data["as_of_date"].dt.strftime("%Y-%m-%d")
    return data


def _cell_width(texts: pd.Series) -> int:
    """Width of a grid column that fits the longest cell text (about one em per character)."""
    longest = max((len(str(t)) for t in texts), default=4)
    return max(90, theme.FONT_SIZES["text"] * longest + 24)


def status_history_title(snapshots: pd.DataFrame) -> str:
    """E.g. "第二次計画の項目別の取組状況の推移"."""
    del snapshots
    return labels.TITLE_STATUS_HISTORY


def status_history_chart(snapshots: pd.DataFrame) -> alt.LayerChart:
    """A grid: items down, snapshots across; each cell names the status (plus ↑/↓ when it
    improved/worsened since the previous snapshot) on its class colour."""
    data = _history_data(snapshots)
    return _status_history_grid(snapshots, data, _cell_width(data["text"]))


#: On phones a grid cell shows the status's code when every code is this short (A, ◎, 達成).
SHORT_CODE = 2


def status_history_narrow_chart(snapshots: pd.DataFrame) -> alt.LayerChart:
    """The grid for phones: columns as wide as their date (令和3年度末), each cell showing the
    status's code when it fits there (完了 ↑, A ↑), else only the ↑/↓ mark on the status's
    colour; the legend and the data table below name every status (the full names did not fit
    and ran over the next cell)."""
    data = _history_data(snapshots)
    codes = data["status"].astype(str)
    marks = ["" if is_missing(c) else labels.CHANGE_MARKS[c] for c in data["change"]]
    heading = max((len(str(a)) for a in data["as_of"]), default=1)
    width = max(40, theme.FONT_SIZES["label"] * heading + 2)
    # a code and its mark (the mark and its space about one glyph) within the column
    longest = max((len(code) for code in codes), default=0) + (1 if any(marks) else 0)
    show = longest <= SHORT_CODE or theme.FONT_SIZES["text"] * longest + 16 <= width
    data["text"] = [
        f"{code} {mark}".strip() if show else mark for code, mark in zip(codes, marks, strict=True)
    ]
    return _status_history_grid(snapshots, data, width, legend_columns=1, label_limit=112)


def _status_history_grid(
    snapshots: pd.DataFrame,
    data: pd.DataFrame,
    cell_width: int,
    legend_columns: int | None = None,
    label_limit: int | None = None,
) -> alt.LayerChart:
    levels = data.drop_duplicates("label").sort_values("order", kind="stable")
    colours = theme.status_colours(levels, key="label")
    text_colours = {k: theme.text_colour(v) for k, v in colours.items()}
    as_of_order = list(data.sort_values("as_of_date", kind="stable")["as_of"].drop_duplicates())
    item_order = list(
        data.sort_values(["plan_id", "item_no"], kind="stable")["item_label"].drop_duplicates()
    )
    base = alt.Chart().encode(
        x=alt.X(
            "as_of:N",
            title=labels.AXIS_AS_OF,
            sort=as_of_order,
            axis=alt.Axis(orient="top", labelAngle=0),
        ),
        y=alt.Y(
            "item_label:N",
            title=labels.AXIS_ITEM,
            sort=item_order,
            axis=alt.Axis(labelLimit=label_limit) if label_limit else alt.Undefined,
        ),
    )
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=1).encode(
        color=alt.Color(
            "label:N",
            title=labels.AXIS_STATUS,
            scale=theme.colour_scale(levels["label"], colours),
            legend=alt.Legend(columns=legend_columns) if legend_columns else alt.Undefined,
        ),
        tooltip=[
            _tip("item_label:N", labels.AXIS_ITEM),
            _tip("as_of:N", labels.AXIS_AS_OF),
            _tip("label:N", labels.AXIS_STATUS),
            _tip("change_label:N", labels.AXIS_CHANGE),
        ],
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text("text:N"),
        color=alt.Color(
            "label:N", scale=theme.colour_scale(levels["label"], text_colours), legend=None
        ),
    )
    return (
        alt.layer(cells, text, data=data, title=_title(status_history_title(snapshots)))
        .properties(width=alt.Step(cell_width))
        .resolve_scale(color="independent")
    )


def status_history_description(snapshots: pd.DataFrame) -> str:
    """Items, snapshots, changes since the previous snapshot and the latest distribution."""
    data = _history_data(snapshots)
    if data.empty:
        return "取組状況の記録はありません。"
    as_of_order = list(data.sort_values("as_of_date", kind="stable")["as_of"].drop_duplicates())
    n_items = data[["plan_id", "item_no"]].drop_duplicates().shape[0]
    changes = snapshots["change"].dropna()
    counts = "、".join(
        f"{labels.CHANGE_LABELS[c]}{int((changes == c).sum())}件" for c in labels.CHANGE_LABELS
    )
    latest = data.sort_values("as_of_date", kind="stable").drop_duplicates(
        ["plan_id", "item_no"], keep="last"
    )
    last = as_of_order[-1]
    at_last = latest.loc[latest["as_of"] == last]
    shown = list(data.drop_duplicates("label").sort_values("order")["label"])
    distribution = "、".join(
        f"{name}{int((at_last['label'] == label).sum())}項目"
        for name, label in zip(level_names(shown), shown, strict=True)
    )
    return (
        f"{n_items}項目の取組状況を{len(as_of_order)}時点（{'、'.join(as_of_order)}）で示し、"
        f"直前の時点からの変化は{counts}、{last}の時点では{distribution}です。"
    )


def status_history_table(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One row per item, one column per snapshot (status with ↑/↓ marks)."""
    data = _history_data(snapshots)
    as_of_order = list(data.sort_values("as_of_date", kind="stable")["as_of"].drop_duplicates())
    wide = data.pivot_table(
        index=["plan_id", "item_no", "item_name"],
        columns="as_of",
        values="text",
        aggfunc="first",
        sort=False,
    )
    wide = wide.reindex(columns=as_of_order).fillna("").reset_index()
    wide = wide.sort_values(["plan_id", "item_no"], kind="stable").drop(columns="plan_id")
    wide.columns.name = None
    return wide.rename(
        columns={c: labels.COLUMNS[c] for c in ("item_no", "item_name")}
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# rates over time (input: metrics.rates_over_time)
# --------------------------------------------------------------------------------------------


def _rates_data(
    rates: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """One row per plan, snapshot and measure."""
    rows = [
        {
            "plan_id": row["plan_id"],
            "as_of": row["as_of"],
            "as_of_date": pd.Timestamp(row["as_of_date"]).strftime("%Y-%m-%d"),
            "measure": measure,
            "measure_label": words.measures[measure],
            "value": float(row[measure]),
            "n_items": int(row["n_items"]),
            "text": _percent(row[measure]),
        }
        for _, row in rates.sort_values("as_of_date", kind="stable").iterrows()
        for measure in metrics.MEASURES
        if not is_missing(row[measure])
    ]
    columns = [
        "plan_id",
        "as_of",
        "as_of_date",
        "measure",
        "measure_label",
        "value",
        "n_items",
        "text",
    ]
    return pd.DataFrame(rows, columns=columns)


def rates_over_time_title(
    rates: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """ "達成率の推移" (in the plan's *words*: "取組状況の割合の推移")."""
    del rates
    return labels.TITLE_RATES_OVER_TIME.replace("達成率", words.rates)


def rates_over_time_chart(
    rates: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> alt.LayerChart | alt.FacetChart:
    """Both rates at every snapshot: lines with points (shape and dash differ per measure)
    and the value written at each point."""
    data = _rates_data(rates, words)
    measures = [words.measures[m] for m in metrics.MEASURES]
    as_of_order = list(dict.fromkeys(data["as_of"]))
    colours = dict(zip(measures, (theme.OKABE_ITO[4], theme.OKABE_ITO[0]), strict=True))
    base = alt.Chart().encode(
        x=alt.X("as_of:N", title=labels.AXIS_AS_OF, sort=as_of_order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "value:Q",
            title=labels.AXIS_RATE,
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format=".0%"),
        ),
        color=alt.Color(
            "measure_label:N",
            title=labels.AXIS_MEASURE,
            scale=theme.colour_scale(measures, colours),
        ),
    )
    lines = base.mark_line().encode(
        strokeDash=alt.StrokeDash(
            "measure_label:N",
            title=labels.AXIS_MEASURE,
            scale=alt.Scale(domain=measures, range=[[1, 0], [6, 3]]),
        )
    )
    points = base.mark_point(filled=True, size=70).encode(
        shape=alt.Shape(
            "measure_label:N",
            title=labels.AXIS_MEASURE,
            scale=alt.Scale(domain=measures, range=["circle", "square"]),
        ),
        tooltip=[
            _tip("as_of:N", labels.AXIS_AS_OF),
            _tip("measure_label:N", labels.AXIS_MEASURE),
            _tip("value:Q", labels.AXIS_RATE, ".1%"),
            _tip("n_items:Q", labels.COLUMNS["n_items"]),
        ],
    )
    # rate_incl_partial >= rate_strict: its labels go above the points, the others below
    upper = words.measures["rate_incl_partial"]
    text_above = (
        base.mark_text(baseline="bottom", dy=-8)
        .encode(text=alt.Text("text:N"), color=alt.ColorValue(theme.INK))
        .transform_filter(alt.datum.measure_label == upper)
    )
    text_below = (
        base.mark_text(baseline="top", dy=8)
        .encode(text=alt.Text("text:N"), color=alt.ColorValue(theme.INK))
        .transform_filter(alt.datum.measure_label != upper)
    )
    title = _title(rates_over_time_title(rates, words))
    layers = alt.layer(lines, points, text_above, text_below, data=data).properties(
        width=alt.Step(120)
    )
    if data["plan_id"].nunique() > 1:
        return layers.facet(
            column=alt.Column("plan_id:N", title=labels.COLUMNS["plan_id"]), title=title
        )
    return layers.properties(title=title)


def rates_over_time_description(
    rates: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> str:
    """Each rate from the first to the last snapshot."""
    data = _rates_data(rates, words)
    if data.empty:
        return f"{words.rates}を計算できる時点はありません。"
    parts = []
    for (_, measure), group in data.groupby(["plan_id", "measure"], sort=False):
        values = "→".join(f"{r['as_of']}{r['text']}" for _, r in group.iterrows())
        parts.append(f"{words.measures[str(measure)]}は{values}")
    return "、".join(parts) + "と推移しました。"


def rates_over_time_table(
    rates: pd.DataFrame, words: labels.StatusWords = labels.DEFAULT_WORDS
) -> pd.DataFrame:
    """Per snapshot: evaluated items, counts per class and both rates."""
    data = rates.sort_values(["plan_id", "as_of_date"], kind="stable").copy()
    for column in metrics.RATE_COLUMNS:
        data[column] = [_percent(v) for v in data[column]]
    columns = [
        "as_of",
        "n_items",
        "achieved",
        "partial",
        "not_achieved",
        "rate_strict",
        "rate_incl_partial",
    ]
    return _table(data, columns, words)
