"""Per-organization rules: coverage status and required actions (R1–R11, R20); joint-org flags come in as ``extra``.

Vectorised over the rows of a normalised org frame; every threshold comes from
:class:`RuleParams` (built from a policy profile by :meth:`RuleParams.from_profile`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.model import ENTERPRISE, FIVE_CLEAR, ORG_SCHEMA, PARTY_JOINT, PARTY_NONE, PARTY_OWN, SOCIAL

if TYPE_CHECKING:  # pragma: no cover
    from lianxin_geo.core.policy import Profile

__all__ = [
    "STATUS_OWN", "STATUS_JOINT", "STATUS_WORK", "STATUS_NONE", "STATUSES",
    "A_FORM_OWN", "A_NEED_MEMBERS", "A_LEAVE_JOINT", "A_UPGRADE_GENERAL", "A_UPGRADE_COMMITTEE",
    "A_JOINT_CANDIDATE", "A_WORK_COVERAGE", "A_FIVE_CLEAR", "A_JOINT_TOO_MANY", "A_JOINT_TOO_FEW",
    "A_JOINT_TOO_BIG", "A_JOIN_JOINT", "A_DEVELOP_MEMBERS", "A_JOINT_CROSS_TOWN", "A_JOINT_MIXED_INDUSTRY",
    "FORMING_ACTIONS", "JOINT_ORG_ACTIONS", "RuleParams", "normalize_orgs", "evaluate",
]

STATUS_OWN = "单独建立"
STATUS_JOINT = "联合建立"
STATUS_WORK = "仅工作覆盖"
STATUS_NONE = "未覆盖"
STATUSES = (STATUS_OWN, STATUS_JOINT, STATUS_WORK, STATUS_NONE)

A_FORM_OWN = "应单独建立党组织"
A_NEED_MEMBERS = "应有党员"
A_LEAVE_JOINT = "应从联合党组织中分出单独组建"
A_UPGRADE_GENERAL = "应升格为党总支"
A_UPGRADE_COMMITTEE = "应升格为基层党委"
A_JOINT_CANDIDATE = "联合组建候选"
A_WORK_COVERAGE = "应选派党建指导员或建立群团组织"
A_FIVE_CLEAR = "补齐“五个清”"
A_JOINT_TOO_MANY = "所在联合党组织覆盖单位过多"
A_JOINT_TOO_FEW = "所在联合党组织正式党员不足"
A_JOINT_TOO_BIG = "所在联合党组织党员超过支部上限"
#: 应建单位（R4/R5）有党员但正式党员不足、尚未建立党组织：现在能做的是纳入或联合组建联合党组织。
A_JOIN_JOINT = "应纳入联合党组织或联合组建"
#: 应建单位（R4/R5）没有党员，或仅联合覆盖且正式党员不足：先选派、发展党员，达到条件后单独组建。
A_DEVELOP_MEMBERS = "应选派党员、发展党员，具备条件后单独组建"
A_JOINT_CROSS_TOWN = "所在联合党组织跨镇街"
A_JOINT_MIXED_INDUSTRY = "所在联合党组织行业不相同也不相近"
#: Actions after which the org has a party org of its own now (own-org start-up funds, R17).
FORMING_ACTIONS = (A_FORM_OWN, A_LEAVE_JOINT)
#: Flags on an existing joint party organization as a whole (R6–R9, R25).
JOINT_ORG_ACTIONS = (A_JOINT_TOO_MANY, A_JOINT_TOO_FEW, A_JOINT_TOO_BIG, A_JOINT_CROSS_TOWN, A_JOINT_MIXED_INDUSTRY)

# Citations of rules that carry no threshold (POLICY.md); thresholds come from the profile.
_RULE_SOURCES: dict[str, tuple[str, str]] = {
    "R1": ("SY2017", "第六条"),
    "R6": ("SY2017; TN2020", "第六条; 4"),
    "R10": ("BJ2016N; TN2020", "二.6; 4"),
    "R11": ("SY2017; BJ2016N", "第六条; 一"),
}


@dataclass(frozen=True)
class RuleParams:
    """The thresholds the per-org rules read (see ``docs/policy.md``)."""

    own_org_min_members: int
    enterprise_members_employees: int
    enterprise_org_employees: int
    entity_social_staff: int
    entity_social_types: tuple[str, ...]
    city_level_social_group_org: bool
    mandatory_requires_own: bool
    branch_max_members: int
    committee_min_members: int
    joint_max_units: int
    joint_min_members_total: int
    joint_max_members: int
    include_zero_member_in_building: bool
    five_clear_required: bool
    joint_allow_cross_town: bool
    joint_allow_similar_industry: bool
    sources: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @classmethod
    def from_profile(cls, profile: "Profile") -> "RuleParams":
        g = profile.get
        keys = {
            "own_org_min_members": "thresholds.own_org_min_members",
            "enterprise_members_employees": "thresholds.enterprise_members_employees",
            "enterprise_org_employees": "thresholds.enterprise_org_employees",
            "entity_social_staff": "thresholds.entity_social_staff",
            "city_level_social_group_org": "thresholds.city_level_social_group_org",
            "mandatory_requires_own": "thresholds.mandatory_requires_own",
            "branch_max_members": "thresholds.branch_max_members",
            "committee_min_members": "thresholds.committee_min_members",
            "joint_max_units": "joint.max_units",
            "joint_min_members_total": "joint.min_members_total",
            "joint_max_members": "joint.max_members",
            "include_zero_member_in_building": "joint.include_zero_member_in_building",
            "five_clear_required": "ledger.five_clear_required",
            "joint_allow_cross_town": "joint.allow_cross_town",
            "joint_allow_similar_industry": "joint.allow_similar_industry",
        }
        sources = {}
        for attr, key in keys.items():
            s = profile.source(key)
            sources[attr] = (s["rule"], s["doc"], s["clause"])
        s = profile.source("thresholds.entity_social_types")
        sources["entity_social_types"] = (s["rule"], s["doc"], s["clause"])
        return cls(**{attr: g(key) for attr, key in keys.items()},
                   entity_social_types=tuple(g("thresholds.entity_social_types")), sources=sources)

    def cite(self, attr: str, rule: str) -> tuple[str, str, str]:
        """(rule, doc, clause) of a threshold attribute; the digest's citation as fallback."""
        if attr in self.sources:
            return self.sources[attr]
        doc, clause = _RULE_SOURCES.get(rule, ("", ""))
        return rule, doc, clause


def _text(s: pd.Series) -> pd.Series:
    return pd.Series(s.astype(object).where(s.notna(), "").astype(str).str.strip().to_numpy(dtype=object),
                     index=s.index, dtype=object)


def normalize_orgs(orgs: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with every ORG_SCHEMA key present, typed for the rules.

    Counts become floats with NaN for unknown employees/payroll/activities and
    0 for missing members; text columns become ``str`` ("" when empty);
    ``id`` defaults to the row number, ``jurisdiction_code`` to ``None``.
    """
    df = orgs.copy().reset_index(drop=True)
    n = len(df)
    if "id" not in df.columns:
        df["id"] = [str(i + 1) for i in range(n)]
    df["id"] = df["id"].astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                           else str(v))
    if "jurisdiction_code" not in df.columns:
        df["jurisdiction_code"] = None
    df["jurisdiction_code"] = df["jurisdiction_code"].astype(object).map(
        lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""
        else str(v).strip())
    for col in ORG_SCHEMA.columns:
        if col.key not in df.columns:
            df[col.key] = col.default if col.default is not None else (np.nan if col.type in ("int", "float", "lon", "lat") else "")
    for key in ("members", "probationary"):
        df[key] = pd.to_numeric(df[key], errors="coerce").fillna(0).clip(lower=0).astype("int64")
    for key in ("employees", "payroll", "activities"):
        df[key] = pd.to_numeric(df[key], errors="coerce").astype("float64")
    for col in ORG_SCHEMA.columns:
        if col.type not in ("int", "float", "lon", "lat"):
            df[col.key] = _text(df[col.key]).astype(object)
    df.loc[df["party_status"] == "", "party_status"] = PARTY_NONE
    return df


def _new_org_type(total: np.ndarray, p: RuleParams) -> np.ndarray:
    return np.where(total >= p.committee_min_members, "党委",
                    np.where(total > p.branch_max_members, "党总支", "党支部")).astype(object)


def evaluate(df: pd.DataFrame, p: RuleParams, *,
             extra: Sequence[tuple[int, str, str, tuple[str, str, str]]] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the rules to a normalised org frame.

    ``extra`` adds action rows computed elsewhere (``(row, action, reason, (rule, doc, clause))``: the checks
    of existing joint party organizations, :func:`lianxin_geo.assessment.joint_orgs.joint_org_action_rows`).

    Returns
    -------
    status : DataFrame
        Indexed like ``df``: ``status``, ``status_reason``, ``status_rule``,
        ``new_org_type``, ``five_clear_missing`` (list of headers).
    actions : DataFrame
        Long frame: ``row`` (position in ``df``), ``org_id``, ``action``, ``reason``,
        ``rule``, ``doc``, ``clause``.
    """
    n = len(df)
    ps = df["party_status"].to_numpy(dtype=object)
    kind = df["kind"].to_numpy(dtype=object)
    m = df["members"].to_numpy(dtype=np.int64)
    prob = df["probationary"].to_numpy(dtype=np.int64)
    total = m + prob
    emp = df["employees"].to_numpy(dtype=float)
    emp_ok = np.isfinite(emp)
    emp0 = np.where(emp_ok, emp, -1)
    instr = df["instructor"].to_numpy(dtype=object) != ""
    mass = df["mass_org"].to_numpy(dtype=object) != ""
    own = ps == PARTY_OWN
    joint = ps == PARTY_JOINT
    none = ~(own | joint)
    work = none & (instr | mass)

    status = np.where(own, STATUS_OWN, np.where(joint, STATUS_JOINT, np.where(work, STATUS_WORK, STATUS_NONE)))
    ptype = df["party_org_type"].to_numpy(dtype=object)
    reasons, rules = _status_reasons(df, own=own, joint=joint, work=work, instr=instr, mass=mass)

    rows: list[tuple[int, str, str, tuple[str, str, str]]] = []

    def add(mask: np.ndarray, action: str, cite: tuple[str, str, str], reason_fn: Any) -> None:
        for i in np.flatnonzero(mask):
            rows.append((int(i), action, reason_fn(int(i)), cite))

    k = p.own_org_min_members
    mandatory_gap = ~own if p.mandatory_requires_own else none

    def _emp(i: int) -> str:
        return f"{int(emp[i])}" if emp_ok[i] else "未知"

    # R2: >= k formal members and no party org
    add(none & (m >= k), A_FORM_OWN, p.cite("own_org_min_members", "R2"),
        lambda i: f"有正式党员 {m[i]} 名（≥ {k} 名），应单独建立党组织")
    # R10: in a joint org but now >= k formal members
    add(joint & (m >= k), A_LEAVE_JOINT, p.cite("", "R10"),
        lambda i: f"联合党组织成员单位已有正式党员 {m[i]} 名（≥ {k} 名），具备单独组建条件，应单独组建")
    # R4 / R5: orgs that should have a party org; the action is what the org can do now (seeds: >= k formal
    # members -> own org; fewer -> join or form a joint org; none -> send and develop members first)
    is_ent = kind == ENTERPRISE
    is_soc = kind == SOCIAL
    stype = df["social_type"].to_numpy(dtype=object)
    entity = is_soc & np.isin(stype, list(p.entity_social_types)) & emp_ok & (emp0 >= p.entity_social_staff)
    city = np.zeros(n, dtype=bool)
    if p.city_level_social_group_org:
        city = is_soc & (stype == "社会团体") & (df["registration_level"].to_numpy(dtype=object) == "市级及以上")
        city &= ~entity
    mandatory = (
        (is_ent & emp_ok & (emp0 >= p.enterprise_org_employees), "enterprise_org_employees", "R4",
         lambda i: f"非公企业从业人员 {_emp(i)} 人（≥ {p.enterprise_org_employees} 人），应建立党组织"),
        (entity, "entity_social_staff", "R5",
         lambda i: f"实体性社会组织（{stype[i]}）从业人员 {_emp(i)} 人（≥ {p.entity_social_staff} 人），应建立党组织"),
        (city, "city_level_social_group_org", "R5", lambda i: "市级以上社会团体应建立党组织"),
    )
    for mask, attr, rule, why in mandatory:
        _mandatory_actions(add, mask & mandatory_gap, p.cite(attr, rule), why, k=k, m=m, total=total, joint=joint)
    # R3: enterprises >= 50 employees should have party members
    add(is_ent & emp_ok & (emp0 >= p.enterprise_members_employees) & (total == 0), A_NEED_MEMBERS,
        p.cite("enterprise_members_employees", "R3"),
        lambda i: f"非公企业从业人员 {_emp(i)} 人（≥ {p.enterprise_members_employees} 人），应有党员，目前没有党员")
    # R9: upgrade large own orgs
    t = np.where(ptype == "", "党支部", ptype)
    note = lambda i: "（党组织类型未填，按党支部计）" if ptype[i] == "" else ""  # noqa: E731
    committee = own & (total >= p.committee_min_members) & (t != "党委")
    add(committee, A_UPGRADE_COMMITTEE, p.cite("committee_min_members", "R9"),
        lambda i: f"党员 {total[i]} 名（≥ {p.committee_min_members} 名），现为{t[i]}{note(i)}，应经批准成立基层党委")
    general = own & ~committee & (total > p.branch_max_members) & (t == "党支部")
    add(general, A_UPGRADE_GENERAL, p.cite("branch_max_members", "R9"),
        lambda i: f"党员 {total[i]} 名（超过 {p.branch_max_members} 名），现为党支部{note(i)}，应升格为党总支")
    # R6: joint formation candidates
    bld = df["building"].to_numpy(dtype=object) != ""
    cand = none & (m < k) & (total > 0)
    if p.include_zero_member_in_building:
        cand |= none & (total == 0) & bld
    add(cand, A_JOINT_CANDIDATE, p.cite("", "R6"),
        lambda i: (f"有党员 {total[i]} 名（正式 {m[i]} 名，不足 {k} 名），应按行业相近、地域相邻联合建立党组织"
                   if total[i] > 0 else "楼宇内无党员单位，按配置纳入楼宇联建"))
    # R11: no members and no work coverage
    add(none & ~work & (total == 0), A_WORK_COVERAGE, p.cite("", "R11"),
        lambda i: "没有党员，应选派党建工作指导员或建立工青妇群团组织，实现党的工作覆盖")
    # R20: five-clear fields of orgs without a party org
    missing_lists: list[list[str]] = [[] for _ in range(n)]
    if p.five_clear_required:
        cols = {k2: df[k2].to_numpy(dtype=object) == "" for k2 in FIVE_CLEAR}
        for i in np.flatnonzero(none):
            missing_lists[i] = [FIVE_CLEAR[k2] for k2 in FIVE_CLEAR if cols[k2][i]]
        add(none & np.array([bool(x) for x in missing_lists], dtype=bool), A_FIVE_CLEAR,
            p.cite("five_clear_required", "R20"),
            lambda i: "未建党组织，缺少“五个清”信息：" + "、".join(missing_lists[i]))
    rows.extend(extra)

    actions = _actions_frame(rows, df["id"].to_numpy(dtype=object))
    out = pd.DataFrame(
        {
            "status": status.astype(object),
            "status_reason": reasons,
            "status_rule": rules,
            "new_org_type": _new_org_type(total, p),
            "five_clear_missing": pd.Series(missing_lists, dtype=object),
        },
        index=df.index,
    )
    return out, actions


def _mandatory_actions(add: Any, mask: np.ndarray, cite: tuple[str, str, str], why: Any, *, k: int,
                       m: np.ndarray, total: np.ndarray, joint: np.ndarray) -> None:
    """R4/R5: the action an org that should have a party org can carry out now.

    ``k`` or more formal members: 应单独建立党组织 (joint-covered orgs: the same, they leave the joint org).
    Fewer, not yet covered, with party members: 应纳入联合党组织或联合组建. No members at all, or joint-covered
    with fewer than ``k`` formal members: 应选派党员、发展党员 first, an own organization later.
    """
    cov = lambda i: "（目前仅联合覆盖）" if joint[i] else ""  # noqa: E731
    add(mask & (m >= k), A_FORM_OWN, cite,
        lambda i: f"{why(i)}{cov(i)}；有正式党员 {m[i]} 名（≥ {k} 名），具备单独组建条件")
    add(mask & (m < k) & (total > 0) & ~joint, A_JOIN_JOINT, cite,
        lambda i: (f"{why(i)}；现有正式党员 {m[i]} 名（党员共 {total[i]} 名），不足 {k} 名，暂不能单独组建："
                   f"先纳入就近联合党组织或与同行业、同楼宇单位联合组建，同时发展党员，正式党员达到 {k} 名后单独组建"))
    add(mask & (m < k) & ((total == 0) | joint), A_DEVELOP_MEMBERS, cite,
        lambda i: (f"{why(i)}{cov(i)}；" + (f"现有正式党员 {m[i]} 名，不足 {k} 名" if total[i] else "目前没有党员")
                   + f"：由上级党组织选派党员、培养发展党员，正式党员达到 {k} 名后单独组建"))


def _status_reasons(df: pd.DataFrame, *, own: np.ndarray, joint: np.ndarray, work: np.ndarray, instr: np.ndarray,
                    mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reason (Chinese) and rule id of each org's coverage status."""
    n = len(df)
    m = df["members"].to_numpy(dtype=np.int64)
    ptype = df["party_org_type"].to_numpy(dtype=object)
    jid = df["joint_org_id"].to_numpy(dtype=object)
    reasons = np.empty(n, dtype=object)
    rules = np.empty(n, dtype=object)
    for i in range(n):
        if own[i]:
            reasons[i] = f"已单独建立党组织（{ptype[i] or '类型未填'}）"
            rules[i] = "R1"
        elif joint[i]:
            reasons[i] = f"已由联合党组织{(' ' + jid[i]) if jid[i] else ''}覆盖（正式党员 {m[i]} 名）"
            rules[i] = "R6"
        elif work[i]:
            parts = []
            if instr[i]:
                parts.append(f"已选派党建指导员（{df['instructor'].iat[i]}）")
            if mass[i]:
                parts.append(f"已建立群团组织（{df['mass_org'].iat[i]}）")
            reasons[i] = "未建党组织；" + "，".join(parts) + "，实现党的工作覆盖"
            rules[i] = "R11"
        else:
            reasons[i] = "未建党组织，也未选派党建指导员或建立群团组织"
            rules[i] = "R1"
    return reasons, rules


def _actions_frame(rows: list[tuple[int, str, str, tuple[str, str, str]]], ids: np.ndarray) -> pd.DataFrame:
    """The long action frame (``row``, ``org_id``, ``action``, ``reason``, ``rule``, ``doc``, ``clause``), by row."""
    rows = sorted(rows, key=lambda r: r[0])
    actions = pd.DataFrame(
        {
            "row": [r[0] for r in rows],
            "org_id": [ids[r[0]] for r in rows],
            "action": [r[1] for r in rows],
            "reason": [r[2] for r in rows],
            "rule": [r[3][0] for r in rows],
            "doc": [r[3][1] for r in rows],
            "clause": [r[3][2] for r in rows],
        }
    )
    for c in ("org_id", "action", "reason", "rule", "doc", "clause"):
        actions[c] = actions[c].astype(object)
    actions["row"] = actions["row"].astype("int64")
    return actions
