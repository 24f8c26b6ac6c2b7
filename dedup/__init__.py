"""Deduplication: match keys, grouping into clusters, stable ids, librarians' decisions."""

from dedup.clusterer import Facts, assign_ids, compatible, group
from dedup.display import ClusterView, build_view, cluster_view
from dedup.keys import match_keys, title_author_key
from dedup.run import DedupReport, run_dedup

__all__ = ["ClusterView", "build_view", "cluster_view", "Facts", "assign_ids", "compatible", "group", "match_keys", "title_author_key", "DedupReport", "run_dedup"]
