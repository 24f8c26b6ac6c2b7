"""Koha's ILS-DI (`/cgi-bin/koha/ilsdi.pl`): `GetRecords` or `GetAvailability` for biblionumbers.

Koha splits `id` at spaces, so one request carries a batch. GetAvailability
answers DLF ILS-DI XML (`dlf:collection/dlf:record/dlf:items/dlf:item/
dlf:simpleavailability` with `availabilitystatus` "available", "not available"
or "unknown" and `availabilitymsg` "Not for loan", "Checked out", "Item lost",
...); GetRecords answers XML::Simple's rendering of each biblio with its items
(`notforloan`, `onloan` = due date, `itemlost`, `withdrawn`, `damaged`,
`holdingbranchname`, `itemcallnumber`), one `record` per id in the order asked.
A refused address or a disabled ILS-DI answers `<code>NotAllowed</code>`.
"""

from __future__ import annotations

from lxml import etree

from availability.errors import CredentialsRefused, MalformedAnswer, MemberUnreachable
from availability.http import fetch
from availability.model import AVAILABLE, IN_TRANSIT, NOT_FOR_LOAN, ON_LOAN, UNKNOWN, Item
from settings import MemberAvailability

DLF = "{http://diglib.org/ilsdi/1.1}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_MESSAGES = {"not for loan": NOT_FOR_LOAN, "checked out": ON_LOAN, "on loan": ON_LOAN, "in transit": IN_TRANSIT,
             "transferred": IN_TRANSIT}


def ask(member: MemberAvailability, ids: list[str]) -> dict[str, list[Item]]:
    """Items per biblionumber from one ILS-DI request for all of `ids`."""
    params = {"service": member.service, "id": " ".join(member.id_prefix + i for i in ids)}
    if member.service == "GetAvailability":
        params["id_type"] = "bib"
    body = fetch(member.url, params, timeout=member.timeout, credentials=member.credentials(),
                 accept="text/xml")
    root = _root(body)
    if member.service == "GetAvailability":
        return parse_availability(root, {member.id_prefix + i: i for i in ids})
    return parse_records(root, ids)


def _root(body: bytes):
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedAnswer(f"not XML: {exc}") from exc
    code = root.findtext("code")
    if code == "NotAllowed":
        raise CredentialsRefused(f"ILS-DI: {root.findtext('message') or code}")
    if code:
        raise MemberUnreachable(f"ILS-DI error {code}: {(root.findtext('message') or '')[:200]}")
    return root


def parse_availability(root, wanted: dict[str, str]) -> dict[str, list[Item]]:
    """Items per member id from a GetAvailability answer."""
    if root.tag != f"{DLF}collection":
        raise MalformedAnswer(f"expected dlf:collection, not {root.tag}")
    found: dict[str, list[Item]] = {}
    for record in root.iterfind(f"{DLF}record"):
        bib = record.find(f"{DLF}bibliographic")
        member_id = wanted.get(bib.get("id", "") if bib is not None else "")
        if member_id is None:
            continue
        found[member_id] = [_simple(item) for item in record.iterfind(f"{DLF}items/{DLF}item")]
    return found


def _simple(item) -> Item:
    simple = item.find(f"{DLF}simpleavailability")
    if simple is None:
        raise MalformedAnswer("an item without simpleavailability")
    status = (simple.findtext(f"{DLF}availabilitystatus") or "").strip()
    message = (simple.findtext(f"{DLF}availabilitymsg") or "").strip()
    if status == "available":
        kind = AVAILABLE
    else:
        kind = _MESSAGES.get(message.casefold(), UNKNOWN)
    return Item(status=kind, location=(simple.findtext(f"{DLF}location") or "").strip(),
                call_number=(simple.findtext(f"{DLF}itemcallnumber") or "").strip(),
                note="" if kind in (AVAILABLE, ON_LOAN, NOT_FOR_LOAN, IN_TRANSIT) else message)


def parse_records(root, ids: list[str]) -> dict[str, list[Item]]:
    """Items per biblionumber from a GetRecords answer (one `record` per id asked, in order)."""
    if root.tag != "GetRecords":
        raise MalformedAnswer(f"expected GetRecords, not {root.tag}")
    records = root.findall("record")
    if len(records) != len(ids):
        raise MalformedAnswer(f"{len(records)} records for {len(ids)} ids")
    found: dict[str, list[Item]] = {}
    for member_id, record in zip(ids, records):
        if record.findtext("code") == "RecordNotFound":
            continue
        found[member_id] = [_item(item) for item in record.iterfind("items/item")]
    return found


def _item(item) -> Item:
    def text(name: str) -> str:
        return (item.findtext(name) or "").strip()

    location = text("holdingbranchname") or text("homebranchname") or text("holdingbranch")
    common = {"location": location, "call_number": text("itemcallnumber")}
    if text("notforloan") not in ("", "0"):
        return Item(status=NOT_FOR_LOAN, **common)
    if text("onloan"):
        return Item(status=ON_LOAN, due=text("onloan")[:10], **common)
    for flag, note in (("itemlost", "Item lost"), ("withdrawn", "Item withdrawn"), ("damaged", "Item damaged")):
        if text(flag) not in ("", "0"):
            return Item(status=UNKNOWN, note=note, **common)
    return Item(status=AVAILABLE, **common)
