"""Reading what planners bring: ledgers (csv/xlsx, any of the common encodings and layouts) with row-by-row
validation, boundaries (GeoJSON/Shapefile/GeoPackage/KML), the blank ledger template, and the seeded synthetic
demo on the real Shunyi skeleton."""

from lianxin_geo.ingest.boundaries import demo_district, demo_seats, derive_jurisdictions, load_boundaries
from lianxin_geo.ingest.city import load_city
from lianxin_geo.ingest.boundary_checks import CHINA_BOUNDS, check_extent, check_points_fit, explain_read_error
from lianxin_geo.ingest.demo import DemoData, generate_demo, to_ledger_frame, write_demo
from lianxin_geo.ingest.ledger import LedgerResult, ValidationIssue, detect_kind, read_ledger
from lianxin_geo.ingest.limits import ENV_VARS, ReadLimits
from lianxin_geo.ingest.template import write_template

__all__ = [
    "CHINA_BOUNDS",
    "DemoData",
    "ENV_VARS",
    "LedgerResult",
    "ReadLimits",
    "ValidationIssue",
    "check_extent",
    "check_points_fit",
    "demo_district",
    "demo_seats",
    "derive_jurisdictions",
    "detect_kind",
    "explain_read_error",
    "generate_demo",
    "load_city",
    "load_boundaries",
    "read_ledger",
    "to_ledger_frame",
    "write_demo",
    "write_template",
]
