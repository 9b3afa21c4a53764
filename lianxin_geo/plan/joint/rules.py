"""Independent checker of joint party-unit proposals (联建方案校验).

This module never imports the optimizer: it re-derives every rule from the
ledger, the district and the rule values (:class:`~lianxin_geo.plan.joint.params.JointParams`),
measures distances on the WGS-84 ellipsoid (:func:`lianxin_geo.core.distance.geodesic_m`),
and lists *every* violation of a proposal, whoever made it (the optimizer, a planner in
Excel, an old plan).

A violation is a plain dict ``{unit_id, rule, code, message}`` with a Chinese
message naming the unit, the orgs, the values and the limit.

Codes
-----
``unknown_org`` (unit names an id not in the ledger), ``duplicate_org`` (org in
two units), ``ineligible_org`` (org not a joint candidate), ``max_units`` (R7),
``min_members`` (R8), ``max_members`` (R9), ``mixed_industry`` (R6),
``cross_town`` (R25 属地), ``radius`` (地域相邻, R6), ``hub_not_member``,
``missing_coordinates``, ``zero_member_outside_building`` (R23/R24),
``empty_unit``, ``not_same_site`` (a 楼宇联建/园区联建 unit holds an org outside the hub's
building/park), ``community`` (a 区域联建 unit spans communities), ``form_not_allowed`` (the
profile's ``joint.forms`` does not list the unit's form), ``unknown_form``; and, for a whole plan (:func:`check_accounting`), ``unaccounted_org``
(an org the plan must account for is in no unit, no kept unit and not listed as
unplaced), ``double_accounted`` (an org in more than one of them),
``unplaced_without_reason`` and ``kept_not_joint`` (a kept unit lists an org that is
not a member of that existing joint org).

The helpers that turn a ledger into per-org rule inputs (:func:`org_groups`,
:func:`groups_similar`, :func:`default_eligible`, :func:`existing_joint_mask`,
:func:`town_adjacency`, :func:`radius_per_org`) live here too, so that the planner
and the checker read the rules the same way while computing independently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.distance import geodesic_m
from lianxin_geo.core.district import District
from lianxin_geo.core.frames import column, numbers, texts
from lianxin_geo.core.industry import industry_group, similar_groups
from lianxin_geo.core.model import PARTY_JOINT, PARTY_OWN
from lianxin_geo.core.policy import Profile, as_profile
from lianxin_geo.plan.joint.params import FORM_AREA, FORM_BUILDING, FORM_INDUSTRY, FORM_PARK, FORMS, JointParams
from lianxin_geo.plan.joint.result import JointPlan

__all__ = [
    "UNCLASSIFIED",
    "VIOLATION_CODES",
    "accounted_mask",
    "check_accounting",
    "check_kept_units",
    "check_units",
    "site_form",
    "default_eligible",
    "existing_joint_mask",
    "groups_similar",
    "org_groups",
    "radius_per_org",
    "town_adjacency",
    "validate_proposal",
]

#: code -> (rule id, short Chinese title)
VIOLATION_CODES: dict[str, tuple[str, str]] = {
    "unknown_org": ("数据", "未知单位编号"),
    "duplicate_org": ("R1", "单位重复编入"),
    "ineligible_org": ("R6", "不属于联建对象"),
    "max_units": ("R7", "单位数超过上限"),
    "min_members": ("R8", "正式党员合计不足"),
    "max_members": ("R9", "党员数超过上限"),
    "mixed_industry": ("R6", "行业不相同或不相近"),
    "cross_town": ("R25", "跨镇街联建"),
    "radius": ("R6", "距离牵头单位过远"),
    "hub_not_member": ("R6", "牵头单位不在本联建单位中"),
    "missing_coordinates": ("R6", "缺少坐标无法核验距离"),
    "zero_member_outside_building": ("R24", "无党员单位不在同一楼宇/园区"),
    "empty_unit": ("R6", "联建单位为空"),
    "not_same_site": ("R23", "楼宇/园区联建单位不在同一楼宇/园区"),
    "community": ("R6", "区域联建单位不在同一社区"),
    "form_not_allowed": ("R6", "联建形式未在策略配置中启用"),
    "unknown_form": ("数据", "未知的联建形式"),
    "unaccounted_org": ("R1", "联建对象未计入方案"),
    "double_accounted": ("R1", "单位在方案中出现多次"),
    "unplaced_without_reason": ("数据", "未编入单位缺少原因"),
    "kept_not_joint": ("数据", "保留的联合党组织含非其成员单位"),
}

#: Group label of an org whose industry is unknown (similar to no other group).
UNCLASSIFIED = "未分类"


# --------------------------------------------------------------------------- industry groups
def org_groups(orgs: pd.DataFrame, profile: Profile | str | None = None) -> pd.Series:
    """Industry-group label of every org (:data:`UNCLASSIFIED` when the industry is unknown).

    The profile's grouping (:func:`lianxin_geo.core.industry.industry_group`) on ``industry``,
    with ``social_type``, ``kind``, ``park`` and ``building`` for custom groups.
    """
    labels = industry_group(column(orgs, "industry"), as_profile(profile), column(orgs, "social_type"),
                            kind=column(orgs, "kind"), park=column(orgs, "park"), building=column(orgs, "building"))
    return pd.Series(labels, index=orgs.index, dtype=object).map(
        lambda v: UNCLASSIFIED if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else str(v))


def groups_similar(a: str, b: str, profile: Profile | str | None = None) -> bool:
    """True when two group labels are equal or similar (相近) under the profile's ``industry.similar``."""
    if a == b:
        return True
    if UNCLASSIFIED in (a, b):
        return False
    prof = as_profile(profile)
    return b in similar_groups(a, prof) or a in similar_groups(b, prof)


# --------------------------------------------------------------------------- eligibility
def _counts(orgs: pd.DataFrame, col: str) -> np.ndarray:
    """A count column as floats, missing as 0."""
    return np.nan_to_num(numbers(orgs, col, default=0.0), nan=0.0)


def _flags(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A yes/no column as booleans, missing as False."""
    return column(frame, col).map(lambda v: bool(v) if v is not None and v is not pd.NA
                                  and not (isinstance(v, float) and np.isnan(v)) else False).to_numpy(dtype=bool)


def _town_kinds(district: District | None) -> dict[str, str]:
    """Town code -> kind (街道, 镇, 地区 …)."""
    if district is None:
        return {}
    return dict(zip(district.jurisdictions["code"].astype(str), district.jurisdictions["kind"].astype(str)))


def existing_joint_mask(orgs: pd.DataFrame) -> np.ndarray:
    """Orgs already in a joint org (party_status 联合建立 with a joint_org_id)."""
    return (texts(orgs, "party_status") == PARTY_JOINT) & (texts(orgs, "joint_org_id") != "")


def default_eligible(orgs: pd.DataFrame, params: JointParams, *, reoptimize: bool = False) -> np.ndarray:
    """Joint candidates: the ``joint_candidate`` column when present, else the ledger rule.

    Rule: party_status is not 单独建立 and ``0 < members < own_org_min_members``; with the
    zero-member switch on, also zero-member orgs in a building or park. Members of existing
    joint orgs are candidates only when ``reoptimize``; then every member the rule admits is
    one, whatever the ``joint_candidate`` column says (an assessment never marks orgs that
    already sit in a joint org).
    """
    members = _counts(orgs, "members")
    own = texts(orgs, "party_status") == PARTY_OWN
    rule = ~own & (members > 0) & (members < params.own_org_min_members)
    if params.include_zero_member_in_building:
        in_site = (texts(orgs, "building") != "") | (texts(orgs, "park") != "")
        rule = rule | ((members <= 0) & in_site & ~own)
    if "joint_candidate" in orgs.columns:
        elig = _flags(orgs, "joint_candidate")
        if params.include_zero_member_in_building:
            elig = elig | (rule & (members <= 0))
    else:
        elig = rule
    existing = existing_joint_mask(orgs)
    return elig | (existing & rule) if reoptimize else elig & ~existing


def accounted_mask(orgs: pd.DataFrame, params: JointParams, *, reoptimize: bool = False) -> np.ndarray:
    """Orgs a joint plan must account for: the candidates and every member of an existing joint org.

    Each must end in exactly one of a new unit, a kept existing unit or the unplaced list (with a
    reason); see :func:`check_accounting`.
    """
    return default_eligible(orgs, params, reoptimize=reoptimize) | existing_joint_mask(orgs)


def town_adjacency(district: District | None) -> set[frozenset[str]]:
    """Pairs of jurisdiction codes whose polygons touch or intersect."""
    if district is None:
        return set()
    jur = district.jurisdictions
    codes = jur["code"].astype(str).tolist()
    geoms = np.asarray(jur.geometry.values)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    return {frozenset((codes[i], codes[j])) for i, j in zip(a.tolist(), b.tolist()) if i != j}


def radius_per_org(orgs: pd.DataFrame, district: District | None, params: JointParams) -> np.ndarray:
    """Distance limit of every org: the street value in 街道, the town value elsewhere."""
    kinds = _town_kinds(district)
    return np.array([params.max_radius_m_street if kinds.get(c, "") == "街道" else params.max_radius_m_town
                     for c in texts(orgs, "jurisdiction_code").tolist()], dtype=float)


# --------------------------------------------------------------------------- checking
def _v(unit_id, code: str, message: str) -> dict[str, str]:
    rule = VIOLATION_CODES[code][0]
    return {"unit_id": "" if unit_id is None else str(unit_id), "rule": rule, "code": code, "message": message}


def _unit_list(proposal: JointPlan | pd.DataFrame | Mapping[str, Any] | Iterable[Mapping[str, Any]]
               ) -> list[Mapping[str, Any]]:
    if isinstance(proposal, JointPlan):
        proposal = proposal.units
    if isinstance(proposal, pd.DataFrame):
        return proposal.to_dict(orient="records")
    if isinstance(proposal, Mapping):
        return list(proposal.get("units", []))
    return list(proposal)


def check_units(
    units: Iterable[Mapping[str, Any]],
    orgs: pd.DataFrame,
    *,
    groups: Sequence[str] | pd.Series,
    eligible: Sequence[bool] | np.ndarray,
    radius_m: Sequence[float] | np.ndarray | float,
    max_units: int,
    min_members: int,
    max_members: int,
    allow_similar: bool,
    allow_cross_town: bool,
    adjacent: set[frozenset[str]] | None = None,
    profile: Profile | str | None = None,
    forms: Sequence[str] | None = None,
    area_radius_m: float | None = None,
) -> list[dict[str, str]]:
    """List every violation of ``units`` against explicit rule values.

    The rules depend on the unit's ``form`` (联建形式): 同业联建 (and a unit without a form) must
    keep the industry rule; 楼宇联建/园区联建 must keep all members in the hub's building/park
    (any industry); 区域联建 must keep all members in one community (ledger column ``community``)
    or, for members without one, within ``area_radius_m`` of the hub (any industry). Every form
    keeps R7–R9, 属地 (R25), the town/street distance limit and the zero-member rule.

    Parameters
    ----------
    units
        Dicts with ``unit_id``, ``org_ids`` and optionally ``hub_id`` (default: the member with
        most members, then employees).
    orgs
        Ledger rows with ``id``, ``lon``, ``lat``, ``jurisdiction_code``, ``members`` (and
        ``employees``, ``building``, ``park`` when present).
    groups, eligible, radius_m
        Per-org industry group, joint-candidate flag and distance limit (aligned with ``orgs``).
    max_units, min_members, max_members
        R7 cap, R8 floor, R9 ceiling.
    allow_similar
        Whether similar industries may mix.
    allow_cross_town, adjacent
        Whether adjacent towns may mix and which code pairs are adjacent.
    profile
        The profile whose ``industry.similar`` says which groups are similar (``None``: the default).
    forms
        The forms the profile allows (``None``: any of :data:`~lianxin_geo.plan.joint.params.FORMS`).
    area_radius_m
        区域联建 distance limit of a member without a community (``None``: the town/street limit only).

    Returns
    -------
    list of dict
        ``[{unit_id, rule, code, message}]``; empty when the proposal is valid.
    """
    prof = as_profile(profile)
    ids = orgs["id"].astype(str).tolist()
    pos = {k: i for i, k in enumerate(ids)}
    lon, lat = numbers(orgs, "lon"), numbers(orgs, "lat")
    members = _counts(orgs, "members").astype(int)
    employees = _counts(orgs, "employees")
    towns = texts(orgs, "jurisdiction_code").tolist()
    bld = texts(orgs, "building").tolist()
    prk = texts(orgs, "park").tolist()
    grp = list(groups)
    elig = np.asarray(eligible, dtype=bool)
    rad = np.broadcast_to(np.asarray(radius_m, dtype=float), (len(orgs),))
    adjacent = adjacent or set()
    names = texts(orgs, "name").tolist()
    comm = texts(orgs, "community").tolist()
    allowed = tuple(forms) if forms is not None else FORMS

    def label(i: int) -> str:
        return f"{ids[i]}（{names[i]}）" if names[i] else ids[i]

    out: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for u in units:
        uid = u.get("unit_id", "")
        raw_ids = [str(k) for k in (u.get("org_ids") or [])]
        if not raw_ids:
            out.append(_v(uid, "empty_unit", f"联建单位 {uid} 没有成员单位"))
            continue
        idx: list[int] = []
        for k in raw_ids:
            if k not in pos:
                out.append(_v(uid, "unknown_org", f"联建单位 {uid} 含未知单位编号 {k}：台账中没有该单位，请核对编号"))
                continue
            if k in seen:
                out.append(_v(uid, "duplicate_org",
                              f"单位 {label(pos[k])} 同时编入联建单位 {seen[k]} 和 {uid}：一个单位只能编入一个联合党组织"))
            else:
                seen[k] = str(uid)
            if not elig[pos[k]]:
                out.append(_v(uid, "ineligible_org",
                              f"单位 {label(pos[k])} 不属于联建对象（正式党员 {members[pos[k]]} 名或已单独建立/已在联合党组织中）"))
            if pos[k] not in idx:
                idx.append(pos[k])
        if not idx:
            continue
        n_orgs = len(idx)
        if n_orgs > max_units:
            out.append(_v(uid, "max_units", f"联建单位 {uid} 含 {n_orgs} 家单位，超过上限 {max_units} 家"))
        total = int(members[idx].sum())
        if total < min_members:
            out.append(_v(uid, "min_members", f"联建单位 {uid} 正式党员合计 {total} 名，不足 {min_members} 名，不能成立党支部"))
        if total > max_members:
            out.append(_v(uid, "max_members", f"联建单位 {uid} 党员合计 {total} 名，超过上限 {max_members} 名，应分设或升格"))
        form, found = _form_and_industry(uid, u.get("form"), sorted({grp[i] for i in idx}), allowed, allow_similar, prof)
        out += found
        # towns
        ut = sorted({towns[i] for i in idx})
        if len(ut) > 1:
            ok = allow_cross_town and all(frozenset((a, b)) in adjacent for ai, a in enumerate(ut) for b in ut[ai + 1:])
            if not ok:
                why = "未开启跨镇街联建" if not allow_cross_town else "镇街之间不相邻"
                out.append(_v(uid, "cross_town", f"联建单位 {uid} 跨越多个镇街（{'、'.join(ut)}），{why}"))
        # hub and radius
        hub_id = u.get("hub_id")
        if hub_id is None or str(hub_id) == "":
            hub = min(idx, key=lambda i: (-members[i], -employees[i], i))
        elif str(hub_id) not in pos or pos[str(hub_id)] not in idx:
            out.append(_v(uid, "hub_not_member", f"联建单位 {uid} 的牵头单位 {hub_id} 不在成员单位中"))
            continue
        else:
            hub = pos[str(hub_id)]
        ok_xy = np.isfinite(lon[idx]) & np.isfinite(lat[idx])
        if not np.isfinite(lon[hub]) or not np.isfinite(lat[hub]) or not ok_xy.all():
            bad = [label(i) for i in idx if not (np.isfinite(lon[i]) and np.isfinite(lat[i]))]
            out.append(_v(uid, "missing_coordinates", f"联建单位 {uid} 中 {'、'.join(bad)} 缺少坐标，无法核验距离"))
        others = [i for i in idx if i != hub and np.isfinite(lon[i]) and np.isfinite(lat[i])]
        if others and np.isfinite(lon[hub]) and np.isfinite(lat[hub]):
            d = geodesic_m(np.full(len(others), lon[hub]), np.full(len(others), lat[hub]), lon[others], lat[others])
            for i, di in zip(others, d.tolist()):
                if di > rad[i] + 1e-6:
                    out.append(_v(uid, "radius", f"单位 {label(i)} 距牵头单位 {label(hub)} {di:.0f} 米，超过上限 {rad[i]:.0f} 米"))
        out += _form_checks(uid, form, idx, hub, others, lon, lat, bld, prk, comm, rad, area_radius_m, label)
        for i in idx:
            if members[i] <= 0 and i != hub:
                same = (bld[i] != "" and bld[i] == bld[hub]) or (prk[i] != "" and prk[i] == prk[hub])
                if not same:
                    out.append(_v(uid, "zero_member_outside_building",
                                  f"无党员单位 {label(i)} 与牵头单位不在同一楼宇/园区，不能编入联建单位 {uid}"))
    return out


def _form_and_industry(uid, form: Any, ug: list[str], allowed: Sequence[str], allow_similar: bool,
                       prof: Profile) -> tuple[str | None, list[dict[str, str]]]:
    """The unit's form (``None`` when not given) and the violations of the form and industry rules.

    Only 同业联建 (and a unit without a form) keeps the industry rule (R6).
    """
    out: list[dict[str, str]] = []
    form = None if form is None or (isinstance(form, float) and np.isnan(form)) or form == "" else str(form)
    if form is not None and form not in FORMS:
        out.append(_v(uid, "unknown_form", f"联建单位 {uid} 的联建形式“{form}”未知：应为{'、'.join(FORMS)}之一"))
    elif form is not None and form not in allowed:
        out.append(_v(uid, "form_not_allowed",
                      f"联建单位 {uid} 为{form}，但策略配置的联建形式（joint.forms）只有{'、'.join(allowed)}"))
    if len(ug) > 1 and form in (None, FORM_INDUSTRY):
        ok = allow_similar and all(groups_similar(a, b, prof) for ai, a in enumerate(ug) for b in ug[ai + 1:])
        if not ok:
            why = "行业不相同" if not allow_similar else "行业既不相同也不相近"
            out.append(_v(uid, "mixed_industry", f"联建单位 {uid} 含多个行业（{'、'.join(ug)}），{why}"))
    return form, out


def _form_checks(uid, form, idx, hub, others, lon, lat, bld, prk, comm, rad, area_radius_m, label
                 ) -> list[dict[str, str]]:
    """The site rule of 楼宇联建/园区联建 and the community rule of 区域联建."""
    out: list[dict[str, str]] = []
    if form in (FORM_BUILDING, FORM_PARK):
        site = bld if form == FORM_BUILDING else prk
        word = "楼宇" if form == FORM_BUILDING else "园区"
        if site[hub] == "":
            out.append(_v(uid, "not_same_site", f"联建单位 {uid} 为{form}，但牵头单位 {label(hub)} 不在任何{word}内"))
        else:
            for i in idx:
                if site[i] != site[hub]:
                    out.append(_v(uid, "not_same_site",
                                  f"单位 {label(i)} 不在{word}“{site[hub]}”内，不能编入{form}单位 {uid}"))
    elif form == FORM_AREA:
        known = sorted({comm[i] for i in idx if comm[i]})
        if len(known) > 1 or (known and any(comm[i] == "" for i in idx)):
            out.append(_v(uid, "community", f"区域联建单位 {uid} 跨越多个社区（{'、'.join(known) or '未注明'}）"))
        loose = [i for i in others if comm[i] == "" and area_radius_m is not None]
        if loose and np.isfinite(lon[hub]) and np.isfinite(lat[hub]):
            d = geodesic_m(np.full(len(loose), lon[hub]), np.full(len(loose), lat[hub]), lon[loose], lat[loose])
            for i, di in zip(loose, d.tolist()):
                lim = min(float(rad[i]), float(area_radius_m))
                if di > lim + 1e-6 and di <= rad[i] + 1e-6:
                    out.append(_v(uid, "radius", f"区域联建单位 {uid} 中 {label(i)} 距牵头单位 {label(hub)} "
                                                 f"{di:.0f} 米，超过区域联建上限 {lim:.0f} 米"))
    return out


def site_form(org_ids: Sequence[str], orgs: pd.DataFrame, *, _sites: tuple[dict[str, str], dict[str, str]] | None = None
              ) -> str:
    """The form an existing group of orgs has by its sites: 楼宇联建 / 园区联建 when all share one, else 同业联建."""
    if _sites is None:
        ids = orgs["id"].astype(str).tolist()
        _sites = (dict(zip(ids, texts(orgs, "building").tolist())), dict(zip(ids, texts(orgs, "park").tolist())))
    known = [str(o) for o in org_ids if str(o) in _sites[0]]
    for form, site in ((FORM_BUILDING, _sites[0]), (FORM_PARK, _sites[1])):
        vals = {site[o] for o in known}
        if known and len(vals) == 1 and "" not in vals:
            return form
    return FORM_INDUSTRY


#: Violations of a kept joint org that call for splitting it rather than adjusting its members.
_SPLIT_CODES = ("max_units", "max_members")
#: What to do about each violation of a kept joint org (the suggestion lists them in this order).
_FIX_TEXT = {
    "max_units": "按镇街和行业拆分，使每个联合党组织不超过{max_units}家",
    "max_members": "党员超过{max_members}名，拆分或升格为党总支",
    "cross_town": "按属地（镇街）调整成员单位",
    "mixed_industry": "按{industry}调整成员单位",
    "radius": "距牵头单位过远的成员改就近联建",
    "min_members": "正式党员合计不足{min_members}名，并入邻近联合党组织或发展党员后再组建",
    "not_same_site": "调整为同一楼宇/园区的成员单位",
}


def check_kept_units(kept: pd.DataFrame | Iterable[Mapping[str, Any]], orgs: pd.DataFrame, *,
                     district: District | None, params: JointParams) -> list[tuple[list[dict[str, str]], str]]:
    """Check each existing joint org kept by a plan against the rules of its form; suggest 拆分 or 调整.

    Each kept unit is checked by :func:`check_units` as it stands (the form from its sites, see
    :func:`site_form`; the hub the member with most members, then employees) for the rules a
    planner can act on: R7 单位数, R8/R9 党员数, R6 行业 and 地域相邻, R25 属地, and the site of a
    楼宇/园区 unit. Eligibility and zero-member members are not checked (an existing joint org
    legitimately covers orgs without members).

    Returns
    -------
    list of (violations, suggestion)
        One per kept unit, in order: ``[{rule, message}]`` and a Chinese suggestion starting with
        拆分 or 调整 (empty when the unit breaks no rule).
    """
    orgs = orgs.reset_index(drop=True)
    groups = org_groups(orgs, params.profile)
    radius = radius_per_org(orgs, district, params)
    adjacent = town_adjacency(district) if params.allow_cross_town else set()
    industry = "行业相同或相近" if params.allow_similar_industry else "行业相同"
    ids_all = orgs["id"].astype(str).tolist()
    sites = (dict(zip(ids_all, texts(orgs, "building").tolist())), dict(zip(ids_all, texts(orgs, "park").tolist())))
    records = _records(kept)
    units = [{"unit_id": f"#{n}", "org_ids": [str(o) for o in (k.get("org_ids") or [])]} for n, k in enumerate(records)]
    for u in units:
        u["form"] = site_form(u["org_ids"], orgs, _sites=sites)
    every = check_units(units, orgs, groups=groups, eligible=np.ones(len(orgs), dtype=bool), radius_m=radius,
                        max_units=params.max_units, min_members=params.min_members, max_members=params.max_members,
                        allow_similar=params.allow_similar_industry, allow_cross_town=params.allow_cross_town,
                        adjacent=adjacent, profile=params.profile, forms=None,
                        area_radius_m=params.max_radius_m_area)
    by_unit: dict[str, list[dict[str, str]]] = {}
    for v in every:
        by_unit.setdefault(v["unit_id"], []).append(v)
    out = []
    for n, k in enumerate(records):
        kid = str(k.get("joint_org_id", ""))
        found = [{**v, "unit_id": kid, "message": v["message"].replace(f"#{n}", kid)}
                 for v in by_unit.get(f"#{n}", []) if v["code"] in _FIX_TEXT]
        codes = list(dict.fromkeys(v["code"] for v in found))
        if not codes:
            out.append(([], ""))
            continue
        verb = "拆分" if any(c in _SPLIT_CODES for c in codes) else "调整"
        fixes = [_FIX_TEXT[c].format(max_units=params.max_units, max_members=params.max_members,
                                     min_members=params.min_members, industry=industry)
                 for c in codes if c in _FIX_TEXT]
        out.append(([{"rule": v["rule"], "code": v["code"], "message": v["message"]} for v in found],
                    f"{verb}：{'；'.join(fixes) or '按规则调整成员单位'}"))
    return out


def _records(table: pd.DataFrame | Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        return table.to_dict(orient="records")
    return list(table)


def _has_chinese(text: Any) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def check_accounting(
    units: Iterable[Mapping[str, Any]],
    orgs: pd.DataFrame,
    *,
    unplaced: pd.DataFrame | Iterable[Mapping[str, Any]] | None,
    kept_units: pd.DataFrame | Iterable[Mapping[str, Any]] | None,
    eligible: Sequence[bool] | np.ndarray,
) -> list[dict[str, str]]:
    """Check that a whole plan accounts for every org exactly once (nothing is lost).

    Every org that is a candidate (``eligible``) or a member of an existing joint org must sit in
    exactly one of: a new unit, a kept existing unit, or the unplaced list with a Chinese reason.
    Orgs named twice inside the new units are :func:`check_units`' ``duplicate_org``, not repeated here.

    Parameters
    ----------
    units
        Dicts with ``unit_id`` and ``org_ids``.
    orgs
        Ledger rows with ``id`` (and ``name``, ``party_status``, ``joint_org_id``).
    unplaced
        Rows with ``org_id`` and ``reason`` (the plan's unplaced table or its records).
    kept_units
        Rows with ``joint_org_id`` and ``org_ids`` (the plan's kept existing joint orgs).
    eligible
        Per-org candidate flag (aligned with ``orgs``), as :func:`default_eligible` gives it.

    Returns
    -------
    list of dict
        ``[{unit_id, rule, code, message}]``; empty when every org is accounted for once.
    """
    ids = orgs["id"].astype(str).tolist()
    pos = {k: i for i, k in enumerate(ids)}
    names = texts(orgs, "name").tolist()
    existing = existing_joint_mask(orgs)
    jid = texts(orgs, "joint_org_id").tolist()
    scope = np.asarray(eligible, dtype=bool) | existing

    def label(i: int) -> str:
        return f"{ids[i]}（{names[i]}）" if names[i] else ids[i]

    out: list[dict[str, str]] = []
    places: dict[int, list[str]] = {}
    for u in units:
        for i in sorted({pos[str(k)] for k in (u.get("org_ids") or []) if str(k) in pos}):
            places.setdefault(i, []).append(f"联建单位 {u.get('unit_id', '')}")
    for k in _records(kept_units):
        kid = str(k.get("joint_org_id", ""))
        for o in k.get("org_ids") or []:
            if str(o) not in pos:
                out.append(_v(kid, "unknown_org", f"保留的联合党组织 {kid} 含未知单位编号 {o}：台账中没有该单位，请核对编号"))
                continue
            i = pos[str(o)]
            places.setdefault(i, []).append(f"保留的联合党组织 {kid}")
            if not existing[i] or jid[i] != kid:
                out.append(_v(kid, "kept_not_joint", f"保留的联合党组织 {kid} 含单位 {label(i)}，但台账中该单位不属于此联合党组织"))
    for r in _records(unplaced):
        o = str(r.get("org_id", ""))
        if o not in pos:
            out.append(_v("", "unknown_org", f"未编入名单含未知单位编号 {o}：台账中没有该单位，请核对编号"))
            continue
        places.setdefault(pos[o], []).append("未编入名单")
        if not _has_chinese(r.get("reason")):
            out.append(_v("", "unplaced_without_reason", f"单位 {label(pos[o])} 列入未编入名单，但没有说明原因"))
    for i in sorted(places):
        where = places[i]
        if len([w for w in where if not w.startswith("联建单位")]) + (any(w.startswith("联建单位") for w in where)) > 1:
            out.append(_v("", "double_accounted", f"单位 {label(i)} 在方案中出现多次（{'、'.join(where)}）：每个单位只能有一个去向"))
    for i in np.flatnonzero(scope).tolist():
        if i not in places:
            what = f"现有联合党组织 {jid[i]} 的成员" if existing[i] else "联建对象"
            out.append(_v("", "unaccounted_org", f"单位 {label(i)} 是{what}，但方案既未编入联建单位、也未保留原联合党组织，"
                                                 "也未列入未编入名单说明原因"))
    return out


def _plan_parts(proposal: Any) -> tuple[Any, Any, bool | None] | None:
    """(unplaced, kept_units, reoptimize) of a whole plan (a JointPlan or its ``to_json()`` dict), else None."""
    if isinstance(proposal, JointPlan):
        return proposal.unplaced, proposal.kept_units, proposal.reoptimize
    if isinstance(proposal, Mapping) and "unplaced" in proposal:
        settings = proposal.get("settings") or {}
        reo = settings.get("reoptimize") if isinstance(settings, Mapping) else None
        return proposal.get("unplaced"), proposal.get("kept_units"), None if reo is None else bool(reo)
    return None


def validate_proposal(
    proposal: JointPlan | pd.DataFrame | Mapping[str, Any] | Iterable[Mapping[str, Any]],
    orgs: pd.DataFrame,
    *,
    district: District | None = None,
    profile: Profile | str | None = None,
    cross_town: bool | None = None,
    include_zero_member_in_building: bool | None = None,
    reoptimize: bool | None = None,
    params: JointParams | None = None,
    accounting: bool | None = None,
) -> list[dict[str, str]]:
    """Check a proposal against the ledger, the district and the rules of a policy profile.

    Parameters
    ----------
    proposal
        A :class:`~lianxin_geo.plan.joint.result.JointPlan`, its ``units`` table, its ``to_json()``
        dict, or unit dicts (``unit_id``, ``org_ids``, optional ``hub_id``).
    orgs
        The org ledger (columns as in :func:`lianxin_geo.plan.joint.plan.plan_joint_units`).
    district
        Gives the 街道/镇 kind of each town (distance limit) and town adjacency.
    profile
        Policy profile (object, name or path); ``None`` for the default.
    cross_town, include_zero_member_in_building
        Override the profile switches (as the planner did).
    reoptimize
        When True, members of existing joint orgs count as candidates (``None``: the plan's own
        switch when ``proposal`` is a whole plan, else False).
    params
        The rule values instead of ``profile`` and the two switches (give one or the other).
    accounting
        Also check that every candidate and every member of an existing joint org is accounted
        for exactly once (:func:`check_accounting`); ``None``: when ``proposal`` is a whole plan
        (a ``JointPlan`` or its ``to_json()`` dict). With True and bare units, every org the plan
        must account for has to be in a unit.

    Returns
    -------
    list of dict
        ``[{unit_id, rule, code, message}]`` — empty when the proposal breaks no rule.
    """
    params = JointParams.resolve(params, profile, caller="validate_proposal", cross_town=cross_town,
                                 include_zero_member_in_building=include_zero_member_in_building)
    orgs = orgs.reset_index(drop=True)
    parts = _plan_parts(proposal)
    if reoptimize is None:
        reoptimize = bool(parts is not None and parts[2])
    units = _unit_list(proposal)
    eligible = default_eligible(orgs, params, reoptimize=reoptimize)
    out = check_units(
        units,
        orgs,
        groups=org_groups(orgs, params.profile),
        eligible=eligible,
        radius_m=radius_per_org(orgs, district, params),
        max_units=params.max_units,
        min_members=params.min_members,
        max_members=params.max_members,
        allow_similar=params.allow_similar_industry,
        allow_cross_town=params.allow_cross_town,
        adjacent=town_adjacency(district) if params.allow_cross_town else set(),
        profile=params.profile,
        forms=params.forms,
        area_radius_m=params.max_radius_m_area,
    )
    if accounting or (accounting is None and parts is not None):
        unplaced, kept, _ = parts if parts is not None else (None, None, None)
        out += check_accounting(units, orgs, unplaced=unplaced, kept_units=kept, eligible=eligible)
    return out
