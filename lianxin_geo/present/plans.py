"""The plans a presenter shows, and the few things read from a plan object beyond its ``to_json()``.

Presenters accept a plan object (``JointPlan``, ``InstructorPlan``, ``CoveragePlan``)
or its ``to_json()`` dict. What only the objects can give (the hexagon polygons of
the coverage gaps, the route sheet, the centers' reach) is read here, in one
place, so the presenters never test for attributes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from lianxin_geo.plan.coverage import CoveragePlan
    from lianxin_geo.plan.joint import JointPlan
    from lianxin_geo.plan.routes import InstructorPlan

__all__ = ["PLAN_KINDS", "Plans", "plan_mapping", "gap_polygons", "route_sheet", "center_reach"]

#: The plans a map or an export can show.
PLAN_KINDS: tuple[str, ...] = ("joint", "routes", "coverage")


@dataclass
class Plans:
    """The three plans a map or an export can show; each is optional (``None``)."""

    joint: JointPlan | None = None
    routes: InstructorPlan | None = None
    coverage: CoveragePlan | None = None

    def as_mapping(self) -> dict[str, Any]:
        """``{"joint": ..., "routes": ..., "coverage": ...}`` without the missing ones (what the maps take)."""
        return {k: v for k, v in (("joint", self.joint), ("routes", self.routes), ("coverage", self.coverage))
                if v is not None}


def plan_mapping(plans: Plans | Mapping[str, Any] | None) -> dict[str, Any]:
    """``plans`` as ``{"joint"|"routes"|"coverage": plan}`` without the missing ones.

    Raises
    ------
    ValueError
        When a mapping names another kind of plan.
    """
    if plans is None:
        return {}
    if isinstance(plans, Plans):
        return plans.as_mapping()
    unknown = set(plans) - set(PLAN_KINDS)
    if unknown:
        raise ValueError(f"plans 只能包含 joint、routes、coverage，收到：{', '.join(sorted(unknown))}")
    return {k: v for k, v in plans.items() if v is not None}


def gap_polygons(coverage: Any) -> Any:
    """The coverage gaps as hexagons (a GeoDataFrame with ``orgs``), or ``None`` when the plan has no grid."""
    fn = getattr(coverage, "gap_polygons", None)
    if fn is None:
        return None
    try:
        polys = fn()
    except Exception:  # noqa: BLE001 - a plan without a grid: callers draw the gaps' centres instead
        return None
    if polys is None or not len(polys) or polys.geometry.isna().any() or polys.geometry.is_empty.any():
        return None
    return polys


def route_sheet(routes: Any) -> pd.DataFrame:
    """The route sheet of an instructor plan (one row per stop); empty for a ``to_json()`` dict."""
    fn = getattr(routes, "route_sheet", None)
    return fn() if fn is not None else pd.DataFrame()


def center_reach(coverage: Any) -> dict[str, float] | None:
    """``center id -> reach in metres`` of a coverage plan's centers, or ``None`` when it has none."""
    centers = getattr(coverage, "centers", None)
    if not isinstance(centers, pd.DataFrame) or "reach_m" not in centers or "id" not in centers:
        return None
    return dict(zip(centers["id"].astype(str), centers["reach_m"]))
