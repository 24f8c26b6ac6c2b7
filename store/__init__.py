"""The durable record store: the only user of SQL."""

from store.changes import Change, ChangesMixin, Consumer
from store.clusters import ClusterChange, ClusterPlan, ClustersMixin, Decision
from store.feed import FeedMixin
from store.core import StoreBase, StoreError, now
from store.records import IncomingRecord, PageCounts, QuarantineItem, RecordsMixin, StoredRecord
from store.staff import StaffMixin
from store.state import Checkpoint, QuarantinedRecord, SourceStatus, StateMixin
from store.throttle import ThrottleMixin


class Store(RecordsMixin, StateMixin, ClustersMixin, ChangesMixin, FeedMixin, StaffMixin, ThrottleMixin, StoreBase):
    """Records, harvest state, clusters, the change log, staff accounts and login counters in one database
    (SQLite or PostgreSQL)."""


__all__ = [
    "Change", "Checkpoint", "ClusterChange", "ClusterPlan", "Consumer", "Decision", "IncomingRecord", "PageCounts", "QuarantineItem",
    "QuarantinedRecord", "SourceStatus", "Store", "StoreError", "StoredRecord", "now",
]
