"""Deduplication that finds the same edition without a shared identifier or an author (issue 19).

`dedup_state` holds the version of the stored match keys and the progress
of giving every record new keys after an upgrade: the first dedup run after
this revision finds no version, gives every live record the typo-tolerant
keys in batches (resuming where a killed run stopped) and matches them all
again, once.

Revision ID: dedup_keys
Revises: rules_version
"""

import sqlalchemy as sa
from alembic import op

revision = "dedup_keys"
down_revision = "rules_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dedup_state")
