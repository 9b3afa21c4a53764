"""The 进展 page in a real browser (headless Chromium on ``streamlit run app.py``), on a real SQLite database
holding two demo rounds: the diff and the change map render, and a measure is edited through the page and
lands in the database with a new version and an audit row; a stale edit is refused with a Chinese message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
N_ORGS = 200

if not os.path.exists(CHROMIUM):
    pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在（apt-get install chromium chromium-driver）/ "
                "no Chromium installed, browser test skipped", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="需要 pip install playwright / needs playwright")
from _browser import wait_idle  # noqa: E402
from test_serve_hosts import serve_app  # noqa: E402

from lianxin_geo.ingest.demo import write_demo  # noqa: E402
from lianxin_geo.store import import_files, open_store  # noqa: E402


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser_progress")
    path = root / "lianxin.db"
    with open_store(path) as store:
        for rnd in ("2026-06", "2026-11"):
            write_demo(root / rnd, n_orgs=N_ORGS, seed=5, round=rnd)
            import_files(store, rnd, **{k: str(root / rnd / f"{k}.xlsx")
                                        for k in ("orgs", "buildings", "parks", "centers")})
    return path


@pytest.fixture(scope="module")
def app_url(db, tmp_path_factory):
    log = tmp_path_factory.mktemp("progress_app") / "streamlit.log"
    with serve_app(ROOT / "app.py", ROOT, log, LIANXIN_DB=str(db)) as port:
        yield f"http://127.0.0.1:{port}"


def _idle(page) -> None:
    page.wait_for_timeout(300)
    wait_idle(page, timeout=120_000)


def test_measures_are_edited_in_the_browser(app_url, db, tmp_path):
    shots = Path(os.environ.get("LIANXIN_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN").new_page()
        page.goto(f"{app_url}/progress", wait_until="domcontentloaded")
        page.get_by_role("heading", name="进展").first.wait_for(timeout=120_000)
        page.get_by_text("一企一策措施跟踪").first.wait_for(timeout=120_000)
        _idle(page)
        assert page.locator("[data-testid='stException']").count() == 0
        with open_store(db) as store:
            d = store.diff("2026-06", "2026-11")
        metric = page.locator("[data-testid='stMetric']").filter(has_text="新增组织").first
        assert int(metric.locator("[data-testid='stMetricValue']").inner_text().replace(",", "")) == len(d["orgs_new"])
        page.screenshot(path=str(shots / "progress.png"), full_page=True)

        form = page.locator("[data-testid='stForm']").first
        form.scroll_into_view_if_needed()
        caption = form.locator("[data-testid='stCaptionContainer']").first.inner_text()
        with open_store(db) as store:  # the form opens on the board's first measure
            mid = int(store.measures(round="2026-11")[0]["id"])
            before = store.measure(mid)
        assert f"读取时的版本：{before['version']}" in caption
        form.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name="进行中").click()
        form.get_by_label("责任人").fill("赵六（镇党委）")
        form.get_by_label("责任人").press("Tab")
        form.get_by_role("button", name="保存这条措施").click()
        page.get_by_text("已保存").first.wait_for(timeout=60_000)
        _idle(page)
        with open_store(db) as store:
            after = store.measure(mid)
            assert (after["status"], after["owner"], after["version"]) == ("进行中", "赵六（镇党委）",
                                                                          before["version"] + 1)
            assert store.audit(target=f"measure:{mid}")[-1]["what"] == "measure.set"
            # someone else edits the same measure: the page still holds the old version
            store.set_measure(mid, note="另一位用户的备注", expect_version=after["version"])
        form = page.locator("[data-testid='stForm']").first
        form.get_by_label("备注").fill("本页的备注")
        form.get_by_label("备注").press("Tab")
        form.get_by_role("button", name="保存这条措施").click()
        page.locator("[data-testid='stAlert']").filter(has_text="已被他人修改").first.wait_for(timeout=60_000)
        page.screenshot(path=str(shots / "progress_stale.png"), full_page=False)
        with open_store(db) as store:
            now = store.measure(mid)
            assert now["note"] == "另一位用户的备注" and now["version"] == after["version"] + 1
        browser.close()
