"""Navigation links for the map apps planners carry (AMap 高德, Baidu 百度).

Stops come in WGS-84 and are converted with :mod:`lianxin_geo.core.crs` to GCJ-02 (AMap) or
BD-09 (Baidu) before they go into the URL. Formats are documented in ``docs/routing.md``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence
from urllib.parse import quote

import numpy as np

from lianxin_geo.core import crs as _crs

__all__ = ["amap_leg_urls", "amap_route_url", "baidu_leg_urls", "baidu_route_url"]


def _fmt(v: float) -> str:
    return f"{v:.6f}"


@lru_cache(maxsize=65_536)
def _quoted(name: str) -> str:
    return quote(name, safe="")


def _q(name: str) -> str:
    """``name`` URL-encoded (each name recurs in its route's link and in two leg links of both apps: encoded once)."""
    return _quoted(str(name))


def _stops(lon: Sequence[float], lat: Sequence[float], names: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size < 2:
        raise ValueError("导航链接至少需要起点和终点两个点")
    nm = [str(x) for x in names] if names is not None else [f"第{i + 1}站" for i in range(lon.size)]
    return lon, lat, nm


def _amap(glon: np.ndarray, glat: np.ndarray, nm: Sequence[str], src: str) -> str:
    pts = [f"{_fmt(a)},{_fmt(b)},{_q(n)}" for a, b, n in zip(glon, glat, nm)]
    url = f"https://uri.amap.com/navigation?from={pts[0]}&to={pts[-1]}"
    if len(pts) > 2:
        url += "&via=" + ";".join(pts[1:-1])
    return url + f"&mode=car&policy=1&src={_q(src)}&coordinate=gaode&callnative=0"


def amap_route_url(lon: Sequence[float], lat: Sequence[float], names: Sequence[str] | None = None, *,
                   src: str = "lianxin-geo") -> str:
    """AMap (高德) driving link through all stops, WGS-84 in, GCJ-02 in the URL.

    Format: ``https://uri.amap.com/navigation?from=lon,lat,name&to=lon,lat,name&via=lon,lat,name;...
    &mode=car&policy=1&src=...&coordinate=gaode&callnative=0`` (the first stop is ``from``,
    the last ``to``, the others ``via`` in order; names URL-encoded).
    """
    lon, lat, nm = _stops(lon, lat, names)
    glon, glat = _crs.wgs84_to_gcj02(lon, lat)
    return _amap(np.asarray(glon), np.asarray(glat), nm, src)


def amap_leg_urls(lon: Sequence[float], lat: Sequence[float], names: Sequence[str] | None = None, *,
                  src: str = "lianxin-geo") -> list[str]:
    """One AMap link per leg (stop i → stop i+1); works in every app version (coordinates converted once)."""
    lon, lat, nm = _stops(lon, lat, names)
    glon, glat = (np.asarray(v) for v in _crs.wgs84_to_gcj02(lon, lat))
    return [_amap(glon[i:i + 2], glat[i:i + 2], nm[i:i + 2], src) for i in range(lon.size - 1)]


def _baidu(blon: np.ndarray, blat: np.ndarray, nm: Sequence[str], src: str) -> str:
    url = (f"https://api.map.baidu.com/direction?origin=latlng:{_fmt(blat[0])},{_fmt(blon[0])}|name:{_q(nm[0])}"
           f"&destination=latlng:{_fmt(blat[-1])},{_fmt(blon[-1])}|name:{_q(nm[-1])}")
    if blon.size > 2:
        url += "&waypoints=" + "|".join(f"{_fmt(b)},{_fmt(a)}" for a, b in zip(blon[1:-1], blat[1:-1]))
    return url + f"&mode=driving&coord_type=bd09ll&output=html&src={_q(src)}"


def baidu_route_url(lon: Sequence[float], lat: Sequence[float], names: Sequence[str] | None = None, *,
                    src: str = "lianxin-geo") -> str:
    """Baidu (百度) driving link through all stops, WGS-84 in, BD-09 in the URL.

    Format: ``https://api.map.baidu.com/direction?origin=latlng:lat,lng|name:...&destination=latlng:lat,lng|name:...
    &waypoints=lat,lng|lat,lng&mode=driving&coord_type=bd09ll&output=html&src=...`` (names URL-encoded;
    ``waypoints`` only when there are intermediate stops).
    """
    lon, lat, nm = _stops(lon, lat, names)
    blon, blat = _crs.wgs84_to_bd09(lon, lat)
    return _baidu(np.asarray(blon), np.asarray(blat), nm, src)


def baidu_leg_urls(lon: Sequence[float], lat: Sequence[float], names: Sequence[str] | None = None, *,
                   src: str = "lianxin-geo") -> list[str]:
    """One Baidu link per leg (stop i → stop i+1) (coordinates converted once)."""
    lon, lat, nm = _stops(lon, lat, names)
    blon, blat = (np.asarray(v) for v in _crs.wgs84_to_bd09(lon, lat))
    return [_baidu(blon[i:i + 2], blat[i:i + 2], nm[i:i + 2], src) for i in range(lon.size - 1)]
