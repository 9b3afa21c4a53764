"""The independent checker of joint-unit proposals: a hand-made bad proposal gives exactly the right violations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _joint_fixtures import org, two_town_district
from lianxin_geo.plan.joint import (
    VIOLATION_CODES,
    JointParams,
    check_units,
    default_eligible,
    org_groups,
    town_adjacency,
    validate_proposal,
)


@pytest.fixture()
def ledger() -> pd.DataFrame:
    rows = [
        org("A", 2, "T1", 116.600, 40.100, employees=50),
        org("B", 1, "T1", 116.601, 40.100, employees=10),
        org("C", 1, "T1", 116.602, 40.100, industry="C"),
        org("D", 1, "T2", 116.612, 40.100, employees=5),
        org("E", 60, "T1", 116.600, 40.105, status="单独建立"),
        org("G", 2, "T1", 116.600, 40.101),
        org("F", 1, "T1", 116.600, 40.120),
        *[org(f"H{k}", 1, "T2", 116.62, 40.11) for k in range(16)],
        org("J1", 1, "T2", 116.615, 40.11),
        org("J2", 2, "T2", 116.616, 40.11),
        org("K", 2, "T2", np.nan, np.nan),
        org("L", 1, "T2", 116.615, 40.12),
    ]
    df = pd.DataFrame(rows)
    df["members"] = df["members"].astype("Int64")
    df["employees"] = df["employees"].astype("Int64")
    return df


BAD = [
    {"unit_id": "U1", "org_ids": ["A", "B", "C"], "hub_id": "A"},
    {"unit_id": "U2", "org_ids": ["B", "D"]},
    {"unit_id": "U3", "org_ids": ["E", "X999"]},
    {"unit_id": "U4", "org_ids": ["G", "F"], "hub_id": "G"},
    {"unit_id": "U6", "org_ids": [f"H{k}" for k in range(16)]},
    {"unit_id": "U7", "org_ids": ["J1", "J2"], "hub_id": "A"},
    {"unit_id": "U8", "org_ids": ["K", "L"]},
]

EXPECTED = {
    ("U1", "mixed_industry"),
    ("U2", "duplicate_org"), ("U2", "cross_town"), ("U2", "min_members"),
    ("U3", "unknown_org"), ("U3", "ineligible_org"), ("U3", "max_members"),
    ("U4", "radius"),
    ("U6", "max_units"),
    ("U7", "hub_not_member"),
    ("U8", "missing_coordinates"),
}


def test_bad_proposal_gives_exactly_the_expected_violations(ledger):
    v = validate_proposal(BAD, ledger, district=two_town_district())
    got = [(x["unit_id"], x["code"]) for x in v]
    assert sorted(got) == sorted(EXPECTED)  # each exactly once, nothing else
    for x in v:
        assert set(x) == {"unit_id", "rule", "code", "message"}
        assert x["rule"] == VIOLATION_CODES[x["code"]][0]
        assert x["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in x["message"])
    rad = next(x for x in v if x["code"] == "radius")
    assert "1500" in rad["message"] and "F" in rad["message"]


def test_a_valid_proposal_has_no_violation(ledger):
    good = [{"unit_id": "OK1", "org_ids": ["A", "B"], "hub_id": "A"},
            {"unit_id": "OK2", "org_ids": ["J2", "J1"]}]
    assert validate_proposal(good, ledger, district=two_town_district()) == []


def test_cross_town_allowed_between_adjacent_towns_only(ledger):
    d = two_town_district()
    assert town_adjacency(d) == {frozenset(("T1", "T2"))}
    unit = [{"unit_id": "X", "org_ids": ["A", "D"], "hub_id": "A"}]
    assert [x["code"] for x in validate_proposal(unit, ledger, district=d)] == ["cross_town"]
    assert validate_proposal(unit, ledger, district=d, cross_town=True) == []


def test_national_profile_caps_units_at_five(ledger):
    unit = [{"unit_id": "N", "org_ids": [f"H{k}" for k in range(6)]}]
    v = validate_proposal(unit, ledger, district=two_town_district(), profile="national-2018")
    assert [(x["unit_id"], x["code"]) for x in v] == [("N", "max_units")]
    assert "5" in v[0]["message"]


def test_similar_industries_follow_the_switch(ledger):
    p = JointParams.from_profile(None)
    df = ledger.copy()
    df.loc[df["id"] == "C", "industry"] = "M"  # I and M are similar in shunyi-2017
    groups = org_groups(df, p.profile)
    assert groups[df["id"] == "C"].iloc[0] != groups[df["id"] == "A"].iloc[0]
    kw = dict(groups=groups, eligible=default_eligible(df, p), radius_m=3000.0, max_units=15, min_members=3,
              max_members=50, allow_cross_town=False, profile=p.profile)
    unit = [{"unit_id": "S", "org_ids": ["A", "C"]}]
    assert check_units(unit, df, allow_similar=True, **kw) == []
    assert [x["code"] for x in check_units(unit, df, allow_similar=False, **kw)] == ["mixed_industry"]


def test_zero_member_org_only_in_its_building():
    rows = [org("P", 2, "T2", 116.62, 40.11, building="大厦"), org("Q", 1, "T2", 116.62, 40.11, building="大厦"),
            org("Z", 0, "T2", 116.62, 40.11, building="别的楼")]
    df = pd.DataFrame(rows)
    unit = [{"unit_id": "Z1", "org_ids": ["P", "Q", "Z"]}]
    v = validate_proposal(unit, df, district=two_town_district(), include_zero_member_in_building=True)
    assert [x["code"] for x in v] == ["zero_member_outside_building"]
    v = validate_proposal(unit, df, district=two_town_district())
    assert sorted(x["code"] for x in v) == ["ineligible_org", "zero_member_outside_building"]


def test_existing_joint_members_are_not_candidates_unless_reoptimize():
    rows = [org("A", 1, "T2", 116.62, 40.11), org("B", 2, "T2", 116.62, 40.11)]
    df = pd.DataFrame(rows)
    df.loc[0, "party_status"] = "联合建立"
    df.loc[0, "joint_org_id"] = "LH-1"
    p = JointParams.from_profile(None)
    assert default_eligible(df, p).tolist() == [False, True]
    assert default_eligible(df, p, reoptimize=True).tolist() == [True, True]
    df["joint_candidate"] = [True, False]
    assert default_eligible(df, p, reoptimize=True).tolist() == [True, False]
