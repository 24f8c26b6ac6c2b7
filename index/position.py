"""How far an index has read the store: the one place that knows what a position is.

Today a position is the time a run started, matched against each cluster's
`updated_at`. The store's change log will replace it with a rising sequence
number; only these functions change then.

The position is saved inside the index folder it describes, only after that
folder's Whoosh commit, and atomically (a temporary file moved over the old
one), so that a crash leaves either the old position or the new one.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from store import Store, now

STATE_FILE = "state.json"


def current_position(store: Store) -> datetime:
    """The store's position now: read before any cluster, so that later changes are read again next time."""
    del store  # a time needs no store; a change-log sequence will
    return now()


def changed_clusters(store: Store, since: datetime | None, *, alive: bool = True) -> list[str]:
    """Ids of the clusters changed after `since` (every one when None); the dead ones with `alive=False`."""
    return store.cluster_ids(changed_since=since, alive=alive)


def load_position(folder: Path) -> datetime | None:
    """The position saved in `folder`, or None when there is none that can be trusted."""
    try:
        return datetime.fromisoformat(json.loads((Path(folder) / STATE_FILE).read_text())["indexed_at"])
    except (ValueError, KeyError, TypeError, OSError):
        return None


def save_position(folder: Path, position: datetime) -> None:
    """Save `position` in `folder` atomically: a reader sees the old file or the new one, never half."""
    path = Path(folder) / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
    with temporary.open("w") as handle:
        handle.write(json.dumps({"indexed_at": position.isoformat()}))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
