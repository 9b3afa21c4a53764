"""The map widget reuses streamlit-folium's component with a cached payload (ui/widgets.py), which calls
functions that streamlit-folium does not document. This test fails loudly on an upgrade that renames them, instead
of a blank map in front of a planner: pin, check, and re-read ui/widgets.py before raising the pin."""

from __future__ import annotations

import inspect
from importlib.metadata import version
from pathlib import Path

import folium
import pytest

pytest.importorskip("streamlit_folium")
import streamlit_folium as sf  # noqa: E402

from lianxin_geo.ui import widgets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_the_streamlit_folium_version_is_the_pinned_one():
    pins = dict(line.strip().split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert version("streamlit-folium") == pins["streamlit-folium"], \
        "streamlit-folium 版本与 constraints.txt 不一致：请先核对 ui/widgets.py 用到的内部函数"


def test_the_internal_functions_the_map_widget_uses_exist():
    for name in ("_component_func", "_get_map_string", "_get_header", "_get_html", "generate_js_hash",
                 "generate_leaflet_string", "get_full_id"):
        assert callable(getattr(sf, name, None)), f"streamlit_folium.{name} 不存在：请改写 ui/widgets.py"
    params = inspect.signature(sf.generate_leaflet_string).parameters
    assert "base_id" in params


def test_a_payload_is_built_from_a_real_map():
    fmap = folium.Map(location=[40.13, 116.65], zoom_start=11, tiles=None)
    folium.CircleMarker([40.13, 116.65], radius=4, tooltip="测试").add_to(fmap)
    p = widgets.folium_payload(fmap)
    assert p["id"] and "L.map" in p["script"] and p["zoom"] == 11
    assert p["bounds"][0][0] == pytest.approx(40.13)
