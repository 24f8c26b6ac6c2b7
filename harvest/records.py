"""Turn one harvested MARC record into what the store keeps, or a quarantine item.

A record is kept exactly as received. One that ISO 2709 cannot carry (a field
over 9,999 bytes or a record over 99,999) is kept all the same and flagged
`iso2709-too-long`, since its export as binary MARC would need splitting.
"""

from __future__ import annotations

import logging

import pymarc
from lxml import etree

from harvest.repair import FLAGS as REPAIR_FLAGS
from normalise import MARCXML, MarcReadError, RawRecord, ReadFailure, Record, normalise
from normalise.marc import parse_marcxml_with_flags, parse_raw
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem

log = logging.getLogger(__name__)
TOO_LONG_FLAG = "iso2709-too-long"
MAX_FIELD_BYTES = 9999
MAX_RECORD_BYTES = 99999
_LEADER_LENGTH = 24
_REPAIRS = frozenset(REPAIR_FLAGS.values())


def from_raw(source: SourceConfig, raw: RawRecord | ReadFailure, where: str) -> IncomingRecord | QuarantineItem:
    """A record read from a file, normalised, or quarantined with its reason."""
    position = f"{where}#{raw.position}"
    if isinstance(raw, ReadFailure):
        return QuarantineItem(source.code, raw.reason, position=position, raw=raw.raw, raw_format=raw.format)

    def quarantine(reason: str) -> QuarantineItem:
        return QuarantineItem(source.code, reason, position=position, raw=raw.raw, raw_format=raw.format)

    record = _normalised(source, raw.record, [*raw.flags, *iso2709_flags(raw.record, len(raw.raw))])
    if isinstance(record, str):
        return quarantine(record)
    if not record.local_id:
        return quarantine("record has no control number (001)")
    return IncomingRecord(source.code, record.local_id, raw.raw, raw.format, record)


def from_oai(source: SourceConfig, identifier: str, datestamp: str, element: etree._Element | None,
             flags: list[str], where: str) -> IncomingRecord | QuarantineItem:
    """A record of an OAI-PMH page, normalised, or quarantined with its reason."""
    raw = etree.tostring(element, encoding="utf-8") if element is not None else b""

    def quarantine(reason: str) -> QuarantineItem:
        return QuarantineItem(source.code, reason, position=where, oai_identifier=identifier, raw=raw, raw_format=MARCXML)

    if element is None:
        return quarantine("record has no metadata")
    try:
        marc, read_flags = parse_marcxml_with_flags(element)
    except MarcReadError as exc:
        return quarantine(f"metadata is not a MARC record: {exc}")
    problem = leader_problem(element)
    if problem:
        return quarantine(problem)
    record = _normalised(source, marc, [*flags, *read_flags, *iso2709_flags(marc, len(raw))])
    if isinstance(record, str):
        return quarantine(record)
    if not record.local_id:
        return quarantine("record has no control number (001)")
    return IncomingRecord(source.code, record.local_id, raw, MARCXML, record, oai_identifier=identifier, datestamp=datestamp)


def rederive(source: SourceConfig, raw: bytes, raw_format: str, stored_flags: list[str]) -> Record | str:
    """A stored record's normalised form made again from its raw MARC, or why it cannot be.

    Repairs made to the page it came on happened before its raw MARC was
    kept, so their flags are carried over; everything else is derived again.
    """
    try:
        marc, read_flags = parse_raw(raw, raw_format)
    except MarcReadError as exc:
        return f"the stored MARC cannot be read again: {exc}"
    repaired = [flag for flag in stored_flags if flag in _REPAIRS]
    return _normalised(source, marc, [*repaired, *read_flags, *iso2709_flags(marc, len(raw))])


def leader_problem(element: etree._Element) -> str | None:
    """Why a MARCXML record's leader cannot be a MARC leader, or None.

    The leader, without trailing blanks (real records carry a 25th blank, or
    drop the last ones), must fit in 24 characters and name the type of record
    (06) with a letter; a record without a leader is accepted, as MARCXML allows.
    """
    leader = next((el.text or "" for el in element.iter() if isinstance(el.tag, str)
                   and etree.QName(el).localname == "leader"), None)
    if leader is None:
        return None
    if len(leader.rstrip()) > _LEADER_LENGTH or not leader[6:7].isalpha():
        return f"broken leader {leader[:40]!r}: not 24 characters with the type of record at 06"
    return None


def iso2709_flags(marc: pymarc.Record, received_bytes: int | None = None) -> list[str]:
    """`iso2709-too-long` when the record cannot be written as one ISO 2709 record.

    A record received in fewer bytes than a field may hold cannot be too long
    (ISO 2709 is never larger than MARCXML or than itself), so most are not measured.
    """
    if received_bytes is not None and received_bytes <= MAX_FIELD_BYTES:
        return []
    sizes = [_field_bytes(field) for field in marc.fields]
    total = _LEADER_LENGTH + 12 * len(sizes) + 1 + sum(sizes) + 1
    return [TOO_LONG_FLAG] if total > MAX_RECORD_BYTES or any(size > MAX_FIELD_BYTES for size in sizes) else []


def _field_bytes(field: pymarc.Field) -> int:
    if field.is_control_field():
        return len((field.data or "").encode("utf-8")) + 1
    return 2 + sum(2 + len((sub.value or "").encode("utf-8")) for sub in field.subfields) + 1


def _normalised(source: SourceConfig, marc: pymarc.Record, flags: list[str]):
    """The normalised record, or the reason normalisation failed (one odd record never stops a page)."""
    try:
        return normalise(marc, source.code, source_name=source.name, holdings=source.holdings,
                         record_url=source.record_url or "", flags=flags)
    except Exception as exc:  # noqa: BLE001 - a rule tripping on odd data is that record's problem only
        log.debug("%s: normalisation failed", source.code, exc_info=True)
        return f"normalisation failed: {type(exc).__name__}: {exc}"
