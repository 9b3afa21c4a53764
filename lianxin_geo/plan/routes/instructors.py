"""Instructor workloads and visiting routes (R11, R12).

R12: one part-time party-building instructor (党建工作指导员) looks after about 10
organizations; R11: organizations without party members get work coverage through
an instructor. Instructors visit in person, so each one's organizations should be
close together ("地域相邻") and of similar industries ("行业相近"), and the route
from the base (the town's party-mass service center by default) and back short.

The planner groups the organizations needing an instructor per town/street
(optionally across towns), and solves one capacitated VRP with unit demands per
town with :func:`lianxin_geo.plan.routes.routing.solve_cvrp`: the number of instructors is
``ceil(n / orgs_per_instructor)`` and their loads are balanced (``ceil(n / k)``,
never above ``max_orgs``). Arcs between different industry groups cost a little
more (``industry_penalty``), which makes routes prefer same-industry neighbours
without giving up geography; reported lengths use the real distances.

:func:`plan_workloads` is the array core (matrix in, routes out);
:func:`plan_instructor_routes` is the pandas adapter that reads the ledger, the
service centers, the district and the policy profile.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District, normalize_text
from lianxin_geo.core.model import PARTY_NONE
from lianxin_geo.plan.routes.routing import (
    RoadGraph,
    amap_leg_urls,
    amap_route_url,
    as_road_graph,
    baidu_leg_urls,
    baidu_route_url,
    distance_matrix,
    solve_cvrp,
)

__all__ = [
    "InstructorParams",
    "InstructorPlan",
    "InstructorRoute",
    "default_needs_instructor",
    "industry_labels",
    "plan_instructor_routes",
    "plan_workloads",
]

MISSING_COORDS = "缺少坐标"
NO_TOWN = "无法确定所属镇街（不在辖区内且未填写所属镇街）"
_PREFERRED_LEVELS = ("镇级", "街道级")


# ============================================================== parameters
@dataclass(frozen=True)
class InstructorParams:
    """The profile values the planner needs, as plain numbers.

    Parameters
    ----------
    orgs_per_instructor
        Target organizations per instructor (R12, ``instructors.orgs_per_instructor``).
    min_orgs, max_orgs
        Planning band (``instructors.min_orgs`` / ``instructors.max_orgs``); no route exceeds ``max_orgs``.
    visit_minutes
        Time spent at each organization (``instructors.visit_minutes``).
    speed_kmh
        Average travel speed (``instructors.speed_kmh``).
    include_new_units
        Also plan for the proposed joint units / new organizations (``instructors.include_new_units``).
    circuity
        Great-circle → road distance factor when no graph is given (``distance.circuity``).
    """

    orgs_per_instructor: int
    min_orgs: int
    max_orgs: int
    visit_minutes: float
    speed_kmh: float
    include_new_units: bool
    circuity: float

    @classmethod
    def from_profile(cls, profile: Any = None) -> "InstructorParams":
        """Read the values from a policy profile (name, path, :class:`~lianxin_geo.core.policy.Profile` or None = default)."""
        from lianxin_geo.core.policy import Profile, load_profile

        p = profile if isinstance(profile, Profile) else load_profile(profile)
        return cls(
            orgs_per_instructor=int(p.get("instructors.orgs_per_instructor")),
            min_orgs=int(p.get("instructors.min_orgs")),
            max_orgs=int(p.get("instructors.max_orgs")),
            visit_minutes=float(p.get("instructors.visit_minutes")),
            speed_kmh=float(p.get("instructors.speed_kmh")),
            include_new_units=bool(p.get("instructors.include_new_units")),
            circuity=float(p.get("distance.circuity")),
        )


# ============================================================== array core
def industry_labels(values: Sequence[Any], profile: Any = None) -> np.ndarray:
    """Map free-text industries to group labels ("" when unknown).

    Uses :func:`lianxin_geo.core.industry.industry_group` with the profile's grouping;
    if that fails, the GB/T 4754 section letter of codes such as ``I65`` / ``I``,
    else the normalised text itself.
    """
    vals = list(values)
    try:
        from lianxin_geo.core.industry import industry_group

        groups = industry_group(vals, profile)
        return np.asarray(["" if g is None else str(g) for g in groups], dtype=object)
    except Exception:  # noqa: BLE001 - the plain rule below keeps planning possible
        pass
    out = []
    for v in vals:
        text = normalize_text(v)
        m = re.match(r"^([A-T])(\d{0,4})$", text.upper())
        out.append(m.group(1) if m else text)
    return np.asarray(out, dtype=object)


def _industry_penalised(matrix: np.ndarray, labels: np.ndarray | None, penalty: float) -> np.ndarray:
    if labels is None or penalty <= 0:
        return matrix
    lab = np.asarray(labels, dtype=object)
    known = lab != ""
    differ = (lab[:, None] != lab[None, :]) & known[:, None] & known[None, :]
    return matrix * (1.0 + penalty * differ)


def plan_workloads(
    matrix: np.ndarray,
    *,
    orgs_per_instructor: int,
    max_orgs: int,
    industry: np.ndarray | None = None,
    industry_penalty: float = 0.25,
    time_limit_s: float = 2.0,
    seed: int = 0,
    solver: str = "pyvrp",
    max_iterations: int | None = None,
) -> tuple[list[list[int]], str]:
    """Group the nodes ``1..n`` of ``matrix`` (node 0 is the base) into balanced instructor routes.

    Parameters
    ----------
    matrix
        ``(n+1)×(n+1)`` distances, base first.
    orgs_per_instructor
        Target load; the number of routes is ``ceil(n / orgs_per_instructor)``.
    max_orgs
        Hard ceiling of one route.
    industry
        Optional group label per node (base included, its label ignored).
    industry_penalty
        Relative surcharge on arcs between different known industry groups.
    time_limit_s, seed, solver, max_iterations
        Passed to :func:`~lianxin_geo.plan.routes.routing.solve_cvrp`.

    Returns
    -------
    routes, status
        Routes as lists of node indices (1..n) in visiting order, and the solver status.
    """
    n = matrix.shape[0] - 1
    if orgs_per_instructor < 1 or max_orgs < 1:
        raise ValueError("orgs_per_instructor 与 max_orgs 必须为正整数")
    target = min(int(orgs_per_instructor), int(max_orgs))
    if n <= 0:
        return [], "OPTIMAL"
    k = math.ceil(n / target)
    cap = min(math.ceil(n / k), int(max_orgs))
    lab = None
    if industry is not None:
        lab = np.asarray(industry, dtype=object).copy()
        lab[0] = ""
    cost = _industry_penalised(np.asarray(matrix, dtype=float), lab, industry_penalty)
    demands = np.ones(n + 1, dtype=int)
    demands[0] = 0
    res = solve_cvrp(None, demands, cap, metric=cost, time_limit_s=time_limit_s, seed=seed, solver=solver,
                     num_vehicles=k, max_iterations=max_iterations)
    if not res.ok:  # tight balance failed: relax to the band ceiling
        res = solve_cvrp(None, demands, int(max_orgs), metric=cost, time_limit_s=time_limit_s, seed=seed,
                         solver=solver, max_iterations=max_iterations)
    if not res.ok:  # never leave a planner without routes: angular sweep
        ang = np.arange(1, n + 1)
        return [ang[i:i + cap].tolist() for i in range(0, n, cap)], "SWEEP_FALLBACK"
    return [list(r) for r in res.routes], res.status


# ============================================================== results
@dataclass
class InstructorRoute:
    """One instructor's workload and visiting route."""

    instructor_id: str
    jurisdiction_code: str
    town_name: str
    base: dict[str, Any]
    org_ids: list[Any]
    org_names: list[str]
    org_industries: list[str]
    org_towns: list[str]
    lon: list[float]
    lat: list[float]
    legs_km: list[float]
    length_km: float
    minutes: float
    status: str
    nav: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "instructor_id": self.instructor_id,
            "jurisdiction_code": self.jurisdiction_code,
            "town_name": self.town_name,
            "base": self.base,
            "org_ids": [_plain(x) for x in self.org_ids],
            "org_names": self.org_names,
            "stops": len(self.org_ids),
            "length_km": round(self.length_km, 3),
            "minutes": round(self.minutes, 1),
            "status": self.status,
            "nav": self.nav,
        }


@dataclass
class InstructorPlan:
    """Instructor routes, unassigned organizations, per-town table and statistics.

    ``to_json()`` is the shape the CLI prints (``lianxin-geo plan routes --json``).
    """

    routes: list[InstructorRoute]
    unassigned: pd.DataFrame
    towns: pd.DataFrame
    stats: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "routes": [r.to_json() for r in self.routes],
            "unassigned": [{"org_id": _plain(a), "reason": str(b)}
                           for a, b in zip(self.unassigned["org_id"], self.unassigned["reason"])],
            "stats": {k: _plain(v) for k, v in self.stats.items()},
            "towns": [{k: _plain(v) for k, v in row.items()} for row in self.towns.to_dict(orient="records")],
            "nav": [{"instructor_id": r.instructor_id, "amap": r.nav.get("amap"), "baidu": r.nav.get("baidu")}
                    for r in self.routes],
        }

    def route_sheet(self) -> pd.DataFrame:
        """Printable rows (one per stop, base at start and end) for the xlsx export."""
        rows: list[dict[str, Any]] = []
        for r in self.routes:
            cum = 0.0
            names = [r.base["name"], *r.org_names, r.base["name"]]
            ids = ["", *[_plain(x) for x in r.org_ids], ""]
            inds = ["", *r.org_industries, ""]
            lons = [r.base["lon"], *r.lon, r.base["lon"]]
            lats = [r.base["lat"], *r.lat, r.base["lat"]]
            legs = [0.0, *r.legs_km]
            speed = self.stats.get("speed_kmh", 30.0)
            visit = self.stats.get("visit_minutes", 30.0)
            for i in range(len(names)):
                cum += legs[i]
                visited = max(0, min(i, len(r.org_ids)) - (1 if 0 < i <= len(r.org_ids) else 0))
                rows.append({
                    "指导员编号": r.instructor_id,
                    "所属镇街": r.town_name,
                    "顺序": i,
                    "类型": "出发" if i == 0 else ("返回" if i == len(names) - 1 else "走访"),
                    "单位编号": ids[i],
                    "单位名称": names[i],
                    "行业": inds[i],
                    "经度": round(float(lons[i]), 6),
                    "纬度": round(float(lats[i]), 6),
                    "本段里程(公里)": round(legs[i], 2),
                    "累计里程(公里)": round(cum, 2),
                    "预计到达(分钟)": round(cum / speed * 60.0 + visit * visited, 1),
                })
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        """A plain-text/Markdown route sheet, one section per instructor."""
        out = ["# 党建工作指导员走访路线", ""]
        s = self.stats
        out.append(f"共 {s.get('orgs', 0)} 个组织、{s.get('instructors', 0)} 名指导员，总里程 {s.get('total_km', 0):.1f} 公里"
                   f"（距离来源：{s.get('distance_source', '')}）。")
        sheet = self.route_sheet()
        for r in self.routes:
            out += ["", f"## {r.instructor_id} · {r.town_name} · {len(r.org_ids)} 个组织 · "
                        f"{r.length_km:.1f} 公里 · 约 {r.minutes:.0f} 分钟", "",
                    f"出发/返回：{r.base['name']}", "",
                    "| 顺序 | 单位名称 | 行业 | 本段(公里) | 累计(公里) | 预计到达(分钟) |",
                    "|---|---|---|---|---|---|"]
            for row in sheet[sheet["指导员编号"] == r.instructor_id].itertuples(index=False):
                name = str(row[5]).replace("|", "｜")
                out.append(f"| {row[2]} | {name} | {row[6]} | {row[9]:.2f} | {row[10]:.2f} | {row[11]:.0f} |")
            out += ["", f"高德导航：{r.nav.get('amap', '')}", f"百度导航：{r.nav.get('baidu', '')}"]
        if len(self.unassigned):
            out += ["", "## 未分配", ""]
            out += [f"- {_plain(a)}：{b}" for a, b in zip(self.unassigned["org_id"], self.unassigned["reason"])]
        return "\n".join(out) + "\n"


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if v is pd.NA or v is None:
        return None
    return v


# ============================================================== adapter helpers
def _blank(series: pd.Series) -> pd.Series:
    return series.map(lambda v: normalize_text(v) == "").astype(bool)


def default_needs_instructor(orgs: pd.DataFrame, *, replan: bool = False) -> pd.Series:
    """Default R11 mask: no party organization, no members, and (unless ``replan``) no instructor yet.

    ``party_status`` missing counts as 未建立 (the ledger default); ``members``
    missing counts as 0.
    """
    idx = orgs.index
    status = orgs["party_status"] if "party_status" in orgs else pd.Series(PARTY_NONE, index=idx)
    status = status.map(lambda v: normalize_text(v) or PARTY_NONE)
    members = pd.to_numeric(orgs["members"], errors="coerce").fillna(0) if "members" in orgs else pd.Series(0, index=idx)
    need = (status == PARTY_NONE) & (members <= 0)
    if not replan and "instructor" in orgs:
        need &= _blank(orgs["instructor"])
    return need.astype(bool)


def _town_of(df: pd.DataFrame, district: District) -> np.ndarray:
    codes = np.full(len(df), None, dtype=object)
    if "jurisdiction_code" in df:
        for i, v in enumerate(df["jurisdiction_code"].tolist()):
            t = normalize_text(v)
            if t:
                codes[i] = district.resolve_town(t) or t
    if "town" in df:
        miss = np.array([c is None for c in codes])
        if miss.any():
            vals = df["town"].tolist()
            for i in np.flatnonzero(miss):
                codes[i] = district.resolve_town(vals[i])
    miss = np.array([c is None for c in codes])
    if miss.any() and "lon" in df and "lat" in df:
        got = district.assign(pd.to_numeric(df["lon"], errors="coerce").to_numpy()[miss],
                              pd.to_numeric(df["lat"], errors="coerce").to_numpy()[miss])
        codes[np.flatnonzero(miss)] = got
    return codes


def _seat(district: District, code: str) -> tuple[float, float] | None:
    j = district.jurisdictions
    row = j[j["code"].astype(str) == str(code)]
    if row.empty:
        return None
    r = row.iloc[0]
    if "seat_lon" in j.columns and "seat_lat" in j.columns and pd.notna(r["seat_lon"]) and pd.notna(r["seat_lat"]):
        return float(r["seat_lon"]), float(r["seat_lat"])
    import shapely

    p = shapely.point_on_surface(r.geometry)
    return float(p.x), float(p.y)


def _choose_bases(codes: Sequence[str], *, district: District, centers: pd.DataFrame | None,
                  bases: pd.DataFrame | None, centroid: Mapping[str, tuple[float, float]]) -> dict[str, dict[str, Any]]:
    """Base per town: user base > town-level center (镇级/街道级) > any center of the town > town seat > centroid."""
    out: dict[str, dict[str, Any]] = {}
    if bases is not None and len(bases):
        bcodes = _town_of(bases, district)
        for i, c in enumerate(bcodes):
            lo, la = pd.to_numeric(pd.Series([bases["lon"].iloc[i], bases["lat"].iloc[i]]), errors="coerce")
            if c is None or c in out or not (np.isfinite(lo) and np.isfinite(la)):
                continue
            name = str(bases["name"].iloc[i]) if "name" in bases and normalize_text(bases["name"].iloc[i]) else "指定驻点"
            out[str(c)] = {"name": name, "lon": float(lo), "lat": float(la), "kind": "用户指定"}
    cand: dict[str, list[tuple[int, float, dict[str, Any]]]] = {}
    if centers is not None and len(centers):
        ccodes = _town_of(centers, district)
        clon = pd.to_numeric(centers["lon"], errors="coerce").to_numpy()
        clat = pd.to_numeric(centers["lat"], errors="coerce").to_numpy()
        levels = centers["level"].astype(str).tolist() if "level" in centers else [""] * len(centers)
        names = centers["name"].astype(str).tolist() if "name" in centers else [f"服务中心{i + 1}" for i in range(len(centers))]
        for i, c in enumerate(ccodes):
            if c is None or not (np.isfinite(clon[i]) and np.isfinite(clat[i])):
                continue
            rank = 0 if levels[i] in _PREFERRED_LEVELS else 1
            cx, cy = centroid.get(str(c), (clon[i], clat[i]))
            d = float(np.hypot(clon[i] - cx, clat[i] - cy))
            cand.setdefault(str(c), []).append(
                (rank, d, {"name": names[i], "lon": float(clon[i]), "lat": float(clat[i]),
                           "kind": f"党群活动服务中心（{levels[i]}）" if levels[i] else "党群活动服务中心"}))
    for code in codes:
        code = str(code)
        if code in out:
            continue
        if code in cand:
            out[code] = min(cand[code], key=lambda t: (t[0], t[1]))[2]
            continue
        seat = _seat(district, code)
        if seat is not None:
            out[code] = {"name": f"{district.town_names.get(code, code)}驻地", "lon": seat[0], "lat": seat[1],
                         "kind": "镇街驻地"}
        elif code in centroid:
            out[code] = {"name": "组织分布中心（无服务中心与驻地）", "lon": centroid[code][0], "lat": centroid[code][1],
                         "kind": "质心"}
    return out


# ============================================================== adapter
def plan_instructor_routes(
    orgs: pd.DataFrame,
    *,
    centers: pd.DataFrame | None,
    district: District,
    profile: Any = None,
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
        Road graph (networkx/osmnx graph, :class:`~lianxin_geo.plan.routes.routing.RoadGraph` or
        a ``.graphml``/``.osm`` path); None = great circle × ``distance.circuity``.
    time_limit_s
        Total solver budget, shared among towns in proportion to their size.
    cross_town
        Let an organization join the instructor of the nearest base in another town.
    extra_sites
        Proposed joint units / new organizations (``id``, ``lon``, ``lat``,
        ``jurisdiction_code``, optional ``name``/``industry``), planned when
        ``instructors.include_new_units`` is true.
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
        Explicit parameters instead of reading ``profile``.

    Returns
    -------
    InstructorPlan
    """
    t0 = time.perf_counter()
    prm = params or InstructorParams.from_profile(profile)
    if prm.max_orgs < 1 or prm.orgs_per_instructor < 1:
        raise ValueError("instructors.orgs_per_instructor 与 instructors.max_orgs 必须为正整数")
    if "id" not in orgs:
        raise ValueError("组织表缺少 id 列（单位编号）：请先读取并校验台账")
    road: RoadGraph | None = as_road_graph(graph) if graph is not None else None

    # ---- who needs an instructor
    if "needs_instructor" in orgs:
        need = orgs["needs_instructor"].fillna(False).astype(bool)
        if not replan and "instructor" in orgs:
            need &= _blank(orgs["instructor"])
    else:
        need = default_needs_instructor(orgs, replan=replan)
    cand = orgs.loc[need.to_numpy()].copy()
    cand["_source"] = "台账"
    if extra_sites is not None and len(extra_sites) and prm.include_new_units:
        ex = extra_sites.copy()
        if "name" not in ex:
            ex["name"] = ["新建党组织 " + str(x) for x in ex["id"]]
        ex["_source"] = "新建联合党组织/单独党组织"
        cand = pd.concat([cand, ex], ignore_index=True)
    cand = cand.reset_index(drop=True)
    for col in ("name", "industry"):
        if col not in cand:
            cand[col] = ""
    lon = pd.to_numeric(cand["lon"], errors="coerce").to_numpy(dtype=float) if "lon" in cand else np.full(len(cand), np.nan)
    lat = pd.to_numeric(cand["lat"], errors="coerce").to_numpy(dtype=float) if "lat" in cand else np.full(len(cand), np.nan)
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    towns = _town_of(cand, district)
    unassigned: list[tuple[Any, str]] = [(cand["id"].iloc[i], MISSING_COORDS) for i in np.flatnonzero(~has_xy)]
    no_town = has_xy & np.array([t is None for t in towns])
    unassigned += [(cand["id"].iloc[i], NO_TOWN) for i in np.flatnonzero(no_town)]
    ok = np.flatnonzero(has_xy & ~no_town)
    towns_ok = np.array([str(t) for t in towns[ok]], dtype=object)
    ind_all = industry_labels(cand["industry"].tolist(), profile)

    # ---- bases
    centroid: dict[str, tuple[float, float]] = {}
    for code in sorted(set(towns_ok)):
        sel = ok[towns_ok == code]
        centroid[code] = (float(np.mean(lon[sel])), float(np.mean(lat[sel])))
    all_codes = sorted(set(towns_ok))
    if cross_town:
        all_codes = sorted(set(all_codes) | set(district.jurisdictions["code"].astype(str)))
    base_of = _choose_bases(all_codes, district=district, centers=centers, bases=bases, centroid=centroid)

    group = towns_ok.copy()
    if cross_town and ok.size:  # nearest base (any town) decides the instructor
        codes_b = [c for c in all_codes if c in base_of]
        blon = np.array([base_of[c]["lon"] for c in codes_b])
        blat = np.array([base_of[c]["lat"] for c in codes_b])
        from lianxin_geo.core.distance import haversine_m

        d = haversine_m(lon[ok][:, None], lat[ok][:, None], blon[None, :], blat[None, :])
        group = np.array([codes_b[j] for j in np.argmin(d, axis=1)], dtype=object)

    # ---- route per town (and per sector for very large towns)
    routes: list[InstructorRoute] = []
    sources: set[str] = set()
    statuses: dict[str, int] = {}
    total_n = max(ok.size, 1)
    groups = sorted(set(group))
    for gi, code in enumerate(groups):
        members = ok[group == code]
        base = base_of[code]
        blocks = _sectors(lon[members], lat[members], base, block_size, prm.orgs_per_instructor)
        counter = 0
        for blk in blocks:
            idx = members[blk]
            plon = np.concatenate([[base["lon"]], lon[idx]])
            plat = np.concatenate([[base["lat"]], lat[idx]])
            dm = distance_matrix(plon, plat, graph=road, circuity=prm.circuity)
            sources.add(dm.source)
            budget = max(0.2, float(time_limit_s) * idx.size / total_n)
            labels = np.concatenate([[""], ind_all[idx]])
            rts, status = plan_workloads(dm.matrix, orgs_per_instructor=prm.orgs_per_instructor,
                                         max_orgs=prm.max_orgs, industry=labels,
                                         industry_penalty=industry_penalty, time_limit_s=budget, seed=seed,
                                         solver=solver, max_iterations=max_iterations)
            statuses[status] = statuses.get(status, 0) + 1
            rts = sorted(rts, key=lambda r: _bearing(plon[r[0]], plat[r[0]], base))
            for r in rts:
                counter += 1
                routes.append(_make_route(code, counter, r, idx, dm.matrix, base, cand, lon, lat, towns, ind_all,
                                          district, prm, status))
        if progress is not None:
            progress(f"{district.town_names.get(code, code)}：完成", (gi + 1) / len(groups))

    un = pd.DataFrame(unassigned, columns=["org_id", "reason"])
    town_table = _town_table(routes, orgs, district, prm, group_codes=groups)
    source = (" + ".join(sorted(sources)) if sources else ("road" if road is not None else "great_circle"))
    stats = {
        "orgs": int(sum(len(r.org_ids) for r in routes)),
        "candidates": int(len(cand)),
        "instructors": len(routes),
        "total_km": round(float(sum(r.length_km for r in routes)), 3),
        "seconds": round(time.perf_counter() - t0, 2),
        "distance_source": source,
        "circuity": prm.circuity,
        "solver": solver,
        "solver_status": ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items())),
        "speed_kmh": prm.speed_kmh,
        "visit_minutes": prm.visit_minutes,
        "orgs_per_instructor": prm.orgs_per_instructor,
        "max_orgs": prm.max_orgs,
        "min_orgs": prm.min_orgs,
        "cross_town": bool(cross_town),
    }
    return InstructorPlan(routes=routes, unassigned=un, towns=town_table, stats=stats)


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


def _make_route(code, counter, r, idx, matrix, base, cand, lon, lat, towns, ind_all, district, prm,
                status) -> InstructorRoute:
    nodes = np.array(r, dtype=int)
    path = np.concatenate([[0], nodes, [0]])
    legs_m = matrix[path[:-1], path[1:]]
    legs_km = [float(x) / 1000.0 for x in legs_m]
    length_km = float(np.sum(legs_m)) / 1000.0
    sel = idx[nodes - 1]
    names = [str(x) if normalize_text(x) else str(i) for x, i in zip(cand["name"].iloc[sel], cand["id"].iloc[sel])]
    stops_lon = [base["lon"], *lon[sel].tolist(), base["lon"]]
    stops_lat = [base["lat"], *lat[sel].tolist(), base["lat"]]
    stop_names = [base["name"], *names, base["name"]]
    nav = {
        "amap": amap_route_url(stops_lon, stops_lat, stop_names),
        "baidu": baidu_route_url(stops_lon, stops_lat, stop_names),
        "amap_legs": amap_leg_urls(stops_lon, stops_lat, stop_names),
        "baidu_legs": baidu_leg_urls(stops_lon, stops_lat, stop_names),
    }
    minutes = length_km / prm.speed_kmh * 60.0 + prm.visit_minutes * len(sel)
    return InstructorRoute(
        instructor_id=f"{code}-{counter:02d}",
        jurisdiction_code=str(code),
        town_name=district.town_names.get(str(code), str(code)),
        base={k: (round(v, 7) if isinstance(v, float) else v) for k, v in base.items()},
        org_ids=[_plain(x) for x in cand["id"].iloc[sel]],
        org_names=names,
        org_industries=[str(x) if normalize_text(x) else "" for x in cand["industry"].iloc[sel]],
        org_towns=[str(towns[i]) for i in sel],
        lon=lon[sel].tolist(),
        lat=lat[sel].tolist(),
        legs_km=legs_km,
        length_km=length_km,
        minutes=minutes,
        status=status,
        nav=nav,
    )


def _town_table(routes: list[InstructorRoute], orgs: pd.DataFrame, district: District, prm: InstructorParams,
                *, group_codes: Sequence[str]) -> pd.DataFrame:
    available: dict[str, int] = {}
    if "instructor" in orgs and len(orgs):
        codes = _town_of(orgs, district)
        names = orgs["instructor"].map(normalize_text).tolist()
        seen: dict[str, set[str]] = {}
        for c, nme in zip(codes, names):
            if c is not None and nme:
                seen.setdefault(str(c), set()).add(nme)
        available = {k: len(v) for k, v in seen.items()}
    rows = []
    for code in sorted(set(group_codes) | set(available)):
        rs = [r for r in routes if r.jurisdiction_code == code]
        sizes = np.array([len(r.org_ids) for r in rs], dtype=float)
        km = np.array([r.length_km for r in rs], dtype=float)
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
    return pd.DataFrame(rows, columns=[
        "jurisdiction_code", "town_name", "orgs", "instructors_needed", "instructors_available", "instructors_gap",
        "orgs_min", "orgs_mean", "orgs_max", "routes_below_band", "km_total", "km_mean", "km_max"])
