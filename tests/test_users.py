"""Accounts (issue 14): argon2 hashes, lockout, disabled accounts, one-time passwords, roles, the audit.

Every test runs on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lianxin_geo.store import AuthError, Settings, User, open_store
from lianxin_geo.store import schema as S
from lianxin_geo.store import users as U

A, B = "110113001", "110113002"


def _hash(store, name: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(S.users.c.password_hash).where(S.users.c.name == name)).scalar_one()


def test_passwords_are_argon2id_and_never_listed(db_url):
    with open_store(db_url) as store:
        assert not store.has_accounts()
        admin, otp = store.add_user("区管", "admin", password="s3cret-pass")
        assert otp is None and admin == User("区管", "admin", (), False) and store.has_accounts()
        h = _hash(store, "区管")
        assert h.startswith("$argon2id$") and "s3cret-pass" not in h
        town, _ = store.add_user("张镇", "town", towns=[A, A, B], password="town-pass-1", by=admin)
        assert town.towns == (A, B)  # duplicates dropped, order kept
        assert _hash(store, "张镇") != h and _hash(store, "张镇").startswith("$argon2id$")
        rows = store.users(by=admin)
        assert [r["name"] for r in rows] == ["区管", "张镇"]
        assert set(rows[0]) == {"name", "role", "role_name", "towns", "disabled", "locked_until", "last_login",
                                "must_change_password", "created_at"}
        assert (rows[1]["role_name"], rows[1]["towns"]) == ("镇街用户", [A, B])
        assert all("hash" not in str(r) and "argon2" not in str(r) for r in rows)
        with pytest.raises(AuthError, match="只有区级管理员"):
            store.users(by=town)
        with pytest.raises(AuthError, match="已存在"):
            store.add_user("张镇", "viewer", towns=[A], by=admin)
        with pytest.raises(AuthError, match="至少一个镇街"):
            store.add_user("无镇", "town", by=admin)
        with pytest.raises(AuthError, match="9 位数字"):
            store.add_user("坏镇", "viewer", towns=["胜利"], by=admin)
        with pytest.raises(AuthError, match="角色"):
            store.add_user("x", "root", by=admin)
        with pytest.raises(AuthError, match="太短"):
            store.add_user("短", "admin", password="short", by=admin)
        with pytest.raises(AuthError, match="只有区级管理员可以添加用户"):
            store.add_user("y", "viewer", towns=[A], by=town)


def test_login_lockout_then_unlock_after_the_time(db_url, monkeypatch):
    clock = [dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc)]
    monkeypatch.setattr("lianxin_geo.store.store._now", lambda: clock[0])
    with open_store(db_url) as store:
        store.settings = Settings(lockout_attempts=3, lockout_minutes=10, session_minutes=30)
        store.add_user("李", "viewer", towns=[A], password="right-password")
        for _ in range(2):
            with pytest.raises(AuthError, match="^用户名或密码错误$"):
                store.authenticate("李", "wrong-password")
        with pytest.raises(AuthError, match="^用户名或密码错误$"):  # the lock is not announced to a guesser
            store.authenticate("李", "wrong-password")
        clock[0] += dt.timedelta(minutes=9)
        with pytest.raises(AuthError, match="^用户名或密码错误$"):  # a locked account answers a wrong password
            store.authenticate("李", "wrong-password")               # exactly like an unknown name
        with pytest.raises(AuthError, match="^用户名或密码错误$"):
            store.authenticate("没有这个人", "wrong-password")
        with pytest.raises(AuthError, match="已锁定"):  # even the right password is refused while locked
            store.authenticate("李", "right-password")
        assert store.users()[0]["locked_until"].startswith("2026-11-30T08:10")
        clock[0] += dt.timedelta(minutes=2)
        user = store.authenticate("李", "right-password")
        assert user == User("李", "viewer", (A,)) and not user.can_edit and user.sees(A) and not user.sees(B)
        row = store.users()[0]
        assert row["locked_until"] is None and row["last_login"].startswith("2026-11-30T08:11")
        outcomes = [(r["what"], r["user"], r["towns"], r["outcome"]) for r in store.audit(what="login")]
        assert outcomes == [("login", "李", [A], "refused: wrong password")] * 2 + [
            ("login", "李", [A], "refused: locked after failures"), ("login", "李", [A], "refused: locked"),
            ("login", "没有这个人", [], "refused: unknown user"), ("login", "李", [A], "refused: locked"),
            ("login", "李", [A], "ok")]


def test_unknown_and_disabled_users_are_refused_and_audited(db_url):
    with open_store(db_url) as store:
        admin, _ = store.add_user("admin", "admin", password="admin-password")
        store.add_user("王", "town", towns=[B], password="wang-password", by=admin)
        with pytest.raises(AuthError, match="^用户名或密码错误$"):
            store.authenticate("没有这个人", "whatever-pass")
        store.disable_user("王", by=admin)
        with pytest.raises(AuthError, match="^用户名或密码错误$"):  # a guesser learns nothing about the account
            store.authenticate("王", "wrong-password")
        with pytest.raises(AuthError, match="已停用"):  # its owner, with the right password, learns why
            store.authenticate("王", "wang-password")
        with pytest.raises(AuthError, match="不能停用自己"):
            store.disable_user("admin", by=admin)
        assert store.users()[1]["disabled"] is True
        log = store.audit(by=admin)
        assert [(r["what"], r["user"], r["outcome"]) for r in log] == [
            ("user.add", None, "ok"), ("user.add", "admin", "ok"), ("login", "没有这个人", "refused: unknown user"),
            ("user.disable", "admin", "ok"), ("login", "王", "refused: disabled"), ("login", "王", "refused: disabled")]
        assert log[1]["towns"] == [B] and log[3]["target"] == "user:王"
        with pytest.raises(AuthError, match="只有区级管理员可以查看操作日志"):
            store.audit(by=User("王", "town", (B,)))


def test_a_one_time_password_must_be_changed(db_url):
    with open_store(db_url) as store:
        admin, otp = store.add_user("first", "admin")
        assert otp and len(otp) >= 16 and admin.must_change_password
        me = store.authenticate("first", otp)
        assert me.must_change_password
        with pytest.raises(AuthError, match="不能与一次性密码相同"):
            store.set_password("first", otp, by=me)
        store.set_password("first", "my-own-password", by=me)
        with pytest.raises(AuthError):
            store.authenticate("first", otp)
        me = store.authenticate("first", "my-own-password")
        assert not me.must_change_password
        # an admin resetting someone else's password: that user must change it again
        store.add_user("v", "viewer", towns=[A], password="viewer-pass", by=me)
        store.set_password("v", "temporary-pass", by=me, must_change=True)
        assert store.authenticate("v", "temporary-pass").must_change_password
        v = User("v", "viewer", (A,))
        with pytest.raises(AuthError, match="重设他人密码"):
            store.set_password("first", "hijacked-pass", by=v)
        assert [r["what"] for r in store.audit(what="user.passwd")] == ["user.passwd"] * 2


def test_an_old_hash_is_rehashed_at_login(db_url, monkeypatch):
    from argon2 import PasswordHasher

    with open_store(db_url) as store:
        store.add_user("old", "admin", password="old-password")
        weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("old-password")
        with store.engine.begin() as conn:
            conn.execute(S.users.update().values(password_hash=weak))
        store.authenticate("old", "old-password")
        assert _hash(store, "old") != weak and _hash(store, "old").startswith("$argon2id$")


def test_settings_come_from_the_environment(monkeypatch):
    assert Settings.from_env() == Settings(5, 15.0, 30.0)
    monkeypatch.setenv("LIANXIN_LOCKOUT_ATTEMPTS", "3")
    monkeypatch.setenv("LIANXIN_LOCKOUT_MINUTES", "0.5")
    monkeypatch.setenv("LIANXIN_SESSION_MINUTES", "60")
    assert Settings.from_env() == Settings(3, 0.5, 60.0)
    monkeypatch.setenv("LIANXIN_SESSION_MINUTES", "半小时")
    with pytest.raises(AuthError, match="LIANXIN_SESSION_MINUTES"):
        Settings.from_env()


def test_the_audit_has_no_update_or_delete_api():
    import re
    from pathlib import Path

    from lianxin_geo import store as pkg

    assert not [n for n in dir(pkg.Store) if any(w in n for w in ("delete", "remove", "purge", "clear"))]
    root = Path(pkg.__file__).resolve().parents[1]  # the whole package: store, cli, ui
    bad = re.compile(r"audit\.(update|delete)\(|(UPDATE|DELETE FROM)\s+audit\b", re.IGNORECASE)
    hits = [str(p) for p in root.rglob("*.py") if bad.search(p.read_text(encoding="utf-8"))]
    assert hits == []
    assert U.BAD_LOGIN == "用户名或密码错误"


def test_the_slow_password_check_runs_outside_the_write_lock(tmp_path, monkeypatch):
    """A crowd of logins must not queue on SQLite's write lock for 0.5 s of argon2 each (issue 14 load test)."""
    import sqlite3

    import lianxin_geo.store.store as store_mod

    db = tmp_path / "lock.db"
    seen: list[bool] = []
    real = store_mod.check_password

    def probe(row, password):
        other = sqlite3.connect(db, timeout=0)  # another writer, no waiting: fails while the lock is held
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:
            seen.append(False)
        finally:
            other.close()
        return real(row, password)

    with open_store(str(db)) as store:
        store.add_user("李", "viewer", towns=[A], password="right-password")
        monkeypatch.setattr(store_mod, "check_password", probe)
        assert store.authenticate("李", "right-password").name == "李"
        with pytest.raises(AuthError, match="^用户名或密码错误$"):
            store.authenticate("李", "wrong-password")
    assert seen == [True, True]
