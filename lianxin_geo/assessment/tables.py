"""Aggregate tables of an assessment: rates and gaps, venues, funding, contact points.

Formulas (docs/policy.md; docs/policy.md):

* 组织覆盖率 = (单独建立 + 联合建立) / 单位总数
* 单独组建率 = 单独建立 / 单位总数
* 工作覆盖率 = (单独建立 + 联合建立 + 仅工作覆盖) / 单位总数
* 还需新增 = max(0, ⌈目标 × 单位总数⌉ − 已组织覆盖)；各镇街的差距之和一般大于全区差距（每个镇街分别向上取整，
  超过目标的镇街不抵扣其他镇街），``district_summary`` 的 ``gap_towns_sum`` / ``gap_note`` 列出两者并说明
* 活动率 = 年度活动次数 ≥ activity.min_per_year 的已建党组织单位 / 填报了活动次数的已建党组织单位
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lianxin_geo.assessment.venues import (
    SIX_HAS_REQUIRED_KEY, STATUS_MISSING, STATUS_OK, STATUS_SIX_HAS, STATUS_UNKNOWN, area_verdict, best_index,
    six_has_verdict,
)
from lianxin_geo.assessment.rules import (
    A_DEVELOP_MEMBERS, A_JOIN_JOINT, A_JOINT_CANDIDATE, A_NEED_MEMBERS, A_WORK_COVERAGE, FORMING_ACTIONS,
    STATUS_JOINT, STATUS_NONE, STATUS_OWN, STATUS_WORK,
)
from lianxin_geo.core.district import District
from lianxin_geo.core.frames import flag
from lianxin_geo.core.model import ENTERPRISE, SOCIAL
from lianxin_geo.core.model import SIX_HAS

if TYPE_CHECKING:  # pragma: no cover
    from lianxin_geo.core.policy import Profile

__all__ = ["KIND_PREFIX", "jurisdiction_frame", "rate_block", "district_summary", "venues_frame",
           "funding_frame", "contact_points_frame", "gap_to_target", "gap_note", "with_town_gap_sums",
           "NO_CODE_NAME", "combine_summaries", "district_rates", "drilldown", "drilldown_tree", "DRILL_KEYS"]

KIND_PREFIX = {ENTERPRISE: "enterprise", SOCIAL: "social"}
NO_CODE_NAME = "未落位（无镇街）"
_MANDATORY_RULES = ("R2", "R3", "R4", "R5")


def gap_to_target(covered: int, n: int, target: float) -> int:
    """Orgs still to cover: ``max(0, ceil(target·n) − covered)`` (robust to float noise)."""
    if n <= 0:
        return 0
    need = math.ceil(round(target * n, 9))
    return max(0, need - int(covered))


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else float(a) / float(b)


_NOCODE = "__none__"


def _indicator_frame(orgs: pd.DataFrame, min_activities: int) -> pd.DataFrame:
    st = orgs["status"]
    with_org = st.isin([STATUS_OWN, STATUS_JOINT])
    reported = with_org & orgs["activities"].notna()
    return pd.DataFrame({
        "code": orgs["jurisdiction_code"].astype(object).where(orgs["jurisdiction_code"].notna(), _NOCODE),
        "kind": orgs["kind"].astype(object),
        "orgs": 1,
        "own": (st == STATUS_OWN).astype("int64"),
        "joint": (st == STATUS_JOINT).astype("int64"),
        "work_only": (st == STATUS_WORK).astype("int64"),
        "uncovered": (st == STATUS_NONE).astype("int64"),
        "members": orgs["members"].astype("int64"),
        "probationary": orgs["probationary"].astype("int64"),
        "with_org_activity_reported": reported.astype("int64"),
        "active": (reported & (orgs["activities"].fillna(-1) >= min_activities)).astype("int64"),
    })


_SUM_KEYS = ("orgs", "own", "joint", "work_only", "uncovered", "members", "probationary",
             "with_org_activity_reported", "active")


def _block(sums: Any) -> dict[str, Any]:
    d = {k: int(sums[k]) if sums is not None else 0 for k in _SUM_KEYS}
    n, own, joint, work = d["orgs"], d["own"], d["joint"], d["work_only"]
    return {
        "orgs": n, "own": own, "joint": joint, "work_only": work, "uncovered": d["uncovered"],
        "org_covered": own + joint, "work_covered": own + joint + work,
        "org_coverage_rate": _ratio(own + joint, n), "single_rate": _ratio(own, n),
        "work_coverage_rate": _ratio(own + joint + work, n),
        "members": d["members"], "probationary": d["probationary"],
        "with_org_activity_reported": d["with_org_activity_reported"], "active": d["active"],
        "activity_rate": _ratio(d["active"], d["with_org_activity_reported"]),
    }


def rate_block(sub: pd.DataFrame, *, min_activities: int) -> dict[str, Any]:
    """Counts and rates of a set of assessed orgs."""
    ind = _indicator_frame(sub, min_activities)
    return _block(ind[list(_SUM_KEYS)].sum() if len(ind) else None)


def _targets(profile: "Profile") -> dict[str, float]:
    return {ENTERPRISE: profile.get("targets.enterprise"), SOCIAL: profile.get("targets.social")}


def _kind_fields(row: dict[str, Any], per_kind: dict[str, Any], profile: "Profile") -> dict[str, Any]:
    targets = _targets(profile)
    for kind, prefix in KIND_PREFIX.items():
        blk = _block(per_kind.get(kind))
        for k in ("orgs", "own", "joint", "work_only", "uncovered", "org_coverage_rate", "single_rate",
                  "work_coverage_rate", "activity_rate"):
            row[f"{prefix}_{k}"] = blk[k]
        row[f"{prefix}_target"] = targets[kind]
        gap = gap_to_target(blk["org_covered"], blk["orgs"], targets[kind])
        row[f"{prefix}_gap"] = gap
        row[f"{prefix}_gap_text"] = (f"还需新增 {gap} 个" if gap else "已达标") if blk["orgs"] else "无此类单位"
    return row


def jurisdiction_frame(orgs: pd.DataFrame, actions: pd.DataFrame, juris: pd.DataFrame,
                       profile: "Profile") -> pd.DataFrame:
    """One row per jurisdiction (+ one for orgs without a jurisdiction when there are any)."""
    ind = _indicator_frame(orgs, profile.get("activity.min_per_year"))
    keys = list(_SUM_KEYS)
    total = ind.groupby("code")[keys].sum()
    by_kind = ind.groupby(["code", "kind"])[keys].sum()
    kind_map: dict[Any, dict[str, Any]] = {}
    for (code, kind), r in by_kind.iterrows():
        kind_map.setdefault(code, {})[kind] = r
    codes = list(juris["code"])
    if (ind["code"] == _NOCODE).any():
        codes.append(None)
    a = actions.assign(code=actions["jurisdiction_code"].astype(object).where(actions["jurisdiction_code"].notna(),
                                                                               _NOCODE))
    form = a[a["action"].isin(FORMING_ACTIONS)].groupby("code")["org_id"].nunique()
    counts = {name: a[a["action"] == act].groupby("code").size() for name, act in (
        ("joint_candidates", A_JOINT_CANDIDATE), ("need_members", A_NEED_MEMBERS),
        ("need_work_coverage", A_WORK_COVERAGE), ("to_join_joint", A_JOIN_JOINT),
        ("to_develop_members", A_DEVELOP_MEMBERS))}
    meta = juris.set_index("code")
    out = []
    for code in codes:
        key = _NOCODE if code is None else code
        row: dict[str, Any] = {
            "code": code,
            "name": NO_CODE_NAME if code is None else meta.at[code, "name"],
            "kind": None if code is None else meta.at[code, "kind"],
        }
        row.update(_block(total.loc[key] if key in total.index else None))
        row = _kind_fields(row, kind_map.get(key, {}), profile)
        row["to_form_own"] = int(form.get(key, 0))
        for name, ser in counts.items():
            row[name] = int(ser.get(key, 0))
        out.append(row)
    return pd.DataFrame(out)


def _summary_rows(blocks: dict[Any, dict[str, Any]], profile: "Profile", code: str, name: str) -> pd.DataFrame:
    targets = _targets(profile)
    rows = []
    for kind in (None, ENTERPRISE, SOCIAL):
        blk = blocks[kind]
        target = None if kind is None else targets[kind]
        gap = None if kind is None else gap_to_target(blk["org_covered"], blk["orgs"], target)
        rows.append({"code": code, "name": name, "org_kind": kind or "合计", **blk, "target": target, "gap": gap,
                     "gap_text": None if gap is None else (f"还需新增 {gap} 个" if gap else "已达标")})
    return pd.DataFrame(rows).astype({"target": object, "gap": object})


def district_summary(orgs: pd.DataFrame, profile: "Profile", *, code: str, name: str) -> pd.DataFrame:
    """Rows 合计 / 非公企业 / 社会组织 for the whole district, with targets and gaps."""
    min_act = profile.get("activity.min_per_year")
    blocks = {kind: rate_block(orgs if kind is None else orgs[orgs["kind"] == kind], min_activities=min_act)
              for kind in (None, ENTERPRISE, SOCIAL)}
    return _summary_rows(blocks, profile, code, name)


def combine_summaries(frames: list[pd.DataFrame], profile: "Profile", *, code: str, name: str) -> pd.DataFrame:
    """The :func:`district_summary` of a whole made of parts (a city of districts) from the parts' summaries.

    The counts are summed per row (合计 / 非公企业 / 社会组织); rates, targets and gaps are computed again from the
    sums, so the result equals :func:`district_summary` of all the parts' orgs at once (tested).
    """
    blocks: dict[Any, dict[str, Any]] = {}
    for kind in (None, ENTERPRISE, SOCIAL):
        label = kind or "合计"
        rows = [f[f["org_kind"] == label] for f in frames]
        sums = {k: int(sum(int(r[k].sum()) for r in rows)) for k in _SUM_KEYS}
        blocks[kind] = _block(sums)
    return _summary_rows(blocks, profile, code, name)


#: The fields of each level of the city → district → town tree (:func:`drilldown_tree`).
DRILL_KEYS = ("orgs", "org_coverage_rate", "work_coverage_rate", "uncovered")


def _level(row: Any) -> dict[str, Any]:
    out = {}
    for k in DRILL_KEYS:
        v = row.get(k)
        out[k] = None if v is None or (isinstance(v, float) and math.isnan(v)) else (
            int(v) if k in ("orgs", "uncovered") else float(v))
    return out


def drilldown_tree(city: pd.DataFrame, districts: dict[str, tuple[str, pd.DataFrame, pd.DataFrame]], *,
                   code: str, name: str) -> dict[str, Any]:
    """City → district → town as plain data: the 合计 row at each level.

    Parameters
    ----------
    city
        The city's summary (:func:`district_summary` or :func:`combine_summaries`).
    districts
        ``district code -> (name, its summary, its towns' rows of jurisdiction_frame)`` in the order to list.
    """
    total = city[city["org_kind"] == "合计"].iloc[0]
    out: dict[str, Any] = {"code": code, "name": name, **_level(total), "districts": []}
    for dcode, (dname, summary, towns) in districts.items():
        row = summary[summary["org_kind"] == "合计"].iloc[0]
        out["districts"].append({"code": dcode, "name": dname, **_level(row), "towns": [
            {"code": t["code"], "name": t["name"], **_level(t)} for _, t in towns.iterrows()]})
    return out


def district_rates(orgs: pd.DataFrame, summary: pd.DataFrame, district: District, profile: "Profile"
                   ) -> pd.DataFrame:
    """Rates by district of a city's assessed ``orgs``: rows 合计 / 非公企业 / 社会组织 of every district.

    Columns are those of :func:`district_summary`; for a single district it is ``summary`` itself.
    """
    if not district.is_city:
        return summary
    dcodes = pd.Series(district.district_of(orgs["jurisdiction_code"].astype(object).where(
        orgs["jurisdiction_code"].notna(), None)), index=orgs.index)
    frames = [district_summary(orgs[dcodes == c], profile, code=c, name=n) for c, n in district.district_names.items()]
    return pd.concat(frames, ignore_index=True)


def drilldown(orgs: pd.DataFrame, summary: pd.DataFrame, towns: pd.DataFrame, district: District,
              profile: "Profile") -> dict[str, Any]:
    """City → district → town of one assessment of a whole city (see :func:`drilldown_tree`)."""
    rates = district_rates(orgs, summary, district, profile)
    tdist = district.district_of(towns["code"].astype(object).where(towns["code"].notna(), None))
    parts = {c: (n, rates[rates["code"] == c], towns[tdist == c]) for c, n in district.district_names.items()}
    return drilldown_tree(summary, parts, code=district.code, name=district.name)


def gap_note(kind: str, district_gap: int, towns_sum: int) -> str:
    """Why the towns' gaps add up to more (or not) than the district's, in one Chinese sentence."""
    if towns_sum == district_gap:
        return f"{kind}：各镇街“还需新增”之和 {towns_sum} 个，等于全区差距"
    return (f"{kind}：各镇街“还需新增”之和 {towns_sum} 个，全区差距 {district_gap} 个。各镇街按本镇街单位数 × 目标"
            f"分别向上取整，且已超过目标的镇街不抵扣其他镇街的差距，故各镇街之和与全区数不等；"
            f"全区按全区单位数计算，二者都正确")


def with_town_gap_sums(summary: pd.DataFrame, juris: pd.DataFrame) -> pd.DataFrame:
    """Add ``gap_towns_sum`` (sum of the towns' gaps, incl. orgs without a town) and ``gap_note`` per kind."""
    out = summary.copy()
    sums: list[Any] = []
    notes: list[Any] = []
    for r in out.itertuples(index=False):
        prefix = KIND_PREFIX.get(r.org_kind)
        if prefix is None or r.gap is None or f"{prefix}_gap" not in juris:
            sums.append(None)
            notes.append(None)
            continue
        total = int(juris[f"{prefix}_gap"].fillna(0).sum())
        sums.append(total)
        notes.append(gap_note(r.org_kind, int(r.gap), total))
    out["gap_towns_sum"] = pd.Series(sums, index=out.index, dtype=object)
    out["gap_note"] = pd.Series(notes, index=out.index, dtype=object)
    return out


# ---------------------------------------------------------------- venues (R15, R16, R23)
def _center_codes(centers: pd.DataFrame, district: District) -> pd.Series:
    for col in ("jurisdiction_code", "town_code"):
        if col in centers.columns:
            s = centers[col].astype(object)
            s = s.where(s.notna(), None).map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())
            if s.notna().any() or "town" not in centers.columns:
                return s
    if "town" in centers.columns and district is not None:
        return centers["town"].map(district.resolve_town)
    return pd.Series([None] * len(centers), index=centers.index, dtype=object)


def venues_frame(centers: pd.DataFrame | None, parks: pd.DataFrame | None, juris: pd.DataFrame,
                 profile: "Profile", *, district_code: str, district_name: str, district: District) -> pd.DataFrame:
    """Service-center compliance per level: district, every town/street, every park."""
    cols = ["jurisdiction_code", "name", "level", "required_m2", "best_center", "best_m2", "compliant", "status",
            "shortfall_m2", "n_centers", "six_has_missing", "reason", "rule", "doc", "clause"]
    if centers is None and parks is None:
        return pd.DataFrame(columns=cols)
    six_keys = profile.get("venues.six_has")
    six_required = bool(profile.get(SIX_HAS_REQUIRED_KEY)) if SIX_HAS_REQUIRED_KEY in profile else False
    six_src = profile.source(SIX_HAS_REQUIRED_KEY) if six_required else None
    c = centers.copy() if centers is not None else pd.DataFrame(columns=["name", "level", "floor_area"])
    c["_code"] = _center_codes(c, district) if len(c) else pd.Series(dtype=object)
    c["floor_area"] = pd.to_numeric(c.get("floor_area"), errors="coerce")

    def best_of(sub: pd.DataFrame) -> tuple[str | None, float | None, list[str], int, list[str]]:
        """Best center: name, area, "六有" items missing (incl. columns absent from the ledger), count, and the
        items it is known to lack (the ledger says 否: what R16 judges; a blank is not reported)."""
        if sub.empty:
            return None, None, [], 0, []
        b = sub.iloc[best_index(sub["floor_area"].tolist())]
        known = [SIX_HAS.get(k, k) for k in six_keys if k in sub.columns and flag(b.get(k)) is False]
        unknown = [SIX_HAS.get(k, k) for k in six_keys if k not in sub.columns or flag(b.get(k)) is None]
        missing = [*known, *(f"{u}（未填）" for u in unknown)]
        best_m2 = None if pd.isna(b["floor_area"]) else float(b["floor_area"])
        return str(b["name"]), best_m2, missing, int(len(sub)), known

    rows = []

    def add(code: Any, name: str, level: str, required: float, sub: pd.DataFrame, key: str) -> None:
        best, m2, missing, k, known = best_of(sub)
        s = profile.source(key)
        ok, short, status = area_verdict(m2, float(required), has_center=best is not None)
        if status == STATUS_MISSING:
            reason = f"没有{level}党群活动服务中心，应建设 1 处，建筑面积不低于 {required:g} 平方米"
        elif status == STATUS_OK:
            reason = f"{best} 建筑面积 {m2:g} 平方米，达到 {required:g} 平方米标准"
        elif status == STATUS_UNKNOWN:
            reason = f"{best} 建筑面积未填：请在阵地台账中补填，按 {required:g} 平方米标准核对"
        else:
            reason = f"{best} 建筑面积 {m2:g} 平方米，低于 {required:g} 平方米标准，缺 {short:g} 平方米"
        if best is not None and missing:
            reason += f"；“六有”缺：{'、'.join(missing)}"
        ok, status = six_has_verdict(bool(ok), status, known, required=six_required)
        if status == STATUS_SIX_HAS:
            reason += f"，按{six_src['rule']}（{six_src['doc']} {six_src['clause']}）不达标，应补齐"
        rows.append({"jurisdiction_code": code, "name": name, "level": level, "required_m2": float(required),
                     "best_center": best, "best_m2": m2, "compliant": bool(ok), "status": status, "shortfall_m2": short,
                     "n_centers": k, "six_has_missing": missing, "reason": reason, "rule": s["rule"],
                     "doc": s["doc"], "clause": s["clause"]})

    add(district_code, district_name, "区级", profile.get("venues.required_m2_district"),
        c[c["level"] == "区级"], "venues.required_m2_district")
    for r in juris.itertuples(index=False):
        street = r.kind == "街道"
        level = "街道级" if street else "镇级"
        key = "venues.required_m2_street" if street else "venues.required_m2_town"
        sub = c[(c["_code"] == r.code) & c["level"].isin(["镇级", "街道级"])]
        add(r.code, r.name, level, profile.get(key), sub, key)
    if parks is not None and len(parks):
        ps = profile.source("venues.park_center_required")
        cs = profile.source("venues.park_committee_levels")
        need_committee = set(profile.get("venues.park_committee_levels"))
        pc = c[c["level"] == "园区"]
        for prk in parks.itertuples(index=False):
            pname = str(getattr(prk, "name", "") or "")
            if "park" in pc.columns:
                sub = pc[pc["park"].astype(str) == pname]
            else:
                sub = pc[pc["name"].astype(str).map(lambda s, pn=pname: bool(pn) and (pn in s or s in pn))]
            best, m2, missing, k, known = best_of(sub)
            required = profile.get("venues.park_center_required")
            ok = (best is not None) or not required
            reason = (f"已有园区党群活动服务中心 {best}" if best else "功能园区没有党群活动服务中心，必须建立")
            if best is not None and missing:
                reason += f"；“六有”缺：{'、'.join(missing)}"
            status = STATUS_OK if best is not None else STATUS_MISSING
            ok, status = six_has_verdict(bool(ok), status, known, required=six_required)
            if status == STATUS_SIX_HAS:
                reason += f"，按{six_src['rule']}（{six_src['doc']} {six_src['clause']}）不达标，应补齐"
            level = str(getattr(prk, "level", "") or "")
            committee = _truthy(getattr(prk, "committee", False))
            if level in need_committee and not committee:
                reason += f"；{level}园区应设立综合党委（{cs['rule']} {cs['doc']} {cs['clause']}），尚未设立"
            code = getattr(prk, "jurisdiction_code", None)
            rows.append({"jurisdiction_code": None if pd.isna(code) else code, "name": pname, "level": "园区",
                         "required_m2": None, "best_center": best, "best_m2": m2, "compliant": bool(ok),
                         "status": status,
                         "shortfall_m2": None, "n_centers": k, "six_has_missing": missing, "reason": reason,
                         "rule": ps["rule"], "doc": ps["doc"], "clause": ps["clause"]})
    return pd.DataFrame(rows, columns=[*cols, "_local"]).drop(columns="_local")


def _truthy(v: Any) -> bool:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return False
    if isinstance(v, str):
        return v.strip() in ("是", "有", "true", "True", "1", "Y", "y", "√")
    return bool(v)


# ---------------------------------------------------------------- funding (R17–R19)
def funding_frame(orgs: pd.DataFrame, actions: pd.DataFrame, juris: pd.DataFrame, profile: "Profile",
                  *, district_code: str) -> pd.DataFrame:
    """Start-up, activity and payroll-based funds per jurisdiction and in total."""
    g = profile.get
    years = g("funding.startup_years")
    types = (("党委", "funding.startup_committee"), ("党总支", "funding.startup_general_branch"),
             ("党支部", "funding.startup_branch"))
    forming = orgs["id"].isin(set(actions.loc[actions["action"].isin(FORMING_ACTIONS), "org_id"]))
    ent = orgs["kind"] == ENTERPRISE
    soc = orgs["kind"] == SOCIAL
    members = orgs["members"] + orgs["probationary"]
    has_pay = ent & orgs["payroll"].notna()
    ind = pd.DataFrame({
        "code": orgs["jurisdiction_code"].astype(object).where(orgs["jurisdiction_code"].notna(), _NOCODE),
        **{f"new_{t}": (forming & (orgs["new_org_type"] == t)).astype("int64") for t, _ in types},
        "cand": orgs["id"].isin(set(actions.loc[actions["action"] == A_JOINT_CANDIDATE, "org_id"])).astype("int64"),
        "m_ent": members.where(ent, 0).astype("int64"),
        "m_soc": members.where(soc, 0).astype("int64"),
        "n_pay": has_pay.astype("int64"),
        "payroll": orgs["payroll"].where(has_pay, 0.0).astype(float),
    })
    sums = ind.groupby("code").sum()
    max_units = g("joint.max_units")
    lo, hi = g("funding.payroll_rate_min"), g("funding.payroll_rate_max")
    sources = {k: profile.source(k) for k in (*(k for _, k in types), "funding.include_joint_startup",
                                              "funding.activity_per_member", "funding.activity_per_member_social",
                                              "funding.payroll_rate_min")}
    names = dict(zip(juris["code"], juris["name"]))
    scopes: list[tuple[Any, str, Any]] = [(c, names[c], sums.loc[c] if c in sums.index else None)
                                          for c in juris["code"]]
    if _NOCODE in sums.index:
        scopes.append((None, NO_CODE_NAME, sums.loc[_NOCODE]))
    scopes.append((district_code, "合计", sums.sum() if len(sums) else None))
    rows = []

    def item(code: Any, name: str, label: str, count: float, unit_amount: float | None, amount: float,
             amount_max: float, key: str, basis: str) -> None:
        src = sources[key]
        rows.append({"jurisdiction_code": code, "name": name, "item": label, "count": count,
                     "unit_amount": unit_amount, "amount_cny": round(float(amount), 2),
                     "amount_max_cny": round(float(amount_max), 2), "rule": src["rule"], "doc": src["doc"],
                     "clause": src["clause"], "basis": basis})

    for code, name, sm in scopes:
        v = (lambda k: 0 if sm is None else sm[k])  # noqa: E731
        for t, key in types:
            k, unit = int(v(f"new_{t}")), g(key)
            item(code, name, f"启动经费：新建{t}", k, unit, k * unit * years, k * unit * years, key,
                 f"{k} 个 × {unit:g} 元/年 × {years} 年（评估提出单独组建的单位，按党员数定类型）")
        n_cand = int(v("cand"))
        n_joint = math.ceil(n_cand / max_units) if n_cand else 0
        branch = g("funding.startup_branch")
        if g("funding.include_joint_startup"):
            amt = n_joint * branch * years
            basis = (f"联合组建候选 {n_cand} 家 ÷ 每个联合党组织上限 {max_units} 家，约 {n_joint} 个 × {branch:g} 元"
                     f" × {years} 年")
        else:
            amt = 0.0
            basis = f"联合组建候选 {n_cand} 家，约 {n_joint} 个联合党组织；按配置不计启动经费"
        item(code, name, "启动经费：新建联合党组织（估算）", n_joint, branch, amt, amt, "funding.include_joint_startup",
             basis)
        for kind, col, key in ((ENTERPRISE, "m_ent", "funding.activity_per_member"),
                               (SOCIAL, "m_soc", "funding.activity_per_member_social")):
            m, per = int(v(col)), g(key)
            item(code, name, f"党员工作和活动经费（{kind}）", m, per, m * per, m * per, key,
                 f"{m} 名党员（正式+预备） × {per:g} 元/人·年")
        payroll, n_pay = float(v("payroll")), int(v("n_pay"))
        item(code, name, "党建工作经费（按工资总额提取）", n_pay, None, payroll * 1e4 * lo, payroll * 1e4 * hi,
             "funding.payroll_rate_min", f"{n_pay} 家企业工资总额合计 {payroll:g} 万元 × {lo:.1%}–{hi:.1%}")
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- contact points (R22)
def contact_points_frame(orgs: pd.DataFrame, actions: pd.DataFrame, juris: pd.DataFrame, profile: "Profile",
                         *, district_code: str, district_name: str, divisions: np.ndarray) -> pd.DataFrame:
    """Candidates for leaders' contact points: largest, influential, hardest, emerging-sector orgs."""
    k_local = profile.get("contact.candidates_per_category")
    k_key = profile.get("contact.min_key_departments")
    src = profile.source("contact.min_per_unit")
    emerging = set(profile.get("contact.emerging_divisions"))
    df = orgs.assign(_div=divisions)
    hard_ids = set(actions.loc[actions["rule"].isin(_MANDATORY_RULES), "org_id"])
    emp = lambda d: d["employees"].fillna(-1)  # noqa: E731 - per frame, never aligned across frames
    cats = {
        "规模较大": (df.assign(_s=emp), "从业人员最多"),
        "影响力大": (df.assign(_s=(df["registration_level"] == "市级及以上").astype(float) * 1e12
                                + df["payroll"].fillna(0) * 1e3 + df["members"] + df["probationary"]),
                     "市级以上登记、工资总额或党员数居前"),
        "工作开展困难": (df[df["id"].isin(hard_ids) & df["status"].isin([STATUS_NONE, STATUS_WORK, STATUS_JOINT])]
                         .assign(_s=emp), "应建未建（R2–R5），规模最大"),
        "新兴领域": (df[df["_div"].isin(emerging)].assign(_s=emp), "快递、互联网、文化创意等新兴领域中规模最大"),
    }
    rows = []
    names = dict(zip(juris["code"], juris["name"]))
    min_unit = profile.get("contact.min_per_unit")

    def emit(frame: pd.DataFrame, cat: str, why: str, scope: str, extra: str = "") -> None:
        for r in frame[["id", "name", "kind", "employees", "members", "probationary", "status",
                        "jurisdiction_code", "_rank"]].to_dict("records"):
            emp_txt = "未知" if pd.isna(r["employees"]) else f"{int(r['employees'])}"
            code = district_code if scope == "district" else r["jurisdiction_code"]
            rows.append({"scope_code": code,
                         "scope_name": district_name if scope == "district" else names[code],
                         "category": cat, "rank": int(r["_rank"]),
                         "org_id": r["id"], "org_name": r["name"], "kind": r["kind"], "employees": r["employees"],
                         "members": int(r["members"]), "status": r["status"],
                         "reason": f"{why}：从业人员 {emp_txt} 人，党员 {int(r['members'] + r['probationary'])} 名，"
                                   f"{r['status']}{extra}",
                         "rule": src["rule"], "doc": src["doc"], "clause": src["clause"], "_local": scope == "local"})

    largest = None
    for cat, (cdf, why) in cats.items():
        if cdf.empty:
            continue
        ordered = cdf.sort_values(["_s", "id"], ascending=[False, True], kind="mergesort")
        local = ordered[ordered["jurisdiction_code"].isin(names)]
        local = local.assign(_rank=local.groupby("jurisdiction_code", sort=False).cumcount() + 1)
        if cat == "规模较大":
            largest = local
        top = ordered.head(k_key).assign(_rank=np.arange(1, min(k_key, len(ordered)) + 1))
        emit(local[local["_rank"] <= k_local], cat, why, "local")
        emit(top, cat, why, "district")
    # R22: every town/street (成员单位) lists at least contact.min_per_unit distinct candidates
    if largest is not None and min_unit > 0:
        listed = {(r["scope_code"], r["org_id"]) for r in rows if r["_local"]}
        more = largest[largest["_rank"] > k_local]
        pairs = pd.Series(list(zip(more["jurisdiction_code"], more["id"])), index=more.index, dtype=object)
        more = more[~pairs.isin(listed).to_numpy(dtype=bool)]
        have = pd.Series([c for c, _ in listed], dtype=object).value_counts()
        need = {c: min_unit - int(have.get(c, 0)) for c in names}
        lim = np.array([need.get(c, 0) for c in more["jurisdiction_code"]], dtype=np.int64)
        more = more[more.groupby("jurisdiction_code", sort=False).cumcount().to_numpy(dtype=np.int64) < lim]
        emit(more, "规模较大", cats["规模较大"][1], "local", f"（补足每个镇街至少 {min_unit} 个联系点）")
    cols = ["scope_code", "scope_name", "category", "rank", "org_id", "org_name", "kind", "employees", "members",
            "status", "reason", "rule", "doc", "clause"]
    return pd.DataFrame(rows, columns=[*cols, "_local"]).drop(columns="_local")

