"""The rules a cluster should keep, checked on the pairs a correction would put together.

Each rule names what makes two records different manifestations, or one
member's two records; a merge that breaks one needs an override with a note.
"""

from __future__ import annotations

from itertools import combinations

from dedup.clusterer import FORMAT_FAMILY
from dedup.decide import carrier
from dedup.preview import RULES, Broken
from normalise import Record

MAX_DETAILS = 3      # examples kept per rule; the records list names them all
IDENTIFYING = ("isbn", "issn")


def broken_rules(side_a: dict[str, Record], side_b: dict[str, Record], *, several_per_cluster: frozenset[str] = frozenset(),
                 marks: set[tuple[str, str]] = frozenset()) -> list[Broken]:
    """The rules broken by putting every record of `side_a` with every record of `side_b` (public id -> Record),
    in `RULES` order; identifier values in `marks` identify nothing."""
    pairs = ((a, b) for a in sorted(side_a.items()) for b in sorted(side_b.items()) if a[0] != b[0])
    return _broken(pairs, several_per_cluster, marks)


def _broken(pairs, several: frozenset[str], marks) -> list[Broken]:
    """The rules broken by the pairs ((public id, Record), (public id, Record)), in `RULES` order, with
    their records and the first few details."""
    found: dict[str, tuple[set[str], list[str]]] = {}
    for (pa, a), (pb, b) in pairs:
        for rule, detail in _pair(pa, a, pb, b, several, marks):
            records, details = found.setdefault(rule, (set(), []))
            records |= {pa, pb}
            if len(details) < MAX_DETAILS:
                details.append(detail)
    return [Broken(rule, sorted(found[rule][0]), "; ".join(found[rule][1])) for rule in RULES if rule in found]


def _pair(pa: str, a: Record, pb: str, b: Record, several: frozenset[str], marks) -> list[tuple[str, str]]:
    out = []
    source = pa.partition(":")[0]
    if source == pb.partition(":")[0] and source not in several:
        out.append(("same-member", f"{pa} and {pb} are both records of {source}"))
    for kind in IDENTIFYING:
        ids_a = {v for v in a.ids(kind) if (kind, v) not in marks}
        ids_b = {v for v in b.ids(kind) if (kind, v) not in marks}
        if ids_a and ids_b and not ids_a & ids_b:
            out.append(("conflicting-identifiers", f"{pa} has {kind} {', '.join(sorted(ids_a))}, "
                                                   f"{pb} has {', '.join(sorted(ids_b))}"))
    if FORMAT_FAMILY.get(a.format, a.format) != FORMAT_FAMILY.get(b.format, b.format):
        out.append(("different-formats", f"{pa} is {a.format}, {pb} is {b.format}"))
    elif all(carriers := (carrier(a), carrier(b))) and carriers[0] != carriers[1]:
        out.append(("different-formats", f"{pa} is on {carriers[0]}, {pb} on {carriers[1]}"))
    if a.year and b.year and abs(a.year - b.year) > 1:
        out.append(("years-apart", f"{pa} is from {a.year}, {pb} from {b.year}"))
    return out


def cluster_rules(members: dict[str, Record], *, several_per_cluster: frozenset[str] = frozenset(),
                  marks: set[tuple[str, str]] = frozenset()) -> list[Broken]:
    """The rules the members of one cluster (public id -> Record) break among themselves, each pair once."""
    return _broken(combinations(sorted(members.items()), 2), several_per_cluster, marks)
