"""The real district skeleton as arrays: town polygons for bulk sampling, seats, weights and communities."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.district import District, town_short_name
from lianxin_geo.ingest.boundaries import shunyi_seed_points
from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import _M_PER_DEG_LAT, _MARGIN_DEG, _groups

__all__: list[str] = []


class _TownShapes:
    """Town polygons shrunk by a small margin, prepared for bulk point-in-polygon sampling."""

    def __init__(self, district: District, *, margin_deg: float = _MARGIN_DEG) -> None:
        jur = district.jurisdictions
        geoms = np.asarray(jur.geometry.values, dtype=object)
        shrunk = shapely.buffer(geoms, -margin_deg)
        bad = shapely.is_empty(shrunk) | (shapely.area(shrunk) <= 0)
        shrunk[bad] = geoms[bad]
        for g in shrunk:
            shapely.prepare(g)
        self.geoms = shrunk
        self.n = len(shrunk)
        self.bounds = shapely.bounds(shrunk)
        self.coslat = math.cos(math.radians(float(np.mean(self.bounds[:, [1, 3]]))))

    def inside(self, town: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        out = np.zeros(town.shape, dtype=bool)
        for t, idx in _groups(town, self.n):
            out[idx] = shapely.contains_xy(self.geoms[t], lon[idx], lat[idx])
        return out

    def surface_point(self, t: int) -> tuple[float, float]:
        p = shapely.point_on_surface(self.geoms[t])
        return float(p.x), float(p.y)

    def uniform(self, town: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Uniform points inside each row's town (bulk rejection from the bounding boxes)."""
        n = town.size
        lon = np.empty(n)
        lat = np.empty(n)
        todo = np.arange(n)
        for _ in range(200):
            if todo.size == 0:
                break
            b = self.bounds[town[todo]]
            x = b[:, 0] + rng.random(todo.size) * (b[:, 2] - b[:, 0])
            y = b[:, 1] + rng.random(todo.size) * (b[:, 3] - b[:, 1])
            ok = self.inside(town[todo], x, y)
            lon[todo[ok]], lat[todo[ok]] = x[ok], y[ok]
            todo = todo[~ok]
        for i in todo:  # pragma: no cover - only for degenerate slivers
            lon[i], lat[i] = self.surface_point(int(town[i]))
        return lon, lat

    def around(self, town: np.ndarray, cx: np.ndarray, cy: np.ndarray, sigma_m: np.ndarray | float,
               rng: np.random.Generator, *, rounds: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """Gaussian points around (cx, cy) kept inside each row's town; misses fall back to uniform."""
        n = town.size
        sig = np.broadcast_to(np.asarray(sigma_m, dtype=float), (n,))
        lon = np.empty(n)
        lat = np.empty(n)
        todo = np.arange(n)
        for _ in range(rounds):
            if todo.size == 0:
                break
            s = sig[todo]
            x = cx[todo] + rng.standard_normal(todo.size) * s / (_M_PER_DEG_LAT * self.coslat)
            y = cy[todo] + rng.standard_normal(todo.size) * s / _M_PER_DEG_LAT
            ok = self.inside(town[todo], x, y)
            lon[todo[ok]], lat[todo[ok]] = x[ok], y[ok]
            todo = todo[~ok]
        if todo.size:
            ux, uy = self.uniform(town[todo], rng)
            lon[todo], lat[todo] = ux, uy
        return lon, lat


@dataclass
class _Skeleton:
    district: District
    shapes: _TownShapes
    codes: np.ndarray
    names: np.ndarray
    mca: np.ndarray
    kinds: np.ndarray
    short: np.ndarray
    seat_lon: np.ndarray
    seat_lat: np.ndarray
    org_weight: np.ndarray
    building_weight: np.ndarray
    comm_town: np.ndarray       # all communities: town index
    comm_short: np.ndarray      # all communities: short name (…社区 / …村)
    comm_lon: np.ndarray        # NaN where unknown or outside the shrunk town polygon
    comm_lat: np.ndarray

    def index_of(self, code: str) -> int | None:
        hits = np.flatnonzero(self.codes == code)
        return int(hits[0]) if hits.size else None


def _community_short(name: str) -> str:
    """The short name of a community (…社区 / …村) from its committee name."""
    for suffix, family in (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"),
                           ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村")):
        if name.endswith(suffix):
            core = name[: -len(suffix)]
            return core if core.endswith(family) else core + family
    return name


def _seats(codes: np.ndarray, shapes: _TownShapes) -> tuple[np.ndarray, np.ndarray]:
    """Town seats: the bundled office points where they fall inside the (shrunk) polygon, else a surface point."""
    n = len(codes)
    seeds = shunyi_seed_points()
    seats = seeds[seeds["kind"] == "seat"].set_index("town_code")
    seat_lon = np.empty(n)
    seat_lat = np.empty(n)
    for t, code in enumerate(codes):
        if code in seats.index:
            x, y = float(seats.at[code, "lon"]), float(seats.at[code, "lat"])
            if shapely.contains_xy(shapes.geoms[t], x, y):
                seat_lon[t], seat_lat[t] = x, y
                continue
        seat_lon[t], seat_lat[t] = shapes.surface_point(t)
    return seat_lon, seat_lat


def _communities(district: District, codes: np.ndarray,
                 shapes: _TownShapes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Town index, short name, lon and lat (NaN outside the shrunk town) of every community of a known town."""
    comm = district.communities
    code_to_idx = {c: i for i, c in enumerate(codes)}
    if not len(comm):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0), np.zeros(0)
    ct = np.array([code_to_idx.get(str(c), -1) for c in comm["town_code"]], dtype=np.int64)
    keep = ct >= 0
    comm = comm[keep]
    ct = ct[keep]
    cshort = np.array([_community_short(str(s)) for s in comm["name"]], dtype=object)
    clon = pd.to_numeric(comm["lon"], errors="coerce").to_numpy(dtype=float)
    clat = pd.to_numeric(comm["lat"], errors="coerce").to_numpy(dtype=float)
    has = np.isfinite(clon) & np.isfinite(clat)
    ok = np.zeros(len(ct), dtype=bool)
    if has.any():
        ok[has] = shapes.inside(ct[has], clon[has], clat[has])
    return ct, cshort, np.where(ok, clon, np.nan), np.where(ok, clat, np.nan)


def _skeleton(district: District) -> _Skeleton:
    jur = district.jurisdictions
    codes = np.asarray(jur["code"].astype(str), dtype=object)
    names = np.asarray(jur["name"].astype(str), dtype=object)
    mca = np.asarray(jur["mca_name"].astype(str), dtype=object) if "mca_name" in jur else names.copy()
    kinds = np.asarray(jur["kind"].astype(str), dtype=object) if "kind" in jur else np.full(len(codes), "镇", object)
    shapes = _TownShapes(district)
    seat_lon, seat_lat = _seats(codes, shapes)
    kind_w = {"街道": 3.0, "地区": 2.0}
    org_weight = np.array([N.TOWN_ORG_WEIGHTS.get(c, kind_w.get(k, 1.0)) for c, k in zip(codes, kinds)])
    bw = {"街道": 3.0, "地区": 1.0}
    building_weight = np.array([N.TOWN_BUILDING_WEIGHTS.get(c, 0.0) if c in N.TOWN_ORG_WEIGHTS
                                else bw.get(k, 0.0) for c, k in zip(codes, kinds)])
    if building_weight.sum() <= 0:
        building_weight = org_weight.copy()
    ct, cshort, clon, clat = _communities(district, codes, shapes)
    short = np.array([town_short_name(s) for s in names], dtype=object)
    return _Skeleton(district, shapes, codes, names, mca, kinds, short, seat_lon, seat_lat, org_weight,
                     building_weight, ct, cshort, clon, clat)
