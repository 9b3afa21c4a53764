"""The core every stage builds on: ledger schemas, errors, policy profiles, industries, datums, districts,
distances, column helpers, safe file writing, JSON cleaning and the parallel engine (Dask). ``core`` imports nothing from the stages."""

from lianxin_geo.core.crs import from_wgs84, gcj02_to_wgs84, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from lianxin_geo.core.district import District, normalize_text, town_short_name
from lianxin_geo.core.engine import (
    SCHEDULER_ENV,
    SCHEDULERS,
    Engine,
    TaskFailure,
    TaskResults,
    get_engine,
    task_seed,
)
from lianxin_geo.core.errors import (
    BoundaryError,
    GraphError,
    LedgerError,
    LianxinError,
    MissingDependencyError,
    PolicyError,
)
from lianxin_geo.core.files import atomic_path, atomic_write_bytes, atomic_write_text, neutral_text, write_csv
from lianxin_geo.core.industry import industry_group, normalize_industry, similar_groups
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.core.policy import DEFAULT_PROFILE, Profile, as_profile, list_profiles, load_profile

__all__ = [
    "BoundaryError",
    "DEFAULT_PROFILE",
    "District",
    "Engine",
    "GraphError",
    "LedgerError",
    "LianxinError",
    "MissingDependencyError",
    "PolicyError",
    "Profile",
    "SCHEDULERS",
    "SCHEDULER_ENV",
    "TaskFailure",
    "TaskResults",
    "as_profile",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "from_wgs84",
    "gcj02_to_wgs84",
    "get_engine",
    "industry_group",
    "jsonable",
    "list_profiles",
    "load_profile",
    "neutral_text",
    "normalize_industry",
    "normalize_text",
    "similar_groups",
    "task_seed",
    "to_wgs84",
    "town_short_name",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "write_csv",
]
