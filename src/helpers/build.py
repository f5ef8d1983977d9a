"""Build the report set: validate, execute, export, publish atomically, record a manifest.

One driver process reads the report set (``notebooks/reports.yaml``), checks the data, works out
which reports changed since their last good build, and runs the others. Each report executes in a
fresh kernel through the papermill API (in this process, or in ``--jobs`` worker processes forked
from it once papermill, nbconvert and the Vega bundle are loaded), is exported to HTML and printed
to PDF in the same process, and published by the driver with ``os.replace`` only when every step
succeeded. Kernels are forked from a zygote that imported the notebooks' modules once (see
:func:`kernel_zygote`); each report still gets a new kernel process of its own. A failed report
leaves its previous outputs untouched and its executed notebook in ``reports/_failed/``. A lock
on ``reports/.build.lock`` keeps two builds apart.

Exit codes (:class:`ExitCode`): 0 every report built or unchanged; 1 a report (or the open data)
failed; 2 invalid data or report set; 3 another build holds the lock; 130 interrupted.
"""

from __future__ import annotations

import ast
import contextlib
import enum
import fcntl
import importlib
import itertools
import json
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import helpers
from helpers import manifest as mf

# --- exit codes and errors -------------------------------------------------------------------


class ExitCode(enum.IntEnum):
    """Exit status of ``plan-report build`` (documented for cron and systemd)."""

    OK = 0
    REPORT_FAILED = 1
    INVALID = 2
    LOCKED = 3
    INTERRUPTED = 130


class ConfigError(ValueError):
    """The report set (or a notebook it names) cannot be built as written."""


class LockHeldError(RuntimeError):
    """Another build holds the lock on the reports folder."""


# --- events (progress is drawn by the CLI) -----------------------------------------------------

EventKind = Literal[
    "info", "warning", "problems", "plan", "start", "built", "skipped", "failed", "done"
]


@dataclass(frozen=True)
class Event:
    """Something the build tells its user.

    ``plan`` announces how many reports will run (``count``) and how many are selected in all
    (``total``); ``start``/``built``/``skipped``/``failed`` concern report ``name``; ``problems``
    carries the validator's table; ``done`` ends the build with the exit code in ``count``.
    """

    kind: EventKind
    message: str
    name: str | None = None
    count: int = 0
    total: int = 0


Reporter = Callable[[Event], None]


def _silent(event: Event) -> None:
    """A reporter that drops every event."""


# --- the report set --------------------------------------------------------------------------

DEFAULT_CONFIG = Path("notebooks/reports.yaml")
"""The report set the CLI builds unless told otherwise (relative to the working directory)."""

DEFAULT_TIMEOUT = 300.0
"""Seconds a single cell may run before the report fails."""

PLACEHOLDERS: dict[str, tuple[str, ...]] = {"plan": ("plan_id", "plan_name")}
"""Placeholders each ``for_each`` value provides to name, output, title and parameters."""

INJECTED_DATA_DIR = "data_dir"
INJECTED_REPORT_SET = "report_set"
RESERVED_OUTPUTS = ("data", "_failed", "manifest", "bench")
ENTRY_KEYS = frozenset({"name", "notebook", "output", "title", "parameters", "for_each"})


@dataclass(frozen=True)
class ReportSpec:
    """One report of the set, placeholders filled in.

    ``notebook`` is absolute; ``output`` is the file stem relative to the reports folder;
    ``parameters`` are those papermill injects (``data_dir`` and, for notebooks that declare it,
    ``report_set`` included).
    """

    name: str
    notebook: Path
    output: str
    title: str
    parameters: dict[str, Any]


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


def _fields(template: str) -> set[str]:
    """Names of the ``{placeholders}`` in ``template``."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"bad placeholder in {template!r}: {exc}") from exc


def fill(template: str, values: Mapping[str, str], where: str) -> str:
    """``template`` with its placeholders replaced; unknown placeholders are a config error."""
    unknown = _fields(template) - set(values)
    if unknown:
        known = ", ".join(f"{{{k}}}" for k in values) or "none"
        raise ConfigError(
            f"{where}: unknown placeholder {', '.join(sorted(unknown))} (available: {known})"
        )
    return template.format_map(dict(values))


def _fill_value(value: Any, values: Mapping[str, str], where: str) -> Any:
    return fill(value, values, where) if isinstance(value, str) else value


def check_output_stem(stem: str, where: str) -> str:
    """Reject output stems that would escape the reports folder or collide with build files."""
    path = PurePosixPath(stem)
    if (
        not stem
        or path.is_absolute()
        or ".." in path.parts
        or "\\" in stem
        or path.parts[0] in RESERVED_OUTPUTS
        or any(part.startswith(".") for part in path.parts)
    ):
        raise ConfigError(
            f"{where}: output {stem!r} must be a relative name inside the reports folder, "
            f"not starting with '.' nor one of {', '.join(RESERVED_OUTPUTS)}"
        )
    return path.as_posix()


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
    """``{plan_id}`` and ``{plan_name}`` of every plan (rows of ``CityData.plans``), in order."""
    return [
        {"plan_id": str(row["plan_id"]), "plan_name": str(row["name"])}
        for _, row in plans.iterrows()
    ]


@dataclass(frozen=True)
class ReportSetFile:
    """A report set as written: paths resolved, entries not yet expanded."""

    config: Path
    root: Path
    data_dir: Path
    title_prefix: str
    entries: tuple[dict[str, Any], ...]


def read_report_set(config: str | Path) -> ReportSetFile:
    """Read a report set file; raise :class:`ConfigError` when it is unreadable or malformed.

    Relative paths count from :func:`project_root`.
    """
    path = Path(config).resolve()
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read report set {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("reports"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'reports' list")
    root = project_root(path)
    entries = data["reports"]
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path.name}: report {number}: expected a mapping")
    return ReportSetFile(
        config=path,
        root=root,
        data_dir=_resolve(root, data.get("data"), f"{path}: data"),
        title_prefix=str(data.get("title_prefix") or ""),
        entries=tuple(entries),
    )


def _entry_rows(
    entry: Mapping[str, Any], plans: Sequence[Mapping[str, str]], where: str
) -> list[dict[str, str]]:
    for_each = entry.get("for_each")
    if for_each is None:
        return [{}]
    if for_each not in PLACEHOLDERS:
        raise ConfigError(f"{where}: for_each must be 'plan', got {for_each!r}")
    return [dict(row) for row in plans]


def _expand_entry(
    entry: Mapping[str, Any],
    rows: list[dict[str, str]],
    root: Path,
    injected: Mapping[str, str],
    where: str,
) -> list[ReportSpec]:
    """The reports of one entry of the set: one per row (a single row when no ``for_each``)."""
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("name", "notebook"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{where}: '{key}' is required")
    notebook = _resolve(root, entry["notebook"], f"{where}: notebook")
    if not notebook.is_file():
        raise ConfigError(f"{where}: notebook {notebook} does not exist")
    declared = notebook_parameters(notebook.read_text(encoding="utf-8"), str(notebook))
    raw_parameters = entry.get("parameters") or {}
    if not isinstance(raw_parameters, dict):
        raise ConfigError(f"{where}: parameters must be a mapping")
    for name in raw_parameters:
        if name in injected:
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
        name = fill(str(entry["name"]), values, f"{where}: name")
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ConfigError(f"{where}: name {name!r} must not contain '/' nor start with '.'")
        output = fill(str(entry.get("output") or entry["name"]), values, f"{where}: output")
        parameters = {k: v for k, v in injected.items() if k in declared}
        parameters.update(
            {k: _fill_value(v, values, f"{where}: {k}") for k, v in raw_parameters.items()}
        )
        specs.append(
            ReportSpec(
                name=name,
                notebook=notebook,
                output=check_output_stem(output, where),
                title=fill(str(entry.get("title") or name), values, f"{where}: title"),
                parameters=parameters,
            )
        )
    return specs


def expand_report_set(raw: ReportSetFile, plans: Sequence[Mapping[str, str]]) -> ReportSet:
    """Expand the entries of ``raw`` (``for_each: plan`` once per row of ``plans``) and check them.

    Raises :class:`ConfigError` for a missing notebook, an undeclared parameter, an unknown
    placeholder, an unsafe output name, or two reports sharing a name or an output.
    """
    injected = {INJECTED_DATA_DIR: str(raw.data_dir), INJECTED_REPORT_SET: str(raw.config)}
    reports: list[ReportSpec] = []
    for number, entry in enumerate(raw.entries, start=1):
        where = f"{raw.config.name}: report {number}"
        rows = _entry_rows(entry, plans, where)
        reports += _expand_entry(entry, rows, raw.root, injected, where)
    for attribute in ("name", "output"):
        seen: set[str] = set()
        for report in reports:
            value = getattr(report, attribute)
            if value in seen:
                raise ConfigError(f"{raw.config.name}: two reports share the {attribute} {value!r}")
            seen.add(value)
    return ReportSet(
        config=raw.config,
        root=raw.root,
        data_dir=raw.data_dir,
        title_prefix=raw.title_prefix,
        reports=tuple(reports),
    )


def load_report_set(config: str | Path) -> ReportSet:
    """Read and expand a report set, loading the data's plans (``helpers.io.load_city``).

    Raises :class:`ConfigError`, or ``helpers.io.DataValidationError`` for invalid data.
    """
    from helpers.io import load_city

    raw = read_report_set(config)
    if not raw.data_dir.is_dir():
        raise ConfigError(f"{raw.config}: data folder {raw.data_dir} does not exist")
    return expand_report_set(raw, plan_rows(load_city(raw.data_dir).plans))


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


def page_title(report: ReportSpec, title_prefix: str) -> str:
    """The HTML title of a report: its own title, then the set's prefix."""
    return f"{report.title} | {title_prefix}" if title_prefix else report.title


def output_paths(report: ReportSpec, pdf: bool) -> list[str]:
    """Files a report publishes, relative to the reports folder."""
    return [f"{report.output}.html"] + ([f"{report.output}.pdf"] if pdf else [])


# --- inputs -----------------------------------------------------------------------------------


def package_dir() -> Path:
    """Folder of the installed ``helpers`` package (its modules, templates and assets)."""
    return Path(helpers.__file__).resolve().parent


@dataclass(frozen=True)
class SharedInputs:
    """Digests every report depends on, computed once per build."""

    data: str
    package: str
    versions: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form for hashing."""
        return {"data": self.data, "package": self.package, "versions": self.versions}


def shared_inputs(data_dir: Path) -> SharedInputs:
    """Digest of the data folder and the package source, and the versions that shape output."""
    versions = {"plan-report": helpers.__version__, **mf.library_versions()}
    return SharedInputs(
        data=mf.tree_digest(data_dir), package=mf.tree_digest(package_dir()), versions=versions
    )


def report_hash(
    report: ReportSpec, notebook_text: str, shared: SharedInputs, config: Path, title: str
) -> str:
    """Hash of everything that determines a report's outputs (``title``: the page title).

    A notebook that receives the report set itself (the index) also depends on its bytes.
    """
    parts: dict[str, Any] = {
        "shared": shared.as_dict(),
        "notebook": notebook_text,
        "parameters": report.parameters,
        "title": title,
        "output": report.output,
    }
    if INJECTED_REPORT_SET in report.parameters:
        parts["report_set"] = mf.file_sha256(config)
    return mf.input_hash(parts)


# --- lock and staging -------------------------------------------------------------------------

LOCK_FILE = ".build.lock"
STAGING_DIR = ".staging"
FAILED_DIR = "_failed"
OPEN_DATA_DIR = "data"
OPEN_DATA_NAME = "open data"


@contextlib.contextmanager
def build_lock(reports_dir: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``reports_dir/.build.lock``.

    Raises :class:`LockHeldError` naming the holder's process id when another build has it.
    The kernel drops the lock when the holder dies, however it dies.
    """
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 64, 0).decode("ascii", "replace").strip()
            raise LockHeldError(
                f"another build (pid {holder or 'unknown'}) holds {path}; "
                "wait for it to finish or stop it"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)


def fresh_staging(reports_dir: Path) -> Path:
    """An empty staging folder inside ``reports_dir`` (left-overs of killed builds removed)."""
    base = reports_dir / STAGING_DIR
    shutil.rmtree(base, ignore_errors=True)
    staging = base / f"run-{os.getpid()}"
    staging.mkdir(parents=True)
    return staging


# --- kernels ----------------------------------------------------------------------------------

KERNEL_ENV: dict[str, str] = {
    # Reuse (and write) bytecode caches: a kernel that cannot compiles every module it imports.
    "PYTHONDONTWRITEBYTECODE": "",
    # Byte-identical reports: no hash randomisation of str sets and dicts in kernels.
    "PYTHONHASHSEED": "0",
    # Reports hold small tables: no BLAS/OpenMP thread pools competing with the other worker.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # Quieter, cheaper start-up of Jupyter components.
    "JUPYTER_PLATFORM_DIRS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
"""Environment every report kernel gets on top of the driver's."""


def kernel_env(ipython_dir: Path) -> dict[str, str]:
    """Kernel environment: :data:`KERNEL_ENV` plus a private, empty IPython profile folder.

    The private profile keeps user start-up scripts and history out of report builds.
    """
    return {**KERNEL_ENV, "IPYTHONDIR": str(ipython_dir)}


KERNEL_BLOCKED_MODULES: tuple[str, ...] = ("debugpy", "rfc3987_syntax")
"""Modules report kernels never need but would import at start-up.

``debugpy`` (~0.15 s: ipykernel's debugger, useless in a batch build) and ``rfc3987_syntax``
(~1 s where jupyterlab's ``jsonschema[format-nongpl]`` installs it: it builds Lark parsers on
import; altair's validation does not need IRI format checks).
"""


KERNEL_LAUNCH = (
    "import sys; "
    f"sys.modules.update(dict.fromkeys({KERNEL_BLOCKED_MODULES!r})); "
    "sys.path[:1] = [] if sys.path and sys.path[0] == '' else sys.path[:1]; "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)
"""What ``ipykernel_launcher`` does (drop the working folder from ``sys.path``, launch the
kernel app), after marking :data:`KERNEL_BLOCKED_MODULES` as absent."""

KERNEL_STUB = r"""
import ctypes, json, os, signal, socket, sys
zygote, plain = sys.argv[1], sys.argv[3:]
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
except Exception:
    pass
try:
    link = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    link.connect(zygote)
    body = json.dumps(
        dict(args=plain[plain.index("-f"):], cwd=os.getcwd(), env=dict(os.environ))
    ).encode()
    socket.send_fds(link, [len(body).to_bytes(8, "big") + body], [0, 1, 2])
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = link.recv(64)
        if not chunk:
            raise ValueError("no reply")
        reply += chunk
    child = int(reply)
except (OSError, ValueError):
    os.execv(plain[0], plain)

def forward(signum, frame):
    try:
        os.kill(child, signum)
    except OSError:
        pass

for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
    signal.signal(getattr(signal, name), forward)
while link.recv(4096):
    pass
"""
"""The process jupyter_client starts when kernels are preloaded (stdlib only, ~20 ms).

It asks the zygote (:func:`kernel_zygote`) to fork a kernel with its own arguments, working
folder, environment and standard streams, forwards every signal jupyter_client sends (interrupt,
terminate) to that kernel, and exits when the kernel exits; when killed, its kernel notices the
closed link and exits too. Without a zygote it becomes an ordinary kernel (``execv``).
"""


def kernel_argv(python: str, zygote: str | None = None) -> list[str]:
    """Command of a report kernel: :data:`KERNEL_LAUNCH` run by ``python``.

    With a ``zygote`` socket the command is :data:`KERNEL_STUB`, which gets the kernel forked
    from the preloaded zygote and falls back to the plain command. The kernel's own log (e.g.
    the interrupt jupyter_client sends before every shutdown) stays out of the build log; cell
    output and errors reach the notebook as usual.
    """
    plain = [python, "-c", KERNEL_LAUNCH, "-f", "{connection_file}"]
    plain.append("--IPKernelApp.log_level=CRITICAL")
    if zygote is None:
        return plain
    return [python, "-I", "-S", "-c", KERNEL_STUB, zygote, "--", *plain]


# --- preloaded kernels: a zygote that forks them -----------------------------------------------

ZYGOTE_SOCKET = "zygote"
ALWAYS_PRELOADED: tuple[str, ...] = ("ipykernel.kernelapp", "ipykernel.ipkernel")


def notebook_imports(text: str) -> list[str]:
    """Modules a py:percent notebook imports in its code cells (top-level statements, sorted).

    ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule); relative imports and
    cells that do not parse (magics) are left out.
    """
    names: set[str] = set()
    for cell in _parse_notebook(text).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return sorted(names)


def _thread_count() -> int:
    """Threads of this process, native ones included (BLAS pools are invisible to threading)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _reap_children() -> None:
    """Collect every exited child of the zygote (no zombies)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _read_request(link: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A stub's request: 8-byte length, JSON (args, cwd, env), and its three standard fds."""
    data, fds, _, _ = socket.recv_fds(link, 1 << 16, 3)
    if len(data) < 8:
        raise ValueError("short request")
    size = int.from_bytes(data[:8], "big")
    while len(data) < 8 + size:
        chunk = link.recv(1 << 16)
        if not chunk:
            raise ValueError("truncated request")
        data += chunk
    return json.loads(data[8 : 8 + size]), list(fds)


def _exit_when_closed(link: socket.socket) -> None:
    """In a forked kernel: exit as soon as the stub that asked for it is gone."""
    with contextlib.suppress(OSError):
        while link.recv(4096):
            pass
    os._exit(1)


def _run_forked_kernel(link: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the stub's kernel (its streams, folder and environment)."""
    code = 1
    try:
        os.setsid()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import random

        random.seed()
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:
            numpy_random.seed()
        threading.Thread(target=_exit_when_closed, args=(link,), daemon=True).start()
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = ["ipykernel", *request["args"]]
        IPKernelApp.launch_instance(argv=list(request["args"]))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def kernel_zygote(argv: Sequence[str] | None = None) -> None:
    """The zygote: import what report kernels need once, then fork a kernel per request.

    ``argv``: the socket path, then the modules to preload. Forked kernels start with those
    modules imported and nothing else: no report code ever runs in the zygote, so reports share
    no state. The zygote refuses to serve (stubs then start ordinary kernels) when a preloaded
    module started a thread, which would make forking unsafe. It dies with the build.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    path, modules = args[0], args[1:]
    _die_with_parent(signal.SIGKILL)
    sys.modules.update(dict.fromkeys(KERNEL_BLOCKED_MODULES))
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    for name in (*ALWAYS_PRELOADED, *modules):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    threads = _thread_count()
    if threads > 1:
        print(f"plan-report: kernel zygote disabled ({threads} threads after preloading)")
        return
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    listener.listen(64)
    os.rename(path + ".new", path)  # the socket appears only once it accepts
    listener.settimeout(1.0)
    while True:
        _reap_children()
        try:
            link, _ = listener.accept()
        except TimeoutError:
            continue
        link.settimeout(None)
        try:
            request, fds = _read_request(link)
        except (OSError, ValueError):
            link.close()
            continue
        child = os.fork()
        if child == 0:
            listener.close()
            _run_forked_kernel(link, request, fds)
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            link.sendall(f"{child}\n".encode())
        link.close()


@contextlib.contextmanager
def zygote_process(
    socket_dir: Path, modules: Sequence[str], env: Mapping[str, str]
) -> Iterator[Callable[[], str | None]]:
    """Run a kernel zygote for the duration of the block.

    It starts in the background (the driver warms up meanwhile); the block gets a function that
    waits (at most 60 s) for the zygote's socket, which appears once the modules are imported,
    and returns its path (None if the zygote failed: kernels then start the ordinary way).
    """
    path = socket_dir / ZYGOTE_SOCKET
    command = [sys.executable, "-c", "from helpers.build import kernel_zygote; kernel_zygote()"]
    process = subprocess.Popen(
        [*command, str(path), *modules],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield lambda: _wait_for_socket(path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_socket(path: Path, process: subprocess.Popen[bytes]) -> str | None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(0.02)
    return str(path)


ENGINE_NAME = "plan_report"


@cache
def _kernel_manager_class(
    argv: tuple[str, ...], env: tuple[tuple[str, str], ...], socket_dir: str
) -> type:
    """A kernel manager with a fixed kernel spec (``argv`` with ``env``) and IPC sockets.

    Fixing the spec means the kernel is always this interpreter, whatever kernelspecs the
    machine (or the user's home) has installed. The connection file and the Unix sockets live
    in ``socket_dir`` (short, private to the build) instead of the user's Jupyter runtime folder,
    which a service account may not have.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    spec = KernelSpec(
        argv=list(argv),
        env=dict(env),
        display_name="plan-report",
        language="python",
        metadata={},
    )
    numbers = itertools.count(1)

    class ReportKernelSpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
            return spec

    class ReportKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _report_kernel_spec_manager(self) -> KernelSpecManager:
            return ReportKernelSpecManager()

        @default("transport")
        def _report_transport(self) -> str:
            return "ipc"

        @default("connection_file")
        def _report_connection_file(self) -> str:
            return f"{self._report_stem()}.json"

        @default("ip")
        def _report_ip(self) -> str:
            return self._report_stem()

        def _report_stem(self) -> str:
            if not hasattr(self, "report_stem"):
                self.report_stem = f"{socket_dir}/k{os.getpid()}-{next(numbers)}"
            return str(self.report_stem)

    return ReportKernelManager


@cache
def _register_engine() -> None:
    """Register a papermill engine that hands the running notebook to the caller.

    With it a failed run (timeout, dead kernel) still yields the notebook as far as it got.
    """
    from papermill.engines import NBClientEngine, papermill_engines

    class ReportEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
            kwargs.pop("notebook_holder").append(nb_man.nb)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, ReportEngine)


def warm_up() -> None:
    """Import papermill, nbconvert and the exporter, and make the Vega bundle, once per driver.

    Worker processes fork from the driver after this, so none of them pays it again.
    """
    import jupytext  # noqa: F401
    import nbformat
    import papermill  # noqa: F401

    from helpers import export

    _register_engine()
    export.vega_bundle()
    export.export_html(nbformat.v4.new_notebook(), title="warm-up")  # compiles the template


# --- one report: execute and export (runs in a worker) ---------------------------------------


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to execute and export one report."""

    name: str
    notebook_text: str
    parameters: dict[str, Any]
    title: str
    html_path: str
    failed_path: str
    cwd: str
    timeout: float | None
    env: tuple[tuple[str, str], ...]
    socket_dir: str
    zygote: str | None = None
    pdf_path: str | None = None


@dataclass(frozen=True)
class CellFailure:
    """Where and why a report failed."""

    error: str
    cell_index: int | None = None
    execution_count: int | None = None
    first_line: str | None = None

    def describe(self) -> str:
        """One line: the cell (index, execution count, first source line) and the error."""
        if self.cell_index is None:
            return self.error
        count = "" if self.execution_count is None else f" (In [{self.execution_count}])"
        line = f" `{self.first_line}`" if self.first_line else ""
        return f"cell {self.cell_index}{count}{line}: {self.error}"


@dataclass(frozen=True)
class TaskResult:
    """Outcome of executing and exporting one report in a worker."""

    name: str
    ok: bool
    timings: dict[str, float] = field(default_factory=dict)
    failure: CellFailure | None = None
    failed_notebook: str | None = None


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def _first_message_line(text: str) -> str:
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


def describe_failure(exc: BaseException, notebook: Any | None) -> CellFailure:
    """The failing cell and error of a papermill run that raised ``exc``.

    ``PapermillExecutionError`` names the cell; for other errors (cell timeout, dead kernel) the
    culprit is the last cell papermill started in ``notebook``.
    """
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return CellFailure(
            error=f"{exc.ename}: {_first_message_line(exc.evalue)}",
            cell_index=exc.cell_index,
            execution_count=exc.exec_count,
            first_line=_first_line(exc.source),
        )
    error = f"{type(exc).__name__}: {_first_message_line(str(exc))}"
    cells = list(getattr(notebook, "cells", None) or [])
    started = [
        index
        for index, cell in enumerate(cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if started:
        cell = cells[started[-1]]
        return CellFailure(
            error=error,
            cell_index=started[-1],
            execution_count=cell.get("execution_count"),
            first_line=_first_line(cell.get("source", "")),
        )
    return CellFailure(error=error)


@cache
def _parse_notebook(text: str) -> Any:
    import jupytext

    return jupytext.reads(text, fmt="py:percent")


def run_task(task: Task) -> TaskResult:
    """Execute the report's notebook in a fresh kernel and export it to ``task.html_path``.

    On failure the executed notebook (as far as it ran) is written to ``task.failed_path`` and
    nothing is written to ``task.html_path``.
    """
    import nbformat
    import papermill

    from helpers import export

    _register_engine()
    # Failures are reported once, by the build, with the cell and the error.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    holder: list[Any] = []
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        executed = papermill.execute_notebook(
            _parse_notebook(task.notebook_text),
            None,
            parameters=task.parameters,
            engine_name=ENGINE_NAME,
            kernel_name="python3",
            language="python",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=task.timeout,
            cwd=task.cwd,
            kernel_manager_class=_kernel_manager_class(
                tuple(kernel_argv(sys.executable, task.zygote)), task.env, task.socket_dir
            ),
            notebook_holder=holder,
            shutdown_kernel="immediate",  # kill, not the ~0.4 s polite shutdown
        )
    except Exception as exc:
        timings["execute"] = round(time.perf_counter() - started, 3)
        notebook = holder[0] if holder else None
        if notebook is not None:
            Path(task.failed_path).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, task.failed_path)
        return TaskResult(
            name=task.name,
            ok=False,
            timings=timings,
            failure=describe_failure(exc, notebook),
            failed_notebook=task.failed_path if notebook is not None else None,
        )
    timings["execute"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    try:
        html = export.export_html(executed, title=task.title)
        Path(task.html_path).parent.mkdir(parents=True, exist_ok=True)
        Path(task.html_path).write_text(html, encoding="utf-8")
    except Exception as exc:
        timings["export"] = round(time.perf_counter() - started, 3)
        failure = CellFailure(error=f"HTML export failed: {type(exc).__name__}: {exc}")
        return TaskResult(name=task.name, ok=False, timings=timings, failure=failure)
    timings["export"] = round(time.perf_counter() - started, 3)
    if task.pdf_path is None:
        return TaskResult(name=task.name, ok=True, timings=timings)
    started = time.perf_counter()
    try:
        PDF_PRINTER.print(Path(task.html_path), Path(task.pdf_path))
    except Exception as exc:
        timings["pdf"] = round(time.perf_counter() - started, 3)
        failure = CellFailure(error=f"PDF printing failed: {type(exc).__name__}: {exc}")
        return TaskResult(name=task.name, ok=False, timings=timings, failure=failure)
    timings["pdf"] = round(time.perf_counter() - started, 3)
    return TaskResult(name=task.name, ok=True, timings=timings)


class ProcessPdfPrinter:
    """The PDF printer of this process: one headless Chromium, started at the first PDF.

    Each worker process prints the reports it executed, so PDFs print in parallel and overlap
    with the other workers' kernels; :meth:`close` stops the browser.
    """

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._printer: Any = None

    def print(self, html_path: Path, pdf_path: Path) -> None:
        """Print ``html_path`` to ``pdf_path`` (see ``helpers.export.PdfPrinter``)."""
        if self._printer is None:
            from helpers import export

            self._printer = self._stack.enter_context(export.PdfPrinter())
        self._printer.print(html_path, pdf_path)

    def close(self) -> None:
        """Stop the browser, if one was started."""
        self._printer = None
        with contextlib.suppress(Exception):
            self._stack.close()


PDF_PRINTER = ProcessPdfPrinter()


# --- workers ----------------------------------------------------------------------------------


def _die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signum)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _worker_main(tasks: Any, results: Any) -> None:
    """Worker loop: run tasks until the ``None`` sentinel; report start and result of each."""
    _die_with_parent()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while (task := tasks.get()) is not None:
                results.put(("start", task.name, os.getpid()))
                results.put(("done", run_task(task), os.getpid()))
    finally:
        PDF_PRINTER.close()


class TaskRunner:
    """Runs tasks in this process (``jobs == 1``) or in forked worker processes.

    ``with TaskRunner(tasks, jobs) as runner: for kind, payload in runner.events(): ...``
    yields ``("start", name)`` and ``("done", TaskResult)`` as they happen. Workers are forked
    on entering the block, before the driver starts any thread (queue feeders), and inherit
    everything :func:`warm_up` loaded; a worker that dies fails the report it was running;
    leaving the block stops them (and this process's PDF browser).
    """

    def __init__(self, tasks: Sequence[Task], jobs: int) -> None:
        self.tasks = list(tasks)
        self.jobs = max(1, min(jobs, len(self.tasks)))
        self.workers: list[Any] = []
        self.task_queue: Any = None
        self.result_queue: Any = None

    def __enter__(self) -> TaskRunner:
        if self.jobs > 1:
            context = multiprocessing.get_context("fork")
            self.task_queue = context.Queue()
            self.result_queue = context.Queue()
            self.workers = [
                context.Process(
                    target=_worker_main, args=(self.task_queue, self.result_queue), daemon=True
                )
                for _ in range(self.jobs)
            ]
            for worker in self.workers:
                worker.start()
            for task in self.tasks:
                self.task_queue.put(task)
            for _ in self.workers:
                self.task_queue.put(None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        PDF_PRINTER.close()
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()
        for worker in self.workers:
            worker.join(timeout=10)

    def events(self) -> Iterator[tuple[str, Any]]:
        """Start and result of every task, in the order they happen."""
        if not self.workers:
            for task in self.tasks:
                yield ("start", task.name)
                yield ("done", run_task(task))
            return
        running: dict[int, str] = {}
        remaining = {t.name for t in self.tasks}
        while remaining:
            try:
                kind, payload, pid = self.result_queue.get(timeout=0.5)
            except queue.Empty:
                yield from _reap_dead_workers(self.workers, running, remaining)
                if remaining and not any(w.is_alive() for w in self.workers):
                    for name in sorted(remaining):
                        yield ("done", TaskResult(name, False, failure=_lost()))
                    return
                continue
            if kind == "start":
                running[pid] = payload
                yield ("start", payload)
            else:
                running.pop(pid, None)
                remaining.discard(payload.name)
                yield ("done", payload)


def _lost() -> CellFailure:
    return CellFailure(error="no worker process left to run this report")


def _reap_dead_workers(
    workers: Sequence[Any], running: dict[int, str], remaining: set[str]
) -> Iterator[tuple[str, Any]]:
    """Fail the report of every worker that died while running it."""
    for worker in workers:
        name = running.get(worker.pid)
        if name is not None and not worker.is_alive():
            del running[worker.pid]
            remaining.discard(name)
            failure = CellFailure(error=f"worker process died (exit code {worker.exitcode})")
            yield ("done", TaskResult(name, False, failure=failure))


# --- publishing -------------------------------------------------------------------------------


def publish(staged: Mapping[Path, Path]) -> None:
    """Move each staged file over its destination with ``os.replace`` (PDF before HTML).

    Files get the usual permissions first (temporary files are created private), so a web
    server can serve what is published.
    """
    mode = mf.default_file_mode()
    for source, target in sorted(staged.items(), key=lambda item: item[1].suffix != ".pdf"):
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(source, mode)
        os.replace(source, target)


def _output_record(reports_dir: Path, relative: str) -> mf.OutputFile:
    return mf.OutputFile(path=relative, sha256=mf.file_sha256(reports_dir / relative))


# --- the build --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildOptions:
    """What ``plan-report build`` was asked to do."""

    config: Path = DEFAULT_CONFIG
    reports_dir: Path | None = None
    only: tuple[str, ...] = ()
    jobs: int = 1
    force: bool = False
    pdf: bool = True
    timeout: float | None = DEFAULT_TIMEOUT
    preload: bool = True


def default_reports_dir(root: Path) -> Path:
    """``reports/`` under a report set's project root."""
    return root / "reports"


def inspect_data(data_dir: Path, report: Reporter) -> Any | None:
    """Load and check the data folder, telling ``report`` every problem.

    Returns the ``CityData``, or ``None`` when the data has errors.
    """
    from helpers.io import inspect_folder
    from helpers.validate import format_problems, summary

    inspection = inspect_folder(data_dir)
    problems = inspection.problems
    if problems:
        kind: EventKind = "warning" if inspection.city is not None else "problems"
        report(Event(kind, format_problems(problems) + "\n" + summary(data_dir, problems)))
    return inspection.city


@dataclass
class _Run:
    """Mutable state of one build run (driver side)."""

    report_set: ReportSet
    city: Any
    options: BuildOptions
    reports_dir: Path
    staging: Path
    socket_dir: Path
    previous: mf.Manifest | None
    records: dict[str, mf.ReportRecord] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    open_data: tuple[mf.OutputFile, ...] = ()
    open_data_hash: str | None = None
    open_data_staged: dict[Path, Path] = field(default_factory=dict)
    open_data_pending: str | None = None

    def __post_init__(self) -> None:
        if self.previous is not None:
            self.open_data = self.previous.open_data
            self.open_data_hash = self.previous.open_data_hash


def _previous_record(run: _Run, name: str) -> mf.ReportRecord | None:
    return run.previous.record(name) if run.previous else None


def _plan_tasks(
    run: _Run, selected: Sequence[ReportSpec], report: Reporter
) -> tuple[list[Task], dict[str, str]]:
    """Decide which reports run; record the skipped ones. Returns tasks and their input hashes."""
    shared = shared_inputs(run.report_set.data_dir)
    ipython_dir = run.staging / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True, exist_ok=True)
    env = tuple(sorted(kernel_env(ipython_dir).items()))
    tasks: list[Task] = []
    hashes: dict[str, str] = {}
    for spec in selected:
        text = spec.notebook.read_text(encoding="utf-8")
        title = page_title(spec, run.report_set.title_prefix)
        digest = report_hash(spec, text, shared, run.report_set.config, title)
        hashes[spec.name] = digest
        record = _previous_record(run, spec.name)
        expected = output_paths(spec, run.options.pdf)
        if (
            not run.options.force
            and record is not None
            and mf.is_up_to_date(record, digest, expected, run.reports_dir)
        ):
            run.records[spec.name] = replace(record, outcome="skipped", error=None)
            # A failure of other inputs is history once the published outputs are current.
            (run.reports_dir / FAILED_DIR / f"{spec.name}.ipynb").unlink(missing_ok=True)
            report(Event("skipped", "skipped (unchanged)", name=spec.name))
            continue
        tasks.append(
            Task(
                name=spec.name,
                notebook_text=text,
                parameters=spec.parameters,
                title=title,
                html_path=str(run.staging / "out" / f"{spec.output}.html"),
                pdf_path=(
                    str(run.staging / "out" / f"{spec.output}.pdf") if run.options.pdf else None
                ),
                failed_path=str(run.staging / FAILED_DIR / f"{spec.name}.ipynb"),
                cwd=str(run.report_set.root),
                timeout=run.options.timeout,
                env=env,
                socket_dir=str(run.socket_dir),
            )
        )
    return tasks, hashes


def _record_failure(
    run: _Run, spec: ReportSpec, result: TaskResult, report: Reporter
) -> mf.ReportRecord:
    """Keep the failed notebook, tell the user, and keep the previous outputs in the record."""
    kept = ""
    if result.failed_notebook and Path(result.failed_notebook).is_file():
        target = run.reports_dir / FAILED_DIR / f"{spec.name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(result.failed_notebook, target)
        kept = f"; executed notebook kept in {target}"
    failure = result.failure or CellFailure(error="unknown error")
    message = f"report {spec.name} failed: {failure.describe()}{kept}"
    run.failed.append(spec.name)
    report(Event("failed", message, name=spec.name))
    previous = _previous_record(run, spec.name)
    return mf.ReportRecord(
        name=spec.name,
        notebook=str(spec.notebook),
        parameters=spec.parameters,
        input_hash=previous.input_hash if previous else None,
        outputs=previous.outputs if previous else (),
        timings=result.timings,
        outcome="failed",
        error=failure.describe(),
    )


def _finish_report(
    run: _Run, spec: ReportSpec, result: TaskResult, digest: str, report: Reporter
) -> None:
    """Publish the outputs of a report that ran, or keep the old ones; record the outcome."""
    if not result.ok:
        run.records[spec.name] = _record_failure(run, spec, result, report)
        return
    staged_html = run.staging / "out" / f"{spec.output}.html"
    staged = {staged_html: run.reports_dir / f"{spec.output}.html"}
    if run.options.pdf:
        staged[staged_html.with_suffix(".pdf")] = run.reports_dir / f"{spec.output}.pdf"
    publish(staged)
    if not run.options.pdf:
        (run.reports_dir / f"{spec.output}.pdf").unlink(missing_ok=True)  # older than the HTML
    (run.reports_dir / FAILED_DIR / f"{spec.name}.ipynb").unlink(missing_ok=True)
    outputs = tuple(_output_record(run.reports_dir, p) for p in output_paths(spec, run.options.pdf))
    run.records[spec.name] = mf.ReportRecord(
        name=spec.name,
        notebook=str(spec.notebook),
        parameters=spec.parameters,
        input_hash=digest,
        outputs=outputs,
        timings=result.timings,
        outcome="built",
    )
    spent = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
    report(Event("built", f"built {spec.output}.html ({spent})", name=spec.name))


def _open_data_hash(shared: SharedInputs) -> str:
    return mf.input_hash({"open_data": shared.as_dict()})


def _open_data_intact(run: _Run, digest: str) -> bool:
    previous = run.previous
    return (
        previous is not None
        and previous.open_data_hash == digest
        and bool(previous.open_data)
        and all(
            (run.reports_dir / o.path).is_file()
            and mf.file_sha256(run.reports_dir / o.path) == o.sha256
            for o in previous.open_data
        )
    )


def _stage_open_data(run: _Run, report: Reporter) -> None:
    """Write the open data CSVs to staging when their inputs changed (published at the end)."""
    from helpers import opendata

    digest = _open_data_hash(shared_inputs(run.report_set.data_dir))
    if not run.options.force and _open_data_intact(run, digest):
        report(Event("skipped", "skipped (unchanged)", name=OPEN_DATA_NAME))
        return
    try:
        files = opendata.open_data_files(run.city)
    except Exception as exc:
        run.failed.append(OPEN_DATA_NAME)
        message = f"open data failed: {type(exc).__name__}: {_first_message_line(str(exc))}"
        report(Event("failed", message, name=OPEN_DATA_NAME))
        return
    for name, data in files.items():
        source = run.staging / OPEN_DATA_DIR / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        run.open_data_staged[source] = run.reports_dir / OPEN_DATA_DIR / name
    run.open_data_pending = digest


def _publish_open_data(run: _Run, report: Reporter) -> None:
    """Publish staged open data (only files whose bytes changed) and record it."""
    if run.open_data_pending is None:
        return
    changed = {
        source: target
        for source, target in run.open_data_staged.items()
        if not target.is_file() or target.read_bytes() != source.read_bytes()
    }
    publish(changed)
    run.open_data = tuple(
        _output_record(run.reports_dir, f"{OPEN_DATA_DIR}/{target.name}")
        for target in sorted(run.open_data_staged.values())
    )
    run.open_data_hash = run.open_data_pending
    names = ", ".join(t.name for t in sorted(run.open_data_staged.values()))
    report(Event("built", f"open data written: {names}", name=OPEN_DATA_NAME))


def build_manifest(run: _Run) -> mf.Manifest:
    """The manifest after this run: every report of the set, in order."""
    records = []
    for spec in run.report_set.reports:
        record = run.records.get(spec.name) or _previous_record(run, spec.name)
        if record is None:
            record = mf.ReportRecord(
                name=spec.name,
                notebook=str(spec.notebook),
                parameters=spec.parameters,
                input_hash=None,
                outputs=(),
                timings={},
                outcome="pending",
            )
        records.append(record)
    return mf.Manifest(
        package_version=helpers.__version__,
        reports=tuple(records),
        open_data=run.open_data,
        open_data_hash=run.open_data_hash,
    )


@contextlib.contextmanager
def _kernel_source(run: _Run, tasks: list[Task]) -> Iterator[Callable[[], list[Task]]]:
    """Start a kernel zygote preloaded with the notebooks' imports (unless disabled).

    The block gets a function returning the tasks, pointed at the zygote once it is up.
    """
    if not tasks or not run.options.preload:
        yield lambda: tasks
        return
    modules = sorted({m for t in {t.notebook_text for t in tasks} for m in notebook_imports(t)})
    with zygote_process(run.socket_dir, modules, dict(tasks[0].env)) as wait:
        yield lambda: [replace(t, zygote=wait()) for t in tasks]


def _execute(run: _Run, selected: Sequence[ReportSpec], report: Reporter) -> None:
    planned, hashes = _plan_tasks(run, selected, report)
    count = len(planned)
    total = len(selected)
    report(Event("plan", f"{count} of {total} reports to build", count=count, total=total))
    specs = {s.name: s for s in selected}
    with _kernel_source(run, planned) as ready:
        if planned:
            warm_up()  # while the zygote imports
        with TaskRunner(ready(), run.options.jobs) as runner:
            # Workers (if any) are busy now: the driver makes the open data meanwhile.
            _stage_open_data(run, report)
            for kind, payload in runner.events():
                if kind == "start":
                    report(Event("start", f"building {payload}", name=payload))
                    continue
                spec = specs[payload.name]
                _finish_report(run, spec, payload, hashes[spec.name], report)
    if not run.failed:
        _publish_open_data(run, report)


def _build_locked(options: BuildOptions, raw: ReportSetFile, report: Reporter) -> ExitCode:
    city = inspect_data(raw.data_dir, report)
    if city is None:
        report(Event("info", "build stopped: the data has errors; no report was run"))
        return ExitCode.INVALID
    report_set = expand_report_set(raw, plan_rows(city.plans))
    selected = select_reports(report_set, options.only)
    reports_dir = (options.reports_dir or default_reports_dir(raw.root)).resolve()
    previous = mf.read_manifest(reports_dir / mf.MANIFEST_FILE)
    staging = fresh_staging(reports_dir)
    sockets = Path(tempfile.mkdtemp(prefix="plan-report-"))
    run = _Run(report_set, city, options, reports_dir, staging, sockets, previous)
    try:
        _execute(run, selected, report)
    finally:
        mf.write_manifest(reports_dir / mf.MANIFEST_FILE, build_manifest(run))
        shutil.rmtree(reports_dir / STAGING_DIR, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
    return ExitCode.REPORT_FAILED if run.failed else ExitCode.OK


def build(options: BuildOptions, report: Reporter = _silent) -> ExitCode:
    """Build the report set of ``options.config``; tell ``report`` what happens.

    Returns the exit code (see :class:`ExitCode`); never raises for expected failures.
    """
    try:
        raw = read_report_set(options.config)
        reports_dir = (options.reports_dir or default_reports_dir(raw.root)).resolve()
        with build_lock(reports_dir):
            code = _build_locked(options, raw, report)
    except LockHeldError as exc:
        code = ExitCode.LOCKED
        report(Event("failed", str(exc)))
    except ConfigError as exc:
        code = ExitCode.INVALID
        report(Event("failed", f"invalid report set: {exc}"))
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
        report(
            Event(
                "failed",
                "interrupted: reports published before the interrupt are complete; "
                "the others keep their previous version",
            )
        )
    report(Event("done", f"exit code {int(code)}", count=int(code)))
    return code
