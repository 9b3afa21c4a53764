"""驾驶舱 (lianxin_geo.ui.cockpit): the big-screen page — KPIs of the selection, the town chart, the progress since
the last round — with AppTest on a database of two demo rounds, and a 1920×1080 screenshot in headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from streamlit.testing.v1 import AppTest  # noqa: E402

from _browser import wait_idle  # noqa: E402
from conftest import app_env  # noqa: E402
from lianxin_geo.ingest.demo import write_demo  # noqa: E402
from lianxin_geo.present.selection import Selection  # noqa: E402
from lianxin_geo.store import import_files, open_store  # noqa: E402
from lianxin_geo.ui.cockpit import baseline, progress_rows  # noqa: E402
from lianxin_geo.workspace import load_workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 300
N_ORGS = 300


def test_progress_rows_weight_town_rates_by_orgs():
    rounds = [SimpleNamespace(name="2026-06", orgs=30, district={"org_coverage_rate": 0.1, "single_rate": 0.05,
                                                                 "work_coverage_rate": 0.5}),
              SimpleNamespace(name="2026-11", orgs=40, district={"org_coverage_rate": 0.2, "single_rate": 0.1,
                                                                 "work_coverage_rate": 0.6})]
    tr = pd.DataFrame({"round": ["2026-06", "2026-06", "2026-11", "2026-11", "2026-11"],
                       "code": ["1", "2", "1", "2", "3"], "orgs": [10, 30, 10, 30, 50],
                       "org_coverage_rate": [0.0, 0.4, 0.5, 0.5, 1.0], "single_rate": [0.0, 0.2, 0.1, 0.3, 1.0],
                       "work_coverage_rate": [1.0, 0.5, None, 0.6, 1.0]})
    rows = progress_rows(rounds, tr, ("1", "2"))
    assert [r["orgs"] for r in rows] == [40, 40]
    assert rows[0]["org_coverage_rate"] == pytest.approx(0.3)  # (0*10 + 0.4*30) / 40, town 3 left out
    assert rows[1]["work_coverage_rate"] == pytest.approx(0.6)  # the town without a rate is not counted as 0
    whole = progress_rows(rounds, pd.DataFrame(), ())
    assert whole[1] == {"round": "2026-11", "orgs": 40, "org_coverage_rate": 0.2, "single_rate": 0.1,
                        "work_coverage_rate": 0.6}
    # the KPIs compare with the round before the chosen one, or (loaded files) with the latest round
    assert baseline(whole, "2026-11")["round"] == "2026-06"
    assert baseline(whole, "2026-06") is None
    assert baseline(whole, None)["round"] == "2026-11"
    assert baseline([], None) is None


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cockpit")
    path = root / "lianxin.db"
    for name in ("2026-06", "2026-11"):
        write_demo(root / name, n_orgs=N_ORGS, seed=11, round=name)
        with open_store(path) as store:
            import_files(store, name, **{k: str(root / name / f"{k}.xlsx")
                                         for k in ("orgs", "buildings", "parks", "centers")})
    return path


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_cockpit_follows_the_selection_and_shows_progress(db, monkeypatch):
    app_env(monkeypatch, db, N_ORGS)
    ws = load_workspace(demo_orgs=N_ORGS, demo=True)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("lianxin_geo/ui/cockpit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "驾驶舱"
    assert int(_metric(at, "组织数").replace(",", "")) == len(ws.orgs)
    assert any(s.value.startswith("自上轮以来（2026-06 → 2026-11）") for s in at.subheader)
    assert any("与 2026-11 轮次相比" in c.value for c in at.caption)  # loaded files: compared with the latest
    assert len(at.get("vega_lite_chart")) == 3  # three rates, towns, rounds
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载地图（PNG）", "下载幻灯片（PPTX）", "下载表格（xlsx）"]
    town = ws.orgs["jurisdiction_code"].astype(str).value_counts().index[0]
    n_town = int((ws.orgs["jurisdiction_code"].astype(str) == town).sum())
    at.session_state["selection"] = Selection(towns=(town,))
    at.session_state["selection_pending"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert int(_metric(at, "组织数").replace(",", "")) == n_town < len(ws.orgs)
    assert ws.district.town_names[town] in at.title[0].value


@pytest.mark.browser
@pytest.mark.slow
def test_cockpit_fits_a_1920x1080_screen(db, tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("没有可用的浏览器 /usr/bin/chromium / no Chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_serve_hosts import serve_app

    shots = Path(os.environ.get("LIANXIN_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log", LIANXIN_DB=str(db),
                   LIANXIN_GEO_DEMO_ORGS=str(N_ORGS)) as port, sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = b.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
        page.goto(f"http://127.0.0.1:{port}/cockpit", wait_until="domcontentloaded")
        page.get_by_role("heading", name="驾驶舱").first.wait_for(timeout=120_000)
        page.wait_for_function("() => document.querySelectorAll('.vega-embed').length >= 3", timeout=120_000)
        wait_idle(page, timeout=120_000)
        page.wait_for_timeout(2500)
        page.screenshot(path=str(shots / "cockpit_1920x1080.png"))
        assert page.locator("[data-testid='stException']").count() == 0
        width = 1920
        # the six KPIs are on the first screen, side by side, none cut off
        boxes = [m.bounding_box() for m in page.locator("[data-testid='stMetric']").all()]
        assert len(boxes) == 6
        assert all(bx["x"] >= 0 and bx["x"] + bx["width"] <= width and bx["y"] + bx["height"] <= 1080
                   for bx in boxes)
        assert all(not page.locator("[data-testid='stMetricValue']").nth(i).evaluate(
            "e => e.scrollWidth > e.clientWidth + 1") for i in range(6)), "指标数字被截断"
        # the map and the two charts start on the first screen and stay inside its width
        frame = page.locator("iframe").first.bounding_box()
        charts = [c.bounding_box() for c in page.locator(".vega-embed").all()]
        assert frame["y"] < 1080 and frame["x"] + frame["width"] <= width
        assert charts[0]["y"] < 1080 and charts[1]["y"] < 1080
        assert all(c["x"] + c["width"] <= width + 1 for c in charts)
        # the screen export hands out real files (built on click, in the server)
        page.get_by_text("导出当前画面").first.click()
        got = {}
        for label, suffix in (("下载地图（PNG）", ".png"), ("下载幻灯片（PPTX）", ".pptx"), ("下载表格（xlsx）", ".xlsx")):
            page.get_by_role("button", name=label.replace("下载", "生成")).click()
            button = page.get_by_role("button", name=label)
            page.wait_for_function("(el) => !el.disabled", arg=button.element_handle(), timeout=180_000)
            with page.expect_download(timeout=180_000) as dl:
                button.click()
            path = tmp_path / f"shot{suffix}"
            dl.value.save_as(path)
            assert dl.value.suggested_filename.startswith("驾驶舱_顺义区") and dl.value.suggested_filename.endswith(suffix)
            got[suffix] = path.read_bytes()
        b.close()
    assert got[".png"][:8] == b"\x89PNG\r\n\x1a\n"
    import io

    import openpyxl
    from pptx import Presentation

    assert len(Presentation(io.BytesIO(got[".pptx"])).slides) == 1 + 3  # title + map + two chosen charts
    sheet = openpyxl.load_workbook(io.BytesIO(got[".xlsx"])).worksheets[0]
    names = {c.value for row in sheet.iter_rows() for c in row}
    ws = load_workspace(demo_orgs=N_ORGS, demo=True)
    assert set(ws.district.town_names.values()) <= names
