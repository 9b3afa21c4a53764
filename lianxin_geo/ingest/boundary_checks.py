"""Boundaries that cannot be right: found once, for the whole file, with the likely fix.

A boundary file with swapped axes, in metres without a declared CRS, or of
another district would otherwise be accepted, and then every correct
organization would be rejected with advice to fix *its* coordinates. The checks
here look at the whole file first:

* :func:`check_extent` — the coordinate ranges: degrees inside China (longitude
  73–136°, latitude 3–54°), not metres (an undeclared EPSG:3857 or
  Gauss–Krüger projection), not latitude first;
* :func:`check_points_fit` — given a ledger's points, the share that falls
  inside the district (a district of somewhere else);
* :func:`explain_read_error` — GDAL/pyogrio's English errors in Chinese.

Every refusal is a :class:`~lianxin_geo.core.errors.BoundaryError` naming the
file and the fix.
"""

from __future__ import annotations

import numpy as np

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import BoundaryError

__all__ = ["CHINA_BOUNDS", "check_extent", "check_points_fit", "explain_read_error"]

#: Longitude and latitude range of China (min lon, min lat, max lon, max lat), in degrees.
CHINA_BOUNDS: tuple[float, float, float, float] = (73.0, 3.0, 136.0, 54.0)
#: Web Mercator x/y range of China, in metres.
_MERCATOR_CHINA = (8.1e6, 3.3e5, 1.52e7, 7.2e6)
#: Below this share of a ledger's points inside the district, the whole file is suspect.
_MIN_SHARE_INSIDE = 0.2
_MIN_POINTS = 5

_GDAL_HINTS: tuple[tuple[str, str], ...] = (
    ("not recognized as being in a supported file format", "不是可识别的地理数据格式（扩展名与内容不符，或文件已损坏）"),
    ("not recognized as a supported file format", "不是可识别的地理数据格式（扩展名与内容不符，或文件已损坏）"),
    ("failed to read geojson", "GeoJSON 内容不完整或不是合法的 JSON"),
    ("json parsing error", "GeoJSON 内容不是合法的 JSON"),
    (".shx", "Shapefile 缺少配套的 .shx 文件：请把 .shp、.shx、.dbf、.prj 放在同一文件夹"),
    (".dbf", "Shapefile 缺少配套的 .dbf 文件：请把 .shp、.shx、.dbf、.prj 放在同一文件夹"),
    ("permission denied", "没有读取这个文件的权限"),
    ("no such file", "文件不存在或无法打开"),
    ("not a zip", "压缩包已损坏（.kmz 等）"),
    ("sqlite", "GeoPackage 数据库已损坏或不是 GeoPackage"),
    ("xml", "KML 内容不是合法的 XML"),
)


def explain_read_error(name: str, exc: BaseException) -> BoundaryError:
    """A Chinese :class:`BoundaryError` for a reader failure: the file, what it likely means, the original text."""
    text = str(exc).strip() or type(exc).__name__
    low = text.lower()
    meaning = next((zh for en, zh in _GDAL_HINTS if en in low), "读取库无法解析这个文件")
    return BoundaryError(
        f"无法读取边界文件 {name}：{meaning}。支持 GeoJSON、Shapefile(.shp)、GeoPackage(.gpkg)、KML；"
        f"请在 GIS 软件中重新导出后再试。原始错误（{type(exc).__name__}）：{text[:300]}"
    )


def _range(b: np.ndarray) -> str:
    return f"x {b[0]:,.6g}–{b[2]:,.6g}，y {b[1]:,.6g}–{b[3]:,.6g}"


def _inside(b: np.ndarray, box: tuple[float, float, float, float], margin: float = 0.0) -> bool:
    return bool(b[0] >= box[0] - margin and b[1] >= box[1] - margin
                and b[2] <= box[2] + margin and b[3] <= box[3] + margin)


def _projected_guess(b: np.ndarray) -> tuple[str, str]:
    """(description, EPSG code to declare) for coordinates in metres."""
    if _inside(b, _MERCATOR_CHINA):
        return "Web 墨卡托投影（网络地图常用）", "EPSG:3857"
    zone = int(b[0] // 1_000_000)
    if zone == int(b[2] // 1_000_000) and 25 <= zone <= 45:
        return f"CGCS2000 高斯-克吕格 3 度带（带号 {zone}）", f"EPSG:{4513 + zone - 25}"
    if zone == int(b[2] // 1_000_000) and 13 <= zone <= 23:
        return f"CGCS2000 高斯-克吕格 6 度带（带号 {zone}）", f"EPSG:{4491 + zone - 13}"
    return "不带带号的 CGCS2000 高斯-克吕格投影（需按中央经线选择，如 117°E 为 EPSG:4548）", "EPSG:4548"


def check_extent(bounds: object, name: str, *, declared: bool) -> None:
    """Refuse a boundary file whose WGS-84 extent cannot be a Chinese district.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` of the file in what should be WGS-84 degrees.
    name
        The file name, for the message.
    declared
        Whether the user declared the CRS (then "declare it" is not the fix).

    Raises
    ------
    BoundaryError
        Metres where degrees are expected (an undeclared projection), latitude
        first, or an extent outside China; the message gives the likely fix.
    """
    b = np.asarray(bounds, dtype=float)
    if not np.isfinite(b).all():
        raise BoundaryError(f"边界文件 {name} 的坐标无法换算为经纬度（出现无穷大或空值）：请核对坐标系声明是否正确")
    lon0, lat0, lon1, lat1 = CHINA_BOUNDS
    if b[0] < -180 or b[2] > 180 or b[1] < -90 or b[3] > 90:
        if _inside(b, (lat0, lon0, lat1, lon1), margin=1.0):
            raise _swapped(name, b)
        if np.abs(b).max() > 1e8:
            raise BoundaryError(f"边界文件 {name} 的坐标（{_range(b)}）超出任何坐标系的范围：文件可能已损坏，"
                                "请在 GIS 软件中检查后重新导出为 WGS-84 经纬度")
        what, code = _projected_guess(b)
        fix = ("声明的坐标系与文件内容不符，请核对" if declared
               else f"请用 --boundaries-crs {code} 声明坐标系（Python 中 load_boundaries(..., coord_system=\"{code}\")）")
        raise BoundaryError(
            f"边界文件 {name} 的坐标（{_range(b)}）是以米为单位的投影坐标，但文件没有声明坐标系"
            f"（GeoJSON 不声明时按经纬度处理）：看起来是 {what}。{fix}，或在 GIS 软件中导出为 WGS-84 经纬度后重新导入"
        )
    if _inside(b, (lat0, lon0, lat1, lon1), margin=1.0) and not _inside(b, CHINA_BOUNDS):
        raise _swapped(name, b)
    if not _inside(b, CHINA_BOUNDS, margin=0.5):
        raise BoundaryError(
            f"边界文件 {name} 的范围（经度 {b[0]:.4f}–{b[2]:.4f}，纬度 {b[1]:.4f}–{b[3]:.4f}）不在中国境内"
            f"（经度 {lon0:g}–{lon1:g}°，纬度 {lat0:g}–{lat1:g}°）：请核对坐标系（是否为未声明的投影坐标、"
            "经纬度是否颠倒），或换用本区的边界文件"
        )


def _swapped(name: str, b: np.ndarray) -> BoundaryError:
    return BoundaryError(
        f"边界文件 {name} 的坐标范围为 {_range(b)}：x 像纬度、y 像经度，经纬度多半颠倒了（先写了纬度）。"
        "请在 GIS 软件中交换经纬度（交换 x/y 坐标轴）后另存，再重新导入"
    )


def check_points_fit(
    district: District,
    lon: object,
    lat: object,
    *,
    inside: object | None = None,
    swapped_inside: int | None = None,
    tolerance_m: float = 50.0,
) -> str | None:
    """Say once when a ledger's points mostly miss the district (the boundaries or whole columns are wrong).

    Parameters
    ----------
    district
        The district the points should lie in.
    lon, lat
        WGS-84 coordinates of the ledger's points (NaN for none).
    inside
        Which of the finite points lie inside (computed when not given).
    swapped_inside
        How many of the outside points lie inside with longitude and latitude
        exchanged (computed when not given).
    tolerance_m
        Points this close outside the outline count as inside.

    Returns
    -------
    str or None
        A Chinese explanation with the likely fix when fewer than 20 % of at
        least 5 points lie inside; None when the points fit.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < _MIN_POINTS:
        return None
    if inside is None:
        ins = np.asarray(district.contains(x, y, tolerance_m=tolerance_m), dtype=bool)
    else:
        ins = np.asarray(inside, dtype=bool)
        ins = ins[ok] if ins.size == ok.size else ins
    k = int(ins.sum())
    if k >= _MIN_SHARE_INSIDE * n:
        return None
    if swapped_inside is None:
        swapped_inside = int(np.asarray(district.contains(y[~ins], x[~ins], tolerance_m=tolerance_m)).sum())
    if swapped_inside >= 0.8 * (n - k):
        return (f"{n} 个有坐标的单位中只有 {k} 个落在{district.name}的边界内，而交换经纬度后有 {swapped_inside} 个落在边界内："
                "台账的经度、纬度两列多半整体填反了，请交换这两列的值（或表头）后重新导入")
    ob = district.outline.bounds
    demo = " 未指定边界文件时使用的是内置的顺义区示意边界：请用 --boundaries 提供本区的边界。" if (
        district.approximate and district.name == "顺义区") else ""
    return (f"{n} 个有坐标的单位中只有 {k} 个（{k / n:.0%}）落在{district.name}的边界内，这是整个文件的问题，不必逐行修改台账。"
            f"台账坐标范围为经度 {x.min():.4f}–{x.max():.4f}、纬度 {y.min():.4f}–{y.max():.4f}，"
            f"边界范围为经度 {ob[0]:.4f}–{ob[2]:.4f}、纬度 {ob[1]:.4f}–{ob[3]:.4f}。{demo}"
            "可能的原因：① 边界与台账不是同一个区：请换用本区的边界文件；② 边界文件的经纬度颠倒或是未声明的投影坐标："
            "请交换经纬度，或用 --boundaries-crs 声明坐标系（如 EPSG:3857、EPSG:4548）；"
            "③ 台账坐标是 GCJ-02（高德、腾讯）或 BD-09（百度）：请在“坐标系”列注明")
