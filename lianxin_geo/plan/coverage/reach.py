"""Service reach of centers and the boolean coverage matrices (sources × destinations), on arrays.

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

Distances are great-circle × ``circuity`` (:func:`coverage_matrix`) or along a road graph
(:func:`network_coverage_matrix`, network isochrones).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from lianxin_geo.assessment.venues import DISTRICT_LEVEL
from lianxin_geo.core.distance import RoadGraph, RoutingWarning, as_road_graph, haversine_m, local_xy_m
from lianxin_geo.plan.coverage.params import TOWN_KINDS, CoverageParams

__all__ = ["service_reach", "coverage_matrix", "network_coverage_matrix"]

#: levels of neighbourhood venues, which always get the street (walking) reach
_LOCAL_LEVELS: tuple[str, ...] = ("园区", "社区", "楼宇")


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
    reach_m_street, reach_m_town, district_center_own_town_only
        The profile's values (:class:`~lianxin_geo.plan.coverage.params.CoverageParams`).

    Returns
    -------
    reach, own
        Reach in metres (float) and the own-jurisdiction flag (bool), one per center.
    """
    levels = np.asarray(levels, dtype=object)
    kinds = np.asarray(kinds, dtype=object)
    is_town = np.isin(kinds, TOWN_KINDS)
    reach = np.where(is_town, float(reach_m_town), float(reach_m_street)).astype(float)
    local = np.isin(levels, _LOCAL_LEVELS)
    reach[local] = float(reach_m_street)
    own = (levels == DISTRICT_LEVEL) & bool(district_center_own_town_only)
    return reach, own


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


def _snap(road: RoadGraph, tree: cKDTree, lat0: float, lon: np.ndarray, lat: np.ndarray,
          max_snap_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest graph node, snap distance (m) and "on the graph" flag (within ``max_snap_m``) per point."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    node = np.zeros(lon.size, dtype=np.int64)
    dist = np.full(lon.size, np.inf)
    if ok.any():
        _, nn = tree.query(local_xy_m(lon[ok], lat[ok], lat0=lat0), k=1)
        node[ok] = nn
        dist[ok] = haversine_m(lon[ok], lat[ok], road.lon[nn], road.lat[nn])
    return node, dist, ok & (dist <= max_snap_m)


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

    ``road`` is anything :func:`lianxin_geo.core.distance.as_road_graph` accepts (a
    :class:`~lianxin_geo.core.distance.RoadGraph`, a networkx graph or a file path). Each
    point is snapped to its nearest node; the access legs (great-circle × ``circuity``)
    are added at both ends. Points farther than ``max_snap_m`` (a snapping tolerance, not
    a policy value) from the graph fall back to great-circle × ``circuity`` (a
    :class:`~lianxin_geo.core.distance.RoutingWarning` says how many). Walking and
    driving both use the graph as given (directed).
    """
    road = as_road_graph(road)
    src_lon = np.asarray(src_lon, dtype=float)
    src_lat = np.asarray(src_lat, dtype=float)
    dst_lon = np.asarray(dst_lon, dtype=float)
    dst_lat = np.asarray(dst_lat, dtype=float)
    reach = np.broadcast_to(np.asarray(reach_m, dtype=float), src_lon.shape).copy()
    n, m = src_lon.size, dst_lon.size
    lat0 = float(np.mean(road.lat))
    tree = cKDTree(local_xy_m(road.lon, road.lat, lat0=lat0))
    s_node, s_snap, s_on = _snap(road, tree, lat0, src_lon, src_lat, max_snap_m)
    d_node, d_snap, d_on = _snap(road, tree, lat0, dst_lon, dst_lat, max_snap_m)
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


@dataclass(frozen=True)
class _Servers:
    """Centers or candidate sites as arrays: where they stand, their jurisdiction, reach and zone rule."""

    lon: np.ndarray
    lat: np.ndarray
    code: np.ndarray
    reach: np.ndarray
    own: np.ndarray

    @classmethod
    def of(cls, lon: np.ndarray, lat: np.ndarray, code: np.ndarray, levels: np.ndarray,
           kinds_by_code: dict[str, str], params: CoverageParams) -> "_Servers":
        """Servers with the reach of their level and jurisdiction kind (:func:`service_reach`)."""
        kinds = np.array([kinds_by_code.get(c) for c in code], dtype=object)
        reach, own = service_reach(levels, kinds, reach_m_street=params.reach_m_street,
                                   reach_m_town=params.reach_m_town,
                                   district_center_own_town_only=params.district_center_own_town_only)
        return cls(lon=lon, lat=lat, code=code, reach=reach, own=own)


@dataclass(frozen=True)
class _Reach:
    """How coverage is measured in one plan: along ``road`` when given, else great-circle × ``circuity``."""

    circuity: float
    road: RoadGraph | None = None

    def matrix(self, servers: _Servers, lon: np.ndarray, lat: np.ndarray, code: np.ndarray) -> sp.csr_matrix:
        """Boolean servers × points matrix of who is within whose reach."""
        kw: dict[str, Any] = dict(circuity=self.circuity, own_zone_only=servers.own, src_zone=servers.code,
                                  dst_zone=code)
        if self.road is not None:
            return network_coverage_matrix(self.road, servers.lon, servers.lat, servers.reach, lon, lat, **kw)
        return coverage_matrix(servers.lon, servers.lat, servers.reach, lon, lat, **kw)

    @property
    def source(self) -> str:
        """The ``distance_source`` reported in the plan's stats."""
        return "road_graph" if self.road is not None else "great_circle_x_circuity"
