"""Inbound ISO 18626: a lending member's SupplyingAgencyMessage, accepted only from that member's configured
peer (its address and a signature with the shared secret), checked against the schema, then applied.

Forged messages (unknown agency, wrong address, wrong or missing signature) get HTTP 403 and no body;
invalid ones HTTP 400 with an ERROR confirmation; an unknown request or a status out of order an ERROR
confirmation. Each refusal is logged on `unioncat.security`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from ill.errors import Conflict, IllError
from ill.iso18626.messages import Message, MessageError, confirmation, parse, signed_by
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ill.service import Interlending

security_log = logging.getLogger("unioncat.security")
CONFIRMS = "supplyingAgencyMessageConfirmation"
# a lender's status -> the steps it stands for, from the states a request may be in when it comes
STEPS = {
    "ExpectToSupply": ("accept",), "WillSupply": ("accept",),
    "Unfilled": ("decline",),
    "Loaned": ("ship",),
    "LoanCompleted": ("return",),
}
# acknowledged without a step while the request is in the state named
QUIET = {"RequestReceived": "requested", "Cancelled": "cancelled"}


@dataclass(frozen=True)
class Answer:
    """What to send back: an HTTP status and a body (XML, or empty)."""

    status: int
    body: bytes = b""


def receive(service: Interlending, body: bytes, signature: str | None, address: str) -> Answer:
    """Authenticate, validate and apply one inbound message."""
    received = datetime.now(timezone.utc)
    try:
        message = parse(body, validate=False)
    except MessageError as exc:
        return _refused(400, f"malformed message from {address}: {exc}", received)
    member = _member(service, message.supplying_agency)
    forged = _forged(service, member, body, signature, address, message)
    if forged:
        security_log.warning("ISO 18626 message refused: %s", forged)
        return Answer(403)
    try:
        message = parse(body)
    except MessageError as exc:
        return _refused(400, f"invalid message from {member}: {exc}", received, message)
    if message.kind != "supplyingAgencyMessage":
        return _refused(400, f"{member} sent {message.kind}", received, message, "UnsupportedReasonForMessageType")
    return _apply(service, member, message, received)


def _member(service: Interlending, agency: str) -> str | None:
    for code, rules in service.settings.members.items():
        if rules.iso18626 is not None and agency and rules.iso18626.agency == agency:
            return code
    return None


def _forged(service, member: str | None, body: bytes, signature: str | None, address: str,
            message: Message) -> str | None:
    if member is None:
        return f"unknown supplying agency {message.supplying_agency[:50]!r} from {address}"
    peer = service.settings.members[member].iso18626
    if address != peer.peer:
        return f"message for {member} from {address}, not its peer {peer.peer}"
    if not signed_by(peer.secret(member), body, signature):
        return f"message for {member} from {address} with a wrong or missing signature"
    return None


def _apply(service: Interlending, member: str, message: Message, received: datetime) -> Answer:
    request = _request(service, message.request_ref)
    if request is None or request.lender != member:
        return _refused(200, f"{member} sent {message.status} for an unknown request {message.request_ref[:50]!r}",
                        received, message, "UnrecognisedDataValue", "unknown request")
    if message.supplier_ref and request.peer_ref != message.supplier_ref:
        service.store.set_ill_peer_ref(request.id, message.supplier_ref)
    if QUIET.get(message.status) == request.state:
        return _ok(message, received)
    steps = STEPS.get(message.status, ("unknown",))
    if message.status == "Loaned" and request.state == "requested":
        steps = ("accept", "ship")          # a lender may send the item without saying it will first
    try:
        for step in steps:
            service.step(request.id, step, member=member, actor="iso18626", note=message.note or None)
    except (Conflict, IllError) as exc:
        return _refused(200, f"{member} sent {message.status} for request {request.id} in state {request.state}: "
                        f"{exc}", received, message, "UnrecognisedDataValue",
                        f"status {message.status} out of order (request is {request.state})")
    return _ok(message, received)


def _request(service: Interlending, ref: str):
    number = ref.rpartition("-")[2]
    if not ref.startswith(service.settings.agency + "-") or not number.isdigit() or len(number) > 12:
        return None
    return service.store.ill_request(int(number))


def _ok(message: Message, received: datetime) -> Answer:
    return Answer(200, confirmation(CONFIRMS, supplier=message.supplying_agency, requester=message.requesting_agency,
                                    request_ref=message.request_ref, received=received, answer=message.reason))


def _refused(status: int, why: str, received: datetime, message: Message | None = None,
             error_type: str = "BadlyFormedMessage", value: str | None = None) -> Answer:
    security_log.warning("ISO 18626 message refused: %s", why)
    body = confirmation(CONFIRMS, supplier=message.supplying_agency if message else "",
                        requester=message.requesting_agency if message else "",
                        request_ref=message.request_ref if message else "", received=received,
                        error=(error_type, value or why), answer=message.reason if message else "")
    return Answer(status, body)
