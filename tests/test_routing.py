"""Routing: the CVRP entry point, distances (great circle, road graph) and navigation links."""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianxin_geo.core import crs, distance
from lianxin_geo.core.distance import (
    RoadGraph,
    RoutingWarning,
    as_road_graph,
    haversine_m,
    haversine_matrix,
    load_road_graph,
    sparse_neighbor_matrix,
)
from lianxin_geo.core.errors import GraphError
from lianxin_geo.plan.routes import routing
from lianxin_geo.plan.routes.navigation import amap_leg_urls, amap_route_url, baidu_route_url
from lianxin_geo.plan.routes.routing import (
    CVRPInputError,
    CVRPResult,
    distance_matrix,
    fetch_road_graph,
    read_vrplib,
    route_cost,
    solve_cvrp,
)

ROOT = Path(__file__).resolve().parents[1]
CVRP_DIR = ROOT / "benchmarks" / "data" / "cvrp"
GRAPH_FILE = Path(__file__).resolve().parent / "data" / "routing" / "tiny_grid.graphml"


# ---------------------------------------------------------------- helpers


def brute_force_cvrp(m: np.ndarray, dem: np.ndarray, cap: int) -> float:
    """Exact optimum by enumerating giant tours and splitting each optimally (tiny n only)."""
    n = m.shape[0]
    best = math.inf
    for perm in itertools.permutations(range(1, n)):
        # optimal split of the giant tour (Bellman on a DAG)
        f = [0.0] + [math.inf] * len(perm)
        for i in range(len(perm)):
            load, inner = 0, 0.0
            for j in range(i, len(perm)):
                load += dem[perm[j]]
                if load > cap:
                    break
                if j > i:
                    inner += m[perm[j - 1], perm[j]]
                cost = m[0, perm[i]] + inner + m[perm[j], 0]
                f[j + 1] = min(f[j + 1], f[i] + cost)
        best = min(best, f[-1])
    return best


def check_solution(res: CVRPResult, dem: np.ndarray, cap: int, depot: int = 0) -> None:
    seen = sorted(i for r in res.routes for i in r)
    assert seen == [i for i in range(dem.size) if i != depot]
    assert all(int(dem[r].sum()) <= cap for r in res.routes)


# ---------------------------------------------------------------- CVRP
def test_tiny_instance_reaches_brute_force_optimum() -> None:
    rng = np.random.default_rng(7)
    xy = rng.integers(0, 100, size=(7, 2)).astype(float)
    dem = np.array([0, 2, 1, 3, 2, 1, 3])
    cap = 5
    m = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    opt = brute_force_cvrp(m, dem, cap)
    res = solve_cvrp(xy, dem, cap, round_distances=True, time_limit_s=1.0, max_iterations=3000)
    check_solution(res, dem, cap)
    assert res.status == "FEASIBLE"
    assert res.cost == pytest.approx(opt)
    assert res.cost == pytest.approx(route_cost(m, res.routes))


def test_standard_instance_within_three_percent() -> None:
    xy, dem, cap, opt = read_vrplib(CVRP_DIR / "A-n32-k5.vrp")
    assert opt == 784 and xy.shape == (32, 2)
    res = solve_cvrp(xy, dem, cap, round_distances=True, time_limit_s=2.0)
    check_solution(res, dem, cap)
    assert res.cost <= opt * 1.03
    assert res.cost >= opt  # the optimum is a true lower bound: a cost below it means a wrong metric
    assert res.solver == "pyvrp" and res.seconds < 10


def test_result_unpacks_and_indexes() -> None:
    xy = np.array([[0, 0], [0, 3], [4, 0], [4, 3]], dtype=float)
    res = solve_cvrp(xy, [0, 1, 1, 1], 3, time_limit_s=0.3, max_iterations=500)
    routes, cost, status = res
    assert routes is res.routes and res[1] == cost and res[2] == status and len(res) == 3
    # one tour around the rectangle, 3 + 4 + 3 + 4; any split into two routes costs at least 18
    assert cost == pytest.approx(14.0) and len(routes) == 1
    assert route_cost(np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1)), routes) == pytest.approx(cost)


def test_unrounded_cost_comes_from_the_float_matrix() -> None:
    xy = np.array([[0, 0], [1, 1], [2, 0.5], [0.3, 2.2]], dtype=float)
    res = solve_cvrp(xy, [0, 1, 1, 1], 1, time_limit_s=0.3, max_iterations=300)
    expected = 2 * sum(math.hypot(*xy[i]) for i in (1, 2, 3))  # capacity 1: out and back each
    assert res.cost == pytest.approx(expected, rel=1e-12)
    assert sorted(len(r) for r in res.routes) == [1, 1, 1]


def test_haversine_and_matrix_paths_agree() -> None:
    rng = np.random.default_rng(3)
    lon = 116.6 + rng.uniform(-0.05, 0.05, 12)
    lat = 40.1 + rng.uniform(-0.05, 0.05, 12)
    dem = np.r_[0, np.ones(11, dtype=int)]
    coords = np.column_stack([lon, lat])
    a = solve_cvrp(coords, dem, 4, metric="haversine", time_limit_s=1.0, max_iterations=400, seed=1)
    b = solve_cvrp(None, dem, 4, metric=haversine_matrix(lon, lat), time_limit_s=1.0, max_iterations=400, seed=1)
    assert a.cost == pytest.approx(b.cost)
    assert a.routes == b.routes
    assert 1_000 < a.cost < 100_000  # metres over a ~10 km box


def test_same_seed_same_answer() -> None:
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 1000, size=(25, 2))
    dem = np.r_[0, rng.integers(1, 5, 24)]
    runs = [solve_cvrp(xy, dem, 15, time_limit_s=5.0, max_iterations=300, seed=5) for _ in range(2)]
    assert runs[0].routes == runs[1].routes and runs[0].cost == runs[1].cost


def test_num_vehicles_bounds_the_fleet() -> None:
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 100, size=(21, 2))
    dem = np.r_[0, np.ones(20, dtype=int)]
    res = solve_cvrp(xy, dem, 7, num_vehicles=3, time_limit_s=1.0, max_iterations=300)
    assert res.ok and len(res.routes) <= 3
    check_solution(res, dem, 7)


@pytest.mark.parametrize("solver", ["ortools", "vroom"])
def test_other_backends_give_valid_routes(solver: str) -> None:
    pytest.importorskip("vroom" if solver == "vroom" else "ortools")
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 100, size=(15, 2))
    dem = np.r_[0, rng.integers(1, 4, 14)]
    res = solve_cvrp(xy, dem, 10, time_limit_s=0.5, solver=solver, round_distances=True)
    assert res.ok and res.solver == solver
    check_solution(res, dem, 10)


def test_trivial_instances() -> None:
    assert tuple(solve_cvrp([[0, 0]], [0], 5)) == ([], 0.0, "OPTIMAL")
    routes, cost, status = solve_cvrp([[0, 0], [3, 4]], [0, 2], 5)
    assert routes == [[1]] and cost == pytest.approx(10.0) and status == "OPTIMAL"


def test_depot_not_first() -> None:
    xy = np.array([[5, 5], [0, 0], [10, 0], [5, 6]], dtype=float)
    res = solve_cvrp(xy, [1, 1, 0, 1], 3, depot=2, time_limit_s=0.3, max_iterations=300)
    check_solution(res, np.array([1, 1, 0, 1]), 3, depot=2)
    assert all(2 not in r for r in res.routes)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(coords=[[0, 0], [1, 1]], demands=[0, 7], capacity=5), "超过车辆容量"),
        (dict(coords=[[0, 0], [1, 1]], demands=[0, -1], capacity=5), "不能为负"),
        (dict(coords=[[0, 0], [1, 1]], demands=[0, 1.5], capacity=5), "整数"),
        (dict(coords=[[0, 0], [1, 1], [2, 2]], demands=[0, 1], capacity=5), "长度应一致"),
        (dict(coords=[0, 1, 2], demands=[0, 1, 1], capacity=5), "形状"),
        (dict(coords=[[0, 0], [1, 1]], demands=[0, 1], capacity=0), "正整数"),
        (dict(coords=[[0, 0], [1, 1]], demands=[2, 1], capacity=5), "仓库"),
        (dict(coords=[[0, 0], [np.nan, 1]], demands=[0, 1], capacity=5), "空值"),
    ],
)
def test_invalid_inputs_raise_clear_errors(kwargs: dict, fragment: str) -> None:
    with pytest.raises(CVRPInputError, match=fragment):
        solve_cvrp(**kwargs, time_limit_s=0.1)


def test_invalid_matrix_and_depot() -> None:
    with pytest.raises(CVRPInputError, match="方阵"):
        solve_cvrp(None, [0, 1], 2, metric=np.zeros((2, 3)))
    with pytest.raises(CVRPInputError, match="负值"):
        solve_cvrp(None, [0, 1], 2, metric=np.array([[0.0, -1.0], [1.0, 0.0]]))
    with pytest.raises(CVRPInputError, match="超出范围"):
        solve_cvrp([[0, 0], [1, 1]], [0, 1], 2, depot=5)
    with pytest.raises(CVRPInputError, match="车辆数"):
        solve_cvrp([[0, 0], [1, 1], [2, 2]], [0, 2, 2], 2, num_vehicles=1)
    with pytest.raises(CVRPInputError, match="metric"):
        solve_cvrp([[0, 0], [1, 1]], [0, 1], 2, metric="manhattan")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=2, max_value=14),
    cap=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_every_customer_once_and_capacity_respected(n: int, cap: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, size=(n, 2))
    dem = np.r_[0, rng.integers(0, cap + 1, n - 1)]
    res = solve_cvrp(xy, dem, cap, time_limit_s=0.2, max_iterations=200, seed=seed)
    assert res.ok
    check_solution(res, dem, cap)


# ---------------------------------------------------------------- distances
def test_haversine_known_value() -> None:
    # one degree of latitude on the mean sphere
    assert haversine_m(116.0, 40.0, 116.0, 41.0) == pytest.approx(111_195.08, rel=1e-6)
    m = haversine_matrix(np.array([116.0, 116.0]), np.array([40.0, 41.0]))
    assert m[0, 1] == pytest.approx(m[1, 0]) and m[0, 0] == 0


def test_great_circle_matrix_uses_circuity() -> None:
    lon, lat = np.array([116.60, 116.62, 116.70]), np.array([40.10, 40.11, 40.12])
    dm = distance_matrix(lon, lat, circuity=1.3)
    assert dm.source == "great_circle" and not dm.on_road.any()
    np.testing.assert_allclose(dm.matrix, haversine_matrix(lon, lat) * 1.3)


def test_sparse_neighbor_matrix_matches_dense() -> None:
    rng = np.random.default_rng(0)
    lon, lat = 116.6 + rng.uniform(0, 0.2, 300), 40.1 + rng.uniform(0, 0.2, 300)
    sp = sparse_neighbor_matrix(lon, lat, k=8, circuity=1.3)
    dense = haversine_matrix(lon, lat) * 1.3
    assert sp.shape == (300, 300) and sp.nnz == 300 * 8
    r, c = sp.nonzero()
    np.testing.assert_allclose(np.asarray(sp[r, c]).ravel(), dense[r, c], rtol=1e-9)
    # each row holds exactly the 8 nearest
    row0 = set(c[r == 0].tolist())
    assert row0 == set(np.argsort(dense[0])[1:9].tolist())


def grid_graph(nx_: int = 4, ny: int = 3, step_deg: float = 0.01, *, both_ways: bool = True) -> nx.MultiDiGraph:
    """A Manhattan grid near Shunyi with edge lengths in metres (osmnx conventions)."""
    g = nx.MultiDiGraph(crs="epsg:4326")
    lon0, lat0 = 116.60, 40.10
    for i in range(nx_):
        for j in range(ny):
            g.add_node(i * ny + j, x=lon0 + i * step_deg, y=lat0 + j * step_deg)
    for i in range(nx_):
        for j in range(ny):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < nx_ and j + dj < ny:
                    u, v = i * ny + j, (i + di) * ny + j + dj
                    length = float(haversine_m(g.nodes[u]["x"], g.nodes[u]["y"], g.nodes[v]["x"], g.nodes[v]["y"]))
                    g.add_edge(u, v, length=length)
                    if both_ways:
                        g.add_edge(v, u, length=length)
    return g


def test_road_distance_follows_the_grid(tmp_path: Path) -> None:
    g = grid_graph()
    path = tmp_path / "grid.graphml"
    nx.write_graphml(g, path)
    road = load_road_graph(path)
    assert road.n_nodes == 12 and road.dropped_nodes == 0
    # two points exactly on opposite grid corners: road = sum of the two legs, > great circle
    lon = np.array([116.60, 116.63])
    lat = np.array([40.10, 40.12])
    dm = distance_matrix(lon, lat, graph=road, circuity=1.3)
    # shortest grid path: north first, then east along the higher (shorter) parallel
    manhattan = float(haversine_m(116.60, 40.10, 116.60, 40.12) + haversine_m(116.60, 40.12, 116.63, 40.12))
    assert dm.source == "road" and dm.on_road.all()
    assert dm.matrix[0, 1] == pytest.approx(manhattan, rel=1e-6)
    assert dm.matrix[0, 1] > haversine_m(lon[0], lat[0], lon[1], lat[1])


def test_committed_graph_file_loads() -> None:
    road = load_road_graph(GRAPH_FILE)
    assert road.n_nodes == 12
    dm = distance_matrix(np.array([116.601, 116.629]), np.array([40.1, 40.119]), graph=GRAPH_FILE, circuity=1.3)
    assert dm.source == "road" and dm.matrix[0, 1] > 0


def test_disconnected_graph_falls_back_with_warning() -> None:
    g = grid_graph()
    # an island far away with a one-way edge: not part of the largest strongly connected component
    g.add_node(100, x=116.90, y=40.30)
    g.add_node(101, x=116.91, y=40.30)
    g.add_edge(100, 101, length=850.0)
    lon = np.array([116.60, 116.63, 116.905])
    lat = np.array([40.10, 40.12, 40.30])
    with pytest.warns(RoutingWarning, match="1 个点距路网超过"):
        dm = distance_matrix(lon, lat, graph=g, circuity=1.3)
    assert dm.source == "road+great_circle"
    assert dm.on_road.tolist() == [True, True, False]
    assert dm.matrix[0, 2] == pytest.approx(haversine_m(lon[0], lat[0], lon[2], lat[2]) * 1.3)
    assert np.all(np.isfinite(dm.matrix))


def test_graph_without_roads_is_a_clear_error(tmp_path: Path) -> None:
    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_node(1, x=116.6, y=40.1)
    g.add_node(2, x=116.7, y=40.1)
    with pytest.raises(GraphError, match="没有任何道路"):
        distance_matrix(np.array([116.6]), np.array([40.1]), graph=g, circuity=1.3)
    one_way = nx.MultiDiGraph(crs="epsg:4326")
    one_way.add_node(1, x=116.6, y=40.1)
    one_way.add_node(2, x=116.7, y=40.1)
    one_way.add_edge(1, 2, length=8500.0)
    with pytest.raises(GraphError, match="强连通"):
        distance_matrix(np.array([116.6]), np.array([40.1]), graph=one_way, circuity=1.3)
    with pytest.raises(GraphError, match="找不到路网文件"):
        load_road_graph(tmp_path / "missing.graphml")
    bad = tmp_path / "bad.graphml"
    bad.write_text("not xml", encoding="utf-8")
    with pytest.raises(GraphError, match="无法读取"):
        load_road_graph(bad)


def test_one_road_graph_loader_in_core(tmp_path: Path) -> None:
    # the planners share core.distance's loader; routing re-exports it for old imports
    assert routing.load_road_graph is distance.load_road_graph and routing.as_road_graph is distance.as_road_graph
    road = load_road_graph(GRAPH_FILE)
    assert isinstance(road, RoadGraph) and as_road_graph(road) is road
    assert as_road_graph(GRAPH_FILE).n_nodes == as_road_graph(str(GRAPH_FILE)).n_nodes == road.n_nodes
    assert as_road_graph(grid_graph()).n_nodes == 12
    with pytest.raises(GraphError, match="无法识别的路网对象"):
        as_road_graph(42)
    odd = tmp_path / "roads.shp"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(GraphError, match="不支持的路网文件格式"):
        load_road_graph(odd)


def test_circuity_is_required() -> None:
    with pytest.raises(TypeError):
        distance_matrix(np.array([116.6, 116.7]), np.array([40.1, 40.1]))  # type: ignore[call-arg]


def test_online_download_needs_explicit_switch() -> None:
    with pytest.raises(GraphError, match="online=True"):
        fetch_road_graph(None)


# ---------------------------------------------------------------- navigation links
def _amap_points(url: str) -> list[tuple[float, float, str]]:
    q = parse_qs(urlsplit(url).query)
    pts = [q["from"][0]] + (q["via"][0].split(";") if "via" in q else []) + [q["to"][0]]
    out = []
    for p in pts:
        lo, la, name = p.split(",", 2)
        out.append((float(lo), float(la), name))
    return out


def test_amap_link_carries_gcj02() -> None:
    lon = [116.654, 116.661, 116.670, 116.654]
    lat = [40.130, 40.135, 40.128, 40.130]
    names = ["胜利街道党群服务中心", "甲公司&乙", "丙 协会", "胜利街道党群服务中心"]
    url = amap_route_url(lon, lat, names)
    assert url.startswith("https://uri.amap.com/navigation?")
    pts = _amap_points(url)
    glon, glat = crs.wgs84_to_gcj02(np.array(lon), np.array(lat))
    for (lo, la, name), gx, gy, n in zip(pts, glon, glat, names):
        assert lo == pytest.approx(gx, abs=2e-6) and la == pytest.approx(gy, abs=2e-6)
        assert name == n  # parse_qs decodes; '&' in a name did not break the query
    assert abs(pts[1][0] - lon[1]) > 1e-4  # really shifted, not WGS-84
    assert "coordinate=gaode" in url and "mode=car" in url
    legs = amap_leg_urls(lon, lat, names)
    assert len(legs) == 3 and "via=" not in legs[0]


def test_baidu_link_carries_bd09() -> None:
    lon = [116.654, 116.661, 116.670]
    lat = [40.130, 40.135, 40.128]
    url = baidu_route_url(lon, lat, ["中心|一", "甲公司", "乙"])
    q = parse_qs(urlsplit(url).query)
    blon, blat = crs.wgs84_to_bd09(np.array(lon), np.array(lat))
    origin = q["origin"][0]
    latlng, name = origin.split("|name:")
    la, lo = (float(v) for v in latlng.removeprefix("latlng:").split(","))
    assert la == pytest.approx(blat[0], abs=2e-6) and lo == pytest.approx(blon[0], abs=2e-6)
    assert unquote(name) == "中心|一"
    dest = q["destination"][0].split("|name:")[0].removeprefix("latlng:")
    assert [float(v) for v in dest.split(",")] == pytest.approx([blat[2], blon[2]], abs=2e-6)
    wla, wlo = (float(v) for v in q["waypoints"][0].split(","))
    assert (wla, wlo) == pytest.approx((blat[1], blon[1]), abs=2e-6)
    assert q["coord_type"] == ["bd09ll"] and q["mode"] == ["driving"] and q["output"] == ["html"]
    assert "%7C" in url  # the '|' inside a name is encoded, only separators stay raw


def test_no_stray_warnings_from_a_plain_solve() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve_cvrp([[0, 0], [1, 0], [0, 1]], [0, 1, 1], 1, time_limit_s=0.2, max_iterations=100)


def test_pyvrp_stops_early_once_it_stops_improving() -> None:
    """A generous time limit is a cap, not a cost: the search ends after NO_IMPROVEMENT idle iterations."""
    xy, dem, cap, opt = read_vrplib(CVRP_DIR / "A-n32-k5.vrp")
    res = solve_cvrp(xy, dem, cap, round_distances=True, time_limit_s=60.0)
    check_solution(res, dem, cap)
    assert res.cost <= opt * 1.03 and res.seconds < 20
