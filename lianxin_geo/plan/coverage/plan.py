"""Service-center coverage, gaps, new-site proposals and venue compliance: :func:`plan_coverage`.

The "15-minute party-mass service circle" (15分钟党群服务圈) made measurable:

* **service areas**: every party-mass service center (党群活动服务中心) reaches
  the orgs within a distance that depends on where it stands (R15 profile keys
  ``coverage.reach_m_street`` / ``coverage.reach_m_town``; :mod:`.reach`), measured along the
  road graph when one is given (network isochrones) and otherwise as great-circle
  distance × ``distance.circuity``;
* **coverage** per town/street and for the district: share of orgs, of formal
  members and of employees within reach; orgs and commercial buildings outside
  every reach (:mod:`.tables`);
* **gaps**: uncovered orgs and employees summed on an equal-area hexagon grid (:mod:`.hexgrid`);
* **siting**: up to ``k`` new centers among candidate sites maximising newly
  covered demand (maximal covering location problem, :mod:`.sites`, :mod:`.mclp`),
  each proposal explained;
* **venue compliance** (R15/R16): per jurisdiction compliant / below standard
  (shortfall m²) / missing, per center, and parks without a center (R15, R23; :mod:`.venues`).

Every policy value comes from the profile through :class:`~.params.CoverageParams`.
"""

from __future__ import annotations

import os
import time
from typing import Any, Literal

import numpy as np
import pandas as pd

from lianxin_geo.core.distance import RoadGraph, as_road_graph
from lianxin_geo.core.district import District
from lianxin_geo.core.frames import texts
from lianxin_geo.core.policy import Profile
from lianxin_geo.plan.coverage._frames import Orgs, Points, ids, require_columns
from lianxin_geo.plan.coverage.params import CoverageParams
from lianxin_geo.plan.coverage.reach import _Reach, _Servers
from lianxin_geo.plan.coverage.result import CoveragePlan
from lianxin_geo.plan.coverage.sites import Demand, Siting, site_new_centers, siting_message
from lianxin_geo.plan.coverage.tables import (
    buildings_table,
    coverage_tables,
    district_grid,
    gap_table,
    org_table,
)
from lianxin_geo.plan.coverage.venues import venue_compliance

__all__ = ["plan_coverage"]

_DEMANDS: tuple[str, ...] = ("orgs", "employees", "members")


def _check(k: int, demand: str, orgs: pd.DataFrame, centers: pd.DataFrame | None) -> None:
    if k < 0:
        raise ValueError(f"新址数量 k 须为非负整数，收到 {k} / k must be >= 0")
    if demand not in _DEMANDS:
        raise ValueError(f"demand 须为 orgs/employees/members，收到 {demand!r}")
    require_columns(orgs, "组织台账（orgs）", ("lon", "lat"))
    require_columns(centers, "党群服务中心台账（centers）", ("lon", "lat", "level"))


def plan_coverage(
    orgs: pd.DataFrame,
    *,
    centers: pd.DataFrame,
    district: District,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    k: int = 0,
    profile: Profile | str | os.PathLike[str] | None = None,
    params: CoverageParams | None = None,
    graph: RoadGraph | Any = None,
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
        :func:`~lianxin_geo.plan.coverage.sites.candidate_sites` (buildings, parks, community points).
    k
        Number of new sites to propose (0: measure only).
    profile
        Policy profile (object, name or TOML path); default profile when ``None``.
    params
        Explicit :class:`~lianxin_geo.plan.coverage.params.CoverageParams` (overrides ``profile``).
    graph
        Road graph (anything :func:`lianxin_geo.core.distance.as_road_graph` accepts: a networkx
        graph from osmnx, a :class:`~lianxin_geo.core.distance.RoadGraph`, or a .graphml/.osm path)
        for network isochrones; ``None``: great-circle × circuity.
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
    _check(k, demand, orgs, centers)
    centers = centers if centers is not None else pd.DataFrame(columns=["id", "name", "level", "lon", "lat"])
    reach = _Reach(circuity=params.circuity, road=as_road_graph(graph) if graph is not None else None)
    kinds_by_code = dict(zip(district.jurisdictions["code"].astype(str), district.jurisdictions["kind"].astype(str)))

    o = Orgs.read(orgs, district)
    c_pts = Points.read(centers, district)
    c_level = texts(centers, "level", empty=None)
    servers = _Servers.of(c_pts.lon, c_pts.lat, c_pts.code, c_level, kinds_by_code, params)
    a_exist = reach.matrix(servers, o.lon, o.lat, o.code)
    in_reach = np.asarray(a_exist.sum(axis=0)).reshape(-1).astype(int)
    covered = in_reach > 0
    center_table = pd.DataFrame({
        "id": ids(centers, ("id", "center_id"), prefix="Z"),
        "name": texts(centers, "name", empty=None),
        "level": c_level,
        "jurisdiction_code": c_pts.code,
        "lon": c_pts.lon, "lat": c_pts.lat,
        "reach_m": servers.reach,
        "own_jurisdiction_only": servers.own,
        "orgs_in_reach": np.asarray(a_exist.sum(axis=1)).reshape(-1).astype(int),
    })

    b = Points.read(buildings, district)
    b_cov = (np.asarray(reach.matrix(servers, b.lon, b.lat, b.code).sum(axis=0)).reshape(-1) > 0
             if b.lon.size else np.zeros(0, dtype=bool))

    siting = site_new_centers(
        candidates, district=district, params=params, reach=reach, orgs=o, covered=covered, buildings=b,
        buildings_covered=b_cov, buildings_frame=buildings, parks=parks, center_code=c_pts.code,
        center_level=c_level, k=k, demand=demand, time_limit_s=time_limit_s, method=method, seed=seed,
    )
    covered_after = covered | np.array([s is not None for s in siting.new_site], dtype=bool)
    b_cov_after = b_cov | siting.buildings_new
    jur_table, dist_row = coverage_tables(district, o, covered, covered_after, b, b_cov, b_cov_after)
    grid = district_grid(district, hex_resolution)
    venues = venue_compliance(
        centers, district, required_m2_district=params.required_m2_district,
        required_m2_town=params.required_m2_town, required_m2_street=params.required_m2_street,
        parks=parks if params.park_center_required else None, six_has=params.six_has,
        six_has_required=params.six_has_required,
    )
    return CoveragePlan(
        orgs=org_table(o, covered, in_reach, siting.new_site), centers=center_table, jurisdictions=jur_table,
        district=dist_row, gaps=gap_table(grid, o, o.located & ~covered, demand),
        proposed_sites=siting.proposed, venues=venues,
        buildings_uncovered=buildings_table(buildings, b, b_cov, b_cov_after),
        stats=_stats(t0, siting, params, reach, demand=demand, k=k, n_orgs=len(orgs), n_centers=len(centers),
                     hex_resolution=hex_resolution, cell_area_m2=grid.cell_area_m2),
        grid=grid, mclp=siting.mclp,
    )


def _stats(t0: float, siting: Siting, params: CoverageParams, reach: _Reach, *, demand: str, k: int, n_orgs: int,
           n_centers: int, hex_resolution: int, cell_area_m2: float) -> dict[str, Any]:
    """The plan's ``stats`` (keys in the order of the CLI's JSON)."""
    result = siting.mclp
    return {
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
        "candidates": int(len(siting.candidates)),
        "orgs": int(n_orgs),
        "centers": int(n_centers),
        "distance_source": reach.source,
        "circuity": params.circuity,
        "reach_m_street": params.reach_m_street,
        "reach_m_town": params.reach_m_town,
        "hex_resolution": int(hex_resolution),
        "hex_cell_km2": cell_area_m2 / 1e6,
        "message": siting_message(int(k), int(len(siting.candidates)), len(siting.proposed)),
    }
