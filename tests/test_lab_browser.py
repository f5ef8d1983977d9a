"""The analysts' JupyterLab in a real browser, offline: the tutorial and a report notebook run,
every chart draws (again after a page reload), nothing leaves the machine.

A JupyterLab of ``.venv-lab`` (``make test`` creates it) starts headless on a copy of the project's
notebooks and data; Debian's Chromium (Playwright) opens it with every request to anything but this
server aborted and recorded. Notebooks run through JupyterLab's own commands ("Run All").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from browser_kit import launch_browser
from playwright.sync_api import Browser, Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from helpers import lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
LAB_BIN = ROOT / ".venv-lab" / "bin"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "lab"

_KERNEL_IDLE = """(path) => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path) return false;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === "idle";
}"""
_ALL_CELLS_RAN = """() => {
  const prompts = Array.from(document.querySelectorAll(
    ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt"));
  return prompts.length > 0 && prompts.every((p) => /\\[\\d+\\]/.test(p.textContent));
}"""
_CHARTS = """() => {
  const charts = Array.from(document.querySelectorAll(
    ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output div.chart"));
  return {total: charts.length,
          drawn: charts.filter((el) => el.querySelector("svg, canvas")).length,
          notes: charts.filter((el) => !el.querySelector("svg, canvas"))
                       .map((el) => el.textContent)};
}"""
_ERRORS = """() => Array.from(document.querySelectorAll(
  ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type*='stderr'],"
  + " .jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type*='error']"))
  .map((el) => el.textContent)"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    url: str
    root: Path
    process: subprocess.Popen
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab of .venv-lab on a copy of notebooks/ and the bundled data, with work/ copies."""
    if not (LAB_BIN / "jupyter").exists():
        if os.environ.get("CI"):
            pytest.fail(".venv-lab is missing: make test creates it (make lab-venv)")
        pytest.skip(".venv-lab is missing (make lab-venv creates it)")
    root = tmp_path_factory.mktemp("lab-project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "data" / "higashiyamato", root / "data" / "higashiyamato")
    lab.prepare_work(root)
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
        "PYTHONPATH": "",
    }
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [
            str(LAB_BIN / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={root}",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail((root / "server.log").read_text(encoding="utf-8")[-3000:])
            time.sleep(0.5)
    try:
        yield LabServer(url, root, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with launch_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def page(lab_server: LabServer, chromium: Browser) -> Iterator[Page]:
    """One browser page; every request except to the lab server is aborted and recorded."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    local = (lab_server.url, lab_server.url.replace("http://", "ws://"))

    def on_route(route: Route) -> None:
        url = route.request.url
        if url.startswith(local) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            lab_server.requests.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", on_route)
    page = context.new_page()
    yield page
    context.close()


def open_notebook(page: Page, server: LabServer, path: str) -> None:
    page.goto(f"{server.url}/lab/tree/{path}")
    page.wait_for_function(
        "() => window.jupyterapp && document.querySelector('.jp-NotebookPanel .jp-Cell')",
        timeout=90_000,
    )
    page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=90_000)


def run_all(page: Page, path: str) -> None:
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(_ALL_CELLS_RAN, timeout=180_000)
    except PlaywrightTimeoutError:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "timeout.png"))
        raise
    page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=60_000)


def charts_drawn(page: Page, expected_at_least: int) -> dict:
    """Wait until every chart of the current notebook has drawn; return the count."""
    with contextlib.suppress(PlaywrightTimeoutError):  # the caller reports what is missing
        page.wait_for_function(
            f"() => {{ const c = ({_CHARTS})(); return c.total >= {expected_at_least}"
            " && c.drawn === c.total; }",
            timeout=60_000,
        )
    return page.evaluate(_CHARTS)


def shoot(page: Page, selector: str, name: str) -> None:
    """A screenshot of the current notebook, scrolled to the first *selector* (to look at)."""
    visible = f".jp-NotebookPanel:not(.lm-mod-hidden) {selector}"
    page.locator(visible).first.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def save(page: Page) -> None:
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_timeout(1500)


def test_tutorial_runs_offline_and_every_chart_draws(page: Page, lab_server: LabServer) -> None:
    open_notebook(page, lab_server, "work/explore.py")
    run_all(page, "work/explore.py")
    charts = charts_drawn(page, 3)
    assert charts["total"] >= 3 and charts["drawn"] == charts["total"], charts
    assert page.evaluate(_ERRORS) == []
    save(page)
    shoot(page, ".jp-OutputArea-output div.chart", "explore.png")
    assert lab_server.requests == []


def test_charts_draw_again_after_a_page_reload(page: Page, lab_server: LabServer) -> None:
    open_notebook(page, lab_server, "work/explore.py")
    charts = charts_drawn(page, 3)
    assert charts["total"] >= 3 and charts["drawn"] == charts["total"], charts
    assert lab_server.requests == []


def test_report_notebook_runs_with_figures_and_styled_cards(
    page: Page, lab_server: LabServer
) -> None:
    open_notebook(page, lab_server, "work/plan_report.py")
    run_all(page, "work/plan_report.py")
    charts = charts_drawn(page, 3)
    assert charts["total"] >= 3 and charts["drawn"] == charts["total"], charts
    assert page.evaluate(_ERRORS) == []
    border = page.evaluate(
        "() => getComputedStyle(document.querySelector("
        "'.jp-NotebookPanel:not(.lm-mod-hidden) .headline')).borderTopWidth"
    )
    assert border == "8px"  # the cards' own style in JupyterLab
    shoot(page, ".headlines", "plan_report.png")
    save(page)
    assert lab_server.requests == []


def test_interface_is_japanese_without_a_news_prompt(page: Page, lab_server: LabServer) -> None:
    menu = page.evaluate("() => document.querySelector('#jp-MainMenu').textContent")
    assert "ファイル" in menu and "File" not in menu
    text = page.evaluate("() => document.body.innerText")
    assert "news" not in text.lower()
    assert lab_server.requests == []


def test_tracked_notebooks_stay_as_committed_and_new_notebooks_are_paired(
    page: Page, lab_server: LabServer
) -> None:
    for source in (ROOT / "notebooks").glob("*.py"):
        copy = lab_server.root / "notebooks" / source.name
        assert copy.read_bytes() == source.read_bytes(), source.name
    assert (lab_server.root / "work" / "explore.ipynb").exists()  # the runs were saved in work/
    page.evaluate(
        """() => window.jupyterapp.serviceManager.contents.save("work/mine.ipynb", {
             type: "notebook", format: "json",
             content: {cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5}})"""
    )
    paired = lab_server.root / "work" / "mine.py"
    assert paired.exists() and "format_name: percent" in paired.read_text(encoding="utf-8")
