"""Indexes for the measures board and the round comparison; the import time of each round.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

* ``ix_measures_town_status``: the measures board filters by town and status;
* ``ix_assessments_round_org``: ``round diff`` and carrying measures forward read one round's
  assessment by org;
* ``rounds.seconds``: how long the import took (``round list`` shows it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_measures_town_status", "measures", ["jurisdiction_code", "status"])
    op.create_index("ix_assessments_round_org", "assessments", ["round_id", "org_id"])
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("seconds", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("seconds")
    op.drop_index("ix_assessments_round_org", table_name="assessments")
    op.drop_index("ix_measures_town_status", table_name="measures")
