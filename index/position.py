"""How far an index has read the store: the one place that knows what a position is.

A position is a sequence number of the store's change log: the index holds
every change up to it. Each index (one per node and folder) is a consumer of
the log of its own; the position saved in the index folder is the one that
counts, and the store's consumer table gets a copy after it, so that pruning
keeps what the index has not read yet.

The position is saved inside the index folder it describes, only after that
folder's Whoosh commit, and atomically (a temporary file moved over the old
one), so that a crash leaves either the old position or the new one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from store import Store, now

STATE_FILE = "state.json"


def current_position(store: Store, since: int | None = None) -> int:
    """The store's position now: read before any cluster, so that later changes are read again next time.

    Never behind `since`: a log pruned empty answers 0.
    """
    return max(store.latest_change(), since or 0)


def forgotten_reason(store: Store, consumer: str, since: int) -> str:
    """Why an index at `since` cannot trust the log to hold what it has not read, or "" when it can.

    Pruning keeps every entry a known consumer has not passed; an index the
    operator forgot (`unioncat changes forget`) is no longer known, so entries
    after its position may be gone. It is then rebuilt rather than left
    missing changes; when nothing after its position was pruned it just goes on.
    """
    if store.consumer_position(consumer) is not None:
        return ""
    oldest = store.oldest_change()
    if oldest == 0 or oldest > since + 1:
        return "it was forgotten among the change log's consumers and the log was pruned since"
    return ""


def changed_clusters(store: Store, since: int, upto: int) -> list[str]:
    """Ids of the clusters the change log names after `since` up to `upto`, alive or not, each once."""
    return store.changed_cluster_ids(since, upto)


def load_position(folder: Path) -> int | None:
    """The position saved in `folder`, or None when there is none that can be trusted (an index from
    before the change log kept a time instead: it is rebuilt once)."""
    try:
        position = json.loads((Path(folder) / STATE_FILE).read_text())["change_seq"]
    except (ValueError, KeyError, TypeError, OSError):
        return None
    return position if isinstance(position, int) and not isinstance(position, bool) and position >= 0 else None


def save_position(folder: Path, position: int) -> None:
    """Save `position` in `folder` atomically: a reader sees the old file or the new one, never half."""
    path = Path(folder) / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
    with temporary.open("w") as handle:
        handle.write(json.dumps({"change_seq": position, "indexed_at": now().isoformat()}))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
