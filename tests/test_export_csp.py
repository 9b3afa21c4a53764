"""The HTML export is Content-Security-Policy friendly (issue 14, hardening).

The page carries a ``<meta http-equiv="Content-Security-Policy">`` that runs only its own inline scripts (by
SHA-256 hash), fetches nothing, and so would block any inline event handler or ``javascript:`` URL; and the page
carries none, also when the ledger's names are hostile. Checked on the file's text and in headless Chromium:
the map renders offline with no CSP violation, popups of hostile names show them as text, no element of the live
DOM has an ``on…`` attribute or a ``javascript:`` URL, and a handler smuggled into a copy of the page is blocked.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

from lianxin_geo.cli import main
from lianxin_geo.present import assets, export, maps
from lianxin_geo.workspace import load_workspace

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(2)",
    "' autofocus onfocus='alert(3)",
    "javascript:alert(4)",
    "<a href='javascript:alert(5)'>点我</a>",
    "<svg onload=alert(6)>",
    "<iframe src=\"javascript:alert(7)\"></iframe>",
    "</script><script>alert(8)</script>",
]
NORMAL = [f"正常企业{i}号有限公司" for i in range(12)]


def _ledger(tmp: Path) -> Path:
    path = tmp / "orgs.csv"
    header = ["单位名称", "组织类别", "所属镇街", "经度", "纬度", "坐标系", "从业人员数", "正式党员数", "党组织状态"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k, name in enumerate(HOSTILE + NORMAL):
            w.writerow([name, "非公企业", "胜利街道", f"{116.630 + 0.002 * k:.5f}", f"{40.115 + 0.001 * (k % 5):.5f}",
                        "WGS84", "60", str(k % 3), "未建立"])
    return path


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    """``lianxin-geo export --format html`` of the hostile ledger (with every plan layer)."""
    tmp = tmp_path_factory.mktemp("csp")
    out = tmp / "map.html"
    code = main(["export", "--format", "html", "--orgs", str(_ledger(tmp)), "--out", str(out), "--time-limit", "3"])
    assert code == 0
    return out


def _policy(text: str) -> dict[str, list[str]]:
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)
    assert len(metas) == 1, metas
    return {d.split()[0]: d.split()[1:] for d in metas[0].split("; ")}


# ---------------------------------------------------------------- the file's text
def test_policy_is_first_and_tight(page_file):
    text = page_file.read_text(encoding="utf-8")
    head = text[:text.index("<script")]
    assert 'http-equiv="Content-Security-Policy"' in head  # before every script, so it governs them all
    pol = _policy(text)
    assert pol["default-src"] == ["'none'"] and pol["connect-src"] == ["'none'"]
    assert pol["base-uri"] == ["'none'"] and pol["form-action"] == ["'none'"]
    assert pol["img-src"] == ["data:", "blob:"] and pol["font-src"] == ["data:"]
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert scripts and all(p.startswith("'sha256-") for p in pol["script-src"])
    assert len(pol["script-src"]) == len(set(re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.DOTALL)))
    assert "'unsafe-inline'" not in pol["script-src"] and "'unsafe-eval'" not in pol["script-src"]


def test_no_handler_or_javascript_url_from_hostile_names(page_file):
    text = page_file.read_text(encoding="utf-8")
    assert assets.unsafe_markup(text) == []
    # every hostile name is in the page's data, escaped (so it reaches the popups as text)
    names = {json.loads(lit) for lit in re.findall(r'"name":\s*("(?:[^"\\]|\\.)*")', text)}
    for name in HOSTILE:
        assert maps.esc(name) in names, name
    for raw in ("<script>alert(8)", "<img src=x onerror", "<svg onload", "<iframe src=\"javascript", "'javascript:"):
        assert raw not in text, raw


def test_unsafe_markup_finds_what_a_browser_would_run():
    bad = ['<img src=x onerror=alert(1)>', '<div class="a" ONCLICK = "x()">', '<a href="javascript:alert(1)">',
           "<a href=' JaVaScRiPt:alert(1)'>", '<a href="jav&#x61;script:alert(1)">', '<svg/onload=alert(1)>',
           '<iframe src="java\tscript:alert(1)">']
    good = ['<div class="lx-notes" style="color:red">only text onclick=</div>', '<a href="#one">',
            '<a href="https://example.org/javascript:x">', '<span data-x="1">', '<div title="onion=1">']
    for tag in bad:
        assert assets.unsafe_markup(f"<html><body>{tag}</body></html>"), tag
    for tag in good:
        assert assets.unsafe_markup(f"<html><body>{tag}</body></html>") == [], tag
    # the vendored library's own code is not the page's markup; the page's scripts are searched
    assert assets.unsafe_markup('<script data-asset="leaflet">var s = "<b onclick=x>";</script>') == []
    assert assets.unsafe_markup('<script>var popup = "<b onclick=x>";</script>')


def test_export_refuses_a_page_with_a_handler(tmp_path, monkeypatch, demo_ws):
    real = maps.map_html
    monkeypatch.setattr(export, "map_html", lambda fmap, title: real(fmap, title=title).replace(
        "<body>", '<body><div onclick="alert(1)">x</div>', 1))
    with pytest.raises(RuntimeError, match="内联事件处理"):
        export.export_html(demo_ws, tmp_path / "bad.html", layers=["boundaries"])
    assert not (tmp_path / "bad.html").exists()


def test_policy_allows_only_the_chosen_base_map_tiles():
    ws = load_workspace(demo_orgs=50)
    pol = _policy(maps.map_html(maps.build_map(ws, layers=("boundaries",), basemap="amap")))
    assert pol["img-src"] == ["data:", "blob:", "https://*.is.autonavi.com"]
    pol = _policy(maps.map_html(maps.build_map(ws, layers=("boundaries",), basemap="osm")))
    assert pol["img-src"] == ["data:", "blob:", "https://tile.openstreetmap.org"]
    assert pol["connect-src"] == ["'none'"]


# ---------------------------------------------------------------- in Chromium
_WATCH_JS = """
window.__csp = []; window.__alerts = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.alert = m => window.__alerts.push(String(m));
"""

_MAP_JS = """() => {
  const out = {maps: 0, circles: 0, popups: 0};
  for (const k of Object.keys(window)) {
    let v; try { v = window[k]; } catch (e) { continue; }
    if (window.L && v instanceof window.L.Map) {
      out.maps += 1;
      v.eachLayer(l => { if (l instanceof window.L.CircleMarker) out.circles += 1; });
    }
  }
  return out;
}"""

_OPEN_ALL_JS = """(needles) => {
  const texts = [];
  for (const k of Object.keys(window)) {
    let v; try { v = window[k]; } catch (e) { continue; }
    if (!(window.L && v instanceof window.L.Map)) continue;
    v.eachLayer(l => {
      const p = l.feature && l.feature.properties;
      if (p && needles.includes(p.name) && l.getLatLng) {
        l.fire('click', {latlng: l.getLatLng()}, true);
        const c = document.querySelector('.leaflet-popup-content');
        if (c) texts.push(c.innerText);
      }
    });
  }
  return texts;
}"""

_DOM_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.replace(/[\\x00-\\x20]/g, '').toLowerCase();
      if (a.name.toLowerCase().startsWith('on') || v.startsWith('javascript:')) bad.push(el.outerHTML.slice(0, 120));
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在 / no Chromium installed")
    api = pytest.importorskip("playwright.sync_api")
    with api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    seen = {"console": [], "requests": [], "errors": []}
    page.on("console", lambda m: seen["console"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.add_init_script(_WATCH_JS)
    page.goto(url, wait_until="load")
    page.wait_for_function("() => !!document.querySelector('.leaflet-container canvas, .leaflet-container svg')",
                           timeout=30_000)
    for box in page.locator("input.leaflet-control-layers-selector[type=checkbox]").all():
        if not box.is_checked():
            box.check()  # the layer switcher: every layer on (the orgs open switched off)
    page.wait_for_timeout(500)
    return ctx, page, seen


@pytest.mark.browser
def test_map_renders_under_the_policy_with_no_violation(page_file, browser):
    ctx, page, seen = _open(browser, page_file.as_uri())
    try:
        counts = page.evaluate(_MAP_JS)
        assert counts["maps"] == 1 and counts["circles"] >= len(HOSTILE) + len(NORMAL), counts
        texts = page.evaluate(_OPEN_ALL_JS, [maps.esc(n) for n in HOSTILE])
        assert len(texts) >= len(HOSTILE)
        for name in HOSTILE:
            assert any(name in t for t in texts), name  # shown as text
        page.wait_for_timeout(300)
        assert page.evaluate(_DOM_JS) == []
        assert page.evaluate("window.__csp") == []
        assert page.evaluate("window.__alerts") == []
        assert not [c for c in seen["console"] if "Content Security Policy" in c], seen["console"]
        assert seen["errors"] == []
        assert all(u.startswith(("file:", "data:", "blob:")) for u in seen["requests"]), seen["requests"]
        assert page.locator(".leaflet-control-layers").count() == 1 and page.locator(".lx-title").count() == 1
    finally:
        ctx.close()


@pytest.mark.browser
def test_policy_blocks_a_smuggled_handler(page_file, browser, tmp_path):
    """The control: the same page with a handler and a script added after the policy runs neither."""
    text = page_file.read_text(encoding="utf-8").replace(
        "<body>", '<body><img id="evil" src="data:," onerror="alert(\'handler\')">'
                  '<script>alert("script")</script><a id="js" href="javascript:alert(\'url\')">x</a>', 1)
    copy = tmp_path / "smuggled.html"
    copy.write_text(text, encoding="utf-8")
    ctx, page, _ = _open(browser, copy.as_uri())
    try:
        page.click("#js", force=True)
        page.wait_for_timeout(500)
        assert page.evaluate(_MAP_JS)["maps"] == 1  # the page's own scripts still run
        assert page.evaluate("window.__alerts") == []
        violations = page.evaluate("window.__csp")
        assert any(v.startswith("script-src") for v in violations), violations
        assert len(violations) >= 2, violations  # the inline handler / script / javascript: URL each refused
    finally:
        ctx.close()
