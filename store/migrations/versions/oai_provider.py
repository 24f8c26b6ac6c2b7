"""The OAI-PMH provider's datestamps and deletions per cluster and set.

`oai_items` holds one row per cluster for the whole repository (set_spec "")
and one per set the cluster is or was in; rows are never deleted, so
deletions are persistent. The provider's change-log consumer fills it.

Revision ID: oai_provider
Revises: corr_history
"""

import sqlalchemy as sa
from alembic import op

revision = "oai_provider"
down_revision = "corr_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oai_items",
        sa.Column("set_spec", sa.Text, primary_key=True),
        sa.Column("cluster_id", sa.Text, primary_key=True),
        sa.Column("datestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    op.create_index("ix_oai_items_order", "oai_items", ["set_spec", "datestamp", "cluster_id"])
    op.create_index("ix_oai_items_cluster", "oai_items", ["cluster_id"])


def downgrade() -> None:
    op.drop_index("ix_oai_items_cluster", table_name="oai_items")
    op.drop_index("ix_oai_items_order", table_name="oai_items")
    op.drop_table("oai_items")
