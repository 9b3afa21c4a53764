"""The planning chain on a :class:`~lianxin_geo.workspace.Workspace`, the same for CLI, app and exports.

assessment → joint units (eligible = the assessment's joint candidates) → instructor
routes (needing an instructor = the assessment's R11 orgs, plus, by default, the new
joint units and new own orgs) → service-center coverage. Each step calls the public
planner API; this module only passes one step's answer to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["Plans", "run_assessment", "run_joint", "run_routes", "run_coverage", "run_plans"]

Progress = Callable[..., None] | None


@dataclass
class Plans:
    """The results of one planning run (each optional)."""

    assessment: Any = None
    joint: Any = None
    routes: Any = None
    coverage: Any = None


def run_assessment(ws) -> Any:
    """Assess every organization of the workspace."""
    from .assess import assess

    return assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
                  profile=ws.profile)


def _orgs_with_action(assessment, action: str) -> set[str]:
    acts = assessment.actions
    if acts is None or len(acts) == 0:
        return set()
    return set(acts.loc[acts["action"] == action, "org_id"].astype(str))


def run_joint(ws, *, assessment=None, reoptimize: bool = False, cross_town: bool | None = None,
              include_zero_member_in_building: bool | None = None, profile=None, seed: int = 0,
              progress: Progress = None) -> Any:
    """Propose joint party units for the assessment's joint candidates (R6)."""
    from ._assess_rules import A_JOINT_CANDIDATE
    from .joint import plan_joint_units

    assessment = assessment if assessment is not None else run_assessment(ws)
    orgs = ws.orgs.copy()
    cands = _orgs_with_action(assessment, A_JOINT_CANDIDATE)
    orgs["joint_candidate"] = orgs["id"].astype(str).isin(cands)
    return plan_joint_units(
        orgs, district=ws.district, centers=ws.centers, buildings=ws.buildings, parks=ws.parks,
        profile=profile if profile is not None else ws.profile, reoptimize=reoptimize, cross_town=cross_town,
        include_zero_member_in_building=include_zero_member_in_building, seed=seed, progress=progress,
    )


def _unit_sites(joint) -> pd.DataFrame | None:
    """Joint units as visiting sites: one per unit, at its hub org."""
    if joint is None:
        return None
    units = joint.to_json().get("units", [])
    if not units:
        return None
    frame = getattr(joint, "units", None)
    rows = []
    for u in units:
        rows.append({"id": u["unit_id"], "name": u.get("name") or f"联合党组织 {u['unit_id']}",
                     "lon": u.get("hub_lon"), "lat": u.get("hub_lat"),
                     "jurisdiction_code": u["jurisdiction_code"], "industry": u.get("industry")})
    out = pd.DataFrame(rows)
    if out["lon"].isna().any() and isinstance(frame, pd.DataFrame) and {"unit_id", "hub_lon", "hub_lat"} <= set(frame):
        pos = frame.set_index("unit_id")
        out["lon"] = out["id"].map(pos["hub_lon"])
        out["lat"] = out["id"].map(pos["hub_lat"])
    return out


def run_routes(ws, *, assessment=None, joint=None, include_new_units: bool | None = None, graph=None,
               time_limit_s: float = 30.0, cross_town: bool = False, replan: bool = False, seed: int = 0,
               progress: Progress = None) -> Any:
    """Plan instructor workloads and routes (R11, R12)."""
    from ._assess_rules import A_FORM_OWN, A_LEAVE_JOINT, A_WORK_COVERAGE
    from .instructors import default_needs_instructor, plan_instructor_routes

    assessment = assessment if assessment is not None else run_assessment(ws)
    include = ws.profile.get("instructors.include_new_units") if include_new_units is None else include_new_units
    orgs = ws.orgs.copy()
    ids = orgs["id"].astype(str)
    need = ids.isin(_orgs_with_action(assessment, A_WORK_COVERAGE))
    if replan:
        need |= default_needs_instructor(orgs, replan=True).to_numpy()
    extra = None
    if include:
        forming = _orgs_with_action(assessment, A_FORM_OWN) | _orgs_with_action(assessment, A_LEAVE_JOINT)
        need |= ids.isin(forming)
        extra = _unit_sites(joint)
    orgs["needs_instructor"] = np.asarray(need, dtype=bool)
    return plan_instructor_routes(orgs, centers=ws.centers, district=ws.district, profile=ws.profile, graph=graph,
                                  time_limit_s=time_limit_s, cross_town=cross_town, extra_sites=extra,
                                  replan=replan, seed=seed, progress=progress)


def run_coverage(ws, *, k: int = 0, graph=None, candidates: pd.DataFrame | None = None, time_limit_s: float = 30.0,
                 seed: int = 0) -> Any:
    """Service-center coverage, gaps and (with ``k > 0``) new-site proposals."""
    from .coverage import plan_coverage

    return plan_coverage(ws.orgs, centers=ws.centers, district=ws.district, buildings=ws.buildings, parks=ws.parks,
                         candidates=candidates, k=k, profile=ws.profile, graph=graph, time_limit_s=time_limit_s,
                         seed=seed)


def run_plans(ws, *, k: int = 5, time_limit_s: float = 30.0, graph=None, progress: Progress = None,
              seed: int = 0) -> Plans:
    """Run the whole chain with the profile's defaults."""
    say = progress or (lambda *_a, **_k: None)
    say("评估 / assessing")
    a = run_assessment(ws)
    say("联建方案 / joint units")
    j = run_joint(ws, assessment=a, seed=seed)
    say("指导员路线 / instructor routes")
    r = run_routes(ws, assessment=a, joint=j, graph=graph, time_limit_s=time_limit_s, seed=seed)
    say("阵地覆盖 / coverage")
    c = run_coverage(ws, k=k, graph=graph, time_limit_s=time_limit_s, seed=seed)
    return Plans(assessment=a, joint=j, routes=r, coverage=c)
