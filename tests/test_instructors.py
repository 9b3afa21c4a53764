"""Instructor workloads and routes on a crafted two-town district."""

from __future__ import annotations

import dataclasses
import json
import math
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_box_district

from lianxin_geo.core import crs
from lianxin_geo.core.distance import haversine_m, haversine_matrix
from lianxin_geo.core.district import District
from lianxin_geo.core.policy import load_profile
from lianxin_geo.plan.routes import (
    InstructorParams,
    InstructorPlan,
    default_needs_instructor,
    plan_instructor_routes,
    plan_workloads,
)
from lianxin_geo.plan.routes.result import ROUTE_COLUMNS, STOP_COLUMNS, TOWN_COLUMNS

A, B = "110113901", "110113902"
PARAMS = InstructorParams(orgs_per_instructor=10, min_orgs=8, max_orgs=12, visit_minutes=30, speed_kmh=30,
                          include_new_units=True, circuity=1.3)
FAST = dict(time_limit_s=1.0, max_iterations=300, params=PARAMS)


@pytest.fixture(scope="module")
def district() -> District:
    """Town A: lon 116.50–116.60; town B: lon 116.60–116.70; both lat 40.00–40.10."""
    return make_box_district([(A, "甲镇", "镇", (116.50, 40.00, 116.60, 40.10)),
                              (B, "乙街道", "街道", (116.60, 40.00, 116.70, 40.10))], source="test")


def make_orgs(n_a: int = 37, n_b: int = 14, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lon = np.r_[rng.uniform(116.51, 116.59, n_a), rng.uniform(116.61, 116.69, n_b)]
    lat = rng.uniform(40.01, 40.09, n_a + n_b)
    n = n_a + n_b
    return pd.DataFrame({
        "id": [f"O{i:03d}" for i in range(n)],
        "name": [f"单位{i}" for i in range(n)],
        "lon": lon,
        "lat": lat,
        "jurisdiction_code": [A] * n_a + [B] * n_b,
        "industry": rng.choice(["I65", "C", "F", "M73"], n),
        "party_status": "未建立",
        "members": 0,
        "instructor": "",
    })


def centers() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["甲镇社区中心", "甲镇党群活动服务中心"],
        "level": ["社区", "镇级"],
        "jurisdiction_code": [A, A],
        "lon": [116.52, 116.55],
        "lat": [40.02, 40.05],
    })


def _grid() -> nx.MultiDiGraph:
    """A 4×3 two-way street grid (0.01° spacing) with lengths in metres, osmnx conventions."""
    g = nx.MultiDiGraph(crs="epsg:4326")
    for i in range(4):
        for j in range(3):
            g.add_node(i * 3 + j, x=116.60 + 0.01 * i, y=40.10 + 0.01 * j)
    for u, v in [(u, v) for u in g for v in g if u < v]:
        du, dv = g.nodes[u], g.nodes[v]
        if abs(du["x"] - dv["x"]) + abs(du["y"] - dv["y"]) < 0.0101:
            length = float(haversine_m(du["x"], du["y"], dv["x"], dv["y"]))
            g.add_edge(u, v, length=length)
            g.add_edge(v, u, length=length)
    return g


def all_ids(plan) -> list[str]:
    return [i for ids in plan.routes["org_ids"] for i in ids]


def route_towns(plan) -> dict[str, set[str]]:
    """Town codes of each route's orgs (``stops.jurisdiction_code``)."""
    return {k: set(v) for k, v in plan.stops.groupby("instructor_id")["jurisdiction_code"]}


# ---------------------------------------------------------------- who needs an instructor
def test_default_needs_instructor_mask() -> None:
    df = pd.DataFrame({
        "party_status": ["未建立", "单独建立", "未建立", None, "未建立"],
        "members": [0, 0, 2, np.nan, 0],
        "instructor": ["", "", "", None, "张三"],
    })
    assert default_needs_instructor(df).tolist() == [True, False, False, True, False]
    assert default_needs_instructor(df, replan=True).tolist() == [True, False, False, True, True]


def test_every_needing_org_assigned_once_or_reported(district: District) -> None:
    orgs = make_orgs()
    orgs.loc[5, "members"] = 3  # has members: no instructor needed
    orgs.loc[6, "party_status"] = "单独建立"
    orgs.loc[7, "instructor"] = "李四"  # already has one: kept, and visited by 李四
    orgs.loc[8, ["lon", "lat"]] = np.nan  # no coordinates
    orgs.loc[9, ["lon", "lat", "jurisdiction_code"]] = [117.5, 41.0, ""]  # outside, no town
    plan = plan_instructor_routes(orgs, centers=centers(), district=district, **FAST)
    ids = all_ids(plan)
    assert len(ids) == len(set(ids))
    un = dict(zip(plan.unassigned["org_id"], plan.unassigned["reason"]))
    assert un["O008"] == "缺少坐标" and "镇街" in un["O009"]
    expected = set(orgs["id"]) - {"O005", "O006", "O008", "O009"}
    assert set(ids) == expected
    assert plan.stats["orgs"] == len(expected) and plan.stats["candidates"] == len(expected) - 1 + 2
    li = plan.routes[plan.routes["instructor"] == "李四"]
    assert len(li) == 1 and "O007" in li.iloc[0]["org_ids"] and li.iloc[0]["instructor_kind"] == "现有"
    assert plan.stats["orgs_kept"] == 1 and plan.stats["instructors_named"] == 1


def test_band_and_instructor_count(district: District) -> None:
    plan = plan_instructor_routes(make_orgs(), centers=centers(), district=district, **FAST)
    sizes = {A: [], B: []}
    for r in plan.routes.itertuples():
        sizes[r.jurisdiction_code].append(len(r.org_ids))
    assert all(s <= PARAMS.max_orgs for v in sizes.values() for s in v)
    assert len(sizes[A]) == math.ceil(37 / 10) and sum(sizes[A]) == 37
    assert len(sizes[B]) == math.ceil(14 / 10) and sum(sizes[B]) == 14
    assert max(sizes[A]) - min(sizes[A]) <= 1  # balanced: 10, 9, 9, 9
    town = plan.towns.set_index("jurisdiction_code")
    assert town.loc[A, "instructors_needed"] == 4 and town.loc[B, "orgs_max"] == 7


def test_routes_stay_in_town_unless_cross_town(district: District) -> None:
    orgs = make_orgs(20, 12, seed=3)
    # B's orgs sit just east of the border, much closer to A's center than to B's seat
    orgs.loc[orgs["jurisdiction_code"] == B, "lon"] = np.linspace(116.601, 116.606, 12)
    orgs.loc[orgs["jurisdiction_code"] == B, "lat"] = np.linspace(40.045, 40.055, 12)
    bases = pd.DataFrame({"jurisdiction_code": [B], "lon": [116.695], "lat": [40.095], "name": ["乙街道远端驻点"]})
    kept = plan_instructor_routes(orgs, centers=centers(), district=district, bases=bases, **FAST)
    towns = route_towns(kept)
    assert all(towns[r.instructor_id] == {r.jurisdiction_code} for r in kept.routes.itertuples())
    crossed = plan_instructor_routes(orgs, centers=centers(), district=district, bases=bases, cross_town=True, **FAST)
    assert any(len(t) == 2 for t in route_towns(crossed).values())
    assert sorted(all_ids(crossed)) == sorted(orgs["id"])
    assert all(len(ids) <= PARAMS.max_orgs for ids in crossed.routes["org_ids"])


def test_base_choice(district: District) -> None:
    plan = plan_instructor_routes(make_orgs(), centers=centers(), district=district, **FAST)
    base = {r.jurisdiction_code: r for r in plan.routes.itertuples()}
    assert base[A].base_name == "甲镇党群活动服务中心"  # 镇级 preferred over 社区
    assert base[B].base_kind == "镇街驻地"  # no center in B: the town seat
    assert shapely.contains_xy(district.jurisdictions.geometry.iloc[1], base[B].base_lon, base[B].base_lat)
    user = pd.DataFrame({"jurisdiction_code": [A], "lon": [116.58], "lat": [40.08], "name": ["自定驻点"]})
    plan2 = plan_instructor_routes(make_orgs(), centers=centers(), district=district, bases=user, **FAST)
    assert set(plan2.routes.loc[plan2.routes["jurisdiction_code"] == A, "base_name"]) == {"自定驻点"}


def test_extra_sites_replan_and_needs_column(district: District) -> None:
    orgs = make_orgs(12, 0)
    orgs.loc[0, "instructor"] = "王五"
    extra = pd.DataFrame({"id": ["J1", "J2"], "lon": [116.55, 116.56], "lat": [40.05, 40.06],
                          "jurisdiction_code": [A, A]})
    plan = plan_instructor_routes(orgs, centers=None, district=district, extra_sites=extra, **FAST)
    assert {"J1", "J2"} <= set(all_ids(plan))
    wang = plan.routes[plan.routes["instructor"] == "王五"]
    assert len(wang) == 1 and "O000" in wang.iloc[0]["org_ids"]  # 王五 keeps O000
    no_new = dataclasses.replace(PARAMS, include_new_units=False)
    plan = plan_instructor_routes(orgs, centers=None, district=district, extra_sites=extra,
                                  time_limit_s=1.0, max_iterations=500, params=no_new)
    assert not {"J1", "J2"} & set(all_ids(plan))
    plan = plan_instructor_routes(orgs, centers=None, district=district, replan=True, **FAST)
    assert sorted(all_ids(plan)) == sorted(orgs["id"]) and plan.stats["orgs_kept"] == 0
    assert set(plan.routes["instructor"]) == {"王五"}  # re-planned, but by the person the ledger names
    orgs["needs_instructor"] = [True, True, True] + [False] * 9
    plan = plan_instructor_routes(orgs, centers=None, district=district, **FAST)
    assert sorted(all_ids(plan)) == ["O000", "O001", "O002"]  # O000 stays with 王五, who takes O001 and O002
    assert set(plan.routes["instructor"]) == {"王五"} and plan.stats["instructors_new"] == 0


def test_instructors_available_per_town(district: District) -> None:
    orgs = make_orgs()
    orgs.loc[[0, 1, 2], "instructor"] = ["张三", "张三", "李四"]
    orgs.loc[[0, 1, 2], "members"] = 1
    orgs.loc[40, "instructor"] = "赵六"
    plan = plan_instructor_routes(orgs, centers=None, district=district, **FAST)
    town = plan.towns.set_index("jurisdiction_code")
    assert town.loc[A, "instructors_available"] == 2 and town.loc[B, "instructors_available"] == 1
    # A: 34 orgs waiting + 3 kept; 张三 (2) and 李四 (1) take 8 + 9 (up to 10 each), 17 left: 2 new posts
    assert town.loc[A, "instructors_gap"] == town.loc[A, "instructors_new"] == 2
    assert town.loc[A, "instructors_needed"] == 4 and town.loc[A, "orgs"] == 37
    assert (town.loc[A, "orgs_kept"], town.loc[A, "orgs_to_named"], town.loc[A, "orgs_to_new"]) == (3, 17, 17)
    # B: 赵六 (1 org) takes 9 of the 13 waiting; 4 left (< min_orgs 8): 赵六 takes 2 more up to max_orgs 12,
    # the last 2 need a new post
    assert town.loc[B, "instructors_gap"] == town.loc[B, "instructors_new"] == 1
    assert town.loc[B, "instructors_named"] == 1 and town.loc[B, "orgs_max"] == 12 and town.loc[B, "orgs_min"] == 2


def test_route_numbers_and_json_shape(district: District) -> None:
    plan = plan_instructor_routes(make_orgs(), centers=centers(), district=district, **FAST)
    out = json.loads(json.dumps(plan.to_json(), ensure_ascii=False))
    assert set(out) >= {"routes", "unassigned", "stats", "towns", "nav"}
    r0 = out["routes"][0]
    assert set(r0) >= {"instructor_id", "jurisdiction_code", "base", "org_ids", "length_km", "minutes"}
    assert set(out["stats"]) >= {"orgs", "instructors", "total_km", "seconds", "distance_source"}
    assert out["stats"]["distance_source"] == "great_circle"
    # length and minutes recomputed from coordinates
    orgs = make_orgs().set_index("id")
    for r in plan.routes.itertuples():
        lon = np.r_[r.base_lon, orgs.loc[list(r.org_ids), "lon"].to_numpy(), r.base_lon]
        lat = np.r_[r.base_lat, orgs.loc[list(r.org_ids), "lat"].to_numpy(), r.base_lat]
        m = haversine_matrix(lon, lat) * 1.3
        km = sum(m[i, i + 1] for i in range(len(lon) - 1)) / 1000
        assert r.length_km == pytest.approx(km, rel=1e-6)
        assert r.minutes == pytest.approx(km / 30 * 60 + 30 * len(r.org_ids))
    assert out["stats"]["total_km"] == pytest.approx(plan.routes["length_km"].sum(), abs=1e-3)


def test_nav_links_carry_converted_coordinates(district: District) -> None:
    plan = plan_instructor_routes(make_orgs(12, 0), centers=centers(), district=district, **FAST)
    r = next(plan.routes.itertuples())
    stops = plan.route_stops(r.instructor_id)
    q = parse_qs(urlsplit(r.amap).query)
    via = [tuple(map(float, p.split(",")[:2])) for p in q["via"][0].split(";")]
    glon, glat = crs.wgs84_to_gcj02(stops["lon"].to_numpy(), stops["lat"].to_numpy())
    assert np.allclose(np.array(via), np.column_stack([glon, glat]), atol=2e-6)
    qb = parse_qs(urlsplit(r.baidu).query)
    o_lat, o_lon = map(float, qb["origin"][0].split("|")[0].removeprefix("latlng:").split(","))
    blon, blat = crs.wgs84_to_bd09(r.base_lon, r.base_lat)
    assert (o_lat, o_lon) == pytest.approx((blat, blon), abs=2e-6)
    assert len(r.amap_legs) == len(r.baidu_legs) == len(r.org_ids) + 1


def test_route_sheet_and_markdown(district: District) -> None:
    plan = plan_instructor_routes(make_orgs(), centers=centers(), district=district, **FAST)
    sheet = plan.route_sheet()
    assert len(sheet) == sum(len(ids) + 2 for ids in plan.routes["org_ids"])
    last = sheet.groupby("路线编号").tail(1).set_index("路线编号")
    for r in plan.routes.itertuples():
        assert last.loc[r.route_id, "累计里程(公里)"] == pytest.approx(r.length_km, abs=0.01)
        assert last.loc[r.route_id, "预计到达(分钟)"] == pytest.approx(r.minutes, abs=0.1)
    md = plan.to_markdown()
    assert all(i in md for i in plan.routes["instructor_id"]) and "高德导航" in md


def test_same_seed_same_answer(district: District) -> None:
    runs = [plan_instructor_routes(make_orgs(), centers=centers(), district=district, seed=4, **FAST)
            for _ in range(2)]
    assert runs[0].routes["org_ids"].tolist() == runs[1].routes["org_ids"].tolist()


def test_road_graph_is_used(district: District) -> None:
    orgs = make_orgs(6, 0)
    orgs["lon"] = np.linspace(116.601, 116.629, 6)
    orgs["lat"] = np.linspace(40.101, 40.119, 6)
    orgs["jurisdiction_code"] = A
    plan = plan_instructor_routes(orgs, centers=centers().iloc[[1]].assign(lon=116.60, lat=40.10),
                                  district=district, graph=_grid(), **FAST)
    assert plan.stats["distance_source"] == "road"
    assert sorted(all_ids(plan)) == sorted(orgs["id"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=1, max_value=40), target=st.integers(min_value=2, max_value=12),
       seed=st.integers(min_value=0, max_value=1000))
def test_plan_workloads_invariants(n: int, target: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 5000, size=(n + 1, 2))
    m = np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1))
    routes, status = plan_workloads(m, orgs_per_instructor=target, max_orgs=target + 2, time_limit_s=0.3,
                                    max_iterations=150, seed=seed, industry=rng.choice(["", "I", "C"], n + 1))
    assert status in ("FEASIBLE", "OPTIMAL")
    assert sorted(i for r in routes for i in r) == list(range(1, n + 1))
    assert len(routes) == math.ceil(n / target)
    assert all(len(r) <= target + 2 for r in routes)


# ---------------------------------------------------------------- params and typed result
def test_params_from_profile_follow_profile_edits() -> None:
    base = InstructorParams.from_profile()
    prof = load_profile()
    assert base.orgs_per_instructor == prof.get("instructors.orgs_per_instructor")
    assert base.circuity == prof.get("distance.circuity") and base.profile is not None
    edited = prof.with_values({"instructors.min_orgs": 6, "instructors.orgs_per_instructor": 7,
                               "instructors.max_orgs": 9, "distance.circuity": 1.5})
    p = InstructorParams.from_profile(edited)
    assert (p.min_orgs, p.orgs_per_instructor, p.max_orgs, p.circuity) == (6, 7, 9, 1.5)
    assert p.speed_kmh == base.speed_kmh and p != base
    assert InstructorParams.from_profile(edited, speed_kmh=45, max_orgs=None).speed_kmh == 45.0
    assert InstructorParams.from_profile(edited, max_orgs=None).max_orgs == 9  # None keeps the profile's value
    with pytest.raises(TypeError, match="max_orgz"):
        InstructorParams.from_profile(max_orgz=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.max_orgs = 3  # type: ignore[misc]


def test_profile_edit_changes_the_plan(district: District) -> None:
    orgs = make_orgs(30, 0)
    tight = load_profile().with_values({"instructors.min_orgs": 4, "instructors.orgs_per_instructor": 5,
                                        "instructors.max_orgs": 6})
    plan = plan_instructor_routes(orgs, centers=centers(), district=district, profile=tight, time_limit_s=1.0,
                                  max_iterations=300)
    assert len(plan.routes) == 6 and plan.params.orgs_per_instructor == 5 and plan.stats["max_orgs"] == 6
    with pytest.raises(TypeError, match="只能给一个"):
        plan_instructor_routes(orgs, centers=None, district=district, profile=tight, params=PARAMS)


def test_typed_result_tables_agree(district: District) -> None:
    orgs = make_orgs()
    orgs.loc[3, ["lon", "lat"]] = np.nan
    plan = plan_instructor_routes(orgs, centers=centers(), district=district, **FAST)
    assert isinstance(plan, InstructorPlan) and plan.params == PARAMS
    assert tuple(plan.routes.columns) == ROUTE_COLUMNS and tuple(plan.stops.columns) == STOP_COLUMNS
    assert tuple(plan.towns.columns) == TOWN_COLUMNS and list(plan.unassigned.columns) == ["org_id", "reason"]
    assert plan.routes["instructor_id"].is_unique and len(plan.stops) == plan.routes["stops"].sum() == 50
    for r in plan.routes.itertuples():
        s = plan.route_stops(r.instructor_id)
        assert tuple(s["org_id"]) == r.org_ids and s["order"].tolist() == list(range(1, r.stops + 1))
        assert r.length_km == pytest.approx(s["leg_km"].sum() + r.return_km, rel=1e-12)
        assert r.instructor_id.startswith(r.jurisdiction_code + "-")
    doc = plan.to_json()
    assert [r["org_ids"] for r in doc["routes"]] == [list(ids) for ids in plan.routes["org_ids"]]
    assert [r["org_names"] for r in doc["routes"]] == [plan.route_stops(i)["name"].tolist()
                                                      for i in plan.routes["instructor_id"]]
    assert doc["unassigned"] == [{"org_id": "O003", "reason": "缺少坐标"}]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.stats = {}  # type: ignore[misc]


def test_empty_plan_has_the_columns(district: District) -> None:
    orgs = make_orgs(3, 0).assign(members=2)
    plan = plan_instructor_routes(orgs, centers=None, district=district, **FAST)
    assert plan.routes.empty and tuple(plan.routes.columns) == ROUTE_COLUMNS and plan.stops.empty
    assert plan.to_json()["routes"] == [] and plan.stats["orgs"] == 0 and plan.route_sheet().empty
    assert plan.to_markdown().startswith("# 党建工作指导员走访路线")
