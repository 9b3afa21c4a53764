"""The pipeline passes one step's answer to the next: routes include the new joint units of the joint plan given."""

from __future__ import annotations

import pytest

from lianxin_geo import pipeline
from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present.plans import Plans


def _stub(cls):
    """An instance of a typed result class that nobody reads (the planners and the writer are stubbed)."""
    return object.__new__(cls)


GIVEN_JOINT, COMPUTED_JOINT = _stub(JointPlan), _stub(JointPlan)
ROUTES, COVERAGE, GIVEN_COVERAGE = _stub(InstructorPlan), _stub(CoveragePlan), _stub(CoveragePlan)


@pytest.fixture()
def calls(monkeypatch):
    """Stub the planners and the writer: record what each was given."""
    seen: dict = {}

    def fake_joint(ws, **kw):
        seen.setdefault("joint_calls", []).append(kw)
        return COMPUTED_JOINT

    def fake_routes(ws, **kw):
        seen["routes"] = kw
        return ROUTES

    def fake_coverage(ws, **kw):
        return COVERAGE

    def fake_write_all(ws, out_dir, **kw):
        seen["written"] = kw["plans"]
        return {}

    monkeypatch.setattr(pipeline, "run_joint", fake_joint)
    monkeypatch.setattr(pipeline, "run_routes", fake_routes)
    monkeypatch.setattr(pipeline, "run_coverage", fake_coverage)
    monkeypatch.setattr(pipeline, "write_all", fake_write_all)
    return seen


def test_run_all_given_only_a_joint_plan_routes_include_it(calls, tmp_path):
    pipeline.run_all(object(), tmp_path / "out", assessment="a", plans={"joint": GIVEN_JOINT}, time_limit_s=10)
    assert calls["routes"]["joint"] is GIVEN_JOINT
    assert "joint_calls" not in calls  # the given plan is not recomputed
    assert calls["written"] == {"joint": GIVEN_JOINT, "routes": ROUTES, "coverage": COVERAGE}


def test_run_all_computes_the_joint_plan_before_the_routes(calls, tmp_path):
    pipeline.run_all(object(), tmp_path / "out", assessment="a", plans=Plans(coverage=GIVEN_COVERAGE))
    assert calls["routes"]["joint"] is COMPUTED_JOINT
    assert calls["written"]["coverage"] is GIVEN_COVERAGE


def test_run_all_refuses_a_plan_as_json(calls, tmp_path):
    with pytest.raises(TypeError, match="JointPlan"):
        pipeline.run_all(object(), tmp_path / "out", assessment="a", plans={"joint": {"units": []}})
    assert not calls


def test_run_all_checks_formats_before_computing(calls, tmp_path):
    with pytest.raises(ValueError, match="未知导出格式"):
        pipeline.run_all(object(), tmp_path / "out", formats=("docx",), assessment="a")
    assert not calls


def _with_joint(ws):
    """The assessment, a joint plan and its new unit ids on ``ws``."""
    a = pipeline.run_assessment(ws)
    joint = pipeline.run_joint(ws, assessment=a, time_limit_s=3)
    units = set(joint.units["unit_id"].astype(str))
    assert units
    return a, joint, units


def _visited(plan) -> set[str]:
    """Every org or unit a route plan visits or leaves unassigned."""
    return {str(o) for ids in plan.routes["org_ids"] for o in ids} | set(plan.unassigned["org_id"].astype(str))


@pytest.mark.slow
def test_routes_visit_the_new_joint_units(demo_ws):
    a, joint, units = _with_joint(demo_ws)
    with_units = pipeline.run_routes(demo_ws, assessment=a, joint=joint, include_new_units=True, time_limit_s=2)
    assert units <= _visited(with_units)
    site = next(s for s in with_units.stops.itertuples(index=False) if str(s.org_id) in units)
    hub = joint.units.set_index("unit_id").loc[site.org_id]
    assert site.name == f"{hub.hub_name}等{len(hub.org_ids)}家联合党组织"  # a new unit is visited at its hub
    without = pipeline.run_routes(demo_ws, assessment=a, joint=joint, include_new_units=False, time_limit_s=2)
    assert not units & {str(o) for ids in without.routes["org_ids"] for o in ids}


@pytest.mark.slow
def test_the_pipeline_alone_decides_whether_routes_include_new_units(demo_ws):
    """``run_routes(include_new_units=…)`` wins over the profile's default, both ways (no second gate below it)."""
    a, joint, units = _with_joint(demo_ws)
    off = demo_ws.profile.with_values({"instructors.include_new_units": False}, note="测试")
    on = demo_ws.profile.with_values({"instructors.include_new_units": True}, note="测试")
    asked = pipeline.run_routes(demo_ws, assessment=a, joint=joint, include_new_units=True, profile=off,
                                time_limit_s=2)
    assert units <= _visited(asked)
    refused = pipeline.run_routes(demo_ws, assessment=a, joint=joint, include_new_units=False, profile=on,
                                  time_limit_s=2)
    assert not units & _visited(refused)
