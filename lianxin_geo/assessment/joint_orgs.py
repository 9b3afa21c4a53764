"""Existing joint party organizations checked as a whole (R6–R9, R25) with a suggested action.

One row per ``joint_org_id`` among the orgs covered by a joint party organization: its member units,
formal and all members, towns/streets and industry groups, the rules it breaks and what to do about it
(拆分 for too many units, too many members or several towns; 调整 for too few formal members or an
industry mix that is neither the same nor similar). Thresholds and switches come from
:class:`~lianxin_geo.assessment.rules.RuleParams`; which industry groups are "相近" comes from the
profile's ``industry.similar`` through :func:`lianxin_geo.core.industry.similar_groups` (the caller
passes the mapping, so this module needs no profile).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from lianxin_geo.assessment.rules import (
    A_JOINT_CROSS_TOWN, A_JOINT_MIXED_INDUSTRY, A_JOINT_TOO_BIG, A_JOINT_TOO_FEW, A_JOINT_TOO_MANY, RuleParams,
)

__all__ = ["SPLIT", "ADJUST", "SUGGESTIONS", "JOINT_ORG_COLUMNS", "joint_org_frame", "joint_org_action_rows",
           "mixed_industry"]

SPLIT = "拆分"
ADJUST = "调整"
#: The suggested action of each joint-org flag.
SUGGESTIONS: dict[str, str] = {
    A_JOINT_TOO_MANY: SPLIT, A_JOINT_TOO_BIG: SPLIT, A_JOINT_CROSS_TOWN: SPLIT,
    A_JOINT_TOO_FEW: ADJUST, A_JOINT_MIXED_INDUSTRY: ADJUST,
}
#: (RuleParams attribute, rule) whose source each flag cites.
_CITES: dict[str, tuple[str, str]] = {
    A_JOINT_TOO_MANY: ("joint_max_units", "R7"), A_JOINT_TOO_FEW: ("joint_min_members_total", "R8"),
    A_JOINT_TOO_BIG: ("joint_max_members", "R9"), A_JOINT_CROSS_TOWN: ("joint_allow_cross_town", "R25"),
    A_JOINT_MIXED_INDUSTRY: ("joint_allow_similar_industry", "R6"),
}
JOINT_ORG_COLUMNS = ["joint_org_id", "units", "formal_members", "members", "jurisdiction_codes", "industry_groups",
                     "org_ids", "violations", "rules", "reasons", "suggestion", "rule", "doc", "clause"]


def mixed_industry(groups: list[str], similar: Mapping[str, frozenset[str]] | None, *, allow_similar: bool) -> bool:
    """True when two of ``groups`` are neither the same nor (when allowed) "相近"."""
    uniq = sorted(set(groups))
    for a_i, a in enumerate(uniq):
        for b in uniq[a_i + 1:]:
            near = allow_similar and similar is not None and (b in similar.get(a, frozenset())
                                                              or a in similar.get(b, frozenset()))
            if not near:
                return True
    return False


def _one_place(values: list[str]) -> str:
    """The building/park every member shares ('' when they do not all share one)."""
    vals = set(values)
    return next(iter(vals)) if len(vals) == 1 and "" not in vals else ""


def joint_org_frame(df: pd.DataFrame, p: RuleParams, *, groups: np.ndarray | None = None,
                    similar: Mapping[str, frozenset[str]] | None = None) -> pd.DataFrame:
    """Check every existing joint party organization of a normalised org frame.

    Parameters
    ----------
    df
        Normalised orgs (:func:`~lianxin_geo.assessment.rules.normalize_orgs`).
    p
        Rule thresholds: ``joint_max_units`` (R7), ``joint_min_members_total`` (R8), ``joint_max_members``
        (R9), ``joint_allow_cross_town`` (R25), ``joint_allow_similar_industry`` (R6).
    groups
        Industry group label of each row (``None`` unknown); without it the industry rule is not checked.
    similar
        Group label -> the labels the profile counts as "相近".

    Returns
    -------
    DataFrame
        :data:`JOINT_ORG_COLUMNS`, one row per joint org id, ordered by id; ``violations`` lists the flag
        labels, ``reasons`` their Chinese reasons, ``suggestion`` is 拆分, 调整 or "" (no violation). The
        industry rule does not apply when all members are in one commercial building or park (楼宇/园区联建
        may mix industries).
    """
    jid = df["joint_org_id"].to_numpy(dtype=object)
    has = (df["party_status"].to_numpy(dtype=object) == "联合建立") & (jid != "")
    if not has.any():
        return pd.DataFrame(columns=JOINT_ORG_COLUMNS)
    sub = df.loc[has, ["id", "joint_org_id", "members", "probationary", "jurisdiction_code", "building", "park"]]
    sub = sub.assign(_g=(groups[has] if groups is not None else None))
    rows = []
    for j, g in sub.groupby("joint_org_id", sort=True):
        rows.append(_check_one(str(j), g, p, similar, with_industry=groups is not None))
    return pd.DataFrame(rows, columns=JOINT_ORG_COLUMNS)


def _check_one(j: str, g: pd.DataFrame, p: RuleParams, similar: Mapping[str, frozenset[str]] | None, *,
               with_industry: bool) -> dict[str, Any]:
    units = len(g)
    formal = int(g["members"].sum())
    total = int((g["members"] + g["probationary"]).sum())
    codes = sorted({c for c in g["jurisdiction_code"] if isinstance(c, str) and c})
    labels = sorted({x for x in g["_g"] if isinstance(x, str) and x}) if with_industry else []
    place = _one_place(list(g["building"])) or _one_place(list(g["park"]))
    flags: list[tuple[str, str]] = []
    if units > p.joint_max_units:
        flags.append((A_JOINT_TOO_MANY, f"联合党组织 {j} 覆盖 {units} 家单位，超过 {p.joint_max_units} 家，应拆分"))
    if formal < p.joint_min_members_total:
        flags.append((A_JOINT_TOO_FEW, f"联合党组织 {j} 正式党员合计 {formal} 名，不足 {p.joint_min_members_total} 名，"
                      "应调整：并入相邻联合党组织或吸纳有正式党员的单位"))
    if total > p.joint_max_members:
        flags.append((A_JOINT_TOO_BIG, f"联合党组织 {j} 党员合计 {total} 名，超过 {p.joint_max_members} 名，应拆分或升格"))
    if len(codes) > 1 and not p.joint_allow_cross_town:
        flags.append((A_JOINT_CROSS_TOWN, f"联合党组织 {j} 成员单位分属 {len(codes)} 个镇街（{'、'.join(codes)}），"
                      "不符合属地管理，应按镇街拆分"))
    if (labels and not place
            and mixed_industry(labels, similar, allow_similar=p.joint_allow_similar_industry)):
        near = "相同或相近" if p.joint_allow_similar_industry else "相同"
        flags.append((A_JOINT_MIXED_INDUSTRY, f"联合党组织 {j} 成员单位行业分属 {len(labels)} 类（{'、'.join(labels)}），"
                      f"不都{near}，也不在同一楼宇或园区，应调整为行业{near}的单位联建"))
    sugg = SPLIT if any(SUGGESTIONS[f[0]] == SPLIT for f in flags) else (ADJUST if flags else "")
    cites = [p.cite(*_CITES[f[0]]) for f in flags]
    first = cites[0] if cites else ("", "", "")
    return {"joint_org_id": j, "units": units, "formal_members": formal, "members": total,
            "jurisdiction_codes": codes, "industry_groups": labels, "org_ids": [str(x) for x in g["id"]],
            "violations": [f[0] for f in flags], "rules": [c[0] for c in cites], "reasons": [f[1] for f in flags],
            "suggestion": sugg, "rule": first[0], "doc": first[1], "clause": first[2]}


def joint_org_action_rows(frame: pd.DataFrame, ids: np.ndarray, p: RuleParams
                          ) -> list[tuple[int, str, str, tuple[str, str, str]]]:
    """``(row, action, reason, (rule, doc, clause))`` for every member org of every flagged joint org."""
    pos = {str(v): i for i, v in enumerate(ids)}
    out = []
    for r in frame.itertuples(index=False):
        for action, reason in zip(r.violations, r.reasons):
            cite = p.cite(*_CITES[action])
            out.extend((pos[o], action, reason, cite) for o in r.org_ids if o in pos)
    return out
