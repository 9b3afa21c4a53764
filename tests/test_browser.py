"""The app in a real browser: headless Chromium drives ``streamlit run app.py`` on a free localhost port.

Checks that every page renders, that a joint-unit proposal is drawn, that the map
is really on screen (non-blank screenshot, expected number of features), that
no request leaves localhost (no CDN, no tiles with the offline base map), and
that an org named ``<img src=x onerror=alert(1)>`` stays inert text.

Needs the Debian packages ``chromium`` (``/usr/bin/chromium``) and the Python
package ``playwright`` (no ``playwright install``: the system Chromium is used).
"""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
XSS = "<img src=x onerror=alert(1)>"
N_ORGS = 40
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not os.path.exists(CHROMIUM):
    pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在（apt-get install chromium chromium-driver）/ "
                "no Chromium installed, browser test skipped", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="需要 pip install playwright / needs playwright")
from _browser import wait_idle  # noqa: E402
from test_serve_hosts import serve_app  # noqa: E402  (the same real server as the host tests)


def _orgs_csv(path: Path) -> None:
    towns = ["胜利街道", "仁和镇", "后沙峪地区", "南法信地区", "杨镇地区"]
    fields = ["单位名称", "组织类别", "行业", "所属镇街", "经度", "纬度", "从业人员数", "正式党员数", "党组织状态"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        for i in range(N_ORGS):
            name = XSS if i == 0 else f"测试企业{i}号有限公司"
            lon = 116.60 + (i % 8) * 0.012
            lat = 40.10 + (i // 8) * 0.011
            w.writerow([name, "非公企业", "I65", towns[i % 5], f"{lon:.5f}", f"{lat:.5f}", 20 + i, i % 3, "未建立"])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    orgs = tmp / "orgs.csv"
    _orgs_csv(orgs)
    with serve_app(ROOT / "app.py", ROOT, tmp / "streamlit.log", LIANXIN_GEO_ORGS=str(orgs)) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


_COUNT_JS = """() => {
  const out = {maps: 0, circles: 0, paths: 0, names: []};
  const seen = new Set();
  for (const k of Object.keys(window)) {
    let v; try { v = window[k]; } catch (e) { continue; }
    if (window.L && v instanceof window.L.Map && !seen.has(v)) {
      seen.add(v);
      out.maps += 1;
      v.eachLayer(l => {
        if (l instanceof window.L.CircleMarker) {
          out.circles += 1;
          if (l.feature && l.feature.properties && l.feature.properties.name !== undefined) out.names.push(l.feature.properties.name);
        } else if (l instanceof window.L.Polyline) { out.paths += 1; }
      });
    }
  }
  return out;
}"""

_OPEN_POPUP_JS = """(needle) => {
  for (const k of Object.keys(window)) {
    let v; try { v = window[k]; } catch (e) { continue; }
    if (window.L && v instanceof window.L.Map) {
      let hit = null;
      v.eachLayer(l => { if (!hit && l.feature && l.feature.properties && l.feature.properties.name === needle
                              && l.getLatLng) hit = l; });
      if (hit) { hit.fire("click", {latlng: hit.getLatLng()}, true); return true; }
    }
  }
  return false;
}"""


def _map_frame(page, timeout_ms: int = 60_000):
    """The streamlit-folium frame once its Leaflet map is drawn."""
    deadline = time.time() + timeout_ms / 1000
    while time.time() < deadline:
        for fr in page.frames:
            if "st_folium" in fr.url:
                try:
                    if fr.evaluate("() => !!(window.L && document.querySelector('.leaflet-container canvas, "
                                   ".leaflet-container svg'))"):
                        return fr
                except Exception:  # noqa: BLE001 - the frame is still loading
                    pass
        page.wait_for_timeout(250)
    raise AssertionError("地图没有绘制出来 / the map was not drawn")


def _wait_idle(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_timeout(300)
    wait_idle(page, timeout=timeout_ms)


def _nonblank(png: bytes) -> float:
    from PIL import Image, ImageStat

    img = Image.open(io.BytesIO(png)).convert("L")
    return ImageStat.Stat(img).stddev[0]


def test_app_in_browser(app_url, browser, tmp_path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    shots = Path(os.environ.get("LIANXIN_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)

    # 总览: map drawn, one circle per located org, honesty banner, escaped name in the popup
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_text("示意边界").first.wait_for(timeout=120_000)
    fr = _map_frame(page)
    _wait_idle(page)
    counts = fr.evaluate(_COUNT_JS)
    assert counts["maps"] == 1
    org_names = [n for n in counts["names"] if "测试企业" in n or "img" in n]
    assert len(org_names) == N_ORGS, counts
    assert fr.evaluate(_OPEN_POPUP_JS, "&lt;img src=x onerror=alert(1)&gt;"), "找不到注入名称的单位"
    popup = fr.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert XSS in popup.inner_text()
    assert popup.locator("img").count() == 0
    png = page.screenshot(path=str(shots / "overview.png"), full_page=False)
    assert _nonblank(png) > 10
    map_png = fr.locator(".leaflet-container").screenshot(path=str(shots / "overview_map.png"))
    assert _nonblank(map_png) > 10

    # every page renders without an exception
    marks = {"数据": "校验报告", "联建方案": "生成联建方案”", "指导员路线": "生成路线”", "阵地与覆盖": "各乡镇/街道阵地覆盖",
             "导出": "离线 HTML 地图（脚本内嵌）", "总览": "覆盖率地图"}
    for title, mark in marks.items():
        page.get_by_role("link", name=title).first.click()
        page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
        page.get_by_text(mark).first.wait_for(timeout=120_000)
        _wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, title
        page.screenshot(path=str(shots / f"page_{title}.png"))

    # 联建方案: generate, then the units are on the map
    page.get_by_role("link", name="联建方案").first.click()
    page.get_by_role("button", name="生成联建方案").click()
    page.get_by_text("联建单元一览").wait_for(timeout=120_000)
    _wait_idle(page)
    metric = page.locator("[data-testid='stMetric']").filter(has_text="联建单元").first
    n_units = int(metric.locator("[data-testid='stMetricValue']").inner_text().strip())
    fr = _map_frame(page)
    page.wait_for_timeout(500)
    counts = fr.evaluate(_COUNT_JS)
    png = page.screenshot(path=str(shots / "joint.png"))
    assert _nonblank(png) > 10
    map_png = fr.locator(".leaflet-container").screenshot(path=str(shots / "joint_map.png"))
    assert _nonblank(map_png) > 10
    assert counts["circles"] >= N_ORGS + n_units  # orgs + one hub per unit
    assert counts["paths"] >= n_units  # member-to-hub lines (one multi-line per unit) + town polygons

    assert not dialogs, f"脚本注入被执行了：{dialogs}"
    outside = sorted({u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in ("127.0.0.1", "localhost")})
    assert outside == [], f"请求离开了本机：{outside[:10]}"
    ctx.close()
