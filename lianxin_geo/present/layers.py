"""The map layers of the app and the HTML export: one function per layer, each a ``folium.FeatureGroup``.

:mod:`lianxin_geo.present.maps` assembles them (:func:`~lianxin_geo.present.maps.build_map`) and
re-exports them; the rules every layer follows (escaping, speed, offline, datum, honesty) are
described there. Every string from a ledger or a boundary file goes through
:func:`~lianxin_geo.present.style.esc`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core import crs as _crs
from lianxin_geo.core.district import District
from lianxin_geo.core.model import PRECISION_NAMES
from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.plans import route_base, route_key, route_points
from lianxin_geo.present.style import OTHER_COLOR, PALETTE, STATUS_COLORS, esc, num, org_status, rate_color

__all__ = [
    "LAYERS",
    "MapFilters",
    "filter_orgs",
    "boundaries_layer",
    "orgs_layer",
    "points_layer",
    "centers_layer",
    "units_layer",
    "routes_layer",
    "gaps_layer",
    "sites_layer",
    "stop_offsets",
    "highlight_marker",
    "basemap_shift",
    "shift_geometry",
]

#: Layer keys and their Chinese names (the layer switcher shows the names).
LAYERS: dict[str, str] = {
    "boundaries": "乡镇/街道边界与覆盖率",
    "orgs": "两新组织（按覆盖状态着色）",
    "buildings": "商务楼宇",
    "parks": "园区",
    "centers": "党群活动服务中心及服务范围",
    "units": "联建方案",
    "routes": "指导员路线",
    "gaps": "覆盖缺口（六边形）",
    "sites": "建议新增阵地",
}


# ---------------------------------------------------------------- filters
@dataclass(frozen=True)
class MapFilters:
    """What the user chose to show (empty tuple = everything)."""

    towns: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


def filter_orgs(orgs: pd.DataFrame, filters: MapFilters | None = None, *, status: pd.Series | None = None
                ) -> pd.DataFrame:
    """Rows of ``orgs`` matching the filters (town code or name, kind, industry section, status)."""
    if filters is None or orgs.empty:
        return orgs
    mask = np.ones(len(orgs), dtype=bool)
    if filters.towns:
        want = set(map(str, filters.towns))
        code = orgs.get("jurisdiction_code", pd.Series(index=orgs.index, dtype=object)).astype(str)
        name = orgs.get("jurisdiction_name", pd.Series(index=orgs.index, dtype=object)).astype(str)
        mask &= (code.isin(want) | name.isin(want)).to_numpy()
    if filters.kinds and "kind" in orgs:
        mask &= orgs["kind"].astype(str).isin(set(filters.kinds)).to_numpy()
    if filters.industries and "industry" in orgs:
        ind = orgs["industry"].astype(str)
        sec = ind.str[:1]
        want = set(filters.industries)
        mask &= (ind.isin(want) | sec.isin(want)).to_numpy()
    if filters.statuses:
        st = status if status is not None else org_status(orgs)
        mask &= st.reindex(orgs.index).astype(str).isin(set(filters.statuses)).to_numpy()
    return orgs.loc[mask]


# ---------------------------------------------------------------- coordinates
def basemap_shift(basemap: str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``shift(lon, lat) -> (x, y)``: WGS-84 to the basemap's datum (GCJ-02 for ``amap``, else unchanged)."""
    if basemap == "amap":
        return lambda lon, lat: _crs.wgs84_to_gcj02(np.asarray(lon, float), np.asarray(lat, float))
    return lambda lon, lat: (np.asarray(lon, float), np.asarray(lat, float))


def _xy(frame: pd.DataFrame, shift) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if frame is None or frame.empty or "lon" not in frame or "lat" not in frame:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = shift(lon, lat)
    return np.asarray(x, float), np.asarray(y, float), ok


def shift_geometry(geom, shift):
    """The geometry (or array of geometries) with every vertex moved by ``shift`` (:func:`basemap_shift`)."""
    import shapely

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = shift(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def _fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _point(x: float, y: float, props: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]},
            "properties": props}


def _group(key: str, *, show: bool = True, name: str | None = None):
    import folium

    return folium.FeatureGroup(name=name or LAYERS[key], show=show, overlay=True, control=True)


def _popup(fields: Sequence[str], aliases: Sequence[str]):
    import folium

    return folium.GeoJsonPopup(fields=list(fields), aliases=list(aliases), labels=True, localize=False,
                               max_width=360)


def _tooltip(fields: Sequence[str], aliases: Sequence[str] | None = None):
    import folium

    return folium.GeoJsonTooltip(fields=list(fields), aliases=list(aliases) if aliases else None,
                                 labels=aliases is not None, sticky=False)


# ---------------------------------------------------------------- layers
_RATE_LABELS = {"org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率", "work_coverage_rate": "工作覆盖率",
                "enterprise_org_coverage_rate": "非公企业覆盖率", "social_org_coverage_rate": "社会组织覆盖率",
                "orgs": "单位数"}


def boundaries_layer(district: District, *, rates: pd.DataFrame | None = None, rate_column: str = "org_coverage_rate",
                     target: float | None = None, basemap: str = "none", show: bool = True):
    """Town/street polygons as a choropleth of a coverage rate, with name, code and rates on click.

    Parameters
    ----------
    district
        A :class:`~lianxin_geo.core.district.District`.
    rates
        One row per jurisdiction with ``code`` (or ``jurisdiction_code``) and rate
        columns (shares 0–1); every numeric column is shown in the popup.
    rate_column
        The rate that colours the polygons.
    target
        Rate at or above which a polygon is green.
    basemap
        ``amap`` shifts the polygons to GCJ-02.
    """
    import folium

    shift = basemap_shift(basemap)
    jur = district.jurisdictions
    approx_all = bool(district.approximate)
    lut: dict[str, dict] = {}
    if rates is not None and len(rates):
        key = "code" if "code" in rates else "jurisdiction_code"
        for rec in rates.to_dict("records"):
            lut[str(rec.get(key))] = rec
    feats = []
    for row in jur.itertuples(index=False):
        code = str(row.code)
        rec = lut.get(code, {})
        rate = num(rec.get(rate_column))
        approx = bool(getattr(row, "approximate", approx_all))
        props = {
            "name": esc(row.name),
            "code": esc(code),
            "kind": esc(getattr(row, "kind", "")),
            "rate": "—" if rate is None else f"{rate:.1%}",
            "note": "示意边界（非官方）" if approx else "正式边界",
            "_fill": rate_color(rate, target),
        }
        extra = []
        for k, v in rec.items():
            if k in ("code", "jurisdiction_code", "name", "jurisdiction_name", rate_column):
                continue
            n = num(v)
            if isinstance(v, (int, float, np.integer, np.floating)) and n is not None:
                label = esc(_RATE_LABELS.get(str(k), k))
                extra.append(f"{label}：{n:.1%}" if 0 <= n <= 1 and "rate" in str(k) else f"{label}：{n:g}")
        props["more"] = "；".join(extra[:8])
        geom = shift_geometry(row.geometry, shift) if basemap == "amap" else row.geometry
        feats.append({"type": "Feature", "geometry": geom.__geo_interface__, "properties": props})
    group = _group("boundaries", show=show)
    folium.GeoJson(
        _fc(feats),
        name=LAYERS["boundaries"],
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#444444", "weight": 1.2,
                                  "fillOpacity": 0.35, "dashArray": "4 3" if "示意" in f["properties"]["note"]
                                  else None},
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.5},
        tooltip=_tooltip(["name", "rate"], ["乡镇/街道", "覆盖率"]),
        popup=_popup(["name", "code", "kind", "rate", "more", "note"],
                     ["名称", "代码", "类型", "组织覆盖率", "其他指标", "边界"]),
    ).add_to(group)
    return group


_ORG_FIELDS = (("name", "单位名称"), ("town", "所属镇街"), ("kind", "类别"), ("industry", "行业"),
               ("status", "覆盖状态"), ("members", "正式党员"), ("employees", "从业人员"),
               ("party", "党组织状态"), ("precision", "定位精度"), ("id", "编号"))


def orgs_layer(orgs: pd.DataFrame, *, status: pd.Series | None = None, basemap: str = "none",
               radius: float = 4.0, show: bool = True, popups: bool = True):
    """Organizations as canvas circle markers coloured by coverage status (one GeoJSON layer).

    Parameters
    ----------
    orgs
        Located orgs (``lon``/``lat`` WGS-84, ``name``, ``jurisdiction_name`` …);
        rows without coordinates are skipped.
    status
        Status per org (index aligned); default :func:`org_status`.
    popups
        Attach the detail popup; ``False`` keeps only the name (the tooltip) on each dot, for very large layers.
    """
    import folium

    shift = basemap_shift(basemap)
    st = status if status is not None else org_status(orgs)
    x, y, ok = _xy(orgs, shift)

    def col(name: str) -> list:
        return orgs[name].tolist() if name in orgs else [None] * len(orgs)

    cols = {
        "name": col("name"), "town": col("jurisdiction_name"), "kind": col("kind"), "industry": col("industry"),
        "members": col("members"), "employees": col("employees"), "party": col("party_status"),
        "precision": [PRECISION_NAMES.get(str(v), v) for v in col("precision")], "id": col("id"),
    }
    sts = st.reindex(orgs.index).tolist() if len(orgs) else []
    feats = []
    for i in np.flatnonzero(ok):
        s = sts[i]
        if not popups:  # the tooltip's name only: a light layer
            props = {"name": esc(cols["name"][i]), "_c": STATUS_COLORS.get(str(s), OTHER_COLOR)}
            feats.append(_point(x[i], y[i], props))
            continue
        props = {k: esc(v[i]) for k, v in cols.items()}
        for k in ("members", "employees"):
            n = num(cols[k][i])
            props[k] = "" if n is None else f"{n:.0f}"
        props["status"] = esc(s)
        props["_c"] = STATUS_COLORS.get(str(s), OTHER_COLOR)
        feats.append(_point(x[i], y[i], props))
    group = _group("orgs", show=show)
    fields = [f for f, _ in _ORG_FIELDS]
    aliases = [a for _, a in _ORG_FIELDS]
    # one GeoJSON per status with a constant style: no per-feature style lookup in the browser
    by_status: dict[str, list[dict]] = {}
    for f in feats:
        by_status.setdefault(f["properties"].pop("_c"), []).append(f)
    for color, fs in by_status.items():
        folium.GeoJson(
            _fc(fs),
            name=LAYERS["orgs"],
            marker=folium.CircleMarker(radius=radius, weight=0.6, fill=True, fill_opacity=0.85, color="#333333",
                                       fill_color=color),
            tooltip=_tooltip(["name"]),
            popup=_popup(fields, aliases) if popups else None,
        ).add_to(group)
    return group


def points_layer(frame: pd.DataFrame, *, key: str, color: str, basemap: str = "none", radius: float = 5.0,
                 fields: Sequence[tuple[str, str]] = (("name", "名称"),), show: bool = True):
    """A ledger of places (buildings, parks) as canvas circle markers with their fields on click."""
    import folium

    shift = basemap_shift(basemap)
    x, y, ok = _xy(frame, shift)
    feats = []
    if ok.any():
        recs = frame.to_dict("records")
        for i in np.flatnonzero(ok):
            props = {f: esc(recs[i].get(f)) for f, _ in fields}
            feats.append(_point(x[i], y[i], props))
    group = _group(key, show=show)
    if feats:
        folium.GeoJson(
            _fc(feats), name=LAYERS.get(key, key),
            marker=folium.CircleMarker(radius=radius, weight=1, fill=True, fill_opacity=0.9, color="#222222",
                                       fill_color=color),
            tooltip=_tooltip([fields[0][0]]),
            popup=_popup([f for f, _ in fields], [a for _, a in fields]),
        ).add_to(group)
    return group


def centers_layer(centers: pd.DataFrame, *, reach_m: Mapping[str, float] | pd.Series | float | None = None,
                  basemap: str = "none", show: bool = True):
    """Service centers (squares of colour) and their reach (circles, metres).

    ``reach_m`` is a number, a mapping ``center id -> metres`` or a Series
    aligned with ``centers`` (e.g. ``CoveragePlan.centers['reach_m']``).
    """
    import folium

    shift = basemap_shift(basemap)
    x, y, ok = _xy(centers, shift)
    group = _group("centers", show=show)
    if not ok.any():
        return group
    recs = centers.to_dict("records")
    feats = []
    for i in np.flatnonzero(ok):
        r = recs[i]
        if isinstance(reach_m, pd.Series):
            reach = num(reach_m.iloc[i])
        elif isinstance(reach_m, Mapping):
            reach = num(reach_m.get(str(r.get("id")), reach_m.get(r.get("id"))))
        else:
            reach = num(reach_m)
        area = num(r.get("floor_area"))
        props = {"name": esc(r.get("name")), "level": esc(r.get("level")),
                 "area": "" if area is None else f"{area:.0f} ㎡",
                 "reach": "" if reach is None else f"{reach:.0f} 米"}
        feats.append(_point(x[i], y[i], props))
        if reach:
            folium.Circle(location=[y[i], x[i]], radius=reach, color="#6a3d9a", weight=1, fill=True,
                          fill_opacity=0.06, interactive=False).add_to(group)
    folium.GeoJson(
        _fc(feats), name=LAYERS["centers"],
        marker=folium.CircleMarker(radius=7, weight=2, fill=True, fill_opacity=1.0, color="#ffffff",
                                   fill_color="#6a3d9a"),
        tooltip=_tooltip(["name"]),
        popup=_popup(["name", "level", "area", "reach"], ["名称", "层级", "建筑面积", "服务半径"]),
    ).add_to(group)
    return group


def _lut(orgs: pd.DataFrame) -> dict[str, tuple[float, float, str]]:
    if orgs is None or orgs.empty or "id" not in orgs:
        return {}
    lon = pd.to_numeric(orgs["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(orgs["lat"], errors="coerce").to_numpy(float)
    names = orgs["name"].tolist() if "name" in orgs else [""] * len(orgs)
    return {str(i): (a, b, n) for i, a, b, n in zip(orgs["id"].astype(str), lon, lat, names)
            if math.isfinite(a) and math.isfinite(b)}


def _given(value: Any) -> Any:
    """``value``, or ``None`` when it is missing (``None``/NaN/NA)."""
    return None if value is None or (np.ndim(value) == 0 and pd.isna(value)) else value


def units_layer(joint: JointPlan, orgs: pd.DataFrame, *, basemap: str = "none", selected: str | None = None,
                show: bool = True):
    """Joint units: a line from each member org to its unit's hub, hubs as large markers.

    ``selected`` (a ``unit_id``) draws that unit thicker and fades the others. Radii are shown rounded as the
    CLI's JSON rounds them (0.1 m), so the map and ``--json`` agree.
    """
    import folium

    shift = basemap_shift(basemap)
    where = _lut(orgs)
    lines, hubs = [], []
    for n, u in enumerate(joint.units.itertuples(index=False)):
        pts = [where[str(o)] for o in u.org_ids if str(o) in where]
        if not pts:
            continue
        color = PALETTE[n % len(PALETTE)]
        hub = where.get(str(u.hub_id))
        hx, hy = (hub[0], hub[1]) if hub else (float(np.mean([p[0] for p in pts])), float(np.mean([p[1] for p in pts])))
        px, py = shift(np.array([p[0] for p in pts] + [hx]), np.array([p[1] for p in pts] + [hy]))
        cx, cy = float(px[-1]), float(py[-1])
        uid = str(u.unit_id)
        sel = selected is not None and uid == str(selected)
        radius = num(u.radius_m)
        props = {"unit": esc(uid), "town": esc(u.jurisdiction_code),
                 "industry": esc(_given(u.industry)), "n": str(len(u.org_ids)),
                 "members": esc(_given(u.members)), "employees": esc(_given(u.employees)),
                 "radius": "" if radius is None else f"{round(radius, 1):.0f} 米",
                 "hub": esc(hub[2] if hub else ""), "_c": color, "_w": 4 if sel else 1.5,
                 "_o": 0.9 if sel or selected is None else 0.15}
        lines.append({"type": "Feature", "properties": props, "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[round(cx, 6), round(cy, 6)], [round(float(a), 6), round(float(b), 6)]]
                            for a, b in zip(px[:-1], py[:-1])]}})
        hubs.append(_point(cx, cy, props))
    group = _group("units", show=show)
    fields = ["unit", "town", "industry", "n", "members", "employees", "radius", "hub"]
    aliases = ["联建单元", "镇街", "行业", "单位数", "正式党员", "从业人员", "半径", "牵头单位"]
    if lines:
        folium.GeoJson(_fc(lines), name="联建连线",
                       style_function=lambda f: {"color": f["properties"]["_c"], "weight": f["properties"]["_w"],
                                                 "opacity": f["properties"]["_o"]},
                       popup=_popup(fields, aliases)).add_to(group)
        folium.GeoJson(_fc(hubs), name="联建牵头单位",
                       marker=folium.CircleMarker(radius=6, weight=2, fill=True, fill_opacity=1.0, color="#000000"),
                       style_function=lambda f: {"fillColor": f["properties"]["_c"], "opacity": f["properties"]["_o"],
                                                 "fillOpacity": f["properties"]["_o"]},
                       tooltip=_tooltip(["unit"], ["联建单元"]), popup=_popup(fields, aliases)).add_to(group)
    return group


_STOP_CSS = ("color:#fff;border-radius:9px;width:18px;height:18px;line-height:18px;text-align:center;"
             "font:bold 11px sans-serif;border:1px solid #fff")


def stop_offsets(x: Sequence[float], y: Sequence[float], *, step_px: float = 14.0) -> list[tuple[float, float]]:
    """Pixel offsets that keep numbered stops at the same place apart: the k-th of n stops on one spot goes
    on a ring around it (the first stays in the centre)."""
    seen: dict[tuple[float, float], list[int]] = {}
    for i, (a, b) in enumerate(zip(x, y)):
        seen.setdefault((round(float(a), 5), round(float(b), 5)), []).append(i)
    out = [(0.0, 0.0)] * len(x)
    for idx in seen.values():
        n = len(idx)
        for k, i in enumerate(idx[1:], start=1):
            ang = 2 * math.pi * (k - 1) / max(n - 1, 1)
            ring = step_px * (1 + (k - 1) // 8)
            out[i] = (ring * math.cos(ang), ring * math.sin(ang))
    return out


def routes_layer(routes: InstructorPlan, *, basemap: str = "none", selected: str | None = None,
                 numbered: bool | None = None, show: bool = True):
    """Instructor routes as lines from the base through the stops, stops numbered in visiting order.

    With ``selected`` (an instructor id) that instructor's routes are drawn on top with numbered stops and
    every other route is faded. Numbers are drawn as labels when ``numbered`` (default: only for the
    ``selected`` route or when there are at most 300 stops in all); stops on the same spot are set apart on a
    ring (:func:`stop_offsets`), so their numbers do not pile up. Length and time are shown rounded as the
    CLI's JSON rounds them (1 m, 0.1 min).
    """
    import folium

    shift = basemap_shift(basemap)
    visits = route_points(routes)
    group = _group("routes", show=show)
    lines, stops = [], []
    rt = routes.routes
    mine = (rt["instructor_id"].astype(str) == str(selected)).to_numpy() if selected is not None else \
        np.ones(len(rt), dtype=bool)
    total = sum(len(ids) for ids in rt.loc[mine, "org_ids"])
    label = numbered if numbered is not None else (selected is not None or total <= 300)
    key = route_key(rt)
    order = np.argsort(mine, kind="stable")  # the faded routes first, the selected on top
    recs = list(rt.itertuples(index=False))
    for n in order:
        r = recs[n]
        on = bool(mine[n])
        bxy = route_base(r.base_lon, r.base_lat)
        pts = [(x, y, name) for x, y, _, name in visits.get(str(getattr(r, key)), [])]
        who = f"{r.instructor_id} {getattr(r, 'instructor', '') or ''}".strip()
        if int(getattr(r, "days", 1) or 1) > 1:
            who += f"（第 {int(r.day)}/{int(r.days)} 天）"
        seq = ([bxy] if bxy else []) + [p[:2] for p in pts] + ([bxy] if bxy else [])
        if not pts or len(seq) < 2:
            continue
        px, py = shift(np.array([p[0] for p in seq]), np.array([p[1] for p in seq]))
        color = PALETTE[int(n) % len(PALETTE)] if on else "#9e9e9e"
        km = num(r.length_km)
        mins = num(r.minutes)
        props = {"who": esc(who), "town": esc(r.jurisdiction_code),
                 "n": str(len(pts)), "km": "" if km is None else f"{round(km, 3):.1f}",
                 "min": "" if mins is None else f"{round(mins, 1):.0f}", "_c": color,
                 "_o": 0.85 if on else 0.25, "_w": 4 if on and selected is not None else 3 if on else 2}
        lines.append({"type": "Feature", "properties": props, "geometry": {
            "type": "LineString", "coordinates": [[round(float(a), 6), round(float(b), 6)] for a, b in zip(px, py)]}})
        if not on:
            continue
        off = 1 if bxy else 0
        sx, sy = px[off:off + len(pts)], py[off:off + len(pts)]
        shifts = stop_offsets(sx, sy)
        for k, p in enumerate(pts):
            sp = {"who": esc(who), "no": str(k + 1), "name": esc(p[2]), "_c": color}
            stops.append(_point(sx[k], sy[k], sp))
            if label:
                dx, dy = shifts[k]
                html = f'<div class="lx-stop" style="background:{color};{_STOP_CSS}">{k + 1}</div>'
                folium.Marker(
                    location=[float(sy[k]), float(sx[k])],
                    icon=folium.DivIcon(html=html, icon_size=(18, 18), icon_anchor=(round(9 - dx), round(9 - dy))),
                ).add_to(group)
    if lines:
        folium.GeoJson(_fc(lines), name="路线",
                       style_function=lambda f: {"color": f["properties"]["_c"], "weight": f["properties"]["_w"],
                                                 "opacity": f["properties"]["_o"]},
                       popup=_popup(["who", "town", "n", "km", "min"],
                                    ["指导员", "镇街", "走访单位数", "里程（公里）", "用时（分钟）"])).add_to(group)
    if stops:
        folium.GeoJson(_fc(stops), name="站点",
                       marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=1.0, color="#ffffff"),
                       style_function=lambda f: {"fillColor": f["properties"]["_c"]},
                       tooltip=_tooltip(["no", "name"], ["第几站", "单位"])).add_to(group)
    return group


def highlight_marker(orgs: pd.DataFrame, org_id: str, *, basemap: str = "none"):
    """A ring around one org (a search hit, a clicked row), with its name as a permanent label; ``None`` when the
    org has no coordinates."""
    import folium

    if "id" not in orgs:
        return None
    hit = orgs[orgs["id"].astype(str) == str(org_id)]
    x, y, ok = _xy(hit, basemap_shift(basemap))
    if not len(hit) or not ok[0]:
        return None
    name = hit["name"].iloc[0] if "name" in hit else org_id
    group = folium.FeatureGroup(name="选中的单位", show=True, overlay=True, control=False)
    folium.CircleMarker(location=[float(y[0]), float(x[0])], radius=14, weight=3, color="#ff7f00", fill=False,
                        tooltip=folium.Tooltip(esc(name), permanent=True, direction="top")).add_to(group)
    return group


def gaps_layer(coverage: CoveragePlan, *, basemap: str = "none", show: bool = True, limit: int = 2000):
    """Uncovered demand as hexagons (``CoveragePlan.gap_polygons()``) shaded by orgs per cell.

    A plan without a grid (``coverage.grid is None``) has its cells drawn as circles at their centres.
    """
    import folium

    shift = basemap_shift(basemap)
    group = _group("gaps", show=show)
    if not len(coverage.gaps):
        return group
    if coverage.grid is not None:
        frame = coverage.gap_polygons().head(limit)
        vmax = max(float(pd.to_numeric(frame["orgs"], errors="coerce").max() or 1), 1.0)
        feats = []
        for rec, geom in zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry):
            g = shift_geometry(geom, shift) if basemap == "amap" else geom
            o = num(rec.get("orgs")) or 0.0
            feats.append({"type": "Feature", "geometry": g.__geo_interface__, "properties": {
                "cell": esc(rec.get("cell_id")), "orgs": f"{o:.0f}",
                "employees": "" if num(rec.get("employees")) is None else f"{num(rec.get('employees')):.0f}",
                "_o": round(0.15 + 0.6 * o / vmax, 3)}})
        folium.GeoJson(_fc(feats), name=LAYERS["gaps"],
                       style_function=lambda f: {"fillColor": "#e31a1c", "color": "#b10026", "weight": 0.5,
                                                 "fillOpacity": f["properties"]["_o"]},
                       tooltip=_tooltip(["orgs", "employees"], ["未覆盖组织", "从业人员"]),
                       popup=_popup(["cell", "orgs", "employees"], ["网格", "未覆盖组织", "从业人员"])).add_to(group)
        return group
    gaps = coverage.gaps.head(limit)
    x, y, ok = _xy(gaps, shift)
    recs = gaps.to_dict("records")
    feats = [_point(x[i], y[i], {"cell": esc(recs[i].get("cell_id")), "orgs": esc(recs[i].get("orgs"))})
             for i in np.flatnonzero(ok)]
    if feats:
        folium.GeoJson(_fc(feats), name=LAYERS["gaps"],
                       marker=folium.CircleMarker(radius=8, weight=0.5, fill=True, fill_opacity=0.5,
                                                  color="#b10026", fill_color="#e31a1c"),
                       tooltip=_tooltip(["orgs"], ["未覆盖组织"])).add_to(group)
    return group


def sites_layer(coverage: CoveragePlan, *, basemap: str = "none", show: bool = True):
    """Proposed new service-center sites (stars of colour) with the orgs each newly covers."""
    import folium

    sites = coverage.proposed_sites
    shift = basemap_shift(basemap)
    x, y, ok = _xy(sites, shift)
    group = _group("sites", show=show)
    feats = []
    recs = sites.to_dict("records")
    for i in np.flatnonzero(ok):
        r = recs[i]
        newly = num(r.get("newly_covered_orgs"))
        feats.append(_point(x[i], y[i], {"name": esc(_given(r.get("name")) or r.get("site_id")),
                                         "kind": esc(r.get("kind")), "town": esc(r.get("jurisdiction_code")),
                                         "newly": "" if newly is None else f"{newly:.0f}"}))
    if feats:
        folium.GeoJson(_fc(feats), name=LAYERS["sites"],
                       marker=folium.CircleMarker(radius=9, weight=3, fill=True, fill_opacity=1.0, color="#000000",
                                                  fill_color="#ffd700"),
                       tooltip=_tooltip(["name"]),
                       popup=_popup(["name", "kind", "town", "newly"],
                                    ["候选点", "类型", "镇街", "新增覆盖组织"])).add_to(group)
    return group
