"""Joint party units (联建方案, R6–R9, R23–R25): proposals that satisfy every rule at once, and their checker.

* :func:`plan_joint_units` (the ledger adapter) → :class:`JointPlan`, with the rule values read
  once into :class:`JointParams`;
* :func:`solve_joint_units` is the array core (metres, counts and integer labels in);
* :func:`validate_proposal` is the independent checker (any proposal, whoever made it).
"""

from lianxin_geo.plan.joint import plan as _plan
from lianxin_geo.plan.joint import rules as _rules
from lianxin_geo.plan.joint.params import JointParams
from lianxin_geo.plan.joint.plan import *  # noqa: F403 - re-exports plan.__all__
from lianxin_geo.plan.joint.result import JointPlan
from lianxin_geo.plan.joint.rules import *  # noqa: F403 - re-exports rules.__all__
from lianxin_geo.plan.joint.solver import SolverResult, SolverUnit, solve_joint_units

__all__ = ["JointParams", "JointPlan", "SolverResult", "SolverUnit", "solve_joint_units", *_plan.__all__,
           *_rules.__all__]
