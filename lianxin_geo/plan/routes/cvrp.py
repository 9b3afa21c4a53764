"""CVRP solver back ends: PyVRP (default), OR-Tools routing and VROOM (pyvroom).

Every back end takes the same plain arrays — an integer cost matrix, integer
demands, a capacity, the depot index — plus a wall-clock limit and a seed, and
returns ``(routes, status)`` where each route lists node indices (depot excluded)
in visiting order. Costs are computed by the caller from its own (float) matrix,
so back ends only ever see integers.

Status strings (shared by all back ends):

``FEASIBLE``
    a feasible solution, search stopped by the time or iteration limit (no optimality proof);
``OPTIMAL``
    proven optimal (only for trivial instances: no customer, or one customer);
``TIME_CAP``
    a feasible solution, but the search was stopped by the wall-clock safety cap before its deterministic
    (iteration / no-improvement) limits: the answer may depend on the machine's speed and load;
``INFEASIBLE``
    the solver's best solution breaks a constraint;
``NO_SOLUTION``
    the solver returned nothing within the limit.

:func:`search_limits` scales the deterministic limits to an instance's size (the planners use it, so a
town of a dozen orgs stops after a few hundred idle iterations and a result never depends on the clock).
"""

from __future__ import annotations

import importlib
import math
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from lianxin_geo.core.errors import require

__all__ = [
    "BACKENDS",
    "SearchLimits",
    "available_backends",
    "search_limits",
    "solve_ortools",
    "solve_pyvrp",
    "solve_vroom",
]

FEASIBLE = "FEASIBLE"
OPTIMAL = "OPTIMAL"
INFEASIBLE = "INFEASIBLE"
NO_SOLUTION = "NO_SOLUTION"
TIME_CAP = "TIME_CAP"
#: Statuses whose routes are a feasible solution.
FEASIBLE_STATUSES = (OPTIMAL, FEASIBLE, TIME_CAP)
_MAX_PENALTY = 1e9


#: Iterations without a better solution after which PyVRP stops early (see :func:`solve_pyvrp`); also the upper
#: bound of the size-scaled limit of :func:`search_limits`.
NO_IMPROVEMENT = 2_000
#: Idle iterations allowed per customer by :func:`search_limits` (a town of 20 orgs: 200, of 105 orgs: 1,050).
NO_IMPROVEMENT_PER_STOP = 10
#: The smallest idle-iteration limit :func:`search_limits` gives.
MIN_NO_IMPROVEMENT = 200
#: The iteration bound of :func:`search_limits`, as a multiple of its idle-iteration limit.
MAX_ITERATIONS_FACTOR = 10


@dataclass(frozen=True)
class SearchLimits:
    """Deterministic stopping rules of one solve: stop after ``no_improvement`` idle iterations, or after
    ``max_iterations`` in all (whichever comes first)."""

    no_improvement: int
    max_iterations: int


def search_limits(n_customers: int) -> SearchLimits:
    """Stopping rules scaled to an instance of ``n_customers``: :data:`NO_IMPROVEMENT_PER_STOP` idle iterations
    per customer, between :data:`MIN_NO_IMPROVEMENT` and :data:`NO_IMPROVEMENT`, and at most
    :data:`MAX_ITERATIONS_FACTOR` times that in all.

    On the demo's 22 town instances (1–105 orgs to group, capacity 10) these limits give a total length 0.1 %
    above the fixed 2,000-idle-iteration rule in a tenth of its time (``benchmarks/run_speed.py``); being
    counts, not seconds, they give the same routes on any machine, under any load, in any worker.
    """
    idle = int(min(NO_IMPROVEMENT, max(MIN_NO_IMPROVEMENT, NO_IMPROVEMENT_PER_STOP * max(int(n_customers), 0))))
    return SearchLimits(no_improvement=idle, max_iterations=MAX_ITERATIONS_FACTOR * idle)


def _customers(n: int, depot: int) -> np.ndarray:
    return np.array([i for i in range(n) if i != depot], dtype=int)


class _Stop:
    """PyVRP's stopping criterion: the counts first, then the wall-clock cap; remembers which one ended the search
    (a search the counts end exactly when the clock runs out is still a count-ended, reproducible search)."""

    def __init__(self, counts: list, clock: object) -> None:
        self.counts = counts
        self.clock = clock
        self.by_clock = False

    def __call__(self, best_cost: float) -> bool:
        for crit in self.counts:  # every count criterion sees every iteration (NoImprovement tracks the best)
            if crit(best_cost):
                return True
        if self.clock(best_cost):
            self.by_clock = True
            return True
        return False


def solve_pyvrp(
    matrix: np.ndarray,
    demands: np.ndarray,
    capacity: int,
    *,
    depot: int = 0,
    time_limit_s: float = 10.0,
    seed: int = 0,
    max_iterations: int | None = None,
    num_vehicles: int | None = None,
    no_improvement: int | None = NO_IMPROVEMENT,
) -> tuple[list[list[int]], str]:
    """Solve with PyVRP's iterated local search (HGS lineage).

    The search stops after ``max_iterations``, or once ``no_improvement`` iterations in a row found nothing better
    (``None`` or 0: no such rule), or at the wall-clock safety cap ``time_limit_s`` (status :data:`TIME_CAP` when
    the cap, not a count, ended a feasible search). On the CVRPLIB instances in
    ``benchmarks/data/cvrp`` (32–151 customers) stopping after 2,000 idle iterations gives the same costs as
    10-second runs (gaps 0–1.34 %) in 0.5–3 s, and a town of a few dozen orgs stops in a fraction of a second.
    """
    pv = require("pyvrp", extra="solvers", purpose="路线求解（PyVRP）")
    stop_mod = require("pyvrp.stop", extra="solvers", purpose="路线求解（PyVRP）")

    n = matrix.shape[0]
    cust = _customers(n, depot)
    order = np.concatenate([[depot], cust])  # pyvrp wants the depot first
    m = np.ascontiguousarray(matrix[np.ix_(order, order)], dtype=np.int64)
    locations = [pv.Location(0.0, 0.0) for _ in range(n)]  # coordinates unused: the matrix is explicit
    clients = [pv.Client(i, delivery=[int(demands[c])]) for i, c in enumerate(cust, start=1)]
    total = int(np.sum(demands[cust]))
    fleet = num_vehicles or max(1, min(len(cust), 2 * math.ceil(total / capacity) + 2))
    data = pv.ProblemData(
        locations=locations,
        clients=clients,
        depots=[pv.Depot(0)],
        vehicle_types=[pv.VehicleType(fleet, capacity=[int(capacity)])],
        distance_matrices=[m],
        duration_matrices=[np.zeros_like(m)],
    )
    counts = []
    if max_iterations is not None:
        counts.append(stop_mod.MaxIterations(int(max_iterations)))
    if no_improvement:
        counts.append(stop_mod.NoImprovement(int(no_improvement)))
    stop = _Stop(counts, stop_mod.MaxRuntime(max(float(time_limit_s), 0.01)))
    # arcs may be ~1e6 units: let the load penalty grow well past one arc (default cap 1e5)
    params = pv.SolveParams(penalty=pv.PenaltyParams(max_penalty=_MAX_PENALTY))
    res = pv.solve(data, stop=stop, seed=int(seed), collect_stats=False, display=False, params=params)
    capped = stop.by_clock
    best = res.best
    routes: list[list[int]] = []
    for route in best.routes():
        visits = [int(cust[a.idx]) for a in route if a.is_client()]
        if visits:
            routes.append(visits)
    if not best.is_complete():
        return routes, NO_SOLUTION if not routes else INFEASIBLE
    if not res.is_feasible():
        return routes, INFEASIBLE
    return routes, TIME_CAP if capped else FEASIBLE


def solve_ortools(
    matrix: np.ndarray,
    demands: np.ndarray,
    capacity: int,
    *,
    depot: int = 0,
    time_limit_s: float = 10.0,
    seed: int = 0,
    max_iterations: int | None = None,
    num_vehicles: int | None = None,
    no_improvement: int | None = None,
) -> tuple[list[list[int]], str]:
    """Solve with OR-Tools routing: PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH.

    OR-Tools' local search is deterministic, so ``seed`` is unused; ``max_iterations`` bounds the number of
    solutions found (``solution_limit``); OR-Tools has no idle-iteration rule, so ``no_improvement`` is unused.
    Status :data:`TIME_CAP` when the search ran to ``time_limit_s``.
    """
    pywrapcp = require("ortools.constraint_solver.pywrapcp", extra="solvers", purpose="路线求解（OR-Tools）")
    routing_enums_pb2 = require("ortools.constraint_solver.routing_enums_pb2", extra="solvers",
                                purpose="路线求解（OR-Tools）")

    n = matrix.shape[0]
    cust = _customers(n, depot)
    total = int(np.sum(demands[cust]))
    fleet = num_vehicles or max(1, min(len(cust), math.ceil(total / capacity) + max(2, math.ceil(0.1 * total / capacity))))
    manager = pywrapcp.RoutingIndexManager(n, fleet, int(depot))
    routing = pywrapcp.RoutingModel(manager)
    m = np.asarray(matrix, dtype=np.int64)
    transit = routing.RegisterTransitMatrix(m.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    dem = np.asarray(demands, dtype=np.int64).copy()
    dem[depot] = 0
    demand_cb = routing.RegisterUnaryTransitVector(dem.tolist())
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, [int(capacity)] * fleet, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(10, int(float(time_limit_s) * 1000)))
    if max_iterations is not None:
        params.solution_limit = int(max_iterations)
    t0 = time.perf_counter()
    sol = routing.SolveWithParameters(params)
    capped = time.perf_counter() - t0 >= float(time_limit_s)
    if sol is None:
        return [], NO_SOLUTION
    routes: list[list[int]] = []
    for v in range(fleet):
        idx = routing.Start(v)
        r: list[int] = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            r.append(int(manager.IndexToNode(idx)))
            idx = sol.Value(routing.NextVar(idx))
        if r:
            routes.append(r)
    return routes, TIME_CAP if capped else FEASIBLE


def solve_vroom(
    matrix: np.ndarray,
    demands: np.ndarray,
    capacity: int,
    *,
    depot: int = 0,
    time_limit_s: float = 10.0,
    seed: int = 0,
    max_iterations: int | None = None,
    num_vehicles: int | None = None,
    no_improvement: int | None = None,
) -> tuple[list[list[int]], str]:
    """Solve with VROOM through pyvroom (exploration level 5, two threads).

    VROOM is deterministic for a given input and stops by itself, so ``seed``, ``max_iterations`` and
    ``no_improvement`` are unused; its matrix is
    32-bit unsigned, so costs must stay below 2**32.
    """
    vroom = require("vroom", extra="bench", purpose="路线求解（VROOM）")

    n = matrix.shape[0]
    cust = _customers(n, depot)
    total = int(np.sum(demands[cust]))
    fleet = num_vehicles or max(1, min(len(cust), math.ceil(total / capacity) + max(2, math.ceil(0.1 * total / capacity))))
    m = np.asarray(matrix)
    if m.max(initial=0) >= 2**32:
        raise ValueError("VROOM needs costs below 2**32; scale the matrix down")
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=m.astype(np.uint32))
    for v in range(fleet):
        inp.add_vehicle(vroom.Vehicle(id=v, start=int(depot), end=int(depot), capacity=[int(capacity)]))
    for c in cust:
        inp.add_job(vroom.Job(id=int(c), location=int(c), delivery=[int(demands[c])]))
    sol = inp.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=max(float(time_limit_s), 0.01)))
    df = sol.routes
    routes: list[list[int]] = []
    if len(df):
        jobs = df[df["type"] == "job"]
        for _, grp in jobs.groupby("vehicle_id", sort=True):
            routes.append([int(x) for x in grp["location_index"].tolist()])
    visited = sum(len(r) for r in routes)
    if visited == 0 and len(cust):
        return [], NO_SOLUTION
    return routes, FEASIBLE if visited == len(cust) else INFEASIBLE


BACKENDS = {"pyvrp": solve_pyvrp, "ortools": solve_ortools, "vroom": solve_vroom}


def available_backends() -> list[str]:
    """Names of the back ends whose package imports on this machine."""
    mods = {"pyvrp": "pyvrp", "ortools": "ortools.constraint_solver.pywrapcp", "vroom": "vroom"}
    out = []
    for name, mod in mods.items():
        try:
            importlib.import_module(mod)
        except ImportError:
            continue
        out.append(name)
    return out
