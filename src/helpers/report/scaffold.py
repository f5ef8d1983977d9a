"""A new city's starting point: an empty data folder and its own report set.

:func:`new_city` writes ``data/<id>/`` (a commented ``city.yaml`` and the CSV files with their
Japanese headers only, UTF-8 with BOM so Excel opens them) and ``notebooks/<id>.yaml`` (the
city's report set: one report per plan, the timeline and the index), which
``plan-report build --config notebooks/<id>.yaml`` publishes to ``reports/<id>/``. Nothing is
overwritten: an existing folder or report set, or a symbolic link in its place (even one to
nothing), is an error, and no file is written through a link. ``data/README.md`` walks through
the rest (filling the files, ``plan-report validate``, building and publishing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from helpers.data.contracts import TABLES_BY_NAME
from helpers.data.limits import forbidden_character

#: Tables a new folder starts with (the rest are optional and documented in data/README.md).
SCAFFOLD_TABLES: tuple[str, ...] = (
    "plans",
    "items",
    "statuses",
    "goals",
    "measures",
    "reported",
    "events",
    "glossary",
)
#: Files of the project folder: a report set's relative paths count from the folder holding
#: pyproject.toml (helpers.publish.reportset.project_root) and name the project's notebooks.
PROJECT_MARKERS: tuple[str, ...] = ("pyproject.toml", "notebooks/plan_report.py")
CITY_ID = re.compile(r"[a-z][a-z0-9_-]{1,39}")
RESERVED_IDS = frozenset({"reports", "data", "index", "notebooks"})


class ScaffoldError(ValueError):
    """The city id is not usable, or its folder or report set exists already."""


@dataclass(frozen=True)
class Scaffold:
    """What :func:`new_city` wrote."""

    data_dir: Path
    report_set: Path
    files: tuple[Path, ...]


CITY_YAML = """\
# {name}: 計画データの設定 (configuration of this data folder). 書き方は data/README.md。
# 「# 記入:」の行は、市の実際の値に書き換えてください。
city:
  id: {city_id}
  name: {name}

# 出典 (the document the evaluation comes from)
source:
  title: ""                 # 記入: 出典の文書名 (例: 第2期○○市DX推進計画 進捗状況報告書)
  publisher: {name}
  pages: ""                 # 記入: 出典の頁 (例: "3-12")
  # url: https://www.city.example.lg.jp/…   # 出典の URL (任意)

# 報告書の言葉と発行情報 (空欄は表示しません)
publication:
  title: {name} DX推進計画の評価  # 報告書全体の題名
  plan_kind: DX推進計画            # 記入: 計画の種類 (情報化推進計画、自治体DX推進計画 …)
  measure_kind: 取組               # 記入: 施策の呼び方 (情報化施策、DXの取組 …)
  evaluator: {name}
  publisher: {name}
  department: ""            # 記入: 担当課
  published: ""             # 記入: 公表日 (例: 令和7年6月30日)
  contact: ""               # 記入: 問い合わせ先 (電話、メールアドレス)
  licence: ""               # 記入: 利用条件 (例: CC BY 4.0)
  # licence_url: https://creativecommons.org/licenses/by/4.0/deed.ja

# 取組目標 (items.csv の「取組目標」に書ける値と、その説明)
target_levels:
  - code: 実施
    label: 実施
    description: 計画期間内に実施する   # 記入: 市の計画の定義
  - code: 検討
    label: 検討
    description: 計画期間内に検討する

# 評価尺度 (plans.csv の「評価尺度」が尺度ID を指す)。order: 1 が最良。
# class: achieved (達成) / partial (一部達成) / not_achieved (未達成)
scales:
  status3:
    name: 取組状況（3段階）
    levels:
      - {{code: 達成, order: 1, class: achieved, definition: 記入：達成の定義}}
      - {{code: 一部達成, order: 2, class: partial, definition: 記入：一部達成の定義}}
      - {{code: 未達成, order: 3, class: not_achieved, definition: 記入：未達成の定義}}

# 年表の分類 (events.csv の「種別」-> plan / golive / other / external)
event_kinds:
  計画: plan
  稼働: golive
  導入: golive
  更新: golive
  災害: external
  法令: external
"""

REPORT_SET_YAML = """\
# {name}の報告書の一覧 (report set; format: data/README.md「報告書の一覧」).
# plan-report build --config notebooks/{city_id}.yaml publishes it to reports/{city_id}/.
# Paths are relative to the repository root (the folder holding pyproject.toml).
data: data/{city_id}

reports:
  # one evaluation report per plan of plans.csv ({{plan_id}} and {{plan_name}} are filled in)
  - name: plan-{{plan_id}}
    notebook: notebooks/plan_report.py
    for_each: plan
    output: plan-{{plan_id}}
    title: "{{plan_name}} 評価報告書"
    parameters:
      plan_id: "{{plan_id}}"

  - name: timeline
    notebook: notebooks/timeline_report.py
    output: timeline
    title: 年表

  # the index lists every other report and every page links back to it: keep it last,
  # named index
  - name: index
    notebook: notebooks/index.py
    output: index
    title: 評価報告書の一覧
"""


def check_city_id(city_id: str) -> str:
    """The id as given, or :class:`ScaffoldError` saying what an id may hold."""
    if not CITY_ID.fullmatch(city_id) or city_id in RESERVED_IDS:
        raise ScaffoldError(
            f"市のID「{city_id}」は使えません: 英小文字で始まる2～40文字の英小文字・数字・-・_ "
            f"(not one of {', '.join(sorted(RESERVED_IDS))}; e.g. kakuu, nishi-city)"
        )
    return city_id


def _header_line(table: str) -> str:
    return ",".join(column.header for column in TABLES_BY_NAME[table].columns) + "\n"


YAML_INDICATORS = frozenset("-?,[]&*!|>%@`")
"""Characters a plain YAML value cannot start with (the name is written unquoted)."""


def new_city(city_id: str, name: str, root: Path) -> Scaffold:
    """Write ``data/<city_id>/`` and ``notebooks/<city_id>.yaml`` under *root* (the project)."""
    check_city_id(city_id)
    name = name.strip()
    if (
        not name
        or any(ch in name for ch in "\n\r\t:#{}\"'")
        or name[0] in YAML_INDICATORS
        or forbidden_character(name, multiline=False) is not None
    ):
        raise ScaffoldError(f"市の名前「{name}」は使えません (a plain display name, e.g. 架空市)")
    missing = [marker for marker in PROJECT_MARKERS if not (root / marker).is_file()]
    if missing:
        # the report set names the project's notebooks by paths relative to the project: a
        # city scaffolded elsewhere validates but cannot be built
        raise ScaffoldError(
            f"{root} は plan-report のプロジェクトのフォルダではありません ({', '.join(missing)} "
            "がありません)。リポジトリのフォルダ (README の make report が動く場所) で実行するか、"
            "--root でその場所を指定してください (not the project folder)"
        )
    data_dir = root / "data" / city_id
    report_set = root / "notebooks" / f"{city_id}.yaml"
    for path in (data_dir, report_set):
        if path.exists() or path.is_symlink():  # a link, even to nothing, is never written through
            raise _exists(path)
    try:
        data_dir.mkdir(parents=True)
    except FileExistsError as error:
        raise _exists(data_dir) from error
    files = []
    config = data_dir / "city.yaml"
    _create(config, CITY_YAML.format(city_id=city_id, name=name))
    files.append(config)
    for table in SCAFFOLD_TABLES:
        path = data_dir / TABLES_BY_NAME[table].file_name
        _create(path, "\ufeff" + _header_line(table))
        files.append(path)
    report_set.parent.mkdir(parents=True, exist_ok=True)
    _create(report_set, REPORT_SET_YAML.format(city_id=city_id, name=name))
    files.append(report_set)
    return Scaffold(data_dir, report_set, tuple(files))


def _exists(path: Path) -> ScaffoldError:
    return ScaffoldError(f"{path} は既にあります。上書きしません (exists; nothing written)")


def _create(path: Path, text: str) -> None:
    """Write a new file ``path``; refuse one that exists, a symbolic link (even dangling) too.

    Exclusive creation (``O_CREAT | O_EXCL``) never follows a link, so no file outside the
    project can be written through one.
    """
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError as error:
        raise _exists(path) from error
