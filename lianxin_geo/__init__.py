"""lianxin-geo: 两新党建地理规划工具 (two-coverage geo planner for party building in non-public organizations).

The public API, explicit. Importing the package never imports Streamlit or folium.
"""

from lianxin_geo.assessment.assessor import Assessment, assess
from lianxin_geo.ingest.boundaries import demo_district, demo_seats, derive_jurisdictions, load_boundaries
from lianxin_geo.core.crs import from_wgs84, gcj02_to_wgs84, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from lianxin_geo.ingest.demo import DemoData, generate_demo, to_ledger_frame, write_demo
from lianxin_geo.core.district import District
from lianxin_geo.core.errors import BoundaryError, GraphError, LedgerError, LianxinError, PolicyError
from lianxin_geo.location.geocode import GeocodeMatch, geocode_address, geocode_frame
from lianxin_geo.core.industry import industry_group, normalize_industry, similar_groups
from lianxin_geo.ingest.ledger import LedgerResult, ValidationIssue, detect_kind, read_ledger
from lianxin_geo.location.locator import LocateResult, locate
from lianxin_geo.core.policy import Profile, list_profiles, load_profile
from lianxin_geo.ingest.template import write_template
from lianxin_geo.present.sheets import write_assessment_xlsx
from lianxin_geo.workspace import Workspace, load_workspace

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "BoundaryError",
    "DemoData",
    "District",
    "GeocodeMatch",
    "GraphError",
    "LedgerError",
    "LedgerResult",
    "LianxinError",
    "LocateResult",
    "PolicyError",
    "Profile",
    "ValidationIssue",
    "Workspace",
    "assess",
    "demo_district",
    "demo_seats",
    "derive_jurisdictions",
    "detect_kind",
    "from_wgs84",
    "gcj02_to_wgs84",
    "generate_demo",
    "geocode_address",
    "geocode_frame",
    "industry_group",
    "list_profiles",
    "load_boundaries",
    "load_profile",
    "load_workspace",
    "locate",
    "normalize_industry",
    "read_ledger",
    "similar_groups",
    "to_ledger_frame",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "write_assessment_xlsx",
    "write_demo",
    "write_template",
    "__version__",
]
