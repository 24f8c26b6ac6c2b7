"""Turn MARC bytes (ISO 2709 or MARCXML, any namespace) into pymarc records.

Reading is lenient but honest: whatever is repaired is named in the record's
flags, and whatever cannot be read becomes a `ReadFailure` with its position
and reason instead of an exception, so one bad record never stops a file.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pymarc
from lxml import etree
from pymarc import Indicators, Subfield

from normalise.errors import MarcReadError
from normalise.fieldmaker import control_field, data_field, new_tuple
from normalise.iso2709 import parse_iso2709
from normalise.linking import link_by_position
from normalise.text import repair_text

RECORD_TERMINATOR = b"\x1d"
FIELD_TERMINATOR = b"\x1e"
ISO2709 = "iso2709"
MARCXML = "marcxml"
UNKNOWN = "unknown"
_BLANK = b"\x00\r\n\t "
MARC_NS = "http://www.loc.gov/MARC21/slim"
ENTITY_FLAG = "entity-reference-kept"
# a reference to an entity XML does not predefine (`&xxe;`): never resolved, kept as the text it is
_ENTITY_REFERENCE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z_:][-\w.:]*);")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


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
        return parse_marcxml_with_flags(raw)
    raise MarcReadError(f"unknown raw format {fmt!r}")


def parse_marcxml(raw: bytes | etree._Element) -> pymarc.Record:
    """Parse one MARCXML or marcxchange `record` element, in any namespace."""
    return parse_marcxml_with_flags(raw)[0]


def parse_marcxml_with_flags(raw: bytes | etree._Element) -> tuple[pymarc.Record, list[str]]:
    """Like `parse_marcxml`, also naming what was repaired."""
    element, flags = read_xml(raw) if isinstance(raw, (bytes, str)) else (raw, [])
    if _local(element.tag) != "record":
        found = next(element.iter("{*}record"), None)
        if found is None:
            raise MarcReadError("no MARC record element found")
        element = found
    record, read_flags = element_to_record(element)
    return record, sorted({*flags, *read_flags})


def keep_entity_references(data: bytes, mark: bytes = b"") -> bytes:
    """`data` with every reference to an undeclared entity (`&xxe;`) escaped into literal text, then `mark`."""
    return _ENTITY_REFERENCE.sub(rb"&amp;\1;" + mark.replace(b"\\", b"\\\\"), data)


def read_xml(raw: bytes | str) -> tuple[etree._Element, list[str]]:
    """Stored MARCXML bytes parsed, resolving no entity and fetching nothing; references to
    entities nobody declared (kept by an older harvest) are read as literal text and flagged."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    try:
        return etree.fromstring(data, parser=_SAFE_PARSER), []
    except etree.XMLSyntaxError as exc:
        error = exc
    escaped = keep_entity_references(data)
    if escaped != data:
        try:
            return etree.fromstring(escaped, parser=_SAFE_PARSER), [ENTITY_FLAG]
        except etree.XMLSyntaxError:
            pass
    raise MarcReadError(f"invalid XML: {error}") from error


_FIELD_ELEMENTS = ("{*}leader", "{*}controlfield", "{*}datafield")


def element_to_record(element: etree._Element) -> tuple[pymarc.Record, list[str]]:
    """A pymarc record built straight from a MARCXML element, and repair flags."""
    record = pymarc.Record(leader=" " * 24, to_unicode=True)
    flags: list[str] = []
    fields = []
    for child in element.iterchildren(*_FIELD_ELEMENTS):   # lxml filters in C, in document order
        name = child.tag
        if name.endswith("leader"):
            record.leader = pymarc.Leader(_leader(child.text or "", flags))
            continue
        tag = (child.get("tag") or "").strip()
        if not tag:
            flags.append("field-without-tag-dropped")
            continue
        if tag.isdigit() and len(tag) != 3:
            tag = f"{int(tag):03d}"   # as pymarc reads a numeric tag ("42" is 042)
        fields.append(_datafield(tag, child, flags) if name.endswith("datafield") else _controlfield(tag, child, flags))
    if not fields:
        raise MarcReadError("record element has no fields")
    record.fields = fields
    return record, sorted(set(flags))


def _local(tag) -> str:
    """The local name of an element tag ("" for comments and processing instructions)."""
    return tag[tag.rfind("}") + 1:] if isinstance(tag, str) else ""


def _leader(text: str, flags: list[str]) -> str:
    if len(text) != 24 or not text.isascii():
        flags.append("leader-repaired")
        text = "".join(ch if " " <= ch <= "~" else " " for ch in text).ljust(24)[:24]
    return text


def _controlfield(tag: str, element: etree._Element, flags: list[str]) -> pymarc.Field:
    text = _text(element, flags)
    if tag < "010" and tag.isdigit():
        return control_field(tag, text)
    return data_field(tag, new_tuple(Indicators, (" ", " ")), [new_tuple(Subfield, ("a", text))])


def _text(element: etree._Element, flags: list[str]) -> str:
    """An element's text; references to entities a DTD declared (never resolved) kept as literal text."""
    if not len(element) or not any(isinstance(child, etree._Entity) for child in element):
        return element.text or ""
    flags.append("entity-reference-kept")
    return (element.text or "") + "".join((child.text if isinstance(child, etree._Entity) else "") + (child.tail or "")
                                          for child in element)


def _datafield(tag: str, element: etree._Element, flags: list[str]) -> pymarc.Field:
    subfields = []
    for sub in element.iterchildren("{*}subfield"):
        code = sub.get("code") or ""
        if len(code) != 1:
            flags.append("subfield-code-repaired")
            code = (code + " ")[:1]
        subfields.append(new_tuple(Subfield, (code, repair_text(_text(sub, flags), flags))))
    if tag < "010" and tag.isdigit():   # a control field written as a data field
        return control_field(tag, " ".join(value for _code, value in subfields))
    ind1, ind2 = (element.get("ind1") or " ")[:1] or " ", (element.get("ind2") or " ")[:1] or " "
    return data_field(tag, new_tuple(Indicators, (ind1, ind2)), subfields)


def read_file(path: str | Path) -> Iterator[RawRecord | ReadFailure]:
    """Every record of a MARC file (binary or XML, optionally gzipped), in order.

    A file that is not MARC at all (JSON, a MARC text dump) yields one
    `ReadFailure` saying what it looks like.
    """
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            yield ReadFailure(1, b"", UNKNOWN, f"gzip data cannot be decompressed: {exc}")
            return
    kind = sniff(data)
    if kind == MARCXML:
        yield from link_by_position(read_marcxml_bytes(data), ISO2709)
    elif kind == ISO2709:
        yield from link_by_position(read_iso2709_bytes(data), ISO2709)
    elif kind:
        yield ReadFailure(1, data[:200], UNKNOWN, f"not a MARC file: {kind}")


def sniff(data: bytes) -> str:
    """ISO2709, MARCXML, "" for an empty file, or what the bytes look like instead."""
    head = data.lstrip(_BLANK + b"\xef\xbb\xbf")
    if not head:
        return ""
    if head[:1] == b"<":
        return MARCXML
    if RECORD_TERMINATOR in data or FIELD_TERMINATOR in data:
        return ISO2709
    if b"<" in head[:1024] and _MARC_ELEMENT.search(data):
        return MARCXML
    if head[:1] in (b"{", b"["):
        return "JSON (MARC-in-JSON is not read)"
    if head[:1] == b"=" or head[:3] in (b"LDR", b"lea"):
        return "MARC as text lines (MarcEdit, line-based or LIBRIS text), not ISO 2709"
    return "no record or field terminators"


def read_iso2709_bytes(data: bytes) -> Iterator[RawRecord | ReadFailure]:
    """Split a byte stream on record terminators and parse each record.

    Blank bytes between records (newlines, NULs) are skipped; bytes after
    the last terminator are read as a record that lost its end.
    """
    chunks = data.split(RECORD_TERMINATOR)
    last = len(chunks)
    for position, chunk in enumerate(chunks, start=1):
        chunk = chunk.lstrip(_BLANK)
        if not chunk.strip(_BLANK):
            continue
        raw = chunk + RECORD_TERMINATOR if position < last else chunk
        try:
            record, flags = parse_iso2709(raw)
        except MarcReadError as exc:
            yield ReadFailure(position, raw, ISO2709, str(exc))
            continue
        if position == last:
            flags = list(flags)
            flags.append("record-truncated")
        yield RawRecord(position, raw, ISO2709, record, flags)


def read_marcxml_bytes(data: bytes) -> Iterator[RawRecord | ReadFailure]:
    """Stream `record` elements of a MARCXML document, keeping each one's bytes.

    Bytes before the first tag are skipped (and flagged on every record);
    records written one after another without a root element are read as
    if wrapped in one. A document that is not well-formed otherwise yields
    the records before the error, then one `ReadFailure` naming the error:
    nothing is silently dropped.
    """
    start = data.find(b"<")
    file_flags = ["junk-before-xml-skipped"] if data[:start].strip(_BLANK + b"\xef\xbb\xbf") else []
    data = data[start:] if start > 0 else data
    done = 0
    try:
        for done, item in enumerate(_xml_records(data, file_flags), start=1):
            yield item
        return
    except etree.XMLSyntaxError as exc:
        error = exc
    if "Extra content at the end of the document" in str(error):
        try:
            for position, item in enumerate(_xml_records(_wrapped(data), file_flags), start=1):
                if position > done:
                    yield item
            return
        except etree.XMLSyntaxError as exc:
            error = exc
    yield ReadFailure(done + 1, b"", MARCXML, f"XML not well-formed after record {done}: {error}")


def _wrapped(data: bytes) -> bytes:
    """Several top-level elements made into one document."""
    body = _XML_DECLARATION.sub(b"", data.lstrip(_BLANK + b"\xef\xbb\xbf"), count=1)
    return b"<records>" + body + b"</records>"


_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*\?>")
_MARC_ELEMENT = re.compile(rb"<(?:\w+:)?(?:leader|controlfield|datafield)[\s>]")


def _xml_records(data: bytes, file_flags: list[str]) -> Iterator[RawRecord | ReadFailure]:
    position = 0
    for _event, element in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}record", huge_tree=True,
                                           recover=False, resolve_entities=False, no_network=True):
        if not _holds_marc(element):
            continue
        position += 1
        item = _xml_record(position, element)
        if file_flags and isinstance(item, RawRecord):
            item.flags = sorted({*item.flags, *file_flags})
        yield item
        element.clear(keep_tail=False)


def _holds_marc(element: etree._Element) -> bool:
    """A `record` element with MARC fields (not an OAI record wrapper)."""
    return next(element.iterchildren(*_FIELD_ELEMENTS), None) is not None


def _xml_record(position: int, element: etree._Element) -> RawRecord | ReadFailure:
    raw = etree.tostring(element, encoding="utf-8")
    try:
        record, flags = element_to_record(element)
    except MarcReadError as exc:
        return ReadFailure(position, raw, MARCXML, str(exc))
    return RawRecord(position, raw, MARCXML, record, flags)
