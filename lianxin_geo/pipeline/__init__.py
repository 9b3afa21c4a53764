"""The planning chain on a :class:`~lianxin_geo.workspace.Workspace`, the same for CLI, app and exports.

assessment → joint units (eligible = the assessment's joint candidates) → instructor
routes (needing an instructor = the assessment's R11 orgs, plus, when the profile's
``instructors.include_new_units`` says so, the new joint units and new own orgs) →
service-center coverage. Each step calls the public planner API; this module only
passes one step's answer to the next. :func:`run_all` then computes whatever is
missing and writes every file of a run (:func:`lianxin_geo.present.export.write_all`).

:func:`run_routes` is the one place that decides whether routes include the new
joint units: every front end calls it.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.assessment import Assessment, assess
from lianxin_geo.assessment.rules import (
    A_DEVELOP_MEMBERS, A_FORM_OWN, A_JOINT_CANDIDATE, A_LEAVE_JOINT, A_WORK_COVERAGE,
)
from lianxin_geo.core.engine import Engine, TaskFailure, get_engine
from lianxin_geo.plan.coverage import CoveragePlan, plan_coverage
from lianxin_geo.plan.joint import JointPlan, plan_joint_units
from lianxin_geo.plan.routes import InstructorPlan, default_needs_instructor, plan_instructor_routes
from lianxin_geo.present.export import DEFAULT_FORMATS, check_formats, export_costs, export_jobs, write_all
from lianxin_geo.present.plans import PLAN_KINDS, Plans, PlansLike, plan_mapping

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from lianxin_geo.core.policy import Profile
    from lianxin_geo.workspace import Workspace

__all__ = ["Plans", "run_assessment", "run_joint", "run_routes", "run_coverage", "run_plans", "run_all",
           "plan_failures", "prepare_engine", "PARTIAL_NOTE"]

Progress = Callable[..., None] | None
EngineLike = Engine | str | None
#: What a run folder's ``partial.json`` says when a task of the plans failed.
PARTIAL_NOTE = "部分结果：以下镇街的计算失败，未纳入本次方案（其余镇街已完成）；请重新运行或用 --scheduler sync 排查"


def prepare_engine(ws: Workspace, engine: EngineLike = None, *,
                   formats: Sequence[str] = DEFAULT_FORMATS) -> Engine:
    """The engine of a run, its local cluster started in the background when the run's files alone will need it.

    When the files of a run (:func:`lianxin_geo.present.export.export_costs`) are worth worker processes even
    counting their start-up, the workers start now, while the plans are computed, and the per-town plan work can
    use them too.
    """
    eng = get_engine(engine)
    costs = export_costs(len(ws.orgs), export_jobs(formats))
    if not eng.in_process(len(costs), sum(costs), longest=max(costs, default=0.0)):
        eng.prestart()
    return eng


def plan_failures(plans: PlansLike) -> list[TaskFailure]:
    """Every failed task of the plans (joint units and routes split their work per town; coverage is one solve).

    A non-empty list means the result is partial (部分结果) and must be labelled so wherever it is shown.
    """
    have = plan_mapping(plans)
    out: list[TaskFailure] = []
    for kind in ("joint", "routes"):
        plan = have.get(kind)
        if plan is not None:
            out.extend(plan.failures)
    return out


def run_assessment(ws: Workspace, *, assessed_on: _dt.date | None = None) -> Assessment:
    """Assess every organization of the workspace (``assessed_on``: the date the 一企一策 due dates count from;
    default today)."""
    return assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
                  profile=ws.profile, assessed_on=assessed_on)


def _orgs_with_action(assessment: Assessment, action: str) -> set[str]:
    acts = assessment.actions
    if acts is None or len(acts) == 0:
        return set()
    return set(acts.loc[acts["action"] == action, "org_id"].astype(str))


def run_joint(ws: Workspace, *, assessment: Assessment | None = None, reoptimize: bool = False,
              cross_town: bool | None = None, include_zero_member_in_building: bool | None = None,
              profile: Profile | None = None, seed: int = 0, time_limit_s: float = 30.0,
              progress: Progress = None, engine: EngineLike = None) -> JointPlan:
    """Propose joint party units for the assessment's joint candidates (R6).

    ``engine`` (an :class:`~lianxin_geo.core.engine.Engine`, ``"local"``, ``"sync"``, ``"tcp://…"``; ``None``:
    ``$LIANXIN_SCHEDULER`` or ``"local"``) runs each group of towns as one task; the plan is the same on every
    scheduler."""
    assessment = assessment if assessment is not None else run_assessment(ws)
    orgs = ws.orgs.copy()
    cands = _orgs_with_action(assessment, A_JOINT_CANDIDATE)
    orgs["joint_candidate"] = orgs["id"].astype(str).isin(cands)
    return plan_joint_units(
        orgs, district=ws.district, centers=ws.centers, buildings=ws.buildings, parks=ws.parks,
        profile=profile if profile is not None else ws.profile, reoptimize=reoptimize, cross_town=cross_town,
        include_zero_member_in_building=include_zero_member_in_building, seed=seed, progress=progress,
        time_limit_s=time_limit_s, engine=engine,
    )


def _unit_sites(joint: JointPlan | None, orgs: pd.DataFrame) -> pd.DataFrame | None:
    """New joint units as visiting sites: one per unit, at its hub org (牵头单位)."""
    if joint is None or not len(joint.units):
        return None
    pos = orgs.drop_duplicates("id").set_index(orgs.drop_duplicates("id")["id"].astype(str))
    rows = []
    for u in joint.units.itertuples(index=False):
        hub = str(u.hub_id)
        hub_name = u.hub_name if isinstance(u.hub_name, str) and u.hub_name else hub
        rows.append({"id": u.unit_id, "name": f"{hub_name}等{len(u.org_ids)}家联合党组织",
                     "hub_id": hub, "org_ids": tuple(str(x) for x in u.org_ids),
                     "lon": pos["lon"].get(hub), "lat": pos["lat"].get(hub),
                     "jurisdiction_code": u.jurisdiction_code,
                     "industry": u.industry if isinstance(u.industry, str) else None})
    return pd.DataFrame(rows)


def run_routes(ws: Workspace, *, assessment: Assessment | None = None, joint: JointPlan | None = None,
               include_new_units: bool | None = None, graph: Any = None, time_limit_s: float = 30.0,
               cross_town: bool = False, replan: bool = False, seed: int = 0, profile: Profile | None = None,
               progress: Progress = None, joint_time_limit_s: float = 30.0,
               engine: EngineLike = None) -> InstructorPlan:
    """Plan instructor workloads and routes (R11, R12).

    The one place that decides whether the routes include the new units: with
    ``include_new_units`` (default: the profile's ``instructors.include_new_units``)
    the orgs that should form their own party organization and the new joint
    units of ``joint`` need an instructor too. When they are included and no
    joint plan is given, the default joint plan (:func:`run_joint`, within
    ``joint_time_limit_s``) is computed first, so every front end gets the same
    routes for the same inputs.

    Parameters
    ----------
    ws
        The workspace.
    assessment
        The assessment (computed when not given).
    joint
        The joint-unit plan whose new units get an instructor.
    include_new_units
        Include new units and new own orgs; ``None`` follows the profile.
    graph, time_limit_s, cross_town, replan, seed, progress
        Passed to :func:`lianxin_geo.plan.routes.instructors.plan_instructor_routes`.
    profile
        Policy profile (default the workspace's).
    joint_time_limit_s
        Time limit of the joint plan computed when none is given.
    engine
        The parallel engine: each town is one task (of the routes and of a joint plan computed here).
    """
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
        if joint is None:
            joint = run_joint(ws, assessment=assessment, profile=profile, seed=seed, time_limit_s=joint_time_limit_s,
                              engine=engine)
        # orgs to form their own party organization now, or to get members first (选派/发展党员) — both need
        # an instructor's guidance (BJ2016N 二.6)
        forming = (_orgs_with_action(assessment, A_FORM_OWN) | _orgs_with_action(assessment, A_LEAVE_JOINT)
                   | _orgs_with_action(assessment, A_DEVELOP_MEMBERS))
        need |= ids.isin(forming)
        extra = _unit_sites(joint, orgs)
    orgs["needs_instructor"] = np.asarray(need, dtype=bool)
    return plan_instructor_routes(orgs, centers=ws.centers, district=ws.district, profile=profile, graph=graph,
                                  time_limit_s=time_limit_s, cross_town=cross_town, extra_sites=extra,
                                  replan=replan, seed=seed, progress=progress, include_new_units=bool(include),
                                  engine=engine)


def run_coverage(ws: Workspace, *, k: int = 0, graph: Any = None, candidates: pd.DataFrame | None = None,
                 time_limit_s: float = 30.0, hex_resolution: int = 8, profile: Profile | None = None,
                 seed: int = 0, engine: EngineLike = None) -> CoveragePlan:
    """Service-center coverage, gaps and (with ``k > 0``) new-site proposals.

    Coverage and siting are one district-wide optimisation (the sites serve across town lines), so they are not
    split into tasks; ``engine`` is accepted like every planner's and checked (an unknown scheduler fails here).
    """
    get_engine(engine)
    return plan_coverage(ws.orgs, centers=ws.centers, district=ws.district, buildings=ws.buildings, parks=ws.parks,
                         candidates=candidates, k=k, profile=profile if profile is not None else ws.profile,
                         graph=graph, hex_resolution=hex_resolution, time_limit_s=time_limit_s, seed=seed)


def run_plans(ws: Workspace, *, which: Iterable[str] = PLAN_KINDS, assessment: Assessment | None = None,
              joint: JointPlan | None = None, k: int = 5, time_limit_s: float = 60.0, graph: Any = None,
              progress: Progress = None, seed: int = 0, engine: EngineLike = None) -> tuple[Assessment, Plans]:
    """Run the chain with the profile's defaults; return ``(assessment, plans)``.

    ``time_limit_s`` is the total solver time, shared 40 % joint units, 40 % routes,
    20 % coverage. The routes include the new joint units as :func:`run_routes`
    decides: of the joint plan computed here, else of ``joint`` (a plan computed
    before), else of the default joint plan. ``plans.joint`` holds only a joint
    plan asked for in ``which``. ``engine`` runs the per-town work (see :func:`run_joint`).
    """
    engine = get_engine(engine)
    which = set(which)
    unknown = which - set(PLAN_KINDS)
    if unknown:
        raise ValueError(f"which 只能包含 joint、routes、coverage，收到：{', '.join(sorted(unknown))}")
    say = progress or (lambda *_a, **_k: None)
    if assessment is None:
        say("评估每个组织 / assessing")
        assessment = run_assessment(ws)
    plans = Plans()
    share = max(1.0, 0.4 * time_limit_s)
    if "joint" in which:
        say("计算联建方案 / joint units")
        plans.joint = run_joint(ws, assessment=assessment, seed=seed, time_limit_s=share, engine=engine)
    if "routes" in which:
        say("计算指导员路线 / instructor routes")
        plans.routes = run_routes(ws, assessment=assessment, joint=plans.joint if plans.joint is not None else joint,
                                  graph=graph, time_limit_s=share, seed=seed, joint_time_limit_s=share,
                                  engine=engine)
    if "coverage" in which:
        say("计算阵地覆盖与新址 / coverage and siting")
        plans.coverage = run_coverage(ws, k=k, graph=graph, time_limit_s=max(1.0, 0.2 * time_limit_s), seed=seed,
                                      engine=engine)
    return assessment, plans


def run_all(
    ws: Workspace,
    out_dir: str | os.PathLike[str],
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    progress: Callable[[str], Any] | None = None,
    time_limit_s: float = 120.0,
    assessment: Assessment | None = None,
    plans: PlansLike = None,
    new_sites: int = 5,
    seed: int = 0,
    engine: EngineLike = None,
    **write_options: Any,
) -> dict[str, Path]:
    """Assess, compute the plans not given and write every requested file into the run folder ``out_dir``.

    The folder is replaced as a whole when every file is written, with a completion
    manifest (``manifest.json``) written last: see :func:`lianxin_geo.present.export.write_all`.

    Parameters
    ----------
    ws
        The workspace.
    out_dir
        Output folder: missing, empty or holding a previous run.
    formats
        Any of :data:`lianxin_geo.present.export.FORMATS`.
    progress
        Called with a short Chinese message before each step.
    time_limit_s
        Total solver time of the plans computed (see :func:`run_plans`).
    assessment, plans
        Results already computed: the missing plans are computed; routes computed
        here include the new units of a joint plan given.
    new_sites, seed
        Passed to :func:`run_plans` (``new_sites`` is its ``k``).
    engine
        The parallel engine of the per-town plan work and of the independent files
        (:func:`lianxin_geo.core.engine.get_engine`); the files are the same on every scheduler.
    **write_options
        The writing options of :func:`lianxin_geo.present.export.write_all` (``gcj02``,
        ``per_org_sheets``, ``max_town_slides``, ``dpi``, ``extra_json``), passed on as given.

    Returns
    -------
    dict
        ``key -> path`` of the files written (see :func:`lianxin_geo.present.export.write_all`). When a task of
        the plans failed (:func:`plan_failures`), the folder also holds ``partial.json`` (部分结果: the failed
        towns and reasons).
    """
    check_formats(formats)
    # a misspelt writing option fails here, before minutes of solving
    inspect.signature(write_all).bind(ws, out_dir, assessment=assessment, **write_options)
    say = progress or (lambda _msg: None)
    engine = get_engine(engine)  # (front ends call prepare_engine first, to start the workers early)
    t0 = time.perf_counter()
    if assessment is None:
        say("评估组织覆盖")
        assessment = run_assessment(ws)
    have = plan_mapping(plans)
    missing = [k for k in PLAN_KINDS if k not in have]
    if missing:
        _, computed = run_plans(ws, which=missing, assessment=assessment, joint=have.get("joint"), k=new_sites,
                                time_limit_s=time_limit_s, seed=seed, progress=progress, engine=engine)
        have.update(computed.as_mapping())
    failures = plan_failures(have)
    if failures:  # 部分结果: the run folder says so in partial.json (and the workbook and deck label it)
        write_options["extra_json"] = {**(write_options.get("extra_json") or {}), "partial": {
            "partial": True, "note": PARTIAL_NOTE, "failures": [f.to_json() for f in failures]}}
    files = write_all(ws, out_dir, assessment=assessment, plans=have, formats=formats, progress=progress,
                      engine=engine, **write_options)
    say(f"完成：{len(files)} 个文件，用时 {time.perf_counter() - t0:.0f} 秒")
    return files
