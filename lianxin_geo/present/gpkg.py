"""Every map layer as a GeoDataFrame, written to GeoPackage or a folder of GeoJSON files.

Layers are WGS-84 (EPSG:4326). A GCJ-02 copy (for AMap / Tencent maps) is
made on request by shifting every vertex with
:func:`lianxin_geo.core.crs.wgs84_to_gcj02`; GCJ-02 has no EPSG code, so the copy
keeps the EPSG:4326 label and says GCJ-02 in its file name and in the
``crs_note`` column of every layer.

Column values that GIS formats cannot hold (lists, dicts) become text
(lists joined with 、, dicts as JSON).

Every file is written under a temporary name in its folder and renamed when
complete (a GeoPackage only after all its layers are in), so an interrupted
export never leaves a file with some of its layers under the final name.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from lianxin_geo.core.crs import wgs84_to_gcj02
from lianxin_geo.core.files import atomic_path
from lianxin_geo.core.jsonable import plan_json
from lianxin_geo.core.model import APPROX_NOTE, DEMO_NOTE
from lianxin_geo.present.plans import gap_polygons
from lianxin_geo.present.style import org_status

__all__ = ["LAYER_TITLES", "build_layers", "to_gcj02", "write_gpkg", "write_geojson_dir"]

#: Layer name (table / file name) -> Chinese title.
LAYER_TITLES: dict[str, str] = {
    "jurisdictions": "乡镇街道边界与覆盖率",
    "orgs": "两新组织",
    "buildings": "商务楼宇",
    "parks": "园区",
    "centers": "党群活动服务中心",
    "joint_units": "联建单元（成员至牵头单位连线）",
    "joint_members": "联建单元成员",
    "routes": "指导员路线",
    "route_stops": "指导员路线站点",
    "gaps": "覆盖缺口（六边形网格）",
    "proposed_sites": "建议新增阵地",
}

_DROP = ("lon_raw", "lat_raw", "crs", "row", "geometry")


def _plain(v: Any) -> Any:
    if isinstance(v, (list, tuple, set, np.ndarray)):
        return "、".join(str(x) for x in v)
    if isinstance(v, Mapping):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in _DROP if c in frame.columns]).copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == object or str(s.dtype).startswith(("string", "str")):
            vals = [_plain(v) for v in s.tolist()]
            if any(isinstance(v, str) for v in vals):
                vals = [None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
                        for v in vals]
            out[c] = pd.Series(vals, index=s.index, dtype=object)
    out.columns = [str(c) for c in out.columns]
    return out


def _points(frame: pd.DataFrame | None, notes: str) -> Any:
    import geopandas as gpd

    if frame is None or len(frame) == 0 or "lon" not in frame:
        return None
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    sub = _clean(frame.loc[ok])
    sub["data_note"] = notes
    return gpd.GeoDataFrame(sub.reset_index(drop=True), geometry=gpd.points_from_xy(lon[ok], lat[ok]),
                            crs="EPSG:4326")


def build_layers(workspace: Any, *, plans: Mapping[str, Any] | None = None, assessment: Any = None
                 ) -> dict[str, Any]:
    """Every layer of the workspace and its plans as ``name -> GeoDataFrame`` (EPSG:4326).

    Empty layers are left out. Every layer has a ``data_note`` column naming
    synthetic demo data / approximate boundaries where they apply.
    """
    import geopandas as gpd
    import shapely

    plans = dict(plans or {})
    notes = "；".join(getattr(workspace, "data_notes", []) or [])
    demo = set(getattr(workspace, "demo_kinds", ()) or ())

    def note(kind: str) -> str:
        return DEMO_NOTE if kind in demo else ""

    out: dict[str, Any] = {}
    district = workspace.district
    jur = district.jurisdictions.copy()
    if assessment is not None:
        cols = [c for c in ("code", "orgs", "own", "joint", "work_only", "uncovered", "org_coverage_rate",
                            "single_rate", "work_coverage_rate", "enterprise_org_coverage_rate",
                            "social_org_coverage_rate", "enterprise_gap", "social_gap") if c in assessment.jurisdictions]
        rates = assessment.jurisdictions[cols].copy()
        rates["code"] = rates["code"].astype(str)
        jur["code"] = jur["code"].astype(str)
        jur = jur.merge(rates, on="code", how="left")
    geom = jur.geometry.to_numpy()
    attrs = _clean(pd.DataFrame(jur.drop(columns="geometry")))
    attrs["data_note"] = APPROX_NOTE if district.approximate else ""
    out["jurisdictions"] = gpd.GeoDataFrame(attrs, geometry=list(geom), crs="EPSG:4326")
    orgs = workspace.orgs
    if len(orgs):
        o = orgs.copy()
        o["status"] = org_status(orgs, assessment).to_numpy()
        out["orgs"] = _points(o, note("orgs"))
    for kind in ("buildings", "parks", "centers"):
        lay = _points(getattr(workspace, kind), note(kind))
        if lay is not None:
            out[kind] = lay
    lut: dict[str, tuple[float, float]] = {}
    if len(orgs):
        lon = pd.to_numeric(orgs["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(orgs["lat"], errors="coerce").to_numpy(float)
        lut = {str(i): (a, b) for i, a, b in zip(orgs["id"].astype(str), lon, lat)
               if math.isfinite(a) and math.isfinite(b)}
    joint = plan_json(plans.get("joint"))
    if joint.get("units"):
        rows, geoms, mrows, mgeoms = [], [], [], []
        for u in joint["units"]:
            pts = [(str(o), lut[str(o)]) for o in u.get("org_ids", []) if str(o) in lut]
            hub = lut.get(str(u.get("hub_id")))
            if not pts:
                continue
            if hub is None:
                hub = (float(np.mean([p[1][0] for p in pts])), float(np.mean([p[1][1] for p in pts])))
            geoms.append(shapely.MultiLineString([[hub, p] for _, p in pts if p != hub] or [[hub, hub]]))
            rows.append({k: _plain(v) for k, v in u.items() if k not in ("org_ids", "org_names")}
                        | {"n_orgs": len(u.get("org_ids", [])), "org_ids": _plain(u.get("org_ids", []))})
            names = dict(zip(map(str, u.get("org_ids", [])), u.get("org_names", [])))
            for oid, p in pts:
                mrows.append({"unit_id": u.get("unit_id"), "org_id": oid, "org_name": names.get(oid, ""),
                              "is_hub": oid == str(u.get("hub_id"))})
                mgeoms.append(shapely.Point(p))
        if rows:
            frame = _clean(pd.DataFrame(rows))
            frame["data_note"] = notes
            out["joint_units"] = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")
            mf = _clean(pd.DataFrame(mrows))
            mf["data_note"] = notes
            out["joint_members"] = gpd.GeoDataFrame(mf, geometry=mgeoms, crs="EPSG:4326")
    routes = plan_json(plans.get("routes"))
    if routes.get("routes"):
        rows, geoms, srows, sgeoms = [], [], [], []
        for r in routes["routes"]:
            base = r.get("base") or {}
            bxy = (float(base["lon"]), float(base["lat"])) if isinstance(base, Mapping) and "lon" in base else None
            pts = [(str(o), lut[str(o)]) for o in r.get("org_ids", []) if str(o) in lut]
            seq = ([bxy] if bxy else []) + [p for _, p in pts] + ([bxy] if bxy else [])
            if len(seq) < 2:
                continue
            geoms.append(shapely.LineString(seq))
            rows.append({"instructor_id": r.get("instructor_id"), "jurisdiction_code": r.get("jurisdiction_code"),
                         "town_name": r.get("town_name"), "base": (base or {}).get("name", ""),
                         "stops": r.get("stops", len(pts)), "length_km": r.get("length_km"),
                         "minutes": r.get("minutes"), "status": r.get("status")})
            names = r.get("org_names", [])
            for k, (oid, p) in enumerate(pts, start=1):
                srows.append({"instructor_id": r.get("instructor_id"), "order": k, "org_id": oid,
                              "org_name": names[k - 1] if k - 1 < len(names) else ""})
                sgeoms.append(shapely.Point(p))
        if rows:
            frame = _clean(pd.DataFrame(rows))
            frame["data_note"] = notes
            out["routes"] = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")
            sf = _clean(pd.DataFrame(srows))
            sf["data_note"] = notes
            out["route_stops"] = gpd.GeoDataFrame(sf, geometry=sgeoms, crs="EPSG:4326")
    cov = plans.get("coverage")
    if cov is not None:
        polys = gap_polygons(cov)
        if polys is not None:
            g = _clean(pd.DataFrame(polys.drop(columns="geometry")))
            g["data_note"] = notes
            out["gaps"] = gpd.GeoDataFrame(g, geometry=polys.geometry.to_numpy(), crs="EPSG:4326")
        else:
            lay = _points(pd.DataFrame(plan_json(cov).get("gaps", [])), notes)
            if lay is not None:
                out["gaps"] = lay
        lay = _points(pd.DataFrame(plan_json(cov).get("proposed_sites", [])), notes)
        if lay is not None:
            out["proposed_sites"] = lay
    return out


def to_gcj02(layers: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``layers`` with every vertex shifted WGS-84 → GCJ-02."""
    import shapely

    def shift(coords: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([np.asarray(x, float), np.asarray(y, float)])

    out = {}
    for name, gdf in layers.items():
        g = gdf.copy()
        g[g.geometry.name] = shapely.transform(gdf.geometry.to_numpy(), shift)
        g["crs_note"] = "GCJ-02（火星坐标，用于高德/腾讯地图；坐标参考标注为 EPSG:4326 仅为兼容）"
        out[name] = g
    return out


def write_gpkg(layers: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write every layer as a table of one GeoPackage file (replaced if it exists, only once complete)."""
    import pyogrio

    out = Path(path)
    with atomic_path(out) as tmp:
        tmp.unlink()  # GDAL creates the GeoPackage itself: it cannot open the empty placeholder
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=tmp.exists(),
                                    layer_options={"DESCRIPTION": LAYER_TITLES.get(name, name)})
        if not tmp.exists():  # no layer at all: still an (empty) GeoPackage, never a missing file
            pyogrio.write_dataframe(_empty_layer(), tmp, layer="empty", driver="GPKG")
    return out


def _empty_layer() -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame({"note": pd.Series([], dtype=object)}, geometry=[], crs="EPSG:4326")


def write_geojson_dir(layers: Mapping[str, Any], folder: str | os.PathLike[str], *, suffix: str = "") -> list[Path]:
    """Write every layer as ``<folder>/<name><suffix>.geojson`` (RFC 7946, UTF-8) and return the paths."""
    import pyogrio

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, gdf in layers.items():
        p = d / f"{name}{suffix}.geojson"
        with atomic_path(p) as tmp:
            tmp.unlink()  # the GeoJSON driver will not write over an existing file
            pyogrio.write_dataframe(gdf, tmp, driver="GeoJSON", layer_options={"RFC7946": "YES"})
        paths.append(p)
    return paths
