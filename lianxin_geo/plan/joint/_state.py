"""Assignment state shared by the joint-unit passes; used only by :mod:`lianxin_geo.plan.joint`."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["INDUSTRY_KINDS", "KIND_AREA", "KIND_BUILDING", "KIND_COMMUNITY", "KIND_CROSS_TOWN", "KIND_SIMILAR", "State",
           "pairs_within"]

KIND_BUILDING = "building"  # 楼宇/园区联建: one building or park, any industry
KIND_AREA = "area"  # 同业联建 in one town and one industry group (the historical name)
KIND_SIMILAR = "similar"  # 同业联建 over similar industry groups
KIND_CROSS_TOWN = "cross_town"  # 同业联建 over adjacent towns
KIND_COMMUNITY = "community"  # 区域联建: one community or street block, any industry
#: Kinds of 同业联建 units (the only ones later passes may change).
INDUSTRY_KINDS = frozenset({KIND_AREA, KIND_SIMILAR, KIND_CROSS_TOWN})


class State:
    """Mutable assignment state shared by the passes."""

    def __init__(self, x, y, m, rank, town, group, key, radius, *, max_units, min_members, max_members):
        self.x, self.y, self.m, self.rank = x, y, m, rank
        self.town, self.group, self.key, self.radius = town, group, key, radius
        self.max_units, self.min_members, self.max_members = max_units, min_members, max_members
        self.unit_of = np.full(x.size, -1, dtype=np.int64)
        self.units: dict[int, list[int]] = {}
        self.hub: dict[int, int] = {}
        self.kind: dict[int, str] = {}
        #: units no later pass may change (building/park and community units keep the rule of their form)
        self.locked: set[int] = set()
        self._next = 0
        #: set when the safety time cap (not the deterministic limits) stopped a step: the plan says so
        self.time_capped = False

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
        mem = np.asarray(members)
        for labels, mat in ((self.town[mem], tmat), (self.group[mem], gmat)):
            u = np.unique(labels)
            if u.size > 1 and not mat[np.ix_(u, u)].all():
                return False
        h = mem[np.argmin(self.rank[mem])]
        far = np.hypot(self.x[mem] - self.x[h], self.y[mem] - self.y[h]) > self.radius[mem]
        if far.any():
            return False
        zero = (self.m[mem] <= 0) & (mem != h)
        return not zero.any() or bool(((self.key[mem[zero]] >= 0) & (self.key[mem[zero]] == self.key[h])).all())

    def add_unit(self, members, kind: str, *, locked: bool = False) -> int:
        uid = self._next
        self._next += 1
        self.units[uid] = list(members)
        self.hub[uid] = self.hub_of(members)
        self.kind[uid] = kind
        self.unit_of[list(members)] = uid
        if locked:
            self.locked.add(uid)
        return uid

    def drop_unit(self, uid: int) -> None:
        self.unit_of[self.units[uid]] = -1
        del self.units[uid], self.hub[uid], self.kind[uid]
        self.locked.discard(uid)

    def set_members(self, uid: int, members) -> None:
        self.units[uid] = list(members)
        self.hub[uid] = self.hub_of(members)
        self.unit_of[list(members)] = uid

    def cost(self, uid: int) -> float:
        h = self.hub[uid]
        return sum(self.d(i, h) for i in self.units[uid])


def pairs_within(st: State, idx: np.ndarray, rmax: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
