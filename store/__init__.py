"""The durable record store: the only user of SQL."""

from store.clusters import ClusterPlan, ClustersMixin, Decision
from store.core import StoreBase, StoreError, now
from store.records import IncomingRecord, PageCounts, QuarantineItem, RecordsMixin, StoredRecord
from store.staff import StaffMixin
from store.state import Checkpoint, QuarantinedRecord, SourceStatus, StateMixin


class Store(RecordsMixin, StateMixin, ClustersMixin, StaffMixin, StoreBase):
    """Records, harvest state and clusters in one database (SQLite or PostgreSQL)."""


__all__ = [
    "Checkpoint", "ClusterPlan", "Decision", "IncomingRecord", "PageCounts", "QuarantineItem",
    "QuarantinedRecord", "SourceStatus", "Store", "StoreError", "StoredRecord", "now",
]
