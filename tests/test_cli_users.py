"""Accounts on the command line (issue 14): ``db init``, ``users …`` and ``--user`` with ``LIANXIN_PASSWORD``."""

from __future__ import annotations

import json

import pytest

from lianxin_geo.cli import main
from lianxin_geo.store import open_store
from tests.test_access import A, B, towns_rounds  # noqa: F401  (two towns, two rounds)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args: str):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def pw(tmp_path):
    """``pw(text)`` -> a password file holding ``text``."""
    def make(text: str):
        path = tmp_path / f"pw-{abs(hash(text))}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        return str(path)
    return make


@pytest.mark.slow  # some twenty argon2 verifications: seconds each on a loaded machine
def test_init_login_and_the_one_time_password(capsys, db_url, pw, monkeypatch):
    monkeypatch.delenv("LIANXIN_USER", raising=False)
    monkeypatch.delenv("LIANXIN_PASSWORD", raising=False)
    doc = run_json(capsys, "db", "init", "--db", db_url, "--admin", "boss", "--password-file", pw("boss-password"))
    assert doc == {"admin": "boss", "role": "admin", "one_time_password": None, "must_change_password": False,
                   "revision": "0003"}
    code, _, err = run(capsys, "db", "init", "--db", db_url, "--admin", "boss2")
    assert code == 1 and "已有账号" in err
    code, _, err = run(capsys, "round", "list", "--db", db_url)
    assert code == 1 and "--user" in err and "LIANXIN_PASSWORD" in err
    code, _, err = run(capsys, "round", "list", "--db", db_url, "--user", "boss")  # no password, no terminal
    assert code == 1 and "LIANXIN_PASSWORD" in err
    monkeypatch.setenv("LIANXIN_PASSWORD", "wrong-password")
    code, _, err = run(capsys, "round", "list", "--db", db_url, "--user", "boss")
    assert code == 1 and "用户名或密码错误" in err
    monkeypatch.setenv("LIANXIN_PASSWORD", "boss-password")
    assert run_json(capsys, "round", "list", "--db", db_url, "--user", "boss") == []
    monkeypatch.setenv("LIANXIN_USER", "boss")  # the name from the environment
    made = run_json(capsys, "users", "add", "zhang", "--role", "town", "--town", A, "--db", db_url)
    otp = made["one_time_password"]
    assert otp and made["must_change_password"] and made["towns"] == [A] and made["role_name"] == "镇街用户"
    code, out, _ = run(capsys, "users", "add", "li", "--role", "viewer", "--town", B, "--db", db_url)
    assert code == 0 and out.startswith("一次性密码：")
    listing = run_json(capsys, "users", "list", "--db", db_url)
    assert [(u["name"], u["role"], u["towns"], u["must_change_password"]) for u in listing] == [
        ("boss", "admin", [], False), ("zhang", "town", [A], True), ("li", "viewer", [B], True)]
    monkeypatch.setenv("LIANXIN_USER", "zhang")
    monkeypatch.setenv("LIANXIN_PASSWORD", otp)
    code, _, err = run(capsys, "round", "list", "--db", db_url)
    assert code == 1 and "须先修改一次性密码" in err
    assert run_json(capsys, "users", "passwd", "zhang", "--password-file", pw("zhang-new-pass"), "--db", db_url)[
        "must_change_password"] is False
    code, _, err = run(capsys, "round", "list", "--db", db_url)
    assert code == 1 and "用户名或密码错误" in err  # the one-time password is gone
    monkeypatch.setenv("LIANXIN_PASSWORD", "zhang-new-pass")
    assert run_json(capsys, "round", "list", "--db", db_url) == []
    code, _, err = run(capsys, "users", "list", "--db", db_url)
    assert code == 1 and "只有区级管理员" in err
    code, _, err = run(capsys, "db", "backup", "--out", str(pw("x") + ".bak"), "--db", db_url)
    assert code == 1 and "只有区级管理员可以备份" in err
    monkeypatch.setenv("LIANXIN_USER", "boss")
    monkeypatch.setenv("LIANXIN_PASSWORD", "boss-password")
    reset = run_json(capsys, "users", "passwd", "li", "--db", db_url)
    assert reset["must_change_password"] and reset["one_time_password"]
    assert run_json(capsys, "users", "disable", "zhang", "--db", db_url) == {"name": "zhang", "disabled": True}
    monkeypatch.setenv("LIANXIN_USER", "zhang")
    monkeypatch.setenv("LIANXIN_PASSWORD", "zhang-new-pass")
    code, _, err = run(capsys, "round", "list", "--db", db_url)
    assert code == 1 and "已停用" in err
    with open_store(db_url) as store:
        log = [(r["what"], r["user"], r["outcome"]) for r in store.audit()]
    assert ("user.add", "boss", "ok") in log and ("user.disable", "boss", "ok") in log
    assert ("login", "zhang", "refused: disabled") in log and ("login", "boss", "refused: wrong password") in log
    assert [w for w, u, _ in log if w == "user.passwd"] == ["user.passwd"] * 2


def test_a_town_user_works_on_its_town_only(capsys, db_url, pw, towns_rounds, tmp_path, monkeypatch):
    monkeypatch.setenv("LIANXIN_PASSWORD", "boss-password")
    run_json(capsys, "db", "init", "--db", db_url, "--admin", "boss", "--password-file", pw("boss-password"))
    run_json(capsys, "users", "add", "a", "--role", "town", "--town", A, "--password-file", pw("town-a-pass"),
             "--user", "boss", "--db", db_url)
    code, _, err = run(capsys, "round", "import", "--round", "R1", "--orgs", str(towns_rounds[0]), "--db", db_url)
    assert code == 1 and "--user" in err
    run_json(capsys, "round", "import", "--round", "R1", "--orgs", str(towns_rounds[0]), "--db", db_url,
             "--user", "boss")
    run_json(capsys, "round", "import", "--round", "R2", "--orgs", str(towns_rounds[1]), "--db", db_url,
             "--user", "boss")
    every = run_json(capsys, "measures", "list", "--db", db_url, "--user", "boss")
    monkeypatch.setenv("LIANXIN_PASSWORD", "town-a-pass")
    code, _, err = run(capsys, "round", "import", "--round", "R3", "--orgs", str(towns_rounds[1]), "--db", db_url,
                       "--user", "a")
    assert code == 1 and "只有区级管理员可以导入轮次" in err
    mine = run_json(capsys, "measures", "list", "--db", db_url, "--user", "a")
    assert mine and {m["jurisdiction_code"] for m in mine} == {A} and len(mine) < len(every)
    theirs = next(m for m in every if m["jurisdiction_code"] == B)
    code, _, err = run(capsys, "measures", "set", str(theirs["id"]), "--status", "进行中", "--db", db_url,
                       "--user", "a")
    assert code == 1 and "不属于您负责的镇街" in err
    assert run_json(capsys, "measures", "set", str(mine[0]["id"]), "--status", "进行中", "--db", db_url,
                    "--user", "a")["version"] == mine[0]["version"] + 1
    diff = run_json(capsys, "round", "diff", "R1", "R2", "--db", db_url, "--user", "a")
    assert [j["code"] for j in diff["jurisdictions"]] == [A] and len(diff["orgs_new"]) == 1
    assert [r["orgs"] for r in run_json(capsys, "round", "list", "--db", db_url, "--user", "a")] == [2, 3]
    located = run_json(capsys, "locate", "--db", db_url, "--round", "R2", "--user", "a")
    assert located["located"] == 3
    run_json(capsys, "plan", "joint", "--db", db_url, "--round", "R2", "--user", "a")
    out = tmp_path / "a.xlsx"
    doc = run_json(capsys, "export", "--format", "xlsx", "--out", str(out), "--db", db_url, "--round", "R2",
                   "--user", "a", "--time-limit", "5")
    assert doc["files"] == [str(out)]
    from openpyxl import load_workbook

    cells = {str(v) for ws in load_workbook(out, read_only=True).worksheets for row in ws.iter_rows(values_only=True)
             for v in row if v is not None}
    assert not [c for c in cells if "乙" in c and "公司" in c]  # no org of town B
    assert any("甲三公司" in c for c in cells)
    with open_store(db_url) as store:
        events = [(r["what"], r["user"], r["towns"], r["round_name"], r["outcome"]) for r in store.audit()
                  if r["what"] in ("plan.joint", "export", "measure.set", "round.import")]
    assert ("plan.joint", "a", [A], "R2", "ok") in events and ("export", "a", [A], "R2", "ok") in events
    assert ("measure.set", "a", [A], None, "refused: forbidden") in events
    assert ("round.import", "a", [], "R3", "refused: forbidden") in events or (
        "round.import", "a", [A], "R3", "refused: forbidden") in events
    assert [e for e in events if e[0] == "round.import" and e[4] == "ok"] == [
        ("round.import", "boss", [], "R1", "ok"), ("round.import", "boss", [], "R2", "ok")]


def test_without_accounts_nothing_is_asked(capsys, db_url, towns_rounds, monkeypatch):
    monkeypatch.delenv("LIANXIN_USER", raising=False)
    monkeypatch.delenv("LIANXIN_PASSWORD", raising=False)
    run_json(capsys, "round", "import", "--round", "R1", "--orgs", str(towns_rounds[0]), "--db", db_url)
    assert len(run_json(capsys, "measures", "list", "--db", db_url)) > 0
    assert run_json(capsys, "users", "list", "--db", db_url) == []
    code, _, err = run(capsys, "users", "add", "x", "--role", "admin", "--db", db_url)
    assert code == 1 and "db init" in err
