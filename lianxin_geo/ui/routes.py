"""指导员路线: parameters, generate, routes on the map with numbered stops, route sheets, navigation links."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.core.files import neutralise_frame
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.plans import route_key
from lianxin_geo.present.selection import selected_plan
from lianxin_geo.ui import auth, cards, charts, state, widgets
from lianxin_geo.ui.engine import partial_message
from lianxin_geo.ui.screen_export import screen_export

__all__ = ["render", "route_bounds", "route_csv", "routes_table", "town_table",
           "unassigned_table"]

_ALL = "（全部）"


def route_csv(sheet: pd.DataFrame) -> bytes:
    """The route sheet as the CSV download: UTF-8 with BOM, no cell a spreadsheet would run as a formula."""
    return neutralise_frame(sheet).to_csv(index=False).encode("utf-8-sig")


def routes_table(plan: InstructorPlan) -> pd.DataFrame:
    """路线一览: one row per instructor and working day, Chinese headers, navigation links."""
    r = plan.routes
    return pd.DataFrame({"编号": r["route_id"], "指导员": r["instructor"], "类别": r["instructor_kind"],
                         "第几天": [f"{d}/{n}" for d, n in zip(r["day"], r["days"])], "镇街": r["town_name"],
                         "组织数": [len(ids) for ids in r["org_ids"]], "里程（公里）": r["length_km"].round(1),
                         "用时（分钟）": r["minutes"].round(), "说明": r["note"], "高德导航": r["amap"],
                         "百度导航": r["baidu"]})


def town_table(plan: InstructorPlan) -> pd.DataFrame:
    """分镇街: named instructors available, needed, new posts (the gap), in Chinese."""
    t = plan.towns
    return pd.DataFrame({"镇街": t["town_name"], "组织数": t["orgs"], "现有指导员": t["instructors_available"],
                         "需要指导员": t["instructors_needed"], "其中新增岗位（缺口）": t["instructors_gap"],
                         "保留现有联系": t["orgs_kept"], "分给现有指导员": t["orgs_to_named"],
                         "由新增岗位联系": t["orgs_to_new"], "分多天走访": t["routes_split"]})


def render() -> None:
    """Draw the page."""
    page = widgets.preamble("指导员路线", map_key="rt")
    prof = page.ws.profile
    with st.form("route_params"):
        st.caption(f"参数取自政策配置《{prof.title}》（R12 每名兼职指导员联系约 {prof.get('instructors.orgs_per_instructor')} 个组织）。")
        c = st.columns(4)
        per = c[0].number_input("每名指导员联系组织数", min_value=1, max_value=100,
                                value=int(prof.get("instructors.orgs_per_instructor")), key="rt_per")
        mx = c[1].number_input("上限", min_value=1, max_value=200, value=int(prof.get("instructors.max_orgs")),
                               key="rt_max")
        visit = c[2].number_input("每次走访（分钟）", min_value=0.0, max_value=600.0,
                                  value=float(prof.get("instructors.visit_minutes")), key="rt_visit")
        speed = c[3].number_input("车速（公里/小时）", min_value=1.0, max_value=120.0,
                                  value=float(prof.get("instructors.speed_kmh")), key="rt_speed")
        cross = st.checkbox("允许跨镇街", value=False, key="rt_cross")
        go = st.form_submit_button("生成路线", type="primary")
    if go:
        st.session_state["rt_params"] = {
            "changes": {"instructors.orgs_per_instructor": int(per), "instructors.max_orgs": int(max(mx, per)),
                        "instructors.visit_minutes": float(visit), "instructors.speed_kmh": float(speed)},
            "cross": bool(cross)}
    params = st.session_state.get("rt_params")
    if params is None:
        st.info("设置参数后点击“生成路线”。")
        return
    plan: InstructorPlan = state.route_plan(params["changes"], cross_town=params["cross"])
    if go:  # a plan run asked for by the user (not a rerun of the page) goes to the audit
        auth.record("plan_routes", detail={"params": {k: v for k, v in params["changes"].items()}})
    if (msg := partial_message(plan.failures)) is not None:
        st.warning(msg)
    full = plan
    plan = selected_plan(full, page.ws, page.selection, _assessment_orgs())
    s, routes = plan.stats, plan.routes
    m = st.columns(5)
    if page.selection.is_all():
        m[0].metric("指导员", f"{s.get('instructors', 0)}", help=f"现有 {s.get('instructors_named', 0)} 名（每人只计一次）"
                    f"＋新增岗位 {s.get('instructors_new', 0)} 个")
        m[1].metric("其中新增岗位", f"{s.get('instructors_new', 0)}")
        m[4].metric("总里程", f"{(s.get('total_km') or 0):.0f} 公里")
    else:  # the figures of the selected routes
        people = routes.drop_duplicates("instructor_id")
        new = int((people["instructor_kind"].astype(str).str.contains("新增")).sum()) if len(people) else 0
        m[0].metric("指导员", f"{len(people)}")
        m[1].metric("其中新增岗位", f"{new}")
        m[4].metric("总里程", f"{pd.to_numeric(routes['length_km'], errors='coerce').sum():.0f} 公里")
    m[2].metric("联系组织", f"{sum(len(ids) for ids in routes['org_ids'])}")
    m[3].metric("未分配", f"{len(plan.unassigned)}")
    notes = []  # one caption whatever it says: the map below keeps its place
    if not page.selection.is_all():
        notes.append(f"所选范围内的路线：{len(routes)} 条（全区 {len(full.routes)} 条）。")
    elif s.get("working_day_minutes") and s.get("routes_split"):
        notes.append(f"{s['routes_split']} 名指导员的路线超过工作日 {s['working_day_minutes']:.0f} 分钟，已分多天走访。")
    st.caption("".join(notes))
    if len(routes):
        charts.route_lengths(plan, key="rt_len")
    _routes_part(page, plan, full)
    screen_export("指导员路线", page.selection, {"路线": routes_table(plan)}, ("boundaries", "routes"),
                  plans={"routes": full})


def _assessment_orgs() -> pd.DataFrame | None:
    a = state.assessment()
    return a.orgs if a is not None else None


def route_bounds(plan: InstructorPlan, instructor_id: str) -> tuple[float, float, float, float] | None:
    """The lon/lat box of one instructor's stops and base (a little margin), ``None`` without coordinates."""
    r = plan.routes[plan.routes["instructor_id"].astype(str) == str(instructor_id)]
    key = route_key(plan.stops)
    st_ = plan.stops[plan.stops[key].astype(str).isin(set(r[route_key(r)].astype(str)))]
    x = pd.concat([pd.to_numeric(st_["lon"], errors="coerce"), pd.to_numeric(r["base_lon"], errors="coerce")]).dropna()
    y = pd.concat([pd.to_numeric(st_["lat"], errors="coerce"), pd.to_numeric(r["base_lat"], errors="coerce")]).dropna()
    if not len(x) or not len(y):
        return None
    pad = 0.003
    return (float(x.min()) - pad, float(y.min()) - pad, float(x.max()) + pad, float(y.max()) + pad)


def _routes_part(page: widgets.Page, plan: InstructorPlan, full: InstructorPlan) -> None:
    """The instructor chooser, the map (the chosen routes zoomed to, the rest faded), route cards and tables."""
    routes = plan.routes
    people = routes.drop_duplicates("instructor_id")
    labels = {f"{i} {n}": str(i) for i, n in zip(people["instructor_id"], people["instructor"])}
    pending = st.session_state.pop("_rt_pending", None)
    if pending is not None:
        st.session_state["rt_sel"] = next((k for k, v in labels.items() if v == pending), _ALL)
    if st.session_state.get("rt_sel") not in (None, _ALL, *labels):
        st.session_state["rt_sel"] = _ALL
    sel = st.selectbox("查看一名指导员的路线（地图定位到该路线，显示站点编号，其余淡化）", [_ALL, *labels], key="rt_sel")
    selected = None if sel == _ALL else labels[sel]
    kept = state.kept_plans().get("routes")
    widgets.show_map(page, key="rt_map", layers=("boundaries", "centers", "routes"), plans={"routes": plan},
                     selected_route=selected, cache=(kept.key if kept is not None else None,),
                     bounds=route_bounds(plan, selected) if selected is not None else None)
    sheet = plan.route_sheet()
    if selected is not None:
        for r in routes[routes["instructor_id"].astype(str) == selected].itertuples(index=False):
            cards.route_card(r, plan.stops, key=f"route_card_{r.route_id}")
            with st.expander("走访清单（路线单）"):
                st.dataframe(sheet[sheet["路线编号"] == r.route_id], hide_index=True, width="stretch")
    st.subheader("分镇街：现有指导员与新增岗位")
    st.dataframe(town_table(plan), hide_index=True, width="stretch")
    st.subheader("路线一览（点击一行查看该指导员的路线）")
    ev = st.dataframe(routes_table(plan), hide_index=True, width="stretch", key="rt_routes", on_select="rerun",
                      selection_mode="single-row",
                      column_config={"高德导航": st.column_config.LinkColumn(display_text="打开"),
                                     "百度导航": st.column_config.LinkColumn(display_text="打开")})
    who = widgets.clicked_row(ev, "rt_routes", routes["instructor_id"].astype(str).tolist())
    if who is not None and who != selected:
        st.session_state["_rt_pending"] = who
        st.rerun()
    st.download_button("下载路线单（CSV）", route_csv(sheet), "指导员路线.csv", mime="text/csv", on_click="ignore")
    if len(plan.unassigned):
        st.subheader("未分配的组织及原因")
        st.dataframe(unassigned_table(plan, page.ws), hide_index=True, width="stretch")


def unassigned_table(plan: InstructorPlan, ws: Any) -> pd.DataFrame:
    """未分配的组织, Chinese headers, with the org's name and town from the workspace."""
    u = plan.unassigned
    orgs = ws.orgs.drop_duplicates("id").set_index(ws.orgs["id"].drop_duplicates().astype(str))
    ids = u["org_id"].astype(str) if "org_id" in u else pd.Series([], dtype=str)
    return pd.DataFrame({"单位编号": ids.tolist(),
                         "单位名称": [orgs["name"].get(i, "—") for i in ids],
                         "镇街": [orgs["jurisdiction_name"].get(i, "—") if "jurisdiction_name" in orgs else "—"
                                for i in ids],
                         "原因": u["reason"].tolist() if "reason" in u else ["—"] * len(u)})


if __name__ == "__main__":
    render()
