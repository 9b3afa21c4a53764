"""Seeded synthetic demo ledgers on the real Shunyi skeleton.

The district outline, the 25 towns/streets with their official codes and the
601 communities/villages are real (see :func:`lianxin_geo.ingest.boundaries.demo_district`;
the town polygons are *approximate*). Everything this module produces on top of
them is **synthetic**: organizations, commercial buildings, parks and
party-mass service centers, each row flagged ``source = DEMO_FLAG``.

The generator is vectorised (numpy; no Python loop per organization) and fully
determined by its seed: the same seed gives the same frames and, through
:func:`write_demo`, the same file bytes. The skeleton tables (buildings, parks,
centers) come from their own random streams, so they do not change with
``n_orgs`` as long as the number of buildings stays the same.

Shapes the demo imitates (see ``docs/demo.md`` for every share):

* about 85 % non-public enterprises and 15 % social organizations, with the
  entity types of rule R5 and some city-level social groups;
* GB/T 4754-2017 sections of a suburban airport district;
* heavy-tailed staff counts, party members with many zeros;
* own party orgs typed by member count, joint party orgs of 2–15 units of one
  town and one industry section, gaps (≥ 3 members or ≥ 100 staff and no
  party org), instructors and mass organizations;
* orgs clustered in buildings, parks and town centres, every coordinate inside
  its town, about 10 % in GCJ-02, about 5 % with an address only;
* valid, unique 统一社会信用代码 (GB 32100-2015 with the GB 11714 organization
  code inside);
* service centers at every level, some below the area standard of the policy
  profile and some towns without one.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.ingest import demo_names as N
from lianxin_geo.ingest.creditcode import CHARSET, WEIGHTS
from lianxin_geo.ingest.boundaries import demo_district, shunyi_seed_points, write_boundaries_geojson
from lianxin_geo.core.crs import wgs84_to_gcj02
from lianxin_geo.core.district import District, town_short_name
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import (
    APPROX_NOTE,
    CENTER_SCHEMA,
    DEMO_FLAG,
    DEMO_NOTE,
    ENTERPRISE,
    ORG_SCHEMA,
    PARK_SCHEMA,
    PARTY_JOINT,
    PARTY_NONE,
    PARTY_OWN,
    SCHEMAS,
    SIX_HAS,
    SOCIAL,
    BUILDING_SCHEMA,
)

__all__ = [
    "DEFAULT_SEED",
    "CSV_THRESHOLD",
    "ORG_TITLE",
    "DemoData",
    "generate_demo",
    "write_demo",
    "to_ledger_frame",
    "buildings_csv_text",
]

#: The default seed (the date of 顺组发〔2017〕25号 is close enough to be memorable).
DEFAULT_SEED = 20170602
#: Above this many orgs :func:`write_demo` writes ``orgs.csv`` (UTF-8 with BOM) instead of ``orgs.xlsx``.
CSV_THRESHOLD = 200_000
ORG_TITLE = "顺义区两新组织台账（演示数据，合成）"
_TITLES = {
    "orgs": ORG_TITLE,
    "buildings": "顺义区商务楼宇台账（演示数据，合成）",
    "parks": "顺义区园区台账（演示数据，合成）",
    "centers": "顺义区党群活动服务中心台账（演示数据，合成）",
}
#: Fixed workbook and zip timestamps, so the same seed gives the same bytes.
_FIXED_TIME = _dt.datetime(2017, 6, 2, 0, 0, 0)
_ZIP_TIME = (2017, 6, 2, 0, 0, 0)

# ------------------------------------------------------------------ shape parameters (not policy)
#: Share of non-public enterprises among all orgs.
ENTERPRISE_SHARE = 0.85
#: Share of orgs with coordinates written in GCJ-02 (converted from the WGS-84 truth).
GCJ02_SHARE = 0.10
#: Share of orgs with no coordinates, only an address naming a building, park or community.
NO_COORD_SHARE = 0.05
#: Share of orgs in 地区 towns whose 所属镇街 is written with the civil-affairs name (仁和镇 for 仁和地区).
MCA_NAME_SHARE = 0.35
#: Sampling margin inside each town polygon (degrees, about 25–33 m), so that
#: rounding and GCJ-02 round trips can never move a point into the next town.
_MARGIN_DEG = 3e-4
_M_PER_DEG_LAT = 111_320.0
#: Fallback area standards (m²) when no policy profile is available (SY2017 第二十五条, rule R15).
_FALLBACK_REQUIRED_M2 = {"district": 1500.0, "town": 1200.0, "street": 800.0}

_PLACE_BUILDING, _PLACE_PARK, _PLACE_CENTRE, _PLACE_SCATTER, _PLACE_COMMUNITY = range(5)


# ======================================================================= result
def _empty_flaws() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series([], dtype="int64"), "column": pd.Series([], dtype="str"),
                         "problem": pd.Series([], dtype="str")})


@dataclass
class DemoData:
    """A synthetic demo: four ledgers with internal column keys (``ORG_SCHEMA.keys`` etc.).

    Attributes
    ----------
    orgs, buildings, parks, centers
        The ledgers, values as a ledger holds them (text enumerations in
        Chinese, bools for 是/否 columns, NaN for blanks).
    seed
        The seed that produced them.
    flaws
        The deliberately flawed org rows (``flaws=True`` only): ``row`` (0-based
        position in ``orgs``), ``column`` (internal key) and ``problem`` (Chinese).
    """

    orgs: pd.DataFrame
    buildings: pd.DataFrame
    parks: pd.DataFrame
    centers: pd.DataFrame
    seed: int
    flaws: pd.DataFrame = field(default_factory=_empty_flaws)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The four ledgers by kind (``orgs``, ``buildings``, ``parks``, ``centers``)."""
        return {"orgs": self.orgs, "buildings": self.buildings, "parks": self.parks, "centers": self.centers}


# ======================================================================= geometry
def _groups(labels: np.ndarray, n_labels: int) -> list[tuple[int, np.ndarray]]:
    """(label, indices) for every label present, indices in ascending order."""
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=n_labels)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [(t, order[bounds[t]:bounds[t + 1]]) for t in range(n_labels) if counts[t]]


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
    for suffix, family in (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"),
                           ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村")):
        if name.endswith(suffix):
            core = name[: -len(suffix)]
            return core if core.endswith(family) else core + family
    return name


def _skeleton(district: District) -> _Skeleton:
    jur = district.jurisdictions
    codes = np.asarray(jur["code"].astype(str), dtype=object)
    names = np.asarray(jur["name"].astype(str), dtype=object)
    mca = np.asarray(jur["mca_name"].astype(str), dtype=object) if "mca_name" in jur else names.copy()
    kinds = np.asarray(jur["kind"].astype(str), dtype=object) if "kind" in jur else np.full(len(codes), "镇", object)
    shapes = _TownShapes(district)
    n = len(codes)
    # seats: the bundled office points where they fall inside the (shrunk) polygon, else a surface point
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
    kind_w = {"街道": 3.0, "地区": 2.0}
    org_weight = np.array([N.TOWN_ORG_WEIGHTS.get(c, kind_w.get(k, 1.0)) for c, k in zip(codes, kinds)])
    bw = {"街道": 3.0, "地区": 1.0}
    building_weight = np.array([N.TOWN_BUILDING_WEIGHTS.get(c, 0.0) if c in N.TOWN_ORG_WEIGHTS
                                else bw.get(k, 0.0) for c, k in zip(codes, kinds)])
    if building_weight.sum() <= 0:
        building_weight = org_weight.copy()
    # communities
    comm = district.communities
    code_to_idx = {c: i for i, c in enumerate(codes)}
    if len(comm):
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
        clon = np.where(ok, clon, np.nan)
        clat = np.where(ok, clat, np.nan)
    else:
        ct = np.zeros(0, dtype=np.int64)
        cshort = np.zeros(0, dtype=object)
        clon = np.zeros(0)
        clat = np.zeros(0)
    short = np.array([town_short_name(s) for s in names], dtype=object)
    return _Skeleton(district, shapes, codes, names, mca, kinds, short, seat_lon, seat_lat, org_weight,
                     building_weight, ct, cshort, clon, clat)


# ======================================================================= helpers
def _choice_by_group(rng: np.random.Generator, group: np.ndarray, n_groups: int,
                     members: list[np.ndarray]) -> np.ndarray:
    """For each row pick uniformly one element of ``members[group]`` (-1 where the group is empty)."""
    counts = np.array([m.size for m in members], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.concatenate(members) if counts.sum() else np.zeros(0, dtype=np.int64)
    c = counts[group]
    pick = np.floor(rng.random(group.size) * np.maximum(c, 1)).astype(np.int64)
    out = np.full(group.size, -1, dtype=np.int64)
    has = c > 0
    out[has] = flat[starts[group[has]] + pick[has]]
    return out


def _cat(*parts: Any) -> np.ndarray:
    """Element-wise string concatenation of object arrays and str scalars (object array out).

    numpy's object ``add`` calls ``str.__add__`` in a C loop: far cheaper than a
    round trip through pandas string arrays.
    """
    arrays = [np.asarray(p, dtype=object) for p in parts if not isinstance(p, str)]
    n = max((a.size for a in arrays), default=1)
    out = np.full(n, "", dtype=object)
    for p in parts:
        out = np.add(out, p if isinstance(p, str) else np.asarray(p, dtype=object))
    return out


def _num(values: np.ndarray) -> np.ndarray:
    """Integers as decimal text (object array)."""
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def _required_m2(profile: Any) -> dict[str, float]:
    """Area standards of R15 from the policy profile (fallback: SY2017 values)."""
    out = dict(_FALLBACK_REQUIRED_M2)
    try:
        if profile is None:
            from lianxin_geo.core.policy import load_profile

            profile = load_profile()
        for level in ("district", "town", "street"):
            out[level] = float(profile.get(f"venues.required_m2_{level}"))
    except ImportError:  # pragma: no cover - the policy module ships with the package
        pass
    return out


def _profile_int(profile: Any, key: str, fallback: int) -> int:
    try:
        if profile is None:
            from lianxin_geo.core.policy import load_profile

            profile = load_profile()
        return int(profile.get(key))
    except ImportError:  # pragma: no cover
        return fallback


#: GB 11714 value (digits 0-9, letters A=10 … Z=35) of every character of the GB 32100 set, and back.
_GB11714_VALUE = np.array([int(ch) if ch.isdigit() else ord(ch) - 55 for ch in CHARSET], dtype=np.int64)
_CHARSET_INDEX_OF_11714 = np.full(36, -1, dtype=np.int64)
_CHARSET_INDEX_OF_11714[_GB11714_VALUE] = np.arange(len(CHARSET))
_W11714 = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def _duplicated(keys: np.ndarray) -> np.ndarray:
    """True for every occurrence of a key after its first (sort based, no hashing)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    dup_sorted = np.zeros(keys.size, dtype=bool)
    dup_sorted[1:] = sk[1:] == sk[:-1]
    out = np.empty(keys.size, dtype=bool)
    out[order] = dup_sorted
    return out


def _credit_codes(rng: np.random.Generator, dept: np.ndarray, typ: np.ndarray) -> np.ndarray:
    """Unique valid 统一社会信用代码 (GB 32100-2015) of district 110113.

    ``dept`` and ``typ`` are indices into :data:`~lianxin_geo.ingest.creditcode.CHARSET`
    of the first two characters (registration department: 9 market regulation,
    5 civil affairs; organization type). Characters 9–17 are a GB 11714
    organization code (8 body characters and its own check character, weights
    3 7 9 10 5 8 4 2 mod 11); about a third are post-2015 ``MA…`` codes.
    """
    n = dept.size
    body = np.zeros((n, 8), dtype=np.int64)  # GB 11714 values
    new_style = rng.random(n) < 0.35
    todo = np.arange(n)
    keys = np.zeros(n, dtype=np.int64)
    for _ in range(50):
        if todo.size == 0:
            break
        m = todo.size
        b = rng.integers(0, 10, size=(m, 8))
        ns = new_style[todo]
        b[ns, 0] = ord("M") - 55
        b[ns, 1] = ord("A") - 55
        b[ns, 2:] = _GB11714_VALUE[rng.integers(0, len(CHARSET), size=(int(ns.sum()), 6))]
        body[todo] = b
        k = np.zeros(n, dtype=np.int64)
        for j in range(8):
            k = k * 36 + body[:, j]
        keys = k
        todo = np.flatnonzero(_duplicated(keys))
    c9 = 11 - (body @ _W11714) % 11
    chk = np.where(c9 == 11, 0, np.where(c9 == 10, ord("X") - 55, c9))  # 10 -> "X", 11 -> "0"
    idx = np.empty((n, 18), dtype=np.int64)
    idx[:, 0] = dept
    idx[:, 1] = typ
    for j, ch in enumerate("110113"):
        idx[:, 2 + j] = CHARSET.index(ch)
    idx[:, 8:16] = _CHARSET_INDEX_OF_11714[body]
    idx[:, 16] = _CHARSET_INDEX_OF_11714[chk]
    total = idx[:, :17] @ np.asarray(WEIGHTS, dtype=np.int64)
    idx[:, 17] = (31 - total % 31) % 31
    ascii_codes = np.frombuffer(CHARSET.encode("ascii"), dtype=np.uint8)[idx]
    return np.ascontiguousarray(ascii_codes).view("S18").ravel().astype(str).astype(object)


def _person_names(rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` distinct invented person names (surname + one or two given characters)."""
    ns, ng = len(N.SURNAMES), len(N.GIVEN_CHARS)
    per = ng + ng * ng
    total = ns * per
    pick = rng.choice(total, size=min(k, total), replace=False)
    s = pick // per
    g = pick % per
    one = g < ng
    g2 = np.where(one, 0, g - ng)
    first = np.where(one, g, g2 // ng)
    second = np.where(one, -1, g2 % ng)
    sur = np.asarray(N.SURNAMES, dtype=object)[s]
    giv = np.asarray(N.GIVEN_CHARS + ("",), dtype=object)
    out = _cat(sur, giv[first], giv[second])
    if k > total:  # pragma: no cover - only beyond ~98,000 instructors
        extra = _cat(out[np.arange(k - total) % total], _num(np.arange(k - total) // total + 2))
        out = np.concatenate([out, extra])
    return out


def _unique_names(rng: np.random.Generator, pre: np.ndarray, trade: np.ndarray, post: np.ndarray) -> np.ndarray:
    """pre + trade + post, adding invented trade characters to duplicates until every name is unique.

    Each round hashes every name once (vectorised) and lengthens only the
    trade names of the later duplicates.
    """
    trade = trade.copy()
    names = _cat(pre, trade, post)
    c_pool = np.asarray(N.TRADE_C, dtype=object)
    for _ in range(16):
        dup = pd.Series(names, dtype=object).duplicated().to_numpy()
        if not dup.any():
            return names
        idx = np.flatnonzero(dup)
        trade[idx] = _cat(trade[idx], c_pool[rng.integers(0, c_pool.size, idx.size)])
        names[idx] = _cat(pre[idx], trade[idx], post[idx])
    dup = pd.Series(names, dtype=object).duplicated().to_numpy()
    if dup.any():  # pragma: no cover - astronomically rare at any size the demo supports
        names[dup] = _cat(names[dup], "（", _num(np.flatnonzero(dup)), "）")
    return names


# ======================================================================= skeleton tables
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


def _make_centers(sk: _Skeleton, rng: np.random.Generator, buildings: pd.DataFrame, parks: pd.DataFrame,
                  extra: dict[str, np.ndarray], required: dict[str, float]) -> pd.DataFrame:
    nt = sk.codes.size
    rows: list[dict[str, Any]] = []
    t_district = sk.index_of("110113001")
    if t_district is None:
        streets = np.flatnonzero(sk.kinds == "街道")
        t_district = int(streets[0]) if streets.size else 0
    rows.append({"name": f"{sk.district.name}党群活动服务中心", "level": "区级", "t": t_district,
                 "floor_area": float(np.round(required["district"] * rng.uniform(1.0, 1.33), -1)),
                 "cx": sk.seat_lon[t_district], "cy": sk.seat_lat[t_district], "sigma": 150.0, "p": 0.95})
    # town / street centers: three 镇 without one, about a third below the standard (at least two)
    candidates = np.array([t for t in range(nt) if sk.kinds[t] != "街道" and t != t_district])
    if candidates.size == 0:
        candidates = np.array([t for t in range(nt) if t != t_district])
    n_missing = min(3, max(0, nt - 3))
    missing = set(rng.choice(candidates, size=min(n_missing, candidates.size), replace=False).tolist())
    present = [t for t in range(nt) if t not in missing]
    below = rng.random(len(present)) < 0.3
    if present and below.sum() < min(2, len(present)):
        below[rng.choice(len(present), size=min(2, len(present)), replace=False)] = True
    for t, is_below in zip(present, below):
        street = sk.kinds[t] == "街道"
        req = required["street" if street else "town"]
        factor = rng.uniform(0.45, 0.95) if is_below else rng.uniform(1.0, 1.7)
        rows.append({"name": f"{sk.names[t]}党群活动服务中心", "level": "街道级" if street else "镇级", "t": t,
                     "floor_area": float(max(10.0, np.round(req * factor, -1))),
                     "cx": sk.seat_lon[t], "cy": sk.seat_lat[t], "sigma": 200.0, "p": 0.9})
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


# ======================================================================= orgs
def _make_orgs(sk: _Skeleton, rng: np.random.Generator, n: int, buildings: pd.DataFrame, parks: pd.DataFrame,
               extra: dict[str, np.ndarray], profile: Any) -> pd.DataFrame:
    own_min = _profile_int(profile, "thresholds.own_org_min_members", 3)
    branch_max = _profile_int(profile, "thresholds.branch_max_members", 50)
    committee_min = _profile_int(profile, "thresholds.committee_min_members", 100)
    max_units = _profile_int(profile, "joint.max_units", 15)
    joint_min_total = _profile_int(profile, "joint.min_members_total", 3)
    per_instructor = _profile_int(profile, "instructors.orgs_per_instructor", 10)
    nt = sk.codes.size
    sections = np.array(list(N.SECTIONS), dtype=object)
    sec_idx = {s: i for i, s in enumerate(sections)}
    sec_label = _cat(sections, " ", np.array(list(N.SECTIONS.values()), dtype=object))

    # ---- kind and social type
    is_ent = rng.random(n) < ENTERPRISE_SHARE
    stypes = np.array(list(N.SOCIAL_TYPE_WEIGHTS), dtype=object)
    sw = np.array(list(N.SOCIAL_TYPE_WEIGHTS.values()), dtype=float)
    st = rng.choice(stypes.size, size=n, p=sw / sw.sum())
    st = np.where(is_ent, -1, st)

    # ---- placement class: 0 enterprise, 1 social (general), 2 professional firms,
    #      3 community orgs, 4 schools/hospitals
    st_of = {s: i for i, s in enumerate(stypes)}
    st_name = np.where(st >= 0, stypes[np.maximum(st, 0)], None)
    cls_of_type = np.ones(stypes.size + 1, dtype=np.int64)  # last slot: enterprises (st == -1)
    cls_of_type[-1] = 0
    for s_name, c in (("律师事务所", 2), ("会计师事务所", 2), ("税务师事务所", 2), ("社会中介组织", 2),
                      ("城乡社区社会组织", 3), ("民办学校", 4), ("民办医院", 4)):
        cls_of_type[st_of[s_name]] = c
    cls = cls_of_type[st]
    place_p = np.array([
        [0.22, 0.20, 0.33, 0.25, 0.00],
        [0.08, 0.02, 0.45, 0.15, 0.30],
        [0.60, 0.02, 0.30, 0.08, 0.00],
        [0.00, 0.00, 0.10, 0.10, 0.80],
        [0.05, 0.00, 0.50, 0.35, 0.10],
    ])
    place = (rng.random(n)[:, None] > np.cumsum(place_p[cls], axis=1)[:, :-1]).sum(axis=1)

    # ---- building / park / town
    nb = len(buildings)
    b_town = extra["building_town"]
    bw = buildings["floor_area"].to_numpy(dtype=float)
    bidx = np.where(place == _PLACE_BUILDING, rng.choice(nb, size=n, p=bw / bw.sum()), -1)
    p_town = extra["park_town"]
    pw = parks["level"].map({"国家级": 3.0, "市级": 2.0, "区级": 1.0}).fillna(1.0).to_numpy(dtype=float)
    pidx = np.where(place == _PLACE_PARK, rng.choice(len(parks), size=n, p=pw / pw.sum()), -1)
    town = rng.choice(nt, size=n, p=sk.org_weight / sk.org_weight.sum())
    town = np.where(bidx >= 0, b_town[np.maximum(bidx, 0)], town)
    town = np.where(pidx >= 0, p_town[np.maximum(pidx, 0)], town)

    # communities per town (all, and those with a point)
    comm_all = [np.flatnonzero(sk.comm_town == t) for t in range(nt)]
    comm_pt = [np.flatnonzero((sk.comm_town == t) & np.isfinite(sk.comm_lon)) for t in range(nt)]
    cidx_any = _choice_by_group(rng, town, nt, comm_all)
    cidx_pt = _choice_by_group(rng, town, nt, comm_pt)
    # a community placement needs a community; otherwise the org goes to the town centre
    place = np.where((place == _PLACE_COMMUNITY) & (cidx_any < 0), _PLACE_CENTRE, place)
    cidx = np.where(place == _PLACE_COMMUNITY, cidx_any, -1)

    # ---- WGS-84 coordinates inside the town polygon
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    m = place == _PLACE_BUILDING
    lon[m] = buildings["lon"].to_numpy()[bidx[m]]
    lat[m] = buildings["lat"].to_numpy()[bidx[m]]
    m = place == _PLACE_PARK
    if m.any():
        pi = pidx[m]
        lon[m], lat[m] = sk.shapes.around(town[m], parks["lon"].to_numpy()[pi], parks["lat"].to_numpy()[pi],
                                          extra["park_spread"][pi], rng)
    m = place == _PLACE_CENTRE
    if m.any():
        t = town[m]
        use_comm = (rng.random(m.sum()) < 0.5) & (cidx_pt[m] >= 0)
        cp = np.maximum(cidx_pt[m], 0)
        cx = np.where(use_comm, sk.comm_lon[cp] if sk.comm_lon.size else 0.0, sk.seat_lon[t])
        cy = np.where(use_comm, sk.comm_lat[cp] if sk.comm_lat.size else 0.0, sk.seat_lat[t])
        sigma = np.select([sk.kinds[t] == "街道", sk.kinds[t] == "地区"], [500.0, 900.0], 700.0)
        lon[m], lat[m] = sk.shapes.around(t, cx, cy, sigma, rng)
    m = place == _PLACE_SCATTER
    if m.any():
        lon[m], lat[m] = sk.shapes.uniform(town[m], rng)
    m = place == _PLACE_COMMUNITY
    if m.any():
        t = town[m]
        c = cidx[m]
        known = np.isfinite(sk.comm_lon[c])
        cx = np.where(known, sk.comm_lon[c], sk.seat_lon[t])
        cy = np.where(known, sk.comm_lat[c], sk.seat_lat[t])
        lon[m], lat[m] = sk.shapes.around(t, cx, cy, np.where(known, 250.0, 1500.0), rng)
    lon = np.round(lon, 6)
    lat = np.round(lat, 6)

    # ---- industry section
    sec = np.zeros(n, dtype=np.int64)

    def draw(mask: np.ndarray, weights: dict[str, float]) -> None:
        k = int(mask.sum())
        if k:
            keys = np.array([sec_idx[s] for s in weights])
            w = np.array(list(weights.values()), dtype=float)
            sec[mask] = keys[rng.choice(keys.size, size=k, p=w / w.sum())]

    draw(is_ent & (place == _PLACE_BUILDING), N.BUILDING_SECTION_WEIGHTS)
    draw(is_ent & (place != _PLACE_BUILDING) & (place != _PLACE_PARK), N.ENTERPRISE_SECTION_WEIGHTS)
    for i, p in enumerate(N.PARKS):
        draw(is_ent & (pidx == i), p[5])
    for i, s in enumerate(stypes):
        draw(st == i, {x: 1.0 for x in N.SOCIAL_TYPE_SECTIONS[s]})
    industry = sec_label[sec]

    # ---- staff: lognormal by section / type, bigger in parks, a Pareto tail of large firms
    med_sec = np.array([N.SECTION_MEDIAN_EMPLOYEES.get(s, 8.0) for s in sections])
    med_st = np.array([N.SOCIAL_TYPE_MEDIAN_STAFF[s] for s in stypes])
    med = np.where(is_ent, med_sec[sec], med_st[np.maximum(st, 0)])
    med = med * np.where(place == _PLACE_PARK, 2.0, 1.0)
    sigma = np.where(is_ent, 1.1, 0.85)
    emp = np.exp(np.log(med) + sigma * rng.standard_normal(n))
    tail = is_ent & (rng.random(n) < 0.006)
    emp = np.where(tail, emp * (3.0 + 3.0 * rng.pareto(1.5, n)), emp)
    employees = np.clip(np.round(emp), 1, 30_000).astype(np.int64)

    # ---- party members: zero for most small orgs, growing with size
    p_any = 1.0 / (1.0 + np.exp(-(-2.46 + 0.848 * np.log(employees))))
    has_any = rng.random(n) < p_any
    ent_rate = {"I": 0.08, "M": 0.08, "J": 0.09, "P": 0.08, "C": 0.04, "G": 0.04, "F": 0.03, "H": 0.03, "O": 0.03}
    rate_sec = np.array([ent_rate.get(s, 0.05) for s in sections])
    rate_st = np.array([N.SOCIAL_TYPE_MEMBER_RATE[s] for s in stypes])
    rate = np.where(is_ent, rate_sec[sec], rate_st[np.maximum(st, 0)])
    rate = np.clip(rate * np.exp(0.5 * rng.standard_normal(n)), 0.0, 0.6)
    members = np.where(has_any, np.maximum(1, rng.binomial(employees, rate)), 0)
    members = np.minimum(members, employees)
    probationary = np.minimum(rng.binomial(members, 0.04), employees - members)

    # ---- party org status
    u = rng.random(n)
    status = np.full(n, 2, dtype=np.int64)  # 0 own, 1 joint, 2 none
    big = members >= own_min
    status[big & (u < 0.82)] = 0
    status[big & (u >= 0.82) & (u < 0.90)] = 1
    few = (members >= 1) & ~big
    status[few & (u < 0.65)] = 1
    # zero-member units covered by a joint org (区域化联建): how far a town has got varies a lot, so the
    # demo's town rates spread from well below to near the targets instead of being uniformly low
    town_push = rng.uniform(0.3, 0.95, int(town.max(initial=0)) + 1)
    status[(members == 0) & (u < town_push[town])] = 1

    # joint orgs: chunks of one town and one industry section, sizes within [2, max_units]
    joint_id = np.full(n, -1, dtype=np.int64)
    cand = np.flatnonzero(status == 1)
    if cand.size:
        key = town[cand] * 64 + sec[cand]
        # within a (town, section) group, members first: dealing them round-robin spreads the members
        # over the group's joint orgs, so most reach the 3-member floor even with many zero-member units
        order = np.lexsort((rng.random(cand.size), -members[cand], key))
        cand, key = cand[order], key[order]
        new_grp = np.ones(cand.size, dtype=bool)
        new_grp[1:] = key[1:] != key[:-1]
        grp = np.cumsum(new_grp) - 1
        grp_start = np.flatnonzero(new_grp)
        pos = np.arange(cand.size) - grp_start[grp]
        grp_size = np.bincount(grp)
        hi = max(2, min(12, max_units - 1))
        lo = min(3, hi)
        chunk_len = rng.integers(lo, hi + 1, size=grp_size.size)
        grp_members = np.bincount(grp, weights=members[cand]).astype(np.int64)
        # about chunk_len units per joint org, no more orgs than the members can staff (3 each) ...
        n_chunks = np.maximum(1, np.minimum(grp_size // chunk_len, grp_members // max(joint_min_total, 1)))
        n_chunks = np.maximum(n_chunks, -(-grp_size // max_units))  # ... and never above max_units units
        chunk = pos % n_chunks[grp]
        gid = grp * (int(chunk.max()) + 1 if chunk.size else 1) + chunk
        _, gid = np.unique(gid, return_inverse=True)
        size = np.bincount(gid)
        total = np.bincount(gid, weights=members[cand])
        ok = (size[gid] >= 2) & (size[gid] <= max_units) & (total[gid] >= joint_min_total)
        status[cand[~ok]] = 2
        joint_id[cand[ok]] = gid[ok]
    # joint ids: "LH" + town code + "-" + running number within the town
    jid_text = np.full(n, None, dtype=object)
    jtype = np.full(n, None, dtype=object)
    jm = joint_id >= 0
    if jm.any():
        uniq, inv = np.unique(joint_id[jm], return_inverse=True)
        g_town = np.zeros(uniq.size, dtype=np.int64)
        g_town[inv] = town[jm]
        order = np.lexsort((uniq, g_town))
        rank = np.empty(uniq.size, dtype=np.int64)
        first_of_town = np.concatenate([[0], np.flatnonzero(np.diff(g_town[order])) + 1])
        starts = np.zeros(uniq.size, dtype=np.int64)
        starts[first_of_town] = first_of_town
        starts = np.maximum.accumulate(starts)
        rank[order] = np.arange(uniq.size) - starts + 1
        labels = _cat("LH", sk.codes[g_town], "-", pd.Series(rank).astype(str).str.zfill(3).to_numpy(dtype=object))
        jid_text[jm] = labels[inv]
        g_members = np.bincount(inv, weights=members[jm])
        jtype[jm] = np.where(g_members[inv] > branch_max, "党总支", "党支部")
    status_text = np.array([PARTY_OWN, PARTY_JOINT, PARTY_NONE], dtype=object)[status]
    own = status == 0
    upgraded = rng.random(n) < 0.85  # the rest still wait for 升格 (rule R9 gap)
    own_type = np.where(members >= committee_min, np.where(upgraded, "党委", "党总支"),
                        np.where(members > branch_max, np.where(upgraded, "党总支", "党支部"), "党支部"))
    party_org_type = np.where(own, own_type, jtype)

    # ---- instructors (work coverage) for about half of the orgs without a party org
    none = status == 2
    with_instr = none & (rng.random(n) < 0.55)
    instructor = np.full(n, None, dtype=object)
    if with_instr.any():
        cnt = np.bincount(town[with_instr], minlength=nt)
        pool = np.where(cnt > 0, np.ceil(cnt / max(per_instructor, 1)).astype(np.int64), 0)
        offs = np.concatenate([[0], np.cumsum(pool)[:-1]])
        names = _person_names(rng, int(pool.sum()))
        ti = town[with_instr]
        pick = offs[ti] + np.floor(rng.random(ti.size) * pool[ti]).astype(np.int64)
        instructor[with_instr] = names[pick]

    # ---- mass organizations
    mid = employees >= 25
    large = employees >= 50
    bits = ((rng.random(n) < 0.12 + 0.6 * mid).astype(np.int64)
            | ((rng.random(n) < 0.04 + 0.25 * large).astype(np.int64) << 1)
            | ((rng.random(n) < 0.02 + 0.15 * large).astype(np.int64) << 2))
    combos = np.array([("、".join(p for j, p in enumerate(N.MASS_ORG_PARTS) if b >> j & 1) or None)
                       for b in range(8)], dtype=object)
    mass_org = combos[bits]

    # ---- payroll (万元/年) for part of the enterprises; activities for orgs with a party org
    has_pay = is_ent & (rng.random(n) < 0.65)
    wage = np.exp(np.log(9.0) + 0.35 * rng.standard_normal(n))
    payroll = np.where(has_pay, np.round(employees * wage, 1), np.nan)
    act_val = np.where(rng.random(n) < 0.9, rng.poisson(10, n), rng.poisson(1.5, n))
    act_mask = (status != 2) & (rng.random(n) < 0.85)
    activities = pd.array(np.where(act_mask, act_val, 0), dtype="Int64")
    activities[~act_mask] = pd.NA

    # ---- five-clear texts for about a third of the orgs without a party org
    fc = none & (rng.random(n) < 0.35)
    five: dict[str, np.ndarray] = {k: np.full(n, None, dtype=object) for k in
                                   ("clear_operations", "clear_staff", "clear_members", "clear_owner", "clear_reason")}
    if fc.any():
        k = int(fc.sum())
        e, mb, pb = employees[fc], members[fc], probationary[fc]
        five["clear_operations"][fc] = np.asarray(N.OPERATION_STATES, dtype=object)[
            rng.integers(0, len(N.OPERATION_STATES), k)]
        young = np.round(e * rng.uniform(0.2, 0.6, k)).astype(np.int64)
        five["clear_staff"][fc] = _cat("从业人员", _num(e), "人，其中35岁以下约", _num(young), "人")
        five["clear_members"][fc] = np.where(
            mb == 0, np.where(pb > 0, _cat("无正式党员，预备党员", _num(pb), "名"), "无党员"),
            _cat("正式党员", _num(mb), "名"))
        sur = np.asarray(N.SURNAMES, dtype=object)[rng.integers(0, len(N.SURNAMES), k)]
        owner_party = np.where(rng.random(k) < 0.15, "，中共党员", "，非中共党员")
        five["clear_owner"][fc] = _cat("负责人", sur, "某某", owner_party)
        other = np.asarray(N.FIVE_CLEAR_REASONS[2:], dtype=object)[rng.integers(0, len(N.FIVE_CLEAR_REASONS) - 2, k)]
        five["clear_reason"][fc] = np.where(mb == 0, N.FIVE_CLEAR_REASONS[0],
                                            np.where(mb < own_min, N.FIVE_CLEAR_REASONS[1], other))

    # ---- social-org details: registration level; a few without a credit code
    reg = np.full(n, None, dtype=object)
    soc = ~is_ent
    r = rng.random(n)
    is_group = st == st_of["社会团体"]
    is_comm = st == st_of["城乡社区社会组织"]
    reg[soc] = np.where(r[soc] < 0.1, "市级及以上", "区级")
    reg[soc & is_group] = np.where(r[soc & is_group] < 0.15, "市级及以上",
                                   np.where(r[soc & is_group] < 0.8, "区级", "街乡"))
    reg[is_comm] = np.where(r[is_comm] < 0.9, "街乡", "区级")
    no_code = soc & (rng.random(n) < np.where(is_comm, 0.5, 0.01))

    # ---- credit codes: dept 9 (market regulation) / 5 (civil affairs) + organization type
    ci = CHARSET.index
    dept = np.where(is_ent, ci("9"), ci("5"))
    typ = np.where(is_ent, np.where(rng.random(n) < 0.97, ci("1"), ci("3")),
                   np.where(is_group, ci("1"), np.where(st == st_of["基金会"], ci("3"), ci("2"))))
    codes = _credit_codes(rng, dept, typ)
    codes[no_code] = None

    # ---- names
    a = np.asarray(N.TRADE_A, dtype=object)[rng.integers(0, len(N.TRADE_A), n)]
    b = np.asarray(N.TRADE_B, dtype=object)[rng.integers(0, len(N.TRADE_B), n)]
    c3 = np.asarray(N.TRADE_C, dtype=object)[rng.integers(0, len(N.TRADE_C), n)]
    trade = _cat(a, b)
    longer = rng.random(n) < 0.3
    trade[longer] = _cat(trade[longer], c3[longer])
    pre = np.full(n, "北京", dtype=object)
    post = np.empty(n, dtype=object)
    word_tbl = {s: np.asarray(N.SECTION_WORDS.get(s, ("商贸",)), dtype=object) for s in sections}
    suffixes = np.asarray(N.ENTERPRISE_SUFFIXES, dtype=object)
    for s, i in sec_idx.items():
        mm = is_ent & (sec == i)
        k = int(mm.sum())
        if k:
            post[mm] = _cat(word_tbl[s][rng.integers(0, word_tbl[s].size, k)],
                            suffixes[rng.integers(0, suffixes.size, k)])
    topics = np.asarray(N.SOCIAL_TOPICS, dtype=object)
    for i, s in enumerate(stypes):
        mm = st == i
        k = int(mm.sum())
        if not k:
            continue
        pats = N.SOCIAL_NAME_PATTERNS[s]
        pj = rng.integers(0, len(pats), k)
        pre[mm] = np.asarray([p[0] for p in pats], dtype=object)[pj]
        post[mm] = np.asarray([p[1] for p in pats], dtype=object)[pj]
        if s in ("社会团体", "民办非企业单位", "城乡社区社会组织"):
            trade[mm] = topics[rng.integers(0, topics.size, k)]
        if s == "城乡社区社会组织":
            t = town[mm]
            c = cidx_any[mm]
            place_name = np.where(c >= 0, sk.comm_short[np.maximum(c, 0)] if sk.comm_short.size else "",
                                  sk.short[t])
            pre[mm] = place_name
    name = _unique_names(rng, pre, trade, post)

    # ---- town text (statistics or civil-affairs name) and address
    use_mca = (sk.kinds[town] == "地区") & (rng.random(n) < MCA_NAME_SHARE)
    town_text = np.where(use_mca, sk.mca[town], sk.names[town])
    road = _cat(sk.short[town], np.asarray(N.ROAD_SUFFIXES, dtype=object)[rng.integers(0, len(N.ROAD_SUFFIXES), n)])
    number = _num(rng.integers(1, 300, n))
    no_coord = rng.random(n) < NO_COORD_SHARE
    # an address-only org in the open names a community (one with a known point when the town has one)
    addr_comm = np.where(place == _PLACE_COMMUNITY, cidx,
                         np.where(no_coord & ((place == _PLACE_CENTRE) | (place == _PLACE_SCATTER)),
                                  np.where(cidx_pt >= 0, cidx_pt, cidx_any), -1))
    head = _cat("顺义区", town_text)
    address = _cat(head, road, number, "号")
    m = place == _PLACE_BUILDING
    if m.any():
        floor = _num(rng.integers(1, 25, int(m.sum())))
        address[m] = _cat(head[m], extra["building_road_num"][bidx[m]], buildings["name"].to_numpy()[bidx[m]],
                          floor, "层")
    m = place == _PLACE_PARK
    if m.any():
        address[m] = _cat(head[m], parks["name"].to_numpy()[pidx[m]], road[m], number[m], "号")
    m = addr_comm >= 0
    if m.any():
        cs = sk.comm_short[addr_comm[m]]
        tail_txt = np.where(pd.Series(cs).str.endswith("村").to_numpy(), _cat(number[m], "号"),
                            _cat(number[m], "号楼"))
        address[m] = _cat(head[m], cs, tail_txt)

    # ---- coordinate systems: 5 % none, 10 % of the rest GCJ-02
    crs = np.where(no_coord, None, np.where(rng.random(n) < GCJ02_SHARE, "GCJ02", "WGS84")).astype(object)
    gcj = crs == "GCJ02"
    if gcj.any():
        glon, glat = wgs84_to_gcj02(lon[gcj], lat[gcj])
        lon[gcj] = np.round(glon, 6)
        lat[gcj] = np.round(glat, 6)
    lon[no_coord] = np.nan
    lat[no_coord] = np.nan

    building = np.full(n, None, dtype=object)
    building[bidx >= 0] = buildings["name"].to_numpy()[bidx[bidx >= 0]]
    park = np.full(n, None, dtype=object)
    park[pidx >= 0] = parks["name"].to_numpy()[pidx[pidx >= 0]]
    kind = np.where(is_ent, ENTERPRISE, SOCIAL).astype(object)
    social_type = st_name

    df = pd.DataFrame({
        "credit_code": codes, "name": name, "kind": kind, "social_type": social_type, "registration_level": reg,
        "industry": industry, "address": address, "town": town_text, "lon": lon, "lat": lat, "crs": crs,
        "employees": employees, "members": members.astype(np.int64), "probationary": probationary.astype(np.int64),
        "party_status": status_text, "party_org_type": party_org_type.astype(object), "joint_org_id": jid_text,
        "building": building, "park": park, "instructor": instructor, "mass_org": mass_org,
        "payroll": payroll, "activities": activities, **five, "source": DEMO_FLAG,
    })
    return _typed(df[list(ORG_SCHEMA.keys)], ORG_SCHEMA)


def _typed(df: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Give every column the dtype a ledger column of its type has, whatever the number of rows.

    Text -> ``str`` (missing as NaN), counts -> ``int64`` (``Int64`` when a column may be
    blank), numbers and coordinates -> ``float64``, 是/否 -> ``bool``.
    """
    out = {}
    for col in schema.columns:
        if col.key not in df.columns:
            continue
        s = df[col.key]
        if col.type in ("str", "enum", "code"):
            s = s.astype("str")
        elif col.type == "int":
            s = s.astype("Int64") if s.isna().any() or isinstance(s.dtype, pd.Int64Dtype) else s.astype("int64")
        elif col.type in ("float", "lon", "lat"):
            s = s.astype("float64")
        elif col.type == "bool":
            s = s.astype(bool)
        out[col.key] = s
    return pd.DataFrame(out, index=df.index)


# ======================================================================= flaws
def _add_flaws(orgs: pd.DataFrame, district: District) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Overwrite the last eight rows with one deliberate, documented flaw each."""
    n = len(orgs)
    if n < 20:
        return orgs, _empty_flaws()
    df = orgs.copy()
    for col in ("name", "kind", "credit_code", "town", "joint_org_id"):
        df[col] = df[col].astype(object)
    rows = list(range(n - 8, n))
    flaws: list[tuple[int, str, str]] = []

    r = rows[0]
    df.loc[df.index[r], "name"] = None
    flaws.append((r, "name", "单位名称为空（必填列），应被拒收"))
    r = rows[1]
    df.loc[df.index[r], "kind"] = "个体工商户"
    flaws.append((r, "kind", "组织类别“个体工商户”不在允许值（非公企业/社会组织）内，应被拒收"))
    r = rows[2]
    code = next(c for c in df["credit_code"] if isinstance(c, str))
    good_last = code[17]
    bad_last = CHARSET[(CHARSET.index(good_last) + 1) % len(CHARSET)]
    df.loc[df.index[r], "credit_code"] = code[:17] + bad_last
    flaws.append((r, "credit_code", "统一社会信用代码校验位错误（且与另一行代码前17位相同）"))
    r = rows[3]
    df.loc[df.index[r], "credit_code"] = code
    flaws.append((r, "credit_code", "统一社会信用代码与另一行重复"))
    r = rows[4]
    df.loc[df.index[r], ["lon", "lat", "crs"]] = [116.397, 39.909, "WGS84"]
    flaws.append((r, "lon", "坐标在顺义区外（东城区），应提示坐标不在辖区内"))
    r = rows[5]
    df.loc[df.index[r], ["lon", "lat", "crs"]] = [40.1302, 116.6546, "WGS84"]
    flaws.append((r, "lat", "经纬度填反（纬度 116.65），应提示经纬度互换"))
    r = rows[6]
    jur = district.jurisdictions
    lon0, lat0 = float(orgs["lon"].dropna().iat[0]), float(orgs["lat"].dropna().iat[0])
    crs0 = orgs["crs"][orgs["lon"].notna()].iat[0]
    actual = district.assign(*(_to_wgs(lon0, lat0, crs0)))
    other = jur.loc[jur["code"].astype(str) != str(actual), "name"].iat[0]
    df.loc[df.index[r], ["lon", "lat", "crs", "town"]] = [lon0, lat0, crs0, other]
    flaws.append((r, "town", "所属镇街与坐标所在镇街不一致，应提示属地不符"))
    r = rows[7]
    df.loc[df.index[r], ["party_status", "joint_org_id", "party_org_type"]] = [PARTY_JOINT, None, "党支部"]
    flaws.append((r, "joint_org_id", "党组织状态为联合建立但未填联合党组织编号"))
    report = pd.DataFrame(flaws, columns=["row", "column", "problem"])
    report["row"] = report["row"].astype("int64")
    return df, report


def _to_wgs(lon: float, lat: float, crs: str) -> tuple[np.ndarray, np.ndarray]:
    from lianxin_geo.core.crs import to_wgs84

    x, y = to_wgs84(np.array([lon]), np.array([lat]), crs)
    return x, y


# ======================================================================= public API
def generate_demo(
    n_orgs: int = 5000,
    *,
    seed: int = DEFAULT_SEED,
    district: District | None = None,
    profile: Any = None,
    n_buildings: int | None = None,
    flaws: bool = False,
) -> DemoData:
    """Generate a synthetic demo ledger set on a district skeleton.

    Parameters
    ----------
    n_orgs
        Number of organizations (5,000 is a district; 1,000,000 runs in well under a minute).
    seed
        Seed of every random draw: the same seed gives identical frames.
    district
        The skeleton (default: :func:`lianxin_geo.ingest.boundaries.demo_district`, Shunyi).
    profile
        A :class:`lianxin_geo.core.policy.Profile` whose thresholds shape the demo
        (area standards of service centers, party-org types by members, joint
        unit limits, orgs per instructor); default the ``shunyi-2017`` profile.
    n_buildings
        Number of commercial buildings; default 50, growing with the square root
        of ``n_orgs`` above 5,000.
    flaws
        Overwrite the last eight org rows with one documented flaw each (see
        ``DemoData.flaws`` and ``docs/demo.md``); the default demo is clean.

    Returns
    -------
    DemoData
        Frames with the internal keys of the ledger schemas; every row has
        ``source == DEMO_FLAG``.
    """
    if int(n_orgs) < 0:
        raise LianxinError(f"n_orgs 不能为负数（收到 {n_orgs}）：请填写组织数量，如 5000")
    n_orgs = int(n_orgs)
    district = district if district is not None else demo_district()
    if n_buildings is None:
        n_buildings = max(50, int(round(50 * math.sqrt(max(n_orgs, 1) / 5000))))
    if n_buildings < 1:
        raise LianxinError(f"n_buildings 至少为 1（收到 {n_buildings}）")
    if profile is None:
        try:
            from lianxin_geo.core.policy import load_profile

            profile = load_profile()
        except ImportError:  # pragma: no cover
            profile = None
    sk = _skeleton(district)
    rng_b, rng_p, rng_c, rng_o = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    buildings, b_extra = _make_buildings(sk, rng_b, n_buildings)
    parks, p_extra = _make_parks(sk, rng_p)
    extra = {"building_town": b_extra["town_idx"], "building_road_num": b_extra["road_num"],
             "park_town": p_extra["town_idx"], "park_spread": p_extra["spread"]}
    centers = _typed(_make_centers(sk, rng_c, buildings, parks, extra, _required_m2(profile)), CENTER_SCHEMA)
    orgs = _make_orgs(sk, rng_o, n_orgs, buildings, parks, extra, profile)
    buildings = _typed(buildings, BUILDING_SCHEMA)
    parks = _typed(parks, PARK_SCHEMA)
    report = _empty_flaws()
    if flaws:
        orgs, report = _add_flaws(orgs, district)
        orgs = _typed(orgs, ORG_SCHEMA)
    return DemoData(orgs=orgs.reset_index(drop=True), buildings=buildings, parks=parks, centers=centers,
                    seed=int(seed), flaws=report)


def to_ledger_frame(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rename internal keys to the Chinese headers of a ledger kind; bools become 是/否.

    Parameters
    ----------
    df
        A frame with internal keys (e.g. ``DemoData.orgs``); unknown columns are dropped.
    kind
        ``orgs``, ``buildings``, ``parks`` or ``centers``.
    """
    if kind not in SCHEMAS:
        raise LianxinError(f"未知台账类型 {kind!r}：请用 {', '.join(SCHEMAS)} 之一")
    schema = SCHEMAS[kind]
    out: dict[str, Any] = {}
    for col in schema.columns:
        if col.key not in df.columns:
            continue
        s = df[col.key]
        if col.type == "bool":
            s = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                      else ("是" if bool(v) else "否")).astype(object)
        out[col.header] = s
    return pd.DataFrame(out, index=df.index)


def buildings_csv_text(data: DemoData) -> str:
    """The buildings ledger as UTF-8 CSV text with Chinese headers (the committed snapshot's format)."""
    return to_ledger_frame(data.buildings, "buildings").to_csv(index=False, lineterminator="\n")


# ======================================================================= writing
def _cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _normalise_zip(raw: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and permissions, so identical content gives identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 0
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def _write_xlsx(frame: pd.DataFrame, path: Path, *, title: str, sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.creator = "lianxin-geo demo generator"
    wb.properties.title = title
    wb.properties.description = DEMO_NOTE
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.lastModifiedBy = "lianxin-geo"
    ws = wb.create_sheet(title=sheet)
    ws.freeze_panes = "A3"
    for j, h in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, 2.2 * len(str(h)) + 4))
    ws.append([title])
    ws.append(list(frame.columns))
    cols = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    for row in zip(*cols):
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    path.write_bytes(_normalise_zip(buf.getvalue()))


def _write_outline(district: District, path: Path) -> None:
    geom = shapely.set_precision(district.outline, 1e-7)
    doc = {
        "type": "FeatureCollection",
        "name": path.stem,
        "features": [{
            "type": "Feature",
            "properties": {"code": district.code, "name": district.name,
                           "source": "区界（真实） / district outline"},
            "geometry": shapely.geometry.mapping(geom),
        }],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def _readme(data: DemoData, district: District, files: dict[str, Path], *, csv_orgs: bool) -> str:
    o = data.orgs
    n = len(o)
    share = (lambda m: f"{(100.0 * m.sum() / n if n else 0):.1f}%")
    lines = [
        "顺义区两新党建演示数据（合成） / lianxin-geo synthetic demo",
        "=" * 60,
        "",
        DEMO_NOTE,
        "本目录中的组织、商务楼宇、园区和党群活动服务中心全部由 lianxin_geo.ingest.demo 随机生成（合成数据），",
        "不对应任何真实单位、楼宇、园区或个人；名称为虚构或通用名称，如有雷同纯属巧合。",
        "真实部分：顺义区区界、25个镇街的名称与统计用区划代码、社区（村）名称与代码。",
        f"镇街边界为示意边界：{APPROX_NOTE}。",
        "",
        f"随机种子 seed = {data.seed}；同一种子生成完全相同的文件。",
        f"组织 {n} 个（非公企业 {share(o['kind'] == ENTERPRISE)}，社会组织 {share(o['kind'] == SOCIAL)}）；"
        f"坐标系 GCJ02 {share(o['crs'] == 'GCJ02')}，无坐标（仅地址）{share(o['crs'].isna())}。",
        f"商务楼宇 {len(data.buildings)} 栋，园区 {len(data.parks)} 个，党群活动服务中心 {len(data.centers)} 个。",
        "",
        "文件 / files:",
    ]
    for key, p in files.items():
        lines.append(f"  {p.name}  ({key})")
    lines.append(f"  {'README.txt'}  (本说明)")
    if csv_orgs:
        lines += ["", f"组织数超过 {CSV_THRESHOLD:,}，组织台账写为 orgs.csv（UTF-8 带 BOM），不写 xlsx。"]
    if len(data.flaws):
        lines += ["", "故意设置的错误行（flaws=True，用于演示校验报告；行号为表头下第几条记录，从1起）："]
        for row in data.flaws.itertuples(index=False):
            lines.append(f"  第{row.row + 1}条 [{row.column}] {row.problem}")
    return "\n".join(lines) + "\n"


def write_demo(
    out_dir: str | os.PathLike[str],
    *,
    n_orgs: int = 5000,
    seed: int = DEFAULT_SEED,
    district: District | None = None,
    profile: Any = None,
    flaws: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Path]:
    """Generate a demo and write it as ledger files a planner would receive.

    Writes ``orgs.xlsx`` (``orgs.csv``, UTF-8 with BOM, above :data:`CSV_THRESHOLD`
    orgs), ``buildings.xlsx``, ``parks.xlsx``, ``centers.xlsx`` (a title row,
    then the Chinese header row, frozen), ``boundaries.geojson`` (approximate
    towns, ``approximate: true``), ``outline.geojson`` and ``README.txt``.
    The same arguments give byte-identical files.

    Parameters
    ----------
    out_dir
        Folder to write into (created when missing).
    n_orgs, seed, district, profile, flaws
        As for :func:`generate_demo`.
    progress
        Optional callback ``progress(message, fraction)`` with fraction in [0, 1].

    Returns
    -------
    dict
        ``{"orgs", "buildings", "parks", "centers", "boundaries", "outline", "readme"}`` -> path.
    """
    def report(msg: str, frac: float) -> None:
        if progress is not None:
            progress(msg, frac)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    district = district if district is not None else demo_district()
    report("生成演示数据 / generating", 0.0)
    data = generate_demo(n_orgs, seed=seed, district=district, profile=profile, flaws=flaws)
    files: dict[str, Path] = {}
    csv_orgs = len(data.orgs) > CSV_THRESHOLD
    steps = [("orgs", ORG_SCHEMA), ("buildings", BUILDING_SCHEMA), ("parks", PARK_SCHEMA), ("centers", CENTER_SCHEMA)]
    for i, (kind, schema) in enumerate(steps):
        report(f"写入 {kind} / writing {kind}", 0.1 + 0.7 * i / len(steps))
        frame = to_ledger_frame(data.frames()[kind], kind)
        if kind == "orgs" and csv_orgs:
            p = out / "orgs.csv"
            p.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
        else:
            p = out / f"{kind}.xlsx"
            _write_xlsx(frame, p, title=_TITLES[kind], sheet=schema.title)
        files[kind] = p
    report("写入边界 / writing boundaries", 0.85)
    files["boundaries"] = out / "boundaries.geojson"
    write_boundaries_geojson(district.jurisdictions, files["boundaries"])
    files["outline"] = out / "outline.geojson"
    _write_outline(district, files["outline"])
    files["readme"] = out / "README.txt"
    files["readme"].write_text(_readme(data, district, {k: v for k, v in files.items() if k != "readme"},
                                       csv_orgs=csv_orgs), encoding="utf-8")
    report("完成 / done", 1.0)
    return files
