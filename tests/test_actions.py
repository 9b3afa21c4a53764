"""Actions that can be carried out (issue 12, part 4) and existing joint orgs that break the rules (part 3).

Each test is built on crafted orgs where the old (or a wrong) answer fails it: fewer than 3 formal members never
gets 应单独建立党组织 nor own-org start-up funds; every action row carries 任务措施 / 进度安排 / 责任人; joint
orgs over 15 units, under 3 formal members, over 50 members, across towns or across unrelated industries are
flagged with 拆分/调整, and a clean one is not; R16 counts in the venue verdict only when the profile says so;
the towns' 还需新增 add up to the district figure or a note says why; ``contact.min_per_unit`` is honoured.
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest

from conftest import ledger_org, shunyi_box_district

from lianxin_geo.assessment.assessor import ACTIONS, assess
from lianxin_geo.assessment.measures import MEASURES, NO_TOWN_OWNER, due_date
from lianxin_geo.assessment.venues import STATUS_OK, STATUS_SIX_HAS
from lianxin_geo.core import policy as policy_mod
from lianxin_geo.core.district import District
from lianxin_geo.core.policy import ValueSpec, load_profile
from lianxin_geo.present.sheets import write_assessment_xlsx

SHENGLI, GAOLIYING, RENHE = "110113001", "110113101", "110113003"
FORM_OWN, JOIN, DEVELOP = "应单独建立党组织", "应纳入联合党组织或联合组建", "应选派党员、发展党员，具备条件后单独组建"
DAY = dt.date(2026, 3, 10)


@pytest.fixture(scope="module")
def district() -> District:
    """The 25 Shunyi towns, each a 0.02° box around its seat."""
    return shunyi_box_district()


org = ledger_org


def by_org(a) -> dict[str, set[str]]:
    return {oid: set(g["action"]) for oid, g in a.actions.groupby("org_id")}


# ---------------------------------------------------------------- part 4: what can be done now
MANDATORY = [
    org(id="e0", employees=150),                                   # R4, no members
    org(id="e1", employees=150, members=1),                        # R4, 1 formal member
    org(id="p2", employees=150, probationary=2),                   # R4, only probationary members
    org(id="e3", employees=150, members=3),                        # R4, 3 formal members
    org(id="j1", employees=150, members=1, party_status="联合建立", joint_org_id="J"),  # R4, joint-covered
    org(id="j1b", members=2, party_status="联合建立", joint_org_id="J"),
    org(id="law", kind="社会组织", social_type="律师事务所", employees=40, members=2),     # R5
    org(id="city", kind="社会组织", social_type="社会团体", registration_level="市级及以上"),  # R5, none
]


def test_fewer_than_three_formal_members_never_form_own_now(district):
    a = assess(pd.DataFrame(MANDATORY), district=district, assessed_on=DAY)
    acts = by_org(a)
    assert FORM_OWN in acts["e3"]
    assert JOIN in acts["e1"] and JOIN in acts["p2"] and JOIN in acts["law"]
    assert DEVELOP in acts["e0"] and DEVELOP in acts["city"] and DEVELOP in acts["j1"]
    for oid in ("e0", "e1", "p2", "j1", "law", "city"):
        assert FORM_OWN not in acts[oid], oid
    # every org given 应单独建立党组织 really has the members for it
    own = a.actions.loc[a.actions["action"] == FORM_OWN, "org_id"]
    assert (a.orgs.set_index("id").loc[own, "members"] >= 3).all()
    # each new action carries its rule and clause
    rows = a.actions[a.actions["action"].isin([JOIN, DEVELOP])]
    assert set(rows["rule"]) == {"R4", "R5"} and (rows["clause"] != "").all()
    assert "不足 3 名" in rows.set_index("org_id").at["e1", "reason"]


def test_funding_follows_the_proposed_action(district):
    a = assess(pd.DataFrame(MANDATORY), district=district, assessed_on=DAY)
    tot = a.funding[a.funding["name"] == "合计"].set_index("item")
    # only e3 forms its own organization now: 1 branch × 10000 × 2 years (before: 6 orgs were funded)
    assert tot.at["启动经费：新建党支部", "count"] == 1 and tot.at["启动经费：新建党支部", "amount_cny"] == 20000
    assert tot.at["启动经费：新建联合党组织（估算）", "amount_cny"] == 0  # include_joint_startup = false
    j = a.jurisdictions.set_index("code").loc[SHENGLI]
    assert (j["to_form_own"], j["to_join_joint"], j["to_develop_members"]) == (1, 3, 3)
    p = load_profile().with_values({"funding.include_joint_startup": True})
    b = assess(pd.DataFrame(MANDATORY), district=district, profile=p, assessed_on=DAY)
    tb = b.funding[b.funding["name"] == "合计"].set_index("item")
    # joint candidates e1, p2, law (members, < 3 formal) -> ceil(3 / 15) = 1 joint branch × 10000 × 2 years
    assert tb.at["启动经费：新建联合党组织（估算）", "amount_cny"] == 20000
    assert tb.at["启动经费：新建党支部", "amount_cny"] == 20000


# ---------------------------------------------------------------- 一企一策 fields
def test_measure_due_owner(district):
    rows = [org(id="s", members=3), org(id="t", jurisdiction_code=GAOLIYING, members=3),
            org(id="n", jurisdiction_code=None, members=3)]
    a = assess(pd.DataFrame(rows), district=district, assessed_on=DAY)
    acts = a.actions[a.actions["action"] == FORM_OWN].set_index("org_id")
    assert {"measure", "due", "owner", "suggestion"} <= set(a.actions.columns)
    assert acts.at["s", "owner"] == "胜利街道党工委"  # a street: its party working committee
    assert acts.at["t", "owner"] == "高丽营镇党委"
    assert acts.at["n", "owner"] == NO_TOWN_OWNER
    assert set(a.actions["due"]) == {"2026-06-30"}  # next refresh month (6, 11) after March
    assert "党员大会" in acts.at["s", "measure"]
    later = assess(pd.DataFrame(rows), district=district, assessed_on=dt.date(2026, 6, 15))
    assert set(later.actions["due"]) == {"2026-11-30"}
    p = load_profile().with_values({"ledger.refresh_months": [3, 9]})
    other = assess(pd.DataFrame(rows), district=district, assessed_on=DAY, profile=p)
    assert set(other.actions["due"]) == {"2026-09-30"}
    j = a.to_json()
    assert j["assessed_on"] == "2026-03-10"
    assert {"measure", "due", "owner"} <= set(j["actions"][0])
    json.dumps(j, ensure_ascii=False, allow_nan=False)


def test_due_date_rolls_over_the_year():
    assert due_date(dt.date(2026, 12, 1), [6, 11]) == dt.date(2027, 6, 30)
    assert due_date(dt.date(2026, 11, 30), [11, 6]) == dt.date(2027, 6, 30)
    assert due_date(dt.date(2028, 1, 5), [2]) == dt.date(2028, 2, 29)


def test_every_action_kind_has_a_measure():
    assert set(ACTIONS) <= set(MEASURES)
    assert all(MEASURES[a].strip() for a in ACTIONS)


# ---------------------------------------------------------------- part 3: existing joint orgs
def _joint(jid: str, n: int, **kw):
    return [org(id=f"{jid}-{i}", party_status="联合建立", joint_org_id=jid, industry="C13", **kw) for i in range(n)]


def _violating_ledger() -> pd.DataFrame:
    rows = _joint("MANY", 16, members=1)                               # R7: 16 units > 15
    rows += _joint("FEW", 2, members=1)                                # R8: 2 formal members < 3
    rows += _joint("BIG", 2, members=2, probationary=28)               # R9: 60 members > 50
    rows += _joint("CROSS", 2, members=2)                              # R25: two towns
    rows[-1]["jurisdiction_code"] = GAOLIYING
    mix = _joint("MIX", 3, members=1)                                  # R6: C and I are neither same nor similar
    mix[0]["industry"] = "I65"
    rows += mix
    bld = _joint("BLD", 3, members=1, building="国际中心")            # same building: any industry is fine
    bld[0]["industry"] = "I65"
    rows += bld
    near = _joint("NEAR", 3, members=1)                                # C and D are similar (B/C/D)
    near[0]["industry"] = "D44"
    rows += near
    rows += _joint("OK", 3, members=1)
    return pd.DataFrame(rows)


def test_existing_joint_orgs_that_break_the_rules(district):
    a = assess(_violating_ledger(), district=district, assessed_on=DAY)
    jo = a.joint_orgs.set_index("joint_org_id")
    expect = {"MANY": ("所在联合党组织覆盖单位过多", "R7", "拆分"),
              "FEW": ("所在联合党组织正式党员不足", "R8", "调整"),
              "BIG": ("所在联合党组织党员超过支部上限", "R9", "拆分"),
              "CROSS": ("所在联合党组织跨镇街", "R25", "拆分"),
              "MIX": ("所在联合党组织行业不相同也不相近", "R6", "调整")}
    for jid, (flag, rule, sugg) in expect.items():
        assert jo.at[jid, "violations"] == [flag], jid
        assert jo.at[jid, "rules"] == [rule] and jo.at[jid, "suggestion"] == sugg, jid
    for jid in ("BLD", "NEAR", "OK"):
        assert jo.at[jid, "violations"] == [] and jo.at[jid, "suggestion"] == "", jid
    # every member org carries the flag, with rule, clause and the suggestion in its action row
    rows = a.actions[a.actions["org_id"].str.startswith("CROSS-") & (a.actions["rule"] == "R25")]
    assert len(rows) == 2 and set(rows["suggestion"]) == {"拆分"} and "拆分" in rows["measure"].iat[0]
    assert len(a.actions[a.actions["org_id"].str.startswith("MANY-") & (a.actions["rule"] == "R7")]) == 16
    assert "2 个镇街" in jo.at["CROSS", "reasons"][0]


def test_joint_org_switches_come_from_the_profile(district):
    led = _violating_ledger()
    p = load_profile().with_values({"joint.allow_cross_town": True, "joint.allow_similar_industry": False})
    jo = assess(led, district=district, profile=p, assessed_on=DAY).joint_orgs.set_index("joint_org_id")
    assert jo.at["CROSS", "violations"] == []
    assert jo.at["NEAR", "violations"] == ["所在联合党组织行业不相同也不相近"]  # similar no longer allowed


def test_clean_joint_orgs_are_not_flagged(district):
    rows = _joint("A", 3, members=1) + _joint("B", 5, members=2)
    a = assess(pd.DataFrame(rows), district=district, assessed_on=DAY)
    assert len(a.joint_orgs) == 2 and (a.joint_orgs["suggestion"] == "").all()
    assert not (a.actions["suggestion"] != "").any()


# ---------------------------------------------------------------- R16 in the venue verdict
SIX = dict(has_site=True, has_facilities=True, has_sign=True, has_flag=True, has_books=True)


def _six_profile(tmp_path, monkeypatch, value: bool):
    monkeypatch.setitem(policy_mod.PROFILE_SCHEMA, "venues.six_has_required",
                        ValueSpec("bool", help="“六有”缺项时阵地不达标"))
    f = tmp_path / f"six-{value}.toml"
    f.write_text(f'[profile]\nname = "six"\nextends = "shunyi-2017"\n\n[venues]\n'
                 f'six_has_required = {{ value = {str(value).lower()}, rule = "R16", doc = "SY2017; TN2020", '
                 f'clause = "第二十五条; 11", note = "测试" }}\n', encoding="utf-8")
    return load_profile(f)


@pytest.mark.parametrize("required", [True, False])
def test_six_has_counts_in_the_venue_verdict_when_required(district, tmp_path, monkeypatch, required):
    centers = pd.DataFrame([dict(name="胜利街道中心", level="街道级", jurisdiction_code=SHENGLI, floor_area=900.0,
                                 has_rules=False, **SIX),
                            dict(name="高丽营镇中心", level="镇级", jurisdiction_code=GAOLIYING, floor_area=1300.0,
                                 has_rules=True, **SIX)])
    prof = _six_profile(tmp_path, monkeypatch, required)
    v = assess(pd.DataFrame([org(id="o")]), centers=centers, district=district, profile=prof,
               assessed_on=DAY).venues.set_index("name")
    s, g = v.loc["胜利街道"], v.loc["高丽营镇"]
    assert s["six_has_missing"] == ["有制度"] and g["six_has_missing"] == []
    assert g["compliant"] and g["status"] == STATUS_OK
    if required:
        assert not s["compliant"] and s["status"] == STATUS_SIX_HAS
        assert "有制度" in s["reason"] and "R16" in s["reason"]
    else:
        assert s["compliant"] and s["status"] == STATUS_OK
    # a park center lacking 有党旗
    park_c = pd.DataFrame([dict(name="林河园区党群服务中心", level="园区", park="林河园区", jurisdiction_code=RENHE,
                                floor_area=300.0, has_site=True, has_facilities=True, has_sign=True, has_flag=False,
                                has_books=True, has_rules=True)])
    parks = pd.DataFrame([dict(name="林河园区", level="区级", committee=False, jurisdiction_code=RENHE)])
    pv = assess(pd.DataFrame([org(id="o")]), centers=park_c, parks=parks, district=district, profile=prof,
                assessed_on=DAY).venues.set_index("name").loc["林河园区"]
    assert pv["six_has_missing"] == ["有党旗"] and bool(pv["compliant"]) is (not required)
    # a ledger without any "六有" column: the items are unknown (listed), the area verdict stands
    bare = pd.DataFrame([dict(name="胜利街道中心", level="街道级", jurisdiction_code=SHENGLI, floor_area=900.0)])
    bv = assess(pd.DataFrame([org(id="o")]), centers=bare, district=district, profile=prof,
                assessed_on=DAY).venues.set_index("name").loc["胜利街道"]
    assert len(bv["six_has_missing"]) == 6 and bv["compliant"] and bv["status"] == STATUS_OK


# ---------------------------------------------------------------- town gaps vs the district gap
def test_town_gaps_add_up_or_are_explained(district, tmp_path):
    # 胜利街道: 10 enterprises, 9 covered (above 90 %); 高丽营镇: 10 enterprises, 8 covered -> gap 1;
    # district: 20 orgs, 17 covered, ceil(18) - 17 = 1; towns 0 + 1 = 1 -> equal
    def town(code, n, covered, tag):
        return [org(id=f"{tag}{i}", jurisdiction_code=code, party_status="单独建立" if i < covered else "未建立",
                    members=3 if i < covered else 0) for i in range(n)]
    a = assess(pd.DataFrame(town(SHENGLI, 10, 9, "s") + town(GAOLIYING, 10, 8, "g")), district=district,
               assessed_on=DAY)
    d = a.district_summary.set_index("org_kind").loc["非公企业"]
    assert d["gap"] == 1 and d["gap_towns_sum"] == 1 and "等于全区差距" in d["gap_note"]
    # 胜利街道 all 10 covered (surplus), 高丽营镇 5 of 7 -> towns: 0 + (ceil(6.3) - 5 = 2) = 2; district:
    # 17 orgs, 15 covered, ceil(15.3) - 15 = 1 -> not equal: the note says both figures and why
    b = assess(pd.DataFrame(town(SHENGLI, 10, 10, "s") + town(GAOLIYING, 7, 5, "g")), district=district,
               assessed_on=DAY)
    d = b.district_summary.set_index("org_kind").loc["非公企业"]
    towns = int(b.jurisdictions["enterprise_gap"].sum())
    assert (d["gap"], d["gap_towns_sum"], towns) == (1, 2, 2)
    assert "之和 2 个" in d["gap_note"] and "全区差距 1 个" in d["gap_note"] and "向上取整" in d["gap_note"]
    path = write_assessment_xlsx(b, tmp_path / "gap.xlsx")
    wb = openpyxl.load_workbook(path)
    text = " ".join(str(c.value) for row in wb["附件2 非公企业汇总表"].iter_rows(max_row=12) for c in row if c.value)
    assert "之和 2 个" in text and "全区差距 1 个" in text


def test_town_gaps_on_the_demo_are_summed_and_explained():
    from lianxin_geo.pipeline import run_assessment
    from lianxin_geo.workspace import load_workspace

    a = run_assessment(load_workspace(demo_orgs=600))
    ds = a.district_summary.set_index("org_kind")
    for kind, prefix in (("非公企业", "enterprise"), ("社会组织", "social")):
        total = int(a.jurisdictions[f"{prefix}_gap"].sum())
        assert ds.at[kind, "gap_towns_sum"] == total
        assert f"之和 {total} 个" in ds.at[kind, "gap_note"]
        if total != ds.at[kind, "gap"]:
            assert f"全区差距 {int(ds.at[kind, 'gap'])} 个" in ds.at[kind, "gap_note"]


# ---------------------------------------------------------------- exports carry the fields
def test_action_sheet_has_the_one_org_one_plan_columns(district, tmp_path):
    a = assess(_violating_ledger(), district=district, assessed_on=DAY)
    wb = openpyxl.load_workbook(write_assessment_xlsx(a, tmp_path / "a.xlsx"))
    ws = wb["措施清单"]
    headers = [c.value for row in ws.iter_rows(max_row=8) for c in row if c.value]
    for h in ("任务措施", "进度安排（完成时限）", "责任人", "处理建议", "规则", "条款"):
        assert h in headers, h
    assert "联合党组织检查" in wb.sheetnames
    text = " ".join(str(c.value) for row in wb["联合党组织检查"].iter_rows() for c in row if c.value)
    assert "CROSS" in text and "拆分" in text and "OK" not in text.split()


# ---------------------------------------------------------------- contact.min_per_unit
def test_contact_points_min_per_unit(district):
    rows = [org(id=f"s{i}", employees=10 + i) for i in range(6)]
    base = assess(pd.DataFrame(rows), district=district, assessed_on=DAY).contact_points
    local = base[base["scope_code"] == SHENGLI]
    assert set(local["org_id"]) == {"s5", "s0"}  # 规模较大 (most employees), 影响力大 (all tie: first id)
    p = load_profile().with_values({"contact.min_per_unit": 4})
    cp = assess(pd.DataFrame(rows), district=district, profile=p, assessed_on=DAY).contact_points
    local = cp[cp["scope_code"] == SHENGLI]
    assert set(local["org_id"]) == {"s5", "s0", "s4", "s3"}  # topped up with the next largest
    assert local["reason"].str.contains("至少 4 个联系点").sum() == 2
