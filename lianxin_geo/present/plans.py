"""The plans a presenter shows: the typed results of the planners, nothing else.

Presenters take :class:`~lianxin_geo.plan.joint.JointPlan`,
:class:`~lianxin_geo.plan.routes.InstructorPlan` and
:class:`~lianxin_geo.plan.coverage.CoveragePlan` and read their frames directly;
``to_json()`` is only the CLI's ``--json`` output. :class:`Plans` holds the three
(each optional); :func:`as_plans` accepts ``Plans`` or ``{"joint"|"routes"|"coverage": plan}``
and refuses anything else (a ``to_json()`` dict included) with a message naming the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.style import num

__all__ = ["PLAN_KINDS", "Plan", "Plans", "PlansLike", "as_plans", "plan_mapping", "route_base", "route_key", "route_points"]

#: The plans a map or an export can show.
PLAN_KINDS: tuple[str, ...] = ("joint", "routes", "coverage")

#: Any one of the plans.
Plan = JointPlan | InstructorPlan | CoveragePlan

_TYPES: dict[str, type] = {"joint": JointPlan, "routes": InstructorPlan, "coverage": CoveragePlan}


@dataclass
class Plans:
    """The three plans a map or an export can show; each is optional (``None``)."""

    joint: JointPlan | None = None
    routes: InstructorPlan | None = None
    coverage: CoveragePlan | None = None

    def as_mapping(self) -> dict[str, Plan]:
        """``{"joint": ..., "routes": ..., "coverage": ...}`` without the missing ones."""
        return {k: v for k, v in (("joint", self.joint), ("routes", self.routes), ("coverage", self.coverage))
                if v is not None}

    def __contains__(self, kind: str) -> bool:
        """``"routes" in plans``: that plan is given."""
        return kind in self.as_mapping()


#: What the presenters accept as their ``plans``.
PlansLike = Plans | Mapping[str, Plan | None] | None


def as_plans(plans: PlansLike) -> Plans:
    """``plans`` as :class:`Plans`, every plan checked to be the planner's typed result.

    Raises
    ------
    ValueError
        When a mapping names another kind of plan.
    TypeError
        When a plan is not the typed result of its planner (e.g. its ``to_json()`` dict).
    """
    if plans is None:
        return Plans()
    given = plans.as_mapping() if isinstance(plans, Plans) else {k: v for k, v in plans.items() if v is not None}
    unknown = set(given) - set(PLAN_KINDS)
    if unknown:
        raise ValueError(f"plans 只能包含 joint、routes、coverage，收到：{', '.join(sorted(unknown))}")
    for kind, plan in given.items():
        want = _TYPES[kind]
        if not isinstance(plan, want):
            raise TypeError(f"plans 的 {kind} 应为 {want.__name__}（规划函数返回的结果对象），收到 {type(plan).__name__}；"
                            "to_json() 只用于命令行 --json 输出，请直接传入结果对象")
    return Plans(**given)


def plan_mapping(plans: PlansLike) -> dict[str, Plan]:
    """``plans`` as ``{"joint"|"routes"|"coverage": plan}`` without the missing ones (checked as :func:`as_plans`)."""
    return as_plans(plans).as_mapping()


def route_base(lon: Any, lat: Any) -> tuple[float, float] | None:
    """A route's base (``InstructorPlan.routes`` ``base_lon``, ``base_lat``) as a point; ``None`` without coordinates."""
    x, y = num(lon), num(lat)
    return None if x is None or y is None else (x, y)


def route_key(frame: pd.DataFrame) -> str:
    """The column naming one route (one instructor's day): ``route_id``, or ``instructor_id`` in plans made before
    routes were split over working days."""
    return "route_id" if "route_id" in frame.columns else "instructor_id"


def route_points(routes: InstructorPlan) -> dict[str, list[tuple[float, float, str, str]]]:
    """Each route's (one instructor's day's) visits in order as ``(lon, lat, org_id, name)``, from
    ``InstructorPlan.stops``, keyed by :func:`route_key`.

    The stops carry their own coordinates, so a new joint unit (``LJ-…``, visited at its lead org) is drawn like
    any org; visits without coordinates are left out.
    """
    out: dict[str, list[tuple[float, float, str, str]]] = {}
    key = route_key(routes.stops)
    st = routes.stops.sort_values([key, "order"], kind="stable")
    for rid, lon, lat, oid, name in zip(st[key], st["lon"], st["lat"], st["org_id"], st["name"]):
        x, y = num(lon), num(lat)
        if x is not None and y is not None:
            out.setdefault(str(rid), []).append((x, y, str(oid), str(name)))
    return out
