"""Readable maps (issue 15): a legend for every drawn layer, town labels, a metric scale, an icon-free
attribution, and chosen layers switched on at open (the HTML export opens with boundaries + coverage)."""

from __future__ import annotations

import json
import re
import types

import pandas as pd
import pytest

pytest.importorskip("folium")

from conftest import make_box_district  # noqa: E402
from lianxin_geo.present import legend, maps  # noqa: E402
from lianxin_geo.present.style import RATE_BANDS, STATUS_COLORS  # noqa: E402

XSS = "<img src=x onerror=alert(1)>{{ 7*7 }}"


@pytest.fixture(scope="module")
def ws():
    district = make_box_district([("110113001", "西街道", "街道", (116.5, 40.0, 116.6, 40.1)),
                                  ("110113002", XSS + "镇", "镇", (116.6, 40.0, 116.7, 40.1))])
    orgs = pd.DataFrame({"id": ["O0", "O1", "O2"], "name": ["甲", "乙", "丙"], "lon": [116.55, 116.65, 116.66],
                         "lat": [40.05, 40.05, 40.06], "jurisdiction_code": ["110113001", "110113002", "110113002"],
                         "party_status": ["单独建立", "单独建立", "未建立"], "members": [5, 4, 0],
                         "precision": ["coordinates", "building", "coordinates"]})
    centers = pd.DataFrame({"id": ["C1"], "name": ["中心"], "lon": [116.6], "lat": [40.05], "level": ["镇级"],
                            "floor_area": [1300.0]})
    return types.SimpleNamespace(district=district, orgs=orgs, buildings=pd.DataFrame(), parks=pd.DataFrame(),
                                 centers=centers, data_notes=[])


def _div_icons(html: str) -> list[str]:
    """The decoded ``html`` option of every ``L.divIcon`` of a rendered map."""
    dec = json.JSONDecoder()
    out = []
    for m in re.finditer(r'"html": ', html):
        text, _ = dec.raw_decode(html, m.end())
        out.append(text)
    return out


def _groups(m) -> dict[str, bool]:
    """Layer-switcher name -> switched on at open."""
    return {c.layer_name: bool(c.show) for c in m._children.values() if hasattr(c, "show") and hasattr(c, "layer_name")}


def test_legend_explains_each_drawn_layer_with_counts_and_target(ws):
    html = maps.map_html(maps.build_map(ws, layers=("boundaries", "orgs", "centers"), target=0.9))
    for color, label in RATE_BANDS:
        assert color in html
    assert maps.esc("达到目标（目标 90%）") in html
    assert "单独建立（2 个）" in html and "未覆盖（1 个）" in html
    assert "联合建立（" not in html  # a status with no org on the map is not listed
    assert "服务范围（服务半径）" in html and "党群活动服务中心" in html
    assert "联建方案" not in legend.legend_rows(("boundaries", "orgs", "centers"))[0][0]
    rows = dict(legend.legend_rows(("orgs",), status_counts=None))
    assert len(rows["两新组织覆盖状态"]) == len(STATUS_COLORS)


def test_town_labels_escaped_metric_scale_plain_attribution(ws):
    html = maps.map_html(maps.build_map(ws, layers=("boundaries",)))
    labels = [t for t in _div_icons(html) if "lx-town-label" in t]  # the DivIcons' html is JSON-encoded
    assert len(labels) == 2
    assert any(">西街道</div>" in t for t in labels)
    assert any(">" + maps.esc(XSS + "镇") + "</div>" in t for t in labels)
    assert XSS not in html and "{{ 7*7 }}" not in html and "49镇" not in html
    assert "imperial: false" in html and "setPrefix('Leaflet')" in html
    assert "control.scale()" not in html.replace(" ", "")
    assert maps.build_map(ws, layers=("boundaries",), labels=False)
    assert legend.LABEL_LAYER_NAME not in _groups(maps.build_map(ws, layers=("boundaries",), labels=False))


def test_shown_layers_are_on_and_the_rest_listed_off(ws):
    m = maps.build_map(ws, layers=("boundaries", "orgs", "centers"), shown=("boundaries", "centers"))
    g = _groups(m)
    assert g[maps.LAYERS["boundaries"]] and g[maps.LAYERS["centers"]]
    assert g[maps.LAYERS["orgs"]] is False
    assert all(_groups(maps.build_map(ws, layers=("boundaries", "orgs"))).values())


def test_html_export_opens_with_boundaries_and_coverage_only():
    from lianxin_geo.present.export import HTML_SHOWN_LAYERS

    assert set(HTML_SHOWN_LAYERS) == {"boundaries", "centers", "gaps", "sites"}


def test_popups_name_the_precision_in_chinese(ws):
    html = maps.map_html(maps.build_map(ws, layers=("orgs",), labels=False))
    assert "台账坐标" in html or json.dumps("台账坐标")[1:-1] in html
    assert '"precision": "coordinates"' not in html


def test_thousands_of_points_open_as_density(ws, monkeypatch):
    """Above the threshold the map opens with the density hexagons (legend included) and the dots listed, off."""
    from lianxin_geo.present import density

    monkeypatch.setattr(maps, "DENSITY_THRESHOLD", 2)
    m = maps.build_map(ws, layers=("boundaries", "orgs"))
    g = _groups(m)
    assert g[density.DENSITY_LAYER_NAME] is True and g[maps.LAYERS["orgs"]] is False
    html = maps.map_html(m)
    assert maps.esc("20–49 家") in html or "20–49 家" in html
    cells = density.density_cells(ws.orgs, maps.org_status(ws.orgs), origin=(116.6, 40.05))
    assert int(cells["orgs"].sum()) == 3 and set(cells.columns) >= {"orgs", "uncovered", "covered_rate"}
    monkeypatch.setattr(maps, "DENSITY_THRESHOLD", 3000)
    g = _groups(maps.build_map(ws, layers=("boundaries", "orgs")))
    assert density.DENSITY_LAYER_NAME not in g and g[maps.LAYERS["orgs"]] is True


def test_density_classes_are_ordered():
    from lianxin_geo.present.density import DENSITY_CLASSES, density_color

    lows = [c[0] for c in DENSITY_CLASSES]
    assert lows == sorted(lows)
    assert density_color(1) == DENSITY_CLASSES[0][1] and density_color(500) == DENSITY_CLASSES[-1][1]
    assert density_color(12) == DENSITY_CLASSES[2][1]
