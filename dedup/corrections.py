"""Librarians' corrections: split a record out of its cluster, merge two clusters.

A decision is stored and honoured by every later run; applying it runs an
incremental dedup at once so the catalogue shows it without waiting for the
night.
"""

from __future__ import annotations

from dedup.run import DedupReport, run_dedup
from store import Store


class CorrectionError(Exception):
    """A split or merge that cannot be made (unknown record, nothing to do)."""


def split_record(store: Store, record_id: str, made_by: str, note: str = "", *,
                 several_per_cluster: frozenset[str] = frozenset()) -> DedupReport:
    """Keep `record_id` (`source:001`) apart from every other member of its cluster."""
    cluster_id = store.resolve_cluster(record_id)
    if cluster_id is None:
        raise CorrectionError(f"no live record {record_id}")
    others = [pid for pid in store.member_public_ids(cluster_id) if pid != record_id]
    if not others:
        raise CorrectionError(f"{record_id} is already alone in its cluster {cluster_id}")
    for other in others:
        store.add_decision("split", record_id, other, made_by, note)
    return run_dedup(store, several_per_cluster=several_per_cluster)


def merge_clusters(store: Store, first: str, second: str, made_by: str, note: str = "", *,
                   several_per_cluster: frozenset[str] = frozenset()) -> DedupReport:
    """Put the clusters of `first` and `second` (cluster or record ids) together."""
    a, b = store.resolve_cluster(first), store.resolve_cluster(second)
    if a is None or b is None:
        raise CorrectionError(f"no live cluster or record {first if a is None else second}")
    if a == b:
        raise CorrectionError(f"{first} and {second} are already one cluster ({a})")
    members_a, members_b = store.member_public_ids(a), store.member_public_ids(b)
    store.add_decision("merge", members_a[0], members_b[0], made_by, note)
    return run_dedup(store, several_per_cluster=several_per_cluster)
