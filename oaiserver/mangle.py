"""Pure functions that damage an OAI-PMH response body the way real servers do.

Each takes the body a healthy server produced and returns the damaged
bytes; :mod:`oaiserver.faults` decides when to apply them.
"""

from __future__ import annotations

from lxml import etree
from oaipmh.server import NS_OAIPMH

_LIST_VERBS = ("ListRecords", "ListIdentifiers", "ListSets")
# Where invalid characters go, first match wins: inside MARC data, else an identifier.
_INSERTION_POINTS = (b"</subfield>", b"</controlfield>", b"</identifier>", b"</responseDate>")


def truncated(body: bytes, size: int) -> bytes:
    """Keep the first *size* bytes."""
    return body[:size]


def with_invalid_characters(body: bytes, characters: str) -> bytes:
    """Insert *characters* (raw, e.g. ``\\x0b``, or a reference such as ``&#x1A;``)
    into the first MARC field of the page, or the first identifier.
    """
    for marker in _INSERTION_POINTS:
        position = body.find(marker)
        if position >= 0:
            return body[:position] + characters.encode("utf-8") + body[position:]
    return body + characters.encode("utf-8")


def as_latin1(body: bytes) -> bytes:
    """Re-encode a UTF-8 body as ISO-8859-1, leaving its declaration saying UTF-8.

    Characters outside Latin-1 become character references, so only the
    encoding lies; the markup stays well-formed.
    """
    return body.decode("utf-8").encode("iso-8859-1", "xmlcharrefreplace")


def with_token(body: bytes, token: str) -> bytes:
    """Set the list's resumption token to *token*, adding one if the page had none.

    A response without a list (an OAI error, Identify) is returned unchanged.
    """
    root, listing = _parse_listing(body)
    if listing is None:
        return body
    _set_token(listing, token)
    return _serialize(root)


def emptied(body: bytes, token: str) -> bytes:
    """Remove every item from the list, leaving only a resumption token *token*."""
    root, listing = _parse_listing(body)
    if listing is None:
        return body
    for child in list(listing):
        listing.remove(child)
    _set_token(listing, token)
    return _serialize(root)


def token_of(body: bytes) -> str | None:
    """The resumption token of a page, or None (also for an empty token)."""
    _root, listing = _parse_listing(body)
    if listing is None:
        return None
    element = listing.find(_oai("resumptionToken"))
    return element.text if element is not None and element.text else None


def _parse_listing(body: bytes):
    try:
        root = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return None, None
    for verb in _LIST_VERBS:
        listing = root.find(_oai(verb))
        if listing is not None:
            return root, listing
    return root, None


def _set_token(listing: etree._Element, token: str) -> None:
    element = listing.find(_oai("resumptionToken"))
    if element is None:
        element = etree.SubElement(listing, _oai("resumptionToken"))
    element.attrib.clear()
    element.text = token


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)


def _oai(name: str) -> str:
    return f"{{{NS_OAIPMH}}}{name}"
