"""Reading columns of ledger frames as arrays: the one place planners and rules do it.

Every planner turns DataFrames into arrays at its edge; these helpers are how a
missing column, ``None``/NaN/``pd.NA`` and stray blanks are read the same way
everywhere.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from lianxin_geo.core.crs import to_wgs84

__all__ = ["blank", "column", "first_column", "flag", "lonlat", "numbers", "texts"]

_YES = frozenset({"是", "有", "true", "1", "y", "yes", "√", "✓"})
_NO = frozenset({"否", "无", "没有", "false", "0", "n", "no", "×", "✗"})


def _is_missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]``, or a column of ``None`` when the frame has no such column."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def first_column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    """The first of ``names`` that is a column of ``frame``."""
    return next((n for n in names if n in frame.columns), None)


def numbers(frame: pd.DataFrame, name: str | None, *, default: float = np.nan) -> np.ndarray:
    """A column as floats (unparseable or missing values become ``default`` when the column is absent, else NaN)."""
    if name is None or name not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    return np.array(pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy(na_value=np.nan),
                    dtype=float)


def texts(frame: pd.DataFrame, name: str | None, *, empty: str | None = "") -> np.ndarray:
    """A column as stripped text (object array); missing or blank values become ``empty``."""
    out = np.full(len(frame), empty, dtype=object)
    if name is None or name not in frame.columns:
        return out
    for i, v in enumerate(frame[name].to_numpy(dtype=object)):
        if _is_missing(v):
            continue
        s = str(v).strip()
        out[i] = s if s else empty
    return out


def blank(frame: pd.DataFrame, name: str) -> np.ndarray:
    """True where the column is missing, NaN or only blanks."""
    return texts(frame, name, empty=None) == None  # noqa: E711 - element-wise on an object array


def lonlat(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat of a frame.

    Frames from the ledger reader already hold WGS-84 ``lon``/``lat`` (the coordinates as written are kept in
    ``lon_raw``/``lat_raw`` and their datum in ``crs``): they are returned as they are. A frame without
    ``lon_raw`` (built by hand) has its rows whose ``crs`` names GCJ02/BD09 converted.
    """
    lon, lat = numbers(frame, "lon"), numbers(frame, "lat")
    if "crs" in frame.columns and "lon_raw" not in frame.columns and len(frame):
        crs = texts(frame, "crs", empty=None)
        for name in sorted({c for c in crs if c is not None and c.upper() not in ("WGS84", "WGS-84")}):
            rows = np.flatnonzero((crs == name) & np.isfinite(lon) & np.isfinite(lat))
            if rows.size:
                lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], name)
    return lon, lat


def flag(value: object) -> bool | None:
    """A yes/no cell: ``True`` (是/有/True/1 …), ``False`` (否/无/False/0 …), ``None`` when blank or unreadable."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer, float, np.floating)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None
