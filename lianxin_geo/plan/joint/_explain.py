"""The Chinese texts of a joint-unit proposal: why a unit, why an org was left out, what next.

Used only by :mod:`lianxin_geo.plan.joint.plan`. Every number in a text comes from the
rule values (:class:`~lianxin_geo.plan.joint.params.JointParams`) or the data.
"""

from __future__ import annotations

from collections.abc import Sequence

from lianxin_geo.plan.joint.params import FORM_AREA, FORM_INDUSTRY, JointParams
from lianxin_geo.plan.joint.solver import (
    KIND_AREA,
    KIND_BUILDING,
    KIND_COMMUNITY,
    KIND_CROSS_TOWN,
    KIND_SIMILAR,
    NEXT_CROSS_TOWN,
    NEXT_SIMILAR,
    REASON_FULL,
    REASON_NEIGHBOURS,
    REASON_PARTITION_TOTAL,
    REASON_ZERO_MEMBER,
)

__all__ = ["KIND_TEXT", "MISSING_COORDS", "NO_TOWN", "industry_rule", "next_option", "not_regrouped", "or_keep",
           "unit_reason", "unplaced_reason"]

KIND_TEXT = {
    KIND_BUILDING: "楼宇/园区联建",
    KIND_AREA: "同业联建（同镇街、同行业）",
    KIND_SIMILAR: "同业联建（行业相同或相近）",
    KIND_CROSS_TOWN: "同业联建（相邻镇街）",
    KIND_COMMUNITY: "区域联建（同社区或相邻街区，不限行业）",
}

#: (reason, next option) of an eligible org without coordinates / without a town.
MISSING_COORDS = ("缺少坐标", "补充经纬度或可定位的地址后重新生成方案")
NO_TOWN = ("无法确定所属镇街（坐标在辖区外且未填写所属镇街）", "核对坐标或填写所属镇街后重新生成方案")


def industry_rule(params: JointParams) -> str:
    """The industry rule of 同业联建 as configured (R6), e.g. 行业相同或相近."""
    return "行业相同或相近" if params.allow_similar_industry else "行业相同"


def unit_reason(*, kind: str, town_text: str, site: str, groups: Sequence[str], n_orgs: int, members: int,
                hub_label: str, hub_members: int, hub_employees: int, radius_m: float, limit_m: float,
                params: JointParams, site_kind: str = "") -> str:
    """Why these orgs form one unit: kind, towns, shared site, industries, members, cap, hub, distance."""
    head = form if (form := _FORM_OF_SITE.get(site_kind)) and kind == KIND_BUILDING else KIND_TEXT[kind]
    return (f"{head}：{town_text}{'（' + site + '）' if site else ''}"
            f"{n_orgs}家单位，行业{'、'.join(groups)}，正式党员合计{members}名"
            f"（不少于{params.min_members}名、不超过{params.max_members}名），"
            f"单位数{n_orgs}家（上限{params.max_units}家）；"
            f"牵头单位{hub_label}（党员{hub_members}名、从业人员{hub_employees}人），"
            f"最远成员距牵头单位{radius_m:.0f}米（上限{limit_m:.0f}米）")


_FORM_OF_SITE = {"building": "楼宇联建", "park": "园区联建"}


def unplaced_reason(code: int, *, kind_word: str, radius_m: float, area_radius_m: float, has_community: bool,
                    cross_town_next: bool, params: JointParams) -> str:
    """Why the solver left an org out (its ``REASON_*`` code), naming the rule that stopped it.

    The industry rule is the configured one (行业相同, or 行业相同或相近 when similar industries are
    allowed); the forms are those of the profile; 区域联建 names its own area (community or radius).
    """
    if code == REASON_ZERO_MEMBER:
        return ("无党员单位只能并入同楼宇/园区的联建单位（R24），所在楼宇/园区没有可并入的联建单位")
    ind_on, area_on = FORM_INDUSTRY in params.forms, FORM_AREA in params.forms
    rule = industry_rule(params)
    town = f"（属地管理：不跨{kind_word}联建，R25）" if cross_town_next else ""
    area_where = "同一社区" if has_community else f"{area_radius_m:.0f}米范围内"
    area = (f"；{area_where}各行业单位党员合计也不足{params.min_members}名，不能区域联建" if area_on else "")
    if not ind_on and not area_on:
        return (f"策略配置的联建形式（joint.forms）只有{'、'.join(params.forms)}：该单位不在楼宇/园区内，"
                f"或所在楼宇/园区的联建对象党员合计不足{params.min_members}名（R8）")
    if not ind_on:
        area = f"{area_where}各行业单位党员合计不足{params.min_members}名（R8），不能区域联建"
        return area + town
    if code == REASON_PARTITION_TOTAL:
        return f"本{kind_word}{rule}的单位党员合计不足{params.min_members}名（R6、R8）{town}{area}"
    if code == REASON_NEIGHBOURS:
        return (f"{radius_m:.0f}米范围内（地域相邻）{rule}的单位党员合计不足{params.min_members}名（R6、R8）"
                f"{town}{area}")
    if code == REASON_FULL:
        return (f"{radius_m:.0f}米范围内{rule}的单位都已编入联建单位，且这些联建单位已达单位数上限"
                f"{params.max_units}家（R7）")
    also = f"；{area_where}各行业单位也无法区域联建" if area_on else ""
    return (f"{radius_m:.0f}米范围内{rule}的单位已编入其他联建单位，或在单位数（≤{params.max_units}家，R7）、"
            f"党员数（{params.min_members}–{params.max_members}名，R8、R9）和距牵头单位距离的限制下无法组成联建单位"
            f"{town}{also}")


def next_option(code: int, params: JointParams) -> str:
    """What to do for an org left out (its ``NEXT_*`` code)."""
    if code == NEXT_SIMILAR:
        return "可开启相近行业联建（joint.allow_similar_industry），与附近相近行业单位联建"
    if code == NEXT_CROSS_TOWN:
        return "可允许跨镇街联建（联建方案页勾选“允许跨镇街联建”），与相邻镇街同行业单位联建"
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
