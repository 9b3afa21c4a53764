"""Assessment of every organization against the policy profile, and the rates behind it.

``assess(orgs, ...)`` gives each accepted org its coverage status (单独建立 /
联合建立 / 仅工作覆盖 / 未覆盖) and the actions the rules call for (R2–R11, R20),
each with a Chinese reason, the rule id, document and clause; then the coverage
rates and gaps to target per kind, per town/street and for the district
(R13/R14, R27), service-center compliance (R15/R16/R23), a funding estimate
(R17–R19) and contact-point candidates (R22).

The formulas are in :mod:`lianxin_geo.assessment.tables` and ``docs/policy.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.assessment import rules
from lianxin_geo.assessment import tables
from lianxin_geo.assessment.rules import (
    A_FIVE_CLEAR, A_FORM_OWN, A_JOINT_CANDIDATE, A_JOINT_TOO_BIG, A_JOINT_TOO_FEW, A_JOINT_TOO_MANY,
    A_LEAVE_JOINT, A_NEED_MEMBERS, A_UPGRADE_COMMITTEE, A_UPGRADE_GENERAL, A_WORK_COVERAGE,
    STATUS_JOINT, STATUS_NONE, STATUS_OWN, STATUS_WORK, STATUSES, RuleParams,
)
from lianxin_geo.present.xlsx import Sheet, cell_value, write_workbook
from lianxin_geo.core.industry import industry_group, normalize_industries
from lianxin_geo.core.model import DEMO_FLAG, DEMO_NOTE, ENTERPRISE, FIVE_CLEAR, SOCIAL
from lianxin_geo.core.policy import Profile, load_profile

if TYPE_CHECKING:  # pragma: no cover
    from lianxin_geo.core.district import District

__all__ = [
    "Assessment",
    "assess",
    "write_assessment_xlsx",
    "assessment_sheets",
    "STATUSES",
    "STATUS_OWN",
    "STATUS_JOINT",
    "STATUS_WORK",
    "STATUS_NONE",
    "ACTIONS",
    "RuleParams",
]

#: Every action label an assessment can give.
ACTIONS: tuple[str, ...] = (
    A_FORM_OWN, A_NEED_MEMBERS, A_LEAVE_JOINT, A_UPGRADE_GENERAL, A_UPGRADE_COMMITTEE, A_JOINT_CANDIDATE,
    A_WORK_COVERAGE, A_FIVE_CLEAR, A_JOINT_TOO_MANY, A_JOINT_TOO_FEW, A_JOINT_TOO_BIG,
)


@dataclass
class Assessment:
    """The result of :func:`assess`.

    Attributes
    ----------
    orgs
        One row per org: the input columns plus ``status``, ``status_reason``,
        ``status_rule``, ``actions`` (list of labels), ``action_rules`` (list),
        ``industry_group``, ``new_org_type``, ``five_clear_missing``.
    actions
        Long frame: ``org_id``, ``org_name``, ``jurisdiction_code``, ``action``,
        ``reason``, ``rule``, ``doc``, ``clause``.
    jurisdictions
        One row per town/street: counts, rates, per-kind rates, targets, gaps.
    district_summary
        Rows 合计 / 非公企业 / 社会组织 for the district.
    venues, funding, contact_points
        See :mod:`lianxin_geo.assessment.tables`.
    profile
        The policy profile used.
    synthetic
        True when the orgs' ``source`` says 演示数据（合成）.
    """

    orgs: pd.DataFrame
    actions: pd.DataFrame
    jurisdictions: pd.DataFrame
    district_summary: pd.DataFrame
    venues: pd.DataFrame
    funding: pd.DataFrame
    contact_points: pd.DataFrame
    profile: Profile
    synthetic: bool = False
    district_code: str = ""
    district_name: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (no NaN: ``None``), see the module docs for the keys."""
        ds = self.district_summary.set_index("org_kind")
        total = ds.loc["合计"].to_dict()
        by_kind = {k: ds.loc[k].to_dict() for k in (ENTERPRISE, SOCIAL)}
        district = {"code": self.district_code, "name": self.district_name, **total, "by_kind": by_kind}
        juris = []
        for rec in self.jurisdictions.to_dict("records"):
            rec["targets"] = {k: rec[f"{p}_target"] for k, p in tables.KIND_PREFIX.items()}
            rec["gaps"] = {k: rec[f"{p}_gap"] for k, p in tables.KIND_PREFIX.items()}
            juris.append(rec)
        orgs = self.orgs[["id", "name", "kind", "jurisdiction_code", "status", "status_reason", "status_rule",
                          "actions", "industry_group"]].to_dict("records")
        out = {
            "profile": {"name": self.profile.name, "title": self.profile.title},
            "synthetic": self.synthetic,
            "note": DEMO_NOTE if self.synthetic else None,
            "district": district,
            "jurisdictions": juris,
            "orgs": orgs,
            "actions": self.actions.to_dict("records"),
            "venues": self.venues.to_dict("records"),
            "funding": self.funding.to_dict("records"),
            "contact_points": self.contact_points.to_dict("records"),
        }
        return jsonable(out)


def _jurisdiction_table(orgs: pd.DataFrame, district: "District | None",
                        centers: pd.DataFrame | None) -> tuple[pd.DataFrame, str, str]:
    if district is not None:
        j = district.jurisdictions
        tab = pd.DataFrame({"code": j["code"].astype(str).to_numpy(dtype=object),
                            "name": j["name"].astype(str).to_numpy(dtype=object),
                            "kind": j["kind"].astype(str).to_numpy(dtype=object)})
        return tab, str(district.code), str(district.name)
    codes = set(orgs["jurisdiction_code"].dropna())
    if centers is not None:
        for col in ("jurisdiction_code", "town_code"):
            if col in centers.columns:
                codes |= {str(c) for c in centers[col].dropna()}
    from lianxin_geo.core.paths import data_dir

    try:
        known = pd.read_csv(data_dir() / "boundaries" / "shunyi_towns.csv", dtype=str)[["code", "name", "kind"]]
    except FileNotFoundError:  # pragma: no cover - packaged data missing
        known = pd.DataFrame(columns=["code", "name", "kind"])
    known = known[known["code"].isin(codes)]
    rest = sorted(codes - set(known["code"]))
    tab = pd.concat([known, pd.DataFrame({"code": rest, "name": rest, "kind": [None] * len(rest)})],
                    ignore_index=True).sort_values("code", kind="mergesort").reset_index(drop=True)
    tab = tab.astype(object)
    if codes and codes <= set(known["code"]):
        return tab, "110113", "顺义区"
    return tab, "district", "全区"


def assess(
    orgs: pd.DataFrame,
    *,
    centers: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    buildings: pd.DataFrame | None = None,
    district: "District | None" = None,
    profile: Profile | None = None,
) -> Assessment:
    """Assess every org, compute rates and gaps, venues, funding and contact points.

    Parameters
    ----------
    orgs
        Accepted org rows with the keys of ``ORG_SCHEMA`` plus ``id`` and
        ``jurisdiction_code`` (9-digit town code or ``None``); missing optional
        columns are treated as empty.
    centers, parks
        Service-center and park ledgers (optional) for venue compliance.
    buildings
        Commercial-building ledger (optional; kept for R23 checks by callers).
    district
        Gives the list of towns/streets (all of them appear, even without orgs)
        and their kind (街道 / 镇 / 地区); without it the bundled Shunyi towns
        seen in the data are used.
    profile
        Policy profile (default ``shunyi-2017``).
    """
    prof = profile if profile is not None else load_profile()
    del buildings  # accepted for a stable signature; R23 building checks belong to the planners
    df = rules.normalize_orgs(orgs)
    params = RuleParams.from_profile(prof)
    status, actions = rules.evaluate(df, params)
    df = pd.concat([df, status], axis=1)
    df["industry_group"] = industry_group(df["industry"], prof, df["social_type"], kind=df["kind"],
                                          park=df["park"], building=df["building"]).to_numpy(dtype=object)
    _, divisions = normalize_industries(df["industry"])
    by_row_actions: list[list[str]] = [[] for _ in range(len(df))]
    by_row_rules: list[list[str]] = [[] for _ in range(len(df))]
    for r, a, ru in zip(actions["row"], actions["action"], actions["rule"]):
        if a not in by_row_actions[r]:
            by_row_actions[r].append(a)
        if ru not in by_row_rules[r]:
            by_row_rules[r].append(ru)
    df["actions"] = pd.Series(by_row_actions, dtype=object)
    df["action_rules"] = pd.Series(by_row_rules, dtype=object)
    df["n_actions"] = [len(a) for a in by_row_actions]
    actions = actions.assign(
        org_name=df["name"].to_numpy(dtype=object)[actions["row"].to_numpy()],
        jurisdiction_code=df["jurisdiction_code"].to_numpy(dtype=object)[actions["row"].to_numpy()],
    )[["org_id", "org_name", "jurisdiction_code", "action", "reason", "rule", "doc", "clause"]]

    juris, dcode, dname = _jurisdiction_table(df, district, centers)
    jtab = tables.jurisdiction_frame(df, actions, juris, prof)
    summary = tables.district_summary(df, prof, code=dcode, name=dname)
    venues = tables.venues_frame(centers, parks, juris, prof, district_code=dcode, district_name=dname,
                                 district=district)
    funding = tables.funding_frame(df, actions, juris, prof, district_code=dcode)
    contacts = tables.contact_points_frame(df, actions, juris, prof, district_code=dcode, district_name=dname,
                                           divisions=divisions)
    synthetic = bool(len(df)) and bool((df["source"] == DEMO_FLAG).any())
    return Assessment(orgs=df, actions=actions, jurisdictions=jtab, district_summary=summary, venues=venues,
                      funding=funding, contact_points=contacts, profile=prof, synthetic=synthetic,
                      district_code=dcode, district_name=dname)


# ---------------------------------------------------------------- xlsx export
_PCT = "0.0%"


def _notes(a: Assessment, extra: str = "") -> list[str]:
    notes = []
    if a.synthetic:
        notes.append(f"注意：{DEMO_NOTE}")
    notes.append(f"{a.district_name}；策略配置：{a.profile.name}（{a.profile.title}）" + (f"；{extra}" if extra else ""))
    return notes


def _yes(mask: Any) -> list[str]:
    return ["是" if bool(v) else "否" for v in mask]


def _org_sheet(a: Assessment, kind: str) -> Sheet:
    df = a.orgs[a.orgs["kind"] == kind].reset_index(drop=True)
    names = a.jurisdictions.set_index("code")["name"].to_dict() if len(a.jurisdictions) else {}
    p = a.profile
    five_h = list(FIVE_CLEAR.values())
    rows = []
    if kind == ENTERPRISE:
        e_mem, e_org = p.get("thresholds.enterprise_members_employees"), p.get("thresholds.enterprise_org_employees")
        headers = ["序号", "企业名称", "统一社会信用代码", "所属镇街", "行业", "从业人员数", "正式党员数", "预备党员数",
                   "党组织状态", "党组织类型", "联合党组织编号", "党建指导员", "群团组织", "覆盖状态",
                   f"{e_mem}人以上（应有党员）", f"{e_org}人以上（应建党组织）", "需采取措施", *five_h]
        groups = [("基本情况", 6), ("党员情况", 2), ("党组织建立情况", 3), ("工作覆盖", 2), ("评估", 4), ("五个清", 5)]
        for i, r in enumerate(df.itertuples(index=False), start=1):
            emp = r.employees
            rows.append([i, r.name, r.credit_code, names.get(r.jurisdiction_code, r.jurisdiction_code), r.industry,
                         None if pd.isna(emp) else int(emp), r.members, r.probationary, r.party_status,
                         r.party_org_type, r.joint_org_id, r.instructor, r.mass_org, r.status,
                         "是" if not pd.isna(emp) and emp >= e_mem else "否",
                         "是" if not pd.isna(emp) and emp >= e_org else "否",
                         "；".join(r.actions), *[getattr(r, k) for k in FIVE_CLEAR]])
        title = "非公有制企业及其党建工作情况统计表"
        name = "附件1 非公企业统计表"
    else:
        staff = p.get("thresholds.entity_social_staff")
        etypes = set(p.get("thresholds.entity_social_types"))
        headers = ["序号", "社会组织名称", "统一社会信用代码", "所属镇街", "社会组织类型", "登记级别", "从业人员数",
                   "正式党员数", "预备党员数", "党组织状态", "党组织类型", "联合党组织编号", "党建指导员", "群团组织",
                   "覆盖状态", f"实体性社会组织{staff}人以上", "市级以上社会团体", "需采取措施", *five_h]
        groups = [("基本情况", 7), ("党员情况", 2), ("党组织建立情况", 3), ("工作覆盖", 2), ("评估", 4), ("五个清", 5)]
        for i, r in enumerate(df.itertuples(index=False), start=1):
            emp = r.employees
            rows.append([i, r.name, r.credit_code, names.get(r.jurisdiction_code, r.jurisdiction_code),
                         r.social_type, r.registration_level, None if pd.isna(emp) else int(emp), r.members,
                         r.probationary, r.party_status, r.party_org_type, r.joint_org_id, r.instructor, r.mass_org,
                         r.status, "是" if r.social_type in etypes and not pd.isna(emp) and emp >= staff else "否",
                         "是" if r.social_type == "社会团体" and r.registration_level == "市级及以上" else "否",
                         "；".join(r.actions), *[getattr(r, k) for k in FIVE_CLEAR]])
        title = "社会组织及其党建工作情况统计表"
        name = "附件3 社会组织统计表"
    return Sheet(name=name, headers=headers, rows=rows, title=title, header_groups=groups,
                 notes=_notes(a, "一企（社）一行；“五个清”为未建党组织单位的台账信息（R20）"))


def _summary_sheet(a: Assessment, kind: str) -> Sheet:
    p = a.profile
    orgs = a.orgs[a.orgs["kind"] == kind]
    target = p.get("targets.enterprise" if kind == ENTERPRISE else "targets.social")
    scopes: list[tuple[str, pd.DataFrame]] = []
    for r in a.jurisdictions.itertuples(index=False):
        sub = orgs[orgs["jurisdiction_code"].isna()] if pd.isna(r.code) else orgs[orgs["jurisdiction_code"] == r.code]
        scopes.append((r.name, sub))
    scopes.append(("合计", orgs))
    rows = []
    with_org = [STATUS_OWN, STATUS_JOINT]
    for label, sub in scopes:
        blk = tables.rate_block(sub, min_activities=p.get("activity.min_per_year"))
        emp = sub["employees"]
        has_org = sub["status"].isin(with_org)
        gap = tables.gap_to_target(blk["org_covered"], blk["orgs"], target)
        if kind == ENTERPRISE:
            e_mem, e_org = p.get("thresholds.enterprise_members_employees"), p.get("thresholds.enterprise_org_employees")
            big_m = emp >= e_mem
            big_o = emp >= e_org
            lead = [label, blk["orgs"], int(big_m.sum()), int((big_m & ((sub["members"] + sub["probationary"]) > 0)).sum()),
                    int(big_o.sum()), int((big_o & has_org).sum())]
        else:
            staff = p.get("thresholds.entity_social_staff")
            ent = sub["social_type"].isin(p.get("thresholds.entity_social_types")) & (emp >= staff)
            city = (sub["social_type"] == "社会团体") & (sub["registration_level"] == "市级及以上")
            lead = [label, blk["orgs"], int(ent.sum()), int((ent & has_org).sum()), int(city.sum()),
                    int((city & has_org).sum())]
        rows.append([*lead, blk["own"], blk["joint"], blk["work_only"], blk["uncovered"], blk["org_coverage_rate"],
                     blk["single_rate"], blk["work_coverage_rate"], target, gap, blk["members"], blk["probationary"]])
    if kind == ENTERPRISE:
        e_mem, e_org = p.get("thresholds.enterprise_members_employees"), p.get("thresholds.enterprise_org_employees")
        lead_h = ["镇街", "企业总数", f"{e_mem}人以上企业", "其中有党员", f"{e_org}人以上企业", "其中已建党组织"]
        title, name = "非公有制企业及其党建工作情况汇总表", "附件2 非公企业汇总表"
    else:
        staff = p.get("thresholds.entity_social_staff")
        lead_h = ["镇街", "社会组织总数", f"实体性社会组织{staff}人以上", "其中已建党组织", "市级以上社会团体",
                  "其中已建党组织"]
        title, name = "社会组织及其党建工作情况汇总表", "附件4 社会组织汇总表"
    headers = [*lead_h, "单独建立", "联合建立", "仅工作覆盖", "未覆盖", "组织覆盖率", "单独组建率", "工作覆盖率",
               "覆盖率目标", "还需新增（个）", "正式党员", "预备党员"]
    groups = [("基本情况", 6), ("党组织建立情况", 4), ("覆盖率", 3), ("目标", 2), ("党员", 2)]
    return Sheet(name=name, headers=headers, rows=rows, title=title, header_groups=groups,
                 number_formats={10: _PCT, 11: _PCT, 12: _PCT, 13: _PCT},
                 notes=_notes(a, "组织覆盖率=(单独建立+联合建立)/总数；单独组建率=单独建立/总数；"
                                 "工作覆盖率=(组织覆盖+仅工作覆盖)/总数；还需新增=⌈目标×总数⌉−组织覆盖"))


def _frame_sheet(a: Assessment, name: str, title: str, df: pd.DataFrame, columns: dict[str, str],
                 pct: tuple[str, ...] = (), extra: str = "") -> Sheet:
    cols = [c for c in columns if c in df.columns]
    rows = [[cell_value(v) for v in rec] for rec in df[cols].itertuples(index=False, name=None)] if len(df) else []
    fmts = {i: _PCT for i, c in enumerate(cols) if c in pct}
    return Sheet(name=name, headers=[columns[c] for c in cols], rows=rows, title=title, notes=_notes(a, extra),
                 number_formats=fmts)


def _cards_sheet(a: Assessment) -> Sheet:
    rows: list[list[Any]] = []
    labels = [("name", "单位名称"), ("credit_code", "统一社会信用代码"), ("kind", "组织类别"), ("social_type", "社会组织类型"),
              ("industry", "行业"), ("address", "地址"), ("employees", "从业人员数"), ("members", "正式党员数"),
              ("probationary", "预备党员数"), ("party_status", "党组织状态"), ("party_org_type", "党组织类型"),
              ("instructor", "党建指导员"), ("mass_org", "群团组织"), ("status", "覆盖状态"),
              ("status_reason", "说明"), *FIVE_CLEAR.items()]
    act = a.actions.groupby("org_id", sort=False)
    groups = dict(list(act)) if len(a.actions) else {}
    for r in a.orgs.itertuples(index=False):
        table = "一企一表" if r.kind == ENTERPRISE else "一社一表"
        rows.append([f"【{table}】{r.name}", None, None])
        for key, label in labels:
            if key in a.orgs.columns:
                rows.append([None, label, getattr(r, key)])
        g = groups.get(r.id)
        if g is not None:
            for rec in g.itertuples(index=False):
                rows.append([None, f"措施：{rec.action}", f"{rec.reason}（{rec.rule} {rec.doc} {rec.clause}）"])
        rows.append([None, None, None])
    return Sheet(name="一企一表 一社一表", headers=["单位", "项目", "内容"], rows=rows, title="一企一表 / 一社一表",
                 notes=_notes(a), widths=[36, 24, 80])


def write_assessment_xlsx(assessment: Assessment, path: str | os.PathLike[str], *,
                          per_org: bool = False) -> Path:
    """Write the statistics tables (BJ2016N 附件1–4) and the assessment tables to an .xlsx file.

    See :func:`assessment_sheets` for the sheets.
    """
    return write_workbook(path, assessment_sheets(assessment, per_org=per_org))


def assessment_sheets(assessment: Assessment, *, per_org: bool = False) -> list[Sheet]:
    """The assessment's worksheets, ready for :func:`lianxin_geo.present.xlsx.write_workbook`.

    Sheets: 附件1–4, 覆盖率, 措施清单, 阵地达标, 经费测算, 联系点候选, 策略配置, and with
    ``per_org=True`` the 一企一表/一社一表 cards. Every text cell is guarded against
    formula injection; every sheet carries the synthetic-data note when the
    ledger is demo data.
    """
    a = assessment
    jcols = {"code": "镇街代码", "name": "镇街", "kind": "类型", "orgs": "单位总数", "own": "单独建立", "joint": "联合建立",
             "work_only": "仅工作覆盖", "uncovered": "未覆盖", "org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率",
             "work_coverage_rate": "工作覆盖率", "enterprise_orgs": "非公企业数", "enterprise_org_coverage_rate": "非公企业组织覆盖率",
             "enterprise_target": "非公企业目标", "enterprise_gap_text": "非公企业差距", "social_orgs": "社会组织数",
             "social_org_coverage_rate": "社会组织组织覆盖率", "social_target": "社会组织目标", "social_gap_text": "社会组织差距",
             "members": "正式党员", "probationary": "预备党员", "with_org_activity_reported": "填报活动次数的已建组织单位",
             "active": "达到活动次数的单位", "activity_rate": "活动率", "to_form_own": "应单独组建", "joint_candidates": "联合组建候选",
             "need_members": "应有党员", "need_work_coverage": "需工作覆盖"}
    pct = ("org_coverage_rate", "single_rate", "work_coverage_rate", "enterprise_org_coverage_rate", "enterprise_target",
           "social_org_coverage_rate", "social_target", "activity_rate")
    sheets = [
        _org_sheet(a, ENTERPRISE), _summary_sheet(a, ENTERPRISE), _org_sheet(a, SOCIAL), _summary_sheet(a, SOCIAL),
        _frame_sheet(a, "覆盖率", "各镇街覆盖率与目标差距", a.jurisdictions, jcols, pct,
                     f"活动率=年度活动次数≥{a.profile.get('activity.min_per_year')}的已建组织单位/填报了活动次数的已建组织单位（R27）"),
        _frame_sheet(a, "措施清单", "逐单位措施清单", a.actions,
                     {"org_id": "单位编号", "org_name": "单位名称", "jurisdiction_code": "镇街代码", "action": "措施",
                      "reason": "理由", "rule": "规则", "doc": "文件", "clause": "条款"}),
        _frame_sheet(a, "阵地达标", "党群活动服务中心达标情况", a.venues,
                     {"jurisdiction_code": "代码", "name": "名称", "level": "层级", "required_m2": "标准面积（㎡）",
                      "best_center": "现有最大中心", "best_m2": "面积（㎡）", "compliant": "是否达标",
                      "shortfall_m2": "缺口（㎡）", "n_centers": "中心数", "six_has_missing": "“六有”缺项",
                      "reason": "说明", "rule": "规则", "doc": "文件", "clause": "条款"}),
        _frame_sheet(a, "经费测算", "党建经费测算", a.funding,
                     {"jurisdiction_code": "代码", "name": "镇街", "item": "项目", "count": "数量", "unit_amount": "标准（元）",
                      "amount_cny": "金额（元，区间为下限）", "amount_max_cny": "金额上限（元）", "basis": "测算依据",
                      "rule": "规则", "doc": "文件", "clause": "条款"}, extra="工资总额单位为万元/年"),
        _frame_sheet(a, "联系点候选", "直接联系点候选", a.contact_points,
                     {"scope_name": "范围", "category": "类别", "rank": "排序", "org_id": "单位编号", "org_name": "单位名称",
                      "kind": "组织类别", "employees": "从业人员", "members": "正式党员", "status": "覆盖状态",
                      "reason": "理由", "rule": "规则", "doc": "文件", "clause": "条款"}),
        _frame_sheet(a, "策略配置", "本次评估使用的策略配置", pd.DataFrame(a.profile.table()),
                     {"key": "配置项", "value": "取值", "rule": "规则", "doc": "文件", "clause": "条款", "note": "说明"}),
    ]
    if per_org:
        sheets.append(_cards_sheet(a))
    return sheets
