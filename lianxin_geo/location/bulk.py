"""Locating at city scale: partitioned point-in-polygon with dask-geopandas, partitioned ``locate``.

:func:`assign_bulk` is :meth:`District.assign <lianxin_geo.core.district.District.assign>` for millions of
points: a dask-geopandas spatial join of point partitions against the jurisdictions, with the same answer
(a point on a shared edge goes to the first jurisdiction in table order). :func:`locate_bulk` runs
:func:`~lianxin_geo.location.locator.locate` on row partitions through the parallel engine
(:mod:`lianxin_geo.core.engine`), sharing the district and the gazetteer layers once: ``locate`` treats every
row on its own, so the result is the same frame as one call over all rows (a test checks it). Below
``partition_rows`` rows both simply call the one-process versions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.engine import Engine, get_engine
from lianxin_geo.core.errors import LianxinError, require
from lianxin_geo.location.locator import LocateResult, locate

__all__ = ["BULK_ROWS", "assign_bulk", "locate_bulk"]

#: Rows per partition (and the size below which the one-process versions run).
BULK_ROWS = 100_000


def assign_bulk(district: District, lon: np.ndarray, lat: np.ndarray, *,
                partition_rows: int = BULK_ROWS) -> np.ndarray:
    """The jurisdiction code of every point (``None`` outside), by a partitioned dask-geopandas spatial join.

    Parameters
    ----------
    district
        The jurisdictions (a city's towns or one district's).
    lon, lat
        WGS-84 degrees (NaN where missing).
    partition_rows
        Points per dask partition; at or below it :meth:`District.assign` answers directly.

    Returns
    -------
    numpy.ndarray
        Object array of codes, the same as :meth:`District.assign`.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size <= partition_rows:
        return district.assign(lon, lat)
    require("dask_geopandas", extra="dask-geopandas", purpose="全市规模的空间连接（定位）")
    import dask
    import dask_geopandas
    import geopandas as gpd

    out = np.full(lon.shape, None, dtype=object)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if ok.size == 0:
        return out
    pts = gpd.GeoDataFrame({"pt": np.arange(ok.size)}, geometry=gpd.points_from_xy(lon[ok], lat[ok]),
                           crs="EPSG:4326")
    jur = district.jurisdictions
    polys = gpd.GeoDataFrame({"poly": np.arange(len(jur))}, geometry=np.asarray(jur.geometry.values),
                             crs="EPSG:4326")
    nparts = max(1, -(-ok.size // int(partition_rows)))
    dpts = dask_geopandas.from_geopandas(pts, npartitions=nparts)
    joined = dask_geopandas.sjoin(dpts, polys, how="inner", predicate="intersects")
    with dask.config.set(scheduler="synchronous"):  # the join's partitions are small; the engine owns workers
        hits = joined[["pt", "poly"]].compute()
    if len(hits):
        hits = hits.sort_values(["pt", "poly"], kind="stable").drop_duplicates("pt", keep="first")
        codes = np.asarray(jur["code"].astype(str).values, dtype=object)
        out[ok[hits["pt"].to_numpy()]] = codes[hits["poly"].to_numpy()]
    return out


def _locate_part(part: pd.DataFrame, *, district: District, buildings: pd.DataFrame | None,
                 parks: pd.DataFrame | None, seats: Mapping[str, tuple[float, float]] | None) -> pd.DataFrame:
    return locate(part, district=district, buildings=buildings, parks=parks, seats=seats).orgs


def locate_bulk(
    orgs: pd.DataFrame,
    *,
    district: District,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    seats: Mapping[str, tuple[float, float]] | None = None,
    engine: "Engine | str | None" = None,
    partition_rows: int = BULK_ROWS,
    progress: Callable[[int, int, str], None] | None = None,
) -> LocateResult:
    """:func:`~lianxin_geo.location.locator.locate` on row partitions, in parallel through the engine.

    Parameters
    ----------
    orgs, district, buildings, parks, seats
        As for :func:`~lianxin_geo.location.locator.locate` (offline only: no online geocoder at this scale).
    engine
        An :class:`~lianxin_geo.core.engine.Engine` or scheduler name; ``None`` is the default engine.
    partition_rows
        Rows per task; at or below it one ``locate`` call does everything.
    progress
        ``progress(done, total, label)`` as partitions finish.

    Returns
    -------
    LocateResult
        The same frame, row for row, as one ``locate`` call.

    Raises
    ------
    lianxin_geo.core.errors.LianxinError
        When a partition fails (a located frame with rows missing is never returned).
    """
    n = len(orgs)
    if n <= partition_rows:
        return locate(orgs, district=district, buildings=buildings, parks=parks, seats=seats)
    eng = get_engine(engine)
    bounds = list(range(0, n, int(partition_rows))) + [n]
    parts = [orgs.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    keys = [f"{a}-{b}" for a, b in zip(bounds[:-1], bounds[1:])]
    labels = [f"第 {a + 1:,}–{b:,} 行" for a, b in zip(bounds[:-1], bounds[1:])]
    res = eng.map(_locate_part, parts, keys=keys, labels=labels, cost=[len(p) / 20_000.0 for p in parts],
                  progress=progress, district=district, buildings=buildings, parks=parks, seats=seats)
    if res.partial:
        raise LianxinError("定位未完成：" + "；".join(f"{f.label}：{f.reason}" for f in res.failures))
    located = pd.concat(res.ordered(keys))
    return LocateResult(orgs=located, district_code=str(district.code), district_name=str(district.name))
