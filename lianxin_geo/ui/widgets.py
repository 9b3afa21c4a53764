"""What every page shows the same way: the page preamble, the honesty banner, the map sidebar and the map.

Every page starts with :func:`preamble` — host check, session state, title, the
workspace (a clear Chinese message, not a traceback, when the user's files cannot
be read), the honesty banner and, for map pages, the sidebar — and draws its map
with :func:`show_map`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd
import streamlit as st

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.industry import section_label, section_of
from lianxin_geo.present import maps
from lianxin_geo.present.assets import streamlit_asset_base
from lianxin_geo.ui import auth, state
from lianxin_geo.ui.serving import allowed_hosts, host_allowed
from lianxin_geo.workspace import Workspace

__all__ = ["MapChoice", "Page", "banner", "guard_host", "markdown_text", "preamble", "rates_frame", "show_map"]

#: Message of a refused request: the Host header names neither this machine nor a configured address.
HOST_REFUSED = ("拒绝访问：本应用只接受通过本机地址（localhost、127.0.0.1）或配置中允许的地址访问。"
                "如需在内网共享，请把访问所用的地址加入 .streamlit/config.toml 的 server.allowedHosts。")


@dataclass(frozen=True)
class MapChoice:
    """The sidebar's choices for a map: base map, Tianditu key, filters."""

    basemap: str
    tianditu_key: str | None
    filters: maps.MapFilters


@dataclass(frozen=True)
class Page:
    """What :func:`preamble` hands a page: the workspace and, on map pages, the sidebar's choices."""

    ws: Workspace
    map: MapChoice | None


def guard_host() -> None:
    """Stop the page unless the request's ``Host`` header names this machine or an allowed address.

    Streamlit's ``server.allowedHosts`` already refuses the WebSocket of another host
    when ``.streamlit/config.toml`` is read; this check holds wherever the app is started
    from. A run without a browser request (``AppTest``) has no headers and is not checked.
    """
    headers = st.context.headers
    if not len(headers):
        return
    allowed = allowed_hosts(address=st.get_option("server.address"),
                            server_address=st.get_option("browser.serverAddress"),
                            configured=st.get_option("server.allowedHosts") or ())
    hosts = headers.get_all("Host")
    if not hosts or not all(host_allowed(h, allowed) for h in hosts):
        st.error(HOST_REFUSED)
        st.stop()


def preamble(title: str, *, map_key: str | None = None, inputs_form: Callable[[], None] | None = None) -> Page:
    """Start a page: host check, login (:func:`lianxin_geo.ui.auth.require_login`), state, title, ``inputs_form`` (the data page), workspace, banner, sidebar.

    Parameters
    ----------
    title
        The page title.
    map_key
        Prefix of the sidebar's widget keys on a map page; ``None``: no map sidebar.
    inputs_form
        Drawn before the workspace is loaded, so the inputs it changes take effect in this run.
    """
    guard_host()
    auth.require_login()
    state.init_state()
    st.title(title)
    if inputs_form is not None:
        inputs_form()
    try:
        ws = state.workspace()
    except (LianxinError, FileNotFoundError, ValueError) as exc:  # the user's files: say what is wrong
        st.error(f"无法载入数据：{exc}")
        st.info("请在“数据”页检查或更换文件，或点击“恢复为演示数据”。")
        st.stop()
    banner(ws)
    st.session_state["town_names"] = dict(ws.district.town_names)  # the sidebar names the user's towns
    chosen = state.chosen_round()
    if chosen is not None:
        st.info(f"当前使用数据库中的台账轮次 **{markdown_text(chosen[1])}**（在“数据”页可改回当前载入的文件）。",
                icon="🗂️")
    return Page(ws=ws, map=_map_sidebar(ws, key=map_key) if map_key else None)


def banner(ws: Workspace) -> None:
    """The honesty banner on every page: which layers are demo data, approximate boundaries, ledgers not given."""
    if ws.is_demo:
        extra = " / 示意边界" if ws.district.approximate else ""
        st.warning(f"**演示数据（合成）{extra}** —— 以下{ws.demo_layers}图层由内置顺义演示数据生成，非真实台账。",
                   icon="⚠️")
    for n in ws.data_notes:
        st.caption("注意：" + n)


def _section_name(letter: str) -> str:
    return section_label(letter) or letter


def _map_sidebar(ws: Workspace, *, key: str) -> MapChoice:
    """Base map, layers and filters in the sidebar."""
    sb = st.sidebar
    sb.subheader("地图")
    basemap = sb.selectbox("底图", list(maps.BASEMAPS), format_func=maps.BASEMAPS.get, key="basemap")
    tk = None
    if basemap == "tianditu":
        tk = sb.text_input("天地图密钥（tk）", type="password", key="tianditu_key") or None
    if basemap != "none":
        sb.caption("网络底图会向地图服务商发送请求；离线环境请选择“无底图”。")
    sb.subheader("筛选")
    names = ws.district.town_names
    every = "全部（可多选）"
    towns = sb.multiselect("乡镇/街道", list(names), format_func=lambda c: names.get(c, c), key=f"{key}_towns",
                           placeholder=every)
    kinds = sb.multiselect("组织类别", ["非公企业", "社会组织"], key=f"{key}_kinds", placeholder=every)
    letters = sorted({s for s in map(section_of, ws.orgs.get("industry", pd.Series(dtype=object)).dropna()) if s})
    industries = sb.multiselect("行业门类", letters, format_func=_section_name, key=f"{key}_ind", placeholder=every)
    statuses = sb.multiselect("覆盖状态", list(maps.STATUS_COLORS), key=f"{key}_status", placeholder=every)
    filters = maps.MapFilters(towns=tuple(towns), kinds=tuple(kinds), industries=tuple(industries),
                              statuses=tuple(statuses))
    return MapChoice(basemap=basemap, tianditu_key=tk, filters=filters)


def show_map(page: Page, *, key: str, height: int = 600, **layers: Any) -> None:
    """Draw :func:`lianxin_geo.present.maps.build_map` with the sidebar's choices; panning does not rerun the page.

    ``layers`` are the keyword arguments of ``build_map`` (``layers=``, ``plans=``, ``assessment=`` …).
    A base map that cannot be drawn (e.g. Tianditu without a key) becomes a message and the offline map.
    """
    from streamlit_folium import st_folium

    choice = page.map or MapChoice(basemap="none", tianditu_key=None, filters=maps.MapFilters())
    args = dict(layers, basemap=choice.basemap, tianditu_key=choice.tianditu_key, filters=choice.filters,
                asset_base=streamlit_asset_base())
    try:
        fmap = maps.build_map(page.ws, **args)
    except ValueError as exc:
        st.error(str(exc))
        fmap = maps.build_map(page.ws, **dict(args, basemap="none"))
    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def rates_frame(a: Any) -> pd.DataFrame | None:
    """Per-jurisdiction rates of an assessment for the choropleth (``None`` without one)."""
    if a is None:
        return None
    cols = [c for c in ("code", "name", "org_coverage_rate", "single_rate", "work_coverage_rate",
                        "enterprise_org_coverage_rate", "social_org_coverage_rate") if c in a.jurisdictions]
    return a.jurisdictions[cols]


def markdown_text(text: object) -> str:
    """``text`` escaped for ``st.markdown``: HTML through :func:`lianxin_geo.present.maps.esc`, emphasis marks too."""
    return maps.esc(text).replace("*", "\\*").replace("_", "\\_")
