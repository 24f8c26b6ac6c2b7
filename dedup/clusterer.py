"""Group records into clusters from pairwise verdicts, with stable ids.

Pure functions over plain data; `dedup.run` feeds them from the store.
Records whose cluster is untouched by a run arrive as fixed groups; changed
records join them, or each other, along the best-scoring matches first, never
putting two records of one source in a cluster (a source is one catalogue).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

# print, electronic and recorded forms of one text are different manifestations
FORMAT_FAMILY = {
    "book": "print", "manuscript": "print", "ebook": "electronic", "ejournal": "electronic",
    "serial": "serial", "audiobook": "audio", "sound_recording": "audio", "music_recording": "music",
    "dvd": "dvd", "bluray": "bluray", "video": "video",
}


@dataclass
class Facts:
    """What grouping needs to know about one record."""

    source: str
    public_id: str


@dataclass
class Edge:
    """A matching pair with the evidence that made it."""

    a: int
    b: int
    score: float
    evidence: dict


def group(facts: dict[int, Facts], fixed: list[set[int]], edges: list[Edge],
          forced: list[tuple[int, int]] = (), forbidden: set[frozenset] = frozenset(),
          evidence: dict[int, dict] | None = None, several_per_cluster: frozenset[str] = frozenset(),
          ) -> list[dict[int, dict]]:
    """Clusters as {record id: evidence}; at most one record per source in each, but for `several_per_cluster`."""
    groups = _UnionFind(facts, fixed, forbidden, several_per_cluster)
    evidence = {rid: dict(ev) for rid, ev in (evidence or {}).items()}
    for a, b in forced:
        if a in facts and b in facts and groups.union(a, b, manual=True):
            _note(evidence, a, b, facts, {"rule": "librarian-merge"})
    for edge in sorted(edges, key=lambda e: -e.score):
        if edge.a in facts and edge.b in facts and groups.union(edge.a, edge.b):
            _note(evidence, edge.a, edge.b, facts, edge.evidence)
    return [{rid: evidence.get(rid, {"matched": []}) for rid in sorted(ids)} for ids in groups.sets()]


def _note(evidence: dict[int, dict], a: int, b: int, facts: dict[int, Facts], why: dict) -> None:
    for one, other in ((a, b), (b, a)):
        entry = evidence.setdefault(one, {"matched": []})
        entry["matched"] = [m for m in entry.get("matched", []) if m.get("with") != facts[other].public_id]
        entry["matched"].append({**why, "with": facts[other].public_id})


class _UnionFind:
    """Disjoint sets that refuse unions putting two records of one source together."""

    def __init__(self, facts: dict[int, Facts], fixed: list[set[int]], forbidden: set[frozenset],
                 several_per_cluster: frozenset[str] = frozenset()):
        self.facts, self.forbidden, self.several = facts, forbidden, several_per_cluster
        self.parent = {rid: rid for rid in facts}
        self.members = {rid: {rid} for rid in facts}
        for ids in fixed:
            ids = [rid for rid in ids if rid in facts]
            for other in ids[1:]:
                self.union(ids[0], other, manual=True)

    def find(self, rid: int) -> int:
        while self.parent[rid] != rid:
            self.parent[rid] = self.parent[self.parent[rid]]
            rid = self.parent[rid]
        return rid

    def union(self, a: int, b: int, *, manual: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if not manual and not self._may_join(self.members[ra], self.members[rb]):
            return False
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        return True

    def _may_join(self, a: set[int], b: set[int]) -> bool:
        if ({self.facts[r].source for r in a} & {self.facts[r].source for r in b}) - self.several:
            return False
        return not any(frozenset((x, y)) in self.forbidden for x in a for y in b)

    def sets(self) -> list[set[int]]:
        return list(self.members.values())


def assign_ids(groups: list[dict[int, dict]], previous: dict[int, str], facts: dict[int, Facts],
               alive_ids: set[str]) -> tuple[list[tuple[str, dict[int, dict]]], dict[str, str]]:
    """Give each group a stable id; returns (id, members) pairs and merged-away redirects.

    An old id passes to the group holding most of its former members (so the
    larger part of a split keeps it); a group that inherits several ids keeps
    the one most of its members had and the others redirect to it; a group
    that inherits none is named after its first member.
    """
    heirs = _heirs(groups, previous)
    inheriting: dict[int, list[str]] = {}        # group -> the old ids it inherits (once, not a scan per group)
    for cid, heir in heirs.items():
        inheriting.setdefault(heir, []).append(cid)
    named: dict[int, str] = {}
    for n, members in enumerate(groups):
        inherited = inheriting.get(n)
        if inherited:
            named[n] = min(inherited, key=lambda cid: (-sum(previous.get(r) == cid for r in members), cid))
    taken = set(named.values()) | alive_ids
    for n, members in enumerate(groups):
        if n not in named:
            named[n] = _new_id(facts[min(members)].public_id, taken)
            taken.add(named[n])
    redirects = {cid: named[n] for cid, n in heirs.items() if named[n] != cid}
    return [(named[n], members) for n, members in enumerate(groups)], redirects


def _heirs(groups: list[dict[int, dict]], previous: dict[int, str]) -> dict[str, int]:
    """Old cluster id -> index of the group that holds most of its former members."""
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for n, members in enumerate(groups):
        for rid in members:
            if rid in previous:
                counts[previous[rid]][n] += 1
    return {cid: min(by_group, key=lambda n: (-by_group[n], n)) for cid, by_group in counts.items()}


def new_id_candidates(seed: str) -> list[str]:
    """The ids a group first named after `seed` (its first member's public id) may get, in the order tried."""
    digest = hashlib.sha1(seed.encode("utf-8")).hexdigest()
    return ["c" + digest[:length] for length in range(10, 41)]


def _new_id(seed: str, taken: set[str]) -> str:
    for candidate in new_id_candidates(seed):
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free cluster id for {seed}")
