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

import html
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.jsonable import plan_json
from lianxin_geo.core import crs as _crs

__all__ = [
    "LAYERS",
    "DEFAULT_LAYERS",
    "BASEMAPS",
    "STATUS_COLORS",
    "MapFilters",
    "esc",
    "org_status",
    "filter_orgs",
    "boundaries_layer",
    "orgs_layer",
    "points_layer",
    "centers_layer",
    "units_layer",
    "routes_layer",
    "gaps_layer",
    "sites_layer",
    "notes_control",
    "build_map",
    "map_html",
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
DEFAULT_LAYERS: tuple[str, ...] = ("boundaries", "orgs", "centers")

#: Base maps: key -> Chinese label. ``none`` is the offline default.
BASEMAPS: dict[str, str] = {
    "none": "无底图（仅边界，离线）",
    "osm": "OpenStreetMap（需联网）",
    "tianditu": "天地图（需联网和密钥）",
    "amap": "高德地图（需联网，GCJ-02）",
}

#: Colour of each coverage status; unknown statuses are grey.
STATUS_COLORS: dict[str, str] = {
    "单独建立": "#1a9641",
    "联合建立": "#74c476",
    "仅工作覆盖": "#2c7fb8",
    "未覆盖": "#d7191c",
    "未定位": "#999999",
}
_OTHER_COLOR = "#7f7f7f"
_UNIT_COLORS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#1b9e77",
                "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")


#: HTML's special characters and those the template engine reads as syntax (``{{ }}``, ``{% %}``, ``{# #}``),
#: replaced by character references in one pass.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                          "{": "&#123;", "}": "&#125;", "#": "&#35;", "%": "&#37;"})


def esc(value: object) -> str:
    """Text of a user value, safe for HTML and for the template engine (``None``/NaN become "").

    folium/branca render each element's output a second time as Jinja2 template
    source, so a ledger name like ``{{ 7*7 }}公司`` would otherwise be evaluated on
    the server. Besides the HTML escaping, ``{``, ``}``, ``#`` and ``%`` become
    character references: the browser shows them unchanged, Jinja2 sees no syntax.
    """
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value).translate(_ESCAPES)


def _num(value: object) -> float | None:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


# ---------------------------------------------------------------- presentation helpers
@dataclass(frozen=True)
class MapFilters:
    """What the user chose to show (empty tuple = everything)."""

    towns: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


def org_status(orgs: pd.DataFrame, assessment: Any = None) -> pd.Series:
    """Coverage status per org (index aligned with ``orgs``) for colouring.

    Takes the status the assessment computed (``assessment.orgs['status']``,
    matched on ``id``) when there is one. Without an assessment it falls back
    to what the ledger states, a presentation-only reading: 单独建立, 联合建立,
    an instructor or mass organization → 仅工作覆盖, else 未覆盖;
    orgs without coordinates are 未定位.
    """
    if assessment is not None:
        a = getattr(assessment, "orgs", assessment)
        if isinstance(a, pd.DataFrame) and "status" in a and "id" in a and "id" in orgs:
            lut = dict(zip(a["id"].astype(str), a["status"].astype(str)))
            out = orgs["id"].astype(str).map(lut)
            return out.fillna("未覆盖").rename("status")
    if "status" in orgs:
        return orgs["status"].astype(str).rename("status")
    n = len(orgs)
    party = orgs["party_status"].astype(str) if "party_status" in orgs else pd.Series([""] * n, index=orgs.index)
    work = pd.Series(False, index=orgs.index)
    for col in ("instructor", "mass_org"):
        if col in orgs:
            work |= orgs[col].notna() & (orgs[col].astype(str).str.strip() != "")
    status = np.where(party == "单独建立", "单独建立",
                      np.where(party == "联合建立", "联合建立", np.where(work, "仅工作覆盖", "未覆盖")))
    if "lon" in orgs and "lat" in orgs:
        ok = np.isfinite(pd.to_numeric(orgs["lon"], errors="coerce").to_numpy(float)) & np.isfinite(
            pd.to_numeric(orgs["lat"], errors="coerce").to_numpy(float))
        status = np.where(ok, status, "未定位")
    return pd.Series(status, index=orgs.index, name="status")


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
def _shifter(basemap: str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
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


def _shift_geom(geom, shift):
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


def _rate_color(rate: float | None, target: float | None) -> str:
    if rate is None:
        return "#dddddd"
    if target is not None and rate >= target:
        return "#1a9641"
    ramp = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a")
    t = rate / target if target else rate
    return ramp[min(int(max(t, 0.0) * len(ramp)), len(ramp) - 1)]


def boundaries_layer(district: Any, *, rates: pd.DataFrame | None = None, rate_column: str = "org_coverage_rate",
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

    shift = _shifter(basemap)
    jur = district.jurisdictions
    approx_all = bool(getattr(district, "approximate", False))
    lut: dict[str, dict] = {}
    if rates is not None and len(rates):
        key = "code" if "code" in rates else "jurisdiction_code"
        for rec in rates.to_dict("records"):
            lut[str(rec.get(key))] = rec
    feats = []
    for row in jur.itertuples(index=False):
        code = str(row.code)
        rec = lut.get(code, {})
        rate = _num(rec.get(rate_column))
        approx = bool(getattr(row, "approximate", approx_all))
        props = {
            "name": esc(row.name),
            "code": esc(code),
            "kind": esc(getattr(row, "kind", "")),
            "rate": "—" if rate is None else f"{rate:.1%}",
            "note": "示意边界（非官方）" if approx else "正式边界",
            "_fill": _rate_color(rate, target),
        }
        extra = []
        for k, v in rec.items():
            if k in ("code", "jurisdiction_code", "name", "jurisdiction_name", rate_column):
                continue
            n = _num(v)
            if isinstance(v, (int, float, np.integer, np.floating)) and n is not None:
                label = esc(_RATE_LABELS.get(str(k), k))
                extra.append(f"{label}：{n:.1%}" if 0 <= n <= 1 and "rate" in str(k) else f"{label}：{n:g}")
        props["more"] = "；".join(extra[:8])
        geom = _shift_geom(row.geometry, shift) if basemap == "amap" else row.geometry
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
        Attach the detail popup (turn off for very large layers to save memory).
    """
    import folium

    shift = _shifter(basemap)
    st = status if status is not None else org_status(orgs)
    x, y, ok = _xy(orgs, shift)

    def col(name: str) -> list:
        return orgs[name].tolist() if name in orgs else [None] * len(orgs)

    cols = {
        "name": col("name"), "town": col("jurisdiction_name"), "kind": col("kind"), "industry": col("industry"),
        "members": col("members"), "employees": col("employees"), "party": col("party_status"),
        "precision": col("precision"), "id": col("id"),
    }
    sts = st.reindex(orgs.index).tolist() if len(orgs) else []
    feats = []
    for i in np.flatnonzero(ok):
        s = sts[i]
        props = {k: esc(v[i]) for k, v in cols.items()}
        for k in ("members", "employees"):
            n = _num(cols[k][i])
            props[k] = "" if n is None else f"{n:.0f}"
        props["status"] = esc(s)
        props["_c"] = STATUS_COLORS.get(str(s), _OTHER_COLOR)
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

    shift = _shifter(basemap)
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

    shift = _shifter(basemap)
    x, y, ok = _xy(centers, shift)
    group = _group("centers", show=show)
    if not ok.any():
        return group
    recs = centers.to_dict("records")
    reach_feats, feats = [], []
    for i in np.flatnonzero(ok):
        r = recs[i]
        if isinstance(reach_m, pd.Series):
            reach = _num(reach_m.iloc[i])
        elif isinstance(reach_m, Mapping):
            reach = _num(reach_m.get(str(r.get("id")), reach_m.get(r.get("id"))))
        else:
            reach = _num(reach_m)
        area = _num(r.get("floor_area"))
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


def units_layer(joint: Any, orgs: pd.DataFrame, *, basemap: str = "none", selected: str | None = None,
                show: bool = True):
    """Joint units: a line from each member org to its unit's hub, hubs as large markers.

    ``joint`` is a :class:`~lianxin_geo.plan.joint.plan.JointPlan` or its ``to_json()``;
    ``selected`` (a ``unit_id``) draws that unit thicker.
    """
    import folium

    doc = plan_json(joint)
    shift = _shifter(basemap)
    where = _lut(orgs)
    lines, hubs = [], []
    for n, u in enumerate(doc.get("units", [])):
        pts = [where[str(o)] for o in u.get("org_ids", []) if str(o) in where]
        if not pts:
            continue
        color = _UNIT_COLORS[n % len(_UNIT_COLORS)]
        hub = where.get(str(u.get("hub_id")))
        hx, hy = (hub[0], hub[1]) if hub else (float(np.mean([p[0] for p in pts])), float(np.mean([p[1] for p in pts])))
        px, py = shift(np.array([p[0] for p in pts] + [hx]), np.array([p[1] for p in pts] + [hy]))
        cx, cy = float(px[-1]), float(py[-1])
        uid = str(u.get("unit_id"))
        sel = selected is not None and uid == str(selected)
        props = {"unit": esc(uid), "town": esc(u.get("jurisdiction_name") or u.get("jurisdiction_code")),
                 "industry": esc(u.get("industry")), "n": str(len(u.get("org_ids", []))),
                 "members": esc(u.get("members")), "employees": esc(u.get("employees")),
                 "radius": "" if _num(u.get("radius_m")) is None else f"{_num(u.get('radius_m')):.0f} 米",
                 "hub": esc(hub[2] if hub else ""), "_c": color, "_w": 4 if sel else 1.5}
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
                                                 "opacity": 0.8},
                       popup=_popup(fields, aliases)).add_to(group)
        folium.GeoJson(_fc(hubs), name="联建牵头单位",
                       marker=folium.CircleMarker(radius=6, weight=2, fill=True, fill_opacity=1.0, color="#000000"),
                       style_function=lambda f: {"fillColor": f["properties"]["_c"]},
                       tooltip=_tooltip(["unit"]), popup=_popup(fields, aliases)).add_to(group)
    return group


_STOP_CSS = ("color:#fff;border-radius:9px;width:18px;height:18px;line-height:18px;text-align:center;"
             "font:bold 11px sans-serif;border:1px solid #fff")


def routes_layer(routes: Any, orgs: pd.DataFrame, *, centers: pd.DataFrame | None = None, basemap: str = "none",
                 selected: str | None = None, numbered: bool | None = None, show: bool = True):
    """Instructor routes as lines from the base through the stops, stops numbered in visiting order.

    ``routes`` is an :class:`~lianxin_geo.plan.routes.instructors.InstructorPlan` or its
    ``to_json()``. ``base`` of a route may be a center id or ``[lon, lat]``.
    Numbers are drawn as labels when ``numbered`` (default: only for the
    ``selected`` route or when there are at most 300 stops in all).
    """
    import folium

    doc = plan_json(routes)
    shift = _shifter(basemap)
    where = _lut(orgs)
    cwhere = _lut(centers) if centers is not None else {}
    group = _group("routes", show=show)
    lines, stops = [], []
    rlist = doc.get("routes", [])
    if selected is not None:
        rlist = [r for r in rlist if str(r.get("instructor_id")) == str(selected)]
    total = sum(len(r.get("org_ids", [])) for r in rlist)
    label = numbered if numbered is not None else (selected is not None or total <= 300)
    for n, r in enumerate(rlist):
        base = r.get("base")
        bxy = None
        if isinstance(base, (list, tuple)) and len(base) == 2:
            bxy = (float(base[0]), float(base[1]))
        elif isinstance(base, Mapping) and "lon" in base:
            bxy = (float(base["lon"]), float(base["lat"]))
        elif base is not None and str(base) in cwhere:
            bxy = cwhere[str(base)][:2]
        pts = [where[str(o)] for o in r.get("org_ids", []) if str(o) in where]
        seq = ([bxy] if bxy else []) + [p[:2] for p in pts] + ([bxy] if bxy else [])
        if not pts or len(seq) < 2:
            continue
        px, py = shift(np.array([p[0] for p in seq]), np.array([p[1] for p in seq]))
        color = _UNIT_COLORS[n % len(_UNIT_COLORS)]
        km = _num(r.get("length_km"))
        mins = _num(r.get("minutes"))
        props = {"who": esc(r.get("instructor_id")), "town": esc(r.get("jurisdiction_code")),
                 "n": str(len(pts)), "km": "" if km is None else f"{km:.1f}",
                 "min": "" if mins is None else f"{mins:.0f}", "_c": color}
        lines.append({"type": "Feature", "properties": props, "geometry": {
            "type": "LineString", "coordinates": [[round(float(a), 6), round(float(b), 6)] for a, b in zip(px, py)]}})
        off = 1 if bxy else 0
        for k, p in enumerate(pts):
            sp = {"who": esc(r.get("instructor_id")), "no": str(k + 1), "name": esc(p[2]), "_c": color}
            stops.append(_point(px[k + off], py[k + off], sp))
            if label:
                folium.Marker(
                    location=[float(py[k + off]), float(px[k + off])],
                    icon=folium.DivIcon(html=f'<div class="lx-stop" style="background:{color};{_STOP_CSS}">{k + 1}</div>',
                                        icon_size=(18, 18), icon_anchor=(9, 9)),
                ).add_to(group)
    if lines:
        folium.GeoJson(_fc(lines), name="路线",
                       style_function=lambda f: {"color": f["properties"]["_c"], "weight": 3, "opacity": 0.85},
                       popup=_popup(["who", "town", "n", "km", "min"],
                                    ["指导员", "镇街", "走访单位数", "里程（公里）", "用时（分钟）"])).add_to(group)
        folium.GeoJson(_fc(stops), name="站点",
                       marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=1.0, color="#ffffff"),
                       style_function=lambda f: {"fillColor": f["properties"]["_c"]},
                       tooltip=_tooltip(["no", "name"], ["第几站", "单位"])).add_to(group)
    return group


def gaps_layer(coverage: Any, *, basemap: str = "none", show: bool = True, limit: int = 2000):
    """Uncovered demand as hexagons (from ``CoveragePlan.gap_polygons()``) shaded by orgs per cell.

    With only ``to_json()`` (no polygons), cells are drawn as circles at their centres.
    """
    import folium

    shift = _shifter(basemap)
    group = _group("gaps", show=show)
    polys = None
    if hasattr(coverage, "gap_polygons"):
        try:
            polys = coverage.gap_polygons()
        except Exception:  # noqa: BLE001 - a plan without a grid: fall back to centres
            polys = None
    if polys is not None and len(polys) and polys.geometry.notna().all() and not polys.geometry.is_empty.any():
        frame = polys.head(limit)
        vmax = max(float(pd.to_numeric(frame["orgs"], errors="coerce").max() or 1), 1.0)
        feats = []
        for rec, geom in zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry):
            g = _shift_geom(geom, shift) if basemap == "amap" else geom
            o = _num(rec.get("orgs")) or 0.0
            feats.append({"type": "Feature", "geometry": g.__geo_interface__, "properties": {
                "cell": esc(rec.get("cell_id")), "orgs": f"{o:.0f}",
                "employees": "" if _num(rec.get("employees")) is None else f"{_num(rec.get('employees')):.0f}",
                "_o": round(0.15 + 0.6 * o / vmax, 3)}})
        folium.GeoJson(_fc(feats), name=LAYERS["gaps"],
                       style_function=lambda f: {"fillColor": "#e31a1c", "color": "#b10026", "weight": 0.5,
                                                 "fillOpacity": f["properties"]["_o"]},
                       tooltip=_tooltip(["orgs", "employees"], ["未覆盖组织", "从业人员"]),
                       popup=_popup(["cell", "orgs", "employees"], ["网格", "未覆盖组织", "从业人员"])).add_to(group)
        return group
    doc = plan_json(coverage)
    gaps = pd.DataFrame(doc.get("gaps", [])).head(limit)
    x, y, ok = _xy(gaps, shift)
    feats = [_point(x[i], y[i], {"cell": esc(gaps.iloc[i].get("cell_id")),
                                 "orgs": esc(gaps.iloc[i].get("orgs"))}) for i in np.flatnonzero(ok)]
    if feats:
        folium.GeoJson(_fc(feats), name=LAYERS["gaps"],
                       marker=folium.CircleMarker(radius=8, weight=0.5, fill=True, fill_opacity=0.5,
                                                  color="#b10026", fill_color="#e31a1c"),
                       tooltip=_tooltip(["orgs"], ["未覆盖组织"])).add_to(group)
    return group


def sites_layer(coverage: Any, *, basemap: str = "none", show: bool = True):
    """Proposed new service-center sites (stars of colour) with what each newly covers."""
    import folium

    doc = plan_json(coverage)
    sites = pd.DataFrame(doc.get("proposed_sites", []))
    shift = _shifter(basemap)
    x, y, ok = _xy(sites, shift)
    group = _group("sites", show=show)
    feats = []
    recs = sites.to_dict("records")
    for i in np.flatnonzero(ok):
        r = recs[i]
        newly = next((r[k] for k in ("new_orgs", "newly_covered", "orgs_new", "covers") if k in r), "")
        feats.append(_point(x[i], y[i], {"name": esc(r.get("name") or r.get("site_id")), "kind": esc(r.get("kind")),
                                         "town": esc(r.get("jurisdiction_code")), "newly": esc(newly)}))
    if feats:
        folium.GeoJson(_fc(feats), name=LAYERS["sites"],
                       marker=folium.CircleMarker(radius=9, weight=3, fill=True, fill_opacity=1.0, color="#000000",
                                                  fill_color="#ffd700"),
                       tooltip=_tooltip(["name"]),
                       popup=_popup(["name", "kind", "town", "newly"],
                                    ["候选点", "类型", "镇街", "新增覆盖组织"])).add_to(group)
    return group


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


def _legend():
    from branca.element import MacroElement, Template

    rows = "".join(f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
                   f'background:{c};margin-right:4px"></span>{html.escape(s)}</div>' for s, c in STATUS_COLORS.items())
    tpl = ("{% macro html(this, kwargs) %}<div class=\"lx-legend\" style=\"position:absolute;top:10px;left:50px;"
           "z-index:1000;background:rgba(255,255,255,.9);padding:4px 8px;font:12px sans-serif;border-radius:4px\">"
           "<b>覆盖状态</b>" + rows + "</div>{% endmacro %}")
    el = MacroElement()
    el._template = Template(tpl)
    return el


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
    workspace: Any,
    *,
    layers: Iterable[str] = DEFAULT_LAYERS,
    basemap: str = "none",
    plans: Mapping[str, Any] | None = None,
    assessment: Any = None,
    rates: pd.DataFrame | None = None,
    target: float | None = None,
    filters: MapFilters | None = None,
    selected_unit: str | None = None,
    selected_route: str | None = None,
    tianditu_key: str | None = None,
    asset_base: str | None = None,
    height: int | str = "100%",
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
        ``{"joint": JointPlan, "routes": InstructorPlan, "coverage": CoveragePlan}``
        (objects or their ``to_json()``); layers without their plan are skipped.
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
    """
    import folium

    from lianxin_geo.present import assets as _assets

    if basemap not in BASEMAPS:
        raise ValueError(f"未知底图 {basemap!r}：可选 {', '.join(BASEMAPS)}")
    layers = [k for k in layers if k in LAYERS]
    plans = dict(plans or {})
    district = workspace.district
    minx, miny, maxx, maxy = district.bounds
    shift = _shifter(basemap)
    (x0, x1), (y0, y1) = shift(np.array([minx, maxx]), np.array([miny, maxy]))
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=10, tiles=None, prefer_canvas=True,
                   control_scale=True, height=height, width="100%")
    _tiles(m, basemap, tianditu_key)
    if basemap == "none":
        m.get_root().header.add_child(folium.Element("<style>.leaflet-container{background:#f4f4f0}</style>"))
    orgs = workspace.orgs
    status = org_status(orgs, assessment) if len(orgs) else pd.Series(dtype=object)
    if "boundaries" in layers:
        boundaries_layer(district, rates=rates, target=target, basemap=basemap).add_to(m)
    if "buildings" in layers:
        points_layer(workspace.buildings, key="buildings", color="#8c6d31", basemap=basemap, radius=4,
                     fields=(("name", "楼宇名称"), ("address", "地址"), ("floor_area", "建筑面积"),
                             ("workstation", "楼宇工作站"))).add_to(m)
    if "parks" in layers:
        points_layer(workspace.parks, key="parks", color="#1f78b4", basemap=basemap, radius=7,
                     fields=(("name", "园区名称"), ("level", "级别"), ("committee", "综合党委"))).add_to(m)
    if "centers" in layers:
        reach = None
        cov = plans.get("coverage")
        if cov is not None and hasattr(cov, "centers") and isinstance(cov.centers, pd.DataFrame) \
                and "reach_m" in cov.centers and "id" in cov.centers:
            reach = dict(zip(cov.centers["id"].astype(str), cov.centers["reach_m"]))
        centers_layer(workspace.centers, reach_m=reach, basemap=basemap).add_to(m)
    if "orgs" in layers and len(orgs):
        shown = filter_orgs(orgs, filters, status=status)
        orgs_layer(shown, status=status.reindex(shown.index), basemap=basemap,
                   popups=len(shown) <= 60_000).add_to(m)
    if "units" in layers and plans.get("joint") is not None:
        units_layer(plans["joint"], orgs, basemap=basemap, selected=selected_unit).add_to(m)
    if "routes" in layers and plans.get("routes") is not None:
        routes_layer(plans["routes"], orgs, centers=workspace.centers, basemap=basemap,
                     selected=selected_route).add_to(m)
    if "gaps" in layers and plans.get("coverage") is not None:
        gaps_layer(plans["coverage"], basemap=basemap).add_to(m)
    if "sites" in layers and plans.get("coverage") is not None:
        sites_layer(plans["coverage"], basemap=basemap).add_to(m)
    notes = notes_control(getattr(workspace, "data_notes", []))
    if notes is not None:
        m.add_child(notes)
    if "orgs" in layers:
        m.add_child(_legend())
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[y0, x0], [y1, x1]])
    _assets.localize(m, base_url=asset_base)
    return m


def map_html(fmap: Any, *, title: str = "两新党建地图") -> str:
    """Stand-alone HTML of a map built with ``asset_base=None``: every asset inlined, no network request."""
    from lianxin_geo.present import assets as _assets

    _assets.localize(fmap, base_url=None)
    html_text = fmap.get_root().render()
    html_text = html_text.replace("<head>", f"<head><title>{esc(title)}</title>", 1)
    return _assets.inline_html(html_text)
