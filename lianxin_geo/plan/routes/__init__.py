"""Instructor workloads and visiting routes (R11, R12), on a general CVRP solver.

* :func:`plan_instructor_routes` (the ledger adapter) → :class:`InstructorPlan`, with the rule
  values read once into :class:`InstructorParams`;
* :func:`plan_workloads` (distance matrix in, balanced routes out) and :func:`solve_cvrp`
  (PyVRP, OR-Tools or VROOM back ends) are the array cores; :func:`search_limits` scales the deterministic
  stopping rules to a problem's size, and each town is one task of the parallel engine
  (:mod:`lianxin_geo.core.engine`), so the plan is the same on every scheduler;
* :func:`distance_matrix` (road graph or great circle × circuity) and navigation links
  (:func:`amap_route_url`, :func:`baidu_route_url`, one link per leg with ``*_leg_urls``).
"""

from lianxin_geo.plan.routes.instructors import (
    MISSING_COORDS,
    NO_TOWN,
    TOWN_FAILED,
    default_needs_instructor,
    industry_labels,
    plan_instructor_routes,
)
from lianxin_geo.plan.routes.navigation import amap_leg_urls, amap_route_url, baidu_leg_urls, baidu_route_url
from lianxin_geo.plan.routes.params import InstructorParams
from lianxin_geo.plan.routes.result import InstructorPlan
from lianxin_geo.plan.routes.routing import (
    CVRPInputError,
    CVRPInstance,
    CVRPResult,
    DistanceMatrix,
    available_backends,
    distance_matrix,
    fetch_road_graph,
    read_cvrp_instance,
    read_vrplib,
    SearchLimits,
    route_cost,
    search_limits,
    solve_cvrp,
)
from lianxin_geo.plan.routes.workloads import plan_workloads

__all__ = [
    "CVRPInputError",
    "CVRPInstance",
    "CVRPResult",
    "DistanceMatrix",
    "InstructorParams",
    "InstructorPlan",
    "MISSING_COORDS",
    "NO_TOWN",
    "SearchLimits",
    "TOWN_FAILED",
    "amap_leg_urls",
    "amap_route_url",
    "available_backends",
    "baidu_leg_urls",
    "baidu_route_url",
    "default_needs_instructor",
    "distance_matrix",
    "fetch_road_graph",
    "industry_labels",
    "plan_instructor_routes",
    "plan_workloads",
    "read_cvrp_instance",
    "read_vrplib",
    "route_cost",
    "search_limits",
    "solve_cvrp",
]
