"""folium map layers for the app and the HTML export.

One function per layer, each returning a ``folium.FeatureGroup`` a user can
switch on and off, and :func:`build_map` that assembles them over a base map.

Rules every layer follows:

* **Escaping.** Every string that comes from a ledger or a boundary file
  (names, addresses, town names …) goes through :func:`esc` before it
  reaches a popup, a tooltip or a label: folium's GeoJSON popups insert
  property values as HTML, so the escaped value is what makes an org named
  ``<img src=x onerror=alert(1)>`` show as text.
* **Speed.** Organizations are one GeoJSON layer of circle markers drawn on a
  canvas (``prefer_canvas``), never one ``Marker`` per org; properties are kept
  short so 50,000 orgs stay usable.
* **Offline.** No CDN: assets are rewritten to the vendored copies
  (:mod:`lianxin_geo.present.assets`); the base map is ``"none"`` (boundaries only)
  unless the user picks OpenStreetMap, Tianditu (with a key) or AMap.
* **Datum.** Data are WGS-84. AMap tiles are GCJ-02, so with ``basemap="amap"``
  every layer is shifted with :func:`lianxin_geo.core.crs.wgs84_to_gcj02`.
* **Honesty.** Demo data and approximate boundaries are named on the map
  (:func:`notes_control`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment
from lianxin_geo.present import assets as _assets
from lianxin_geo.present import layers as _layers
from lianxin_geo.present.density import DENSITY_THRESHOLD, density_layer
from lianxin_geo.present.legend import legend_body, legend_control, map_chrome, town_labels
from lianxin_geo.present.layers import (
    LAYERS,
    MapFilters,
    basemap_shift,
    boundaries_layer,
    centers_layer,
    filter_orgs,
    gaps_layer,
    highlight_marker,  # noqa: F401  (re-exported: maps' API is the layers' too)
    orgs_layer,
    points_layer,
    routes_layer,
    shift_geometry,  # noqa: F401  (re-exported)
    sites_layer,
    stop_offsets,  # noqa: F401  (re-exported)
    units_layer,
)
from lianxin_geo.present.plans import PlansLike, as_plans
from lianxin_geo.present.style import STATUS_COLORS, esc, org_status
from lianxin_geo.workspace import Workspace

#: This module's API is the layer builders of :mod:`.layers` plus the map assembly.
__all__ = ["DEFAULT_LAYERS", "BASEMAPS", "base_folium_map", "STATUS_COLORS", "esc", "org_status", *_layers.__all__,
           "notes_control", "build_map", "map_html", "SelectionLayers", "selection_layers",
           "shift_lonlat", "control_hook"]

#: Layers drawn when the caller names none.
DEFAULT_LAYERS: tuple[str, ...] = ("boundaries", "orgs", "centers")

#: Base maps: key -> Chinese label. ``none`` is the offline default.
BASEMAPS: dict[str, str] = {
    "none": "无底图（仅边界，离线）",
    "osm": "OpenStreetMap（需联网）",
    "tianditu": "天地图（需联网和密钥）",
    "amap": "高德地图（需联网，GCJ-02）",
}


def shift_lonlat(basemap: str, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 ``lon``/``lat`` in the base map's datum (GCJ-02 for AMap, unchanged otherwise)."""
    return basemap_shift(basemap)(np.asarray(lon, float), np.asarray(lat, float))


def notes_control(notes: Iterable[str]):
    """A fixed box on the map naming demo data / approximate boundaries (escaped)."""
    from branca.element import MacroElement, Template

    notes = [n for n in notes if n]
    if not notes:
        return None
    body = "<br>".join(esc(n) for n in notes)
    tpl = ("{% macro html(this, kwargs) %}<div class=\"lx-notes\" style=\"position:absolute;bottom:22px;right:8px;"
           "z-index:1000;background:rgba(255,248,220,.92);border:1px solid #c9a227;padding:4px 8px;"
           "font:12px sans-serif;max-width:60%;pointer-events:none\">" + body
           + "</div>{% endmacro %}")
    el = MacroElement()
    el._template = Template(tpl)
    return el


def base_folium_map(bounds: tuple[float, float, float, float], *, basemap: str, tianditu_key: str | None,
                    zoom: int, height: int | str) -> Any:
    """An empty folium map centred on ``bounds`` (WGS-84, shifted for the basemap's datum): scale bar and chrome,
    the basemap's tiles (a plain background with ``none``)."""
    import folium

    minx, miny, maxx, maxy = bounds
    (x0, x1), (y0, y1) = basemap_shift(basemap)(np.array([minx, maxx]), np.array([miny, maxy]))
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=zoom, tiles=None, prefer_canvas=True,
                   control_scale=False, height=height, width="100%")
    m.add_child(map_chrome())
    _tiles(m, basemap, tianditu_key)
    if basemap == "none":
        m.get_root().header.add_child(folium.Element("<style>.leaflet-container{background:#f4f4f0}</style>"))
    return m


def _tiles(m, basemap: str, tianditu_key: str | None) -> None:
    import folium

    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(m)
    elif basemap == "tianditu":
        if not tianditu_key:
            raise ValueError("天地图底图需要密钥：请在侧栏填写天地图 key / Tianditu needs a key")
        key = esc(tianditu_key)
        for layer in ("vec", "cva"):
            folium.TileLayer(
                tiles=f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                      f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                      f"&TILECOL={{x}}&tk={key}",
                attr="天地图", name="天地图" if layer == "vec" else "天地图注记", subdomains="01234567",
                control=False, overlay=layer == "cva").add_to(m)
    elif basemap == "amap":
        folium.TileLayer(
            tiles="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="高德地图 (GCJ-02)", name="高德地图", subdomains="1234", control=False).add_to(m)
    elif basemap != "none":
        raise ValueError(f"未知底图 {basemap!r}：可选 {', '.join(BASEMAPS)}")


def build_map(
    workspace: Workspace,
    *,
    layers: Iterable[str] = DEFAULT_LAYERS,
    basemap: str = "none",
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    rates: pd.DataFrame | None = None,
    target: float | None = None,
    filters: MapFilters | None = None,
    selected_unit: str | None = None,
    selected_route: str | None = None,
    tianditu_key: str | None = None,
    asset_base: str | None = None,
    height: int | str = "100%",
    shown: Iterable[str] | None = None,
    labels: bool = True,
    bounds: tuple[float, float, float, float] | None = None,
    highlight: str | None = None,
    parts: str = "all",
) -> Any:
    """Assemble a ``folium.Map`` of the workspace with the chosen layers.

    Parameters
    ----------
    workspace
        A :class:`~lianxin_geo.workspace.Workspace` (``district``, ``orgs``,
        ``buildings``, ``parks``, ``centers``, ``data_notes``).
    layers
        Layer keys from :data:`LAYERS` to draw; the map's layer switcher toggles them.
    basemap
        A key of :data:`BASEMAPS`; ``"none"`` makes no network request.
    plans
        :class:`~lianxin_geo.present.plans.Plans` or ``{"joint": JointPlan, "routes": InstructorPlan,
        "coverage": CoveragePlan}`` (the planners' typed results); layers without their plan are skipped.
        The centers' reach is the coverage plan's ``centers["reach_m"]`` when it is given.
    assessment
        The :class:`~lianxin_geo.assessment.assessor.Assessment` whose statuses colour the orgs.
    rates, target
        Per-jurisdiction rates for the choropleth and the target rate.
    filters
        :class:`MapFilters` applied to the orgs layer.
    selected_unit, selected_route
        Highlight one joint unit / draw one route with numbered stops.
    tianditu_key
        The user's Tianditu key (``basemap="tianditu"``).
    asset_base
        URL prefix of the vendored assets (the app passes its component route);
        ``None`` for the HTML export, which inlines them (:func:`map_html`).
    shown
        The layers switched on when the map opens (default: every drawn layer); the others are drawn
        and listed in the layer switcher, switched off.
    labels
        Draw the town/street names (a layer of their own, :func:`lianxin_geo.present.legend.town_labels`).
    bounds
        ``(minx, miny, maxx, maxy)`` lon/lat the map opens on (the selection,
        :func:`lianxin_geo.present.selection.selection_bounds`); default the district.
    highlight
        The ``id`` of an org to mark with a ring (a search hit, a clicked row).
    parts
        ``"all"``; ``"base"``: without the layers that follow the selection (:func:`selection_layers`), which
        the app draws over a base map it keeps (the layer switcher is then ``window.__lx_ctl``).

    Every drawn layer is explained by the legend (:func:`lianxin_geo.present.legend.legend_control`); the
    scale bar is metric only and the attribution carries no icon.
    """
    import folium

    if parts not in ("all", "base"):
        raise ValueError(f"parts 只能是 'all' 或 'base'，而不是 {parts!r}")
    if basemap not in BASEMAPS:
        raise ValueError(f"未知底图 {basemap!r}：可选 {', '.join(BASEMAPS)}")
    layers = [k for k in layers if k in LAYERS]
    on = set(layers) if shown is None else set(shown)
    p = as_plans(plans)
    district = workspace.district
    shift = basemap_shift(basemap)
    m = base_folium_map(district.bounds, basemap=basemap, tianditu_key=tianditu_key, zoom=10, height=height)
    if "boundaries" in layers:
        boundaries_layer(district, rates=rates, target=target, basemap=basemap, show="boundaries" in on).add_to(m)
    if "buildings" in layers:
        points_layer(workspace.buildings, key="buildings", color="#8c6d31", basemap=basemap, radius=4,
                     fields=(("name", "楼宇名称"), ("address", "地址"), ("floor_area", "建筑面积"),
                             ("workstation", "楼宇工作站")), show="buildings" in on).add_to(m)
    if "parks" in layers:
        points_layer(workspace.parks, key="parks", color="#1f78b4", basemap=basemap, radius=7,
                     fields=(("name", "园区名称"), ("level", "级别"), ("committee", "综合党委")),
                     show="parks" in on).add_to(m)
    if "centers" in layers:
        cov = p.coverage
        reach = None if cov is None else dict(zip(cov.centers["id"].astype(str), cov.centers["reach_m"]))
        centers_layer(workspace.centers, reach_m=reach, basemap=basemap, show="centers" in on).add_to(m)
    dyn = None
    if parts == "all":
        dyn = selection_layers(workspace, layers=layers, basemap=basemap, plans=p, assessment=assessment,
                               filters=filters, selected_unit=selected_unit, selected_route=selected_route,
                               highlight=highlight, shown=on, target=target)
        for g in dyn.groups:
            g.add_to(m)
    if "gaps" in layers and p.coverage is not None:
        gaps_layer(p.coverage, basemap=basemap, show="gaps" in on).add_to(m)
    if "sites" in layers and p.coverage is not None:
        sites_layer(p.coverage, basemap=basemap, show="sites" in on).add_to(m)
    notes = notes_control(workspace.data_notes)
    if notes is not None:
        m.add_child(notes)
    if labels:
        town_labels(district, shift=shift if basemap == "amap" else None).add_to(m)
    if dyn is not None:
        legend = legend_control(dyn.legend_layers, target=target, status_counts=dyn.counts)
    else:  # the app fills the legend with the selection's layers (:func:`selection_layers`)
        legend = legend_control([k for k in layers if k in _STATIC], target=target, always=True)
    if legend is not None:
        m.add_child(legend)
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    if parts == "base":
        m.add_child(control_hook(control))
    fit = bounds if bounds is not None else district.bounds
    (x0, x1), (y0, y1) = shift(np.array([fit[0], fit[2]]), np.array([fit[1], fit[3]]))
    m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
    _assets.localize(m, base_url=asset_base)
    return m


#: Layers that do not change with the selection (drawn once in the app's base map).
_STATIC = ("boundaries", "buildings", "parks", "centers", "gaps", "sites")


@dataclass
class SelectionLayers:
    """The layers that follow the selection: orgs (dots or density), joint units, routes, the marked org.

    Attributes
    ----------
    groups
        ``folium.FeatureGroup`` objects in drawing order.
    shown
        Whether each group is switched on when drawn.
    legend_layers
        Every drawn layer's legend key in map order (the static ones included), ``density`` before ``orgs``.
    counts
        Orgs per status among the shown orgs (``None`` without an orgs layer).
    target
        The choropleth's target (for the legend).
    """

    groups: list
    shown: list[bool]
    legend_layers: list[str]
    counts: dict | None
    target: float | None = None

    def legend_html(self) -> str:
        """The legend's inner HTML for these layers and the static ones."""
        return legend_body(self.legend_layers, target=self.target, status_counts=self.counts)


def selection_layers(workspace: Workspace, *, layers: Iterable[str], basemap: str = "none", plans: PlansLike = None,
                     assessment: Assessment | None = None, filters: MapFilters | None = None,
                     selected_unit: str | None = None, selected_route: str | None = None,
                     highlight: str | None = None, shown: Iterable[str] | None = None,
                     target: float | None = None, dense_dots: bool = True) -> SelectionLayers:
    """The layers of :func:`build_map` that change with the selection (see :class:`SelectionLayers`).

    More than :data:`~lianxin_geo.present.density.DENSITY_THRESHOLD` located orgs open as density hexagons,
    the dots listed (off) in the layer switcher — or left out with ``dense_dots=False`` (the app,
    where a town's dots are one click away).
    """
    layers = [k for k in layers if k in LAYERS]
    on = set(layers) if shown is None else set(shown)
    p = as_plans(plans)
    district = workspace.district
    minx, miny, maxx, maxy = district.bounds
    shift = basemap_shift(basemap)
    orgs = workspace.orgs
    groups: list = []
    flags: list[bool] = []
    counts = None
    dense = False
    if "orgs" in layers and len(orgs):
        status = org_status(orgs, assessment)
        visible = filter_orgs(orgs, filters, status=status)
        counts = status.reindex(visible.index).value_counts().to_dict()
        # thousands of dots read better as density: open with hexagons, the dots listed (off) in the control
        dense = int(visible["lon"].notna().sum()) > DENSITY_THRESHOLD if "lon" in visible else False
        if dense:
            groups.append(density_layer(visible, status.reindex(visible.index),
                                        origin=((minx + maxx) / 2, (miny + maxy) / 2),
                                        shift=shift if basemap == "amap" else None, show="orgs" in on))
            flags.append("orgs" in on)
        if dense_dots or not dense:
            groups.append(orgs_layer(visible, status=status.reindex(visible.index), basemap=basemap,
                                     popups=len(visible) <= 60_000, show="orgs" in on and not dense))
            flags.append("orgs" in on and not dense)
    if "units" in layers and p.joint is not None:
        groups.append(units_layer(p.joint, orgs, basemap=basemap, selected=selected_unit, show="units" in on))
        flags.append("units" in on)
    if "routes" in layers and p.routes is not None:
        groups.append(routes_layer(p.routes, basemap=basemap, selected=selected_route, show="routes" in on))
        flags.append("routes" in on)
    if highlight is not None and len(orgs):
        ring = _layers.highlight_marker(orgs, highlight, basemap=basemap)
        if ring is not None:
            groups.append(ring)
            flags.append(True)
    drawn = [k for k in layers if k in ("boundaries", "orgs", "buildings", "parks", "centers")
             or (k == "units" and p.joint is not None) or (k == "routes" and p.routes is not None)
             or (k in ("gaps", "sites") and p.coverage is not None)]
    if dense:
        drawn.insert(drawn.index("orgs"), "density")
    return SelectionLayers(groups=groups, shown=flags, legend_layers=drawn, counts=counts, target=target)


def control_hook(control: Any) -> Any:
    """A script that names the layer switcher ``window.__lx_ctl`` (the app adds the selection's layers to it)."""
    from branca.element import MacroElement, Template

    el = MacroElement()
    el.control = control
    el._template = Template("{% macro script(this, kwargs) %}window.__lx_ctl = {{ this.control.get_name() }};"
                            "{% endmacro %}")
    return el


def map_html(fmap: Any, *, title: str = "两新党建地图") -> str:
    """Stand-alone HTML of a map built with ``asset_base=None``: every asset inlined, no network request.

    The page carries a Content-Security-Policy (:func:`lianxin_geo.present.assets.add_csp`): only its own
    inline scripts run, never an inline event handler or a ``javascript:`` URL, and it fetches nothing
    but the base map's tiles (if the map has any). Add no script to the returned text: it would not run.
    """
    _assets.localize(fmap, base_url=None)
    html_text = fmap.get_root().render()
    html_text = html_text.replace("<head>", f"<head><title>{esc(title)}</title>", 1)
    return _assets.add_csp(_assets.inline_html(html_text))
