"""One town's instructor tours as one task (package-private): the unit of work the parallel engine maps.

:func:`solve_town` takes a :class:`TownTask` — the town's own arrays (coordinates and industry groups of the
sites it routes, which named person visits which, the bases) — and returns a :class:`TownRun` (the solved tours,
the distance sources, the solver statuses). It reads nothing else, so :func:`lianxin_geo.core.engine.Engine.map`
can run it in any process: the settings shared by every town (:class:`Solve`, the rule values) are sent once.

Results never depend on where or when a town is solved: its random seed comes from the run's seed and the town
code (:func:`~lianxin_geo.core.engine.task_seed`), and the solver stops by counts scaled to the problem's size
(:func:`~lianxin_geo.plan.routes.cvrp.search_limits`); the wall-clock budget is only a safety cap, and a solve it
stops says so in its status (``TIME_CAP``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lianxin_geo.core.distance import RoadGraph
from lianxin_geo.core.engine import task_seed
from lianxin_geo.plan.routes._rows import Tour
from lianxin_geo.plan.routes._tour import EXACT_MAX_STOPS, best_tour
from lianxin_geo.plan.routes.cvrp import search_limits
from lianxin_geo.plan.routes.params import InstructorParams
from lianxin_geo.plan.routes.routing import distance_matrix
from lianxin_geo.plan.routes.workloads import plan_workloads

__all__ = ["Solve", "TownRun", "TownTask", "search_sizes", "search_work", "sectors", "solve_town", "task_cost"]

#: Estimated seconds of one solver call on ``n`` stops: ``SOLVE_BASE_S + SOLVE_S_PER_STOP2 · n²`` (PyVRP with
#: :func:`~lianxin_geo.plan.routes.cvrp.search_limits` on the demo's towns: 0.03 s at 20 stops, 1.2 s at 105).
SOLVE_BASE_S = 0.005
SOLVE_S_PER_STOP2 = 1e-4


@dataclass
class TownRun:
    """What the solves of one town (or of all towns, merged in town order) add up to."""

    tours: list[Tour] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def merge(self, other: TownRun) -> None:
        """Append ``other``'s tours and add up its sources and statuses."""
        self.tours.extend(other.tours)
        self.sources |= other.sources
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v


@dataclass(frozen=True)
class Solve:
    """Solver settings shared by every town (sent to each worker once)."""

    road: RoadGraph | None
    time_limit_s: float
    total_work: float
    industry_penalty: float
    block_size: int
    seed: int
    solver: str
    max_iterations: int | None

    def budget(self, n: int) -> float:
        """Safety cap in seconds for a search over ``n`` stops: the total limit shared among the searches in
        proportion to their expected work (``n²``: iterations and the cost of each grow with ``n``; ``total_work``
        is :func:`search_work` summed over every town). Every search gets about the same margin over its
        expected time, and normally stops long before, by :meth:`limits`."""
        return float(self.time_limit_s) * float(n) ** 2 / max(self.total_work, 1.0)

    def limits(self, n: int) -> tuple[int, int]:
        """``(max_iterations, no_improvement)`` for ``n`` stops: scaled to the size, unless the caller fixed
        ``max_iterations``."""
        lim = search_limits(n)
        return (int(self.max_iterations) if self.max_iterations is not None else lim.max_iterations,
                lim.no_improvement)


@dataclass(frozen=True)
class TownTask:
    """One town's work, as its own arrays.

    Attributes
    ----------
    code
        The town code (the task's key and, with the run's seed, its random seed).
    idx
        Site indices (rows of the planner's site arrays) of every stop the town routes: each named
        person's orgs in turn, then the orgs for new posts.
    lon, lat, groups
        Coordinates (WGS-84) and industry group of each entry of ``idx``.
    named
        ``(person, name, start, stop, base)`` per named instructor whose home is this town: their orgs are
        ``idx[start:stop]``, their tour starts from ``base`` (``name``, ``lon``, ``lat``, ``kind``).
    rest
        ``(start, stop)``: the orgs for new posts are ``idx[start:stop]``.
    base
        The town's base for new posts (``None`` when there are none).
    """

    code: str
    idx: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    groups: np.ndarray
    named: tuple[tuple[int, str, int, int, Mapping[str, Any]], ...]
    rest: tuple[int, int]
    base: Mapping[str, Any] | None

    @property
    def stops(self) -> int:
        """Number of stops the town routes."""
        return int(self.idx.size)


def search_sizes(task: TownTask, block_size: int, target: int) -> list[int]:
    """Stops of each search ``task`` runs: the named tours above the exact size, then the new-post sectors
    (the sizes :func:`sectors` cuts)."""
    sizes = [stop - start for _, _, start, stop, _ in task.named if stop - start > EXACT_MAX_STOPS]
    n = task.rest[1] - task.rest[0]
    if n > block_size:
        size = math.ceil(n / math.ceil(n / block_size) / target) * target
        sizes += [min(size, n - i) for i in range(0, n, size)]
    elif n > 0:
        sizes.append(n)
    return sizes


def search_work(task: TownTask, block_size: int, target: int) -> float:
    """Expected work of ``task``'s searches, in stops² (what :meth:`Solve.budget` shares the time limit by)."""
    return float(sum(n * n for n in search_sizes(task, block_size, target)))


def task_cost(task: TownTask, block_size: int, target: int) -> float:
    """Estimated seconds of one core for ``task`` (the engine's ``cost``: the largest towns start first)."""
    return SOLVE_BASE_S * (1 + len(task.named)) + SOLVE_S_PER_STOP2 * search_work(task, block_size, target)


def sectors(lon: np.ndarray, lat: np.ndarray, base: Mapping[str, Any], block_size: int,
            target: int) -> list[np.ndarray]:
    """Split a large town into angular sectors around the base, each a multiple of ``target`` in size."""
    n = lon.size
    if n <= block_size:
        return [np.arange(n)]
    ang = np.arctan2(lat - base["lat"], (lon - base["lon"]) * math.cos(math.radians(base["lat"])))
    order = np.argsort(ang, kind="stable")
    n_blocks = math.ceil(n / block_size)
    size = math.ceil(n / n_blocks / target) * target
    return [order[i:i + size] for i in range(0, n, size)]


def _matrix(task: TownTask, loc: np.ndarray, base: Mapping[str, Any], prm: InstructorParams, solve: Solve,
            run: TownRun) -> np.ndarray:
    plon = np.concatenate([[base["lon"]], task.lon[loc]])
    plat = np.concatenate([[base["lat"]], task.lat[loc]])
    dm = distance_matrix(plon, plat, graph=solve.road, circuity=prm.circuity)
    run.sources.add(dm.source)
    return dm.matrix


def solve_town(task: TownTask, *, solve: Solve, prm: InstructorParams) -> TownRun:
    """Solve one town: each named instructor's tour, then the new posts (a balanced CVRP per sector).

    Parameters
    ----------
    task
        The town's arrays.
    solve
        The solver settings shared by every town.
    prm
        The rule values (band, circuity).

    Returns
    -------
    TownRun
        The tours in a fixed order (named people in the task's order, then the new posts).
    """
    run = TownRun()
    seed = task_seed(solve.seed, task.code)
    for person, name, start, stop, base in task.named:
        loc = np.arange(start, stop)
        m = _matrix(task, loc, base, prm, solve, run)
        max_it, idle = solve.limits(loc.size)
        order, status = best_tour(m, time_limit_s=solve.budget(loc.size), seed=seed, solver=solve.solver,
                                  max_iterations=max_it, no_improvement=idle)
        run.count(status)
        run.tours.append(Tour(code=task.code, person=person, name=name, nodes=order, idx=task.idx[loc], matrix=m,
                              base=dict(base), status=status))
    start, stop = task.rest
    if stop <= start or task.base is None:
        return run
    members = np.arange(start, stop)
    base = task.base
    for blk in sectors(task.lon[members], task.lat[members], base, solve.block_size, prm.orgs_per_instructor):
        loc = members[blk]
        m = _matrix(task, loc, base, prm, solve, run)
        max_it, idle = solve.limits(loc.size)
        rts, status = plan_workloads(m, orgs_per_instructor=prm.orgs_per_instructor, max_orgs=prm.max_orgs,
                                     industry=np.concatenate([[""], task.groups[loc]]),
                                     industry_penalty=solve.industry_penalty, time_limit_s=solve.budget(loc.size),
                                     seed=seed, solver=solve.solver, max_iterations=max_it, no_improvement=idle)
        run.count(status)
        for r in rts:
            run.tours.append(Tour(code=task.code, person=-1, name="", nodes=list(r), idx=task.idx[loc], matrix=m,
                                  base=dict(base), status=status))
    return run
