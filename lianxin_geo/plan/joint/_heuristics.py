"""Heuristic passes of the joint-unit solver (greedy opening, insertion, repair, relocation, merges).

Used only by :mod:`lianxin_geo.plan.joint.solver`; every pass mutates a :class:`~lianxin_geo.plan.joint._state.State`.
"""

from __future__ import annotations

import heapq
import time

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from lianxin_geo.plan.joint._state import KIND_AREA, KIND_BUILDING, State, pairs_within

__all__ = ["absorb_units", "components", "greedy_open", "insert_leftovers", "merge_units", "relocate",
           "repair_with_stealing", "seed_buildings"]


def _candidate_lists(st: State, idx: np.ndarray, tmat, gmat) -> dict[int, list[tuple[float, int]]]:
    """For each potential hub h in ``idx``: compatible lower-ranked orgs that may join it, nearest first."""
    rmax = float(st.radius[idx].max()) if idx.size else 0.0
    h, j, dist = pairs_within(st, idx, rmax)
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


def _joins_all(st: State, j: int, chosen: list[int], tmat, gmat) -> bool:
    """Whether org ``j`` may share a unit with every org of ``chosen`` (towns and industry groups)."""
    others = np.asarray(chosen)
    return bool(tmat[st.town[j], st.town[others]].all() and gmat[st.group[j], st.group[others]].all())


def _best_unit_for_hub(st: State, h: int, cands, available, tmat, gmat, pairwise: bool):
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
        if pairwise and not _joins_all(st, j, chosen, tmat, gmat):
            continue
        chosen.append(j)
        total += mj
        cost += dist
        if total >= st.min_members:
            return cost, chosen
    return None


def greedy_open(st: State, idx: np.ndarray, tmat, gmat, kind: str, pairwise: bool, deadline: float) -> None:
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


def insert_leftovers(st: State, idx: np.ndarray, tmat, gmat, kind: str | None) -> int:
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
            if uid not in st.units or uid in st.locked:
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


def repair_with_stealing(st: State, idx: np.ndarray, tmat, gmat, kind: str, pairwise: bool) -> int:
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
                if pairwise and not _joins_all(st, j, chosen, tmat, gmat):
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


def _spare(st: State, j: int, taken=()) -> bool:
    """Can member ``j`` leave its unit (not the hub, the rest stays feasible)?"""
    uid = int(st.unit_of[j])
    if uid < 0:
        return True
    if st.hub[uid] == j or uid in st.locked:
        return False
    rest = [k for k in st.units[uid] if k != j and k not in taken]
    return len(rest) >= 1 and int(st.m[rest].sum()) >= st.min_members and st.hub_of(rest) == st.hub[uid]


def relocate(st: State, idx: np.ndarray, tmat, gmat, passes: int = 2) -> None:
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
            if a < 0 or st.hub[a] == j or a in st.locked:
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
                if b == a or b not in st.units or b in st.locked or len(st.units[b]) >= st.max_units:
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


def seed_buildings(st: State, idx: np.ndarray, tmat, gmat) -> None:
    """R23/R24: orgs sharing a building or park become units first when the rules allow.

    ``gmat`` is all true for 楼宇/园区联建 (any industry). The units are locked: no later pass
    adds an org from outside the building or park, or takes one away.
    """
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
                    st.add_unit(c, KIND_BUILDING, locked=True)
                break


def components(st: State, idx: np.ndarray) -> list[np.ndarray]:
    """Split ``idx`` into groups that cannot share a unit (no chain of pairs within the radius)."""
    if idx.size <= 1:
        return [idx]
    a, b, _ = pairs_within(st, idx, float(st.radius[idx].max()))
    loc = np.full(st.x.size, -1, dtype=np.int64)
    loc[idx] = np.arange(idx.size)
    g = coo_matrix((np.ones(a.size), (loc[a], loc[b])), shape=(idx.size, idx.size))
    ncomp, lab = connected_components(g, directed=False)
    order = np.argsort(lab, kind="stable")
    cuts = np.flatnonzero(np.diff(lab[order])) + 1
    return [idx[c] for c in np.split(order, cuts)]


def merge_units(st: State, tmat, gmat, deadline: float) -> int:
    """Fewer, fuller units: merge two unlocked units whenever the union stays feasible, nearest hubs first.

    Each merge removes one unit (the second objective); nearer hubs go first (the third). Candidate
    pairs are filtered with necessary conditions before the full check: the hubs within the larger
    hub radius, compatible towns and groups, the R7 and R9 caps. Returns the number of merges.
    """
    merged = 0
    while time.perf_counter() < deadline:
        uids = np.array(sorted((u for u in st.units if u not in st.locked), key=lambda u: st.rank[st.hub[u]]),
                        dtype=np.int64)
        if uids.size < 2:
            break
        hubs = np.array([st.hub[u] for u in uids.tolist()], dtype=np.int64)
        size = np.array([len(st.units[u]) for u in uids.tolist()], dtype=np.int64)
        mem = np.array([int(st.m[st.units[u]].sum()) for u in uids.tolist()], dtype=np.int64)
        tree = cKDTree(np.column_stack([st.x[hubs], st.y[hubs]]))
        pr = tree.query_pairs(float(st.radius[hubs].max()), output_type="ndarray")
        if pr.size == 0:
            break
        a, b = pr[:, 0], pr[:, 1]
        ha, hb = hubs[a], hubs[b]
        dist = np.hypot(st.x[ha] - st.x[hb], st.y[ha] - st.y[hb])
        # the union's hub is the better-ranked hub; the other hub must lie within its own limit of it
        worse = np.where(st.rank[ha] < st.rank[hb], hb, ha)
        ok = (size[a] + size[b] <= st.max_units) & (mem[a] + mem[b] <= st.max_members)
        ok &= dist <= st.radius[worse]
        ok &= tmat[st.town[ha], st.town[hb]] & gmat[st.group[ha], st.group[hb]]
        a, b, dist = a[ok], b[ok], dist[ok]
        order = np.lexsort((b, a, dist))
        touched: set[int] = set()
        for k in order.tolist():
            if time.perf_counter() > deadline:
                break
            ua, ub = int(uids[a[k]]), int(uids[b[k]])
            if ua in touched or ub in touched:
                continue
            new = st.units[ua] + st.units[ub]
            if not st.feasible(new, tmat, gmat):
                continue
            kind = st.kind[ua] if st.kind[ua] == st.kind[ub] else max(st.kind[ua], st.kind[ub], key=_kind_order)
            st.drop_unit(ub)
            st.set_members(ua, new)
            st.kind[ua] = kind
            touched.update((ua, ub))
            merged += 1
        if not touched:
            break
    return merged


#: When two units of different kinds merge, the freer kind names the result (区域联建 is the freest).
_KIND_ORDER = ["area", "similar", "cross_town", "community"]


def _kind_order(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


def absorb_units(st: State, tmat, gmat, deadline: float) -> int:
    """Dissolve a unit when each of its members fits into another unlocked unit (smallest units first)."""
    absorbed = 0
    order = sorted((u for u in st.units if u not in st.locked), key=lambda u: (len(st.units[u]), st.rank[st.hub[u]]))
    if len(order) < 2:
        return 0
    hubs = np.array([st.hub[u] for u in order], dtype=np.int64)
    tree = cKDTree(np.column_stack([st.x[hubs], st.y[hubs]]))  # candidates only: feasibility decides
    rmax = float(st.radius.max())
    for uid in order:
        if time.perf_counter() > deadline:
            break
        if uid not in st.units:
            continue
        plan: dict[int, list[int]] = {}
        ok = True
        for j in sorted(st.units[uid], key=lambda k: st.rank[k]):
            best = None
            for k in tree.query_ball_point([st.x[j], st.y[j]], rmax):
                b = order[k]
                if b == uid or b not in st.units:
                    continue
                cur = plan.get(b, st.units[b])
                if len(cur) >= st.max_units:
                    continue
                new = cur + [j]
                if st.feasible(new, tmat, gmat):
                    cand = (st.d(j, st.hub_of(new)), st.rank[st.hub[b]], b)
                    if best is None or cand < best:
                        best = cand
            if best is None:
                ok = False
                break
            plan[best[2]] = plan.get(best[2], st.units[best[2]]) + [j]
        if not ok:
            continue
        st.drop_unit(uid)
        for b, mem in plan.items():
            st.set_members(b, mem)
        absorbed += 1
    return absorbed
