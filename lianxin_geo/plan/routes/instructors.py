"""Instructor workloads and visiting routes (R11, R12): the pandas adapter.

R12: one part-time party-building instructor (党建工作指导员) looks after about 10
organizations; R11: organizations without party members get work coverage through
an instructor. Instructors visit in person, so each one's organizations should be
close together ("地域相邻") and of similar industries ("行业相近"), and the route
from the base (the town's party-mass service center by default) and back short.

:func:`plan_instructor_routes` works with the instructors the ledger names (column
``instructor``), each person counted once: they keep their orgs, the orgs still without an
instructor (and new joint units) go to the nearest of them with room, and only the rest
are grouped into new instructor posts (one capacitated VRP per town, solved by
:func:`~lianxin_geo.plan.routes.workloads.plan_workloads`). Every instructor's orgs are
visited in the shortest order (:mod:`lianxin_geo.plan.routes._tour`), cut into working days
no longer than the profile's working day. Reported lengths use the real distances (the
industry surcharge only steers the solver).

Who takes which org is decided here, for the whole district; the solving is then one task per town
(:mod:`lianxin_geo.plan.routes._towns`) run by the parallel engine (:mod:`lianxin_geo.core.engine`), and the
tours come back in town order, so the plan is the same on every scheduler. A town whose task fails is reported
(``InstructorPlan.failures``, the plan ``partial``) and its orgs are listed as unassigned with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.core.distance import RoadGraph, as_road_graph, haversine_m
from lianxin_geo.core.district import District
from lianxin_geo.core.engine import Engine, TaskFailure, get_engine
from lianxin_geo.core.policy import Profile
from lianxin_geo.plan.routes._bases import choose_bases
from lianxin_geo.plan.routes._people import assign_nearest
from lianxin_geo.plan.routes._rows import assignment_counts, route_rows, town_table
from lianxin_geo.plan.routes._sites import (
    Sites,
    default_needs_instructor,
    industry_labels,
    visiting_sites,
)
from lianxin_geo.plan.routes._towns import Solve, TownRun, TownTask, search_work, solve_town, task_cost
from lianxin_geo.plan.routes.cvrp import TIME_CAP
from lianxin_geo.plan.routes.params import InstructorParams
from lianxin_geo.plan.routes.result import (
    ROUTE_COLUMNS,
    STOP_COLUMNS,
    UNASSIGNED_COLUMNS,
    InstructorPlan,
)

__all__ = ["MISSING_COORDS", "NO_TOWN", "TOWN_FAILED", "default_needs_instructor", "industry_labels",
           "plan_instructor_routes"]

MISSING_COORDS = "缺少坐标"
NO_TOWN = "无法确定所属镇街（不在辖区内且未填写所属镇街）"
#: ``unassigned.reason`` of the orgs of a town whose solving task failed.
TOWN_FAILED = "{town}路线求解失败，本镇街未排路线：{reason}"


# ============================================================== who takes which org
def _place_with_named(s: Sites, free: np.ndarray, group: np.ndarray, prm: InstructorParams, *,
                      cross_town: bool) -> np.ndarray:
    """Owner of every site after giving the free ones to the nearest named instructor with room.

    Room is first up to ``orgs_per_instructor``; when fewer than ``min_orgs`` orgs of a town are
    left (too few for a new post) the town's instructors take them up to ``max_orgs``.
    """
    owner = s.owner.copy()
    people = s.people
    # the load that stays: kept orgs, with or without coordinates (a hub replaced by its unit counts once)
    load = np.bincount(owner[owner >= 0], minlength=len(people)).astype(int)
    pools: list[tuple[np.ndarray, list[int]]] = []
    if cross_town:
        pools.append((free, list(range(len(people)))))
    else:
        for code in sorted(set(group[free].tolist())):
            pools.append((free[group[free] == code], [p for p in range(len(people)) if people.homes[p] == code]))
    for sites, persons in pools:
        if not persons or not sites.size:
            continue
        for ceiling, only_if_few in ((prm.orgs_per_instructor, False), (prm.max_orgs, True)):
            left = sites[owner[sites] < 0]
            if not left.size or (only_if_few and left.size >= prm.min_orgs):
                continue
            room = np.maximum(ceiling - load[persons], 0)
            got = assign_nearest(s.lon[left], s.lat[left], people, persons, room)
            owner[left] = got
            np.add.at(load, got[got >= 0], 1)
    return owner


# ============================================================== towns, one task each
def _town_tasks(work: list[str], s: Sites, ok: np.ndarray, owner: np.ndarray, group: np.ndarray,
                homes: list[str], base_of: Mapping[str, Mapping[str, Any]]) -> list[TownTask]:
    """One :class:`TownTask` per town of ``work``: its named people's orgs, then its orgs for new posts."""
    tasks = []
    for code in work:
        parts: list[np.ndarray] = []
        named = []
        at = 0
        for p in [p for p in range(len(s.people)) if homes[p] == code]:
            idx = np.flatnonzero(ok & (owner == p))
            if not idx.size:
                continue
            base = base_of.get(code) or {"name": "组织分布中心（无服务中心与驻地）", "lon": float(np.mean(s.lon[idx])),
                                         "lat": float(np.mean(s.lat[idx])), "kind": "质心"}
            named.append((p, s.people.names[p], at, at + idx.size, dict(base)))
            parts.append(idx)
            at += idx.size
        rest = np.flatnonzero(ok & (owner < 0) & (group == code))
        parts.append(rest)
        idx = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
        base = base_of.get(code) if rest.size else None
        tasks.append(TownTask(code=code, idx=idx, lon=s.lon[idx], lat=s.lat[idx], groups=s.groups[idx],
                              named=tuple(named), rest=(at, at + rest.size),
                              base=None if base is None else dict(base)))
    return tasks


def _solve_towns(tasks: list[TownTask], sv: Solve, prm: InstructorParams, *, engine: Engine | str | None,
                 names: Mapping[str, str], progress: Callable[..., None] | None) -> tuple[TownRun, list[TaskFailure]]:
    """Every town through the engine; the tours merged in the towns' order whatever the finishing order."""
    keys = [t.code for t in tasks]
    labels = [names.get(t.code, t.code) for t in tasks]

    def tick(done: int, total: int, label: str) -> None:
        if progress is not None:
            progress(f"{label}：完成", done / max(total, 1))

    res = get_engine(engine).map(solve_town, tasks, keys=keys, labels=labels,
                                 cost=[task_cost(t, sv.block_size, prm.orgs_per_instructor) for t in tasks],
                                 progress=tick, solve=sv, prm=prm)
    run = TownRun()
    for town in res.ordered(keys):
        run.merge(town)
    return run, list(res.failures)


def _stats(routes: pd.DataFrame, stops: pd.DataFrame, s: Sites, prm: InstructorParams, *, run: TownRun,
           road: RoadGraph | None, solver: str, cross_town: bool, t0: float) -> dict[str, Any]:
    """The plan's statistics (see :class:`~lianxin_geo.plan.routes.result.InstructorPlan`)."""
    source = " + ".join(sorted(run.sources)) if run.sources else ("road" if road is not None else "great_circle")
    return {
        "orgs": int(routes["stops"].sum()),
        "candidates": s.candidates,
        "instructors": int(routes["instructor_id"].nunique()),
        "total_km": round(float(sum(routes["length_km"])), 3),
        "seconds": round(time.perf_counter() - t0, 2),
        "distance_source": source,
        "circuity": prm.circuity,
        "solver": solver,
        "solver_status": ", ".join(f"{k}×{v}" for k, v in sorted(run.statuses.items())),
        "time_capped": int(run.statuses.get(TIME_CAP, 0)),
        "speed_kmh": prm.speed_kmh,
        "visit_minutes": prm.visit_minutes,
        "orgs_per_instructor": prm.orgs_per_instructor,
        "max_orgs": prm.max_orgs,
        "min_orgs": prm.min_orgs,
        "cross_town": bool(cross_town),
        "instructors_listed": len(s.people),
        "instructors_cross_town": int(sum(len(t) > 1 for t in s.people.towns)),
        **assignment_counts(routes, stops),
        "covered_by_units": s.covered,
        "routes": len(routes),
        "routes_split": int(routes.loc[routes["days"] > 1, "instructor_id"].nunique()),
        "working_day_minutes": prm.working_day_minutes,
        "max_day_minutes": round(float(routes["minutes"].max()), 1) if len(routes) else 0.0,
        "days_over_working_day": int((routes["minutes"] > prm.working_day_minutes).sum())
        if prm.working_day_minutes is not None else 0,
    }


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
    engine: Engine | str | None = None,
) -> InstructorPlan:
    """Plan instructor workloads and visiting routes: named instructors first, then new posts.

    Parameters
    ----------
    orgs
        Ledger frame with ``id``, ``name``, ``lon``, ``lat`` (WGS-84, may be NaN),
        ``jurisdiction_code``, ``industry``, ``party_status``, ``members``,
        ``instructor`` (the person's name); optional ``needs_instructor`` (bool) from the
        assessment, used instead of :func:`default_needs_instructor`.
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
        Wall-clock safety cap of all the searches, shared among them in proportion to their expected work
        (stops², see :meth:`~lianxin_geo.plan.routes._towns.Solve.budget`; exact tours take none). The
        searches normally stop long before, after a number of iterations without improvement scaled to each
        problem's size (:func:`~lianxin_geo.plan.routes.cvrp.search_limits`); a search the cap stops has the
        status ``TIME_CAP`` (counted in ``stats["solver_status"]`` and ``stats["time_capped"]``).
    cross_town
        Let an organization go to the nearest named instructor or base of another town.
    extra_sites
        Proposed joint units / new organizations (``id``, ``lon``, ``lat``,
        ``jurisdiction_code``, optional ``name``/``industry``, and ``hub_id`` (牵头单位) and
        ``org_ids`` (the member orgs) — their separate visits are replaced by the unit's),
        planned when ``include_new_units`` is true.
    bases
        User-given bases (``jurisdiction_code``, ``lon``, ``lat``, optional ``name``), overriding centers.
    replan
        Re-plan organizations that already have an instructor (the named instructors stay
        the people available, nearest to the orgs they know).
    seed
        Solver seed.
    progress
        Called as ``progress(message, fraction)`` after each town, in this process, as towns finish (the
        project's progress convention).
    industry_penalty
        Relative surcharge on arcs between different industry groups ("行业相近").
    block_size
        Towns with more organizations for new posts are split into angular sectors around the base of
        at most this size.
    solver, max_iterations
        CVRP back end and optional iteration bound (see :func:`~lianxin_geo.plan.routes.routing.solve_cvrp`).
    params
        Explicit rule values instead of reading ``profile`` (give one of the two).
    include_new_units
        Plan ``extra_sites`` too; ``None`` follows ``instructors.include_new_units``. The
        pipeline (:func:`lianxin_geo.pipeline.run_routes`) always passes its decision here, so the
        two never disagree.
    engine
        Where the towns are solved, one task per town (:class:`~lianxin_geo.core.engine.Engine` or a
        scheduler name; ``None``: :func:`~lianxin_geo.core.engine.get_engine`). The plan is the same on every
        scheduler: each town's seed comes from ``seed`` and its code, and the solver stops by counts scaled to
        the town's size. A town whose task fails is listed in ``failures`` (the plan is then ``partial``) and its
        orgs in ``unassigned``; the other towns are planned.

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
    s = visiting_sites(orgs, extra_sites, prm, district=district, replan=replan)
    has_xy = np.isfinite(s.lon) & np.isfinite(s.lat)
    no_town = has_xy & np.array([t is None for t in s.towns], dtype=bool) & (s.owner < 0)
    unassigned = [(s.ids[i], MISSING_COORDS) for i in np.flatnonzero(~has_xy)]
    unassigned += [(s.ids[i], NO_TOWN) for i in np.flatnonzero(no_town)]
    ok = has_xy & ~no_town
    towns = np.array(["" if t is None else str(t) for t in s.towns], dtype=object)

    codes = set(towns[ok].tolist()) | {h for h in s.people.homes if h}
    if cross_town:
        codes |= set(district.jurisdictions["code"].astype(str))
    centroid = {c: (float(np.mean(s.lon[ok & (towns == c)])), float(np.mean(s.lat[ok & (towns == c)])))
                for c in sorted(set(towns[ok].tolist()))}
    base_of = choose_bases(sorted(codes), district=district, centers=centers, bases=bases, centroid=centroid)
    group = towns.copy()
    free = np.flatnonzero(ok & (s.owner < 0))
    if cross_town and free.size:  # nearest base (any town) decides where a new post would sit
        codes_b = sorted(c for c in codes if c in base_of)
        blon = np.array([base_of[c]["lon"] for c in codes_b])
        blat = np.array([base_of[c]["lat"] for c in codes_b])
        d = haversine_m(s.lon[free][:, None], s.lat[free][:, None], blon[None, :], blat[None, :])
        group[free] = [codes_b[j] for j in np.argmin(d, axis=1)]
    owner = _place_with_named(s, free, group, prm, cross_town=cross_town)

    homes = [h or next((towns[i] for i in np.flatnonzero(ok & (owner == p))), "")
             for p, h in enumerate(s.people.homes)]
    work = sorted({homes[p] for p in set(owner[ok & (owner >= 0)].tolist())} |
                  set(group[ok & (owner < 0)].tolist()))
    tasks = _town_tasks(work, s, ok, owner, group, homes, base_of)
    sv = Solve(road=road, time_limit_s=time_limit_s,
               total_work=sum(search_work(t, block_size, prm.orgs_per_instructor) for t in tasks),
               industry_penalty=industry_penalty, block_size=block_size, seed=seed, solver=solver,
               max_iterations=max_iterations)
    run, failures = _solve_towns(tasks, sv, prm, engine=engine, names=district.town_names, progress=progress)
    by_code = {t.code: t for t in tasks}
    for f in failures:  # never present a failed town's orgs as planned
        unassigned += [(s.ids[i], TOWN_FAILED.format(town=f.label, reason=f.reason)) for i in by_code[f.key].idx]

    routes_rows, stop_rows = route_rows(run.tours, s, prm, district)
    routes = pd.DataFrame(routes_rows, columns=list(ROUTE_COLUMNS))
    stops = pd.DataFrame(stop_rows, columns=list(STOP_COLUMNS)).astype({"org_id": object})
    towns_tbl = town_table(routes, stops, homes, district, prm, group_codes=work)
    stats = _stats(routes, stops, s, prm, run=run, road=road, solver=solver, cross_town=cross_town, t0=t0)
    return InstructorPlan(routes=routes, stops=stops,
                          unassigned=pd.DataFrame(unassigned, columns=list(UNASSIGNED_COLUMNS)),
                          towns=towns_tbl, stats=stats, params=prm, failures=tuple(failures))
