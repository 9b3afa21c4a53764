"""Venue compliance of party-mass service centers: floor area by level (R15), "六有" (R16), parks (R15, R23).

The verdict itself (达标 / 面积不足 / 缺失 / 面积未填) is the assessment's
(:func:`lianxin_geo.assessment.venues.area_verdict`), so the coverage plan and the
assessment never disagree about a center.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.assessment.venues import (
    DISTRICT_LEVEL, TOWN_STREET_LEVELS, area_verdict, best_index, six_has_verdict,
)
from lianxin_geo.core.distance import haversine_m
from lianxin_geo.core.district import District
from lianxin_geo.core.frames import flag, lonlat, numbers, texts
from lianxin_geo.plan.coverage._frames import codes, ids
from lianxin_geo.plan.coverage.params import AreaStandard, level_for_kind

__all__ = ["STATUS_NA", "VenueReport", "venue_compliance"]

#: status of a center whose level has no floor-area standard (园区/社区/楼宇)
STATUS_NA = "无面积标准"
#: "六有" cell values read as "yes" (besides a real boolean True)
_YES: tuple[str, ...] = ("True", "true", "是", "1")

_CENTER_COLUMNS = ["id", "name", "level", "jurisdiction_code", "floor_area", "required_m2", "compliant", "status",
                   "shortfall_m2", "six_has_missing"]
_PARK_COLUMNS = ["id", "name", "jurisdiction_code", "lon", "lat", "reason"]


@dataclass(frozen=True, eq=False)
class VenueReport:
    """Venue compliance (R15/R16).

    Attributes
    ----------
    jurisdictions
        One row per town/street plus one for the district: ``jurisdiction_code``,
        ``name``, ``kind``, ``level``, ``required_m2``, ``center_id``, ``center_name``,
        ``best_m2``, ``compliant``, ``status`` (达标/面积不足/缺失/面积未填), ``shortfall_m2``.
    centers
        One row per center: ``id``, ``name``, ``level``, ``jurisdiction_code``,
        ``floor_area``, ``required_m2``, ``compliant``, ``status``, ``shortfall_m2``,
        ``six_has_missing`` (list of missing "六有" items).
    parks_without_center
        Parks with no 园区-level center of the same name or within ``park_match_m``:
        ``id``, ``name``, ``jurisdiction_code``, ``lon``, ``lat``, ``reason``.
    """

    jurisdictions: pd.DataFrame
    centers: pd.DataFrame
    parks_without_center: pd.DataFrame


@dataclass(frozen=True)
class _Centers:
    """The centers' columns as arrays (WGS-84 coordinates, resolved jurisdiction codes)."""

    lon: np.ndarray
    lat: np.ndarray
    code: np.ndarray
    level: np.ndarray
    area: np.ndarray
    id: np.ndarray
    name: np.ndarray

    @classmethod
    def read(cls, c: pd.DataFrame, district: District) -> "_Centers":
        lon, lat = lonlat(c)
        return cls(lon=lon, lat=lat, code=codes(c, district, lon, lat) if len(c) else np.empty(0, dtype=object),
                   level=texts(c, "level", empty=None), area=numbers(c, "floor_area"),
                   id=ids(c, ("id", "center_id"), prefix="Z"), name=texts(c, "name", empty=None))

    def where(self, mask: np.ndarray) -> np.ndarray:
        """Positions where ``mask`` holds (an empty int array when there are no centers)."""
        return np.flatnonzero(mask) if self.id.size else np.empty(0, int)


def venue_compliance(
    centers: pd.DataFrame,
    district: District,
    *,
    required_m2_district: float,
    required_m2_town: float,
    required_m2_street: float,
    parks: pd.DataFrame | None = None,
    six_has: tuple[str, ...] = (),
    six_has_required: bool = False,
    park_match_m: float = 1000.0,
) -> VenueReport:
    """Check party-mass service centers against the floor-area standard by level (R15) and "六有" (R16).

    A town/street counts as compliant when its best own center (镇级/街道级 in
    it) reaches the standard of the jurisdiction's kind (街道 → street,
    镇/地区/乡 → town). The district row checks the best 区级 center against
    ``required_m2_district``. The same reading as :mod:`lianxin_geo.assessment.assessor`.

    Parameters
    ----------
    centers
        ``id``, ``name``, ``level``, ``lon``, ``lat``, ``floor_area`` and
        ``jurisdiction_code`` (or ``town_code`` / ``town``; else located by coordinates).
    district
        The district (jurisdictions with ``kind``).
    required_m2_district, required_m2_town, required_m2_street
        The profile's floor-area standards (``venues.required_m2_*``).
    parks
        ``id``, ``name``, ``lon``, ``lat``: parks without a 园区 center are listed.
    six_has
        "六有" keys (``venues.six_has``) looked up as boolean center columns.
    six_has_required
        R16: a center that lacks one of them (its column given) is ``“六有”不全``, not compliant; a town is
        judged by its largest center, as the assessment does.
    park_match_m
        A 园区 center within this distance of a park's point serves that park
        (a matching tolerance, not a policy value).
    """
    std = AreaStandard(required_m2_district, required_m2_town, required_m2_street)
    c = centers if centers is not None else pd.DataFrame(columns=["id", "name", "level", "lon", "lat"])
    cs = _Centers.read(c, district)
    six = _SixHas(c, six_has, six_has_required)
    center_table = pd.DataFrame(_center_rows(c, cs, std, six), columns=_CENTER_COLUMNS)

    jrows = []
    jur = district.jurisdictions
    for code, name, kind in zip(jur["code"].astype(str), jur["name"].astype(str), jur["kind"].astype(str)):
        sel = cs.where((cs.code == code) & np.isin(cs.level, TOWN_STREET_LEVELS))
        jrows.append(_best_row(code, name, kind, level_for_kind(kind), std.for_kind(kind), sel, cs, six))
    sel = cs.where(cs.level == DISTRICT_LEVEL)
    jrows.append(_best_row(district.code, district.name, "区", DISTRICT_LEVEL, required_m2_district, sel, cs, six))

    parks_table = pd.DataFrame(_parks_without_center(parks, district, cs, park_match_m), columns=_PARK_COLUMNS)
    return VenueReport(jurisdictions=pd.DataFrame(jrows), centers=center_table, parks_without_center=parks_table)


def _has(v: Any) -> bool:
    return (isinstance(v, (bool, np.bool_)) and bool(v)) or str(v).strip() in _YES


@dataclass(frozen=True)
class _SixHas:
    """The "六有" columns of the centers ledger and whether R16 counts in the verdict."""

    frame: pd.DataFrame
    keys: tuple[str, ...]
    required: bool

    def missing(self, i: int) -> list[str]:
        """The items center ``i`` does not show as present (lacking, blank or not in the ledger's columns)."""
        return [k for k in self.keys if k in self.frame.columns and not _has(self.frame[k].iloc[i])]

    def lacking(self, i: int) -> list[str]:
        """The items the ledger says center ``i`` lacks (否): what R16 judges."""
        return [k for k in self.keys if k in self.frame.columns and flag(self.frame[k].iloc[i]) is False]

    def verdict(self, i: int, ok: Any, status: str) -> tuple[Any, str]:
        if ok is None:
            return ok, status
        return six_has_verdict(bool(ok), status, self.lacking(i), required=self.required)


def _center_rows(c: pd.DataFrame, cs: _Centers, std: AreaStandard, six: _SixHas) -> list[dict[str, Any]]:
    """One compliance row per center (status 无面积标准 where its level has no standard)."""
    rows = []
    for i in range(len(c)):
        req = std.for_level(cs.level[i])
        area = cs.area[i]
        if req is None:
            status, ok, short = STATUS_NA, None, None
        else:
            ok, short, status = area_verdict(float(area), req)
            ok, status = six.verdict(i, ok, status)
        missing_six = six.missing(i)
        rows.append({
            "id": cs.id[i], "name": cs.name[i], "level": cs.level[i], "jurisdiction_code": cs.code[i],
            "floor_area": float(area) if np.isfinite(area) else None, "required_m2": req,
            "compliant": ok, "status": status, "shortfall_m2": short, "six_has_missing": missing_six,
        })
    return rows


def _best_row(code: str, name: str, kind: str, level: str, req: float, sel: np.ndarray,
              cs: _Centers, six: _SixHas) -> dict[str, Any]:
    """The row of a jurisdiction judged by its best (largest) center among ``sel``."""
    if sel.size == 0:
        ok, short, status = area_verdict(None, float(req), has_center=False)
        return {"jurisdiction_code": code, "name": name, "kind": kind, "level": level, "required_m2": float(req),
                "center_id": None, "center_name": None, "best_m2": None, "compliant": ok,
                "status": status, "shortfall_m2": short}
    best = sel[best_index(cs.area[sel].tolist())]
    area = cs.area[best]
    ok, short, status = area_verdict(float(area), float(req))
    ok, status = six.verdict(int(best), ok, status)
    return {"jurisdiction_code": code, "name": name, "kind": kind, "level": level, "required_m2": float(req),
            "center_id": cs.id[best], "center_name": cs.name[best],
            "best_m2": float(area) if np.isfinite(area) else None, "compliant": ok, "status": status,
            "shortfall_m2": short}


def _parks_without_center(parks: pd.DataFrame | None, district: District, cs: _Centers,
                          park_match_m: float) -> list[dict[str, Any]]:
    """Parks no 园区 center serves (same name, or within ``park_match_m``)."""
    if parks is None or not len(parks):
        return []
    p_lon, p_lat = lonlat(parks)
    p_name = texts(parks, "name", empty=None)
    p_id = ids(parks, ("id", "park_id"), prefix="P")
    p_code = codes(parks, district, p_lon, p_lat)
    park_centers = cs.where(cs.level == "园区")
    rows = []
    for j in range(len(parks)):
        served = False
        for i in park_centers:
            if p_name[j] and cs.name[i] and (p_name[j] in cs.name[i]):
                served = True
                break
            if np.isfinite(p_lon[j]) and np.isfinite(cs.lon[i]):
                if float(haversine_m(p_lon[j], p_lat[j], cs.lon[i], cs.lat[i])) <= park_match_m:
                    served = True
                    break
        if not served:
            rows.append({
                "id": p_id[j], "name": p_name[j], "jurisdiction_code": p_code[j],
                "lon": float(p_lon[j]) if np.isfinite(p_lon[j]) else None,
                "lat": float(p_lat[j]) if np.isfinite(p_lat[j]) else None,
                "reason": "园区未建立党群活动服务中心（R15：功能园区必须建立）",
            })
    return rows
