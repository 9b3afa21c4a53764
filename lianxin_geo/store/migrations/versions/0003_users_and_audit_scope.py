"""Accounts (issue 14): the ``users`` table; the app user and the towns of every audit row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

* ``users``: one row per account (name unique, role, towns as JSON, the argon2 hash, disabled,
  must_change_password, failed_logins, locked_until, created_at, last_login). Accounts are never
  deleted, only disabled, so the audit keeps naming them.
* ``audit.user`` (the logged-in account, ``NULL`` in single-user mode) and ``audit.towns`` (the
  towns the action concerned, a JSON list) next to ``who`` (the OS user).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("towns", JSON_TYPE, nullable=False),
        sa.Column("password_hash", sa.String(400), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login", TS, nullable=True),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("user", sa.String(100), nullable=True))
        batch.add_column(sa.Column("towns", JSON_TYPE, nullable=True))
    op.create_index("ix_audit_user", "audit", ["user"])


def downgrade() -> None:
    op.drop_index("ix_audit_user", table_name="audit")
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("towns")
        batch.drop_column("user")
    op.drop_table("users")
