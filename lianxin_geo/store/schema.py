"""The tables of the system of record (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Geometry columns are GeoAlchemy2 ``Geometry(..., 4326)`` on PostgreSQL (PostGIS, with GiST
indexes made by the migrations) and WKB bytes on SQLite (no SpatiaLite needed): see
:mod:`lianxin_geo.store.geometry`. JSON columns are ``JSONB`` on PostgreSQL. The schema's
history lives in ``lianxin_geo/store/migrations/versions``; this module is the current head.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from lianxin_geo.store.geometry import geometry_type

__all__ = ["metadata", "rounds", "round_rows", "round_rejects", "assessments", "jurisdiction_rates", "towns",
           "measures", "measure_rounds", "audit", "users", "JSON_TYPE", "MEASURE_STATUSES", "MEASURE_OPEN",
           "STATUS_TODO", "STATUS_DOING", "STATUS_DONE", "STATUS_CLOSED", "STATUS_CLOSABLE"]

STATUS_TODO = "待办"
STATUS_DOING = "进行中"
STATUS_DONE = "已完成"
STATUS_CLOSED = "已销号"
STATUS_CLOSABLE = "可销号"
#: Every status a measure can have (可销号: the new round shows the condition met; a person confirms 已销号).
MEASURE_STATUSES = (STATUS_TODO, STATUS_DOING, STATUS_DONE, STATUS_CLOSED, STATUS_CLOSABLE)
#: Statuses carried forward into a new round.
MEASURE_OPEN = (STATUS_TODO, STATUS_DOING, STATUS_DONE, STATUS_CLOSABLE)

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)

metadata = sa.MetaData()

rounds = sa.Table(
    "rounds", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("replaced", sa.Boolean, nullable=False, default=False),
    sa.Column("superseded_by", sa.Integer, sa.ForeignKey("rounds.id"), nullable=True),
    sa.Column("profile_name", sa.String(200), nullable=False),
    sa.Column("profile_json", JSON_TYPE, nullable=False),
    sa.Column("profile_text", sa.Text, nullable=True),
    sa.Column("files", JSON_TYPE, nullable=False),
    sa.Column("rows_in", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("orgs", sa.Integer, nullable=False),
    sa.Column("org_coverage_rate", sa.Float, nullable=True),
    sa.Column("single_rate", sa.Float, nullable=True),
    sa.Column("work_coverage_rate", sa.Float, nullable=True),
    sa.Column("district", JSON_TYPE, nullable=False),
    sa.Column("meta", JSON_TYPE, nullable=False),
    sa.Column("seconds", sa.Float, nullable=True),  # revision 0002
    sa.Index("ix_rounds_name", "name"),
)

round_rows = sa.Table(
    "round_rows", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("row_no", sa.Integer, nullable=True),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("record_id", sa.String(100), nullable=True),
    sa.Column("jurisdiction_code", sa.String(20), nullable=True),
    sa.Column("data", JSON_TYPE, nullable=False),
    sa.Column("geom", geometry_type("POINT"), nullable=True),
    sa.Index("ix_round_rows_round_kind", "round_id", "kind", "position"),
)

round_rejects = sa.Table(
    "round_rejects", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("column_name", sa.String(200), nullable=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("key", sa.String(100), nullable=True),
    sa.Index("ix_round_rejects_round", "round_id", "kind"),
)

assessments = sa.Table(
    "assessments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("org_id", sa.String(100), nullable=False),
    sa.Column("org_name", sa.Text, nullable=True),
    sa.Column("credit_code", sa.String(40), nullable=True),
    sa.Column("jurisdiction_code", sa.String(20), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=True),
    sa.Column("status_rule", sa.String(40), nullable=True),
    sa.Column("industry_group", sa.String(100), nullable=True),
    sa.Column("actions", JSON_TYPE, nullable=False),
    sa.Index("ix_assessments_round_org", "round_id", "org_id"),  # revision 0002
)

jurisdiction_rates = sa.Table(
    "jurisdiction_rates", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("orgs", sa.Integer, nullable=False),
    sa.Column("org_coverage_rate", sa.Float, nullable=True),
    sa.Column("single_rate", sa.Float, nullable=True),
    sa.Column("work_coverage_rate", sa.Float, nullable=True),
    sa.Column("data", JSON_TYPE, nullable=False),
    sa.Index("ix_jurisdiction_rates_round", "round_id", "code"),
)

towns = sa.Table(
    "towns", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),  # "town" or "outline"
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("mca_name", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(20), nullable=True),
    sa.Column("approximate", sa.Boolean, nullable=False),
    sa.Column("data", JSON_TYPE, nullable=False),
    sa.Column("geom", geometry_type("GEOMETRY"), nullable=False),
    sa.Index("ix_towns_round", "round_id", "role", "position"),
)

measures = sa.Table(
    "measures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("origin_round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False),
    sa.Column("last_round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False),
    sa.Column("org_id", sa.String(100), nullable=False),
    sa.Column("org_name", sa.Text, nullable=True),
    sa.Column("credit_code", sa.String(40), nullable=True),
    sa.Column("jurisdiction_code", sa.String(20), nullable=True),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("rule", sa.String(40), nullable=True),
    sa.Column("doc", sa.String(200), nullable=True),
    sa.Column("clause", sa.String(200), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("measure", sa.Text, nullable=False),
    sa.Column("owner", sa.String(200), nullable=True),
    sa.Column("due", sa.String(20), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Index("ix_measures_last_round", "last_round_id"),
    sa.Index("ix_measures_town_status", "jurisdiction_code", "status"),  # revision 0002
)

measure_rounds = sa.Table(
    "measure_rounds", metadata,
    sa.Column("measure_id", sa.Integer, sa.ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("proposed", sa.Boolean, nullable=False),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", _TS, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("what", sa.String(50), nullable=False),
    sa.Column("round_name", sa.String(100), nullable=True),
    sa.Column("target", sa.String(100), nullable=True),
    sa.Column("old", JSON_TYPE, nullable=True),
    sa.Column("new", JSON_TYPE, nullable=True),
    sa.Column("outcome", sa.String(200), nullable=False),
    sa.Column("user", sa.String(100), nullable=True),  # revision 0003: the logged-in account (None: no accounts)
    sa.Column("towns", JSON_TYPE, nullable=True),  # revision 0003: the towns the action concerned
    sa.Index("ix_audit_user", "user"),
)

users = sa.Table(  # revision 0003
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("towns", JSON_TYPE, nullable=False),
    sa.Column("password_hash", sa.String(400), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("must_change_password", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", _TS, nullable=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("last_login", _TS, nullable=True),
    sa.UniqueConstraint("name", name="uq_users_name"),
)
