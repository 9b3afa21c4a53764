"""Array-based optimizer for joint party units (联建方案); no pandas, no geometry.

The public face is :func:`solve_joint_units`: coordinates in metres, member and
employee counts, integer town and industry-group labels in; units (index arrays
and a hub index) and, for every org left out, a reason code and a next-option
code out. The geo/pandas adapter lives in :mod:`lianxin_geo.plan.joint.plan`; the rule
checker, written separately, in :mod:`lianxin_geo.plan.joint.rules`.

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

Objective, lexicographic: most orgs placed; then least total member-to-hub
distance; then fewest mixed-industry units; then (free merges) fewest units.

Algorithm: passes of increasing freedom (same town and group → similar group →
adjacent towns → both). The first pass works per connected component of one
(town, group) partition: building/park groups are seeded as units first, small
components are solved exactly as a MIP (HiGHS through :func:`scipy.optimize.milp`),
larger ones by a lazy-greedy hub opening (cheapest floor-reaching unit first)
followed by insertion, repair-with-stealing and relocation passes. Later passes
insert leftovers into existing units, then form new units among leftovers.
Everything is deterministic; ties follow the input order.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

__all__ = [
    "SolverUnit",
    "SolverResult",
    "solve_joint_units",
    "REASON_NONE",
    "REASON_PARTITION_TOTAL",
    "REASON_NEIGHBOURS",
    "REASON_ZERO_MEMBER",
    "REASON_CAPACITY",
    "NEXT_NONE",
    "NEXT_SIMILAR",
    "NEXT_CROSS_TOWN",
    "NEXT_INSTRUCTOR",
    "KIND_BUILDING",
    "KIND_AREA",
    "KIND_SIMILAR",
    "KIND_CROSS_TOWN",
]

REASON_NONE = 0
REASON_PARTITION_TOTAL = 1  # all same-town same-group orgs together have < min_members
REASON_NEIGHBOURS = 2  # compatible orgs within the radius have < min_members
REASON_ZERO_MEMBER = 3  # zero-member org without a unit in its building/park
REASON_CAPACITY = 4  # neighbours exist but every arrangement breaks a rule (cap, radius, hub)

NEXT_NONE = 0
NEXT_SIMILAR = 1
NEXT_CROSS_TOWN = 2
NEXT_INSTRUCTOR = 3

KIND_BUILDING = "building"
KIND_AREA = "area"
KIND_SIMILAR = "similar"
KIND_CROSS_TOWN = "cross_town"


@dataclass(frozen=True)
class SolverUnit:
    """One proposed unit: ``members`` (hub first, then by distance to the hub) and ``hub``."""

    members: np.ndarray
    hub: int
    kind: str


@dataclass
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
    stats: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers
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


class _State:
    """Mutable assignment state shared by the passes."""

    def __init__(self, x, y, m, rank, town, group, key, radius, *, max_units, min_members, max_members):
        self.x, self.y, self.m, self.rank = x, y, m, rank
        self.town, self.group, self.key, self.radius = town, group, key, radius
        self.max_units, self.min_members, self.max_members = max_units, min_members, max_members
        self.unit_of = np.full(x.size, -1, dtype=np.int64)
        self.units: dict[int, list[int]] = {}
        self.hub: dict[int, int] = {}
        self.kind: dict[int, str] = {}
        self._next = 0

    def d(self, i: int, j: int) -> float:
        return float(np.hypot(self.x[i] - self.x[j], self.y[i] - self.y[j]))

    def hub_of(self, members) -> int:
        return min(members, key=lambda k: self.rank[k])

    def joinable(self, i: int, h: int) -> bool:
        """Can ``i`` sit in a unit whose hub is ``h`` (radius and zero-member rules)?"""
        if self.d(i, h) > self.radius[i]:
            return False
        if self.m[i] <= 0 and i != h:
            return self.key[i] >= 0 and self.key[i] == self.key[h]
        return True

    def feasible(self, members, tmat, gmat) -> bool:
        if len(members) > self.max_units:
            return False
        s = int(self.m[members].sum())
        if s < self.min_members or s > self.max_members:
            return False
        h = self.hub_of(members)
        mem = np.asarray(members)
        if not tmat[np.ix_(self.town[mem], self.town[mem])].all():
            return False
        if not gmat[np.ix_(self.group[mem], self.group[mem])].all():
            return False
        return all(self.joinable(i, h) for i in members)

    def add_unit(self, members, kind: str) -> int:
        uid = self._next
        self._next += 1
        self.units[uid] = list(members)
        self.hub[uid] = self.hub_of(members)
        self.kind[uid] = kind
        self.unit_of[list(members)] = uid
        return uid

    def drop_unit(self, uid: int) -> None:
        self.unit_of[self.units[uid]] = -1
        del self.units[uid], self.hub[uid], self.kind[uid]

    def set_members(self, uid: int, members) -> None:
        self.units[uid] = list(members)
        self.hub[uid] = self.hub_of(members)
        self.unit_of[list(members)] = uid

    def cost(self, uid: int) -> float:
        h = self.hub[uid]
        return sum(self.d(i, h) for i in self.units[uid])


def _pairs_within(st: _State, idx: np.ndarray, rmax: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ordered pairs (a, b) of ``idx`` with distance <= ``rmax`` (global indices, both directions)."""
    if idx.size < 2:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    tree = cKDTree(np.column_stack([st.x[idx], st.y[idx]]))
    pr = tree.query_pairs(rmax, output_type="ndarray")
    if pr.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    a = idx[pr[:, 0]]
    b = idx[pr[:, 1]]
    dist = np.hypot(st.x[a] - st.x[b], st.y[a] - st.y[b])
    return np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([dist, dist])


def _candidate_lists(st: _State, idx: np.ndarray, tmat, gmat) -> dict[int, list[tuple[float, int]]]:
    """For each potential hub h in ``idx``: compatible lower-ranked orgs that may join it, nearest first."""
    rmax = float(st.radius[idx].max()) if idx.size else 0.0
    h, j, dist = _pairs_within(st, idx, rmax)
    ok = (st.rank[h] < st.rank[j]) & (dist <= st.radius[j])
    ok &= tmat[st.town[h], st.town[j]] & gmat[st.group[h], st.group[j]]
    ok &= (st.m[j] > 0) | ((st.key[j] >= 0) & (st.key[j] == st.key[h]))
    h, j, dist = h[ok], j[ok], dist[ok]
    order = np.lexsort((st.rank[j], dist, h))
    out: dict[int, list[tuple[float, int]]] = {}
    hs, js, ds = h[order], j[order], dist[order]
    if hs.size:
        cuts = np.flatnonzero(np.diff(hs)) + 1
        for seg_h, seg_j, seg_d in zip(np.split(hs, cuts), np.split(js, cuts), np.split(ds, cuts)):
            out[int(seg_h[0])] = list(zip(seg_d.tolist(), seg_j.tolist()))
    return out


def _best_unit_for_hub(st: _State, h: int, cands, available, tmat, gmat, pairwise: bool):
    """Cheapest floor-reaching member set for hub ``h`` among ``available`` orgs, or None."""
    chosen = [h]
    total = int(st.m[h])
    cost = 0.0
    if total >= st.min_members:
        return None  # an org with enough members forms its own organisation, not a joint one
    for dist, j in cands:
        if not available[j]:
            continue
        if len(chosen) >= st.max_units:
            break
        mj = int(st.m[j])
        if mj <= 0 or total + mj > st.max_members:
            continue
        if pairwise:
            others = np.asarray(chosen)
            if not (tmat[st.town[j], st.town[others]].all() and gmat[st.group[j], st.group[others]].all()):
                continue
        chosen.append(j)
        total += mj
        cost += dist
        if total >= st.min_members:
            return cost, chosen
    return None


def _greedy_open(st: _State, idx: np.ndarray, tmat, gmat, kind: str, pairwise: bool, deadline: float) -> None:
    """Lazy greedy: repeatedly open the hub whose cheapest floor-reaching unit costs least."""
    cands = _candidate_lists(st, idx, tmat, gmat)
    available = np.zeros(st.x.size, dtype=bool)
    available[idx] = st.unit_of[idx] < 0
    heap: list[tuple[float, int, int]] = []
    for h in idx.tolist():
        if not available[h]:
            continue
        res = _best_unit_for_hub(st, h, cands.get(h, ()), available, tmat, gmat, pairwise)
        if res is not None:
            heap.append((res[0], int(st.rank[h]), h))
    heapq.heapify(heap)
    while heap:
        cost, r, h = heapq.heappop(heap)
        if not available[h]:
            continue
        res = _best_unit_for_hub(st, h, cands.get(h, ()), available, tmat, gmat, pairwise)
        if res is None:
            continue
        if res[0] > cost + 1e-9 and heap and res[0] > heap[0][0]:
            heapq.heappush(heap, (res[0], r, h))
            continue
        st.add_unit(res[1], kind)
        available[res[1]] = False
        if time.perf_counter() > deadline:
            break


def _insert_leftovers(st: _State, idx: np.ndarray, tmat, gmat, kind: str | None) -> int:
    """Insert unplaced orgs of ``idx`` into the nearest existing unit that stays feasible."""
    left = idx[st.unit_of[idx] < 0]
    if left.size == 0 or not st.units:
        return 0
    uids = np.fromiter(st.units.keys(), dtype=np.int64)
    hubs = np.array([st.hub[u] for u in uids.tolist()], dtype=np.int64)
    tree = cKDTree(np.column_stack([st.x[hubs], st.y[hubs]]))
    placed = 0
    for i in left[np.argsort(st.rank[left], kind="stable")].tolist():
        near = tree.query_ball_point([st.x[i], st.y[i]], float(st.radius.max()))
        options = []
        for k in near:
            uid = int(uids[k])
            if uid not in st.units:
                continue
            mem = st.units[uid]
            if len(mem) >= st.max_units:
                continue
            new = mem + [i]
            if st.feasible(new, tmat, gmat):
                options.append((st.d(i, st.hub_of(new)), st.rank[st.hub[uid]], uid, new))
        if options:
            options.sort(key=lambda t: (t[0], t[1]))
            _, _, uid, new = options[0]
            st.set_members(uid, new)
            if kind is not None and st.kind[uid] != kind and kind != KIND_AREA:
                st.kind[uid] = kind
            placed += 1
    return placed


def _repair_with_stealing(st: _State, idx: np.ndarray, tmat, gmat, kind: str, pairwise: bool) -> int:
    """Form new units around leftovers, borrowing spare members (not hubs) from nearby units."""
    placed = 0
    rmax = float(st.radius.max())
    tree = cKDTree(np.column_stack([st.x[idx], st.y[idx]]))
    for u in idx[np.argsort(st.rank[idx], kind="stable")].tolist():
        if st.unit_of[u] >= 0 or st.m[u] <= 0:
            continue
        near = idx[tree.query_ball_point([st.x[u], st.y[u]], rmax)]
        near = near[tmat[st.town[u], st.town[near]] & gmat[st.group[u], st.group[near]]]
        # possible hubs: u itself or a better-ranked org that u may join
        hubs = [h for h in near.tolist() if st.rank[h] <= st.rank[u] and st.joinable(u, h)]
        best = None
        for h in sorted(hubs, key=lambda k: (st.d(u, k), st.rank[k])):
            if st.m[h] >= st.min_members:
                continue
            if st.unit_of[h] >= 0 and not _spare(st, h):
                continue
            chosen = [h] if h == u else [h, u]
            total = int(st.m[chosen].sum())
            pool = [j for j in near.tolist() if j not in chosen and st.rank[j] > st.rank[h]
                    and st.m[j] > 0 and st.joinable(j, h)]
            pool.sort(key=lambda j: (st.unit_of[j] >= 0, st.d(j, h), st.rank[j]))
            for j in pool:
                if total >= st.min_members or len(chosen) >= st.max_units:
                    break
                if st.unit_of[j] >= 0 and not _spare(st, j, taken=chosen):
                    continue
                if total + st.m[j] > st.max_members:
                    continue
                if pairwise:
                    others = np.asarray(chosen)
                    if not (tmat[st.town[j], st.town[others]].all() and gmat[st.group[j], st.group[others]].all()):
                        continue
                chosen.append(j)
                total += int(st.m[j])
            if total >= st.min_members and st.feasible(chosen, tmat, gmat):
                best = chosen
                break
        if best is None:
            continue
        for j in best:
            uid = st.unit_of[j]
            if uid >= 0:
                st.set_members(uid, [k for k in st.units[uid] if k != j])
                st.unit_of[j] = -1
        st.add_unit(best, kind)
        placed += 1
    return placed


def _spare(st: _State, j: int, taken=()) -> bool:
    """Can member ``j`` leave its unit (not the hub, the rest stays feasible)?"""
    uid = int(st.unit_of[j])
    if uid < 0:
        return True
    if st.hub[uid] == j:
        return False
    rest = [k for k in st.units[uid] if k != j and k not in taken]
    return len(rest) >= 1 and int(st.m[rest].sum()) >= st.min_members and st.hub_of(rest) == st.hub[uid]


def _relocate(st: _State, idx: np.ndarray, tmat, gmat, passes: int = 2) -> None:
    """Move non-hub members to a nearer feasible hub when their unit stays feasible."""
    if len(st.units) < 2:
        return
    rmax = float(st.radius.max())
    for _ in range(passes):
        moved = 0
        uids = np.fromiter(st.units.keys(), dtype=np.int64)
        hubs = np.array([st.hub[u] for u in uids.tolist()], dtype=np.int64)
        tree = cKDTree(np.column_stack([st.x[hubs], st.y[hubs]]))
        for j in idx.tolist():
            a = int(st.unit_of[j])
            if a < 0 or st.hub[a] == j:
                continue
            here = st.d(j, st.hub[a])
            if here <= 0:
                continue
            rest = [k for k in st.units[a] if k != j]
            if int(st.m[rest].sum()) < st.min_members:
                continue
            best = None
            for k in tree.query_ball_point([st.x[j], st.y[j]], min(here, rmax)):
                b = int(uids[k])
                if b == a or b not in st.units or len(st.units[b]) >= st.max_units:
                    continue
                hb = st.hub[b]
                if st.rank[hb] > st.rank[j] or st.d(j, hb) >= here - 1e-6:
                    continue
                new = st.units[b] + [j]
                if st.feasible(new, tmat, gmat):
                    cand = (st.d(j, hb), st.rank[hb], b)
                    if best is None or cand < best:
                        best = cand
            if best is not None:
                st.set_members(a, rest)
                st.set_members(best[2], st.units[best[2]] + [j])
                moved += 1
        if moved == 0:
            break


def _merge_free(st: _State, tmat, gmat, slack_m: float) -> None:
    """Merge units when the merge adds at most ``slack_m`` metres of member-to-hub distance."""
    changed = True
    while changed and len(st.units) > 1:
        changed = False
        uids = sorted(st.units, key=lambda u: st.rank[st.hub[u]])
        hubs = np.array([st.hub[u] for u in uids], dtype=np.int64)
        tree = cKDTree(np.column_stack([st.x[hubs], st.y[hubs]]))
        for pos, a in enumerate(uids):
            if a not in st.units:
                continue
            for k in sorted(tree.query_ball_point([st.x[hubs[pos]], st.y[hubs[pos]]], max(slack_m, 1e-6))):
                b = uids[k]
                if b == a or b not in st.units or a not in st.units:
                    continue
                new = st.units[a] + st.units[b]
                if len(new) > st.max_units or not st.feasible(new, tmat, gmat):
                    continue
                h = st.hub_of(new)
                added = sum(st.d(i, h) for i in new) - st.cost(a) - st.cost(b)
                if added <= slack_m + 1e-9:
                    kind = st.kind[a] if st.kind[a] == st.kind[b] else KIND_AREA
                    st.drop_unit(b)
                    st.set_members(a, new)
                    st.kind[a] = kind
                    changed = True


def _mip_component(st: _State, idx: np.ndarray, tmat, gmat, time_limit: float) -> bool:
    """Solve one small component exactly (placed first, then distance). Return True when solved."""
    from scipy.optimize import LinearConstraint, milp
    from scipy.sparse import coo_matrix

    avail = idx[st.unit_of[idx] < 0]
    n = avail.size
    if n < 2:
        return True
    pos = {int(g): k for k, g in enumerate(avail.tolist())}
    hub_ok = (st.m[avail] > 0) & (st.m[avail] < st.min_members)
    pairs = []
    for a in range(n):
        if not hub_ok[a]:
            continue
        h = int(avail[a])
        for b in range(n):
            i = int(avail[b])
            if i == h or st.rank[i] < st.rank[h]:
                continue
            if not (tmat[st.town[h], st.town[i]] and gmat[st.group[h], st.group[i]]):
                continue
            if st.joinable(i, h) and st.m[i] > 0:
                pairs.append((a, b, st.d(i, h)))
    hubs = np.flatnonzero(hub_ok)
    nh, nx = hubs.size, len(pairs)
    nv = nh + nx
    if nx == 0:
        return True
    hpos = {int(a): k for k, a in enumerate(hubs.tolist())}
    dist = np.array([p[2] for p in pairs])
    big = float(dist.sum()) + 1.0
    c = np.concatenate([np.full(nh, -big), -big + dist])
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    # each org at most once
    for a in range(n):
        if a in hpos:
            rows.append(r); cols.append(hpos[a]); vals.append(1.0)
        for k, p in enumerate(pairs):
            if p[1] == a:
                rows.append(r); cols.append(nh + k); vals.append(1.0)
        lo.append(-np.inf); hi.append(1.0); r += 1
    by_hub: dict[int, list[int]] = {}
    for k, p in enumerate(pairs):
        by_hub.setdefault(p[0], []).append(k)
        rows += [r, r]; cols += [nh + k, hpos[p[0]]]; vals += [1.0, -1.0]
        lo.append(-np.inf); hi.append(0.0); r += 1
    for a, ks in by_hub.items():
        hv = hpos[a]
        mh = float(st.m[avail[a]])
        # count
        rows.append(r); cols.append(hv); vals.append(-(st.max_units - 1.0))
        for k in ks:
            rows.append(r); cols.append(nh + k); vals.append(1.0)
        lo.append(-np.inf); hi.append(0.0); r += 1
        # floor and ceiling
        for bound, sign in ((st.min_members, 1.0), (st.max_members, -1.0)):
            rows.append(r); cols.append(hv); vals.append(sign * (mh - bound))
            for k in ks:
                rows.append(r); cols.append(nh + k); vals.append(sign * float(st.m[avail[pairs[k][1]]]))
            lo.append(0.0); hi.append(np.inf); r += 1
    # hubs that have no possible member cannot open
    ub = np.ones(nv)
    for a, k in hpos.items():
        if a not in by_hub:
            ub[k] = 0.0
    A = coo_matrix((vals, (rows, cols)), shape=(r, nv)).tocsr()
    from scipy.optimize import Bounds

    res = milp(c, constraints=LinearConstraint(A, lo, hi), integrality=np.ones(nv),
               bounds=Bounds(np.zeros(nv), ub),
               options={"time_limit": max(time_limit, 0.05), "mip_rel_gap": 1e-12, "disp": False})
    if res.x is None or res.status not in (0,):
        return False
    sol = np.round(res.x).astype(int)
    for a, hv in hpos.items():
        if sol[hv] != 1:
            continue
        mem = [int(avail[a])] + [int(avail[pairs[k][1]]) for k in by_hub.get(a, []) if sol[nh + k] == 1]
        if st.feasible(mem, tmat, gmat):
            st.add_unit(mem, KIND_AREA)
    return True


def _seed_buildings(st: _State, idx: np.ndarray, tmat, gmat) -> None:
    """R23/R24: orgs sharing a building or park become units first when the rules allow."""
    keyed = idx[(st.key[idx] >= 0) & (st.unit_of[idx] < 0)]
    if keyed.size < 2:
        return
    for k in np.unique(st.key[keyed]).tolist():
        grp = keyed[st.key[keyed] == k]
        grp = grp[np.argsort(st.rank[grp], kind="stable")]
        if grp.size < 2 or int(st.m[grp].sum()) < st.min_members:
            continue
        hub = int(grp[0])
        grp = np.array([i for i in grp.tolist() if st.joinable(i, hub)], dtype=np.int64)
        if grp.size < 2 or int(st.m[grp].sum()) < st.min_members or st.m[hub] >= st.min_members:
            continue
        pos_m = grp[st.m[grp] > 0]
        zero = grp[st.m[grp] <= 0]
        total = int(st.m[pos_m].sum())
        n_chunks = max(1, -(-grp.size // st.max_units), -(-total // st.max_members))
        n_chunks = min(n_chunks, max(1, total // st.min_members))
        for n_try in range(n_chunks, 0, -1):
            chunks: list[list[int]] = [[] for _ in range(n_try)]
            for r, i in enumerate(pos_m.tolist()):  # members round-robin by rank: balanced sums
                chunks[r % n_try].append(i)
            for r, i in enumerate(zero.tolist()):
                chunks[int(np.argmin([len(c) for c in chunks]))].append(i)
            ok = [c for c in chunks if st.feasible(c, tmat, gmat)]
            if ok:
                for c in ok:
                    st.add_unit(c, KIND_BUILDING)
                break


def _components(st: _State, idx: np.ndarray) -> list[np.ndarray]:
    """Split ``idx`` into groups that cannot share a unit (no chain of pairs within the radius)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if idx.size <= 1:
        return [idx]
    a, b, _ = _pairs_within(st, idx, float(st.radius[idx].max()))
    loc = np.full(st.x.size, -1, dtype=np.int64)
    loc[idx] = np.arange(idx.size)
    g = coo_matrix((np.ones(a.size), (loc[a], loc[b])), shape=(idx.size, idx.size))
    ncomp, lab = connected_components(g, directed=False)
    order = np.argsort(lab, kind="stable")
    cuts = np.flatnonzero(np.diff(lab[order])) + 1
    return [idx[c] for c in np.split(order, cuts)]


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
    merge_slack_m: float = 0.0,
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
        Soft limit for the whole solve; MIPs and later passes shrink to fit.
    seed
        Accepted for API stability; the algorithm is deterministic (ties follow input order).
    exact_max_orgs
        Components of at most this many orgs are solved exactly (MIP).
    merge_slack_m
        Merge two units when it adds at most this much total distance (0: only free merges).

    Returns
    -------
    SolverResult
    """
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
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
    unit_of = np.full(n, -1, dtype=np.int64)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return SolverResult([], unit_of, e, e.copy(), 0.0)
    n_t = int(town.max()) + 1
    n_g = int(group.max()) + 1
    eye_t = np.eye(n_t, dtype=bool)
    eye_g = np.eye(n_g, dtype=bool)
    sim = _as_matrix(similar, n_g, what="similar")
    adj = _as_matrix(adjacency, n_t, what="adjacency")
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), -emp, -m))] = np.arange(n)
    st = _State(x, y, m, rank, town, group, key, radius,
                max_units=int(max_units), min_members=int(min_members), max_members=int(max_members))
    all_idx = np.arange(n)

    # ---- pass 0: same town, same group, per connected component
    exact = 0
    part = town * n_g + group
    order = np.argsort(part, kind="stable")
    cuts = np.flatnonzero(np.diff(part[order])) + 1
    for pidx in np.split(order, cuts):
        pidx = np.sort(pidx)
        if int(m[pidx].sum()) < min_members:
            continue
        _seed_buildings(st, pidx, eye_t, eye_g)
        for comp in _components(st, pidx[st.unit_of[pidx] < 0]):
            free = comp[st.unit_of[comp] < 0]
            if int(m[free].sum()) < min_members:
                continue
            remaining = deadline - time.perf_counter()
            if free.size <= exact_max_orgs and remaining > 1.0:
                if _mip_component(st, free, eye_t, eye_g, min(2.0, remaining / 4)):
                    exact += 1
                    continue
            _greedy_open(st, free, eye_t, eye_g, KIND_AREA, False, deadline)
        _insert_leftovers(st, pidx, eye_t, eye_g, None)
        if (st.unit_of[pidx] < 0).any() and time.perf_counter() < deadline:
            _repair_with_stealing(st, pidx, eye_t, eye_g, KIND_AREA, False)
            _insert_leftovers(st, pidx, eye_t, eye_g, None)
        if time.perf_counter() < deadline:
            _relocate(st, pidx, eye_t, eye_g)

    # ---- later passes: similar groups, adjacent towns, both
    levels = []
    if allow_similar and sim.sum() > n_g:
        levels.append((eye_t, sim, KIND_SIMILAR))
    if allow_cross_town and adj.sum() > n_t:
        levels.append((adj, eye_g, KIND_CROSS_TOWN))
        if allow_similar and sim.sum() > n_g:
            levels.append((adj, sim, KIND_CROSS_TOWN))
    for tmat, gmat, kind in levels:
        if not (st.unit_of < 0).any():
            break
        _insert_leftovers(st, all_idx, tmat, gmat, kind)
        left = all_idx[st.unit_of < 0]
        if left.size >= 2:
            _greedy_open(st, left, tmat, gmat, kind, True, deadline + time_limit_s)
        if (st.unit_of < 0).any():
            _repair_with_stealing(st, all_idx, tmat, gmat, kind, True)

    _merge_free(st, eye_t if not allow_cross_town else adj, sim if allow_similar else eye_g, merge_slack_m)

    # ---- results, deterministic order (by hub rank within town)
    uids = sorted(st.units, key=lambda u: (town[st.hub[u]], rank[st.hub[u]]))
    units: list[SolverUnit] = []
    for k, uid in enumerate(uids):
        h = st.hub[uid]
        mem = np.array(sorted(st.units[uid], key=lambda i: (i != h, st.d(i, h), rank[i])), dtype=np.int64)
        kind = st.kind[uid]
        if kind != KIND_CROSS_TOWN and np.unique(group[mem]).size > 1:
            kind = KIND_SIMILAR
        if np.unique(town[mem]).size > 1:
            kind = KIND_CROSS_TOWN
        units.append(SolverUnit(members=mem, hub=int(h), kind=kind))
        unit_of[mem] = k
    reason, nxt = _explain(st, unit_of, eye_t, eye_g, sim, adj, allow_similar, allow_cross_town)
    return SolverResult(units, unit_of, reason, nxt, time.perf_counter() - t0, exact)


def _explain(st: _State, unit_of, eye_t, eye_g, sim, adj, allow_similar, allow_cross_town):
    """Reason and next option for every org left out."""
    n = st.x.size
    reason = np.zeros(n, dtype=np.int64)
    nxt = np.zeros(n, dtype=np.int64)
    left = np.flatnonzero(unit_of < 0)
    if left.size == 0:
        return reason, nxt
    part_total: dict[tuple[int, int], int] = {}
    for t, g, mm in zip(st.town.tolist(), st.group.tolist(), st.m.tolist()):
        part_total[(t, g)] = part_total.get((t, g), 0) + mm
    tree = cKDTree(np.column_stack([st.x, st.y]))

    def reach(i: int, tmat, gmat) -> int:
        near = np.asarray(tree.query_ball_point([st.x[i], st.y[i]], float(st.radius[i])), dtype=np.int64)
        near = near[near != i]
        near = near[tmat[st.town[i], st.town[near]] & gmat[st.group[i], st.group[near]]]
        return int(st.m[i]) + int(st.m[near].sum())

    for i in left.tolist():
        if st.m[i] <= 0:
            reason[i] = REASON_ZERO_MEMBER
        elif part_total[(int(st.town[i]), int(st.group[i]))] < st.min_members:
            reason[i] = REASON_PARTITION_TOTAL
        elif reach(i, eye_t, eye_g) < st.min_members:
            reason[i] = REASON_NEIGHBOURS
        else:
            reason[i] = REASON_CAPACITY
        if not allow_similar and sim.sum() > sim.shape[0] and reach(i, eye_t, sim) >= st.min_members:
            nxt[i] = NEXT_SIMILAR
        elif not allow_cross_town and adj.sum() > adj.shape[0] and reach(i, adj, eye_g) >= st.min_members:
            nxt[i] = NEXT_CROSS_TOWN
        else:
            nxt[i] = NEXT_INSTRUCTOR
    return reason, nxt
