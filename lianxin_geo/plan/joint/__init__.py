"""Joint party units (联建方案, R6–R9, R23–R25): proposals that satisfy every rule at once, and their checker.

* :func:`plan_joint_units` (the ledger adapter) → :class:`JointPlan`, with the rule values read
  once into :class:`JointParams`;
* :func:`solve_joint_units` is the array core (metres, counts and integer labels in);
* :func:`validate_proposal` is the independent checker (any proposal, whoever made it).
"""

from lianxin_geo.plan.joint.params import JointParams
from lianxin_geo.plan.joint.plan import RADIUS_SAFETY, plan_joint_units
from lianxin_geo.plan.joint.result import JointPlan
from lianxin_geo.plan.joint.rules import (
    VIOLATION_CODES,
    check_units,
    default_eligible,
    existing_joint_mask,
    groups_similar,
    org_groups,
    radius_per_org,
    town_adjacency,
    validate_proposal,
)
from lianxin_geo.plan.joint.solver import SolverResult, SolverUnit, solve_joint_units

__all__ = [
    "JointParams",
    "JointPlan",
    "RADIUS_SAFETY",
    "SolverResult",
    "SolverUnit",
    "VIOLATION_CODES",
    "check_units",
    "default_eligible",
    "existing_joint_mask",
    "groups_similar",
    "org_groups",
    "plan_joint_units",
    "radius_per_org",
    "solve_joint_units",
    "town_adjacency",
    "validate_proposal",
]
