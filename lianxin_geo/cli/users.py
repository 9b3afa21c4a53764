"""Accounts on the command line (issue 14): ``db init``, ``users add|list|disable|passwd`` and ``--user``.

When the database holds accounts, every command that reads it needs ``--user NAME`` (or
``$LIANXIN_USER``) and the password from ``$LIANXIN_PASSWORD`` (else a hidden prompt in a
terminal); the data is then what that user may see (:func:`lianxin_geo.store.scope_workspace`,
the ``user=`` arguments of the store). Without accounts nothing is asked (single-user mode).
The user logged in during one command is remembered for that command only (:func:`reset_sessions`
runs at the start of every ``main``), so a command logs in once and its audit entries name the user.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Iterable, Optional

import typer
from rich.console import Console
from rich.markup import escape

from lianxin_geo.cli._common import emit_json, err
from lianxin_geo.store import ROLES, AuthError, Store, User, open_store
from lianxin_geo.store.users import one_time_password

__all__ = ["users_app", "UserOpt", "login_user", "reset_sessions", "audit_event", "read_password_file",
           "db_init", "USER_ENV", "PASSWORD_ENV"]

#: Environment variables of the CLI login.
USER_ENV, PASSWORD_ENV = "LIANXIN_USER", "LIANXIN_PASSWORD"

users_app = typer.Typer(help="账号：add 添加 / list 列表 / disable 停用 / passwd 改密码。Accounts and roles.",
                        no_args_is_help=True)

UserOpt = Annotated[Optional[str], typer.Option(
    "--user", help="登录用户名（数据库设置了账号时必填；缺省 $LIANXIN_USER；密码取 $LIANXIN_PASSWORD 或提示输入）"
    " / account name")]
_DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="数据库：文件路径（SQLite）或 postgresql://用户@主机/库名；缺省 $LIANXIN_DB，否则 ./lianxin.db "
    "/ database file or URL")]
_JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON 到标准输出 / print JSON on stdout")]
_PwOpt = Annotated[Optional[Path], typer.Option(
    "--password-file", help="从文件读取密码（第一行）；缺省生成一次性密码 / read the password from a file")]
out = Console(highlight=False, soft_wrap=True)

#: database URL -> the user logged in during the current command (``None``: a database without accounts).
_SESSIONS: dict[str, User | None] = {}


def reset_sessions() -> None:
    """Forget the logins of the previous command (called at the start of every ``main``)."""
    _SESSIONS.clear()


def _key(store: Store) -> str:
    return store.url.render_as_string(hide_password=True)


def read_password_file(path: Path) -> str:
    """The password in ``path``: its first line, without the line end."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AuthError(f"无法读取密码文件 {path}：{exc.strerror or exc}") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise AuthError(f"密码文件 {path} 的第一行为空：请把密码写在第一行")
    return lines[0]


def _password_for(name: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise AuthError(f"需要用户 {name} 的密码：请设置环境变量 {PASSWORD_ENV}，或在终端中运行以输入密码")
    return typer.prompt(f"用户 {name} 的密码", hide_input=True)


def login_user(store: Store, name: str | None, *, allow_change: bool = False) -> User | None:
    """Log in to ``store`` for this command: ``None`` when it has no accounts, else the :class:`User`.

    Raises
    ------
    AuthError
        No ``--user`` given, a wrong password, a locked or disabled account, or a one-time password
        not yet changed (unless ``allow_change``: ``users passwd`` for oneself).
    """
    key = _key(store)
    if key in _SESSIONS:
        user = _SESSIONS[key]
    elif not store.has_accounts():
        user = _SESSIONS[key] = None
    else:
        name = name or os.environ.get(USER_ENV)
        if not name:
            raise AuthError(f"该数据库已设置账号：请用 --user 用户名（或环境变量 {USER_ENV}）登录，"
                            f"密码取环境变量 {PASSWORD_ENV} 或在提示时输入")
        user = _SESSIONS[key] = store.authenticate(name, _password_for(name))
    if user is not None and user.must_change_password and not allow_change:
        raise AuthError(f"用户 {user.name} 须先修改一次性密码：lianxin-geo users passwd {user.name} --user "
                        f"{user.name} --password-file 新密码文件")
    return user


def audit_event(db: str | None, what: str, *, towns: Iterable[str] = (), detail: dict[str, Any] | None = None,
                round_name: str | None = None) -> None:
    """Record an event of a command that read database ``db`` (plan run, export), by the user logged in."""
    with open_store(db) as store:
        user = _SESSIONS.get(_key(store))
        store.record(what, user=user, towns=tuple(towns), detail=detail, round_name=round_name)


# ----------------------------------------------------------------- db init
def db_init(
    admin: Annotated[str, typer.Option("--admin", help="第一位区级管理员的用户名 / the first admin")],
    password_file: _PwOpt = None,
    db: _DbOpt = None,
    json_: _JsonOpt = False,
) -> None:
    """建库并创建第一位区级管理员（无密码文件时打印一次性密码，首次登录须修改）/ create the first admin."""
    with open_store(db) as store:
        if store.has_accounts():
            raise AuthError("该数据库已有账号：请由区级管理员用 lianxin-geo users add 添加用户")
        password = read_password_file(password_file) if password_file is not None else None
        user, otp = store.add_user(admin, "admin", password=password)
        doc = {"admin": user.name, "role": user.role, "one_time_password": otp,
               "must_change_password": user.must_change_password, "revision": store.revision()}
    if json_:
        emit_json(doc)
        return
    err.print(f"[green]已创建区级管理员 {escape(user.name)}[/green]（数据库结构版本 {doc['revision']}）")
    if otp is not None:
        out.print(f"一次性密码：{otp}", markup=False)
        err.print("请妥善转交；首次登录时必须修改（lianxin-geo users passwd 用户名 --user 用户名 --password-file 文件）")


# ----------------------------------------------------------------- users
@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="用户名 / account name")],
    role: Annotated[str, typer.Option("--role", help="角色 admin（区级管理员）/ town（镇街用户）/ viewer（只读）")],
    town: Annotated[Optional[list[str]], typer.Option(
        "--town", help="镇街代码（9位，可重复）；town/viewer 必填 / town code, repeatable")] = None,
    password_file: _PwOpt = None,
    user: UserOpt = None,
    db: _DbOpt = None,
    json_: _JsonOpt = False,
) -> None:
    """添加用户（区级管理员操作）/ add an account (admins only)."""
    with open_store(db) as store:
        if not store.has_accounts():
            raise AuthError("该数据库还没有账号：请先运行 lianxin-geo db init --admin 用户名 创建区级管理员")
        actor = login_user(store, user)
        password = read_password_file(password_file) if password_file is not None else None
        made, otp = store.add_user(name, role, towns=town or (), password=password, by=actor)
    doc = {"name": made.name, "role": made.role, "role_name": ROLES[made.role], "towns": list(made.towns),
           "one_time_password": otp, "must_change_password": made.must_change_password}
    if json_:
        emit_json(doc)
        return
    err.print(f"[green]已添加用户 {escape(made.name)}[/green]（{ROLES[made.role]}"
              + (f"，镇街 {'、'.join(made.towns)}" if made.towns else "") + "）")
    if otp is not None:
        out.print(f"一次性密码：{otp}", markup=False)


@users_app.command("list")
def users_list(user: UserOpt = None, db: _DbOpt = None, json_: _JsonOpt = False) -> None:
    """列出全部用户（区级管理员操作）/ list the accounts (admins only)."""
    with open_store(db) as store:
        actor = login_user(store, user)
        rows = store.users(by=actor)
    if json_:
        emit_json(rows)
        return
    if not rows:
        err.print("该数据库还没有账号（单用户模式）：lianxin-geo db init --admin 用户名 创建区级管理员")
    for r in rows:
        state = "已停用" if r["disabled"] else ("已锁定至 " + r["locked_until"][:16] if r["locked_until"] else "正常")
        out.print(f"{r['name']}  {r['role_name']}  {'、'.join(r['towns']) or '全区'}  {state}  最近登录 "
                  f"{(r['last_login'] or '从未')[:16]}" + ("  〔须修改一次性密码〕" if r["must_change_password"] else ""),
                  markup=False)


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="用户名 / account name")],
    user: UserOpt = None,
    db: _DbOpt = None,
    json_: _JsonOpt = False,
) -> None:
    """停用用户（不删除，操作日志保留）/ disable an account (admins only)."""
    with open_store(db) as store:
        actor = login_user(store, user)
        if actor is None:
            raise AuthError("该数据库还没有账号：没有可停用的用户")
        store.disable_user(name, by=actor)
    if json_:
        emit_json({"name": name, "disabled": True})
        return
    err.print(f"[green]已停用用户 {escape(name)}[/green]")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="用户名 / account name")],
    password_file: _PwOpt = None,
    user: UserOpt = None,
    db: _DbOpt = None,
    json_: _JsonOpt = False,
) -> None:
    """修改密码：本人改自己的密码；区级管理员可重设他人密码（对方下次登录须修改）/ change a password."""
    with open_store(db) as store:
        actor = login_user(store, user, allow_change=True)
        if actor is None:
            raise AuthError("该数据库还没有账号：请先运行 lianxin-geo db init --admin 用户名")
        own = actor.name == name
        if actor.must_change_password and not own:
            raise AuthError(f"用户 {actor.name} 须先修改自己的一次性密码")
        if password_file is not None:
            password, otp = read_password_file(password_file), None
        elif own:
            if not sys.stdin.isatty():
                raise AuthError("修改自己的密码请用 --password-file 文件，或在终端中运行以输入新密码")
            password, otp = typer.prompt("新密码", hide_input=True, confirmation_prompt=True), None
        else:
            password = otp = one_time_password()
        store.set_password(name, password, by=actor, must_change=not own)
    doc = {"name": name, "must_change_password": not own, "one_time_password": otp}
    if json_:
        emit_json(doc)
        return
    err.print(f"[green]已修改用户 {escape(name)} 的密码[/green]" + ("（下次登录须修改）" if not own else ""))
    if otp is not None:
        out.print(f"一次性密码：{otp}", markup=False)
