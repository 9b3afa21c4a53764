"""Joint units a planner would accept (issue 12.3): forms from the profile, fewer and fuller units, size
statistics, kept joint orgs that break the rules, and unplaced reasons that name the rule that stopped an org."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _joint_fixtures import org, two_town_district
from lianxin_geo.core.policy import Profile, load_profile
from lianxin_geo.plan.joint import JointParams, check_units, plan_joint_units, validate_proposal
from lianxin_geo.plan.joint.params import FORMS
from lianxin_geo.plan.joint.rules import org_groups, radius_per_org


@pytest.fixture(scope="module")
def district():
    return two_town_district()


def frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["members"] = df["members"].astype("Int64")
    df["employees"] = df["employees"].astype("Int64")
    return df


def profile_with(**joint) -> Profile:
    """shunyi-2017 with changed ``joint.*`` values (checked against the schema like a user's edit)."""
    return load_profile("shunyi-2017").with_values({f"joint.{k}": v for k, v in joint.items()}, note="测试")


def three_industries_in_one_building() -> list[dict]:
    # C (工业), I (信息) and P (教育) are neither equal nor similar in shunyi-2017
    return [org("X1", 1, "T2", 116.6200, 40.1100, industry="C", building="国贸大厦"),
            org("X2", 1, "T2", 116.6201, 40.1100, industry="I", building="国贸大厦"),
            org("X3", 1, "T2", 116.6202, 40.1100, industry="P", building="国贸大厦")]


# ------------------------------------------------------------------ forms
def test_three_one_member_orgs_of_different_industries_in_one_building_form_one_unit(district):
    plan = plan_joint_units(frame(three_industries_in_one_building()), district=district)
    assert plan.units["org_ids"].map(sorted).tolist() == [["X1", "X2", "X3"]]
    assert plan.units.at[0, "form"] == "楼宇联建" and plan.units.at[0, "kind"] == "building"
    assert plan.units.at[0, "reason"].startswith("楼宇联建") and "国贸大厦" in plan.units.at[0, "reason"]
    assert plan.violations.empty and plan.to_json()["units"][0]["form"] == "楼宇联建"


def test_park_unit_is_labelled_park(district):
    rows = [org(f"P{k}", 1, "T2", 116.62 + k * 3e-4, 40.11, industry=ind, park="空港园区")
            for k, ind in enumerate("CIPA")]
    plan = plan_joint_units(frame(rows), district=district)
    assert plan.units["form"].tolist() == ["园区联建"] and len(plan.units.at[0, "org_ids"]) == 4
    assert plan.violations.empty


def test_forms_come_from_the_profile(district):
    assert JointParams.from_profile("shunyi-2017").forms == FORMS
    only_industry = profile_with(forms=["同业联建"])
    assert JointParams.from_profile(only_industry).forms == ("同业联建",)
    assert JointParams.from_profile(None, forms=["区域联建", "同业联建"]).forms == ("区域联建", "同业联建")
    with pytest.raises(ValueError, match="联建形式"):
        JointParams.from_profile(profile_with(forms=["随便联建"]))
    # without the building forms the three industries of one building cannot be grouped, and no area form either
    plan = plan_joint_units(frame(three_industries_in_one_building()), district=district, profile=only_industry)
    assert plan.units.empty and len(plan.unplaced) == 3
    assert not any("区域联建" in r for r in plan.unplaced["reason"])
    # only the building form: two one-member orgs of a building cannot reach the floor, the reason says so
    plan = plan_joint_units(frame(three_industries_in_one_building()[:2]), district=district,
                            profile=profile_with(forms=["楼宇联建"]))
    assert plan.units.empty
    assert all(r.startswith("策略配置的联建形式（joint.forms）只有楼宇联建") for r in plan.unplaced["reason"])
    # the area form alone groups them as 区域联建 (any industry, within the area radius)
    plan = plan_joint_units(frame(three_industries_in_one_building()), district=district,
                            profile=profile_with(forms=["区域联建"]))
    assert plan.units["form"].tolist() == ["区域联建"] and plan.violations.empty
    assert plan.to_json()["settings"]["forms"] == ["区域联建"]


def test_area_units_take_the_leftovers_of_any_industry_within_the_tighter_radius(district):
    # four one-member orgs of unrelated industries 140 m apart in 乙镇, one more 2.2 km away (within the
    # 3 km town limit, beyond the 1.5 km area limit)
    rows = [org(f"Q{k}", 1, "T2", 116.615 + k * 0.0016, 40.100, industry=ind) for k, ind in enumerate("CIPA")]
    rows.append(org("QFar", 1, "T2", 116.615, 40.120, industry="E"))
    plan = plan_joint_units(frame(rows), district=district)
    assert plan.units["form"].tolist() == ["区域联建"]
    assert sorted(plan.units.at[0, "org_ids"]) == ["Q0", "Q1", "Q2", "Q3"]
    assert plan.violations.empty
    reason = plan.unplaced.set_index("org_id").at["QFar", "reason"]
    assert "1500米范围内各行业单位党员合计也不足3名" in reason


def test_area_units_keep_to_one_community_when_the_ledger_names_it(district):
    rows = [org(f"C{k}", 1, "T2", 116.62 + k * 2e-4, 40.11, industry=ind) for k, ind in enumerate("CIPAE")]
    df = frame(rows).assign(community=["东社区", "东社区", "东社区", "西社区", "西社区"])
    plan = plan_joint_units(df, district=district)
    assert plan.units["org_ids"].map(sorted).tolist() == [["C0", "C1", "C2"]]
    assert plan.units.at[0, "form"] == "区域联建" and plan.violations.empty
    # the checker refuses a 区域联建 unit over two communities
    bad = [{"unit_id": "U", "org_ids": ["C0", "C1", "C3"], "form": "区域联建"}]
    assert "community" in {v["code"] for v in validate_proposal(bad, df, district=district)}


def test_checker_applies_each_rule_to_its_form(district):
    df = frame(three_industries_in_one_building() + [org("Out", 1, "T2", 116.621, 40.11, industry="C")])
    kw = dict(groups=org_groups(df), eligible=np.ones(len(df), bool), radius_m=radius_per_org(df, district,
              JointParams.from_profile()), max_units=15, min_members=3, max_members=50, allow_similar=True,
              allow_cross_town=False)

    def codes(form, ids=("X1", "X2", "X3"), **extra):
        return {v["code"] for v in check_units([{"unit_id": "U", "org_ids": list(ids), "form": form}], df,
                                               **kw, **extra)}

    assert codes("楼宇联建") == set()  # any industry in one building
    assert codes("同业联建") == {"mixed_industry"}  # the industry rule applies to 同业联建 ...
    assert codes(None) == {"mixed_industry"}  # ... and to a unit without a form
    assert codes("园区联建") == {"not_same_site"}  # no park
    assert codes("楼宇联建", ids=("X1", "X2", "Out")) == {"not_same_site"}
    assert codes("区域联建") == set()
    assert codes("区域联建", forms=("同业联建",)) == {"form_not_allowed"}
    assert codes("联谊联建") == {"unknown_form"}


def test_area_radius_is_checked(district):
    rows = [org("R0", 2, "T2", 116.615, 40.100, industry="C"), org("R1", 1, "T2", 116.615, 40.120, industry="I")]
    df = frame(rows)
    units = [{"unit_id": "U", "org_ids": ["R0", "R1"], "form": "区域联建"}]
    found = validate_proposal(units, df, district=district)
    assert [v["code"] for v in found] == ["radius"] and "区域联建上限 1500 米" in found[0]["message"]
    units[0]["form"] = "同业联建"
    assert [v["code"] for v in validate_proposal(units, df, district=district)] == ["mixed_industry"]


# ------------------------------------------------------------------ fewer, fuller units
def random_ledger(n: int, seed: int) -> pd.DataFrame:
    """``n`` candidates (1-2 members, four sections) scattered over the two towns; 10 % in three buildings."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(116.592, 116.628, n)
    lat = rng.uniform(40.092, 40.128, n)
    town = np.where(lon < 116.61, "T1", "T2")
    ind = rng.choice(list("CFIP"), n)
    bld = np.where(rng.random(n) < 0.1, rng.choice(["甲楼", "乙楼", "丙楼"], n), None)
    rows = [org(f"O{k:03d}", int(rng.choice([1, 1, 1, 2])), town[k], lon[k], lat[k], industry=ind[k],
                building=bld[k]) for k in range(n)]
    for r in rows:  # a building's orgs sit at its spot
        if r["building"]:
            r["lon"], r["lat"] = {"甲楼": (116.600, 40.100), "乙楼": (116.620, 40.110), "丙楼": (116.615, 40.125)}[
                r["building"]]
            r["jurisdiction_code"] = "T1" if r["lon"] < 116.61 else "T2"
    return frame(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_independent_ledger_places_about_ninety_percent_in_units_of_four_or_more(district, seed):
    plan = plan_joint_units(random_ledger(240, seed), district=district)
    s = plan.stats
    assert plan.violations.empty
    assert s["placed"] / s["eligible"] >= 0.9
    assert s["mean_orgs_per_unit"] >= 4.0  # objective 2: fewer, fuller units (tiny units fail this)
    assert s["units"] <= s["placed"] / 4


def test_size_statistics(district):
    rows = [org(f"B{k:02d}", 1, "T2", 116.62, 40.11, building="大厦") for k in range(12)]
    rows += [org("A", 2, "T1", 116.600, 40.100, industry="C"), org("B", 1, "T1", 116.6005, 40.100, industry="C")]
    plan = plan_joint_units(frame(rows), district=district)
    s = plan.stats
    assert s["size_distribution"] == {"orgs": {"2": 1, "12": 1}, "members": {"3-6": 1, "7-15": 1, "16+": 0}}
    assert s["mean_orgs_per_unit"] == 7.0 and s["units_with_committee"] == 1 and s["committee_min_members"] == 7
    assert s["units_by_form"] == {"楼宇联建": 1, "园区联建": 0, "同业联建": 1, "区域联建": 0}
    assert plan.to_json()["stats"]["size_distribution"]["orgs"]["12"] == 1


# ------------------------------------------------------------------ kept joint orgs that break the rules
def test_kept_units_list_their_violations_and_a_suggestion(district):
    rows = [org(f"K{k:02d}", 1, "T1" if k < 8 else "T2", 116.600 + k * 1e-3, 40.10, industry="C" if k % 2 else "I",
                status="联合建立") for k in range(16)]
    rows += [org("S1", 1, "T2", 116.62, 40.11, status="联合建立"), org("S2", 1, "T2", 116.62, 40.11, status="联合建立")]
    rows += [org("G1", 2, "T2", 116.62, 40.11, status="联合建立"), org("G2", 1, "T2", 116.62, 40.11, status="联合建立")]
    df = frame(rows)
    df["joint_org_id"] = ["LH-BIG"] * 16 + ["LH-SMALL"] * 2 + ["LH-OK"] * 2
    kept = plan_joint_units(df, district=district).kept_units.set_index("joint_org_id")
    big = {v["message"] for v in kept.at["LH-BIG", "violations"]}
    assert {v["rule"] for v in kept.at["LH-BIG", "violations"]} >= {"R7", "R25", "R6"}
    assert any("16 家单位" in m for m in big) and any("跨越多个镇街" in m for m in big)
    assert any("行业既不相同也不相近" in m for m in big)
    assert kept.at["LH-BIG", "suggestion"].startswith("拆分")
    assert [v["rule"] for v in kept.at["LH-SMALL", "violations"]] == ["R8"]
    assert kept.at["LH-SMALL", "suggestion"].startswith("调整")
    assert kept.at["LH-OK", "violations"] == () and kept.at["LH-OK", "suggestion"] == ""
    js = plan_joint_units(df, district=district).to_json()["kept_units"]
    assert {k["joint_org_id"]: k["suggestion"][:2] for k in js} == {"LH-BIG": "拆分", "LH-OK": "", "LH-SMALL": "调整"}


# ------------------------------------------------------------------ unplaced reasons name the rule
def test_unplaced_reason_names_the_configured_industry_rule(district):
    # F and G are similar in shunyi-2017; the two orgs are 2.8 km apart in a 街道 (1.5 km limit)
    rows = [org("F1", 2, "T1", 116.600, 40.100, industry="F"), org("G1", 1, "T1", 116.600, 40.125, industry="G")]
    plan = plan_joint_units(frame(rows), district=district)
    assert plan.units.empty
    for reason in plan.unplaced["reason"]:
        assert "同行业" not in reason and "行业相同或相近" in reason and "1500米" in reason and "R8" in reason
    plan = plan_joint_units(frame(rows), district=district,
                            params=JointParams.from_profile(None, allow_similar_industry=False))
    assert all("行业相同的单位" in r and "相近" not in r for r in plan.unplaced["reason"])


def test_unplaced_reason_names_the_unit_cap(district):
    # a full unit of 15 building orgs holds the only neighbours: a 16th org outside the building cannot join
    rows = [org(f"B{k:02d}", 1, "T2", 116.62, 40.11, building="满楼", industry="C") for k in range(15)]
    rows.append(org("Late", 1, "T2", 116.6202, 40.11, industry="C"))
    plan = plan_joint_units(frame(rows), district=district, profile=profile_with(forms=["楼宇联建", "同业联建"]))
    assert plan.unplaced["org_id"].tolist() == ["Late"]
    assert "单位数上限15家（R7）" in plan.unplaced.at[0, "reason"]
