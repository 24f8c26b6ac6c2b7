"""Reading MARC records from files and normalising them to MARC21 slim XML.

MARCXML collections are read with or without the MARC21 slim namespace;
binary ISO 2709 files are read with pymarc and converted to MARCXML. Every
record comes out as a ``<record xmlns="http://www.loc.gov/MARC21/slim">``
element, so the server writes one uniform shape whatever the source.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pymarc
from lxml import etree

from oaiserver.errors import RecordError

MARC_NS = "http://www.loc.gov/MARC21/slim"
_RECORD_TAGS = (f"{{{MARC_NS}}}record", "record")
_SNIFF_BYTES = 512
# Characters an OAI identifier (a URI) may carry unescaped besides letters and digits.
_IDENTIFIER_SAFE = ":/@!$&'()*+,;=-._~"

logger = logging.getLogger(__name__)


def record_element(marcxml: bytes | etree._Element) -> etree._Element:
    """Return a fresh MARC21 slim ``record`` element for *marcxml*.

    *marcxml* is serialized XML or an lxml element holding either one
    ``record`` or a ``collection`` with exactly one record, in the MARC21
    slim namespace or in none.
    """
    element = _parse(marcxml) if isinstance(marcxml, (bytes, str)) else marcxml
    if etree.QName(element).localname == "collection":
        records = [child for child in element if _is_record(child)]
        if len(records) != 1:
            raise RecordError(f"expected one record in the collection, found {len(records)}")
        element = records[0]
    if not _is_record(element):
        raise RecordError(f"not a MARCXML record: <{element.tag}>")
    return _rebuilt(element)


def serialize(element: etree._Element) -> bytes:
    """Serialize a record element as UTF-8 bytes without an XML declaration."""
    return etree.tostring(element, encoding="UTF-8")


def control_number(element: etree._Element) -> str | None:
    """Return the record's first 001 with surrounding whitespace removed, if any."""
    for field in element.iterfind(f"{{{MARC_NS}}}controlfield[@tag='001']"):
        value = (field.text or "").strip()
        if value:
            return value
    return None


def identifier_for(prefix: str, control: str) -> str:
    """Make an OAI identifier from a prefix and a 001, escaping what a URI cannot hold."""
    return prefix + quote(control, safe=_IDENTIFIER_SAFE)


def read_marc_file(path: Path) -> Iterator[etree._Element]:
    """Yield every record of a MARCXML or ISO 2709 file as a slim record element.

    The format is sniffed from the first bytes, not taken from the name.
    Binary records pymarc cannot read are logged and skipped; an XML file
    that is not well-formed raises :class:`RecordError`.
    """
    path = Path(path)
    if _looks_like_xml(path):
        yield from _read_xml(path)
    else:
        yield from _read_binary(path)


def _looks_like_xml(path: Path) -> bool:
    with path.open("rb") as handle:
        start = handle.read(_SNIFF_BYTES)
    return start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _read_xml(path: Path) -> Iterator[etree._Element]:
    events = etree.iterparse(
        str(path), events=("end",), tag=_RECORD_TAGS,
        resolve_entities=False, no_network=True, huge_tree=True,
    )
    try:
        for _event, element in events:
            yield _rebuilt(element)
            element.clear(keep_tail=True)
    except etree.XMLSyntaxError as err:
        raise RecordError(f"{path}: not well-formed XML: {err}") from err


def _read_binary(path: Path) -> Iterator[etree._Element]:
    with path.open("rb") as handle:
        reader = pymarc.MARCReader(
            handle, to_unicode=True, permissive=True, utf8_handling="replace"
        )
        for position, record in enumerate(reader, start=1):
            element = _binary_to_element(path, position, record, reader.current_exception)
            if element is not None:
                yield element


def _binary_to_element(path, position, record, problem) -> etree._Element | None:
    if record is None:
        logger.warning("%s: skipped unreadable record %d: %s", path, position, problem)
        return None
    try:
        return _rebuilt(etree.fromstring(pymarc.record_to_xml(record, namespace=True)))
    except (etree.XMLSyntaxError, ValueError, UnicodeError) as err:
        logger.warning("%s: skipped record %d that has no XML form: %s", path, position, err)
        return None


def _parse(marcxml: bytes | str) -> etree._Element:
    if isinstance(marcxml, str):
        marcxml = marcxml.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(marcxml, parser)
    except etree.XMLSyntaxError as err:
        raise RecordError(f"not well-formed MARCXML: {err}") from err


def _is_record(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and element.tag in _RECORD_TAGS


def _rebuilt(source: etree._Element, parent: etree._Element | None = None) -> etree._Element:
    """Copy *source* with MARC elements moved into the slim namespace.

    Rebuilding (rather than renaming in place) drops stray namespace
    declarations inherited from the collection and leaves the slim
    namespace as the default one, so the record serializes without prefixes.
    """
    tag = _slim_tag(source)
    if parent is None:
        copy = etree.Element(tag, dict(source.attrib), nsmap={None: MARC_NS})
    else:
        copy = etree.SubElement(parent, tag, dict(source.attrib))
        copy.tail = source.tail
    copy.text = source.text
    for child in source:
        if isinstance(child.tag, str):
            _rebuilt(child, copy)
    return copy


def _slim_tag(element: etree._Element) -> str:
    name = etree.QName(element)
    if name.namespace in (None, MARC_NS):
        return f"{{{MARC_NS}}}{name.localname}"
    return element.tag
