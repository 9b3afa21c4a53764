"""Routing: a general CVRP solver, distance matrices (road network or great circle × circuity), CVRPLIB files.

Solvers take arrays and return plain results::

    routes, cost, status = solve_cvrp(coords, demands, capacity, round_distances=True, time_limit_s=2)

Back ends (PyVRP, OR-Tools, VROOM) live in :mod:`lianxin_geo.plan.routes.cvrp`.

Distances
    :func:`distance_matrix` returns metres on a road graph when one is given
    (snapped to its largest strongly connected component), otherwise great-circle
    metres × a circuity factor (``distance.circuity`` of the policy profile). Road graphs
    are read by :func:`lianxin_geo.core.distance.load_road_graph` /
    :func:`~lianxin_geo.core.distance.as_road_graph` (re-exported here). Online download of
    a graph (:func:`fetch_road_graph`) only runs behind an explicit ``online=True``.

Navigation links for the map apps are in :mod:`lianxin_geo.plan.routes.navigation`.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from lianxin_geo.core.distance import (
    RoadGraph,
    RoutingWarning,
    as_road_graph,
    haversine_m,
    haversine_matrix,
    load_road_graph,
    prepare_road_graph,
    road_distance_matrix,
    sparse_neighbor_matrix,
)
from lianxin_geo.core.errors import GraphError, LianxinError, require
from lianxin_geo.plan.routes.cvrp import (
    BACKENDS,
    FEASIBLE_STATUSES,
    NO_IMPROVEMENT,
    SearchLimits,
    available_backends,
    search_limits,
)

__all__ = [
    "CVRPInputError",
    "CVRPInstance",
    "CVRPResult",
    "DistanceMatrix",
    "RoadGraph",
    "RoutingWarning",
    "SearchLimits",
    "as_road_graph",
    "available_backends",
    "distance_matrix",
    "fetch_road_graph",
    "haversine_m",
    "haversine_matrix",
    "load_road_graph",
    "read_cvrp_instance",
    "read_vrplib",
    "route_cost",
    "search_limits",
    "solve_cvrp",
    "sparse_neighbor_matrix",
]


class CVRPInputError(LianxinError, ValueError):
    """The arrays given to :func:`solve_cvrp` are inconsistent (shapes, demands, capacity)."""


# ============================================================== CVRP
@dataclass(frozen=True)
class CVRPResult:
    """Result of :func:`solve_cvrp`.

    Unpacks and indexes as ``(routes, cost, status)``.

    Attributes
    ----------
    routes
        One list of node indices per vehicle in visiting order, depot excluded.
    cost
        Total cost from the caller's metric (sum of rounded arcs when ``round_distances``).
    status
        ``OPTIMAL`` (trivial instances only), ``FEASIBLE`` (stopped by an iteration limit),
        ``TIME_CAP`` (feasible, stopped by the wall-clock cap), ``INFEASIBLE`` or ``NO_SOLUTION``.
    solver
        Back end that produced the routes (``pyvrp``, ``ortools``, ``vroom``).
    seconds
        Wall-clock seconds spent, matrix included.
    """

    routes: list[list[int]]
    cost: float
    status: str
    solver: str
    seconds: float

    def _tuple(self) -> tuple[list[list[int]], float, str]:
        return (self.routes, self.cost, self.status)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._tuple())

    def __getitem__(self, i: int) -> Any:
        return self._tuple()[i]

    def __len__(self) -> int:
        return 3

    @property
    def ok(self) -> bool:
        """True when the routes are a feasible solution."""
        return self.status in FEASIBLE_STATUSES


def route_cost(matrix: np.ndarray, routes: Sequence[Sequence[int]], *, depot: int = 0) -> float:
    """Total cost of closed routes ``depot → r[0] → … → r[-1] → depot`` on ``matrix``."""
    total = 0.0
    for r in routes:
        if len(r) == 0:
            continue
        path = np.concatenate([[depot], np.asarray(r, dtype=int), [depot]])
        total += float(np.sum(matrix[path[:-1], path[1:]]))
    return total


def _build_matrix(coords: Any, metric: Any, n_hint: int | None) -> np.ndarray:
    if isinstance(metric, str):
        if coords is None:
            raise CVRPInputError("缺少坐标 coords：metric 为 'euclidean'/'haversine' 时必须提供 n×2 坐标数组")
        xy = np.asarray(coords, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise CVRPInputError(f"坐标 coords 的形状应为 (n, 2)，实际为 {xy.shape}：每行一个点 (x, y) 或 (经度, 纬度)")
        if not np.all(np.isfinite(xy)):
            bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
            raise CVRPInputError(f"坐标 coords 含空值或无穷大（第 {bad[:10].tolist()} 行）：请先剔除缺坐标的点")
        if metric == "euclidean":
            d = xy[:, None, :] - xy[None, :, :]
            return np.sqrt(np.sum(d * d, axis=2))
        if metric == "haversine":
            return haversine_matrix(xy[:, 0], xy[:, 1])
        raise CVRPInputError(f"未知的距离度量 metric={metric!r}：请用 'euclidean'、'haversine' 或 n×n 距离矩阵")
    m = np.asarray(metric, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise CVRPInputError(f"距离矩阵应为 n×n 方阵，实际形状 {m.shape}")
    if n_hint is not None and m.shape[0] != n_hint:
        raise CVRPInputError(f"距离矩阵为 {m.shape[0]}×{m.shape[0]}，但需求 demands 有 {n_hint} 个：两者长度应一致")
    if not np.all(np.isfinite(m)) or (m < 0).any():
        raise CVRPInputError("距离矩阵含负值、空值或无穷大：请检查不可达的点对（例如路网不连通）")
    return m


def _int_matrix(m: np.ndarray, round_distances: bool) -> np.ndarray:
    if round_distances:
        return np.rint(m).astype(np.int64)
    top = float(m.max(initial=0.0))
    if top <= 0:
        return np.zeros(m.shape, dtype=np.int64)
    # scale so the largest arc is about 1e5..1e6 units (e.g. ×1000 for coordinates up to ~1000,
    # ×10 for metres up to ~100 km): plenty of precision, and solver penalties stay in range
    scale = 10.0 ** math.floor(math.log10(1e6 / top))
    return np.rint(m * scale).astype(np.int64)


def solve_cvrp(
    coords: Any,
    demands: Sequence[int] | np.ndarray,
    capacity: int,
    *,
    depot: int = 0,
    metric: str | np.ndarray = "euclidean",
    round_distances: bool = False,
    time_limit_s: float = 10.0,
    seed: int = 0,
    solver: str = "pyvrp",
    num_vehicles: int | None = None,
    max_iterations: int | None = None,
    no_improvement: int | None = NO_IMPROVEMENT,
) -> CVRPResult:
    """Solve a capacitated vehicle routing problem with a single depot.

    Parameters
    ----------
    coords
        ``(n, 2)`` array of points, depot included (x/y for ``euclidean``,
        lon/lat in degrees for ``haversine``). May be ``None`` when ``metric`` is a matrix.
    demands
        ``n`` non-negative integer demands (the depot's must be 0).
    capacity
        Vehicle capacity (positive integer); the fleet is unlimited unless ``num_vehicles`` is given.
    depot
        Index of the depot node.
    metric
        ``"euclidean"``, ``"haversine"`` (cost in metres) or an ``n×n`` cost matrix
        (may be asymmetric).
    round_distances
        Round every arc cost to the nearest integer (the CVRPLIB convention); the
        reported cost is then the sum of rounded arcs. Otherwise float costs are
        scaled to integers for the solver and the cost is recomputed from the float matrix.
    time_limit_s
        Wall-clock safety cap of the search, always applied (status ``TIME_CAP`` when it ended the search).
    seed
        Seed of the search (PyVRP); same seed and an iteration-bounded run give the same answer.
    solver
        ``"pyvrp"`` (default, best measured), ``"ortools"`` or ``"vroom"``.
    num_vehicles
        Upper bound on the number of routes (``None``: as many as needed).
    max_iterations
        Optional iteration bound in addition to the time limit (for reproducible runs).
    no_improvement
        PyVRP stops after this many iterations without a better solution (``None``: no such rule); the
        planners pass :func:`~lianxin_geo.plan.routes.cvrp.search_limits` of the instance's size.

    Returns
    -------
    CVRPResult
        Routes, cost, status, solver and seconds; ``routes, cost, status = solve_cvrp(...)`` works.

    Raises
    ------
    CVRPInputError
        On inconsistent shapes, negative or fractional demands, a demand above the
        capacity, a bad depot index, or a matrix with negative/non-finite entries.
    """
    t0 = time.perf_counter()
    dem = np.asarray(demands)
    if dem.ndim != 1:
        raise CVRPInputError(f"需求 demands 应为一维数组，实际形状 {dem.shape}")
    n = dem.size
    if n == 0:
        raise CVRPInputError("需求 demands 为空：至少需要仓库（起点）一个节点")
    try:
        dem_f = dem.astype(float)
    except (TypeError, ValueError) as exc:
        raise CVRPInputError("需求 demands 必须是整数") from exc
    if not np.all(np.isfinite(dem_f)) or np.any(dem_f != np.round(dem_f)):
        raise CVRPInputError("需求 demands 必须是有限的整数（不能有小数或空值）")
    dem = dem_f.astype(np.int64)
    if (dem < 0).any():
        bad = np.flatnonzero(dem < 0)
        raise CVRPInputError(f"需求 demands 不能为负：第 {bad[:10].tolist()} 个节点为负值")
    if not isinstance(capacity, (int, np.integer)) or isinstance(capacity, bool) or int(capacity) <= 0:
        raise CVRPInputError(f"容量 capacity 必须是正整数，实际为 {capacity!r}")
    capacity = int(capacity)
    if not (0 <= int(depot) < n):
        raise CVRPInputError(f"仓库下标 depot={depot} 超出范围 0..{n - 1}")
    depot = int(depot)
    if dem[depot] != 0:
        raise CVRPInputError(f"仓库（第 {depot} 个节点）的需求应为 0，实际为 {int(dem[depot])}")
    over = np.flatnonzero(dem > capacity)
    if over.size:
        raise CVRPInputError(
            f"第 {over[:10].tolist()} 个节点的需求（最大 {int(dem[over].max())}）超过车辆容量 {capacity}："
            "请提高容量或拆分需求"
        )
    if num_vehicles is not None:
        if int(num_vehicles) < 1:
            raise CVRPInputError(f"车辆数 num_vehicles 必须 ≥ 1，实际为 {num_vehicles}")
        if int(num_vehicles) * capacity < int(dem.sum()):
            raise CVRPInputError(
                f"总需求 {int(dem.sum())} 超过 {num_vehicles} 辆车 × 容量 {capacity} = {int(num_vehicles) * capacity}："
                "请增加车辆数或容量"
            )
    if float(time_limit_s) <= 0:
        raise CVRPInputError(f"时间限制 time_limit_s 必须为正数，实际为 {time_limit_s}")
    if isinstance(metric, str) and coords is not None and np.asarray(coords).shape[0] != n:
        raise CVRPInputError(f"坐标 coords 有 {np.asarray(coords).shape[0]} 行，但需求 demands 有 {n} 个：两者长度应一致")
    m = _build_matrix(coords, metric, n)
    cost_m = np.rint(m) if round_distances else m
    customers = [i for i in range(n) if i != depot]
    if solver not in BACKENDS:
        raise CVRPInputError(f"未知求解器 solver={solver!r}：可选 {sorted(BACKENDS)}")

    if not customers:
        return CVRPResult([], 0.0, "OPTIMAL", solver, time.perf_counter() - t0)
    if len(customers) == 1:
        routes = [customers]
        return CVRPResult(routes, route_cost(cost_m, routes, depot=depot), "OPTIMAL", solver,
                          time.perf_counter() - t0)

    im = _int_matrix(cost_m, round_distances)
    fn = BACKENDS[solver]
    routes, status = fn(im, dem, capacity, depot=depot, time_limit_s=float(time_limit_s), seed=int(seed),
                        max_iterations=max_iterations, no_improvement=no_improvement,
                        num_vehicles=None if num_vehicles is None else int(num_vehicles))
    status = _verify(routes, dem, capacity, depot, n, status, num_vehicles)
    return CVRPResult(routes, route_cost(cost_m, routes, depot=depot), status, solver, time.perf_counter() - t0)


def _verify(routes, dem, capacity, depot, n, status, num_vehicles) -> str:
    """Independent check: every customer exactly once, no route above capacity."""
    if status == "NO_SOLUTION":
        return status
    seen = np.zeros(n, dtype=int)
    for r in routes:
        for i in r:
            seen[i] += 1
        if int(dem[list(r)].sum()) > capacity:
            return "INFEASIBLE"
    seen[depot] = 1
    if not np.all(seen == 1):
        return "INFEASIBLE"
    if num_vehicles is not None and len(routes) > num_vehicles:
        return "INFEASIBLE"
    return status


# ============================================================== distances
@dataclass(frozen=True)
class DistanceMatrix:
    """A distance matrix in metres and where it came from.

    Attributes
    ----------
    matrix
        n×n metres.
    source
        ``"road"`` (every point on the road graph), ``"road+great_circle"`` (some
        points fell back) or ``"great_circle"``.
    circuity
        Factor applied to great-circle legs.
    on_road
        Mask of points routed on the graph (all False without a graph).
    """

    matrix: np.ndarray
    source: str
    circuity: float
    on_road: np.ndarray


def distance_matrix(
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    circuity: float,
    graph: Any = None,
    max_snap_m: float = 1000.0,
) -> DistanceMatrix:
    """Distances in metres between WGS-84 points.

    Parameters
    ----------
    lon, lat
        Coordinates (degrees, WGS-84), no NaN.
    circuity
        Factor turning straight-line distance into an estimate of road distance
        (``distance.circuity`` of the profile); also used for the access legs to the graph.
    graph
        ``None`` (great circle × ``circuity``), a networkx road graph from osmnx, a
        prepared :class:`RoadGraph`, or a path to a ``.graphml``/``.osm`` file.
    max_snap_m
        Points farther than this from the graph fall back to great circle × circuity (with a warning).

    Raises
    ------
    GraphError
        When the graph cannot be read or has no connected roads.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError(f"经度与纬度数组形状应相同且为一维：{lon.shape} 与 {lat.shape}")
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise ValueError("坐标含空值：请先剔除缺少坐标的点（报告为“缺少坐标”）")
    if circuity < 1.0:
        raise ValueError(f"绕行系数 circuity 应 ≥ 1，实际为 {circuity}")
    if graph is None:
        return DistanceMatrix(haversine_matrix(lon, lat) * circuity, "great_circle", circuity,
                              np.zeros(lon.size, dtype=bool))
    road = as_road_graph(graph)
    m, on_road = road_distance_matrix(road, lon, lat, circuity=circuity, max_snap_m=max_snap_m)
    source = "road" if on_road.all() else "road+great_circle"
    return DistanceMatrix(m, source, circuity, on_road)


def fetch_road_graph(polygon: Any, *, online: bool = False, network_type: str = "drive") -> RoadGraph:
    """Download a road graph for ``polygon`` (WGS-84 shapely polygon) with osmnx.

    This is the only function of the package that may reach the internet, and only
    with ``online=True``; save the graph (``osmnx.save_graphml``) and pass the file
    afterwards so planning runs offline.

    Raises
    ------
    GraphError
        Without ``online=True``, or when the download fails.
    """
    if not online:
        raise GraphError("下载路网需要联网：请显式传入 online=True（CLI：--online），或提供本地 .graphml/.osm 路网文件")
    ox = require("osmnx", extra="solvers", purpose="下载 OpenStreetMap 路网")
    try:
        g = ox.graph_from_polygon(polygon, network_type=network_type, retain_all=False)
    except Exception as exc:  # noqa: BLE001
        raise GraphError(f"下载 OpenStreetMap 路网失败（{exc}）：请检查网络，或改用本地路网文件") from exc
    return prepare_road_graph(g)


# ============================================================== CVRPLIB files
@dataclass(frozen=True)
class CVRPInstance:
    """A CVRPLIB instance as the solvers take it (:func:`read_cvrp_instance`).

    Attributes
    ----------
    name
        The ``NAME`` of the file (else its stem).
    coords
        ``(n, 2)`` node coordinates for ``EUC_2D`` instances, else ``None``.
    matrix
        The ``n×n`` arc costs for instances given by ``EDGE_WEIGHT_SECTION`` (``EXPLICIT``), else ``None``.
    demands, capacity, depot
        Node demands (the depot's is 0), the vehicle capacity and the depot's 0-based index.
    optimum
        The known optimal (or best known) cost, when the file or a solution beside it gives one, else ``None``.
    optimum_source
        Where it came from: ``"header"`` (a ``# known optimum: N`` line), ``"solution"`` (the ``Cost`` of a
        ``.sol`` file of the same name), ``"comment"`` (``Optimal value: N`` / ``Best value: N`` in ``COMMENT``).
    """

    name: str
    coords: np.ndarray | None
    matrix: np.ndarray | None
    demands: np.ndarray
    capacity: int
    depot: int
    optimum: int | None
    optimum_source: str | None

    @property
    def customers(self) -> int:
        """The number of customers (nodes other than the depot)."""
        return int(len(self.demands) - 1)

    def solve(self, **kwargs: Any) -> "CVRPResult":
        """:func:`solve_cvrp` on this instance with the CVRPLIB convention (arc costs rounded to integers)."""
        metric: Any = self.matrix if self.matrix is not None else "euclidean"
        return solve_cvrp(self.coords, self.demands, self.capacity, depot=self.depot, metric=metric,
                          round_distances=True, **kwargs)


_COMMENT_OPTIMUM = re.compile(r"(?:optimal|best(?:\s+known)?)\s*(?:value|cost|solution)?\s*[:=]?\s*(\d+)", re.I)


def _known_optimum(path: Path, comment: str) -> tuple[int | None, str | None]:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:20]:
        if line.strip().lower().startswith("# known optimum"):
            return int(line.split(":", 1)[1].split()[0]), "header"
    sol = path.with_suffix(".sol")
    if sol.is_file():
        vrplib = require("vrplib", extra="solvers", purpose="读取 CVRPLIB 算例")
        try:
            return int(round(float(vrplib.read_solution(str(sol))["cost"]))), "solution"
        except Exception:  # noqa: BLE001 - a damaged solution file: the comment may still say it
            pass
    m = _COMMENT_OPTIMUM.search(comment or "")
    return (int(m.group(1)), "comment") if m else (None, None)


def read_cvrp_instance(path: str | os.PathLike) -> CVRPInstance:
    """Read a CVRPLIB ``.vrp`` file with the ``vrplib`` package (PyVRP's reader).

    ``EUC_2D`` instances keep their coordinates (the solvers round each arc to the nearest integer, as CVRPLIB
    does); ``EXPLICIT`` ones (``FULL_MATRIX``, ``LOWER_ROW`` … given in ``EDGE_WEIGHT_SECTION``) their matrix.
    The depot is the one of ``DEPOT_SECTION``. The known optimum: see :class:`CVRPInstance`.

    Raises
    ------
    LianxinError
        The file is missing or not a readable single-depot CVRP, or its distances are of another type.
    """
    p = Path(path)
    vrplib = require("vrplib", extra="solvers", purpose="读取 CVRPLIB 算例")
    try:
        inst = vrplib.read_instance(str(p), compute_edge_weights=False)
        kind = str(inst.get("edge_weight_type", "EUC_2D")).upper()
        if kind == "EXPLICIT":  # the matrix, expanded from its format (FULL_MATRIX, LOWER_ROW …)
            inst = vrplib.read_instance(str(p))
    except Exception as exc:  # noqa: BLE001 - any parse error becomes one Chinese line
        raise LianxinError(f"无法读取 CVRPLIB 算例 {p}（{type(exc).__name__}：{' '.join(str(exc).split())[:200]}）："
                           "请提供标准的 .vrp 文件") from exc
    demands = np.asarray(inst.get("demand", []), dtype=np.int64)
    depots = np.atleast_1d(np.asarray(inst.get("depot", [0]), dtype=np.int64))
    if not len(demands) or "capacity" not in inst or len(depots) != 1:
        raise LianxinError(f"{p} 不是单车场的 CVRP 算例（需要 CAPACITY、DEMAND_SECTION 和一个 DEPOT）")
    coords = matrix = None
    if kind == "EUC_2D" and inst.get("node_coord") is not None:
        coords = np.asarray(inst["node_coord"], dtype=float)
    elif kind == "EXPLICIT" and inst.get("edge_weight") is not None:
        matrix = np.asarray(inst["edge_weight"], dtype=float)
    else:
        raise LianxinError(f"{p} 的距离类型 {kind} 暂不支持：只支持 EUC_2D（坐标）与 EXPLICIT（距离矩阵）")
    n = len(coords) if coords is not None else len(matrix)  # type: ignore[arg-type]
    if len(demands) != n or not 0 <= int(depots[0]) < n:
        raise LianxinError(f"{p} 的节点数（{n}）与需求数（{len(demands)}）或车场编号不一致")
    optimum, source = _known_optimum(p, str(inst.get("comment", "")))
    return CVRPInstance(name=str(inst.get("name") or p.stem), coords=coords, matrix=matrix, demands=demands,
                        capacity=int(inst["capacity"]), depot=int(depots[0]), optimum=optimum,
                        optimum_source=source)


def read_vrplib(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, int, int | None]:
    """Read a CVRPLIB ``.vrp`` file (EUC_2D, depot first): ``(coords, demands, capacity, known_optimum)``.

    A shorthand of :func:`read_cvrp_instance` for coordinate instances whose depot is node 1, as in the
    standard sets.
    """
    inst = read_cvrp_instance(path)
    if inst.coords is None or inst.depot != 0:
        raise LianxinError(f"{path} 不是车场为 1 号节点的坐标算例：请用 read_cvrp_instance 读取")
    return inst.coords, inst.demands, inst.capacity, inst.optimum
