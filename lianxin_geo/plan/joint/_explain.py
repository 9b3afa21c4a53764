"""The Chinese texts of a joint-unit proposal: why a unit, why an org was left out, what next.

Used only by :mod:`lianxin_geo.plan.joint.plan`. Every number in a text comes from the
rule values (:class:`~lianxin_geo.plan.joint.params.JointParams`) or the data.
"""

from __future__ import annotations

from collections.abc import Sequence

from lianxin_geo.plan.joint.params import JointParams
from lianxin_geo.plan.joint.solver import (
    KIND_AREA,
    KIND_BUILDING,
    KIND_CROSS_TOWN,
    KIND_SIMILAR,
    NEXT_CROSS_TOWN,
    NEXT_SIMILAR,
    REASON_NEIGHBOURS,
    REASON_PARTITION_TOTAL,
    REASON_ZERO_MEMBER,
)

__all__ = ["KIND_TEXT", "MISSING_COORDS", "NO_TOWN", "next_option", "not_regrouped", "or_keep", "unit_reason",
           "unplaced_reason"]

KIND_TEXT = {
    KIND_BUILDING: "楼宇/园区联建",
    KIND_AREA: "就近联建（同镇街、同行业）",
    KIND_SIMILAR: "相近行业联建",
    KIND_CROSS_TOWN: "跨镇街联建（相邻镇街）",
}

#: (reason, next option) of an eligible org without coordinates / without a town.
MISSING_COORDS = ("缺少坐标", "补充经纬度或可定位的地址后重新生成方案")
NO_TOWN = ("无法确定所属镇街（坐标在辖区外且未填写所属镇街）", "核对坐标或填写所属镇街后重新生成方案")


def unit_reason(*, kind: str, town_text: str, site: str, groups: Sequence[str], n_orgs: int, members: int,
                hub_label: str, hub_members: int, hub_employees: int, radius_m: float, limit_m: float,
                params: JointParams) -> str:
    """Why these orgs form one unit: kind, towns, shared site, industries, members, cap, hub, distance."""
    return (f"{KIND_TEXT[kind]}：{town_text}{'（' + site + '）' if site else ''}"
            f"{n_orgs}家单位，行业{'、'.join(groups)}，正式党员合计{members}名"
            f"（不少于{params.min_members}名、不超过{params.max_members}名），"
            f"单位数{n_orgs}家（上限{params.max_units}家）；"
            f"牵头单位{hub_label}（党员{hub_members}名、从业人员{hub_employees}人），"
            f"最远成员距牵头单位{radius_m:.0f}米（上限{limit_m:.0f}米）")


def unplaced_reason(code: int, *, kind_word: str, radius_m: float, params: JointParams) -> str:
    """Why the solver left an org out (its ``REASON_*`` code)."""
    if code == REASON_PARTITION_TOTAL:
        return f"本{kind_word}同行业党员合计不足{params.min_members}名"
    if code == REASON_NEIGHBOURS:
        return f"{radius_m:.0f}米范围内同行业单位党员合计不足{params.min_members}名"
    if code == REASON_ZERO_MEMBER:
        return "无党员单位只能并入同楼宇/园区的联建单位，所在楼宇/园区没有可并入的联建单位"
    which = "同行业或相近行业" if params.allow_similar_industry else "同行业"
    return (f"{radius_m:.0f}米范围内{which}单位已编入其他联建单位或在单位数（≤{params.max_units}家）、"
            f"党员数和距离限制下无法组成联建单位")


def next_option(code: int, params: JointParams) -> str:
    """What to do for an org left out (its ``NEXT_*`` code)."""
    if code == NEXT_SIMILAR:
        return "可开启相近行业联建（joint.allow_similar_industry），与附近相近行业单位联建"
    if code == NEXT_CROSS_TOWN:
        return "可开启跨镇街联建（--cross-town），与相邻镇街同行业单位联建"
    return f"选派党建指导员实现工作覆盖（R11），党员达到{params.own_org_min_members}名后单独组建"


def not_regrouped(*, joint_org_id: str, members: int, in_site: bool, params: JointParams) -> tuple[str, str]:
    """(reason, next option) of a member of an existing joint org that re-optimizing may not regroup."""
    if members >= params.own_org_min_members:
        return (f"原属联合党组织{joint_org_id}；正式党员{members}名，已达到单独建立党组织的条件"
                f"（不少于{params.own_org_min_members}名），不再编入新的联建单位",
                f"单独建立党组织（R2），建立前暂留原联合党组织{joint_org_id}")
    if members <= 0:
        why = ("本策略配置不将楼宇/园区内无党员单位纳入联建（joint.include_zero_member_in_building）" if in_site
               else "不在楼宇/园区内")
        return (f"原属联合党组织{joint_org_id}；无正式党员，{why}，按规则不能编入新的联建单位",
                f"保留在原联合党组织{joint_org_id}，或选派党建指导员实现工作覆盖（R11）")
    return (f"原属联合党组织{joint_org_id}；不属于联建对象，不能编入新的联建单位",
            f"保留在原联合党组织{joint_org_id}")


def or_keep(next_text: str, joint_org_id: str) -> str:
    """The next option of a regroupable member of an existing joint org left out: keeping its old org comes first."""
    return f"保留在原联合党组织{joint_org_id}，或{next_text}"
