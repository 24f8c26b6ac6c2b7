"""The dedup step: refresh match keys of changed records, match them, keep ids stable.

Incremental: only records added, deleted, changed or named in a librarian's
decision since the last run, and the other members of their clusters, are
matched again; every other cluster stays exactly as it was. `full=True`
matches everything again.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from dedup.clusterer import Edge, Facts, assign_ids, group
from dedup.decide import decide
from dedup.keys import match_keys
from normalise import Record
from settings import pause_point
from store import ClusterPlan, Store

log = logging.getLogger(__name__)
MAX_CANDIDATES_PER_KEY = 50   # a key shared by more records is noise (one ISBN on a whole series)


@dataclass
class DedupReport:
    """What a dedup run changed."""

    records: int = 0
    rematched: int = 0
    compared: int = 0
    clusters: int = 0
    multi_member: int = 0
    merged_away: int = 0
    retired: int = 0

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)


def run_dedup(store: Store, *, full: bool = False, several_per_cluster: frozenset[str] = frozenset()) -> DedupReport:
    """Cluster every live record; only changed records are matched again unless `full`.

    A source is one member catalogue, so a cluster holds at most one of its
    records, except for sources in `several_per_cluster`.
    """
    with _collector_paused():
        return _run(store, full, several_per_cluster)


@contextmanager
def _collector_paused():
    """Python's cycle collector off for the length of a run.

    A run holds every changed record as many small objects; the collector
    kept walking them all and took about a third of the time
    (bench/dedup.py). What a run allocates has no reference cycles to speak
    of; the collector runs again as soon as the run ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(store: Store, full: bool, several_per_cluster: frozenset[str]) -> DedupReport:
    report = DedupReport()
    changed = store.records_to_match()
    store.replace_match_keys({r.id: (set() if r.deleted or r.record is None else match_keys(r.record)) for r in changed})
    facts = {rid: Facts(info["source"], info["public_id"]) for rid, info in store.live_record_facts().items()}
    previous = {rid: cid for rid, cid in store.cluster_assignments().items() if rid in facts}
    forced, forbidden, decided = _decisions(store, facts)
    affected = _affected(set(facts) if full else {r.id for r in changed} | decided, previous, facts)
    known = {r.id: r.record for r in changed if r.record is not None and not r.deleted}
    edges = _edges(store, affected, facts, known, several_per_cluster)
    fixed = _fixed_groups(previous, affected)
    evidence = {rid: ev for rid, ev in store.member_evidence().items() if rid in facts and rid not in affected}
    groups = group(facts, fixed, edges, forced, forbidden, evidence, several_per_cluster)
    old_alive = set(store.cluster_ids())
    named, redirects = assign_ids(groups, previous, facts, old_alive)
    retired = old_alive - {cid for cid, _ in named} - set(redirects)
    pause_point("dedup-before-save")
    store.save_clusters([ClusterPlan(cid, members) for cid, members in named], redirects, retired, [r.id for r in changed])
    store.touch_clusters({cid for cid, members in named if affected & set(members)})
    report.records, report.rematched, report.compared = len(facts), len(affected), len(edges)
    report.clusters = len(named)
    report.multi_member = sum(1 for _, members in named if len(members) > 1)
    report.merged_away, report.retired = len(redirects), len(retired)
    log.info("dedup: %d records in %d clusters (%d with several members)", report.records, report.clusters, report.multi_member)
    return report


def _affected(seeds: set[int], previous: dict[int, str], facts: dict[int, Facts]) -> set[int]:
    """The changed records and every other member of the clusters they were in (a leaver may split one)."""
    touched = {previous[rid] for rid in seeds if rid in previous}
    return ({rid for rid in seeds if rid in facts} | {rid for rid, cid in previous.items() if cid in touched})


def _fixed_groups(previous: dict[int, str], affected: set[int]) -> list[set[int]]:
    by_cluster: dict[str, set[int]] = defaultdict(set)
    for rid, cid in previous.items():
        if rid not in affected:
            by_cluster[cid].add(rid)
    return list(by_cluster.values())


def _edges(store: Store, affected: set[int], facts: dict[int, Facts], known: dict[int, Record],
           several_per_cluster: frozenset[str]) -> list[Edge]:
    """Candidates by shared key among other sources' records, each pair decided on its evidence."""
    keys = store.all_match_keys() if affected else {}
    wanted = {key for rid in affected for key in keys.get(rid, ())}
    holders = store.records_with_keys(wanted)
    pairs = set()
    for rid in affected:
        for key in keys.get(rid, ()):
            others = [o for o in holders.get(key, ()) if o in facts]
            if len(others) > MAX_CANDIDATES_PER_KEY:
                continue
            pairs |= {(min(rid, o), max(rid, o)) for o in others if o != rid and
                      (facts[o].source != facts[rid].source or facts[o].source in several_per_cluster)}
    records = _records(store, {rid for pair in pairs for rid in pair}, known)
    edges = []
    for a, b in sorted(pairs):
        verdict = decide(records[a], records[b])
        if verdict.match:
            edges.append(Edge(a, b, verdict.score, verdict.evidence()))
    return edges


def _records(store: Store, ids: set[int], known: dict[int, Record]) -> dict[int, Record]:
    """The records of `ids`, reading from the store only those not already at hand."""
    missing = sorted(ids - set(known))
    loaded = {stored.id: stored.record for stored in store.records(ids=missing) if stored.record is not None}
    return {rid: known.get(rid) or loaded[rid] for rid in ids if rid in known or rid in loaded}


def _decisions(store: Store, facts: dict[int, Facts]) -> tuple[list[tuple[int, int]], set[frozenset], set[int]]:
    """Librarians' merges as forced pairs, splits as pairs that must stay apart; later decisions win."""
    by_public = {fact.public_id: rid for rid, fact in facts.items()}
    latest: dict[frozenset, str] = {}
    for decision in store.decisions():
        a, b = by_public.get(decision.record_a), by_public.get(decision.record_b or "")
        if a is not None and b is not None and a != b:
            latest[frozenset((a, b))] = decision.kind
    forced = [tuple(sorted(pair)) for pair, kind in latest.items() if kind == "merge"]
    forbidden = {pair for pair, kind in latest.items() if kind == "split"}
    return forced, forbidden, {rid for pair in latest for rid in pair}
