"""The version of the normalisation rules each stored record was derived under.

Null for records stored before versions were kept: they count as older than
any version, so the first nightly run after this upgrade re-derives them.

Revision ID: rules_version
Revises: oai_provider
"""

import sqlalchemy as sa
from alembic import op

revision = "rules_version"
down_revision = "oai_provider"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("rules_version", sa.Integer, nullable=True))
    op.create_index("ix_records_rules_version", "records", ["rules_version"])


def downgrade() -> None:
    op.drop_index("ix_records_rules_version", table_name="records")
    op.drop_column("records", "rules_version")
