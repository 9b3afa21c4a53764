"""The pipeline passes one step's answer to the next: routes include the new joint units of the joint plan given."""

from __future__ import annotations

import pytest

from lianxin_geo import pipeline
from lianxin_geo.present.plans import Plans


@pytest.fixture()
def calls(monkeypatch):
    """Stub the planners and the writer: record what each was given."""
    seen: dict = {}

    def fake_joint(ws, **kw):
        seen.setdefault("joint_calls", []).append(kw)
        return "computed-joint"

    def fake_routes(ws, **kw):
        seen["routes"] = kw
        return "routes"

    def fake_coverage(ws, **kw):
        return "coverage"

    def fake_write_all(ws, out_dir, **kw):
        seen["written"] = kw["plans"]
        return {}

    monkeypatch.setattr(pipeline, "run_joint", fake_joint)
    monkeypatch.setattr(pipeline, "run_routes", fake_routes)
    monkeypatch.setattr(pipeline, "run_coverage", fake_coverage)
    monkeypatch.setattr(pipeline, "write_all", fake_write_all)
    return seen


def test_run_all_given_only_a_joint_plan_routes_include_it(calls, tmp_path):
    pipeline.run_all(object(), tmp_path / "out", assessment="a", plans={"joint": "given-joint"}, time_limit_s=10)
    assert calls["routes"]["joint"] == "given-joint"
    assert "joint_calls" not in calls  # the given plan is not recomputed
    assert calls["written"] == {"joint": "given-joint", "routes": "routes", "coverage": "coverage"}


def test_run_all_computes_the_joint_plan_before_the_routes(calls, tmp_path):
    pipeline.run_all(object(), tmp_path / "out", assessment="a", plans=Plans(coverage="cov"))
    assert calls["routes"]["joint"] == "computed-joint"
    assert calls["written"]["coverage"] == "cov"


def test_run_all_checks_formats_before_computing(calls, tmp_path):
    with pytest.raises(ValueError, match="未知导出格式"):
        pipeline.run_all(object(), tmp_path / "out", formats=("docx",), assessment="a")
    assert not calls


@pytest.mark.slow
def test_routes_visit_the_new_joint_units(demo_ws):
    a = pipeline.run_assessment(demo_ws)
    joint = pipeline.run_joint(demo_ws, assessment=a, time_limit_s=3)
    units = {u["unit_id"] for u in joint.to_json()["units"]}
    assert units
    with_units = pipeline.run_routes(demo_ws, assessment=a, joint=joint, include_new_units=True, time_limit_s=2)
    visited = {str(o) for r in with_units.to_json()["routes"] for o in r["org_ids"]}
    visited |= {str(u["org_id"]) for u in with_units.to_json().get("unassigned", [])}
    assert units <= visited
    without = pipeline.run_routes(demo_ws, assessment=a, joint=joint, include_new_units=False, time_limit_s=2)
    assert not units & {str(o) for r in without.to_json()["routes"] for o in r["org_ids"]}
