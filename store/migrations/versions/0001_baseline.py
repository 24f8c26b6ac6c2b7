"""Baseline: the tables of unioncat 0.1.0 (the hand-rolled migrations 1 and 2), frozen.

Written out column by column on purpose: a revision must create the tables
as they were on the day it was written, never as `store/schema.py` defines
them today. A store made by unioncat 0.1.0 is stamped at this revision by
`store.versioning` instead of running it (its tables are these already).

Revision ID: 0001_baseline
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("local_id", sa.String(255)),
        sa.Column("oai_identifier", sa.String(512)),
        sa.Column("datestamp", sa.String(32)),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("raw_format", sa.String(16)),
        sa.Column("data", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("year", sa.Integer),
        sa.Column("format", sa.String(32)),
        sa.Column("parent_id", sa.String(255)),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("needs_match", sa.Boolean, nullable=False),
        sa.Column("harvested_at", TZ),
        sa.Column("updated_at", TZ),
        sa.UniqueConstraint("source", "local_id", name="uq_records_source_local"),
        sa.UniqueConstraint("source", "oai_identifier", name="uq_records_source_oai"),
    )
    op.create_index("ix_records_needs_match", "records", ["needs_match"])
    op.create_index("ix_records_parent", "records", ["source", "parent_id"])
    op.create_table(
        "match_keys",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_index("ix_match_keys_value", "match_keys", ["kind", "value"])
    op.create_index("ix_match_keys_record", "match_keys", ["record_id"])
    op.create_table(
        "clusters",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("alive", sa.Boolean, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "cluster_members",
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("cluster_id", sa.String(32), sa.ForeignKey("clusters.id"), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
    )
    op.create_index("ix_cluster_members_cluster", "cluster_members", ["cluster_id"])
    op.create_table(
        "cluster_redirects",
        sa.Column("old_id", sa.String(32), primary_key=True),
        sa.Column("new_id", sa.String(32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "dedup_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("record_a", sa.String(300), nullable=False),
        sa.Column("record_b", sa.String(300)),
        sa.Column("made_by", sa.String(100), nullable=False),
        sa.Column("made_at", TZ, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "source_state",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("last_started", TZ),
        sa.Column("last_finished", TZ),
        sa.Column("last_success", TZ),
        sa.Column("last_outcome", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.Column("next_from", sa.String(32)),
        sa.Column("granularity", sa.String(32)),
    )
    op.create_table(
        "checkpoints",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("window_from", sa.String(32)),
        sa.Column("window_until", sa.String(32)),
        sa.Column("token", sa.Text),
        sa.Column("pages_done", sa.Integer, nullable=False),
        sa.Column("response_date", sa.String(32)),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("oai_identifier", sa.String(512)),
        sa.Column("local_id", sa.String(255)),
        sa.Column("position", sa.String(255)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("raw_format", sa.String(16)),
        sa.Column("run_id", sa.Integer),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=False),
    )
    op.create_index("ix_quarantine_source", "quarantine", ["source", "resolved"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("outcome", sa.String(32)),
        sa.Column("report", sa.Text),
    )
    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("staff_users", "runs", "quarantine", "checkpoints", "source_state", "dedup_decisions",
                  "cluster_redirects", "cluster_members", "clusters", "match_keys", "records"):
        op.drop_table(table)
