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
from lianxin_geo.store.access import ROLES
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.ui.state import KINDS
from lianxin_geo.ui.users import time_text

__all__ = ["AUDIT_FIELDS", "AUDIT_HEADERS", "AUDIT_OUTCOMES", "AUDIT_WHATS", "audit_display", "audit_frame",
           "audit_xlsx", "filter_audit", "outcome_text", "render", "value_text", "what_text"]

#: Audit field -> Chinese column header.
AUDIT_HEADERS = {"id": "序号", "at": "时间（UTC）", "user": "账号", "who": "系统用户", "what": "操作", "towns": "镇街",
                 "outcome": "结果", "round_name": "轮次", "target": "对象", "old": "原值", "new": "新值"}

#: Audit action code -> Chinese (the stored codes stay English: they are what scripts and the CLI filter on).
AUDIT_WHATS: dict[str, str] = {
    "login": "登录", "logout": "退出登录", "page_refused": "拒绝打开页面", "export": "导出", "import": "导入台账",
    "plan_joint": "生成联建方案", "plan_routes": "生成指导员路线", "plan_coverage": "生成阵地覆盖方案",
    "round.import": "导入台账轮次", "round.replace": "替换台账轮次", "measure.set": "修改措施",
    "measure.carry": "结转措施", "user.add": "新增账号", "user.disable": "停用账号", "user.passwd": "重置/修改密码",
    "db.backup": "备份数据库", "db.restore": "恢复数据库", "db.migrate": "升级数据库"}
#: Audit outcome -> Chinese (a refusal's reason after ``refused: ``).
AUDIT_OUTCOMES: dict[str, str] = {
    "ok": "成功", "error": "出错", "refused": "被拒绝", "timeout": "超时退出", "forbidden": "无权限",
    "stale version": "他人已先修改（版本已变）", "unknown user": "无此账号", "disabled": "账号已停用",
    "locked": "账号已锁定", "locked after failures": "多次失败后锁定", "wrong password": "密码错误"}
#: Field of an audit value (old/new) -> Chinese.
AUDIT_FIELDS: dict[str, str] = {
    "name": "账号", "role": "角色", "towns": "镇街", "one_time_password": "一次性密码", "must_change": "须修改密码",
    "format": "格式", "plans": "方案", "orgs": "组织数", "round": "轮次", "error": "错误", "params": "参数",
    "out": "文件", "file": "文件", "what": "内容", "rows": "行数", "status": "状态", "owner": "责任人",
    "due": "期限", "note": "备注", "version": "版本", "measures": "措施", "accepted": "接受行", "rejected": "拒绝行",
    "replace": "替换", "files": "文件", "profile": "政策配置", "created": "新建", "carried": "结转",
    "closable": "可销号", "page": "页面", "reason": "原因", "round_id": "轮次编号", "sha256": "SHA-256",
    "size": "字节数", "path": "文件"}
_TARGETS = {"user": "账号", "measure": "措施", "round": "轮次"}
_PLANS = {"joint": "联建方案", "routes": "指导员路线", "coverage": "阵地覆盖"}


def what_text(code: object) -> str:
    """The Chinese name of an audit action (the code itself when unknown)."""
    return AUDIT_WHATS.get(str(code), str(code))


def outcome_text(code: object) -> str:
    """The Chinese outcome: ``refused: wrong password`` → ``被拒绝：密码错误``."""
    text = str(code)
    head, sep, reason = text.partition(": ")
    if sep:
        return f"{AUDIT_OUTCOMES.get(head, head)}：{AUDIT_OUTCOMES.get(reason, reason)}"
    return AUDIT_OUTCOMES.get(text, text)


def value_text(value: Any) -> str:
    """An audit value (a JSON object, list or scalar) as Chinese text: ``角色：区级管理员；镇街：全部``."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            if k == "role":
                v = ROLES.get(str(v), v)
            elif k == "plans" and isinstance(v, (list, tuple)):
                v = [_PLANS.get(str(x), x) for x in v]
            elif k == "towns" and not v:
                v = "全部"
            elif k == "files" and isinstance(v, dict):
                v = "、".join(f"{KINDS.get(str(kind), kind)} {_file_text(f)}" for kind, f in v.items())
                parts.append(f"文件：{v}")
                continue
            parts.append(f"{AUDIT_FIELDS.get(str(k), str(k))}：{value_text(v)}")
        return "；".join(parts)
    if isinstance(value, (list, tuple)):
        return "、".join(value_text(v) for v in value)
    return str(value)


def _file_text(f: Any) -> str:
    """A stored file of an import: its own name and the start of its SHA-256."""
    if not isinstance(f, dict):
        return value_text(f)
    sha = str(f.get("sha256") or "")
    return str(f.get("name") or "") + (f"（SHA-256 {sha[:12]}…）" if sha else "")


def _target_text(value: object) -> str:
    head, sep, rest = str(value).partition(":")
    return f"{_TARGETS[head]} {rest}" if sep and head in _TARGETS else str(value)


def audit_display(df: pd.DataFrame) -> pd.DataFrame:
    """The audit frame as people read it: actions, outcomes and targets in Chinese (codes kept in ``df``)."""
    out = df.copy()
    if "what" in out:
        out["what"] = out["what"].map(what_text)
    if "outcome" in out:
        out["outcome"] = out["outcome"].map(outcome_text)
    if "target" in out:
        out["target"] = out["target"].map(lambda v: _target_text(v) if v else "")
    return out


def audit_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The audit rows as a frame (towns joined, values as text), newest first."""
    df = pd.DataFrame(rows, columns=list(AUDIT_HEADERS) if not rows else None)
    if df.empty:
        return pd.DataFrame(columns=list(AUDIT_HEADERS))
    df["towns"] = df["towns"].map(lambda ts: "、".join(map(str, ts or ())))
    for c in ("old", "new", "round_name", "target", "user"):
        if c in df:
            df[c] = df[c].map(lambda v: value_text(v)[:300])
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
    return workbook_bytes([frame_sheet("操作日志", "操作日志", audit_display(df), AUDIT_HEADERS, [note])])


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
    whats = c[1].multiselect("操作", sorted(df["what"].dropna().unique()), key="au_whats", placeholder="全部",
                             format_func=what_text)
    outcomes = c[2].multiselect("结果", sorted(df["outcome"].dropna().unique()), key="au_outcomes", placeholder="全部",
                                format_func=outcome_text)
    since = c[3].date_input("从", value=None, key="au_since")
    until = c[4].date_input("到", value=None, key="au_until")
    view = filter_audit(df, users=users, whats=whats, outcomes=outcomes, since=since, until=until)
    st.caption(f"共 {len(df):,} 条，筛选后 {len(view):,} 条（最新在前）。")
    st.dataframe(audit_display(view).rename(columns=AUDIT_HEADERS), hide_index=True, width="stretch", height=520)
    st.download_button("导出操作日志（xlsx）", audit_xlsx(view), "操作日志.xlsx", key="au_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click=auth.record, args=("export",), kwargs={"detail": {"format": "xlsx", "what": "audit"}})


if __name__ == "__main__":
    render()
