"""Distances between points: great circle × circuity, sparse neighbour matrices, road graphs.

Shared by the planners (instructor routes, coverage). Everything here works on plain
arrays (WGS-84 longitude/latitude in degrees, distances in metres); the road-graph
part takes a networkx ``MultiDiGraph`` as produced by osmnx (nodes with ``x``/``y``
in WGS-84, edges with ``length`` in metres) and never touches the network.

:func:`load_road_graph` (a file) and :func:`as_road_graph` (a file, a networkx graph or a
prepared :class:`RoadGraph`) are the one way a planner gets a road graph.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from lianxin_geo.core.errors import GraphError, require

__all__ = [
    "EARTH_RADIUS_M",
    "RoadGraph",
    "RoutingWarning",
    "as_road_graph",
    "geodesic_m",
    "haversine_m",
    "haversine_matrix",
    "local_xy_m",
    "sparse_neighbor_matrix",
    "load_graph_file",
    "load_road_graph",
    "prepare_road_graph",
    "road_distance_matrix",
]

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
_GEOD = Geod(ellps="WGS84")


class RoutingWarning(UserWarning):
    """A routing input was usable only in part (e.g. points far from the road graph)."""


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres between WGS-84 points (broadcasting arrays)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Distance in metres on the WGS-84 ellipsoid (:class:`pyproj.Geod`), element-wise, at least 1-d.

    Exact where the rules measure (joint-unit radii); :func:`haversine_m` is the fast sphere.
    """
    _, _, d = _GEOD.inv(np.asarray(lon1, float), np.asarray(lat1, float), np.asarray(lon2, float),
                        np.asarray(lat2, float))
    return np.atleast_1d(np.asarray(d, dtype=float))


def haversine_matrix(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Full n×n great-circle distance matrix in metres."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])


def local_xy_m(lon: np.ndarray, lat: np.ndarray, *, lat0: float | None = None) -> np.ndarray:
    """Project to a local equirectangular plane in metres (good to ~0.1 % over a district)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lat0 is None:
        lat0 = float(np.nanmean(lat)) if lat.size else 0.0
    k = np.pi / 180.0 * EARTH_RADIUS_M
    return np.column_stack([lon * k * np.cos(np.radians(lat0)), lat * k])


def sparse_neighbor_matrix(lon: np.ndarray, lat: np.ndarray, *, k: int = 20, circuity: float = 1.0) -> sp.csr_matrix:
    """Sparse matrix holding, for each point, the distance (metres × circuity) to its ``k`` nearest points.

    Memory is ``O(n k)``, so 50,000 points with k = 20 need a few megabytes. Distances
    are great-circle; the kd-tree on a local plane only selects the neighbours.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    n = lon.size
    if n < 2:
        return sp.csr_matrix((n, n))
    k = int(min(max(k, 1), n - 1))
    tree = cKDTree(local_xy_m(lon, lat))
    _, idx = tree.query(local_xy_m(lon, lat, lat0=float(np.mean(lat))), k=k + 1)
    rows = np.repeat(np.arange(n), k + 1)
    cols = idx.ravel()
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    vals = haversine_m(lon[rows], lat[rows], lon[cols], lat[cols]) * circuity
    # explicit zeros (duplicate points) would vanish from a sparse matrix: store a tiny epsilon
    vals = np.maximum(vals, 1e-6)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


# ---------------------------------------------------------------- road graphs
@dataclass(frozen=True)
class RoadGraph:
    """A road graph reduced to its largest strongly connected component, as arrays.

    Attributes
    ----------
    csr
        Directed adjacency matrix (metres) of the component.
    node_ids
        Original graph node ids, one per row of ``csr``.
    lon, lat
        Node coordinates (WGS-84).
    dropped_nodes
        How many nodes lay outside the largest strongly connected component.
    """

    csr: sp.csr_matrix
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    dropped_nodes: int

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)


def load_graph_file(path: str | Path) -> Any:
    """Read a road graph from ``.graphml`` (osmnx.save_graphml) or ``.osm``/``.xml`` (OSM XML).

    Raises
    ------
    GraphError
        When the file is missing or cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise GraphError(f"找不到路网文件 {path}：请检查路径，或不提供路网以使用直线距离×绕行系数")
    suffix = path.suffix.lower()
    if suffix not in {".graphml", ".osm", ".xml"}:
        raise GraphError(f"不支持的路网文件格式 {path.suffix!r}（{path.name}）：请提供 .graphml 或 .osm 文件")
    osm = suffix != ".graphml"
    lib = (require("osmnx", extra="solvers", purpose="读取 OSM XML 路网文件") if osm
           else require("networkx", extra="solvers", purpose="读取路网文件"))
    try:
        if not osm:  # plain networkx reader: attributes are converted in prepare_road_graph
            return lib.read_graphml(path, force_multigraph=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lib.graph_from_xml(path, simplify=True, retain_all=True)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name and the fix
        raise GraphError(f"路网文件 {path.name} 无法读取（{exc}）：请提供 osmnx 保存的 .graphml 或 OSM XML (.osm) 文件") from exc


def prepare_road_graph(graph: Any, *, weight: str = "length") -> RoadGraph:
    """Turn a networkx (Multi)DiGraph into a :class:`RoadGraph` on its largest strongly connected component.

    Nodes need ``x`` (longitude) and ``y`` (latitude); edges need ``weight`` in metres
    (a missing weight is replaced by the great-circle length of the edge).

    Raises
    ------
    GraphError
        When the graph has no nodes with coordinates or no edges.
    """
    nx = require("networkx", extra="solvers", purpose="使用路网")
    if graph is None or graph.number_of_nodes() == 0:
        raise GraphError("路网为空（没有节点）：请提供包含道路的路网文件，或不提供路网以使用直线距离×绕行系数")
    if graph.number_of_edges() == 0:
        raise GraphError("路网没有任何道路（边）：请检查路网文件，或不提供路网以使用直线距离×绕行系数")
    g = graph if graph.is_directed() else graph.to_directed()
    comps = list(nx.strongly_connected_components(g))
    comp = max(comps, key=lambda c: (len(c), min(str(n) for n in c)))
    if len(comp) < 2:
        raise GraphError("路网没有任何连通的道路（最大强连通分量只有一个节点）：请检查路网文件的方向性与完整性")
    try:
        node_ids = np.array(sorted(comp, key=lambda n: str(n)), dtype=object)
        lon = np.array([float(g.nodes[n]["x"]) for n in node_ids])
        lat = np.array([float(g.nodes[n]["y"]) for n in node_ids])
    except KeyError as exc:
        raise GraphError("路网节点缺少坐标属性 x/y（经度/纬度）：请使用 osmnx 生成的路网文件") from exc
    index = {n: i for i, n in enumerate(node_ids)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for u, v, data in g.edges(data=True):
        if u in index and v in index and u != v:
            w = data.get(weight)
            iu, iv = index[u], index[v]
            if w is None or not np.isfinite(float(w)):
                w = float(haversine_m(lon[iu], lat[iu], lon[iv], lat[iv]))
            rows.append(iu)
            cols.append(iv)
            vals.append(max(float(w), 1e-3))
    n = node_ids.size
    # parallel edges: keep the shortest (coo -> csr sums duplicates, so reduce first)
    order = np.lexsort((np.asarray(vals), np.asarray(cols), np.asarray(rows)))
    r, c, w = np.asarray(rows)[order], np.asarray(cols)[order], np.asarray(vals)[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    csr = sp.csr_matrix((w[first], (r[first], c[first])), shape=(n, n))
    return RoadGraph(csr=csr, node_ids=node_ids, lon=lon, lat=lat, dropped_nodes=g.number_of_nodes() - n)


def load_road_graph(path: str | Path) -> RoadGraph:
    """Read a ``.graphml``/``.osm`` road graph and keep its largest strongly connected component.

    Raises
    ------
    GraphError
        When the file is missing, cannot be parsed or has no connected roads.
    """
    return prepare_road_graph(load_graph_file(path))


def as_road_graph(graph: Any) -> RoadGraph:
    """Accept a :class:`RoadGraph`, a networkx graph or a file path and return a :class:`RoadGraph`.

    Raises
    ------
    GraphError
        When ``graph`` is none of these, or cannot be read.
    """
    if isinstance(graph, RoadGraph):
        return graph
    if isinstance(graph, (str, Path)):
        return load_road_graph(graph)
    nx = require("networkx", extra="solvers", purpose="使用路网")
    if isinstance(graph, nx.Graph):
        return prepare_road_graph(graph)
    raise GraphError(f"无法识别的路网对象 {type(graph).__name__}：请提供 .graphml/.osm 文件路径或 osmnx 路网")


def road_distance_matrix(
    road: RoadGraph,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    circuity: float,
    max_snap_m: float = 1000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Distances in metres between points along the road graph.

    Each point is snapped to the nearest node of the largest strongly connected
    component; the access legs (point → node) are added at both ends as great-circle
    distance × ``circuity``. Points farther than ``max_snap_m`` from every node fall
    back to great-circle × ``circuity`` for all their pairs, with a
    :class:`RoutingWarning` naming how many.

    Returns
    -------
    matrix
        n×n distances in metres.
    on_road
        Boolean mask of the points that were routed on the graph.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    n = lon.size
    gc = haversine_matrix(lon, lat) * circuity
    if n == 0:
        return gc, np.zeros(0, dtype=bool)
    lat0 = float(np.mean(road.lat))
    tree = cKDTree(local_xy_m(road.lon, road.lat, lat0=lat0))
    _, nearest = tree.query(local_xy_m(lon, lat, lat0=lat0), k=1)
    nearest = np.asarray(nearest, dtype=int)
    snap = haversine_m(lon, lat, road.lon[nearest], road.lat[nearest])
    on_road = snap <= max_snap_m
    if not on_road.all():
        warnings.warn(
            f"{int((~on_road).sum())} 个点距路网超过 {max_snap_m:.0f} 米，这些点改用直线距离×绕行系数 {circuity} "
            f"/ {int((~on_road).sum())} point(s) are farther than {max_snap_m:.0f} m from the road graph; "
            "great-circle × circuity is used for them",
            RoutingWarning,
            stacklevel=3,
        )
    out = gc.copy()
    idx = np.flatnonzero(on_road)
    if idx.size:
        src_nodes, inv = np.unique(nearest[idx], return_inverse=True)
        dist = dijkstra(road.csr, directed=True, indices=src_nodes)  # (n_src, n_nodes)
        sub = dist[inv][:, nearest[idx]]  # node-to-node among snapped points
        access = snap[idx] * circuity
        sub = sub + access[:, None] + access[None, :]
        # a point to itself, or two points snapped to one node: keep the direct great-circle estimate
        same = nearest[idx][:, None] == nearest[idx][None, :]
        sub = np.where(same, gc[np.ix_(idx, idx)], sub)
        bad = ~np.isfinite(sub)
        if bad.any():  # cannot happen on one strongly connected component; stay safe
            sub = np.where(bad, gc[np.ix_(idx, idx)], sub)
        out[np.ix_(idx, idx)] = sub
    np.fill_diagonal(out, 0.0)
    return out, on_road
