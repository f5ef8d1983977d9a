"""The analysts' JupyterLab (helpers.lab): settings, working copies, and a real lab kernel's charts.

The kernel tests start the Python kernel of ``.venv-lab`` (``make test`` creates it), so they check
what an analyst's kernel really does: its settings load :mod:`helpers.lab`, and a plain Altair
chart's display output needs nothing from the network.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from helpers import lab
from helpers.publish import html

ROOT = Path(__file__).resolve().parents[1]
LAB_PYTHON = ROOT / ".venv-lab" / "bin" / "python"
FAKE_BUNDLE = "window.vegaEmbed=function(){};"
REMOTE = re.compile(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def test_the_served_flag_has_one_name() -> None:
    assert lab.SERVED_ENV_VAR == html.SERVED_ENV_VAR


def test_install_writes_the_lab_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("helpers.publish.bundle.vega_bundle", lambda: FAKE_BUNDLE)
    server_file = tmp_path / lab.SERVER_CONFIG
    server_file.parent.mkdir(parents=True)
    server_file.write_text('{"ServerApp": {"port": 9999}, "Other": {"x": 1}}', encoding="utf-8")

    written = lab.install(tmp_path)

    assert set(written) >= {tmp_path / lab.SERVER_CONFIG, tmp_path / lab.KERNEL_CONFIG}
    server = json.loads(server_file.read_text(encoding="utf-8"))
    assert server["ServerApp"]["allow_root"] is True
    assert server["ServerApp"]["port"] == 9999 and server["Other"] == {"x": 1}  # kept
    assert server["JupytextConfiguration"]["formats"] == "ipynb,py:percent"
    (static,) = server["ServerApp"]["extra_static_paths"]
    bundle = Path(static) / html.SERVED_BUNDLE_NAME
    assert FAKE_BUNDLE in bundle.read_text(encoding="utf-8")
    assert html.PENDING_GLOBAL in bundle.read_text(encoding="utf-8")  # waiting charts draw
    app = json.loads((tmp_path / lab.LAB_CONFIG).read_text(encoding="utf-8"))
    assert app["LabApp"]["news_url"] is None
    settings = json.loads((tmp_path / lab.LAB_SETTINGS).read_text(encoding="utf-8"))
    assert settings["@jupyterlab/translation-extension:plugin"]["locale"] == "ja_JP"
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    kernel = json.loads((tmp_path / lab.KERNEL_CONFIG).read_text(encoding="utf-8"))
    assert kernel["IPKernelApp"]["extensions"] == ["helpers.lab"]

    lab.install(tmp_path)  # idempotent
    assert json.loads(server_file.read_text(encoding="utf-8")) == server


def test_working_copies_follow_the_tracked_notebooks_until_changed(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "a.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    (notebooks / "b.py").write_text("# %%\ny = 1\n", encoding="utf-8")

    lines = lab.prepare_work(tmp_path)
    work = tmp_path / "work"
    assert (work / "a.py").read_text(encoding="utf-8") == "# %%\nx = 1\n"
    assert len(lines) == 2 and all(line.startswith("作成") for line in lines)
    assert lab.prepare_work(tmp_path) == []  # nothing to do

    (work / "b.py").write_text("# %%\ny = 2  # the analyst's change\n", encoding="utf-8")
    (notebooks / "a.py").write_text("# %%\nx = 10\n", encoding="utf-8")
    (notebooks / "b.py").write_text("# %%\ny = 10\n", encoding="utf-8")
    lines = lab.prepare_work(tmp_path)

    assert (work / "a.py").read_text(encoding="utf-8") == "# %%\nx = 10\n"  # followed
    assert "the analyst's change" in (work / "b.py").read_text(encoding="utf-8")  # kept
    assert any(line.startswith("更新") and "a.py" in line for line in lines)
    assert any(line.startswith("そのまま") and "b.py" in line for line in lines)

    (work / "b.py").unlink()  # how the README says to get a fresh copy
    lab.prepare_work(tmp_path)
    assert (work / "b.py").read_text(encoding="utf-8") == "# %%\ny = 10\n"


def test_work_folder_is_ignored_by_git() -> None:
    assert "/work/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


# --- a real kernel of the lab environment ----------------------------------------------------


@pytest.fixture(scope="module")
def lab_kernel():
    """A running kernel of .venv-lab, started the way JupyterLab starts it."""
    if not LAB_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(".venv-lab is missing: make test creates it (make lab-venv)")
        pytest.skip(".venv-lab is missing (make lab-venv creates it)")
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = str(LAB_PYTHON)  # the lab environment's Python 3 kernel
    manager.start_kernel(cwd=str(ROOT / "notebooks"), env={**os.environ, "PYTHONPATH": ""})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run_cell(client, code: str, errors: list[dict] | None = None) -> list[dict]:
    """Execute *code*; return its display and result outputs.

    An error fails the test, unless *errors* is given: then the error outputs go there.
    """
    outputs: list[dict] = []

    def keep(msg: dict) -> None:
        kind = msg["header"]["msg_type"]
        if kind in ("display_data", "execute_result"):
            outputs.append(msg["content"]["data"])
        elif kind == "error" and errors is not None:
            errors.append(msg["content"])
        elif kind == "error":
            pytest.fail("\n".join(msg["content"]["traceback"]))
        elif kind == "stream" and errors is not None:
            errors.append({"stream": msg["content"]["text"]})

    client.execute_interactive(code, timeout=120, output_hook=keep)
    return outputs


def test_lab_kernel_loads_the_extension(lab_kernel) -> None:
    (out,) = run_cell(
        lab_kernel, "import sys; sorted(get_ipython().extension_manager.loaded), sys.prefix"
    )
    assert "helpers.lab" in out["text/plain"]
    assert ".venv-lab" in out["text/plain"]


def test_plain_altair_chart_refers_to_no_remote_script(lab_kernel) -> None:
    (out,) = run_cell(
        lab_kernel,
        "import altair as alt, pandas as pd\n"
        "alt.Chart(pd.DataFrame({'a': ['x', 'y'], 'b': [3, float('nan')]}))"
        ".mark_bar().encode(x='a:N', y='b:Q')",
    )
    markup = out["text/html"]
    assert 'class="chart"' in markup and "vegaEmbed" in markup
    assert f"static/{html.SERVED_BUNDLE_NAME}" in markup  # the local server's copy
    assert not REMOTE.search(markup), REMOTE.search(markup)
    assert "<script src" not in markup
    assert not any(key.startswith("application/vnd.vegalite") for key in out)


def test_project_chart_shown_directly_and_figures_load_the_served_bundle(lab_kernel) -> None:
    outputs = run_cell(
        lab_kernel,
        "from helpers import report\n"
        "from helpers.views import charts, metrics\n"
        "plan = report.plan_context('2', 'data/higashiyamato')\n"
        "display(charts.comparison_chart(metrics.comparison(plan.achievement_df)))\n"
        "display(plan.status_figure())\n"
        "display(plan.headline())",
    )
    chart, figure, headline = (out["text/html"] for out in outputs)
    for markup in (chart, figure):
        assert f"static/{html.SERVED_BUNDLE_NAME}" in markup
        assert not REMOTE.search(markup), REMOTE.search(markup)
        assert len(markup) < 100_000  # the loader, not the 0.9 MB bundle
    ids = re.findall(r'<div class="chart" id="([^"]+)"', chart + figure)
    assert len(ids) == 2 and len(set(ids)) == 2 and all(re.match(r"chart-k\w+-\d+", i) for i in ids)
    assert "<style>" in headline and ".headline{" in headline


def test_input_errors_are_short_and_japanese_with_the_traceback_on_request(lab_kernel) -> None:
    errors: list[dict] = []
    run_cell(lab_kernel, "report.plan_context('99', 'data/higashiyamato')", errors)
    (error,) = errors
    assert error["ename"] == "ReportParameterError"
    lines = "\n".join(error["traceback"]).splitlines()
    assert len(lines) <= 5, lines
    assert "パラメーターに問題があります" in lines[0] and "計画ID" in "\n".join(lines)
    assert "%tb" in lines[-1] and "File " not in "\n".join(lines)

    full: list[dict] = []
    run_cell(lab_kernel, "%tb", full)
    text = "\n".join(line for item in full for line in item.get("traceback", [item.get("stream")]))
    assert "plan_context" in text and "plan_row" in text  # the whole traceback now

    errors.clear()
    run_cell(lab_kernel, "report.plan_context('2', 'data/no-such-city')", errors)
    assert "データフォルダ" in "\n".join(errors[0]["traceback"])


def test_an_analyst_can_choose_another_renderer(lab_kernel) -> None:
    (out,) = run_cell(
        lab_kernel,
        "alt.renderers.enable('json')\n"
        "chart = alt.Chart(pd.DataFrame({'a': [1]})).mark_point().encode(x='a')\n"
        "chart",
    )
    run_cell(lab_kernel, "alt.renderers.enable('plan_report')")
    assert "text/html" not in out and "application/json" in out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
