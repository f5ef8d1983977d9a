"""The yearly evaluation round: which department is asked about which items, and its answers.

An evaluation round (評価の取りまとめ) asks every responsible department (担当課) about its items
as of one date (e.g. 令和7年度末): its own rating (一次評価), the reason for it (評価理由), what was
done (実績), open problems (課題) and the way forward (今後の方向性), plus the year's actuals of the
indicators that measure its items. :func:`plan_round` works out the round from a loaded data
folder: the plans in progress at that date, each department's items with the previous
evaluation's answers (to prefill the sheet) and the indicator actuals still missing.
:func:`apply_answers` appends the collected answers to the data folder as a new evaluation,
never changing an earlier row, after checking the resulting folder, each file replaced
atomically.

The workbooks themselves (writing, reading back, checking) are
:mod:`helpers.data.evaluation_workbook`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.data.city import CityData, inspect_folder
from helpers.data.contracts import (
    ACTUALS,
    STATUSES,
    WORKBOOK_FILE,
    TableSpec,
)
from helpers.data.dates import JpDateError, era_year_label, fiscal_year_label, parse_jp_date
from helpers.data.problems import Problem
from helpers.data.reading import decode_bytes, header_key

ANSWER_COLUMNS: tuple[str, ...] = ("self_rating", "reason", "results", "challenges", "direction")
"""What a department answers per item (statuses.csv columns)."""

REQUIRED_ANSWERS: tuple[str, ...] = ("self_rating", "results", "direction")
"""Answers without which an item is incomplete (評価理由 is required below the top level)."""

ANSWER_LABELS: dict[str, str] = {
    "self_rating": "一次評価",
    "reason": "評価理由",
    "results": "実績",
    "challenges": "課題",
    "direction": "今後の方向性",
}

VALUE_STATUS_LABELS: dict[str, str] = {"final": "確定", "preliminary": "速報"}
"""速報・確定 of an actual: code -> the word a department picks in its sheet."""


class RoundError(ValueError):
    """The round cannot be started or applied; ``problems`` says why (file, row, message)."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Level:
    """One choice of a drop-down list: a rating level or a direction."""

    code: str
    label: str
    definition: str | None = None


@dataclass(frozen=True)
class PlanScale:
    """A plan of the round with the levels its items are rated in, best first."""

    plan_id: str
    name: str
    scale_name: str
    levels: tuple[Level, ...]

    @property
    def top(self) -> str:
        """The code of the best level (below it a reason is required)."""
        return self.levels[0].code

    def code_of(self, text: str) -> str | None:
        """The level code written as ``text`` (its code or its label), ``None`` if none."""
        for level in self.levels:
            if text in (level.code, level.label):
                return level.code
        return None


@dataclass(frozen=True)
class PreviousEvaluation:
    """An item's latest evaluation before the round: final rating and the department's answers."""

    as_of: str
    status: str
    committee_opinion: str | None
    answers: dict[str, str | None]


@dataclass(frozen=True)
class RoundItem:
    """One item a department is asked about."""

    plan_id: str
    item_no: int
    name: str
    description: str | None
    department: str
    previous: PreviousEvaluation | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.plan_id, self.item_no)

    def prefill(self) -> dict[str, str | None]:
        """The answers the sheet starts with: the previous evaluation's, else empty."""
        if self.previous is None:
            return dict.fromkeys(ANSWER_COLUMNS)
        return {name: self.previous.answers.get(name) for name in ANSWER_COLUMNS}


@dataclass(frozen=True)
class RoundIndicator:
    """An indicator whose actual of the round's fiscal year is asked for."""

    plan_id: str
    indicator_id: str
    series: str | None
    item_no: int
    name: str
    unit: str | None
    baseline: float | None
    baseline_fy: int | None
    target: float | None
    target_fy: int | None
    previous_value: float | None
    previous_fy: int | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.plan_id, self.indicator_id, self.series or "")


@dataclass(frozen=True)
class DepartmentRound:
    """One department's part of the round: its items and the indicator actuals asked for."""

    id: str
    name: str
    items: tuple[RoundItem, ...]
    indicators: tuple[RoundIndicator, ...]


@dataclass(frozen=True)
class EvaluationRound:
    """A round: the city, the as-of date, the plans, the choices and every department's part."""

    city_id: str
    city_name: str
    as_of: str
    fiscal_year: int
    plans: tuple[PlanScale, ...]
    directions: tuple[Level, ...]
    departments: tuple[DepartmentRound, ...]
    deadline: str | None = None
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def as_of_date(self) -> pd.Timestamp:
        return pd.Timestamp(parse_jp_date(self.as_of).end)

    def plan(self, plan_id: str) -> PlanScale:
        return next(p for p in self.plans if p.plan_id == plan_id)

    def department(self, department_id: str) -> DepartmentRound | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def direction_code(self, text: str) -> str | None:
        """The direction code written as ``text`` (code or label), ``None`` if none."""
        for level in self.directions:
            if text in (level.code, level.label):
                return level.code
        return None

    @property
    def fiscal_year_text(self) -> str:
        return fiscal_year_label(self.fiscal_year)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA or pd.isna(value):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if value is None or value is pd.NA or pd.isna(value):
        return None
    return int(value)


def _plans_in_round(
    city: CityData, fiscal_year: int, plan_ids: Sequence[str]
) -> tuple[list[pd.Series], list[str]]:
    """The plans a round covers (given ids, else those whose period holds the fiscal year)."""
    plans = city.plans.sort_values("start_fy", kind="stable")
    errors: list[str] = []
    if plan_ids:
        known = set(plans["plan_id"])
        errors += [
            f"計画ID「{p}」は plans.csv にありません (allowed: {', '.join(plans['plan_id'])})"
            for p in plan_ids
            if p not in known
        ]
        chosen = [row for _, row in plans.iterrows() if row["plan_id"] in plan_ids]
    else:
        chosen = [
            row
            for _, row in plans.iterrows()
            if int(row["start_fy"]) <= fiscal_year <= int(row["end_fy"])
        ]
        if not chosen:
            errors.append(
                f"{fiscal_year_label(fiscal_year)}を計画期間に含む計画がありません。"
                "--plan で計画IDを指定してください (no plan in progress)"
            )
    for row in chosen:
        if row["scale"] is None:
            errors.append(f"計画 {row['plan_id']} に評価尺度がありません (plans.csv 評価尺度)")
    return chosen, errors


def _department_ids(city: CityData, names: Iterable[str]) -> dict[str, str]:
    """Department name -> id: from city.yaml ``departments``, else d01, d02, … in order."""
    configured = dict(zip(city.departments["name"], city.departments["id"], strict=True))
    ids: dict[str, str] = {}
    for name in names:
        if name not in ids:
            ids[name] = configured.get(name) or f"d{len(ids) + 1:02d}"
    return ids


def _previous(statuses: pd.DataFrame, before: pd.Timestamp) -> dict[tuple[str, int], Any]:
    earlier = statuses.loc[statuses["as_of_date"] < before]
    earlier = earlier.sort_values(["plan_id", "item_no", "as_of_date"], kind="stable")
    latest = earlier.drop_duplicates(["plan_id", "item_no"], keep="last")
    return {(r["plan_id"], int(r["item_no"])): r for _, r in latest.iterrows()}


def _indicators_asked(city: CityData, plan_ids: set[str], fiscal_year: int) -> list[RoundIndicator]:
    """Indicators of the round's plans that measure an item and lack the year's actual."""
    indicators = city.indicators
    actuals = city.actuals
    asked: list[RoundIndicator] = []
    for _, row in indicators.iterrows():
        if row["plan_id"] not in plan_ids or _int(row["item_no"]) is None:
            continue
        mine = actuals.loc[
            (actuals["plan_id"] == row["plan_id"])
            & (actuals["indicator_id"] == row["indicator_id"])
            & (actuals["series"].fillna("") == (row["series"] or ""))
        ]
        if (mine["fiscal_year"] == fiscal_year).any():
            continue  # already known: not asked again
        before = mine.loc[mine["fiscal_year"] < fiscal_year].sort_values("fiscal_year")
        before = before.loc[before["value"].notna()]
        last = before.iloc[-1] if not before.empty else None
        asked.append(
            RoundIndicator(
                plan_id=row["plan_id"],
                indicator_id=row["indicator_id"],
                series=_text(row["series"]),
                item_no=int(row["item_no"]),
                name=str(row["name"]),
                unit=_text(row["unit"]),
                baseline=_number(row["baseline"]),
                baseline_fy=_int(row["baseline_fy"]),
                target=_number(row["target"]),
                target_fy=_int(row["target_fy"]),
                previous_value=None if last is None else float(last["value"]),
                previous_fy=None if last is None else int(last["fiscal_year"]),
            )
        )
    return asked


def plan_round(
    city: CityData,
    as_of: str,
    plan_ids: Sequence[str] = (),
    deadline: str | None = None,
) -> EvaluationRound:
    """The round of ``city`` as of ``as_of`` (e.g. 令和7年度末) for ``plan_ids`` (default: the
    plans in progress that fiscal year).

    Raises :class:`RoundError` naming every reason the round cannot start: an unreadable date,
    no plan, a plan without a scale, items without 担当課, an evaluation already recorded at
    that date.
    """
    try:
        written = parse_jp_date(as_of)
        fiscal_year = written.fiscal_year
    except JpDateError as error:
        raise RoundError(f"評価の時点「{as_of}」を読み取れません: {error}") from error
    deadline_text = None
    if deadline:
        try:
            deadline_text = parse_jp_date(deadline).label
        except JpDateError as error:
            raise RoundError(f"提出期限「{deadline}」を読み取れません: {error}") from error
    as_of_date = pd.Timestamp(written.end)
    plans, errors = _plans_in_round(city, fiscal_year, plan_ids)
    problems: list[Problem] = []
    chosen_ids = {str(p["plan_id"]) for p in plans}
    items = city.items.loc[city.items["plan_id"].isin(chosen_ids)]
    for _, item in items.iterrows():
        if _text(item["department"]) is None:
            msg = (
                f"計画 {item['plan_id']} 項目 {item['item_no']}「{item['name']}」に"
                "担当課がありません。items.csv の「担当課」に書いてください "
                "(the round needs a department per item)"
            )
            problems.append(Problem("items.csv", None, "担当課", None, msg, "required_value"))
    statuses = city.statuses
    same_date = statuses.loc[
        statuses["plan_id"].isin(chosen_ids) & (statuses["as_of_date"] == as_of_date)
    ]
    if not same_date.empty:
        written_as = sorted(set(same_date["as_of"]))
        errors.append(
            f"{'、'.join(written_as)}の評価はすでに statuses.csv にあります。"
            "別の時点を指定してください (an evaluation at this date exists)"
        )
    if errors or problems:
        raise RoundError("\n".join(errors) or "担当課のない項目があります", problems)
    previous = _previous(statuses, as_of_date)
    ordered = items.assign(
        _order=items["plan_id"].map({p["plan_id"]: n for n, p in enumerate(plans)})
    )
    ordered = ordered.sort_values(["_order", "item_no"], kind="stable")
    ids = _department_ids(city, ordered["department"])
    round_items: dict[str, list[RoundItem]] = {name: [] for name in ids}
    for _, item in ordered.iterrows():
        key = (item["plan_id"], int(item["item_no"]))
        before = previous.get(key)
        prior = None
        if before is not None:
            prior = PreviousEvaluation(
                as_of=str(before["as_of"]),
                status=str(before["status"]),
                committee_opinion=_text(before["committee_opinion"]),
                answers={name: _text(before[name]) for name in ANSWER_COLUMNS},
            )
        round_items[item["department"]].append(
            RoundItem(
                plan_id=key[0],
                item_no=key[1],
                name=str(item["name"]),
                description=_text(item["description"]),
                department=str(item["department"]),
                previous=prior,
            )
        )
    indicators = _indicators_asked(city, chosen_ids, fiscal_year)
    departments = []
    for name, dep_id in ids.items():
        mine = {i.key for i in round_items[name]}
        departments.append(
            DepartmentRound(
                id=dep_id,
                name=name,
                items=tuple(round_items[name]),
                indicators=tuple(i for i in indicators if (i.plan_id, i.item_no) in mine),
            )
        )
    plan_scales = []
    for plan in plans:
        scale = city.scales[plan["scale"]]
        levels = scale.levels.sort_values("order", kind="stable")
        plan_scales.append(
            PlanScale(
                plan_id=str(plan["plan_id"]),
                name=str(plan["name"]),
                scale_name=scale.name,
                levels=tuple(
                    Level(
                        str(r["code"]), _text(r["label"]) or str(r["code"]), _text(r["definition"])
                    )
                    for _, r in levels.iterrows()
                ),
            )
        )
    directions = tuple(
        Level(str(r["code"]), _text(r["label"]) or str(r["code"]), _text(r["description"]))
        for _, r in city.directions.iterrows()
    )
    return EvaluationRound(
        city_id=city.city.get("id", ""),
        city_name=city.city.get("name", ""),
        as_of=as_of.strip(),
        fiscal_year=fiscal_year,
        plans=tuple(plan_scales),
        directions=directions,
        departments=tuple(departments),
        deadline=deadline_text,
        settings=dict(city.round_settings),
    )


# --- applying the answers ------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAnswer:
    """One item's answers as collected (codes for 一次評価 and 今後の方向性)."""

    plan_id: str
    item_no: int
    department: str
    answers: dict[str, str | None]


@dataclass(frozen=True)
class ActualAnswer:
    """One indicator actual as collected."""

    plan_id: str
    indicator_id: str
    series: str | None
    fiscal_year: int
    value: float
    unit: str | None
    value_status: str
    note: str | None


@dataclass(frozen=True)
class AppliedFile:
    """What :func:`apply_answers` changed in one file."""

    file: str
    rows_added: int
    headers_added: tuple[str, ...]
    created: bool = False


def _encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


def _number_text(value: float) -> str:
    """The number as actuals.csv holds it: never in exponent form (1e-07 is not read back)."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def appended_csv(
    path: Path, spec: TableSpec, rows: Sequence[Mapping[str, str | None]]
) -> tuple[bytes, tuple[str, ...], bool]:
    """The bytes of ``path`` with ``rows`` (English column name -> text) appended.

    Every existing byte stays as it is, except the header line when it lacks a column the
    rows fill (the column is added at its end; earlier rows simply have fewer cells, which
    reads as empty). The file's encoding and line ends are kept; a file that does not exist
    yet is created in UTF-8 with BOM. Returns the bytes, the headers added and whether the
    file is new.
    """
    used = [c for c in spec.columns if any(r.get(c.name) is not None for r in rows)]
    if path.is_file():
        data = path.read_bytes()
        text, problem = decode_bytes(data, path.name)
        if problem is not None or text is None:
            raise RoundError(problem.message if problem else f"{path.name} を読めません")
        encoding = _encoding_of(data)
        first_end = data.find(b"\n")
        line_end = "\r\n" if first_end > 0 and data[first_end - 1 : first_end] == b"\r" else "\n"
        header_bytes, _, body = data.partition(line_end.encode("ascii"))
        header = next(csv.reader(io.StringIO(text, newline="")), [])
        mapping = spec.header_map()
        names: list[str | None] = [
            mapping.get(header_key(h)) or mapping.get(header_key(h).lower()) for h in header
        ]
        added = tuple(c.header for c in used if c.name not in names)
        names += [mapping[h] for h in added]
        if added:
            header_bytes += ("," + ",".join(added)).encode(encoding.replace("-sig", ""))
        if body and not body.endswith((b"\n", b"\r")):
            body += line_end.encode("ascii")
        leading = header_bytes + line_end.encode("ascii") + body
        created = False
    else:
        names = [c.name for c in spec.columns if c.required or c in used]
        added = ()
        encoding, line_end, created = "utf-8-sig", "\r\n", True
        leading = (",".join(spec.column(n).header for n in names if n) + line_end).encode(encoding)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_end)
    for row in rows:
        writer.writerow(["" if n is None or row.get(n) is None else row[n] for n in names])
    try:
        appended = buffer.getvalue().encode(encoding.replace("-sig", ""))
    except UnicodeEncodeError as error:
        bad = buffer.getvalue()[error.start : error.end]
        raise RoundError(
            f"{path.name} は Shift_JIS (cp932) で保存されていますが、回答の文字「{bad}」は "
            "Shift_JIS で書けません。ファイルを UTF-8 で保存し直すか、その文字を直してください "
            "(a character of the answers cannot be written in cp932)"
        ) from error
    return leading + appended, added, created


def status_rows(
    round_: EvaluationRound, answers: Sequence[ItemAnswer]
) -> list[dict[str, str | None]]:
    """statuses.csv rows of the new evaluation: 取組状況 starts as the department's 一次評価."""
    rows = []
    for answer in answers:
        row: dict[str, str | None] = {
            "plan_id": answer.plan_id,
            "item_no": str(answer.item_no),
            "as_of": round_.as_of,
            "status": answer.answers.get("self_rating"),
            "department": answer.department,
        }
        row.update({name: answer.answers.get(name) for name in ANSWER_COLUMNS})
        rows.append(row)
    return rows


def actual_rows(actuals: Sequence[ActualAnswer]) -> list[dict[str, str | None]]:
    """actuals.csv rows of the collected indicator actuals."""
    return [
        {
            "plan_id": a.plan_id,
            "indicator_id": a.indicator_id,
            "series": a.series,
            "fiscal_year": era_year_label(a.fiscal_year),
            "value": _number_text(a.value) + (a.unit or ""),
            "value_status": VALUE_STATUS_LABELS[a.value_status],
            "note": a.note,
        }
        for a in actuals
    ]


def _staged_copy(folder: Path, name: str, data: bytes) -> Path:
    """*data* written and synced to a hidden file beside *name*, with *name*'s permissions."""
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    target = folder / name
    if target.is_file():
        os.chmod(temporary, target.stat().st_mode & 0o777)
    return Path(temporary)


def apply_answers(
    folder: str | Path,
    round_: EvaluationRound,
    answers: Sequence[ItemAnswer],
    actuals: Sequence[ActualAnswer] = (),
) -> list[AppliedFile]:
    """Append the answers to the data folder as the evaluation of ``round_.as_of``.

    The new files are written and checked in a copy of the folder first (every check of
    ``plan-report validate``); only a clean result replaces the folder's files, each with an
    atomic rename. Nothing is changed when anything fails (:class:`RoundError` lists why).
    """
    path = Path(folder)
    if (path / WORKBOOK_FILE).is_file():
        raise RoundError(
            f"{path} は {WORKBOOK_FILE} の形式です。回答を追記できるのは CSV のフォルダだけです "
            "(answers are appended to CSV files)"
        )
    changes: dict[str, tuple[bytes, tuple[str, ...], bool, int]] = {}
    rows = status_rows(round_, answers)
    changes[STATUSES.file_name] = (
        *appended_csv(path / STATUSES.file_name, STATUSES, rows),
        len(rows),
    )
    if actuals:
        rows = actual_rows(actuals)
        changes[ACTUALS.file_name] = (
            *appended_csv(path / ACTUALS.file_name, ACTUALS, rows),
            len(rows),
        )
    with tempfile.TemporaryDirectory(prefix="plan-report-round-") as scratch:
        trial = Path(scratch) / path.name
        shutil.copytree(path, trial, ignore=shutil.ignore_patterns(".*"))
        for name, (data, *_rest) in changes.items():
            (trial / name).write_bytes(data)
        inspection = inspect_folder(trial)
        errors = [p for p in inspection.problems if p.severity == "error"]
        if errors:
            raise RoundError(
                "回答を追記したデータに問題があるため、データフォルダは変更していません "
                "(the data with the answers does not validate; nothing changed)",
                errors,
            )
    staged: list[tuple[Path, Path]] = []
    try:
        for name, (data, *_rest) in changes.items():
            staged.append((_staged_copy(path, name, data), path / name))
        # the originals, to put back if a later file cannot be replaced (statuses.csv and
        # actuals.csv change together or not at all)
        originals = {
            target: target.read_bytes() if target.is_file() else None for _, target in staged
        }
        replaced: list[Path] = []
        try:
            for temporary, target in staged:
                os.replace(temporary, target)
                replaced.append(target)
        except OSError:
            for target in replaced:
                before = originals[target]
                if before is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(_staged_copy(path, target.name, before), target)
            raise
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return [
        AppliedFile(name, count, added, created)
        for name, (_data, added, created, count) in changes.items()
    ]
