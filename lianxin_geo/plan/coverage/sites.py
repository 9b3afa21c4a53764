"""Candidate sites for new service centers and the siting step (maximal covering location problem).

The pool (:func:`candidate_sites`) is commercial buildings, park centres, community points
and the user's own sites. :func:`site_new_centers` builds the candidates × uncovered-orgs
matrix, solves the MCLP on arrays (:func:`lianxin_geo.plan.coverage.mclp.solve_mclp`) and
explains each chosen site in Chinese (what it newly covers, which level and floor area it needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lianxin_geo.assessment.venues import TOWN_STREET_LEVELS
from lianxin_geo.core.district import District
from lianxin_geo.plan.coverage._frames import SITE_COLUMNS, Orgs, Points, codes, require_columns, site_frame
from lianxin_geo.plan.coverage.mclp import MCLPResult, solve_mclp
from lianxin_geo.plan.coverage.params import CoverageParams, level_for_kind
from lianxin_geo.plan.coverage.reach import _Reach, _Servers

__all__ = ["PROPOSED_COLUMNS", "Siting", "candidate_sites", "site_new_centers", "siting_message"]

Demand = Literal["orgs", "employees", "members"]

#: columns of :attr:`Siting.proposed` (and ``CoveragePlan.proposed_sites``)
PROPOSED_COLUMNS: list[str] = [
    "rank", "site_id", "kind", "name", "lon", "lat", "jurisdiction_code", "jurisdiction_name",
    "newly_covered_orgs", "newly_covered_employees", "newly_covered_members", "newly_covered_buildings",
    "gain", "reach_m", "level", "required_m2", "jurisdiction_has_center", "reason",
]


def candidate_sites(
    district: District,
    *,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    communities: bool = True,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The default pool of candidate sites for new centers.

    Commercial buildings (``kind`` 楼宇), park centres (园区), community/village
    committee points of the district gazetteer (社区) and any ``extra`` sites the
    user adds (their ``kind`` column, or 自选). Rows without coordinates are left out.

    Returns
    -------
    DataFrame
        ``site_id``, ``kind``, ``name``, ``lon``, ``lat``, ``jurisdiction_code``.
    """
    parts: list[pd.DataFrame] = []
    for df, kind, prefix in ((buildings, "楼宇", "B:"), (parks, "园区", "P:"),
                             (district.communities if communities else None, "社区", "C:"), (extra, None, "U:")):
        if df is not None and len(df):
            parts.append(site_frame(df, kind=kind, prefix=prefix))
    if not parts:
        return pd.DataFrame(columns=SITE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out = out[np.isfinite(out["lon"].to_numpy(float)) & np.isfinite(out["lat"].to_numpy(float))]
    return out.drop_duplicates("site_id").reset_index(drop=True)


def _user_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """The user's candidate frame normalised, rows without coordinates left out."""
    require_columns(candidates, "候选点（candidates）", ("lon", "lat"))
    cand = site_frame(candidates, kind=None, prefix="")
    cand = cand[np.isfinite(cand["lon"].to_numpy(float)) & np.isfinite(cand["lat"].to_numpy(float))]
    return cand.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class Siting:
    """What the siting step decided.

    Attributes
    ----------
    candidates
        The candidate sites considered (``site_id``, ``kind``, ``name``, ``lon``, ``lat``,
        ``jurisdiction_code``); empty when no siting was asked for.
    proposed
        The chosen sites in order of gain (:data:`PROPOSED_COLUMNS`).
    new_site
        Per org: ``site_id`` of the proposed site that newly covers it, else ``None``.
    buildings_new
        Per building: newly covered by a proposed site.
    mclp
        The solver's result (``None`` when ``k`` is 0).
    """

    candidates: pd.DataFrame
    proposed: pd.DataFrame
    new_site: np.ndarray
    buildings_new: np.ndarray
    mclp: MCLPResult | None


@dataclass(frozen=True)
class _Context:
    """What the explanation of a proposal needs to know about the district and its existing centers."""

    district: District
    params: CoverageParams
    kinds: dict[str, str]
    center_code: np.ndarray
    center_level: np.ndarray


def site_new_centers(
    candidates: pd.DataFrame | None,
    *,
    district: District,
    params: CoverageParams,
    reach: _Reach,
    orgs: Orgs,
    covered: np.ndarray,
    buildings: Points,
    buildings_covered: np.ndarray,
    buildings_frame: pd.DataFrame | None,
    parks: pd.DataFrame | None,
    center_code: np.ndarray,
    center_level: np.ndarray,
    k: int,
    demand: Demand,
    time_limit_s: float,
    method: Literal["auto", "exact", "greedy", "local"],
    seed: int,
) -> Siting:
    """Choose up to ``k`` new sites among ``candidates`` (default :func:`candidate_sites`) covering most demand.

    Only orgs not yet ``covered`` enter the matrix (the first reduction); the weights are
    1 per org, or its employees / members for ``demand``. Existing centers stay fixed.

    Parameters
    ----------
    candidates
        The user's candidate sites (``site_id``/``id``, ``kind``, ``name``, ``lon``, ``lat``);
        ``None``: :func:`candidate_sites` of ``buildings_frame``, ``parks`` and the community points.
    district, params
        The district and the profile's values.
    reach
        How coverage is measured (road graph or great-circle × circuity).
    orgs, covered
        The orgs as arrays and which of them an existing center already covers.
    buildings, buildings_covered, buildings_frame
        Commercial buildings as arrays, which of them are covered, and their frame (for the default pool).
    parks
        Parks (for the default pool).
    center_code, center_level
        Jurisdiction code and level of each existing center (does the jurisdiction have its own center?).
    k, demand
        How many sites at most, and what they maximise (``orgs``, ``employees`` or ``members``).
    time_limit_s, method, seed
        Options of :func:`~lianxin_geo.plan.coverage.mclp.solve_mclp`.
    """
    new_site = np.full(orgs.lon.size, None, dtype=object)
    b_new = np.zeros(buildings_covered.size, dtype=bool)
    if k <= 0:
        return Siting(candidates=pd.DataFrame(columns=SITE_COLUMNS), proposed=pd.DataFrame(columns=PROPOSED_COLUMNS),
                      new_site=new_site, buildings_new=b_new, mclp=None)
    cand = (candidate_sites(district, buildings=buildings_frame, parks=parks) if candidates is None
            else _user_candidates(candidates))
    j = district.jurisdictions
    ctx = _Context(district=district, params=params, kinds=dict(zip(j["code"].astype(str), j["kind"].astype(str))),
                   center_code=center_code, center_level=center_level)
    s_lon, s_lat = cand["lon"].to_numpy(float), cand["lat"].to_numpy(float)
    s_code = codes(cand, district, s_lon, s_lat) if len(cand) else np.empty(0, dtype=object)
    sites = _Servers.of(s_lon, s_lat, s_code, np.full(len(cand), None, dtype=object), ctx.kinds, params)
    weights = {"orgs": np.ones(orgs.lon.size), "employees": orgs.employees, "members": orgs.members}[demand]
    open_idx = np.flatnonzero(orgs.located & ~covered)
    a_sub = reach.matrix(sites, orgs.lon[open_idx], orgs.lat[open_idx], orgs.code[open_idx])
    result = solve_mclp(a_sub, weights[open_idx], k, time_limit_s=time_limit_s, method=method, seed=seed)
    a_sub = a_sub.tocsr()
    b_open = np.flatnonzero(~buildings_covered) if buildings_covered.size else np.zeros(0, dtype=int)
    a_bs = (reach.matrix(sites, buildings.lon[b_open], buildings.lat[b_open], buildings.code[b_open]).tocsr()
            if b_open.size else None)
    taken = np.zeros(open_idx.size, dtype=bool)
    rows: list[dict[str, Any]] = []
    for rank, (si, gain) in enumerate(zip(result.selected, result.gains), start=1):
        cols = _row(a_sub, si)
        cols = cols[~taken[cols]]
        taken[cols] = True
        orgs_new = open_idx[cols]
        new_site[orgs_new] = cand["site_id"].iloc[si]
        n_b = 0
        if a_bs is not None:
            bcols = _row(a_bs, si)
            bcols = bcols[~b_new[b_open[bcols]]]
            b_new[b_open[bcols]] = True
            n_b = int(bcols.size)
        rows.append(_proposal(ctx, rank, cand.iloc[si], s_code[si], float(sites.reach[si]), float(gain),
                              orgs, orgs_new, n_b))
    return Siting(candidates=cand, proposed=pd.DataFrame(rows, columns=PROPOSED_COLUMNS), new_site=new_site,
                  buildings_new=b_new, mclp=result)


def _row(mat: sp.csr_matrix, i: int) -> np.ndarray:
    """Column indices of the non-zeros of row ``i``."""
    return mat.indices[mat.indptr[i]:mat.indptr[i + 1]]


def _proposal(ctx: _Context, rank: int, site: pd.Series, code: str | None, reach_m: float, gain: float,
              orgs: Orgs, orgs_new: np.ndarray, n_buildings: int) -> dict[str, Any]:
    """One row of the proposed sites, with the reason in Chinese (what it covers, level and area it needs)."""
    names = ctx.district.town_names
    kind = ctx.kinds.get(code)
    level = level_for_kind(kind) if code is not None else None
    req = ctx.params.required_m2_for_kind(kind) if code is not None else None
    has_own = (bool(np.any((ctx.center_code == code) & np.isin(ctx.center_level, TOWN_STREET_LEVELS)))
               if len(ctx.center_code) else False)
    n_o, n_e, n_m = int(orgs_new.size), float(orgs.employees[orgs_new].sum()), float(orgs.members[orgs_new].sum())
    jname = names.get(code, "辖区外") if code is not None else "辖区外"
    role = "分中心/服务站" if has_own else "镇街党群活动服务中心"
    need = (f"可作为{role}，按{level}标准建筑面积应不少于 {req:.0f} 平方米（R15）" if req is not None
            else "位于各镇街范围之外，请核实位置或所属镇街（R15 面积标准按所在镇街类型确定）")
    reason = (
        f"第{rank}个新址：位于{jname}（{kind or '未知类型'}），服务半径 {reach_m:.0f} 米，"
        f"新覆盖 {n_o} 家组织、从业人员 {n_e:.0f} 人、党员 {n_m:.0f} 名、商务楼宇 {n_buildings} 座；{need}"
    )
    return {
        "rank": rank,
        "site_id": site["site_id"],
        "kind": site["kind"],
        "name": site["name"],
        "lon": float(site["lon"]),
        "lat": float(site["lat"]),
        "jurisdiction_code": code,
        "jurisdiction_name": names.get(code) if code is not None else None,
        "newly_covered_orgs": n_o,
        "newly_covered_employees": n_e,
        "newly_covered_members": n_m,
        "newly_covered_buildings": n_buildings,
        "gain": gain,
        "reach_m": reach_m,
        "level": level,
        "required_m2": req,
        "jurisdiction_has_center": has_own,
        "reason": reason,
    }


def siting_message(k: int, n_candidates: int, n_proposed: int) -> str | None:
    """Why fewer new sites than asked for, in Chinese (None when the answer needs no explanation)."""
    if k <= 0 or n_proposed >= k:
        return None
    if n_candidates == 0:
        return ("没有候选点，无法建议新址：请提供商务楼宇、园区台账或社区点坐标，或用 candidates 指定候选点"
                " / no candidate sites: give buildings, parks, community points or candidates")
    return (f"只建议 {n_proposed} 处：其余候选点都不能再覆盖新的组织（已覆盖或超出服务半径）"
            f" / only {n_proposed} site(s) add coverage")
