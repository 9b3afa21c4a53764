"""CoverageParams: every coverage threshold is read from the policy profile, once (lianxin_geo.plan.coverage.params)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lianxin_geo.core.policy import as_profile, list_profiles, load_profile
from lianxin_geo.plan.coverage import CoverageParams, plan_coverage
from lianxin_geo.plan.coverage.params import PROFILE_KEYS

COVERAGE_DIR = Path(__file__).resolve().parents[1] / "lianxin_geo" / "plan" / "coverage"


def test_every_field_comes_from_a_profile_key():
    assert list(PROFILE_KEYS) == [f.name for f in dataclasses.fields(CoverageParams)]
    for name in list_profiles():
        profile = load_profile(name)
        params = CoverageParams.from_profile(profile)
        for field, key in PROFILE_KEYS.items():
            want = profile.get(key)
            got = getattr(params, field)
            assert (tuple(got) if isinstance(got, tuple) else got) == (tuple(want) if isinstance(want, list)
                                                                        else want), (name, field)
        # a name, a Profile and None (the default profile) resolve the same way as core.policy.as_profile
        assert CoverageParams.from_profile(name) == params
    assert CoverageParams.from_profile() == CoverageParams.from_profile(as_profile(None))


def test_a_profile_edit_changes_the_params():
    base = load_profile("shunyi-2017")
    edited = base.with_values({"coverage.reach_m_street": 900, "coverage.reach_m_town": 4000,
                               "distance.circuity": 1.5, "venues.required_m2_street": 1000,
                               "coverage.district_center_own_town_only": False,
                               "venues.six_has": ["has_site", "has_flag"]})
    before, after = CoverageParams.from_profile(base), CoverageParams.from_profile(edited)
    assert (before.reach_m_street, before.reach_m_town, before.circuity) == (1200, 5000, 1.3)
    assert (after.reach_m_street, after.reach_m_town, after.circuity) == (900, 4000, 1.5)
    assert after.required_m2_street == 1000 and after.required_m2_for_level("街道级") == 1000
    assert after.required_m2_for_kind("街道") == 1000 and after.required_m2_for_kind("镇") == before.required_m2_town
    assert after.district_center_own_town_only is False
    assert after.six_has == ("has_site", "has_flag")


def test_a_profile_file_extending_a_shipped_one(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('[profile]\nname = "mine"\nextends = "shunyi-2017"\n\n[coverage]\n'
                 'reach_m_street = { value = 1500, rule = "R15", doc = "项目默认值", note = "本区步行半径" }\n',
                 encoding="utf-8")
    p = CoverageParams.from_profile(f)
    assert p.reach_m_street == 1500
    assert p == CoverageParams.from_profile(str(f))
    assert dataclasses.replace(p, reach_m_street=1200.0) == CoverageParams.from_profile("shunyi-2017")


def test_overrides_replace_profile_values_and_unknown_names_fail():
    p = CoverageParams.from_profile("shunyi-2017", circuity=1, six_has=["has_site"])
    assert p.circuity == 1.0 and isinstance(p.circuity, float)
    assert p.six_has == ("has_site",)
    assert p.reach_m_street == CoverageParams.from_profile("shunyi-2017").reach_m_street
    with pytest.raises(TypeError, match="reach_m"):
        CoverageParams.from_profile(reach_m=900)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.circuity = 2.0  # type: ignore[misc]


def test_plan_coverage_reads_the_edited_profile(box_district):
    lon, lat = 116.60, 40.11  # inside 甲街道
    centers = pd.DataFrame({"id": ["Z"], "name": ["中心"], "level": ["社区"], "lon": [lon], "lat": [lat]})
    # an org ~1.1 km north of the center: within 1200 m of road at circuity 1.0, not at 1.3
    orgs = pd.DataFrame({"id": ["A"], "lon": [lon], "lat": [lat + 1100 / 111_195.0]})
    base = load_profile("shunyi-2017")
    plan = plan_coverage(orgs, centers=centers, district=box_district, profile=base)
    assert plan.stats["circuity"] == 1.3 and not plan.orgs["covered"].iloc[0]
    edited = base.with_values({"distance.circuity": 1.0})
    plan = plan_coverage(orgs, centers=centers, district=box_district, profile=edited)
    assert plan.stats["circuity"] == 1.0 and plan.orgs["covered"].iloc[0]
    assert plan.centers["reach_m"].tolist() == [1200.0]
    # explicit params win over the profile
    params = CoverageParams.from_profile(base, reach_m_street=500)
    plan = plan_coverage(orgs, centers=centers, district=box_district, profile=edited, params=params)
    assert plan.stats["reach_m_street"] == 500 and plan.centers["reach_m"].tolist() == [500.0]


def test_no_profile_threshold_is_a_literal_in_the_coverage_code():
    values = set()
    for name in list_profiles():
        profile = load_profile(name)
        for key in PROFILE_KEYS.values():
            v = profile.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                values.add(float(v))
    found = []
    for path in sorted(COVERAGE_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool) and float(node.value) in values:
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert not found, found
    assert np.isfinite(sorted(values)).all()
