"""Array-based optimizer for joint party units (联建方案); no pandas, no geometry.

The public face is :func:`solve_joint_units`: coordinates in metres, member and
employee counts, integer town and industry-group labels in; units (index arrays
and a hub index) and, for every org left out, a reason code and a next-option
code out. The geo/pandas adapter lives in :mod:`lianxin_geo.plan.joint.plan`; the rule
checker, written separately, in :mod:`lianxin_geo.plan.joint.rules`. The passes live in the
package-private modules ``_state`` (assignment state), ``_heuristics`` and ``_mip``.

Model
-----
A unit is a set ``S`` of orgs with a hub ``h`` = the org of ``S`` with most
formal members, then most employees, then first in input order (its *rank* is
best). ``S`` is feasible when

* ``|S| <= max_units`` (R7) and ``min_members <= sum(members[S]) <= max_members`` (R8, R9);
* every ``i`` in ``S`` lies within ``max_radius_m[i]`` of ``h`` (地域相邻);
* every pair in ``S`` is in the same town (or adjacent towns when allowed) and the same
  industry group (or a similar group when allowed) (属地, R6);
* an org with zero members joins only a unit whose hub shares its building/park key (R23).

Objective, lexicographic: most orgs placed; then fewest units (most orgs per
unit); then least total member-to-hub distance.

Forms (联建形式), in the order given by ``forms``:

* ``building`` (楼宇/园区联建): all orgs of one building or park key in one town, any
  industry, become one unit (or balanced units under the caps); these units are locked;
* ``industry`` (同业联建): passes of increasing freedom (same town and group → similar
  group → adjacent towns → both). The first pass works per connected component of one
  (town, group) partition: small components are solved exactly as a MIP (HiGHS through
  :func:`scipy.optimize.milp`), larger ones by a lazy-greedy hub opening followed by
  insertion, repair-with-stealing and relocation. Later passes insert leftovers into
  existing units, then form new units among leftovers. Then units are merged while the
  union stays feasible (cheapest first) and small units are absorbed by their neighbours;
* ``community`` (区域联建): the orgs still left, any industry, in one town and one
  community (``community`` label) or, without a community, within ``area_radius_m`` of
  the hub; solved like the first industry pass on the leftovers, then merged.

Everything is deterministic; ties follow the input order.
"""


from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from lianxin_geo.plan.joint._heuristics import (
    absorb_units,
    components,
    greedy_open,
    insert_leftovers,
    merge_units,
    relocate,
    repair_with_stealing,
    seed_buildings,
)
from lianxin_geo.plan.joint._mip import mip_component
from lianxin_geo.plan.joint._state import (
    INDUSTRY_KINDS,
    KIND_AREA,
    KIND_BUILDING,
    KIND_COMMUNITY,
    KIND_CROSS_TOWN,
    KIND_SIMILAR,
    State,
)

__all__ = [
    "SolverUnit",
    "SolverResult",
    "solve_joint_units",
    "explain_left",
    "REASON_NONE",
    "REASON_PARTITION_TOTAL",
    "REASON_NEIGHBOURS",
    "REASON_ZERO_MEMBER",
    "REASON_CAPACITY",
    "REASON_FULL",
    "FORM_BUILDING",
    "FORM_INDUSTRY",
    "FORM_COMMUNITY",
    "NEXT_NONE",
    "NEXT_SIMILAR",
    "NEXT_CROSS_TOWN",
    "NEXT_INSTRUCTOR",
    "KIND_BUILDING",
    "KIND_AREA",
    "KIND_SIMILAR",
    "KIND_CROSS_TOWN",
    "KIND_COMMUNITY",
]

REASON_NONE = 0
REASON_PARTITION_TOTAL = 1  # all same-town same-group orgs together have < min_members
REASON_NEIGHBOURS = 2  # compatible orgs within the radius have < min_members
REASON_ZERO_MEMBER = 3  # zero-member org without a unit in its building/park
REASON_CAPACITY = 4  # neighbours exist but every arrangement breaks a rule (cap, radius, hub)
REASON_FULL = 5  # every compatible neighbour sits in a unit that already holds max_units orgs (R7)

#: The solver's forms (passes): 楼宇/园区联建, 同业联建, 区域联建.
FORM_BUILDING = "building"
FORM_INDUSTRY = "industry"
FORM_COMMUNITY = "community"
_FORMS = (FORM_BUILDING, FORM_INDUSTRY, FORM_COMMUNITY)

NEXT_NONE = 0
NEXT_SIMILAR = 1
NEXT_CROSS_TOWN = 2
NEXT_INSTRUCTOR = 3


@dataclass(frozen=True)
class SolverUnit:
    """One proposed unit: ``members`` (hub first, then by distance to the hub) and ``hub``."""

    members: np.ndarray
    hub: int
    kind: str


@dataclass(frozen=True)
class SolverResult:
    """Result of :func:`solve_joint_units`.

    Attributes
    ----------
    units
        Proposed units, in a deterministic order.
    unit_of
        For every org the index into ``units`` or -1.
    reason
        For every org a ``REASON_*`` code (``REASON_NONE`` when placed).
    next_option
        For every org a ``NEXT_*`` code (``NEXT_NONE`` when placed).
    seconds
        Wall-clock time of the solve.
    exact_components
        How many components were solved exactly (MIP).
    """

    units: list[SolverUnit]
    unit_of: np.ndarray
    reason: np.ndarray
    next_option: np.ndarray
    seconds: float
    exact_components: int = 0
    stats: dict[str, Any] = field(default_factory=dict)


def _as_matrix(spec, n: int, *, what: str) -> np.ndarray:
    """Turn ``None`` / iterable of pairs / (n, n) bool matrix into a symmetric bool matrix with a true diagonal."""
    mat = np.zeros((n, n), dtype=bool)
    if spec is not None:
        arr = np.asarray(spec)
        if arr.ndim == 2 and arr.shape == (n, n) and arr.dtype == bool:
            mat |= arr
        elif arr.size:
            arr = arr.reshape(-1, 2).astype(np.int64)
            if (arr < 0).any() or (arr >= n).any():
                raise ValueError(f"{what}: 标签超出范围 0..{n - 1}")
            mat[arr[:, 0], arr[:, 1]] = True
    mat |= mat.T
    np.fill_diagonal(mat, True)
    return mat


@dataclass(frozen=True)
class _Rules:
    """Label-level rule matrices of one solve."""

    eye_t: np.ndarray
    eye_g: np.ndarray
    sim: np.ndarray
    adj: np.ndarray
    allow_similar: bool
    allow_cross_town: bool

    @property
    def has_similar(self) -> bool:
        return bool(self.sim.sum() > self.sim.shape[0])

    @property
    def has_adjacent(self) -> bool:
        return bool(self.adj.sum() > self.adj.shape[0])


def _building_pass(st: State, rules: _Rules) -> None:
    """楼宇/园区联建: per town, the orgs of one building or park become (locked) units, any industry."""
    any_group = np.ones_like(rules.eye_g)
    order = np.argsort(st.town, kind="stable")
    cuts = np.flatnonzero(np.diff(st.town[order])) + 1
    for tidx in np.split(order, cuts):
        seed_buildings(st, np.sort(tidx), rules.eye_t, any_group)


def _first_pass(st: State, rules: _Rules, deadline: float, exact_max_orgs: int) -> int:
    """Same town, same group, per connected component; return how many components were solved exactly."""
    exact = 0
    n_g = rules.eye_g.shape[0]
    part = st.town * n_g + st.group
    order = np.argsort(part, kind="stable")
    cuts = np.flatnonzero(np.diff(part[order])) + 1
    eye_t, eye_g = rules.eye_t, rules.eye_g
    for pidx in np.split(order, cuts):
        pidx = np.sort(pidx)
        if int(st.m[pidx[st.unit_of[pidx] < 0]].sum()) < st.min_members:
            continue
        for comp in components(st, pidx[st.unit_of[pidx] < 0]):
            free = comp[st.unit_of[comp] < 0]
            if int(st.m[free].sum()) < st.min_members:
                continue
            remaining = deadline - time.perf_counter()
            if free.size <= exact_max_orgs and remaining > 0:
                if mip_component(st, free, eye_t, eye_g, remaining):
                    exact += 1
                    continue
            greedy_open(st, free, eye_t, eye_g, KIND_AREA, False, deadline)
        insert_leftovers(st, pidx, eye_t, eye_g, None)
        if (st.unit_of[pidx] < 0).any() and time.perf_counter() < deadline:
            repair_with_stealing(st, pidx, eye_t, eye_g, KIND_AREA, False)
            insert_leftovers(st, pidx, eye_t, eye_g, None)
        if time.perf_counter() < deadline:
            relocate(st, pidx, eye_t, eye_g)
    return exact


def _later_passes(st: State, rules: _Rules, deadline: float, time_limit_s: float) -> None:
    """Similar groups, adjacent towns, both: insert leftovers, then form units among them."""
    levels = []
    if rules.allow_similar and rules.has_similar:
        levels.append((rules.eye_t, rules.sim, KIND_SIMILAR))
    if rules.allow_cross_town and rules.has_adjacent:
        levels.append((rules.adj, rules.eye_g, KIND_CROSS_TOWN))
        if rules.allow_similar and rules.has_similar:
            levels.append((rules.adj, rules.sim, KIND_CROSS_TOWN))
    all_idx = np.arange(st.x.size)
    for tmat, gmat, kind in levels:
        if not (st.unit_of < 0).any():
            break
        insert_leftovers(st, all_idx, tmat, gmat, kind)
        left = all_idx[st.unit_of < 0]
        if left.size >= 2:
            greedy_open(st, left, tmat, gmat, kind, True, deadline + time_limit_s)
        if (st.unit_of < 0).any():
            repair_with_stealing(st, all_idx, tmat, gmat, kind, True)


def _industry_pass(st: State, rules: _Rules, deadline: float, time_limit_s: float, exact_max_orgs: int) -> int:
    """同业联建: same group first, then the freer levels, then merges and absorption (fewer, fuller units)."""
    exact = _first_pass(st, rules, deadline, exact_max_orgs)
    _later_passes(st, rules, deadline, time_limit_s)
    tmat = rules.adj if rules.allow_cross_town else rules.eye_t
    gmat = rules.sim if rules.allow_similar else rules.eye_g
    late = deadline + time_limit_s
    merge_units(st, tmat, gmat, late)
    absorb_units(st, tmat, gmat, late)
    merge_units(st, tmat, gmat, late)
    if (st.unit_of < 0).any():  # fuller units have spare members: new units around the leftovers
        all_idx = np.arange(st.x.size)
        insert_leftovers(st, all_idx, tmat, gmat, None)
        repair_with_stealing(st, all_idx, tmat, gmat, KIND_AREA, True)
        insert_leftovers(st, all_idx, tmat, gmat, None)
    return exact


def _area_view(st: State, community: np.ndarray, area_radius: np.ndarray) -> tuple[State, int]:
    """The state under the 区域联建 rules: same assignment (shared), any industry, one community, area radius.

    The view's "group" is the community label (-1: none, then the tighter ``area_radius``).
    Returns the view and the number of community labels.
    """
    labels = np.unique(community)
    radius = np.where(community >= 0, st.radius, np.minimum(st.radius, area_radius))
    view = State(st.x, st.y, st.m, st.rank, st.town, np.searchsorted(labels, community), st.key, radius,
                 max_units=st.max_units, min_members=st.min_members, max_members=st.max_members)
    view.unit_of, view.units, view.hub, view.kind, view.locked = st.unit_of, st.units, st.hub, st.kind, st.locked
    view._next = st._next
    return view, int(labels.size)


def _community_pass(st: State, rules: _Rules, community: np.ndarray, area_radius: np.ndarray, deadline: float,
                    exact_max_orgs: int) -> int:
    """区域联建 for the orgs still left: any industry, one town, one community (or the tighter radius).

    Leftovers join an unlocked unit when the whole unit then keeps the 区域联建 rules, or form new
    units (with spare members of nearby units); units are then merged and absorbed under the same
    rules. Every unit changed here becomes a (locked) 区域联建 unit.
    """
    if not (st.unit_of < 0).any():
        return 0
    view, n_c = _area_view(st, community, area_radius)
    eye_c = np.eye(n_c, dtype=bool)
    before = {u: tuple(m) for u, m in st.units.items()}
    all_idx = np.arange(st.x.size)
    insert_leftovers(view, all_idx, rules.eye_t, eye_c, None)
    sub_rules = _Rules(eye_t=rules.eye_t, eye_g=eye_c, sim=eye_c, adj=rules.eye_t, allow_similar=False,
                       allow_cross_town=False)
    exact = _first_pass(view, sub_rules, deadline, exact_max_orgs)
    late = deadline + 5.0
    for u, m in st.units.items():
        if not set(m) <= set(before.get(u, ())):
            st.kind[u] = KIND_COMMUNITY
    # fewer units: merges and absorption among the 区域联建 units (and the 同业 units they can take in)
    merge_units(view, rules.eye_t, eye_c, late)
    absorb_units(view, rules.eye_t, eye_c, late)
    st._next = view._next
    st.time_capped |= view.time_capped
    for u, m in st.units.items():
        if not set(m) <= set(before.get(u, ())) or st.kind[u] == KIND_COMMUNITY:  # gained a member here
            st.kind[u] = KIND_COMMUNITY
            st.locked.add(u)
    return exact


def _final_units(st: State) -> tuple[list[SolverUnit], np.ndarray]:
    """Units in a deterministic order (by hub rank within town), members hub first then by distance."""
    unit_of = np.full(st.x.size, -1, dtype=np.int64)
    uids = sorted(st.units, key=lambda u: (st.town[st.hub[u]], st.rank[st.hub[u]]))
    units: list[SolverUnit] = []
    for k, uid in enumerate(uids):
        h = st.hub[uid]
        mem = np.array(sorted(st.units[uid], key=lambda i: (i != h, st.d(i, h), st.rank[i])), dtype=np.int64)
        kind = st.kind[uid]
        if kind in INDUSTRY_KINDS:
            if kind != KIND_CROSS_TOWN and np.unique(st.group[mem]).size > 1:
                kind = KIND_SIMILAR
            if np.unique(st.town[mem]).size > 1:
                kind = KIND_CROSS_TOWN
        units.append(SolverUnit(members=mem, hub=int(h), kind=kind))
        unit_of[mem] = k
    return units, unit_of


def _state(x_m, y_m, members, employees, town, group, building_or_park_key, max_radius_m, *, max_units: int,
           min_members: int, max_members: int) -> State:
    """Check and coerce the arrays; the hub rank is most members, then most employees, then input order."""
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    n = x.size
    m = np.asarray(members, dtype=np.int64).reshape(-1)
    emp = np.nan_to_num(np.asarray(employees, dtype=float).reshape(-1), nan=0.0)
    town = np.asarray(town, dtype=np.int64).reshape(-1)
    group = np.asarray(group, dtype=np.int64).reshape(-1)
    key = (np.full(n, -1, dtype=np.int64) if building_or_park_key is None
           else np.asarray(building_or_park_key, dtype=np.int64).reshape(-1))
    radius = np.broadcast_to(np.asarray(max_radius_m, dtype=float), (n,)).astype(float)
    for name, arr in (("y_m", y), ("members", m), ("employees", emp), ("town", town), ("group", group),
                      ("building_or_park_key", key)):
        if arr.size != n:
            raise ValueError(f"{name} 长度 {arr.size} 与 x_m 长度 {n} 不一致")
    if n and not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x_m/y_m 含非有限值：缺少坐标的单位应在调用前剔除")
    if max_units < 1 or min_members < 1 or max_members < min_members:
        raise ValueError(f"规则参数不合理：max_units={max_units}, min_members={min_members}, max_members={max_members}")
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), -emp, -m))] = np.arange(n)
    return State(x, y, m, rank, town, group, key, radius,
                 max_units=int(max_units), min_members=int(min_members), max_members=int(max_members))


def _prepare(x_m, y_m, members, employees, town, group, similar, building_or_park_key, *, max_units: int,
             min_members: int, max_members: int, max_radius_m, allow_similar: bool, allow_cross_town: bool,
             adjacency, forms, community, area_radius_m) -> tuple[State, _Rules, tuple[str, ...], np.ndarray,
                                                                  np.ndarray]:
    """Check the arrays and build the state, the label-level rules, the forms, communities and area radii."""
    st = _state(x_m, y_m, members, employees, town, group, building_or_park_key, max_radius_m,
                max_units=max_units, min_members=min_members, max_members=max_members)
    n = st.x.size
    n_t = int(st.town.max()) + 1
    n_g = int(st.group.max()) + 1
    rules = _Rules(eye_t=np.eye(n_t, dtype=bool), eye_g=np.eye(n_g, dtype=bool),
                   sim=_as_matrix(similar, n_g, what="similar"), adj=_as_matrix(adjacency, n_t, what="adjacency"),
                   allow_similar=bool(allow_similar), allow_cross_town=bool(allow_cross_town))
    forms = tuple(forms)
    bad = [f for f in forms if f not in _FORMS]
    if bad:
        raise ValueError(f"forms 含未知的联建形式 {bad}：可用 {list(_FORMS)}")
    comm = (np.full(n, -1, dtype=np.int64) if community is None
            else np.asarray(community, dtype=np.int64).reshape(-1))
    area_r = (st.radius.copy() if area_radius_m is None
              else np.broadcast_to(np.asarray(area_radius_m, dtype=float), (n,)).astype(float))
    if comm.size != n:
        raise ValueError(f"community 长度 {comm.size} 与 x_m 长度 {n} 不一致")
    return st, rules, forms, comm, area_r


def explain_left(unit_of, x_m, y_m, members, employees, town, group, similar=None, building_or_park_key=None, *,
                 max_units: int, min_members: int, max_members: int, max_radius_m, allow_similar: bool = True,
                 allow_cross_town: bool = False, adjacency=None, forms=_FORMS, community=None,
                 area_radius_m=None) -> tuple[np.ndarray, np.ndarray]:
    """Reason and next-option codes for the orgs an assignment ``unit_of`` leaves out (-1).

    The arrays and rules are those of :func:`solve_joint_units`. Used when parts of one problem were solved
    apart (towns no unit crosses, as engine tasks): the reasons look at the whole problem, e.g. whether the
    same industry in an adjacent town would help.
    """
    unit_of = np.asarray(unit_of, dtype=np.int64).reshape(-1)
    if unit_of.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy()
    st, rules, forms, comm, area_r = _prepare(
        x_m, y_m, members, employees, town, group, similar, building_or_park_key, max_units=max_units,
        min_members=min_members, max_members=max_members, max_radius_m=max_radius_m, allow_similar=allow_similar,
        allow_cross_town=allow_cross_town, adjacency=adjacency, forms=forms, community=community,
        area_radius_m=area_radius_m)
    return _explain(st, unit_of, rules, forms, comm, area_r)


# ----------------------------------------------------------------------------- public
def solve_joint_units(
    x_m,
    y_m,
    members,
    employees,
    town,
    group,
    similar=None,
    building_or_park_key=None,
    *,
    max_units: int,
    min_members: int,
    max_members: int,
    max_radius_m,
    allow_similar: bool = True,
    allow_cross_town: bool = False,
    adjacency=None,
    time_limit_s: float = 30.0,
    seed: int = 0,
    exact_max_orgs: int = 40,
    forms=_FORMS,
    community=None,
    area_radius_m=None,
) -> SolverResult:
    """Form joint units that satisfy every rule at once.

    Parameters
    ----------
    x_m, y_m
        Projected coordinates in metres (finite), one per eligible org.
    members
        Formal party members per org (>= 0; zero only for building/park orgs).
    employees
        Employees per org (tie-break for the hub); missing as 0.
    town
        Integer town/street label per org (0..T-1).
    group
        Integer industry-group label per org (0..G-1).
    similar
        Pairs of group labels that count as similar (R6 fallback), or a (G, G) bool matrix.
    building_or_park_key
        Integer building/park label per org, -1 for none.
    max_units, min_members, max_members
        R7 cap on orgs per unit, R8 floor and R9 ceiling on total formal members.
    max_radius_m
        Scalar or per-org limit on the distance of the org to its unit's hub.
    allow_similar
        Use ``similar`` to place leftovers in mixed-industry units.
    allow_cross_town
        Allow units over adjacent towns (``adjacency``: pairs of town labels or a bool matrix).
    time_limit_s
        Safety cap for the whole solve. The passes and the MIPs stop on deterministic limits (a node limit, no
        more improving move), so the result never depends on the machine's speed; when the cap cuts a step
        short the result's ``stats["time_capped"]`` is true.
    seed
        Accepted for API stability; the algorithm is deterministic (ties follow input order).
    exact_max_orgs
        Components of at most this many orgs are solved exactly (MIP).
    forms
        The forms to use, in pass order: ``"building"`` (楼宇/园区联建), ``"industry"`` (同业联建),
        ``"community"`` (区域联建). Orgs no allowed form can place stay out.
    community
        Integer community label per org (-1 unknown) for 区域联建: a community unit holds one
        community. Orgs without a community use ``area_radius_m`` instead.
    area_radius_m
        Scalar or per-org distance limit of 区域联建 for orgs without a community (``None``:
        ``max_radius_m``).

    Returns
    -------
    SolverResult
    """
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
    if np.asarray(x_m).size == 0:
        e = np.zeros(0, dtype=np.int64)
        return SolverResult([], e.copy(), e, e.copy(), 0.0)
    st, rules, forms, comm, area_r = _prepare(
        x_m, y_m, members, employees, town, group, similar, building_or_park_key, max_units=max_units,
        min_members=min_members, max_members=max_members, max_radius_m=max_radius_m, allow_similar=allow_similar,
        allow_cross_town=allow_cross_town, adjacency=adjacency, forms=forms, community=community,
        area_radius_m=area_radius_m)
    exact = 0
    for form in forms:
        if form == FORM_BUILDING:
            _building_pass(st, rules)
        elif form == FORM_INDUSTRY:
            exact += _industry_pass(st, rules, deadline, float(time_limit_s), exact_max_orgs)
        else:
            exact += _community_pass(st, rules, comm, area_r, deadline, exact_max_orgs)
    # the passes stop on deterministic limits; the deadline is a safety cap, and reaching it is reported
    capped = st.time_capped or time.perf_counter() > deadline
    units, unit_of = _final_units(st)
    reason, nxt = _explain(st, unit_of, rules, forms, comm, area_r)
    return SolverResult(units, unit_of, reason, nxt, time.perf_counter() - t0, exact,
                        stats={"time_capped": bool(capped)})


def _explain(st: State, unit_of: np.ndarray, rules: _Rules, forms: tuple[str, ...], comm: np.ndarray,
             area_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reason and next option for every org left out, judged by the forms in use and their rules."""
    n = st.x.size
    reason = np.zeros(n, dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)
    left = np.flatnonzero(unit_of < 0)
    if left.size == 0:
        return reason, nxt
    ind_on, area_on = FORM_INDUSTRY in forms, FORM_COMMUNITY in forms
    tmat = rules.adj if rules.allow_cross_town else rules.eye_t
    gmat = rules.sim if rules.allow_similar else rules.eye_g
    tree = cKDTree(np.column_stack([st.x, st.y]))
    sizes = np.zeros(n, dtype=np.int64)
    placed = unit_of >= 0
    sizes[placed] = np.bincount(unit_of[placed])[unit_of[placed]]

    def near(i: int, radius: float, tm, gm) -> np.ndarray:
        out = np.asarray(tree.query_ball_point([st.x[i], st.y[i]], float(radius)), dtype=np.int64)
        out = out[out != i]
        return out[tm[st.town[i], st.town[out]] & gm[st.group[i], st.group[out]] & (st.m[out] > 0)]

    def near_area(i: int) -> np.ndarray:
        radius = st.radius[i] if comm[i] >= 0 else min(st.radius[i], area_r[i])
        out = near(i, radius, rules.eye_t, np.ones_like(rules.eye_g))
        return out[comm[out] == comm[i]]

    for i in left.tolist():
        if st.m[i] <= 0:
            reason[i] = REASON_ZERO_MEMBER
        else:
            ind_near = near(i, st.radius[i], tmat, gmat) if ind_on else np.zeros(0, dtype=np.int64)
            area_near = near_area(i) if area_on else np.zeros(0, dtype=np.int64)
            reach = int(st.m[i]) + max(int(st.m[ind_near].sum()), int(st.m[area_near].sum()))
            if reach >= st.min_members:
                both = np.union1d(ind_near, area_near)
                free_or_room = both[(unit_of[both] < 0) | (sizes[both] < st.max_units)]
                reason[i] = REASON_FULL if both.size and free_or_room.size == 0 else REASON_CAPACITY
            elif ind_on and int(st.m[tmat[st.town[i], st.town] & gmat[st.group[i], st.group]].sum()) < st.min_members:
                reason[i] = REASON_PARTITION_TOTAL
            else:
                reason[i] = REASON_NEIGHBOURS
        if ind_on and not rules.allow_similar and rules.has_similar and (
                int(st.m[i]) + int(st.m[near(i, st.radius[i], rules.eye_t, rules.sim)].sum()) >= st.min_members):
            nxt[i] = NEXT_SIMILAR
        elif ind_on and not rules.allow_cross_town and rules.has_adjacent and (
                int(st.m[i]) + int(st.m[near(i, st.radius[i], rules.adj, gmat)].sum()) >= st.min_members):
            nxt[i] = NEXT_CROSS_TOWN
        else:
            nxt[i] = NEXT_INSTRUCTOR
    return reason, nxt
