"""用户管理 (区级管理员 only): the accounts — list, add (role, towns), disable, reset a password.

Every action goes through :class:`lianxin_geo.store.Store` with ``by=`` the logged-in admin, which refuses
anyone else and writes the audit. A one-time password (new account or reset) is shown once, in this session
only, and must be changed at the next login. Nobody is deleted: a disabled account keeps its audit trail.
"""

from __future__ import annotations

import secrets

import pandas as pd
import streamlit as st

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.store.access import ROLES, User
from lianxin_geo.ui import auth, state, widgets

__all__ = ["USER_HEADERS", "one_time_password", "render", "time_text", "users_frame"]

#: Account field -> Chinese column header.
USER_HEADERS = {"name": "用户名", "role_name": "角色", "towns": "镇街", "disabled": "已停用", "locked_until": "锁定至",
                "last_login": "最近登录", "must_change_password": "须修改密码", "created_at": "创建时间"}
_SHOWN = "users_one_time"


def time_text(value: object) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM:SS`` (UTC as stored); ``""`` for none."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).replace("T", " ")[:19]


def one_time_password() -> str:
    """A random one-time password (12 URL-safe characters, from :mod:`secrets`)."""
    return secrets.token_urlsafe(9)


def users_frame(rows: list[dict], names: dict[str, str]) -> pd.DataFrame:
    """The accounts as the page shows them: Chinese headers, towns by name."""
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=list(USER_HEADERS.values()))
    df["towns"] = df["towns"].map(lambda ts: "、".join(names.get(str(t), str(t)) for t in (ts or ())) or "全部")
    for c in ("locked_until", "last_login", "created_at"):
        if c in df:
            df[c] = df[c].map(time_text)
    return df[[c for c in USER_HEADERS if c in df]].rename(columns=USER_HEADERS)


def _show_once() -> None:
    """The one-time password just made: shown in this run, then forgotten."""
    got = st.session_state.pop(_SHOWN, None)
    if got:
        name, password = got
        st.success(f"账号 {widgets.markdown_text(name)} 的一次性密码（只显示这一次，请当面或通过安全渠道告知本人；"
                   "首次登录须修改）：")
        st.code(password, language=None)


def _add_form(admin: User, names: dict[str, str]) -> None:
    with st.form("user_add", clear_on_submit=True):
        st.subheader("新增账号")
        c = st.columns([2, 2, 4])
        name = c[0].text_input("新用户名", key="ua_name")
        role = c[1].selectbox("角色", list(ROLES), format_func=ROLES.get, key="ua_role")
        towns = c[2].multiselect("负责的镇街（镇街用户、只读账号必选）", list(names), format_func=lambda x: names.get(x, x),
                                 key="ua_towns", placeholder="选择镇街（可多选）")
        go = st.form_submit_button("新增账号", type="primary")
    if not go:
        return
    if role != "admin" and not towns:
        st.error("镇街用户和只读账号必须至少选择一个镇街。")
        return
    try:
        user, password = state.store().add_user(name.strip(), role, towns=() if role == "admin" else tuple(towns),
                                                password=None, by=admin)
    except LianxinError as exc:
        st.error(str(exc))
        return
    st.session_state[_SHOWN] = (user.name, password)
    st.rerun()


def _manage_form(admin: User, rows: list[dict]) -> None:
    active = [r["name"] for r in rows if not r.get("disabled")]
    if not active:
        return
    st.subheader("停用账号 / 重置密码")
    c = st.columns([2, 1, 1])
    who = c[0].selectbox("账号", active, key="um_name")
    if c[1].button("重置密码", key="um_reset"):
        password = one_time_password()
        try:
            state.store().set_password(who, password, by=admin, must_change=True)
        except LianxinError as exc:
            st.error(str(exc))
        else:
            st.session_state[_SHOWN] = (who, password)
            st.rerun()
    if c[2].button("停用账号", key="um_disable", disabled=who == admin.name,
                   help="不能停用自己；停用后该账号无法登录，操作日志保留"):
        try:
            state.store().disable_user(who, by=admin)
        except LianxinError as exc:
            st.error(str(exc))
        else:
            st.rerun()


def render() -> None:
    """Draw the page."""
    widgets.guard_host()
    admin = auth.require_admin()
    state.init_state()
    st.title("用户管理")
    try:
        names = dict(state.workspace().district.town_names)
    except (LianxinError, FileNotFoundError, ValueError):
        names = {}
    _show_once()
    rows = state.store().users(by=admin)
    st.caption(f"共 {len(rows)} 个账号。角色：区级管理员（全部镇街、管理账号和轮次）、镇街用户（只看、只改所负责镇街）、"
               "只读（只看、只导出所负责镇街）。")
    st.dataframe(users_frame(rows, names), hide_index=True, width="stretch")
    _add_form(admin, names)
    _manage_form(admin, rows)


if __name__ == "__main__":
    render()
