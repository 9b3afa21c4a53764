"""指导员路线: parameters, generate, routes on the map with numbered stops, route sheets, navigation links."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lianxin_geo.core.files import neutralise_frame
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.ui import state, widgets

__all__ = ["render", "route_csv", "routes_table"]


def route_csv(sheet: pd.DataFrame) -> bytes:
    """The route sheet as the CSV download: UTF-8 with BOM, no cell a spreadsheet would run as a formula."""
    return neutralise_frame(sheet).to_csv(index=False).encode("utf-8-sig")


def routes_table(plan: InstructorPlan) -> pd.DataFrame:
    """路线一览: one row per instructor, Chinese headers, navigation links."""
    r = plan.routes
    return pd.DataFrame({"指导员": r["instructor_id"], "镇街": r["town_name"],
                         "组织数": [len(ids) for ids in r["org_ids"]], "里程（公里）": r["length_km"].round(1),
                         "用时（分钟）": r["minutes"].round(), "高德导航": r["amap"], "百度导航": r["baidu"]})


def render() -> None:
    """Draw the page."""
    page = widgets.preamble("指导员路线", map_key="rt")
    prof = page.ws.profile
    with st.form("route_params"):
        st.caption(f"参数取自政策配置 {prof.name}（R12 每名兼职指导员联系约 {prof.get('instructors.orgs_per_instructor')} 个组织）。")
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
    s, routes = plan.stats, plan.routes
    m = st.columns(4)
    m[0].metric("指导员", f"{len(routes)}")
    m[1].metric("联系组织", f"{sum(len(ids) for ids in routes['org_ids'])}")
    m[2].metric("未分配", f"{len(plan.unassigned)}")
    m[3].metric("总里程", f"{(s.get('total_km') or 0):.0f} 公里")
    sel = st.selectbox("查看一条路线（显示站点编号）", ["（全部）"] + routes["instructor_id"].astype(str).tolist(),
                       key="rt_sel")
    selected = None if sel == "（全部）" else sel
    widgets.show_map(page, key="rt_map", layers=("boundaries", "centers", "routes"), plans={"routes": plan},
                     selected_route=selected)
    sheet = plan.route_sheet()
    if selected is not None:
        r = next(r for r in routes.itertuples(index=False) if str(r.instructor_id) == selected)
        st.subheader(f"{selected} · {widgets.markdown_text(r.town_name)} · {len(r.org_ids)} 个组织 · "
                     f"{r.length_km:.1f} 公里 · 约 {r.minutes:.0f} 分钟")
        st.dataframe(sheet[sheet["指导员编号"] == selected], hide_index=True, width="stretch")
        for link, label in ((r.amap, "高德导航（全程）"), (r.baidu, "百度导航（全程）")):
            if isinstance(link, str) and link:
                st.link_button(label, link)
    st.subheader("路线一览")
    st.dataframe(routes_table(plan), hide_index=True, width="stretch",
                 column_config={"高德导航": st.column_config.LinkColumn(display_text="打开"),
                                "百度导航": st.column_config.LinkColumn(display_text="打开")})
    st.download_button("下载路线单（CSV）", route_csv(sheet), "指导员路线.csv", mime="text/csv")
    if len(plan.unassigned):
        st.subheader("未分配的组织及原因")
        st.dataframe(plan.unassigned, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
