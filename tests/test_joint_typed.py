"""JointParams read once from the profile, and the typed JointPlan (tables, properties, JSON built from them)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from _joint_fixtures import org, two_town_district
from lianxin_geo.core.policy import load_profile
from lianxin_geo.plan.joint import JointParams, JointPlan, plan_joint_units, validate_proposal
from lianxin_geo.plan.joint.result import KEPT_COLUMNS, UNIT_COLUMNS, UNPLACED_COLUMNS, VIOLATION_COLUMNS


@pytest.fixture(scope="module")
def district():
    return two_town_district()


def frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["members"] = df["members"].astype("Int64")
    df["employees"] = df["employees"].astype("Int64")
    return df


def ledger() -> pd.DataFrame:
    rows = [org(f"B{k}", 1, "T2", 116.62 + k * 1e-4, 40.11, building="国际大厦", employees=10 + k) for k in range(4)]
    rows += [org("A", 2, "T1", 116.600, 40.100), org("B", 1, "T1", 116.603, 40.100),
             org("Solo", 1, "T2", 116.625, 40.125, industry="C"), org("K", 1, "T2", float("nan"), float("nan"))]
    rows += [org("D", 1, "T2", 116.62, 40.11, status="联合建立"), org("E", 2, "T2", 116.62, 40.11, status="联合建立")]
    df = frame(rows)
    df.loc[df["id"].isin(["D", "E"]), "joint_org_id"] = "LH-7"
    return df


CENTERS = pd.DataFrame({"name": ["乙镇党群服务中心"], "level": ["镇级"], "lon": [116.621], "lat": [40.11]})


# ------------------------------------------------------------------ params
def test_params_read_every_value_from_the_profile():
    prof = load_profile()
    p = JointParams.from_profile(prof)
    assert (p.max_units, p.min_members, p.max_members) == (prof.get("joint.max_units"),
                                                           prof.get("joint.min_members_total"),
                                                           prof.get("joint.max_members"))
    assert p.max_radius_m_town == prof.get("joint.max_radius_m_town")
    assert p.max_radius_m_street == prof.get("joint.max_radius_m_street")
    assert p.allow_similar_industry == prof.get("joint.allow_similar_industry")
    assert p.own_org_min_members == prof.get("thresholds.own_org_min_members")
    assert p.startup_branch_yuan == prof.get("funding.startup_branch") and p.profile is prof
    assert p.profile_name == "shunyi-2017" and JointParams.from_profile("national-2018").max_units == 5
    assert set(p.as_dict()) == {f.name for f in dataclasses.fields(p)} - {"profile"}


def test_a_profile_edit_changes_the_params():
    prof = load_profile()
    edited = prof.with_values({"joint.max_units": 4, "joint.max_radius_m_street": 900,
                               "joint.allow_cross_town": True})
    p = JointParams.from_profile(edited)
    assert (p.max_units, p.max_radius_m_street, p.allow_cross_town) == (4, 900.0, True)
    assert p != JointParams.from_profile(prof)
    assert JointParams.from_profile(edited, allow_cross_town=False).allow_cross_town is False
    assert JointParams.from_profile(edited, allow_cross_town=None).allow_cross_town is True  # None keeps the value
    with pytest.raises(TypeError, match="max_unitz"):
        JointParams.from_profile(max_unitz=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.max_units = 9  # type: ignore[misc]


def test_a_profile_edit_changes_the_plan(district):
    rows = [org(f"N{k:02d}", 1, "T2", 116.62, 40.11, building="楼") for k in range(12)]
    four = load_profile().with_values({"joint.max_units": 4, "thresholds.own_org_min_members": 5})
    plan = plan_joint_units(frame(rows), district=district, profile=four)
    assert plan.params.max_units == 4 and plan.settings["max_units"] == 4
    assert len(plan.units) == 3 and plan.units["org_ids"].map(len).max() <= 4 and plan.violations.empty
    solo = plan_joint_units(frame([org("S", 1, "T2", 116.62, 40.11, industry="C")]), district=district, profile=four)
    assert solo.unplaced.at[0, "next_option"].endswith("党员达到5名后单独组建")  # R2 threshold from the profile
    same = plan_joint_units(frame(rows), district=district, params=JointParams.from_profile(four))
    assert same.to_json()["units"] == plan.to_json()["units"]
    with pytest.raises(TypeError, match="params"):
        plan_joint_units(frame(rows), district=district, params=plan.params, cross_town=True)


# ------------------------------------------------------------------ typed result
def test_plan_fields_are_typed_tables(district):
    plan = plan_joint_units(ledger(), district=district, centers=CENTERS)
    assert isinstance(plan, JointPlan)
    assert tuple(plan.units.columns) == UNIT_COLUMNS and tuple(plan.unplaced.columns) == UNPLACED_COLUMNS
    assert tuple(plan.kept_units.columns) == KEPT_COLUMNS and tuple(plan.violations.columns) == VIOLATION_COLUMNS
    assert plan.units["unit_id"].is_unique and plan.violations.empty
    for u in plan.units.itertuples():
        assert isinstance(u.org_ids, tuple) and u.org_ids[0] == u.hub_id  # hub first
        assert len(u.org_names) == len(u.org_ids) and u.venue_name == "乙镇党群服务中心"
        assert u.radius_m <= plan.params.max_radius_m_town and u.total_distance_m >= u.radius_m
    assert plan.kept_units.to_dict("records") == [
        {"joint_org_id": "LH-7", "org_ids": ("D", "E"), "members": 3, "jurisdiction_code": "T2", "violations": (),
         "suggestion": ""}]
    assert plan.unplaced.set_index("org_id").at["K", "reason"] == "缺少坐标"
    assert plan.stats["placed"] == int(plan.units["org_ids"].map(len).sum())
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.units = pd.DataFrame()  # type: ignore[misc]


def test_json_and_tables_are_built_from_the_typed_fields(district):
    plan = plan_joint_units(ledger(), district=district, centers=CENTERS, seed=2)
    doc = plan.to_json()
    assert list(doc) == ["units", "unplaced", "violations", "stats", "funding", "kept_units", "settings", "partial",
                         "failures"]
    assert doc["partial"] is False and doc["failures"] == [] and doc["stats"]["status"] == "ok"
    assert doc["units"] == plan.unit_records()
    for rec, u in zip(doc["units"], plan.units.itertuples()):
        assert rec["org_ids"] == list(u.org_ids) and rec["radius_m"] == round(u.radius_m, 1)
        assert rec["venue"] == {"name": u.venue_name, "type": u.venue_type, "distance_m": round(u.venue_distance_m, 1)}
    assert doc["funding"] == plan.funding and plan.funding["new_units"] == len(plan.units)
    assert plan.funding["total_if_applied_yuan"] == (plan.params.startup_branch_yuan * plan.params.startup_years
                                                     * len(plan.units))
    assert doc["settings"] == plan.settings and plan.settings["seed"] == 2
    asg = plan.assignments()
    assert len(asg) == plan.stats["placed"] and asg["is_hub"].sum() == len(plan.units)
    uf = plan.units_frame()
    assert uf["org_ids"].tolist() == ["、".join(ids) for ids in plan.units["org_ids"]]
    assert plan.unplaced_frame().equals(plan.unplaced)


def test_empty_plan_keeps_its_columns(district):
    plan = plan_joint_units(frame([org("S", 1, "T2", 116.62, 40.11)]), district=district)
    assert plan.units.empty and tuple(plan.units.columns) == UNIT_COLUMNS
    assert plan.to_json()["units"] == [] and plan.units_frame().empty and plan.assignments().empty
    assert plan.stats["mean_radius_m"] == 0.0 and plan.funding["new_units"] == 0


def test_validator_takes_the_plan_its_table_its_json_or_dicts(district):
    df = ledger()
    plan = plan_joint_units(df, district=district)
    for proposal in (plan, plan.units, plan.to_json(), plan.to_json()["units"]):
        assert validate_proposal(proposal, df, district=district) == []
    bad = plan.units.assign(hub_id="Solo")
    assert {v["code"] for v in validate_proposal(bad, df, district=district)} == {"hub_not_member"}
    with pytest.raises(TypeError, match="params"):
        validate_proposal(plan, df, district=district, params=plan.params, profile="national-2018")
