"""The named instructors of a ledger and who takes which new org (package-private).

A person is one ``instructor`` name (after :func:`~lianxin_geo.core.district.normalize_text`), counted once
however many towns list them. Their **home town** is the town holding most of their orgs (ties: the smallest
town code); their routes start from that town's base. New orgs go to the nearest person with room
(:func:`assign_nearest`: a minimum-total-distance assignment, so no org takes a far instructor's room that a
nearer org needed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from lianxin_geo.core.distance import haversine_m
from lianxin_geo.core.district import normalize_text
from lianxin_geo.core.frames import numbers

__all__ = ["EXACT_MAX_CELLS", "People", "assign_nearest", "named_people"]

#: Above this many point × slot cells the assignment gives the nearest pairs first instead of the exact optimum.
EXACT_MAX_CELLS = 4_000_000


@dataclass(frozen=True)
class People:
    """The named instructors, one entry per person.

    Attributes
    ----------
    names
        The names, sorted.
    homes
        Home town code of each person (``""`` when none of their orgs has a town).
    towns
        Every town code their orgs lie in (a person listed in several towns has several).
    load
        How many ledger orgs each person looks after now.
    anchor_lon, anchor_lat
        Coordinates of each person's current orgs (the places they know; "nearest" is measured to these).
    """

    names: list[str]
    homes: list[str]
    towns: list[tuple[str, ...]]
    load: np.ndarray
    anchor_lon: list[np.ndarray]
    anchor_lat: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.names)


def named_people(orgs: pd.DataFrame, towns: Sequence[object]) -> tuple[People, np.ndarray]:
    """The persons named in ``orgs["instructor"]`` and, per ledger row, the index of its person (-1: none).

    Parameters
    ----------
    orgs
        The ledger (``instructor``, ``lon``, ``lat``).
    towns
        Town code of every row (``None`` when unknown), aligned with ``orgs``.
    """
    raw = orgs["instructor"].tolist() if "instructor" in orgs else [None] * len(orgs)
    names = [normalize_text(v) or "" for v in raw]
    people = sorted({n for n in names if n})
    index = {n: i for i, n in enumerate(people)}
    who = np.array([index.get(n, -1) for n in names], dtype=int)
    lon, lat = numbers(orgs, "lon"), numbers(orgs, "lat")
    homes, all_towns, alon, alat = [], [], [], []
    for p in range(len(people)):
        rows = np.flatnonzero(who == p)
        count = Counter(str(towns[r]) for r in rows if towns[r] is not None)
        homes.append(min(count, key=lambda c: (-count[c], c)) if count else "")
        all_towns.append(tuple(sorted(count)))
        ok = rows[np.isfinite(lon[rows]) & np.isfinite(lat[rows])]
        alon.append(lon[ok])
        alat.append(lat[ok])
    load = np.bincount(who[who >= 0], minlength=len(people)).astype(int)
    return People(names=people, homes=homes, towns=all_towns, load=load, anchor_lon=alon, anchor_lat=alat), who


def assign_nearest(lon: np.ndarray, lat: np.ndarray, people: People, persons: Sequence[int],
                   room: np.ndarray) -> np.ndarray:
    """Give each point to one of ``persons`` with room, minimising the total distance to their nearest org.

    Parameters
    ----------
    lon, lat
        The points to place (no NaN).
    people
        The named instructors.
    persons
        The indices of ``people`` that may take points (e.g. those of one town).
    room
        How many more points each of ``persons`` may take (aligned with ``persons``).

    Returns
    -------
    numpy.ndarray
        Person index per point, ``-1`` for the points left over (there was less room than points:
        the leftover are those whose placing would cost the most). Exact (minimum total distance) up to
        :data:`EXACT_MAX_CELLS` point × slot cells, nearest pairs first above.
    """
    out = np.full(lon.size, -1, dtype=int)
    usable = [(p, int(r)) for p, r in zip(persons, room) if r > 0 and people.anchor_lon[p].size]
    if lon.size == 0 or not usable:
        return out
    dist = np.empty((lon.size, len(usable)))
    for k, (p, _r) in enumerate(usable):
        d = haversine_m(lon[:, None], lat[:, None], people.anchor_lon[p][None, :], people.anchor_lat[p][None, :])
        dist[:, k] = d.min(axis=1)
    slots = np.repeat(np.arange(len(usable)), [min(r, lon.size) for _p, r in usable])
    if lon.size * slots.size > EXACT_MAX_CELLS:  # very large towns: nearest pairs first (greedy)
        left = np.array([r for _p, r in usable])
        for flat in np.argsort(dist, axis=None, kind="stable"):
            i, k = divmod(int(flat), len(usable))
            if out[i] < 0 and left[k] > 0:
                out[i] = usable[k][0]
                left[k] -= 1
        return out
    rows, cols = linear_sum_assignment(dist[:, slots])
    out[rows] = [usable[slots[c]][0] for c in cols]
    return out
