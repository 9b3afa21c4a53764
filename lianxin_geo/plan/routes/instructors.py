"""Instructor workloads and visiting routes (R11, R12): the pandas adapter.

R12: one part-time party-building instructor (党建工作指导员) looks after about 10
organizations; R11: organizations without party members get work coverage through
an instructor. Instructors visit in person, so each one's organizations should be
close together ("地域相邻") and of similar industries ("行业相近"), and the route
from the base (the town's party-mass service center by default) and back short.

:func:`plan_instructor_routes` reads the ledger, the service centers, the district and
the policy profile (once, as :class:`~lianxin_geo.plan.routes.params.InstructorParams`),
groups the organizations needing an instructor per town/street (optionally across towns)
and hands one distance matrix per town to the array core
:func:`~lianxin_geo.plan.routes.workloads.plan_workloads`. Reported lengths use the real
distances (the industry surcharge only steers the solver).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.core.distance import RoadGraph, as_road_graph, haversine_m
from lianxin_geo.core.district import District, normalize_text
from lianxin_geo.core.frames import blank, column, numbers
from lianxin_geo.core.industry import industry_group
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.core.model import PARTY_NONE
from lianxin_geo.core.policy import Profile
from lianxin_geo.plan.routes._bases import choose_bases, town_of
from lianxin_geo.plan.routes.navigation import amap_leg_urls, amap_route_url, baidu_leg_urls, baidu_route_url
from lianxin_geo.plan.routes.params import InstructorParams
from lianxin_geo.plan.routes.result import (
    ROUTE_COLUMNS,
    STOP_COLUMNS,
    TOWN_COLUMNS,
    UNASSIGNED_COLUMNS,
    InstructorPlan,
)
from lianxin_geo.plan.routes.routing import distance_matrix
from lianxin_geo.plan.routes.workloads import plan_workloads

__all__ = ["MISSING_COORDS", "NO_TOWN", "default_needs_instructor", "industry_labels", "plan_instructor_routes"]

MISSING_COORDS = "缺少坐标"
NO_TOWN = "无法确定所属镇街（不在辖区内且未填写所属镇街）"


def industry_labels(values: Sequence[Any], profile: Profile | str | None = None) -> np.ndarray:
    """The profile's industry group of every free-text industry (``""`` when unknown)."""
    groups = industry_group(list(values), profile)
    return np.asarray(["" if g is None else str(g) for g in groups], dtype=object)


def default_needs_instructor(orgs: pd.DataFrame, *, replan: bool = False) -> pd.Series:
    """Default R11 mask: no party organization, no members, and (unless ``replan``) no instructor yet.

    ``party_status`` missing counts as 未建立 (the ledger default); ``members``
    missing counts as 0.
    """
    status = column(orgs, "party_status").map(lambda v: normalize_text(v) or PARTY_NONE).to_numpy()
    members = np.nan_to_num(numbers(orgs, "members"), nan=0.0)
    need = (status == PARTY_NONE) & (members <= 0)
    if not replan:
        need = need & blank(orgs, "instructor")
    return pd.Series(need.astype(bool), index=orgs.index)


# ============================================================== candidates
@dataclass(frozen=True)
class _Candidates:
    """The orgs (and new sites) to route, as arrays aligned with ``frame``."""

    frame: pd.DataFrame
    ids: list[Any]
    names: list[str]
    industries: list[str]
    groups: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    towns: np.ndarray


def _candidates(orgs: pd.DataFrame, extra_sites: pd.DataFrame | None, prm: InstructorParams, *,
                district: District, replan: bool) -> _Candidates:
    if "needs_instructor" in orgs:
        need = orgs["needs_instructor"].fillna(False).astype(bool).to_numpy()
        if not replan:
            need = need & blank(orgs, "instructor")
    else:
        need = default_needs_instructor(orgs, replan=replan).to_numpy()
    cand = orgs.loc[need]
    if extra_sites is not None and len(extra_sites) and prm.include_new_units:
        ex = extra_sites
        if "name" not in ex:
            ex = ex.assign(name=["新建党组织 " + str(x) for x in ex["id"]])
        cand = pd.concat([cand, ex], ignore_index=True)
    cand = cand.reset_index(drop=True)
    ids = [jsonable(x) for x in cand["id"]]
    names = [str(x) if normalize_text(x) else str(i) for x, i in zip(column(cand, "name"), cand["id"])]
    industries = [str(x) if normalize_text(x) else "" for x in column(cand, "industry")]
    groups = industry_labels(column(cand, "industry").tolist(), prm.profile)
    return _Candidates(frame=cand, ids=ids, names=names, industries=industries, groups=groups,
                       lon=numbers(cand, "lon"), lat=numbers(cand, "lat"), towns=town_of(cand, district))


# ============================================================== routes
def _bearing(lo: float, la: float, base: Mapping[str, Any]) -> float:
    return float(np.arctan2(la - base["lat"], (lo - base["lon"]) * math.cos(math.radians(base["lat"]))))


def _sectors(lon: np.ndarray, lat: np.ndarray, base: Mapping[str, Any], block_size: int, target: int) -> list[np.ndarray]:
    """Split a large town into angular sectors around the base, each a multiple of ``target`` in size."""
    n = lon.size
    if n <= block_size:
        return [np.arange(n)]
    ang = np.arctan2(lat - base["lat"], (lon - base["lon"]) * math.cos(math.radians(base["lat"])))
    order = np.argsort(ang, kind="stable")
    n_blocks = math.ceil(n / block_size)
    size = math.ceil(n / n_blocks / target) * target
    return [order[i:i + size] for i in range(0, n, size)]


def _route(instructor_id: str, code: str, nodes: Sequence[int], idx: np.ndarray, matrix: np.ndarray,
           base: Mapping[str, Any], c: _Candidates, district: District, prm: InstructorParams,
           status: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One route row and its stop rows from solver nodes (1..n of the town's matrix)."""
    nodes_a = np.asarray(nodes, dtype=int)
    path = np.concatenate([[0], nodes_a, [0]])
    legs_m = matrix[path[:-1], path[1:]]
    legs_km = [float(x) / 1000.0 for x in legs_m]
    length_km = float(np.sum(legs_m)) / 1000.0
    sel = idx[nodes_a - 1]
    stops_lon = [base["lon"], *c.lon[sel].tolist(), base["lon"]]
    stops_lat = [base["lat"], *c.lat[sel].tolist(), base["lat"]]
    stop_names = [base["name"], *(c.names[i] for i in sel), base["name"]]
    rb = {k: (round(v, 7) if isinstance(v, float) else v) for k, v in base.items()}
    route = {
        "instructor_id": instructor_id,
        "jurisdiction_code": str(code),
        "town_name": district.town_names.get(str(code), str(code)),
        "base_name": rb["name"], "base_lon": rb["lon"], "base_lat": rb["lat"], "base_kind": rb["kind"],
        "org_ids": tuple(c.ids[i] for i in sel),
        "stops": int(sel.size),
        "length_km": length_km,
        "return_km": legs_km[-1],
        "minutes": length_km / prm.speed_kmh * 60.0 + prm.visit_minutes * sel.size,
        "status": status,
        "amap": amap_route_url(stops_lon, stops_lat, stop_names),
        "baidu": baidu_route_url(stops_lon, stops_lat, stop_names),
        "amap_legs": tuple(amap_leg_urls(stops_lon, stops_lat, stop_names)),
        "baidu_legs": tuple(baidu_leg_urls(stops_lon, stops_lat, stop_names)),
    }
    stops = [{"instructor_id": instructor_id, "order": k + 1, "org_id": c.ids[i], "name": c.names[i],
              "industry": c.industries[i], "jurisdiction_code": str(c.towns[i]), "lon": float(c.lon[i]),
              "lat": float(c.lat[i]), "leg_km": legs_km[k]} for k, i in enumerate(sel.tolist())]
    return route, stops


@dataclass
class _Run:
    """What the per-town solves add up to."""

    routes: list[dict[str, Any]]
    stops: list[dict[str, Any]]
    sources: set[str]
    statuses: dict[str, int]


def _plan_town(code: str, members: np.ndarray, base: Mapping[str, Any], c: _Candidates, run: _Run, *,
               district: District, prm: InstructorParams, road: RoadGraph | None, time_limit_s: float, total_n: int,
               industry_penalty: float, block_size: int, seed: int, solver: str,
               max_iterations: int | None) -> None:
    counter = 0
    for blk in _sectors(c.lon[members], c.lat[members], base, block_size, prm.orgs_per_instructor):
        idx = members[blk]
        plon = np.concatenate([[base["lon"]], c.lon[idx]])
        plat = np.concatenate([[base["lat"]], c.lat[idx]])
        dm = distance_matrix(plon, plat, graph=road, circuity=prm.circuity)
        run.sources.add(dm.source)
        budget = max(0.2, float(time_limit_s) * idx.size / total_n)  # shared in proportion to size
        rts, status = plan_workloads(dm.matrix, orgs_per_instructor=prm.orgs_per_instructor, max_orgs=prm.max_orgs,
                                     industry=np.concatenate([[""], c.groups[idx]]), industry_penalty=industry_penalty,
                                     time_limit_s=budget, seed=seed, solver=solver, max_iterations=max_iterations)
        run.statuses[status] = run.statuses.get(status, 0) + 1
        for r in sorted(rts, key=lambda r: _bearing(plon[r[0]], plat[r[0]], base)):
            counter += 1
            route, stops = _route(f"{code}-{counter:02d}", code, r, idx, dm.matrix, base, c, district, prm, status)
            run.routes.append(route)
            run.stops.extend(stops)


def _town_table(routes: pd.DataFrame, orgs: pd.DataFrame, district: District, prm: InstructorParams,
                *, group_codes: Sequence[str]) -> pd.DataFrame:
    available: dict[str, int] = {}
    if "instructor" in orgs and len(orgs):
        seen: dict[str, set[str]] = {}
        for c, nme in zip(town_of(orgs, district), orgs["instructor"].map(normalize_text).tolist()):
            if c is not None and nme:
                seen.setdefault(str(c), set()).add(nme)
        available = {k: len(v) for k, v in seen.items()}
    rows = []
    for code in sorted(set(group_codes) | set(available)):
        rs = routes[routes["jurisdiction_code"] == code]
        sizes = rs["stops"].to_numpy(dtype=float)
        km = rs["length_km"].to_numpy(dtype=float)
        need = len(rs)
        have = available.get(code, 0)
        rows.append({
            "jurisdiction_code": code,
            "town_name": district.town_names.get(code, code),
            "orgs": int(sizes.sum()) if sizes.size else 0,
            "instructors_needed": need,
            "instructors_available": have,
            "instructors_gap": max(need - have, 0),
            "orgs_min": int(sizes.min()) if sizes.size else 0,
            "orgs_mean": round(float(sizes.mean()), 2) if sizes.size else 0.0,
            "orgs_max": int(sizes.max()) if sizes.size else 0,
            "routes_below_band": int((sizes < prm.min_orgs).sum()) if sizes.size else 0,
            "km_total": round(float(km.sum()), 2) if km.size else 0.0,
            "km_mean": round(float(km.mean()), 2) if km.size else 0.0,
            "km_max": round(float(km.max()), 2) if km.size else 0.0,
        })
    return pd.DataFrame(rows, columns=list(TOWN_COLUMNS))


# ============================================================== adapter
def plan_instructor_routes(
    orgs: pd.DataFrame,
    *,
    centers: pd.DataFrame | None,
    district: District,
    profile: Profile | str | None = None,
    graph: Any = None,
    time_limit_s: float = 30.0,
    cross_town: bool = False,
    extra_sites: pd.DataFrame | None = None,
    bases: pd.DataFrame | None = None,
    replan: bool = False,
    seed: int = 0,
    progress: Callable[..., None] | None = None,
    industry_penalty: float = 0.25,
    block_size: int = 600,
    solver: str = "pyvrp",
    max_iterations: int | None = None,
    params: InstructorParams | None = None,
    include_new_units: bool | None = None,
) -> InstructorPlan:
    """Plan instructor workloads and visiting routes for the organizations that need an instructor.

    Parameters
    ----------
    orgs
        Ledger frame with ``id``, ``name``, ``lon``, ``lat`` (WGS-84, may be NaN),
        ``jurisdiction_code``, ``industry``, ``party_status``, ``members``,
        ``instructor``; optional ``needs_instructor`` (bool) from the assessment,
        used instead of :func:`default_needs_instructor`.
    centers
        Party-mass service centers (``name``, ``level``, ``lon``, ``lat`` and
        ``jurisdiction_code`` or ``town``); the town's 镇级/街道级 center is its base.
    district
        The district (town names, seats, point-in-polygon for missing towns).
    profile
        Policy profile (name, path or :class:`~lianxin_geo.core.policy.Profile`; None = default).
    graph
        Road graph (networkx/osmnx graph, :class:`~lianxin_geo.core.distance.RoadGraph` or
        a ``.graphml``/``.osm`` path); None = great circle × ``distance.circuity``.
    time_limit_s
        Total solver budget, shared among towns in proportion to their size.
    cross_town
        Let an organization join the instructor of the nearest base in another town.
    extra_sites
        Proposed joint units / new organizations (``id``, ``lon``, ``lat``,
        ``jurisdiction_code``, optional ``name``/``industry``), planned when
        ``include_new_units`` is true.
    bases
        User-given bases (``jurisdiction_code``, ``lon``, ``lat``, optional ``name``), overriding centers.
    replan
        Re-plan organizations that already have an instructor.
    seed
        Solver seed.
    progress
        Called as ``progress(message, fraction)`` after each town (the project's progress convention).
    industry_penalty
        Relative surcharge on arcs between different industry groups ("行业相近").
    block_size
        Towns with more organizations are split into angular sectors around the base of at most this size.
    solver, max_iterations
        CVRP back end and optional iteration bound (see :func:`~lianxin_geo.plan.routes.routing.solve_cvrp`).
    params
        Explicit rule values instead of reading ``profile`` (give one of the two).
    include_new_units
        Plan ``extra_sites`` too; ``None`` follows ``instructors.include_new_units``. The
        pipeline (:func:`lianxin_geo.pipeline.run_routes`) always passes its decision here, so the
        two never disagree.

    Returns
    -------
    InstructorPlan
    """
    t0 = time.perf_counter()
    if params is not None and profile is not None:
        raise TypeError("plan_instructor_routes：profile 与 params 只能给一个（params 已含策略配置的取值）")
    prm = params if params is not None else InstructorParams.from_profile(profile)
    if include_new_units is not None:
        prm = replace(prm, include_new_units=bool(include_new_units))
    if "id" not in orgs:
        raise ValueError("组织表缺少 id 列（单位编号）：请先读取并校验台账")
    road = as_road_graph(graph) if graph is not None else None
    c = _candidates(orgs, extra_sites, prm, district=district, replan=replan)
    has_xy = np.isfinite(c.lon) & np.isfinite(c.lat)
    no_town = has_xy & np.array([t is None for t in c.towns], dtype=bool)
    unassigned = [(c.ids[i], MISSING_COORDS) for i in np.flatnonzero(~has_xy)]
    unassigned += [(c.ids[i], NO_TOWN) for i in np.flatnonzero(no_town)]
    ok = np.flatnonzero(has_xy & ~no_town)
    towns_ok = np.array([str(t) for t in c.towns[ok]], dtype=object)

    centroid = {code: (float(np.mean(c.lon[ok[towns_ok == code]])), float(np.mean(c.lat[ok[towns_ok == code]])))
                for code in sorted(set(towns_ok))}
    all_codes = sorted(set(towns_ok))
    if cross_town:
        all_codes = sorted(set(all_codes) | set(district.jurisdictions["code"].astype(str)))
    base_of = choose_bases(all_codes, district=district, centers=centers, bases=bases, centroid=centroid)
    group = towns_ok.copy()
    if cross_town and ok.size:  # nearest base (any town) decides the instructor
        codes_b = [code for code in all_codes if code in base_of]
        blon = np.array([base_of[code]["lon"] for code in codes_b])
        blat = np.array([base_of[code]["lat"] for code in codes_b])
        d = haversine_m(c.lon[ok][:, None], c.lat[ok][:, None], blon[None, :], blat[None, :])
        group = np.array([codes_b[j] for j in np.argmin(d, axis=1)], dtype=object)

    run = _Run(routes=[], stops=[], sources=set(), statuses={})
    groups = sorted(set(group))
    for gi, code in enumerate(groups):
        _plan_town(code, ok[group == code], base_of[code], c, run, district=district, prm=prm, road=road,
                   time_limit_s=time_limit_s, total_n=max(ok.size, 1), industry_penalty=industry_penalty,
                   block_size=block_size, seed=seed, solver=solver, max_iterations=max_iterations)
        if progress is not None:
            progress(f"{district.town_names.get(code, code)}：完成", (gi + 1) / len(groups))

    routes = pd.DataFrame(run.routes, columns=list(ROUTE_COLUMNS))
    stops = pd.DataFrame(run.stops, columns=list(STOP_COLUMNS)).astype({"org_id": object})
    source = " + ".join(sorted(run.sources)) if run.sources else ("road" if road is not None else "great_circle")
    stats = {
        "orgs": int(routes["stops"].sum()),
        "candidates": int(len(c.frame)),
        "instructors": len(routes),
        "total_km": round(float(sum(routes["length_km"])), 3),
        "seconds": round(time.perf_counter() - t0, 2),
        "distance_source": source,
        "circuity": prm.circuity,
        "solver": solver,
        "solver_status": ", ".join(f"{k}×{v}" for k, v in sorted(run.statuses.items())),
        "speed_kmh": prm.speed_kmh,
        "visit_minutes": prm.visit_minutes,
        "orgs_per_instructor": prm.orgs_per_instructor,
        "max_orgs": prm.max_orgs,
        "min_orgs": prm.min_orgs,
        "cross_town": bool(cross_town),
    }
    return InstructorPlan(routes=routes, stops=stops,
                          unassigned=pd.DataFrame(unassigned, columns=list(UNASSIGNED_COLUMNS)),
                          towns=_town_table(routes, orgs, district, prm, group_codes=groups), stats=stats, params=prm)
