"""The report set (`notebooks/reports.yaml`): which reports a build publishes, read in one place.

:func:`read_report_set` reads the file (paths resolved, entries as written);
:func:`expand_report_set` fills ``for_each: plan`` entries in with the plans of the data and
``for_each: item`` entries with its items (one page per item, :func:`item_rows`), and checks every
entry (notebook exists, parameters declared, output names safe and unique). The build and the index
page both use them, so they list the same reports in the same order. A plan report that declares
the parameter ``item_pages`` receives the output template of the set's item pages (to link its
items to them); an item page that declares ``plan_report`` receives its plan report's output (to
link back).

Names and outputs are restricted to safe relative paths (:func:`check_output_stem`,
:func:`check_report_name`): letters, digits, ``-``, ``_`` and ``.`` (and ``/`` between the parts
of an output), so no output can carry a URL scheme (``javascript:``), leave the reports folder or
hide as a dot file; :func:`relative_href` turns such a path into the ``href`` a page writes.
Placeholders are bare names (``{plan_id}``): no format specification, conversion, attribute or
index, so filling one in can neither run code nor allocate without bound.
"""

from __future__ import annotations

import ast
import dataclasses
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpers.data.errors import InputError
from helpers.data.limits import (
    MAX_NOTEBOOK_BYTES,
    MAX_YAML_BYTES,
    character_name,
    forbidden_character,
    is_safe_name,
    is_web_url,
)
from helpers.data.reading import (
    NotRegularFile,
    TooLarge,
    file_kind,
    load_yaml,
    read_bounded,
    yaml_error_message,
)
from helpers.publish.accessibility import STATEMENT_OUTPUT


class ConfigError(InputError):
    """The report set (or a notebook it names) cannot be built as written."""


DEFAULT_CONFIG = Path("notebooks/reports.yaml")
"""The report set the CLI builds unless told otherwise (relative to the working directory)."""


PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "plan": ("plan_id", "plan_name"),
    "item": ("plan_id", "plan_name", "item_no", "item_name"),
}
"""Placeholders each ``for_each`` value provides to name, output, title and parameters."""


INJECTED_DATA_DIR = "data_dir"


INJECTED_REPORT_SET = "report_set"
INJECTED_PDF = "pdf"
INJECTED_OUTPUT = "report_output"
"""The report's own output stem (``plan-2``), for links to its PDF and back to the index."""
INJECTED_ITEM_PAGES = "item_pages"
"""The output template of the set's item pages (``items/item-{plan_id}-{item_no}``), or ""."""
INJECTED_PLAN_REPORT = "plan_report"
"""An item page's plan report output (``plan-2``), or "" when the set has no plan reports."""
INJECTED = (
    INJECTED_DATA_DIR,
    INJECTED_REPORT_SET,
    INJECTED_PDF,
    INJECTED_OUTPUT,
    INJECTED_ITEM_PAGES,
    INJECTED_PLAN_REPORT,
)
"""Parameters the build sets in every notebook that declares them."""


RESERVED_OUTPUTS = ("data", "_failed", "manifest", "bench")
"""First parts no output may start with (the build's own files and folders), in any case."""

RESERVED_PAGES = (STATEMENT_OUTPUT,)
"""Outputs of pages the build writes itself (``accessibility.html``), in any case."""


MAX_NAME_LENGTH = 120
"""Longest report name or output stem (characters); file systems allow 255 bytes per name."""


ENTRY_KEYS = frozenset({"name", "notebook", "output", "title", "parameters", "for_each"})


@dataclass(frozen=True)
class ReportSpec:
    """One report of the set, placeholders filled in.

    ``notebook`` is absolute (``notebook_text`` its text, read once); ``output`` is the file
    stem relative to the reports folder; ``parameters`` are those papermill injects
    (``data_dir`` and, for notebooks that declare it, ``report_set`` included).
    """

    name: str
    notebook: Path
    output: str
    title: str
    parameters: dict[str, Any]
    notebook_text: str = dataclasses.field(repr=False, compare=False)
    """The notebook's text as the set was checked with it (read once, within its limit): the
    build runs this text and never reads the file again, so a file swapped in after the check
    is not read."""
    for_each: str | None = None


@dataclass(frozen=True)
class ReportSet:
    """A report set read from its YAML file."""

    config: Path
    root: Path
    data_dir: Path
    title_prefix: str
    reports: tuple[ReportSpec, ...]

    def names(self) -> list[str]:
        """Report names in build order."""
        return [r.name for r in self.reports]


def project_root(config: Path) -> Path:
    """The folder relative paths of a report set start from.

    The nearest folder at or above the config's folder that holds ``pyproject.toml`` (the
    repository root for ``notebooks/reports.yaml``), else the config's own folder.
    """
    folder = config.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return folder


def _resolve(root: Path, value: object, what: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} must be a path, got {value!r}")
    path = Path(value).expanduser()
    return (path if path.is_absolute() else root / path).resolve()


def _parts(template: str) -> list[tuple[str, str | None]]:
    """``template`` as (literal text, placeholder name or None) pairs; names must be bare.

    ``{plan_name:>2000000000}`` (a format specification), ``{plan_name!r}`` (a conversion),
    ``{plan_name.__class__}`` (an attribute) and ``{0}`` are refused: a template only places
    values.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"bad placeholder in {template[:80]!r}: {exc}") from exc
    parts: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is not None and (spec or conversion or not field.isidentifier()):
            shown = "{" + field + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise ConfigError(
                f"placeholder {shown[:60]!r} in {template[:80]!r}: write a bare name such as "
                "{plan_id} (no format specification, conversion, attribute or index)"
            )
        parts.append((literal, field))
    return parts


MAX_FILLED_LENGTH = 100_000
"""Longest text a filled-in template may give (characters): a few plan names of the longest
cell (:data:`helpers.data.limits.MAX_CELL_CHARS`) fit, a two-gigabyte title does not."""


def fill(template: str, values: Mapping[str, str], where: str) -> str:
    """``template`` with its placeholders replaced; unknown placeholders are a config error.

    ``{{`` and ``}}`` stand for literal braces; a result longer than :data:`MAX_FILLED_LENGTH`
    is refused before it is made.
    """
    parts = _parts(template)
    unknown = {f for _, f in parts if f is not None} - set(values)
    if unknown:
        known = ", ".join(f"{{{k}}}" for k in values) or "none"
        raise ConfigError(
            f"{where}: unknown placeholder {', '.join(sorted(unknown))} (available: {known})"
        )
    length = sum(len(literal) + (len(values[f]) if f else 0) for literal, f in parts)
    if length > MAX_FILLED_LENGTH:
        raise ConfigError(
            f"{where}: filled in, {template[:60]!r} would be {length:,} characters long "
            f"(limit {MAX_FILLED_LENGTH:,})"
        )
    return "".join(literal + (values[f] if f else "") for literal, f in parts)


def check_text(value: Any, where: str, *, multiline: bool = False) -> None:
    """Refuse control and bidirectional characters in report-set text (strings anywhere in
    ``value``, a list or mapping included), as the data's cells refuse them.

    ESC, BEL or NUL would reach the published page and the terminal, U+202E would reorder the
    title a reader sees (:func:`helpers.data.limits.forbidden_character`); line breaks and tabs
    are allowed only when ``multiline`` (parameters).
    """
    if isinstance(value, Mapping):
        for key, inner in value.items():
            check_text(key, where, multiline=False)
            check_text(inner, f"{where}.{key}", multiline=multiline)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            check_text(inner, f"{where}[{index}]", multiline=multiline)
    elif isinstance(value, str) and (ch := forbidden_character(value, multiline)) is not None:
        raise ConfigError(
            f"{where} の {value.index(ch) + 1} 文字目に制御文字 {character_name(ch)} があります。"
            "見えない文字なので、削除してください (control character not allowed)"
        )


def _fill_value(value: Any, values: Mapping[str, str], where: str) -> Any:
    return fill(value, values, where) if isinstance(value, str) else value


def is_safe_relative_path(path: str) -> bool:
    """Whether ``path`` is a plain relative path: safe parts joined by ``/``.

    Refuses anything a browser or a file system could read otherwise: a scheme (``:``), an
    absolute path, ``..``, a dot file, ``\\``, ``%``, ``?``, ``#``, spaces and control
    characters.
    """
    return (
        bool(path)
        and len(path) <= 2 * MAX_NAME_LENGTH
        and all(is_safe_name(part) for part in path.split("/"))
    )


def check_output_stem(stem: str, where: str) -> str:
    """Reject output stems that are not safe relative paths or collide with build files.

    An output is published as ``<stem>.html`` and linked from the index, so it must be a plain
    relative path (:func:`is_safe_relative_path`): ``javascript:alert(1)//``, ``../x``,
    ``.hidden`` or ``data/x`` are refused, and so is ``accessibility`` (the statement page the
    build writes); reserved names are compared ignoring case (``Data/x`` is the folder ``data``
    on Windows).
    """
    if (
        len(stem) > MAX_NAME_LENGTH
        or not is_safe_relative_path(stem)
        or stem.split("/")[0].casefold() in RESERVED_OUTPUTS
    ):
        raise ConfigError(
            f"{where}: output {stem[: MAX_NAME_LENGTH + 20]!r} must be a relative name inside the "
            "reports folder: letters, digits, '-', '_', '.' (and '/' between folders), at most "
            f"{MAX_NAME_LENGTH} characters, not starting with '.' nor one of "
            f"{', '.join(RESERVED_OUTPUTS)}"
        )
    if stem.casefold() in RESERVED_PAGES:
        raise ConfigError(
            f"{where}: 出力 {stem!r} は、ビルドが書くアクセシビリティ方針のページ "
            f"({STATEMENT_OUTPUT}.html) と同じ名前になるので使えません。別の名前にしてください "
            f"(output {stem!r} is reserved for the accessibility statement)"
        )
    return stem


def check_report_name(name: str, where: str) -> str:
    """Reject report names that are not one safe part (letters, digits, ``-_.``)."""
    if len(name) > MAX_NAME_LENGTH or not is_safe_name(name):
        raise ConfigError(
            f"{where}: name {name[: MAX_NAME_LENGTH + 20]!r} must be letters, digits, '-', '_' "
            f"or '.', at most {MAX_NAME_LENGTH} characters, must not contain '/' nor start "
            "with '.'"
        )
    return name


def external_href(url: str | None) -> str | None:
    """``url`` when it may be a page's external link (an http(s) address), else ``None``.

    city.yaml's ``*url`` values are checked when the data loads; this keeps any other address
    (``javascript:``, ``data:``) out of a page even if one got through.
    """
    return url if url and is_web_url(url) else None


def relative_href(path: str) -> str:
    """The ``href`` of a published file given relative to the page (``plan-2.html``).

    Raises ValueError unless ``path`` is a safe relative path; non-ASCII letters are
    percent-encoded, so the link can only ever name a file beside the page.
    """
    if not is_safe_relative_path(path):
        raise ValueError(f"not a safe relative link: {path[:80]!r}")
    return quote(path, safe="/")


def notebook_parameters(text: str, where: str) -> tuple[str, ...]:
    """Names assigned at top level of the cell tagged ``parameters`` of a py:percent notebook."""
    import jupytext

    notebook = jupytext.reads(text, fmt="py:percent")
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as exc:
                raise ConfigError(f"{where}: parameters cell does not parse: {exc}") from exc
            names: list[str] = []
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
            return tuple(names)
    raise ConfigError(f"{where}: no cell tagged 'parameters'")


def plan_rows(plans: Any) -> list[dict[str, str]]:
    """``{plan_id}`` and ``{plan_name}`` of every plan (rows of ``CityData.plans``).

    Plans come in the order of their periods (start year, then the order of plans.csv), the
    order every page lists them in.
    """
    ordered = plans.sort_values("start_fy", kind="stable") if "start_fy" in plans else plans
    return [
        {"plan_id": str(row["plan_id"]), "plan_name": str(row["name"])}
        for _, row in ordered.iterrows()
    ]


def item_rows(items: Any, plans: Any) -> list[dict[str, str]]:
    """``{plan_id}``, ``{plan_name}``, ``{item_no}`` and ``{item_name}`` of every item
    (rows of ``CityData.items``), plans in the order of :func:`plan_rows`, items by number."""
    rows = []
    for plan in plan_rows(plans):
        mine = items.loc[items["plan_id"] == plan["plan_id"]].sort_values("item_no", kind="stable")
        rows += [
            {**plan, "item_no": str(int(item["item_no"])), "item_name": str(item["name"])}
            for _, item in mine.iterrows()
        ]
    return rows


@dataclass(frozen=True)
class ReportSetFile:
    """A report set as written: paths resolved, entries not yet expanded."""

    config: Path
    root: Path
    data_dir: Path
    title_prefix: str
    entries: tuple[dict[str, Any], ...]


def _read_set_file(path: Path) -> bytes:
    """The bytes of the report set file ``path`` (symbolic links already resolved): only a
    regular file, never more than :data:`MAX_YAML_BYTES` + 1 bytes of it
    (:func:`helpers.data.reading.read_bounded`)."""
    try:
        return read_bounded(path, MAX_YAML_BYTES)
    except NotRegularFile as err:
        kind, english = file_kind(err.mode)
        raise ConfigError(
            f"報告書セット {path} は通常のファイルではなく{kind}です。"
            "YAML で書いた報告書セットのファイルを指定してください "
            f"(the report set must be a regular file, not {english})"
        ) from err
    except TooLarge as err:
        length = (
            f"longer than {MAX_YAML_BYTES:,} bytes"
            if err.size is None
            else f"{err.size:,} bytes long"
        )
        raise ConfigError(f"{path}: the report set is {length} (limit {MAX_YAML_BYTES:,})") from err


def read_report_set(config: str | Path) -> ReportSetFile:
    """Read a report set file; raise :class:`ConfigError` when it is unreadable or malformed.

    Relative paths count from :func:`project_root`.
    """
    path = Path(config).resolve()
    import yaml

    try:
        data = load_yaml(_read_set_file(path).decode("utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"cannot read report set {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 (byte {exc.start}); save the report set as UTF-8"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(
            yaml_error_message(exc, f"報告書セット {path}", "not valid YAML")
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("reports"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'reports' list")
    root = project_root(path)
    entries = data["reports"]
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path.name}: report {number}: expected a mapping")
    title_prefix = str(data.get("title_prefix") or "")
    check_text(title_prefix, f"{path.name}: title_prefix")
    return ReportSetFile(
        config=path,
        root=root,
        data_dir=_resolve(root, data.get("data"), f"{path}: data"),
        title_prefix=title_prefix,
        entries=tuple(entries),
    )


def _entry_rows(
    entry: Mapping[str, Any], rows: Mapping[str, Sequence[Mapping[str, str]]], where: str
) -> list[dict[str, str]]:
    for_each = entry.get("for_each")
    if for_each is None:
        return [{}]
    if not isinstance(for_each, str) or for_each not in PLACEHOLDERS:
        raise ConfigError(f"{where}: for_each must be 'plan' or 'item', got {for_each!r}")
    return [dict(row) for row in rows[for_each]]


def _template(entries: Sequence[Mapping[str, Any]], for_each: str) -> str:
    """The output template of the first entry of ``for_each`` (``""`` when there is none)."""
    for entry in entries:
        if entry.get("for_each") == for_each:
            return str(entry.get("output") or entry.get("name") or "")
    return ""


def _notebook_too_large(notebook: Path, where: str, size: str) -> ConfigError:
    return ConfigError(
        f"{where}: ノートブック {notebook} が大きすぎます ({size}、上限 "
        f"{MAX_NOTEBOOK_BYTES:,} バイト)。報告書のノートブックは py:percent 形式の"
        "短いテキストです。指定したファイルが正しいか確かめてください "
        f"(the notebook is larger than the limit of {MAX_NOTEBOOK_BYTES:,} bytes)"
    )


def _read_notebook_bytes(notebook: Path, where: str) -> bytes:
    """The bytes of ``notebook``: only a regular file, never more than
    :data:`MAX_NOTEBOOK_BYTES` + 1 of them (:func:`helpers.data.reading.read_bounded`)."""
    try:
        return read_bounded(notebook, MAX_NOTEBOOK_BYTES)
    except FileNotFoundError as exc:
        raise ConfigError(f"{where}: notebook {notebook} does not exist") from exc
    except NotRegularFile as err:
        kind, english = file_kind(err.mode)
        raise ConfigError(
            f"{where}: ノートブック {notebook} は通常のファイルではなく{kind}です。"
            "py:percent 形式のノートブックのファイルを指定してください "
            f"(the notebook must be a regular file, not {english})"
        ) from err
    except TooLarge as err:
        size = (
            f"{MAX_NOTEBOOK_BYTES:,} バイトより長い" if err.size is None else f"{err.size:,} バイト"
        )
        raise _notebook_too_large(notebook, where, size) from err


def _notebook_text(notebook: Path, where: str) -> str:
    """The text of a notebook the set names; :class:`ConfigError` when it is larger than
    :data:`MAX_NOTEBOOK_BYTES` or not UTF-8 text."""
    try:
        text = _read_notebook_bytes(notebook, where).decode("utf-8")
        return text.replace("\r\n", "\n").replace("\r", "\n")  # as read_text() reads it
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{where}: ノートブック {notebook} は UTF-8 のテキストではありません "
            f"({exc.start + 1} バイト目)。py:percent 形式のノートブックを UTF-8 で保存して"
            "指定してください (the notebook is not UTF-8 text)"
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"{where}: ノートブック {notebook} を読めません ({exc.strerror}) "
            "(cannot read the notebook)"
        ) from exc


def _expand_entry(
    entry: Mapping[str, Any],
    rows: list[dict[str, str]],
    root: Path,
    injected: Mapping[str, Any],
    where: str,
) -> list[ReportSpec]:
    """The reports of one entry of the set: one per row (a single row when no ``for_each``)."""
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(repr, unknown)))}")
    for key in ("name", "notebook"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{where}: '{key}' is required")
    notebook = _resolve(root, entry["notebook"], f"{where}: notebook")
    text = _notebook_text(notebook, where)
    declared = notebook_parameters(text, str(notebook))
    raw_parameters = entry.get("parameters") or {}
    if not isinstance(raw_parameters, dict):
        raise ConfigError(f"{where}: parameters must be a mapping")
    check_text(entry.get("title"), f"{where}: title")
    check_text(raw_parameters, f"{where}: parameters", multiline=True)
    for name in raw_parameters:
        if name in INJECTED:
            raise ConfigError(f"{where}: parameter {name!r} is set by the build")
        if name not in declared:
            raise ConfigError(
                f"{where}: parameter {name!r} is not declared by {notebook.name} "
                f"(declared: {', '.join(declared)})"
            )
    if INJECTED_DATA_DIR not in declared:
        raise ConfigError(f"{where}: {notebook.name} must declare the parameter 'data_dir'")
    specs = []
    for values in rows:
        name = check_report_name(fill(str(entry["name"]), values, f"{where}: name"), where)
        output = fill(str(entry.get("output") or entry["name"]), values, f"{where}: output")
        output = check_output_stem(output, where)
        parameters = {k: v for k, v in injected.items() if k in declared}
        if INJECTED_OUTPUT in declared:
            parameters[INJECTED_OUTPUT] = output
        if INJECTED_PLAN_REPORT in declared:
            template = injected.get(INJECTED_PLAN_REPORT) or ""
            parameters[INJECTED_PLAN_REPORT] = (
                check_output_stem(fill(template, values, f"{where}: plan report"), where)
                if template and "plan_id" in values
                else ""
            )
        parameters.update(
            {k: _fill_value(v, values, f"{where}: {k}") for k, v in raw_parameters.items()}
        )
        specs.append(
            ReportSpec(
                name=name,
                notebook=notebook,
                output=output,
                title=fill(str(entry.get("title") or name), values, f"{where}: title"),
                parameters=parameters,
                for_each=entry.get("for_each"),
                notebook_text=text,
            )
        )
    return specs


def _check_outputs_differ_in_more_than_case(reports: Sequence[ReportSpec], where: str) -> None:
    """Refuse two outputs, or two of their folders, equal but for upper and lower case
    (``OK-1`` and ``ok-1``, ``Items/x`` and ``items/y``).

    On Windows, macOS and a USB stick (FAT, exFAT) they are one file or folder: a copy of the
    published folder would keep one of the two pages, or break the links into one folder.
    """
    first: dict[str, str] = {}
    for report in reports:
        parts = report.output.split("/")
        for path in ("/".join(parts[: k + 1]) for k in range(len(parts))):
            other = first.setdefault(path.casefold(), path)
            if other != path:
                raise ConfigError(
                    f"{where}: 出力 {other!r} と {path!r} は大文字・小文字しか違いません。"
                    "Windows や Mac、USB メモリでは同じ名前になるので、別の名前にしてください "
                    "(two outputs differ only in upper and lower case)"
                )


def expand_report_set(
    raw: ReportSetFile,
    plans: Sequence[Mapping[str, str]],
    *,
    pdf: bool = True,
    items: Sequence[Mapping[str, str]] = (),
) -> ReportSet:
    """Expand the entries of ``raw`` (``for_each: plan`` once per row of ``plans``,
    ``for_each: item`` once per row of ``items``, see :func:`item_rows`) and check them.

    ``pdf`` says whether the build prints PDFs; a notebook that declares the parameter ``pdf``
    (the index, which links to them) receives it. Raises :class:`ConfigError` for a missing
    notebook, an undeclared parameter, an unknown placeholder, an unsafe output name, two
    reports sharing a name or an output, or two outputs equal ignoring case.
    """
    injected: dict[str, Any] = {
        INJECTED_DATA_DIR: str(raw.data_dir),
        INJECTED_REPORT_SET: str(raw.config),
        INJECTED_PDF: pdf,
        INJECTED_ITEM_PAGES: _template(raw.entries, "item"),
        INJECTED_PLAN_REPORT: _template(raw.entries, "plan"),
    }
    reports: list[ReportSpec] = []
    sources = {"plan": plans, "item": items}
    for number, entry in enumerate(raw.entries, start=1):
        where = f"{raw.config.name}: report {number}"
        rows = _entry_rows(entry, sources, where)
        reports += _expand_entry(entry, rows, raw.root, injected, where)
    for attribute in ("name", "output"):
        seen: set[str] = set()
        for report in reports:
            value = getattr(report, attribute)
            if value in seen:
                raise ConfigError(f"{raw.config.name}: two reports share the {attribute} {value!r}")
            seen.add(value)
    _check_outputs_differ_in_more_than_case(reports, raw.config.name)
    return ReportSet(
        config=raw.config,
        root=raw.root,
        data_dir=raw.data_dir,
        title_prefix=raw.title_prefix,
        reports=tuple(reports),
    )


def load_report_set(config: str | Path) -> ReportSet:
    """Read and expand a report set, loading the data's plans (``helpers.data.load_city``).

    Raises :class:`ConfigError`, or ``helpers.data.DataValidationError`` for invalid data.
    """
    from helpers.data.city import load_city

    raw = read_report_set(config)
    if not raw.data_dir.is_dir():
        raise ConfigError(f"{raw.config}: data folder {raw.data_dir} does not exist")
    city = load_city(raw.data_dir)
    return expand_report_set(raw, plan_rows(city.plans), items=item_rows(city.items, city.plans))


def select_reports(report_set: ReportSet, only: Sequence[str]) -> tuple[ReportSpec, ...]:
    """The reports whose name matches one of ``only`` (shell patterns); all when empty."""
    if not only:
        return report_set.reports
    unmatched = [p for p in only if not any(fnmatchcase(r.name, p) for r in report_set.reports)]
    if unmatched:
        raise ConfigError(
            f"no report named {', '.join(unmatched)} (reports: {', '.join(report_set.names())})"
        )
    return tuple(r for r in report_set.reports if any(fnmatchcase(r.name, p) for p in only))


def page_title(report: ReportSpec, set_title: str) -> str:
    """The HTML title (and printed running header) of a report: its own title, then the set's
    title (city.yaml's ``publication.title``, as the index heading says it)."""
    return f"{report.title} | {set_title}" if set_title else report.title


def output_paths(report: ReportSpec, pdf: bool) -> list[str]:
    """Files a report publishes, relative to the reports folder."""
    return [f"{report.output}.html"] + ([f"{report.output}.pdf"] if pdf else [])
