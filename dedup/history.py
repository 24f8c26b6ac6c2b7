"""The history of librarians' decisions: per cluster, per record, per librarian, and as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from dedup.preview import Preview
from store import Decision, Store

CSV_COLUMNS = ("id", "kind", "status", "made_by", "made_at", "note", "override", "records", "moved", "rules_broken",
               "undoes", "undone_by", "undone_at")


@dataclass
class HistoryEntry:
    """One decision as staff see it: who, when, what (kind and records), why (note), on which preview."""

    id: int
    kind: str              # merge | split | undo | mark | unmark
    status: str            # applied | queued | refused
    made_by: str
    made_at: datetime
    note: str
    override: bool
    records: list[str]     # the public ids the decision names
    moved: list[str]       # the records its preview moved
    rules_broken: list[str]
    undoes: int | None
    undone_by: str | None
    undone_at: datetime | None
    outcome: str | None


def history(store: Store, *, cluster: str | None = None, record: str | None = None, by: str | None = None,
            limit: int | None = None) -> list[HistoryEntry]:
    """Decisions newest first: every one, or those about a cluster's current members (`cluster`, any id that
    resolves), about one record (`source:001`), or made by one librarian."""
    if cluster is not None:
        resolved = store.resolve_cluster(cluster)
        found = store.decisions(about=store.member_public_ids(resolved)) if resolved else []
        found = [d for d in found if d.kind != "mark"]
    elif record is not None:
        found = store.decisions(about=[record])
    else:
        found = list(reversed(store.decisions_by(by, limit=limit)))
    entries = [_entry(d) for d in reversed(found)]
    return entries[:limit] if limit is not None else entries


def _entry(d: Decision) -> HistoryEntry:
    preview = Preview.from_json(d.preview) if d.preview else None
    return HistoryEntry(d.id, d.kind, d.status, d.made_by, d.made_at, d.note, d.override, d.side_a + d.side_b,
                        preview.moved_records if preview else [], preview.rules_broken if preview else [],
                        d.undoes, d.undone_by, d.undone_at, d.outcome)


def history_csv(entries: list[HistoryEntry]) -> str:
    """The entries as CSV with a header row (`CSV_COLUMNS`); lists joined with spaces, times in ISO 8601."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([e.id, e.kind, e.status, e.made_by, e.made_at.isoformat(), e.note, int(e.override),
                         " ".join(e.records), " ".join(e.moved), " ".join(e.rules_broken), e.undoes or "",
                         e.undone_by or "", e.undone_at.isoformat() if e.undone_at else ""])
    return out.getvalue()
