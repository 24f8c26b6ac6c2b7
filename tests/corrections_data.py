"""The demo catalogue's records that issue 13's reproductions name, read once from samples/ (real MARC)."""

from __future__ import annotations

import copy
from functools import lru_cache

from harvest.records import from_raw
from normalise import read_file
from settings import SourceConfig
from store import IncomingRecord, Store
from tests.conftest import ROOT

# cluster cb1a49bd571: an English book on big data; cluster cbec9cde0e0: a Norwegian novel (the demo's ids)
BOOK = ("deichman:1337437", "duke:9931644444740108501", "libris:13884869", "ncsu:ocn802691530", "unc:802691530")
NOVEL = ("deichman:1217081", "duke:9934986024030108501", "evergreen:01-0259751", "libris:21293785")
SAMPLES = {"deichman": "records.mrc", "duke": "records.xml", "evergreen": "records.mrc", "libris": "records.xml",
           "ncsu": "records.xml", "unc": "records.mrc"}


@lru_cache(maxsize=1)
def demo_records() -> dict[str, IncomingRecord]:
    """public id -> the record as the demo's file harvest stores it, for the records of BOOK and NOVEL."""
    wanted, out = set(BOOK + NOVEL), {}
    for code, name in SAMPLES.items():
        source = SourceConfig(code, code, "file", paths=(str(ROOT / "samples" / code / name),))
        for raw in read_file(ROOT / "samples" / code / name):
            item = from_raw(source, raw, name)
            if isinstance(item, IncomingRecord) and f"{code}:{item.local_id}" in wanted:
                out[f"{code}:{item.local_id}"] = item
    assert set(out) == wanted, wanted - set(out)
    return out


def fill_demo(store: Store, extra: list[IncomingRecord] = ()) -> None:
    """The two demo clusters' records (in the demo's source order, so their clusters get the demo's ids),
    then `extra`."""
    records = demo_records()
    store.write_page([copy.deepcopy(records[pid]) for pid in sorted(records)] + list(extra))


def clone(public_id: str, source: str, local_id: str, **changes) -> IncomingRecord:
    """Another member's copy of a demo record, with some fields changed (a series volume, another year)."""
    item = copy.deepcopy(demo_records()[public_id])
    record = item.record
    record.source, record.local_id = source, local_id
    for name, value in changes.items():
        setattr(record, name, value)
    return IncomingRecord(source, local_id, item.raw, item.raw_format, record)
