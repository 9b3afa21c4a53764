"""The one sheet builder: every worksheet of every workbook the project writes.

* :func:`assessment_sheets` — the statistics tables (BJ2016N 附件1–4) and the
  assessment's tables (覆盖率, 措施清单 with the 一企一策 fields, 联合党组织检查, 阵地达标, 经费测算, 联系点候选, 策略配置,
  optionally the 一企一表/一社一表 cards); :func:`write_assessment_xlsx` writes them alone.
* :func:`plan_sheets` — the joint-unit, instructor-route and coverage plans' tables.
* :func:`workbook_sheets` — the combined workbook of an export: 说明, the assessment,
  the plans, the ledger validation report and optionally one sheet per organization.

Sheets are :class:`~lianxin_geo.present.xlsx.Sheet` objects; :func:`~lianxin_geo.present.xlsx.write_workbook`
writes them (formula-safe, atomically). Every sheet carries the data notes (synthetic demo data, approximate
boundaries).
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from lianxin_geo.assessment import Assessment, tables
from lianxin_geo.assessment.rules import STATUS_JOINT, STATUS_OWN
from lianxin_geo.core.model import DEMO_NOTE, ENTERPRISE, FIVE_CLEAR, SOCIAL
from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.plan.routes.result import DISTANCE_SOURCE_NAMES
from lianxin_geo.present.plans import PlansLike, as_plans, route_key
from lianxin_geo.present.xlsx import Sheet, cell_value, write_workbook
from lianxin_geo.workspace import Workspace

__all__ = [
    "ACTION_COLUMNS",
    "CARD_FIELDS",
    "JOINT_ORG_COLUMNS",
    "frame_sheet",
    "assessment_sheets",
    "write_assessment_xlsx",
    "plan_sheets",
    "workbook_sheets",
]

PCT = "0.0%"
#: Where route distances came from (``InstructorPlan.stats["distance_source"]``) -> Chinese.
DISTANCE_SOURCES: dict[str, str] = DISTANCE_SOURCE_NAMES

#: The action sheet (措施清单): action column -> Chinese header, 一企一策 fields included.
ACTION_COLUMNS: dict[str, str] = {
    "org_id": "单位编号", "org_name": "单位名称", "jurisdiction_code": "镇街代码", "action": "措施",
    "measure": "任务措施", "due": "进度安排（完成时限）", "owner": "责任人", "suggestion": "处理建议",
    "reason": "理由", "rule": "规则", "doc": "文件", "clause": "条款",
}
#: The existing joint party organizations' check (联合党组织检查): column -> header.
JOINT_ORG_COLUMNS: dict[str, str] = {
    "joint_org_id": "联合党组织编号", "units": "成员单位数", "formal_members": "正式党员", "members": "党员（含预备）",
    "jurisdiction_codes": "所在镇街代码", "industry_groups": "行业分组", "violations": "问题", "rules": "规则",
    "suggestion": "处理建议", "reasons": "说明",
}

#: The fields of an organization's card (一企一表 / 一社一表): column -> label.
CARD_FIELDS: dict[str, str] = {
    "name": "单位名称", "credit_code": "统一社会信用代码", "kind": "组织类别", "social_type": "社会组织类型",
    "industry": "行业", "address": "地址", "jurisdiction_name": "所属镇街", "employees": "从业人员数",
    "members": "正式党员数", "probationary": "预备党员数", "party_status": "党组织状态",
    "party_org_type": "党组织类型", "joint_org_id": "联合党组织编号", "instructor": "党建指导员",
    "mass_org": "群团组织", "status": "覆盖状态", "status_reason": "说明", **FIVE_CLEAR,
}


def frame_sheet(name: str, title: str, df: pd.DataFrame | None, columns: Mapping[str, str], notes: Sequence[str],
                *, pct: Sequence[str] = ()) -> Sheet:
    """A sheet of the ``columns`` of ``df`` that exist (``column -> header``); ``pct`` columns shown as percents."""
    df = df if df is not None else pd.DataFrame()
    cols = [c for c in columns if c in df.columns]
    rows = [[cell_value(v) for v in rec] for rec in df[cols].itertuples(index=False, name=None)] if len(df) else []
    fmts = {i: PCT for i, c in enumerate(cols) if c in pct}
    return Sheet(name=name, headers=[columns[c] for c in cols], rows=rows, title=title, notes=list(notes),
                 number_formats=fmts)


# ---------------------------------------------------------------- the assessment
def _notes(a: Assessment, extra: str = "") -> list[str]:
    notes = []
    if a.synthetic:
        notes.append(f"注意：{DEMO_NOTE}")
    notes.append(f"{a.district_name}；策略配置：{a.profile.title}" + (f"；{extra}" if extra else ""))
    return notes


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


#: The org columns a summary sheet counts (those :func:`tables.rate_block` reads and the thresholds'); the towns'
#: subsets are taken of these only.
_SUMMARY_COLUMNS = ("kind", "jurisdiction_code", "status", "activities", "members", "probationary", "employees",
                    "social_type", "registration_level")


def _summary_sheet(a: Assessment, kind: str) -> Sheet:
    p = a.profile
    orgs = a.orgs.loc[a.orgs["kind"] == kind, [c for c in _SUMMARY_COLUMNS if c in a.orgs.columns]]
    target = p.get("targets.enterprise" if kind == ENTERPRISE else "targets.social")
    by_town = dict(list(orgs.groupby("jurisdiction_code", sort=False, observed=True))) if len(orgs) else {}
    scopes: list[tuple[str, pd.DataFrame]] = []
    for r in a.jurisdictions.itertuples(index=False):
        sub = orgs[orgs["jurisdiction_code"].isna()] if pd.isna(r.code) else by_town.get(r.code, orgs.iloc[:0])
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
                 number_formats={10: PCT, 11: PCT, 12: PCT, 13: PCT},
                 notes=_notes(a, "；".join(["组织覆盖率=(单独建立+联合建立)/总数；单独组建率=单独建立/总数；"
                                           "工作覆盖率=(组织覆盖+仅工作覆盖)/总数；还需新增=⌈目标×总数⌉−组织覆盖",
                                           *_gap_notes(a, kind)])))


def _gap_notes(a: Assessment, kind: str | None = None) -> list[str]:
    """Why the towns' 还需新增 do (not) add up to the district's figure (``district_summary.gap_note``)."""
    ds = a.district_summary
    if "gap_note" not in ds.columns:
        return []
    rows = ds if kind is None else ds[ds["org_kind"] == kind]
    return [str(n) for n in rows["gap_note"] if isinstance(n, str) and n]


def _action_notes(a: Assessment) -> list[str]:
    months = "、".join(f"{m}月" for m in a.profile.get("ledger.refresh_months"))
    src = a.profile.source("ledger.refresh_months")
    day = a.assessed_on.isoformat() if a.assessed_on is not None else "—"
    return _notes(a, f"评估日期 {day}；进度安排=评估日期之后的下一个台账更新月（{months}，{src['rule']} {src['doc']} "
                     f"{src['clause']}）月底前；责任人默认为所在镇街党委（街道为党工委），可在数据库中修改")


def _cards(a: Assessment) -> list[tuple[str, str, list[list[Any]]]]:
    """``(table, org name, [[label, value], …])`` of every organization: its fields, then its actions."""
    acts = a.actions
    groups = dict(list(acts.groupby("org_id", sort=False))) if len(acts) else {}
    fields = [(key, label) for key, label in CARD_FIELDS.items() if key in a.orgs.columns]
    cards = []
    for r in a.orgs.to_dict("records"):
        table = "一企一表" if r.get("kind") == ENTERPRISE else "一社一表"
        rows = [[label, r.get(key)] for key, label in fields]
        g = groups.get(r.get("id"))
        if g is not None:
            for rec in g.to_dict("records"):
                rows.append([f"措施：{rec.get('action')}",
                             f"{rec.get('reason')}（{rec.get('rule')} {rec.get('doc')} {rec.get('clause')}）"])
                if rec.get("measure"):
                    rows.append(["　任务措施", rec.get("measure")])
                    rows.append(["　进度安排 / 责任人", f"{rec.get('due')} 前 / {rec.get('owner')}"])
        cards.append((table, str(r.get("name") or ""), rows))
    return cards


def _cards_sheet(a: Assessment) -> Sheet:
    """Every organization's card on one sheet (what ``assess --per-org`` writes)."""
    rows: list[list[Any]] = []
    for table, name, card in _cards(a):
        rows.append([f"【{table}】{name}", None, None])
        rows += [[None, label, value] for label, value in card]
        rows.append([None, None, None])
    return Sheet(name="一企一表 一社一表", headers=["单位", "项目", "内容"], rows=rows, title="一企一表 / 一社一表",
                 notes=_notes(a), widths=[36, 24, 80])


def _org_card_sheets(a: Assessment, notes: Sequence[str]) -> list[Sheet]:
    """One sheet per organization (what an export with ``per_org_sheets`` adds)."""
    return [Sheet(name=f"{n:04d} {name}", title=f"{table}：{name}", headers=["项目", "内容"], rows=card,
                  notes=list(notes), widths=[24, 80])
            for n, (table, name, card) in enumerate(_cards(a), start=1)]


def write_assessment_xlsx(assessment: Assessment, path: str | os.PathLike[str], *, per_org: bool = False,
                          notes: Sequence[str] | None = None) -> Path:
    """Write the statistics tables (BJ2016N 附件1–4) and the assessment tables to an .xlsx file.

    See :func:`assessment_sheets` for the sheets and ``notes``.
    """
    return write_workbook(path, assessment_sheets(assessment, per_org=per_org, notes=notes))


def _with_data_notes(sheets: list[Sheet], notes: Sequence[str]) -> list[Sheet]:
    """Put the workspace's data notes on top of every sheet, in place of the assessment's own demo note."""
    head = [f"注意：{n}" for n in notes]
    for sheet in sheets:
        sheet.notes = [*head, *(n for n in sheet.notes if n != f"注意：{DEMO_NOTE}")]
    return sheets


def assessment_sheets(assessment: Assessment, *, per_org: bool = False,
                      notes: Sequence[str] | None = None) -> list[Sheet]:
    """The assessment's worksheets, ready for :func:`lianxin_geo.present.xlsx.write_workbook`.

    Sheets: 附件1–4, 覆盖率, 措施清单, 阵地达标, 经费测算, 联系点候选, 策略配置, and with
    ``per_org=True`` the 一企一表/一社一表 cards. Every text cell is guarded against
    formula injection; every sheet carries the synthetic-data note when the
    ledger is demo data. ``notes`` (the workspace's ``data_notes``: demo layers,
    approximate boundaries, ledgers not given) replace that note on every sheet.
    """
    a = assessment
    jcols = {"code": "镇街代码", "name": "镇街", "kind": "类型", "orgs": "单位总数", "own": "单独建立", "joint": "联合建立",
             "work_only": "仅工作覆盖", "uncovered": "未覆盖", "org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率",
             "work_coverage_rate": "工作覆盖率", "enterprise_orgs": "非公企业数", "enterprise_org_coverage_rate": "非公企业组织覆盖率",
             "enterprise_target": "非公企业目标", "enterprise_gap_text": "非公企业差距", "social_orgs": "社会组织数",
             "social_org_coverage_rate": "社会组织组织覆盖率", "social_target": "社会组织目标", "social_gap_text": "社会组织差距",
             "members": "正式党员", "probationary": "预备党员", "with_org_activity_reported": "填报活动次数的已建组织单位",
             "active": "达到活动次数的单位", "activity_rate": "活动率", "to_form_own": "应单独组建", "joint_candidates": "联合组建候选",
             "need_members": "应有党员", "need_work_coverage": "需工作覆盖", "to_join_joint": "应纳入或联合组建",
             "to_develop_members": "应先选派发展党员"}
    pct = ("org_coverage_rate", "single_rate", "work_coverage_rate", "enterprise_org_coverage_rate", "enterprise_target",
           "social_org_coverage_rate", "social_target", "activity_rate")
    sheets = [
        _org_sheet(a, ENTERPRISE), _summary_sheet(a, ENTERPRISE), _org_sheet(a, SOCIAL), _summary_sheet(a, SOCIAL),
        frame_sheet("覆盖率", "各镇街覆盖率与目标差距", a.jurisdictions, jcols,
                    _notes(a, f"活动率=年度活动次数≥{a.profile.get('activity.min_per_year')}的已建组织单位"
                              "/填报了活动次数的已建组织单位（R27）；" + "；".join(_gap_notes(a))), pct=pct),
        frame_sheet("措施清单", "逐单位措施清单（一企一策）", a.actions, ACTION_COLUMNS, _action_notes(a)),
        frame_sheet("联合党组织检查", "现有联合党组织检查（R6–R9、R25）",
                    a.joint_orgs[a.joint_orgs["suggestion"] != ""] if len(a.joint_orgs) else a.joint_orgs,
                    JOINT_ORG_COLUMNS, _notes(a, f"现有联合党组织 {len(a.joint_orgs)} 个，本表列出违反规则的；"
                                                 "拆分：单位过多、党员过多或跨镇街；调整：正式党员不足或行业不相同也不相近")),
        frame_sheet("阵地达标", "党群活动服务中心达标情况", a.venues,
                    {"jurisdiction_code": "代码", "name": "名称", "level": "层级", "required_m2": "标准面积（㎡）",
                     "best_center": "现有最大中心", "best_m2": "面积（㎡）", "compliant": "是否达标",
                     "shortfall_m2": "缺口（㎡）", "n_centers": "中心数", "six_has_missing": "“六有”缺项",
                     "reason": "说明", "rule": "规则", "doc": "文件", "clause": "条款"}, _notes(a)),
        frame_sheet("经费测算", "党建经费测算", a.funding,
                    {"jurisdiction_code": "代码", "name": "镇街", "item": "项目", "count": "数量", "unit_amount": "标准（元）",
                     "amount_cny": "金额（元，区间为下限）", "amount_max_cny": "金额上限（元）", "basis": "测算依据",
                     "rule": "规则", "doc": "文件", "clause": "条款"}, _notes(a, "工资总额单位为万元/年")),
        frame_sheet("联系点候选", "直接联系点候选", a.contact_points,
                    {"scope_name": "范围", "category": "类别", "rank": "排序", "org_id": "单位编号", "org_name": "单位名称",
                     "kind": "组织类别", "employees": "从业人员", "members": "正式党员", "status": "覆盖状态",
                     "reason": "理由", "rule": "规则", "doc": "文件", "clause": "条款"}, _notes(a)),
        frame_sheet("策略配置", "本次评估使用的策略配置", pd.DataFrame(a.profile.table()),
                    {"key": "配置项", "value": "取值", "rule": "规则", "doc": "文件", "clause": "条款", "note": "说明"},
                    _notes(a)),
    ]
    if per_org:
        sheets.append(_cards_sheet(a))
    return sheets if notes is None else _with_data_notes(sheets, notes)


# ---------------------------------------------------------------- the plans
def _joint_sheets(joint: JointPlan, ws: Workspace, notes: Sequence[str]) -> list[Sheet]:
    names = ws.district.town_names
    units = joint.units
    urows, mrows = [], []
    for u in units.itertuples(index=False):
        town = names.get(str(u.jurisdiction_code), u.jurisdiction_code)
        has_venue = not pd.isna(u.venue_name)
        urows.append([u.unit_id, town, u.jurisdiction_code, getattr(u, "form", ""), u.industry, len(u.org_ids), u.members,
                      u.employees, u.hub_id, u.hub_name, round(float(u.radius_m), 1),
                      u.venue_name if has_venue else "", u.venue_type if has_venue else "",
                      round(float(u.venue_distance_m), 1) if has_venue else None, u.reason])
        for k, (oid, oname) in enumerate(zip(u.org_ids, u.org_names), start=1):
            mrows.append([u.unit_id, k, oid, oname, "是" if str(oid) == str(u.hub_id) else "否", town])
    st, fund = joint.stats, joint.funding
    head = [f"新建联建单元 {st.get('units', len(units))} 个；纳入 {st.get('placed', '')} 家；未纳入 {st.get('unplaced', '')} 家；"
            f"保留现有联合党组织 {st.get('kept_units', '')} 个"]
    if st.get("mean_orgs_per_unit") is not None:
        forms = "、".join(f"{k} {v} 个" for k, v in dict(st.get("units_by_form") or {}).items())
        head.append(f"平均每个单元 {float(st['mean_orgs_per_unit']):.1f} 家单位；正式党员达到 "
                    f"{st.get('committee_min_members', '')} 名、可设支委会的单元 {st.get('units_with_committee', '')} 个"
                    + (f"；按形式：{forms}" if forms else ""))
    if fund.get("note"):
        head.append(f"经费（{fund.get('rule', '')}）：{fund.get('note')}")
    sheets = [
        Sheet(name="联建单元", title="联建方案：每个联建单元一行",
              headers=["联建单元", "镇街", "镇街代码", "联建形式", "行业", "单位数", "正式党员", "从业人员", "牵头单位编号",
                       "牵头单位", "半径（米）", "建议活动场所", "场所类型", "场所距离（米）", "理由"],
              rows=urows, notes=[*notes, *head]),
        Sheet(name="联建成员", title="联建方案：每个成员单位一行",
              headers=["联建单元", "序号", "单位编号", "单位名称", "是否牵头", "镇街"], rows=mrows, notes=list(notes)),
        frame_sheet("未纳入联建", "未纳入联建的单位及下一步", joint.unplaced,
                    {"org_id": "单位编号", "name": "单位名称", "jurisdiction_code": "镇街代码", "reason": "原因",
                     "next_option": "下一步"}, notes),
    ]
    kept = joint.kept_units
    if len(kept) and "violations" in kept.columns:
        krows = [[k.joint_org_id, names.get(str(k.jurisdiction_code), k.jurisdiction_code), len(k.org_ids), k.members,
                  "；".join(f"{v.get('rule', '')} {v.get('message', '')}".strip() for v in (k.violations or [])) or "符合",
                  getattr(k, "suggestion", "") or ""]
                 for k in kept.itertuples(index=False)]
        sheets.append(Sheet(name="现有联合党组织", title="现有联合党组织：按规则检查（保留原组织，违反规则的给出拆分/调整建议）",
                            headers=["联合党组织编号", "镇街", "单位数", "正式党员", "违反的规则", "建议"], rows=krows,
                            notes=list(notes)))
    if len(joint.violations):
        v = joint.violations
        sheets.append(frame_sheet("联建校验", "联建方案独立校验：违反的规则", v,
                                  {"unit_id": "联建单元", "rule": "规则", "code": "规则代码", "message": "说明"}, notes))
    return sheets


def _source_text(source: object) -> str:
    """The distance source in Chinese (each part of ``a + b`` translated)."""
    text = str(source or "")
    return DISTANCE_SOURCES.get(text) or "、".join(DISTANCE_SOURCES.get(p, p) for p in text.split(" + ") if p) or "—"


def _route_sheets(routes: InstructorPlan, notes: Sequence[str]) -> list[Sheet]:
    key = route_key(routes.routes)
    names = routes.stops.groupby(route_key(routes.stops), sort=False)["name"].agg(list).to_dict()

    def day(r: Any) -> str:
        days = int(getattr(r, "days", 1) or 1)
        return f"第 {int(getattr(r, 'day', 1) or 1)}/{days} 天" if days > 1 else "1 天"

    rrows = [[getattr(r, key), r.instructor_id, getattr(r, "instructor", ""), getattr(r, "instructor_kind", ""), day(r),
              r.town_name, r.jurisdiction_code, r.base_name, r.stops, round(float(r.length_km), 3),
              round(float(r.minutes), 1), r.status, getattr(r, "note", ""),
              "、".join(map(str, names.get(getattr(r, key), []))), r.amap, r.baidu]
             for r in routes.routes.itertuples(index=False)]
    st = routes.stats
    head = [f"共 {st.get('orgs', '')} 家单位、{st.get('instructors', '')} 名指导员；"
            f"距离来源：{_source_text(st.get('distance_source'))}；"
            f"车速 {st.get('speed_kmh', '')} 公里/小时、每家走访 {st.get('visit_minutes', '')} 分钟"]
    sheet = routes.route_sheet()
    sheets = [
        Sheet(name="指导员路线", title="指导员走访路线：每名指导员每天一行（超过一天工作时间的分多天走访）",
              headers=["路线编号", "指导员编号", "指导员", "类别", "第几天", "镇街", "镇街代码", "出发/返回", "走访单位数",
                       "里程（公里）", "用时（分钟）", "状态", "说明", "走访单位（按顺序）", "高德导航", "百度导航"],
              rows=rrows, notes=[*notes, *head]),
        Sheet(name="路线单", title="指导员路线单（每站一行，出发点在首尾）", headers=list(sheet.columns),
              rows=[[cell_value(v) for v in rec] for rec in sheet.itertuples(index=False, name=None)],
              notes=list(notes)),
        frame_sheet("指导员配置", "各镇街指导员需求与路线统计", routes.towns,
                    {"jurisdiction_code": "镇街代码", "town_name": "镇街", "orgs": "需指导单位",
                     "instructors_needed": "需指导员", "instructors_available": "现有指导员（每人计一次）",
                     "instructors_named": "安排的现有指导员", "instructors_new": "新增指导员岗位",
                     "instructors_gap": "缺口（＝新增岗位）", "orgs_kept": "保留原指导员的单位",
                     "orgs_to_named": "新分给现有指导员的单位", "orgs_to_new": "分给新增岗位的单位",
                     "routes_split": "分多天走访的指导员", "minutes_max": "最长一天用时（分钟）", "orgs_min": "每人最少单位", "orgs_mean": "每人平均单位",
                     "orgs_max": "每人最多单位", "routes_below_band": "低于下限的路线", "km_total": "总里程（公里）",
                     "km_mean": "平均里程（公里）", "km_max": "最长里程（公里）"}, notes),
    ]
    if len(routes.unassigned):
        un = pd.DataFrame({"org_id": routes.unassigned["org_id"], "reason": routes.unassigned["reason"].map(str)})
        sheets.append(frame_sheet("未分配指导员", "未分配指导员的单位", un, {"org_id": "单位编号", "reason": "原因"}, notes))
    return sheets


def _coverage_sheets(cov: CoveragePlan, notes: Sequence[str]) -> list[Sheet]:
    pct = ("orgs_share", "members_share", "employees_share", "orgs_share_after", "members_share_after",
           "employees_share_after")
    return [
        frame_sheet("建议新增阵地", "建议新增党群活动服务中心（按增益排序）", cov.proposed_sites,
                    {"rank": "排序", "site_id": "候选点编号", "kind": "候选类型", "name": "名称", "lon": "经度", "lat": "纬度",
                     "jurisdiction_name": "镇街", "newly_covered_orgs": "新增覆盖组织", "newly_covered_employees": "新增覆盖从业人员",
                     "newly_covered_members": "新增覆盖党员", "newly_covered_buildings": "新增覆盖楼宇", "reach_m": "服务半径（米）",
                     "level": "层级", "required_m2": "标准面积（㎡）", "reason": "理由"}, notes),
        frame_sheet("阵地覆盖", "各镇街阵地服务范围覆盖情况（新增前/后）", cov.jurisdictions,
                    {"jurisdiction_code": "镇街代码", "name": "镇街", "kind": "类型", "orgs": "组织数",
                     "orgs_covered": "在服务范围内", "orgs_share": "覆盖比例", "orgs_share_after": "新增后覆盖比例",
                     "members_share": "党员覆盖比例", "employees_share": "从业人员覆盖比例", "orgs_unlocated": "未定位",
                     "orgs_uncovered": "未覆盖", "buildings": "楼宇", "buildings_uncovered": "未覆盖楼宇"}, notes,
                    pct=pct),
        frame_sheet("覆盖缺口", "覆盖缺口（六边形网格，缺口大者在前）", cov.gaps,
                    {"cell_id": "网格", "lon": "经度", "lat": "纬度", "jurisdiction_code": "镇街代码", "orgs": "未覆盖组织",
                     "employees": "从业人员", "members": "党员"}, notes),
    ]


def _validation_sheet(ws: Workspace, notes: Sequence[str]) -> Sheet:
    labels = {"orgs": "组织台账", "buildings": "楼宇台账", "parks": "园区台账", "centers": "阵地台账"}
    rows: list[list[Any]] = []
    summary = []
    for kind, res in ws.ledgers.items():
        summary.append(f"{labels.get(kind, kind)}：读入 {res.rows_in} 行，接受 {res.n_accepted}，"
                       f"拒绝 {res.n_rejected}（来源 {res.source}）")
        for i in res.issues:
            rows.append([labels.get(kind, kind), i.row, i.column, i.value, i.severity, i.reason])
    return Sheet(name="台账校验", title="台账校验报告", headers=["台账", "行号", "列", "原值", "级别", "原因"], rows=rows,
                 notes=[*notes, *summary])


def plan_sheets(plans: PlansLike, ws: Workspace, notes: Sequence[str]) -> list[Sheet]:
    """The sheets of the plans given (the planners' typed results): 联建单元, 联建成员, 未纳入联建 (联建校验);
    指导员路线, 路线单, 指导员配置 (未分配指导员); 建议新增阵地, 阵地覆盖, 覆盖缺口."""
    p = as_plans(plans)
    sheets: list[Sheet] = []
    if p.joint is not None:
        sheets += _joint_sheets(p.joint, ws, notes)
    if p.routes is not None:
        sheets += _route_sheets(p.routes, notes)
    if p.coverage is not None:
        sheets += _coverage_sheets(p.coverage, notes)
    return sheets


# ---------------------------------------------------------------- the combined workbook
def workbook_sheets(ws: Workspace, *, assessment: Assessment, plans: PlansLike = None,
                    per_org_sheets: bool = False) -> list[Sheet]:
    """Every sheet of an export's workbook: 说明 (contents), the assessment, the plans, 台账校验, and with
    ``per_org_sheets`` one sheet per organization."""
    notes = list(ws.data_notes)
    body = assessment_sheets(assessment, per_org=False, notes=notes) + plan_sheets(plans, ws, notes)
    body.append(_validation_sheet(ws, notes))
    if per_org_sheets:
        body += _org_card_sheets(assessment, notes)
    contents = [[i, s.name, s.title or ""] for i, s in enumerate(body, start=1)]
    intro = Sheet(name="说明", title=f"{ws.district.name}两新党建统计与规划表",
                  headers=["序号", "工作表", "内容"], rows=contents,
                  notes=[*[f"注意：{n}" for n in notes], f"生成日期：{_dt.date.today().isoformat()}；由 lianxin-geo 生成"])
    return [intro, *body]
