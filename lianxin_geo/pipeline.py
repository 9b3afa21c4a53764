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
    """The three plans a map or an export can show; each is optional (``None``)."""

    joint: Any = None
    routes: Any = None
    coverage: Any = None

    def as_mapping(self) -> dict[str, Any]:
        """``{"joint": ..., "routes": ..., "coverage": ...}`` without the missing ones (what :mod:`maps` takes)."""
        return {k: v for k, v in (("joint", self.joint), ("routes", self.routes), ("coverage", self.coverage))
                if v is not None}


def run_assessment(ws) -> Any:
    """Assess every organization of the workspace."""
    from lianxin_geo.assessment.assessor import assess

    return assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
                  profile=ws.profile)


def _orgs_with_action(assessment, action: str) -> set[str]:
    acts = assessment.actions
    if acts is None or len(acts) == 0:
        return set()
    return set(acts.loc[acts["action"] == action, "org_id"].astype(str))


def run_joint(ws, *, assessment=None, reoptimize: bool = False, cross_town: bool | None = None,
              include_zero_member_in_building: bool | None = None, profile=None, seed: int = 0,
              time_limit_s: float = 30.0, progress: Progress = None) -> Any:
    """Propose joint party units for the assessment's joint candidates (R6)."""
    from lianxin_geo.assessment.rules import A_JOINT_CANDIDATE
    from lianxin_geo.plan.joint.plan import plan_joint_units

    assessment = assessment if assessment is not None else run_assessment(ws)
    orgs = ws.orgs.copy()
    cands = _orgs_with_action(assessment, A_JOINT_CANDIDATE)
    orgs["joint_candidate"] = orgs["id"].astype(str).isin(cands)
    return plan_joint_units(
        orgs, district=ws.district, centers=ws.centers, buildings=ws.buildings, parks=ws.parks,
        profile=profile if profile is not None else ws.profile, reoptimize=reoptimize, cross_town=cross_town,
        include_zero_member_in_building=include_zero_member_in_building, seed=seed, progress=progress,
        time_limit_s=time_limit_s,
    )


def _unit_sites(joint, orgs: pd.DataFrame) -> pd.DataFrame | None:
    """New joint units as visiting sites: one per unit, at its hub org (牵头单位)."""
    if joint is None:
        return None
    units = joint.to_json().get("units", [])
    if not units:
        return None
    pos = orgs.drop_duplicates("id").set_index(orgs.drop_duplicates("id")["id"].astype(str))
    rows = []
    for u in units:
        hub = str(u["hub_id"])
        rows.append({"id": u["unit_id"], "name": f"{u.get('hub_name') or hub}等{len(u['org_ids'])}家联合党组织",
                     "lon": pos["lon"].get(hub), "lat": pos["lat"].get(hub),
                     "jurisdiction_code": u["jurisdiction_code"], "industry": u.get("industry")})
    return pd.DataFrame(rows)


def run_routes(ws, *, assessment=None, joint=None, include_new_units: bool | None = None, graph=None,
               time_limit_s: float = 30.0, cross_town: bool = False, replan: bool = False, seed: int = 0,
               profile=None, progress: Progress = None) -> Any:
    """Plan instructor workloads and routes (R11, R12)."""
    from lianxin_geo.assessment.rules import A_FORM_OWN, A_LEAVE_JOINT, A_WORK_COVERAGE
    from lianxin_geo.plan.routes.instructors import default_needs_instructor, plan_instructor_routes

    assessment = assessment if assessment is not None else run_assessment(ws)
    profile = profile if profile is not None else ws.profile
    include = profile.get("instructors.include_new_units") if include_new_units is None else include_new_units
    orgs = ws.orgs.copy()
    ids = orgs["id"].astype(str)
    need = ids.isin(_orgs_with_action(assessment, A_WORK_COVERAGE))
    if replan:
        need |= default_needs_instructor(orgs, replan=True).to_numpy()
    extra = None
    if include:
        forming = _orgs_with_action(assessment, A_FORM_OWN) | _orgs_with_action(assessment, A_LEAVE_JOINT)
        need |= ids.isin(forming)
        extra = _unit_sites(joint, orgs)
    orgs["needs_instructor"] = np.asarray(need, dtype=bool)
    return plan_instructor_routes(orgs, centers=ws.centers, district=ws.district, profile=profile, graph=graph,
                                  time_limit_s=time_limit_s, cross_town=cross_town, extra_sites=extra,
                                  replan=replan, seed=seed, progress=progress)


def run_coverage(ws, *, k: int = 0, graph=None, candidates: pd.DataFrame | None = None, time_limit_s: float = 30.0,
                 hex_resolution: int = 8, profile=None, seed: int = 0) -> Any:
    """Service-center coverage, gaps and (with ``k > 0``) new-site proposals."""
    from lianxin_geo.plan.coverage.plan import plan_coverage

    return plan_coverage(ws.orgs, centers=ws.centers, district=ws.district, buildings=ws.buildings, parks=ws.parks,
                         candidates=candidates, k=k, profile=profile if profile is not None else ws.profile,
                         graph=graph, hex_resolution=hex_resolution, time_limit_s=time_limit_s, seed=seed)


def run_plans(ws, *, which=("joint", "routes", "coverage"), assessment=None, k: int = 5,
              time_limit_s: float = 60.0, graph=None, progress: Progress = None, seed: int = 0) -> tuple[Any, Plans]:
    """Run the chain with the profile's defaults; return ``(assessment, plans)``.

    ``time_limit_s`` is the total solver time, shared 40 % joint units, 40 % routes,
    20 % coverage. Routes include the new joint units only when the joint plan is run.
    """
    which = set(which)
    unknown = which - {"joint", "routes", "coverage"}
    if unknown:
        raise ValueError(f"which 只能包含 joint、routes、coverage，收到：{', '.join(sorted(unknown))}")
    say = progress or (lambda *_a, **_k: None)
    if assessment is None:
        say("评估每个组织 / assessing")
        assessment = run_assessment(ws)
    plans = Plans()
    if "joint" in which:
        say("计算联建方案 / joint units")
        plans.joint = run_joint(ws, assessment=assessment, seed=seed, time_limit_s=max(1.0, 0.4 * time_limit_s))
    if "routes" in which:
        say("计算指导员路线 / instructor routes")
        plans.routes = run_routes(ws, assessment=assessment, joint=plans.joint, graph=graph,
                                  time_limit_s=max(1.0, 0.4 * time_limit_s), seed=seed)
    if "coverage" in which:
        say("计算阵地覆盖与新址 / coverage and siting")
        plans.coverage = run_coverage(ws, k=k, graph=graph, time_limit_s=max(1.0, 0.2 * time_limit_s), seed=seed)
    return assessment, plans
