"""Assessment: one test per rule on crafted orgs, a hand-computed ledger, profile edits, exports."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import ledger_org, shunyi_box_district

from lianxin_geo.assessment.assessor import (
    STATUS_JOINT, STATUS_NONE, STATUS_OWN, STATUS_WORK, assess,
)
from lianxin_geo.core.district import District
from lianxin_geo.present.sheets import write_assessment_xlsx
from lianxin_geo.core.policy import load_profile

ROOT = Path(__file__).resolve().parents[1]
SHENGLI, SHIYUAN, GAOLIYING, RENHE = "110113001", "110113010", "110113101", "110113003"


@pytest.fixture(scope="module")
def district() -> District:
    """The 25 Shunyi towns, each a 0.02° box around its seat."""
    return shunyi_box_district()


org = ledger_org


def actions_of(rows, profile=None, **kw):
    a = assess(pd.DataFrame(rows), profile=profile, **kw)
    return {oid: set(zip(g["action"], g["rule"])) for oid, g in a.actions.groupby("org_id")}, a


# ---------------------------------------------------------------- one test per rule
def test_status_categories():
    _, a = actions_of([
        org(id="own", party_status="单独建立", members=3, party_org_type="党支部"),
        org(id="joint", party_status="联合建立", members=1, joint_org_id="J1"),
        org(id="instr", instructor="王指导员"),
        org(id="mass", mass_org="工会"),
        org(id="none"),
    ])
    st = dict(zip(a.orgs["id"], a.orgs["status"]))
    assert st == {"own": STATUS_OWN, "joint": STATUS_JOINT, "instr": STATUS_WORK, "mass": STATUS_WORK,
                  "none": STATUS_NONE}
    reasons = dict(zip(a.orgs["id"], a.orgs["status_reason"]))
    assert "王指导员" in reasons["instr"] and "工会" in reasons["mass"] and "J1" in reasons["joint"]


def test_r2_three_members_form_own_two_do_not():
    acts, _ = actions_of([org(id="m2", members=2), org(id="m3", members=3), org(id="m2p1", members=2, probationary=1)])
    assert ("应单独建立党组织", "R2") in acts["m3"]
    assert not any(a == "应单独建立党组织" for a, _ in acts["m2"])
    assert not any(a == "应单独建立党组织" for a, _ in acts["m2p1"])  # probationary members do not count


def test_r3_fifty_employees_need_members():
    acts, _ = actions_of([org(id="e49", employees=49), org(id="e50", employees=50),
                          org(id="e50p", employees=50, probationary=1), org(id="s50", kind="社会组织", employees=50)])
    assert ("应有党员", "R3") in acts["e50"]
    assert not any(r == "R3" for _, r in acts.get("e49", set()))
    assert not any(r == "R3" for _, r in acts.get("e50p", set()))
    assert not any(r == "R3" for _, r in acts.get("s50", set()))


def test_r4_hundred_employees_need_party_org():
    acts, a = actions_of([org(id="e99", employees=99, members=1), org(id="e100", employees=100, members=1),
                          org(id="e100own", employees=100, members=5, party_status="单独建立"),
                          org(id="e100joint", employees=100, members=1, party_status="联合建立", joint_org_id="J"),
                          org(id="e100m3", employees=100, members=3), org(id="e100zero", employees=100)])
    # fewer than 3 formal members: the action is what can be done now, not an own organization
    assert ("应纳入联合党组织或联合组建", "R4") in acts["e100"]
    assert not any(x == "应单独建立党组织" for x, _ in acts["e100"])
    assert ("应单独建立党组织", "R4") in acts["e100m3"]
    assert ("应选派党员、发展党员，具备条件后单独组建", "R4") in acts["e100zero"]
    assert not any(r == "R4" for _, r in acts["e99"])
    assert not any(r == "R4" for _, r in acts.get("e100own", set()))
    # mandatory_requires_own = true by default: joint coverage with 1 member -> develop members, then own
    assert ("应选派党员、发展党员，具备条件后单独组建", "R4") in acts["e100joint"]
    reason = a.actions.query("org_id == 'e100' and rule == 'R4'")["reason"].iat[0]
    assert "100" in reason and "不足 3 名" in reason
    # the profile switch: joint coverage is enough
    p = load_profile().with_values({"thresholds.mandatory_requires_own": False})
    acts2, _ = actions_of([org(id="e100joint", employees=100, members=1, party_status="联合建立", joint_org_id="J")],
                          profile=p)
    assert not any(r == "R4" for _, r in acts2.get("e100joint", set()))


def test_r5_entity_social_orgs_and_city_level_groups():
    law = dict(kind="社会组织", social_type="律师事务所", members=1)
    acts, _ = actions_of([org(id="law29", employees=29, **law), org(id="law30", employees=30, **law),
                          org(id="assoc30", kind="社会组织", social_type="社会团体", employees=30),
                          org(id="city", kind="社会组织", social_type="社会团体", registration_level="市级及以上",
                              employees=5)])
    assert ("应纳入联合党组织或联合组建", "R5") in acts["law30"]  # 1 formal member
    assert not any(r == "R5" for _, r in acts["law29"])
    assert not any(r == "R5" for _, r in acts.get("assoc30", set()))
    assert ("应选派党员、发展党员，具备条件后单独组建", "R5") in acts["city"]  # no members


def test_r6_joint_candidates_and_r11_work_coverage():
    acts, _ = actions_of([org(id="m1", members=1), org(id="p1", probationary=1), org(id="zero"),
                          org(id="zero_instr", instructor="李"), org(id="bld", building="国际中心")])
    assert ("联合组建候选", "R6") in acts["m1"] and ("联合组建候选", "R6") in acts["p1"]
    assert ("应选派党建指导员或建立群团组织", "R11") in acts["zero"]
    assert not any(r in ("R6", "R11") for _, r in acts["zero_instr"])
    assert not any(r == "R6" for _, r in acts["bld"])
    p = load_profile().with_values({"joint.include_zero_member_in_building": True})
    acts2, _ = actions_of([org(id="bld", building="国际中心")], profile=p)
    assert ("联合组建候选", "R6") in acts2["bld"]


def test_r7_r8_r9_joint_org_checks():
    rows = [org(id=f"j{i}", party_status="联合建立", joint_org_id="J1", members=0) for i in range(16)]
    rows += [org(id="k1", party_status="联合建立", joint_org_id="J2", members=2),
             org(id="k2", party_status="联合建立", joint_org_id="J2", members=0, probationary=0)]
    rows += [org(id="b1", party_status="联合建立", joint_org_id="J3", members=2, probationary=30),
             org(id="b2", party_status="联合建立", joint_org_id="J3", members=2, probationary=20)]
    acts, _ = actions_of(rows)
    assert ("所在联合党组织覆盖单位过多", "R7") in acts["j0"]  # 16 > 15
    assert ("所在联合党组织正式党员不足", "R8") in acts["k1"]  # 2 < 3
    assert ("所在联合党组织党员超过支部上限", "R9") in acts["b1"]  # 54 > 50
    assert not any(r == "R7" for _, r in acts["k1"])
    acts5, _ = actions_of(rows[:6], profile=load_profile("national-2018"))
    assert ("所在联合党组织覆盖单位过多", "R7") in acts5["j0"]  # 6 > 5 in national-2018


def test_r9_upgrade_large_orgs():
    own = dict(party_status="单独建立")
    acts, a = actions_of([org(id="b50", members=50, party_org_type="党支部", **own),
                          org(id="b51", members=51, party_org_type="党支部", **own),
                          org(id="g100", members=90, probationary=10, party_org_type="党总支", **own),
                          org(id="c100", members=100, party_org_type="党委", **own),
                          org(id="untyped", members=60, **own)])
    assert not acts.get("b50")
    assert ("应升格为党总支", "R9") in acts["b51"]
    assert ("应升格为基层党委", "R9") in acts["g100"]
    assert not acts.get("c100")
    assert ("应升格为党总支", "R9") in acts["untyped"]
    assert "按党支部计" in a.actions.query("org_id == 'untyped'")["reason"].iat[0]


def test_r10_joint_member_with_three_members():
    acts, _ = actions_of([org(id="j3", party_status="联合建立", joint_org_id="J", members=3),
                          org(id="j2", party_status="联合建立", joint_org_id="J", members=2)])
    assert ("应从联合党组织中分出单独组建", "R10") in acts["j3"]
    assert not any(r == "R10" for _, r in acts.get("j2", set()))


def test_r20_five_clear_missing():
    full = dict(clear_operations="正常", clear_staff="20人", clear_members="无", clear_owner="张某", clear_reason="无党员")
    acts, a = actions_of([org(id="full", **full), org(id="part", clear_operations="正常"),
                          org(id="own", party_status="单独建立", members=3)])
    assert not any(r == "R20" for _, r in acts.get("full", set()))
    assert ("补齐“五个清”", "R20") in acts["part"]
    missing = a.orgs.set_index("id").at["part", "five_clear_missing"]
    assert missing == ["职工队伍情况", "党员队伍情况", "出资人（负责人）情况", "未建党组织原因"]
    assert not any(r == "R20" for _, r in acts.get("own", set()))


def test_actions_carry_clause_from_profile():
    _, a = actions_of([org(id="e", employees=100, members=3)])
    r4 = a.actions.query("rule == 'R4'").iloc[0]
    assert (r4["doc"], r4["clause"]) == ("SY2017; BJ2016N", "第六条; 一")


# ---------------------------------------------------------------- a hand-computed ledger
@pytest.fixture(scope="module")
def ledger() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    E, S = "非公企业", "社会组织"
    rows = [
        # 胜利街道 (street): 4 enterprises, 2 social orgs
        org(id="a1", kind=E, jurisdiction_code=SHENGLI, party_status="单独建立", members=5, party_org_type="党支部",
            activities=6, payroll=200.0),
        org(id="a2", kind=E, jurisdiction_code=SHENGLI, party_status="联合建立", members=1, joint_org_id="J1",
            activities=2),
        org(id="a3", kind=E, jurisdiction_code=SHENGLI, instructor="赵"),
        org(id="a4", kind=E, jurisdiction_code=SHENGLI, employees=120, members=0),
        org(id="a5", kind=S, social_type="社会团体", jurisdiction_code=SHENGLI, party_status="单独建立", members=3),
        org(id="a6", kind=S, social_type="民办学校", employees=40, jurisdiction_code=SHENGLI, members=1),
        # 高丽营镇 (town): 2 enterprises
        org(id="b1", kind=E, jurisdiction_code=GAOLIYING, party_status="单独建立", members=4, party_org_type="党支部"),
        org(id="b2", kind=E, jurisdiction_code=GAOLIYING, party_status="联合建立", members=2, joint_org_id="J1"),
        # no jurisdiction
        org(id="c1", kind=E, jurisdiction_code=None, members=3),
    ]
    for r in rows:
        r["source"] = "演示数据（合成）"
    rows[0]["name"] = "=HYPERLINK(\"http://evil\",\"x\")"
    centers = pd.DataFrame([
        dict(name="顺义区党群活动服务中心", level="区级", jurisdiction_code=SHIYUAN, floor_area=1600.0),
        dict(name="胜利街道党群活动服务中心", level="街道级", jurisdiction_code=SHENGLI, floor_area=850.0,
             has_site=True, has_facilities=True, has_sign=True, has_flag=True, has_books=False, has_rules=True),
        dict(name="高丽营镇党群活动服务中心", level="镇级", jurisdiction_code=GAOLIYING, floor_area=1000.0),
        dict(name="高丽营社区党群服务站", level="社区", jurisdiction_code=GAOLIYING, floor_area=1500.0),
        dict(name="仁和地区党群活动服务中心", level="镇级", jurisdiction_code=RENHE, floor_area=1200.0),
        dict(name="林河园区党群服务中心", level="园区", jurisdiction_code=RENHE, floor_area=300.0),
    ])
    parks = pd.DataFrame([dict(name="林河园区", level="市级", committee=True, jurisdiction_code=RENHE),
                          dict(name="空港园区", level="国家级", committee=False, jurisdiction_code="110113011")])
    return pd.DataFrame(rows), centers, parks


@pytest.fixture(scope="module")
def assessed(ledger, district):
    orgs, centers, parks = ledger
    return assess(orgs, centers=centers, parks=parks, district=district)


def test_hand_computed_rates(ledger, district, assessed):
    orgs, centers, parks = ledger
    a = assessed
    assert len(a.jurisdictions) == 26  # 25 towns/streets + the orgs without a jurisdiction
    d = a.district_summary.set_index("org_kind")
    # district: 9 orgs; own a1,a5,b1 = 3; joint a2,b2 = 2; work a3 = 1
    assert d.at["合计", "orgs"] == 9
    assert d.at["合计", "org_coverage_rate"] == pytest.approx(5 / 9)
    assert d.at["合计", "single_rate"] == pytest.approx(3 / 9)
    assert d.at["合计", "work_coverage_rate"] == pytest.approx(6 / 9)
    # enterprises: 7 orgs, own 2 (a1,b1), joint 2 → 4/7; target 0.9 → ceil(6.3)=7 → gap 3
    assert d.at["非公企业", "orgs"] == 7 and d.at["非公企业", "org_covered"] == 4
    assert d.at["非公企业", "gap"] == 3 and d.at["非公企业", "gap_text"] == "还需新增 3 个"
    # social: 2 orgs, own 1 → 0.5; target 0.7 → ceil(1.4)=2 → gap 1
    assert d.at["社会组织", "org_coverage_rate"] == pytest.approx(0.5) and d.at["社会组织", "gap"] == 1
    j = a.jurisdictions.set_index("code")
    s = j.loc[SHENGLI]
    assert (s["orgs"], s["own"], s["joint"], s["work_only"], s["uncovered"]) == (6, 2, 1, 1, 2)
    assert s["org_coverage_rate"] == pytest.approx(3 / 6)
    assert s["enterprise_org_coverage_rate"] == pytest.approx(2 / 4) and s["enterprise_gap"] == 2  # ceil(3.6)-2
    assert s["social_single_rate"] == pytest.approx(0.5)
    # activity rate: orgs with a party org and a reported count: a1 (6 ≥ 4), a2 (2 < 4) → 1/2
    assert (s["with_org_activity_reported"], s["active"], s["activity_rate"]) == (2, 1, 0.5)
    g = j.loc[GAOLIYING]
    assert g["org_coverage_rate"] == 1.0 and g["enterprise_gap"] == 0
    assert j.loc[RENHE, "orgs"] == 0 and pd.isna(j.loc[RENHE, "org_coverage_rate"])
    # beijing-2016 lowers the social target to 0.40: ceil(0.8) = 1 ≤ 1 covered → no gap
    b = assess(orgs, district=district, profile=load_profile("beijing-2016")).district_summary.set_index("org_kind")
    assert b.at["社会组织", "gap"] == 0


def test_hand_computed_venues(assessed):
    v = assessed.venues
    by = {(r.level, r.name): r for r in v.itertuples(index=False)}
    dist = by[("区级", "顺义区")]
    assert (dist.required_m2, dist.best_m2, dist.compliant, dist.shortfall_m2) == (1500, 1600, True, 0)
    s = by[("街道级", "胜利街道")]  # area met, but the ledger says 有书报 = 否: R16 (六有) counts under shunyi-2017
    assert (s.required_m2, s.best_m2, s.compliant, s.shortfall_m2) == (800, 850, False, 0)
    assert s.status == "“六有”不全" and s.six_has_missing == ["有书报"] and "R16" in s.reason
    assert dist.status == "达标" and all(m.endswith("（未填）") for m in dist.six_has_missing)  # blank: not judged
    gl = by[("镇级", "高丽营镇")]  # the 1500 m² community station does not count for the town level
    assert (gl.required_m2, gl.best_m2, gl.compliant, gl.shortfall_m2) == (1200, 1000, False, 200)
    rh = by[("镇级", "仁和地区")]  # 地区 counts as town level
    assert (rh.required_m2, rh.compliant) == (1200, True)
    ml = by[("镇级", "木林镇")]
    assert pd.isna(ml.best_center) and (ml.compliant, ml.shortfall_m2) == (False, 1200)
    assert by[("街道级", "光明街道")].required_m2 == 800
    assert by[("园区", "林河园区")].compliant and not by[("园区", "空港园区")].compliant
    assert "综合党委" in by[("园区", "空港园区")].reason


def test_profile_edit_flips_a_verdict(ledger, district, tmp_path):
    orgs, centers, parks = ledger
    before = assess(orgs, centers=centers, district=district)
    gl = before.venues.set_index("name").loc["高丽营镇"]
    assert not gl["compliant"]
    src = ROOT / "lianxin_geo" / "core" / "policies" / "shunyi-2017.toml"
    text = src.read_text(encoding="utf-8").replace("required_m2_town = { value = 1200,", "required_m2_town = { value = 1000,")
    f = tmp_path / "my-town.toml"
    f.write_text(text, encoding="utf-8")
    after = assess(orgs, centers=centers, district=district, profile=load_profile(f))
    assert after.venues.set_index("name").loc["高丽营镇", "compliant"]
    # and a rule verdict: raise the R4 threshold above 120 employees
    f2 = tmp_path / "r4.toml"
    f2.write_text(text.replace("enterprise_org_employees = { value = 100,", "enterprise_org_employees = { value = 150,"),
                  encoding="utf-8")
    r4 = lambda a: set(a.actions.query("rule == 'R4'")["org_id"])  # noqa: E731
    assert r4(before) == {"a4"} and r4(assess(orgs, district=district, profile=load_profile(f2))) == set()


def test_funding(ledger, district, assessed):
    orgs, centers, parks = ledger
    f = assessed.funding
    tot = f[f["name"] == "合计"].set_index("item")
    # own orgs formed now: only c1 (R2, 3 formal members) → 1 branch × 10000 × 2 years; a4 (R4, no members) is
    # to develop members first and a6 (R5, 1 member) to join a joint org: no own-org start-up funds for them
    assert tot.at["启动经费：新建党支部", "count"] == 1
    assert tot.at["启动经费：新建党支部", "amount_cny"] == 20000
    # members: enterprises 5+1+0+0+4+2+3 = 15 → ×400; social 3+1 = 4 → ×400
    assert tot.at["党员工作和活动经费（非公企业）", "amount_cny"] == 6000
    assert tot.at["党员工作和活动经费（社会组织）", "amount_cny"] == 1600
    # payroll 200 万元 × 0.5 %–2 %
    row = tot.loc["党建工作经费（按工资总额提取）"]
    assert (row["amount_cny"], row["amount_max_cny"]) == (10000, 40000)
    assert tot.at["启动经费：新建党支部", "rule"] == "R17"
    bj = assess(orgs, district=district, profile=load_profile("beijing-2016")).funding
    assert bj.query("name == '合计' and item == '党员工作和活动经费（社会组织）'")["amount_cny"].iat[0] == 800


def test_contact_points(assessed):
    cp = assessed.contact_points
    s = cp[(cp["scope_code"] == SHENGLI)].set_index("category")
    assert s.at["规模较大", "org_id"] == "a4"
    assert s.at["工作开展困难", "org_id"] == "a4"
    assert set(cp["rule"]) == {"R22"}
    district_rows = cp[cp["scope_code"] == "110113"]
    assert (district_rows.groupby("category").size() <= 5).all()


def test_to_json_is_strict_json(assessed):
    a = assessed
    j = a.to_json()
    text = json.dumps(j, ensure_ascii=False, allow_nan=False)
    assert j["synthetic"] is True
    assert j["district"]["orgs"] == 9 and j["district"]["org_coverage_rate"] == pytest.approx(5 / 9)
    assert set(j["district"]["by_kind"]) == {"非公企业", "社会组织"}
    jr = {r["code"]: r for r in j["jurisdictions"]}
    assert jr[SHENGLI]["gaps"]["非公企业"] == 2 and jr[SHENGLI]["targets"]["社会组织"] == 0.7
    assert jr[RENHE]["org_coverage_rate"] is None
    assert {"org_id", "action", "reason", "rule"} <= set(j["actions"][0])
    assert {"jurisdiction_code", "level", "required_m2", "best_m2", "compliant", "shortfall_m2"} <= set(j["venues"][0])
    assert j["funding"] and "NaN" not in text


def test_xlsx_export(assessed, tmp_path):
    a = assessed
    path = write_assessment_xlsx(a, tmp_path / "评估.xlsx", per_org=True)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["附件1 非公企业统计表", "附件2 非公企业汇总表", "附件3 社会组织统计表", "附件4 社会组织汇总表"]
    assert "一企一表 一社一表" in wb.sheetnames
    for ws in wb.worksheets:
        assert "演示数据（合成）" in str(ws["A2"].value), ws.title
    ws = wb["附件1 非公企业统计表"]
    assert ws["A1"].value == "非公有制企业及其党建工作情况统计表"
    names = [ws.cell(row=r, column=2) for r in range(6, ws.max_row + 1)]
    evil = [c for c in names if str(c.value).startswith("=")]
    assert len(evil) == 1 and evil[0].data_type == "s" and evil[0].quotePrefix
    ws2 = wb["附件2 非公企业汇总表"]
    last = [c.value for c in ws2[ws2.max_row]]
    assert last[0] == "合计" and last[1] == 7 and last[10] == pytest.approx(4 / 7)
    assert ws2.freeze_panes == "A6"


def test_without_district_uses_bundled_names():
    a = assess(pd.DataFrame([org(id="1", jurisdiction_code=GAOLIYING, members=3)]))
    assert a.district_name == "顺义区"
    assert a.jurisdictions["name"].tolist() == ["高丽营镇"]
    assert a.synthetic is False
