"""The skeleton tables: commercial buildings, parks and party-mass service centers (each its own random stream)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.core.model import DEMO_FLAG, SIX_HAS
from lianxin_geo.core.policy import Profile
from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import _M_PER_DEG_LAT, _cat, _num, _unique_names
from lianxin_geo.ingest.demo.skeleton import _Skeleton

__all__: list[str] = []

#: Statistics code of the town that hosts the district center (胜利街道).
_DISTRICT_SEAT_CODE = "110113001"


def _required_m2(profile: Profile) -> dict[str, float]:
    """Area standards of service centers by level (rule R15) from the policy profile."""
    return {level: float(profile.get(f"venues.required_m2_{level}")) for level in ("district", "town", "street")}


def _make_buildings(sk: _Skeleton, rng: np.random.Generator,
                    n_buildings: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    w = sk.building_weight / sk.building_weight.sum()
    town = np.sort(rng.choice(sk.codes.size, size=n_buildings, p=w))
    street = np.asarray(sk.kinds[town] == "街道")
    lon, lat = sk.shapes.around(town, sk.seat_lon[town], sk.seat_lat[town], np.where(street, 700.0, 1000.0), rng)
    combos = [(a, b, t) for a in N.BUILDING_PREFIX_A for b in N.BUILDING_PREFIX_B if a != b for t in N.BUILDING_TYPES]
    combo_names = np.array(["".join(c) for c in combos], dtype=object)
    _, first = np.unique(combo_names, return_index=True)
    combo_names = combo_names[np.sort(first)]
    names = combo_names[rng.choice(combo_names.size, size=n_buildings, replace=n_buildings > combo_names.size)]
    if n_buildings > combo_names.size:  # pragma: no cover
        names = _unique_names(rng, np.full(n_buildings, "", object), names, np.full(n_buildings, "", object))
    road = _cat(sk.short[town], np.asarray(N.ROAD_SUFFIXES, dtype=object)[rng.integers(0, len(N.ROAD_SUFFIXES),
                                                                                          n_buildings)])
    num = rng.integers(1, 200, n_buildings)
    address = _cat("顺义区", sk.names[town], road, _num(num), "号")
    area = np.clip(np.round(np.exp(np.log(28_000) + 0.55 * rng.standard_normal(n_buildings)), -2), 6_000, 160_000)
    workstation = rng.random(n_buildings) < 0.7
    df = pd.DataFrame({
        "name": names, "address": address, "town": sk.names[town],
        "lon": np.round(lon, 6), "lat": np.round(lat, 6), "crs": "WGS84",
        "floor_area": area.astype(float), "workstation": workstation, "source": DEMO_FLAG,
    })
    return df, {"town_idx": town, "road_num": _cat(road, _num(num), "号")}


def _make_parks(sk: _Skeleton, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    n = len(N.PARKS)
    heavy = np.argsort(-sk.org_weight, kind="stable")
    town = np.empty(n, dtype=np.int64)
    for i, (_, code, *_rest) in enumerate(N.PARKS):
        t = sk.index_of(code)
        town[i] = t if t is not None else int(heavy[i % heavy.size])
    ang = rng.random(n) * 2 * np.pi
    dist = 1500 + 2000 * rng.random(n)
    cx = sk.seat_lon[town] + np.cos(ang) * dist / (_M_PER_DEG_LAT * sk.shapes.coslat)
    cy = sk.seat_lat[town] + np.sin(ang) * dist / _M_PER_DEG_LAT
    lon, lat = sk.shapes.around(town, cx, cy, 300.0, rng)
    df = pd.DataFrame({
        "name": [p[0] for p in N.PARKS], "level": [p[2] for p in N.PARKS], "town": sk.names[town],
        "lon": np.round(lon, 6), "lat": np.round(lat, 6), "crs": "WGS84",
        "committee": [bool(p[3]) for p in N.PARKS], "source": DEMO_FLAG,
    })
    return df, {"town_idx": town, "spread": np.array([p[4] for p in N.PARKS])}


def _district_and_town_centers(sk: _Skeleton, rng: np.random.Generator,
                               required: dict[str, float]) -> list[dict[str, Any]]:
    """The district center, then town / street centers: three 镇 without one, about a third below the standard."""
    nt = sk.codes.size
    rows: list[dict[str, Any]] = []
    t_district = sk.index_of(_DISTRICT_SEAT_CODE)
    if t_district is None:
        streets = np.flatnonzero(sk.kinds == "街道")
        t_district = int(streets[0]) if streets.size else 0
    rows.append({"name": f"{sk.district.name}党群活动服务中心", "level": "区级", "t": t_district,
                 "floor_area": float(np.round(required["district"] * rng.uniform(1.0, 1.33), -1)),
                 "cx": sk.seat_lon[t_district], "cy": sk.seat_lat[t_district], "sigma": 150.0, "p": 0.95})
    candidates = np.array([t for t in range(nt) if sk.kinds[t] != "街道" and t != t_district])
    if candidates.size == 0:
        candidates = np.array([t for t in range(nt) if t != t_district])
    n_missing = min(3, max(0, nt - 3))
    missing = set(rng.choice(candidates, size=min(n_missing, candidates.size), replace=False).tolist())
    present = [t for t in range(nt) if t not in missing]
    below = rng.random(len(present)) < 0.3
    if present and below.sum() < min(2, len(present)):  # at least two below the standard
        below[rng.choice(len(present), size=min(2, len(present)), replace=False)] = True
    for t, is_below in zip(present, below):
        street = sk.kinds[t] == "街道"
        req = required["street" if street else "town"]
        factor = rng.uniform(0.45, 0.95) if is_below else rng.uniform(1.0, 1.7)
        rows.append({"name": f"{sk.names[t]}党群活动服务中心", "level": "街道级" if street else "镇级", "t": t,
                     "floor_area": float(max(10.0, np.round(req * factor, -1))),
                     "cx": sk.seat_lon[t], "cy": sk.seat_lat[t], "sigma": 200.0, "p": 0.9})
    return rows


def _local_centers(sk: _Skeleton, rng: np.random.Generator, buildings: pd.DataFrame, parks: pd.DataFrame,
                   extra: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Park, community and building centers."""
    rows: list[dict[str, Any]] = []
    # park centers: most parks with a committee, a few without; at least one park has none
    p_town = extra["park_town"]
    has = np.where(parks["committee"].to_numpy(), rng.random(len(parks)) < 0.75, rng.random(len(parks)) < 0.3)
    if has.all() and has.size:
        has[int(rng.integers(0, has.size))] = False
    for i in np.flatnonzero(has):
        rows.append({"name": f"{parks['name'].iat[i]}党群服务中心", "level": "园区", "t": int(p_town[i]),
                     "floor_area": float(np.round(rng.uniform(300, 1200), -1)),
                     "cx": parks["lon"].iat[i], "cy": parks["lat"].iat[i], "sigma": 100.0, "p": 0.85})
    # community centers at up to 20 communities with a known point
    known = np.flatnonzero(np.isfinite(sk.comm_lon))
    for i in np.sort(rng.choice(known, size=min(20, known.size), replace=False)) if known.size else []:
        rows.append({"name": f"{sk.comm_short[i]}党群服务站", "level": "社区", "t": int(sk.comm_town[i]),
                     "floor_area": float(np.round(rng.uniform(60, 400), -1)),
                     "cx": sk.comm_lon[i], "cy": sk.comm_lat[i], "sigma": 0.0, "p": 0.8})
    # building centers: about a third of the buildings with a work station
    b_town = extra["building_town"]
    ws = np.flatnonzero(buildings["workstation"].to_numpy() & (rng.random(len(buildings)) < 0.35))
    for i in ws:
        rows.append({"name": f"{buildings['name'].iat[i]}党群服务站", "level": "楼宇", "t": int(b_town[i]),
                     "floor_area": float(np.round(rng.uniform(60, 300), -1)),
                     "cx": buildings["lon"].iat[i], "cy": buildings["lat"].iat[i], "sigma": 0.0, "p": 0.8})
    return rows


def _make_centers(sk: _Skeleton, rng: np.random.Generator, buildings: pd.DataFrame, parks: pd.DataFrame,
                  extra: dict[str, np.ndarray], required: dict[str, float]) -> pd.DataFrame:
    rows = _district_and_town_centers(sk, rng, required) + _local_centers(sk, rng, buildings, parks, extra)
    t = np.array([r["t"] for r in rows], dtype=np.int64)
    cx = np.array([r["cx"] for r in rows], dtype=float)
    cy = np.array([r["cy"] for r in rows], dtype=float)
    sigma = np.array([r["sigma"] for r in rows], dtype=float)
    lon, lat = sk.shapes.around(t, cx, cy, sigma, rng)
    p = np.array([r["p"] for r in rows])
    six = {k: rng.random(len(rows)) < (np.maximum(p, 0.97) if k == "has_site" else p) for k in SIX_HAS}
    return pd.DataFrame({
        "name": [r["name"] for r in rows], "level": [r["level"] for r in rows], "town": sk.names[t],
        "floor_area": [r["floor_area"] for r in rows],
        "lon": np.round(lon, 6), "lat": np.round(lat, 6), "crs": "WGS84",
        **six, "source": DEMO_FLAG,
    })
