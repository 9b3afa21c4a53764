"""指导员路线: parameters, generate, routes on the map with numbered stops, route sheets, navigation links."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lianxin_geo.core.files import neutralise_frame
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.ui import auth, state, widgets

__all__ = ["render", "route_csv", "routes_table", "town_table"]


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
    if go:  # a plan run asked for by the user (not a rerun of the page) goes to the audit
        auth.record("plan_routes", detail={"params": {k: v for k, v in params["changes"].items()}})
    s, routes = plan.stats, plan.routes
    m = st.columns(5)
    m[0].metric("指导员", f"{s.get('instructors', 0)}", help=f"现有 {s.get('instructors_named', 0)} 名（每人只计一次）"
                f"＋新增岗位 {s.get('instructors_new', 0)} 个")
    m[1].metric("其中新增岗位", f"{s.get('instructors_new', 0)}")
    m[2].metric("联系组织", f"{sum(len(ids) for ids in routes['org_ids'])}")
    m[3].metric("未分配", f"{len(plan.unassigned)}")
    m[4].metric("总里程", f"{(s.get('total_km') or 0):.0f} 公里")
    if s.get("working_day_minutes") and s.get("routes_split"):
        st.caption(f"{s['routes_split']} 名指导员的路线超过工作日 {s['working_day_minutes']:.0f} 分钟，已分多天走访。")
    people = routes.drop_duplicates("instructor_id")
    labels = {f"{i} {n}": str(i) for i, n in zip(people["instructor_id"], people["instructor"])}
    sel = st.selectbox("查看一名指导员的路线（显示站点编号）", ["（全部）", *labels], key="rt_sel")
    selected = None if sel == "（全部）" else labels[sel]
    widgets.show_map(page, key="rt_map", layers=("boundaries", "centers", "routes"), plans={"routes": plan},
                     selected_route=selected)
    sheet = plan.route_sheet()
    if selected is not None:
        for r in routes[routes["instructor_id"].astype(str) == selected].itertuples(index=False):
            day = f" · 第 {r.day}/{r.days} 天" if r.days > 1 else ""
            st.subheader(f"{selected} {widgets.markdown_text(r.instructor)}（{r.instructor_kind}）{day} · "
                         f"{widgets.markdown_text(r.town_name)} · {len(r.org_ids)} 个组织 · "
                         f"{r.length_km:.1f} 公里 · 约 {r.minutes:.0f} 分钟")
            if r.note:
                st.caption(widgets.markdown_text(r.note))
            st.dataframe(sheet[sheet["路线编号"] == r.route_id], hide_index=True, width="stretch")
            for link, label in ((r.amap, "高德导航（全程）"), (r.baidu, "百度导航（全程）")):
                if isinstance(link, str) and link:
                    st.link_button(label, link)
    st.subheader("分镇街：现有指导员与新增岗位")
    st.dataframe(town_table(plan), hide_index=True, width="stretch")
    st.subheader("路线一览")
    st.dataframe(routes_table(plan), hide_index=True, width="stretch",
                 column_config={"高德导航": st.column_config.LinkColumn(display_text="打开"),
                                "百度导航": st.column_config.LinkColumn(display_text="打开")})
    st.download_button("下载路线单（CSV）", route_csv(sheet), "指导员路线.csv", mime="text/csv", on_click="ignore")
    if len(plan.unassigned):
        st.subheader("未分配的组织及原因")
        st.dataframe(plan.unassigned, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
