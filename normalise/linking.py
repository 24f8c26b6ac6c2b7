"""Separate holdings records that follow their bibliographic record in a file, linked to it.

A MARC holdings record (leader/06 u, v, x or y) names its bibliographic
record in 004. Many exports leave 004 out and write each holdings record
right after its bibliographic record instead: LIBRIS batch files (whose
holdings records have no 001 either), Stanford's MHLD files (whose holdings
records repeat the bibliographic 001). Reading such a file, the reader gives
each one the 004 its position implies and, where its 001 is missing or taken
by the bibliographic record, the 001 "<bib 001>-h<n>". The change is made in
the record's bytes too, so the store keeps it, and flagged `linked-by-position`.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import pymarc
from lxml import etree

from normalise.errors import MarcReadError
from normalise.iso2709 import with_control_fields

HOLDINGS_TYPES = "uvxy"
FLAG = "linked-by-position"


def link_by_position(items: Iterable, fmt_iso2709: str) -> Iterator:
    """The reader's items, with unlinked holdings records linked to the record before them."""
    parent, count = "", 0
    for item in items:
        record = getattr(item, "record", None)
        if record is None:
            yield item
            continue
        own_id = _control(record, "001")
        if str(record.leader)[6:7] not in HOLDINGS_TYPES:
            parent, count = own_id, 0
            yield item
            continue
        if parent and not _control(record, "004"):
            count += 1
            _link(item, parent, own_id if own_id and own_id != parent else f"{parent}-h{count}", fmt_iso2709)
        yield item


def _link(item, parent: str, own_id: str, fmt_iso2709: str) -> None:
    values = {"001": own_id, "004": parent}
    try:
        item.raw = with_control_fields(item.raw, values) if item.format == fmt_iso2709 else _xml_with(item.raw, values)
    except (MarcReadError, etree.XMLSyntaxError):
        return
    for tag, value in values.items():
        for old in item.record.get_fields(tag):
            item.record.remove_field(old)
        item.record.add_ordered_field(pymarc.Field(tag=tag, data=value))
    item.flags = sorted({*item.flags, FLAG})


def _xml_with(raw: bytes, values: dict[str, str]) -> bytes:
    """A MARCXML record element with control fields set, in the element's own namespace."""
    element = etree.fromstring(raw)
    namespace = element.tag[1:element.tag.index("}")] if element.tag.startswith("{") else None
    name = f"{{{namespace}}}controlfield" if namespace else "controlfield"
    for child in list(element):
        if isinstance(child.tag, str) and child.tag.endswith("controlfield") and child.get("tag") in values:
            element.remove(child)
    position = 1 if len(element) and str(element[0].tag).endswith("leader") else 0
    for tag, value in sorted(values.items(), reverse=True):
        field = etree.Element(name, tag=tag)
        field.text = value
        element.insert(position, field)
    return etree.tostring(element, encoding="utf-8")


def _control(record: pymarc.Record, tag: str) -> str:
    fld = record.get(tag)
    return (fld.data or "").strip() if fld is not None and fld.control_field else ""
