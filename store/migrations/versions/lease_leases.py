"""Leases (the writer lease, a harvest lease per source) and harvest rounds shared by workers.

Revision ID: lease_leases
Revises: pg_text_columns
"""

import sqlalchemy as sa
from alembic import op

revision = "lease_leases"
down_revision = "pg_text_columns"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("acquired_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_table(
        "harvest_rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("outcome", sa.Text),
    )
    op.create_table(
        "round_sources",
        sa.Column("round_id", sa.Integer, sa.ForeignKey("harvest_rounds.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("worker", sa.Text),
        sa.Column("finished_at", TZ),
    )


def downgrade() -> None:
    op.drop_table("round_sources")
    op.drop_table("harvest_rounds")
    op.drop_table("leases")
