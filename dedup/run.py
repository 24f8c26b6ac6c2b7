"""The dedup step: refresh match keys of changed records, match them, keep ids stable.

Incremental: only records added, deleted, changed or named in a librarian's
decision since the last run, and the other members of their clusters, are
matched again; every other cluster stays exactly as it was. `full=True`
matches everything again.

A run matches at most MATCH_BATCH records at a time, each slice saved
before the next is read, so that its memory does not grow with the
catalogue: a member's first harvest of millions of records, or a full run,
is a series of slices, and a run killed between them goes on from the
first unsaved slice (the changed records still wait to be matched; a full
run is simply run again).
"""

from __future__ import annotations

import gc
import logging
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace

from dedup.clusterer import Edge, Facts, assign_ids, group, new_id_candidates
from dedup.decide import decide
from dedup.keys import KEYS_VERSION, match_keys
from dedup.review import kept_apart, near_miss_kind, suspicious
from normalise import Record
from settings import pause_point
from store import ClusterChange, ClusterPlan, NearMissPair, Store

log = logging.getLogger(__name__)
MAX_CANDIDATES_PER_KEY = 50   # a key shared by more records is noise (one ISBN on a whole series)
KEYS_BATCH = 5000             # records given new match keys per transaction after an upgrade
MATCH_BATCH = 20_000          # records matched per slice (a first load of 100,000: peak 576 MB, in one slice 1,200)


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
    keys_upgraded: int = 0       # records given the current match keys by the first run after an upgrade

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)

    def add(self, part: "DedupReport") -> None:
        """Count a slice's work in; the catalogue's totals are the latest slice's."""
        self.records, self.clusters, self.multi_member = part.records, part.clusters, part.multi_member
        self.rematched += part.rematched
        self.compared += part.compared
        self.merged_away += part.merged_away
        self.retired += part.retired


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
    upgraded = _upgrade_keys(store)
    report = DedupReport(keys_upgraded=upgraded or 0)
    waiting = _Bits()       # records this run has still to match: not a candidate until their own slice
    first = store.records_to_match(0, MATCH_BATCH)
    sliced = len(first) == MATCH_BATCH
    if sliced:              # keys of every changed record first, so that a key's holders are counted whole
        _key_changed(store, first, waiting)
    waiting.update(r.id for r in first)
    changed, after = first, 0
    while changed:
        report.add(_match(store, changed, {r.id for r in changed}, several_per_cluster, waiting, keyed=sliced))
        after = changed[-1].id
        changed = store.records_to_match(after, MATCH_BATCH)
    if full or upgraded:
        # slices of every live record; a slice's clusters and candidates come with it, as in any run
        # (after an upgrade that re-keyed no record, as on a new store, the changed records were all there was)
        live = sorted(store.live_record_ids())
        waiting.update(live)
        for start in range(0, len(live), MATCH_BATCH):
            # a record matched again with its cluster in an earlier slice is not matched again here
            seeds = {rid for rid in live[start:start + MATCH_BATCH] if rid in waiting}
            if seeds:
                report.add(_match(store, [], seeds, several_per_cluster, waiting))
        report.rematched = len(live)
    if upgraded is not None:      # only now: a run killed before this point upgrades (and matches everything) again
        store.set_dedup_state("keys_version", str(KEYS_VERSION))
        store.set_dedup_state("keys_backfill_after", "0")    # the next upgrade starts from the first record
    if not report.records:        # nothing to match: the totals still describe the catalogue
        report.records, report.clusters, report.multi_member = store.cluster_totals()
    log.info("dedup: %d records in %d clusters (%d with several members)", report.records, report.clusters,
             report.multi_member)
    return report


def _key_changed(store: Store, first: list, waiting: "_Bits") -> None:
    """Give every record waiting to be matched its current match keys, a slice at a time (`first` is the
    first slice, read already)."""
    changed = first
    while changed:
        store.replace_match_keys(_keys_of(changed))
        waiting.update(r.id for r in changed)
        changed = store.records_to_match(changed[-1].id, MATCH_BATCH)


def _keys_of(changed: list) -> dict[int, set]:
    # keys of marked identifiers stay stored (an unmark finds their holders) but find no candidates
    return {r.id: (set() if r.deleted or r.record is None else match_keys(r.record)) for r in changed}


def _match(store: Store, changed: list, seeds: set[int], several_per_cluster: frozenset[str], waiting: "_Bits",
           *, keyed: bool = False) -> DedupReport:
    """Match `seeds` (the `changed` records among them, with their keys refreshed first unless `keyed`) and
    save the result; the records matched again leave `waiting`.

    A record still `waiting` for a later slice is no candidate here: the pair is decided once, in the later
    record's slice, where this slice's records are candidates.
    """
    if not keyed:
        store.replace_match_keys(_keys_of(changed))
    marks = store.identifier_marks()
    known = {r.id: without_marked(r.record, marks) for r in changed if r.record is not None and not r.deleted}
    scope = _scope(store, seeds, several_per_cluster, marks, waiting)
    edges, misses, records = _edges(store, scope.pairs, known, marks)
    forced, forbidden = _decisions(store, scope.facts)
    previous = {rid: cid for rid, cid in scope.previous.items() if rid in scope.facts}
    fixed = _fixed_groups(previous, scope.affected)
    evidence = store.member_evidence(set(scope.facts) - scope.affected)
    groups = group(scope.facts, fixed, edges, forced, forbidden, evidence, several_per_cluster)
    named, redirects = assign_ids(groups, previous, scope.facts, _alive_names(store, groups, scope.facts))
    retired = set(scope.previous.values()) - {cid for cid, _ in named} - set(redirects)
    pause_point("dedup-before-save")
    store.save_clusters(ClusterChange(
        [ClusterPlan(cid, members) for cid, members in named], redirects, retired,
        leaving=set(scope.previous) - set(scope.facts), matched={r.id for r in changed},
        refreshed={r.id for r in changed}, display=_holdings_parents(store, changed)))
    _save_review(store, scope, named, misses, forbidden, _Loaded(records, known, marks), several_per_cluster)
    waiting.discard(scope.affected | seeds)
    return _report(store, scope, edges, redirects, retired)


class _Bits:
    """A set of record ids as one bit each (a million records in 125 KB): what a run has still to match."""

    def __init__(self):
        self.bits = bytearray()

    def update(self, ids) -> None:
        for rid in ids:
            if rid >= len(self.bits) * 8:
                self.bits.extend(bytes(rid // 8 + 1 - len(self.bits)))
            self.bits[rid >> 3] |= 1 << (rid & 7)

    def discard(self, ids) -> None:
        for rid in ids:
            if rid < len(self.bits) * 8:
                self.bits[rid >> 3] &= ~(1 << (rid & 7)) & 0xFF

    def __contains__(self, rid: int) -> bool:
        return rid < len(self.bits) * 8 and bool(self.bits[rid >> 3] & (1 << (rid & 7)))


def _upgrade_keys(store: Store) -> int | None:
    """After an upgrade that changed the match keys: every record already matched gets the current keys, in
    batches that a killed run resumes after; returns how many (the whole run then matches everything again),
    or None when the stored keys are current."""
    if store.dedup_state("keys_version") == str(KEYS_VERSION):
        return None
    after, done = int(store.dedup_state("keys_backfill_after") or 0), 0
    while batch := store.matched_records_after(after, KEYS_BATCH):
        store.replace_match_keys({r.id: set() if r.record is None else match_keys(r.record) for r in batch})
        after, done = batch[-1].id, done + len(batch)
        store.set_dedup_state("keys_backfill_after", str(after))
        log.info("dedup: match keys of version %d given to %d records so far", KEYS_VERSION, done)
    if done:
        log.info("dedup: match keys upgraded to version %d for %d records; every record is matched again", KEYS_VERSION, done)
    return done


@dataclass
class _Loaded:
    """The records a run has read, and how to read more (marked identifiers left out)."""

    records: dict[int, Record]
    known: dict[int, Record]
    marks: set[tuple[str, str]]


def _save_review(store: Store, scope: "_Scope", named: list, misses: list[NearMissPair], forbidden: set[frozenset],
                 loaded: _Loaded, several_per_cluster: frozenset[str]) -> None:
    """Near misses of the records matched again, and the suspicious among the clusters they are in."""
    cluster_of = {rid: cid for cid, members in named for rid in members}
    store.save_near_misses(scope.affected, kept_apart(misses, cluster_of, forbidden))
    touched = {cid: sorted(members) for cid, members in named if scope.affected & set(members)}
    wanted = {rid for members in touched.values() if len(members) > 1 for rid in members}
    records = {**loaded.records, **_records(store, wanted - set(loaded.records), loaded.known, loaded.marks)}
    clusters = {cid: {scope.facts[rid].public_id: records[rid] for rid in members if rid in records}
                for cid, members in touched.items() if len(members) > 1}
    store.save_suspicious(touched, suspicious(clusters, several_per_cluster=several_per_cluster, marks=loaded.marks))


@dataclass
class _Scope:
    """The records one run looks at: the affected ones and the whole clusters of their candidates."""

    facts: dict[int, Facts]          # live records in scope, in record id order
    previous: dict[int, str]         # their clusters before the run, with members deleted since
    affected: set[int]               # matched again: the changed records and their clusters' other members
    pairs: set[tuple[int, int]]      # candidate pairs to decide


def _scope(store: Store, seeds: set[int], several_per_cluster: frozenset[str], marks: set[tuple[str, str]],
           waiting: _Bits) -> _Scope:
    """Read only what the changed records reach: their clusters, their candidates and the candidates' clusters."""
    previous = store.clusters_of(seeds)
    previous.update(store.members_of(set(previous.values())))
    facts = _facts(store, seeds | set(previous))
    affected = {rid for rid in seeds | set(previous) if rid in facts}
    pairs = _pairs(store, affected, facts, several_per_cluster, marks, waiting)
    candidates = {rid for pair in pairs for rid in pair} - affected
    theirs = store.clusters_of(candidates)
    previous.update(store.members_of(set(theirs.values()) - set(previous.values())))
    facts.update(_facts(store, set(previous) - set(facts)))
    wanted = affected | candidates | set(previous)
    return _Scope({rid: facts[rid] for rid in sorted(wanted) if rid in facts}, previous, affected, pairs)


def _facts(store: Store, ids: set[int]) -> dict[int, Facts]:
    return {rid: Facts(info["source"], info["public_id"]) for rid, info in store.record_facts(ids).items()}


def _pairs(store: Store, affected: set[int], facts: dict[int, Facts], several_per_cluster: frozenset[str],
           marks: set[tuple[str, str]], waiting: _Bits) -> set[tuple[int, int]]:
    """Candidates by shared key among other sources' records, but for marked identifiers and records waiting
    for a later slice (a key's holders are counted all the same); `facts` gains the candidates' facts."""
    keys = {rid: {key for key in ks if not _marked(key, marks)} for rid, ks in store.match_keys_of(affected).items()}
    holders = store.records_with_keys({key for rid in affected for key in keys.get(rid, ())})
    facts.update(_facts(store, {rid for ids in holders.values() for rid in ids} - set(facts)))
    pairs = set()
    for rid in affected:
        for key in keys.get(rid, ()):
            others = [o for o in holders.get(key, ()) if o in facts]
            if len(others) > MAX_CANDIDATES_PER_KEY:
                continue
            pairs |= {(min(rid, o), max(rid, o)) for o in others if o != rid and (o in affected or o not in waiting)
                      and (facts[o].source != facts[rid].source or facts[o].source in several_per_cluster)}
    return pairs


def _alive_names(store: Store, groups: list[dict[int, dict]], facts: dict[int, Facts]) -> set[str]:
    """The live cluster ids a new group's name could run into (`assign_ids` steps past them).

    Only each group's first candidate is looked up, and the longer ones of the
    few groups whose first is taken or shared.
    """
    candidates = [new_id_candidates(facts[min(members)].public_id) for members in groups]
    firsts = Counter(names[0] for names in candidates)
    alive = store.alive_cluster_ids(firsts)
    crowded = [names for names in candidates if names[0] in alive or firsts[names[0]] > 1]
    return alive | store.alive_cluster_ids(name for names in crowded for name in names[1:])


def _holdings_parents(store: Store, changed: list) -> set[str]:
    """The clusters whose members' separate holdings records (linked by 004) changed."""
    parents = {(r.source, r.record.holdings_of) for r in changed
               if r.record is not None and r.record.format == "holdings" and r.record.holdings_of}
    return store.clusters_holding(parents) if parents else set()


def _report(store: Store, scope: _Scope, edges: list[Edge], redirects: dict[str, str], retired: set[str]) -> DedupReport:
    records, clusters, several = store.cluster_totals()
    return DedupReport(records=records, rematched=len(scope.affected), compared=len(edges), clusters=clusters,
                       multi_member=several, merged_away=len(redirects), retired=len(retired))


def _fixed_groups(previous: dict[int, str], affected: set[int]) -> list[set[int]]:
    by_cluster: dict[str, set[int]] = defaultdict(set)
    for rid, cid in previous.items():
        if rid not in affected:
            by_cluster[cid].add(rid)
    return list(by_cluster.values())


def _edges(store: Store, pairs: set[tuple[int, int]], known: dict[int, Record], marks: set[tuple[str, str]],
           ) -> tuple[list[Edge], list[NearMissPair], dict[int, Record]]:
    """Each candidate pair decided on its evidence (marked identifiers left out): the matching ones, the near
    misses, and the records read."""
    records = _records(store, {rid for pair in pairs for rid in pair}, known, marks)
    edges, misses = [], []
    for a, b in sorted(pairs):
        verdict = decide(records[a], records[b])
        if verdict.match:
            edges.append(Edge(a, b, verdict.score, verdict.evidence()))
        elif kind := near_miss_kind(verdict, records[a], records[b]):
            misses.append(NearMissPair(a, b, kind, verdict.score, verdict.evidence()))
    return edges, misses, records


def _records(store: Store, ids: set[int], known: dict[int, Record], marks: set[tuple[str, str]]) -> dict[int, Record]:
    """The records of `ids`, reading from the store only those not already at hand."""
    missing = sorted(ids - set(known))
    loaded = {stored.id: without_marked(stored.record, marks) for stored in store.records(ids=missing)
              if stored.record is not None}
    return {rid: known.get(rid) or loaded[rid] for rid in ids if rid in known or rid in loaded}


def without_marked(record: Record, marks: set[tuple[str, str]]) -> Record:
    """`record` without the identifiers librarians marked as not identifying (itself when none is)."""
    if not marks or not any((i.kind, i.value) in marks for i in record.identifiers):
        return record
    return replace(record, identifiers=[i for i in record.identifiers if (i.kind, i.value) not in marks])


def _marked(key: tuple[str, str], marks: set[tuple[str, str]]) -> bool:
    kind, value = key
    return (kind, value) in marks or (kind == "isbnz" and ("isbn", value) in marks)


def _decisions(store: Store, facts: dict[int, Facts]) -> tuple[list[tuple[int, int]], set[frozenset]]:
    """Librarians' decisions among the records in scope: every pair across a merge's two sides is forced
    together, across a split's kept apart; for each pair the latest decision counts, undone ones none."""
    by_public = {fact.public_id: rid for rid, fact in facts.items()}
    latest: dict[frozenset, str] = {}
    for decision in store.decisions(about=by_public, counting=True):
        side_a = [by_public[p] for p in decision.side_a if p in by_public]
        side_b = [by_public[p] for p in decision.side_b if p in by_public]
        for a in side_a:
            for b in side_b:
                if a != b:
                    latest[frozenset((a, b))] = decision.kind
    forced = [tuple(sorted(pair)) for pair, kind in latest.items() if kind == "merge"]
    forbidden = {pair for pair, kind in latest.items() if kind == "split"}
    return forced, forbidden
