"""Presenters: maps (web and static), workbooks, decks and GIS layers of results already computed.

This stage never computes an assessment or a plan (that is :mod:`lianxin_geo.pipeline`): every
function takes the workspace, an assessment and the plans. Importing it imports neither folium,
matplotlib, python-pptx nor Streamlit; they are loaded when a map, a figure or a deck is made.

Modules: :mod:`~lianxin_geo.present.style` (escaping, colours, statuses), :mod:`~lianxin_geo.present.layers`
and :mod:`~lianxin_geo.present.maps` (folium), :mod:`~lianxin_geo.present.staticmap` (matplotlib),
:mod:`~lianxin_geo.present.sheets` and :mod:`~lianxin_geo.present.xlsx` (workbooks),
:mod:`~lianxin_geo.present.deck` (pptx), :mod:`~lianxin_geo.present.gpkg` (GIS layers),
:mod:`~lianxin_geo.present.assets` (offline Leaflet), :mod:`~lianxin_geo.present.outdir` (run folders and
their manifest), :mod:`~lianxin_geo.present.export` (one call per format, and a whole run folder).
"""

from lianxin_geo.present.export import (
    DEFAULT_FORMATS,
    FILE_NAMES,
    FORMATS,
    export_geojson_dir,
    export_gpkg,
    export_html,
    export_pdf,
    export_plan_xlsx,
    export_png,
    export_pptx,
    export_xlsx,
    write_all,
)
from lianxin_geo.present.maps import BASEMAPS, LAYERS, MapFilters, build_map, map_html
from lianxin_geo.present.outdir import MANIFEST_NAME, verify_manifest
from lianxin_geo.present.plans import Plans, plan_mapping
from lianxin_geo.present.sheets import assessment_sheets, write_assessment_xlsx
from lianxin_geo.present.staticmap import draw_map
from lianxin_geo.present.style import STATUS_COLORS, esc, org_status, rate_color
from lianxin_geo.present.xlsx import Sheet, write_workbook

__all__ = [
    "BASEMAPS",
    "DEFAULT_FORMATS",
    "FILE_NAMES",
    "FORMATS",
    "LAYERS",
    "MANIFEST_NAME",
    "MapFilters",
    "Plans",
    "STATUS_COLORS",
    "Sheet",
    "assessment_sheets",
    "build_map",
    "draw_map",
    "esc",
    "export_geojson_dir",
    "export_gpkg",
    "export_html",
    "export_pdf",
    "export_plan_xlsx",
    "export_png",
    "export_pptx",
    "export_xlsx",
    "map_html",
    "org_status",
    "plan_mapping",
    "rate_color",
    "verify_manifest",
    "write_all",
    "write_assessment_xlsx",
    "write_workbook",
]
