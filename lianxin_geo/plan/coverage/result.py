"""The typed result of the coverage planner: :class:`CoveragePlan` (frames and plain fields, no JSON in between).

``to_json()`` is for the CLI's ``--json``; presenters read the frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.core.model import SIX_HAS
from lianxin_geo.plan.coverage.hexgrid import HexGrid
from lianxin_geo.plan.coverage.mclp import MCLPResult
from lianxin_geo.plan.coverage.venues import VenueReport

__all__ = ["CoveragePlan"]

#: Chinese headers of the exported tables (internal key -> header).
_HEADERS: dict[str, str] = {
    "jurisdiction_code": "镇街代码", "name": "名称", "kind": "类型", "orgs": "组织数", "orgs_covered": "已覆盖组织数",
    "orgs_share": "组织覆盖比例", "members": "正式党员数", "members_covered": "已覆盖党员数",
    "members_share": "党员覆盖比例", "employees": "从业人员数", "employees_covered": "已覆盖从业人员数",
    "employees_share": "从业人员覆盖比例", "orgs_unlocated": "缺坐标组织数", "orgs_uncovered": "未覆盖组织数",
    "orgs_share_after": "新址后组织覆盖比例", "members_share_after": "新址后党员覆盖比例",
    "employees_share_after": "新址后从业人员覆盖比例", "buildings": "商务楼宇数",
    "buildings_uncovered": "未覆盖楼宇数", "rank": "序号", "site_id": "候选点编号", "lon": "经度", "lat": "纬度",
    "jurisdiction_name": "所在镇街", "newly_covered_orgs": "新覆盖组织数", "newly_covered_employees": "新覆盖从业人员",
    "newly_covered_members": "新覆盖党员", "newly_covered_buildings": "新覆盖楼宇", "gain": "新增覆盖需求",
    "reach_m": "服务半径（米）", "level": "层级", "required_m2": "标准面积（平方米）",
    "jurisdiction_has_center": "镇街已有中心", "reason": "说明", "cell_id": "网格编号",
    "center_id": "中心编号", "center_name": "中心名称", "best_m2": "最大面积（平方米）", "compliant": "是否达标",
    "status": "状态", "shortfall_m2": "面积缺口（平方米）", "id": "编号", "floor_area": "建筑面积（平方米）",
    "six_has_missing": "“六有”缺项", "org_id": "组织编号", "new_site": "新址编号", "located": "有坐标",
    "covered_after": "新址后覆盖",
}

_UNCOVERED_COLUMNS = ["org_id", "jurisdiction_code", "lon", "lat", "new_site", "reason"]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(df.columns, row)) for row in df.itertuples(index=False, name=None)]


@dataclass(frozen=True, eq=False)
class CoveragePlan:
    """Result of :func:`~lianxin_geo.plan.coverage.plan.plan_coverage`.

    Attributes
    ----------
    orgs
        Per org: ``id``, ``jurisdiction_code``, ``lon``, ``lat`` (WGS-84), ``located``,
        ``covered`` (by an existing center), ``centers_in_reach``, ``new_site`` (the
        proposed site that newly covers it, if any).
    centers
        Per existing center: ``id``, ``name``, ``level``, ``jurisdiction_code``, ``lon``, ``lat``,
        ``reach_m``, ``own_jurisdiction_only``, ``orgs_in_reach``.
    jurisdictions
        Coverage per town/street: ``jurisdiction_code``, ``name``, ``kind``, counts and shares of
        orgs, members and employees (``orgs_share`` …) and after the proposed sites
        (``orgs_share_after`` …), ``orgs_unlocated``, ``orgs_uncovered``, ``buildings``,
        ``buildings_uncovered``.
    district
        The same measures for the whole district (a dict with ``code`` and ``name``), plus
        ``orgs_outside_jurisdictions`` and ``buildings_uncovered_after``.
    gaps
        Uncovered demand per hexagon: ``cell_id``, ``lon``, ``lat``, ``orgs``,
        ``employees``, ``members``, ``jurisdiction_code``, ``q``, ``r`` (largest gap first).
    proposed_sites
        The chosen new sites with what each newly covers and what it needs
        (:data:`~lianxin_geo.plan.coverage.sites.PROPOSED_COLUMNS`).
    venues
        Venue compliance (:class:`~lianxin_geo.plan.coverage.venues.VenueReport`).
    buildings_uncovered
        Commercial buildings outside every reach: ``id``, ``name``, ``jurisdiction_code``,
        ``lon``, ``lat``, ``located``, ``covered_after``.
    stats
        ``seconds``, ``method``, ``status``, ``bound``, ``newly_covered_weight``, ``solver_seconds``,
        ``gap``, ``reduced_candidates``, ``reduced_demand``, ``demand``, ``k``, ``candidates``, ``orgs``,
        ``centers``, ``distance_source``, ``circuity``, ``reach_m_street``, ``reach_m_town``,
        ``hex_resolution``, ``hex_cell_km2``, ``message`` (why fewer sites than asked for, or ``None``).
    grid
        The hexagon grid of :attr:`gaps` (for :meth:`gap_polygons`).
    mclp
        The siting solver's result (``None`` when no site was asked for).
    """

    orgs: pd.DataFrame
    centers: pd.DataFrame
    jurisdictions: pd.DataFrame
    district: dict[str, Any]
    gaps: pd.DataFrame
    proposed_sites: pd.DataFrame
    venues: VenueReport
    buildings_uncovered: pd.DataFrame
    stats: dict[str, Any]
    grid: HexGrid | None = field(default=None, repr=False)
    mclp: MCLPResult | None = field(default=None, repr=False)

    def gap_polygons(self) -> gpd.GeoDataFrame:
        """The gap cells as a GeoDataFrame of hexagons (EPSG:4326) for maps."""
        geoms = []
        if self.grid is not None:
            for q, r in zip(self.gaps["q"], self.gaps["r"]):
                geoms.append(shapely.Polygon(self.grid.boundary(int(q), int(r))))
        return gpd.GeoDataFrame(self.gaps.copy(), geometry=geoms, crs="EPSG:4326")

    def uncovered_orgs(self) -> pd.DataFrame:
        """Orgs no existing center reaches: ``org_id``, ``jurisdiction_code``, ``lon``, ``lat``, ``new_site``,
        ``reason`` (outside every reach, or no coordinates)."""
        return pd.DataFrame(self._uncovered_orgs(), columns=_UNCOVERED_COLUMNS)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets for an .xlsx export (Chinese sheet names and headers); the first is the coverage table."""
        district_row = pd.DataFrame([{"jurisdiction_code": self.district.get("code"),
                                      "name": self.district.get("name"), "kind": "全区",
                                      **{k: v for k, v in self.district.items() if k not in ("code", "name")}}])
        cov = pd.concat([self.jurisdictions, district_row[[c for c in district_row.columns
                                                           if c in self.jurisdictions.columns]]],
                        ignore_index=True)
        venues_c = self.venues.centers.copy()
        venues_c["six_has_missing"] = ["、".join(SIX_HAS.get(x, x) for x in v) if isinstance(v, list) else v
                                       for v in venues_c["six_has_missing"]]
        sheets = {
            "镇街覆盖": cov,
            "建议新址": self.proposed_sites,
            "覆盖缺口": self.gaps.drop(columns=["q", "r"], errors="ignore"),
            "阵地达标": self.venues.jurisdictions,
            "中心面积": venues_c,
            "无中心园区": self.venues.parks_without_center,
            "未覆盖组织": self.uncovered_orgs(),
            "未覆盖楼宇": self.buildings_uncovered,
        }
        return {name: df.rename(columns=_HEADERS) for name, df in sheets.items()}

    def _uncovered_orgs(self) -> list[dict[str, Any]]:
        o = self.orgs[~self.orgs["covered"].to_numpy(bool)]
        return [
            {"org_id": i, "jurisdiction_code": c, "lon": x if ok else None, "lat": y if ok else None,
             "new_site": s,
             "reason": "不在任何党群活动服务中心服务范围内" if ok else "缺少坐标，无法计算覆盖（请补充经纬度）"}
            for i, c, x, y, ok, s in zip(o["id"], o["jurisdiction_code"], o["lon"], o["lat"], o["located"],
                                         o["new_site"])
        ]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict for the CLI's ``--json`` (no NaN: missing values are ``None``)."""
        return jsonable({
            "coverage": {
                "district": self.district,
                "jurisdictions": _records(self.jurisdictions),
            },
            "gaps": _records(self.gaps.drop(columns=["q", "r"], errors="ignore")),
            "proposed_sites": _records(self.proposed_sites),
            "venues": _records(self.venues.jurisdictions),
            "venue_centers": _records(self.venues.centers),
            "parks_without_center": _records(self.venues.parks_without_center),
            "orgs_uncovered": self._uncovered_orgs(),
            "buildings_uncovered": _records(self.buildings_uncovered),
            "centers": _records(self.centers),
            "stats": self.stats,
        })
