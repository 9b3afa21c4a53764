"""Locating organizations: coordinates or offline geocoding, then town/street assignment and flags."""

from __future__ import annotations

import json
import socket

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.core.crs import gcj02_to_wgs84, wgs84_to_gcj02
from lianxin_geo.location.geocode import GeocodeMatch
from lianxin_geo.location.locator import OUTSIDE_NOTE, LocateResult, locate
from lianxin_geo.core.model import PRECISIONS

SHENGLI, GUANGMING, RENHE, HOUSHAYU, YANGZHEN = "110113001", "110113002", "110113003", "110113004", "110113006"


@pytest.fixture(scope="module")
def district():
    return demo_district()


@pytest.fixture(scope="module")
def buildings():
    return pd.DataFrame({"id": ["B1"], "name": ["XX大厦"], "lon": [116.6421], "lat": [40.0871], "town_code": [RENHE]})


def ledger_frame() -> pd.DataFrame:
    """The shape ledger.read_ledger gives: WGS-84 lon/lat (NaN when missing), raw values and crs kept."""
    # an AMap (GCJ-02) point of 幸福西街社区 in 胜利街道, converted by the ledger to WGS-84
    g_lon, g_lat = wgs84_to_gcj02(116.65025, 40.13252)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    rows = [
        # row, id, name, address, town_code, lon, lat, lon_raw, lat_raw, crs, building
        (3, "a", "甲公司", "北京市顺义区仁和镇XX大厦5层", RENHE, np.nan, np.nan, None, None, "WGS84", None),
        (4, "b", "乙公司", "", SHENGLI, w_lon, w_lat, g_lon, g_lat, "GCJ02", None),
        (5, "c", "丙公司", "上海市", None, 121.4737, 31.2304, 121.4737, 31.2304, "WGS84", None),
        (6, "d", "丁协会", "", RENHE, 116.65025, 40.13252, 116.65025, 40.13252, "WGS84", None),
        (7, "e", "戊公司", "某某路8号", GUANGMING, np.nan, np.nan, None, None, "WGS84", None),
        (8, "f", "己公司", "", None, np.nan, np.nan, None, None, "WGS84", None),
        (9, "g", "庚公司", "顺义区马头庄村", None, np.nan, np.nan, None, None, "WGS84", None),
        (10, "h", "辛公司", "前进村", None, np.nan, np.nan, None, None, "WGS84", None),
        (11, "i", "壬公司", "", None, np.nan, np.nan, None, None, "WGS84", "XX大厦"),
    ]
    cols = ["row", "id", "name", "address", "town_code", "lon", "lat", "lon_raw", "lat_raw", "crs", "building"]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture(scope="module")
def result(district, buildings) -> LocateResult:
    return locate(ledger_frame(), district=district, buildings=buildings)


def rec(result: LocateResult, org_id: str) -> pd.Series:
    o = result.orgs
    return o[o["id"] == org_id].iloc[0]


def test_columns_and_input_untouched(district, buildings):
    frame = ledger_frame()
    before = frame.copy()
    res = locate(frame, district=district, buildings=buildings)
    pd.testing.assert_frame_equal(frame, before)
    for col in ("lon", "lat", "precision", "jurisdiction_code", "jurisdiction_name", "mismatch", "locate_note"):
        assert col in res.orgs
    assert list(res.orgs.index) == list(frame.index)
    assert res.orgs["name"].tolist() == frame["name"].tolist()


def test_geocoded_building(result):
    r = rec(result, "a")
    assert (r["precision"], r["lon"], r["lat"]) == ("building", 116.6421, 40.0871)
    assert (r["jurisdiction_code"], r["jurisdiction_name"], r["mismatch"]) == (RENHE, "仁和地区", False)
    assert "XX大厦" in r["locate_note"]


def test_gcj02_point_converted_by_ledger(result):
    r = rec(result, "b")
    assert r["precision"] == "coordinates"
    assert r["lon"] == pytest.approx(116.65025, abs=1e-7) and r["lat"] == pytest.approx(40.13252, abs=1e-7)
    assert r["jurisdiction_code"] == SHENGLI and not r["mismatch"]
    # the raw GCJ-02 point would have been ~500 m off: locate uses lon/lat, never the raw values
    assert r["lon_raw"] > r["lon"] + 0.004


def test_outside_point(result):
    r = rec(result, "c")
    assert r["precision"] == "coordinates"
    assert r["jurisdiction_code"] is None and r["jurisdiction_name"] is None
    assert OUTSIDE_NOTE in r["locate_note"] and not r["mismatch"]
    assert bool(result.outside[result.orgs["id"] == "c"].iloc[0])


def test_mismatch_names_both_towns(result):
    r = rec(result, "d")
    assert r["mismatch"] and r["jurisdiction_code"] == SHENGLI
    assert "仁和地区" in r["locate_note"] and "胜利街道" in r["locate_note"]


def test_stated_town_only(result, district):
    r = rec(result, "e")
    assert (r["precision"], r["jurisdiction_code"], r["mismatch"]) == ("town", GUANGMING, False)
    assert district.assign(np.array([r["lon"]]), np.array([r["lat"]]))[0] == GUANGMING


def test_nothing_is_unlocated_with_reason(result):
    r = rec(result, "f")
    assert r["precision"] == "none" and np.isnan(r["lon"]) and r["jurisdiction_code"] is None
    assert not r["mismatch"] and "请补充" in r["locate_note"]


def test_community_and_village(result):
    g = rec(result, "g")
    assert (g["precision"], g["jurisdiction_code"], g["lon"]) == ("community", HOUSHAYU, 116.51924)
    h = rec(result, "h")
    assert (h["precision"], h["jurisdiction_code"], h["matched_name"]) == ("town", RENHE, "前进村委会")
    assert "无坐标" in h["locate_note"]


def test_building_column(result):
    r = rec(result, "i")
    assert (r["precision"], r["jurisdiction_code"]) == ("building", RENHE)


def test_json_accounting(result):
    js = result.to_json(rows_in=12)
    text = json.dumps(js, ensure_ascii=False, allow_nan=False)  # NaN must be null
    assert '"lon": null' in text
    assert js["rows_in"] == 12 and js["orgs"] == 9
    assert js["located"] == 8 and js["unlocated"] == 1
    assert js["located"] + js["unlocated"] == js["orgs"] == len(js["records"])
    assert js["by_precision"] == {"coordinates": 3, "building": 2, "park": 0, "community": 1, "town": 2, "none": 1}
    assert sum(js["by_precision"].values()) == js["orgs"]
    assert js["mismatches"] == 1 and js["outside"] == 1
    first = js["records"][0]
    for key in ("row", "id", "lon", "lat", "precision", "jurisdiction_code", "jurisdiction_name", "mismatch"):
        assert key in first
    assert (first["row"], first["id"], first["precision"], first["mismatch"]) == (3, "a", "building", False)
    assert type(first["row"]) is int and type(first["mismatch"]) is bool
    assert result.to_json()["rows_in"] == 9


def test_to_geodataframe(result):
    gdf = result.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 8 and "f" not in gdf["id"].tolist()
    row = gdf[gdf["id"] == "a"].iloc[0]
    assert (row.geometry.x, row.geometry.y) == (116.6421, 40.0871)
    every = result.to_geodataframe(located_only=False)
    assert len(every) == 9 and every.geometry.isna().sum() == 1


def test_town_name_column_is_resolved(district):
    frame = pd.DataFrame({"id": ["x"], "town": ["仁和镇"], "lon": [116.65025], "lat": [40.13252]})
    r = locate(frame, district=district).orgs.iloc[0]
    assert r["mismatch"] and r["jurisdiction_code"] == SHENGLI


def test_minimal_frame_without_location_columns(district):
    res = locate(pd.DataFrame({"id": ["x", "y"], "address": ["马头庄村", None]}), district=district)
    assert res.orgs["precision"].tolist() == ["community", "none"]
    assert res.to_json()["records"][1]["row"] is None


def test_empty_frame(district):
    res = locate(pd.DataFrame({"id": [], "lon": [], "lat": []}), district=district)
    js = res.to_json()
    assert (js["orgs"], js["located"], js["unlocated"], js["records"]) == (0, 0, 0, [])


def test_point_just_outside_an_edge_goes_to_nearest_town(district):
    outline = district.outline
    c = outline.centroid
    for x, y in shapely.get_coordinates(outline.boundary)[::50]:
        # 20 m further out along the ray from the centroid
        dx, dy = x - c.x, y - c.y
        norm = np.hypot(dx * np.cos(np.radians(y)), dy)
        px, py = x + dx / norm * 20 / 111_000, y + dy / norm * 20 / 111_000
        if district.assign(np.array([px]), np.array([py]))[0] is None and district.contains(
                np.array([px]), np.array([py]))[0]:
            break
    else:  # pragma: no cover - the outline always has such a vertex
        pytest.fail("no vertex with a point just outside")
    r = locate(pd.DataFrame({"lon": [px], "lat": [py]}), district=district).orgs.iloc[0]
    assert r["jurisdiction_code"] is not None and "边界附近" in r["locate_note"]
    far = locate(pd.DataFrame({"lon": [px], "lat": [py]}), district=district, edge_tolerance_m=0.0).orgs.iloc[0]
    assert far["jurisdiction_code"] is None and OUTSIDE_NOTE in far["locate_note"]


def test_no_socket_is_opened(monkeypatch, district, buildings):
    def no_socket(*args, **kwargs):
        raise AssertionError("locate must not open a socket")

    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    res = locate(ledger_frame(), district=district, buildings=buildings)
    assert res.to_json()["located"] == 8


class FakeOnline:
    def __init__(self, allow_network: bool) -> None:
        self.allow_network = allow_network
        self.asked: list[str] = []

    def geocode(self, address: str) -> GeocodeMatch | None:
        self.asked.append(address)
        if "某某路" in address:
            return GeocodeMatch(116.6700, 40.1300, "building", "某某路8号", None, None, "在线地理编码（测试）")
        return None


def test_online_geocoder_only_when_allowed_and_only_for_leftovers(district, buildings):
    with pytest.raises(PermissionError):
        locate(ledger_frame(), district=district, buildings=buildings, geocoder=FakeOnline(False))
    fake = FakeOnline(True)
    res = locate(ledger_frame(), district=district, buildings=buildings, geocoder=fake)
    # rows at town level or unlocated with an address: 某某路8号 (town) and 前进村 (town); not the building row
    assert sorted(fake.asked) == sorted(["某某路8号", "前进村"])
    e = rec(res, "e")
    assert (e["precision"], e["lon"], e["locate_note"]) == ("building", 116.67, "在线地理编码（测试）")
    assert rec(res, "h")["precision"] == "town"


towns = ["110113001", "110113003", "110113006", "110113104", None]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.floats(116.2, 117.2), st.floats(39.8, 40.5), st.sampled_from(towns),
                          st.booleans()), min_size=1, max_size=30))
def test_every_row_once_and_flags_consistent(district, pts):
    lon = np.array([p[0] if p[3] else np.nan for p in pts])
    lat = np.array([p[1] if p[3] else np.nan for p in pts])
    frame = pd.DataFrame({"id": [f"o{i}" for i in range(len(pts))], "lon": lon, "lat": lat,
                          "town_code": [p[2] for p in pts]})
    res = locate(frame, district=district)
    o = res.orgs
    js = res.to_json()
    assert js["located"] + js["unlocated"] == len(pts) == len(o)
    assert set(o["precision"]) <= set(PRECISIONS)
    has = np.isfinite(lon)
    assert (o["precision"][has] == "coordinates").all()
    # without coordinates: the stated town or nothing
    stated = o["town_code"].notna()
    assert (o["precision"][~has & stated] == "town").all() and (o["precision"][~has & ~stated] == "none").all()
    inside = district.assign(o["lon"].to_numpy(float), o["lat"].to_numpy(float))
    for i in range(len(o)):
        jc, st_code, m = o["jurisdiction_code"].iloc[i], pts[i][2], o["mismatch"].iloc[i]
        if inside[i] is not None:
            assert jc == inside[i]
        assert m == (jc is not None and st_code is not None and jc != st_code)
        if m:
            assert res_name(district, st_code) in o["locate_note"].iloc[i]


def res_name(district, code):
    return district.town_names[code]


def test_missing_values_of_any_kind_are_empty(district, buildings):
    frame = pd.DataFrame({
        "id": pd.array(["x", "y"], dtype=object),
        "address": pd.array([pd.NA, "马头庄村"], dtype=object),
        "building": pd.array([pd.NA, None], dtype=object),
        "park": [np.nan, np.nan],
        "town_code": pd.array([pd.NA, HOUSHAYU], dtype=object),
        "lon": pd.array([pd.NA, pd.NA], dtype="Float64"),
        "lat": pd.array([pd.NA, pd.NA], dtype="Float64"),
    })
    o = locate(frame, district=district, buildings=buildings).orgs
    assert o["precision"].tolist() == ["none", "community"]
    assert "<NA>" not in o["locate_note"].iloc[0] and "不在" not in o["locate_note"].iloc[0]


def test_address_town_disagreeing_with_stated_town_is_flagged(district):
    frame = pd.DataFrame({"id": ["x"], "address": ["北京市顺义区后沙峪镇府前街1号"], "town_code": [RENHE]})
    r = locate(frame, district=district).orgs.iloc[0]
    assert (r["precision"], r["jurisdiction_code"], r["mismatch"]) == ("town", HOUSHAYU, True)
    assert "仁和地区" in r["locate_note"] and "后沙峪地区" in r["locate_note"]
