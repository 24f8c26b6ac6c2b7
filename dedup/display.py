"""The record a cluster shows: the best member's description, everything united."""

from __future__ import annotations

from dataclasses import dataclass, field

from normalise import Holding, Identifier, Link, Record, Subject
from normalise.text import is_all_capitals


@dataclass
class ClusterView:
    """What patrons see of a cluster."""

    id: str
    title: str
    record: Record                       # the best member, as catalogued
    members: list[Record] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        """The member catalogues holding the cluster."""
        return list(dict.fromkeys(h.source for h in self.holdings))


def completeness(record: Record) -> tuple:
    """Rank members: a readable title first, then the fuller description."""
    filled = sum(bool(getattr(record, name)) for name in (
        "title", "responsibility", "edition", "place", "publisher", "year", "physical", "summary",
        "contributors", "subjects", "identifiers", "languages", "series", "notes"))
    return (not is_all_capitals(record.title), bool(record.title), filled, len(record.subjects), -len(record.flags))


def build_view(cluster_id: str, members: list[Record]) -> ClusterView:
    """Combine a cluster's member records into its displayed record."""
    if not members:
        raise ValueError(f"cluster {cluster_id} has no members")
    best = max(members, key=completeness)
    return ClusterView(
        id=cluster_id,
        title=best.title,
        record=best,
        members=members,
        identifiers=_unique(i for m in members for i in m.identifiers),
        subjects=_unique_by(lambda s: (s.heading.casefold(), s.kind), (s for m in [best, *members] for s in m.subjects)),
        links=_unique_by(lambda link: link.url, (link for m in [best, *members] for link in m.links)),
        holdings=[h for m in members for h in m.holdings],
        languages=list(dict.fromkeys(code for m in [best, *members] for code in m.languages)),
    )


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _unique_by(key, items):
    seen, out = set(), []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def cluster_view(store, cluster_id: str) -> ClusterView | None:
    """The displayed record of a live cluster, read from `store` (a `store.Store`)."""
    return cluster_views(store, [cluster_id])[cluster_id]


def cluster_views(store, cluster_ids: list[str]) -> dict[str, ClusterView | None]:
    """The displayed records of many clusters, read in two queries: members, then separate holdings.

    A cluster that is gone (merged away, emptied, unknown) maps to None.
    """
    return {cid: found[0] if found else None for cid, found in cluster_views_with_records(store, cluster_ids).items()}


def cluster_views_with_records(store, cluster_ids: list[str]) -> dict[str, tuple[ClusterView, list] | None]:
    """As `cluster_views`, with each cluster's member records as stored (`store.StoredRecord`, raw MARC
    included); the displayed record's own stored record is the one whose `.record` is `view.record`."""
    stored = {cid: [s for s in records if s.record] for cid, records in store.cluster_records(cluster_ids).items()}
    linked = store.separate_holdings((s.source, s.local_id) for records in stored.values() for s in records)
    out = {}
    for cid in cluster_ids:
        records = [_with_separate_holdings(s.record, linked.get((s.source, s.local_id), [])) for s in stored.get(cid, [])]
        out[cid] = (build_view(cid, records), stored[cid]) if records else None
    return out


def _with_separate_holdings(record: Record, holdings_records: list) -> Record:
    """Attach the holdings of separate holdings records (linked by 004) to their bibliographic record."""
    linked = [h for stored in holdings_records if stored.record for h in stored.record.holdings]
    if linked:
        own = [h for h in record.holdings if h.library != record.source]   # drop the "held by the source" default
        record.holdings = own + linked
    return record
