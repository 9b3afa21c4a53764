"""Towns of ledger rows and the base (驻点) each town's instructors start from; used only by this package."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.district import District, normalize_text
from lianxin_geo.core.frames import numbers, texts

__all__ = ["choose_bases", "town_of"]

_PREFERRED_LEVELS = ("镇级", "街道级")


def town_of(df: pd.DataFrame, district: District) -> np.ndarray:
    """Town code of every row: ``jurisdiction_code``, else the ``town`` text, else point in polygon (``None``: unknown)."""
    codes = np.full(len(df), None, dtype=object)
    if "jurisdiction_code" in df:
        for i, v in enumerate(df["jurisdiction_code"].tolist()):
            t = normalize_text(v)
            if t:
                codes[i] = district.resolve_town(t) or t
    if "town" in df:
        miss = np.array([c is None for c in codes], dtype=bool)
        vals = df["town"].tolist()
        for i in np.flatnonzero(miss):
            codes[i] = district.resolve_town(vals[i])
    miss = np.array([c is None for c in codes], dtype=bool)
    if miss.any() and "lon" in df and "lat" in df:
        codes[np.flatnonzero(miss)] = district.assign(numbers(df, "lon")[miss], numbers(df, "lat")[miss])
    return codes


def _seat(district: District, code: str) -> tuple[float, float] | None:
    j = district.jurisdictions
    row = j[j["code"].astype(str) == str(code)]
    if row.empty:
        return None
    r = row.iloc[0]
    if "seat_lon" in j.columns and "seat_lat" in j.columns and pd.notna(r["seat_lon"]) and pd.notna(r["seat_lat"]):
        return float(r["seat_lon"]), float(r["seat_lat"])
    p = shapely.point_on_surface(r.geometry)
    return float(p.x), float(p.y)


def _user_bases(bases: pd.DataFrame | None, district: District) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if bases is None or not len(bases):
        return out
    lon, lat = numbers(bases, "lon"), numbers(bases, "lat")
    names = texts(bases, "name")
    for i, c in enumerate(town_of(bases, district)):
        if c is None or str(c) in out or not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
            continue
        out[str(c)] = {"name": names[i] or "指定驻点", "lon": float(lon[i]), "lat": float(lat[i]), "kind": "用户指定"}
    return out


def _center_candidates(centers: pd.DataFrame | None, district: District,
                       centroid: Mapping[str, tuple[float, float]]) -> dict[str, list[tuple[int, float, dict[str, Any]]]]:
    cand: dict[str, list[tuple[int, float, dict[str, Any]]]] = {}
    if centers is None or not len(centers):
        return cand
    lon, lat = numbers(centers, "lon"), numbers(centers, "lat")
    levels = texts(centers, "level")
    names = texts(centers, "name")
    for i, c in enumerate(town_of(centers, district)):
        if c is None or not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
            continue
        rank = 0 if levels[i] in _PREFERRED_LEVELS else 1
        cx, cy = centroid.get(str(c), (lon[i], lat[i]))
        d = float(np.hypot(lon[i] - cx, lat[i] - cy))
        cand.setdefault(str(c), []).append(
            (rank, d, {"name": names[i] or f"服务中心{i + 1}", "lon": float(lon[i]), "lat": float(lat[i]),
                       "kind": f"党群活动服务中心（{levels[i]}）" if levels[i] else "党群活动服务中心"}))
    return cand


def choose_bases(codes: Sequence[str], *, district: District, centers: pd.DataFrame | None,
                 bases: pd.DataFrame | None, centroid: Mapping[str, tuple[float, float]]) -> dict[str, dict[str, Any]]:
    """Base per town: user base > town-level center (镇级/街道级) > any center of the town > town seat > centroid.

    Each base is ``{name, lon, lat, kind}``; among centers of one rank, the one nearest the
    centroid of the town's orgs wins. A town with none of these (no orgs, no seat) gets no base.
    """
    out = _user_bases(bases, district)
    cand = _center_candidates(centers, district, centroid)
    for code in codes:
        code = str(code)
        if code in out:
            continue
        if code in cand:
            out[code] = min(cand[code], key=lambda t: (t[0], t[1]))[2]
            continue
        seat = _seat(district, code)
        if seat is not None:
            out[code] = {"name": f"{district.town_names.get(code, code)}驻地", "lon": seat[0], "lat": seat[1],
                         "kind": "镇街驻地"}
        elif code in centroid:
            out[code] = {"name": "组织分布中心（无服务中心与驻地）", "lon": centroid[code][0], "lat": centroid[code][1],
                         "kind": "质心"}
    return out
