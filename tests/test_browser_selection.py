"""The shared selection in a real browser (issue 15): headless Chromium on the demo and on a ledger built here.

* a town picked in the sidebar changes the 组织数 KPI to that town's count, the title and the map's view;
* a click on a town of the map drills down; the breadcrumb goes back up;
* a credit-code search finds the org, opens its card and zooms the map to it;
* a click on a row of the action table opens that org's card.

One server per data set for the whole module (``serve_app``); the ledger's expected numbers are counted from
the CSV written here, the demo's from the same synthetic workspace loaded in this process.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DEMO_ORGS = 400
#: (town, count) of the built ledger: the KPI after picking the town must be its count.
TOWNS = (("胜利街道", 7), ("仁和地区", 5), ("后沙峪地区", 4), ("杨镇地区", 3))
TARGET_CODE = "91110113MA01ABCD9X"

if not os.path.exists(CHROMIUM):
    pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在 / no Chromium installed", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="需要 playwright / needs playwright")
from _browser import map_frame, wait_idle  # noqa: E402
from test_serve_hosts import serve_app  # noqa: E402



def _seats() -> dict[str, tuple[float, float]]:
    """A point well inside each town of the bundled (demo) boundaries."""
    from lianxin_geo.ingest.boundaries import demo_district

    jur = demo_district().jurisdictions
    out = {}
    for name, geom in zip(jur["name"], jur.geometry):
        p = geom.representative_point()
        out[str(name)] = (float(p.x), float(p.y))
    return out


_SEATS = _seats()


def _ledger(path: Path) -> None:
    fields = ["单位名称", "统一社会信用代码", "组织类别", "行业", "所属镇街", "经度", "纬度", "从业人员数", "正式党员数",
              "党组织状态"]
    n = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        for town, count in TOWNS:
            x, y = _SEATS[town]
            for i in range(count):
                n += 1
                code = TARGET_CODE if n == 8 else f"9111011300000{n:04d}X"
                name = "北京星河瑞创智能科技有限公司" if n == 8 else f"{town}测试企业{i}号有限公司"
                w.writerow([name, code, "非公企业", "I65", town, f"{x + 0.0004 * i:.5f}", f"{y + 0.0003 * i:.5f}",
                            20 + i, i % 3, "未建立" if i % 2 else "单独建立"])


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def ledger_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sel_ledger")
    _ledger(tmp / "orgs.csv")
    with serve_app(ROOT / "app.py", ROOT, tmp / "streamlit.log", LIANXIN_GEO_ORGS=str(tmp / "orgs.csv"),
                   LIANXIN_DB=str(tmp / "app.db")) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sel_demo")
    with serve_app(ROOT / "app.py", ROOT, tmp / "streamlit.log", LIANXIN_GEO_DEMO_ORGS=str(DEMO_ORGS),
                   LIANXIN_DB=str(tmp / "app.db")) as port:
        yield f"http://127.0.0.1:{port}"


# ---------------------------------------------------------------- helpers
def _map(page, timeout: float = 120.0):
    return map_frame(page, timeout, filled=True)


def _idle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page, timeout=120_000)


def _kpi(page, label: str) -> str:
    m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return m.locator("[data-testid='stMetricValue']").inner_text()


def _wait_kpi(page, label: str, want: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        try:
            got = _kpi(page, label)
        except Exception:  # noqa: BLE001 - rerendering
            got = None
        if got == want:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{label} 应为 {want}，实际 {got}")


def _view(fr) -> dict:
    return fr.evaluate("() => { const c = window.map.getCenter(); return {lat: c.lat, lng: c.lng, "
                       "zoom: window.map.getZoom()}; }")


def _pick_town(page, town: str) -> None:
    box = page.locator('[data-testid="stMultiSelect"]').filter(has=page.get_by_text("乡镇/街道", exact=True)).first
    box.locator("input").first.click()
    page.keyboard.type(town)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(url, wait_until="domcontentloaded")
    fr = _map(page)
    _idle(page)
    return ctx, page, fr


def _demo_counts() -> dict[str, int]:
    from lianxin_geo.workspace import load_workspace

    ws = load_workspace(demo_orgs=DEMO_ORGS)
    names = ws.district.town_names
    return {names[c]: int(n) for c, n in ws.orgs["jurisdiction_code"].value_counts().items() if c in names}


# ---------------------------------------------------------------- tests
def test_town_filter_changes_the_kpi_title_and_view_on_the_ledger(browser, ledger_url):
    ctx, page, fr = _open(browser, ledger_url)
    try:
        total = sum(n for _, n in TOWNS)
        _wait_kpi(page, "组织数", f"{total:,}")
        before = _view(fr)
        town, count = TOWNS[1]
        _pick_town(page, town)
        _wait_kpi(page, "组织数", f"{count:,}")
        page.get_by_role("heading", name=f"总览 · 顺义区 › {town}").wait_for(timeout=30_000)
        page.wait_for_timeout(800)
        after = _view(fr)
        assert after["zoom"] > before["zoom"]  # zoomed in on the town
        x, y = _SEATS[town]
        assert abs(after["lng"] - x) < 0.03 and abs(after["lat"] - y) < 0.03
        # the breadcrumb goes back up to the district
        page.get_by_role("button", name="顺义区 ›").click()
        _wait_kpi(page, "组织数", f"{total:,}")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        ctx.close()


def test_town_filter_changes_the_kpi_on_the_demo_and_a_map_click_drills_down(browser, demo_url):
    counts = _demo_counts()
    ctx, page, fr = _open(browser, demo_url)
    try:
        _wait_kpi(page, "组织数", f"{sum(counts.values()):,}")
        town = "李桥镇"
        _pick_town(page, town)
        _wait_kpi(page, "组织数", f"{counts[town]:,}")
        # back up with the breadcrumb, then drill down by clicking another town on the map
        page.get_by_role("button", name="顺义区 ›").click()
        _wait_kpi(page, "组织数", f"{sum(counts.values()):,}")
        page.wait_for_timeout(800)
        other = "胜利街道"
        # a click on the town's polygon (fired on it, as a mouse click there would; org dots lie on top of it)
        assert fr.evaluate("""(name) => { let hit = null; window.map.eachLayer(l => {
            if (!hit && l.feature && l.feature.properties && l.feature.properties.name === name && l.getBounds)
              hit = l; });
            if (!hit) return false;
            hit.fire("click", {latlng: hit.getCenter ? hit.getCenter() : hit.getBounds().getCenter()}, true);
            return true; }""", other)
        _wait_kpi(page, "组织数", f"{counts[other]:,}")
        page.get_by_role("heading", name=f"总览 · 顺义区 › {other}").wait_for(timeout=30_000)
    finally:
        ctx.close()


def test_credit_code_search_finds_zooms_and_opens_the_card(browser, ledger_url):
    ctx, page, fr = _open(browser, ledger_url)
    try:
        field = page.get_by_label("查找单位", exact=False).first
        field.fill(TARGET_CODE.lower())
        field.press("Enter")
        card = page.locator(".st-key-org_card")
        card.wait_for(timeout=60_000)
        text = card.inner_text()
        assert "北京星河瑞创智能科技有限公司" in text and "覆盖状态" in text and "从业人员" in text
        assert "{" not in text  # a readable card, not JSON
        _idle(page)
        page.wait_for_timeout(800)
        v = _view(fr)
        x, y = _SEATS["仁和地区"]  # the 8th org of the ledger: the first of 仁和地区, at its seat
        assert v["zoom"] >= 14 and abs(v["lng"] - x) < 0.01 and abs(v["lat"] - y) < 0.01
        # fuzzy, part of the Chinese name
        page.get_by_role("button", name="关闭单位卡片").click()
        _idle(page)
        field = page.get_by_label("查找单位", exact=False).first
        field.fill("星河瑞创")
        field.press("Enter")
        page.locator(".st-key-org_card").wait_for(timeout=60_000)
    finally:
        ctx.close()


def test_a_row_click_opens_the_orgs_card(browser, ledger_url):
    ctx, page, _ = _open(browser, ledger_url)
    try:
        grid = page.locator(".st-key-ov_actions")
        grid.scroll_into_view_if_needed()
        grid.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the first row's selection cell
        card = page.locator(".st-key-org_card")
        card.wait_for(timeout=60_000)
        assert "测试企业" in card.inner_text() or "星河瑞创" in card.inner_text()
    finally:
        ctx.close()
