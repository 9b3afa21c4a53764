"""Exact solution of one small component of the joint-unit problem (HiGHS through :func:`scipy.optimize.milp`).

Used only by :mod:`lianxin_geo.plan.joint.solver`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from lianxin_geo.plan.joint._state import KIND_AREA, State

__all__ = ["mip_component"]

#: Relative MIP gap: below 1 / (n (n + 1)) for n <= 40 orgs, so the number placed and the number of units
#: (the first two objectives) are optimal; distance (the third) is left to within the gap.
_GAP = 1e-4
#: Branch-and-bound nodes of one component's MIP: the deterministic limit (the same answer on every machine and
#: scheduler). Every component of the demo closes at the root node; the time limit passed in is only a safety cap.
_NODES = 5000


def mip_component(st: State, idx: np.ndarray, tmat, gmat, time_limit: float) -> bool:
    """Solve one small component exactly: most orgs placed, then fewest units, then least distance.

    Stops after :data:`_NODES` nodes (deterministic); ``time_limit`` is a safety cap only: when it stops the MIP,
    ``st.time_capped`` is set so the plan says so. Return True when solved.
    """
    avail = idx[st.unit_of[idx] < 0]
    n = avail.size
    if n < 2:
        return True
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
    # lexicographic weights: each org placed (big) > each unit saved (unit) > total distance (km)
    dist = np.array([p[2] for p in pairs]) / 1000.0
    unit = float(n * dist.max()) + 1.0
    big = (n + 1.0) * unit
    c = np.concatenate([np.full(nh, -big + unit), -big + dist])
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
    res = milp(c, constraints=LinearConstraint(A, lo, hi), integrality=np.ones(nv),
               bounds=Bounds(np.zeros(nv), ub),
               options={"time_limit": max(time_limit, 0.05), "node_limit": _NODES, "mip_rel_gap": _GAP,
                        "disp": False})
    if res.status == 1 and "time" in str(res.message).lower():
        st.time_capped = True
    if res.x is None or res.status not in (0, 1):  # 1: node (or time) limit reached with a feasible solution
        return False
    sol = np.round(res.x).astype(int)
    for a, hv in hpos.items():
        if sol[hv] != 1:
            continue
        mem = [int(avail[a])] + [int(avail[pairs[k][1]]) for k in by_hub.get(a, []) if sol[nh + k] == 1]
        if st.feasible(mem, tmat, gmat):
            st.add_unit(mem, KIND_AREA)
    return True
