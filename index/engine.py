"""The seam between unioncat and a search engine: what every engine does, and the one that configuration picks.

The web and the CLI speak only to an `Engine`: they hand it our dataclasses
(`SearchRequest` in, `SearchResult` out; the store's clusters in, deletions
in) and never see an engine's own objects. Each engine is the only owner of
its outside world (the Whoosh engine of its index folder, the Solr engine of
its HTTP client). An engine parses a request with `index.plan.plan_search`,
once, into the engine-neutral tree of `index.querytree`, and executes that.

Engines are found by name in ENGINES (module path, and the name of a
function there taking the whole `Config` and returning an `Engine`), so that
neither the web nor the CLI imports an engine's module, and a new engine is
one line here, not an `if` in every caller.
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

from index.errors import SearchIndexError
from index.results import Edition, IndexReport, SearchRequest, SearchResult

# engine name -> "module:function" building it from the whole configuration
ENGINES = {
    "whoosh": "index.whoosh_engine:from_config",
    "solr": "index.solr.engine:from_config",
}


@runtime_checkable
class Searching(Protocol):
    """Searching the catalogue; safe to call from many threads at once."""

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a patron's search; `QueryError` with a helpful message for input that cannot run,
        `SearchIndexError` when the index cannot answer."""

    def editions(self, work: str, exclude: str, limit: int = 20) -> list[Edition]:
        """Other clusters of the same work (the key of `index.documents.work_key`), newest first."""

    def count(self) -> int:
        """Clusters in the index."""

    def values(self, facet: str) -> list[str]:
        """Every value of `facet` held by a live cluster (for choosing one, such as my library)."""

    def warm(self) -> None:
        """Start opening the index in the background, so that the first patron does not wait."""

    def close(self) -> None:
        """Release what the engine holds open (files, connections)."""


@runtime_checkable
class Writing(Protocol):
    """Bringing the index up to date with the store; one writer at a time."""

    def update(self, store, source_names: dict[str, str], *, rebuild: bool = False, procs: int = 2) -> IndexReport:
        """Index the clusters the store's change log names since this index's position and remove the ones that
        died; with `rebuild` (or when the index needs it) build the whole index aside and switch to it when
        complete. The position moves only after the engine has committed."""


@runtime_checkable
class Engine(Searching, Writing, Protocol):
    """A search engine: searching and writing."""


class SearcherEngine:
    """The searching every engine passes on to its own searcher object (`self.searcher`); an engine
    subclasses it and adds what differs: opening ahead, closing and writing."""

    searcher: object

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a patron's search (see `Searching.search`)."""
        return self.searcher.search(request)

    def editions(self, work: str, exclude: str, limit: int = 20) -> list[Edition]:
        """Other clusters of the same work, newest first."""
        return self.searcher.editions(work, exclude, limit)

    def count(self) -> int:
        """Clusters in the index."""
        return self.searcher.count()

    def values(self, facet: str) -> list[str]:
        """Every value of `facet` held by a live cluster."""
        return self.searcher.values(facet)


def engine_for(config) -> Engine:
    """The engine `config.search` names, built from the configuration; `SearchIndexError` if it cannot be."""
    name = config.search.engine
    target = ENGINES.get(name)
    if target is None:
        raise SearchIndexError(f"there is no search engine called {name!r} (known: {', '.join(sorted(ENGINES))})")
    module_name, _, function = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, function)(config)
