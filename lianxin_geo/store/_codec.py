"""DataFrames to JSON rows and back, with the column dtypes kept so a stored round rebuilds exactly."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any, Iterable

import numpy as np
import pandas as pd

from lianxin_geo.core.jsonable import jsonable

__all__ = ["frame_rows", "frame_dtypes", "rebuild_frame", "sha256_file", "clean", "iso_utc"]


def clean(value: Any) -> Any:
    """One cell as a JSON value (NaN/NA → ``None``, numpy → builtins, lists kept)."""
    return jsonable(value)


def frame_dtypes(frame: pd.DataFrame) -> list[list[str]]:
    """``[column, dtype name]`` pairs in column order (what :func:`rebuild_frame` restores).

    A list, not a dict: PostgreSQL's JSONB does not keep the order of an object's keys.
    """
    return [[str(c), str(t)] for c, t in frame.dtypes.items()]


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-safe dicts (column order kept)."""
    cols = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [{c: clean(v[i]) for c, v in zip(cols, values)} for i in range(len(frame))]


def _column(values: list[Any], dtype: str) -> pd.Series:
    col = pd.Series(values, dtype=object)
    if dtype in ("object", "O"):
        return col
    if dtype.startswith("datetime64"):
        return pd.to_datetime(col)
    if dtype == "bool":
        return col.map(lambda v: bool(v) if v is not None else False).astype(bool)
    if dtype in ("float64", "float32"):
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=dtype))
    try:
        return col.astype(dtype)
    except (TypeError, ValueError):  # an unexpected dtype: keep the plain values
        return col


def rebuild_frame(rows: Iterable[dict[str, Any]], dtypes: list[list[str]]) -> pd.DataFrame:
    """The frame :func:`frame_rows` and :func:`frame_dtypes` describe."""
    rows = list(rows)
    data = {c: _column([r.get(c) for r in rows], t) for c, t in dtypes}
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)), columns=[c for c, _ in dtypes])


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def iso_utc(ts: dt.datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC (SQLite gives it back without a zone: it was written in UTC)."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.astimezone(dt.timezone.utc).isoformat()
