"""The shared selection (issue 15), pure: masks, the assessment seen through it, labels, breadcrumb, bounds,
communities from the gazetteer; the search, the cards, the map's click targets and selection script.

Everything runs on a hand-built ledger in a three-box district (甲街道 west, 乙镇 east, 丙镇 north), where each
expected number can be counted by hand.
"""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import ledger_org, make_box_district
from lianxin_geo.assessment import assess
from lianxin_geo.core.policy import load_profile
from lianxin_geo.plan.routes.params import InstructorParams
from lianxin_geo.plan.routes.result import InstructorPlan
from lianxin_geo.present import maps
from lianxin_geo.present.layers import stop_offsets
from lianxin_geo.present.selection import (
    Selection,
    community_name_key,
    community_orgs,
    community_table,
    select_assessment,
    selected_plan,
    selected_units,
    selection_bounds,
)

JIA, YI, BING = "110113001", "110113101", "110113102"


def _district():
    d = make_box_district()
    d.communities = pd.DataFrame({
        "code": ["110113001201", "110113001002", "110113101203"],
        "name": ["幸福村委会", "花园社区居民委员会", "东庄村委会"],
        "town_code": [JIA, JIA, YI],
        "lon": [116.60, None, None], "lat": [40.10, None, None]})
    return d


def _orgs() -> pd.DataFrame:
    rows = []
    # 甲街道: 4 enterprises (2 covered by their own org), 2 social orgs (none covered); 3 of them in 幸福村
    for i in range(4):
        rows.append(ledger_org(id=f"J{i}", name=f"甲企业{i}号有限公司", credit_code=f"91110113JIA00000{i}X",
                               industry="I 信息传输、软件和信息技术服务业", address=f"顺义区甲街道幸福村{i}号" if i < 3
                               else "顺义区甲街道花园路1号", party_status="单独建立" if i < 2 else "未建立",
                               members=3 if i < 2 else 0, jurisdiction_code=JIA,
                               lon=116.595 + 0.002 * i, lat=40.10 + 0.001 * i))
    for i in range(2):
        rows.append(ledger_org(id=f"S{i}", name=f"甲社会组织{i}", kind="社会组织", industry="S 公共管理、社会保障和社会组织",
                               credit_code=f"52110113SOC00000{i}Y", address="顺义区甲街道花园路2号",
                               jurisdiction_code=JIA, lon=116.60, lat=40.12))
    # 乙镇: 3 enterprises, one joint-covered, all in manufacturing
    for i in range(3):
        rows.append(ledger_org(id=f"Y{i}", name=f"北京瑞创智能科技{i}有限公司" if i == 0 else f"乙制造{i}厂",
                               credit_code=f"91110113YIZ00000{i}Z", industry="C 制造业",
                               address=f"顺义区乙镇东庄村{i}号", party_status="联合建立" if i == 0 else "未建立",
                               joint_org_id="LH1" if i == 0 else None, members=1 if i == 0 else 0,
                               jurisdiction_code=YI, lon=116.62, lat=40.11 + 0.002 * i))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def world():
    d = _district()
    orgs = _orgs()
    a = assess(orgs, district=d, assessed_on=pd.Timestamp("2026-01-01").date())
    ws = SimpleNamespace(district=d, orgs=orgs)
    return ws, a


def test_an_empty_selection_is_everything(world):
    ws, a = world
    sel = Selection()
    assert sel.is_all()
    assert sel.org_mask(ws.orgs).all()
    assert select_assessment(a, sel, ws) is a
    assert sel.label(ws) == "测试区"
    assert selection_bounds(ws, sel) == pytest.approx(ws.district.bounds)


def test_masks_by_town_kind_industry_and_status(world):
    ws, a = world
    assert Selection(towns=(JIA,)).org_mask(ws.orgs).sum() == 6
    assert Selection(towns=(JIA, YI), kinds=("社会组织",)).org_mask(ws.orgs).sum() == 2
    assert Selection(industries=("C",)).org_mask(ws.orgs).sum() == 3  # a section letter
    assert Selection(statuses=("单独建立",)).org_mask(ws.orgs, a.orgs).sum() == 2
    assert Selection(statuses=("联合建立",)).org_mask(ws.orgs, a.orgs).tolist() == [False] * 6 + [True, False, False]
    assert Selection(towns=(BING,)).org_mask(ws.orgs).sum() == 0
    assert Selection(towns=YI).towns == (YI,)  # a lone string is one town, not its characters


def test_the_assessment_through_a_town_selection_has_that_towns_numbers(world):
    ws, a = world
    v = select_assessment(a, Selection(towns=(JIA,)), ws)
    total = v.district_summary.set_index("org_kind").loc["合计"]
    assert int(total["orgs"]) == 6  # the KPI is the town's org count, not the district's 9
    assert total["org_coverage_rate"] == pytest.approx(2 / 6)
    assert v.jurisdictions["code"].tolist() == [JIA]
    assert set(v.orgs["id"]) == {"J0", "J1", "J2", "J3", "S0", "S1"}
    assert set(v.actions["org_id"]) <= set(v.orgs["id"]) and len(v.actions)
    ent = v.district_summary.set_index("org_kind").loc["非公企业"]
    assert int(ent["orgs"]) == 4 and ent["org_coverage_rate"] == pytest.approx(0.5)
    assert v.district_summary["name"].iloc[0] == "测试区 › 甲街道"
    # the whole district is untouched
    assert int(a.district_summary.set_index("org_kind").loc["合计", "orgs"]) == 9


def test_a_kind_filter_recomputes_the_town_rows(world):
    ws, a = world
    v = select_assessment(a, Selection(kinds=("社会组织",)), ws)
    j = v.jurisdictions.set_index("code")
    assert int(j.loc[JIA, "orgs"]) == 2 and int(j.loc[YI, "orgs"]) == 0
    assert int(v.district_summary.set_index("org_kind").loc["合计", "orgs"]) == 2


def test_communities_come_from_the_gazetteer_by_name(world):
    ws, a = world
    assert community_name_key("幸福村委会") == "幸福村"
    assert community_name_key("花园社区居民委员会") == "花园"
    assert community_name_key("东庄村委会") == "东庄村"
    assert community_orgs(ws.orgs, ws.district, "110113001201").sum() == 3
    # 花园 matches the 花园路 addresses of 甲街道 only, never another town's
    assert set(ws.orgs.loc[community_orgs(ws.orgs, ws.district, "110113001002"), "id"]) == {"J3", "S0", "S1"}
    tab = community_table(ws.district, [JIA])
    assert tab["name"].tolist() == ["幸福村委会", "花园社区居民委员会"]
    assert tab["located"].tolist() == [True, False]  # listed even without coordinates
    assert tab["town"].tolist() == ["甲街道", "甲街道"]
    with pytest.raises(ValueError, match="社区"):
        Selection(community="110113001201").org_mask(ws.orgs)


def test_community_selection_label_crumbs_and_numbers(world):
    ws, a = world
    sel = Selection(community="110113001201", kinds=("非公企业",), statuses=("未覆盖",))
    assert sel.town_codes(ws) == (JIA,)
    assert sel.label(ws) == "测试区 › 甲街道 › 幸福村委会 · 非公企业 · 未覆盖"
    crumbs = sel.crumbs(ws)
    assert [c[0] for c in crumbs] == ["测试区", "甲街道", "幸福村委会"]
    assert crumbs[1][1] == Selection(towns=(JIA,), kinds=("非公企业",), statuses=("未覆盖",))
    assert crumbs[0][1].towns == () and crumbs[0][1].community is None
    assert sel.up() == Selection(kinds=("非公企业",), statuses=("未覆盖",))
    v = select_assessment(a, Selection(community="110113001201"), ws)
    assert set(v.orgs["id"]) == {"J0", "J1", "J2"}
    assert v.jurisdictions["code"].tolist() == [JIA]
    assert int(v.jurisdictions["orgs"].iloc[0]) == 3


def test_bounds_zoom_to_the_community_or_the_towns(world):
    ws, _ = world
    b = selection_bounds(ws, Selection(towns=(YI,)))
    assert b == pytest.approx((116.61, 40.09, 116.63, 40.13))
    both = selection_bounds(ws, Selection(towns=(JIA, YI)))
    assert both == pytest.approx((116.59, 40.09, 116.63, 40.13))
    c = selection_bounds(ws, Selection(community="110113001201"))  # its point and its three orgs, padded
    assert c[0] < 116.595 < 116.599 < c[2] < 116.61 and c[1] < 40.10 < c[3] < 40.11
    # no coordinates and no org matching: the town
    lone = dataclasses.replace(ws.district)
    ws2 = SimpleNamespace(district=lone, orgs=ws.orgs.iloc[0:0])
    assert selection_bounds(ws2, Selection(community="110113101203")) == pytest.approx(b)


def test_many_towns_are_named_shortly(world):
    ws, _ = world
    assert Selection(towns=(JIA, YI)).label(ws) == "测试区 › 甲街道、乙镇"
    assert Selection(towns=(JIA,), industries=("C",)).label(ws) == "测试区 › 甲街道 · C 制造业"
    assert Selection(towns=(JIA,)).drill(YI) == Selection(towns=(YI,))


def test_search_finds_by_credit_code_and_fuzzy_chinese_name(world):
    from lianxin_geo.ui.search import find_orgs, normalize_query

    ws, _ = world
    hit = find_orgs(ws.orgs, "91110113yiz000000z")  # lower case: still the code
    assert hit["id"].tolist() == ["Y0"] and hit["score"].iloc[0] == 100
    assert find_orgs(ws.orgs, "91110113JIA")["id"].tolist()[:4] == ["J0", "J1", "J2", "J3"]  # a code prefix
    assert find_orgs(ws.orgs, "瑞创智能")["id"].iloc[0] == "Y0"  # part of a long Chinese name
    assert find_orgs(ws.orgs, "瑞創智能科技")["id"].iloc[0] == "Y0"  # one traditional character off
    assert find_orgs(ws.orgs, "ｊｉａ")["id"].tolist() == []  # full-width folds, but no name has it
    assert normalize_query("ＡＢ 1（北京）") == "AB1北京"
    assert find_orgs(ws.orgs, "甲企业2号")["id"].iloc[0] == "J2"
    assert find_orgs(ws.orgs, "完全不相干的名字").empty


def test_org_card_is_readable_chinese_with_actions_and_clauses(world):
    from lianxin_geo.ui.cards import org_rows

    ws, a = world
    rows = dict(org_rows(ws, "J2", assessment=a))
    assert rows["单位名称"] == "甲企业2号有限公司"
    assert rows["覆盖状态"].startswith("未覆盖")
    assert rows["正式党员"] == "0 名" and rows["从业人员"] == "10 人"
    assert rows["所在楼宇"] == "—"
    acts = [t for k, t in org_rows(ws, "J2", assessment=a) if k == "措施"]
    assert acts and all("依据" in t for t in acts)
    text = " ".join(f"{k}{v}" for k, v in org_rows(ws, "Y0", assessment=a))
    assert "联合建立" in text and "LH1" in text and "{" not in text
    assert org_rows(ws, "nope", assessment=a) == []


def test_unit_and_route_cards_are_rows_not_json():
    from lianxin_geo.ui.cards import route_rows, unit_rows

    unit = SimpleNamespace(unit_id="LJ-1", jurisdiction_code=JIA, jurisdiction_codes=[JIA], form="区域联建",
                           industry="制造业", hub_name="甲企业0号有限公司", org_ids=["J0", "J2"], members=3,
                           employees=20, radius_m=812.4, venue_name=None, venue_type=None, venue_distance_m=None,
                           reason="同一楼宇")
    orgs = _orgs()
    rows = dict(unit_rows(unit, {JIA: "甲街道"}, orgs))
    assert rows["镇街"] == "甲街道" and rows["半径"] == "812 米" and rows["建议活动场所"] == "—"
    assert rows["成员单位"] == "甲企业0号有限公司、甲企业2号有限公司"
    route = SimpleNamespace(route_id="R1-1", instructor_id="R1", instructor="张三", instructor_kind="现有", day=2,
                            days=2, town_name="甲街道", org_ids=["J0", "J2"], length_km=12.34, minutes=95.2,
                            note="")
    stops = pd.DataFrame({"route_id": ["R1-1", "R1-1", "R9"], "order": [1, 0, 0],
                          "name": ["乙", "甲", "丙"]})
    r = dict(route_rows(route, stops))
    assert r["安排"] == "第 2/2 天" and r["里程"] == "12.3 公里" and r["用时"] == "约 95 分钟"
    assert r["走访顺序"] == "1. 甲 → 2. 乙"


def test_stops_on_one_spot_are_set_apart():
    off = stop_offsets([1.0, 1.0, 1.0, 2.0], [5.0, 5.0, 5.0, 5.0])
    assert off[0] == (0.0, 0.0) and off[3] == (0.0, 0.0)
    assert off[1] != off[2] and all(np.hypot(*o) >= 13.9 for o in off[1:3])


def test_a_click_names_a_town_or_an_org(world):
    from lianxin_geo.ui.widgets import clicked_target

    ws, _ = world
    assert clicked_target(ws, "乡镇/街道 乙镇 覆盖率 33.3%", {"lat": 40.12, "lng": 116.62}) == ("town", YI)
    # a density hexagon: the town under the point
    assert clicked_target(ws, "两新组织 5 家 其中未覆盖 2 家", {"lat": 40.14, "lng": 116.60}) == ("town", BING)
    assert clicked_target(ws, "乡镇/街道 甲街道 覆盖率 —") == ("town", JIA)
    assert clicked_target(ws, "北京瑞创智能科技0有限公司") == ("org", "Y0")
    assert clicked_target(ws, "某服务中心") is None


def test_the_selection_script_swaps_layers_refills_the_legend_and_zooms(world):
    from lianxin_geo.ui.widgets import selection_script

    ws, a = world
    ws_full = SimpleNamespace(district=ws.district, orgs=ws.orgs, buildings=pd.DataFrame(), parks=pd.DataFrame(),
                              centers=pd.DataFrame(), data_notes=[])
    sl = maps.selection_layers(ws_full, layers=("boundaries", "orgs"), assessment=a,
                               filters=maps.MapFilters(towns=(YI,)), target=0.9, highlight="Y0")
    assert sl.counts == {"联合建立": 1, "未覆盖": 2}
    assert sl.legend_layers == ["boundaries", "orgs"]
    js = selection_script(sl, bounds=(116.61, 40.09, 116.63, 40.13))
    assert "window.__lx_ctl.removeLayer" in js and "addOverlay(feature_group_lxsel0" in js
    assert "var b=[[40.090000,116.610000],[40.130000,116.630000]];" in js and "map_div.fitBounds(b" in js
    assert "\\u672a\\u8986\\u76d6\\uff082 \\u4e2a\\uff09" in js  # 未覆盖（2 个） in the refilled legend
    names = [json.dumps(n)[1:-1] for n in ("乙制造1厂", "甲企业0号有限公司")]
    assert (names[0] in js or "乙制造1厂" in js) and not (names[1] in js or "甲企业0号有限公司" in js)
    dense = maps.selection_layers(ws_full, layers=("orgs",), assessment=a, dense_dots=False)
    assert len(dense.groups) == 1  # few orgs: dots, never left out


# ---------------------------------------------------------------- the plans seen through a selection
def _routes_plan():
    routes = pd.DataFrame({"instructor_id": ["J-01", "J-02", "Y-01"], "route_id": ["J-01", "J-02", "Y-01"],
                           "jurisdiction_code": [JIA, JIA, YI],
                           "org_ids": [("J2", "J3"), ("S0", "S1"), ("Y1", "Y2")]})
    stops = pd.DataFrame({"route_id": ["J-01", "J-01", "J-02", "J-02", "Y-01", "Y-01"],
                          "instructor_id": ["J-01", "J-01", "J-02", "J-02", "Y-01", "Y-01"],
                          "org_id": ["J2", "J3", "S0", "S1", "Y1", "Y2"]})
    unassigned = pd.DataFrame({"org_id": ["S1", "Y2"], "reason": ["无坐标", "无坐标"]})
    towns = pd.DataFrame({"jurisdiction_code": [JIA, YI], "orgs": [4, 2]})
    return InstructorPlan(routes=routes, stops=stops, unassigned=unassigned, towns=towns, stats={},
                          params=InstructorParams.from_profile(load_profile()))


def test_the_joint_units_of_a_selection(world):
    ws, a = world
    units = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "jurisdiction_code": [JIA, YI, YI],
                          "jurisdiction_codes": [(JIA,), (YI,), (YI, JIA)],  # U3 reaches over into 甲街道
                          "org_ids": [("J2", "J3"), ("Y1", "Y2"), ("Y2", "S0")]})
    plan = SimpleNamespace(units=units)

    def ids(sel):
        return selected_units(plan, ws, sel, a.orgs)["unit_id"].tolist()

    assert ids(Selection()) == ["U1", "U2", "U3"]
    assert ids(Selection(towns=(JIA,))) == ["U1", "U3"]
    assert ids(Selection(towns=(BING,))) == []
    assert ids(Selection(kinds=("社会组织",))) == ["U3"]  # a unit with at least one selected org
    assert ids(Selection(industries=("C",))) == ["U2", "U3"]


def test_the_routes_of_a_selection(world):
    ws, a = world
    plan = _routes_plan()
    assert selected_plan(plan, ws, Selection(), a.orgs) is plan
    yi = selected_plan(plan, ws, Selection(towns=(YI,)), a.orgs)
    assert yi.routes["route_id"].tolist() == ["Y-01"] and yi.stops["org_id"].tolist() == ["Y1", "Y2"]
    assert yi.unassigned["org_id"].tolist() == ["Y2"] and yi.towns["jurisdiction_code"].tolist() == [YI]
    social = selected_plan(plan, ws, Selection(kinds=("社会组织",)), a.orgs)
    assert social.routes["route_id"].tolist() == ["J-02"] and set(social.stops["org_id"]) == {"S0", "S1"}
    assert social.unassigned["org_id"].tolist() == ["S1"]
    assert len(plan.routes) == 3  # the whole plan is untouched
