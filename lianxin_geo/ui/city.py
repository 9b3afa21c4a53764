"""全市: the city → district → town drill-down of a city run (issue 16), for users whose scope is the whole area.

The data are a city run folder (``lianxin-geo city run 全市目录 --out 结果目录``: ``city.json`` and one run folder
per district), named by ``$LIANXIN_CITY_RUN``. Without it, in demo mode (no ledger uploaded), the button
生成全市合成演示 writes a small synthetic city and its run into a cache folder shared by the server's sessions
(``$LIANXIN_CITY_CACHE``, default the system's temporary folder); every view of it says 演示数据（合成）/
镇街边界为示意.

The map is drawn once (the districts, :func:`lianxin_geo.present.citymap.city_base_map`); going down to a district
swaps its towns in with a small script (:func:`lianxin_geo.present.citymap.towns_layers`, the same mechanism as
the other pages' selection), so a click never rebuilds the map. A district is chosen by a click on the map, in the
sidebar or on a row of the districts' table; the breadcrumb (北京市 › 朝阳区) and 返回上一级 go back up. The
district's run files (its ``manifest.json``) are offered as downloads.

Town users and viewers (a scope of some towns) are refused: the page shows every district.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import streamlit as st

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.policy import Profile, load_profile
from lianxin_geo.ingest.city import load_city
from lianxin_geo.ingest.demo.city import write_city_demo
from lianxin_geo.pipeline.city import run_city
from lianxin_geo.present import citymap
from lianxin_geo.present.assets import streamlit_asset_base
from lianxin_geo.present.outdir import MANIFEST_NAME, verify_manifest
from lianxin_geo.present.selection import Selection
from lianxin_geo.present.style import pct
from lianxin_geo.store.access import User
from lianxin_geo.ui import auth, state, widgets
from lianxin_geo.ui.engine import app_engine

__all__ = ["CITY_CACHE_ENV", "CITY_DEMO_ORGS_ENV", "CITY_ONLY", "CITY_RUN_ENV", "DEMO_BUTTON", "current_district",
           "demo_run_folder", "go_back", "may_see_city", "render", "run_files", "set_district"]

#: The city run folder the page shows (a folder with ``city.json``).
CITY_RUN_ENV = "LIANXIN_CITY_RUN"
#: Where the synthetic city demo and its run are cached (default: the system's temporary folder).
CITY_CACHE_ENV = "LIANXIN_CITY_CACHE"
#: Organizations of the synthetic city demo (default 5,000).
CITY_DEMO_ORGS_ENV = "LIANXIN_CITY_DEMO_ORGS"
_DEMO_ORGS = 5_000
_DEMO_SEED = 20170602
#: The button that writes the synthetic city demo.
DEMO_BUTTON = "生成全市合成演示"
#: Shown to a user whose scope is not the whole area.
CITY_ONLY = "无权访问：“全市”页面显示所有区和镇街，仅限区级管理员（或单用户模式）；镇街账号请使用其他页面。"

_LEVEL = "city_district"
_HISTORY = "city_history"
_PENDING = "city_pending"
_PICK = "city_pick"
_CITY = ""
_LOCK = threading.Lock()
#: What each kind of run file is, by its suffix.
_KINDS = {".xlsx": "Excel 表格", ".geojson": "GeoJSON 图层", ".html": "网页地图 HTML", ".png": "静态地图 PNG",
          ".pdf": "静态地图 PDF", ".pptx": "汇报幻灯片", ".gpkg": "GeoPackage 图层", ".csv": "CSV 表格", ".json": "JSON 清单"}


def may_see_city(user: User | None) -> bool:
    """True when ``user``'s scope is the whole area: single-user mode (``None``) or a 区级管理员."""
    return user is None or user.is_admin


# ---------------------------------------------------------------- the level shown (city or one district)
def current_district() -> str | None:
    """The district shown (its code), ``None`` for the city level."""
    return st.session_state.get(_LEVEL) or None


def set_district(code: str | None, *, record: bool = True) -> None:
    """Show district ``code`` (``None``: the city); the previous level is kept for 返回上一级 unless ``record=False``.

    Safe in callbacks: the sidebar's choice follows on the next run (as :func:`lianxin_geo.ui.selection.set_selection`).
    """
    ss = st.session_state
    old = current_district()
    if code == old:
        return
    if record:
        ss[_HISTORY] = (list(ss.get(_HISTORY, [])) + [old])[-30:]
    ss[_LEVEL] = code
    ss[_PENDING] = True


def go_back() -> None:
    """Back to the level shown before (the city when there is no history)."""
    hist = list(st.session_state.get(_HISTORY, []))
    prev = hist.pop() if hist else None
    st.session_state[_HISTORY] = hist
    set_district(prev, record=False)


def _from_pick() -> None:
    set_district(st.session_state.get(_PICK) or None)


# ---------------------------------------------------------------- the data
def demo_run_folder(orgs: int | None = None, seed: int = _DEMO_SEED) -> Path:
    """The cache folder of the synthetic city demo of ``orgs`` organizations (``run/`` holds its city run)."""
    n = int(orgs if orgs is not None else os.environ.get(CITY_DEMO_ORGS_ENV) or _DEMO_ORGS)
    base = Path(os.environ.get(CITY_CACHE_ENV) or Path(tempfile.gettempdir()) / "lianxin-geo-city")
    return base / f"demo-{n}-{seed}"


def _make_demo(root: Path, orgs: int) -> None:
    """Write the synthetic city (``root/city``) and its city run (``root/run``) with a progress bar."""
    bar = st.progress(0.0, text="正在生成全市合成演示数据…")
    with _LOCK:  # one build per server; a session that waited finds it done
        if (root / "run" / citymap.CITY_RUN_FILE).is_file():
            bar.empty()
            return
        write_city_demo(root / "city", n_orgs=orgs, seed=_DEMO_SEED,
                        progress=lambda msg, frac=None: bar.progress(min(0.3, 0.3 * float(frac or 0.0)),
                                                                     text=f"合成台账：{msg}"))
        run_city(root / "city", root / "run", engine=app_engine(), time_limit_s=20.0, seed=0,
                 progress=lambda done, total, label: bar.progress(0.3 + 0.7 * done / max(total, 1),
                                                                  text=f"已完成 {label}（{done}/{total} 个区）"))
    bar.progress(1.0, text="全市合成演示已生成")


@st.cache_resource(show_spinner=False, max_entries=8)
def _read_run(folder: str, stamp: tuple) -> citymap.CityRun:
    return citymap.read_city_run(folder)


def _run_key(folder: Path) -> tuple:
    st_ = (folder / citymap.CITY_RUN_FILE).stat()
    return (str(folder.resolve()), st_.st_mtime_ns, st_.st_size)


def _demo_mode() -> bool:
    """True when the session shows the built-in demo (no ledger uploaded, or the demo asked for)."""
    got = state.sources()
    return state.chosen_round() is None and (state.use_demo() or not any(got.get(k) for k in state.KINDS))


def _source() -> citymap.CityRun | None:
    """The city run to show, or ``None`` after saying why there is none (and offering the demo)."""
    env = (os.environ.get(CITY_RUN_ENV) or "").strip()
    if env:
        folder = Path(env)
    else:
        if not _demo_mode():
            st.info("“全市”页面显示全市运行结果：请在命令行运行 lianxin-geo city run C --out R（C 为全市目录，R 为结果目录），"
                    f"再以环境变量 {CITY_RUN_ENV} 指向结果目录 R 启动应用。")
            return None
        root = demo_run_folder()
        folder = root / "run"
        if not (folder / citymap.CITY_RUN_FILE).is_file():
            n = int(os.environ.get(CITY_DEMO_ORGS_ENV) or _DEMO_ORGS)
            st.info(f"没有配置全市运行结果（{CITY_RUN_ENV}）。可生成一个全市合成演示：{n:,} 个合成组织分布在北京市 16 个区"
                    "（区界真实；镇街名称与代码真实，位置与边界为示意），并为每个区运行评估与方案。"
                    "生成一次后本服务器的所有会话共用。")
            if not st.button(DEMO_BUTTON, type="primary", key="city_demo"):
                return None
            try:
                _make_demo(root, n)
            except LianxinError as exc:
                st.error(f"全市合成演示生成失败：{exc}")
                return None
            st.rerun()  # the page without the button and the bar: the map keeps its place from now on
    try:
        return _read_run(str(folder), _run_key(folder))
    except (LianxinError, OSError) as exc:
        st.error(f"无法读取全市结果 {widgets.markdown_text(folder)}：{exc}")
        return None


@st.cache_resource(show_spinner=False, max_entries=4)
def _profile(name: str | None) -> Profile:
    return load_profile(name)


def _run_profile(run: citymap.CityRun) -> Profile:
    """The run's profile when ``city.json`` names it, else the session's."""
    if run.profile:
        try:
            return _profile(run.profile)
        except LianxinError:  # a profile file of the machine that ran it: the session's profile instead
            pass
    src = state.policy_source()
    return _profile(src.path if src is not None else st.session_state.get("policy"))


@st.cache_resource(show_spinner=False, max_entries=2)
def _city(codes: tuple[str, ...]) -> District:
    return load_city(list(codes))


# ---------------------------------------------------------------- the page
def render() -> None:
    """Draw the page."""
    widgets.guard_host()
    user = auth.require_login()
    state.init_state()
    if not may_see_city(user):
        auth.record("page_refused", outcome="refused", detail={"page": "city"})
        st.error(CITY_ONLY)
        st.stop()
    st.title("全市")
    run = _source()
    if run is None:
        return
    try:
        city = _city(tuple(d.code for d in run.districts))
    except LianxinError as exc:
        st.error(f"全市结果中的区与北京市区界不符：{exc}")
        return
    code = current_district()
    if code is not None and code not in {d.code for d in run.districts}:
        set_district(None, record=False)
        code = None
    target = citymap.city_target(_run_profile(run))
    _banner(run)
    choice = _sidebar(run)
    _breadcrumb(run, code)
    area = run.city if code is None else run.district(code)
    _metrics(area, target)
    st.subheader("组织覆盖率地图（点击区进入该区的镇街）" if code is None else f"{area.name}各镇街组织覆盖率")
    _map(run, city, code, target, choice)
    if code is None:
        _districts_table(run)
    else:
        _towns_table(run, area)
    _downloads(run, area)


def _banner(run: citymap.CityRun) -> None:
    """The honesty banner: synthetic data and approximate towns; a partial run."""
    if run.synthetic:
        st.warning(f"**{citymap.DEMO_LABEL} / {citymap.APPROX_LABEL}** —— 全市组织、楼宇、园区与阵地均为合成数据，"
                   "非真实台账；区界真实，镇街名称与代码真实，位置与边界为示意。", icon="⚠️")
    else:
        st.caption(f"注意：{citymap.APPROX_LABEL}（镇街名称与代码真实，位置与边界为按区界推算的示意）；区界真实。")
    if run.partial:
        failed = run.failures or tuple(f"{d.name} {f}" for d in run.districts for f in d.failures)
        st.warning("部分结果：以下计算未完成，其余已完成 —— " + "；".join(widgets.markdown_text(f) for f in failed),
                   icon="⚠️")
    if not run.has_plans:
        st.caption("此结果只有评估（来自 lianxin-geo city assess），没有各区的方案：联建单位、路线、新址显示为“—”。")


def _sidebar(run: citymap.CityRun) -> widgets.MapChoice:
    """The district picker and the base map in the sidebar."""
    ss = st.session_state
    if ss.pop(_PENDING, False) or _PICK not in ss:
        ss[_PICK] = current_district() or _CITY
    names = {d.code: d.name for d in run.districts}
    sb = st.sidebar
    sb.subheader("全市")
    sb.selectbox("区", [_CITY, *names], format_func=lambda c: names.get(c, "全市（所有区）"), key=_PICK,
                 on_change=_from_pick)
    return widgets._map_sidebar(None, Selection())  # type: ignore[arg-type]  (the base map only)


def _breadcrumb(run: citymap.CityRun, code: str | None) -> None:
    """北京市 › 朝阳区 and 返回上一级, drawn the same way at both levels (the map below keeps its place)."""
    cols = st.columns([1.2, 1.2, 1.4, 5.0], gap="small")
    top = run.city.name
    cols[0].button(top + (" ›" if code else ""), key="city_crumb_0", disabled=code is None, on_click=set_district,
                   args=(None,), width="stretch", help=None if code is None else f"回到{top}")
    cols[1].button(run.district(code).name if code else "（点击地图上的区）", key="city_crumb_1", disabled=True,
                   width="stretch")
    cols[2].button("↩ 返回上一级", key="city_back", on_click=go_back,
                   disabled=code is None and not st.session_state.get(_HISTORY), width="stretch")


def _metrics(area: citymap.Area, target: float) -> None:
    c = st.columns(5)
    c[0].metric("组织数", "—" if area.orgs is None else f"{area.orgs:,}")
    rate = area.org_coverage_rate
    delta = None if rate is None else f"{(rate - target) * 100:+.1f} 个百分点，目标 {target:.1%}"
    c[1].metric("组织覆盖率", pct(rate), delta)
    c[2].metric("工作覆盖率", pct(area.work_coverage_rate))
    c[3].metric("未覆盖", "—" if area.uncovered is None else f"{area.uncovered:,}")
    kids = area.children if area.children and area.children[0].children else (area,)
    units = [k.joint_units for k in kids if k.joint_units is not None]
    routes = [k.routes for k in kids if k.routes is not None]
    c[4].metric("联建单位 / 路线", f"{sum(units):,} / {sum(routes):,}" if units or routes else "—")


@st.cache_resource(show_spinner=False, max_entries=8)
def _base_payload(key: tuple, _run: citymap.CityRun, _city: District, target: float, basemap: str,
                  tianditu_key: str | None) -> dict[str, Any]:
    return widgets.folium_payload(citymap.city_base_map(_city, _run, target=target, basemap=basemap,
                                                        tianditu_key=tianditu_key,
                                                        asset_base=streamlit_asset_base()))


@st.cache_resource(show_spinner=False, max_entries=64)
def _level_script(key: tuple, _run: citymap.CityRun, _city: District, code: str | None, target: float,
                  basemap: str) -> str:
    layers = citymap.towns_layers(_city, _run, code, target=target, basemap=basemap)
    return widgets.selection_script(layers, bounds=citymap.area_bounds(_city, code), basemap=basemap)


def _map(run: citymap.CityRun, city: District, code: str | None, target: float, choice: widgets.MapChoice) -> None:
    """The city map: drawn once, the district's towns swapped in; a click on a district goes down to it."""
    key = (_run_key(run.folder) if run.folder is not None else id(run), target)
    basemap = choice.basemap
    try:
        payload = _base_payload(key + (basemap, choice.tianditu_key), run, city, target, basemap, choice.tianditu_key)
    except ValueError as exc:
        st.error(str(exc))
        basemap = "none"
        payload = _base_payload(key + (basemap, None), run, city, target, basemap, None)
    script = _level_script(key + (basemap, code), run, city, code, target, basemap)
    out = widgets._draw(payload, key="city_map", height=560,
                        returned=["last_object_clicked", "last_object_clicked_tooltip"], layers=script)
    if not isinstance(out, dict) or not out.get("last_object_clicked_tooltip"):
        return
    mark = (str(out.get("last_object_clicked_tooltip")), repr(out.get("last_object_clicked")))
    if st.session_state.get("_city_map_clicked") == mark:
        return
    st.session_state["_city_map_clicked"] = mark
    hit = citymap.clicked_district(run, out["last_object_clicked_tooltip"])
    if hit is not None and hit != code:
        set_district(hit)
        st.rerun()


def _labels_caption(run: citymap.CityRun) -> str:
    return " / ".join(run.labels())


def _districts_table(run: citymap.CityRun) -> None:
    st.subheader("各区组织覆盖率与方案")
    tab = citymap.area_table(run.districts, level="district")
    ev = st.dataframe(citymap.style_table(tab), hide_index=True, width="stretch", key="city_districts",
                      on_select="rerun", selection_mode="single-row")
    hit = widgets.clicked_row(ev, "city_districts", [d.code for d in run.districts])
    if hit is not None:
        set_district(hit)
        st.rerun()
    st.caption(f"点击表格中的一行进入该区。{_labels_caption(run)}。")


def _towns_table(run: citymap.CityRun, area: citymap.Area) -> None:
    st.subheader(f"{area.name}各镇街")
    st.dataframe(citymap.style_table(citymap.area_table(area.children, level="town")), hide_index=True,
                 width="stretch", key="city_towns")
    st.caption(f"方案按区计算，镇街一行不单列联建单位、路线与新址（显示为“—”）。{_labels_caption(run)}。")


def run_files(folder: Path) -> list[dict[str, Any]]:
    """The files of a district's run folder as its ``manifest.json`` lists them (``name``, ``size``), only those
    inside the folder."""
    try:
        doc = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        entries = list(doc["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
    root = folder.resolve()
    out = []
    for e in entries:
        name = str(e.get("name", ""))
        path = (root / name).resolve()
        if name and path.is_relative_to(root) and path.is_file():
            out.append({"name": name, "size": int(e.get("size") or path.stat().st_size), "path": path})
    return out


@st.cache_data(show_spinner="正在核对文件清单…", max_entries=64)
def _problems(folder: str, stamp: int) -> list[str]:
    return verify_manifest(folder)


def _downloads(run: citymap.CityRun, area: citymap.Area) -> None:
    """The run files of ``area`` (a district: its run folder; the city: the run's own files, e.g. 全市汇总.xlsx), as
    its ``manifest.json`` lists them; each file is read only when its button is clicked."""
    st.subheader(f"{area.name}运行文件")
    is_city = area is run.city
    folder = run.folder if is_city else run.district_folder(area.code)
    if folder is None or not (folder / MANIFEST_NAME).is_file():
        st.caption("此结果没有运行文件（例如由 lianxin-geo city assess 汇总而来）。")
        return
    files = [f for f in run_files(folder) if not is_city or "/" not in f["name"]]
    problems = _problems(str(folder), (folder / MANIFEST_NAME).stat().st_mtime_ns)
    if problems:
        st.warning("运行文件与清单不符，不提供下载：" + "；".join(widgets.markdown_text(p) for p in problems[:5]))
        return
    if run.synthetic:
        st.caption(f"{citymap.DEMO_LABEL} / {citymap.APPROX_LABEL}：文件中的组织均为合成数据。")
    for i, f in enumerate(files):
        c1, c2 = st.columns([4, 1])
        kind = _KINDS.get(Path(f["name"]).suffix.lower(), "文件")
        c1.markdown(f"{kind}：{widgets.markdown_text(f['name'])}（{f['size'] / 1024:,.1f} KB）")
        path: Path = f["path"]
        c2.download_button("下载", data=path.read_bytes, file_name=Path(f["name"]).name,
                           key=f"city_dl_{area.code}_{i}", on_click="ignore")


if __name__ == "__main__":
    render()
