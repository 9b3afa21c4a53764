"""阵地与覆盖: service areas, gap hexes, proposed sites, venue compliance — for the shared selection."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.present.style import num
from lianxin_geo.ui import auth, cards, search, state, widgets
from lianxin_geo.ui.screen_export import screen_export

__all__ = ["render", "coverage_kpis", "towns_table", "sites_table", "venues_table", "parks_table"]

_PCT = "{:.1%}"


def _towns(frame: pd.DataFrame, towns: tuple[str, ...], column: str = "jurisdiction_code") -> pd.DataFrame:
    if not towns or column not in frame:
        return frame
    return frame[frame[column].astype(str).isin(set(towns))]


def coverage_kpis(plan: CoveragePlan, towns: tuple[str, ...] = ()) -> dict[str, float | int | None]:
    """The page's figures for the selected towns (all towns: the plan's district figures).

    ``share``/``after``: orgs covered now / after the proposed sites, as shares; ``gaps``, ``sites``, ``centers``:
    counts in the selection.
    """
    if not towns:
        return {"share": num(plan.district.get("orgs_share")), "after": num(plan.district.get("orgs_share_after")),
                "gaps": len(plan.gaps), "sites": len(plan.proposed_sites), "centers": len(plan.centers)}
    j = _towns(plan.jurisdictions, towns)
    n = float(pd.to_numeric(j["orgs"], errors="coerce").fillna(0).sum())
    covered = float(pd.to_numeric(j["orgs_covered"], errors="coerce").fillna(0).sum())
    after = pd.to_numeric(j.get("orgs_share_after"), errors="coerce").fillna(0) * pd.to_numeric(j["orgs"],
                                                                                                errors="coerce")
    return {"share": covered / n if n else None, "after": float(after.sum()) / n if n else None,
            "gaps": len(_towns(plan.gaps, towns)), "sites": len(_towns(plan.proposed_sites, towns)),
            "centers": len(_towns(plan.centers, towns))}


def towns_table(plan: CoveragePlan, towns: tuple[str, ...] = ()) -> tuple[pd.DataFrame, dict[str, str]]:
    """各乡镇/街道阵地覆盖, Chinese headers; and the formats of its share columns."""
    j = _towns(plan.jurisdictions, towns)
    cols = {"name": "乡镇/街道", "kind": "类型", "orgs": "组织数", "orgs_covered": "在服务范围内",
            "orgs_share": "组织覆盖比例", "orgs_share_after": "新增阵地后", "members_share": "党员覆盖比例",
            "employees_share": "从业人员覆盖比例", "orgs_uncovered": "范围外组织", "orgs_unlocated": "未定位组织",
            "buildings": "商务楼宇", "buildings_uncovered": "范围外楼宇"}
    tab = j[[c for c in cols if c in j]].rename(columns=cols)
    return tab, {v: _PCT for k, v in cols.items() if "share" in k and k in j}


def sites_table(plan: CoveragePlan, towns: tuple[str, ...] = ()) -> pd.DataFrame:
    """建议新增阵地, Chinese headers."""
    s = _towns(plan.proposed_sites, towns)
    cols = {"rank": "序号", "name": "候选地点", "kind": "类型", "jurisdiction_name": "乡镇/街道",
            "newly_covered_orgs": "新覆盖组织", "newly_covered_members": "新覆盖党员",
            "newly_covered_employees": "新覆盖从业人员", "reach_m": "服务半径（米）", "level": "层级",
            "required_m2": "应有面积（平方米）", "reason": "理由"}
    tab = s[[c for c in cols if c in s]].rename(columns=cols)
    if "jurisdiction_has_center" in s:
        tab["本镇街已有中心"] = s["jurisdiction_has_center"].map({True: "是", False: "否"}).fillna("—")
    return tab


def venues_table(plan: CoveragePlan, towns: tuple[str, ...] = ()) -> pd.DataFrame:
    """阵地面积与“六有”达标, Chinese headers, yes/no in Chinese."""
    v = _towns(plan.venues.jurisdictions, towns)
    cols = {"name": "乡镇/街道", "kind": "类型", "level": "层级", "required_m2": "应有面积（平方米）",
            "center_name": "服务中心", "best_m2": "实有面积（平方米）", "status": "状态",
            "shortfall_m2": "缺口面积（平方米）"}
    tab = v[[c for c in cols if c in v]].rename(columns=cols)
    if "compliant" in v:
        tab.insert(min(6, len(tab.columns)), "是否达标", v["compliant"].map({True: "达标", False: "未达标"}).fillna("—"))
    return tab


def parks_table(plan: CoveragePlan, towns: tuple[str, ...] = ()) -> pd.DataFrame:
    """尚无党群服务中心的园区, Chinese headers."""
    p = _towns(plan.venues.parks_without_center, towns)
    return p[[c for c in ("name", "reason") if c in p]].rename(columns={"name": "园区", "reason": "说明"})


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
    towns = page.selection.town_codes(page.ws)
    kpi = coverage_kpis(plan, towns)
    m = st.columns(4)
    share, after = kpi["share"], kpi["after"]
    m[0].metric("阵地覆盖组织比例", "—" if share is None else f"{share:.1%}",
                None if after is None or share is None else f"新增后 {after:.1%}")
    m[1].metric("缺口网格", f"{kpi['gaps']}")
    m[2].metric("建议新增阵地", f"{kpi['sites']}")
    m[3].metric("服务中心", f"{kpi['centers']}")
    search.search_box(page.ws, key="cv_search")
    with st.container():  # one element whether a card is open or not: the map below keeps its place
        focus = cards.focused_org()
        if focus is not None:
            cards.org_card(page.ws, focus, assessment=state.assessment(), key="cv_card")
    kept = state.kept_plans().get("coverage")
    widgets.show_map(page, key="cv_map", layers=("boundaries", "centers", "gaps", "sites", "orgs"),
                     plans={"coverage": plan}, assessment=state.assessment(),
                     cache=(kept.key if kept is not None else None,))
    st.subheader("各乡镇/街道阵地覆盖")
    tab, fmt = towns_table(plan, towns)
    st.dataframe(tab.style.format(fmt, na_rep="—"), hide_index=True, width="stretch")
    st.subheader("建议新增阵地")
    st.dataframe(sites_table(plan, towns), hide_index=True, width="stretch")
    st.subheader("阵地面积与“六有”达标（按乡镇/街道）")
    st.dataframe(venues_table(plan, towns), hide_index=True, width="stretch")
    parks = parks_table(plan, towns)
    if len(parks):
        st.subheader("尚无党群服务中心的园区")
        st.dataframe(parks, hide_index=True, width="stretch")
    screen_export("阵地与覆盖", page.selection, {"各乡镇街道阵地覆盖": tab, "建议新增阵地": sites_table(plan, towns),
                                            "阵地面积与六有达标": venues_table(plan, towns), "尚无服务中心的园区": parks},
                  ("boundaries", "coverage"), plans={"coverage": plan})


if __name__ == "__main__":
    render()
