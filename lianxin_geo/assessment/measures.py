"""一企一策: the measure (任务措施), due date (进度安排) and owner (责任人) of every action row.

* ``measure``: one concrete Chinese sentence per action kind (:data:`MEASURES`).
* ``due``: the last day of the first ledger refresh month (``ledger.refresh_months``, R20: the ledger is
  brought up to date every half year, SY2017 第十三条) strictly after the month of the assessment date —
  the next check-point at which the refreshed ledger shows whether the action was carried out. Assessed
  on 2026-03-10 with months [6, 11]: due 2026-06-30; on 2026-06-15: 2026-11-30; on 2026-12-01: 2027-06-30.
* ``owner``: the party committee of the org's town/street by default (镇/地区: "<name>党委"; 街道:
  "<name>党工委", the street's party working committee); "区委社会工委" for orgs without a town/street.
  Planners edit it later (the store keeps the edited value).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING, Sequence

import pandas as pd

from lianxin_geo.assessment.joint_orgs import SUGGESTIONS
from lianxin_geo.assessment.rules import (
    A_DEVELOP_MEMBERS, A_FIVE_CLEAR, A_FORM_OWN, A_JOIN_JOINT, A_JOINT_CANDIDATE, A_JOINT_CROSS_TOWN,
    A_JOINT_MIXED_INDUSTRY, A_JOINT_TOO_BIG, A_JOINT_TOO_FEW, A_JOINT_TOO_MANY, A_LEAVE_JOINT, A_NEED_MEMBERS,
    A_UPGRADE_COMMITTEE, A_UPGRADE_GENERAL, A_WORK_COVERAGE,
)

if TYPE_CHECKING:  # pragma: no cover
    from lianxin_geo.core.policy import Profile

__all__ = ["MEASURES", "NO_TOWN_OWNER", "due_date", "owner_of", "annotate_actions", "MEASURE_COLUMNS"]

#: 任务措施 of each action kind (``{own}``: ``thresholds.own_org_min_members``, ``{joint_min}``:
#: ``joint.min_members_total``).
MEASURES: dict[str, str] = {
    A_FORM_OWN: "召开党员大会选举支部委员会（书记），报上级党组织审批成立党组织，两年内落实启动经费",
    A_LEAVE_JOINT: "从所在联合党组织转出党员组织关系，报上级党组织审批单独成立党组织",
    A_JOIN_JOINT: "由镇街党委将其纳入就近联合党组织或牵头与同行业、同楼宇（园区）单位联合组建，同时发展党员，"
                  "正式党员达到{own}名后单独组建",
    A_DEVELOP_MEMBERS: "由镇街党委选派党建工作指导员或党员骨干进驻，确定入党积极分子并培养发展党员，"
                       "正式党员达到{own}名后单独组建",
    A_NEED_MEMBERS: "摸清职工中的党员（含组织关系不在本单位的流动党员），培养发展入党积极分子",
    A_UPGRADE_GENERAL: "报上级党组织批准，按程序召开党员大会改建为党总支，下设党支部",
    A_UPGRADE_COMMITTEE: "报上级党组织批准，按程序召开党员代表大会或党员大会成立基层党委",
    A_JOINT_CANDIDATE: "按楼宇、园区、同行业或片区与相邻单位联合组建党支部（见联建方案）",
    A_WORK_COVERAGE: "选派党建工作指导员联系指导，或推动建立工会、共青团、妇联组织，实现党的工作覆盖",
    A_FIVE_CLEAR: "到单位逐项摸清并补填台账“五个清”（经营运行、职工队伍、党员队伍、出资人（负责人）情况和未建党组织原因）",
    A_JOINT_TOO_MANY: "拆分联合党组织：按楼宇、园区或行业把成员单位分为若干个不超过上限的联合党支部",
    A_JOINT_TOO_BIG: "拆分联合党组织或经批准升格为联合党总支",
    A_JOINT_CROSS_TOWN: "按属地拆分联合党组织：各镇街的成员单位分别由所在镇街组建或纳入联合党组织",
    A_JOINT_TOO_FEW: "调整联合党组织：并入相邻联合党组织，或吸纳有正式党员的单位，使正式党员合计达到{joint_min}名以上",
    A_JOINT_MIXED_INDUSTRY: "调整联合党组织成员：按行业相同或相近重新组合，或改为同一楼宇（园区）联建",
}
NO_TOWN_OWNER = "区委社会工委"
MEASURE_COLUMNS = ["suggestion", "measure", "due", "owner"]


def due_date(assessed_on: dt.date, refresh_months: Sequence[int]) -> dt.date:
    """Last day of the first refresh month strictly after the month of ``assessed_on``."""
    months = sorted({int(m) for m in refresh_months})
    if not months:
        raise ValueError("ledger.refresh_months 不能为空")
    y, m0 = assessed_on.year, assessed_on.month
    later = [m for m in months if m > m0]
    y, month = (y, later[0]) if later else (y + 1, months[0])
    return dt.date(y, month, calendar.monthrange(y, month)[1])


def owner_of(code: object, names: dict[str, str], kinds: dict[str, str | None]) -> str:
    """The default 责任人 of an org in jurisdiction ``code``."""
    if not isinstance(code, str) or code not in names:
        return NO_TOWN_OWNER
    return f"{names[code]}{'党工委' if kinds.get(code) == '街道' else '党委'}"


def annotate_actions(actions: pd.DataFrame, juris: pd.DataFrame, profile: "Profile", *,
                     assessed_on: dt.date) -> pd.DataFrame:
    """Return ``actions`` with ``suggestion`` (拆分/调整 for joint-org flags, else ""), ``measure``,
    ``due`` (ISO date, from ``ledger.refresh_months``) and ``owner``."""
    fill = {"own": profile.get("thresholds.own_org_min_members"), "joint_min": profile.get("joint.min_members_total")}
    texts = {a: t.format(**fill) for a, t in MEASURES.items()}
    names = {str(c): str(n) for c, n in zip(juris["code"], juris["name"])}
    kinds = {str(c): (None if k is None or pd.isna(k) else str(k)) for c, k in zip(juris["code"], juris["kind"])}
    due = due_date(assessed_on, profile.get("ledger.refresh_months")).isoformat()
    out = actions.copy()
    out["suggestion"] = out["action"].map(lambda a: SUGGESTIONS.get(a, "")).astype(object)
    out["measure"] = out["action"].map(lambda a: texts.get(a, "")).astype(object)
    out["due"] = pd.Series([due] * len(out), index=out.index, dtype=object)
    out["owner"] = out["jurisdiction_code"].map(lambda c: owner_of(c, names, kinds)).astype(object)
    return out
