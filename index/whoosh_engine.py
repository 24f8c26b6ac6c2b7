"""The Whoosh engine: an index folder on this machine, searched in this process (the embedded default).

It is the `Engine` of `index.engine` over the Whoosh searcher (`index.searcher`)
and writer (`index.writer`), which stay the only users of the index folder.
"""

from __future__ import annotations

from pathlib import Path

from index.engine import SearcherEngine
from index.results import IndexReport
from index.searcher import TIME_LIMIT, Searcher
from index.writer import update_index


class WhooshEngine(SearcherEngine):
    """Searching and writing one Whoosh index folder (its generations and the live pointer)."""

    def __init__(self, index_dir: Path, *, time_limit: float = TIME_LIMIT):
        self.index_dir = Path(index_dir)
        self.searcher = Searcher(self.index_dir, time_limit=time_limit)

    def warm(self) -> None:
        """Open the index snapshot in the background."""
        self.searcher.warm()

    def close(self) -> None:
        """Nothing to release: snapshots are closed as newer ones replace them, and with the process."""

    def update(self, store, source_names: dict[str, str], *, rebuild: bool = False, procs: int = 2) -> IndexReport:
        """Update the live index from the store's change log, or rebuild a new generation aside."""
        return update_index(store, self.index_dir, source_names, rebuild=rebuild, procs=procs)


def from_config(config) -> WhooshEngine:
    """The Whoosh engine of the configuration's index folder."""
    return WhooshEngine(config.index_dir)
