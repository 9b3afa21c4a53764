"""Instructor workloads on arrays: a distance matrix in, balanced visiting routes out (R12).

One capacitated VRP with unit demands per town: the number of instructors is
``ceil(n / orgs_per_instructor)`` and their loads are balanced (``ceil(n / k)``, never above
``max_orgs``). Arcs between different industry groups cost a little more
(``industry_penalty``), which makes routes prefer same-industry neighbours ("行业相近")
without giving up geography.
"""

from __future__ import annotations

import math

import numpy as np

from lianxin_geo.plan.routes.cvrp import NO_IMPROVEMENT
from lianxin_geo.plan.routes.routing import solve_cvrp

__all__ = ["FALLBACK_STATUS", "plan_workloads"]

#: Status of routes cut from the input order because the solver found no feasible routes.
FALLBACK_STATUS = "SWEEP_FALLBACK"


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
    no_improvement: int | None = NO_IMPROVEMENT,
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
        Optional group label per node (base included, its label ignored; ``""`` = unknown).
    industry_penalty
        Relative surcharge on arcs between different known industry groups.
    time_limit_s, seed, solver, max_iterations, no_improvement
        Passed to :func:`~lianxin_geo.plan.routes.routing.solve_cvrp`.

    Returns
    -------
    routes, status
        Routes as lists of node indices (1..n) in visiting order, and the solver status. When
        the balanced fleet is infeasible the band ceiling is tried; when that fails too, the
        nodes are cut in input order into routes of the balanced size and the status is
        :data:`FALLBACK_STATUS` (reported in the plan's ``solver_status``).
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
                     num_vehicles=k, max_iterations=max_iterations, no_improvement=no_improvement)
    if not res.ok:  # tight balance failed: relax to the band ceiling
        res = solve_cvrp(None, demands, int(max_orgs), metric=cost, time_limit_s=time_limit_s, seed=seed,
                         solver=solver, max_iterations=max_iterations, no_improvement=no_improvement)
    if not res.ok:  # never leave a planner without routes; the status says so
        nodes = np.arange(1, n + 1)
        return [nodes[i:i + cap].tolist() for i in range(0, n, cap)], FALLBACK_STATUS
    return [list(r) for r in res.routes], res.status
