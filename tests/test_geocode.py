"""Offline geocoding against the Shunyi gazetteer and small building/park frames built in code."""

from __future__ import annotations

import math
import socket

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.location.gazetteer import build_gazetteer, community_core, normalize_key, strip_prefixes
from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.location.geocode import AmapGeocoder, GeocodeMatch, geocode_address, geocode_frame
from lianxin_geo.core.model import PRECISIONS

SHENGLI, GUANGMING, RENHE, HOUSHAYU, TIANZHU, YANGZHEN, WANGQUAN, GAOLIYING = (
    "110113001", "110113002", "110113003", "110113004", "110113005", "110113006", "110113013", "110113101")


@pytest.fixture(scope="module")
def district():
    return demo_district()


@pytest.fixture(scope="module")
def buildings():
    return pd.DataFrame({
        "id": ["B1", "B2", "B3", "B4", "B5"],
        "name": ["XX大厦", "北京顺义国际商务大厦", "双子座大厦", "双子座大厦", "无坐标科技楼"],
        "lon": [116.6421, 116.6532, 116.5600, 116.5700, np.nan],
        "lat": [40.0871, 40.1240, 40.1000, 40.1010, np.nan],
        "town_code": [RENHE, SHENGLI, "110113011", "110113011", TIANZHU],
    })


@pytest.fixture(scope="module")
def parks():
    return pd.DataFrame({
        "id": ["P1"], "name": ["北京天竺综合保税区"], "lon": [116.5905], "lat": [40.0652], "town_code": [TIANZHU],
    })


@pytest.fixture(scope="module")
def gaz(district, buildings, parks):
    return build_gazetteer(district, buildings=buildings, parks=parks)


def geo(gaz, district, text, **kw) -> GeocodeMatch:
    return geocode_address(text, district=district, gazetteer=gaz, **kw)


# ------------------------------------------------------------------ building / park / community
def test_building_in_address(gaz, district):
    m = geo(gaz, district, "北京市顺义区仁和镇XX大厦5层")
    assert (m.precision, m.matched_name, m.matched_kind, m.town_code) == ("building", "XX大厦", "building", RENHE)
    assert (m.lon, m.lat) == (116.6421, 40.0871)
    assert "XX大厦" in m.note


def test_building_found_without_gazetteer_argument(district, buildings):
    m = geocode_address("北京市顺义区仁和镇XX大厦5层", district=district, buildings=buildings)
    assert m.precision == "building" and m.lon == 116.6421


@pytest.mark.parametrize("text", ["北京市 顺义区 仁和镇 ＸＸ大厦 ５层", "顺义仁和镇xx大厦", "（北京）XX大厦-B座"])
def test_nfkc_spaces_case_and_punctuation(gaz, district, text):
    m = geo(gaz, district, text)
    assert m.precision == "building" and m.matched_name == "XX大厦"


def test_prefix_stripped_building_name(gaz, district):
    # the ledger calls it 北京顺义国际商务大厦; the address drops the prefix
    m = geo(gaz, district, "胜利街道国际商务大厦1201室")
    assert m.precision == "building" and m.matched_name == "北京顺义国际商务大厦"


def test_park_in_address(gaz, district):
    m = geo(gaz, district, "北京市顺义区天竺综合保税区安庆大街6号")
    assert (m.precision, m.matched_name, m.town_code) == ("park", "北京天竺综合保税区", TIANZHU)
    assert (m.lon, m.lat) == (116.5905, 40.0652)


def test_community_with_coordinates(gaz, district):
    m = geo(gaz, district, "北京市顺义区幸福西街社区12号楼3单元")
    assert (m.precision, m.matched_name, m.town_code) == ("community", "幸福西街社区居委会", SHENGLI)
    assert (m.lon, m.lat) == (116.65025, 40.13252)


@pytest.mark.parametrize("text", ["后沙峪镇马头庄村委会", "后沙峪镇马头庄村", "马头庄村民委员会", "顺义区马头庄128号"])
def test_village_suffix_insensitive(gaz, district, text):
    m = geo(gaz, district, text)
    assert (m.precision, m.matched_name, m.town_code) == ("community", "马头庄村委会", HOUSHAYU)
    assert (m.lon, m.lat) == (116.51924, 40.12176)


def test_village_without_coordinates_goes_to_its_town(gaz, district):
    m = geo(gaz, district, "北京市顺义区前进村委会东50米")
    assert m.precision == "town"
    assert (m.matched_name, m.matched_kind, m.town_code) == ("前进村委会", "community", RENHE)
    assert "无坐标" in m.note and "仁和地区" in m.note
    # the town point lies in the town's own polygon
    assert district.assign(np.array([m.lon]), np.array([m.lat]))[0] == RENHE


def test_community_and_village_of_the_same_core_are_told_apart(gaz, district):
    # 前进社区 (胜利街道) and 前进村 (仁和地区) share the core 前进; the suffix decides
    assert geo(gaz, district, "前进社区").town_code == SHENGLI
    assert geo(gaz, district, "前进村").town_code == RENHE
    # a bare 2-character core is not a key: no guess
    assert geo(gaz, district, "前进路88号").precision == "none"


def test_longest_match_wins_over_nested_names(gaz, district):
    # 后沙峪镇 is the town; 后沙峪 alone is also a village core; the town spelling is longer and wins
    m = geo(gaz, district, "北京市顺义区后沙峪镇府前街1号")
    assert (m.precision, m.matched_kind, m.town_code) == ("town", "town", HOUSHAYU)
    # village inside its town's address: the more specific place wins
    m = geo(gaz, district, "顺义区天竺镇天竺村委会旁")
    assert (m.precision, m.matched_name) == ("community", "天竺村委会")


def test_most_specific_kind_wins(gaz, district):
    m = geo(gaz, district, "顺义区幸福西街社区XX大厦")
    assert m.precision == "building" and m.matched_name == "XX大厦"


# ------------------------------------------------------------------ ambiguity: never a silent guess
def test_ambiguous_village_is_not_guessed(gaz, district):
    # 于庄村 exists in 杨镇 and 高丽营镇
    m = geo(gaz, district, "顺义区于庄村")
    assert m.precision == "none" and math.isnan(m.lon)
    assert "不唯一" in m.note and "杨镇地区" in m.note and "高丽营镇" in m.note


def test_ambiguous_village_resolved_by_stated_town(gaz, district):
    m = geo(gaz, district, "顺义区于庄村", town_code=GAOLIYING)
    assert (m.precision, m.town_code, m.matched_name) == ("town", GAOLIYING, "于庄村委会")
    assert "消歧" in m.note


def test_ambiguous_village_resolved_by_town_in_address(gaz, district):
    m = geo(gaz, district, "北京市顺义区杨镇于庄村")
    assert (m.precision, m.town_code) == ("town", YANGZHEN)


def test_ambiguous_building_falls_back_to_town_when_all_in_one_town(gaz, district):
    # two ledger rows named 双子座大厦 at different points, both in 空港街道
    m = geo(gaz, district, "双子座大厦8层")
    assert (m.precision, m.town_code) == ("town", "110113011")
    assert "不唯一" in m.note and "空港街道" in m.note


def test_ambiguous_building_falls_back_to_coarser_unambiguous_level(district):
    b = pd.DataFrame({"id": ["a", "b"], "name": ["金融大厦", "金融大厦"], "lon": [116.60, 116.80],
                      "lat": [40.10, 40.15], "town_code": [SHENGLI, YANGZHEN]})
    g = build_gazetteer(district, buildings=b)
    m = geocode_address("顺义区裕龙花园社区金融大厦", district=district, gazetteer=g)
    assert (m.precision, m.matched_name) == ("community", "裕龙花园社区居委会")
    assert "不唯一" in m.note
    m = geocode_address("金融大厦", district=district, gazetteer=g)
    assert m.precision == "none" and "不作猜测" in m.note
    m = geocode_address("金融大厦", district=district, gazetteer=g, town_code=YANGZHEN)
    assert (m.precision, m.lon) == ("building", 116.80)


def test_duplicate_ledger_rows_of_one_place_are_not_ambiguous(district):
    b = pd.DataFrame({"name": ["XX大厦", "XX大厦"], "lon": [116.64, 116.64], "lat": [40.09, 40.09],
                      "town_code": [RENHE, RENHE]})
    m = geocode_address("XX大厦", district=district, buildings=b)
    assert m.precision == "building"


# ------------------------------------------------------------------ org columns, fallbacks, fuzzy
def test_own_building_column_before_address(gaz, district):
    m = geo(gaz, district, "顺义区幸福西街社区", building="XX大厦")
    assert m.precision == "building" and m.matched_name == "XX大厦" and "所在楼宇" in m.note


def test_unknown_building_column_is_reported(gaz, district):
    m = geo(gaz, district, "顺义区幸福西街社区", building="不存在大楼")
    assert m.precision == "community"
    assert "所在楼宇“不存在大楼”不在楼宇台账中" in m.note


def test_own_park_column(gaz, district):
    m = geo(gaz, district, "", park="天竺综合保税区")
    assert (m.precision, m.matched_name) == ("park", "北京天竺综合保税区")


def test_building_without_coordinates_goes_to_its_town(gaz, district):
    m = geo(gaz, district, "", building="无坐标科技楼")
    assert (m.precision, m.town_code, m.matched_kind) == ("town", TIANZHU, "building")
    assert "无坐标" in m.note


def test_fuzzy_building_typo(gaz, district):
    m = geo(gaz, district, "", building="XX大夏")
    assert m.precision == "building" and m.matched_name == "XX大厦"
    assert "模糊匹配" in m.note
    strict = geo(gaz, district, "", building="XX大夏", fuzzy_threshold=95.0)
    assert strict.precision == "none" and "不在楼宇台账中" in strict.note


def test_fuzzy_community_with_missing_character(gaz, district):
    m = geo(gaz, district, "顺义区义宾北社区")
    assert (m.precision, m.matched_name, m.town_code) == ("town", "义宾北区社区居委会", SHENGLI)
    assert "模糊匹配" in m.note


def test_fuzzy_never_reuses_the_town_name(gaz, district):
    # "后沙峪" of the town must not fuzzy-match the village 后沙峪村
    m = geo(gaz, district, "后沙峪镇某路1号")
    assert (m.precision, m.matched_kind) == ("town", "town")


def test_stated_town_is_the_last_fallback(gaz, district):
    m = geo(gaz, district, "某某路18号", town_code=GUANGMING)
    assert (m.precision, m.town_code, m.matched_name) == ("town", GUANGMING, "光明街道")
    assert "填报的所属镇街" in m.note


def test_nothing_at_all_is_none_with_a_reason(gaz, district):
    for text in ("", None, float("nan"), "某某路18号"):
        m = geo(gaz, district, text)
        assert m.precision == "none" and m.town_code is None and math.isnan(m.lat)
        assert "请补充" in m.note


def test_unknown_stated_town_is_ignored(gaz, district):
    assert geo(gaz, district, "某某路", town_code="999999999").precision == "none"


def test_seats_inside_their_polygon_are_used(district):
    seat = (116.64232, 40.08524)  # 仁和 seat from data/boundaries/shunyi_towns.csv
    g = build_gazetteer(district, seats={RENHE: seat, SHENGLI: (0.0, 0.0)})
    m = geocode_address("某路", district=district, gazetteer=g, town_code=RENHE)
    assert (m.lon, m.lat) == seat
    # a seat outside its polygon is not used: the representative point is
    m = geocode_address("某路", district=district, gazetteer=g, town_code=SHENGLI)
    assert (m.lon, m.lat) != (0.0, 0.0) and district.assign(np.array([m.lon]), np.array([m.lat]))[0] == SHENGLI


# ------------------------------------------------------------------ frame, determinism, helpers
def test_geocode_frame_matches_single_calls_and_is_deterministic(gaz, district):
    texts = ["北京市顺义区仁和镇XX大厦5层", "顺义区于庄村", "前进村", "某路", None, "顺义区于庄村", "马头庄村"]
    frame = pd.DataFrame({"address": texts, "town_code": [None, GAOLIYING, None, RENHE, None, None, None]},
                         index=[10, 11, 12, 13, 14, 15, 16])
    out = geocode_frame(frame, district=district, gazetteer=gaz)
    assert list(out.index) == [10, 11, 12, 13, 14, 15, 16]
    assert list(out.columns) == ["lon", "lat", "precision", "matched_name", "matched_kind", "town_code", "note"]
    assert out["precision"].tolist() == ["building", "town", "town", "town", "none", "none", "community"]
    for (i, row), t, tc in zip(out.iterrows(), texts, frame["town_code"]):
        single = geo(gaz, district, t, town_code=tc)
        assert row["precision"] == single.precision and row["note"] == single.note
    shuffled = geocode_frame(frame.iloc[::-1], district=district, gazetteer=gaz).loc[frame.index]
    pd.testing.assert_frame_equal(shuffled, out)
    rebuilt = geocode_frame(frame, district=district, buildings=None)
    assert rebuilt.loc[10, "precision"] == "town"  # without the buildings frame: only the town 仁和镇


def test_geocode_frame_tolerates_missing_columns(district):
    out = geocode_frame(pd.DataFrame({"address": ["马头庄村"]}), district=district)
    assert out["precision"].tolist() == ["community"]
    out = geocode_frame(pd.DataFrame({"x": [1]}), district=district)
    assert out["precision"].tolist() == ["none"]


def test_match_to_dict_is_json_ready(gaz, district):
    import json

    d = geo(gaz, district, "某路").to_dict()
    assert d["lon"] is None and d["precision"] == "none"
    json.dumps(d, allow_nan=False)


def test_gazetteer_helpers(gaz):
    assert normalize_key(" ＸＸ 大厦（Ｂ座） ") == "xx大厦b座"
    assert strip_prefixes("北京市顺义区仁和镇", ("北京市", "顺义区", "北京")) == "仁和镇"
    assert community_core("马头庄村委会") == ("马头庄", "村")
    assert community_core("双兴南区第一社区居民委员会") == ("双兴南区第一", "社区")
    assert community_core("澜庭") == ("澜庭", None)
    hits = gaz.find(gaz.prepare("北京市顺义区后沙峪镇马头庄村"))
    keys = [h.key for h in hits]
    assert "后沙峪镇" in keys and "马头庄村" in keys
    assert "后沙峪" not in keys and "马头庄" not in keys  # nested in longer hits
    # the town key 后沙峪 never points to the village 后沙峪村
    assert all(gaz.entries[i].kind == "town" for i in gaz.keys["后沙峪"])


ALPHABET = "北京市顺义区仁和镇后沙峪马头庄村于杨前进社区居委会幸福西街XX大厦号楼层路12 （）"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=30), st.sampled_from([None, RENHE, YANGZHEN, "bogus"]))
def test_any_text_gives_a_consistent_answer(gaz, district, text, town):
    m = geo(gaz, district, text, town_code=town)
    assert m.precision in PRECISIONS and m.precision != "coordinates"
    assert m.note
    if m.precision == "none":
        assert math.isnan(m.lon) and math.isnan(m.lat) and m.town_code is None
    else:
        assert math.isfinite(m.lon) and math.isfinite(m.lat) and m.town_code in district.town_names
        assert district.contains(np.array([m.lon]), np.array([m.lat]))[0]
    if m.precision == "town":
        # town-level points lie in the town they name
        assert district.assign(np.array([m.lon]), np.array([m.lat]))[0] == m.town_code
    assert geo(gaz, district, text, town_code=town) == m  # deterministic


# ------------------------------------------------------------------ no network
def test_default_path_opens_no_socket(monkeypatch, district, buildings, parks):
    def no_socket(*args, **kwargs):
        raise AssertionError("offline geocoding must not open a socket")

    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    frame = pd.DataFrame({"address": ["北京市顺义区仁和镇XX大厦5层", "顺义区义宾北社区", "某路"],
                          "building": [None, None, "XX大夏"]})
    out = geocode_frame(frame, district=district, buildings=buildings, parks=parks)
    assert out["precision"].tolist() == ["building", "town", "building"]


def test_amap_adapter_is_off_by_default(monkeypatch):
    def no_socket(*args, **kwargs):
        raise AssertionError("must not open a socket")

    monkeypatch.setattr(socket, "socket", no_socket)
    g = AmapGeocoder("dummy-key")
    assert g.allow_network is False
    with pytest.raises(PermissionError, match="allow_network=True"):
        g.geocode("北京市顺义区仁和镇XX大厦")
    assert "dummy-key" not in repr(g)


def test_amap_answer_is_parsed_and_converted_to_wgs84():
    from lianxin_geo.core.crs import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02(116.6421, 40.0871)
    answer = {"status": "1", "geocodes": [{"formatted_address": "北京市顺义区XX大厦", "level": "兴趣点",
                                           "location": f"{glon:.8f},{glat:.8f}"}]}
    m = AmapGeocoder.parse(answer)
    assert m is not None and m.precision == "building"
    assert m.lon == pytest.approx(116.6421, abs=1e-6) and m.lat == pytest.approx(40.0871, abs=1e-6)
    coarse = {"status": "1", "geocodes": [{"level": "区县", "location": "116.65,40.13"}]}
    assert AmapGeocoder.parse(coarse) is None
    two = {"status": "1", "geocodes": answer["geocodes"] * 2}
    assert AmapGeocoder.parse(two) is None
    assert AmapGeocoder.parse({"status": "0"}) is None


def test_online_geocoder_network_failure_is_a_chinese_user_error():
    from lianxin_geo.core.errors import LianxinError
    from lianxin_geo.location.geocode import AmapGeocoder

    g = AmapGeocoder("k", allow_network=True, timeout_s=2)
    g.url = "http://127.0.0.1:9/geo"  # a closed port on this machine: the connection is refused at once
    with pytest.raises(LianxinError, match="在线地理编码失败"):
        g.geocode("北京市顺义区")
