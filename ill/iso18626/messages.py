"""ISO 18626 messages: built and read with lxml, checked against the schema in ill/schemas (see its
PROVENANCE.md), and signed with the member's shared secret (HMAC-SHA256 of the body, in SIGNATURE_HEADER)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from ill.errors import IllError

NS = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "iso18626-subset.xsd"
SIGNATURE_HEADER = "X-ILL-Signature"
AGENCY_TYPE = "ISIL"
MAX_MESSAGE = 1024 * 1024
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
_SCHEMA: list[etree.XMLSchema] = []


class MessageError(IllError):
    """A message that is not well-formed ISO 18626 (or not valid against the schema)."""


@dataclass(frozen=True)
class Message:
    """The parts of a received message unioncat acts on."""

    kind: str                         # request | supplyingAgencyMessage | requestConfirmation | ...
    supplying_agency: str = ""
    requesting_agency: str = ""
    request_ref: str = ""             # requestingAgencyRequestId
    supplier_ref: str = ""            # supplyingAgencyRequestId
    status: str = ""                  # statusInfo/status, or confirmationHeader/messageStatus
    reason: str = ""                  # reasonForMessage
    action: str = ""
    note: str = ""
    error: str = ""                   # errorData: type and value


def schema() -> etree.XMLSchema:
    """The schema, loaded once."""
    if not _SCHEMA:
        _SCHEMA.append(etree.XMLSchema(etree.parse(str(SCHEMA))))
    return _SCHEMA[0]


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed_by(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` is `body`'s under `secret` (never with an empty secret)."""
    return bool(secret) and bool(signature) and hmac.compare_digest(sign(secret, body), signature)


def parse(body: bytes, *, validate: bool = True) -> Message:
    """A received message; `MessageError` when it is not well-formed or (with `validate`) not valid."""
    if len(body) > MAX_MESSAGE:
        raise MessageError("message too large")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MessageError(f"not well-formed XML: {exc}") from None
    if root.tag != f"{{{NS}}}ISO18626Message" or len(root) != 1:
        raise MessageError("not an ISO18626Message")
    if validate and not schema().validate(root):
        raise MessageError(f"not valid ISO 18626: {schema().error_log.last_error}")
    return _read(root[0])


def _read(part) -> Message:
    def text(path: str) -> str:
        found = part.find(path, {"i": NS})
        return (found.text or "").strip() if found is not None else ""

    head = "i:header" if part.find("i:header", {"i": NS}) is not None else "i:confirmationHeader"
    error = " ".join(filter(None, (text("i:errorData/i:errorType"), text("i:errorData/i:errorValue"))))
    return Message(
        kind=etree.QName(part).localname,
        supplying_agency=text(f"{head}/i:supplyingAgencyId/i:agencyIdValue"),
        requesting_agency=text(f"{head}/i:requestingAgencyId/i:agencyIdValue"),
        request_ref=text(f"{head}/i:requestingAgencyRequestId"),
        supplier_ref=text(f"{head}/i:supplyingAgencyRequestId"),
        status=text("i:statusInfo/i:status") or text(f"{head}/i:messageStatus"),
        reason=text("i:messageInfo/i:reasonForMessage") or text("i:reasonForMessage"),
        action=text("i:action"),
        note=text("i:messageInfo/i:note") or text("i:note"),
        error=error,
    )


def _element(parent, name: str, value: str | None = None):
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    if value is not None:
        child.text = value
    return child


def _agency(parent, name: str, value: str) -> None:
    agency = _element(parent, name)
    _element(agency, "agencyIdType", AGENCY_TYPE)
    _element(agency, "agencyIdValue", value)


def stamp(at: datetime | None = None) -> str:
    """An xs:dateTime in UTC."""
    return (at or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(kind: str):
    root = etree.Element(f"{{{NS}}}ISO18626Message", nsmap={"ill": NS})
    root.set(f"{{{NS}}}version", VERSION)
    return root, _element(root, kind)


def _header(part, supplier: str, requester: str, request_ref: str, supplier_ref: str = "") -> None:
    header = _element(part, "header")
    _agency(header, "supplyingAgencyId", supplier)
    _agency(header, "requestingAgencyId", requester)
    _element(header, "timestamp", stamp())
    _element(header, "requestingAgencyRequestId", request_ref)
    if supplier_ref:
        _element(header, "supplyingAgencyRequestId", supplier_ref)


def _bytes(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def request_message(*, supplier: str, requester: str, request_ref: str, cluster_id: str, title: str,
                    pickup: str) -> bytes:
    """A Request for a loan of `title` (the union catalogue's cluster id as its record id) to `pickup`."""
    root, part = _message("request")
    _header(part, supplier, requester, request_ref)
    bib = _element(part, "bibliographicInfo")
    _element(bib, "title", title)
    record = _element(bib, "bibliographicRecordId")
    _element(record, "bibliographicRecordIdentifierCode", "unioncat")
    _element(record, "bibliographicRecordIdentifier", cluster_id)
    service = _element(part, "serviceInfo")
    _element(service, "requestType", "New")
    _element(service, "serviceType", "Loan")
    delivery = _element(part, "requestedDeliveryInfo")
    address = _element(_element(delivery, "address"), "physicalAddress")
    _element(address, "line1", pickup)
    return _bytes(root)


def supplying_agency_message(*, supplier: str, requester: str, request_ref: str, status: str,
                             reason: str = "StatusChange", supplier_ref: str = "", note: str = "") -> bytes:
    """A SupplyingAgencyMessage (what a lender sends: the test peer's, and the shape unioncat reads)."""
    root, part = _message("supplyingAgencyMessage")
    _header(part, supplier, requester, request_ref, supplier_ref)
    info = _element(part, "messageInfo")
    _element(info, "reasonForMessage", reason)
    if note:
        _element(info, "note", note)
    status_info = _element(part, "statusInfo")
    _element(status_info, "status", status)
    _element(status_info, "lastChange", stamp())
    return _bytes(root)


def requesting_agency_message(*, supplier: str, requester: str, request_ref: str, action: str,
                              supplier_ref: str = "", note: str = "") -> bytes:
    """A RequestingAgencyMessage (Cancel, Received, ShippedReturn)."""
    root, part = _message("requestingAgencyMessage")
    _header(part, supplier, requester, request_ref, supplier_ref)
    _element(part, "action", action)
    if note:
        _element(part, "note", note)
    return _bytes(root)


def confirmation(kind: str, *, supplier: str = "", requester: str = "", request_ref: str = "",
                 error: tuple[str, str] | None = None, received: datetime | None = None, answer: str = "") -> bytes:
    """A confirmation (`requestConfirmation`, `supplyingAgencyMessageConfirmation`, ...): OK, or ERROR
    with (errorType, errorValue). `answer` repeats the reasonForMessage or action confirmed."""
    root, part = _message(kind)
    header = _element(part, "confirmationHeader")
    if supplier:
        _agency(header, "supplyingAgencyId", supplier)
    if requester:
        _agency(header, "requestingAgencyId", requester)
    _element(header, "timestamp", stamp())
    if request_ref:
        _element(header, "requestingAgencyRequestId", request_ref)
    _element(header, "timestampReceived", stamp(received))
    _element(header, "messageStatus", "ERROR" if error else "OK")
    if answer and kind == "supplyingAgencyMessageConfirmation":
        _element(part, "reasonForMessage", answer)
    if answer and kind == "requestingAgencyMessageConfirmation":
        _element(part, "action", answer)
    if error:
        data = _element(part, "errorData")
        _element(data, "errorType", error[0])
        _element(data, "errorValue", error[1][:500])
    return _bytes(root)
