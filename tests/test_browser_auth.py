"""Accounts in a real browser (issue 14): headless Chromium on ``streamlit run app.py`` with a database holding
accounts made through the Store API. A town user logs in, sees only its town (overview KPI), cannot reach the
admin pages by URL, finds nothing when searching another town's credit code, and exports an xlsx that holds no
other town's organization; an admin adds a user and reads the audit page."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
N_ORGS = 300
PASSWORDS = {"admin1": "admin-pass-123", "town1": "town-pass-123"}

if not os.path.exists(CHROMIUM):
    pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在（apt-get install chromium chromium-driver）/ "
                "no Chromium installed, browser test skipped", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="需要 pip install playwright / needs playwright")
from _browser import wait_idle  # noqa: E402
from test_serve_hosts import serve_app  # noqa: E402

from lianxin_geo.store import open_store  # noqa: E402
from lianxin_geo.workspace import load_workspace  # noqa: E402


@pytest.fixture(scope="module")
def demo():
    """The demo the served app shows (same size) and its two towns with the most organizations."""
    ws = load_workspace(demo_orgs=N_ORGS, demo=True)
    counts = ws.orgs["jurisdiction_code"].astype(str).value_counts()
    return ws, str(counts.index[0]), str(counts.index[1])


@pytest.fixture(scope="module")
def db(tmp_path_factory, demo) -> Path:
    _, town, _ = demo
    path = tmp_path_factory.mktemp("browser_auth") / "lianxin.db"
    with open_store(path) as store:
        store.add_user("admin1", "admin", password=PASSWORDS["admin1"])
        store.add_user("town1", "town", towns=(town,), password=PASSWORDS["town1"])
    return path


@pytest.fixture(scope="module")
def app_url(db, tmp_path_factory):
    log = tmp_path_factory.mktemp("auth_app") / "streamlit.log"
    with serve_app(ROOT / "app.py", ROOT, log, LIANXIN_DB=str(db), LIANXIN_GEO_DEMO_ORGS=str(N_ORGS)) as port:
        yield f"http://127.0.0.1:{port}"


def _idle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page, timeout=120_000)


def _login(page, url: str, name: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="登录").first.wait_for(timeout=120_000)
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)


def _metric(page, label: str) -> str:
    m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return m.locator("[data-testid='stMetricValue']").inner_text().strip()


def _headings(page) -> list[str]:
    return [h.strip() for h in page.locator("h1").all_inner_texts()]


def test_town_user_sees_and_exports_only_its_town(app_url, db, demo, tmp_path):
    import openpyxl

    ws, town, other = demo
    shots = Path(os.environ.get("LIANXIN_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    orgs = ws.orgs.assign(code=ws.orgs["jurisdiction_code"].astype(str))
    mine, theirs = orgs[orgs["code"] == town], orgs[orgs["code"] != town]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
        page = ctx.new_page()

        # the login page comes first, nothing else
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("heading", name="登录").first.wait_for(timeout=120_000)
        _idle(page)
        assert page.locator("[data-testid='stMetric']").count() == 0
        page.screenshot(path=str(shots / "auth_login.png"))

        # a town user: the overview counts its town only; no admin page in the navigation
        _login(page, app_url, "town1")
        page.get_by_role("heading", name="总览").first.wait_for(timeout=120_000)
        _idle(page)
        assert int(_metric(page, "组织数").replace(",", "")) == len(mine) < len(orgs)
        assert page.get_by_role("link", name="用户管理").count() == 0
        assert page.get_by_role("link", name="操作日志").count() == 0
        page.screenshot(path=str(shots / "auth_town_overview.png"))

        # the admin pages by URL: a new session logs in again and never sees them
        for path, title in (("users", "用户管理"), ("audit", "操作日志")):
            _login(page, f"{app_url}/{path}", "town1")
            page.get_by_role("heading", name="总览").first.wait_for(timeout=120_000)  # the default page instead
            _idle(page)
            page.screenshot(path=str(shots / f"auth_town_{path}.png"))
            assert title not in _headings(page), path
            assert page.locator("[data-testid='stException']").count() == 0

        # the data page's search: another town's credit code finds nothing, one of its own is found
        page.get_by_role("link", name="数据").first.click()
        page.get_by_role("heading", name="数据").first.wait_for(timeout=120_000)
        _idle(page)
        assert page.get_by_role("button", name="保存为台账轮次").count() == 0
        box = page.get_by_label("按单位名称或统一社会信用代码查找")
        box.fill(str(theirs.iloc[0]["credit_code"]))
        box.press("Enter")
        page.get_by_text("没有找到").first.wait_for(timeout=60_000)
        box.fill(str(mine.iloc[0]["credit_code"]))
        box.press("Enter")
        page.get_by_text("找到 1 个单位").first.wait_for(timeout=60_000)

        # the exports page: the xlsx holds this town's organizations and no other town's
        page.get_by_role("link", name="导出").first.click()
        page.get_by_role("heading", name="导出").first.wait_for(timeout=120_000)
        _idle(page)
        page.get_by_role("button", name="生成").nth(1).click()  # the rows: html, xlsx, …
        download_button = page.get_by_role("button", name="下载").first
        download_button.wait_for(timeout=180_000)
        with page.expect_download(timeout=120_000) as dl:
            download_button.click()
        data = Path(dl.value.path()).read_bytes()
        cells = set()
        for sheet in openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells.update(str(v).strip() for v in row if v is not None)
        assert set(mine["name"]) & cells, "导出的 Excel 中没有本镇街的单位"
        assert not (set(theirs["name"]) & cells), "导出的 Excel 含有其他镇街的单位"
        assert not (set(theirs["credit_code"].dropna().astype(str)) & cells)
        ctx.close()
        with open_store(db) as store:
            exports = store.audit(what="export", user="town1")
            logins = store.audit(what="login", user="town1")
        assert exports and exports[-1]["towns"] == [town] and exports[-1]["outcome"] == "ok"
        assert len(logins) >= 3

        # an admin adds a user and reads the audit
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, app_url, "admin1")
        page.get_by_role("link", name="用户管理").first.click()
        page.get_by_role("heading", name="用户管理").first.wait_for(timeout=120_000)
        _idle(page)
        page.get_by_label("新用户名").fill("viewer2")
        form = page.locator("[data-testid='stForm']").filter(has_text="新增账号").first
        form.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name="只读").click()
        form.locator("[data-testid='stMultiSelect']").first.click()
        page.get_by_role("option", name=ws.district.town_names[other]).click()
        page.keyboard.press("Escape")
        form.get_by_role("button", name="新增账号").click()
        page.get_by_text("一次性密码").first.wait_for(timeout=60_000)
        once = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
        page.screenshot(path=str(shots / "auth_users.png"))
        with open_store(db) as store:
            added = store.authenticate("viewer2", once)
        assert (added.role, added.towns, added.must_change_password) == ("viewer", (other,), True)

        page.get_by_role("link", name="操作日志").first.click()
        page.get_by_role("heading", name="操作日志").first.wait_for(timeout=120_000)
        _idle(page)
        caption = page.get_by_text("筛选后").first.inner_text()
        with open_store(db) as store:
            n = len(store.audit())
        assert f"共 {n - 1:,} 条" in caption or f"共 {n:,} 条" in caption  # the audit is read before this visit
        page.get_by_role("button", name="导出操作日志（xlsx）").wait_for(timeout=60_000)
        page.screenshot(path=str(shots / "auth_audit.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()
