"""Text for every column that holds what comes from outside: identifiers, positions, datestamps, cluster ids.

The baseline's lengths (String(32) cluster ids, a 255-character quarantine
position, 32-character datestamps) were never enforced on SQLite; PostgreSQL
enforces them, and a long resumption token in a position, a server's odd
responseDate or a grown cluster id would fail a whole page or run there.

On SQLite this revision changes nothing: SQLite ignores declared lengths, and
altering a column there means rebuilding its table, which with foreign keys on
would cascade-delete the rows that reference `records`.

Revision ID: pg_text_columns
Revises: websec_sessions_throttle
"""

import sqlalchemy as sa
from alembic import op

revision = "pg_text_columns"
down_revision = "websec_sessions_throttle"
branch_labels = None
depends_on = None

# table -> {column: its length in the baseline}; written out, not derived from store/schema.py
WIDENED = {
    "records": {"local_id": 255, "oai_identifier": 512, "datestamp": 32, "parent_id": 255},
    "match_keys": {"value": 255},
    "clusters": {"id": 32},
    "cluster_members": {"cluster_id": 32},
    "cluster_redirects": {"old_id": 32, "new_id": 32},
    "dedup_decisions": {"record_a": 300, "record_b": 300, "made_by": 100},
    "source_state": {"next_from": 32, "granularity": 32},
    "checkpoints": {"window_from": 32, "window_until": 32, "response_date": 32},
    "quarantine": {"oai_identifier": 512, "local_id": 255, "position": 255},
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            # a longer value than the old limit makes this fail rather than cut it short
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
