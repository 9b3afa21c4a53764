"""操作日志 (区级管理员 only): the append-only audit — who did what, when, on which towns, with what outcome.

Read with :meth:`lianxin_geo.store.Store.audit` (``by=`` the logged-in admin; anyone else is refused),
filtered on the page and exported as xlsx (:mod:`lianxin_geo.present.xlsx`). Nothing here edits the audit.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.present.sheets import frame_sheet
from lianxin_geo.present.xlsx import workbook_bytes
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.ui.users import time_text

__all__ = ["AUDIT_HEADERS", "audit_frame", "audit_xlsx", "filter_audit", "render"]

#: Audit field -> Chinese column header.
AUDIT_HEADERS = {"id": "序号", "at": "时间（UTC）", "user": "账号", "who": "系统用户", "what": "操作", "towns": "镇街",
                 "outcome": "结果", "round_name": "轮次", "target": "对象", "old": "原值", "new": "新值"}


def audit_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The audit rows as a frame (towns joined, values as text), newest first."""
    df = pd.DataFrame(rows, columns=list(AUDIT_HEADERS) if not rows else None)
    if df.empty:
        return pd.DataFrame(columns=list(AUDIT_HEADERS))
    df["towns"] = df["towns"].map(lambda ts: "、".join(map(str, ts or ())))
    for c in ("old", "new", "round_name", "target", "user"):
        if c in df:
            df[c] = df[c].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)[:300])
    df["at"] = df["at"].map(time_text)
    return df[[c for c in AUDIT_HEADERS if c in df]].iloc[::-1].reset_index(drop=True)


def filter_audit(df: pd.DataFrame, *, users: list[str] = (), whats: list[str] = (), outcomes: list[str] = (),
                 since: _dt.date | None = None, until: _dt.date | None = None) -> pd.DataFrame:
    """The rows of the chosen accounts, actions, outcomes and days (empty choice: all)."""
    view = df
    if users:
        view = view[view["user"].replace("", "（无账号）").isin(users)]
    if whats:
        view = view[view["what"].isin(whats)]
    if outcomes:
        view = view[view["outcome"].isin(outcomes)]
    day = pd.to_datetime(view["at"], errors="coerce").dt.date
    if since is not None:
        view = view[day >= since]
        day = day[day >= since]
    if until is not None:
        view = view[day <= until]
    return view


def audit_xlsx(df: pd.DataFrame) -> bytes:
    """The (filtered) audit as an xlsx with Chinese headers."""
    note = f"导出时间（UTC）：{_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M}"
    return workbook_bytes([frame_sheet("操作日志", "操作日志", df, AUDIT_HEADERS, [note])])


def render() -> None:
    """Draw the page."""
    widgets.guard_host()
    admin = auth.require_admin()
    state.init_state()
    st.title("操作日志")
    st.caption("操作日志只能追加、不能修改或删除：登录（成功与失败）、导入、措施修改、方案生成、导出与账号管理都记录在此。")
    df = audit_frame(state.store().audit(by=admin))
    if df.empty:
        st.info("操作日志为空。")
        return
    c = st.columns(5)
    users = c[0].multiselect("账号", sorted(df["user"].replace("", "（无账号）").unique()), key="au_users",
                             placeholder="全部")
    whats = c[1].multiselect("操作", sorted(df["what"].dropna().unique()), key="au_whats", placeholder="全部")
    outcomes = c[2].multiselect("结果", sorted(df["outcome"].dropna().unique()), key="au_outcomes", placeholder="全部")
    since = c[3].date_input("从", value=None, key="au_since")
    until = c[4].date_input("到", value=None, key="au_until")
    view = filter_audit(df, users=users, whats=whats, outcomes=outcomes, since=since, until=until)
    st.caption(f"共 {len(df):,} 条，筛选后 {len(view):,} 条（最新在前）。")
    st.dataframe(view.rename(columns=AUDIT_HEADERS), hide_index=True, width="stretch", height=520)
    st.download_button("导出操作日志（xlsx）", audit_xlsx(view), "操作日志.xlsx", key="au_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click=auth.record, args=("export",), kwargs={"detail": {"format": "xlsx", "what": "audit"}})


if __name__ == "__main__":
    render()
