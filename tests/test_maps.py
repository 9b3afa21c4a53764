"""folium layers: escaping, offline assets, datum shift, filters, layer contents (crafted frames, no demo)."""

from __future__ import annotations

import json
import re
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

folium = pytest.importorskip("folium")

from conftest import make_box_district  # noqa: E402
from lianxin_geo.core.crs import wgs84_to_gcj02  # noqa: E402
from lianxin_geo.core.district import District  # noqa: E402
from lianxin_geo.plan.coverage import CoveragePlan, VenueReport  # noqa: E402
from lianxin_geo.plan.coverage.sites import PROPOSED_COLUMNS  # noqa: E402
from lianxin_geo.plan.joint import JointParams, JointPlan  # noqa: E402
from lianxin_geo.plan.joint.result import (  # noqa: E402
    KEPT_COLUMNS, UNIT_COLUMNS, UNPLACED_COLUMNS, VIOLATION_COLUMNS,
)
from lianxin_geo.plan.routes import InstructorParams, InstructorPlan  # noqa: E402
from lianxin_geo.plan.routes.result import (  # noqa: E402
    ROUTE_COLUMNS, STOP_COLUMNS, TOWN_COLUMNS, UNASSIGNED_COLUMNS,
)
from lianxin_geo.present import assets as _assets  # noqa: E402
from lianxin_geo.present import maps  # noqa: E402

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def district() -> District:
    return make_box_district([("110113001", "西街道", "街道", (116.5, 40.0, 116.6, 40.1)),
                              ("110113002", XSS + "镇", "镇", (116.6, 40.0, 116.7, 40.1))],
                             mca_names=["西街道", "东镇"])


def _orgs(n: int = 6) -> pd.DataFrame:
    lon = np.array([116.55, 116.56, 116.65, 116.66, 116.67, np.nan])[:n]
    return pd.DataFrame({
        "id": [f"O{i}" for i in range(n)],
        "name": [XSS] + [f"公司{i}" for i in range(1, n)],
        "lon": lon, "lat": [40.05] * n,
        "jurisdiction_code": ["110113001", "110113001", "110113002", "110113002", "110113002", None][:n],
        "jurisdiction_name": ["西街道", "西街道", "东镇", "东镇", "东镇", None][:n],
        "kind": ["非公企业", "社会组织", "非公企业", "非公企业", "社会组织", "非公企业"][:n],
        "industry": ["I65", "P", "I64", "C", "I65", "F"][:n],
        "members": [0, 3, 1, 0, 5, 0][:n], "employees": [10, 40, 120, 5, 60, 8][:n],
        "party_status": ["未建立", "单独建立", "联合建立", "未建立", "单独建立", "未建立"][:n],
        "instructor": [None, None, None, "张三", None, None][:n],
    })


@pytest.fixture()
def ws(district):
    centers = pd.DataFrame({"id": ["C1"], "name": ["<b>中心</b>"], "lon": [116.6], "lat": [40.05], "level": ["镇级"],
                            "floor_area": [1300.0]})
    return types.SimpleNamespace(district=district, orgs=_orgs(), buildings=pd.DataFrame(), parks=pd.DataFrame(),
                                 centers=centers, data_notes=["演示数据（合成）", "示意边界 <script>x</script>"])


def _geojsons(html: str) -> list[dict]:
    """Every GeoJSON FeatureCollection embedded in the rendered map (``geo_json_<id>_add({...})``)."""
    dec = json.JSONDecoder()
    out = []
    for m in re.finditer(r"geo_json_[0-9a-f]+_add\(", html):
        try:
            doc, _ = dec.raw_decode(html, m.end())
        except json.JSONDecodeError:
            continue
        out.append(doc)
    return out


def _features(html: str) -> list[dict]:
    return [f for fc in _geojsons(html) for f in fc.get("features", [])]


def test_org_status_fallback_and_assessment():
    orgs = _orgs()
    st = maps.org_status(orgs)
    assert st.tolist() == ["未覆盖", "单独建立", "联合建立", "仅工作覆盖", "单独建立", "未定位"]
    a = types.SimpleNamespace(orgs=pd.DataFrame({"id": ["O0", "O1"], "status": ["联合建立", "未覆盖"]}))
    st2 = maps.org_status(orgs, a)
    assert st2.tolist()[:2] == ["联合建立", "未覆盖"]
    assert st2.tolist()[2] == "未覆盖"  # not in the assessment


def test_filter_orgs_by_town_kind_industry_status():
    orgs = _orgs()
    f = maps.filter_orgs
    assert len(f(orgs, maps.MapFilters(towns=("110113002",)))) == 3
    assert len(f(orgs, maps.MapFilters(towns=("西街道",)))) == 2
    assert len(f(orgs, maps.MapFilters(kinds=("社会组织",)))) == 2
    assert f(orgs, maps.MapFilters(industries=("I",)))["id"].tolist() == ["O0", "O2", "O4"]
    assert f(orgs, maps.MapFilters(statuses=("单独建立",)))["id"].tolist() == ["O1", "O4"]
    assert len(f(orgs, maps.MapFilters(towns=("110113002",), kinds=("社会组织",)))) == 1
    assert len(f(orgs, None)) == len(orgs)


@settings(max_examples=30, deadline=None)
@given(hst.sets(hst.sampled_from(["110113001", "110113002"])), hst.sets(hst.sampled_from(["非公企业", "社会组织"])))
def test_filters_are_subsets_and_intersections(towns, kinds):
    orgs = _orgs()
    a = maps.filter_orgs(orgs, maps.MapFilters(towns=tuple(towns)))
    b = maps.filter_orgs(orgs, maps.MapFilters(kinds=tuple(kinds)))
    both = maps.filter_orgs(orgs, maps.MapFilters(towns=tuple(towns), kinds=tuple(kinds)))
    assert set(both["id"]) == set(a["id"]) & set(b["id"])
    assert set(a["id"]) <= set(orgs["id"])


def test_every_user_string_is_escaped(ws):
    m = maps.build_map(ws, layers=list(maps.LAYERS))
    html = maps.map_html(m)
    assert XSS not in html
    assert "<b>中心</b>" not in html
    assert "<script>x</script>" not in html
    names = [f["properties"].get("name") for f in _features(html)]
    assert "&lt;img src=x onerror=alert(1)&gt;" in names  # the org
    assert "&lt;img src=x onerror=alert(1)&gt;镇" in names  # the town from a boundary file
    assert "&lt;b&gt;中心&lt;/b&gt;" in names


@given(hst.text(min_size=1, max_size=30))
@settings(max_examples=40, deadline=None)
def test_esc_never_leaves_markup(text):
    out = maps.esc(text)
    assert "<" not in out and ">" not in out and '"' not in out
    import html

    assert html.unescape(out) == text


def test_offline_no_external_asset(ws):
    m = maps.build_map(ws, layers=list(maps.LAYERS), basemap="none")
    html = maps.map_html(m)
    assert _assets.external_urls(html) == []
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html and "code.jquery" not in html
    assert 'data-asset="leaflet"' in html and 'data-asset="leaflet_css"' in html
    assert "tile.openstreetmap" not in html and "autonavi" not in html and "tianditu" not in html


def test_app_assets_point_at_local_route(ws):
    m = maps.build_map(ws, layers=("orgs",), asset_base="../lianxin_geo.present.assets.assets")
    links = [u for el in _assets._walk(m) for attr in ("default_js", "default_css")
             for _, u in getattr(el, attr, None) or []]
    assert links and all(u.startswith("../lianxin_geo.present.assets.assets/") for u in links)
    for u in links:
        assert (_assets.STATIC_DIR / u.split("assets/", 1)[1]).is_file()
    for lic in ("leaflet/LICENSE", "markercluster/LICENSE"):
        assert (_assets.STATIC_DIR / lic).is_file()


def test_orgs_layer_one_point_per_located_org(ws):
    html = maps.map_html(maps.build_map(ws, layers=("orgs",), labels=False))
    pts = [f for f in _features(html) if f["geometry"]["type"] == "Point"]
    assert len(pts) == 5  # O5 has no coordinates
    assert {p["properties"]["status"] for p in pts} == {"未覆盖", "单独建立", "联合建立", "仅工作覆盖"}
    # canvas rendering, no Marker per org
    assert "preferCanvas\": true" in html or "preferCanvas: true" in html
    assert html.count("L.marker(") == 0
    # town labels are the only markers: one per town
    assert maps.map_html(maps.build_map(ws, layers=("orgs",))).count("L.marker(") == len(ws.district.jurisdictions)


def test_filters_change_the_layer(ws):
    html = maps.map_html(maps.build_map(ws, layers=("orgs",), filters=maps.MapFilters(towns=("110113002",))))
    pts = [f for f in _features(html) if f["geometry"]["type"] == "Point"]
    assert sorted(p["properties"]["id"] for p in pts) == ["O2", "O3", "O4"]


def test_amap_shifts_every_layer_to_gcj02(ws):
    plain = _features(maps.map_html(maps.build_map(ws, layers=("orgs", "boundaries"))))
    shifted = _features(maps.map_html(maps.build_map(ws, layers=("orgs", "boundaries"), basemap="amap")))
    p0 = next(f for f in plain if f["properties"].get("id") == "O1")["geometry"]["coordinates"]
    p1 = next(f for f in shifted if f["properties"].get("id") == "O1")["geometry"]["coordinates"]
    glon, glat = wgs84_to_gcj02(116.56, 40.05)
    assert p0 == pytest.approx([116.56, 40.05], abs=1e-6)
    assert p1 == pytest.approx([glon, glat], abs=1e-6)
    b0 = next(f for f in plain if f["properties"].get("code") == "110113001")["geometry"]["coordinates"][0][0]
    b1 = next(f for f in shifted if f["properties"].get("code") == "110113001")["geometry"]["coordinates"][0][0]
    assert b1 == pytest.approx(list(wgs84_to_gcj02(*b0)), abs=1e-6)


def test_basemap_choices(ws):
    html = maps.build_map(ws, layers=(), basemap="osm").get_root().render()
    assert "openstreetmap" in html.lower()
    with pytest.raises(ValueError, match="密钥"):
        maps.build_map(ws, layers=(), basemap="tianditu")
    html = maps.build_map(ws, layers=(), basemap="tianditu", tianditu_key="abc").get_root().render()
    assert "tianditu.gov.cn" in html and "tk=abc" in html
    with pytest.raises(ValueError, match="未知底图"):
        maps.build_map(ws, layers=(), basemap="google")


def test_choropleth_colours_and_approximate_label(ws):
    rates = pd.DataFrame({"code": ["110113001", "110113002"], "org_coverage_rate": [0.95, 0.10]})
    html = maps.map_html(maps.build_map(ws, layers=("boundaries",), rates=rates, target=0.9))
    polys = {f["properties"]["code"]: f["properties"] for f in _features(html)
             if f["geometry"]["type"] in ("Polygon", "MultiPolygon")}
    assert polys["110113001"]["rate"] == "95.0%" and polys["110113001"]["_fill"] == "#1a9641"
    assert polys["110113002"]["_fill"] == "#d7191c"
    assert all(p["note"].startswith("示意边界") for p in polys.values())
    assert "示意边界 &lt;script&gt;" in html  # the notes box, escaped


def _frame(columns, rows) -> pd.DataFrame:
    """A frame with every column of a typed result, the given values filled in (the rest missing)."""
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))


def _typed_plans():
    """Small typed results (the planners' result classes, built by hand) for the layer tests.

    The route's stops carry their coordinates (as the planner gives them); a third visit without coordinates
    is not drawn.
    """
    orgs = _orgs()
    where = {i: (x, y) for i, x, y in zip(orgs["id"], orgs["lon"], orgs["lat"])}

    joint = JointPlan(
        units=_frame(UNIT_COLUMNS, [{"unit_id": "U1", "jurisdiction_code": "110113002", "industry": "I",
                                     "org_ids": ("O2", "O3", "O4"), "hub_id": "O2", "members": 6, "employees": 185,
                                     "radius_m": 900.0}]),
        unplaced=_frame(UNPLACED_COLUMNS, []), kept_units=_frame(KEPT_COLUMNS, []),
        violations=_frame(VIOLATION_COLUMNS, []), stats={}, params=JointParams.from_profile())
    routes = InstructorPlan(
        routes=_frame(ROUTE_COLUMNS, [{"instructor_id": "Z1", "jurisdiction_code": "110113001", "base_name": "中心",
                                       "base_lon": 116.6, "base_lat": 40.05, "org_ids": ("O0", "O1"), "stops": 2,
                                       "length_km": 3.2, "minutes": 70.0}]),
        stops=_frame(STOP_COLUMNS, [{"instructor_id": "Z1", "order": k + 1, "org_id": o, "name": o,
                                     "lon": where[o][0], "lat": where[o][1]}
                                    for k, o in enumerate(("O0", "O1"))]
                     + [{"instructor_id": "Z1", "order": 3, "org_id": "LJ-X", "name": "新建联合党组织"}]),
        unassigned=_frame(UNASSIGNED_COLUMNS, []), towns=_frame(TOWN_COLUMNS, []), stats={},
        params=InstructorParams.from_profile())
    empty = pd.DataFrame()
    cov = CoveragePlan(
        orgs=empty, centers=pd.DataFrame({"id": ["C1"], "reach_m": [1500.0]}), jurisdictions=empty, district={},
        gaps=pd.DataFrame({"cell_id": ["HX8:a"], "lon": [116.55], "lat": [40.05], "orgs": [2], "employees": [50.0]}),
        proposed_sites=_frame(PROPOSED_COLUMNS, [{"site_id": "S1", "name": XSS, "kind": "楼宇", "lon": 116.65,
                                                  "lat": 40.06, "newly_covered_orgs": 3}]),
        venues=VenueReport(jurisdictions=empty, centers=empty, parks_without_center=empty),
        buildings_uncovered=empty, stats={})  # no grid: the gaps are drawn as circles at the cell centres
    return joint, routes, cov


def test_units_routes_gaps_sites_layers(ws):
    joint, routes, cov = _typed_plans()
    m = maps.build_map(ws, layers=("units", "routes", "gaps", "sites", "centers"),
                       plans={"joint": joint, "routes": routes, "coverage": cov})
    html = maps.map_html(m)
    feats = _features(html)
    lines = [f for f in feats if f["geometry"]["type"] == "MultiLineString"]
    assert len(lines) == 1 and len(lines[0]["geometry"]["coordinates"]) == 3
    assert lines[0]["properties"]["radius"] == "900 米" and lines[0]["properties"]["n"] == "3"
    route = next(f for f in feats if f["geometry"]["type"] == "LineString")
    assert len(route["geometry"]["coordinates"]) == 4  # base, 2 stops, base
    assert route["properties"]["km"] == "3.2" and route["properties"]["min"] == "70"
    stops = [f for f in feats if f["properties"].get("no")]
    assert [s["properties"]["no"] for s in stops] == ["1", "2"]
    assert html.count("lx-stop") == 2  # a numbered label per stop
    assert any(f["properties"].get("cell") == "HX8:a" for f in feats)
    site = next(f for f in feats if "newly" in f["properties"])
    assert site["properties"]["name"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert site["properties"]["newly"] == "3"  # the orgs the new site newly covers
    center = next(f for f in feats if f["properties"].get("level") == "镇级")
    assert center["properties"]["reach"] == "1500 米"  # the coverage plan's reach of that center
    assert XSS not in html


def test_presenters_refuse_plan_json(ws):
    joint, _, cov = _typed_plans()
    with pytest.raises(TypeError, match="JointPlan"):
        maps.build_map(ws, layers=("units",), plans={"joint": {"units": []}})  # a to_json() dict
    with pytest.raises(TypeError, match="CoveragePlan"):
        maps.build_map(ws, layers=("gaps",), plans={"coverage": joint})
    with pytest.raises(ValueError, match="plans"):
        maps.build_map(ws, plans={"joints": joint})
    m = maps.build_map(ws, layers=("gaps",), plans={"coverage": cov, "routes": None})  # a missing plan is no plan
    assert any(f["properties"].get("cell") == "HX8:a" for f in _features(maps.map_html(m)))


def test_route_stop_of_a_new_joint_unit_is_drawn(ws):
    """A route visiting a new joint unit (an id not in the org ledger) draws that stop at its coordinates."""
    import dataclasses

    _, routes, _ = _typed_plans()
    stops = routes.stops.copy()
    stops.loc[stops["org_id"] == "LJ-X", ["lon", "lat"]] = [116.61, 40.06]
    routes = dataclasses.replace(routes, stops=stops)
    html = maps.map_html(maps.build_map(ws, layers=("routes",), plans={"routes": routes}))
    feats = _features(html)
    route = next(f for f in feats if f["geometry"]["type"] == "LineString")
    assert len(route["geometry"]["coordinates"]) == 5  # base, 3 stops, base
    names = [f["properties"].get("name") for f in feats if f["properties"].get("no")]
    assert names == ["O0", "O1", "新建联合党组织"]


def _two_unit_two_route_plans():
    """Two units and two instructors, the second instructor's two stops on one spot."""
    joint, routes, _ = _typed_plans()
    units = pd.concat([joint.units, _frame(UNIT_COLUMNS, [{"unit_id": "U2", "jurisdiction_code": "110113001",
                                                          "industry": "P", "org_ids": ("O0", "O1"), "hub_id": "O0",
                                                          "members": 3, "employees": 50, "radius_m": 800.0}])],
                      ignore_index=True)
    import dataclasses

    joint = dataclasses.replace(joint, units=units)
    r2 = _frame(ROUTE_COLUMNS, [{"instructor_id": "Z2", "jurisdiction_code": "110113002", "base_name": "中心",
                                 "base_lon": 116.62, "base_lat": 40.05, "org_ids": ("O2", "O3"), "stops": 2,
                                 "length_km": 1.0, "minutes": 30.0}])
    s2 = _frame(STOP_COLUMNS, [{"instructor_id": "Z2", "order": k + 1, "org_id": o, "name": o, "lon": 116.65,
                                "lat": 40.05} for k, o in enumerate(("O2", "O3"))])
    rt = pd.concat([routes.routes, r2], ignore_index=True).assign(route_id=["Z1-1", "Z2-1"])
    st = pd.concat([routes.stops, s2], ignore_index=True)
    routes = dataclasses.replace(routes, routes=rt, stops=st.assign(route_id=st["instructor_id"] + "-1"))
    return joint, routes


def test_a_selected_unit_or_route_fades_the_rest_and_spreads_its_stops(ws):
    joint, routes = _two_unit_two_route_plans()
    feats = _features(maps.map_html(maps.build_map(ws, layers=("units",), plans={"joint": joint},
                                                   selected_unit="U2")))
    lines = {f["properties"]["unit"]: f["properties"] for f in feats if f["geometry"]["type"] == "MultiLineString"}
    assert lines["U2"]["_o"] == 0.9 and lines["U2"]["_w"] == 4
    assert lines["U1"]["_o"] == 0.15  # faded, still drawn
    html = maps.map_html(maps.build_map(ws, layers=("routes",), plans={"routes": routes}, selected_route="Z2",
                                        labels=False))
    feats = _features(html)
    drawn = {f["properties"]["who"]: f["properties"] for f in feats if f["geometry"]["type"] == "LineString"}
    assert set(drawn) == {"Z1", "Z2"} and drawn["Z1"]["_o"] == 0.25 and drawn["Z1"]["_c"] == "#9e9e9e"
    assert [f["properties"]["no"] for f in feats if f["properties"].get("no")] == ["1", "2"]  # the selected only
    anchors = re.findall(r'"iconAnchor": \[(-?\d+), (-?\d+)\]', html)
    assert len(anchors) == 2 and anchors[0] != anchors[1]  # two stops on one spot: numbers set apart


def test_base_map_and_selection_layers_make_the_full_map(ws):
    joint, routes = _two_unit_two_route_plans()
    kw = dict(layers=("boundaries", "orgs", "units"), plans={"joint": joint})
    base = maps.map_html(maps.build_map(ws, **kw, parts="base"))
    assert "window.__lx_ctl = layer_control_" in base
    assert not any(f["properties"].get("unit") for f in _features(base))  # no selection layer in the base
    assert not any(f["properties"].get("name") == "公司1" for f in _features(base))
    sl = maps.selection_layers(ws, **kw, highlight="O1")
    assert sl.legend_layers == ["boundaries", "orgs", "units"]
    assert sl.counts["单独建立"] == 2 and len(sl.groups) == 3  # orgs, units, the ring around O1
    assert "联建方案" in sl.legend_html() and "单独建立（2 个）" in sl.legend_html()
    with pytest.raises(ValueError, match="parts"):
        maps.build_map(ws, parts="half")


def test_a_highlighted_org_gets_a_ring_with_its_name(ws):
    html = maps.map_html(maps.build_map(ws, layers=("orgs",), highlight="O2"))
    assert "公司2" in html and '"radius": 14' in html and "#ff7f00" in html
    assert maps.highlight_marker(_orgs(), "O5") is None  # no coordinates: no ring
