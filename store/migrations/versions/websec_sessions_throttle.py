"""Staff session versions (bumped on password change and removal; removed accounts kept) and login throttling.

Revision ID: websec_sessions_throttle
Revises: 0001_baseline
"""

import sqlalchemy as sa
from alembic import op

revision = "websec_sessions_throttle"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff_users", sa.Column("session_version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("staff_users", sa.Column("removed_at", sa.DateTime(timezone=True)))
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started", sa.Float, nullable=False),
        sa.Column("locked_until", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("removed_at")
        batch.drop_column("session_version")
