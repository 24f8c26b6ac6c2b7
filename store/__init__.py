"""The durable record store: the only user of SQL."""

from store.clusters import ClusterPlan, ClustersMixin, Decision
from store.core import StoreBase, StoreError, now
from store.records import IncomingRecord, PageCounts, QuarantineItem, RecordsMixin, StoredRecord
from store.staff import StaffMixin
from store.state import Checkpoint, QuarantinedRecord, SourceStatus, StateMixin
from store.throttle import ThrottleMixin


class Store(RecordsMixin, StateMixin, ClustersMixin, StaffMixin, ThrottleMixin, StoreBase):
    """Records, harvest state, clusters, staff accounts and login counters in one database (SQLite or PostgreSQL)."""


__all__ = [
    "Checkpoint", "ClusterPlan", "Decision", "IncomingRecord", "PageCounts", "QuarantineItem",
    "QuarantinedRecord", "SourceStatus", "Store", "StoreError", "StoredRecord", "now",
]
