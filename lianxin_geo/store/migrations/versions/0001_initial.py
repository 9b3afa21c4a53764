"""The initial schema: rounds, their rows, rejects, assessments, rates, towns, measures and the audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Frozen: later changes go into new revisions, never here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def _geom(kind: str) -> sa.types.TypeEngine:
    return sa.LargeBinary().with_variant(Geometry(kind, srid=4326, spatial_index=False), "postgresql")


def _round_fk() -> sa.Column:
    return sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False)


def _rounds_tables() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("replaced", sa.Boolean, nullable=False),
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
    )
    op.create_index("ix_rounds_name", "rounds", ["name"])
    op.create_table(
        "round_rows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _round_fk(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("row_no", sa.Integer, nullable=True),
        sa.Column("accepted", sa.Boolean, nullable=False),
        sa.Column("record_id", sa.String(100), nullable=True),
        sa.Column("jurisdiction_code", sa.String(20), nullable=True),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("geom", _geom("POINT"), nullable=True),
    )
    op.create_index("ix_round_rows_round_kind", "round_rows", ["round_id", "kind", "position"])
    op.create_table(
        "round_rejects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _round_fk(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("column_name", sa.String(200), nullable=False),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("key", sa.String(100), nullable=True),
    )
    op.create_index("ix_round_rejects_round", "round_rejects", ["round_id", "kind"])


def _assessment_tables() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _round_fk(),
        sa.Column("org_id", sa.String(100), nullable=False),
        sa.Column("org_name", sa.Text, nullable=True),
        sa.Column("credit_code", sa.String(40), nullable=True),
        sa.Column("jurisdiction_code", sa.String(20), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("status_rule", sa.String(40), nullable=True),
        sa.Column("industry_group", sa.String(100), nullable=True),
        sa.Column("actions", JSON_TYPE, nullable=False),
    )
    op.create_table(
        "jurisdiction_rates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _round_fk(),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("orgs", sa.Integer, nullable=False),
        sa.Column("org_coverage_rate", sa.Float, nullable=True),
        sa.Column("single_rate", sa.Float, nullable=True),
        sa.Column("work_coverage_rate", sa.Float, nullable=True),
        sa.Column("data", JSON_TYPE, nullable=False),
    )
    op.create_index("ix_jurisdiction_rates_round", "jurisdiction_rates", ["round_id", "code"])
    op.create_table(
        "towns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _round_fk(),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("mca_name", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("approximate", sa.Boolean, nullable=False),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("geom", _geom("GEOMETRY"), nullable=False),
    )
    op.create_index("ix_towns_round", "towns", ["round_id", "role", "position"])


def _measure_tables() -> None:
    op.create_table(
        "measures",
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
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_measures_last_round", "measures", ["last_round_id"])
    op.create_table(
        "measure_rounds",
        sa.Column("measure_id", sa.Integer, sa.ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("proposed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("what", sa.String(50), nullable=False),
        sa.Column("round_name", sa.String(100), nullable=True),
        sa.Column("target", sa.String(100), nullable=True),
        sa.Column("old", JSON_TYPE, nullable=True),
        sa.Column("new", JSON_TYPE, nullable=True),
        sa.Column("outcome", sa.String(200), nullable=False),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    _rounds_tables()
    _assessment_tables()
    _measure_tables()
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_round_rows_geom", "round_rows", ["geom"], postgresql_using="gist")
        op.create_index("ix_towns_geom", "towns", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    for name in ("audit", "measure_rounds", "measures", "towns", "jurisdiction_rates", "assessments",
                 "round_rejects", "round_rows", "rounds"):
        op.drop_table(name)
