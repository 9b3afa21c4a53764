"""What the app hands out as a download: no live spreadsheet formula, and the file is there when the browser
fetches it (headless Chromium on ``streamlit run app.py``, another session's runs sweeping the media store)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit")

from lianxin_geo.core.files import is_dangerous  # noqa: E402
from lianxin_geo.ui.routes import route_csv  # noqa: E402

FORMULAS = ("=1+1", "+SUM(A1)", "-2", "@x", "＝1")


def test_route_csv_download_is_neutralised():
    sheet = pd.DataFrame({"指导员编号": ["110113001-01"] * 5, "单位名称": list(FORMULAS), "顺序": range(1, 6),
                          "经度": [-116.6] * 5, "=列": ["a"] * 5})
    data = route_csv(sheet)
    assert data.startswith("\ufeff".encode("utf-8"))  # Excel reads the Chinese text
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert [c for c in cells if is_dangerous(c) and c != "-116.6"] == []
    assert ["'" + f for f in FORMULAS] == [r[1] for r in rows[1:]]
    assert rows[0][-1] == "'=列"


# ---------------------------------------------------------------- the file behind 下载 is there when fetched
CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


#: The app's script state (``stApp``'s ``data-test-script-state``): the status widget is hidden (toolbarMode minimal).
_STATE = "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(f"() => ({_STATE})() === 'notRunning'", timeout=240_000)


def _running(page) -> bool:
    return page.evaluate(_STATE) == "running"


def _made(page, fmt: str) -> str:
    box = page.locator(f".st-key-ex_made_{fmt}")
    return box.first.inner_text() if box.count() else ""


def _make(page, fmt: str) -> None:
    """Click 生成 for ``fmt`` and wait for the new file's line and the end of the run."""
    before = _made(page, fmt)
    page.locator(f".st-key-ex_make_{fmt} button").click()
    page.wait_for_function("([sel, old]) => { const e = document.querySelector(sel); "
                           "return e && e.innerText !== old; }", arg=[f".st-key-ex_made_{fmt}", before])
    _idle(page)


def _open(browser, url: str):
    ctx = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(240_000)
    page = ctx.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="总览").first.wait_for()
    _idle(page)
    return page


def _to(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("heading", name=title).first.wait_for()
    _idle(page)


@pytest.mark.slow
@pytest.mark.browser
def test_download_survives_other_sessions_while_the_page_makes_another_file(tmp_path):
    """A 下载 button shown while the page makes another file (生成) still gets its file, though other users'
    runs sweep Streamlit's media store meanwhile.

    The old page reran in full on 生成: the run dropped the session's file references first, and two runs of
    any other session deleted the 下载 file (HTTP 404 on ``/media/…``, a failed download) until the page had
    finished the slow file. The page's rows are now a fragment: making a file keeps the others referenced.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在 / no Chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_serve_hosts import serve_app

    bad: list[str] = []
    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log", LIANXIN_DB=str(tmp_path / "single.db"),
                   LIANXIN_GEO_DEMO_ORGS="300") as port, sync_api.sync_playwright() as p:
        url = f"http://127.0.0.1:{port}/"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            other = _open(browser, url)  # another user of the server, whose runs sweep the media store
            _to(other, "导出")
            _make(other, "xlsx")
            page = _open(browser, url)
            page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            _to(page, "导出")
            _make(page, "gpkg")
            # the slide deck takes seconds to make: meanwhile the other user's runs end twice (two sweeps)
            page.locator(".st-key-ex_make_pptx button").click()
            page.wait_for_function(f"() => ({_STATE})() === 'running'")
            for _ in range(2):
                _make(other, "xlsx")
            assert _running(page), "幻灯片应仍在生成中（否则本测试无法区分新旧行为）"
            with page.expect_download() as info:
                page.locator(".st-key-ex_dl_gpkg button").click()
            download = info.value
            assert download.failure() is None, (download.failure(), bad)
            data = Path(download.path()).read_bytes()
            assert data[:16] == b"SQLite format 3\x00" and len(data) > 10_000  # the whole GeoPackage
            _idle(page)
            page.locator(".st-key-ex_dl_pptx button").wait_for()  # and the deck was made
            # 下载, then straight on to another page: the file still arrives, other users' runs notwithstanding
            with page.expect_download() as info:
                page.locator(".st-key-ex_dl_pptx button").click()
                page.get_by_role("link", name="总览").first.click()
                for _ in range(2):
                    _make(other, "xlsx")
            download = info.value
            assert download.failure() is None, (download.failure(), bad)
            assert Path(download.path()).read_bytes()[:2] == b"PK"  # the whole deck (a zip)
            page.get_by_role("heading", name="总览").first.wait_for()
        finally:
            browser.close()
    assert bad == [], bad
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text(encoding="utf-8", errors="replace")
