"""Corrections librarians can trust (issue 13): decision history, queued corrections, identifier marks,
near misses, suspicious clusters and staff roles.

`dedup_decisions` gains what a decision was based on (its preview and state
token), an override flag, its status (applied | queued | refused), and undo
(undone_by/undone_at; an undo is itself a decision with `undoes`).
`decision_records` names the two sides of a decision: every pair across the
sides is kept together (merge) or apart (split); the one pair of each earlier
decision becomes its two sides. `identifier_marks` are identifier values
that dedup must not take as evidence. `near_misses` are pairs a dedup run
compared and did not merge although they came close, `suspicious_clusters`
the clusters whose members disagree. Staff accounts gain a role and an
optional member; existing accounts become administrators.

Revision ID: corr_history
Revises: incr_change_log
"""

import sqlalchemy as sa
from alembic import op

revision = "corr_history"
down_revision = "incr_change_log"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("dedup_decisions", sa.Column("override", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("dedup_decisions", sa.Column("status", sa.String(16), nullable=False, server_default="applied"))
    op.add_column("dedup_decisions", sa.Column("preview", sa.Text))
    op.add_column("dedup_decisions", sa.Column("state", sa.String(64)))
    op.add_column("dedup_decisions", sa.Column("applied_at", TZ))
    op.add_column("dedup_decisions", sa.Column("outcome", sa.Text))
    op.add_column("dedup_decisions", sa.Column("undoes", sa.Integer))
    op.add_column("dedup_decisions", sa.Column("undone_by", sa.Text))
    op.add_column("dedup_decisions", sa.Column("undone_at", TZ))
    op.create_index("ix_dedup_decisions_made_by", "dedup_decisions", ["made_by"])
    op.create_index("ix_dedup_decisions_status", "dedup_decisions", ["status"])
    op.create_table(
        "decision_records",
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("dedup_decisions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("record", sa.Text, primary_key=True),
        sa.Column("side", sa.String(1), nullable=False),
    )
    op.create_index("ix_decision_records_record", "decision_records", ["record"])
    op.execute("INSERT INTO decision_records (decision_id, record, side) SELECT id, record_a, 'a' FROM dedup_decisions")
    op.execute("INSERT INTO decision_records (decision_id, record, side) SELECT id, record_b, 'b' FROM dedup_decisions "
               "WHERE record_b IS NOT NULL AND record_b <> record_a")
    op.execute("UPDATE dedup_decisions SET applied_at = made_at")
    op.create_table(
        "identifier_marks",
        sa.Column("scheme", sa.String(16), primary_key=True),
        sa.Column("value", sa.Text, primary_key=True),
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("dedup_decisions.id"), nullable=False),
    )
    op.create_table(
        "near_misses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_a", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_b", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("found_at", TZ, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="open"),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("reviewed_at", TZ),
        sa.UniqueConstraint("record_a", "record_b", name="uq_near_misses_pair"),
    )
    op.create_index("ix_near_misses_state", "near_misses", ["state", "score"])
    op.create_index("ix_near_misses_record_b", "near_misses", ["record_b"])
    op.create_table(
        "suspicious_clusters",
        sa.Column("cluster_id", sa.Text, primary_key=True),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("found_at", TZ, nullable=False),
    )
    op.add_column("staff_users", sa.Column("role", sa.String(16), nullable=False, server_default="administrator"))
    op.add_column("staff_users", sa.Column("member", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("member")
        batch.drop_column("role")
    op.drop_table("suspicious_clusters")
    op.drop_index("ix_near_misses_record_b", table_name="near_misses")
    op.drop_index("ix_near_misses_state", table_name="near_misses")
    op.drop_table("near_misses")
    op.drop_table("identifier_marks")
    op.drop_index("ix_decision_records_record", table_name="decision_records")
    op.drop_table("decision_records")
    op.drop_index("ix_dedup_decisions_status", table_name="dedup_decisions")
    op.drop_index("ix_dedup_decisions_made_by", table_name="dedup_decisions")
    with op.batch_alter_table("dedup_decisions") as batch:
        for column in ("undone_at", "undone_by", "undoes", "outcome", "applied_at", "state", "preview", "status",
                       "override"):
            batch.drop_column(column)
