"""The durable record store: the only user of SQL."""

from store.changes import Change, ChangesMixin, Consumer
from store.clusters import ClusterChange, ClusterPlan, ClustersMixin
from store.decisions import Decision, DecisionsMixin, NewDecision
from store.feed import FeedMixin
from store.core import StoreBase, StoreError, now
from store.oai import ALL as OAI_ALL, OaiHeader, OaiMixin, OaiState, OaiWindow
from store.leases import WRITER, HeldLease, Lease, LeaseHeld, LeaseLost, LeasesMixin, harvest_lease
from store.rounds import CLOSING_LEASE, Round, RoundsMixin
from store.review import REVIEW_STATES, NearMiss, NearMissPair, ReviewMixin, SuspiciousCluster
from store.rederive import RederiveMixin, Rederived
from store.records import IncomingRecord, PageCounts, QuarantineItem, RecordsMixin, StoredRecord
from store.staff import ROLES, Account, StaffMixin
from store.state import Checkpoint, QuarantinedRecord, SourceStatus, StateMixin
from store.throttle import ThrottleMixin


class Store(RecordsMixin, StateMixin, ClustersMixin, DecisionsMixin, ReviewMixin, ChangesMixin, FeedMixin, StaffMixin,
            ThrottleMixin, LeasesMixin, RoundsMixin, OaiMixin, RederiveMixin, StoreBase):
    """Records, harvest state, clusters, librarians' decisions, review queues, the change log, staff accounts,
    login counters, leases and the OAI-PMH provider's items in one database (SQLite or PostgreSQL)."""


__all__ = [
    "ROLES", "Account", "CLOSING_LEASE", "Change", "Checkpoint", "ClusterChange", "ClusterPlan", "Consumer", "Decision",
    "HeldLease", "NearMiss", "NearMissPair", "NewDecision", "REVIEW_STATES", "SuspiciousCluster",
    "IncomingRecord", "Lease", "LeaseHeld", "LeaseLost", "OAI_ALL", "OaiHeader", "OaiState", "OaiWindow", "PageCounts", "QuarantineItem", "QuarantinedRecord", "Rederived", "Round",
    "SourceStatus", "Store", "StoreError", "StoredRecord", "WRITER", "harvest_lease", "now",
]
