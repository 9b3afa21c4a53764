"""The 全市 page (issue 16): city → district → back with AppTest on a real small city run, the role check, the demo
button, and the map in headless Chromium (non-blank, a click on a district drills down without rebuilding it).

The run is made here: a synthetic city of two districts (东城区, 朝阳区) and ``run_city`` over it, so the page reads
exactly what ``lianxin-geo city run`` writes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from streamlit.testing.v1 import AppTest  # noqa: E402

from conftest import app_env  # noqa: E402
from lianxin_geo.ingest.demo.city import write_city_demo  # noqa: E402
from lianxin_geo.pipeline.city import run_city  # noqa: E402
from lianxin_geo.present.citymap import read_city_run  # noqa: E402
from lianxin_geo.store import open_store  # noqa: E402
from lianxin_geo.store.access import User  # noqa: E402
from lianxin_geo.ui import pages_for  # noqa: E402
from lianxin_geo.ui.city import CITY_ONLY, DEMO_BUTTON, run_files  # noqa: E402
from _browser import map_frame  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = str(ROOT / "lianxin_geo" / "ui" / "city.py")
TIMEOUT = 240
DISTRICTS = ("110101", "110105")


@pytest.fixture(scope="module")
def city_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("city_run")
    write_city_demo(root / "city", n_orgs=400, seed=5, districts=list(DISTRICTS))
    run_city(root / "city", root / "run", engine="sync", time_limit_s=5, seed=0)
    return root / "run"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("city_db") / "lianxin.db"
    with open_store(path) as store:
        store.add_user("admin1", "admin", password="admin-pass-123")
        store.add_user("town1", "town", towns=("110105001",), password="town-pass-123")
    return path


def _as(at: AppTest, user: User | None) -> AppTest:
    if user is not None:
        at.session_state["auth_user"] = user
        at.session_state["auth_last_activity"] = time.time()
    return at


def _subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_city_then_district_then_back(city_run, db, monkeypatch):
    app_env(monkeypatch, db, 300)
    monkeypatch.setenv("LIANXIN_CITY_RUN", str(city_run))
    doc = json.loads((city_run / "city.json").read_text(encoding="utf-8"))
    run = read_city_run(city_run)
    at = _as(AppTest.from_file(PAGE, default_timeout=TIMEOUT), User("admin1", "admin", ())).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "全市"
    assert any("演示数据（合成） / 镇街边界为示意" in w.value for w in at.warning)
    assert _metric(at, "组织数") == f"{doc['city']['orgs']:,}"
    assert _metric(at, "组织覆盖率") == f"{doc['city']['org_coverage_rate']:.1%}"
    table = at.dataframe[0].value
    assert table["区"].tolist() == ["东城区", "朝阳区"]
    assert table["联建单位"].tolist() == [d["plans"]["joint_units"] for d in doc["city"]["districts"]]
    assert [b.label for b in at.button][:3] == ["北京市", "（点击地图上的区）", "↩ 返回上一级"]
    assert "全市汇总.xlsx" in " ".join(m.value for m in at.markdown)  # the run's own files at the city level
    # down to 朝阳区 (the sidebar's picker, as a map click or a table row does through set_district)
    at.selectbox(key="city_pick").set_value("110105").run()
    assert not at.exception, [e.value for e in at.exception]
    chaoyang = run.district("110105")
    assert _subheaders(at)[:2] == ["朝阳区各镇街组织覆盖率", "朝阳区各镇街"]
    assert _metric(at, "组织数") == f"{chaoyang.orgs:,}"
    towns = at.dataframe[0].value
    assert towns.columns[0] == "镇街" and towns["镇街"].tolist() == [t.name for t in chaoyang.children]
    assert [b.label for b in at.button][:2] == ["北京市 ›", "朝阳区"]
    # the district's run files, from its manifest, each a download
    files = run_files(city_run / "districts" / "110105")
    assert files and any(f["name"] == "tables.xlsx" for f in files)
    assert len([b for b in at.get("download_button")]) == len(files)
    # back up: 返回上一级 returns to the city, and the picker follows
    at.button(key="city_back").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _subheaders(at)[0] == "组织覆盖率地图（点击区进入该区的镇街）"
    assert at.selectbox(key="city_pick").value == "" and at.dataframe[0].value["区"].tolist() == ["东城区", "朝阳区"]
    # down again, then up with the breadcrumb
    at.selectbox(key="city_pick").set_value("110101").run()
    assert _subheaders(at)[0] == "东城区各镇街组织覆盖率"
    at.button(key="city_crumb_0").click().run()
    assert _subheaders(at)[0] == "组织覆盖率地图（点击区进入该区的镇街）"


def test_a_partial_run_says_so_and_changed_files_are_not_offered(city_run, db, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    shutil.copytree(city_run, run_dir)
    doc = json.loads((run_dir / "city.json").read_text(encoding="utf-8"))
    doc["partial"] = True
    doc["failures"] = [{"key": "110105001", "label": "建外街道", "reason": "路线求解失败", "district": "朝阳区"}]
    doc["city"]["districts"][1].update(partial=True, failures=doc["failures"])
    (run_dir / "city.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with (run_dir / "districts" / "110105" / "tables.xlsx").open("ab") as fh:
        fh.write(b"changed after the run")
    app_env(monkeypatch, db, 300)
    monkeypatch.setenv("LIANXIN_CITY_RUN", str(run_dir))
    at = _as(AppTest.from_file(PAGE, default_timeout=TIMEOUT), User("admin1", "admin", ())).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("部分结果" in w.value and "朝阳区 建外街道：路线求解失败" in w.value for w in at.warning)
    at.selectbox(key="city_pick").set_value("110105").run()
    assert any("运行文件与清单不符" in w.value and "tables.xlsx" in w.value for w in at.warning)
    assert not list(at.get("download_button"))
    at.selectbox(key="city_pick").set_value("110101").run()  # the other district's files are intact
    assert len(list(at.get("download_button"))) == len(run_files(run_dir / "districts" / "110101"))


def test_a_town_user_cannot_open_the_page(city_run, db, monkeypatch):
    app_env(monkeypatch, db, 300)
    monkeypatch.setenv("LIANXIN_CITY_RUN", str(city_run))
    for user in (User("town1", "town", ("110105001",)), User("viewer1", "viewer", ("110105001",))):
        at = _as(AppTest.from_file(PAGE, default_timeout=TIMEOUT), user).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [e.value for e in at.error] == [CITY_ONLY]
        assert not at.title and not at.dataframe and not at.metric
        assert "city.py" not in [p[0] for p in pages_for(user)]
    assert "city.py" in [p[0] for p in pages_for(User("admin1", "admin", ()))]
    assert "city.py" in [p[0] for p in pages_for(None)]  # single-user mode: the whole area
    with open_store(db) as store:
        assert store.audit(what="page_refused", user="town1")[-1]["outcome"] == "refused"
    # the navigation of a logged-in town user has no 全市 page
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="login_name").input("town1")
    at.text_input(key="login_password").input("town-pass-123")
    next(b for b in at.button if b.label == "登录").click()
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("lianxin_geo/ui/city.py")
        at.run(timeout=TIMEOUT)


def test_the_demo_button_writes_a_labelled_synthetic_city(tmp_path, monkeypatch):
    monkeypatch.setenv("LIANXIN_DB", str(tmp_path / "empty.db"))  # no accounts: single-user mode
    monkeypatch.delenv("LIANXIN_CITY_RUN", raising=False)
    monkeypatch.setenv("LIANXIN_CITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LIANXIN_CITY_DEMO_ORGS", "320")
    monkeypatch.setenv("LIANXIN_SCHEDULER", "sync")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.dataframe and any(b.label == DEMO_BUTTON for b in at.button)
    next(b for b in at.button if b.label == DEMO_BUTTON).click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == 16 and int(table["组织数"].sum()) == 320
    assert table["联建单位"].notna().all()  # a real city run: every district has its plans
    assert any("演示数据（合成） / 镇街边界为示意" in w.value for w in at.warning)
    assert (tmp_path / "cache" / "demo-320-20170602" / "run" / "city.json").is_file()
    again = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()  # the next session finds it made
    assert not again.exception and len(again.dataframe[0].value) == 16


# ------------------------------------------------------------------------------------------------ the browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _map_frame(page, timeout: float = 120.0):
    return map_frame(page, timeout, filled=False)


def _colours(png: bytes) -> int:
    """Distinct colours of a screenshot (a blank map has one or two)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return len(img.getcolors(maxcolors=1 << 24) or ())


@pytest.mark.browser
@pytest.mark.slow
def test_the_city_map_renders_and_a_click_drills_down(city_run, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在 / no Chromium installed")
    playwright_api = pytest.importorskip("playwright.sync_api")
    from _browser import wait_idle
    from test_serve_hosts import serve_app

    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log", LIANXIN_CITY_RUN=str(city_run),
                   LIANXIN_DB=str(tmp_path / "app.db")) as port, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        url = f"http://127.0.0.1:{port}/city"
        warm = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        warm.goto(url, wait_until="domcontentloaded")
        _map_frame(warm)
        wait_idle(warm)
        warm.context.close()
        page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        t0 = time.perf_counter()
        page.goto(url, wait_until="domcontentloaded")
        fr = _map_frame(page)
        fr.wait_for_function("() => document.querySelectorAll('canvas, path').length > 0", timeout=30_000)
        first_map_s = time.perf_counter() - t0
        print(f"first city map after warm: {first_map_s:.2f} s; screenshots in {tmp_path}")
        wait_idle(page)
        page.wait_for_timeout(500)
        frame_el = page.locator("iframe[title*='st_folium']").first
        frame_el.scroll_into_view_if_needed()
        shot = frame_el.screenshot(path=str(tmp_path / "city_map.png"))
        assert _colours(shot) > 20, "地图是空白的"
        assert page.locator("[data-testid='stException']").count() == 0
        # a click on 东城区 (fired on its polygon, as a mouse click there would) drills down; the frame stays
        fr.evaluate("() => { window.__lx_same_frame = true; }")
        assert fr.evaluate("""(name) => { let hit = null; window.map.eachLayer(l => {
            if (!hit && l.feature && l.feature.properties && l.feature.properties.name === name && l.getBounds)
              hit = l; });
            if (!hit) return false;
            hit.fire("click", {latlng: hit.getBounds().getCenter()}, true);
            return true; }""", "东城区")
        page.get_by_role("heading", name="东城区各镇街组织覆盖率").wait_for(timeout=60_000)
        wait_idle(page)
        fr.wait_for_function("() => window.__lx_fg.length === 1", timeout=30_000)
        assert fr.evaluate("() => window.__lx_same_frame === true")  # the towns came in, the map was not rebuilt
        page.wait_for_timeout(800)
        zoomed = fr.evaluate("() => window.map.getZoom()")
        frame_el.screenshot(path=str(tmp_path / "district_map.png"))
        page.get_by_role("button", name="北京市 ›").click()
        page.get_by_role("heading", name="组织覆盖率地图（点击区进入该区的镇街）").wait_for(timeout=60_000)
        fr.wait_for_function("() => window.__lx_fg.length === 0", timeout=30_000)
        page.wait_for_timeout(800)
        assert fr.evaluate("() => window.map.getZoom()") < zoomed
        browser.close()
