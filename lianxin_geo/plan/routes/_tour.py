"""One instructor's tour and its working days, on arrays (package-private).

* :func:`best_tour`: the shortest order to visit a fixed set of stops from the base and back —
  exact (Held–Karp dynamic programme) up to :data:`EXACT_MAX_STOPS` stops, else PyVRP with one vehicle;
* :func:`split_days`: cut a tour into working days (base → stops → base each day) so that no day is
  longer than the working day, with the fewest days and then the fewest minutes (the "route first,
  cluster second" split, exact for the given order).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from lianxin_geo.plan.routes.cvrp import NO_IMPROVEMENT
from lianxin_geo.plan.routes.routing import solve_cvrp

__all__ = ["EXACT_MAX_STOPS", "EXACT_STATUS", "best_tour", "split_days", "tour_minutes"]

#: Tours with at most this many stops are solved exactly (2^n·n states: 15 stops ≈ 0.5 million, a few hundredths of a second).
EXACT_MAX_STOPS = 15
#: Solver status of an exactly solved tour.
EXACT_STATUS = "OPTIMAL"


@cache
def _subsets(n: int) -> tuple[np.ndarray, ...]:
    """The bit masks over ``n`` stops grouped by size (index = number of stops in the subset), computed once per
    ``n``: counting the bits of 2^n masks in Python took a third of a tour's time."""
    masks = np.arange(1 << n, dtype=np.int64)
    popcount = np.zeros(masks.size, dtype=np.int64)
    for j in range(n):
        popcount += (masks >> j) & 1
    return tuple(masks[popcount == size] for size in range(n + 1))


def _held_karp(m: np.ndarray) -> list[int]:
    """Exact shortest tour 0 → all of 1..n → 0 of the ``(n+1)×(n+1)`` matrix ``m`` (n ≥ 1)."""
    n = m.shape[0] - 1
    full = 1 << n
    inf = np.inf
    dp = np.full((full, n), inf)
    parent = np.full((full, n), -1, dtype=np.int64)
    dp[1 << np.arange(n), np.arange(n)] = m[0, 1:]
    by_size = _subsets(n)
    d = m[1:, 1:]
    for size in range(2, n + 1):
        sub = by_size[size]
        for j in range(n):
            bit = 1 << j
            ms = sub[(sub & bit) != 0]
            if ms.size == 0:
                continue
            prev = dp[ms ^ bit]  # (len(ms), n): ending at k without j
            cost = prev + d[:, j][None, :]
            k = np.argmin(cost, axis=1)
            dp[ms, j] = cost[np.arange(ms.size), k]
            parent[ms, j] = k
    last = int(np.argmin(dp[full - 1] + m[1:, 0]))
    order: list[int] = []
    mask = full - 1
    while last >= 0:
        order.append(last + 1)
        nxt = int(parent[mask, last])
        mask ^= 1 << last
        last = nxt
    return order[::-1]


def best_tour(matrix: np.ndarray, *, time_limit_s: float, seed: int = 0, solver: str = "pyvrp",
              max_iterations: int | None = None,
              no_improvement: int | None = NO_IMPROVEMENT) -> tuple[list[int], str]:
    """Shortest visiting order of the nodes ``1..n`` of ``matrix`` from node 0 (the base) and back.

    Parameters
    ----------
    matrix
        ``(n+1)×(n+1)`` distances, base first.
    time_limit_s, seed, solver, max_iterations, no_improvement
        Passed to :func:`~lianxin_geo.plan.routes.routing.solve_cvrp` above :data:`EXACT_MAX_STOPS` stops.

    Returns
    -------
    order, status
        Node indices in visiting order and :data:`EXACT_STATUS` (exact) or the solver's status.
    """
    m = np.asarray(matrix, dtype=float)
    n = m.shape[0] - 1
    if n <= 0:
        return [], EXACT_STATUS
    if n <= EXACT_MAX_STOPS:
        return _held_karp(m), EXACT_STATUS
    demands = np.ones(n + 1, dtype=int)
    demands[0] = 0
    res = solve_cvrp(None, demands, n, metric=m, time_limit_s=time_limit_s, seed=seed, solver=solver,
                     num_vehicles=1, max_iterations=max_iterations, no_improvement=no_improvement)
    if not res.ok or len(res.routes) != 1:  # never lose a stop: keep the given order
        return list(range(1, n + 1)), res.status
    return list(res.routes[0]), res.status


def tour_minutes(matrix: np.ndarray, nodes: Sequence[int], *, speed_kmh: float, visit_minutes: float) -> float:
    """Minutes of base → ``nodes`` → base: driving at ``speed_kmh`` (matrix in metres) plus the visits."""
    path = np.concatenate([[0], np.asarray(nodes, dtype=int), [0]])
    km = float(np.sum(matrix[path[:-1], path[1:]])) / 1000.0
    return km / speed_kmh * 60.0 + visit_minutes * len(nodes)


def split_days(matrix: np.ndarray, order: Sequence[int], *, speed_kmh: float, visit_minutes: float,
               day_minutes: float | None) -> list[list[int]]:
    """Cut ``order`` into consecutive working days, each starting and ending at the base (node 0).

    Each day is at most ``day_minutes`` long unless it holds a single visit that alone is longer
    (that day stands by itself; the caller reports it). Among the splits with the fewest days the one
    whose longest day is shortest wins (balanced days), then the fewest total minutes.
    ``day_minutes=None`` keeps one day.
    """
    seq = [int(x) for x in order]
    n = len(seq)
    if n == 0 or day_minutes is None or tour_minutes(matrix, seq, speed_kmh=speed_kmh,
                                                     visit_minutes=visit_minutes) <= day_minutes:
        return [seq] if n else []
    per_km = 60.0 / speed_kmh / 1000.0
    best: list[tuple[int, float, float]] = [(0, 0.0, 0.0)] + [(n + 1, np.inf, np.inf)] * n
    back = [0] * (n + 1)
    for i in range(n):  # a day covering seq[i:j]
        if not np.isfinite(best[i][1]):
            continue
        inner = 0.0
        for j in range(i + 1, n + 1):
            if j > i + 1:
                inner += matrix[seq[j - 2], seq[j - 1]]
            mins = (matrix[0, seq[i]] + inner + matrix[seq[j - 1], 0]) * per_km + visit_minutes * (j - i)
            if mins > day_minutes and j > i + 1:
                break
            cand = (best[i][0] + 1, max(best[i][1], mins), best[i][2] + mins)
            if cand < best[j]:
                best[j] = cand
                back[j] = i
    days: list[list[int]] = []
    j = n
    while j > 0:
        i = back[j]
        days.append(seq[i:j])
        j = i
    return days[::-1]
