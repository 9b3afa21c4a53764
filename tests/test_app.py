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


def _submit(at: AppTest, label: str) -> AppTest:
    """Click the form's submit button ``label`` (the breadcrumb's buttons come first on a map page)."""
    return next(b for b in at.button if b.label == label).click().run(timeout=TIMEOUT)


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
    _submit(at, "生成联建方案")
    assert not at.exception
    wide = int(_metric(at, "联建单元"))
    placed_wide = int(_metric(at, "纳入单位"))
    at.number_input(key="jt_max_units").set_value(2)
    _submit(at, "生成联建方案")
    assert not at.exception
    narrow = int(_metric(at, "联建单元"))
    placed_narrow = int(_metric(at, "纳入单位"))
    assert wide > 0
    # at most 2 units per joint org: more, smaller units for the same orgs
    assert narrow != wide
    assert narrow * 2 >= placed_narrow
    assert placed_wide > 0
    # inspecting one unit shows its card: readable rows, its members by name, no JSON
    unit = at.selectbox(key="jt_sel").options[1]
    at.selectbox(key="jt_sel").select(unit).run(timeout=TIMEOUT)
    assert not at.exception
    card = [m.value for m in at.markdown if "联建单元" in m.value or "成员单位" in m.value]
    assert any(unit in c for c in card) and any("**成员单位**" in c for c in card), card
    assert not at.json  # no raw JSON anywhere on the page
    # a town filter narrows the units and the KPI to that town
    at.multiselect(key="sel_towns").select(at.multiselect(key="sel_towns").options[0]).run(timeout=TIMEOUT)
    assert not at.exception
    assert int(_metric(at, "联建单元")) < narrow


def test_town_filter_changes_the_shown_count(demo_ws):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    ms = at.multiselect(key="sel_towns")
    town = ms.options[0]
    before = _map_args(at)
    assert _metric(at, "组织数") == f"{len(demo_ws.orgs):,}"
    ms.select(town).run(timeout=TIMEOUT)
    assert not at.exception
    after = _map_args(at)
    assert after < before
    # the map shows exactly the orgs of that town with coordinates
    assert after == _expected_points(demo_ws, town)
    # the KPI is the town's count, the title names it
    code = demo_ws.district.resolve_town(town)
    assert _metric(at, "组织数") == f"{int((demo_ws.orgs['jurisdiction_code'] == code).sum()):,}"
    assert demo_ws.district.town_names[code] in at.title[0].value
    # the same selection on another page: its title names it too
    _page(at, "coverage")
    assert demo_ws.district.town_names[code] in at.title[0].value
    # the breadcrumb goes back up to the district
    _page(at, "overview")
    next(b for b in at.button if b.label.endswith("›")).click().run(timeout=TIMEOUT)
    assert _metric(at, "组织数") == f"{len(demo_ws.orgs):,}"


def test_a_credit_code_search_opens_the_card(demo_ws):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    org = demo_ws.orgs.iloc[7]
    at.text_input(key="ov_search").set_value(str(org["credit_code"]).lower()).run(timeout=TIMEOUT)
    assert not at.exception
    assert at.session_state["focus_org"] == str(org["id"])
    card = " ".join(m.value for m in at.markdown)
    assert str(org["name"]) in card and "**覆盖状态**" in card and "**从业人员**" in card


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
    _submit(at, "生成路线")
    assert not at.exception, [e.value for e in at.exception]
    n10 = int(_metric(at, "指导员"))
    at.number_input(key="rt_per").set_value(20)
    at.number_input(key="rt_max").set_value(25)
    _submit(at, "生成路线")
    n20 = int(_metric(at, "指导员"))
    assert n10 > n20 > 0
    # the filters act on the routes: one town's instructors only, the rest of the district out of the table
    town = at.multiselect(key="sel_towns").options[0]
    at.multiselect(key="sel_towns").select(town).run(timeout=TIMEOUT)
    assert not at.exception
    assert 0 < int(_metric(at, "指导员")) < n20
    routes_tab = next(d.value for d in at.dataframe if "指导员" in d.value.columns and "里程（公里）" in d.value.columns)
    assert set(routes_tab["镇街"]) == {town}
    at.multiselect(key="sel_towns").set_value([]).run(timeout=TIMEOUT)
    _page(at, "coverage")
    assert not at.exception
    k0 = at.number_input(key="cv_k")
    k0.set_value(0)
    _submit(at, "计算覆盖与选址")
    assert _metric(at, "建议新增阵地") == "0"
    at.number_input(key="cv_k").set_value(3)
    _submit(at, "计算覆盖与选址")
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
    frame = pd.read_excel(write_demo(tmp_path / "demo", n_orgs=150, seed=5)["orgs"], dtype=str, header=1, engine="openpyxl")
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


def test_a_community_narrows_the_kpi_to_its_orgs(demo_ws):
    from lianxin_geo.present.selection import community_orgs, community_table

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    com = community_table(demo_ws.district)
    counts = {c: int(community_orgs(demo_ws.orgs, demo_ws.district, c).sum()) for c in com["code"]}
    code = max(counts, key=counts.get)  # the community with most orgs of the demo
    town = str(com.loc[com["code"] == code, "town_code"].iloc[0])
    at.multiselect(key="sel_towns").set_value([town]).run(timeout=TIMEOUT)
    box = at.selectbox(key="sel_community")
    assert len(box.options) == 1 + int((com["town_code"] == town).sum())  # every community of the town is listed
    box.set_value(code).run(timeout=TIMEOUT)
    assert not at.exception
    assert _metric(at, "组织数") == f"{counts[code]:,}" and counts[code] > 0
    name = str(com.loc[com["code"] == code, "name"].iloc[0])
    assert at.title[0].value.endswith(name)
