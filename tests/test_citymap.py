"""The city drill-down presenter (present/citymap): reading a city run, the layers, their colours against the
profile's target, escaping, and the tables.

The trees are built here over the real city boundaries (:func:`load_city`) with rates chosen so that a wrong
colour, a wrong target or an unescaped name fails.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.policy import load_profile
from lianxin_geo.ingest.city import load_city
from lianxin_geo.present import citymap
from lianxin_geo.present.style import RATE_MISSING, RATE_RAMP, RATE_TARGET_MET, rate_color

pytest.importorskip("folium")

CITY = load_city()
EVIL = "<script>alert(1)</script>区"


def _tree(*, plans: bool = True, evil: bool = False) -> dict:
    """A city tree over the 16 real districts: district i has rate i/16 (the last one 1.0), its towns 0.5."""
    districts = []
    jur = CITY.jurisdictions
    for i, (code, name) in enumerate(CITY.district_names.items()):
        towns = jur[jur["district_code"] == code]
        node = {"code": code, "name": EVIL if evil and i == 2 else name, "orgs": 100 + i, "uncovered": i,
                "org_coverage_rate": (i + 1) / 16, "work_coverage_rate": 0.5,
                "towns": [{"code": t, "name": n, "orgs": 10, "org_coverage_rate": 0.5 if k else None,
                           "work_coverage_rate": 0.6, "uncovered": 1}
                          for k, (t, n) in enumerate(zip(towns["code"], towns["name"]))]}
        if plans:
            node.update(folder=f"districts/{code}", plans={"joint_units": i, "routes": 2 * i, "route_km": 10.5 * i,
                                                            "new_sites": 3}, partial=i == 5,
                        failures=[{"key": "x", "label": "某镇", "reason": "路线求解失败"}] if i == 5 else [])
        districts.append(node)
    doc = {"city": {"code": "110000", "name": "北京市", "orgs": 2000, "org_coverage_rate": 0.4,
                    "work_coverage_rate": 0.7, "uncovered": 50, "districts": districts},
           "notes": ["演示数据（合成），非真实台账 / synthetic demo data, not a real ledger"]}
    if plans:
        doc.update(kind=citymap.CITY_RUN_KIND, partial=True, failures=[], seconds=12.5, stages={"joint": 1.0})
    return doc


def _js(text: str) -> str:
    """``text`` as folium writes it inside the map's JSON (non-ASCII and ``<>&`` as ``\\uXXXX``)."""
    return "".join(c if c.isascii() and c not in "<>&" else f"\\u{ord(c):04x}" for c in text)


def _features(group) -> list[dict]:
    """The GeoJSON features of a layer group built by citymap."""
    out = []
    for child in group._children.values():
        data = getattr(child, "data", None)
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            out += data["features"]
    return out


def test_reads_a_run_and_an_assess_tree(tmp_path):
    (tmp_path / "city.json").write_text(json.dumps(_tree(), ensure_ascii=False), encoding="utf-8")
    run = citymap.read_city_run(tmp_path)
    assert run.kind == citymap.CITY_RUN_KIND and run.has_plans and run.partial and run.synthetic
    assert len(run.districts) == 16 and run.district("110105").name == "朝阳区"
    d5 = run.districts[5]
    assert d5.partial and d5.failures == ("某镇：路线求解失败",)
    assert run.districts[3].route_km == pytest.approx(31.5) and run.districts[3].routes == 6
    assert run.labels() == ["演示数据（合成）", "镇街边界为示意"]
    bare = citymap.city_run_from_doc(_tree(plans=False))
    assert not bare.has_plans and not bare.partial and bare.folder is None
    with pytest.raises(KeyError):
        bare.district("999999")


def test_refuses_a_demo_folder_and_a_missing_file(tmp_path):
    with pytest.raises(LianxinError, match="没有 city.json"):
        citymap.read_city_run(tmp_path)
    (tmp_path / "city.json").write_text(json.dumps({"city": "110000", "districts": [{"code": "110101"}]}),
                                        encoding="utf-8")
    with pytest.raises(LianxinError, match="演示数据目录"):
        citymap.read_city_run(tmp_path)
    (tmp_path / "city.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LianxinError, match="不是有效的 JSON"):
        citymap.read_city_run(tmp_path)


def test_a_district_folder_never_leaves_the_run(tmp_path):
    doc = _tree()
    doc["city"]["districts"][0]["folder"] = "../../etc"
    (tmp_path / "districts" / "110102").mkdir(parents=True)
    run = citymap.city_run_from_doc(doc, folder=tmp_path)
    assert run.district_folder("110101") is None
    assert run.district_folder("110102") == (tmp_path / "districts" / "110102").resolve()


def test_districts_are_coloured_against_the_profiles_target():
    run = citymap.city_run_from_doc(_tree())
    for profile in ("shunyi-2017", "national-2018"):
        target = citymap.city_target(load_profile(profile))
        assert target == load_profile(profile).get("targets.enterprise")
        feats = _features(citymap.districts_layer(CITY, run, target=target))
        assert len(feats) == 16
        by_name = {f["properties"]["name"]: f["properties"] for f in feats}
        for d in run.districts:
            assert by_name[d.name]["_fill"] == rate_color(d.org_coverage_rate, target)
            assert by_name[d.name]["rate"] == f"{d.org_coverage_rate:.1%}"
    # a different target moves a district across the line: 15/16 = 93.75 % meets 90 %, not 100 %
    d = run.districts[14]
    assert rate_color(d.org_coverage_rate, 0.9) == RATE_TARGET_MET
    assert rate_color(d.org_coverage_rate, 1.0) == RATE_RAMP[3]
    assert rate_color(run.districts[0].org_coverage_rate, 0.9) == RATE_RAMP[0]  # 6.25 % of a 90 % target


def test_a_districts_towns_layer_and_legends():
    run = citymap.city_run_from_doc(_tree())
    code = "110105"
    layers = citymap.towns_layers(CITY, run, code, target=0.9)
    feats = _features(layers.groups[0])
    towns = run.district(code).children
    assert len(feats) == len(towns) == int((CITY.jurisdictions["district_code"] == code).sum())
    fills = [f["properties"]["_fill"] for f in feats]
    assert fills[0] == RATE_MISSING and set(fills[1:]) == {rate_color(0.5, 0.9)}  # the first town has no rate
    assert all("示意" in f["properties"]["note"] for f in feats)
    assert "组织覆盖率（镇街）" in layers.legend_html() and "目标 90&#37;" in layers.legend_html()
    city_level = citymap.towns_layers(CITY, run, None, target=0.9)
    assert city_level.groups == [] and "组织覆盖率（区）" in city_level.legend_html()
    assert "虚线" not in city_level.legend_html()  # district outlines are real


def test_names_are_escaped_in_every_html_piece():
    run = citymap.city_run_from_doc(_tree(evil=True))
    html = citymap.city_map(CITY, run, target=0.9).get_root().render()
    # folium writes the layers as JSON: a raw name would be "\u003cscript\u003e", decoded into the page as a tag
    assert "<script>alert(1)" not in html and _js("<script>alert(1)") not in html
    assert html.count(_js("&lt;script&gt;alert(1)&lt;/script&gt;区")) >= 3  # label, tooltip/popup data, style
    # the table is data for Streamlit's grid, which shows cells as text: the name stays as it is, unescaped
    assert citymap.area_table(run.districts)["区"].iloc[2] == EVIL


def test_the_map_of_a_level_renders_with_its_honesty_note():
    run = citymap.city_run_from_doc(_tree())
    html = citymap.city_map(CITY, run, district="110105", target=0.9).get_root().render()
    assert "演示数据（合成） / 镇街边界为示意" in html
    assert _js("建外街道") in html and _js("朝阳区") in html
    assert "lx-legend" in html and "__lx_ctl" in html
    # the view is the district's, not the city's
    fit = re.findall(r"fitBounds\(\s*\[\[([\d.]+),\s*([\d.]+)\],\s*\[([\d.]+),\s*([\d.]+)\]\]", html)
    minx, miny, maxx, maxy = CITY.subdistrict("110105").bounds
    assert fit and abs(float(fit[-1][0]) - miny) < 1e-6 and abs(float(fit[-1][3]) - maxx) < 1e-6
    with pytest.raises(ValueError, match="未知底图"):
        citymap.city_base_map(CITY, run, target=0.9, basemap="google")


def test_tables_show_percentages_and_dashes_for_missing_plans():
    run = citymap.city_run_from_doc(_tree(plans=False))
    tab = citymap.area_table(run.districts, level="district")
    assert list(tab.columns) == ["区", "组织数", "组织覆盖率", "工作覆盖率", "未覆盖", "联建单位", "路线", "新址"]
    assert tab["联建单位"].isna().all()
    html = citymap.style_table(tab).to_html()
    assert "6.2%" in html and "100.0%" in html and "—" in html
    towns = citymap.area_table(run.district("110105").children, level="town")
    assert towns.columns[0] == "镇街" and pd.isna(towns["组织覆盖率"].iloc[0])
    full = citymap.area_table(citymap.city_run_from_doc(_tree()).districts)
    assert full["路线"].tolist() == [2 * i for i in range(16)]


def test_a_click_names_a_district_only():
    run = citymap.city_run_from_doc(_tree())
    assert citymap.clicked_district(run, "区 朝阳区\n组织覆盖率 18.0%") == "110105"
    assert citymap.clicked_district(run, "区 石景山区 组织覆盖率 1%") == "110107"
    assert citymap.clicked_district(run, "乡镇/街道 建外街道 组织覆盖率 44.4%") is None
    assert citymap.clicked_district(run, "北京星河公司") is None and citymap.clicked_district(run, None) is None
