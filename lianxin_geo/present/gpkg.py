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

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.crs import wgs84_to_gcj02
from lianxin_geo.core.files import atomic_path
from lianxin_geo.core.model import APPROX_NOTE, DEMO_NOTE
from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.plans import PlansLike, as_plans, route_base, route_key, route_points
from lianxin_geo.present.style import org_status
from lianxin_geo.workspace import Workspace

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


def _value(v: Any) -> Any:
    """A plain Python value for a GIS column: numpy scalars as Python numbers, NaN/NA as ``None``."""
    if v is None or (np.ndim(v) == 0 and pd.isna(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _venue(name: Any, kind: Any, distance_m: Any) -> str | None:
    """A unit's suggested venue as JSON text (name, type, distance rounded to 0.1 m), ``None`` without one."""
    if _value(name) is None:
        return None
    return _plain({"name": _value(name), "type": _value(kind), "distance_m": _value(round(float(distance_m), 1))})


def _layer_pair(layers: dict[str, tuple[list[dict[str, Any]], list[Any]]], notes: str) -> dict[str, Any]:
    """``name -> GeoDataFrame`` (WGS-84, with the data note) of ``name -> (rows, geometries)``.

    Nothing when the first layer has no rows.
    """
    import geopandas as gpd

    if not next(iter(layers.values()))[0]:
        return {}
    out: dict[str, Any] = {}
    for name, (rows, geoms) in layers.items():
        frame = _clean(pd.DataFrame(rows))
        frame["data_note"] = notes
        out[name] = gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")
    return out


def _joint_layers(joint: JointPlan, lut: dict[str, tuple[float, float]], notes: str) -> dict[str, Any]:
    """``joint_units`` (member-to-hub lines) and ``joint_members`` (points) of a joint plan."""
    import shapely

    rows, geoms, mrows, mgeoms = [], [], [], []
    for u in joint.units.itertuples(index=False):
        ids = [str(o) for o in u.org_ids]
        pts = [(o, lut[o]) for o in ids if o in lut]
        hub = lut.get(str(u.hub_id))
        if not pts:
            continue
        if hub is None:
            hub = (float(np.mean([p[1][0] for p in pts])), float(np.mean([p[1][1] for p in pts])))
        geoms.append(shapely.MultiLineString([[hub, p] for _, p in pts if p != hub] or [[hub, hub]]))
        rows.append({
            "unit_id": _value(u.unit_id), "jurisdiction_code": _value(u.jurisdiction_code),
            "jurisdiction_codes": _plain([str(c) for c in u.jurisdiction_codes]), "industry": _value(u.industry),
            "mixed_industry": bool(u.mixed_industry), "kind": _value(u.kind),
            "form": _value(getattr(u, "form", None)), "hub_id": _value(u.hub_id),
            "hub_name": _value(u.hub_name), "members": _value(u.members), "employees": _value(u.employees),
            "radius_m": round(float(u.radius_m), 1), "venue": _venue(u.venue_name, u.venue_type, u.venue_distance_m),
            "reason": _value(u.reason), "n_orgs": len(ids), "org_ids": _plain(ids),
        })
        names = dict(zip(ids, u.org_names))
        for oid, p in pts:
            mrows.append({"unit_id": _value(u.unit_id), "org_id": oid, "org_name": names.get(oid, ""),
                          "is_hub": oid == str(u.hub_id)})
            mgeoms.append(shapely.Point(p))
    return _layer_pair({"joint_units": (rows, geoms), "joint_members": (mrows, mgeoms)}, notes)


def _route_layers(routes: InstructorPlan, notes: str) -> dict[str, Any]:
    """``routes`` (base → stops → base lines) and ``route_stops`` (points in visiting order) of an instructor plan."""
    import shapely

    rows, geoms, srows, sgeoms = [], [], [], []
    visits = route_points(routes)
    names = {(rid, oid): name for rid, vs in visits.items() for _, _, oid, name in vs}
    key = route_key(routes.routes)
    for r in routes.routes.itertuples(index=False):
        rid = str(getattr(r, key))
        bxy = route_base(r.base_lon, r.base_lat)
        pts = [(oid, (x, y)) for x, y, oid, _ in visits.get(rid, [])]
        seq = ([bxy] if bxy else []) + [p for _, p in pts] + ([bxy] if bxy else [])
        if len(seq) < 2:
            continue
        geoms.append(shapely.LineString(seq))
        rows.append({"route_id": rid, "instructor_id": _value(r.instructor_id),
                     "instructor": _value(getattr(r, "instructor", None)),
                     "instructor_kind": _value(getattr(r, "instructor_kind", None)),
                     "day": _value(getattr(r, "day", 1)), "jurisdiction_code": _value(r.jurisdiction_code),
                     "town_name": _value(r.town_name), "base": _value(r.base_name), "stops": _value(r.stops),
                     "length_km": round(float(r.length_km), 3), "minutes": round(float(r.minutes), 1),
                     "status": _value(r.status)})
        for k, (oid, p) in enumerate(pts, start=1):
            srows.append({"route_id": rid, "instructor_id": _value(r.instructor_id), "order": k, "org_id": oid,
                          "org_name": _value(names.get((rid, oid), ""))})
            sgeoms.append(shapely.Point(p))
    return _layer_pair({"routes": (rows, geoms), "route_stops": (srows, sgeoms)}, notes)


def _coverage_layers(cov: CoveragePlan, notes: str) -> dict[str, Any]:
    """``gaps`` (hexagons; points for a plan without a grid) and ``proposed_sites`` of a coverage plan."""
    import geopandas as gpd

    out: dict[str, Any] = {}
    if len(cov.gaps) and cov.grid is not None:
        polys = cov.gap_polygons()
        g = _clean(pd.DataFrame(polys.drop(columns="geometry")))
        g["data_note"] = notes
        out["gaps"] = gpd.GeoDataFrame(g, geometry=polys.geometry.to_numpy(), crs="EPSG:4326")
    else:
        lay = _points(cov.gaps.drop(columns=["q", "r"], errors="ignore"), notes)
        if lay is not None:
            out["gaps"] = lay
    lay = _points(cov.proposed_sites, notes)
    if lay is not None:
        out["proposed_sites"] = lay
    return out


def build_layers(workspace: Workspace, *, plans: PlansLike = None,
                 assessment: Assessment | None = None) -> dict[str, Any]:
    """Every layer of the workspace and its plans as ``name -> GeoDataFrame`` (EPSG:4326).

    ``plans`` are the planners' typed results (:class:`~lianxin_geo.present.plans.Plans` or a mapping).
    Empty layers are left out. Every layer has a ``data_note`` column naming
    synthetic demo data / approximate boundaries where they apply.
    """
    import geopandas as gpd

    p = as_plans(plans)
    notes = "；".join(workspace.data_notes)
    demo = set(workspace.demo_kinds)

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
    for kind, frame in (("buildings", workspace.buildings), ("parks", workspace.parks), ("centers", workspace.centers)):
        lay = _points(frame, note(kind))
        if lay is not None:
            out[kind] = lay
    lut: dict[str, tuple[float, float]] = {}
    if len(orgs):
        lon = pd.to_numeric(orgs["lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(orgs["lat"], errors="coerce").to_numpy(float)
        lut = {str(i): (a, b) for i, a, b in zip(orgs["id"].astype(str), lon, lat)
               if math.isfinite(a) and math.isfinite(b)}
    if p.joint is not None:
        out.update(_joint_layers(p.joint, lut, notes))
    if p.routes is not None:
        out.update(_route_layers(p.routes, notes))
    if p.coverage is not None:
        out.update(_coverage_layers(p.coverage, notes))
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
            pyogrio.write_dataframe(gdf, tmp, layer=f"{name}{suffix}", driver="GeoJSON",  # "name": the layer's,
                                    layer_options={"RFC7946": "YES"})  # not the temporary file's
        paths.append(p)
    return paths
