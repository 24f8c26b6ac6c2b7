"""Turn MARC bytes (ISO 2709 or MARCXML, any namespace) into pymarc records.

Reading is lenient but honest: whatever is repaired is named in the record's
flags, and whatever cannot be read becomes a `ReadFailure` with its position
and reason instead of an exception, so one bad record never stops a file.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pymarc
from lxml import etree

RECORD_TERMINATOR = b"\x1d"
ISO2709 = "iso2709"
MARCXML = "marcxml"
MARC_NS = "http://www.loc.gov/MARC21/slim"


class MarcReadError(Exception):
    """A record's bytes could not be read as MARC."""


@dataclass
class RawRecord:
    """One record as read: its original bytes, their format and the parsed record."""

    position: int
    raw: bytes
    format: str
    record: pymarc.Record
    flags: list[str] = field(default_factory=list)


@dataclass
class ReadFailure:
    """A record that could not be read, with where it was and why."""

    position: int
    raw: bytes
    format: str
    reason: str


def parse_raw(raw: bytes, fmt: str) -> tuple[pymarc.Record, list[str]]:
    """Parse stored raw bytes again; raises `MarcReadError` on failure."""
    if fmt == ISO2709:
        return parse_iso2709(raw)
    if fmt == MARCXML:
        return parse_marcxml(raw), []
    raise MarcReadError(f"unknown raw format {fmt!r}")


def parse_iso2709(chunk: bytes) -> tuple[pymarc.Record, list[str]]:
    """Parse one ISO 2709 record, decoding MARC-8 or UTF-8.

    A leader whose length disagrees with the bytes is corrected (flagged
    `length-repaired`); a leader claiming MARC-8 over valid multi-byte UTF-8
    is read as UTF-8 (flagged `encoding-mislabelled`).
    """
    flags: list[str] = []
    if not chunk.endswith(RECORD_TERMINATOR):
        chunk += RECORD_TERMINATOR
    if len(chunk) < 25:
        raise MarcReadError(f"record of {len(chunk)} bytes is shorter than a leader and directory")
    declared = chunk[:5]
    if declared != b"%05d" % len(chunk) and len(chunk) < 100000:
        chunk = b"%05d" % len(chunk) + chunk[5:]
        flags.append("length-repaired")
    force_utf8 = chunk[9:10] != b"a" and _looks_like_utf8(chunk)
    if force_utf8:
        flags.append("encoding-mislabelled")
    try:
        record = pymarc.Record(data=chunk, to_unicode=True, force_utf8=force_utf8, utf8_handling="replace",
                               hide_utf8_warnings=True)
    except Exception as exc:  # pymarc raises many unrelated types for bad bytes
        raise MarcReadError(_describe(exc)) from exc
    return record, flags


def _looks_like_utf8(chunk: bytes) -> bool:
    """True when bytes that claim MARC-8 are really UTF-8 with non-ASCII text.

    MARC-8 text with diacritics is almost never valid UTF-8, and MARC-8
    escape sequences (ESC) never appear in UTF-8 records.
    """
    if b"\x1b" in chunk or max(chunk) < 0x80:
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_marcxml(raw: bytes | etree._Element) -> pymarc.Record:
    """Parse one MARCXML or marcxchange `record` element, in any namespace."""
    element = raw
    if isinstance(raw, (bytes, str)):
        try:
            element = etree.fromstring(raw)
        except etree.XMLSyntaxError as exc:
            raise MarcReadError(f"invalid XML: {exc}") from exc
    if etree.QName(element).localname != "record":
        found = _first_record(element)
        if found is None:
            raise MarcReadError("no MARC record element found")
        element = found
    return element_to_record(element)


def _first_record(element: etree._Element) -> etree._Element | None:
    for child in element.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == "record":
            return child
    return None


def element_to_record(element: etree._Element) -> pymarc.Record:
    """Build a pymarc record from a MARCXML element without a second parse."""
    record = pymarc.Record(leader=" " * 24, to_unicode=True)
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "leader":
            record.leader = pymarc.Leader((child.text or "").ljust(24)[:24])
        elif name == "controlfield":
            record.add_field(pymarc.Field(tag=_tag(child), data=child.text or ""))
        elif name == "datafield":
            record.add_field(_datafield(child))
    if not record.fields:
        raise MarcReadError("record element has no fields")
    return record


def _tag(element: etree._Element) -> str:
    tag = (element.get("tag") or "").strip()
    if not tag:
        raise MarcReadError("a field has no tag")
    return tag


def _datafield(element: etree._Element) -> pymarc.Field:
    subfields = [
        pymarc.Subfield(code=(sub.get("code") or " ")[:1], value=sub.text or "")
        for sub in element
        if isinstance(sub.tag, str) and etree.QName(sub).localname == "subfield"
    ]
    indicators = pymarc.Indicators((element.get("ind1") or " ")[:1] or " ", (element.get("ind2") or " ")[:1] or " ")
    return pymarc.Field(tag=_tag(element), indicators=indicators, subfields=subfields)


def read_file(path: str | Path) -> Iterator[RawRecord | ReadFailure]:
    """Every record of a MARC file (binary or XML, optionally gzipped), in order."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data.lstrip()[:1] == b"<":
        yield from read_marcxml_bytes(data)
    else:
        yield from read_iso2709_bytes(data)


def read_iso2709_bytes(data: bytes) -> Iterator[RawRecord | ReadFailure]:
    """Split a byte stream on record terminators and parse each record."""
    chunks = data.split(RECORD_TERMINATOR)
    for position, chunk in enumerate(chunks, start=1):
        chunk = chunk.lstrip(b"\r\n ")
        if not chunk.strip():
            continue
        try:
            record, flags = parse_iso2709(chunk + RECORD_TERMINATOR)
        except MarcReadError as exc:
            yield ReadFailure(position, chunk + RECORD_TERMINATOR, ISO2709, str(exc))
            continue
        yield RawRecord(position, chunk + RECORD_TERMINATOR, ISO2709, record, flags)


def read_marcxml_bytes(data: bytes) -> Iterator[RawRecord | ReadFailure]:
    """Stream `record` elements of a MARCXML document, keeping each one's bytes.

    A document that is not well-formed yields the records before the error,
    then one `ReadFailure` naming the error: nothing is silently dropped.
    """
    position = 0
    context = etree.iterparse(io.BytesIO(data), events=("end",), huge_tree=True, recover=False)
    try:
        for _event, element in context:
            if not _is_top_record(element):
                continue
            position += 1
            yield _xml_record(position, element)
            element.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        yield ReadFailure(position + 1, b"", MARCXML, f"XML not well-formed after record {position}: {exc}")


def _is_top_record(element: etree._Element) -> bool:
    """A `record` element that holds MARC fields (not an OAI record wrapper)."""
    if not isinstance(element.tag, str) or etree.QName(element).localname != "record":
        return False
    return any(
        isinstance(child.tag, str) and etree.QName(child).localname in ("leader", "controlfield", "datafield")
        for child in element
    )


def _xml_record(position: int, element: etree._Element) -> RawRecord | ReadFailure:
    raw = etree.tostring(element, encoding="utf-8")
    try:
        return RawRecord(position, raw, MARCXML, element_to_record(element))
    except MarcReadError as exc:
        return ReadFailure(position, raw, MARCXML, str(exc))


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
