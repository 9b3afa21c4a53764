"""Service-center coverage, gaps, new-site proposals and venue compliance.

The "15-minute party-mass service circle" (15分钟党群服务圈) made measurable:

* **service areas**: every party-mass service center (党群活动服务中心) reaches
  the orgs within a distance that depends on where it stands (R15 profile keys
  ``coverage.reach_m_street`` / ``coverage.reach_m_town``), measured along the road
  graph when one is given (network isochrones) and otherwise as great-circle
  distance × ``distance.circuity``;
* **coverage** per town/street and for the district: share of orgs, of formal
  members and of employees within reach; orgs and commercial buildings outside
  every reach;
* **gaps**: uncovered orgs and employees summed on an equal-area hexagon grid;
* **siting**: up to ``k`` new centers among candidate sites maximising newly
  covered demand (maximal covering location problem, :mod:`lianxin_geo.plan.coverage.mclp`),
  each proposal explained;
* **venue compliance** (R15/R16): per jurisdiction compliant / below standard
  (shortfall m²) / missing, per center, and parks without a center (R15, R23).

Which reach applies (documented in ``docs/coverage.md``):

==========================  ============================================================
center level                reach
==========================  ============================================================
镇级 / 街道级 / 区级          by the kind of the jurisdiction the center stands in:
                            街道 → ``reach_m_street``; 镇/地区/乡 → ``reach_m_town``
区级                         as above, and only orgs of its own jurisdiction count when
                            ``district_center_own_town_only`` is true
园区 / 社区 / 楼宇            ``reach_m_street`` (a walking-distance neighbourhood venue)
candidate (new) site        by the kind of its jurisdiction, like a town/street center
==========================  ============================================================
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from lianxin_geo.assessment.venues import (
    DISTRICT_LEVEL,
    STATUS_BELOW,
    STATUS_MISSING,
    STATUS_OK,
    STATUS_UNKNOWN,
    TOWN_STREET_LEVELS,
    area_verdict,
    best_index,
)
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.core.distance import RoutingWarning, haversine_m, local_xy_m
from lianxin_geo.plan.coverage.hexgrid import HexGrid
from lianxin_geo.plan.coverage.mclp import MCLPResult, solve_mclp
from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LedgerError
from lianxin_geo.core.model import SIX_HAS

__all__ = [
    "CoverageParams",
    "CoveragePlan",
    "VenueReport",
    "service_reach",
    "coverage_matrix",
    "network_coverage_matrix",
    "candidate_sites",
    "venue_compliance",
    "plan_coverage",
]

Demand = Literal["orgs", "employees", "members"]

STREET_KINDS: tuple[str, ...] = ("街道",)
TOWN_KINDS: tuple[str, ...] = ("镇", "地区", "乡")
STATUS_NA = "无面积标准"


# ---------------------------------------------------------------- parameters
@dataclass(frozen=True)
class CoverageParams:
    """Every policy value coverage planning uses (all from the profile; see :meth:`from_profile`).

    Parameters
    ----------
    reach_m_street, reach_m_town
        Service reach (road metres) of centers in streets / towns (``coverage.*``).
    district_center_own_town_only
        A 区级 center counts only for orgs of its own jurisdiction.
    circuity
        Road distance ≈ great-circle × circuity when no road graph is given.
    required_m2_district, required_m2_town, required_m2_street
        Minimum floor area by level (R15, ``venues.*``).
    park_center_required
        Every functional park must have a center (R15).
    six_has
        "六有" checklist keys (R16) looked up as boolean center columns.
    """

    reach_m_street: float
    reach_m_town: float
    district_center_own_town_only: bool
    circuity: float
    required_m2_district: float
    required_m2_town: float
    required_m2_street: float
    park_center_required: bool = True  # only read with a profile (from_profile sets it)
    six_has: tuple[str, ...] = ()

    @classmethod
    def from_profile(cls, profile: Any = None) -> "CoverageParams":
        """Read the values from a policy profile (default profile when ``None``)."""
        if profile is None or isinstance(profile, (str, Path)):
            from lianxin_geo.core.policy import load_profile

            profile = load_profile(profile)

        return cls(
            reach_m_street=float(profile.get("coverage.reach_m_street")),
            reach_m_town=float(profile.get("coverage.reach_m_town")),
            district_center_own_town_only=bool(profile.get("coverage.district_center_own_town_only")),
            circuity=float(profile.get("distance.circuity")),
            required_m2_district=float(profile.get("venues.required_m2_district")),
            required_m2_town=float(profile.get("venues.required_m2_town")),
            required_m2_street=float(profile.get("venues.required_m2_street")),
            park_center_required=bool(profile.get("venues.park_center_required")),
            six_has=tuple(profile.get("venues.six_has")),
        )

    def required_m2_for_kind(self, kind: str | None) -> float:
        """Required floor area of the jurisdiction-level center of a 街道 / 镇 / 地区."""
        return _AreaStandard(self.required_m2_district, self.required_m2_town, self.required_m2_street).for_kind(kind)

    def required_m2_for_level(self, level: str | None) -> float | None:
        """Required floor area by center level (``None``: the profile sets no standard)."""
        return _AreaStandard(self.required_m2_district, self.required_m2_town, self.required_m2_street).for_level(level)


@dataclass(frozen=True)
class _AreaStandard:
    """The R15 floor-area standards by level, from the profile's ``venues.required_m2_*``."""

    district: float
    town: float
    street: float

    def for_kind(self, kind: str | None) -> float:
        return self.street if kind in STREET_KINDS else self.town

    def for_level(self, level: str | None) -> float | None:
        return {"区级": self.district, "镇级": self.town, "街道级": self.street}.get(
            str(level) if level is not None else "")


def _level_for_kind(kind: str | None) -> str:
    return "街道级" if kind in STREET_KINDS else "镇级"


# ---------------------------------------------------------------- reach
def service_reach(
    levels: np.ndarray,
    kinds: np.ndarray,
    *,
    reach_m_street: float,
    reach_m_town: float,
    district_center_own_town_only: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Reach (metres) and "own jurisdiction only" flag of each center.

    Parameters
    ----------
    levels
        Center level (区级/镇级/街道级/园区/社区/楼宇); empty or ``None`` for a
        candidate site, which is treated like a town/street center.
    kinds
        Kind (街道/镇/地区/乡) of the jurisdiction each center stands in; an
        unknown kind gets the street (walking) reach.
    """
    levels = np.asarray(levels, dtype=object)
    kinds = np.asarray(kinds, dtype=object)
    is_town = np.isin(kinds, TOWN_KINDS)
    reach = np.where(is_town, float(reach_m_town), float(reach_m_street)).astype(float)
    local = np.isin(levels, ("园区", "社区", "楼宇"))
    reach[local] = float(reach_m_street)
    own = (levels == DISTRICT_LEVEL) & bool(district_center_own_town_only)
    return reach, own


# ---------------------------------------------------------------- coverage matrices
def _zone_filter(
    rows: np.ndarray,
    cols: np.ndarray,
    own_zone_only: np.ndarray | None,
    src_zone: np.ndarray | None,
    dst_zone: np.ndarray | None,
) -> np.ndarray:
    keep = np.ones(rows.size, dtype=bool)
    if own_zone_only is not None and np.any(own_zone_only):
        if src_zone is None or dst_zone is None:
            raise ValueError("own_zone_only 需要同时给出 src_zone 与 dst_zone (zones required)")
        src_zone = np.asarray(src_zone, dtype=object)
        dst_zone = np.asarray(dst_zone, dtype=object)
        restricted = np.asarray(own_zone_only, dtype=bool)[rows]
        keep &= ~restricted | (src_zone[rows] == dst_zone[cols])
    return keep


def coverage_matrix(
    src_lon: np.ndarray,
    src_lat: np.ndarray,
    reach_m: np.ndarray,
    dst_lon: np.ndarray,
    dst_lat: np.ndarray,
    *,
    circuity: float,
    own_zone_only: np.ndarray | None = None,
    src_zone: np.ndarray | None = None,
    dst_zone: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Boolean sources × destinations matrix: great-circle distance × ``circuity`` ≤ reach.

    A kd-tree on a local plane preselects pairs; the haversine distance decides.
    Points with a missing coordinate cover / are covered by nothing. Where
    ``own_zone_only`` is true for a source, only destinations of the same zone count.
    """
    src_lon = np.asarray(src_lon, dtype=float)
    src_lat = np.asarray(src_lat, dtype=float)
    dst_lon = np.asarray(dst_lon, dtype=float)
    dst_lat = np.asarray(dst_lat, dtype=float)
    reach = np.broadcast_to(np.asarray(reach_m, dtype=float), src_lon.shape)
    n, m = src_lon.size, dst_lon.size
    s_ok = np.flatnonzero(np.isfinite(src_lon) & np.isfinite(src_lat) & (reach > 0))
    d_ok = np.flatnonzero(np.isfinite(dst_lon) & np.isfinite(dst_lat))
    if s_ok.size == 0 or d_ok.size == 0:
        return sp.csr_matrix((n, m), dtype=bool)
    lat0 = float(np.mean(dst_lat[d_ok]))
    d_tree = cKDTree(local_xy_m(dst_lon[d_ok], dst_lat[d_ok], lat0=lat0))
    s_xy = local_xy_m(src_lon[s_ok], src_lat[s_ok], lat0=lat0)
    rows_l: list[np.ndarray] = []
    cols_l: list[np.ndarray] = []
    # one pass per distinct reach (usually two or three): the pair search runs in C
    for r_val in np.unique(reach[s_ok]):
        grp = np.flatnonzero(reach[s_ok] == r_val)
        s_tree = cKDTree(s_xy[grp])
        pairs = s_tree.sparse_distance_matrix(d_tree, r_val / float(circuity) * 1.02 + 5.0, output_type="ndarray")
        rows_l.append(s_ok[grp[pairs["i"]]])
        cols_l.append(d_ok[pairs["j"]])
    rows = np.concatenate(rows_l)
    cols = np.concatenate(cols_l)
    if rows.size:
        d = haversine_m(src_lon[rows], src_lat[rows], dst_lon[cols], dst_lat[cols]) * float(circuity)
        keep = d <= reach[rows]
        keep &= _zone_filter(rows, cols, own_zone_only, src_zone, dst_zone)
        rows, cols = rows[keep], cols[keep]
    return sp.csr_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, m))


def network_coverage_matrix(
    road: Any,
    src_lon: np.ndarray,
    src_lat: np.ndarray,
    reach_m: np.ndarray,
    dst_lon: np.ndarray,
    dst_lat: np.ndarray,
    *,
    circuity: float,
    max_snap_m: float = 1000.0,
    own_zone_only: np.ndarray | None = None,
    src_zone: np.ndarray | None = None,
    dst_zone: np.ndarray | None = None,
    batch: int = 64,
) -> sp.csr_matrix:
    """Like :func:`coverage_matrix` but along a road graph (network isochrones).

    ``road`` is a :class:`lianxin_geo.core.distance.RoadGraph` (or a networkx graph,
    prepared on the fly). Each point is snapped to its nearest node; the access
    legs (great-circle × ``circuity``) are added at both ends. Points farther than
    ``max_snap_m`` from the graph fall back to great-circle × ``circuity``
    (a :class:`RoutingWarning` says how many). Walking and driving both use the
    graph as given (directed).
    """
    from scipy.sparse.csgraph import dijkstra

    from lianxin_geo.core.distance import RoadGraph, prepare_road_graph

    if not isinstance(road, RoadGraph):
        road = prepare_road_graph(road)
    src_lon = np.asarray(src_lon, dtype=float)
    src_lat = np.asarray(src_lat, dtype=float)
    dst_lon = np.asarray(dst_lon, dtype=float)
    dst_lat = np.asarray(dst_lat, dtype=float)
    reach = np.broadcast_to(np.asarray(reach_m, dtype=float), src_lon.shape).copy()
    n, m = src_lon.size, dst_lon.size
    lat0 = float(np.mean(road.lat))
    tree = cKDTree(local_xy_m(road.lon, road.lat, lat0=lat0))

    def snap(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ok = np.isfinite(lon) & np.isfinite(lat)
        node = np.zeros(lon.size, dtype=np.int64)
        dist = np.full(lon.size, np.inf)
        if ok.any():
            _, nn = tree.query(local_xy_m(lon[ok], lat[ok], lat0=lat0), k=1)
            node[ok] = nn
            dist[ok] = haversine_m(lon[ok], lat[ok], road.lon[nn], road.lat[nn])
        return node, dist, ok & (dist <= max_snap_m)

    s_node, s_snap, s_on = snap(src_lon, src_lat)
    d_node, d_snap, d_on = snap(dst_lon, dst_lat)
    off = int((np.isfinite(src_lon) & ~s_on).sum() + (np.isfinite(dst_lon) & ~d_on).sum())
    if off:
        warnings.warn(
            f"{off} 个点距路网超过 {max_snap_m:.0f} 米，改用直线距离×绕行系数 {circuity} "
            f"/ {off} point(s) farther than {max_snap_m:.0f} m from the road graph use great-circle × circuity",
            RoutingWarning,
            stacklevel=2,
        )
    # great-circle part for every pair that involves an off-graph point
    gc = coverage_matrix(
        src_lon, src_lat, reach, dst_lon, dst_lat, circuity=circuity,
        own_zone_only=own_zone_only, src_zone=src_zone, dst_zone=dst_zone,
    ).tocoo()
    gc_keep = ~(s_on[gc.row] & d_on[gc.col])
    rows_all = [gc.row[gc_keep]]
    cols_all = [gc.col[gc_keep]]
    s_idx = np.flatnonzero(s_on & (reach > 0))
    d_idx = np.flatnonzero(d_on)
    if s_idx.size and d_idx.size:
        d_access = d_snap[d_idx] * circuity
        for start in range(0, s_idx.size, batch):
            chunk = s_idx[start:start + batch]
            budget = reach[chunk] - s_snap[chunk] * circuity
            dist = dijkstra(road.csr, directed=True, indices=s_node[chunk], limit=float(max(budget.max(), 0.0)))
            total = dist[:, d_node[d_idx]] + d_access[None, :]
            r, c = np.nonzero(total <= budget[:, None])
            rows_all.append(chunk[r])
            cols_all.append(d_idx[c])
    rows = np.concatenate(rows_all)
    cols = np.concatenate(cols_all)
    keep = _zone_filter(rows, cols, own_zone_only, src_zone, dst_zone)
    rows, cols = rows[keep], cols[keep]
    return sp.csr_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n, m))


# ---------------------------------------------------------------- input frames
def _col(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in df.columns:
            return name
    return None


def _num(df: pd.DataFrame, name: str, *, default: float = np.nan) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), default, dtype=float)
    return np.array(pd.to_numeric(df[name], errors="coerce").astype("float64").to_numpy(na_value=np.nan), dtype=float)


def _text(df: pd.DataFrame, name: str | None) -> np.ndarray:
    out = np.full(len(df), None, dtype=object)
    if name is None or name not in df.columns:
        return out
    vals = df[name].to_numpy(dtype=object)
    for i, v in enumerate(vals):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            continue
        s = str(v).strip()
        out[i] = s or None
    return out


def _lonlat(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat of a frame; rows whose ``crs`` column says GCJ02/BD09 are converted."""
    lon, lat = _num(df, "lon"), _num(df, "lat")
    if "crs" in df.columns and len(df):
        from lianxin_geo.core.crs import to_wgs84

        crs = _text(df, "crs")
        for name in sorted({c for c in crs if c is not None and c.upper() not in ("WGS84", "WGS-84")}):
            rows = np.flatnonzero((crs == name) & np.isfinite(lon) & np.isfinite(lat))
            if rows.size:
                lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], name)
    return lon, lat


def _ids(df: pd.DataFrame, names: tuple[str, ...], *, prefix: str) -> np.ndarray:
    """Row ids from the first present column of ``names``; a missing id becomes ``{prefix}{row number}``."""
    ids = _text(df, _col(df, names))
    return np.array([v if v is not None else f"{prefix}{i}" for i, v in enumerate(ids)], dtype=object)


def _codes(df: pd.DataFrame, district: District, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Jurisdiction code per row: stated ``jurisdiction_code`` / ``town_code`` / ``town``, else by location."""
    stated = _text(df, _col(df, ("jurisdiction_code", "town_code")))
    town = _text(df, _col(df, ("town",)))
    known = set(district.jurisdictions["code"].astype(str))
    out = np.full(len(df), None, dtype=object)
    for i in range(len(df)):
        c = stated[i]
        if c is not None and c not in known:
            c = district.resolve_town(c)
        if c is None and town[i] is not None:
            c = district.resolve_town(town[i])
        out[i] = c
    missing = np.flatnonzero(np.array([c is None for c in out], dtype=bool))
    if missing.size:
        out[missing] = district.assign(lon[missing], lat[missing])
    return out


def _require(df: pd.DataFrame | None, what: str, columns: tuple[str, ...]) -> None:
    if df is None:
        return
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LedgerError(
            f"{what}缺少列 {', '.join(missing)}：请先用台账读取（lianxin_geo.ingest.ledger）得到标准列，"
            f"或补齐这些列 / {what} lacks column(s) {', '.join(missing)}"
        )


def _site_frame(df: pd.DataFrame, *, kind: str | None, prefix: str) -> pd.DataFrame:
    """Normalise a frame of sites: ``site_id`` (prefix + id, else row number), ``kind``, ``name``, lon/lat, code."""
    ids = _text(df, _col(df, ("site_id", "id", "code", "credit_code")))
    kinds = _text(df, _col(df, ("kind",))) if kind is None else np.full(len(df), kind, dtype=object)
    lon, lat = _lonlat(df)
    return pd.DataFrame({
        "site_id": [f"{prefix}{i if i is not None else n}" for n, i in enumerate(ids)],
        "kind": [k if k is not None else "自选" for k in kinds],
        "name": _text(df, _col(df, ("name",))),
        "lon": lon,
        "lat": lat,
        "jurisdiction_code": _text(df, _col(df, ("jurisdiction_code", "town_code"))),
    })


def candidate_sites(
    district: District,
    *,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    communities: bool = True,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The default pool of candidate sites for new centers.

    Commercial buildings (``kind`` 楼宇), park centres (园区), community/village
    committee points of the district gazetteer (社区) and any ``extra`` sites the
    user adds (their ``kind`` column, or 自选). Rows without coordinates are left out.

    Returns
    -------
    DataFrame
        ``site_id``, ``kind``, ``name``, ``lon``, ``lat``, ``jurisdiction_code``.
    """
    parts: list[pd.DataFrame] = []
    for df, kind, prefix in ((buildings, "楼宇", "B:"), (parks, "园区", "P:"),
                             (district.communities if communities else None, "社区", "C:"), (extra, None, "U:")):
        if df is not None and len(df):
            parts.append(_site_frame(df, kind=kind, prefix=prefix))
    if not parts:
        return pd.DataFrame(columns=["site_id", "kind", "name", "lon", "lat", "jurisdiction_code"])
    out = pd.concat(parts, ignore_index=True)
    out = out[np.isfinite(out["lon"].to_numpy(float)) & np.isfinite(out["lat"].to_numpy(float))]
    return out.drop_duplicates("site_id").reset_index(drop=True)


# ---------------------------------------------------------------- venues
@dataclass
class VenueReport:
    """Venue compliance (R15/R16).

    Attributes
    ----------
    jurisdictions
        One row per town/street plus one for the district: ``jurisdiction_code``,
        ``name``, ``kind``, ``level``, ``required_m2``, ``center_id``, ``center_name``,
        ``best_m2``, ``compliant``, ``status`` (达标/面积不足/缺失), ``shortfall_m2``.
    centers
        One row per center: ``id``, ``name``, ``level``, ``jurisdiction_code``,
        ``floor_area``, ``required_m2``, ``compliant``, ``status``, ``shortfall_m2``,
        ``six_has_missing`` (list of missing "六有" items).
    parks_without_center
        Parks with no 园区-level center of the same name or within ``park_match_m``.
    """

    jurisdictions: pd.DataFrame
    centers: pd.DataFrame
    parks_without_center: pd.DataFrame


def venue_compliance(
    centers: pd.DataFrame,
    district: District,
    *,
    required_m2_district: float,
    required_m2_town: float,
    required_m2_street: float,
    parks: pd.DataFrame | None = None,
    six_has: tuple[str, ...] = (),
    park_match_m: float = 1000.0,
) -> VenueReport:
    """Check party-mass service centers against the floor-area standard by level (R15) and "六有" (R16).

    A town/street counts as compliant when its best own center (镇级/街道级 in
    it) reaches the standard of the jurisdiction's kind (街道 → street,
    镇/地区/乡 → town). The district row checks the best 区级 center against
    ``required_m2_district``. The same reading as :mod:`lianxin_geo.assessment.assessor`.

    Parameters
    ----------
    centers
        ``id``, ``name``, ``level``, ``lon``, ``lat``, ``floor_area`` and
        ``jurisdiction_code`` (or ``town_code`` / ``town``; else located by coordinates).
    parks
        ``id``, ``name``, ``lon``, ``lat``: parks without a 园区 center are listed.
    park_match_m
        A 园区 center within this distance of a park's point serves that park
        (a matching tolerance, not a policy value).
    """
    params = _AreaStandard(required_m2_district, required_m2_town, required_m2_street)
    c = centers if centers is not None else pd.DataFrame(columns=["id", "name", "level", "lon", "lat"])
    c_lon, c_lat = _lonlat(c)
    c_code = _codes(c, district, c_lon, c_lat) if len(c) else np.empty(0, dtype=object)
    c_level = _text(c, "level")
    c_area = _num(c, "floor_area")
    c_id = _ids(c, ("id", "center_id"), prefix="Z")
    c_name = _text(c, "name")

    # per center
    rows = []
    for i in range(len(c)):
        req = params.for_level(c_level[i])
        area = c_area[i]
        if req is None:
            status, ok, short = STATUS_NA, None, None
        else:
            ok, short, status = area_verdict(float(area), req)
        missing_six = []
        for key in six_has:
            if key in c.columns:
                v = c[key].iloc[i]
                if not (isinstance(v, (bool, np.bool_)) and bool(v)) and str(v).strip() not in ("True", "true", "是", "1"):
                    missing_six.append(key)
        rows.append({
            "id": c_id[i], "name": c_name[i], "level": c_level[i], "jurisdiction_code": c_code[i],
            "floor_area": float(area) if np.isfinite(area) else None, "required_m2": req,
            "compliant": ok, "status": status, "shortfall_m2": short, "six_has_missing": missing_six,
        })
    center_table = pd.DataFrame(rows, columns=[
        "id", "name", "level", "jurisdiction_code", "floor_area", "required_m2", "compliant", "status",
        "shortfall_m2", "six_has_missing",
    ])

    # per jurisdiction
    jrows = []
    jur = district.jurisdictions
    for code, name, kind in zip(jur["code"].astype(str), jur["name"].astype(str), jur["kind"].astype(str)):
        req = params.for_kind(kind)
        sel = np.flatnonzero((c_code == code) & np.isin(c_level, TOWN_STREET_LEVELS)) if len(c) else np.empty(0, int)
        jrows.append(_best_row(code, name, kind, _level_for_kind(kind), req, sel, c_id, c_name, c_area))
    sel = np.flatnonzero(c_level == DISTRICT_LEVEL) if len(c) else np.empty(0, int)
    jrows.append(_best_row(district.code, district.name, "区", DISTRICT_LEVEL, required_m2_district, sel,
                           c_id, c_name, c_area))
    jur_table = pd.DataFrame(jrows)

    # parks without a center
    park_rows = []
    if parks is not None and len(parks):
        p_lon, p_lat = _lonlat(parks)
        p_name = _text(parks, "name")
        p_id = _ids(parks, ("id", "park_id"), prefix="P")
        p_code = _codes(parks, district, p_lon, p_lat)
        park_centers = np.flatnonzero(c_level == "园区") if len(c) else np.empty(0, int)
        for j in range(len(parks)):
            served = False
            for i in park_centers:
                if p_name[j] and c_name[i] and (p_name[j] in c_name[i]):
                    served = True
                    break
                if np.isfinite(p_lon[j]) and np.isfinite(c_lon[i]):
                    if float(haversine_m(p_lon[j], p_lat[j], c_lon[i], c_lat[i])) <= park_match_m:
                        served = True
                        break
            if not served:
                park_rows.append({
                    "id": p_id[j], "name": p_name[j], "jurisdiction_code": p_code[j],
                    "lon": float(p_lon[j]) if np.isfinite(p_lon[j]) else None,
                    "lat": float(p_lat[j]) if np.isfinite(p_lat[j]) else None,
                    "reason": "园区未建立党群活动服务中心（R15：功能园区必须建立）",
                })
    parks_table = pd.DataFrame(park_rows, columns=["id", "name", "jurisdiction_code", "lon", "lat", "reason"])
    return VenueReport(jurisdictions=jur_table, centers=center_table, parks_without_center=parks_table)


def _siting_message(k: int, n_candidates: int, n_proposed: int) -> str | None:
    """Why fewer new sites than asked for, in Chinese (None when the answer needs no explanation)."""
    if k <= 0 or n_proposed >= k:
        return None
    if n_candidates == 0:
        return ("没有候选点，无法建议新址：请提供商务楼宇、园区台账或社区点坐标，或用 candidates 指定候选点"
                " / no candidate sites: give buildings, parks, community points or candidates")
    return (f"只建议 {n_proposed} 处：其余候选点都不能再覆盖新的组织（已覆盖或超出服务半径）"
            f" / only {n_proposed} site(s) add coverage")


def _best_row(code: str, name: str, kind: str, level: str, req: float, sel: np.ndarray,
              c_id: np.ndarray, c_name: np.ndarray, c_area: np.ndarray) -> dict[str, Any]:
    if sel.size == 0:
        ok, short, status = area_verdict(None, float(req), has_center=False)
        return {"jurisdiction_code": code, "name": name, "kind": kind, "level": level, "required_m2": float(req),
                "center_id": None, "center_name": None, "best_m2": None, "compliant": ok,
                "status": status, "shortfall_m2": short}
    best = sel[best_index(c_area[sel].tolist())]
    area = c_area[best]
    ok, short, status = area_verdict(float(area), float(req))
    return {"jurisdiction_code": code, "name": name, "kind": kind, "level": level, "required_m2": float(req),
            "center_id": c_id[best], "center_name": c_name[best],
            "best_m2": float(area) if np.isfinite(area) else None, "compliant": ok, "status": status,
            "shortfall_m2": short}


# ---------------------------------------------------------------- the plan
#: Chinese headers of the exported tables (internal key -> header).
_HEADERS: dict[str, str] = {
    "jurisdiction_code": "镇街代码", "name": "名称", "kind": "类型", "orgs": "组织数", "orgs_covered": "已覆盖组织数",
    "orgs_share": "组织覆盖比例", "members": "正式党员数", "members_covered": "已覆盖党员数",
    "members_share": "党员覆盖比例", "employees": "从业人员数", "employees_covered": "已覆盖从业人员数",
    "employees_share": "从业人员覆盖比例", "orgs_unlocated": "缺坐标组织数", "orgs_uncovered": "未覆盖组织数",
    "orgs_share_after": "新址后组织覆盖比例", "members_share_after": "新址后党员覆盖比例",
    "employees_share_after": "新址后从业人员覆盖比例", "buildings": "商务楼宇数",
    "buildings_uncovered": "未覆盖楼宇数", "rank": "序号", "site_id": "候选点编号", "lon": "经度", "lat": "纬度",
    "jurisdiction_name": "所在镇街", "newly_covered_orgs": "新覆盖组织数", "newly_covered_employees": "新覆盖从业人员",
    "newly_covered_members": "新覆盖党员", "newly_covered_buildings": "新覆盖楼宇", "gain": "新增覆盖需求",
    "reach_m": "服务半径（米）", "level": "层级", "required_m2": "标准面积（平方米）",
    "jurisdiction_has_center": "镇街已有中心", "reason": "说明", "cell_id": "网格编号",
    "center_id": "中心编号", "center_name": "中心名称", "best_m2": "最大面积（平方米）", "compliant": "是否达标",
    "status": "状态", "shortfall_m2": "面积缺口（平方米）", "id": "编号", "floor_area": "建筑面积（平方米）",
    "six_has_missing": "“六有”缺项", "org_id": "组织编号", "new_site": "新址编号", "located": "有坐标",
    "covered_after": "新址后覆盖",
}


@dataclass
class CoveragePlan:
    """Result of :func:`plan_coverage`.

    Attributes
    ----------
    orgs
        Per org: ``id``, ``jurisdiction_code``, ``lon``, ``lat`` (WGS-84), ``located``,
        ``covered`` (by an existing center), ``centers_in_reach``, ``new_site`` (the
        proposed site that newly covers it, if any).
    centers
        Per existing center: ``id``, ``name``, ``level``, ``jurisdiction_code``,
        ``reach_m``, ``own_jurisdiction_only``, ``orgs_in_reach``.
    jurisdictions
        Coverage per town/street: counts and shares of orgs, members and employees
        before and after the proposed sites, unlocated orgs, uncovered buildings.
    district
        The same measures for the whole district (a dict).
    gaps
        Uncovered demand per hexagon: ``cell_id``, ``lon``, ``lat``, ``orgs``,
        ``employees``, ``members``, ``q``, ``r`` (sorted, largest gap first).
    proposed_sites
        The chosen new sites with what each newly covers and what it needs.
    venues
        :class:`VenueReport`.
    buildings_uncovered
        Commercial buildings outside every reach.
    stats
        ``seconds``, ``method``, ``bound``, ``status``, ``demand``, ``distance_source`` ...
    """

    orgs: pd.DataFrame
    centers: pd.DataFrame
    jurisdictions: pd.DataFrame
    district: dict[str, Any]
    gaps: pd.DataFrame
    proposed_sites: pd.DataFrame
    venues: VenueReport
    buildings_uncovered: pd.DataFrame
    stats: dict[str, Any]
    grid: HexGrid | None = field(default=None, repr=False)
    mclp: MCLPResult | None = field(default=None, repr=False)

    def gap_polygons(self) -> Any:
        """The gap cells as a GeoDataFrame of hexagons (EPSG:4326) for maps."""
        import geopandas as gpd
        import shapely

        geoms = []
        if self.grid is not None:
            for q, r in zip(self.gaps["q"], self.gaps["r"]):
                geoms.append(shapely.Polygon(self.grid.boundary(int(q), int(r))))
        return gpd.GeoDataFrame(self.gaps.copy(), geometry=geoms, crs="EPSG:4326")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets for an .xlsx export (Chinese sheet names and headers); the first is the coverage table."""
        district_row = pd.DataFrame([{"jurisdiction_code": self.district.get("code"),
                                      "name": self.district.get("name"), "kind": "全区",
                                      **{k: v for k, v in self.district.items() if k not in ("code", "name")}}])
        cov = pd.concat([self.jurisdictions, district_row[[c for c in district_row.columns
                                                           if c in self.jurisdictions.columns]]],
                        ignore_index=True)
        venues_c = self.venues.centers.copy()
        venues_c["six_has_missing"] = ["、".join(SIX_HAS.get(x, x) for x in v) if isinstance(v, list) else v
                                       for v in venues_c["six_has_missing"]]
        unc = pd.DataFrame(self._uncovered_orgs(),
                           columns=["org_id", "jurisdiction_code", "lon", "lat", "new_site", "reason"])
        sheets = {
            "镇街覆盖": cov,
            "建议新址": self.proposed_sites,
            "覆盖缺口": self.gaps.drop(columns=["q", "r"], errors="ignore"),
            "阵地达标": self.venues.jurisdictions,
            "中心面积": venues_c,
            "无中心园区": self.venues.parks_without_center,
            "未覆盖组织": unc,
            "未覆盖楼宇": self.buildings_uncovered,
        }
        return {name: df.rename(columns=_HEADERS) for name, df in sheets.items()}

    def _uncovered_orgs(self) -> list[dict[str, Any]]:
        o = self.orgs[~self.orgs["covered"].to_numpy(bool)]
        return [
            {"org_id": i, "jurisdiction_code": c, "lon": x if ok else None, "lat": y if ok else None,
             "new_site": s,
             "reason": "不在任何党群活动服务中心服务范围内" if ok else "缺少坐标，无法计算覆盖（请补充经纬度）"}
            for i, c, x, y, ok, s in zip(o["id"], o["jurisdiction_code"], o["lon"], o["lat"], o["located"],
                                         o["new_site"])
        ]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (no NaN: missing values are ``None``)."""
        return jsonable({
            "coverage": {
                "district": self.district,
                "jurisdictions": _records(self.jurisdictions),
            },
            "gaps": _records(self.gaps.drop(columns=["q", "r"], errors="ignore")),
            "proposed_sites": _records(self.proposed_sites),
            "venues": _records(self.venues.jurisdictions),
            "venue_centers": _records(self.venues.centers),
            "parks_without_center": _records(self.venues.parks_without_center),
            "orgs_uncovered": self._uncovered_orgs(),
            "buildings_uncovered": _records(self.buildings_uncovered),
            "centers": _records(self.centers),
            "stats": self.stats,
        })


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(df.columns, row)) for row in df.itertuples(index=False, name=None)]


def _share(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


def _measures(mask_rows: np.ndarray, covered: np.ndarray, members: np.ndarray, employees: np.ndarray,
              located: np.ndarray) -> dict[str, Any]:
    cov = covered & mask_rows
    return {
        "orgs": int(mask_rows.sum()),
        "orgs_covered": int(cov.sum()),
        "orgs_share": _share(cov.sum(), mask_rows.sum()),
        "members": float(members[mask_rows].sum()),
        "members_covered": float(members[cov].sum()),
        "members_share": _share(members[cov].sum(), members[mask_rows].sum()),
        "employees": float(employees[mask_rows].sum()),
        "employees_covered": float(employees[cov].sum()),
        "employees_share": _share(employees[cov].sum(), employees[mask_rows].sum()),
        "orgs_unlocated": int((mask_rows & ~located).sum()),
        "orgs_uncovered": int((mask_rows & located & ~covered).sum()),
    }


def plan_coverage(
    orgs: pd.DataFrame,
    *,
    centers: pd.DataFrame,
    district: District,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    k: int = 0,
    profile: Any = None,
    params: CoverageParams | None = None,
    graph: Any = None,
    demand: Demand = "orgs",
    hex_resolution: int = 8,
    time_limit_s: float = 30.0,
    method: Literal["auto", "exact", "greedy", "local"] = "auto",
    seed: int = 0,
) -> CoveragePlan:
    """Measure service-center coverage, aggregate the gaps and propose up to ``k`` new sites.

    Parameters
    ----------
    orgs
        ``id`` (else ``credit_code``, else the row number), ``lon``, ``lat`` (WGS-84; NaN → not
        covered, counted as unlocated),
        ``jurisdiction_code`` (else ``town`` or by location), ``employees``, ``members``.
    centers
        Existing centers (kept fixed): ``id``, ``name``, ``level``, ``lon``, ``lat``,
        ``floor_area``, ``jurisdiction_code`` (or ``town_code``).
    district
        The district (jurisdictions with ``kind``).
    buildings, parks
        Commercial buildings and parks: coverage of buildings, parks without a center,
        and default candidate sites.
    candidates
        Candidate sites (``site_id``/``id``, ``kind``, ``name``, ``lon``, ``lat``); default
        :func:`candidate_sites` (buildings, parks, community points).
    k
        Number of new sites to propose (0: measure only).
    profile
        Policy profile (object, name or TOML path); default profile when ``None``.
    params
        Explicit :class:`CoverageParams` (overrides ``profile``).
    graph
        Road graph (networkx graph from osmnx, a :class:`~lianxin_geo.core.distance.RoadGraph`,
        or a .graphml/.osm path) for network isochrones; ``None``: great-circle × circuity.
    demand
        What siting maximises: newly covered ``orgs``, ``employees`` or ``members``.
    hex_resolution
        H3-like resolution of the gap grid (8 ≈ 0.74 km² cells).
    time_limit_s
        Time limit of the siting solver.
    method
        Siting solver (see :func:`lianxin_geo.plan.coverage.mclp.solve_mclp`).
    seed
        Seed of the MIP solver.
    """
    t0 = time.perf_counter()
    if params is None:
        params = CoverageParams.from_profile(profile)
    if k < 0:
        raise ValueError(f"新址数量 k 须为非负整数，收到 {k} / k must be >= 0")
    if demand not in ("orgs", "employees", "members"):
        raise ValueError(f"demand 须为 orgs/employees/members，收到 {demand!r}")
    _require(orgs, "组织台账（orgs）", ("lon", "lat"))
    _require(centers, "党群服务中心台账（centers）", ("lon", "lat", "level"))
    centers = centers if centers is not None else pd.DataFrame(columns=["id", "name", "level", "lon", "lat"])
    kinds_by_code = dict(zip(district.jurisdictions["code"].astype(str), district.jurisdictions["kind"].astype(str)))
    names_by_code = district.town_names

    road = None
    if graph is not None:
        from lianxin_geo.core.distance import load_graph_file, prepare_road_graph, RoadGraph

        if isinstance(graph, (str, Path)):
            graph = load_graph_file(graph)
        road = graph if isinstance(graph, RoadGraph) else prepare_road_graph(graph)

    def cover(s_lon: np.ndarray, s_lat: np.ndarray, reach: np.ndarray, own: np.ndarray, s_zone: np.ndarray,
              d_lon: np.ndarray, d_lat: np.ndarray, d_zone: np.ndarray) -> sp.csr_matrix:
        kw: dict[str, Any] = dict(circuity=params.circuity, own_zone_only=own, src_zone=s_zone, dst_zone=d_zone)
        if road is not None:
            return network_coverage_matrix(road, s_lon, s_lat, reach, d_lon, d_lat, **kw)
        return coverage_matrix(s_lon, s_lat, reach, d_lon, d_lat, **kw)

    # ---- orgs
    o_lon, o_lat = _lonlat(orgs)
    o_ok = np.isfinite(o_lon) & np.isfinite(o_lat)
    o_code = _codes(orgs, district, o_lon, o_lat)
    o_emp = np.nan_to_num(_num(orgs, "employees"), nan=0.0)
    o_mem = np.nan_to_num(_num(orgs, "members"), nan=0.0)
    o_id = _ids(orgs, ("id", "credit_code"), prefix="O")

    # ---- centers
    c_lon, c_lat = _lonlat(centers)
    c_code = _codes(centers, district, c_lon, c_lat) if len(centers) else np.empty(0, dtype=object)
    c_level = _text(centers, "level")
    c_kind = np.array([kinds_by_code.get(c) for c in c_code], dtype=object)
    c_reach, c_own = service_reach(
        c_level, c_kind, reach_m_street=params.reach_m_street, reach_m_town=params.reach_m_town,
        district_center_own_town_only=params.district_center_own_town_only,
    )
    a_exist = cover(c_lon, c_lat, c_reach, c_own, c_code, o_lon, o_lat, o_code)
    in_reach = np.asarray(a_exist.sum(axis=0)).reshape(-1).astype(int)
    covered = in_reach > 0
    center_table = pd.DataFrame({
        "id": _ids(centers, ("id", "center_id"), prefix="Z"),
        "name": _text(centers, "name"),
        "level": c_level,
        "jurisdiction_code": c_code,
        "lon": c_lon, "lat": c_lat,
        "reach_m": c_reach,
        "own_jurisdiction_only": c_own,
        "orgs_in_reach": np.asarray(a_exist.sum(axis=1)).reshape(-1).astype(int),
    })

    # ---- buildings
    b_cov = np.zeros(0, dtype=bool)
    b_lon = b_lat = np.zeros(0)
    b_code = np.empty(0, dtype=object)
    if buildings is not None and len(buildings):
        b_lon, b_lat = _lonlat(buildings)
        b_code = _codes(buildings, district, b_lon, b_lat)
        a_b = cover(c_lon, c_lat, c_reach, c_own, c_code, b_lon, b_lat, b_code)
        b_cov = np.asarray(a_b.sum(axis=0)).reshape(-1) > 0

    # ---- siting
    weights = {"orgs": np.ones(len(orgs)), "employees": o_emp, "members": o_mem}[demand]
    sites = pd.DataFrame(columns=["site_id", "kind", "name", "lon", "lat", "jurisdiction_code"])
    result: MCLPResult | None = None
    new_site = np.full(len(orgs), None, dtype=object)
    b_new = np.zeros(b_cov.size, dtype=bool)
    proposed_rows: list[dict[str, Any]] = []
    if k > 0:
        if candidates is None:
            cand = candidate_sites(district, buildings=buildings, parks=parks)
        else:
            _require(candidates, "候选点（candidates）", ("lon", "lat"))
            cand = _site_frame(candidates, kind=None, prefix="")
            cand = cand[np.isfinite(cand["lon"].to_numpy(float)) & np.isfinite(cand["lat"].to_numpy(float))]
            cand = cand.reset_index(drop=True)
        s_lon, s_lat = cand["lon"].to_numpy(float), cand["lat"].to_numpy(float)
        s_code = _codes(cand, district, s_lon, s_lat) if len(cand) else np.empty(0, dtype=object)
        s_kind = np.array([kinds_by_code.get(c) for c in s_code], dtype=object)
        s_reach, s_own = service_reach(
            np.full(len(cand), None, dtype=object), s_kind, reach_m_street=params.reach_m_street,
            reach_m_town=params.reach_m_town, district_center_own_town_only=params.district_center_own_town_only,
        )
        # only orgs not yet covered matter: build the matrix on those alone (the first reduction)
        open_idx = np.flatnonzero(o_ok & ~covered)
        a_sub = cover(s_lon, s_lat, s_reach, s_own, s_code, o_lon[open_idx], o_lat[open_idx], o_code[open_idx])
        result = solve_mclp(a_sub, weights[open_idx], k, time_limit_s=time_limit_s, method=method, seed=seed)
        taken = np.zeros(open_idx.size, dtype=bool)
        a_sub = a_sub.tocsr()
        b_open = np.flatnonzero(~b_cov) if b_cov.size else np.zeros(0, dtype=int)
        a_bs = (cover(s_lon, s_lat, s_reach, s_own, s_code, b_lon[b_open], b_lat[b_open], b_code[b_open]).tocsr()
                if b_open.size else None)
        for rank, (si, gain) in enumerate(zip(result.selected, result.gains), start=1):
            cols = a_sub.indices[a_sub.indptr[si]:a_sub.indptr[si + 1]]
            cols = cols[~taken[cols]]
            taken[cols] = True
            orgs_new = open_idx[cols]
            new_site[orgs_new] = cand["site_id"].iloc[si]
            n_b = 0
            if a_bs is not None:
                bcols = a_bs.indices[a_bs.indptr[si]:a_bs.indptr[si + 1]]
                bcols = bcols[~b_new[b_open[bcols]]]
                b_new[b_open[bcols]] = True
                n_b = int(bcols.size)
            code = s_code[si]
            kind = kinds_by_code.get(code)
            level = _level_for_kind(kind) if code is not None else None
            req = params.required_m2_for_kind(kind) if code is not None else None
            has_own = bool(np.any((c_code == code) & np.isin(c_level, TOWN_STREET_LEVELS))) if len(c_code) else False
            n_o, n_e, n_m = int(orgs_new.size), float(o_emp[orgs_new].sum()), float(o_mem[orgs_new].sum())
            jname = names_by_code.get(code, "辖区外") if code is not None else "辖区外"
            role = "分中心/服务站" if has_own else "镇街党群活动服务中心"
            need = (f"可作为{role}，按{level}标准建筑面积应不少于 {req:.0f} 平方米（R15）" if req is not None
                    else "位于各镇街范围之外，请核实位置或所属镇街（R15 面积标准按所在镇街类型确定）")
            reason = (
                f"第{rank}个新址：位于{jname}（{kind or '未知类型'}），服务半径 {s_reach[si]:.0f} 米，"
                f"新覆盖 {n_o} 家组织、从业人员 {n_e:.0f} 人、党员 {n_m:.0f} 名、商务楼宇 {n_b} 座；{need}"
            )
            proposed_rows.append({
                "rank": rank,
                "site_id": cand["site_id"].iloc[si],
                "kind": cand["kind"].iloc[si],
                "name": cand["name"].iloc[si],
                "lon": float(s_lon[si]),
                "lat": float(s_lat[si]),
                "jurisdiction_code": code,
                "jurisdiction_name": names_by_code.get(code) if code is not None else None,
                "newly_covered_orgs": n_o,
                "newly_covered_employees": n_e,
                "newly_covered_members": n_m,
                "newly_covered_buildings": n_b,
                "gain": float(gain),
                "reach_m": float(s_reach[si]),
                "level": level,
                "required_m2": req,
                "jurisdiction_has_center": has_own,
                "reason": reason,
            })
        sites = cand
    proposed = pd.DataFrame(proposed_rows, columns=[
        "rank", "site_id", "kind", "name", "lon", "lat", "jurisdiction_code", "jurisdiction_name",
        "newly_covered_orgs", "newly_covered_employees", "newly_covered_members", "newly_covered_buildings",
        "gain", "reach_m", "level", "required_m2", "jurisdiction_has_center", "reason",
    ])
    covered_after = covered | np.array([s is not None for s in new_site], dtype=bool)
    b_cov_after = b_cov | b_new

    # ---- coverage tables
    jrows = []
    for code, name, kind in zip(district.jurisdictions["code"].astype(str), district.jurisdictions["name"].astype(str),
                                district.jurisdictions["kind"].astype(str)):
        mask = o_code == code
        row = {"jurisdiction_code": code, "name": name, "kind": kind}
        row.update(_measures(mask, covered, o_mem, o_emp, o_ok))
        after = _measures(mask, covered_after, o_mem, o_emp, o_ok)
        row.update({f"{key}_after": after[key] for key in ("orgs_share", "members_share", "employees_share")})
        bm = b_code == code
        row["buildings"] = int(bm.sum())
        row["buildings_uncovered"] = int((bm & ~b_cov).sum())
        jrows.append(row)
    jur_table = pd.DataFrame(jrows)
    all_rows = np.ones(len(orgs), dtype=bool)
    dist_row = {"code": district.code, "name": district.name}
    dist_row.update(_measures(all_rows, covered, o_mem, o_emp, o_ok))
    after = _measures(all_rows, covered_after, o_mem, o_emp, o_ok)
    dist_row.update({f"{key}_after": after[key] for key in ("orgs_share", "members_share", "employees_share")})
    dist_row["orgs_outside_jurisdictions"] = int(np.sum(o_ok & np.array([c is None for c in o_code], dtype=bool)))
    dist_row["buildings"] = int(b_cov.size)
    dist_row["buildings_uncovered"] = int((~b_cov).sum())
    dist_row["buildings_uncovered_after"] = int((~b_cov_after).sum())

    # ---- gaps on the hex grid
    cx, cy = _district_origin(district)
    grid = HexGrid(resolution=hex_resolution, origin=(cx, cy))
    gap_mask = o_ok & ~covered
    q, r, _ = grid.cells(o_lon[gap_mask], o_lat[gap_mask])
    if q.size:
        per_org = pd.DataFrame({"q": q, "r": r, "orgs": 1, "employees": o_emp[gap_mask], "members": o_mem[gap_mask],
                                "code": pd.Series(o_code[gap_mask], dtype=object).fillna("")})
        gap = per_org.drop(columns="code").groupby(["q", "r"], as_index=False).sum()
        # a cell's jurisdiction: where most of its uncovered orgs are (its centre may fall outside the district)
        top = (per_org.groupby(["q", "r", "code"], as_index=False).size()
               .sort_values(["q", "r", "size", "code"], ascending=[True, True, False, True])
               .drop_duplicates(["q", "r"]))
        gap = gap.merge(top[["q", "r", "code"]], on=["q", "r"], how="left")
        glon, glat = grid.centers(gap["q"].to_numpy(), gap["r"].to_numpy())
        gap.insert(0, "cell_id", [grid.cell_id(a, b) for a, b in zip(gap["q"], gap["r"])])
        gap.insert(1, "lon", glon)
        gap.insert(2, "lat", glat)
        gap["jurisdiction_code"] = [c if c else None for c in gap.pop("code")]
        sort_key = "employees" if demand == "employees" else ("members" if demand == "members" else "orgs")
        gap = gap.sort_values([sort_key, "orgs", "cell_id"], ascending=[False, False, True]).reset_index(drop=True)
        gap["orgs"] = gap["orgs"].astype(int)
    else:
        gap = pd.DataFrame(columns=["cell_id", "lon", "lat", "q", "r", "orgs", "employees", "members",
                                    "jurisdiction_code"])
    gap = gap[["cell_id", "lon", "lat", "orgs", "employees", "members", "jurisdiction_code", "q", "r"]]

    # ---- venues
    venues = venue_compliance(
        centers, district, required_m2_district=params.required_m2_district,
        required_m2_town=params.required_m2_town, required_m2_street=params.required_m2_street,
        parks=parks if params.park_center_required else None, six_has=params.six_has,
    )

    # ---- per-org and buildings tables
    org_table = pd.DataFrame({
        "id": o_id, "jurisdiction_code": pd.Series(o_code, dtype=object), "lon": o_lon, "lat": o_lat,
        "located": o_ok, "covered": covered,
        "centers_in_reach": in_reach, "new_site": pd.Series(new_site, dtype=object),
    })
    if buildings is not None and len(buildings):
        bt = pd.DataFrame({
            "id": _ids(buildings, ("id", "building_id"), prefix="B"),
            "name": _text(buildings, "name"),
            "jurisdiction_code": b_code,
            "lon": b_lon, "lat": b_lat,
            "located": np.isfinite(b_lon) & np.isfinite(b_lat),
            "covered_after": b_cov_after,
        })
        b_table = bt[~b_cov].reset_index(drop=True)
    else:
        b_table = pd.DataFrame(columns=["id", "name", "jurisdiction_code", "lon", "lat", "located", "covered_after"])

    stats = {
        "seconds": time.perf_counter() - t0,
        "method": result.method if result is not None else None,
        "status": result.status if result is not None else None,
        "bound": result.bound if result is not None else None,
        "newly_covered_weight": result.covered_weight if result is not None else 0.0,
        "solver_seconds": result.seconds if result is not None else 0.0,
        "gap": result.gap if result is not None else None,
        "reduced_candidates": result.reduced_shape[0] if result is not None else None,
        "reduced_demand": result.reduced_shape[1] if result is not None else None,
        "demand": demand,
        "k": int(k),
        "candidates": int(len(sites)),
        "orgs": int(len(orgs)),
        "centers": int(len(centers)),
        "distance_source": "road_graph" if road is not None else "great_circle_x_circuity",
        "circuity": params.circuity,
        "reach_m_street": params.reach_m_street,
        "reach_m_town": params.reach_m_town,
        "hex_resolution": int(hex_resolution),
        "hex_cell_km2": grid.cell_area_m2 / 1e6,
        "message": _siting_message(int(k), int(len(sites)), len(proposed)),
    }
    return CoveragePlan(
        orgs=org_table, centers=center_table, jurisdictions=jur_table, district=dist_row, gaps=gap,
        proposed_sites=proposed, venues=venues, buildings_uncovered=b_table, stats=stats, grid=grid, mclp=result,
    )


def _district_origin(district: District) -> tuple[float, float]:
    """Centroid (lon, lat) of the district outline (the hex grid's fixed origin)."""
    import shapely

    c = shapely.centroid(district.outline)
    return float(c.x), float(c.y)
