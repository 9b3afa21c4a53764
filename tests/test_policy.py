"""Policy profiles: shipped values with sources, validation, copy-edit-load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lianxin_geo.core.errors import PolicyError
from lianxin_geo.core.policy import PROFILE_SCHEMA, list_profiles, load_profile

POLICIES = Path(__file__).resolve().parents[1] / "lianxin_geo" / "core" / "policies"

CONTRACT = {
    "thresholds.own_org_min_members": 3,
    "thresholds.enterprise_members_employees": 50,
    "thresholds.enterprise_org_employees": 100,
    "thresholds.entity_social_staff": 30,
    "thresholds.branch_max_members": 50,
    "thresholds.committee_min_members": 100,
    "joint.max_units": 15,
    "joint.min_members_total": 3,
    "joint.max_members": 50,
    "joint.max_radius_m_town": 3000,
    "joint.max_radius_m_street": 1500,
    "joint.allow_cross_town": False,
    "joint.allow_similar_industry": True,
    "joint.include_zero_member_in_building": False,
    "instructors.orgs_per_instructor": 10,
    "instructors.min_orgs": 8,
    "instructors.max_orgs": 12,
    "instructors.visit_minutes": 30,
    "instructors.speed_kmh": 30,
    "instructors.include_new_units": True,
    "distance.circuity": 1.3,
    "coverage.reach_m_street": 1200,
    "coverage.reach_m_town": 5000,
    "coverage.district_center_own_town_only": True,
    "venues.required_m2_district": 1500,
    "venues.required_m2_town": 1200,
    "venues.required_m2_street": 800,
    "targets.enterprise": 0.90,
    "targets.social": 0.70,
    "funding.startup_committee": 20000,
    "funding.startup_general_branch": 15000,
    "funding.startup_branch": 10000,
    "funding.activity_per_member": 400,
    "funding.payroll_rate_min": 0.005,
    "funding.payroll_rate_max": 0.02,
    "contact.min_per_unit": 1,
    "contact.min_key_departments": 5,
}


def test_shipped_profiles_and_default():
    assert list_profiles() == ["shunyi-2017", "beijing-2016", "national-2018", "suzhou-2018"]
    p = load_profile()
    assert p.name == "shunyi-2017" and "顺义" in p.title
    assert load_profile(None).name == "shunyi-2017"


@pytest.mark.parametrize(("key", "value"), sorted(CONTRACT.items()))
def test_contract_values(key, value):
    assert load_profile().get(key) == value


def test_profile_differences():
    nat, bj, sz, sy = (load_profile(n) for n in ("national-2018", "beijing-2016", "suzhou-2018", "shunyi-2017"))
    assert nat.get("joint.max_units") == 5 and nat.source("joint.max_units")["doc"] == "ZB2018"
    assert bj.get("targets.social") == 0.40 and bj.source("targets.social")["rule"] == "R14"
    assert bj.get("funding.activity_per_member_social") == 200
    assert bj.get("targets.enterprise") == 0.90
    assert sz.get("industry.grouping") == "custom"
    assert [g["label"] for g in sz.get("industry.groups")] == [
        "律师", "注册会计师", "注册税务师", "民办学校", "非公医疗机构", "互联网企业", "商圈市场", "开发园区", "商务楼宇", "社会组织"]
    # everything else is inherited with its source
    assert nat.get("venues.required_m2_town") == sy.get("venues.required_m2_town") == 1200
    assert nat.source("venues.required_m2_town") == sy.source("venues.required_m2_town")


@pytest.mark.parametrize("name", ["shunyi-2017", "national-2018", "beijing-2016", "suzhou-2018"])
def test_every_value_is_annotated(name):
    p = load_profile(name)
    assert set(p.keys()) == set(PROFILE_SCHEMA)
    for key in p.keys():
        src = p.source(key)
        assert set(src) >= {"rule", "doc", "clause", "note"}
        assert src["doc"], key
        if src["doc"] != "项目默认值":
            assert src["clause"], key  # a document value names its clause
            assert all(d.strip() in p.documents for d in src["doc"].split(";")), key
        assert src["rule"] == "" or re.fullmatch(r"R\d+", src["rule"]), key


def test_source_of_default_values():
    p = load_profile()
    s = p.source("joint.max_units")
    assert (s["rule"], s["doc"], s["clause"]) == ("R7", "SY2017", "第六条")
    assert "15" in s["note"] and "顺组发" in s["doc_title"]
    assert p.source("joint.max_radius_m_town")["doc"] == "项目默认值"
    assert p.source("venues.required_m2_street")["clause"] == "第二十五条"


def test_to_dict_and_with_values():
    p = load_profile()
    d = p.to_dict()
    assert d["joint"]["max_units"] == {"value": 15, "rule": "R7", "doc": "SY2017", "clause": "第六条",
                                       "note": "合理控制联合党组织的单位数量，一般不超过15家"}
    q = p.with_values({"joint.max_units": 8})
    assert q.get("joint.max_units") == 8 and p.get("joint.max_units") == 15
    with pytest.raises(PolicyError, match="joint.max_units"):
        p.with_values({"joint.max_units": -1})


def test_copy_edit_load_by_path(tmp_path):
    text = (POLICIES / "shunyi-2017.toml").read_text(encoding="utf-8")
    text = text.replace("max_units = { value = 15,", "max_units = { value = 7,")
    f = tmp_path / "我的配置.toml"
    f.write_text(text, encoding="utf-8")
    p = load_profile(f)
    assert p.get("joint.max_units") == 7
    assert load_profile(str(f)).get("joint.max_units") == 7


def test_small_profile_extending_a_shipped_one(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('[profile]\nname = "mine"\nextends = "national-2018"\n\n[targets]\n'
                 'social = { value = 0.5, rule = "R13", doc = "项目默认值", note = "本区目标" }\n', encoding="utf-8")
    p = load_profile(f)
    assert p.name == "mine" and p.get("targets.social") == 0.5 and p.get("joint.max_units") == 5


def test_extends_a_toml_file_in_the_same_folder(tmp_path):
    (tmp_path / "base.toml").write_text('[profile]\nname = "base"\nextends = "shunyi-2017"\n\n[joint]\n'
                                        'max_units = { value = 9, doc = "项目默认值" }\n', encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('[profile]\nname = "child"\nextends = "base.toml"\n', encoding="utf-8")
    assert load_profile(child).get("joint.max_units") == 9


@pytest.mark.parametrize("target", ["/etc/passwd", "../base.toml", "sub/base.toml", "base.txt", "link.toml",
                                    str(Path("/etc/hostname")), "..", "nope.toml"])
def test_extends_cannot_reach_out_of_the_profile_folder(tmp_path, target):
    outside = tmp_path / "base.toml"
    outside.write_text('[profile]\nname = "base"\nextends = "shunyi-2017"\n', encoding="utf-8")
    folder = tmp_path / "profiles"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "base.toml").write_text(outside.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "base.txt").write_text(outside.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "link.toml").symlink_to(outside)
    f = folder / "evil.toml"
    f.write_text(f'[profile]\nname = "evil"\nextends = "{target}"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"evil.toml 的 extends = .* 不允许.*请改为内置配置的名称.*同一文件夹"):
        load_profile(f)


def _write(tmp_path, old, new):
    text = (POLICIES / "shunyi-2017.toml").read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "bad.toml"
    f.write_text(text.replace(old, new), encoding="utf-8")
    return f


def test_unknown_key_is_named(tmp_path):
    f = _write(tmp_path, "max_units = { value = 15,", "max_unitz = { value = 15,")
    with pytest.raises(PolicyError) as exc:
        load_profile(f)
    msg = str(exc.value)
    assert "joint.max_unitz" in msg and "未知的配置项" in msg
    assert "joint.max_units" in msg and "缺少此配置项" in msg  # and the real key is now missing


@pytest.mark.parametrize(("old", "new", "message"), [
    # wrong types
    ("max_units = { value = 15,", 'max_units = { value = "15",', r"joint\.max_units：应为整数"),
    ("allow_cross_town = { value = false,", "allow_cross_town = { value = 0,", r"joint\.allow_cross_town：应为true/false"),
    # negative and impossible values
    ("required_m2_street = { value = 800,", "required_m2_street = { value = -800,",
     r"venues\.required_m2_street：不能小于 0"),
    ("social = { value = 0.70,", "social = { value = 70,", r"targets\.social：不能大于 1"),
    ("min_orgs = { value = 8,", "min_orgs = { value = 11,", "instructors.min_orgs"),
])
def test_wrong_type_or_impossible_value_is_named(tmp_path, old, new, message):
    with pytest.raises(PolicyError, match=message):
        load_profile(_write(tmp_path, old, new))


def test_all_problems_reported_at_once(tmp_path):
    text = (POLICIES / "shunyi-2017.toml").read_text(encoding="utf-8")
    text = text.replace("max_units = { value = 15,", 'max_units = { value = "x",')
    text = text.replace("circuity = { value = 1.3,", "circuity = { value = 0.5,")
    f = tmp_path / "two.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="2 处问题") as exc:
        load_profile(f)
    assert "joint.max_units" in str(exc.value) and "distance.circuity" in str(exc.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(PolicyError, match="找不到策略配置"):
        load_profile("no-such-profile")
    f = tmp_path / "broken.toml"
    f.write_text("[joint\nmax_units = 3", encoding="utf-8")
    with pytest.raises(PolicyError, match="不是合法的 TOML"):
        load_profile(f)
    with pytest.raises(PolicyError, match="没有配置项"):
        load_profile().get("joint.nope")
