"""Indicator rating rules (指標の評価基準) as configured in city.yaml, checked.

A data folder's ``city.yaml`` may define ``indicator_rules``: each rule names its kind and its
levels in the body's own words and order (best first), e.g.::

    indicator_rules:
      movement4:
        name: 策定時からの変化(4段階)
        kind: movement          # movement: 基準値からの変化 / ratio: 目標達成度 (実績値÷目標値)
        tolerance: 5            # ±5 以内は横ばい ("10%" なら基準値の ±10 %)
        levels:
          - {code: 達成, when: target_met}
          - {code: 前進, when: improved}
          - {code: 横ばい, when: unchanged}
          - {code: 後退, when: worsened}
          - {code: −, when: missing}    # 実績値がないとき(評価できない)

:func:`check_rules` turns the parsed YAML into :class:`~helpers.data.contracts.RuleConfig` values
and reports every problem (code ``bad_rule``) at once. The ratings themselves are computed in
:mod:`helpers.views.indicators`; ``data/README.md`` documents every key with a worked example.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from helpers.data.contracts import (
    CONFIG_FILE,
    MISSING_CONDITION,
    MOVEMENT_CONDITIONS,
    RATIO_BASES,
    RULE_KINDS,
    RuleConfig,
    RuleLevelConfig,
)
from helpers.data.problems import Problem
from helpers.data.quantities import QuantityError, parse_quantity

_RULE_KEYS = frozenset({"name", "kind", "tolerance", "basis", "levels", "definition", "page"})
_LEVEL_KEYS = frozenset({"code", "label", "when", "min", "definition", "page"})
CONDITION_LABELS: dict[str, str] = {
    "target_met": "目標を達成",
    "improved": "基準値から改善(許容幅を超えて)",
    "unchanged": "基準値から許容幅以内",
    "worsened": "基準値から悪化(許容幅を超えて)",
    MISSING_CONDITION: "実績値がない(評価できない)",
}
"""What each condition of a rule level means, in Japanese (for messages and documentation)."""


def _problem(path: str, value: object, message: str) -> Problem:
    shown = None if value is None else str(value)
    return Problem(CONFIG_FILE, None, path, shown, message, "bad_rule")


def _check_keys(
    entry: Mapping[Any, Any], allowed: frozenset[str], what: str, path: str, problems: list[Problem]
) -> None:
    """One problem naming every key of *entry* that is not *allowed* (a misspelt key)."""
    unknown = sorted(str(k) for k in entry if k not in allowed)
    if unknown:
        problems.append(
            _problem(
                path,
                ", ".join(unknown),
                f"{what}のキー {', '.join(unknown)} は使えません "
                f"(allowed: {', '.join(sorted(allowed))})",
            )
        )


def _text(value: object) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def _int(value: object, path: str, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(_problem(path, value, f"{path} は整数で書いてください"))
        return None
    return value


def _percent(value: object, path: str, problems: list[Problem]) -> float | None:
    """``80%`` or ``80`` -> 0.8 (thresholds are percentages, with or without the sign)."""
    try:
        quantity = parse_quantity(str(value))
    except QuantityError:
        quantity = None
    if quantity is None or isinstance(value, bool) or quantity.unit not in (None, "%"):
        problems.append(
            _problem(path, value, f"{path} は百分率で書いてください (例: 80%。80 も 80% の意味)")
        )
        return None
    return quantity.value / 100


def _tolerance(value: object, path: str, problems: list[Problem]) -> tuple[float, bool]:
    """``5`` -> (5.0, absolute); ``"10%"`` -> (0.1, relative to the baseline)."""
    if value is None:
        return 0.0, False
    try:
        quantity = parse_quantity(str(value))
    except QuantityError:
        quantity = None
    if (
        quantity is None
        or isinstance(value, bool)
        or quantity.unit not in (None, "%")
        or quantity.value < 0
    ):
        problems.append(
            _problem(
                path,
                value,
                f"{path} は 0 以上の数 (指標の単位での幅、例: 5) か百分率 "
                "(基準値に対する割合、例: 10%) で書いてください",
            )
        )
        return 0.0, False
    if quantity.unit == "%":
        return quantity.value / 100, True
    return quantity.value, False


def _conditions(value: object, path: str, problems: list[Problem]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    allowed = (*MOVEMENT_CONDITIONS, MISSING_CONDITION)
    found: list[str] = []
    for item in items:
        text = _text(item)
        if text not in allowed:
            problems.append(
                _problem(
                    path,
                    item,
                    f"{path}「{item}」は使えません (allowed: {', '.join(allowed)})",
                )
            )
            continue
        found.append(text)
    return tuple(found)


def _level(entry: object, path: str, problems: list[Problem]) -> RuleLevelConfig | None:
    if not isinstance(entry, Mapping):
        problems.append(
            _problem(
                path, entry, "段階は {code: …, when: …} または {code: …, min: …} の形で書きます"
            )
        )
        return None
    _check_keys(entry, _LEVEL_KEYS, "段階", path, problems)
    code = _text(entry.get("code"))
    if code is None:
        problems.append(_problem(f"{path}.code", None, "段階の code がありません"))
        return None
    when = _conditions(entry.get("when"), f"{path}.when", problems)
    minimum = None
    if entry.get("min") is not None:
        minimum = _percent(entry.get("min"), f"{path}.min", problems)
    return RuleLevelConfig(
        code=code,
        label=_text(entry.get("label")) or code,
        when=when,
        min=minimum,
        definition=_text(entry.get("definition")),
        page=_int(entry.get("page"), f"{path}.page", problems),
    )


def _check_movement(rule_id: str, levels: list[RuleLevelConfig], problems: list[Problem]) -> None:
    path = f"indicator_rules.{rule_id}.levels"
    for n, level in enumerate(levels):
        if level.min is not None:
            problems.append(
                _problem(
                    f"{path}[{n}].min",
                    level.min,
                    "movement の評価基準では min は使えません。when で条件を書いてください",
                )
            )
        if not level.when:
            problems.append(
                _problem(
                    f"{path}[{n}].when",
                    None,
                    f"段階「{level.code}」に when がありません "
                    f"(allowed: {', '.join((*MOVEMENT_CONDITIONS, MISSING_CONDITION))})",
                )
            )
    for condition in (*MOVEMENT_CONDITIONS, MISSING_CONDITION):
        owners = [level.code for level in levels if condition in level.when]
        if len(owners) != 1:
            which = "がありません" if not owners else f"が複数あります ({', '.join(owners)})"
            problems.append(
                _problem(
                    path,
                    condition,
                    f"評価基準 {rule_id}: 「{CONDITION_LABELS[condition]}」(when: {condition}) "
                    f"の段階{which}。条件ごとに1つの段階を決めてください",
                )
            )
    ranks = [
        max(MOVEMENT_CONDITIONS.index(c) for c in level.when if c != MISSING_CONDITION)
        for level in levels
        if any(c != MISSING_CONDITION for c in level.when)
    ]
    if ranks != sorted(ranks):
        problems.append(
            _problem(
                path,
                None,
                f"評価基準 {rule_id}: 段階は良い順に書いてください "
                "(target_met → improved → unchanged → worsened)",
            )
        )


def _check_ratio(rule_id: str, levels: list[RuleLevelConfig], problems: list[Problem]) -> None:
    path = f"indicator_rules.{rule_id}.levels"
    for n, level in enumerate(levels):
        wrong = [c for c in level.when if c != MISSING_CONDITION]
        if wrong:
            problems.append(
                _problem(
                    f"{path}[{n}].when",
                    ", ".join(wrong),
                    "ratio の評価基準では when は missing だけが使えます。"
                    "段階の下限を min で書いてください",
                )
            )
        if level.min is not None and MISSING_CONDITION in level.when:
            problems.append(
                _problem(f"{path}[{n}]", level.code, "実績値がないときの段階には min を書けません")
            )
    missing = [level for level in levels if MISSING_CONDITION in level.when]
    if len(missing) != 1:
        problems.append(
            _problem(
                path,
                MISSING_CONDITION,
                f"評価基準 {rule_id}: 実績値がないときの段階 (when: missing) を1つ決めてください",
            )
        )
    rated = [level for level in levels if MISSING_CONDITION not in level.when]
    floors = [level for level in rated if level.min is None]
    if len(floors) != 1 or (rated and rated[-1].min is not None):
        problems.append(
            _problem(
                path,
                None,
                f"評価基準 {rule_id}: 最後の段階 (最も低い段階) だけ min を書かないでください "
                "(どの下限にも届かないときの段階)",
            )
        )
    mins = [level.min for level in rated if level.min is not None]
    if any(a <= b for a, b in itertools.pairwise(mins)):
        problems.append(
            _problem(
                path,
                None,
                f"評価基準 {rule_id}: min は良い段階から順に大きい値にしてください "
                "(例: 100%, 80%, 50%)",
            )
        )


def _check_rule(rule_id: str, data: object, problems: list[Problem]) -> RuleConfig | None:
    path = f"indicator_rules.{rule_id}"
    if not isinstance(data, Mapping):
        problems.append(
            _problem(path, None, f"評価基準 {rule_id} は「キー: 値」の形で書いてください")
        )
        return None
    n_problems = len(problems)
    _check_keys(data, _RULE_KEYS, "評価基準", path, problems)
    kind = _text(data.get("kind"))
    if kind not in RULE_KINDS:
        problems.append(
            _problem(
                f"{path}.kind",
                kind,
                f"評価基準 {rule_id} の kind は {' か '.join(RULE_KINDS)} です "
                "(movement: 基準値からの変化、ratio: 目標達成度 (実績値÷目標値))",
            )
        )
    raw_levels = data.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        problems.append(
            _problem(f"{path}.levels", None, f"評価基準 {rule_id} に levels がありません")
        )
        raw_levels = []
    levels: list[RuleLevelConfig] = []
    for n, entry in enumerate(raw_levels):
        level = _level(entry, f"{path}.levels[{n}]", problems)
        if level is None:
            continue
        if level.code in {x.code for x in levels}:
            problems.append(
                _problem(
                    f"{path}.levels[{n}].code",
                    level.code,
                    f"評価基準 {rule_id} の段階「{level.code}」が重複しています",
                )
            )
            continue
        levels.append(level)
    tolerance, relative = _tolerance(data.get("tolerance"), f"{path}.tolerance", problems)
    basis = _text(data.get("basis")) or "target"
    if kind == "movement" and levels:
        _check_movement(rule_id, levels, problems)
    if kind == "ratio":
        if data.get("tolerance") is not None:
            problems.append(
                _problem(
                    f"{path}.tolerance",
                    data.get("tolerance"),
                    "ratio の評価基準に tolerance は使えません",
                )
            )
        if basis not in RATIO_BASES:
            problems.append(
                _problem(
                    f"{path}.basis",
                    basis,
                    f"basis は {' か '.join(RATIO_BASES)} です (target: 実績値÷目標値、"
                    "progress: (実績値−基準値)÷(目標値−基準値))",
                )
            )
        if levels:
            _check_ratio(rule_id, levels, problems)
    if len(problems) > n_problems or kind is None:
        return None
    return RuleConfig(
        id=rule_id,
        name=_text(data.get("name")) or rule_id,
        kind=kind,
        levels=tuple(levels),
        tolerance=tolerance,
        relative=relative,
        basis=basis,
        definition=_text(data.get("definition")),
        page=_int(data.get("page"), f"{path}.page", problems),
    )


def check_rules(data: Any, problems: list[Problem]) -> dict[str, RuleConfig]:
    """Check the ``indicator_rules`` of city.yaml; append problems, return the valid rules."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(
            _problem(
                "indicator_rules",
                None,
                "indicator_rules は「評価基準ID: 定義」の形で書いてください",
            )
        )
        return {}
    rules: dict[str, RuleConfig] = {}
    for rule_id, rule_data in data.items():
        rule = _check_rule(str(rule_id), rule_data, problems)
        if rule is not None:
            rules[rule.id] = rule
    return rules
