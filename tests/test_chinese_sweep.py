"""Complete Chinese (issue 15): every page's visible text and every exported workbook's headers, scanned.

* **Pages** (``AppTest``): logged in as a 区级管理员 on a database with two demo rounds, every page of the
  navigation (the admin pages 用户管理/操作日志 and the 驾驶舱 included) is run and every string the page sends is
  collected from the element protos (titles, captions, labels, options, help texts, metrics …) together with the
  column names and cells of every table (``st.dataframe`` draws to a canvas, so its data is read here, not from the
  screen). The login page is scanned before logging in.
* **Browser** (headless Chromium): the text the browser shows that no proto holds — Streamlit's own file uploader
  words, the navigation, the "page not found" dialog of a wrong URL such as ``/overview`` — on the login page and on
  the pages (the map's frame excluded: its legend and popups are checked in tests/test_map_legend.py).
* **Workbooks**: ``run --out``, the app's 导出 xlsx, the table downloads (措施、操作日志、屏幕导出) and
  ``locate --out``: every header cell must be Chinese.

What counts as untranslated: a snake_case identifier (``[a-z]+_[a-z_]+``), a share printed raw (``0.9959``),
``None``/``nan``, a raw profile id (``shunyi-2017``), an English word outside :data:`ALLOWED_WORDS`. The bilingual
notes that exist on purpose are listed in :data:`BILINGUAL` with the reason each is allowed.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from google.protobuf.message import Message  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from _browser import wait_idle  # noqa: E402
from conftest import app_env  # noqa: E402
from lianxin_geo.core.model import DEMO_NOTE  # noqa: E402
from lianxin_geo.core.policy import list_profiles  # noqa: E402
from lianxin_geo.ingest.demo import write_demo  # noqa: E402
from lianxin_geo.store import import_files, open_store  # noqa: E402
from lianxin_geo.ui import ADMIN_PAGES, PAGES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 300
N_ORGS = 300
ADMIN = ("admin1", "admin-pass-123")

#: Bilingual notes that exist on purpose (removed before the scan), each with why.
BILINGUAL: dict[str, str] = {
    DEMO_NOTE: "the synthetic-data warning is bilingual by design (docs/data.md): a screenshot or a file shared "
               "with someone who does not read Chinese must still say the data are not real",
    "approximate boundaries derived from seat points, not official":
        "the same honesty note for the derived town boundaries (core.district), bilingual for the same reason",
}
#: English words a Chinese user sees on purpose: file formats, standards, product names, units.
ALLOWED_WORDS: frozenset[str] = frozenset(w.lower() for w in (
    "HTML", "PNG", "PDF", "PPTX", "pptx", "XLSX", "xlsx", "xls", "CSV", "csv", "GeoJSON", "json", "GPKG", "gpkg",
    "GeoPackage", "KML", "kml", "Shapefile", "zip", "TOML", "toml", "GIS",  # file formats the user picks
    "WGS", "GCJ", "CRS",  # coordinate systems (WGS84, GCJ02, BD09 are their official names)
    "OpenStreetMap", "OSM", "Leaflet",  # base map / map library names, shown with their Chinese description
    "YYYY",  # the date pattern of an input box
    "UTC",  # the time zone of the audit
    "SHA", "Excel",  # product names
))
_SNAKE = re.compile(r"(?<![A-Za-z0-9_./-])[a-z]+_[a-z_]+(?![A-Za-z0-9])")
_SHARE = re.compile(r"(?<![\d.])0\.\d{2,}(?![\d%])")
_MISSING = re.compile(r"(?<![A-Za-z])(None|nan|NaN|NaT|null)(?![A-Za-z])")
_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]{3,}(?![A-Za-z0-9_])")
# what is not prose: a command the user types, a file path or URL, an environment variable, a TOML key
_NOT_PROSE = (re.compile(r"<style>.*?</style>", re.S), re.compile(r"https?://\S+"),
              re.compile(r"lianxin-geo(?: [^\u3000-\u9fff\uff00-\uffef]*)?"),
              re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.\-]+)+[/\\]?[\w.\-]*"),
              re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"),
              re.compile(r"\.streamlit/config\.toml|server\.allowedHosts"))


def untranslated(text: object, *, english: bool = True) -> list[str]:
    """The untranslated pieces of ``text`` (empty when all is Chinese or allowed)."""
    s = "" if text is None else str(text)
    for note in BILINGUAL:
        s = s.replace(note, "")
    for pat in _NOT_PROSE:
        s = pat.sub(" ", s)
    found = _SNAKE.findall(s) + _SHARE.findall(s) + _MISSING.findall(s)
    for p in list_profiles():
        pat = re.compile(rf"(?<![\w-]){re.escape(p)}(?![\w-])")
        found += pat.findall(s)
        s = pat.sub(" ", s)
    if english:
        found += [w for w in _WORD.findall(s) if w.lower() not in ALLOWED_WORDS and not _MISSING.fullmatch(w)]
    return found


def test_the_detector_itself():
    assert untranslated("orgs_share 0.9959") == ["orgs_share", "0.9959"]
    assert untranslated("定位精度 coordinates") == ["coordinates"]
    assert untranslated("政策配置 shunyi-2017") == ["shunyi-2017"]
    assert untranslated("备注 None；比率 nan") == ["None", "nan"]
    assert untranslated("Upload / 50MB per file") == ["Upload", "per", "file"]
    assert untranslated("覆盖率 99.6%，坐标 116.6012, 40.1301，I65 行业") == []
    assert untranslated(DEMO_NOTE + "（组织）") == []
    assert untranslated("在命令行运行 lianxin-geo round import --round 2026-06 --orgs 台账.xlsx。") == []
    assert untranslated("数据库：/tmp/x/lianxin.db（环境变量 LIANXIN_DB 可改）") == []
    # a command-line option outside a command is not for app users
    assert untranslated("可开启跨镇街联建（--cross-town）") == ["cross", "town"]


def test_unknown_path():
    from lianxin_geo.ui import unknown_path

    known = ["overview", "data"]
    assert unknown_path("http://127.0.0.1:8501/foo", known) == "foo"
    assert unknown_path("http://127.0.0.1:8501/data", known) is None
    assert unknown_path("http://127.0.0.1:8501/", known) is None
    assert unknown_path(None, known) is None
    assert unknown_path("http://h/lx/", known, base="/lx") is None  # the base path is not a page
    assert unknown_path("http://h/lx/nope", known, base="lx") == "nope"
    assert unknown_path("http://h/a%20b", known) is None  # odd paths are left to Streamlit


def test_the_pages_own_translations():
    """The helpers behind the fixes: audit codes, profile titles, the org preview, the route distance source."""
    from lianxin_geo.core.policy import load_profile
    from lianxin_geo.present.sheets import _source_text
    from lianxin_geo.ui.audit import audit_display, outcome_text, value_text, what_text
    from lianxin_geo.ui.data import preview_frame, profile_frame, profile_title

    assert what_text("login") == "登录" and what_text("measure.carry") == "结转措施"
    assert outcome_text("refused: wrong password") == "被拒绝：密码错误" and outcome_text("ok") == "成功"
    assert value_text({"role": "admin", "towns": [], "one_time_password": True}) == "角色：区级管理员；镇街：全部；一次性密码：是"
    shown = audit_display(pd.DataFrame({"what": ["user.add"], "outcome": ["ok"], "target": ["user:town1"]}))
    assert shown.iloc[0].tolist() == ["新增账号", "成功", "账号 town1"]
    assert profile_title("shunyi-2017") == load_profile("shunyi-2017").title != "shunyi-2017"
    prof = profile_frame(load_profile("shunyi-2017"))
    assert list(prof.columns) == ["配置项", "取值", "规则", "文件", "条款", "说明"]
    assert not set(prof["取值"]) & {"True", "False", "None", "nan"}
    orgs = pd.DataFrame({"id": ["a"], "name": ["某公司"], "precision": ["coordinates"], "mismatch": [False]})
    pv = preview_frame(orgs)
    assert list(pv.columns) == ["编号", "单位名称", "定位精度", "与所填镇街不一致"]
    assert pv["定位精度"].iloc[0] == "台账坐标"
    assert _source_text("great_circle") == "直线距离×绕行系数" and _source_text("road") == "路网"
    assert _source_text(None) == "—"


# ------------------------------------------------------------------------------------------------ the pages
_SKIP_FIELDS = frozenset({"id", "form_id", "key", "page_script_hash", "icon", "dg_id", "arrow_data", "data", "url",
                          "script_hash", "format", "type", "tag", "columns", "spec", "theme", "component_name",
                          "json_args", "css", "vega_lite_chart", "datasets", "selection_mode", "width_config",
                          "height_config", "mime", "file_id", "accept_file", "body_json", "autocomplete"})


def _strings(msg: Message, out: list[str]) -> None:
    for fd, val in msg.ListFields():
        if fd.name in _SKIP_FIELDS:
            continue
        for v in (val if fd.is_repeated else [val]):
            if isinstance(v, Message):
                _strings(v, out)
            elif isinstance(v, str) and v.strip():
                out.append(v)


def _walk(node, out: list[str]) -> None:
    proto = getattr(node, "proto", None)
    if isinstance(proto, Message):
        _strings(proto, out)
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for c in children.values():
            _walk(c, out)


#: Table columns whose cells are the user's own data (names, accounts), exempt from the English-word rule only.
DATA_COLUMNS: frozenset[str] = frozenset({"单位名称", "账号", "系统用户", "用户名", "统一社会信用代码", "编号",
                                          "统一社会信用代码/编号", "单位编号", "行", "值", "来源", "地址", "对象",
                                          "原值", "新值", "导入人", "文件", "轮次"})


#: Table columns skipped entirely: the 策略配置 table's key and value are written as a user writes them in an own
#: profile TOML (a key such as ``thresholds.own_org_min_members``, a value such as a list of ledger field names).
KEY_COLUMNS: frozenset[str] = frozenset({"配置项", "取值"})
#: Table columns whose text quotes TOML values (``true``/``false``): snake_case and raw values still checked.
QUOTING_COLUMNS: frozenset[str] = frozenset({"说明"})


def _shown_frame(el) -> tuple[pd.DataFrame, dict[str, str]]:
    """What a table shows: its display values (a Styler's formatting applied) and ``column -> visible header``
    (a column_config label where there is one; hidden columns left out)."""
    from streamlit import dataframe_util

    v = el.value
    disp = el.proto.arrow_data.styler.display_values
    if disp:
        v = dataframe_util.convert_arrow_bytes_to_pandas_df(disp)
    config = json.loads(el.proto.columns or "{}")
    order = list(el.proto.column_order) or list(v.columns)
    headers = {}
    for c in v.columns:
        conf = config.get(str(c)) or {}
        if conf.get("hidden") or c not in order:
            continue
        headers[c] = conf.get("label") or str(c)
    return v, headers


def page_problems(at: AppTest, where: str) -> list[str]:
    """Every untranslated piece on the page ``at`` shows (element strings, table headers and cells)."""
    out: list[str] = []
    _walk(at._tree, out)
    bad = [f"{where}: {t[:80]!r} → {untranslated(t)}" for t in dict.fromkeys(out) if untranslated(t)]
    for i, el in enumerate(at.dataframe):
        v, headers = _shown_frame(el)
        for c, h in headers.items():
            if untranslated(h) or not re.search(r"[\u4e00-\u9fff]", h):
                bad.append(f"{where} 表{i + 1} 列名 {h!r}")
        for c, h in headers.items():
            if h in KEY_COLUMNS:
                continue
            english = h not in DATA_COLUMNS and h not in QUOTING_COLUMNS
            for cell in v[c].head(300):
                if isinstance(cell, (bool, np.bool_)):
                    continue  # drawn as a checkbox
                if isinstance(cell, float) and not pd.isna(cell) and 0 < abs(cell) < 1 and ("率" in h or "比例" in h):
                    bad.append(f"{where} 表{i + 1} {h}: 比率未格式化 {cell!r}")
                    break
                text = "" if cell is None or (isinstance(cell, float) and pd.isna(cell)) else str(cell)
                if isinstance(cell, float) and pd.isna(cell):
                    continue  # an empty cell: the grid shows it blank, not "nan"
                if got := untranslated(text, english=english):
                    bad.append(f"{where} 表{i + 1} {h}: {text[:60]!r} → {got}")
                    break
    return bad


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """Two demo rounds (measures, a diff) and one admin account."""
    root = tmp_path_factory.mktemp("sweep")
    path = root / "lianxin.db"
    for name in ("2026-06", "2026-11"):
        write_demo(root / name, n_orgs=N_ORGS, seed=11, round=name)
        with open_store(path) as store:
            import_files(store, name, **{k: str(root / name / f"{k}.xlsx")
                                         for k in ("orgs", "buildings", "parks", "centers")})
    with open_store(path) as store:
        store.add_user(ADMIN[0], "admin", password=ADMIN[1])
    return path


def _login() -> tuple[AppTest, list[str]]:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert [t.value for t in at.title] == ["登录"]
    bad = page_problems(at, "登录")
    at.text_input(key="login_name").input(ADMIN[0])
    at.text_input(key="login_password").input(ADMIN[1])
    next(b for b in at.button if b.label == "登录").click()
    return at.run(), bad


@pytest.fixture(scope="module")
def sweep(db) -> dict[str, list[str]]:
    """``page title -> problems`` of every page (plans generated on the plan pages), logged in as an admin."""
    mp = pytest.MonkeyPatch()
    app_env(mp, db, N_ORGS)
    try:
        at, bad = _login()
        assert not at.exception, [e.value for e in at.exception]
        found = {"登录": bad}
        buttons = {"joint.py": "生成联建方案", "routes.py": "生成路线", "coverage.py": "生成覆盖方案"}
        for file, title, _, _ in PAGES + ADMIN_PAGES:
            at.switch_page(f"lianxin_geo/ui/{file}")
            at.run(timeout=TIMEOUT)
            assert not at.exception, (title, [e.value for e in at.exception])
            found[title] = page_problems(at, title)
            hit = [b for b in at.button if b.label == buttons.get(file)]
            if hit:  # the plan's own tables and captions too
                hit[0].click()
                at.run(timeout=TIMEOUT)
                assert not at.exception, (title, [e.value for e in at.exception])
                found[title] += page_problems(at, f"{title}（已生成）")
        return found
    finally:
        mp.undo()


def test_every_page_is_in_chinese(sweep):
    bad = [b for problems in sweep.values() for b in problems]
    assert not bad, "未翻译的文字：\n" + "\n".join(dict.fromkeys(bad))



# ------------------------------------------------------------------------------------------------ workbooks
def workbook_problems(data: bytes | Path, where: str) -> list[str]:
    """Headers of every sheet that are not Chinese, and untranslated identifiers in any cell (the 策略配置 key and
    value columns excepted, see :data:`KEY_COLUMNS`)."""
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True)
    bad = []
    for sh in book.worksheets:
        rows = list(sh.iter_rows(values_only=True, max_row=400))
        header = _header_row(rows)
        skip = {i for i, c in enumerate(header) if c in KEY_COLUMNS}
        for c in header:
            if c is not None and (untranslated(c) or not re.search(r"[\u4e00-\u9fff]", str(c))):
                bad.append(f"{where} / {sh.title} 表头 {c!r}")
        for r in rows:
            for i, c in enumerate(r):
                if i not in skip and isinstance(c, str) and (got := untranslated(c, english=False)):
                    bad.append(f"{where} / {sh.title}: {c[:60]!r} → {got}")
    return list(dict.fromkeys(bad))


def _header_row(rows: list[tuple]) -> tuple:
    """The header: the first row, among the first 8, with the most non-empty text cells (titles have one)."""
    best: tuple = ()
    for r in rows[:8]:
        n = sum(1 for c in r if isinstance(c, str) and c.strip())
        if n > sum(1 for c in best if isinstance(c, str) and c.strip()):
            best = r
    return best if sum(1 for c in best if c is not None) > 1 else ()


@pytest.fixture(scope="module")
def cli_workbooks(tmp_path_factory) -> list[str]:
    """The problems of the workbooks of ``run --out`` and ``locate --out`` on a 120-org demo ledger."""
    from typer.testing import CliRunner

    from lianxin_geo.cli.main import app as cli

    tmp = tmp_path_factory.mktemp("sweep_cli")
    mp = pytest.MonkeyPatch()
    mp.setenv("LIANXIN_DB", str(tmp / "cli.db"))
    try:
        write_demo(tmp / "in", n_orgs=120, seed=5)
        runner = CliRunner()
        res = runner.invoke(cli, ["run", "--orgs", str(tmp / "in" / "orgs.xlsx"), "--out", str(tmp / "run"),
                                  "--formats", "xlsx", "--time-limit", "10"])
        assert res.exit_code == 0, res.output
        res = runner.invoke(cli, ["locate", "--orgs", str(tmp / "in" / "orgs.xlsx"),
                                  "--out", str(tmp / "located.xlsx")])
        assert res.exit_code == 0, res.output
    finally:
        mp.undo()
    books = sorted((tmp / "run").rglob("*.xlsx")) + [tmp / "located.xlsx"]
    assert len(books) >= 2
    return [b for p in books for b in workbook_problems(p, p.name)]


def test_every_workbook_header_is_chinese(cli_workbooks):
    bad = list(cli_workbooks)
    assert not bad, "工作簿中未翻译的表头或取值：\n" + "\n".join(bad[:80])


def test_app_table_downloads_are_chinese(db, monkeypatch):
    """The 进展 measures and 操作日志 downloads: the very bytes the download buttons hand out (caught where
    Streamlit stores a download's file)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    served: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        # (an empty placeholder is the disabled 下载 of a file not generated yet: nothing is handed out)
        if isinstance(path_or_data, bytes) and path_or_data and str(filename or "").endswith(".xlsx"):
            served[str(filename)] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    app_env(monkeypatch, db, N_ORGS)
    at, _ = _login()
    for file in ("progress.py", "audit.py"):
        at.switch_page(f"lianxin_geo/ui/{file}")
        at.run(timeout=TIMEOUT)
        assert not at.exception, [e.value for e in at.exception]
    assert {"操作日志.xlsx"} <= set(served) and any(n.startswith("一企一策措施") for n in served), sorted(served)
    bad = [b for name, data in served.items() for b in workbook_problems(data, name)]
    assert not bad, "\n".join(bad[:80])


# ------------------------------------------------------------------------------------------------ the browser
_VISIBLE_TEXT_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode;
    const t = n.textContent.trim();
    const el = n.parentElement;
    if (!t || !el || el.closest('[data-testid="stIconMaterial"], script, style, noscript, iframe')) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width < 2 || r.height < 2 || cs.visibility === "hidden" || r.bottom < 0 || r.right < 0) continue;
    out.push(t);
  }
  return out;
}"""


def _browser_problems(page, where: str) -> list[str]:
    texts = page.evaluate(_VISIBLE_TEXT_JS)
    return [f"{where}（浏览器）: {t[:80]!r} → {untranslated(t)}" for t in dict.fromkeys(texts) if untranslated(t)]


@pytest.fixture(scope="module")
def chromium():
    import shutil

    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        pytest.skip("没有可用的浏览器 /usr/bin/chromium / no Chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


def _idle(page) -> None:
    page.wait_for_timeout(400)
    wait_idle(page, timeout=120_000)


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_in_the_browser_is_in_chinese(db, chromium, tmp_path):
    """What only the browser shows: the uploader's own words, the navigation, the login page."""
    from test_serve_hosts import serve_app

    bad: list[str] = []
    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log", LIANXIN_DB=str(db),
                   LIANXIN_GEO_DEMO_ORGS=str(N_ORGS)) as port:
        page = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        page.get_by_role("heading", name="登录").first.wait_for(timeout=120_000)
        _idle(page)
        bad += _browser_problems(page, "登录")
        page.get_by_label("用户名").fill(ADMIN[0])
        page.get_by_label("密码").fill(ADMIN[1])
        page.get_by_role("button", name="登录").click()
        page.get_by_role("button", name="退出登录").wait_for(timeout=120_000)
        for _, title, _, _ in PAGES + ADMIN_PAGES:
            page.get_by_role("link", name=title, exact=True).first.click()
            page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
            _idle(page)
            assert page.locator("[data-testid='stException']").count() == 0, title
            found = _browser_problems(page, title)
            bad += found
            if title == "数据":  # the scan does read the uploaders: without the page's CSS their English shows
                page.evaluate("""() => document.querySelectorAll('style').forEach(
                    s => { if (s.textContent.includes('stFileUploaderDropzoneInstructions')) s.remove(); })""")
                raw = " ".join(page.evaluate(_VISIBLE_TEXT_JS))
                assert "Upload" in raw and "per file" in raw, raw[:400]
                page.get_by_role("link", name="总览", exact=True).first.click()
                page.get_by_role("heading", name="总览").first.wait_for(timeout=120_000)
    assert not bad, "浏览器中未翻译的文字：\n" + "\n".join(dict.fromkeys(bad))


@pytest.mark.browser
@pytest.mark.slow
def test_wrong_addresses_get_chinese_answers(chromium, tmp_path):
    """Single-user mode (no accounts): ``/overview`` opens 总览 and ``/no-such-page`` a Chinese 页面不存在 page,
    never Streamlit's English "Page not found" dialog."""
    from test_serve_hosts import serve_app

    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log", LIANXIN_DB=str(tmp_path / "empty.db"),
                   LIANXIN_GEO_DEMO_ORGS="120") as port:
        page = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
        page.goto(f"http://127.0.0.1:{port}/overview", wait_until="domcontentloaded")
        page.get_by_role("heading", name="总览").first.wait_for(timeout=120_000)
        _idle(page)
        assert page.locator("[role=dialog]").count() == 0, page.locator("[role=dialog]").all_inner_texts()
        page.goto(f"http://127.0.0.1:{port}/no-such-page", wait_until="domcontentloaded")
        page.get_by_role("heading", name="页面不存在").first.wait_for(timeout=120_000)
        _idle(page)
        assert page.locator("[role=dialog]").count() == 0, page.locator("[role=dialog]").all_inner_texts()
        assert "no-such-page" in page.locator("[data-testid='stAlert']").first.inner_text()
        assert not _browser_problems(page, "页面不存在")
        page.get_by_role("link", name="返回总览").first.click()
        page.get_by_role("heading", name="总览").first.wait_for(timeout=120_000)
