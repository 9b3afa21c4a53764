"""阵地与覆盖: service areas, gap hexes, proposed sites, venue compliance by jurisdiction."""

from __future__ import annotations

import streamlit as st

from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.present.style import num
from lianxin_geo.ui import auth, state, widgets

__all__ = ["render"]


def render() -> None:
    """Draw the page."""
    page = widgets.preamble("阵地与覆盖", map_key="cv")
    prof = page.ws.profile
    with st.form("cov_params"):
        c = st.columns(4)
        k = c[0].number_input("建议新增阵地数", min_value=0, max_value=50, value=5, key="cv_k")
        rs = c[1].number_input("街道服务半径（米）", min_value=100.0, max_value=20_000.0,
                               value=float(prof.get("coverage.reach_m_street")), step=100.0, key="cv_rs")
        rt = c[2].number_input("镇/地区服务半径（米）", min_value=100.0, max_value=50_000.0,
                               value=float(prof.get("coverage.reach_m_town")), step=100.0, key="cv_rt")
        res = c[3].selectbox("缺口网格大小", [7, 8, 9], index=1, key="cv_res",
                             format_func=lambda r: {7: "约 5 平方公里", 8: "约 0.7 平方公里", 9: "约 0.1 平方公里"}[r])
        go = st.form_submit_button("计算覆盖与选址", type="primary")
    if go or "cv_params" not in st.session_state:
        st.session_state["cv_params"] = {"changes": {"coverage.reach_m_street": float(rs),
                                                     "coverage.reach_m_town": float(rt)},
                                         "k": int(k), "res": int(res)}
    p = st.session_state["cv_params"]
    plan: CoveragePlan = state.coverage_plan(p["changes"], k=p["k"], hex_resolution=p["res"])
    if go:  # a plan run asked for by the user (not a rerun of the page) goes to the audit
        auth.record("plan_coverage", detail={"params": {k: v for k, v in p["changes"].items()}})
    m = st.columns(4)
    share, after = num(plan.district.get("orgs_share")), num(plan.district.get("orgs_share_after"))
    m[0].metric("阵地覆盖组织比例", "—" if share is None else f"{share:.1%}",
                None if after is None or share is None else f"新增后 {after:.1%}")
    m[1].metric("缺口网格", f"{len(plan.gaps)}")
    m[2].metric("建议新增阵地", f"{len(plan.proposed_sites)}")
    m[3].metric("服务中心", f"{len(plan.centers)}")
    widgets.show_map(page, key="cv_map", layers=("boundaries", "centers", "gaps", "sites", "orgs"),
                     plans={"coverage": plan}, assessment=state.assessment())
    st.subheader("各乡镇/街道阵地覆盖")
    st.dataframe(plan.jurisdictions, hide_index=True, width="stretch")
    st.subheader("建议新增阵地")
    st.dataframe(plan.proposed_sites, hide_index=True, width="stretch")
    st.subheader("阵地面积与“六有”达标（按乡镇/街道）")
    st.dataframe(plan.venues.jurisdictions, hide_index=True, width="stretch")
    if len(plan.venues.parks_without_center):
        st.subheader("尚无党群服务中心的园区")
        st.dataframe(plan.venues.parks_without_center, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
