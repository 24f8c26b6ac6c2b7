"""The change log and its consumers.

`change_log` is append-only: one row per cluster whose members, holdings or
displayed record changed, merged away (with its heir) or emptied, written in
the clustering's transaction; `seq` rises and is never reused (SQLite's
AUTOINCREMENT, PostgreSQL's identity). `change_consumers` keeps each
consumer's position.

Revision ID: incr_change_log
Revises: lease_leases
"""

import sqlalchemy as sa
from alembic import op

revision = "incr_change_log"
down_revision = "lease_leases"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("cluster_id", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_change_log_created", "change_log", ["created_at"])
    op.create_table(
        "change_consumers",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("change_consumers")
    op.drop_index("ix_change_log_created", table_name="change_log")
    op.drop_table("change_log")
