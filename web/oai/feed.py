"""The provider's change-log consumer: datestamps, deletions and set memberships from the store's change log.

A cluster named in the log gets the time of its latest entry as its
datestamp, in every set it is in; a cluster that is gone (merged away,
emptied) becomes a deleted record, and a cluster that left a set becomes a
deleted record in that set only. Each batch is written together with the
consumer's position, under the provider's own lease, so two updates never
interleave and a crash repeats at most one batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dedup import ClusterView, cluster_views
from settings import Config
from store import OaiState, Store, now

CONSUMER = "oai"
LEASE = "oai-feed"
BATCH = 500
# characters OAI-PMH allows in a set spec part; others are written ~XX (UTF-8 bytes in hex)
_SPEC_SAFE = re.compile(r"[A-Za-z0-9\-_.!*'()]")


@dataclass
class FeedReport:
    """What one update published."""

    published: int = 0
    deleted: int = 0
    position: int = 0
    rebuilt: bool = False


def spec_part(code: str) -> str:
    """A member or library code as a set spec part (`~` escapes what the protocol does not allow)."""
    return "".join(ch if _SPEC_SAFE.fullmatch(ch) else "".join(f"~{b:02X}" for b in ch.encode("utf-8")) for ch in code)


def sets_of(view: ClusterView) -> set[str]:
    """The sets a cluster is in: each member holding it, each holding library, its format."""
    sets = {f"member:{spec_part(source)}" for source in view.sources if source}
    sets |= {f"library:{spec_part(h.source)}:{spec_part(h.library)}" for h in view.holdings if h.source and h.library}
    if view.record.format:
        sets.add(f"format:{spec_part(view.record.format)}")
    return sets


def update_provider(store: Store, config: Config, *, rebuild: bool = False) -> FeedReport:
    """Bring the provider's items up to the change log (everything again when `rebuild` or never built)."""
    with store.lease(LEASE, "oai update", expiry=config.leases.expiry, wait=config.leases.wait):
        position = store.consumer_position(CONSUMER)
        if rebuild or position is None:
            return _rebuild(store)
        return _follow(store, position)


def _follow(store: Store, position: int) -> FeedReport:
    report = FeedReport(position=position)
    upto = store.latest_change()
    while report.position < upto:
        entries = store.oai_pending(report.position, upto, BATCH)
        if not entries:
            break
        stamps = {cid: created for _seq, cid, created in entries}     # the latest entry of each cluster wins
        _publish(store, stamps, report, entries[-1][0])
        report.position = entries[-1][0]
    return report


def _rebuild(store: Store) -> FeedReport:
    """Every live cluster published anew, every published dead one deleted; the position set last."""
    report = FeedReport(rebuilt=True)
    start = store.latest_change()       # read first: changes after it are followed next time
    stamp = now()                       # taken under the lease, so never before a responseDate served meanwhile
    for batch in store.cluster_id_batches(BATCH):
        _publish(store, dict.fromkeys(batch, stamp), report, None)
    dead = sorted(store.oai_known_clusters(store.cluster_ids(alive=False)))
    for start_at in range(0, len(dead), BATCH):
        _publish(store, dict.fromkeys(dead[start_at:start_at + BATCH], stamp), report, None)
    store.oai_apply({}, CONSUMER, start)
    report.position = start
    return report


def _publish(store: Store, stamps: dict, report: FeedReport, position: int | None) -> None:
    views = cluster_views(store, list(stamps))
    states = {}
    for cid, stamp in stamps.items():
        view = views.get(cid)
        states[cid] = OaiState(stamp, sets_of(view) if view is not None else None)
        report.published += view is not None
        report.deleted += view is None
    store.oai_apply(states, CONSUMER, position)
