"""Property tests of lianxin_geo.core.crs: WGS-84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.core import crs

EARTH_R = 6_371_008.8

# mainland China and Hainan, well inside the formula's bounding box (72.004–137.8347 E, 0.83–55.83 N)
china_lon = st.floats(min_value=73.5, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.5, allow_nan=False)
shunyi_lon = st.floats(min_value=116.45, max_value=116.99)
shunyi_lat = st.floats(min_value=40.0, max_value=40.31)


def haversine_m(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_R * np.arcsin(np.sqrt(a))


def test_haversine_helper_is_right():
    # one degree of latitude is about 111.2 km; Beijing–Shanghai about 1,067 km
    assert haversine_m(116.0, 40.0, 116.0, 41.0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(116.4074, 39.9042, 121.4737, 31.2304) == pytest.approx(1_067_000, rel=0.01)


@pytest.mark.parametrize(("there", "back"), [
    (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),  # WGS-84 -> GCJ-02 -> WGS-84
    (crs.gcj02_to_wgs84, crs.wgs84_to_gcj02),  # from a GCJ-02 point (what AMap gives) and back to it
    (crs.wgs84_to_bd09, crs.bd09_to_wgs84),  # WGS-84 -> BD-09 -> WGS-84
], ids=["wgs-gcj-wgs", "gcj-wgs-gcj", "wgs-bd-wgs"])
@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_round_trip_under_half_metre(there, back, lon, lat):
    rlon, rlat = back(*there(lon, lat))
    assert haversine_m(lon, lat, rlon, rlat) < 0.5


@settings(max_examples=200, deadline=None)
@given(china_lon, china_lat)
def test_bd09_from_gcj_matches_from_wgs(lon, lat):
    blon, blat = crs.wgs84_to_bd09(lon, lat)
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    b2 = crs.gcj02_to_bd09(glon, glat)
    assert b2 == pytest.approx((blon, blat), abs=1e-12)
    g2 = crs.bd09_to_gcj02(*b2)
    assert haversine_m(glon, glat, g2[0], g2[1]) < 0.5


@settings(max_examples=100, deadline=None)
@given(china_lon, china_lat, st.sampled_from(["WGS84", "GCJ02", "BD09", "高德", "百度", "gcj-02", "bd09ll"]))
def test_to_and_from_wgs84_are_inverse(lon, lat, name):
    x, y = crs.from_wgs84(lon, lat, name)
    back = crs.to_wgs84(x, y, name)
    assert haversine_m(lon, lat, back[0], back[1]) < 0.5


@settings(max_examples=100, deadline=None)
@given(shunyi_lon, shunyi_lat)
def test_known_offset_near_shunyi(lon, lat):
    # GCJ-02 lies roughly 500 m east and 120–160 m north of WGS-84 around Shunyi
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    east = haversine_m(lon, lat, glon, lat) * np.sign(glon - lon)
    north = haversine_m(lon, lat, lon, glat) * np.sign(glat - lat)
    assert 400.0 < east < 600.0
    assert 60.0 < north < 250.0
    # BD-09 adds a further shift of several hundred metres to the north-east
    blon, blat = crs.wgs84_to_bd09(lon, lat)
    assert blon > glon and blat > glat
    assert 500.0 < haversine_m(glon, glat, blon, blat) < 1200.0


def test_known_point_values():
    # a fixed point: the formula is public, the value is pinned so a regression shows
    glon, glat = crs.wgs84_to_gcj02(116.65, 40.13)
    assert glon == pytest.approx(116.6558947, abs=1e-6)
    assert glat == pytest.approx(40.1311025, abs=1e-6)


outside_lon = st.one_of(st.floats(-180.0, 72.0), st.floats(137.9, 180.0))
any_lat = st.floats(-90.0, 90.0)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.tuples(outside_lon, any_lat), st.tuples(st.floats(-180.0, 180.0), st.floats(55.9, 90.0)),
                 st.tuples(st.floats(-180.0, 180.0), st.floats(-90.0, 0.8))))
def test_outside_china_no_shift(pt):
    lon, lat = pt
    for fwd in (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84):
        assert fwd(lon, lat) == (lon, lat)
    assert crs.to_wgs84(lon, lat, "GCJ02") == (lon, lat)


@pytest.mark.parametrize("func", [crs.wgs84_to_gcj02, crs.gcj02_to_wgs84, crs.wgs84_to_bd09,
                                  crs.bd09_to_wgs84, crs.gcj02_to_bd09, crs.bd09_to_gcj02])
def test_nan_passes_through(func):
    x, y = func(float("nan"), float("nan"))
    assert math.isnan(x) and math.isnan(y)
    lon = np.array([np.nan, 116.65, 116.7, np.nan])
    lat = np.array([40.13, np.nan, 40.2, np.nan])
    ax, ay = func(lon, lat)
    # a NaN in either coordinate never turns into a number, and never spoils the other points
    assert np.isnan(ax[[0, 3]]).all() and np.isnan(ay[[1, 3]]).all()
    sx, sy = func(116.7, 40.2)
    assert ax[2] == pytest.approx(sx, abs=1e-9) and ay[2] == pytest.approx(sy, abs=1e-9)
    allnan = func(np.full(3, np.nan), np.full(3, np.nan))
    assert np.isnan(allnan[0]).all() and np.isnan(allnan[1]).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=40))
def test_arrays_match_scalars(points):
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    for func in (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84, crs.wgs84_to_bd09, crs.bd09_to_wgs84):
        ax, ay = func(lon, lat)
        assert isinstance(ax, np.ndarray) and ax.shape == lon.shape
        scal = [func(float(a), float(b)) for a, b in zip(lon, lat)]
        assert np.allclose(ax, [s[0] for s in scal], atol=1e-9, rtol=0)
        assert np.allclose(ay, [s[1] for s in scal], atol=1e-9, rtol=0)


def test_scalar_types_and_shapes():
    x, y = crs.wgs84_to_gcj02(116, 40)  # ints are accepted
    assert type(x) is float and type(y) is float
    x2, y2 = crs.gcj02_to_wgs84(np.float64(116.0), np.float64(40.0))
    assert type(x2) is float
    grid = np.array([[116.6, 116.7], [116.8, 116.9]])
    gx, gy = crs.to_wgs84(grid, grid * 0 + 40.1, "BD09")
    assert gx.shape == (2, 2) and gy.shape == (2, 2)
    ex, ey = crs.to_wgs84(np.array([]), np.array([]), "GCJ02")
    assert ex.shape == (0,) and ey.shape == (0,)
    # WGS84 "conversion" copies: changing the output never changes the input
    src = np.array([116.6])
    out, _ = crs.to_wgs84(src, np.array([40.1]), "WGS84")
    out[0] = 0.0
    assert src[0] == 116.6


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, "WGS84"), ("", "WGS84"), (float("nan"), "WGS84"), ("wgs-84", "WGS84"), ("EPSG:4326", "WGS84"),
     ("ＧＣＪ－０２", "GCJ02"), ("高德坐标", "GCJ02"), ("火星坐标", "GCJ02"), ("BD-09", "BD09"), ("百度地图", "BD09"),
     ("CGCS2000", None), ("墨卡托", None)],
)
def test_normalize_crs_name(text, expected):
    assert crs.normalize_crs_name(text) == expected


def test_unknown_crs_raises_in_chinese():
    with pytest.raises(ValueError, match="未知坐标系"):
        crs.to_wgs84(116.0, 40.0, "CGCS2000")
    with pytest.raises(ValueError, match="未知坐标系"):
        crs.from_wgs84(116.0, 40.0, "墨卡托")
