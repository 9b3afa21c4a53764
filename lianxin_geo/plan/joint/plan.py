"""Joint party-unit proposals (联建方案): the pandas/geo adapter over the array solver.

:func:`plan_joint_units` reads the rule values once
(:class:`~lianxin_geo.plan.joint.params.JointParams`), reads the ledger columns
(:mod:`lianxin_geo.core.frames`), projects lon/lat to UTM 50N metres, calls
:func:`lianxin_geo.plan.joint.solver.solve_joint_units`, and returns a
:class:`~lianxin_geo.plan.joint.result.JointPlan`: the units (member orgs, 牵头单位, industry,
members, employees, radius, suggested venue, a Chinese reason), the orgs left out with why
and the next option, the existing joint orgs kept, and the violations found by the
independent checker :mod:`lianxin_geo.plan.joint.rules` (empty for a plan of this module;
the table is there so every front end shows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer

from lianxin_geo.core.distance import geodesic_m
from lianxin_geo.core.engine import Engine, TaskFailure, get_engine, task_seed
from lianxin_geo.core.district import District
from lianxin_geo.core.frames import numbers, texts
from lianxin_geo.core.policy import Profile
from lianxin_geo.plan.joint import _explain
from lianxin_geo.plan.joint.params import FORM_AREA, FORM_BUILDING, FORM_INDUSTRY, FORM_PARK, JointParams
from lianxin_geo.plan.joint.result import KEPT_COLUMNS, UNIT_COLUMNS, UNPLACED_COLUMNS, VIOLATION_COLUMNS, JointPlan
from lianxin_geo.plan.joint.rules import (
    _flags,
    _town_kinds,
    check_accounting,
    check_kept_units,
    default_eligible,
    existing_joint_mask,
    groups_similar,
    org_groups,
    radius_per_org,
    town_adjacency,
    validate_proposal,
)
from lianxin_geo.plan.joint.solver import (
    KIND_BUILDING,
    KIND_COMMUNITY,
    NEXT_CROSS_TOWN,
    SolverResult,
    SolverUnit,
    explain_left,
    solve_joint_units,
)

__all__ = ["RADIUS_SAFETY", "SECONDS_PER_ORG", "plan_joint_units"]

#: The solver works on UTM distances, which differ from ellipsoidal ones by < 0.05 % in Shunyi;
#: it plans against this fraction of each limit so the (exact) checker never sees a boundary case.
RADIUS_SAFETY = 0.998


@cache
def _utm50n() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _utm50n().transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _venue_table(centers: pd.DataFrame | None, buildings: pd.DataFrame | None) -> pd.DataFrame:
    """Candidate venues: service centers and buildings with a 楼宇工作站."""
    parts = []
    if centers is not None and len(centers):
        parts.append(pd.DataFrame({
            "name": texts(centers, "name"), "lon": numbers(centers, "lon"), "lat": numbers(centers, "lat"),
            "type": ["党群活动服务中心（" + (lv or "未注明层级") + "）" for lv in texts(centers, "level")]}))
    if buildings is not None and len(buildings):
        b = buildings[_flags(buildings, "workstation")]
        if len(b):
            parts.append(pd.DataFrame({"name": texts(b, "name"), "lon": numbers(b, "lon"), "lat": numbers(b, "lat"),
                                       "type": "楼宇工作站"}))
    if not parts:
        return pd.DataFrame(columns=["name", "lon", "lat", "type"])
    v = pd.concat(parts, ignore_index=True)
    return v[np.isfinite(v["lon"]) & np.isfinite(v["lat"])].reset_index(drop=True)


@dataclass(frozen=True)
class _Ledger:
    """The ledger columns the planner reads, as arrays aligned with ``orgs`` (towns filled in)."""

    orgs: pd.DataFrame
    ids: np.ndarray
    names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    members: np.ndarray
    employees: np.ndarray
    town: np.ndarray
    groups: np.ndarray
    eligible: np.ndarray
    radius: np.ndarray
    building: np.ndarray
    park: np.ndarray
    community: np.ndarray

    @classmethod
    def read(cls, orgs: pd.DataFrame, district: District | None, params: JointParams, *,
             reoptimize: bool) -> _Ledger:
        orgs = orgs.reset_index(drop=True)
        lon, lat = numbers(orgs, "lon"), numbers(orgs, "lat")
        town = texts(orgs, "jurisdiction_code")
        if district is not None and (town == "").any():  # no town given: the polygon the point falls in
            assigned = district.assign(lon, lat)
            fill = (town == "") & np.array([a is not None for a in assigned])
            town[fill] = np.array(assigned, dtype=object)[fill]
            orgs = orgs.assign(jurisdiction_code=town)
        return cls(orgs=orgs, ids=texts(orgs, "id"), names=texts(orgs, "name"), lon=lon, lat=lat,
                   members=np.nan_to_num(numbers(orgs, "members"), nan=0.0).astype(np.int64),
                   employees=np.nan_to_num(numbers(orgs, "employees"), nan=0.0), town=town,
                   groups=org_groups(orgs, params.profile).to_numpy(dtype=object),
                   eligible=default_eligible(orgs, params, reoptimize=reoptimize),
                   radius=radius_per_org(orgs, district, params),
                   building=texts(orgs, "building"), park=texts(orgs, "park"), community=texts(orgs, "community"))


def _kept_units(led: _Ledger, district: District | None, params: JointParams) -> pd.DataFrame:
    """The existing joint orgs kept as they are, each with the rules it breaks and a suggestion (拆分/调整)."""
    ex = existing_joint_mask(led.orgs)
    jid = texts(led.orgs, "joint_org_id")
    rows = []
    for j in sorted(set(jid[ex].tolist())):
        idx = np.flatnonzero(ex & (jid == j))
        rows.append({"joint_org_id": j, "org_ids": tuple(led.ids[idx].tolist()),
                     "members": int(led.members[idx].sum()), "jurisdiction_code": led.town[idx[0]]})
    for row, (found, suggestion) in zip(rows, check_kept_units(rows, led.orgs, district=district, params=params)):
        row["violations"] = tuple({"rule": v["rule"], "message": v["message"]} for v in found)
        row["suggestion"] = suggestion
    return pd.DataFrame(rows, columns=list(KEPT_COLUMNS))


def _town_components(led: _Ledger, pool: np.ndarray, district: District | None,
                     params: JointParams) -> list[list[str]]:
    """The towns of the pool in groups no unit can cross: one town each, or adjacent towns when units may cross.

    Groups are sorted (towns within a group, groups by their first town), so the tasks are the same on every run.
    """
    towns = sorted(set(led.town[pool].tolist()))
    root = {t: t for t in towns}

    def find(t: str) -> str:
        while root[t] != t:
            root[t] = root[root[t]]
            t = root[t]
        return t

    if params.allow_cross_town:
        for pair in town_adjacency(district):
            if len(pair) == 2:
                a, b = sorted(pair)
                if a in root and b in root:
                    ra, rb = find(a), find(b)
                    if ra != rb:
                        root[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for t in towns:
        groups.setdefault(find(t), []).append(t)
    return sorted(groups.values())


def _solve_towns(towns: list[str], *, led: _Ledger, pool: np.ndarray, district: District | None,
                 params: JointParams, time_limit_s: float, seed: int) -> SolverResult:
    """One engine task: solve the pool's orgs of these towns (a group no unit crosses), in pool positions.

    The unit member and hub indices of the result are positions in ``pool``. Only the units travel back: why the
    others are left out is judged on the whole pool afterwards (:func:`_solve_by_towns`).
    """
    pos = np.flatnonzero(np.isin(led.town[pool], towns))
    res = _solve(led, pool[pos], district, params, time_limit_s=time_limit_s,
                 seed=task_seed(seed, "+".join(towns)))
    units = [SolverUnit(members=pos[u.members], hub=int(pos[u.hub]), kind=u.kind) for u in res.units]
    empty = np.zeros(0, dtype=np.int64)
    return SolverResult(units, empty, empty, empty, res.seconds, res.exact_components, stats=dict(res.stats))


def _merge(led: _Ledger, pool: np.ndarray, parts: list[SolverResult]) -> SolverResult:
    """The tasks' units as one result: ordered by the hub's town, then its rank (as one solve orders them)."""
    m, emp = led.members[pool], led.employees[pool]
    rank = np.empty(pool.size, dtype=np.int64)
    rank[np.lexsort((np.arange(pool.size), -emp, -m))] = np.arange(pool.size)
    units = sorted((u for r in parts for u in r.units), key=lambda u: (led.town[pool[u.hub]], rank[u.hub]))
    unit_of = np.full(pool.size, -1, dtype=np.int64)
    for k, u in enumerate(units):
        unit_of[u.members] = k
    none = np.zeros(pool.size, dtype=np.int64)  # the reasons are found on the whole pool afterwards
    return SolverResult(units, unit_of, none, none.copy(), sum(r.seconds for r in parts),
                        sum(r.exact_components for r in parts),
                        stats={"time_capped": any(r.stats.get("time_capped", False) for r in parts)})


def _solver_inputs(led: _Ledger, pool: np.ndarray, district: District | None,
                   params: JointParams) -> tuple[tuple, dict[str, Any]]:
    """Integer labels for the pool (towns, groups, similar pairs, adjacency, sites): the array solver's arguments."""
    town_labels = sorted(set(led.town[pool].tolist()))
    t_code = {c: k for k, c in enumerate(town_labels)}
    group_labels = sorted(set(led.groups[pool].tolist()))
    g_code = {c: k for k, c in enumerate(group_labels)}
    similar_pairs = [(a, b) for a in range(len(group_labels)) for b in range(a + 1, len(group_labels))
                     if groups_similar(group_labels[a], group_labels[b], params.profile)]
    adjacency = [(t_code[a], t_code[b]) for pair in town_adjacency(district) if len(pair) == 2
                 for a, b in [tuple(sorted(pair))] if a in t_code and b in t_code]
    site = _sites(led, params)
    s_code = {c: k for k, c in enumerate(sorted(set(site[pool].tolist()) - {""}))}
    c_code = {c: k for k, c in enumerate(sorted({(led.town[i], led.community[i]) for i in pool.tolist()
                                                 if led.community[i]}))}
    x, y = _project(led.lon[pool], led.lat[pool]) if pool.size else (np.zeros(0), np.zeros(0))
    args = (x, y, led.members[pool], led.employees[pool],
            np.array([t_code[t] for t in led.town[pool]], dtype=np.int64),
            np.array([g_code[g] for g in led.groups[pool]], dtype=np.int64),
            similar_pairs or None,
            np.array([s_code.get(s, -1) for s in site[pool]], dtype=np.int64))
    kwargs = dict(
        max_units=params.max_units, min_members=params.min_members, max_members=params.max_members,
        max_radius_m=led.radius[pool] * RADIUS_SAFETY, allow_similar=params.allow_similar_industry,
        allow_cross_town=params.allow_cross_town, adjacency=adjacency or None, forms=params.solver_forms(),
        community=np.array([c_code.get((led.town[i], led.community[i]), -1) for i in pool.tolist()], dtype=np.int64),
        area_radius_m=params.max_radius_m_area * RADIUS_SAFETY,
    )
    return args, kwargs


def _solve(led: _Ledger, pool: np.ndarray, district: District | None, params: JointParams, *,
           time_limit_s: float, seed: int) -> SolverResult:
    """The array solver on the pool."""
    args, kwargs = _solver_inputs(led, pool, district, params)
    return solve_joint_units(*args, time_limit_s=time_limit_s, seed=seed, **kwargs)


def _sites(led: _Ledger, params: JointParams) -> np.ndarray:
    """Per org its building (``B:…``) or park (``P:…``) key for the site forms the profile allows, else ""."""
    bld = led.building if FORM_BUILDING in params.forms else np.full(led.building.size, "", dtype=object)
    prk = led.park if FORM_PARK in params.forms else np.full(led.park.size, "", dtype=object)
    return np.where(bld != "", "B:" + bld.astype(str), np.where(prk != "", "P:" + prk.astype(str), ""))


def _form(kind: str, g_idx: np.ndarray, h: int, led: _Ledger) -> tuple[str, str]:
    """(form, site kind) of a solver unit: 楼宇联建 / 园区联建 by the shared site, 区域联建, else 同业联建."""
    if kind == KIND_BUILDING:
        if led.building[h] and all(led.building[i] == led.building[h] for i in g_idx):
            return FORM_BUILDING, "building"
        return FORM_PARK, "park"
    return (FORM_AREA, "") if kind == KIND_COMMUNITY else (FORM_INDUSTRY, "")


def _units(res: SolverResult, led: _Ledger, pool: np.ndarray, params: JointParams, venues: pd.DataFrame,
           town_names: dict[str, str]) -> pd.DataFrame:
    """One row per solver unit (see :data:`~lianxin_geo.plan.joint.result.UNIT_COLUMNS`)."""
    rows = []
    per_town: dict[str, int] = {}
    for u in res.units:
        g_idx = pool[u.members]
        h = int(pool[u.hub])
        tc = led.town[h]
        per_town[tc] = per_town.get(tc, 0) + 1
        d = geodesic_m(np.full(g_idx.size, led.lon[h]), np.full(g_idx.size, led.lat[h]), led.lon[g_idx],
                       led.lat[g_idx])
        others = d[g_idx != h]
        rad = float(others.max()) if others.size else 0.0
        ugroups = sorted(set(led.groups[g_idx].tolist()))
        utowns = sorted(set(led.town[g_idx].tolist()))
        venue = (None, None, np.nan)
        if len(venues):
            dv = geodesic_m(np.full(len(venues), led.lon[h]), np.full(len(venues), led.lat[h]), venues["lon"],
                            venues["lat"])
            k = int(np.argmin(dv))
            venue = (venues.at[k, "name"], venues.at[k, "type"], float(dv[k]))
        m_total = int(led.members[g_idx].sum())
        form, site_kind = _form(u.kind, g_idx, h, led)
        site_h = led.park[h] if site_kind == "park" else (led.building[h] or led.park[h])
        site_of = led.park if site_kind == "park" else np.where(led.building != "", led.building, led.park)
        shared_site = bool(site_h) and all(site_of[i] == site_h for i in g_idx)
        limit = float(led.radius[g_idx].min())
        if form == FORM_AREA and not all(led.community[i] for i in g_idx):
            limit = min(limit, params.max_radius_m_area)
        reason = _explain.unit_reason(
            kind=u.kind, site_kind=site_kind, town_text="、".join(town_names.get(t, t) for t in utowns),
            site=site_h if shared_site else "",
            groups=ugroups, n_orgs=len(g_idx), members=m_total, hub_label=led.names[h] or led.ids[h],
            hub_members=int(led.members[h]), hub_employees=int(led.employees[h]), radius_m=rad,
            limit_m=limit, params=params)
        rows.append({
            "unit_id": f"LJ-{tc}-{per_town[tc]:03d}", "jurisdiction_code": tc, "jurisdiction_codes": tuple(utowns),
            "industry": "、".join(ugroups), "mixed_industry": len(ugroups) > 1, "kind": u.kind,
            "org_ids": tuple(led.ids[g_idx].tolist()), "org_names": tuple(led.names[g_idx].tolist()),
            "hub_id": led.ids[h], "hub_name": led.names[h], "hub_lon": float(led.lon[h]), "hub_lat": float(led.lat[h]),
            "members": m_total, "employees": int(led.employees[g_idx].sum()), "radius_m": rad,
            "total_distance_m": float(d.sum()), "venue_name": venue[0], "venue_type": venue[1],
            "venue_distance_m": venue[2], "reason": reason, "form": form,
        })
    return pd.DataFrame(rows, columns=list(UNIT_COLUMNS))


def _unplaced(res: SolverResult, led: _Ledger, pool: np.ndarray, params: JointParams,
              town_kinds: dict[str, str], *, skip: np.ndarray) -> list[dict[str, Any]]:
    """The eligible orgs the solver left out, with why and what next (``skip``: pool positions of failed tasks)."""
    out = []
    left = np.zeros(pool.size, dtype=bool)
    left[np.flatnonzero(res.unit_of < 0)] = True
    left[skip] = False
    for k in np.flatnonzero(left).tolist():
        i = int(pool[k])
        why = _explain.unplaced_reason(int(res.reason[k]), kind_word=town_kinds.get(led.town[i], "镇街"),
                                       radius_m=float(led.radius[i]),
                                       area_radius_m=min(float(led.radius[i]), params.max_radius_m_area),
                                       has_community=bool(led.community[i]),
                                       cross_town_next=int(res.next_option[k]) == NEXT_CROSS_TOWN, params=params)
        out.append({"org_id": led.ids[i], "name": led.names[i], "jurisdiction_code": led.town[i], "reason": why,
                    "next_option": _explain.next_option(int(res.next_option[k]), params)})
    return out


#: Estimated seconds of one core per eligible org of a town task (the 5,000-org demo: ~0.5 s for ~800 orgs);
#: the engine uses it to balance the tasks and to decide whether the job is worth worker processes.
SECONDS_PER_ORG = 6e-4


def _solve_by_towns(led: _Ledger, pool: np.ndarray, district: District | None, params: JointParams, *,
                    engine: Engine | str | None, town_names: dict[str, str], time_limit_s: float, seed: int,
                    progress: Callable[..., Any] | None) -> tuple[SolverResult, list[TaskFailure], np.ndarray]:
    """Solve each group of towns no unit crosses as one engine task; merge the results.

    Returns the merged result, the failed tasks and the pool positions of their orgs.
    """
    groups = _town_components(led, pool, district, params)
    sizes = [int(np.isin(led.town[pool], g).sum()) for g in groups]

    def step(done: int, total: int, label: str) -> None:
        _report(progress, 0.25 + 0.55 * done / max(total, 1), f"联建方案：{label}（{done}/{total}）")

    out = get_engine(engine).map(
        _solve_towns, groups, keys=["+".join(g) for g in groups],
        labels=["、".join(town_names.get(t, t) for t in g) for g in groups],
        cost=[n * SECONDS_PER_ORG for n in sizes], progress=step,
        led=led, pool=pool, district=district, params=params, time_limit_s=time_limit_s, seed=seed)
    failed_towns = [t for f in out.failures for t in f.key.split("+")]
    failed_pos = np.flatnonzero(np.isin(led.town[pool], failed_towns))
    merged = _merge(led, pool, list(out.values.values()))
    # why an org is left out looks at the whole district (e.g. the same industry in an adjacent town)
    args, kwargs = _solver_inputs(led, pool, district, params)
    reason, nxt = explain_left(merged.unit_of, *args, **kwargs)
    merged = SolverResult(merged.units, merged.unit_of, reason, nxt, merged.seconds, merged.exact_components,
                          stats=merged.stats)
    return merged, list(out.failures), failed_pos


def _failed_unplaced(led: _Ledger, idx: np.ndarray, failures: list[TaskFailure]) -> list[dict[str, Any]]:
    """The orgs of towns whose task failed: listed as not planned, with the reason (never silently dropped)."""
    why = {t: f.reason for f in failures for t in f.key.split("+")}
    return [{"org_id": led.ids[i], "name": led.names[i], "jurisdiction_code": led.town[i],
             "reason": f"本镇街的联建方案计算失败，未能规划：{why.get(led.town[i], '')}",
             "next_option": "请重新运行；仍失败时用 --scheduler sync 运行以查看详细错误"} for i in idx.tolist()]


def _existing_unplaced(led: _Ledger, params: JointParams, unplaced: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-optimizing: members of existing joint orgs that the rules do not let into a new unit, with why.

    Also puts "keep the old joint org" first in the next option of the regroupable ones left out.
    """
    ex = existing_joint_mask(led.orgs)
    jid = texts(led.orgs, "joint_org_id")
    pos = {k: i for i, k in enumerate(led.ids.tolist())}
    for r in unplaced:
        i = pos[r["org_id"]]
        if ex[i]:
            r["next_option"] = _explain.or_keep(r["next_option"], jid[i])
    out = []
    for i in np.flatnonzero(ex & ~led.eligible).tolist():
        why, nxt = _explain.not_regrouped(joint_org_id=jid[i], members=int(led.members[i]),
                                          in_site=bool(led.building[i] or led.park[i]), params=params)
        out.append({"org_id": led.ids[i], "name": led.names[i], "jurisdiction_code": led.town[i], "reason": why,
                    "next_option": nxt})
    return out


#: Upper edge of the middle bin of members per unit in ``stats.size_distribution.members`` (a display
#: choice: below the committee threshold, from it up to this edge, above it).
_MEMBER_BIN_EDGE = 15


def _size_stats(units: pd.DataFrame, params: JointParams) -> dict[str, Any]:
    """Orgs and formal members per unit, units per form, units that can elect a committee (支委会)."""
    sizes = [len(ids) for ids in units["org_ids"]]
    members = [int(m) for m in units["members"]]
    low, com = params.min_members, params.committee_min_members
    edge = max(_MEMBER_BIN_EDGE, com)
    bins = {f"{low}-{com - 1}": (low, com - 1), f"{com}-{edge}": (com, edge), f"{edge + 1}+": (edge + 1, None)}
    by_members = {k: sum(1 for m in members if m >= lo and (hi is None or m <= hi)) for k, (lo, hi) in bins.items()}
    by_form = {f: int(sum(units["form"] == f)) for f in params.forms}
    by_form.update({f: int(n) for f, n in units["form"].value_counts().items() if f not in by_form})
    return {
        "size_distribution": {"orgs": {str(k): sizes.count(k) for k in sorted(set(sizes))}, "members": by_members},
        "mean_orgs_per_unit": round(float(np.mean(sizes)), 2) if sizes else 0.0,
        "mean_members_per_unit": round(float(np.mean(members)), 2) if members else 0.0,
        "units_by_form": by_form,
        "units_with_committee": sum(1 for m in members if m >= com),
        "committee_min_members": com,
    }


def _stats(units: pd.DataFrame, res: SolverResult, led: _Ledger, kept: pd.DataFrame, n_unplaced: int, t0: float, *,
           reoptimize: bool, params: JointParams) -> dict[str, Any]:
    # every org the plan accounts for besides the kept units: placed + unplaced == eligible
    n_elig = int((led.eligible | (existing_joint_mask(led.orgs) if reoptimize else False)).sum())
    placed = int(sum(len(ids) for ids in units["org_ids"]))
    radii = units["radius_m"].tolist()
    return {
        "eligible": n_elig,
        "placed": placed,
        "unplaced": n_unplaced,
        "units": len(units),
        "mixed_units": int(sum(units["mixed_industry"])),
        "cross_town_units": int(sum(len(t) > 1 for t in units["jurisdiction_codes"])),
        "kept_units": len(kept),
        "mean_radius_m": round(float(np.mean(radii)), 1) if radii else 0.0,
        "max_radius_m": round(float(np.max(radii)), 1) if radii else 0.0,
        "total_distance_m": round(float(sum(units["total_distance_m"].tolist())), 1),
        "exact_components": int(res.exact_components),
        "seconds": round(time.perf_counter() - t0, 3),
        "placed_share": round(placed / n_elig, 4) if n_elig else 0.0,
        **_size_stats(units, params),
        "kept_units_with_violations": int(sum(1 for v in kept.get("violations", []) if len(v))),
        "status": "time_limit" if res.stats.get("time_capped") else "ok",
    }


def _report(progress: Callable[..., Any] | None, frac: float, msg: str) -> None:
    if progress is not None:
        progress(msg, frac)


def plan_joint_units(
    orgs: pd.DataFrame,
    *,
    district: District | None,
    centers: pd.DataFrame | None = None,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    profile: Profile | str | None = None,
    reoptimize: bool = False,
    cross_town: bool | None = None,
    include_zero_member_in_building: bool | None = None,
    seed: int = 0,
    progress: Callable[..., Any] | None = None,
    time_limit_s: float = 30.0,
    params: JointParams | None = None,
    engine: Engine | str | None = None,
) -> JointPlan:
    """Propose joint party units (联建方案) that satisfy every rule of the profile at once.

    Parameters
    ----------
    orgs
        Org ledger: ``id``, ``name``, ``lon``, ``lat`` (WGS-84), ``jurisdiction_code``,
        ``industry``, ``social_type``, ``kind``, ``members``, ``employees``, ``party_status``,
        ``joint_org_id``, ``building``, ``park``; optional boolean ``joint_candidate``.
    district
        :class:`lianxin_geo.core.district.District`: town kinds (街道 → street distance limit),
        adjacency for cross-town units, and towns for rows without ``jurisdiction_code``.
    centers, buildings
        Optional ledgers of service centers and buildings (``name``, ``lon``, ``lat``;
        ``workstation`` for buildings): the suggested venue of each unit is the nearest one.
    parks
        Optional park ledger (reserved; park membership comes from the ``park`` column).
    profile
        Policy profile object, name or path (default ``shunyi-2017``).
    reoptimize
        Also regroup members of existing joint orgs (default: keep those orgs). Members the rules
        do not admit to a new unit (no formal member outside a building/park, or enough members for
        an own organization), and those the solver leaves out, are listed as unplaced with why.
    cross_town, include_zero_member_in_building
        Override the profile switches ``joint.allow_cross_town`` and
        ``joint.include_zero_member_in_building`` (``None``: the profile's value).
    seed
        Passed to the solver (the result is deterministic for a seed).
    progress
        Optional callback ``progress(message, fraction)`` (the project's progress convention).
    time_limit_s
        Safety cap on the solver time of each group of towns (the solver stops on deterministic limits; when the
        cap cuts it short, ``stats["status"]`` is ``"time_limit"``).
    params
        The rule values instead of ``profile`` and the two switches (give one or the other).
    engine
        The parallel engine (:func:`lianxin_geo.core.engine.get_engine`: an engine, ``"local"``, ``"sync"`` or a
        ``tcp://`` address; ``None``: ``$LIANXIN_SCHEDULER`` or ``"local"``). Each group of towns no unit can
        cross (one town, or adjacent towns when units may cross) is one task; the plan is the same on every
        scheduler. A task that fails leaves its towns' orgs unplaced with the reason and the plan ``partial``.

    Returns
    -------
    JointPlan
    """
    t0 = time.perf_counter()
    del parks
    params = JointParams.resolve(params, profile, caller="plan_joint_units", cross_town=cross_town,
                                 include_zero_member_in_building=include_zero_member_in_building)
    _report(progress, 0.05, "读取规则与台账")
    led = _Ledger.read(orgs, district, params, reoptimize=reoptimize)
    kept = _kept_units(led, district, params) if not reoptimize else pd.DataFrame(columns=list(KEPT_COLUMNS))
    ok_xy = np.isfinite(led.lon) & np.isfinite(led.lat)
    pool = np.flatnonzero(led.eligible & ok_xy & (led.town != ""))
    unplaced = [{"org_id": led.ids[i], "name": led.names[i], "jurisdiction_code": led.town[i],
                 "reason": _explain.MISSING_COORDS[0], "next_option": _explain.MISSING_COORDS[1]}
                for i in np.flatnonzero(led.eligible & ~ok_xy).tolist()]
    unplaced += [{"org_id": led.ids[i], "name": led.names[i], "jurisdiction_code": "",
                  "reason": _explain.NO_TOWN[0], "next_option": _explain.NO_TOWN[1]}
                 for i in np.flatnonzero(led.eligible & ok_xy & (led.town == "")).tolist()]

    _report(progress, 0.15, "投影坐标、准备分组")
    _report(progress, 0.25, f"求解联建方案（{pool.size} 家联建对象）")
    town_names = dict(district.town_names) if district is not None else {}
    res, failures, failed_pos = _solve_by_towns(led, pool, district, params, engine=engine, town_names=town_names,
                                                time_limit_s=time_limit_s, seed=seed, progress=progress)
    _report(progress, 0.8, "整理结果、推荐活动场所")
    units = _units(res, led, pool, params, _venue_table(centers, buildings), town_names)
    unplaced += _unplaced(res, led, pool, params, _town_kinds(district), skip=failed_pos)
    unplaced += _failed_unplaced(led, pool[failed_pos], failures)
    if reoptimize:
        unplaced += _existing_unplaced(led, params, unplaced)
    unplaced.sort(key=lambda r: (r["jurisdiction_code"], r["org_id"]))

    _report(progress, 0.9, "独立校验方案")
    violations = validate_proposal(units, led.orgs, district=district, params=params, reoptimize=reoptimize)
    violations += check_accounting(units.to_dict(orient="records"), led.orgs, unplaced=unplaced, kept_units=kept,
                                   eligible=led.eligible)
    stats = _stats(units, res, led, kept, len(unplaced), t0, reoptimize=reoptimize, params=params)
    _report(progress, 1.0, "完成")
    return JointPlan(units=units, unplaced=pd.DataFrame(unplaced, columns=list(UNPLACED_COLUMNS)), kept_units=kept,
                     violations=pd.DataFrame(violations, columns=list(VIOLATION_COLUMNS)), stats=stats,
                     params=params, reoptimize=bool(reoptimize), seed=int(seed), failures=tuple(failures))
