"""Tables of the record store, as the code reads and writes them.

Written with SQLAlchemy Core only, so the same code runs on SQLite and
PostgreSQL. The tables are created and changed only by the Alembic
revisions in `store/migrations/versions/` (`unioncat migrate`); a change here
needs a new revision there, and `tests/test_migrations.py` checks that the
two agree.
"""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
    Table, Text, UniqueConstraint, false,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UtcDateTime(TypeDecorator):
    """A moment in UTC, aware on the way in and out on both databases.

    PostgreSQL's timestamptz keeps the zone; SQLite keeps text and would drop any
    offset silently and give naive datetimes back, so values are turned into
    UTC before they are written and marked UTC when they are read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


records = Table(
    "records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("local_id", Text),                   # 001; null for a tombstone never seen alive
    Column("oai_identifier", Text),             # null for file sources
    Column("datestamp", Text),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("raw", LargeBinary),                 # the MARC as received, for re-normalising
    Column("raw_format", String(16)),           # iso2709 | marcxml
    Column("data", Text),                       # the normalised Record as JSON
    Column("title", Text),
    Column("year", Integer),
    Column("format", String(32)),
    Column("parent_id", Text),                  # a holdings record's bibliographic 001 (004)
    Column("content_hash", String(64)),
    Column("flags", Text, nullable=False, default=""),
    Column("needs_match", Boolean, nullable=False, default=True),
    Column("rules_version", Integer),           # normalise.RULES_VERSION of `data`; null: from before versions
    Column("harvested_at", UtcDateTime()),
    Column("updated_at", UtcDateTime()),
    UniqueConstraint("source", "local_id", name="uq_records_source_local"),
    UniqueConstraint("source", "oai_identifier", name="uq_records_source_oai"),
)
Index("ix_records_needs_match", records.c.needs_match)
Index("ix_records_parent", records.c.source, records.c.parent_id)
Index("ix_records_rules_version", records.c.rules_version)

match_keys = Table(
    "match_keys", metadata,
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Text, nullable=False),
)
Index("ix_match_keys_value", match_keys.c.kind, match_keys.c.value)
Index("ix_match_keys_record", match_keys.c.record_id)

# dedup's own state: the version of the match keys stored (`keys_version`) and, while an upgrade gives every
# record the new keys in batches, the last record id done (`keys_backfill_after`), so a killed run resumes
dedup_state = Table(
    "dedup_state", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

clusters = Table(
    "clusters", metadata,
    Column("id", Text, primary_key=True),
    Column("alive", Boolean, nullable=False, default=True),
    Column("size", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

cluster_members = Table(
    "cluster_members", metadata,
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", Text, ForeignKey("clusters.id"), nullable=False),
    Column("evidence", Text, nullable=False, default="{}"),
)
Index("ix_cluster_members_cluster", cluster_members.c.cluster_id)

cluster_redirects = Table(
    "cluster_redirects", metadata,
    Column("old_id", Text, primary_key=True),
    Column("new_id", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

dedup_decisions = Table(
    "dedup_decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),          # split | merge
    Column("record_a", Text, nullable=False),           # source:local_id
    Column("record_b", Text),
    Column("made_by", Text, nullable=False),
    Column("made_at", UtcDateTime(), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("override", Boolean, nullable=False, default=False, server_default=false()),
    Column("status", String(16), nullable=False, default="applied", server_default="applied"),  # applied | queued | refused
    Column("preview", Text),                            # the Preview (JSON) the decision was confirmed on
    Column("state", String(64)),                        # its state token
    Column("applied_at", UtcDateTime()),
    Column("outcome", Text),                            # why a queued correction was refused when its turn came
    Column("undoes", Integer),                          # an undo: the decision it undid
    Column("undone_by", Text),
    Column("undone_at", UtcDateTime()),
)
Index("ix_dedup_decisions_made_by", dedup_decisions.c.made_by)
Index("ix_dedup_decisions_status", dedup_decisions.c.status)

# The two sides of a decision (public ids): every pair across them together (merge) or apart (split).
decision_records = Table(
    "decision_records", metadata,
    Column("decision_id", Integer, ForeignKey("dedup_decisions.id", ondelete="CASCADE"), primary_key=True),
    Column("record", Text, primary_key=True),
    Column("side", String(1), nullable=False),          # a | b
)
Index("ix_decision_records_record", decision_records.c.record)

# Identifier values that do not identify (one ISBN on a whole series): dedup takes them as no evidence.
identifier_marks = Table(
    "identifier_marks", metadata,
    Column("scheme", String(16), primary_key=True),
    Column("value", Text, primary_key=True),
    Column("decision_id", Integer, ForeignKey("dedup_decisions.id"), nullable=False),
)

# Pairs a dedup run compared and did not merge although they came close (kind close-title | one-veto).
near_misses = Table(
    "near_misses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_a", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("record_b", Integer, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("found_at", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False, default="open", server_default="open"),   # open | merged | dismissed
    Column("reviewed_by", Text),
    Column("reviewed_at", UtcDateTime()),
    UniqueConstraint("record_a", "record_b", name="uq_near_misses_pair"),
)
Index("ix_near_misses_state", near_misses.c.state, near_misses.c.score)
Index("ix_near_misses_record_b", near_misses.c.record_b)

# Clusters whose members disagree (identifiers, years, formats), as the run that last touched them found.
suspicious_clusters = Table(
    "suspicious_clusters", metadata,
    Column("cluster_id", Text, primary_key=True),
    Column("reasons", Text, nullable=False),            # JSON list
    Column("found_at", UtcDateTime(), nullable=False),
)

source_state = Table(
    "source_state", metadata,
    Column("source", String(32), primary_key=True),
    Column("last_started", UtcDateTime()),
    Column("last_finished", UtcDateTime()),
    Column("last_success", UtcDateTime()),
    Column("last_outcome", String(32)),
    Column("last_error", Text),
    Column("next_from", Text),                   # responseDate of the last complete run
    Column("granularity", Text),
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("source", String(32), primary_key=True),
    Column("window_from", Text),
    Column("window_until", Text),
    Column("token", Text),
    Column("pages_done", Integer, nullable=False, default=0),
    Column("response_date", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("oai_identifier", Text),
    Column("local_id", Text),
    Column("position", Text),                    # file:record number or page number
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary),
    Column("raw_format", String(16)),
    Column("run_id", Integer),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
)
Index("ix_quarantine_source", quarantine.c.source, quarantine.c.resolved)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(32), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("outcome", String(32)),
    Column("report", Text),
)


staff_users = Table(
    "staff_users", metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # bumped on every password change and on removal: sessions signed with another version are void
    Column("session_version", Integer, nullable=False, default=1, server_default="1"),
    Column("removed_at", UtcDateTime()),     # kept, so a re-created name never revives old sessions
    Column("role", String(16), nullable=False, default="administrator", server_default="administrator"),  # or cataloguer
    Column("member", String(32)),            # a source code: the account corrects only that member's records
)

login_throttle = Table(
    "login_throttle", metadata,
    Column("scope", String(16), primary_key=True),     # staff | address | (later) patron
    Column("key", String(255), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("window_started", Float, nullable=False),   # Unix seconds
    Column("locked_until", Float),                     # Unix seconds; null when never locked
)

leases = Table(
    "leases", metadata,
    Column("name", Text, primary_key=True),              # writer | harvest:<source> | harvest-round | ...
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("command", Text, nullable=False),
    Column("token", String(64), nullable=False),          # the holder's secret: renewals and releases compare it
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

harvest_rounds = Table(
    "harvest_rounds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),      # dedup and index done; null while the round is open
    Column("outcome", Text),
)

round_sources = Table(
    "round_sources", metadata,
    Column("round_id", Integer, ForeignKey("harvest_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("source", Text, primary_key=True),
    Column("state", String(16), nullable=False),         # todo | done | failed | missed
    Column("worker", Text),
    Column("finished_at", UtcDateTime()),
)

# Append-only: one row per cluster whose displayed record changed, merged away or emptied, written
# in the clustering's own transaction. BIGINT on PostgreSQL; on SQLite only INTEGER is the rowid.
change_log = Table(
    "change_log", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("cluster_id", Text, nullable=False),
    Column("kind", String(16), nullable=False),          # changed | merged | emptied
    Column("target", Text),                              # the absorbing cluster of a merged one
    Column("created_at", UtcDateTime(), nullable=False),
    sqlite_autoincrement=True,     # never reuse a number, even after pruning every entry
)
Index("ix_change_log_created", change_log.c.created_at)

# Each consumer of the change log (a node's index, later a search engine or the OAI provider)
# and the last sequence number whose work it has made durable.
change_consumers = Table(
    "change_consumers", metadata,
    Column("name", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# The OAI-PMH provider's view of the clusters: one row per cluster in the whole repository (set "")
# and one per set it is or was in, with the datestamp of its last change there. Rows are never
# deleted: a cluster merged away, emptied or gone from a set stays as a deleted record (deletedRecord
# "persistent"). Written by the provider's change-log consumer; harvests page by (datestamp, id).
oai_items = Table(
    "oai_items", metadata,
    Column("set_spec", Text, primary_key=True),          # "" for the whole repository
    Column("cluster_id", Text, primary_key=True),
    Column("datestamp", UtcDateTime(), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
)
Index("ix_oai_items_order", oai_items.c.set_spec, oai_items.c.datestamp, oai_items.c.cluster_id)
Index("ix_oai_items_cluster", oai_items.c.cluster_id)
