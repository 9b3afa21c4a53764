"""Chinese web-map coordinate systems: WGS-84 <-> GCJ-02 <-> BD-09, vectorised.

GCJ-02 ("火星坐标", used by AMap and Tencent) is WGS-84 shifted by a public
obfuscation formula; BD-09 (Baidu) adds a further rotation-like shift on top of
GCJ-02. The forward formulas are closed form. The inverses are not, so they are
solved by fixed-point iteration until the forward image matches to better than
1e-9 degrees (about 0.1 mm), well under the 0.5 m the project promises.

Points outside mainland China's rough bounding box are not shifted, as in the
public formula; NaN stays NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "to_wgs84",
    "from_wgs84",
    "normalize_crs_name",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOL_DEG = 1e-10
_MAX_ITER = 30


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.isscalar(lon) and np.isscalar(lat)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), scalar


def _out(lon: np.ndarray, lat: np.ndarray, scalar: bool):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat):
    """Convert WGS-84 longitude/latitude (scalars or arrays) to GCJ-02."""
    lon, lat, scalar = _arrays(lon, lat)
    dlon, dlat = _delta(lon, lat)
    return _out(lon + dlon, lat + dlat, scalar)


def _invert(forward, lon_t: np.ndarray, lat_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon = lon_t.copy()
    lat = lat_t.copy()
    for _ in range(_MAX_ITER):
        flon, flat = forward(lon, lat)
        elon = flon - lon_t
        elat = flat - lat_t
        lon = lon - elon
        lat = lat - elat
        err = np.nanmax(np.abs(np.concatenate([np.ravel(elon), np.ravel(elat)])), initial=0.0)
        if not np.isfinite(err) or err < _TOL_DEG:
            break
    return lon, lat


def gcj02_to_wgs84(lon, lat):
    """Convert GCJ-02 to WGS-84 by iterating the forward formula (error < 1e-9 degrees)."""
    lon, lat, scalar = _arrays(lon, lat)
    fwd = lambda a, b: wgs84_to_gcj02(a, b)  # noqa: E731
    wlon, wlat = _invert(fwd, lon, lat)
    return _out(wlon, wlat, scalar)


def gcj02_to_bd09(lon, lat):
    """Convert GCJ-02 to BD-09 (Baidu)."""
    lon, lat, scalar = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def bd09_to_gcj02(lon, lat):
    """Convert BD-09 to GCJ-02 (closed-form start, refined by iteration)."""
    lon, lat, scalar = _arrays(lon, lat)
    fwd = lambda a, b: gcj02_to_bd09(a, b)  # noqa: E731
    glon, glat = _invert(fwd, lon, lat)
    return _out(glon, glat, scalar)


def wgs84_to_bd09(lon, lat):
    """Convert WGS-84 to BD-09."""
    glon, glat = wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(glon, glat)


def bd09_to_wgs84(lon, lat):
    """Convert BD-09 to WGS-84."""
    glon, glat = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(glon, glat)


_ALIASES = {
    "WGS84": "WGS84", "WGS-84": "WGS84", "EPSG:4326": "WGS84", "4326": "WGS84", "GPS": "WGS84",
    "GCJ02": "GCJ02", "GCJ-02": "GCJ02", "火星坐标": "GCJ02", "高德": "GCJ02", "腾讯": "GCJ02", "AMAP": "GCJ02",
    "BD09": "BD09", "BD-09": "BD09", "BD09LL": "BD09", "百度": "BD09", "BAIDU": "BD09",
}


def normalize_crs_name(name: object) -> str | None:
    """Map the spellings ledgers use (``GCJ-02``, ``高德``, ``百度`` ...) to WGS84/GCJ02/BD09; None if unknown.

    An empty value means WGS84.
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return "WGS84"
    import unicodedata

    key = unicodedata.normalize("NFKC", str(name)).strip().upper().replace(" ", "")
    if key == "":
        return "WGS84"
    if key in _ALIASES:
        return _ALIASES[key]
    for k, v in _ALIASES.items():
        if k in key:
            return v
    return None


def to_wgs84(lon, lat, crs: str = "WGS84"):
    """Convert coordinates given in ``crs`` (WGS84, GCJ02 or BD09) to WGS-84."""
    name = normalize_crs_name(crs)
    if name == "WGS84":
        lon, lat, scalar = _arrays(lon, lat)
        return _out(lon.copy(), lat.copy(), scalar)
    if name == "GCJ02":
        return gcj02_to_wgs84(lon, lat)
    if name == "BD09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"未知坐标系 {crs!r}：请填写 WGS84、GCJ02 或 BD09")


def from_wgs84(lon, lat, crs: str = "WGS84"):
    """Convert WGS-84 coordinates to ``crs`` (WGS84, GCJ02 or BD09)."""
    name = normalize_crs_name(crs)
    if name == "WGS84":
        lon, lat, scalar = _arrays(lon, lat)
        return _out(lon.copy(), lat.copy(), scalar)
    if name == "GCJ02":
        return wgs84_to_gcj02(lon, lat)
    if name == "BD09":
        return wgs84_to_bd09(lon, lat)
    raise ValueError(f"未知坐标系 {crs!r}：请填写 WGS84、GCJ02 或 BD09")
