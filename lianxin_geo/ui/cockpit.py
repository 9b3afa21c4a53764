"""驾驶舱: the big-screen view for meetings (1920×1080 projector) — the map of the current selection, the three
rates, the town chart and, once the database holds two rounds, the progress since the last round.

Everything is computed for the shared selection (:mod:`lianxin_geo.ui.selection`): the KPIs and charts from
:func:`lianxin_geo.present.selection.select_assessment`, the map zoomed to it. The progress comes from the store
as on the 进展 page (the rounds' district rates; the selected towns' rates per round). The page tightens the
margins and enlarges the figures so they read from the back of a room; its screen export offers the same view as
PNG / PPTX / xlsx.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import appcharts
from lianxin_geo.present.selection import Selection, select_assessment
from lianxin_geo.present.style import pct, pp
from lianxin_geo.ui import charts, state, widgets
from lianxin_geo.ui.screen_export import screen_export
from lianxin_geo.workspace import Workspace

__all__ = ["RATES", "baseline", "progress_rows", "render", "town_table"]

#: The three rates, in the order shown.
RATES: dict[str, str] = {"org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率", "work_coverage_rate": "工作覆盖率"}
#: Larger figures and tighter margins for a projector (static CSS, no user data).
_BIG_SCREEN_CSS = """<style>
.block-container {padding-top: 1.2rem; padding-bottom: 0.5rem; max-width: 100%;}
[data-testid="stMetricValue"] {font-size: 2.6rem; font-weight: 700;}
[data-testid="stMetricLabel"] p {font-size: 1.15rem;}
[data-testid="stMetricDelta"] {font-size: 1.05rem;}
h1 {font-size: 2.1rem !important;}
</style>"""


def town_table(a: Assessment) -> pd.DataFrame:
    """The towns of ``a`` (already the selection's) with their rates as percentages, lowest coverage first."""
    j = a.jurisdictions
    j = j[j["code"].notna() & j["name"].notna()].sort_values("org_coverage_rate", kind="stable")
    out = pd.DataFrame({"乡镇/街道": j["name"].astype(str), "镇街代码": j["code"].astype(str),
                        "单位数": pd.to_numeric(j["orgs"], errors="coerce").fillna(0).astype(int)})
    for k, label in RATES.items():
        out[label] = j[k].map(pct) if k in j else "—"
    return out.reset_index(drop=True)


def progress_rows(rounds: list[Any], town_rates: pd.DataFrame, towns: tuple[str, ...]) -> list[dict[str, Any]]:
    """``[{"round": name, rate: value, "orgs": n}, …]`` per round, oldest first: the district's rates, or — when
    towns are selected — those towns' rates (weighted by their orgs: a rate is covered / orgs)."""
    rows = []
    for r in rounds:
        if not towns:
            rows.append({"round": r.name, "orgs": r.orgs, **{k: r.district.get(k) for k in RATES}})
            continue
        t = town_rates[(town_rates["round"] == r.name) & town_rates["code"].astype(str).isin(set(towns))]
        n = pd.to_numeric(t["orgs"], errors="coerce").fillna(0)
        row: dict[str, Any] = {"round": r.name, "orgs": int(n.sum())}
        for k in RATES:
            v = pd.to_numeric(t[k], errors="coerce")
            ok = v.notna() & (n > 0)
            row[k] = float((v[ok] * n[ok]).sum() / n[ok].sum()) if ok.any() else None
        rows.append(row)
    return rows


def baseline(rows: list[dict[str, Any]], chosen: str | None) -> dict[str, Any] | None:
    """The round the KPIs are compared with: the one before the chosen round, else (the loaded files) the latest."""
    names = [r["round"] for r in rows]
    if chosen is not None:
        i = names.index(chosen) if chosen in names else -1
        return rows[i - 1] if i > 0 else None
    return rows[-1] if rows else None


def _kpis(sa: Assessment, ws: Workspace, last: dict[str, Any] | None) -> None:
    ds = sa.district_summary.set_index("org_kind")
    total = ds.loc["合计"] if "合计" in ds.index else ds.iloc[0]
    c = st.columns(6)
    c[0].metric("组织数", f"{len(sa.orgs):,}")
    for i, (k, label) in enumerate(RATES.items(), start=1):
        delta = None
        if last is not None and last.get(k) is not None and total.get(k) is not None and not pd.isna(total.get(k)):
            delta = pp(float(total.get(k)) - float(last[k]))
        c[i].metric(label, pct(total.get(k)), delta)
    uncovered = int((sa.orgs["status"] == "未覆盖").sum()) if "status" in sa.orgs else 0
    c[4].metric("未覆盖单位", f"{uncovered:,}")
    c[5].metric("需采取措施（家）", f"{sa.actions['org_id'].nunique() if len(sa.actions) else 0:,}")
    if last is not None:
        st.caption(f"箭头为与 {widgets.markdown_text(last['round'])} 轮次相比的变化（百分点）。")


def _progress(sel: Selection, ws: Workspace) -> list[dict[str, Any]]:
    """The rounds' rates for the selection, oldest first (``[]`` without a database or a round)."""
    try:
        store = state.store()
        rounds = store.rounds(user=state.current_user())
        if not rounds:
            return []
        towns = sel.town_codes(ws)
        return progress_rows(rounds, store.town_rates(user=state.current_user()) if towns else pd.DataFrame(),
                             towns)
    except LianxinError:
        return []


def render() -> None:
    """Draw the page."""
    page = widgets.preamble("驾驶舱", map_key="ck")
    ws = page.ws
    sel = getattr(page, "selection", Selection())
    st.html(_BIG_SCREEN_CSS)
    a = state.assessment()
    if a is None:
        return  # state.assessment() has said why
    sa = select_assessment(a, sel, ws)
    rows = _progress(sel, ws)
    chosen = state.chosen_round()
    _kpis(sa, ws, baseline(rows, chosen[1] if chosen is not None else None))
    target = ws.profile.get("targets.enterprise")
    left, right = st.columns([11, 9], gap="medium")
    with left:
        widgets.show_map(page, key="ck_map", height=640, layers=("boundaries", "orgs", "centers"), assessment=a,
                         rates=widgets.rates_frame(a), target=target)
    with right:
        charts.district_rates(a, profile=ws.profile, summary=sa.district_summary, font_size=14,
                              title=f"三率 · {sel.label(ws)}（红线为目标）", height=200, key="ck_rates")
        charts.town_rates(a, profile=ws.profile, jurisdictions=sa.jurisdictions, font_size=12,
                          height=min(450, max(120, 20 * len(sa.jurisdictions))), key="ck_towns")
    if len(rows) >= 2:
        names = [widgets.markdown_text(r["round"]) for r in rows[-2:]]
        st.subheader(f"自上轮以来（{names[0]} → {names[1]}）")
        c = st.columns([2, 3])
        with c[0]:
            for k, label in RATES.items():
                a0, a1 = rows[-2].get(k), rows[-1].get(k)
                change = pp(a1 - a0) if a0 is not None and a1 is not None else "—"
                st.markdown(f"**{label}**：{pct(a0)} → {pct(a1)}（{change}）")
            st.markdown(f"**组织数**：{rows[-2]['orgs']:,} → {rows[-1]['orgs']:,}")
        with c[1]:
            st.altair_chart(appcharts.rounds_chart(rows, height=200), width="stretch", key="ck_rounds")
    else:
        st.caption("数据库中有两个及以上台账轮次后，这里显示自上轮以来的进展（在“数据”页保存台账轮次）。")
    screen_export("驾驶舱", sel, {"各乡镇/街道覆盖率": town_table(sa)}, ("boundaries", "orgs"), ws=ws, assessment=a,
                  key="ck_export")


if __name__ == "__main__":
    render()
