"""Parse OAI-PMH responses strictly into plain page data.

A page that is not well-formed is never read as a shorter list: the caller
retries it, then repairs it only by dropping characters XML forbids (the one
documented repair; the page's records are flagged `xml-repaired`), and
otherwise keeps it aside and stops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from harvest.errors import InvalidPage, OAIProtocolError

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS}
_PARSER = etree.XMLParser(recover=False, huge_tree=True, resolve_entities=False, no_network=True)
# characters XML 1.0 forbids, raw or as character references
_INVALID_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|&#(?:x0*(?:[0-8bcBCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));")


@dataclass
class OAIItem:
    """One record of a ListRecords page."""

    identifier: str
    datestamp: str
    deleted: bool
    metadata: etree._Element | None


@dataclass
class Page:
    """A parsed ListRecords or ListIdentifiers page."""

    items: list[OAIItem] = field(default_factory=list)
    token: str | None = None
    complete_list_size: int | None = None
    response_date: str | None = None
    repaired: bool = False
    no_records: bool = False


@dataclass
class Identity:
    """What Identify says about a repository."""

    granularity: str
    deleted_record: str
    response_date: str
    earliest: str | None


def parse_xml(content: bytes, *, repair: bool = False) -> tuple[etree._Element, bool]:
    """The document root, parsed strictly; with `repair`, after dropping forbidden characters."""
    try:
        return etree.fromstring(content, parser=_PARSER), False
    except etree.XMLSyntaxError as exc:
        if repair:
            cleaned = _INVALID_CHARS.sub(b"", content)
            if cleaned != content:
                try:
                    return etree.fromstring(cleaned, parser=_PARSER), True
                except etree.XMLSyntaxError:
                    pass
        raise InvalidPage(f"response is not well-formed XML: {exc}") from exc


def check_error(root: etree._Element) -> str | None:
    """Raise on an OAI-PMH error, except noRecordsMatch, whose code is returned."""
    error = root.find("oai:error", NS)
    if error is None:
        return None
    code = error.get("code", "unknown")
    if code == "noRecordsMatch":
        return code
    raise OAIProtocolError(code, (error.text or "").strip())


def parse_identify(content: bytes) -> Identity:
    """Granularity, deletion support and the server's clock from an Identify response."""
    root, _ = parse_xml(content)
    check_error(root)
    identify = root.find("oai:Identify", NS)
    if identify is None:
        raise InvalidPage("Identify response has no Identify element")
    return Identity(
        granularity=_text(identify, "granularity") or "YYYY-MM-DD",
        deleted_record=_text(identify, "deletedRecord") or "no",
        response_date=_text(root, "responseDate") or "",
        earliest=_text(identify, "earliestDatestamp"),
    )


def parse_list_page(content: bytes, *, repair: bool = False) -> Page:
    """Records (or headers), the resumption token and the list size of a page."""
    root, repaired = parse_xml(content, repair=repair)
    if root.tag != f"{{{OAI_NS}}}OAI-PMH":
        raise InvalidPage(f"not an OAI-PMH response (root element {root.tag})")
    page = Page(response_date=_text(root, "responseDate"), repaired=repaired)
    if check_error(root) == "noRecordsMatch":
        page.no_records = True
        return page
    body = root.find("oai:ListRecords", NS)
    if body is None:
        body = root.find("oai:ListIdentifiers", NS)
    if body is None:
        raise InvalidPage("response has neither ListRecords nor ListIdentifiers")
    page.items = [_item(el) for el in body if el.tag in (f"{{{OAI_NS}}}record", f"{{{OAI_NS}}}header")]
    _read_token(body, page)
    return page


def _item(element: etree._Element) -> OAIItem:
    header = element if element.tag == f"{{{OAI_NS}}}header" else element.find("oai:header", NS)
    if header is None:
        raise InvalidPage("a record has no header")
    metadata = element.find("oai:metadata", NS)
    payload = next((child for child in metadata if isinstance(child.tag, str)), None) if metadata is not None else None
    return OAIItem(
        identifier=(_text(header, "identifier") or "").strip(),
        datestamp=(_text(header, "datestamp") or "").strip(),
        deleted=header.get("status") == "deleted",
        metadata=payload,
    )


def _read_token(body: etree._Element, page: Page) -> None:
    token = body.find("oai:resumptionToken", NS)
    if token is None:
        return
    page.token = (token.text or "").strip() or None
    size = token.get("completeListSize")
    page.complete_list_size = int(size) if size and size.isdigit() else None


def _text(element: etree._Element, name: str) -> str | None:
    found = element.find(f"oai:{name}", NS)
    return found.text if found is not None else None
