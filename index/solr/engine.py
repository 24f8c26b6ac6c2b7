"""The Solr engine: a SolrCloud collection (behind an alias) searched and fed over HTTP.

It is the `Engine` of `index.engine` over the Solr searcher and writer; the
client (`index.solr.client`) is its only user of HTTP.
"""

from __future__ import annotations

from index.engine import SearcherEngine
from index.results import IndexReport
from index.solr import admin
from index.solr.client import SolrClient
from index.solr.searcher import SolrSearcher
from index.solr.writer import SolrWriter


class SolrEngine(SearcherEngine):
    """Searching and writing the alias `collection` of the SolrCloud reached through `nodes`."""

    def __init__(self, nodes, collection: str, *, shards: int = 2, replicas: int = 2, timeout: float = 5.0,
                 credentials: tuple[str, str] | None = None):
        self.client = SolrClient(nodes, timeout=timeout, credentials=credentials)
        self.collection = collection
        self.searcher = SolrSearcher(self.client, collection)
        self.writer = SolrWriter(self.client, collection, shards, replicas)

    def warm(self) -> None:
        """Nothing to open ahead: Solr's nodes keep their searchers warm."""

    def close(self) -> None:
        """Close the client's pooled connections."""
        self.client.close()

    def setup(self) -> admin.SetupReport:
        """Upload the configset and give the alias a collection if it has none (`unioncat solr setup`)."""
        return admin.setup(self.client, self.collection, self.writer.shards, self.writer.replicas)

    def update(self, store, source_names: dict[str, str], *, rebuild: bool = False, procs: int = 2) -> IndexReport:
        """Feed what changed (or rebuild into a new collection and switch the alias)."""
        return self.writer.update(store, source_names, rebuild=rebuild, procs=procs)


def from_config(config) -> SolrEngine:
    """The Solr engine of the configuration's `search:` section (credentials from the environment)."""
    search = config.search
    return SolrEngine(search.nodes, search.collection, shards=search.shards, replicas=search.replicas,
                      timeout=search.timeout, credentials=search.credentials())
