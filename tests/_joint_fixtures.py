"""Shared fixtures of the joint-unit tests: a two-town district and an org record builder."""

from __future__ import annotations

import geopandas as gpd
import shapely

from lianxin_geo.core.district import District


def two_town_district() -> District:
    """T1 (a 街道, 1.5 km limit) west of T2 (a 镇, 3 km limit); they share an edge."""
    t1 = shapely.box(116.59, 40.09, 116.61, 40.13)
    t2 = shapely.box(116.61, 40.09, 116.63, 40.13)
    jur = gpd.GeoDataFrame(
        {"code": ["T1", "T2"], "name": ["甲街道", "乙镇"], "mca_name": ["甲街道", "乙镇"],
         "kind": ["街道", "镇"], "approximate": [True, True]},
        geometry=[t1, t2], crs="EPSG:4326")
    return District(code="X", name="测试区", jurisdictions=jur, outline=shapely.union(t1, t2))


def org(i, members, town, lon, lat, *, industry="I", employees=10, status="未建立", **kw):
    return {"id": i, "name": f"单位{i}", "lon": lon, "lat": lat, "jurisdiction_code": town, "industry": industry,
            "members": members, "employees": employees, "party_status": status, "joint_org_id": None,
            "building": kw.get("building"), "park": kw.get("park")}
