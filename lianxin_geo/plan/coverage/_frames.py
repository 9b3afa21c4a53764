"""Reading the coverage planner's input frames (orgs, centers, buildings, parks, sites) as arrays.

The column helpers themselves are :mod:`lianxin_geo.core.frames`; this module only adds
what the coverage planner needs on top: row ids, jurisdiction codes and the site frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LedgerError
from lianxin_geo.core.frames import first_column, lonlat, numbers, texts

__all__ = ["SITE_COLUMNS", "Orgs", "Points", "codes", "ids", "require_columns", "site_frame"]

#: columns of a frame of candidate sites
SITE_COLUMNS: list[str] = ["site_id", "kind", "name", "lon", "lat", "jurisdiction_code"]


def ids(df: pd.DataFrame, names: tuple[str, ...], *, prefix: str) -> np.ndarray:
    """Row ids from the first present column of ``names``; a missing id becomes ``{prefix}{row number}``."""
    found = texts(df, first_column(df, names), empty=None)
    return np.array([v if v is not None else f"{prefix}{i}" for i, v in enumerate(found)], dtype=object)


def codes(df: pd.DataFrame, district: District, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Jurisdiction code per row: stated ``jurisdiction_code`` / ``town_code`` / ``town``, else by location."""
    stated = texts(df, first_column(df, ("jurisdiction_code", "town_code")), empty=None)
    town = texts(df, first_column(df, ("town",)), empty=None)
    known = set(district.jurisdictions["code"].astype(str))
    out = np.full(len(df), None, dtype=object)
    for i in range(len(df)):
        c = stated[i]
        if c is not None and c not in known:
            c = district.resolve_town(c)
        if c is None and town[i] is not None:
            c = district.resolve_town(town[i])
        out[i] = c
    missing = np.flatnonzero(np.array([c is None for c in out], dtype=bool))
    if missing.size:
        out[missing] = district.assign(lon[missing], lat[missing])
    return out


def require_columns(df: pd.DataFrame | None, what: str, columns: tuple[str, ...]) -> None:
    """Raise a :class:`~lianxin_geo.core.errors.LedgerError` naming every column ``df`` lacks."""
    if df is None:
        return
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LedgerError(
            f"{what}缺少列 {', '.join(missing)}：请先用台账读取（lianxin_geo.ingest.ledger）得到标准列，"
            f"或补齐这些列 / {what} lacks column(s) {', '.join(missing)}"
        )


def site_frame(df: pd.DataFrame, *, kind: str | None, prefix: str) -> pd.DataFrame:
    """Normalise a frame of sites: ``site_id`` (prefix + id, else row number), ``kind``, ``name``, lon/lat, code."""
    found = texts(df, first_column(df, ("site_id", "id", "code", "credit_code")), empty=None)
    kinds = texts(df, first_column(df, ("kind",)), empty=None) if kind is None else np.full(len(df), kind,
                                                                                             dtype=object)
    lon, lat = lonlat(df)
    return pd.DataFrame({
        "site_id": [f"{prefix}{i if i is not None else n}" for n, i in enumerate(found)],
        "kind": [k if k is not None else "自选" for k in kinds],
        "name": texts(df, first_column(df, ("name",)), empty=None),
        "lon": lon,
        "lat": lat,
        "jurisdiction_code": texts(df, first_column(df, ("jurisdiction_code", "town_code")), empty=None),
    })


@dataclass(frozen=True)
class Points:
    """Demand points (orgs or buildings) as arrays: WGS-84 lon/lat and jurisdiction code."""

    lon: np.ndarray
    lat: np.ndarray
    code: np.ndarray

    @property
    def located(self) -> np.ndarray:
        """True where both coordinates are known."""
        return np.isfinite(self.lon) & np.isfinite(self.lat)

    @classmethod
    def read(cls, df: pd.DataFrame | None, district: District) -> "Points":
        """The points of ``df`` (none when ``df`` is ``None`` or empty)."""
        if df is None or not len(df):
            return cls(lon=np.zeros(0), lat=np.zeros(0), code=np.empty(0, dtype=object))
        lon, lat = lonlat(df)
        return cls(lon=lon, lat=lat, code=codes(df, district, lon, lat))


@dataclass(frozen=True)
class Orgs(Points):
    """Orgs as arrays: the points plus ``id``, ``employees`` and ``members`` (missing counts are 0)."""

    id: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    employees: np.ndarray = field(default_factory=lambda: np.zeros(0))
    members: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def read(cls, df: pd.DataFrame, district: District) -> "Orgs":  # type: ignore[override]
        lon, lat = lonlat(df)
        return cls(lon=lon, lat=lat, code=codes(df, district, lon, lat), id=ids(df, ("id", "credit_code"), prefix="O"),
                   employees=np.nan_to_num(numbers(df, "employees"), nan=0.0),
                   members=np.nan_to_num(numbers(df, "members"), nan=0.0))
