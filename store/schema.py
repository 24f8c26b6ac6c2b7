"""Tables of the record store, as the code reads and writes them.

Written with SQLAlchemy Core only, so the same code runs on SQLite and
PostgreSQL. The tables are created and changed only by the Alembic
revisions in `store/migrations/versions/` (`unioncat migrate`); a change here
needs a new revision there, and `tests/test_migrations.py` checks that the
two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
    Table, Text, UniqueConstraint,
)

metadata = MetaData()

records = Table(
    "records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("local_id", String(255)),            # 001; null for a tombstone never seen alive
    Column("oai_identifier", String(512)),      # null for file sources
    Column("datestamp", String(32)),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("raw", LargeBinary),                 # the MARC as received, for re-normalising
    Column("raw_format", String(16)),           # iso2709 | marcxml
    Column("data", Text),                       # the normalised Record as JSON
    Column("title", Text),
    Column("year", Integer),
    Column("format", String(32)),
    Column("parent_id", String(255)),           # a holdings record's bibliographic 001 (004)
    Column("content_hash", String(64)),
    Column("flags", Text, nullable=False, default=""),
    Column("needs_match", Boolean, nullable=False, default=True),
    Column("harvested_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    UniqueConstraint("source", "local_id", name="uq_records_source_local"),
    UniqueConstraint("source", "oai_identifier", name="uq_records_source_oai"),
)
Index("ix_records_needs_match", records.c.needs_match)
Index("ix_records_parent", records.c.source, records.c.parent_id)

match_keys = Table(
    "match_keys", metadata,
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", String(255), nullable=False),
)
Index("ix_match_keys_value", match_keys.c.kind, match_keys.c.value)
Index("ix_match_keys_record", match_keys.c.record_id)

clusters = Table(
    "clusters", metadata,
    Column("id", String(32), primary_key=True),
    Column("alive", Boolean, nullable=False, default=True),
    Column("size", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

cluster_members = Table(
    "cluster_members", metadata,
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", String(32), ForeignKey("clusters.id"), nullable=False),
    Column("evidence", Text, nullable=False, default="{}"),
)
Index("ix_cluster_members_cluster", cluster_members.c.cluster_id)

cluster_redirects = Table(
    "cluster_redirects", metadata,
    Column("old_id", String(32), primary_key=True),
    Column("new_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

dedup_decisions = Table(
    "dedup_decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),          # split | merge
    Column("record_a", String(300), nullable=False),     # source:local_id
    Column("record_b", String(300)),
    Column("made_by", String(100), nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, default=""),
)

source_state = Table(
    "source_state", metadata,
    Column("source", String(32), primary_key=True),
    Column("last_started", DateTime(timezone=True)),
    Column("last_finished", DateTime(timezone=True)),
    Column("last_success", DateTime(timezone=True)),
    Column("last_outcome", String(32)),
    Column("last_error", Text),
    Column("next_from", String(32)),             # responseDate of the last complete run
    Column("granularity", String(32)),
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("source", String(32), primary_key=True),
    Column("window_from", String(32)),
    Column("window_until", String(32)),
    Column("token", Text),
    Column("pages_done", Integer, nullable=False, default=0),
    Column("response_date", String(32)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("oai_identifier", String(512)),
    Column("local_id", String(255)),
    Column("position", String(255)),             # file:record number or page number
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary),
    Column("raw_format", String(16)),
    Column("run_id", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
)
Index("ix_quarantine_source", quarantine.c.source, quarantine.c.resolved)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(32)),
    Column("report", Text),
)


staff_users = Table(
    "staff_users", metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # bumped on every password change and on removal: sessions signed with another version are void
    Column("session_version", Integer, nullable=False, default=1, server_default="1"),
    Column("removed_at", DateTime(timezone=True)),     # kept, so a re-created name never revives old sessions
)

login_throttle = Table(
    "login_throttle", metadata,
    Column("scope", String(16), primary_key=True),     # staff | address | (later) patron
    Column("key", String(255), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("window_started", Float, nullable=False),   # Unix seconds
    Column("locked_until", Float),                     # Unix seconds; null when never locked
)

# Append-only: one row per cluster whose displayed record changed, merged away or emptied, written
# in the clustering's own transaction. BIGINT on PostgreSQL; on SQLite only INTEGER is the rowid.
change_log = Table(
    "change_log", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("cluster_id", Text, nullable=False),
    Column("kind", String(16), nullable=False),          # changed | merged | emptied
    Column("target", Text),                              # the absorbing cluster of a merged one
    Column("created_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,     # never reuse a number, even after pruning every entry
)
Index("ix_change_log_created", change_log.c.created_at)

# Each consumer of the change log (a node's index, later a search engine or the OAI provider)
# and the last sequence number whose work it has made durable.
change_consumers = Table(
    "change_consumers", metadata,
    Column("name", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
