"""The system of record (issues 13, 14): ledger rounds, their comparison, 一企一策 measures, accounts and the audit.

SQLite by default (one file: ``--db``, else ``$LIANXIN_DB``, else ``./lianxin.db``), PostgreSQL +
PostGIS by URL; SQLAlchemy Core tables (:mod:`~lianxin_geo.store.schema`), Alembic migrations run
programmatically (:mod:`~lianxin_geo.store.engine`). See ``docs/store.md``.

>>> store = open_store("lianxin.db")                                  # doctest: +SKIP
>>> import_files(store, "2026-06", orgs="orgs.xlsx")                  # doctest: +SKIP
>>> store.diff("2026-06", "2026-11")["orgs_new"]                      # doctest: +SKIP
"""

from lianxin_geo.store.access import ROLES, AuthError, Settings, User, scope_workspace
from lianxin_geo.store.engine import DEFAULT_DB, StaleVersionError, StoreError, head_revision, resolve_url
from lianxin_geo.store.importer import import_files
from lianxin_geo.store.measures import DEFAULT_MEASURES, MEASURE_FIELDS, is_overdue
from lianxin_geo.store.schema import MEASURE_STATUSES
from lianxin_geo.store.store import RoundInfo, Store, open_store

__all__ = ["open_store", "Store", "RoundInfo", "import_files", "StoreError", "StaleVersionError", "DEFAULT_DB",
           "MEASURE_STATUSES", "MEASURE_FIELDS", "DEFAULT_MEASURES", "is_overdue", "head_revision", "resolve_url",
           "ROLES", "User", "AuthError", "Settings", "scope_workspace"]
