"""Requests between members: one row per patron's request for an edition, and the history of its states.

Revision ID: ill_requests
Revises: dedup_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "ill_requests"
down_revision = "dedup_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ill_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cluster_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("patron_member", sa.String(32), nullable=False),
        sa.Column("patron_card", sa.String(64), nullable=False),
        sa.Column("patron_email", sa.Text),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("pickup", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lender", sa.String(32)),
        sa.Column("candidates", sa.Text, nullable=False),
        sa.Column("tried", sa.Text, nullable=False),
        sa.Column("answer_by", sa.DateTime(timezone=True)),
        sa.Column("peer_ref", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_ill_requests_patron", "ill_requests", ["patron_member", "patron_card"])
    op.create_index("ix_ill_requests_lender", "ill_requests", ["lender", "state"])
    op.create_index("ix_ill_requests_ended", "ill_requests", ["ended_at"])
    op.create_table(
        "ill_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("ill_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("member", sa.String(32)),
        sa.Column("actor", sa.Text),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_ill_events_request", "ill_events", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_ill_events_request", table_name="ill_events")
    op.drop_table("ill_events")
    op.drop_index("ix_ill_requests_ended", table_name="ill_requests")
    op.drop_index("ix_ill_requests_lender", table_name="ill_requests")
    op.drop_index("ix_ill_requests_patron", table_name="ill_requests")
    op.drop_table("ill_requests")
