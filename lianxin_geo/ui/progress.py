"""进展: ledger rounds over time, the comparison of two rounds, and the 一企一策 measures board.

Reads and writes only through :class:`lianxin_geo.store.Store` (the database named by ``$LIANXIN_DB``,
else ``./lianxin.db``): rounds on a timeline with the district's three rates, each town's rate over the
rounds (a chart and the map coloured by the change), the diff of two rounds (new, closed, status
changed), and the measures board (filter by town, status and overdue; edit status / owner / due / note
in place with the version check; export to xlsx).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import appcharts, maps
from lianxin_geo.present.assets import streamlit_asset_base
from lianxin_geo.present.legend import change_layer, legend_control
from lianxin_geo.present.sheets import frame_sheet
from lianxin_geo.present.style import pct, pp
from lianxin_geo.present.xlsx import workbook_bytes
from lianxin_geo.store import MEASURE_STATUSES, Store, is_overdue
from lianxin_geo.store.access import User
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.ui.data import profile_title
from lianxin_geo.ui.screen_export import screen_export
from lianxin_geo.ui.selection import current_selection

__all__ = ["render", "MEASURE_HEADERS", "RATE_LABELS", "apply_edits", "measures_frame", "measures_xlsx"]

#: District rate key -> Chinese label.
RATE_LABELS = {"org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率", "work_coverage_rate": "工作覆盖率"}
#: Measure field -> Chinese column header (the board and the xlsx).
MEASURE_HEADERS = {"id": "编号", "org_name": "单位名称", "org_id": "统一社会信用代码/编号", "jurisdiction_code": "镇街代码",
                   "town": "镇街", "action": "需采取的行动", "rule": "规则", "clause": "条款", "measure": "任务措施",
                   "owner": "责任人", "due": "期限", "status": "状态", "note": "备注", "version": "版本",
                   "origin_round": "提出轮次", "round": "所在轮次", "overdue": "已逾期"}
_EDITABLE = ("status", "owner", "due", "note")


def _rounds_frame(store: Store) -> pd.DataFrame:
    rows = []
    for r in store.rounds(user=state.current_user()):
        row = {"轮次": r.name, "导入时间": r.created_at[:16].replace("T", " "), "导入人": r.created_by,
               "政策配置": profile_title(r.profile), "组织数": r.orgs, "接受行": r.accepted, "拒绝行": r.rejected}
        for k, label in RATE_LABELS.items():
            row[label] = r.district.get(k)
        rows.append(row)
    return pd.DataFrame(rows)


def _timeline(store: Store, frame: pd.DataFrame) -> None:
    st.subheader("台账轮次")
    show = frame.copy()
    for label in RATE_LABELS.values():
        show[label] = show[label].map(pct)
    st.dataframe(show, hide_index=True, width="stretch")
    if len(frame) >= 2:
        rows = [{"round": r["轮次"], **{k: r[label] for k, label in RATE_LABELS.items()}}
                for r in frame.to_dict("records")]
        st.altair_chart(appcharts.rounds_chart(rows, title="全区三率随轮次变化", height=260), width="stretch",
                        key="pg_rounds_chart")


def _town_rates(store: Store) -> pd.DataFrame:
    """Each town's rates per round: only the user's towns (every town for an admin or without accounts)."""
    tr = store.town_rates()
    user = state.current_user()
    if user is None or user.is_admin or tr.empty:
        return tr
    return tr[tr["code"].astype(str).map(user.sees)].reset_index(drop=True)


def _towns_section(store: Store, names: list[str]) -> None:
    tr = _town_rates(store)
    if tr.empty:
        return
    st.subheader("各乡镇/街道组织覆盖率随轮次变化")
    towns = sorted(tr["name"].dropna().unique().tolist())
    pick = st.multiselect("选择乡镇/街道（默认变化最大的 5 个）", towns, key="pg_towns",
                          default=_biggest_changes(tr, names, 5))
    wide = tr.pivot_table(index="round", columns="name", values="org_coverage_rate", aggfunc="first")
    wide = wide.reindex([n for n in names if n in wide.index])
    if pick:
        st.line_chart(wide[[c for c in pick if c in wide.columns]] * 100, height=300)


def _biggest_changes(tr: pd.DataFrame, names: list[str], k: int) -> list[str]:
    if len(names) < 2:
        return sorted(tr["name"].dropna().unique().tolist())[:k]
    a = tr[tr["round"] == names[-2]].set_index("code")["org_coverage_rate"]
    b = tr[tr["round"] == names[-1]].set_index("code")
    delta = (b["org_coverage_rate"] - a.reindex(b.index)).abs().sort_values(ascending=False)
    return [str(b.loc[c, "name"]) for c in delta.index[:k] if pd.notna(delta[c])]


def _diff_section(store: Store, names: list[str]) -> None:
    st.subheader("两轮比较")
    c = st.columns(2)
    a = c[0].selectbox("从", names, index=len(names) - 2, key="pg_from")
    b = c[1].selectbox("到", names, index=len(names) - 1, key="pg_to")
    if a == b:
        st.info("请选择两个不同的轮次。")
        return
    d = store.diff(a, b, user=state.current_user())
    m = st.columns(6)
    m[0].metric("新增组织", f"{len(d['orgs_new']):,}")
    m[1].metric("注销/未再报送", f"{len(d['orgs_closed']):,}")
    m[2].metric("信息变化", f"{len(d['orgs_changed']):,}")
    m[3].metric("覆盖状态变化", f"{len(d['status_changes']):,}")
    for i, (k, label) in enumerate(list(RATE_LABELS.items())[:2]):
        r = d["district"][k]
        delta = r.get("delta")
        m[4 + i].metric(label, pct(r.get("to")), None if delta is None else pp(delta))
    jur = pd.DataFrame([{"镇街": j.get("name"), "代码": j.get("code"),
                         "上轮组织覆盖率": pct(j["org_coverage_rate"].get("from")),
                         "本轮组织覆盖率": pct(j["org_coverage_rate"].get("to")),
                         "变化（百分点）": None if j["org_coverage_rate"].get("delta") is None
                         else round(j["org_coverage_rate"]["delta"] * 100, 1)}
                        for j in d.get("jurisdictions", [])])
    left, right = st.columns([3, 2])
    with left:
        _change_map(b, d)
    with right:
        st.dataframe(jur, hide_index=True, width="stretch", height=420)
    with st.expander(f"覆盖状态变化（{len(d['status_changes'])}）"):
        st.dataframe(pd.DataFrame(d["status_changes"]).rename(columns={"org_id": "组织", "from": "上轮状态",
                                                                       "to": "本轮状态"}),
                     hide_index=True, width="stretch")
    with st.expander(f"新增组织（{len(d['orgs_new'])}）与注销/未再报送组织（{len(d['orgs_closed'])}）"):
        st.write("新增：" + "、".join(widgets.markdown_text(x) for x in d["orgs_new"][:200]))
        st.write("注销/未再报送：" + "、".join(widgets.markdown_text(x) for x in d["orgs_closed"][:200]))


def _change_map(round_name: str, d: dict[str, Any]) -> None:
    """The map of the later round, towns coloured by the change of their organization coverage rate."""
    from streamlit_folium import st_folium

    ws = state.round_workspace(round_name)
    rates = {str(j.get("code")): (j["org_coverage_rate"].get("from"), j["org_coverage_rate"].get("to"))
             for j in d.get("jurisdictions", [])}
    fmap = maps.build_map(ws, layers=(), asset_base=streamlit_asset_base())
    change_layer(ws.district, rates).add_to(fmap)
    fmap.add_child(legend_control(("change",)))
    st_folium(fmap, key="pg_map", height=420, use_container_width=True, returned_objects=[])


def measures_frame(rows: list[dict[str, Any]], towns: dict[str, str], *, today: _dt.date) -> pd.DataFrame:
    """The measures as the board shows them: Chinese town names and an ``overdue`` flag (open and past due)."""
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=list(MEASURE_HEADERS))
    df["town"] = df["jurisdiction_code"].map(lambda c: towns.get(str(c), str(c)))
    df["overdue"] = [is_overdue(m, today) for m in rows]
    return df


def apply_edits(store: Store, before: pd.DataFrame, after: pd.DataFrame, *,
                user: User | None = None) -> tuple[int, list[str]]:
    """Write the rows the user changed, each with the version it was read at; ``(saved, Chinese errors)``.

    ``user`` is the logged-in user (the store refuses viewers and measures of other towns, and audits who).
    """
    saved, errors = 0, []
    b = before.set_index("id")
    for rec in after.to_dict("records"):
        mid = rec["id"]
        old = b.loc[mid]
        changes = {}
        for k in _EDITABLE:
            new, was = rec.get(k), old.get(k)
            new = None if new is None or (isinstance(new, float) and pd.isna(new)) else str(new)
            was = None if was is None or (isinstance(was, float) and pd.isna(was)) else str(was)
            if new != was:
                changes[k] = new if new is not None else ""
        if not changes:
            continue
        try:
            store.set_measure(int(mid), expect_version=int(old["version"]), user=user, **changes)
            saved += 1
        except LianxinError as exc:
            errors.append(f"措施 {mid}：{exc}")
    return saved, errors


def measures_xlsx(df: pd.DataFrame, *, notes: list[str]) -> bytes:
    """The board as an xlsx (Chinese headers; the formula guard of :mod:`lianxin_geo.present.xlsx`), in memory."""
    return workbook_bytes([frame_sheet("一企一策措施", "一企一策措施跟踪", df, MEASURE_HEADERS, notes)])


def _filters(df: pd.DataFrame, names: list[str]) -> tuple[str, pd.DataFrame, tuple]:
    c = st.columns(4)
    rnd = c[0].selectbox("轮次", names, index=len(names) - 1, key="pg_m_round")
    town = c[1].selectbox("镇街", ["全部"] + sorted(set(df["town"])) if len(df) else ["全部"], key="pg_m_town")
    status = c[2].selectbox("状态", ["全部", *MEASURE_STATUSES], key="pg_m_status")
    overdue = c[3].checkbox("只看逾期", key="pg_m_overdue")
    view = df
    if town != "全部":
        view = view[view["town"] == town]
    if status != "全部":
        view = view[view["status"] == status]
    if overdue:
        view = view[view["overdue"]]
    return rnd, view, (rnd, town, status, overdue)


def _snapshot(store: Store, names: list[str]) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The measures as read when the board was shown (kept until saved or refreshed: the version check needs
    the versions the user saw, not those of this rerun)."""
    ss = st.session_state
    rnd = ss.get("pg_m_round") or names[-1]
    if rnd not in names:
        rnd = names[-1]
    tr = _town_rates(store)
    towns = dict(zip(tr["code"].astype(str), tr["name"]))
    df = measures_frame(store.measures(round=rnd, user=state.current_user()), towns, today=_dt.date.today())
    return rnd, df, tr


def _editor(view: pd.DataFrame, key: str, *, editable: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    ss = st.session_state
    snap_key = "pg_m_editor_snapshot"
    cols = [c for c in ("id", "town", "org_name", "action", "measure", "owner", "due", "status", "note",
                        "overdue", "rule", "clause", "version") if c in view.columns]
    if snap_key not in ss:
        ss[snap_key] = view[cols].head(2000).reset_index(drop=True)
    shown = ss[snap_key]
    edited = st.data_editor(
        shown, hide_index=True, width="stretch", key=key,
        disabled=[c for c in cols if c not in _EDITABLE] if editable else True,
        column_config={**{c: st.column_config.Column(MEASURE_HEADERS.get(c, c)) for c in cols},
                       "status": st.column_config.SelectboxColumn("状态", options=list(MEASURE_STATUSES),
                                                                  required=True),
                       "overdue": st.column_config.CheckboxColumn("已逾期")})
    return shown, edited


def _forget(key: str) -> None:
    """Drop the board's snapshot and start a fresh editor (a new widget key: no widget state is modified)."""
    ss = st.session_state
    ss.pop(f"{key}_snapshot", None)
    ss[f"{key}_gen"] = int(ss.get(f"{key}_gen", 0)) + 1


def _say(kind: str, text: str) -> None:
    """Keep a message for the next run (the page reruns after a save)."""
    st.session_state.setdefault("pg_msgs", []).append((kind, text))


def _can_edit() -> bool:
    """True unless the logged-in user is a viewer (只读); the store refuses a viewer's edit anyway."""
    user = state.current_user()
    return user is None or user.can_edit


def _one_measure_form(store: Store, view: pd.DataFrame) -> None:
    """Edit one measure with plain widgets; the version is the one read when that measure was first shown."""
    if view.empty:
        return
    editable = _can_edit()
    ss = st.session_state
    labels = {int(r.id): f"{int(r.id)} · {r.org_name} · {r.action}" for r in view.itertuples(index=False)}
    mid = st.selectbox("修改单条措施", list(labels), format_func=labels.get, key="pg_one_id")
    cur = store.measure(int(mid), user=state.current_user())
    base_key = f"pg_one_base_{mid}"
    ss.setdefault(base_key, int(cur["version"]))
    with st.form("pg_one"):
        c = st.columns([1, 1, 1, 2])
        status = c[0].selectbox("状态", list(MEASURE_STATUSES), key=f"pg_one_status_{mid}",
                                index=list(MEASURE_STATUSES).index(cur["status"]) if cur["status"] in MEASURE_STATUSES
                                else 0)
        owner = c[1].text_input("责任人", value=cur.get("owner") or "", key=f"pg_one_owner_{mid}")
        due = c[2].text_input("期限（YYYY-MM-DD）", value=cur.get("due") or "", key=f"pg_one_due_{mid}")
        note = c[3].text_input("备注", value=cur.get("note") or "", key=f"pg_one_note_{mid}")
        st.caption(f"任务措施：{widgets.markdown_text(cur.get('measure') or '')}；读取时的版本：{ss[base_key]}")
        go = st.form_submit_button("保存这条措施", type="primary", disabled=not editable)
    if go:
        try:
            row = store.set_measure(int(mid), status=status, owner=owner, due=due or None, note=note,
                                    expect_version=int(ss[base_key]), user=state.current_user())
        except LianxinError as exc:
            st.error(str(exc))
            # the next save starts from what is stored now
            ss[base_key] = int(store.measure(int(mid), user=state.current_user())["version"])
            return
        ss[base_key] = int(row["version"])
        _forget("pg_m_editor")
        st.success(f"措施 {mid} 已保存（版本 {row['version']}，已记入操作日志）。")


def _measures_section(store: Store, names: list[str]) -> pd.DataFrame:
    st.subheader("一企一策措施跟踪")
    rnd, df, _ = _snapshot(store, names)
    rnd, view, filt = _filters(df, names)
    if st.session_state.get("pg_m_filters") != filt:
        st.session_state["pg_m_filters"] = filt
        _forget("pg_m_editor")
    st.caption(f"共 {len(view):,} 条；可直接修改“状态、责任人、期限、备注”，然后点击“保存修改”。"
               "若他人已先修改同一条措施，保存会被拒绝并提示（不会覆盖他人的修改）。")
    for kind, text in st.session_state.pop("pg_msgs", []):
        getattr(st, kind)(text)
    editable = _can_edit()
    if not editable:
        st.info("只读账号：可以查看和导出措施，不能修改。")
    shown, edited = _editor(view, f"pg_m_editor_{st.session_state.get('pg_m_editor_gen', 0)}", editable=editable)
    c = st.columns(3)
    if c[0].button("保存修改", type="primary", key="pg_m_save", disabled=not editable):
        saved, errors = apply_edits(store, shown, edited, user=state.current_user())
        for e in errors:
            _say("error", e)
        if saved:
            _say("success", f"已保存 {saved} 条修改（已记入操作日志）。")
        if not errors and not saved:
            _say("info", "没有修改。")
        _forget("pg_m_editor")
        st.rerun()
    if c[1].button("刷新", key="pg_m_refresh"):
        _forget("pg_m_editor")
        st.rerun()
    notes = list(state.round_workspace(rnd).data_notes)
    c[2].download_button("导出措施表（xlsx）", data=measures_xlsx(view, notes=notes),
                         file_name=f"一企一策措施_{rnd}.xlsx", key="pg_m_xlsx",
                         on_click=auth.record, args=("export",),
                         kwargs={"detail": {"format": "xlsx", "what": "measures", "round": rnd, "rows": len(view)}},
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    _one_measure_form(store, view)
    return view


def render() -> None:
    """Draw the page."""
    widgets.guard_host()
    auth.require_login()
    state.init_state()
    st.title("进展")
    try:
        store = state.store()
    except LianxinError as exc:
        st.error(f"无法打开数据库：{exc}")
        st.stop()
    frame = _rounds_frame(store)
    st.caption(f"数据库：{widgets.markdown_text(state.db_url_display())}")
    if frame.empty:
        st.info("数据库中还没有台账轮次：请在“数据”页载入台账后点击“保存为台账轮次”，"
                "或在命令行运行 lianxin-geo round import --round 2026-06 --orgs 台账.xlsx。")
        return
    names = frame["轮次"].tolist()
    ws = state.round_workspace(names[-1])
    widgets.banner(ws)  # demo rounds are named as such
    _timeline(store, frame)
    if len(names) >= 2:
        _towns_section(store, names)
        _diff_section(store, names)
    else:
        st.info("只有一个轮次：导入下一轮台账后即可比较进展。")
    view = _measures_section(store, names)
    shown = frame.copy()
    for label in RATE_LABELS.values():
        shown[label] = shown[label].map(pct)
    measures = view[[c for c in MEASURE_HEADERS if c in view]].rename(columns=MEASURE_HEADERS)
    screen_export("进展", current_selection(), {"台账轮次": shown, "一企一策措施": measures}, ("boundaries", "orgs"),
                  ws=ws, assessment=None, key="pg_export")


if __name__ == "__main__":
    render()
