"""What a dedup run leaves for librarians to review: near misses and suspicious clusters.

Pure functions over what the run already holds; `dedup.run` stores their
results for the records and clusters it touched only.
"""

from __future__ import annotations

from dataclasses import asdict

from dedup.decide import Verdict, title_similarity
from dedup.rules import cluster_rules
from normalise import Record
from store import NearMissPair

CLOSE_TITLE = 0.85      # titles this alike with no veto, yet no match: worth a librarian's look


def near_miss_kind(verdict: Verdict, a: Record, b: Record) -> str:
    """`one-veto` when a single veto kept an otherwise matching pair apart, `close-title` when titles agree
    closely and nothing vetoes, else ""."""
    if verdict.match:
        return ""
    if len(verdict.vetoes) == 1 and verdict.route:
        return "one-veto"
    if not verdict.vetoes and title_similarity(a, b) >= CLOSE_TITLE:
        return "close-title"
    return ""


def kept_apart(misses: list[NearMissPair], cluster_of: dict[int, str], forbidden: set[frozenset]) -> list[NearMissPair]:
    """The near misses whose records the run did not put together and no librarian split."""
    return [m for m in misses if cluster_of.get(m.record_a) != cluster_of.get(m.record_b)
            and frozenset((m.record_a, m.record_b)) not in forbidden]


def suspicious(clusters: dict[str, dict[str, Record]], *, several_per_cluster: frozenset[str] = frozenset(),
               marks: set[tuple[str, str]] = frozenset()) -> dict[str, list[dict]]:
    """cluster id -> the rules its members break among themselves (as dicts), for the clusters that break any."""
    out = {}
    for cid, members in clusters.items():
        broken = cluster_rules(members, several_per_cluster=several_per_cluster, marks=marks)
        if broken:
            out[cid] = [asdict(b) for b in broken]
    return out
