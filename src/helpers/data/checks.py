"""Checks of a plan-data folder: every problem of every file found in one run.

The checks are lazy: nothing stops at the first problem. :func:`check_config` checks city.yaml,
:func:`coerce_table` types the cells of one table, :func:`check_tables` runs every check across
tables (keys, references, scales, dates, derived event columns). Reading files is
:mod:`helpers.data.reading`'s job; :func:`helpers.data.validate_folder` puts both together, and
``plan-report validate data/higashiyamato`` prints the result.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpers.data.contracts import (
    BOOL_FALSE,
    BOOL_TRUE,
    CONFIG_FILE,
    EVENT_GROUPS,
    PRECISION_LABELS,
    STATUS_CLASSES,
    TABLES,
    CityConfig,
    Column,
    DepartmentConfig,
    LevelConfig,
    RawTable,
    ScaleConfig,
    TargetLevelConfig,
    TypedTable,
)
from helpers.data.dates import JpDate, JpDateError, parse_fiscal_year, parse_jp_date
from helpers.data.indicators import check_indicators, fill_actual_years
from helpers.data.limits import (
    MAX_ID_CHARS,
    character_name,
    forbidden_character,
    has_userinfo,
    is_safe_name,
    is_web_url,
)
from helpers.data.problems import Problem, quoted
from helpers.data.quantities import QuantityError, is_no_value, parse_quantity
from helpers.data.rules import check_rules

_WEB_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")
_PRECISION_CODES: dict[str, str] = {
    **{ja: en for en, ja in PRECISION_LABELS.items()},
    **{en: en for en in PRECISION_LABELS},
}


# --- city.yaml -------------------------------------------------------------------------------


def _config_problem(path: str, value: object, message: str, code: str = "bad_config") -> Problem:
    shown = None if value is None else str(value)
    return Problem(CONFIG_FILE, None, path, shown, message, code)


def _text(value: object) -> str | None:
    """A config scalar as stripped text, ``None`` when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _mapping_of_text(data: object, path: str, problems: list[Problem]) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(_config_problem(path, data, f"{path} は「キー: 値」の形で書いてください"))
        return {}
    return {str(k): t for k, v in data.items() if (t := _text(v)) is not None}


def _check_target_levels(
    data: object, problems: list[Problem], key: str = "target_levels", what: str = "取組目標"
) -> tuple[TargetLevelConfig, ...]:
    """A list of ``{code, label, description}`` (target levels, or directions with ``key``)."""
    if data is None:
        return ()
    if not isinstance(data, list):
        problems.append(_config_problem(key, data, f"{key} はリストで書いてください"))
        return ()
    levels: list[TargetLevelConfig] = []
    for i, entry in enumerate(data):
        path = f"{key}[{i}]"
        fields = {"code": entry} if not isinstance(entry, Mapping) else entry
        code = _text(fields.get("code"))
        if code is None:
            problems.append(_config_problem(f"{path}.code", None, f"{what}の code がありません"))
            continue
        if code in {t.code for t in levels}:
            problems.append(
                _config_problem(
                    f"{path}.code", code, f"{what}「{code}」が重複しています", "duplicate_key"
                )
            )
            continue
        label = _text(fields.get("label")) or code
        levels.append(TargetLevelConfig(code, label, _text(fields.get("description"))))
    return tuple(levels)


_DEPARTMENT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def _check_departments(data: object, problems: list[Problem]) -> tuple[DepartmentConfig, ...]:
    """``departments``: a list of ``{id, name}``; ids are ASCII (they name round workbooks)."""
    if data is None:
        return ()
    if not isinstance(data, list):
        problems.append(
            _config_problem("departments", data, "departments はリストで書いてください")
        )
        return ()
    departments: list[DepartmentConfig] = []
    for i, entry in enumerate(data):
        path = f"departments[{i}]"
        fields = entry if isinstance(entry, Mapping) else {}
        dep_id, name = _text(fields.get("id")), _text(fields.get("name"))
        if dep_id is None or name is None:
            msg = "担当課は id (英小文字・数字) と name (課の名前) を書いてください"
            problems.append(_config_problem(path, entry, msg))
            continue
        if not _DEPARTMENT_ID_RE.fullmatch(dep_id):
            msg = (
                f"担当課の id「{dep_id}」は英小文字・数字・-・_ で40字までにしてください "
                "(it names the department's round workbook)"
            )
            problems.append(_config_problem(f"{path}.id", dep_id, msg))
            continue
        if dep_id in {d.id for d in departments} or name in {d.name for d in departments}:
            msg = f"担当課「{name}」({dep_id}) が重複しています"
            problems.append(_config_problem(path, dep_id, msg, "duplicate_key"))
            continue
        departments.append(DepartmentConfig(dep_id, name))
    return tuple(departments)


ROUND_KEYS: tuple[str, ...] = ("secretariat", "contact", "committee")
"""Keys of city.yaml ``round``: who collects the sheets, how to reach them, the committee."""


def _config_int(value: object, path: str, problems: list[Problem]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.append(_config_problem(path, value, f"{path} は整数で書いてください"))
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not _INT_RE.fullmatch(text):
        problems.append(_config_problem(path, value, f"{path} は整数で書いてください"))
        return None
    number = _exact_int(text)
    if number is None:
        problems.append(_config_problem(path, value, f"{path} の整数が大きすぎます"))
    return number


def _check_level(entry: object, path: str, problems: list[Problem]) -> LevelConfig | None:
    if not isinstance(entry, Mapping):
        problems.append(
            _config_problem(path, entry, "段階は code, order, class を持つ形で書いてください")
        )
        return None
    code = _text(entry.get("code"))
    order = _config_int(entry.get("order"), f"{path}.order", problems)
    cls = _text(entry.get("class"))
    ok = True
    if code is None:
        problems.append(_config_problem(f"{path}.code", None, "段階の code がありません"))
        ok = False
    if order is None:
        problems.append(
            _config_problem(f"{path}.order", entry.get("order"), "段階の order がありません")
        )
        ok = False
    if cls not in STATUS_CLASSES:
        allowed = ", ".join(STATUS_CLASSES)
        problems.append(
            _config_problem(
                f"{path}.class",
                cls,
                f"段階の class「{cls}」は使えません (allowed: {allowed})",
                "bad_level_class",
            )
        )
        ok = False
    if not ok or code is None or order is None or cls is None:
        return None
    page = _config_int(entry.get("page"), f"{path}.page", problems)
    label = _text(entry.get("label")) or code
    return LevelConfig(code, label, order, cls, _text(entry.get("definition")), page)


def _check_scale(scale_id: str, data: object, problems: list[Problem]) -> ScaleConfig | None:
    path = f"scales.{scale_id}"
    if not isinstance(data, Mapping) or not isinstance(data.get("levels"), list):
        problems.append(
            _config_problem(f"{path}.levels", None, f"評価尺度 {scale_id} に levels がありません")
        )
        return None
    levels: list[LevelConfig] = []
    n_problems = len(problems)
    for i, entry in enumerate(data["levels"]):
        level = _check_level(entry, f"{path}.levels[{i}]", problems)
        if level is None:
            continue
        lpath = f"{path}.levels[{i}]"
        if level.code in {x.code for x in levels}:
            msg = f"評価尺度 {scale_id} の段階「{level.code}」が重複しています"
            problems.append(_config_problem(f"{lpath}.code", level.code, msg, "duplicate_key"))
        elif level.order in {x.order for x in levels}:
            msg = f"評価尺度 {scale_id} の order {level.order} が重複しています"
            problems.append(_config_problem(f"{lpath}.order", level.order, msg, "duplicate_key"))
        else:
            levels.append(level)
    if not levels:
        if len(problems) == n_problems:
            problems.append(
                _config_problem(f"{path}.levels", None, f"評価尺度 {scale_id} に段階がありません")
            )
        return None
    levels.sort(key=lambda level: level.order)
    rank = [STATUS_CLASSES.index(level.cls) for level in levels]
    if rank != sorted(rank):
        problems.append(
            _config_problem(
                f"{path}.levels",
                None,
                f"評価尺度 {scale_id}: order が良い段階ほど class も良くしてください "
                "(achieved → partial → not_achieved の順)",
                "scale_order_class",
            )
        )
    name = _text(data.get("name")) or scale_id
    return ScaleConfig(scale_id, name, tuple(levels))


def _control_problem(text: str, ch: str, where: str) -> str:
    """The message for a forbidden character ``ch`` found in ``text`` at ``where``."""
    position = text.index(ch) + 1
    return (
        f"{where}の{position}文字目に制御文字 {character_name(ch)} があります。"
        "見えない文字なので、削除してください (control character not allowed)"
    )


def _config_characters(data: object, path: str, problems: list[Problem], seen: set[int]) -> None:
    """Report every key or text value of city.yaml holding a forbidden character."""
    if id(data) in seen:
        return
    if isinstance(data, str):
        ch = forbidden_character(data, multiline=True)
        if ch is not None:
            problems.append(
                _config_problem(
                    path or "city.yaml", data, _control_problem(data, ch, path), "control_character"
                )
            )
        return
    if isinstance(data, Mapping):
        seen.add(id(data))
        for key, value in data.items():
            name = str(key)
            inner = f"{path}.{name}" if path else name
            if isinstance(key, str) and (ch := forbidden_character(key, False)) is not None:
                problems.append(
                    _config_problem(
                        inner, key, _control_problem(key, ch, "キー"), "control_character"
                    )
                )
            _config_characters(value, inner, problems, seen)
    elif isinstance(data, list):
        seen.add(id(data))
        for index, value in enumerate(data):
            _config_characters(value, f"{path}[{index}]", problems, seen)


def _web_urls(block: dict[str, str], path: str, problems: list[Problem]) -> dict[str, str]:
    """``block`` without the ``*url`` keys that are not http(s) addresses (each reported).

    These keys become links in the reports: only a web address may, never ``javascript:``.
    """
    kept = dict(block)
    for key, value in block.items():
        if not key.endswith("url") or is_web_url(value):
            continue
        if _WEB_SCHEME.match(value) and has_userinfo(value):
            authority = re.split(r"[/?#]", value.split("//", 1)[1], maxsplit=1)[0]
            host = quoted(authority.rsplit("@", 1)[1])
            msg = (
                f"{path}.{key} のホスト名の前に「@」があります。ブラウザーが開くのは「@」の後の"
                f"「{host}」で、前の部分は信頼できるサイトに見せかけられます。"
                "ユーザー名やパスワード (…@) を含まない "
                "http:// か https:// の URL で書いてください "
                "(no user name or password before the host)"
            )
        else:
            msg = (
                f"{path}.{key} は http:// か https:// で始まる URL で書いてください "
                "(links in reports are web addresses only)"
            )
        problems.append(_config_problem(f"{path}.{key}", value, msg, "bad_url"))
        del kept[key]
    return kept


def check_config(data: object) -> tuple[CityConfig, list[Problem]]:
    """Check the parsed YAML of city.yaml and return it as a :class:`CityConfig`.

    Problems are collected, never raised; broken parts are left out of the returned config.
    Control characters in any key or value are reported with their path.
    """
    problems: list[Problem] = []
    _config_characters(data, "", problems, set())
    if not isinstance(data, Mapping):
        problems.append(
            _config_problem(None, None, "city.yaml が空か、「キー: 値」の形ではありません")
        )  # type: ignore[arg-type]
        data = {}
    city = _mapping_of_text(data.get("city"), "city", problems)
    for key in ("id", "name"):
        if key not in city:
            problems.append(
                _config_problem(f"city.{key}", None, f"city.{key} がありません (required)")
            )
    source = _mapping_of_text(data.get("source"), "source", problems)
    targets = _check_target_levels(data.get("target_levels"), problems)
    scales: dict[str, ScaleConfig] = {}
    raw_scales = data.get("scales")
    if raw_scales is not None and not isinstance(raw_scales, Mapping):
        problems.append(
            _config_problem("scales", None, "scales は「尺度ID: 定義」の形で書いてください")
        )
    elif raw_scales is not None:
        for scale_id, scale_data in raw_scales.items():
            scale = _check_scale(str(scale_id), scale_data, problems)
            if scale is not None:
                scales[scale.id] = scale
    raw_rules = data.get("indicator_rules")
    rules = check_rules(raw_rules, problems)
    rule_ids = tuple(str(k) for k in raw_rules) if isinstance(raw_rules, Mapping) else ()
    directions = _check_target_levels(
        data.get("directions"), problems, "directions", "今後の方向性"
    )
    departments = _check_departments(data.get("departments"), problems)
    round_settings = _mapping_of_text(data.get("round"), "round", problems)
    for key in sorted(set(round_settings) - set(ROUND_KEYS)):
        msg = f"round.{key} は使われません (known: {', '.join(ROUND_KEYS)})"
        problems.append(_config_problem(f"round.{key}", None, msg))
    publication = _mapping_of_text(data.get("publication"), "publication", problems)
    source = _web_urls(source, "source", problems)
    publication = _web_urls(publication, "publication", problems)
    config = CityConfig(
        city,
        source,
        targets,
        scales,
        rules,
        rule_ids,
        directions=directions,
        departments=departments,
        round_settings=round_settings,
        publication=publication,
        event_kinds=_check_event_kinds(data.get("event_kinds"), problems),
    )
    return config, problems


def _check_event_kinds(data: object, problems: list[Problem]) -> dict[str, str]:
    """city.yaml ``event_kinds``: 種別 -> group, each group one of EVENT_GROUPS."""
    kinds = _mapping_of_text(data, "event_kinds", problems)
    for kind, group in list(kinds.items()):
        if group not in EVENT_GROUPS:
            msg = (
                f"event_kinds の「{kind}」の分類「{group}」は使えません "
                f"(allowed: {', '.join(EVENT_GROUPS)})"
            )
            problems.append(_config_problem(f"event_kinds.{kind}", group, msg))
            del kinds[kind]
    return kinds


# --- typing the cells of one table -----------------------------------------------------------


MAX_INTEGER = 2**53
"""Largest integer a cell may hold (any page, number or count is far below it)."""


def _exact_int(text: str) -> int | None:
    """``text`` (matching ``_INT_RE``) as an exact int, ``None`` beyond :data:`MAX_INTEGER`."""
    whole = text.split(".")[0]
    digits = whole.lstrip("+-")
    if len(digits.lstrip("0")) > len(str(MAX_INTEGER)):
        return None
    number = int(whole)
    return number if abs(number) <= MAX_INTEGER else None


def _parse_int(text: str) -> int | None:
    norm = unicodedata.normalize("NFKC", text).replace(",", "")
    return _exact_int(norm) if _INT_RE.fullmatch(norm) else None


def _parse_float(text: str) -> float | None:
    norm = unicodedata.normalize("NFKC", text).replace(",", "")
    try:
        value = float(norm)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_bool(text: str) -> bool | None:
    norm = unicodedata.normalize("NFKC", text).strip().lower()
    if norm in BOOL_TRUE:
        return True
    if norm in BOOL_FALSE:
        return False
    return None


def _choice(text: str, column: Column) -> str | None:
    """The code a ``choice`` cell names (NFKC, spaces ignored, English in any case)."""
    norm = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for word, code in column.choices:
        if norm == word or norm.lower() == word.lower():
            return code
    return None


def _coerce_cell(text: str, column: Column) -> tuple[Any, Any, tuple[str, str] | None]:
    """Type one non-empty cell: (value, parsed date or written unit, (message, code) when bad)."""
    kind = column.kind
    head = f"「{column.header}」"
    shown = quoted(text)
    if kind == "quantity":
        try:
            quantity = parse_quantity(text)
        except QuantityError as err:
            return None, None, (f"{head}: {err} (number expected)", "not_number")
        return quantity.value, quantity.unit, None
    if kind == "choice":
        code = _choice(text, column)
        if code is None:
            allowed = ", ".join(dict.fromkeys(word for word, _ in column.choices))
            msg = f"{head}「{shown}」は使えません (allowed: {allowed})"
            return None, None, (msg, "not_allowed")
        return code, None, None
    if kind == "int":
        number = _parse_int(text)
        if number is None:
            msg = f"{head}は整数で書いてください (integer expected)"
            if _INT_RE.fullmatch(unicodedata.normalize("NFKC", text).replace(",", "")):
                msg = f"{head}の整数が大きすぎます (integer beyond ±{MAX_INTEGER:,})"
            return None, None, (msg, "not_integer")
        return number, None, None
    if kind == "float":
        real = _parse_float(text)
        if real is None:
            return None, None, (f"{head}は数値で書いてください (number expected)", "not_number")
        return real, None, None
    if kind == "bool":
        flag = _parse_bool(text)
        if flag is None:
            return (
                None,
                None,
                (f"{head}は 1 か空欄で書いてください (allowed: 1, 0, 空欄)", "not_boolean"),
            )
        return flag, None, None
    if kind == "fiscal_year":
        try:
            return parse_fiscal_year(text), None, None
        except (JpDateError, ValueError) as err:
            msg = f"{head}の年度「{shown}」を読み取れません: {err} (e.g. 平成21年度, 2009年度)"
            return None, None, (msg, "bad_fiscal_year")
    if kind == "date":
        try:
            return text, parse_jp_date(text), None
        except (JpDateError, ValueError) as err:
            msg = f"{head}の日付「{shown}」を読み取れません: {err} (unreadable or impossible date)"
            return None, None, (msg, "bad_date")
    if kind == "precision":
        code = _PRECISION_CODES.get(text)
        if code is None:
            allowed = ", ".join(PRECISION_LABELS.values())
            msg = f"{head}「{shown}」は使えません (allowed: {allowed})"
            return None, None, (msg, "not_allowed")
        return code, None, None
    if column.allowed and text not in column.allowed:
        allowed = ", ".join(column.allowed)
        return None, None, (f"{head}「{shown}」は使えません (allowed: {allowed})", "not_allowed")
    return text, None, None


def _nominal_problem(
    raw: RawTable, index: int, header: str, text: str, date: JpDate, others: int
) -> Problem:
    """A warning for an era year past the end of its era, read in the era in force; one per
    value and column, naming how many more rows hold the same value."""
    more = f"（同じ値がほかに{others}行）" if others else ""
    msg = (
        f"「{quoted(text)}」の{date.era}{date.era_year}年は実在しません。{date.display_text}として読み、"
        f"報告書にも{date.display_text}と表示します{more} "
        f"(era year past the end of its era; read and shown as {date.display_text})"
    )
    row = raw.row_numbers[index]
    return Problem(raw.file, row, header, text, msg, "nominal_era_year", "warning")


def coerce_table(raw: RawTable) -> tuple[TypedTable, list[Problem]]:
    """Type every cell of ``raw`` by its column contract; report empty required and bad cells."""
    problems: list[Problem] = []
    columns: dict[str, list[Any]] = {}
    dates: dict[str, list[JpDate | None]] = {}
    units: dict[str, list[str | None]] = {}
    n_rows = len(raw.rows)
    for column in raw.spec.columns:
        values: list[Any] = [None] * n_rows
        parsed: list[Any] = [None] * n_rows
        if column.name in raw.headers:
            idx = raw.headers.index(column.name)
            header = raw.header_text[idx]
            nominal: dict[str, tuple[int, JpDate, list[int]]] = {}
            for i, row in enumerate(raw.rows):
                text = row[idx]
                if text is not None and column.kind == "quantity" and is_no_value(text):
                    text = None  # a dash: the figure is not known
                if text is None:
                    if column.required:
                        msg = f"「{header}」は必須です。空欄にできません (required value)"
                        problems.append(
                            Problem(
                                raw.file, raw.row_numbers[i], header, None, msg, "required_value"
                            )
                        )
                    continue
                ch = forbidden_character(text, multiline=column.kind == "text")
                if ch is not None:
                    msg = _control_problem(text, ch, f"「{header}」")
                    problems.append(
                        Problem(
                            raw.file, raw.row_numbers[i], header, text, msg, "control_character"
                        )
                    )
                    continue
                value, date, bad = _coerce_cell(text, column)
                if bad is not None:
                    problems.append(Problem(raw.file, raw.row_numbers[i], header, text, *bad))
                if isinstance(date, JpDate) and date.display_text != text:
                    # one name per date in every report: 平成32年度末 is shown as 令和2年度末
                    value = date.display_text
                    if date.nominal:
                        nominal.setdefault(text, (i, date, []))[2].append(i)
                values[i] = value
                parsed[i] = date
            for written, (first, read, rows) in nominal.items():
                problems.append(_nominal_problem(raw, first, header, written, read, len(rows) - 1))
        columns[column.name] = values
        if column.kind == "date":
            dates[column.name] = parsed
        if column.kind == "quantity":
            units[column.name] = parsed
    return TypedTable(raw, columns, dates, units), problems


# --- checks across rows and tables -----------------------------------------------------------


def check_keys(table: TypedTable) -> list[Problem]:
    """Report every row whose key repeats an earlier row's key.

    Rows with an empty required key cell are skipped (that cell is reported already).
    """
    spec = table.spec
    required = {c.name for c in spec.columns if c.required}
    seen: dict[tuple[Any, ...], int] = {}
    problems: list[Problem] = []
    for i in range(len(table)):
        key = tuple(table.columns[name][i] for name in spec.key)
        if any(v is None and n in required for v, n in zip(key, spec.key, strict=True)):
            continue
        if key in seen:
            first = table.raw.row_numbers[seen[key]]
            labels = "、".join(
                f"{spec.column(n).header} {'(空欄)' if v is None else v}"
                for n, v in zip(spec.key, key, strict=True)
            )
            msg = f"{labels} が重複しています ({first}行目と同じ) (duplicate key)"
            problems.append(table.problem(i, spec.key[-1], msg, "duplicate_key"))
        else:
            seen[key] = i
    return problems


def check_as_of_spellings(table: TypedTable) -> list[Problem]:
    """One date, one spelling, per plan: an evaluation is grouped by its 時点 as written, so
    ``R7.3.31`` beside ``令和7年3月末`` (the same day) would be a second evaluation of its own, and
    two ratings of one item on one day would both count. Every row that writes a plan's date
    differently from its first row is reported."""
    first: dict[tuple[Any, Any], tuple[str, int]] = {}
    problems: list[Problem] = []
    head = table.raw.header_of("as_of")
    for i, date in enumerate(table.dates.get("as_of", [])):
        written = table.columns["as_of"][i]
        if date is None or written is None:
            continue
        key = (table.columns["plan_id"][i], date.end)
        if key not in first:
            first[key] = (written, table.raw.row_numbers[i])
            continue
        earlier, row = first[key]
        if written != earlier:
            msg = (
                f"{head}「{written}」は {row}行目の「{earlier}」と同じ日付です。"
                "同じ時点は同じ書き方にそろえてください "
                f"(one evaluation date written in two ways; write it as {earlier})"
            )
            problems.append(table.problem(i, "as_of", msg, "as_of_spelt_twice"))
    return problems


def _key_set(table: TypedTable | None, columns: tuple[str, ...]) -> set[tuple[Any, ...]]:
    if table is None:
        return set()
    return {
        key
        for i in range(len(table))
        if None not in (key := tuple(table.columns[c][i] for c in columns))
    }


def check_references(
    tables: Mapping[str, TypedTable], unreadable: Collection[str] = ()
) -> list[Problem]:
    """Report rows that refer to a plan, item or goal that does not exist.

    A row is checked against its references in order and only its first broken reference is
    reported (a status of an unknown plan is not also reported as an unknown item).
    References to the ``unreadable`` tables (present but not readable) are not checked.
    """
    problems: list[Problem] = []
    for table in tables.values():
        refs = tuple(r for r in table.spec.references if r.table not in unreadable)
        targets = [_key_set(tables.get(r.table), r.target_columns) for r in refs]
        for i in range(len(table)):
            for ref, target in zip(refs, targets, strict=True):
                key = tuple(table.columns[c][i] for c in ref.columns)
                if None in key or key in target:
                    continue
                target_file = f"{ref.table}.csv"
                if len(key) == 1:
                    what = f"{ref.what}「{quoted(key[0])}」"
                else:
                    last = table.spec.column(ref.columns[-1]).header
                    what = f"{ref.what}(計画ID {key[0]}、{last} {key[-1]})"
                msg = f"{what}は {target_file} にありません (unknown {ref.table[:-1]})"
                problems.append(table.problem(i, ref.columns[-1], msg, ref.code))
                break
    return problems


def _plan_rows(plans: TypedTable) -> dict[str, int]:
    """plan_id -> row index of its first row."""
    rows: dict[str, int] = {}
    for i, plan_id in enumerate(plans.columns["plan_id"]):
        if plan_id is not None:
            rows.setdefault(plan_id, i)
    return rows


def check_plans(
    plans: TypedTable,
    statuses: TypedTable | None,
    config: CityConfig,
    config_known: bool = True,
) -> list[Problem]:
    """Plan periods in order, scales known, and a scale for every plan that has statuses.

    Scales are not checked when city.yaml could not be read (``config_known`` false).
    """
    problems: list[Problem] = []
    cols = plans.columns
    rated = set(statuses.columns["plan_id"]) if statuses is not None else set()
    for i, plan_id in enumerate(cols["plan_id"]):
        start, end, scale = cols["start_fy"][i], cols["end_fy"][i], cols["scale"][i]
        if start is not None and end is not None and end < start:
            msg = (
                f"終了年度 {end} が開始年度 {start} より前です (plan period ends before it starts)"
            )
            problems.append(plans.problem(i, "end_fy", msg, "period_order"))
        if not config_known:
            continue
        if scale is not None and scale not in config.scales:
            known = ", ".join(config.scales) or "なし"
            msg = f"評価尺度「{scale}」は city.yaml の scales にありません (allowed: {known})"
            problems.append(plans.problem(i, "scale", msg, "unknown_scale"))
        if scale is None and plan_id in rated:
            msg = (
                f"計画 {plan_id} には取組状況 (statuses) がありますが、評価尺度が空欄です "
                "(a plan with statuses needs a scale)"
            )
            problems.append(plans.problem(i, "scale", msg, "statuses_without_scale", value=""))
    return problems


def check_plan_ids(plans: TypedTable) -> list[Problem]:
    """Every plan ID can name a file and a link (``plan-<計画ID>.html``): letters, digits, -_."""
    problems: list[Problem] = []
    for i, plan_id in enumerate(plans.columns["plan_id"]):
        if plan_id is not None and len(plan_id) > MAX_ID_CHARS:
            msg = (
                f"計画IDが長すぎます ({len(plan_id):,} 文字、上限 {MAX_ID_CHARS} 文字)。"
                "計画IDはレポートのファイル名にも使います "
                f"(plan_id longer than {MAX_ID_CHARS} characters)"
            )
            problems.append(plans.problem(i, "plan_id", msg, "bad_identifier", plan_id[:40]))
            continue
        if plan_id is None or is_safe_name(plan_id):
            continue
        bad = next(
            (ch for ch in plan_id if not (ch.isalnum() or ch in "-_.")),
            plan_id[0],
        )
        msg = (
            f"計画ID「{plan_id}」に使えない文字「{bad}」({character_name(bad)}) があります。"
            "計画IDはレポートのファイル名やリンク (plan-<計画ID>.html) にも使うので、文字・数字と "
            "- _ . だけで書いてください (先頭に . は不可) "
            "(plan_id: letters, digits, '-', '_', '.' only)"
        )
        problems.append(plans.problem(i, "plan_id", msg, "bad_identifier"))
    problems.extend(_plan_ids_equal_ignoring_case(plans))
    return problems


def _plan_ids_equal_ignoring_case(plans: TypedTable) -> list[Problem]:
    """Plan IDs that differ only in upper and lower case (``a`` and ``A``).

    Their reports, ``plan-a.html`` and ``plan-A.html``, are one file on Windows, macOS and a
    USB stick (FAT, exFAT): copying the published folder there would keep only one of them.
    """
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, plan_id in enumerate(plans.columns["plan_id"]):
        if plan_id is None:
            continue
        key = plan_id.casefold()
        if key not in first:
            first[key] = i
            continue
        other = plans.columns["plan_id"][first[key]]
        if other == plan_id:
            continue  # the same ID twice: duplicate_key
        row = plans.raw.row_numbers[first[key]]
        msg = (
            f"計画ID「{plan_id}」は{row}行目の「{other}」と大文字・小文字しか違いません。"
            "Windows や Mac、USB メモリではレポートのファイル (plan-<計画ID>.html) が同じ名前に"
            "なり、片方が消えるので、別の計画IDにしてください "
            "(plan IDs must differ by more than upper and lower case)"
        )
        problems.append(plans.problem(i, "plan_id", msg, "plan_id_case"))
    return problems


def _codes_of_config(
    table: TypedTable,
    column: str,
    codes: Sequence[str],
    names: tuple[str, str, str],
    code: str,
) -> list[Problem]:
    """A problem for each value of *column* that is not one of city.yaml's codes; *names*:
    the column in Japanese, the city.yaml key, the value in English."""
    what, key, english = names
    problems: list[Problem] = []
    for i, value in enumerate(table.columns[column]):
        if value is not None and value not in codes:
            allowed = ", ".join(codes) or f"なし (city.yaml に {key} がありません)"
            msg = (
                f"{what}「{quoted(value)}」は city.yaml の {key} にありません "
                f"(unknown {english}; allowed: {allowed})"
            )
            problems.append(table.problem(i, column, msg, code))
    return problems


def check_items(items: TypedTable, config: CityConfig) -> list[Problem]:
    """Every item's target (取組目標) is a target level of city.yaml."""
    codes = [t.code for t in config.target_levels]
    names = ("取組目標", "target_levels", "target level")
    return _codes_of_config(items, "target", codes, names, "unknown_target")


def check_statuses(statuses: TypedTable, plans: TypedTable, config: CityConfig) -> list[Problem]:
    """Every status (取組状況) and self-rating (一次評価) is a level of its own plan's scale."""
    problems: list[Problem] = []
    for column in ("status", "self_rating"):
        problems += _check_levels(statuses, column, plans, config)
    return problems


def _check_levels(
    statuses: TypedTable, column: str, plans: TypedTable, config: CityConfig
) -> list[Problem]:
    scale_of = {plans.columns["plan_id"][i]: plans.columns["scale"][i] for i in range(len(plans))}
    all_codes = {code for scale in config.scales.values() for code in scale.codes()}
    head = statuses.raw.header_of(column)
    problems: list[Problem] = []
    for i, status in enumerate(statuses.columns[column]):
        if status is None:
            continue
        scale = config.scales.get(scale_of.get(statuses.columns["plan_id"][i]) or "")
        if scale is not None and status in scale.codes():
            continue
        if scale is None and status in all_codes:
            continue  # the plan's missing or unknown scale is reported on plans.csv
        owners = [sid for sid, other in config.scales.items() if status in other.codes()]
        if scale is None:
            allowed = ", ".join(sorted(all_codes))
            msg = (
                f"{head}「{status}」は city.yaml のどの評価尺度にもありません "
                f"(unknown status; allowed: {allowed})"
            )
            code = "unknown_status"
        elif owners:
            allowed = ", ".join(scale.codes())
            msg = (
                f"{head}「{status}」は評価尺度 {'/'.join(owners)} の段階で、この計画の評価尺度 "
                f"{scale.id} にはありません (status of another scale; allowed: {allowed})"
            )
            code = "status_not_in_scale"
        else:
            allowed = ", ".join(scale.codes())
            msg = f"{head}「{status}」は評価尺度 {scale.id} にありません (allowed: {allowed})"
            narrow = unicodedata.normalize("NFKC", status).strip()
            if narrow != status and narrow in scale.codes():
                msg += f"。全角で書かれています: 半角の「{narrow}」にしてください"
            code = "unknown_status"
        problems.append(statuses.problem(i, column, msg, code))
    return problems


def check_evaluations(
    statuses: TypedTable, plans: TypedTable | None, config: CityConfig
) -> list[Problem]:
    """The evaluation-round columns of statuses.csv: direction and reason.

    今後の方向性 must be a ``directions`` code of city.yaml. On a row with a 一次評価 (an
    evaluation collected in a round) a 評価理由 is required unless both the 一次評価 and the
    取組状況 (二次評価) are the top level (order 1) of the plan's scale.
    """
    cols = statuses.columns
    codes = [d.code for d in config.directions]
    names = ("今後の方向性", "directions", "direction")
    problems = _codes_of_config(statuses, "direction", codes, names, "unknown_direction")
    if plans is None:
        return problems
    top = {
        plans.columns["plan_id"][i]: config.scales[scale].levels[0].code
        for i, scale in enumerate(plans.columns["scale"])
        if scale in config.scales
    }
    for i, self_rating in enumerate(cols["self_rating"]):
        best = top.get(cols["plan_id"][i])
        if self_rating is None or best is None or cols["reason"][i] is not None:
            continue
        below = [r for r in (self_rating, cols["status"][i]) if r is not None and r != best]
        if below:
            msg = (
                f"評価「{below[0]}」は最上位の段階 ({best}) ではないので、評価理由を書いてください "
                "(a reason is required below the top level)"
            )
            problems.append(statuses.problem(i, "reason", msg, "reason_required", value=""))
    return problems


def check_departments(items: TypedTable, config: CityConfig) -> list[Problem]:
    """An item's 担当課 is a department of city.yaml when city.yaml lists departments."""
    names = [d.name for d in config.departments]
    if not names:
        return []
    problems: list[Problem] = []
    for i, name in enumerate(items.columns["department"]):
        if name is not None and name not in names:
            msg = (
                f"担当課「{quoted(name)}」は city.yaml の departments にありません "
                f"(unknown department; allowed: {', '.join(names)})"
            )
            problems.append(items.problem(i, "department", msg, "unknown_department"))
    return problems


def check_reported_range(reported: TypedTable) -> list[Problem]:
    """Reported rates lie between 0 and 1."""
    problems: list[Problem] = []
    for i, value in enumerate(reported.columns["value"]):
        if value is not None and not 0.0 <= value <= 1.0:
            msg = f"値 {value} は0から1の割合で書いてください (例: 9割 → 0.9) (value outside 0-1)"
            problems.append(reported.problem(i, "value", msg, "value_range"))
    return problems


def valid_periods(plans: TypedTable) -> list[tuple[str, int, int]]:
    """(plan_id, start_fy, end_fy) of every plan with a valid period, in file order."""
    cols = plans.columns
    periods = []
    for plan_id, start, end in zip(cols["plan_id"], cols["start_fy"], cols["end_fy"], strict=True):
        if plan_id is not None and start is not None and end is not None and start <= end:
            periods.append((plan_id, start, end))
    return periods


def derive_event_fields(
    date: JpDate | None,
    periods: Sequence[tuple[str, int, int]],
    given_fiscal_year: int | None = None,
) -> tuple[str, int | None, str | None]:
    """Precision code, fiscal year and plan-period id of an event written at ``date``.

    An event without a date has precision ``"unknown"``. A calendar year (平成31年) spans two
    fiscal years, so its fiscal year is the given one when it is one of those two, else
    ``None``. The plan period is the first plan (in file order) whose period contains the
    fiscal year, ``None`` if there is none.
    """
    if date is None:
        return "unknown", None, None
    if date.precision == "year":
        fiscal_year = given_fiscal_year if given_fiscal_year in date.fiscal_years else None
    else:
        fiscal_year = date.fiscal_year
    period = next(
        (
            pid
            for pid, start, end in periods
            if fiscal_year is not None and start <= fiscal_year <= end
        ),
        None,
    )
    return date.precision, fiscal_year, period


def check_events(
    events: TypedTable, plans: TypedTable | None
) -> tuple[dict[str, list[Any]], list[Problem]]:
    """Derive 精度/年度/計画期間 of every event and report given values that disagree.

    Returns the filled derived columns (English names) and the problems. Without readable
    plans (``plans`` is None) given plan periods are not checked. A given plan period that
    names no plan is reported as ``unknown_plan``.
    """
    periods = valid_periods(plans) if plans is not None else []
    plan_ids = set(plans.columns["plan_id"]) if plans is not None else set()
    bad_periods = plan_ids - {pid for pid, _, _ in periods}  # reported on plans.csv
    cols = events.columns
    names = ("precision", "fiscal_year", "period_plan_id")
    derived: dict[str, list[Any]] = {name: [] for name in names}
    problems: list[Problem] = []
    for i in range(len(events)):
        if cols["plan_id"][i] is None and cols["item_no"][i] is not None:
            msg = "項目番号を書くときは計画IDも書いてください (item number without plan id)"
            problems.append(events.problem(i, "item_no", msg, "item_without_plan"))
        if events.unreadable(i, "date_written"):
            for name in names:  # the bad date itself is already reported
                derived[name].append(None)
            continue
        written = cols["date_written"][i]
        date = events.dates["date_written"][i]
        if date is None and cols["precision"][i] == "plan_period":
            # 計画期間中: the source places the event in a plan's period without a year
            period = cols["period_plan_id"][i]
            derived["precision"].append("plan_period")
            derived["fiscal_year"].append(None)
            derived["period_plan_id"].append(period)
            if period is None:
                msg = (
                    "精度が「計画期間中」の出来事には、計画期間 (計画ID) を書いてください "
                    "(an event during a plan period needs the plan)"
                )
                problems.append(events.problem(i, "period_plan_id", msg, "required_value"))
            elif period not in plan_ids and plans is not None:
                msg = f"計画期間「{period}」の計画は plans.csv にありません (unknown plan)"
                problems.append(events.problem(i, "period_plan_id", msg, "unknown_plan"))
            if cols["fiscal_year"][i] is not None:
                msg = "精度が「計画期間中」の出来事の年度は空欄にしてください (no fiscal year)"
                problems.append(events.problem(i, "fiscal_year", msg, "derived_mismatch"))
            continue
        values = derive_event_fields(date, periods, cols["fiscal_year"][i])
        mismatched = False
        for name, value in zip(names, values, strict=True):
            derived[name].append(value)
            given = cols[name][i]
            if given is None or given == value:
                continue
            if name == "period_plan_id" and (plans is None or mismatched or given in bad_periods):
                continue  # cannot be judged, or follows from a problem reported already
            if name == "period_plan_id" and given not in plan_ids:
                msg = f"計画期間「{given}」の計画は plans.csv にありません (unknown plan)"
                problems.append(events.problem(i, name, msg, "unknown_plan"))
                continue
            mismatched = True
            if name == "precision":
                expected, shown = PRECISION_LABELS[value], PRECISION_LABELS[given]
            else:
                expected, shown = value, given
            if written is None:
                msg = "時期が空欄なので、この列も空欄にしてください (no date written)"
            elif date is not None and date.precision == "year" and name == "fiscal_year":
                first, last = date.fiscal_years
                msg = (
                    f"時期「{written}」の年度は {first} か {last} です "
                    "(a calendar year spans two fiscal years)"
                )
            else:
                wanted = "空欄" if expected is None else f"「{expected}」"
                msg = (
                    f"時期「{written}」からは{wanted}になります "
                    "(disagrees with the date as written; leave it empty to fill it in)"
                )
            problems.append(events.problem(i, name, msg, "derived_mismatch", value=shown))
    return derived, problems


@dataclass(frozen=True)
class CheckedTables:
    """Typed tables of a folder, derived columns and every problem found."""

    config: CityConfig
    tables: dict[str, TypedTable]
    derived: dict[str, dict[str, list[Any]]]
    problems: list[Problem]


def _as_of_dates(table: TypedTable) -> list[Any]:
    return [None if d is None else d.end for d in table.dates["as_of"]]


def check_tables(
    raw_tables: Mapping[str, RawTable], config: CityConfig, unreadable: Collection[str] = ()
) -> CheckedTables:
    """Type every table and run every check across them; never stops at the first problem.

    ``raw_tables`` maps table names to the tables that could be read; ``unreadable`` names
    tables whose file exists but could not be read (their problem is reported already, and
    rows referring to them are not checked). When it names city.yaml (``CONFIG_FILE``), the
    checks against its target levels, scales, directions and indicator rules are left out:
    every row would fail them.
    """
    config_known = CONFIG_FILE not in unreadable
    problems: list[Problem] = []
    tables: dict[str, TypedTable] = {}
    for spec in TABLES:
        raw = raw_tables.get(spec.name)
        if raw is None:
            continue
        typed, found = coerce_table(raw)
        tables[spec.name] = typed
        problems.extend(found)
    if "actuals" in tables:  # a 時点 gives the fiscal year, which is part of the key
        problems.extend(fill_actual_years(tables["actuals"]))
    for typed in tables.values():
        problems.extend(check_keys(typed))
        if "as_of" in typed.dates and "plan_id" in typed.columns:
            problems.extend(check_as_of_spellings(typed))
    problems.extend(check_references(tables, unreadable))
    derived: dict[str, dict[str, list[Any]]] = {}
    plans = None if "plans" in unreadable else tables.get("plans")
    if plans is not None:
        problems.extend(check_plan_ids(plans))
        problems.extend(check_plans(plans, tables.get("statuses"), config, config_known))
    if "items" in tables and config_known:
        problems.extend(check_items(tables["items"], config))
        problems.extend(check_departments(tables["items"], config))
    if "statuses" in tables:
        if plans is not None and config_known:
            problems.extend(check_statuses(tables["statuses"], plans, config))
        if config_known:  # 今後の方向性 and 評価理由 are checked against city.yaml
            problems.extend(check_evaluations(tables["statuses"], plans, config))
        derived["statuses"] = {"as_of_date": _as_of_dates(tables["statuses"])}
    if "opinions" in tables:
        derived["opinions"] = {"as_of_date": _as_of_dates(tables["opinions"])}
    if "reported" in tables:
        problems.extend(check_reported_range(tables["reported"]))
        derived["reported"] = {"as_of_date": _as_of_dates(tables["reported"])}
    if "events" in tables:
        events = tables["events"]
        filled, found = check_events(events, plans)
        problems.extend(found)
        filled["date"] = [None if d is None else d.start for d in events.dates["date_written"]]
        derived["events"] = filled
    problems.extend(check_indicators(tables, config, unreadable))
    return CheckedTables(config, tables, derived, problems)
