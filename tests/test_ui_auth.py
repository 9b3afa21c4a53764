"""The app with accounts (issue 14), with ``streamlit.testing.v1.AppTest`` on a real SQLite database: the login
page comes first, a wrong password is refused, a town user sees only its town (overview KPI, data-page search),
a viewer cannot edit measures, non-admins cannot open the admin pages, an admin adds a user, idle sessions time
out, a one-time password must be changed; without accounts the app runs in single-user mode on loopback only."""

from __future__ import annotations

import html
import io
import json
import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from streamlit import config as st_config  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from conftest import app_env  # noqa: E402
from lianxin_geo.ingest.demo import write_demo  # noqa: E402
from lianxin_geo.store import import_files, open_store  # noqa: E402
from lianxin_geo.store.access import User  # noqa: E402
from lianxin_geo.ui.auth import SINGLE_USER, is_loopback  # noqa: E402
from lianxin_geo.ui.data import search_orgs  # noqa: E402
from lianxin_geo.workspace import load_workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 240
N_ORGS = 300
PASSWORDS = {"admin1": "admin-pass-123", "town1": "town-pass-123", "viewer1": "viewer-pass-123"}


@pytest.fixture(scope="module")
def demo():
    """The demo workspace the app shows (same size) and its two towns with the most organizations."""
    ws = load_workspace(demo_orgs=N_ORGS, demo=True)
    counts = ws.orgs["jurisdiction_code"].astype(str).value_counts()
    return ws, str(counts.index[0]), str(counts.index[1])


@pytest.fixture(scope="module")
def db(tmp_path_factory, demo) -> Path:
    """A database with one demo round and three accounts: an admin, a town user and a viewer of one town."""
    _, town, _ = demo
    root = tmp_path_factory.mktemp("ui_auth")
    write_demo(root / "r1", n_orgs=N_ORGS, seed=11, round="2026-06")
    path = root / "lianxin.db"
    with open_store(path) as store:
        import_files(store, "2026-06", **{k: str(root / "r1" / f"{k}.xlsx")
                                          for k in ("orgs", "buildings", "parks", "centers")})
        store.add_user("admin1", "admin", password=PASSWORDS["admin1"])
        store.add_user("town1", "town", towns=(town,), password=PASSWORDS["town1"])
        store.add_user("viewer1", "viewer", towns=(town,), password=PASSWORDS["viewer1"])
    return path


@pytest.fixture()
def env(db, monkeypatch):
    app_env(monkeypatch, db, N_ORGS)
    return db


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _login(name: str, password: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.title[0].value == "登录"
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password if password is not None else PASSWORDS[name])
    _button(at, "登录").click()
    return at.run()


def _page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"lianxin_geo/ui/{name}.py")
    return at.run(timeout=TIMEOUT)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_login_page_comes_first_and_wrong_password_is_refused(env):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["登录"]
    assert not at.metric and not at.dataframe  # no data before login
    _page(at, "overview")  # asking for a page by path still gives the login page
    assert [t.value for t in at.title] == ["登录"] and not at.metric
    at = _login("town1", "not-the-password")
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert [t.value for t in at.title] == ["登录"] and not at.metric
    with open_store(env) as store:
        failed = store.audit(what="login", user="town1")
    assert failed and failed[-1]["outcome"] != "ok"


def test_busy_database_at_login_is_a_message_not_a_traceback(env, monkeypatch):
    """Under load the login's write transaction may wait past SQLite's busy timeout: the user reads what happened
    (in Chinese) and stays on the login page; before, the page showed an exception."""
    import sqlalchemy as sa

    from lianxin_geo.store import Store
    from lianxin_geo.ui.auth import DB_BUSY

    def busy(self, name, password):
        raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(Store, "authenticate", busy)
    at = _login("town1")
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [DB_BUSY]
    assert at.title[0].value == "登录" and not any(b.label == "退出登录" for b in at.sidebar.button)


def test_town_user_sees_only_its_town(env, demo):
    ws, town, other = demo
    at = _login("town1")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "总览"
    n_town = int((ws.orgs["jurisdiction_code"].astype(str) == town).sum())
    assert 0 < n_town < len(ws.orgs)
    assert int(_metric(at, "组织数").replace(",", "")) == n_town
    assert any(b.label == "退出登录" for b in at.sidebar.button)
    assert any("镇街用户" in m.value for m in at.sidebar.markdown)
    # the data page: search by another town's credit code finds nothing, by one of its own finds it
    theirs = ws.orgs[ws.orgs["jurisdiction_code"].astype(str) == other].iloc[0]
    mine = ws.orgs[ws.orgs["jurisdiction_code"].astype(str) == town].iloc[0]
    _page(at, "data")
    assert not at.exception, [e.value for e in at.exception]
    assert not any(b.label == "保存为台账轮次" for b in at.button)  # admin only
    at.text_input(key="org_search").input(str(theirs["credit_code"])).run()
    assert any("没有找到" in i.value for i in at.info)
    at.text_input(key="org_search").input(str(mine["credit_code"])).run()
    assert not any("没有找到" in i.value for i in at.info)
    frames = [d.value for d in at.dataframe if "单位名称" in d.value.columns]  # the search result, then the preview
    assert frames and frames[0]["单位名称"].tolist() == [mine["name"]]
    assert set(frames[0]["乡镇/街道"]) == {ws.district.town_names[town]}
    assert not any(theirs["name"] in f["单位名称"].tolist() for f in frames)  # no table holds the other town
    # the navigation has no admin page, and the admin pages refuse a town user
    for name in ("users", "audit"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            _page(at, name)


def test_search_orgs_matches_name_and_credit_code(demo):
    ws, _, _ = demo
    row = ws.orgs.iloc[3]
    assert row["name"] in search_orgs(ws.orgs, str(row["credit_code"]).lower())["name"].tolist()
    assert row["name"] in search_orgs(ws.orgs, row["name"][1:5])["name"].tolist()
    assert search_orgs(ws.orgs, "   ").empty
    assert search_orgs(ws.orgs, "不存在的单位名称XYZ").empty


@pytest.mark.parametrize("page", ["users", "audit"])
def test_admin_pages_refuse_non_admins_by_url(env, page):
    for user in (User("town1", "town", ("110113001",)), User("viewer1", "viewer", ("110113001",))):
        at = AppTest.from_file(str(ROOT / "lianxin_geo" / "ui" / f"{page}.py"), default_timeout=TIMEOUT)
        at.session_state["auth_user"] = user
        at.session_state["auth_last_activity"] = time.time()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("仅限区级管理员" in e.value for e in at.error)
        assert not at.title and not at.dataframe


def test_viewer_cannot_edit_measures(env):
    for name, editable in (("viewer1", False), ("town1", True)):
        at = _login(name)
        _page(at, "progress")
        assert not at.exception, [e.value for e in at.exception]
        assert at.button(key="pg_m_save").disabled is (not editable), name
        assert any("只读账号" in i.value for i in at.info) is (not editable)
    with open_store(env) as store:  # the store refuses a viewer whatever the page shows
        m = store.measures(round="2026-06", user=User("viewer1", "viewer", ()))
        assert m == []


def test_town_user_measures_are_its_towns_only(env, demo):
    _, town, _ = demo
    at = _login("town1")
    _page(at, "progress")
    assert not at.exception, [e.value for e in at.exception]
    with open_store(env) as store:
        everything = store.measures(round="2026-06")
        mine = store.measures(round="2026-06", user=User("town1", "town", (town,)))
    assert mine and {m["jurisdiction_code"] for m in mine} == {town}
    assert len(mine) < len(everything)
    assert any(c.value.startswith(f"共 {len(mine):,} 条；") for c in at.caption)  # the board holds its town only


def test_admin_adds_a_user_and_reads_the_audit(env, demo):
    _, _, other = demo
    at = _login("admin1")
    assert not at.exception, [e.value for e in at.exception]
    _page(at, "users")
    assert at.title[0].value == "用户管理"
    assert "town1" in at.dataframe[0].value["用户名"].tolist()
    at.text_input(key="ua_name").input("town2")
    at.selectbox(key="ua_role").set_value("town")
    at.multiselect(key="ua_towns").set_value([other])
    _button(at, "新增账号").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "town2" in at.dataframe[0].value["用户名"].tolist()
    password = at.code[0].value
    assert len(password) >= 8
    with open_store(env) as store:
        user = store.authenticate("town2", password)
    assert user.towns == (other,) and user.must_change_password
    _page(at, "audit")
    assert at.title[0].value == "操作日志"
    log = at.dataframe[0].value
    assert {"登录", "账号"} <= set(log.columns) or {"操作", "账号"} <= set(log.columns)
    assert "admin1" in log["账号"].tolist() and "town2" in " ".join(map(str, log["对象"].tolist() + log["新值"].tolist()
                                                                      + log["账号"].tolist()))


def test_one_time_password_must_be_changed(env):
    with open_store(env) as store:
        _, once = store.add_user("fresh1", "viewer", towns=("110113001",))
    at = _login("fresh1", once)
    assert at.title[0].value == "修改密码"
    at.text_input(key="pw_new").input("my-new-pass-1")
    at.text_input(key="pw_again").input("my-new-pass-1")
    _button(at, "修改密码").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "总览"
    with open_store(env) as store:
        assert not store.authenticate("fresh1", "my-new-pass-1").must_change_password


def test_idle_session_times_out(env):
    at = _login("town1")
    assert at.title[0].value == "总览"
    at.session_state["auth_last_activity"] = time.time() - 31 * 60  # default LIANXIN_SESSION_MINUTES: 30
    at.run()
    assert [t.value for t in at.title] == ["登录"]
    assert any("登录已超时，请重新登录" in w.value for w in at.warning)
    assert not at.metric


def test_logout(env):
    at = _login("town1")
    at.session_state["demo"] = True  # a choice of this user's session
    next(b for b in at.sidebar.button if b.label == "退出登录").click()
    at.run()
    assert [t.value for t in at.title] == ["登录"] and not at.metric
    assert "auth_user" not in at.session_state and "demo" not in at.session_state  # the next user starts afresh
    with open_store(env) as store:
        assert store.audit(what="logout", user="town1")[-1]["outcome"] == "ok"


def test_single_user_mode_banner_and_refusal(tmp_path, monkeypatch):
    monkeypatch.setenv("LIANXIN_DB", str(tmp_path / "empty.db"))
    monkeypatch.setenv("LIANXIN_GEO_DEMO_ORGS", str(N_ORGS))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "总览"
    assert any(SINGLE_USER in c.value for c in at.caption)
    old = st_config.get_option("server.address")
    try:
        st_config.set_option("server.address", "0.0.0.0")
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    finally:
        st_config.set_option("server.address", old)
    assert any("未设置账号时只允许在本机（127.0.0.1）运行" in e.value for e in at.error)
    assert not at.title and not at.metric


def test_is_loopback():
    assert all(map(is_loopback, ("127.0.0.1", "localhost", "::1", "127.0.0.2", " LOCALHOST ")))
    assert not any(map(is_loopback, (None, "", "0.0.0.0", "::", "192.168.1.20", "planner.example.gov.cn")))


def test_admin_resets_a_password_and_disables_an_account(env):
    with open_store(env) as store:
        store.add_user("temp1", "town", towns=("110113001",), password="temp-pass-123")
    at = _login("admin1")
    _page(at, "users")
    at.selectbox(key="um_name").set_value("temp1")
    _button(at, "重置密码").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    once = at.code[0].value
    with open_store(env) as store:
        assert store.authenticate("temp1", once).must_change_password
        with pytest.raises(Exception, match="用户名或密码错误"):
            store.authenticate("temp1", "temp-pass-123")
    at.selectbox(key="um_name").set_value("temp1")
    _button(at, "停用账号").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    users = {r["name"]: r for r in open_store(env).users()}
    assert users["temp1"]["disabled"]
    with open_store(env) as store, pytest.raises(Exception):
        store.authenticate("temp1", once)


def test_audit_filters(env):
    from lianxin_geo.ui.audit import audit_frame, audit_xlsx, filter_audit

    with open_store(env) as store:
        with pytest.raises(Exception, match="用户名或密码错误"):
            store.authenticate("town1", "wrong-password")
        store.authenticate("town1", PASSWORDS["town1"])
        store.record("export", user=User("town1", "town", ("110113001",)), detail={"format": "xlsx"})
        df = audit_frame(store.audit())
    assert len(df) and df["id"].is_monotonic_decreasing  # newest first
    logins = filter_audit(df, whats=["login"])
    assert len(logins) and set(logins["what"]) == {"login"}
    town1 = filter_audit(df, users=["town1"])
    assert set(town1["user"]) == {"town1"}
    import datetime as dt

    assert filter_audit(df, since=dt.date.today() + dt.timedelta(days=2)).empty
    assert len(filter_audit(df, until=dt.date.today() + dt.timedelta(days=2))) == len(df)
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(audit_xlsx(logins)))
    assert wb.active.max_row >= len(logins) + 1


def _texts_of(fmt: str, data: bytes, tmp: Path) -> set[str] | str:
    """The exact cell/shape/field texts of an export (``str``: the whole text of an HTML file)."""
    import openpyxl
    import pyogrio
    from pptx import Presentation

    if fmt == "html":
        return data.decode("utf-8")
    out: set[str] = set()
    if fmt == "xlsx":
        for sheet in openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets:
            for row in sheet.iter_rows(values_only=True):
                out.update(str(v).strip() for v in row if v is not None)
    elif fmt == "pptx":
        for slide in Presentation(io.BytesIO(data)).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    out.update(p.text.strip() for p in shape.text_frame.paragraphs)
                if getattr(shape, "has_table", False) and shape.has_table:
                    out.update(c.text.strip() for r in shape.table.rows for c in r.cells)
    elif fmt == "gpkg":
        path = tmp / "out.gpkg"
        path.write_bytes(data)
        for layer, _ in pyogrio.list_layers(path):
            df = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
            for col in df.columns:
                out.update(str(v).strip() for v in df[col].dropna())
    return out


def _found(names: set[str], texts: set[str] | str) -> set[str]:
    if isinstance(texts, str):  # HTML: the name as text, HTML-escaped or JSON-escaped
        return {n for n in names if n in texts or json.dumps(n)[1:-1] in texts or html.escape(n) in texts}
    return names & texts


def test_town_user_exports_hold_only_its_town(env, demo, tmp_path):
    ws, town, _ = demo
    codes = ws.orgs["jurisdiction_code"].astype(str)
    mine = set(ws.orgs.loc[codes == town, "name"])
    theirs = {n for n in ws.orgs.loc[codes != town, "name"] if not any(n in m for m in mine)}
    coded = set(ws.orgs.loc[codes != town, "credit_code"].dropna().astype(str))
    others = {n for c, n in ws.district.town_names.items() if str(c) != town}
    with open_store(env) as store:
        before = max([r["id"] for r in store.audit()] or [0])
    at = _login("town1")
    _page(at, "exports")
    assert not at.exception, [e.value for e in at.exception]
    for fmt in ("xlsx", "pptx", "gpkg", "html"):
        at.button(key=f"ex_make_{fmt}").click()
        at.run(timeout=TIMEOUT)
        assert not at.exception, (fmt, [e.value for e in at.exception])
        data = at.session_state[f"ex_{fmt}"][1]
        texts = _texts_of(fmt, data, tmp_path)
        if fmt == "pptx":  # the slides summarise by town: its own town, no other
            assert any(ws.district.town_names[town] in t for t in texts)
            assert not (set(others) & texts), f"pptx: 含有其他镇街 {sorted(set(others) & texts)}"
        else:
            assert _found(mine, texts), f"{fmt}: 没有本镇街的单位"
        if fmt in ("xlsx", "gpkg"):
            assert not (set(others) & texts), f"{fmt}: 含有其他镇街 {sorted(set(others) & texts)}"
        assert not _found(theirs, texts), f"{fmt}: 含有其他镇街的单位 {sorted(_found(theirs, texts))[:3]}"
        assert not _found(coded, texts), f"{fmt}: 含有其他镇街的信用代码"
    with open_store(env) as store:
        made = [r for r in store.audit(what="export", user="town1") if r["id"] > before]
    assert len(made) == 4 and all(r["outcome"] == "ok" for r in made) and all(r["towns"] == [town] for r in made)
