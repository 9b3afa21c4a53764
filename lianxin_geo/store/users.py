"""Accounts in the database (issue 14): create, list, disable, change password, log in with lockout.

Passwords are hashed with argon2id (``argon2-cffi``'s :class:`~argon2.PasswordHasher`, its
recommended parameters; an old hash is re-hashed at the next login). Accounts are never deleted,
only disabled, so the audit keeps naming them. Every function here runs inside the caller's
transaction; the :class:`~lianxin_geo.store.store.Store` methods hold the transactions and the
permission checks.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from typing import Any, Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lianxin_geo.store import schema as S
from lianxin_geo.store._codec import iso_utc
from lianxin_geo.store.access import ROLES, AuthError, Settings, User
from lianxin_geo.store.audit import record

__all__ = ["create_user", "user_rows", "find_user", "disable", "change_password", "check_password", "login", "hash_password",
           "one_time_password", "MIN_PASSWORD", "BAD_LOGIN"]

#: Shortest password accepted.
MIN_PASSWORD = 8
#: The message of a wrong name or password (the same for both: a login does not reveal which names exist).
BAD_LOGIN = "用户名或密码错误"
_NAME = re.compile(r"^[\w.@\-\u4e00-\u9fff]{1,100}$")
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so that a wrong name takes as long as a wrong password."""
    return _HASHER.hash("lianxin-geo: no such user")


def _utc(ts: dt.datetime | None) -> dt.datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=dt.timezone.utc) if ts.tzinfo is None else ts.astimezone(dt.timezone.utc)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (refused when shorter than :data:`MIN_PASSWORD`)."""
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
    return _HASHER.hash(password)


def one_time_password() -> str:
    """A random one-time password (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def _check_towns(role: str, towns: Iterable[str]) -> tuple[str, ...]:
    if role not in ROLES:
        raise AuthError(f"角色 {role!r} 无效：可选 " + "、".join(f"{k}（{v}）" for k, v in ROLES.items()))
    codes = tuple(dict.fromkeys(str(t).strip() for t in towns if str(t).strip()))
    if role == "admin":
        return ()
    if not codes:
        raise AuthError(f"{ROLES[role]}需要至少一个镇街：请用 --town 9位镇街代码（可重复）")
    bad = [c for c in codes if not re.fullmatch(r"\d{9}", c)]
    if bad:
        raise AuthError(f"镇街代码 {'、'.join(bad)} 无效：应为 9 位数字，如 110113001")
    return codes


def _user(row: Any) -> User:
    return User(name=row["name"], role=row["role"], towns=tuple(row["towns"] or ()),
                must_change_password=bool(row["must_change_password"]))


def find_user(conn: sa.Connection, name: str) -> Any:
    """The users row called ``name`` (``None`` when there is none)."""
    return conn.execute(sa.select(S.users).where(S.users.c.name == name)).mappings().first()


def _existing(conn: sa.Connection, name: str) -> Any:
    row = find_user(conn, name)
    if row is None:
        raise AuthError(f"没有名为 {name!r} 的用户：请用 lianxin-geo users list 查看")
    return row


def create_user(conn: sa.Connection, name: str, role: str, *, towns: Iterable[str], password: str | None,
                actor: str | None, who: str, now: dt.datetime) -> tuple[User, str | None]:
    """Insert an account; return it and the one-time password made when ``password`` is ``None``."""
    name = str(name or "").strip()
    if not _NAME.fullmatch(name):
        raise AuthError(f"用户名 {name!r} 无效：1～100 个字母、数字、汉字或 . _ - @")
    codes = _check_towns(role, towns)
    if find_user(conn, name) is not None:
        raise AuthError(f"用户 {name!r} 已存在：请换一个用户名，或用 users passwd 重设其密码")
    otp = one_time_password() if password is None else None
    conn.execute(S.users.insert(), {
        "name": name, "role": role, "towns": list(codes), "password_hash": hash_password(password or otp or ""),
        "disabled": False, "must_change_password": otp is not None, "failed_logins": 0, "locked_until": None,
        "created_at": now, "last_login": None})
    record(conn, what="user.add", who=who, at=now, target=f"user:{name}", user=actor, towns=codes,
           new={"name": name, "role": role, "towns": list(codes), "one_time_password": otp is not None})
    return User(name=name, role=role, towns=codes, must_change_password=otp is not None), otp


def user_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every account as ``users list`` shows it (never the hash)."""
    out = []
    for r in conn.execute(sa.select(S.users).order_by(S.users.c.id)).mappings():
        out.append({"name": r["name"], "role": r["role"], "role_name": ROLES.get(r["role"], r["role"]),
                    "towns": list(r["towns"] or []), "disabled": bool(r["disabled"]),
                    "locked_until": iso_utc(r["locked_until"]), "last_login": iso_utc(r["last_login"]),
                    "must_change_password": bool(r["must_change_password"]), "created_at": iso_utc(r["created_at"])})
    return out


def disable(conn: sa.Connection, name: str, *, actor: str | None, who: str, now: dt.datetime) -> None:
    """Disable an account (it can no longer log in; it stays in the list and the audit)."""
    row = _existing(conn, name)
    conn.execute(S.users.update().where(S.users.c.id == row["id"]).values(disabled=True))
    record(conn, what="user.disable", who=who, at=now, target=f"user:{name}", user=actor,
           towns=tuple(row["towns"] or ()), old={"disabled": bool(row["disabled"])}, new={"disabled": True})


def change_password(conn: sa.Connection, name: str, new_password: str, *, must_change: bool, actor: str | None,
                    who: str, now: dt.datetime) -> None:
    """Set a new password (also unlocks the account and clears the failed logins)."""
    row = _existing(conn, name)
    if not must_change and row["must_change_password"] and actor == name:
        try:  # the forced change must really change the password
            if _HASHER.verify(row["password_hash"], new_password):
                raise AuthError("新密码不能与一次性密码相同：请设置一个新的密码")
        except (VerificationError, InvalidHashError):
            pass
    conn.execute(S.users.update().where(S.users.c.id == row["id"]).values(
        password_hash=hash_password(new_password), must_change_password=bool(must_change), failed_logins=0,
        locked_until=None))
    record(conn, what="user.passwd", who=who, at=now, target=f"user:{name}", user=actor,
           towns=tuple(row["towns"] or ()), new={"must_change_password": bool(must_change)})


def check_password(row: Any, password: str) -> bool:
    """Whether ``password`` matches the users row ``row`` (``None``: a dummy hash is checked, so an unknown name
    costs the same time). Slow on purpose (argon2id): call it outside any write transaction."""
    if row is None:
        try:
            _HASHER.verify(_dummy_hash(), password or "-")
        except VerificationError:
            pass
        return False
    try:
        return bool(_HASHER.verify(row["password_hash"], password or ""))
    except (VerificationError, InvalidHashError):
        return False


def login(conn: sa.Connection, name: str, password: str, *, settings: Settings, who: str,
          now: dt.datetime, checked: tuple[str, bool] | None = None) -> tuple[User | None, str]:
    """Check a login and audit it; return ``(user, "ok")`` or ``(None, the Chinese reason)``.

    The caller commits the transaction before raising, so failures and lockouts are kept. ``checked`` is
    ``(password_hash, ok)`` from :func:`check_password` done before the transaction began (so the slow hash is
    not computed while the database's write lock is held); it is used only while the row still has that hash.
    """
    name = str(name or "").strip()
    row = find_user(conn, name)

    def audit(outcome: str, towns: Iterable[str] = ()) -> None:
        record(conn, what="login", who=who, at=now, target=f"user:{name[:90]}", user=name[:100] or None,
               towns=tuple(towns), outcome=outcome)

    if row is None:
        if checked is None:
            check_password(None, password)
        audit("refused: unknown user")
        return None, BAD_LOGIN
    towns = tuple(row["towns"] or ())
    # The password is checked first, whatever the account's state, and a wrong one always gets the same answer
    # (BAD_LOGIN): the answer never tells whether a name exists or is locked or disabled. Only someone who knows
    # the password learns that the account is locked or disabled.
    if checked is not None and checked[0] == row["password_hash"]:
        ok = checked[1]
    else:
        ok = check_password(row, password)
    locked = _utc(row["locked_until"])
    is_locked = locked is not None and locked > now
    if row["disabled"]:
        audit("refused: disabled", towns)
        return None, f"账号 {name} 已停用：请联系区级管理员" if ok else BAD_LOGIN
    if is_locked:
        audit("refused: locked", towns)
        left = max(1, int((locked - now).total_seconds() // 60) + 1)
        return None, (f"账号 {name} 因多次密码错误已锁定，请约 {left} 分钟后再试（或请区级管理员重设密码）"
                      if ok else BAD_LOGIN)
    u = S.users
    if not ok:
        failed = int(row["failed_logins"] or 0) + 1
        lock = failed >= settings.lockout_attempts
        until = now + dt.timedelta(minutes=settings.lockout_minutes) if lock else None
        conn.execute(u.update().where(u.c.id == row["id"]).values(failed_logins=0 if lock else failed,
                                                                  locked_until=until))
        audit("refused: locked after failures" if lock else "refused: wrong password", towns)
        return None, BAD_LOGIN
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login": now}
    if _HASHER.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = _HASHER.hash(password)
    conn.execute(u.update().where(u.c.id == row["id"]).values(**values))
    audit("ok", towns)
    return _user(row), "ok"
