"""Joint party-unit proposals (联建方案): the pandas/geo adapter over the array solver.

:func:`plan_joint_units` takes the org ledger and the district, reads the rule
values from the policy profile, projects lon/lat to UTM 50N metres, calls
:func:`lianxin_geo.plan.joint.solver.solve_joint_units`, and returns a
:class:`JointPlan`: the units (members, 牵头单位, industry, members, employees,
radius, suggested venue, a Chinese reason), the orgs left out with why and the
next option, the start-up funding the new units imply (R17), and the
violations found by the independent checker :mod:`lianxin_geo.plan.joint.rules`
(empty for a plan of this module; the list is there so every front end shows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.plan.joint import solver as _core
from lianxin_geo.plan.joint.rules import (
    JointParams,
    default_eligible,
    existing_joint_mask,
    groups_similar,
    joint_params,
    org_groups,
    radius_per_org,
    town_adjacency,
    validate_proposal,
)

__all__ = ["JointPlan", "plan_joint_units", "solver_kwargs_from_profile", "RADIUS_SAFETY"]

#: The solver works on UTM distances, which differ from ellipsoidal ones by < 0.05 % in Shunyi;
#: it plans against this fraction of each limit so the (exact) checker never sees a boundary case.
RADIUS_SAFETY = 0.998

_KIND_TEXT = {
    _core.KIND_BUILDING: "楼宇/园区联建",
    _core.KIND_AREA: "就近联建（同镇街、同行业）",
    _core.KIND_SIMILAR: "相近行业联建",
    _core.KIND_CROSS_TOWN: "跨镇街联建（相邻镇街）",
}


def solver_kwargs_from_profile(profile=None, *, cross_town: bool | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`~lianxin_geo.plan.joint.solver.solve_joint_units` read from a profile.

    ``max_radius_m`` is the town value; the adapter passes a per-org array (street value in 街道).
    """
    p = joint_params(profile, cross_town=cross_town)
    return {
        "max_units": p["max_units"],
        "min_members": p["min_members"],
        "max_members": p["max_members"],
        "max_radius_m": p["radius_town"],
        "allow_similar": p["allow_similar"],
        "allow_cross_town": p["allow_cross_town"],
    }


@dataclass
class JointPlan:
    """A joint-unit proposal.

    Attributes
    ----------
    units
        One dict per new unit (see :meth:`to_json`).
    unplaced
        One dict per eligible org left out: ``org_id``, ``name``, ``jurisdiction_code``,
        ``reason``, ``next_option``.
    violations
        Output of the independent checker (``[]`` when every rule holds).
    stats
        ``eligible``, ``placed``, ``units``, ``mean_radius_m``, ``max_radius_m``, ``seconds`` and more.
    funding
        R17 start-up funds implied by the new units.
    kept_units
        Existing joint orgs kept as they are (``reoptimize=False``).
    settings
        The rule values used, with the profile name.
    """

    units: list[dict[str, Any]]
    unplaced: list[dict[str, Any]]
    violations: list[dict[str, str]]
    stats: dict[str, Any]
    funding: dict[str, Any]
    kept_units: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (no NaN): ``units``, ``unplaced``, ``violations``, ``stats``, ``funding``, ..."""
        return jsonable({
            "units": self.units,
            "unplaced": self.unplaced,
            "violations": self.violations,
            "stats": self.stats,
            "funding": self.funding,
            "kept_units": self.kept_units,
            "settings": self.settings,
        })

    def units_frame(self) -> pd.DataFrame:
        """Units as a table (org ids joined with 、)."""
        rows = [{**u, "org_ids": "、".join(u["org_ids"]), "venue": (u.get("venue") or {}).get("name", "")}
                for u in self.units]
        return pd.DataFrame(rows)

    def unplaced_frame(self) -> pd.DataFrame:
        """Orgs left out as a table."""
        return pd.DataFrame(self.unplaced, columns=["org_id", "name", "jurisdiction_code", "reason", "next_option"])

    def assignments(self) -> pd.DataFrame:
        """One row per placed org: ``org_id``, ``unit_id``, ``is_hub``."""
        rows = [{"org_id": o, "unit_id": u["unit_id"], "is_hub": o == u["hub_id"]}
                for u in self.units for o in u["org_ids"]]
        return pd.DataFrame(rows, columns=["org_id", "unit_id", "is_hub"])


def _text(series: pd.Series) -> np.ndarray:
    return series.map(lambda v: "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                      else str(v).strip()).to_numpy(dtype=object)


def _col(orgs: pd.DataFrame, name: str) -> pd.Series:
    if name in orgs.columns:
        return orgs[name]
    return pd.Series([None] * len(orgs), index=orgs.index, dtype=object)


def _num(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _geod(lon1, lat1, lon2, lat2) -> np.ndarray:
    from pyproj import Geod

    _, _, d = Geod(ellps="WGS84").inv(np.asarray(lon1, float), np.asarray(lat1, float),
                                      np.asarray(lon2, float), np.asarray(lat2, float))
    return np.atleast_1d(np.asarray(d, dtype=float))


def _venue_table(centers, buildings) -> pd.DataFrame:
    """Candidate venues: service centers and buildings with a 楼宇工作站."""
    parts = []
    if centers is not None and len(centers):
        c = pd.DataFrame({"name": _text(_col(centers, "name")), "lon": _num(_col(centers, "lon")),
                          "lat": _num(_col(centers, "lat")),
                          "type": ["党群活动服务中心（" + (lv or "未注明层级") + "）" for lv in _text(_col(centers, "level"))]})
        parts.append(c)
    if buildings is not None and len(buildings):
        ws = _col(buildings, "workstation").map(lambda v: bool(v) if v is not None and v is not pd.NA
                                                and not (isinstance(v, float) and np.isnan(v)) else False)
        b = buildings[ws.to_numpy(dtype=bool)]
        if len(b):
            parts.append(pd.DataFrame({"name": _text(_col(b, "name")), "lon": _num(_col(b, "lon")),
                                       "lat": _num(_col(b, "lat")), "type": "楼宇工作站"}))
    if not parts:
        return pd.DataFrame(columns=["name", "lon", "lat", "type"])
    v = pd.concat(parts, ignore_index=True)
    return v[np.isfinite(v["lon"]) & np.isfinite(v["lat"])].reset_index(drop=True)


def _report(progress: Callable[..., Any] | None, frac: float, msg: str) -> None:
    if progress is not None:
        progress(msg, frac)


def plan_joint_units(
    orgs: pd.DataFrame,
    *,
    district,
    centers: pd.DataFrame | None = None,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    profile=None,
    reoptimize: bool = False,
    cross_town: bool | None = None,
    include_zero_member_in_building: bool | None = None,
    seed: int = 0,
    progress: Callable[..., Any] | None = None,
    time_limit_s: float = 30.0,
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
        Also regroup members of existing joint orgs (default: keep those orgs).
    cross_town, include_zero_member_in_building
        Override the profile switches ``joint.allow_cross_town`` and
        ``joint.include_zero_member_in_building``.
    seed
        Passed to the solver (the result is deterministic for a seed).
    progress
        Optional callback ``progress(message, fraction)`` (the project's progress convention).
    time_limit_s
        Soft time limit of the solver.

    Returns
    -------
    JointPlan
    """
    t0 = time.perf_counter()
    del parks
    params: JointParams = joint_params(profile, cross_town=cross_town,
                                       include_zero_member_in_building=include_zero_member_in_building)
    prof = params["profile"]
    orgs = orgs.reset_index(drop=True)
    _report(progress, 0.05, "读取规则与台账")
    ids = _text(_col(orgs, "id"))
    names = _text(_col(orgs, "name"))
    lon = _num(_col(orgs, "lon"))
    lat = _num(_col(orgs, "lat"))
    members = np.nan_to_num(_num(_col(orgs, "members")), nan=0.0).astype(np.int64)
    employees = np.nan_to_num(_num(_col(orgs, "employees")), nan=0.0)
    town = _text(_col(orgs, "jurisdiction_code"))
    if district is not None and (town == "").any():
        assigned = district.assign(lon, lat)
        fill = (town == "") & np.array([a is not None for a in assigned])
        town[fill] = np.array(assigned, dtype=object)[fill]
        orgs = orgs.assign(jurisdiction_code=town)
    kinds = {}
    tnames = {}
    if district is not None:
        kinds = dict(zip(district.jurisdictions["code"].astype(str), district.jurisdictions["kind"].astype(str)))
        tnames = dict(district.town_names)
    groups = org_groups(orgs, prof).to_numpy(dtype=object)
    eligible = default_eligible(orgs, params, reoptimize=reoptimize)
    radius = radius_per_org(orgs, district, params)
    building = _text(_col(orgs, "building"))
    park = _text(_col(orgs, "park"))

    # kept existing joint orgs
    kept_units: list[dict[str, Any]] = []
    if not reoptimize:
        ex = existing_joint_mask(orgs)
        jid = _text(_col(orgs, "joint_org_id"))
        for j in sorted(set(jid[ex].tolist())):
            idx = np.flatnonzero(ex & (jid == j))
            kept_units.append({"joint_org_id": j, "org_ids": ids[idx].tolist(),
                               "members": int(members[idx].sum()), "jurisdiction_code": town[idx[0]]})

    unplaced: list[dict[str, Any]] = []
    ok_xy = np.isfinite(lon) & np.isfinite(lat)
    pool = np.flatnonzero(eligible & ok_xy & (town != ""))
    for i in np.flatnonzero(eligible & ~ok_xy).tolist():
        unplaced.append({"org_id": ids[i], "name": names[i], "jurisdiction_code": town[i], "reason": "缺少坐标",
                         "next_option": "补充经纬度或可定位的地址后重新生成方案"})
    for i in np.flatnonzero(eligible & ok_xy & (town == "")).tolist():
        unplaced.append({"org_id": ids[i], "name": names[i], "jurisdiction_code": "",
                         "reason": "无法确定所属镇街（坐标在辖区外且未填写所属镇街）",
                         "next_option": "核对坐标或填写所属镇街后重新生成方案"})

    # arrays for the core
    _report(progress, 0.15, "投影坐标、准备分组")
    town_labels = sorted(set(town[pool].tolist()))
    t_code = {c: k for k, c in enumerate(town_labels)}
    group_labels = sorted(set(groups[pool].tolist()))
    g_code = {c: k for k, c in enumerate(group_labels)}
    similar_pairs = [(a, b) for a in range(len(group_labels)) for b in range(a + 1, len(group_labels))
                     if groups_similar(group_labels[a], group_labels[b], prof, similar=params["similar"])]
    adj_codes = town_adjacency(district) if district is not None else set()
    adjacency = [(t_code[a], t_code[b]) for pair in adj_codes if len(pair) == 2
                 for a, b in [tuple(sorted(pair))] if a in t_code and b in t_code]
    site = np.where(building != "", "B:" + building.astype(str), np.where(park != "", "P:" + park.astype(str), ""))
    site_labels = sorted(set(site[pool].tolist()) - {""})
    s_code = {c: k for k, c in enumerate(site_labels)}
    x, y = _project(lon[pool], lat[pool]) if pool.size else (np.zeros(0), np.zeros(0))
    _report(progress, 0.25, f"求解联建方案（{pool.size} 家联建对象）")
    res = _core.solve_joint_units(
        x, y, members[pool], employees[pool],
        np.array([t_code[t] for t in town[pool]], dtype=np.int64),
        np.array([g_code[g] for g in groups[pool]], dtype=np.int64),
        similar_pairs or None,
        np.array([s_code.get(s, -1) for s in site[pool]], dtype=np.int64),
        max_units=params["max_units"], min_members=params["min_members"], max_members=params["max_members"],
        max_radius_m=radius[pool] * RADIUS_SAFETY, allow_similar=params["allow_similar"],
        allow_cross_town=params["allow_cross_town"], adjacency=adjacency or None,
        time_limit_s=time_limit_s, seed=seed,
    )
    _report(progress, 0.8, "整理结果、推荐活动场所")

    venues = _venue_table(centers, buildings)
    units: list[dict[str, Any]] = []
    per_town: dict[str, int] = {}
    radii: list[float] = []
    for u in res.units:
        g_idx = pool[u.members]
        h = int(pool[u.hub])
        tc = town[h]
        per_town[tc] = per_town.get(tc, 0) + 1
        uid = f"LJ-{tc}-{per_town[tc]:03d}"
        others = g_idx[g_idx != h]
        d = _geod(np.full(others.size, lon[h]), np.full(others.size, lat[h]), lon[others], lat[others]) \
            if others.size else np.zeros(0)
        rad = float(d.max()) if d.size else 0.0
        radii.append(rad)
        ugroups = sorted(set(groups[g_idx].tolist()))
        utowns = sorted(set(town[g_idx].tolist()))
        venue = None
        if len(venues):
            dv = _geod(np.full(len(venues), lon[h]), np.full(len(venues), lat[h]), venues["lon"], venues["lat"])
            k = int(np.argmin(dv))
            venue = {"name": venues.at[k, "name"], "type": venues.at[k, "type"], "distance_m": round(float(dv[k]), 1)}
        m_total = int(members[g_idx].sum())
        e_total = int(employees[g_idx].sum())
        site_h = building[h] or park[h]
        shared_site = bool(site_h) and all((building[i] or park[i]) == site_h for i in g_idx)
        limit = float(radius[g_idx].min())
        tn = "、".join(tnames.get(t, t) for t in utowns)
        reason = (f"{_KIND_TEXT[u.kind]}：{tn}{'（' + site_h + '）' if shared_site else ''}"
                  f"{len(g_idx)}家单位，行业{'、'.join(ugroups)}，正式党员合计{m_total}名"
                  f"（不少于{params['min_members']}名、不超过{params['max_members']}名），"
                  f"单位数{len(g_idx)}家（上限{params['max_units']}家）；"
                  f"牵头单位{names[h] or ids[h]}（党员{members[h]}名、从业人员{int(employees[h])}人），"
                  f"最远成员距牵头单位{rad:.0f}米（上限{limit:.0f}米）")
        units.append({
            "unit_id": uid,
            "jurisdiction_code": tc,
            "jurisdiction_codes": utowns,
            "industry": "、".join(ugroups),
            "mixed_industry": len(ugroups) > 1,
            "kind": u.kind,
            "org_ids": ids[g_idx].tolist(),
            "org_names": names[g_idx].tolist(),
            "hub_id": ids[h],
            "hub_name": names[h],
            "members": m_total,
            "employees": e_total,
            "radius_m": round(rad, 1),
            "venue": venue,
            "reason": reason,
        })

    which = "同行业" if not params["allow_similar"] else "同行业或相近行业"
    for k in np.flatnonzero(res.unit_of < 0).tolist():
        i = int(pool[k])
        kind_word = kinds.get(town[i], "镇街")
        code = int(res.reason[k])
        if code == _core.REASON_PARTITION_TOTAL:
            why = f"本{kind_word}同行业党员合计不足{params['min_members']}名"
        elif code == _core.REASON_NEIGHBOURS:
            why = f"{radius[i]:.0f}米范围内同行业单位党员合计不足{params['min_members']}名"
        elif code == _core.REASON_ZERO_MEMBER:
            why = "无党员单位只能并入同楼宇/园区的联建单位，所在楼宇/园区没有可并入的联建单位"
        else:
            why = (f"{radius[i]:.0f}米范围内{which}单位已编入其他联建单位或在单位数（≤{params['max_units']}家）、"
                   f"党员数和距离限制下无法组成联建单位")
        nxt_code = int(res.next_option[k])
        if nxt_code == _core.NEXT_SIMILAR:
            nxt = "可开启相近行业联建（joint.allow_similar_industry），与附近相近行业单位联建"
        elif nxt_code == _core.NEXT_CROSS_TOWN:
            nxt = "可开启跨镇街联建（--cross-town），与相邻镇街同行业单位联建"
        else:
            nxt = "选派党建指导员实现工作覆盖（R11），党员达到3名后单独组建"
        unplaced.append({"org_id": ids[i], "name": names[i], "jurisdiction_code": town[i],
                         "reason": why, "next_option": nxt})
    unplaced.sort(key=lambda r: (r["jurisdiction_code"], r["org_id"]))

    plan_units = [{"unit_id": u["unit_id"], "org_ids": u["org_ids"], "hub_id": u["hub_id"]} for u in units]
    _report(progress, 0.9, "独立校验方案")
    violations = validate_proposal(plan_units, orgs, district=district, profile=prof,
                                   cross_town=params["allow_cross_town"],
                                   include_zero_member_in_building=params["include_zero"], reoptimize=reoptimize)

    per_branch = params["startup_branch"]
    years = params["startup_years"]
    if_applied = per_branch * years * len(units)
    funding = {
        "rule": "R17",
        "new_units": len(units),
        "startup_per_branch_yuan_per_year": per_branch,
        "years": years,
        "applies_to_joint": params["include_joint_startup"],
        "total_yuan": if_applied if params["include_joint_startup"] else 0.0,
        "total_if_applied_yuan": if_applied,
        "note": ("新建联合党支部按党支部标准计算启动经费" if params["include_joint_startup"]
                 else "本策略配置的启动经费标准只适用于单独建立的党组织（funding.include_joint_startup=false）；"
                      "若按党支部标准计，合计见 total_if_applied_yuan"),
    }
    n_elig = int(eligible.sum())
    placed = int(sum(len(u["org_ids"]) for u in units))
    stats = {
        "eligible": n_elig,
        "placed": placed,
        "unplaced": n_elig - placed,
        "units": len(units),
        "mixed_units": int(sum(u["mixed_industry"] for u in units)),
        "cross_town_units": int(sum(len(u["jurisdiction_codes"]) > 1 for u in units)),
        "kept_units": len(kept_units),
        "mean_radius_m": round(float(np.mean(radii)), 1) if radii else 0.0,
        "max_radius_m": round(float(np.max(radii)), 1) if radii else 0.0,
        "total_distance_m": round(float(sum(
            _geod(np.full(len(u.members), lon[pool[u.hub]]), np.full(len(u.members), lat[pool[u.hub]]),
                  lon[pool[u.members]], lat[pool[u.members]]).sum() for u in res.units)), 1),
        "exact_components": int(res.exact_components),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    settings = {
        "profile": params["profile_name"],
        "max_units": params["max_units"],
        "min_members": params["min_members"],
        "max_members": params["max_members"],
        "max_radius_m_town": params["radius_town"],
        "max_radius_m_street": params["radius_street"],
        "allow_similar_industry": params["allow_similar"],
        "allow_cross_town": params["allow_cross_town"],
        "include_zero_member_in_building": params["include_zero"],
        "reoptimize": bool(reoptimize),
        "seed": int(seed),
    }
    _report(progress, 1.0, "完成")
    return JointPlan(units=units, unplaced=unplaced, violations=violations, stats=stats, funding=funding,
                     kept_units=kept_units, settings=settings)
