"""Group records into clusters from shared identifiers, with vetoes and stable ids.

Pure functions over plain data; `dedup.run` feeds them from the store. This
first version merges on shared identifiers only and keeps formats apart;
the pairwise weighing of evidence comes with the deduplication issue.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from dedup.keys import STRONG_KINDS

# print, electronic and recorded forms of one text are different manifestations
FORMAT_FAMILY = {
    "book": "print", "manuscript": "print", "ebook": "electronic", "ejournal": "electronic",
    "serial": "serial", "audiobook": "audio", "sound_recording": "audio", "music_recording": "music",
    "dvd": "dvd", "bluray": "bluray", "video": "video",
}


@dataclass
class Facts:
    """What the clusterer needs to know about one record."""

    source: str
    public_id: str
    format: str = ""
    year: int | None = None
    keys: set[tuple[str, str]] = field(default_factory=set)


def compatible(a: Facts, b: Facts) -> bool:
    """False when the records cannot be one edition whatever they share."""
    if FORMAT_FAMILY.get(a.format, a.format) != FORMAT_FAMILY.get(b.format, b.format):
        return False
    return not (a.year and b.year and abs(a.year - b.year) > 1)


def group(facts: dict[int, Facts], forced: list[tuple[int, int]] = (), forbidden: set[frozenset] = frozenset()) -> list[dict[int, dict]]:
    """Clusters as {record id: evidence}; at most one record per source in each."""
    parent = {rid: rid for rid in facts}
    members = {rid: {rid} for rid in facts}
    evidence: dict[int, list[dict]] = defaultdict(list)

    def find(rid: int) -> int:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    def union(a: int, b: int, why: dict, *, manual: bool = False) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        if not manual and not _may_join(members[ra], members[rb], facts, forbidden):
            return
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        evidence[b].append({**why, "with": facts[a].public_id})
        evidence[a].append({**why, "with": facts[b].public_id})

    for a, b in forced:
        if a in facts and b in facts:
            union(a, b, {"rule": "librarian-merge"}, manual=True)
    for (kind, value), rids in sorted(_by_key(facts).items()):
        first = rids[0]
        for other in rids[1:]:
            if compatible(facts[first], facts[other]):
                union(first, other, {"rule": "shared-identifier", "key": f"{kind}:{value}"})
    return [{rid: {"matched": evidence.get(rid, [])} for rid in sorted(group_ids)} for group_ids in members.values()]


def _by_key(facts: dict[int, Facts]) -> dict[tuple[str, str], list[int]]:
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rid, fact in facts.items():
        for key in fact.keys:
            if key[0] in STRONG_KINDS:
                index[key].append(rid)
    return {key: sorted(rids) for key, rids in index.items() if len(rids) > 1}


def _may_join(a: set[int], b: set[int], facts: dict[int, Facts], forbidden: set[frozenset]) -> bool:
    if {facts[r].source for r in a} & {facts[r].source for r in b}:
        return False
    return not any(frozenset((x, y)) in forbidden for x in a for y in b)


def assign_ids(groups: list[dict[int, dict]], previous: dict[int, str], facts: dict[int, Facts],
               alive_ids: set[str]) -> tuple[list[tuple[str, dict[int, dict]]], dict[str, str]]:
    """Give each group a stable id; returns (id, members) pairs and merged-away redirects.

    An old id passes to the group holding most of its former members (so the
    larger part of a split keeps it); a group that inherits several ids keeps
    the one most of its members had and the others redirect to it; a group
    that inherits none is named after its first member.
    """
    heirs = _heirs(groups, previous)
    named: dict[int, str] = {}
    for n, members in enumerate(groups):
        inherited = [cid for cid, heir in heirs.items() if heir == n]
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


def _new_id(seed: str, taken: set[str]) -> str:
    digest = hashlib.sha1(seed.encode("utf-8")).hexdigest()
    for length in range(10, 41):
        candidate = "c" + digest[:length]
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free cluster id for {seed}")
