"""Shared fixtures of the joint-unit tests: a two-town district and an org record builder."""

from __future__ import annotations

from conftest import make_box_district

from lianxin_geo.core.district import District


def two_town_district() -> District:
    """T1 (a 街道, 1.5 km limit) west of T2 (a 镇, 3 km limit); they share an edge."""
    return make_box_district([("T1", "甲街道", "街道", (116.59, 40.09, 116.61, 40.13)),
                              ("T2", "乙镇", "镇", (116.61, 40.09, 116.63, 40.13))], code="X")


def org(i, members, town, lon, lat, *, industry="I", employees=10, status="未建立", **kw):
    return {"id": i, "name": f"单位{i}", "lon": lon, "lat": lat, "jurisdiction_code": town, "industry": industry,
            "members": members, "employees": employees, "party_status": status, "joint_org_id": None,
            "building": kw.get("building"), "park": kw.get("park")}
