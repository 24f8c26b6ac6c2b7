"""A received record as a row of the records table: its columns, JSON and fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import is_dataclass
from typing import TYPE_CHECKING

from normalise import RULES_VERSION
from store.core import now

if TYPE_CHECKING:
    from normalise import Record
    from store.records import IncomingRecord


def content_hash(item: IncomingRecord) -> str:
    """A fingerprint of what was received, to tell changed from unchanged."""
    return hashlib.sha256(item.raw + (b"\x00deleted" if item.deleted else b"")).hexdigest()


def record_row(item: IncomingRecord, digest: str) -> dict:
    """The records-table row of a received record."""
    stamp = now()
    values = {
        "source": item.source, "local_id": item.local_id, "oai_identifier": item.oai_identifier,
        "datestamp": item.datestamp, "deleted": item.deleted, "raw": item.raw or None,
        "raw_format": item.raw_format or None, "content_hash": digest, "needs_match": True,
        "harvested_at": stamp, "updated_at": stamp,
        "data": None, "title": None, "year": None, "format": None, "parent_id": None, "flags": "",
    }
    if item.record is not None:
        values.update(record_columns(item.record))
    return values


def record_columns(record: Record) -> dict:
    """The records-table columns that come from a normalised record."""
    return {
        "data": record_json(record),
        "title": record.title, "year": record.year, "format": record.format, "parent_id": record.holdings_of or None,
        "flags": " ".join(sorted(set(record.flags))), "updated_at": now(),
        "rules_version": RULES_VERSION,     # the form was made by this process's rules
    }


def record_json(record: Record) -> str:
    """The record as JSON, as `Record.to_dict` would give it, without `asdict`'s deep copies
    (a third of the harvest's store time was spent there)."""
    return json.dumps(record, default=_plain, ensure_ascii=False)


def _plain(value):
    if is_dataclass(value):
        return vars(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
