"""Parse OAI-PMH responses strictly into plain page data.

A page that is not well-formed is never read as a shorter list. It is
repaired only in the two documented ways of `harvest.repair` (forbidden
characters dropped, a mislabelled encoding read as Windows-1252), and the
records touched are flagged; anything else is the caller's to retry and then
keep aside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from harvest.errors import InvalidPage, OAIProtocolError
from harvest.repair import ENTITY_MARK, FLAGS, repair, strip_marks, strip_text_marks

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS}
_LIST_VERBS = ("ListRecords", "ListIdentifiers", "GetRecord")
_PARSER = etree.XMLParser(recover=False, huge_tree=True, resolve_entities=False, no_network=True)


@dataclass
class OAIItem:
    """One record of a ListRecords page."""

    identifier: str
    datestamp: str
    deleted: bool
    metadata: etree._Element | None
    flags: list[str] = field(default_factory=list)


@dataclass
class Page:
    """A parsed ListRecords or ListIdentifiers page."""

    items: list[OAIItem] = field(default_factory=list)
    token: str | None = None
    complete_list_size: int | None = None
    response_date: str | None = None
    repairs: list[str] = field(default_factory=list)
    no_records: bool = False


@dataclass
class Identity:
    """What Identify says about a repository."""

    granularity: str
    deleted_record: str
    response_date: str
    earliest: str | None


def parse_xml(content: bytes) -> tuple[etree._Element, list[str]]:
    """The document root, parsed strictly, else after the documented repairs (named in the list)."""
    try:
        root, repairs = etree.fromstring(content, parser=_PARSER), []
    except etree.XMLSyntaxError as exc:
        root, repairs = _repaired(content, exc)
    if _entities_kept_as_text(root) and FLAGS[ENTITY_MARK] not in repairs:
        repairs.append(FLAGS[ENTITY_MARK])
    return root, repairs


def _repaired(content: bytes, error: etree.XMLSyntaxError) -> tuple[etree._Element, list[str]]:
    fixed, repairs = repair(content)
    if repairs:
        try:
            return etree.fromstring(fixed, parser=_PARSER), repairs
        except etree.XMLSyntaxError:
            pass
    raise InvalidPage(f"response is not well-formed XML: {error}") from error


def _entities_kept_as_text(root: etree._Element) -> bool:
    """Replace each reference to an entity a DTD declared (never resolved) by its literal text, marked."""
    if not root.getroottree().docinfo.doctype:
        return False              # without a DOCTYPE no reference parses: they were repaired as text already
    entities = list(root.iter(etree.Entity))
    for entity in entities:
        text = entity.text + ENTITY_MARK + (entity.tail or "")
        previous, parent = entity.getprevious(), entity.getparent()
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(entity)
    return bool(entities)


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


def parse_list_page(content: bytes) -> Page:
    """Records (or headers), the resumption token and the list size of a page (or a GetRecord)."""
    root, repairs = parse_xml(content)
    if root.tag != f"{{{OAI_NS}}}OAI-PMH":
        raise InvalidPage(f"not an OAI-PMH response (root element {root.tag})")
    page = Page(response_date=_text(root, "responseDate"), repairs=repairs)
    if check_error(root) == "noRecordsMatch":
        page.no_records = True
        return page
    body = next((found for verb in _LIST_VERBS if (found := root.find(f"oai:{verb}", NS)) is not None), None)
    if body is None:
        raise InvalidPage("response has no ListRecords, ListIdentifiers or GetRecord")
    page.items = [_item(el, bool(repairs)) for el in body if el.tag in (f"{{{OAI_NS}}}record", f"{{{OAI_NS}}}header")]
    _read_token(body, page)
    return page


def _item(element: etree._Element, repaired_page: bool = False) -> OAIItem:
    header = element if element.tag == f"{{{OAI_NS}}}header" else element.find("oai:header", NS)
    if header is None:
        raise InvalidPage("a record has no header")
    metadata = element.find("oai:metadata", NS)
    payload = next((child for child in metadata if isinstance(child.tag, str)), None) if metadata is not None else None
    item = OAIItem(
        identifier=(_text(header, "identifier") or "").strip(),
        datestamp=(_text(header, "datestamp") or "").strip(),
        deleted=header.get("status") == "deleted",
        metadata=payload,
    )
    if repaired_page:
        _unmark(item)
    return item


def _unmark(item: OAIItem) -> None:
    """Take the repair markers out of a record of a repaired page, flagging it if it had any."""
    item.identifier, item.datestamp = strip_text_marks(item.identifier), strip_text_marks(item.datestamp)
    if item.metadata is None:
        return
    raw, item.flags = strip_marks(etree.tostring(item.metadata, encoding="utf-8"))
    if item.flags:
        item.metadata = etree.fromstring(raw, parser=_PARSER)


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
