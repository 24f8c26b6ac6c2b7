"""The index folder's layout: complete generations and a pointer to the live one.

A rebuild writes a new generation folder (`gen-000042/`) beside the live one
and makes it live by one atomic step, replacing the `CURRENT` pointer file,
only once its Whoosh commit and its position are saved. A crash at any point
leaves the pointer on the previous generation, which keeps serving; readers
open only what the pointer names, never a folder being built.

An index from before generations (Whoosh's files directly in the configured
folder, no pointer) is generation 0: it is served and updated as it is until
the next rebuild replaces it.

After a switch the previous generation is kept, so that a reader that read the
pointer just before the switch can still open it; older ones are removed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from index.errors import SearchIndexError
from index.position import STATE_FILE, load_position
from index.storage import exists

log = logging.getLogger(__name__)
POINTER = "CURRENT"
LOCK_FILE = "WRITELOCK"
_NAME = re.compile(r"gen-(\d{6,})")


def live_folder(index_dir: Path) -> Path | None:
    """The folder of the live index, or None when there is no complete index yet."""
    folder = pointed_folder(index_dir)
    return folder if folder is not None and exists(folder) else None


def pointed_folder(index_dir: Path) -> Path | None:
    """The folder the pointer names (the index folder itself before generations), without opening it: cheap."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / POINTER).read_text().strip()
    except FileNotFoundError:
        return index_dir
    except OSError:
        return None
    return index_dir / name if _NAME.fullmatch(name) else None


def generations(index_dir: Path) -> list[tuple[int, Path]]:
    """Every generation folder under `index_dir`, oldest first, with its number."""
    if not Path(index_dir).is_dir():
        return []
    found = [(int(m.group(1)), path) for path in Path(index_dir).iterdir()
             if path.is_dir() and (m := _NAME.fullmatch(path.name))]
    return sorted(found)


def number(index_dir: Path, folder: Path | None) -> int:
    """The generation number of `folder`: 0 for an index from before generations, -1 for none."""
    if folder is None:
        return -1
    match = _NAME.fullmatch(folder.name)
    return int(match.group(1)) if match and folder.parent == Path(index_dir) else 0


def is_complete(folder: Path) -> bool:
    """Whether `folder` holds a committed index and the position it was built from."""
    return exists(folder) and load_position(folder) is not None


def new_generation(index_dir: Path) -> Path:
    """A new, empty generation folder numbered after every existing one."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    latest = max([n for n, _ in generations(index_dir)] + [number(index_dir, live_folder(index_dir))])
    folder = index_dir / f"gen-{max(latest, 0) + 1:06d}"
    folder.mkdir()
    return folder


def switch(index_dir: Path, folder: Path) -> None:
    """Make the complete generation `folder` live in one atomic step (after writing it to disk)."""
    _sync(folder)
    pointer = Path(index_dir) / POINTER
    temporary = pointer.with_name(f".{POINTER}.{os.getpid()}.tmp")
    with temporary.open("w") as handle:
        handle.write(folder.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, pointer)
    _sync_dir(Path(index_dir))
    log.info("index: %s is live", folder.name)


def finish_interrupted(index_dir: Path) -> tuple[Path | None, bool]:
    """Finish what a crashed writer left: (the live folder, whether a rebuild was left unfinished).

    A generation newer than the live one that is complete was built but not
    switched to: it is switched to now. One that is not complete is removed,
    and the rebuild it was part of is still to do. Call with the writing lock held.
    """
    live = live_folder(index_dir)
    unfinished = False
    for n, folder in reversed(generations(index_dir)):
        if n <= number(index_dir, live):
            break
        if is_complete(folder):
            switch(index_dir, folder)
            live = folder
        else:
            log.info("index: removing %s, left half-built by an interrupted rebuild", folder.name)
            unfinished = True
            shutil.rmtree(folder, ignore_errors=True)
    remove_old(index_dir)
    return live_folder(index_dir), unfinished


def remove_old(index_dir: Path) -> None:
    """Remove every generation older than the live one except the one just before it."""
    index_dir = Path(index_dir)
    live = number(index_dir, live_folder(index_dir))
    older = [(n, folder) for n, folder in generations(index_dir) if 0 < n < live]
    keep = older[-1][0] if older else 0
    for n, folder in older:
        if n != keep:
            shutil.rmtree(folder, ignore_errors=True)
    if live > 0 and keep > 0:
        _remove_files_before_generations(index_dir)


@contextmanager
def writing(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's writing lock: one writer at a time, released even when the writer is killed."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise SearchIndexError(f"the index {index_dir} is being written by another process") from exc
        yield


def _remove_files_before_generations(index_dir: Path) -> None:
    for path in index_dir.iterdir():
        if path.is_file() and (path.name.startswith(("MAIN_", "_MAIN_")) or path.name == STATE_FILE):
            path.unlink(missing_ok=True)


def _sync(folder: Path) -> None:
    """Write `folder`'s files to disk, so that a power cut after the switch cannot leave it partly written."""
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _sync_dir(folder)


def _sync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
