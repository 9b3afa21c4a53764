"""总览: district and town/street coverage rates against targets, key counts, what needs attention first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.present.sheets import ACTION_COLUMNS, JOINT_ORG_COLUMNS
from lianxin_geo.ui import cards, charts, search, selection, state, widgets
from lianxin_geo.ui.screen_export import screen_export
from lianxin_geo.workspace import Workspace

__all__ = ["render", "town_chart_frame"]

_JCOLS = {"name": "乡镇/街道", "orgs": "单位数", "org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率",
          "work_coverage_rate": "工作覆盖率", "enterprise_org_coverage_rate": "非公企业覆盖率",
          "enterprise_target": "非公目标", "enterprise_gap_text": "非公差距",
          "social_org_coverage_rate": "社会组织覆盖率", "social_target": "社会组织目标",
          "social_gap_text": "社会组织差距"}


def render() -> None:
    """Draw the page: every number, table and the map are for the shared selection."""
    page = widgets.preamble("总览", map_key="ov")
    ws = page.ws
    full = state.assessment()
    a = widgets.selected_assessment(page, full)
    n_orgs = len(a.orgs) if a is not None else int(page.selection.org_mask(ws.orgs, None, district=ws.district).sum())
    c = st.columns(4)
    c[0].metric("组织数", f"{n_orgs:,}")
    c[1].metric("服务中心", f"{len(widgets.by_selection(page, ws.centers)):,}")
    c[2].metric("商务楼宇", f"{len(widgets.by_selection(page, ws.buildings)):,}")
    c[3].metric("园区", f"{len(widgets.by_selection(page, ws.parks)):,}")
    target = ws.profile.get("targets.enterprise")
    if a is not None:
        _rates(a)
    search.search_box(ws, key="ov_search")
    with st.container():  # one element whether a card is open or not: the map below keeps its place
        focus = cards.focused_org()
        if focus is not None:
            cards.org_card(ws, focus, assessment=full, **_kept_plans())
    st.subheader("覆盖率地图（点击乡镇/街道进入该镇街，点击单位看详情）")
    widgets.show_map(page, key="ov_map", layers=("boundaries", "orgs", "centers"), assessment=full,
                     rates=widgets.rates_frame(full), target=target)
    if a is None:
        return  # state.assessment() has said why
    _towns(a, target, ws)
    _actions(a)
    acts = a.actions.head(200) if len(a.actions) else None
    screen_export("总览", page.selection, {
        "乡镇/街道覆盖率与目标": a.jurisdictions[[c for c in _JCOLS if c in a.jurisdictions]].rename(columns=_JCOLS),
        **({"需采取的措施": acts[[c for c in ACTION_COLUMNS if c in acts]].rename(columns=ACTION_COLUMNS)}
           if acts is not None else {})}, ("boundaries", "orgs", "centers"))


def _kept_plans() -> dict:
    kept = state.kept_plans()
    return {k: kept[k].plan for k in ("joint", "routes") if k in kept}


def _rates(a: Assessment) -> None:
    """The selection's coverage rates by kind against the targets."""
    ds = a.district_summary.set_index("org_kind")
    cols = st.columns(len(ds))
    for col, (kind, row) in zip(cols, ds.iterrows()):
        rate = row.get("org_coverage_rate")
        tgt = row.get("target")
        delta = (None if tgt is None or pd.isna(tgt) or rate is None or pd.isna(rate)
                 else f"{(rate - tgt) * 100:+.1f} 个百分点，目标 {tgt:.1%}")
        col.metric(f"{kind}组织覆盖率", "—" if rate is None or pd.isna(rate) else f"{rate:.1%}", delta)


def town_chart_frame(a: Assessment) -> pd.DataFrame:
    """Towns with orgs and their organization coverage rate, lowest first (the chart's data)."""
    j = a.jurisdictions
    j = j[j["code"].notna() & (pd.to_numeric(j["orgs"], errors="coerce") > 0)]
    return pd.DataFrame({"乡镇/街道": j["name"].astype(str), "组织覆盖率": pd.to_numeric(
        j["org_coverage_rate"], errors="coerce"), "单位数": j["orgs"]}).sort_values("组织覆盖率", kind="stable")


def _towns(a: Assessment, target: float | None, ws: Workspace) -> None:
    """The towns' rates: a sorted bar chart against the target, then the table (a row click drills down)."""
    st.subheader("乡镇/街道覆盖率与目标")
    if len(town_chart_frame(a)) > 1:
        charts.town_rates(a, profile=ws.profile, key="ov_towns_chart")
        st.caption(f"红色：低于非公企业目标 {target:.1%}；绿色：已达标。" if target is not None else "")
        charts.status_mix(a, key="ov_mix")
    j = a.jurisdictions
    tab = j[[c for c in _JCOLS if c in j]].rename(columns=_JCOLS)
    fmt = {v: "{:.1%}" for k, v in _JCOLS.items() if ("rate" in k or "target" in k) and k in j}
    ev = st.dataframe(tab.style.format(fmt, na_rep="—"), hide_index=True, width="stretch", key="ov_towns",
                      on_select="rerun", selection_mode="single-row")
    code = widgets.clicked_row(ev, "ov_towns", [str(c) for c in j["code"]])
    if code is not None and code not in ("None", "nan") and (code,) != selection.current_selection().towns:
        selection.set_selection(selection.current_selection().drill(code))
        st.rerun()
    st.caption("点击表格中的一行进入该镇街。")
    st.subheader("优先关注")
    gaps = [c for c in ("enterprise_gap", "social_gap") if c in j]
    if gaps:
        need = j.assign(_gap=j[gaps].fillna(0).sum(axis=1)).sort_values("_gap", ascending=False)
        need = need[need["_gap"] > 0].head(8)
        if need.empty:
            st.success("所选范围内各乡镇/街道均已达到覆盖率目标。")
        for r in need.itertuples(index=False):
            parts = [t for t in (getattr(r, "enterprise_gap_text", None), getattr(r, "social_gap_text", None)) if t]
            st.markdown(f"- **{widgets.markdown_text(r.name)}**：非公企业 {parts[0] if parts else ''}"
                        + (f"；社会组织 {parts[1]}" if len(parts) > 1 else ""))
    notes = [n for n in a.district_summary.get("gap_note", pd.Series(dtype=object)) if isinstance(n, str) and n]
    for n in notes:
        st.caption(n)


def _actions(a: Assessment) -> None:
    """The 一企一策 action list (措施、任务措施、进度安排、责任人) and the existing joint orgs that break the rules."""
    if len(a.actions):
        st.subheader("需采取的措施（一企一策，前 200 条）")
        counts = a.actions.groupby("action")["org_id"].nunique().sort_values(ascending=False)
        st.caption("；".join(f"{widgets.markdown_text(k)} {v} 家" for k, v in counts.items()))
        cols = [c for c in ACTION_COLUMNS if c in a.actions.columns]
        shown = a.actions.head(200)
        ev = st.dataframe(shown[cols].rename(columns=ACTION_COLUMNS), hide_index=True, width="stretch",
                          key="ov_actions", on_select="rerun", selection_mode="single-row")
        org = widgets.clicked_row(ev, "ov_actions", shown["org_id"].astype(str).tolist())
        if org is not None:
            cards.open_org(org)
            st.rerun()
        st.caption("点击表格中的一行：地图定位到该单位并打开单位卡片。")
        day = a.assessed_on.isoformat() if a.assessed_on is not None else "—"
        st.caption(f"评估日期 {day}；进度安排为下一个台账更新月月底前；责任人默认为所在镇街党（工）委，可在数据库中修改。")
    bad = a.joint_orgs[a.joint_orgs["suggestion"] != ""] if len(a.joint_orgs) else a.joint_orgs
    if len(bad):
        st.subheader(f"违反规则的现有联合党组织（{len(bad)} / {len(a.joint_orgs)} 个）")
        cols = [c for c in JOINT_ORG_COLUMNS if c in bad.columns]
        tab = bad[cols].rename(columns=JOINT_ORG_COLUMNS)
        for c in tab.columns:
            tab[c] = tab[c].map(lambda v: "、".join(map(str, v)) if isinstance(v, list) else v)
        st.dataframe(tab, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
