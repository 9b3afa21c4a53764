"""What every page shows the same way: the page preamble, the honesty banner, the map sidebar and the map.

Every page starts with :func:`preamble` — host check, session state, title, the
workspace (a clear Chinese message, not a traceback, when the user's files cannot
be read), the honesty banner and, for map pages, the sidebar — and draws its map
with :func:`show_map`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import maps
from lianxin_geo.present.assets import streamlit_asset_base
from lianxin_geo.assessment import Assessment
from lianxin_geo.present.selection import Selection, select_assessment, selection_bounds
from lianxin_geo.ui import auth, cards, selection, state
from lianxin_geo.ui.serving import allowed_hosts, host_allowed
from lianxin_geo.workspace import Workspace

__all__ = ["MapChoice", "Page", "banner", "clicked_target", "guard_host", "map_filters", "markdown_text", "preamble",
           "rates_frame", "selected_assessment", "by_selection", "clicked_row", "show_map"]

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
    selection: Selection = Selection()


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

    On a map page (``map_key`` given) the sidebar carries the shared selection
    (:func:`lianxin_geo.ui.selection.selection_sidebar`) and the base map; the title names what is selected
    and the breadcrumb under it goes back up.

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
    if map_key is None or inputs_form is not None:
        st.title(title)
    if inputs_form is not None:
        inputs_form()
    try:
        ws = state.workspace()
    except (LianxinError, FileNotFoundError, ValueError) as exc:  # the user's files: say what is wrong
        if map_key is not None and inputs_form is None:
            st.title(title)
        st.error(f"无法载入数据：{exc}")
        st.info("请在“数据”页检查或更换文件，或点击“恢复为演示数据”。")
        st.stop()
    sel = selection.current_selection()
    if map_key is not None:
        sel = selection.selection_sidebar(ws)
        if inputs_form is None:
            st.title(f"{title} · {sel.label(ws)}" if not sel.is_all() else title)
        selection.breadcrumb(ws, key=f"{map_key}_crumb")
    banner(ws)
    st.session_state["town_names"] = dict(ws.district.town_names)  # the sidebar names the user's towns
    chosen = state.chosen_round()
    if chosen is not None:
        st.info(f"当前使用数据库中的台账轮次 **{markdown_text(chosen[1])}**（在“数据”页可改回当前载入的文件）。",
                icon="🗂️")
    return Page(ws=ws, map=_map_sidebar(ws, sel) if map_key else None, selection=sel)


def banner(ws: Workspace) -> None:
    """The honesty banner on every page: which layers are demo data, approximate boundaries, ledgers not given."""
    if ws.is_demo:
        extra = " / 示意边界" if ws.district.approximate else ""
        st.warning(f"**演示数据（合成）{extra}** —— 以下{ws.demo_layers}图层由内置顺义演示数据生成，非真实台账。",
                   icon="⚠️")
    for n in ws.data_notes:
        st.caption("注意：" + n)


def _map_sidebar(ws: Workspace, sel: Selection) -> MapChoice:
    """The base map in the sidebar; the filters are the shared selection's."""
    sb = st.sidebar
    sb.subheader("地图")
    basemap = sb.selectbox("底图", list(maps.BASEMAPS), format_func=maps.BASEMAPS.get, key="basemap")
    tk = None
    if basemap == "tianditu":
        tk = sb.text_input("天地图密钥（tk）", type="password", key="tianditu_key") or None
    if basemap != "none":
        sb.caption("网络底图会向地图服务商发送请求；离线环境请选择“无底图”。")
    return MapChoice(basemap=basemap, tianditu_key=tk, filters=map_filters(sel))


def map_filters(sel: Selection) -> maps.MapFilters:
    """The selection's towns, kinds, industries and statuses as the map layers' filters."""
    return maps.MapFilters(towns=sel.towns, kinds=sel.kinds, industries=sel.industries, statuses=sel.statuses)


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_base(key: tuple, _ws: Workspace, _args: dict) -> dict[str, Any]:
    """The base map of ``key`` (workspace, layers, plans, base map): what does not change with the selection.

    A folium map cannot be handed to ``st_folium`` twice (its second rendering refers to layers it no longer
    defines), so it is built and rendered once and the component's arguments are kept.
    """
    return folium_payload(maps.build_map(_ws, **_args, parts="base"))


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_layers(key: tuple, _ws: Workspace, _args: dict, bounds: tuple | None, basemap: str) -> str:
    """The script that swaps in the selection's layers (:func:`~lianxin_geo.present.maps.selection_layers`),
    refills the legend and zooms to the selection."""
    return selection_script(maps.selection_layers(_ws, **_args), bounds=bounds, basemap=basemap)


def folium_payload(fmap: Any) -> dict[str, Any]:
    """The arguments ``streamlit_folium`` sends its component for ``fmap`` (rendered once, as ``st_folium`` does)."""
    import streamlit_folium as sf

    fmap.get_root().render()
    fmap.render()
    html = sf._get_html(fmap)
    header = sf._get_header(fmap)
    script = sf._get_map_string(fmap)
    css: list[str] = []
    js: list[str] = []
    stack = [fmap]
    while stack:
        el = stack.pop(0)
        css += [href for _, href in getattr(el, "default_css", [])]
        js += [src for _, src in getattr(el, "default_js", [])]
        stack.extend(getattr(el, "_children", {}).values())
    return {"script": script, "header": header, "html": html, "id": sf.get_full_id(fmap),
            "css_links": list(dict.fromkeys(css)), "js_links": list(dict.fromkeys(js)),
            "zoom": fmap.options.get("zoom"), "bounds": fmap.get_bounds()}


def selection_script(sl: maps.SelectionLayers, *, bounds: tuple | None = None, basemap: str = "none") -> str:
    """JavaScript run in the map's frame when the selection changes: the previous selection's layers leave the
    map and the layer switcher, these come in (listed in the switcher), the legend is refilled and the view fits
    ``bounds`` (lon/lat). No iframe is rebuilt: this is what keeps a selection change under a second."""
    import folium
    import streamlit_folium as sf

    shell = folium.Map(tiles=None)
    shell_id = sf.get_full_id(shell)
    out = ["(window.__lx_fg||[]).forEach(function(l){if(window.__lx_ctl){window.__lx_ctl.removeLayer(l);}"
           "if(window.map&&window.map.hasLayer(l)){window.map.removeLayer(l);}});",
           "window.__lx_fg=[];window.feature_group=window.feature_group||[];"]
    for i, group in enumerate(sl.groups):
        group.add_to(shell)
        group.render()
        base = f"lxsel{i}"
        js = sf.generate_leaflet_string(group, base_id=base).replace(shell_id, "map_div")
        name = group.get_name()
        out.append(js)
        out.append(f"window.feature_group.push({name});window.__lx_fg.push({name});"
                   f"if(window.__lx_ctl&&{json.dumps(bool(group.control))}){{window.__lx_ctl.addOverlay({name},"
                   f"{json.dumps(group.layer_name)});}}")
    body = sl.legend_html()
    out.append("(function(){var el=document.querySelector('.lx-legend');if(el){el.innerHTML="
               f"{json.dumps(body)};el.style.display={json.dumps('' if body else 'none')};}}}})();")
    if bounds is not None:
        x, y = maps.shift_lonlat(basemap, [bounds[0], bounds[2]], [bounds[1], bounds[3]])
        # a frame not laid out yet has no size: fit once it has one
        out.append(f"(function(){{var b=[[{y[0]:.6f},{x[0]:.6f}],[{y[1]:.6f},{x[1]:.6f}]];"
                   "function fit(){map_div.invalidateSize(false);map_div.fitBounds(b,{animate:false});}"
                   "if(map_div.getSize().y>50){fit();}else{map_div.once('resize',fit);setTimeout(fit,400);}})();")
    return "\n".join(out)


def _draw(payload: dict[str, Any], *, key: str, height: int, returned: list[str], layers: str | None) -> Any:
    """The map component from a cached :func:`folium_payload` and the selection's :func:`selection_script`
    (what ``st_folium`` does after rendering; the script goes where its ``feature_group_to_add`` goes)."""
    import streamlit_folium as sf

    (s, w), (n, e) = payload["bounds"]
    defaults = {"last_object_clicked": None, "last_object_clicked_tooltip": None,
                "bounds": {"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}},
                "zoom": payload["zoom"]}
    hash_key = payload.get(("hash", key))
    if hash_key is None:  # hashing megabytes of script once per page, not once per run
        hash_key = payload[("hash", key)] = sf.generate_js_hash(payload["script"], key, False)
    return sf._component_func(
        script=payload["script"], header=payload["header"], html=payload["html"], id=payload["id"], key=hash_key,
        height=height, width=None, returned_objects=returned,
        default={k: v for k, v in defaults.items() if k in returned}, zoom=None, center=None, feature_group=layers,
        return_on_hover=False, layer_control=None, pixelated=False, css_links=payload["css_links"],
        js_links=payload["js_links"], on_change=None, wrap_longitude=False)


def show_map(page: Page, *, key: str, height: int = 600, cache: tuple = (),
             bounds: tuple[float, float, float, float] | None = None, **layers: Any) -> None:
    """Draw :func:`lianxin_geo.present.maps.build_map` for the page's selection; panning does not rerun the page.

    The map is drawn once per page as a base (boundaries, centers, gaps, sites, labels — what does not depend
    on the selection) and the selection's layers (orgs, units, routes, the org in focus) are swapped in by a
    small script, with the legend and the view (:func:`selection_bounds`): a change of selection rebuilds no
    map. Both are cached on small keys: the workspace key, the selection, the layers, ``cache`` (the digests
    of the plans drawn) and the base map.

    A click on a town (or a density hexagon) drills down to it (the breadcrumb goes back up); a click on an
    org opens its card (:func:`lianxin_geo.ui.cards.open_org`). ``layers`` are the keyword arguments of
    ``build_map`` (``layers=``, ``plans=``, ``assessment=`` …). A base map that cannot be drawn (e.g. Tianditu
    without a key) becomes a message and the offline map. ``bounds`` (lon/lat) overrides the view of the
    selection (a chosen unit or route); the org in focus overrides both.
    """
    choice = page.map or MapChoice(basemap="none", tianditu_key=None, filters=maps.MapFilters())
    sel = page.selection
    ws = page.ws
    focus = cards.focused_org() if cards.zoom_to_focus() else None
    bounds = (cards.org_bounds(ws, focus) if focus is not None else None) or bounds or selection_bounds(ws, sel)
    drawn = ws
    if sel.community is not None:  # the gazetteer decides a community's orgs
        drawn = dataclasses.replace(ws, orgs=ws.orgs.loc[sel.org_mask(ws.orgs, None, district=ws.district)])
    simple = tuple(sorted((k, v if isinstance(v, (str, int, float, bool, type(None))) else tuple(v))
                          for k, v in layers.items() if k in ("layers", "target", "shown", "labels")))
    chosen = (layers.get("selected_unit"), layers.get("selected_route"))  # not the base map's: no rebuild
    basemap = choice.basemap
    base_args = {k: v for k, v in layers.items() if k not in ("selected_unit", "selected_route")}
    base_args.update(basemap=basemap, tianditu_key=choice.tianditu_key, asset_base=streamlit_asset_base())
    base_key = (state.workspace_key(), simple, tuple(cache), choice.tianditu_key)
    try:
        payload = _cached_base(base_key + (basemap,), ws, base_args)
    except ValueError as exc:
        st.error(str(exc))
        basemap = "none"
        payload = _cached_base(base_key + (basemap,), ws, dict(base_args, basemap=basemap))
    sel_args = {k: layers[k] for k in ("layers", "plans", "assessment", "selected_unit", "selected_route", "shown",
                                       "target") if k in layers}
    sel_args.update(basemap=basemap, filters=choice.filters, highlight=focus, dense_dots=False)
    script = _cached_layers(base_key + (basemap, sel, focus, chosen), drawn, sel_args, bounds, basemap)
    out = _draw(payload, key=key, height=height, returned=["last_object_clicked", "last_object_clicked_tooltip"],
                layers=script)
    _on_click(ws, key, out)


def _on_click(ws: Workspace, key: str, out: Any) -> None:
    """Act once on a new click of the map: a town drills down, an org opens its card."""
    if not isinstance(out, dict):
        return
    tip = out.get("last_object_clicked_tooltip")
    where = out.get("last_object_clicked")
    if not tip:
        return
    mark = (str(tip), repr(where))
    seen = f"_{key}_clicked"
    if st.session_state.get(seen) == mark:
        return
    st.session_state[seen] = mark
    target = clicked_target(ws, str(tip), where)
    if target is None:
        return
    kind, value = target
    if kind == "town":
        selection.set_selection(selection.current_selection().drill(value))
        cards.close_org()
    else:
        cards.open_org(value, zoom=False)
    st.rerun()


def clicked_target(ws: Workspace, tooltip: str, where: Any = None) -> tuple[str, str] | None:
    """What a click on the map names: ``("org", id)`` or ``("town", code)`` (``None``: neither).

    An org dot's tooltip is the org's name. A town polygon's tooltip starts with “乡镇/街道” and names the town;
    a density hexagon's starts with “两新组织”: the town is the one under the clicked point (``where``,
    ``{"lat", "lng"}``).
    """
    text = " ".join(str(tooltip).split())
    if len(ws.orgs) and "name" in ws.orgs and not text.startswith(("乡镇/街道", "两新组织")):
        hit = ws.orgs.index[ws.orgs["name"].astype(str).str.strip() == text]
        if len(hit):
            return ("org", str(ws.orgs.at[hit[0], "id"]))
        return None
    if text.startswith("乡镇/街道"):
        for code, name in sorted(ws.district.town_names.items(), key=lambda kv: -len(kv[1])):
            if name and name in text:
                return ("town", code)
    if isinstance(where, dict) and where.get("lat") is not None and where.get("lng") is not None:
        code = ws.district.assign(np.array([float(where["lng"])]), np.array([float(where["lat"])]))[0]
        if code is not None:
            return ("town", str(code))
    return None


@st.cache_resource(show_spinner=False, max_entries=32)
def _selected(key: tuple, _a: Assessment, _ws: Workspace) -> Assessment:
    return select_assessment(_a, key[1], _ws)


def selected_assessment(page: Page, a: Assessment | None) -> Assessment | None:
    """The assessment seen through the page's selection (:func:`select_assessment`, cached per selection)."""
    if a is None or page.selection.is_all():
        return a
    return _selected((state.workspace_key(), page.selection), a, page.ws)


def by_selection(page: Page, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a ledger of places (centers, buildings, parks) in the selected towns (all without a town choice)."""
    towns = page.selection.town_codes(page.ws)
    if not towns or frame is None or not len(frame) or "jurisdiction_code" not in frame:
        return frame
    return frame[frame["jurisdiction_code"].astype(str).isin(set(towns))]


def clicked_row(event: Any, key: str, ids: list[str]) -> str | None:
    """The id of the row the user has just clicked in a ``st.dataframe(on_select="rerun")`` (``None``: no new click).

    ``ids`` are the ids of the shown rows, in order. A selection Streamlit keeps from an earlier run (the same
    row of the same rows) is not a new click, so going back up after a drill-down does not drill down again.
    """
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    mark = f"_{key}_row"
    if not rows or rows[0] >= len(ids):
        return None
    seen = (ids[rows[0]], rows[0], len(ids))
    if st.session_state.get(mark) == seen:
        return None
    st.session_state[mark] = seen
    return ids[rows[0]]


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
