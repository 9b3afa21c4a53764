"""登录: who uses the app — the login page, the session timeout, the forced password change, single-user mode.

Every check happens on the server, in Python: the logged-in :class:`~lianxin_geo.store.User` lives in this
session's ``st.session_state`` (never in the browser), passwords are checked by
:meth:`lianxin_geo.store.Store.authenticate` (argon2, lockout, every attempt audited), and the data a page
sees is the workspace scoped by :func:`lianxin_geo.store.scope_workspace` (see :func:`lianxin_geo.ui.state.workspace`).

* The database has accounts: :func:`require_login` shows the login page (标题“登录”，“用户名”“密码”，按钮“登录”)
  and stops the run until the user is authenticated; after ``Settings.session_minutes`` without activity the
  user is logged out (“登录已超时，请重新登录”); an account with a one-time password must change it first
  (“修改密码”).
* No accounts: single-user mode, allowed only when the server listens on the loopback interface
  (``server.address`` 127.0.0.1 / localhost / ::1); any other address is refused before any data is read.
"""

from __future__ import annotations

import dataclasses
import time

import streamlit as st
from sqlalchemy import exc as sa_exc

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present.style import esc
from lianxin_geo.store.access import ROLES, AuthError, Settings, User
from lianxin_geo.ui import state

__all__ = ["DB_BUSY", "LOGIN_TIMEOUT", "SINGLE_USER", "SINGLE_USER_REFUSED", "current_user", "is_loopback", "record",
           "require_admin", "require_login", "user_sidebar"]

#: The single-user mode banner.
SINGLE_USER = "单用户模式（未设置账号）：仅限本机 127.0.0.1 访问"
#: Refusal of a non-loopback address without accounts.
SINGLE_USER_REFUSED = ("未设置账号时只允许在本机（127.0.0.1）运行：当前 server.address 为 {address}。"
                       "如需在内网为多个镇街提供服务，请先用 lianxin-geo db init --admin 用户名 创建区级管理员账号，"
                       "或改为 --server.address 127.0.0.1。")
#: Shown on the login page after an idle timeout.
LOGIN_TIMEOUT = "登录已超时，请重新登录"
#: Shown when the database stays busy past its timeout during a login (nothing was checked; try again).
DB_BUSY = "数据库正忙（许多用户正在同时登录或保存），未能核对密码：请稍等片刻再点“登录”。"
#: Shown when a page for admins is reached by another user.
ADMIN_ONLY = "无权访问：此页面仅限区级管理员。"

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_LAST = "auth_last_activity"
_MSG = "auth_message"


def is_loopback(address: str | None) -> bool:
    """True when Streamlit's ``server.address`` listens on this machine only (unset means every interface)."""
    text = str(address or "").strip().lower()
    return text in _LOOPBACK or text.startswith("127.")


def current_user() -> User | None:
    """The logged-in user of this session (``None``: not logged in, or single-user mode)."""
    return state.current_user()


def record(what: str, *, outcome: str = "ok", detail: dict | None = None) -> None:
    """Write an audit entry for an app event of the current user (its towns; admin: every town).

    A failure to write the audit is shown as a warning; the action itself has already happened.
    """
    user = current_user()
    try:
        state.store().record(what, user=user, towns=tuple(user.towns) if user is not None else (),
                             outcome=outcome, detail=detail)
    except LianxinError as exc:
        st.warning(f"操作日志写入失败：{exc}")


def _logout(message: str | None = None) -> None:
    """Forget the user and everything of the session (inputs, chosen round, plans, widget values): the next
    user of this browser starts afresh."""
    ss = st.session_state
    user = ss.get(state.USER_KEY)
    ss.clear()
    if message:
        ss[_MSG] = message
    if user is not None and message is None:
        try:
            state.store().record("logout", user=user, towns=tuple(user.towns))
        except LianxinError:
            pass


def _login_page() -> None:
    """The login form; a successful login reruns the app as that user."""
    st.title("登录")
    msg = st.session_state.pop(_MSG, None)
    if msg:
        st.warning(msg)
    with st.form("login"):
        name = st.text_input("用户名", key="login_name")
        password = st.text_input("密码", type="password", key="login_password")
        go = st.form_submit_button("登录", type="primary")
    if not go:
        st.caption("账号由区级管理员在“用户管理”页或命令行 lianxin-geo users add 创建。")
        return
    try:
        user = state.store().authenticate(name.strip(), password)
    except AuthError as exc:
        text = str(exc)
        st.error(text if "用户名或密码错误" in text or "锁定" in text or "停用" in text
                 else f"用户名或密码错误（{text}）")
        return
    except sa_exc.OperationalError:  # the database stayed busy longer than its timeout (many logins at once)
        st.error(DB_BUSY)
        return
    st.session_state[state.USER_KEY] = user
    st.session_state[_LAST] = time.time()
    st.session_state["plans"] = {}
    st.rerun()


def _change_password_page(user: User) -> None:
    """The forced password change of an account with a one-time password."""
    st.title("修改密码")
    st.info(f"{user.name}：您正在使用一次性密码，请先设置自己的新密码（至少 8 位）。")
    with st.form("change_password"):
        new = st.text_input("新密码", type="password", key="pw_new")
        again = st.text_input("再次输入新密码", type="password", key="pw_again")
        go = st.form_submit_button("修改密码", type="primary")
    if not go:
        return
    if new != again:
        st.error("两次输入的新密码不一致。")
        return
    try:
        state.store().set_password(user.name, new, by=user, must_change=False)
    except AuthError as exc:
        st.error(str(exc))
        return
    st.session_state[state.USER_KEY] = dataclasses.replace(user, must_change_password=False)
    st.rerun()


def require_login() -> User | None:
    """Stop this run unless the session may see data; return the user (``None`` in single-user mode).

    Called first by ``app.py`` (before the navigation), by :func:`lianxin_geo.ui.widgets.preamble` and by
    the 进展 page: calling it again in the same run changes nothing.
    """
    try:
        store = state.store()
        accounts = store.has_accounts()
        settings = Settings.from_env()
    except LianxinError as exc:  # the database cannot be opened, or a setting is not a number
        st.error(f"无法启动：{exc}")
        st.stop()
    if not accounts:
        address = st.get_option("server.address")
        if not is_loopback(address):
            st.error(SINGLE_USER_REFUSED.format(address=address or "（未设置：所有网卡）"))
            st.stop()
        st.session_state.pop(state.USER_KEY, None)
        return None
    ss = st.session_state
    user = ss.get(state.USER_KEY)
    now = time.time()
    if user is not None and now - float(ss.get(_LAST, 0.0)) > settings.session_minutes * 60:
        store.record("logout", user=user, towns=tuple(user.towns), outcome="timeout")
        _logout(LOGIN_TIMEOUT)
        user = None
    if user is None:
        _login_page()
        st.stop()
    ss[_LAST] = now
    if user.must_change_password:
        _change_password_page(user)
        st.stop()
    return user


def _town_label(codes: tuple[str, ...], names: dict[str, str]) -> str:
    return "、".join(names.get(c, c) for c in codes) if codes else "全部镇街"


def user_sidebar(user: User | None, *, names: dict[str, str] | None = None) -> None:
    """The sidebar block: who is logged in (name, role, towns) and the "退出登录" button, or the single-user banner."""
    sb = st.sidebar
    if user is None:
        sb.caption(SINGLE_USER)
        return
    sb.markdown(f"**{_md(user.name)}**（{ROLES.get(user.role, user.role)}）")
    names = names if names is not None else st.session_state.get("town_names") or {}
    sb.caption("镇街：" + _md(_town_label(tuple(user.towns), names)))
    if sb.button("退出登录", key="auth_logout"):
        _logout()
        st.rerun()


def require_admin() -> User:
    """Stop the page unless a 区级管理员 is logged in (the admin pages: 用户管理, 操作日志)."""
    user = require_login()
    if user is None:
        st.error(ADMIN_ONLY + "当前为单用户模式（未设置账号）：请先用 lianxin-geo db init --admin 用户名 创建管理员。")
        st.stop()
    if not user.is_admin:
        record("page_refused", outcome="refused")
        st.error(ADMIN_ONLY)
        st.stop()
    return user


def _md(text: object) -> str:
    """``text`` escaped for ``st.markdown`` (as :func:`lianxin_geo.ui.widgets.markdown_text`)."""
    return esc(text).replace("*", "\\*").replace("_", "\\_")
