"""The Streamlit app with ``streamlit.testing.v1.AppTest``: every page runs on the demo, widgets change results.

The demo is shrunk (``LIANXIN_GEO_DEMO_ORGS``) so the whole file stays well under a minute; the
workspace is cached once for the module (``st.cache_resource`` lives in this process).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from streamlit.testing.v1 import AppTest  # noqa: E402

from lianxin_geo.ingest.demo import write_demo  # noqa: E402
from lianxin_geo.present.assets import external_urls  # noqa: E402
from lianxin_geo.present.maps import MapFilters, filter_orgs  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ("overview", "data", "joint", "routes", "coverage", "exports")
TIMEOUT = 240


@pytest.fixture(scope="module", autouse=True)
def small_demo():
    old = os.environ.get("LIANXIN_GEO_DEMO_ORGS")
    os.environ["LIANXIN_GEO_DEMO_ORGS"] = "600"
    for var in ("LIANXIN_GEO_ORGS", "LIANXIN_GEO_BUILDINGS", "LIANXIN_GEO_PARKS", "LIANXIN_GEO_CENTERS",
                "LIANXIN_GEO_BOUNDARIES"):
        os.environ.pop(var, None)
    yield
    if old is None:
        os.environ.pop("LIANXIN_GEO_DEMO_ORGS", None)
    else:
        os.environ["LIANXIN_GEO_DEMO_ORGS"] = old


def _page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"lianxin_geo/ui/{name}.py")
    return at.run(timeout=TIMEOUT)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_every_page_runs_on_the_demo():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    for name in PAGES:
        _page(at, name)
        assert not at.exception, (name, [e.value for e in at.exception])
        texts = " ".join(w.value for w in at.warning) + " ".join(c.value for c in at.caption)
        assert "演示数据（合成）" in texts and "示意边界" in texts, name  # honesty on every page
        assert at.title[0].value in ("总览", "数据", "联建方案", "指导员路线", "阵地与覆盖", "导出")


def test_max_units_changes_the_number_of_units():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _page(at, "joint")
    assert any("点击“生成联建方案”" in i.value for i in at.info)
    at.number_input(key="jt_max_units").set_value(15)
    at.button[0].click().run(timeout=TIMEOUT)
    assert not at.exception
    wide = int(_metric(at, "联建单元"))
    placed_wide = int(_metric(at, "纳入单位"))
    at.number_input(key="jt_max_units").set_value(2)
    at.button[0].click().run(timeout=TIMEOUT)
    assert not at.exception
    narrow = int(_metric(at, "联建单元"))
    placed_narrow = int(_metric(at, "纳入单位"))
    assert wide > 0
    # at most 2 units per joint org: more, smaller units for the same orgs
    assert narrow != wide
    assert narrow * 2 >= placed_narrow
    assert placed_wide > 0
    # inspecting one unit shows its members
    unit = at.selectbox(key="jt_sel").options[1]
    at.selectbox(key="jt_sel").select(unit).run(timeout=TIMEOUT)
    assert not at.exception
    assert any(unit in s.value for s in at.subheader)


def test_town_filter_changes_the_shown_count(demo_ws):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    ms = at.multiselect(key="ov_towns")
    town = ms.options[0]
    before = _map_args(at)
    ms.select(town).run(timeout=TIMEOUT)
    assert not at.exception
    after = _map_args(at)
    assert after < before
    # the map shows exactly the orgs of that town with coordinates
    assert after == _expected_points(demo_ws, town)


def _map_args(at: AppTest) -> int:
    """Number of org points in the map sent to the browser (the st_folium component's script)."""
    for c in at.get("component_instance"):
        script = getattr(c.proto, "json_args", "") or ""
        if "geo_json" in script:
            return len(re.findall(r'"precision\\?":', script))  # one property per drawn org
    raise AssertionError("没有找到地图组件 / no map component on the page")


def _expected_points(ws, town_label: str) -> int:
    """Orgs with coordinates in the town, on the same 600-org demo as the app (``LIANXIN_GEO_DEMO_ORGS``)."""
    code = ws.district.resolve_town(town_label)
    shown = filter_orgs(ws.orgs, MapFilters(towns=(code,)))
    return int((np.isfinite(shown["lon"].astype(float)) & np.isfinite(shown["lat"].astype(float))).sum())


def test_routes_and_coverage_generate():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _page(at, "routes")
    at.number_input(key="rt_per").set_value(10)
    at.button[0].click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    n10 = int(_metric(at, "指导员"))
    at.number_input(key="rt_per").set_value(20)
    at.number_input(key="rt_max").set_value(25)
    at.button[0].click().run(timeout=TIMEOUT)
    n20 = int(_metric(at, "指导员"))
    assert n10 > n20 > 0
    _page(at, "coverage")
    assert not at.exception
    k0 = at.number_input(key="cv_k")
    k0.set_value(0)
    at.button[0].click().run(timeout=TIMEOUT)
    assert _metric(at, "建议新增阵地") == "0"
    at.number_input(key="cv_k").set_value(3)
    at.button[0].click().run(timeout=TIMEOUT)
    assert 0 < int(_metric(at, "建议新增阵地")) <= 3
    _page(at, "exports")
    assert not at.exception
    at.button(key="ex_make_html").click().run(timeout=TIMEOUT)
    assert not at.exception
    plan_keys, data = at.session_state["ex_html"]
    html = data.decode("utf-8")
    assert external_urls(html) == []
    assert "示意边界" in html
    assert {k for k, _ in plan_keys} == {"routes", "coverage"}  # the plans generated on the other pages
    at.button(key="ex_make_xlsx").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    wb = openpyxl.load_workbook(io.BytesIO(at.session_state["ex_xlsx"][1]), read_only=True)
    assert "附件1" in " ".join(wb.sheetnames) and "路线单" in wb.sheetnames


def test_user_ledger_shows_no_demo_until_asked(tmp_path, monkeypatch):
    """Issue 12: with the user's orgs ledger only, no page shows demo data; 载入演示数据 fills the rest, named."""
    frame = pd.read_excel(write_demo(tmp_path / "demo", n_orgs=150, seed=5)["orgs"], dtype=str, header=1)
    user = tmp_path / "user_orgs.csv"
    frame.drop(columns=["数据来源"]).to_csv(user, index=False, encoding="utf-8-sig")
    monkeypatch.setenv("LIANXIN_GEO_ORGS", str(user))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _page(at, "data")
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    captions = " ".join(c.value for c in at.caption)
    assert "非真实台账" not in warnings + captions  # neither the demo banner nor the demo note
    assert "未提供园区台账" in captions and "未提供党群服务中心台账" in captions
    assert "注意：注意：" not in captions
    next(b for b in at.button if b.label == "载入演示数据").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    assert "演示数据（合成）" in warnings and "楼宇、园区、阵地" in warnings
    assert "未提供园区台账" not in " ".join(c.value for c in at.caption)
