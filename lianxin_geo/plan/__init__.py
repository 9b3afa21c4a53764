"""Planners: joint party units (``plan.joint``), instructor routes (``plan.routes``) and service-center coverage
(``plan.coverage``). Each takes located ledgers and a policy profile, solves on arrays, and returns one frozen,
typed result whose ``to_json()`` is the CLI's ``--json`` output."""

from lianxin_geo.plan.coverage import CoverageParams, CoveragePlan, plan_coverage
from lianxin_geo.plan.joint import JointParams, JointPlan, plan_joint_units, validate_proposal
from lianxin_geo.plan.routes import InstructorParams, InstructorPlan, plan_instructor_routes, solve_cvrp

__all__ = [
    "CoverageParams",
    "CoveragePlan",
    "InstructorParams",
    "InstructorPlan",
    "JointParams",
    "JointPlan",
    "plan_coverage",
    "plan_instructor_routes",
    "plan_joint_units",
    "solve_cvrp",
    "validate_proposal",
]
