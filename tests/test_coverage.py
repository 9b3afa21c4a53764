"""Tests of service-center coverage, gaps, siting and venue compliance (lianxin_geo.plan.coverage)."""

from __future__ import annotations

import dataclasses
import json
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_box_district

from lianxin_geo.core.crs import from_wgs84
from lianxin_geo.core.distance import RoutingWarning
from lianxin_geo.core.district import District
from lianxin_geo.core.errors import GraphError
from lianxin_geo.plan.coverage import (
    CoverageParams,
    CoveragePlan,
    HexGrid,
    VenueReport,
    candidate_sites,
    coverage_matrix,
    hex_edge_m,
    network_coverage_matrix,
    plan_coverage,
    service_reach,
    venue_compliance,
)

LAT0 = 40.10
M_LAT = 1 / 111_195.0  # degrees per metre of latitude (mean Earth radius)
M_LON = M_LAT / math.cos(math.radians(LAT0))

# street 110000001 is x in [0, 2000] m, town 110000101 is x in [2000, 12000] m, y in [0, 6000] m
ORIGIN = (116.60, LAT0)

PARAMS = CoverageParams(
    reach_m_street=1000.0, reach_m_town=3000.0, district_center_own_town_only=True, circuity=1.0,
    required_m2_district=1500.0, required_m2_town=1200.0, required_m2_street=800.0,
    park_center_required=True, six_has=("has_site", "has_flag"), six_has_required=False,
)


def xy(x_m: float | np.ndarray, y_m: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ORIGIN[0] + np.asarray(x_m) * M_LON, ORIGIN[1] + np.asarray(y_m) * M_LAT


def haversine(lon1, lat1, lon2, lat2):
    r = 6_371_008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def district() -> District:
    def box(x0, x1):
        lo0, la0 = xy(x0, 0)
        lo1, la1 = xy(x1, 6000)
        return (float(lo0), float(la0), float(lo1), float(la1))

    return make_box_district([("110000001", "甲街道", "街道", box(0, 2000)),
                              ("110000101", "乙镇", "镇", box(2000, 12000))], code="110000", approximate=False)


def orgs_frame(points: list[tuple[float, float]], employees=None, members=None) -> pd.DataFrame:
    lon, lat = xy(np.array([p[0] for p in points], dtype=float), np.array([p[1] for p in points], dtype=float))
    n = len(points)
    return pd.DataFrame({
        "id": [f"O{i}" for i in range(n)], "lon": lon, "lat": lat,
        "employees": pd.array(employees if employees is not None else [10] * n, dtype="Int64"),
        "members": members if members is not None else [1] * n,
    })


# ------------------------------------------------------------------ reach
def test_service_reach_by_level_and_kind():
    reach, own = service_reach(
        np.array(["街道级", "镇级", "区级", "社区", "园区", "楼宇", None, None], dtype=object),
        np.array(["街道", "镇", "地区", "镇", "地区", "街道", "镇", None], dtype=object),
        reach_m_street=1200, reach_m_town=5000, district_center_own_town_only=True,
    )
    assert reach.tolist() == [1200, 5000, 5000, 1200, 1200, 1200, 5000, 1200]
    assert own.tolist() == [False, False, True, False, False, False, False, False]


def test_params_from_default_profile():
    p = CoverageParams.from_profile()
    assert (p.reach_m_street, p.reach_m_town, p.circuity) == (1200, 5000, 1.3)
    assert (p.required_m2_district, p.required_m2_town, p.required_m2_street) == (1500, 1200, 800)


# ------------------------------------------------------------------ matrices
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(1.0, 1.6))
def test_coverage_matrix_matches_brute_force(seed, circuity):
    rng = np.random.default_rng(seed)
    s_lon, s_lat = xy(rng.uniform(0, 12_000, 15), rng.uniform(0, 6_000, 15))
    d_lon, d_lat = xy(rng.uniform(0, 12_000, 200), rng.uniform(0, 6_000, 200))
    d_lon[::17] = np.nan
    reach = rng.choice([800.0, 2500.0], 15)
    own = rng.random(15) < 0.3
    s_zone = rng.choice(["a", "b"], 15).astype(object)
    d_zone = rng.choice(["a", "b"], 200).astype(object)
    mat = coverage_matrix(s_lon, s_lat, reach, d_lon, d_lat, circuity=circuity,
                          own_zone_only=own, src_zone=s_zone, dst_zone=d_zone).toarray()
    dist = haversine(s_lon[:, None], s_lat[:, None], d_lon[None, :], d_lat[None, :]) * circuity
    expect = (dist <= reach[:, None]) & (~own[:, None] | (s_zone[:, None] == d_zone[None, :]))
    assert np.array_equal(mat, expect & np.isfinite(dist))


def test_network_coverage_follows_the_road():
    # a straight road along y = 0 from x = 0 to 6000 m, nodes every 500 m; points snap to the nearest node
    # (400 → 500, 1600 → 1500, 2100 → 2000) and the 100 m access leg counts
    g = nx.MultiDiGraph()
    for i in range(13):
        lo, la = xy(500.0 * i, 0.0)
        g.add_node(i, x=float(lo), y=float(la))
    for i in range(12):
        g.add_edge(i, i + 1, length=500.0)
        g.add_edge(i + 1, i, length=500.0)
    s_lon, s_lat = xy(np.array([0.0]), np.array([0.0]))
    d_lon, d_lat = xy(np.array([400.0, 1600.0, 2100.0]), np.array([0.0, 0.0, 0.0]))
    mat = network_coverage_matrix(g, s_lon, s_lat, np.array([2000.0]), d_lon, d_lat, circuity=1.0).toarray()
    assert mat.tolist() == [[True, True, False]]
    # a detour: remove the direct edge 1->2 and 2->1, make the road longer there
    g.remove_edges_from([(1, 2), (2, 1)])
    g.add_edge(1, 2, length=3000.0)
    g.add_edge(2, 1, length=3000.0)
    mat = network_coverage_matrix(g, s_lon, s_lat, np.array([2000.0]), d_lon, d_lat, circuity=1.0).toarray()
    assert mat.tolist() == [[True, False, False]]


# ------------------------------------------------------------------ plan
def crafted(district):
    """Two centers, two uncovered clusters, three candidate sites."""
    # street center at (1000, 3000): reach 1000 m; town center at (6000, 3000): reach 3000 m
    c_lon, c_lat = xy(np.array([1000.0, 6000.0]), np.array([3000.0, 3000.0]))
    centers = pd.DataFrame({
        "id": ["Z1", "Z2"], "name": ["甲街道党群服务中心", "乙镇党群服务中心"], "level": ["街道级", "镇级"],
        "lon": c_lon, "lat": c_lat, "floor_area": [650.0, 1500.0], "jurisdiction_code": ["110000001", "110000101"],
        "has_site": [True, True], "has_flag": [False, True],
    })
    pts = ([(1000 + dx, 3000) for dx in (-300, 0, 300)]  # covered by Z1
           + [(6000 + dx, 3000) for dx in (-2000, 0, 2500)]  # covered by Z2
           + [(1000, 300 + dy) for dy in (0, 100, 200, 300)]  # street cluster, 2.6 km south of Z1: uncovered
           + [(11500, 5500), (11600, 5600), (11400, 5700)]  # far east of the town: uncovered
           + [(11500, 500)])  # a lone org far south-east: uncovered
    orgs = orgs_frame(pts, employees=[5] * 6 + [100] * 4 + [20] * 3 + [1], members=[1] * 14)
    orgs.loc[len(orgs)] = {"id": "NOXY", "lon": np.nan, "lat": np.nan, "employees": 7, "members": 2}
    orgs["jurisdiction_code"] = district.assign(orgs["lon"].to_numpy(), orgs["lat"].to_numpy())
    orgs.loc[orgs["id"] == "NOXY", "jurisdiction_code"] = "110000101"
    s_lon, s_lat = xy(np.array([1000.0, 11000.0, 9000.0]), np.array([600.0, 5000.0, 1000.0]))
    cands = pd.DataFrame({"site_id": ["S-south", "S-east", "S-mid"], "kind": ["楼宇", "社区", "园区"],
                          "name": ["南楼", "东村", "中园"], "lon": s_lon, "lat": s_lat})
    return orgs, centers, cands


def test_plan_picks_the_sites_known_by_hand_and_keeps_centers_fixed(district):
    orgs, centers, cands = crafted(district)
    before = centers.copy()
    plan = plan_coverage(orgs, centers=centers, district=district, candidates=cands, k=2, params=PARAMS,
                         demand="orgs", method="exact")
    pd.testing.assert_frame_equal(centers, before)  # inputs untouched
    sites = plan.proposed_sites
    assert sites["site_id"].tolist() == ["S-south", "S-east"]  # 4 orgs, then 3 orgs (S-mid would add 1)
    assert sites["newly_covered_orgs"].tolist() == [4, 3]
    assert sites["newly_covered_employees"].tolist() == [400.0, 60.0]
    assert sites["jurisdiction_code"].tolist() == ["110000001", "110000101"]
    assert sites["level"].tolist() == ["街道级", "镇级"]
    assert sites["required_m2"].tolist() == [800.0, 1200.0]
    assert all("R15" in r for r in sites["reason"])
    # existing centers are reported as they are, never among the proposals
    assert plan.centers["id"].tolist() == ["Z1", "Z2"]
    assert np.allclose(plan.centers["lon"], centers["lon"])
    assert not set(sites["site_id"]) & set(centers["id"])
    assert plan.stats["status"] == "optimal"
    # employees as demand: the same two sites here, the street cluster first
    plan_e = plan_coverage(orgs, centers=centers, district=district, candidates=cands, k=1, params=PARAMS,
                           demand="employees")
    assert plan_e.proposed_sites["site_id"].tolist() == ["S-south"]


def test_coverage_shares_match_brute_force(district):
    orgs, centers, cands = crafted(district)
    plan = plan_coverage(orgs, centers=centers, district=district, candidates=cands, k=1, params=PARAMS)
    lon, lat = orgs["lon"].to_numpy(float), orgs["lat"].to_numpy(float)
    c_lon, c_lat = centers["lon"].to_numpy(float), centers["lat"].to_numpy(float)
    reach = np.array([1000.0, 3000.0])
    d = haversine(c_lon[:, None], c_lat[:, None], lon[None, :], lat[None, :])
    cov = (d <= reach[:, None]).any(axis=0)
    emp = orgs["employees"].astype("float64").to_numpy()
    mem = orgs["members"].to_numpy(float)
    dist = plan.district
    assert dist["orgs"] == len(orgs) == 15
    assert dist["orgs_unlocated"] == 1
    assert dist["orgs_share"] == pytest.approx(cov.sum() / len(orgs))
    assert dist["employees_share"] == pytest.approx(emp[cov].sum() / emp.sum())
    assert dist["members_share"] == pytest.approx(mem[cov].sum() / mem.sum())
    for row in plan.jurisdictions.itertuples():
        m = orgs["jurisdiction_code"].to_numpy(object) == row.jurisdiction_code
        assert row.orgs == m.sum()
        assert row.orgs_share == pytest.approx(cov[m].sum() / m.sum())
        assert row.employees_share == pytest.approx(emp[m & cov].sum() / emp[m].sum())
    # after the proposed site, the 4-org street cluster is covered too
    assert dist["orgs_share_after"] == pytest.approx((cov.sum() + 4) / len(orgs))
    noxy = plan.orgs.set_index("id").loc["NOXY"]
    assert not noxy["located"] and not noxy["covered"] and noxy["new_site"] is None


def test_district_center_serves_its_own_town_only(district):
    c_lon, c_lat = xy(np.array([1900.0]), np.array([3000.0]))
    centers = pd.DataFrame({"id": ["D"], "name": ["区党群服务中心"], "level": ["区级"], "lon": c_lon, "lat": c_lat,
                            "floor_area": [2000.0], "jurisdiction_code": ["110000001"]})
    orgs = orgs_frame([(1500, 3000), (2300, 3000)])
    orgs["jurisdiction_code"] = district.assign(orgs["lon"].to_numpy(), orgs["lat"].to_numpy())
    plan = plan_coverage(orgs, centers=centers, district=district, params=PARAMS)
    assert plan.orgs["covered"].tolist() == [True, False]  # the second is in the town, 400 m away
    own_off = CoverageParams(**{**PARAMS.__dict__, "district_center_own_town_only": False})
    assert plan_coverage(orgs, centers=centers, district=district, params=own_off).orgs["covered"].tolist() == [
        True, True]


def test_gaps_on_equal_area_hexagons(district):
    orgs, centers, cands = crafted(district)
    plan = plan_coverage(orgs, centers=centers, district=district, params=PARAMS, hex_resolution=7, demand="employees")
    gaps = plan.gaps
    assert gaps["orgs"].sum() == 8  # uncovered and located
    assert gaps["employees"].sum() == pytest.approx(400 + 60 + 1)
    assert gaps.iloc[0]["employees"] == 400  # the street cluster is the worst gap
    assert gaps.iloc[0]["jurisdiction_code"] == "110000001"
    assert gaps["cell_id"].is_unique
    polys = plan.gap_polygons()
    assert len(polys) == len(gaps)
    uncovered = orgs.loc[[6, 7, 8, 9]]
    cell = polys.geometry.iloc[0]
    assert all(cell.contains(shapely.Point(a, b)) for a, b in zip(uncovered["lon"], uncovered["lat"]))


def test_hex_grid_cells_are_equal_area_and_consistent():
    grid = HexGrid(resolution=8, origin=(116.65, 40.13))
    rng = np.random.default_rng(0)
    lon = 116.4 + rng.random(500) * 0.6
    lat = 39.9 + rng.random(500) * 0.4
    q, r, ok = grid.cells(lon, lat)
    assert ok.all()
    clon, clat = grid.centers(q, r)
    q2, r2, _ = grid.cells(clon, clat)
    assert np.array_equal(q, q2) and np.array_equal(r, r2)
    # every point lies within one edge length of its cell centre
    assert haversine(lon, lat, clon, clat).max() <= hex_edge_m(8) * 1.001
    areas = []
    for qi, ri in list(zip(q, r))[:20]:
        poly = shapely.Polygon(grid.boundary(int(qi), int(ri)))
        area = gpd.GeoSeries([poly], crs="EPSG:4326").to_crs("+proj=cea +lon_0=116.6 +lat_ts=40.1").area.iloc[0]
        areas.append(area)
    assert np.allclose(areas, grid.cell_area_m2, rtol=2e-3)
    with pytest.raises(ValueError, match="hex_resolution"):
        HexGrid(resolution=2, origin=(116.6, 40.1))


def test_venue_compliance_flags_shortfall_missing_and_parks(district):
    orgs, centers, cands = crafted(district)
    p_lon, p_lat = xy(np.array([9000.0, 3000.0]), np.array([1000.0, 3000.0]))
    parks = pd.DataFrame({"id": ["P1", "P2"], "name": ["中园", "西园"], "lon": p_lon, "lat": p_lat})
    pc_lon, pc_lat = xy(np.array([3100.0]), np.array([3000.0]))
    centers2 = pd.concat([centers, pd.DataFrame({"id": ["Z3"], "name": ["西园党群服务站"], "level": ["园区"],
                                                 "lon": pc_lon, "lat": pc_lat, "floor_area": [90.0],
                                                 "jurisdiction_code": ["110000101"]})], ignore_index=True)
    rep = venue_compliance(centers2, district, required_m2_district=1500, required_m2_town=1200,
                           required_m2_street=800, parks=parks, six_has=("has_site", "has_flag"))
    j = rep.jurisdictions.set_index("jurisdiction_code")
    assert j.loc["110000001", "status"] == "面积不足"
    assert j.loc["110000001", "shortfall_m2"] == pytest.approx(150.0)
    assert j.loc["110000001", "required_m2"] == 800.0
    assert j.loc["110000101", "status"] == "达标" and j.loc["110000101", "shortfall_m2"] == 0.0
    assert j.loc["110000", "status"] == "缺失"  # no 区级 center
    assert j.loc["110000", "shortfall_m2"] == 1500.0
    c = rep.centers.set_index("id")
    assert c.loc["Z1", "status"] == "面积不足" and c.loc["Z1", "shortfall_m2"] == pytest.approx(150.0)
    assert c.loc["Z1", "six_has_missing"] == ["has_flag"]
    assert c.loc["Z3", "status"] == "无面积标准"
    assert rep.parks_without_center["id"].tolist() == ["P1"]  # P2 has the 园区 center 100 m away


def test_six_has_required_fails_a_center_that_lacks_an_item(district):
    """R16 counted: the town whose largest center lacks 有党旗 is not 达标; without the switch it is."""
    _, centers, _ = crafted(district)
    kw = dict(required_m2_district=1500, required_m2_town=1200, required_m2_street=800, six_has=("has_site", "has_flag"))
    c2 = centers.copy()
    c2["has_flag"] = [True] * len(c2)
    big = c2.loc[c2["jurisdiction_code"].astype(str) == "110000101", "floor_area"].astype(float).idxmax()
    c2.loc[big, "has_flag"] = False
    off = venue_compliance(c2, district, **kw).jurisdictions.set_index("jurisdiction_code")
    on = venue_compliance(c2, district, six_has_required=True, **kw)
    j = on.jurisdictions.set_index("jurisdiction_code")
    assert off.loc["110000101", "status"] == "达标"
    assert j.loc["110000101", "status"] == "“六有”不全" and not j.loc["110000101", "compliant"]
    assert on.centers.set_index("id").loc[c2.loc[big, "id"], "status"] == "“六有”不全"
    c2["has_flag"] = True
    assert venue_compliance(c2, district, six_has_required=True, **kw).jurisdictions.set_index(
        "jurisdiction_code").loc["110000101", "status"] == "达标"


def test_to_json_shape_is_plain_and_nan_free(district):
    orgs, centers, cands = crafted(district)
    b_lon, b_lat = xy(np.array([1000.0, 1000.0]), np.array([3100.0, 500.0]))
    buildings = pd.DataFrame({"id": ["B1", "B2"], "name": ["一号楼", "二号楼"], "lon": b_lon, "lat": b_lat})
    plan = plan_coverage(orgs, centers=centers, district=district, buildings=buildings, candidates=cands, k=2,
                         params=PARAMS)
    doc = plan.to_json()
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False)
    back = json.loads(text)
    assert set(back["coverage"]["district"]) >= {"orgs_share", "members_share", "employees_share"}
    assert len(back["coverage"]["jurisdictions"]) == 2
    assert set(back["gaps"][0]) >= {"cell_id", "lon", "lat", "orgs", "employees"}
    assert set(back["proposed_sites"][0]) >= {"site_id", "kind", "lon", "lat", "jurisdiction_code",
                                              "newly_covered_orgs", "newly_covered_employees"}
    assert set(back["stats"]) >= {"seconds", "method", "bound"}
    assert back["venues"] and back["buildings_uncovered"][0]["id"] == "B2"
    unc = {o["org_id"]: o for o in back["orgs_uncovered"]}
    assert len(unc) == 9 and unc["NOXY"]["lon"] is None and "坐标" in unc["NOXY"]["reason"]
    assert unc["O6"]["new_site"] == "S-south"
    assert back["buildings_uncovered"][0]["covered_after"] is True  # S-south reaches it
    assert back["proposed_sites"][0]["newly_covered_buildings"] == 1


def test_default_candidates_pool(district):
    b_lon, b_lat = xy(np.array([500.0, np.nan]), np.array([500.0, 1.0]))
    buildings = pd.DataFrame({"id": ["B1", "B2"], "name": ["甲楼", "乙楼"], "lon": b_lon, "lat": b_lat})
    parks = pd.DataFrame({"id": ["P1"], "name": ["园"], "lon": b_lon[:1], "lat": b_lat[:1]})
    extra = pd.DataFrame({"id": ["U1"], "name": ["自选点"], "lon": b_lon[:1], "lat": b_lat[:1]})
    pool = candidate_sites(district, buildings=buildings, parks=parks, extra=extra)
    assert pool["site_id"].tolist() == ["B:B1", "P:P1", "U:U1"]
    assert pool["kind"].tolist() == ["楼宇", "园区", "自选"]


def road_plan(district):
    """An east-west road through both centers, and the plan measured along it."""
    orgs, centers, cands = crafted(district)
    g = nx.MultiDiGraph()
    for i in range(25):  # an east-west road along y = 3000 m, a node every 500 m
        lo, la = xy(500.0 * i, 3000.0)
        g.add_node(i, x=float(lo), y=float(la))
    for i in range(24):
        g.add_edge(i, i + 1, length=500.0)
        g.add_edge(i + 1, i, length=500.0)
    with pytest.warns(RoutingWarning, match="路网"):
        plan = plan_coverage(orgs, centers=centers, district=district, params=PARAMS, graph=g)
    assert plan.stats["distance_source"] == "road_graph"
    # the six orgs on the road are covered exactly as along the road (2.5 km east of Z2 is within 3 km)
    assert plan.orgs["covered"].tolist()[:6] == [True] * 6
    assert plan.district["orgs_covered"] == 6
    return g, plan


def test_plan_on_a_road_graph_reports_network_source(district):
    road_plan(district)


def test_plan_reads_a_road_graph_file_like_the_graph(district, tmp_path):
    g, plan = road_plan(district)
    path = tmp_path / "road.graphml"
    nx.write_graphml(g, path)
    orgs, centers, _ = crafted(district)
    with pytest.warns(RoutingWarning, match="路网"):
        from_file = plan_coverage(orgs, centers=centers, district=district, params=PARAMS, graph=str(path))
    assert from_file.stats["distance_source"] == "road_graph"
    assert from_file.orgs["covered"].tolist() == plan.orgs["covered"].tolist()
    assert from_file.centers["orgs_in_reach"].tolist() == plan.centers["orgs_in_reach"].tolist()
    with pytest.raises(GraphError):
        plan_coverage(orgs, centers=centers, district=district, params=PARAMS, graph=42)


def test_ledger_shaped_input_gcj02_town_names_no_ids(district):
    orgs, centers, _ = crafted(district)
    led = orgs.drop(columns=["id", "jurisdiction_code"]).iloc[:6].copy()  # the six covered orgs
    g_lon, g_lat = from_wgs84(led["lon"].to_numpy(float), led["lat"].to_numpy(float), "GCJ02")
    led["lon"], led["lat"], led["crs"] = g_lon, g_lat, "GCJ02"
    led["town"] = ["甲街道"] * 3 + ["乙"] * 3  # short names resolve too
    cen = centers.drop(columns=["id", "jurisdiction_code"]).assign(town=["甲街道", "乙镇"])
    plan = plan_coverage(led, centers=cen, district=district, params=PARAMS)
    assert plan.orgs["covered"].all()  # GCJ-02 → WGS-84 before measuring (GCJ offsets are hundreds of metres)
    assert plan.orgs["id"].tolist() == [f"O{i}" for i in range(6)]
    assert plan.orgs["jurisdiction_code"].tolist() == ["110000001"] * 3 + ["110000101"] * 3
    assert plan.centers["id"].tolist() == ["Z0", "Z1"]


def test_tables_for_export_have_chinese_sheets_and_headers(district):
    orgs, centers, cands = crafted(district)
    plan = plan_coverage(orgs, centers=centers, district=district, candidates=cands, k=2, params=PARAMS)
    sheets = plan.tables()
    assert list(sheets)[0] == "镇街覆盖"
    cov = sheets["镇街覆盖"]
    assert cov["名称"].tolist() == ["甲街道", "乙镇", "测试区"]
    assert cov["组织数"].tolist() == [7, 8, 15]
    assert sheets["建议新址"]["候选点编号"].tolist() == ["S-south", "S-east"]
    assert sheets["中心面积"].set_index("编号").loc["Z1", "“六有”缺项"] == "有党旗"
    assert len(sheets["未覆盖组织"]) == 9


def test_plan_is_a_typed_frozen_result(district):
    orgs, centers, cands = crafted(district)
    plan = plan_coverage(orgs, centers=centers, district=district, candidates=cands, k=2, params=PARAMS)
    assert isinstance(plan, CoveragePlan) and isinstance(plan.venues, VenueReport)
    for name in ("orgs", "centers", "jurisdictions", "gaps", "proposed_sites", "buildings_uncovered"):
        assert isinstance(getattr(plan, name), pd.DataFrame), name
    for name in ("jurisdictions", "centers", "parks_without_center"):
        assert isinstance(getattr(plan.venues, name), pd.DataFrame), name
    assert isinstance(plan.district, dict) and isinstance(plan.stats, dict)
    assert {"id", "reach_m"} <= set(plan.centers.columns)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.gaps = plan.gaps.head(0)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.venues.centers = plan.venues.centers.head(0)  # type: ignore[misc]
    # the uncovered orgs as a frame are what the JSON lists
    unc = plan.uncovered_orgs()
    assert unc["org_id"].tolist() == [o["org_id"] for o in plan.to_json()["orgs_uncovered"]]
    assert unc.columns.tolist() == ["org_id", "jurisdiction_code", "lon", "lat", "new_site", "reason"]
    assert plan.mclp is not None and len(plan.mclp.selected) == 2 and plan.grid is not None
