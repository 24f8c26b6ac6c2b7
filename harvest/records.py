"""Turn one harvested MARC record into what the store keeps, or a quarantine item."""

from __future__ import annotations

from lxml import etree

from normalise import MARCXML, MarcReadError, RawRecord, ReadFailure, normalise
from normalise.marc import parse_marcxml
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem


def from_raw(source: SourceConfig, raw: RawRecord | ReadFailure, where: str) -> IncomingRecord | QuarantineItem:
    """A record read from a file, normalised, or quarantined with its reason."""
    if isinstance(raw, ReadFailure):
        return QuarantineItem(source.code, raw.reason, position=f"{where}#{raw.position}", raw=raw.raw, raw_format=raw.format)
    record = normalise(raw.record, source.code, source_name=source.name, holdings=source.holdings,
                       record_url=source.record_url or "", flags=raw.flags)
    if not record.local_id:
        return QuarantineItem(source.code, "record has no control number (001)", position=f"{where}#{raw.position}",
                              raw=raw.raw, raw_format=raw.format)
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
        marc = parse_marcxml(element)
    except MarcReadError as exc:
        return quarantine(f"metadata is not a MARC record: {exc}")
    record = normalise(marc, source.code, source_name=source.name, holdings=source.holdings,
                       record_url=source.record_url or "", flags=flags)
    if not record.local_id:
        return quarantine("record has no control number (001)")
    return IncomingRecord(source.code, record.local_id, raw, MARCXML, record, oai_identifier=identifier, datestamp=datestamp)
