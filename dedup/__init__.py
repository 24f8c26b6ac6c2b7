"""Deduplication: match keys, pairwise decisions, clusters with stable ids, librarians' corrections."""

from dedup.clusterer import Edge, Facts, assign_ids, group
from dedup.corrections import (
    QUEUED_MESSAGE, CorrectionError, NotPermitted, Outcome, RulesBroken, StaleCorrection, UndoNeedsConfirmation,
    apply_queued, apply_queued_if_free, check, confirm, mark_not_identifying, may_correct, merge_clusters, preview_merge, preview_split,
    split_record, undo, unmark_not_identifying,
)
from dedup.history import HistoryEntry, history, history_csv
from dedup.preview import Broken, ClusterSide, Move, Preview
from dedup.decide import Verdict, decide, title_similarity
from dedup.display import ClusterView, build_view, cluster_view, cluster_views, cluster_views_with_records
from dedup.keys import match_keys, title_author_key
from dedup.run import DedupReport, run_dedup

__all__ = [
    "ClusterView", "build_view", "cluster_view", "cluster_views", "cluster_views_with_records", "Edge", "Facts", "assign_ids", "group", "Verdict", "decide",
    "title_similarity", "CorrectionError", "merge_clusters", "split_record", "QUEUED_MESSAGE", "NotPermitted", "Outcome",
    "RulesBroken", "StaleCorrection", "UndoNeedsConfirmation", "apply_queued", "apply_queued_if_free", "check", "confirm", "mark_not_identifying",
    "may_correct", "preview_merge", "preview_split", "undo", "unmark_not_identifying", "HistoryEntry", "history",
    "history_csv", "Broken", "ClusterSide", "Move", "Preview", "match_keys", "title_author_key", "DedupReport", "run_dedup",
]
