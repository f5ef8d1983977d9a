"""Hostile text built into the real reports: it must come out as text, never as script or link.

The bundled report set (plan reports, timeline, index: the real notebooks) is built once from a
copy of the bundled data whose free-text cells, plan names and city name carry every payload of
:data:`corpus.PAYLOADS` (script tags, event handlers, ``javascript:`` links, template and
Markdown syntax, formulas, the exporter's own placeholder texts …), with a hostile title prefix.
The set is built with its PDFs (printing opens every page, and the accessibility statement lists
the pages' titles). Each page is then opened in Chromium with the network blocked: no payload
ran, nothing was requested, the DOM holds no element or attribute a payload could have
injected, the charts drew, and the payload text is shown as text.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from browser_kit import launch_browser, open_offline, wait_for_charts
from corpus import BUNDLED, PAYLOADS, ROOT, hostile_text

from helpers import cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE_PREFIX = "<script>window.__hostile=30</script>東大和市"

DOM_AUDIT = """() => {
  const found = [];
  const forbidden = 'iframe,frame,frameset,object,embed,applet,base,link,meta[http-equiv],form';
  for (const el of document.querySelectorAll(forbidden)) {
    const equiv = (el.getAttribute('http-equiv') || '').toLowerCase();
    if (el.tagName === 'META' && equiv === 'content-security-policy') continue;
    // the chart library's own (empty) container for interactive bindings
    if (el.tagName === 'FORM' && el.className === 'vega-bindings' && !el.hasAttribute('action')
        && el.children.length === 0) continue;
    found.push('element ' + el.outerHTML.slice(0, 120));
  }
  const urls = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc',
                'background', 'poster', 'ping', 'srcset', 'content'];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push('handler ' + name + ' on ' + el.tagName);
      if (urls.includes(name) && /__hostile|example\\.invalid|javascript:/i.test(attr.value)) {
        found.push('url ' + name + '=' + attr.value.slice(0, 80));
      }
    }
  }
  for (const a of document.querySelectorAll('[href]')) {
    const href = a.getAttribute('href');
    // relative links, or the web addresses city.yaml gives (source, licence)
    const scheme = /^\\s*([a-z][a-z0-9+.-]*):/i.exec(href);
    if ((scheme && !/^https?$/i.test(scheme[1])) || href.startsWith('//')) {
      found.push('link ' + href.slice(0, 80));
    }
  }
  for (const img of document.querySelectorAll('img[src]')) {
    if (!img.getAttribute('src').startsWith('data:')) found.push('image ' + img.src);
  }
  for (const style of document.querySelectorAll('style')) {
    if (style.textContent.includes('body{display:none}')) found.push('injected style');
  }
  return found;
}"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The bundled report set built from hostile data: (reports folder, texts placed)."""
    root = tmp_path_factory.mktemp("hostile-site")
    data = root / "data"
    shutil.copytree(BUNDLED, data)
    placed = hostile_text(data)
    # the set's title (every page's <title>, printed header and the index heading) is city.yaml's
    city_yaml = data / "city.yaml"
    config = city_yaml.read_text(encoding="utf-8")
    line = "  title: 東大和市 情報化推進計画の評価"
    assert line in config
    city_yaml.write_text(config.replace(line, f"  title: '{TITLE_PREFIX}'", 1), encoding="utf-8")
    bundled = yaml.safe_load((ROOT / "notebooks" / "reports.yaml").read_text(encoding="utf-8"))
    bundled["data"] = str(data)
    for entry in bundled["reports"]:
        entry["notebook"] = str(ROOT / entry["notebook"])
    config = root / "reports.yaml"
    config.write_text(yaml.safe_dump(bundled, allow_unicode=True), encoding="utf-8")
    reports = root / "reports"
    # with PDFs: printing runs the pages too, and the accessibility statement lists their titles
    code = cli.main(["build", "--config", str(config), "--reports-dir", str(reports)])
    assert code == 0, "hostile text is valid data: the set must build"
    return reports, placed


def test_no_payload_runs_requests_or_injects(hostile_site: tuple[Path, list[str]]) -> None:
    reports, _ = hostile_site
    pages = sorted(reports.glob("*.html"))
    expected = {"index.html", "plan-1.html", "plan-2.html", "timeline.html", "accessibility.html"}
    assert {p.name for p in pages} >= expected
    assert {p.name for p in reports.glob("*.pdf")} >= {"plan-2.pdf", "index.pdf"}
    with launch_browser() as browser:
        for page_path in pages:
            with open_offline(page_path, browser=browser) as offline:
                status = wait_for_charts(offline.page)
                page = offline.page
                assert page.evaluate("typeof window.__hostile") == "undefined", page_path.name
                assert offline.requests == [], (page_path.name, offline.requests)
                assert offline.page_errors == [], (page_path.name, offline.page_errors)
                assert page.evaluate(DOM_AUDIT) == [], page_path.name
                assert status["drawn"] == status["containers"], (page_path.name, status)
                assert TITLE_PREFIX in page.title(), page_path.name


def test_payloads_are_shown_as_text(hostile_site: tuple[Path, list[str]]) -> None:
    reports, placed = hostile_site
    with launch_browser() as browser, open_offline(reports / "plan-2.html", browser=browser) as of:
        text = of.page.evaluate("document.body.innerText")
    item_names = placed[:19]  # items.csv 項目名, plan 2's 19 items in order
    shown = [name for name in item_names if " ".join(name.split()) in " ".join(text.split())]
    assert shown == item_names
    assert "<script>window.__hostile=1</script>" in text
    assert "/* plan-report: vega bundle */" in text


def test_open_data_of_hostile_text(hostile_site: tuple[Path, list[str]]) -> None:
    reports, _ = hostile_site
    items = (reports / "data" / "items.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in items and "'=cmd|" in items and "'+1+1" in items
    assert ",=" not in items and ',"=' not in items
    assert set(PAYLOADS)  # every payload was placed (see corpus.hostile_text)
