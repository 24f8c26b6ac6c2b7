"""The dedup step: refresh match keys of changed records, regroup, keep ids stable."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dedup.clusterer import Facts, assign_ids, group
from dedup.keys import match_keys
from store import ClusterPlan, Store

log = logging.getLogger(__name__)


@dataclass
class DedupReport:
    """What a dedup run changed."""

    records: int = 0
    rematched: int = 0
    clusters: int = 0
    multi_member: int = 0
    merged_away: int = 0
    retired: int = 0

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)


def run_dedup(store: Store) -> DedupReport:
    """Cluster every live record; only changed records get new match keys."""
    report = DedupReport()
    changed = store.records_to_match()
    store.replace_match_keys({r.id: (set() if r.deleted or r.record is None else match_keys(r.record)) for r in changed})
    report.rematched = len(changed)
    facts = _facts(store)
    report.records = len(facts)
    forced, forbidden = _decisions(store, facts)
    groups = group(facts, forced, forbidden)
    previous = {rid: cid for rid, cid in store.cluster_assignments().items() if rid in facts}
    old_alive = set(store.cluster_ids())
    named, redirects = assign_ids(groups, previous, facts, old_alive)
    kept = {cid for cid, _ in named}
    retired = old_alive - kept - set(redirects)
    store.save_clusters([ClusterPlan(cid, members) for cid, members in named], redirects, retired, [r.id for r in changed])
    store.touch_clusters(_clusters_of_changed(store, changed))
    report.clusters = len(named)
    report.multi_member = sum(1 for _, members in named if len(members) > 1)
    report.merged_away, report.retired = len(redirects), len(retired)
    log.info("dedup: %d records in %d clusters (%d with several members)", report.records, report.clusters, report.multi_member)
    return report


def _facts(store: Store) -> dict[int, Facts]:
    keys = store.all_match_keys()
    return {rid: Facts(info["source"], info["public_id"], info["format"] or "", info["year"], keys.get(rid, set()))
            for rid, info in store.live_record_facts().items()}


def _decisions(store: Store, facts: dict[int, Facts]) -> tuple[list[tuple[int, int]], set[frozenset]]:
    """Librarians' merges as forced pairs, splits as pairs that must stay apart."""
    by_public = {fact.public_id: rid for rid, fact in facts.items()}
    forced, forbidden = [], set()
    for decision in store.decisions():
        a, b = by_public.get(decision.record_a), by_public.get(decision.record_b or "")
        if a is None or b is None:
            continue
        if decision.kind == "merge":
            forced.append((a, b))
            forbidden.discard(frozenset((a, b)))
        else:
            forbidden.add(frozenset((a, b)))
            forced = [pair for pair in forced if frozenset(pair) != frozenset((a, b))]
    return forced, forbidden


def _clusters_of_changed(store: Store, changed) -> set[str]:
    assignments = store.cluster_assignments()
    return {assignments[r.id] for r in changed if r.id in assignments}
