"""联建方案: parameters from the profile, generate, units on the map and in a table, inspect one, unplaced orgs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.present.selection import selected_units
from lianxin_geo.ui import auth, cards, charts, search, state, widgets
from lianxin_geo.ui.engine import partial_message
from lianxin_geo.ui.screen_export import screen_export

__all__ = ["render", "size_tables", "units_table", "unit_details", "kept_table", "unit_bounds"]

_ALL = "（全部）"


def units_table(plan: JointPlan | pd.DataFrame, town_names: dict[str, str]) -> pd.DataFrame:
    """联建单元一览: one row per unit (of the plan, or the given rows of ``JointPlan.units``), Chinese headers."""
    u = plan.units if isinstance(plan, JointPlan) else plan
    return pd.DataFrame({
        "联建单元": u["unit_id"], "镇街代码": u["jurisdiction_code"],
        "镇街": [town_names.get(str(c), str(c)) for c in u["jurisdiction_code"]], "联建形式": u["form"],
        "行业": u["industry"],
        "单位数": [len(ids) for ids in u["org_ids"]], "正式党员": u["members"], "从业人员": u["employees"],
        "半径（米）": u["radius_m"].round(1), "牵头单位": u["hub_name"], "活动阵地": u["venue_name"].fillna(""),
        "成员单位编号": ["、".join(map(str, ids)) for ids in u["org_ids"]],
    })


def size_tables(plan: JointPlan) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """单元规模: units by number of orgs, by formal members (支委会 threshold from the profile), and by form."""
    dist = plan.stats.get("size_distribution", {})
    by_orgs = pd.DataFrame({"单位数": [int(k) for k in dist.get("orgs", {})],
                            "联建单元": list(dist.get("orgs", {}).values())})
    by_members = pd.DataFrame({"正式党员": [f"{k}名" for k in dist.get("members", {})],
                               "联建单元": list(dist.get("members", {}).values())})
    forms = plan.stats.get("units_by_form", {})
    by_form = pd.DataFrame({"联建形式": list(forms), "联建单元": list(forms.values())})
    return by_orgs, by_members, by_form


def kept_table(plan: JointPlan) -> pd.DataFrame:
    """现有联合党组织中不符合规则的: id, units, members, the rules broken and the suggestion (拆分/调整)."""
    k = plan.kept_units
    if not len(k) or "violations" not in k:
        return pd.DataFrame(columns=["联合党组织", "单位数", "正式党员", "问题", "建议"])
    bad = k[[len(v) > 0 for v in k["violations"]]]
    return pd.DataFrame({"联合党组织": bad["joint_org_id"], "单位数": [len(ids) for ids in bad["org_ids"]],
                         "正式党员": bad["members"],
                         "问题": ["；".join(f"{v['rule']} {v['message']}" for v in vs) for vs in bad["violations"]],
                         "建议": bad["suggestion"]})


def unit_details(unit: Any, town_names: dict[str, str]) -> pd.DataFrame:
    """One unit (a row of ``JointPlan.units``) as a two-column table."""
    venue = "" if pd.isna(unit.venue_name) else f"{unit.venue_name}（{unit.venue_type}，约 {unit.venue_distance_m:.0f} 米）"
    rows = [("镇街", town_names.get(str(unit.jurisdiction_code), str(unit.jurisdiction_code))),
            ("涉及镇街", "、".join(map(str, unit.jurisdiction_codes))), ("联建形式", unit.form),
            ("行业", unit.industry),
            ("牵头单位", f"{unit.hub_name}（{unit.hub_id}）"), ("单位数", len(unit.org_ids)),
            ("正式党员", unit.members), ("从业人员", unit.employees), ("半径（米）", f"{unit.radius_m:.0f}"),
            ("建议活动场所", venue), ("理由", unit.reason)]
    return pd.DataFrame({"项目": [k for k, _ in rows], "内容": [str(v) for _, v in rows]})


def render() -> None:
    """Draw the page."""
    page = widgets.preamble("联建方案", map_key="jt")
    ws, prof = page.ws, page.ws.profile
    with st.form("joint_params"):
        st.caption(f"参数取自政策配置《{prof.title}》；在此修改只影响本次方案。")
        c = st.columns(3)
        max_units = c[0].number_input("每个联合党组织最多覆盖单位数（R7）", min_value=2, max_value=50,
                                      value=int(prof.get("joint.max_units")), step=1, key="jt_max_units")
        r_town = c[1].number_input("镇/地区内最大半径（米）", min_value=100.0, max_value=50_000.0,
                                   value=float(prof.get("joint.max_radius_m_town")), step=100.0, key="jt_r_town")
        r_street = c[2].number_input("街道内最大半径（米）", min_value=100.0, max_value=50_000.0,
                                     value=float(prof.get("joint.max_radius_m_street")), step=100.0, key="jt_r_street")
        d = st.columns(3)
        cross = d[0].checkbox("允许跨镇街联建", value=bool(prof.get("joint.allow_cross_town")), key="jt_cross")
        similar = d[1].checkbox("允许行业相近联建", value=bool(prof.get("joint.allow_similar_industry")),
                                key="jt_similar")
        reopt = d[2].checkbox("重新优化已有联合党组织", value=False, key="jt_reopt")
        go = st.form_submit_button("生成联建方案", type="primary")
    if go:
        st.session_state["jt_params"] = {
            "changes": {"joint.max_units": int(max_units), "joint.max_radius_m_town": float(r_town),
                        "joint.max_radius_m_street": float(r_street), "joint.allow_similar_industry": bool(similar)},
            "cross": bool(cross), "reopt": bool(reopt)}
    params = st.session_state.get("jt_params")
    if params is None:
        st.info("设置参数后点击“生成联建方案”。")
        return
    plan: JointPlan = state.joint_plan(params["changes"], reoptimize=params["reopt"], cross_town=params["cross"])
    if go:  # a plan run asked for by the user (not a rerun of the page) goes to the audit
        auth.record("plan_joint", detail={"params": {k: v for k, v in params["changes"].items()}})
    if (msg := partial_message(plan.failures)) is not None:
        st.warning(msg)
    s, units = plan.stats, plan.units
    names = dict(ws.district.town_names)
    m = st.columns(4)
    if page.selection.is_all():
        m[0].metric("联建单元", f"{len(units)}")
        m[1].metric("纳入单位", f"{s.get('placed', sum(len(ids) for ids in units['org_ids']))}")
        m[2].metric("未纳入", f"{len(plan.unplaced)}")
        m[3].metric("平均半径", f"{(s.get('mean_radius_m') or 0):.0f} 米")
    else:  # the figures of the selected units
        a = state.assessment()
        mine = selected_units(plan, ws, page.selection, a.orgs if a is not None else None)
        towns = set(page.selection.town_codes(ws))
        un = plan.unplaced
        if towns and "jurisdiction_code" in un:
            un = un[un["jurisdiction_code"].astype(str).isin(towns)]
        radius = pd.to_numeric(mine["radius_m"], errors="coerce").mean() if len(mine) else None
        m[0].metric("联建单元", f"{len(mine)}")
        m[1].metric("纳入单位", f"{sum(len(ids) for ids in mine['org_ids'])}")
        m[2].metric("未纳入", f"{len(un)}")
        m[3].metric("平均半径", "—" if radius is None or pd.isna(radius) else f"{radius:.0f} 米")
    n = st.columns(3)
    n[0].metric("平均每单元单位数", f"{(s.get('mean_orgs_per_unit') or 0):.1f}")
    n[1].metric("可设支委会的单元", f"{s.get('units_with_committee', 0)}",
                help=f"正式党员不少于{s.get('committee_min_members', '')}名（ZB2018）")
    n[2].metric("联建对象纳入率", f"{100 * (s.get('placed_share') or 0):.1f}%")
    by_orgs, by_members, by_form = size_tables(plan)
    c = st.columns(3)
    with c[0]:
        st.caption("按单位数")
        charts.unit_sizes(plan, key="jt_sizes")
    c[1].caption("按正式党员数")
    c[1].dataframe(by_members, hide_index=True, width="stretch")
    c[2].caption("按联建形式")
    c[2].dataframe(by_form, hide_index=True, width="stretch")
    if len(plan.violations):
        st.error(f"独立校验发现 {len(plan.violations)} 处不符合规则：")
        st.dataframe(plan.violations.rename(columns={"unit_id": "联建单元", "rule": "规则", "code": "问题代码",
                                                     "message": "说明"}), hide_index=True)
    else:
        st.success("独立校验：所有联建单元均符合政策配置的规则。")
    _units_part(page, plan, names)
    screen_export("联建方案", page.selection, {"联建单元一览": units_table(plan.units, names)}, ("boundaries", "joint"),
                  plans={"joint": plan})


def unit_bounds(unit: Any, orgs: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """The lon/lat box of a unit's member orgs (a little margin), ``None`` when none is located."""
    hit = orgs[orgs["id"].astype(str).isin({str(o) for o in unit.org_ids})]
    x = pd.to_numeric(hit.get("lon"), errors="coerce").dropna()
    y = pd.to_numeric(hit.get("lat"), errors="coerce").dropna()
    if not len(x) or not len(y):
        return None
    pad = 0.003
    return (float(x.min()) - pad, float(y.min()) - pad, float(x.max()) + pad, float(y.max()) + pad)


def _units_part(page: widgets.Page, plan: JointPlan, names: dict[str, str]) -> None:
    """The unit chooser, the map (the chosen unit zoomed to, the others faded), its card and the tables."""
    ws = page.ws
    a = state.assessment()
    units = selected_units(plan, ws, page.selection, a.orgs if a is not None else None)
    st.caption(f"所选范围内的联建单元：{len(units)} 个（全区 {len(plan.units)} 个）。"
               if not page.selection.is_all() else "")
    unit_ids = units["unit_id"].astype(str).tolist()
    pending = st.session_state.pop("_jt_pending", None)
    if pending is not None:
        st.session_state["jt_sel"] = pending
    if st.session_state.get("jt_sel") not in (None, _ALL, *unit_ids):
        st.session_state["jt_sel"] = _ALL
    sel = st.selectbox("查看一个联建单元（地图定位到该单元，其余淡化）", [_ALL, *unit_ids], key="jt_sel")
    selected = None if sel == _ALL else sel
    unit = next((u for u in units.itertuples(index=False) if str(u.unit_id) == selected), None)
    search.search_box(ws, key="jt_search")
    with st.container():  # one element whether a card is open or not: the map below keeps its place
        focus = cards.focused_org()
        if focus is not None:
            cards.org_card(ws, focus, assessment=a, joint=plan, key="jt_card")
    kept = state.kept_plans().get("joint")
    widgets.show_map(page, key="jt_map", layers=("boundaries", "orgs", "units"), plans={"joint": plan},
                     assessment=a, selected_unit=selected, cache=(kept.key if kept is not None else None,),
                     bounds=unit_bounds(unit, ws.orgs) if unit is not None else None)
    if unit is not None:
        cards.unit_card(unit, names, ws.orgs)
    st.subheader("联建单元一览（点击一行查看该单元）")
    ev = st.dataframe(units_table(units, names),
                      hide_index=True, width="stretch", key="jt_units", on_select="rerun",
                      selection_mode="single-row")
    uid = widgets.clicked_row(ev, "jt_units", unit_ids)
    if uid is not None and uid != selected:
        st.session_state["_jt_pending"] = uid
        st.rerun()
    kept_tab = kept_table(plan)
    if len(kept_tab):
        st.subheader(f"现有联合党组织中不符合规则的（{len(kept_tab)} 个）")
        st.dataframe(kept_tab, hide_index=True, width="stretch")
    st.subheader("未纳入的单位及原因（点击一行查看单位卡片）")
    un = plan.unplaced
    towns = page.selection.town_codes(ws)
    if towns and "jurisdiction_code" in un:
        un = un[un["jurisdiction_code"].astype(str).isin(set(towns))]
    shown = un.assign(镇街=[names.get(str(c), str(c)) for c in un["jurisdiction_code"]]) if len(un) else un
    cols = {"org_id": "单位编号", "name": "单位名称", "镇街": "镇街", "reason": "原因", "next_option": "建议"}
    ev = st.dataframe(shown[[c for c in cols if c in shown]].rename(columns=cols), hide_index=True,
                      width="stretch", key="jt_unplaced", on_select="rerun", selection_mode="single-row")
    org = widgets.clicked_row(ev, "jt_unplaced", shown["org_id"].astype(str).tolist() if len(shown) else [])
    if org is not None:
        cards.open_org(org)
        st.rerun()


if __name__ == "__main__":
    render()
