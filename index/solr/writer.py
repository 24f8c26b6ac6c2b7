"""Feeding SolrCloud from the store: one more consumer of the change log, like the Whoosh index.

An update sends the clusters the change log names after the alias's
position in JSON batches of BATCH documents (deletions by id for clusters
that died), each with a bounded commit delay (`commitWithin`), then commits
and only then moves the position (a property of the alias, and the store's
consumer table). A rebuild fills a new collection with one replica per shard,
adds the other replicas when it is complete, waits until they are active and
hold every document, switches the alias and only then deletes the old
collection; a rebuild that fails deletes its own collection and leaves the
alias where it was.
"""

from __future__ import annotations

import logging
import os
import time

from dedup import cluster_views
from index import feed
from index.documents import document_for
from index.position import changed_clusters, current_position, forgotten_reason
from index.results import IndexReport
from index.solr import admin
from index.solr.client import SolrClient, SolrError
from index.solr.documents import solr_document
from store import Store
from store.core import chunks

log = logging.getLogger(__name__)
BATCH = 1000
COMMIT_WITHIN_MS = 10_000      # documents sent become searchable within this, even before the run's commit
UPDATE_TIMEOUT = 120.0
# while a shard elects a new leader (a node died) updates are refused for a few seconds: try again,
# as RecordManager does, for up to about a minute before giving up
UPDATE_ATTEMPTS = 8
FAULT_ENV = "UNIONCAT_SOLR_FAULT"      # test hook: "documents:N" fails a rebuild after N documents


class SolrWriter:
    """Brings the alias's collection up to date with the store; one writer at a time (the store's lease)."""

    def __init__(self, client: SolrClient, alias: str, shards: int, replicas: int):
        self.client = client
        self.alias = alias
        self.shards = shards
        self.replicas = replicas

    def update(self, store: Store, source_names: dict[str, str], *, rebuild: bool = False,
               procs: int = 1) -> IndexReport:
        """Index what changed since the alias's position, or rebuild into a new collection when asked or needed."""
        current = admin.aliased_collection(self.client, self.alias)
        since = admin.load_position(self.client, self.alias) if current else None
        reason = "asked for" if rebuild else (_rebuild_reason(current, since)
                                              or forgotten_reason(store, self.consumer_name, since))
        if reason:
            log.info("solr: rebuilding %s (%s)", self.alias, reason)
            report, position = self.rebuild(store, source_names, current, procs)
        else:
            report, position = self._update(store, source_names, current, since)
        store.set_consumer_position(self.consumer_name, position)
        report.total = self.count(self.alias)
        log.info("solr: %d clusters indexed, %d removed, %d in all", report.indexed, report.removed, report.total)
        return report

    @property
    def consumer_name(self) -> str:
        """This index's name among the change log's consumers."""
        return f"solr:{self.alias}"

    def rebuild(self, store: Store, source_names: dict[str, str], previous: str | None,
                procs: int = 1) -> tuple[IndexReport, int]:
        """Every live cluster into a new collection, then the alias switch; the old collection deleted after.

        With `procs` > 1 (and a catalogue large enough to be worth it) that
        many processes each read, make and send every `procs`-th batch: the
        feed (reading the store, making documents, the Python analysis) is
        most of a rebuild's time, and Solr takes updates from many senders.
        """
        position = current_position(store)     # before reading any cluster: what changes meanwhile is read next time
        configset = admin.upload_configset(self.client)
        collection = admin.create_collection(self.client, self.alias, configset, self.shards, 1)
        report = IndexReport(rebuilt=True)
        try:
            admin.wait_active(self.client, collection)
            if procs > 1 and store.cluster_totals()[1] >= feed.PARALLEL_FROM:
                report.indexed = sum(feed.in_workers(
                    store, procs, lambda own, share: self._send_share(collection, own, source_names, share)))
            else:
                report.indexed = self._send_share(collection, store, source_names, (0, 1))
            self.commit(collection)
            self._complete(collection, report.indexed)
            admin.switch_alias(self.client, self.alias, collection, position)
        except BaseException:
            _delete_quietly(self.client, collection)
            raise
        if previous and previous != collection:
            _delete_quietly(self.client, previous)
        return report, position

    def _send_share(self, collection: str, store: Store, source_names: dict[str, str],
                    share: tuple[int, int]) -> int:
        """Every `share[1]`-th batch of live clusters from `share[0]`, sent; how many documents."""
        number, of = share
        sender = self if of == 1 else SolrWriter(self.client.for_another_process(), self.alias, self.shards,
                                                 self.replicas)
        sent = 0
        for n, batch in enumerate(store.cluster_id_batches(BATCH)):
            if n % of == number:
                sent += sender._send(collection, store, source_names, batch)[0]
                _fault(sent)
        return sent

    def _update(self, store: Store, source_names: dict[str, str], collection: str,
                since: int) -> tuple[IndexReport, int]:
        position = current_position(store, since)
        report = IndexReport()
        for batch in chunks(changed_clusters(store, since, position), BATCH):
            indexed, removed = self._send(collection, store, source_names, batch)
            report.indexed += indexed
            report.removed += removed
        self.commit(collection)
        admin.save_position(self.client, self.alias, position)
        return report, position

    def _send(self, collection: str, store: Store, source_names: dict[str, str],
              cluster_ids: list[str]) -> tuple[int, int]:
        """One JSON update for a batch of clusters: documents of the live ones, deletions of the rest."""
        documents, deletions = [], []
        for cluster_id, view in cluster_views(store, cluster_ids).items():
            if view is None:
                deletions.append(cluster_id)
            else:
                documents.append(solr_document(document_for(view, source_names)))
        if documents:
            self._update_request(collection, documents, {"commitWithin": COMMIT_WITHIN_MS})
        if deletions:
            self._update_request(collection, {"delete": deletions}, {"commitWithin": COMMIT_WITHIN_MS})
        return len(documents), len(deletions)

    def commit(self, collection: str) -> None:
        """A hard commit that opens a new searcher: what was sent is durable and searchable."""
        self._update_request(collection, None, {"commit": "true", "waitSearcher": "true"})

    def _update_request(self, collection: str, body, params: dict) -> None:
        """One update (documents, deletions or a commit), tried again while the cluster is degraded.

        Adding a document again or deleting it again changes nothing, so a
        retry after a timeout whose update did arrive is harmless.
        """
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            try:
                self.client.post(f"{collection}/update", body if body is not None else {}, {**params, "wt": "json"},
                                 timeout=UPDATE_TIMEOUT)
                return
            except SolrError as exc:
                if exc.status not in (0, 503) or attempt == UPDATE_ATTEMPTS:
                    raise
                log.warning("solr: update refused (%s); trying again", exc)
                time.sleep(min(2 ** attempt / 4, 15))

    def count(self, collection: str) -> int:
        """Documents in `collection` (or the alias)."""
        answer = self.client.get(f"{collection}/select", {"q": "*:*", "rows": 0, "wt": "json",
                                                          "shards.tolerant": "false"})
        return int(answer["response"]["numFound"])

    def _complete(self, collection: str, expected: int) -> None:
        """Add the other replicas, wait until they are active, and check the collection holds every document."""
        admin.add_replicas(self.client, collection, self.replicas)
        admin.wait_active(self.client, collection)
        found = self.count(collection)
        if found != expected:
            raise SolrError(f"the rebuilt collection {collection} holds {found} clusters, not {expected}")


def _rebuild_reason(current: str | None, since: int | None) -> str:
    if current is None:
        return "no collection behind the alias yet"
    if since is None:
        return "the collection has no saved position"
    if not admin.uses_current_configset(current):
        return "the configset changed"
    return ""


def _fault(indexed: int) -> None:
    """The test hook above: fail as a lost cluster would, once `indexed` documents were sent."""
    point = os.environ.get(FAULT_ENV, "")
    if point.startswith("documents:") and indexed >= int(point.partition(":")[2]):
        raise SolrError(f"fault injected after {indexed} documents ({FAULT_ENV})")


def _delete_quietly(client: SolrClient, collection: str) -> None:
    try:
        admin.delete_collection(client, collection)
    except SolrError as exc:
        log.warning("solr: collection %s not deleted: %s", collection, exc)
