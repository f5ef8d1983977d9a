"""Numbers and rows of the yearly evaluation round: departments, one item's history, opinions.

Frames only (no HTML, no Japanese sentences beyond column values): the plan report's breakdown
by department (:func:`department_counts`), an item page's evaluations over time
(:func:`item_history`) and the committee's opinions at an evaluation (:func:`opinions_at`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from helpers.views import metrics
from helpers.views.formatting import text_or_none

DEPARTMENT_COLUMNS: tuple[str, ...] = (
    "department",
    "n_items",
    "achieved",
    "partial",
    "not_achieved",
    "unrated",
    "rate_strict",
    "rate_incl_partial",
)

ROUND_COLUMNS: tuple[str, ...] = (
    "department",
    "self_rating",
    "reason",
    "results",
    "challenges",
    "direction",
    "committee_opinion",
)
"""statuses.csv columns that only evaluations of a round fill."""

UNASSIGNED = "（担当課なし）"


def uses_round(statuses: pd.DataFrame) -> bool:
    """Whether any evaluation holds an answer of a round (一次評価, 実績, …)."""
    return any(c in statuses and statuses[c].notna().any() for c in ROUND_COLUMNS)


def department_counts(
    items: pd.DataFrame, statuses: pd.DataFrame, scale: Any, as_of: Any = None
) -> pd.DataFrame:
    """Items per department (items.csv 担当課) by the class of their status at ``as_of``.

    One row per department in order of first appearance (items without one last, as
    :data:`UNASSIGNED`); rates are fractions of the department's items.
    """
    latest = metrics.latest_statuses(statuses, as_of)
    classes = scale.classes() if scale is not None else {}
    merged = items.merge(
        latest[["plan_id", "item_no", "status"]], on=["plan_id", "item_no"], how="left"
    )
    merged["cls"] = [None if pd.isna(s) else classes.get(s) for s in merged["status"]]
    merged["department"] = [text_or_none(d) or UNASSIGNED for d in merged["department"]]
    order = list(dict.fromkeys(d for d in merged["department"] if d != UNASSIGNED))
    if (merged["department"] == UNASSIGNED).any():
        order.append(UNASSIGNED)
    rows = []
    for department in order:
        mine = merged.loc[merged["department"] == department]
        counts = {
            cls: int((mine["cls"] == cls).sum()) for cls in ("achieved", "partial", "not_achieved")
        }
        n = len(mine)
        rows.append(
            {
                "department": department,
                "n_items": n,
                **counts,
                "unrated": int(mine["cls"].isna().sum()),
                "rate_strict": counts["achieved"] / n if n else float("nan"),
                "rate_incl_partial": (counts["achieved"] + counts["partial"]) / n
                if n
                else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=list(DEPARTMENT_COLUMNS))


def item_history(
    statuses: pd.DataFrame, plan_id: str, item_no: int, as_of: Any = None
) -> pd.DataFrame:
    """Every evaluation of one item up to ``as_of``, oldest first (statuses.csv columns)."""
    mine = statuses.loc[(statuses["plan_id"] == plan_id) & (statuses["item_no"] == item_no)]
    if as_of is not None:
        mine = mine.loc[mine["as_of_date"] <= pd.Timestamp(as_of)]
    return mine.sort_values("as_of_date", kind="stable").reset_index(drop=True)


def opinions_at(opinions: pd.DataFrame, plan_id: str, as_of: Any = None) -> pd.DataFrame:
    """The committee's opinions on a plan at its latest evaluation up to ``as_of``.

    Returns the opinions of one evaluation date (the latest that has any), in number order;
    empty when there are none.
    """
    mine = opinions.loc[opinions["plan_id"] == plan_id]
    if as_of is not None:
        mine = mine.loc[mine["as_of_date"] <= pd.Timestamp(as_of)]
    if mine.empty:
        return mine
    latest = mine["as_of_date"].max()
    return mine.loc[mine["as_of_date"] == latest].sort_values("opinion_no", kind="stable")


def item_opinions(statuses: pd.DataFrame, plan_id: str, as_of: Any = None) -> pd.DataFrame:
    """Items with a committee opinion at the plan's latest evaluation up to ``as_of``."""
    latest = metrics.latest_statuses(statuses.loc[statuses["plan_id"] == plan_id], as_of)
    if latest.empty:
        return latest
    newest = latest["as_of_date"].max()
    latest = latest.loc[latest["as_of_date"] == newest]
    return latest.loc[latest["committee_opinion"].notna()].sort_values("item_no")
