"""Deduplication: match keys, pairwise decisions, clusters with stable ids, librarians' corrections."""

from dedup.clusterer import Edge, Facts, assign_ids, group
from dedup.corrections import CorrectionError, merge_clusters, split_record
from dedup.decide import Verdict, decide, title_similarity
from dedup.display import ClusterView, build_view, cluster_view, cluster_views, cluster_views_with_records
from dedup.keys import match_keys, title_author_key
from dedup.run import DedupReport, run_dedup

__all__ = [
    "ClusterView", "build_view", "cluster_view", "cluster_views", "cluster_views_with_records", "Edge", "Facts", "assign_ids", "group", "Verdict", "decide",
    "title_similarity", "CorrectionError", "merge_clusters", "split_record", "match_keys", "title_author_key", "DedupReport", "run_dedup",
]
