"""Boundaries: derived polygons tile the outline; user files load in any CRS and encoding."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianxin_geo.core import crs
from lianxin_geo.core.paths import data_dir
from lianxin_geo.ingest.boundaries import (
    _derive_shunyi,
    demo_district,
    derive_jurisdictions,
    load_boundaries,
    write_boundaries_geojson,
)
from lianxin_geo.core.errors import BoundaryError


def _area_km2(geom: shapely.Geometry) -> float:
    return float(gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:32650").area.iloc[0] / 1e6)


def test_demo_district_has_the_real_skeleton():
    d = demo_district()
    j = d.jurisdictions
    assert d.code == "110113" and d.name == "顺义区"
    assert len(j) == 25
    assert j["code"].str.fullmatch(r"110113\d{3}").all()
    assert set(j["kind"]) == {"街道", "镇", "地区"}
    assert j["approximate"].all() and d.approximate
    assert len(d.communities) == 601
    # total area about 1,009 km2 (official 1,021 km2 includes the airport area)
    assert 995 < _area_km2(shapely.union_all(j.geometry.values)) < 1020


def test_committed_polygons_tile_the_outline():
    d = demo_district()
    geoms = d.jurisdictions.geometry.values
    union = shapely.union_all(geoms)
    outline_area = d.outline.area
    gaps = shapely.difference(d.outline, union).area / outline_area
    overlap = (sum(g.area for g in geoms) - union.area) / outline_area
    assert gaps < 0.001, gaps
    assert overlap < 0.001, overlap
    assert all(g.is_valid and not g.is_empty for g in geoms)


def test_committed_file_matches_a_fresh_derivation():
    fresh, _ = _derive_shunyi()
    d = demo_district()
    for code, geom in zip(fresh["code"], fresh.geometry):
        committed = d.jurisdictions.set_index("code").geometry[code]
        diff = shapely.symmetric_difference(geom, committed).area / geom.area
        assert diff < 1e-4, (code, diff)


def test_every_seat_lies_in_its_own_town():
    towns = pd.read_csv(data_dir() / "boundaries" / "shunyi_towns.csv", dtype={"code": str})
    got = demo_district().assign(towns["seat_lon"].to_numpy(), towns["seat_lat"].to_numpy())
    assert (got == towns["code"].to_numpy()).mean() >= 0.96  # a seat may sit on the edge of a neighbour


def test_resolve_town_by_name_alias_short_name_and_code():
    d = demo_district()
    assert d.resolve_town("仁和地区") == "110113003"
    assert d.resolve_town("仁和镇") == "110113003"
    assert d.resolve_town("仁和") == "110113003"
    assert d.resolve_town("110113003") == "110113003"
    assert d.resolve_town(" 胜利街道办事处 ") == "110113001"
    assert d.resolve_town("杨镇") == "110113006"
    assert d.resolve_town("张镇") == "110113110"
    assert d.resolve_town("海淀镇") is None
    assert d.resolve_town("") is None


def test_assign_and_contains():
    d = demo_district()
    lon = np.array([116.64469, 116.0, np.nan, 116.2])
    lat = np.array([40.11918, 40.1, 40.1, np.nan])
    assert d.assign(lon, lat).tolist() == ["110113001", None, None, None]
    assert d.contains(lon, lat).tolist() == [True, False, False, False]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pts=st.lists(
        st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(0, 5)),
        min_size=3,
        max_size=40,
        unique_by=lambda t: (round(t[0], 6), round(t[1], 6)),
    )
)
def test_derived_polygons_tile_any_outline(pts):
    outline = shapely.Polygon([(116.3, 40.0), (116.9, 40.05), (116.8, 40.3), (116.35, 40.25)]).difference(
        shapely.box(116.55, 40.1, 116.6, 40.15)
    )
    lon = np.array([116.3 + 0.6 * p[0] for p in pts])
    lat = np.array([40.0 + 0.3 * p[1] for p in pts])
    labels = np.array([f"T{p[2]}" for p in pts], dtype=object)
    labs, polys = derive_jurisdictions(lon, lat, labels, outline)
    assert len(labs) == len(set(labels.tolist()))
    union = shapely.union_all(polys)
    assert shapely.difference(outline, union).area / outline.area < 1e-3
    assert (sum(p.area for p in polys) - union.area) / outline.area < 1e-3


def test_derive_rejects_too_few_points():
    with pytest.raises(BoundaryError, match="至少需要2个"):
        derive_jurisdictions(np.array([116.5]), np.array([40.1]), np.array(["a"], dtype=object), shapely.box(0, 0, 1, 1))


# ------------------------------------------------------------------ loaders
@pytest.fixture()
def three_towns() -> gpd.GeoDataFrame:
    d = demo_district()
    j = d.jurisdictions.iloc[:3][["code", "name", "geometry"]].copy()
    return j


def test_load_geojson_roundtrip(tmp_path, three_towns):
    p = tmp_path / "towns.geojson"
    write_boundaries_geojson(three_towns.assign(kind="街道", approximate=False), p)
    got = load_boundaries(p, gazetteer=demo_district())
    assert got.jurisdictions["code"].tolist() == three_towns["code"].tolist()
    assert not got.approximate
    assert got.resolve_town("光明街道") == "110113002"


def test_load_shapefile_with_gbk_attributes_and_projected_crs(tmp_path, three_towns):
    g = three_towns.rename(columns={"name": "XZQMC", "code": "XZQDM"}).to_crs("EPSG:4549")
    p = tmp_path / "towns.shp"
    g.to_file(p, encoding="gbk")
    cpg = p.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()  # Chinese desktop GIS exports often lack the .cpg
    got = load_boundaries(p)
    assert got.jurisdictions["name"].tolist() == three_towns["name"].tolist()
    assert got.jurisdictions.crs.to_epsg() == 4326
    for a, b in zip(got.jurisdictions.geometry, three_towns.geometry):
        assert shapely.symmetric_difference(a, b).area / b.area < 1e-6


def test_load_gpkg_and_names_only_filled_from_gazetteer(tmp_path, three_towns):
    p = tmp_path / "towns.gpkg"
    three_towns[["name", "geometry"]].to_file(p, driver="GPKG")
    got = load_boundaries(p, gazetteer=demo_district())
    assert got.jurisdictions["code"].tolist() == three_towns["code"].tolist()
    assert got.code == "110113"


def test_load_kml(tmp_path, three_towns):
    p = tmp_path / "towns.kml"
    three_towns.rename(columns={"name": "Name"})[["Name", "geometry"]].to_file(p, driver="KML")
    got = load_boundaries(p, gazetteer=demo_district())
    assert sorted(got.jurisdictions["name"]) == sorted(three_towns["name"])


def test_load_gcj02_declared_is_shifted_back(tmp_path, three_towns):
    shifted = three_towns.copy()
    shifted["geometry"] = shapely.transform(
        shifted.geometry.values, lambda xy: np.column_stack(crs.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    p = tmp_path / "gcj.geojson"
    shifted.to_file(p, driver="GeoJSON")
    got = load_boundaries(p, coord_system="GCJ02")
    for a, b in zip(got.jurisdictions.geometry, three_towns.geometry):
        assert shapely.hausdorff_distance(a, b) < 1e-6  # < 0.1 m


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(BoundaryError, match="找不到边界文件"):
        load_boundaries(tmp_path / "nope.geojson")
    p = tmp_path / "points.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Point", "coordinates": [116, 40]}}
    ]}), encoding="utf-8")
    with pytest.raises(BoundaryError, match="没有面要素"):
        load_boundaries(p)
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(BoundaryError, match="无法读取边界文件"):
        load_boundaries(bad)


def test_boundaries_of_another_district_do_not_borrow_shunyi_codes(tmp_path):
    import geopandas as gpd

    other = gpd.GeoDataFrame(
        {"name": ["甲街道", "乙镇"]},
        geometry=[shapely.box(113.0, 23.0, 113.1, 23.1), shapely.box(113.1, 23.0, 113.2, 23.1)],
        crs="EPSG:4326",
    )
    p = tmp_path / "other.geojson"
    other.to_file(p, driver="GeoJSON")
    got = load_boundaries(p, gazetteer=demo_district())
    assert got.code == "" and got.name == "本区"
    assert got.jurisdictions["code"].tolist() == ["J001", "J002"]
    assert got.jurisdictions["kind"].tolist() == ["街道", "镇"]
    assert len(got.communities) == 0
    assert got.resolve_town("乙镇") == "J002"


# ------------------------------------------------------------------ boundaries that cannot be right (issue 17)
def _write(tmp_path, name: str, geoms, names, crs: str | None = "EPSG:4326"):
    gdf = gpd.GeoDataFrame({"name": names}, geometry=list(geoms), crs=crs)
    p = tmp_path / name
    p.write_text(gdf.to_json(), encoding="utf-8")  # no "crs" member: GeoJSON readers assume degrees
    return p


def test_swapped_axes_are_refused_with_the_fix(tmp_path, three_towns):
    swapped = shapely.transform(three_towns.geometry.values, lambda xy: xy[:, ::-1])
    p = _write(tmp_path, "swapped.geojson", swapped, three_towns["name"])
    with pytest.raises(BoundaryError, match=r"swapped.geojson.*经纬度多半颠倒.*交换经纬度"):
        load_boundaries(p, gazetteer=demo_district())


@pytest.mark.parametrize(("epsg", "declare"), [("EPSG:3857", "EPSG:3857"), ("EPSG:4548", "EPSG:4548"),
                                               ("EPSG:4527", "EPSG:4527")])
def test_projected_coordinates_without_a_crs_name_the_crs_to_declare(tmp_path, three_towns, epsg, declare):
    g = three_towns.to_crs(epsg)
    p = _write(tmp_path, "metres.geojson", g.geometry.values, g["name"], crs=None)
    with pytest.raises(BoundaryError, match=rf"metres.geojson.*投影坐标.*--boundaries-crs {declare}"):
        load_boundaries(p)
    got = load_boundaries(p, coord_system=declare, gazetteer=demo_district())
    assert got.code == "110113"
    for a, b in zip(got.jurisdictions.geometry, three_towns.geometry):
        assert shapely.hausdorff_distance(a, b) < 1e-6


def test_boundaries_outside_china_and_unknown_crs_are_refused(tmp_path):
    p = _write(tmp_path, "paris.geojson", [shapely.box(2.3, 48.8, 2.4, 48.9)], ["巴黎"])
    with pytest.raises(BoundaryError, match="不在中国境内"):
        load_boundaries(p)
    q = _write(tmp_path, "ok.geojson", [shapely.box(113.0, 23.0, 113.1, 23.1)], ["甲街道"])
    with pytest.raises(BoundaryError, match="未知坐标系"):
        load_boundaries(q, coord_system="火星")


def test_self_intersecting_polygons_are_repaired_and_named(tmp_path, three_towns):
    x0, y0, x1, y1 = three_towns.geometry.iloc[0].bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    assert not bowtie.is_valid
    geoms = [bowtie, *three_towns.geometry.iloc[1:]]
    p = _write(tmp_path, "bowtie.geojson", geoms, three_towns["name"])
    got = load_boundaries(p, gazetteer=demo_district())
    first = three_towns["name"].iloc[0]
    assert got.jurisdictions.attrs["repaired"] == [first]
    assert f"已自动修复 1 个无效的面" in got.source and first in got.source
    assert all(g.is_valid for g in got.jurisdictions.geometry) and got.outline.is_valid
    flat = shapely.Polygon([(x0, y0), (x1, y1), (x0, y0), (x1, y1)])  # no area at all
    p = _write(tmp_path, "flat.geojson", [flat, *three_towns.geometry.iloc[1:]], three_towns["name"])
    with pytest.raises(BoundaryError, match=rf"flat.geojson 中的要素“{first}”不是有效的面"):
        load_boundaries(p)


def test_reader_errors_are_explained_in_chinese(tmp_path):
    p = tmp_path / "towns.shp"
    p.write_bytes(b"\x00\x00\x27\x0a" + b"\x00" * 96)
    with pytest.raises(BoundaryError, match=r"无法读取边界文件 towns.shp：.*原始错误"):
        load_boundaries(p)


def test_points_fit_says_once_when_the_district_is_elsewhere():
    from lianxin_geo.ingest.boundary_checks import check_points_fit

    d = demo_district()
    assert check_points_fit(d, np.array([116.6447, 116.6612, 116.6423, 116.5295, 116.65]),
                            np.array([40.1192, 40.1194, 40.0852, 40.1143, 40.12])) is None
    far = check_points_fit(d, np.full(6, 113.2), np.linspace(23.0, 23.1, 6))
    assert far is not None and "边界与台账不是同一个区" in far and "顺义区示意边界" in far
    assert check_points_fit(d, np.full(3, 113.2), np.full(3, 23.1)) is None  # too few points to judge
