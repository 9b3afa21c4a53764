"""Tests of the seeded synthetic demo generator (lianxin_geo.ingest.demo)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianxin_geo.core.crs import to_wgs84
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import (
    BUILDING_SCHEMA,
    CENTER_LEVELS,
    DEMO_FLAG,
    ENTITY_SOCIAL_TYPES,
    ORG_SCHEMA,
    PARK_LEVELS,
    SIX_HAS,
)
from lianxin_geo.core.policy import load_profile
from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.ingest.creditcode import CHARSET, check_char, is_valid_credit_code
from lianxin_geo.ingest.demo import (
    DEFAULT_SEED,
    ORG_TITLE,
    DemoData,
    buildings_csv_text,
    generate_demo,
    to_ledger_frame,
    write_demo,
)
from lianxin_geo.ingest.demo import write as demo_write
from lianxin_geo.ingest.demo.skeleton import _community_short
from lianxin_geo.ingest.ledger import read_ledger

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def district():
    return demo_district()


@pytest.fixture(scope="module")
def default_demo() -> DemoData:
    return generate_demo()


def _wgs(orgs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lon = orgs["lon"].to_numpy(dtype=float).copy()
    lat = orgs["lat"].to_numpy(dtype=float).copy()
    g = (orgs["crs"] == "GCJ02").to_numpy()
    lon[g], lat[g] = to_wgs84(lon[g], lat[g], "GCJ02")
    return lon, lat


def _gb11714_check(body: str) -> str:
    """Independent scalar GB 11714 check character (weights 3 7 9 10 5 8 4 2, mod 11)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    c9 = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_frames():
    a = generate_demo(400, seed=11)
    b = generate_demo(400, seed=11)
    for kind, frame in a.frames().items():
        pd.testing.assert_frame_equal(frame, b.frames()[kind])
    assert a.seed == 11


def test_different_seed_gives_different_frames():
    a = generate_demo(400, seed=11)
    b = generate_demo(400, seed=12)
    assert not a.orgs["name"].equals(b.orgs["name"])
    assert not a.buildings["name"].equals(b.buildings["name"])


def test_skeleton_tables_do_not_depend_on_n_orgs():
    a = generate_demo(100, seed=5)
    b = generate_demo(3000, seed=5)
    pd.testing.assert_frame_equal(a.buildings, b.buildings)
    pd.testing.assert_frame_equal(a.parks, b.parks)
    pd.testing.assert_frame_equal(a.centers, b.centers)


# ------------------------------------------------------------------ shapes
def test_kind_shares_and_social_types(default_demo):
    o = default_demo.orgs
    assert len(o) == 5000
    assert list(o.columns) == list(ORG_SCHEMA.keys)
    share = (o["kind"] == "非公企业").mean()
    assert 0.82 <= share <= 0.88
    assert (o["kind"] == "社会组织").mean() == pytest.approx(1 - share)
    soc = o[o["kind"] == "社会组织"]
    assert soc["social_type"].notna().all()
    assert o.loc[o["kind"] == "非公企业", "social_type"].isna().all()
    assert set(ENTITY_SOCIAL_TYPES) <= set(soc["social_type"])
    groups = soc[soc["social_type"] == "社会团体"]
    assert (groups["registration_level"] == "市级及以上").sum() >= 3
    assert o.loc[o["kind"] == "非公企业", "registration_level"].isna().all()


def test_industry_sections_are_written_as_code_and_name(default_demo):
    ind = default_demo.orgs["industry"]
    assert ind.str.fullmatch(r"[A-T] \S+").all()
    top = ind[default_demo.orgs["kind"] == "非公企业"].str[0].value_counts()
    # a suburban airport district: trade, business services, logistics and manufacturing lead
    assert set(top.index[:5]) >= {"F", "L", "G"}
    assert "C 制造业" in set(ind) and "G 交通运输、仓储和邮政业" in set(ind)


def test_heavy_tailed_staff_and_zero_heavy_members(default_demo):
    o = default_demo.orgs
    emp = o["employees"]
    assert emp.min() >= 1
    assert 5 <= emp.median() <= 30
    assert emp.max() >= 1000  # a few thousands
    assert ((emp >= 100) & (emp < 1000)).sum() >= 50  # some hundreds
    small = o[emp < 50]
    assert 0.5 <= (small["members"] == 0).mean() <= 0.75
    assert (o["members"] + o["probationary"] <= o["employees"]).all()
    assert o["probationary"].sum() < 0.2 * o["members"].sum()
    # members grow with size
    assert o.loc[emp >= 200, "members"].median() > o.loc[emp < 20, "members"].median()


def test_party_org_consistency(default_demo):
    o = default_demo.orgs
    own = o[o["party_status"] == "单独建立"]
    assert (own["members"] >= 3).all()
    assert own["party_org_type"].notna().all()
    assert (own.loc[own["party_org_type"] == "党委", "members"] >= 100).all()
    assert (own.loc[own["party_org_type"] == "党总支", "members"] > 50).all()
    assert own["joint_org_id"].isna().all()
    none = o[o["party_status"] == "未建立"]
    assert none["party_org_type"].isna().all() and none["joint_org_id"].isna().all()
    assert none["activities"].isna().all()
    joint = o[o["party_status"] == "联合建立"]
    assert joint["joint_org_id"].notna().all()
    g = joint.groupby("joint_org_id")
    assert g.size().between(2, 15).all()
    assert (g["town"].agg(lambda s: s.map(demo_district().resolve_town).nunique()) == 1).all()
    assert (g["industry"].nunique() == 1).all()
    assert (g["members"].sum() >= 3).all()
    # gaps the planner must find
    assert ((o["members"] >= 3) & (o["party_status"] == "未建立")).sum() >= 5
    assert ((o["employees"] >= 100) & (o["party_status"] == "未建立")).sum() >= 5
    # work coverage
    assert o["instructor"].notna().sum() > 100
    assert (o.loc[o["instructor"].notna(), "party_status"] == "未建立").all()
    per_instructor = o["instructor"].value_counts()
    assert per_instructor.max() <= 30
    assert o["mass_org"].dropna().str.contains("工会").any()
    assert o["mass_org"].dropna().str.contains("团支部").any()
    # payroll for part of the enterprises only; activities for orgs with a party org
    ent = o["kind"] == "非公企业"
    assert 0.5 < o.loc[ent, "payroll"].notna().mean() < 0.8
    assert o.loc[~ent, "payroll"].isna().all()
    assert o.loc[o["party_status"] != "未建立", "activities"].notna().mean() > 0.7
    five = ["clear_operations", "clear_staff", "clear_members", "clear_owner", "clear_reason"]
    filled = o[five].notna().all(axis=1)
    assert filled.sum() > 100
    assert (o.loc[filled, "party_status"] == "未建立").all()


# ------------------------------------------------------------------ location
def test_every_org_with_coordinates_lies_in_its_town(default_demo, district):
    o = default_demo.orgs
    has = o["lon"].notna().to_numpy()
    lon, lat = _wgs(o)
    got = district.assign(lon[has], lat[has])
    want = o.loc[has, "town"].map(district.resolve_town).to_numpy()
    assert (got == want).all()
    assert pd.Series(want).notna().all()


def test_town_names_mix_statistics_and_civil_affairs_names(default_demo):
    towns = set(default_demo.orgs["town"])
    assert {"仁和地区", "仁和镇"} <= towns
    assert "胜利街道" in towns


def test_crs_shares_and_gcj02_round_trip(default_demo, district):
    o = default_demo.orgs
    crs = o["crs"]
    assert 0.07 <= (crs == "GCJ02").mean() <= 0.13
    assert 0.03 <= crs.isna().mean() <= 0.07
    assert set(crs.dropna()) == {"WGS84", "GCJ02"}
    g = o[crs == "GCJ02"]
    lon, lat = to_wgs84(g["lon"].to_numpy(), g["lat"].to_numpy(), "GCJ02")
    assert (district.assign(lon, lat) == g["town"].map(district.resolve_town).to_numpy()).all()
    # the GCJ-02 values really are shifted (hundreds of metres around Beijing)
    shift_m = np.hypot((g["lon"].to_numpy() - lon) * 85_000, (g["lat"].to_numpy() - lat) * 111_000)
    assert shift_m.min() > 100


def test_address_only_rows_name_a_building_park_or_community(default_demo, district):
    o = default_demo.orgs
    nocoord = o[o["lon"].isna()]
    assert nocoord["lat"].isna().all() and nocoord["crs"].isna().all()
    places = set(default_demo.buildings["name"]) | set(default_demo.parks["name"])
    cores = {_community_short(n) for n in district.communities["name"]}
    names_place = nocoord["address"].map(lambda a: any(p in a for p in places | cores))
    assert names_place.mean() > 0.95
    assert o["address"].str.startswith("顺义区").all()
    in_building = o[o["building"].notna()]
    assert (in_building.apply(lambda r: r["building"] in r["address"], axis=1)).all()


def test_orgs_cluster_in_buildings_parks_and_streets(default_demo, district):
    o = default_demo.orgs
    assert 0.1 < o["building"].notna().mean() < 0.35
    assert 0.08 < o["park"].notna().mean() < 0.3
    kinds = district.jurisdictions.set_index("code")["kind"]
    kind = o["town"].map(district.resolve_town).map(kinds)
    area = district.jurisdictions.to_crs(3857).set_index("code").area
    density = o["town"].map(district.resolve_town).value_counts() / area
    dens_kind = density.groupby(kinds).mean()
    assert dens_kind["街道"] > 3 * dens_kind["镇"]
    assert set(kind.unique()) == {"街道", "地区", "镇"}


# ------------------------------------------------------------------ codes and names
def test_credit_codes_are_valid_and_unique(default_demo):
    o = default_demo.orgs
    codes = o["credit_code"].dropna()
    assert codes.is_unique
    assert codes.map(is_valid_credit_code).all()
    assert codes.str.len().eq(18).all()
    assert (codes.str[2:8] == "110113").all()
    ent = o.loc[o["kind"] == "非公企业", "credit_code"]
    assert ent.notna().all() and ent.str[0].eq("9").all()
    soc = o.loc[o["kind"] == "社会组织", "credit_code"].dropna()
    assert soc.str[0].eq("5").all()
    # GB 11714 check character inside (positions 9-17)
    org = codes.str[8:17]
    assert (org.str[8] == org.str[:8].map(_gb11714_check)).all()
    # a few social orgs without code, no enterprise
    missing = o["credit_code"].isna()
    assert 0 < missing.sum() < 0.05 * len(o)
    assert (o.loc[missing, "kind"] == "社会组织").all()
    assert o["name"].is_unique


def test_gb11714_helper_known_answer():
    # 12345678: 3+14+27+40+25+48+28+16 = 201; 201 mod 11 = 3; 11 - 3 = 8
    assert _gb11714_check("12345678") == "8"
    assert check_char("91110113" + "12345678" + "8") in CHARSET


# ------------------------------------------------------------------ skeleton tables
def test_buildings_parks_centers(default_demo, district):
    b, p, c = default_demo.buildings, default_demo.parks, default_demo.centers
    kinds = district.jurisdictions.set_index("code")["kind"]
    assert 40 <= len(b) <= 60 and b["name"].is_unique
    assert b["name"].str.contains("大厦|中心|广场|楼").all()
    assert set(b["town"].map(district.resolve_town).map(kinds)) <= {"街道", "地区"}
    assert (b["floor_area"] > 0).all() and b["workstation"].any() and not b["workstation"].all()
    assert 8 <= len(p) <= 12 and set(p["level"]) <= set(PARK_LEVELS)
    assert p["committee"].any() and not p["committee"].all()
    assert set(c["level"]) <= set(CENTER_LEVELS)
    for frame in (b, p, c):
        code = frame["town"].map(district.resolve_town)
        assert (district.assign(frame["lon"].to_numpy(), frame["lat"].to_numpy()) == code.to_numpy()).all()
    assert set(c["level"]) >= {"区级", "镇级", "街道级", "园区", "社区", "楼宇"}


def test_centers_have_gaps_against_the_profile_standard(default_demo, district):
    prof = load_profile()
    c = default_demo.centers
    d = c[c["level"] == "区级"]
    assert len(d) == 1
    assert d["town"].iat[0] in ("胜利街道", "光明街道")
    assert 1500 <= d["floor_area"].iat[0] <= 2000
    town = c[c["level"].isin(["镇级", "街道级"])]
    req = np.where(town["level"] == "街道级", prof.get("venues.required_m2_street"), prof.get("venues.required_m2_town"))
    below = town["floor_area"].to_numpy() < req
    assert 2 <= below.sum() < len(town)
    covered = set(town["town"].map(district.resolve_town))
    assert 1 <= len(set(district.jurisdictions["code"]) - covered) <= 5
    assert (town.loc[town["level"] == "街道级", "town"].map(district.resolve_town)
            .map(district.jurisdictions.set_index("code")["kind"]) == "街道").all()
    six = c[list(SIX_HAS)]
    assert 0.75 < six.to_numpy().mean() < 0.99


def test_profile_drives_the_area_standard():
    prof = load_profile().with_values({"venues.required_m2_street": 3000.0})
    c = generate_demo(10, seed=3, profile=prof).centers
    street = c.loc[c["level"] == "街道级", "floor_area"]
    assert len(street) and (street >= 0.45 * 3000 - 10).all()


def test_profile_name_and_thresholds_drive_the_orgs():
    by_name = generate_demo(300, seed=3, profile="shunyi-2017")
    pd.testing.assert_frame_equal(by_name.orgs, generate_demo(300, seed=3).orgs)
    prof = load_profile().with_values({"thresholds.own_org_min_members": 5})
    o = generate_demo(3000, seed=3, profile=prof).orgs
    assert (o.loc[o["party_status"] == "单独建立", "members"] >= 5).all()
    few = o["clear_reason"] == "正式党员不足5名"
    assert few.any() and o.loc[few, "members"].between(1, 4).all()
    assert not o["clear_reason"].eq("正式党员不足3名").any()


def test_every_record_is_flagged_as_demo(default_demo):
    for kind, frame in default_demo.frames().items():
        assert (frame["source"] == DEMO_FLAG).all(), kind


def test_buildings_snapshot_matches_the_generator(default_demo):
    path = ROOT / "data" / "buildings" / "shunyi_demo_buildings.csv"
    assert path.read_text(encoding="utf-8") == buildings_csv_text(default_demo)
    assert "合成" in (ROOT / "data" / "buildings" / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ adapters and errors
def test_to_ledger_frame_headers_and_bools(default_demo):
    f = to_ledger_frame(default_demo.buildings, "buildings")
    assert list(f.columns) == list(BUILDING_SCHEMA.headers)
    assert set(f["楼宇工作站"]) == {"是", "否"}
    assert list(to_ledger_frame(default_demo.orgs, "orgs").columns) == list(ORG_SCHEMA.headers)
    with pytest.raises(LianxinError, match="未知台账类型"):
        to_ledger_frame(default_demo.orgs, "people")


def test_bad_arguments_raise_chinese_errors():
    with pytest.raises(LianxinError, match="n_orgs"):
        generate_demo(-1)
    assert len(generate_demo(0).orgs) == 0


# ------------------------------------------------------------------ files
def test_write_demo_files_are_deterministic_and_read_back(tmp_path, district):
    a = write_demo(tmp_path / "a", n_orgs=300, seed=9)
    b = write_demo(tmp_path / "b", n_orgs=300, seed=9)
    assert set(a) == {"orgs", "buildings", "parks", "centers", "boundaries", "outline", "readme"}
    for key, path in a.items():
        assert path.exists(), key
        assert path.read_bytes() == b[key].read_bytes(), key
    data = generate_demo(300, seed=9)
    n_missing_codes = int(data.orgs["credit_code"].isna().sum())
    for kind in ("orgs", "buildings", "parks", "centers"):
        res = read_ledger(a[kind], kind, district=district)
        assert res.rows_in == len(data.frames()[kind])
        assert len(res.rejected) == 0, kind
        errors = [i for i in res.issues if i.severity == "error"]
        assert errors == [], kind
        warnings = [i for i in res.issues if i.severity == "warning"]
        # the only warnings are the social orgs written without a credit code on purpose
        assert len(warnings) == (n_missing_codes if kind == "orgs" else 0), [w.reason for w in warnings][:3]
    with zipfile.ZipFile(a["orgs"]) as z:
        core = z.read("docProps/core.xml").decode()
        assert "2017-06-02" in core
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    from openpyxl import load_workbook

    ws = load_workbook(a["orgs"]).active
    assert ws["A1"].value == ORG_TITLE
    assert ws["A2"].value == "统一社会信用代码"
    assert ws.freeze_panes == "A3"
    assert sheet
    gj = json.loads(a["boundaries"].read_text(encoding="utf-8"))
    assert len(gj["features"]) == 25
    assert all(f["properties"]["approximate"] is True for f in gj["features"])
    readme = a["readme"].read_text(encoding="utf-8")
    assert "合成" in readme and "示意边界" in readme and str(9) in readme


def test_write_demo_flaws_are_rejected_or_flagged(tmp_path, district):
    data = generate_demo(200, seed=4, flaws=True)
    assert len(data.flaws) == 8
    assert set(data.flaws["row"]) == set(range(192, 200))
    town_row = data.orgs.iloc[int(data.flaws.loc[data.flaws["column"] == "town", "row"].iat[0])]
    lon, lat = to_wgs84(np.array([town_row["lon"]]), np.array([town_row["lat"]]), town_row["crs"])
    assert district.assign(lon, lat)[0] != district.resolve_town(town_row["town"])
    files = write_demo(tmp_path, n_orgs=200, seed=4, flaws=True)
    res = read_ledger(files["orgs"], "orgs", district=district)
    assert res.rows_in == 200
    excel_row = {int(r) + 3: col for r, col in zip(data.flaws["row"], data.flaws["column"])}  # title + header rows
    rejected = set(res.rejected["row"].astype(int))
    assert rejected <= set(excel_row)
    by_col = {col: r for r, col in excel_row.items()}
    assert by_col["name"] in rejected and by_col["kind"] in rejected
    flagged = {i.row for i in res.issues if i.row in excel_row}
    assert len(flagged) >= 6
    assert "故意设置的错误行" in files["readme"].read_text(encoding="utf-8")


def test_write_demo_switches_to_csv_for_large_ledgers(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_write, "CSV_THRESHOLD", 50)
    calls = []
    files = write_demo(tmp_path, n_orgs=60, seed=2, progress=lambda m, f: calls.append(f))
    assert files["orgs"].name == "orgs.csv"
    raw = files["orgs"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].split(",")[:2] == ["统一社会信用代码", "单位名称"]
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)
    assert "orgs.csv" in files["readme"].read_text(encoding="utf-8")


# ------------------------------------------------------------------ property
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 250))
def test_invariants_hold_for_any_seed(district, seed, n):
    d = generate_demo(n, seed=seed, district=district)
    o = d.orgs
    assert len(o) == n
    has = o["lon"].notna().to_numpy()
    lon, lat = _wgs(o)
    assert (district.assign(lon[has], lat[has]) == o.loc[has, "town"].map(district.resolve_town).to_numpy()).all()
    codes = o["credit_code"].dropna()
    assert codes.is_unique and codes.map(is_valid_credit_code).all()
    assert o["name"].is_unique
    sizes = o["joint_org_id"].value_counts()
    assert sizes.empty or sizes.between(2, 15).all()
    assert (o["source"] == DEMO_FLAG).all()
    assert DEFAULT_SEED == 20170602
