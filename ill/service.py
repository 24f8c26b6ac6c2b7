"""Placing requests and moving them through their states; lenders asked in turn, each within a time limit.

requested -> accepted | declined (the next lender is asked) -> shipped -> received (by the pick-up
library's staff) -> returned; cancelled by the patron while requested or accepted. A request that every
lender declined ends as declined.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol

from ill.errors import Conflict, IllError, Refused
from ill.iso18626.client import DeliveryFailed, post
from ill.iso18626.messages import request_message, requesting_agency_message
from ill.rules import Wanted, check_request
from settings import InterlendingSettings
from store import IllRequest, now

log = logging.getLogger("unioncat.requests")
# steps of the borrowing side a lender on ISO 18626 is told of, as the action of a RequestingAgencyMessage
ACTIONS = {"cancel": "Cancel", "receive": "Received"}
# step -> (states it starts from, state it leads to, whose step it is)
STEPS = {
    "accept": (("requested",), "accepted", "lender"),
    "decline": (("requested",), "declined", "lender"),
    "ship": (("accepted",), "shipped", "lender"),
    "receive": (("shipped",), "received", "borrower"),
    "return": (("received",), "returned", "lender"),
    "cancel": (("requested", "accepted"), "cancelled", "patron"),
}


@dataclass(frozen=True)
class PatronRef:
    """A signed-in patron as a request needs them: home member, card, e-mail (from SIP2), language."""

    member: str
    card: str
    email: str = ""
    language: str = "en"

    @property
    def key(self) -> tuple[str, str]:
        return (self.member, self.card)


class Outbox(Protocol):
    """Where requests go out: lenders asked (their queue, e-mail or ISO 18626) and patrons told of each step."""

    def ask(self, request: IllRequest) -> None: ...

    def tell_patron(self, request: IllRequest, step: str) -> None: ...


class Interlending:
    """The requests of the network, over the store."""

    def __init__(self, store, settings: InterlendingSettings, outbox: Outbox | None = None,
                 clock: Callable[[], datetime] = now):
        self.store, self.settings, self.outbox, self.clock = store, settings, outbox, clock

    def place(self, patron: PatronRef, wanted: Wanted, pickup: str) -> IllRequest:
        """A new request asked of the first lender; `Refused` with the reason when the rules forbid it."""
        candidates = check_request(self.settings, patron.member, wanted, pickup,
                                   self.store.open_ill_count(patron.key))
        request_id = self.store.create_ill_request(
            cluster_id=wanted.cluster_id, title=wanted.title, patron=patron.key, email=patron.email,
            language=patron.language, pickup=pickup, lender=candidates[0], candidates=candidates[1:],
            answer_by=self._answer_by())
        return self._asked(self.store.ill_request(request_id), "requested")

    def step(self, request_id: int, step: str, *, member: str | None, actor: str, note: str | None = None,
             patron: tuple[str, str] | None = None) -> IllRequest:
        """Take `step` on a request for staff of `member` (None: an administrator), or for `patron`."""
        request = self.store.ill_request(request_id)
        if request is None or step not in STEPS:
            raise IllError(f"no request {request_id}" if request is None else f"no step {step!r}")
        from_states, to_state, whose = STEPS[step]
        self._check_party(request, whose, member, patron)
        if request.state not in from_states:
            raise Conflict(f"request {request_id} is {request.state}; {step} needs {' or '.join(from_states)}")
        if step == "decline":
            return self._pass_over(request, actor, note)
        changes = {"answer_by": None} if step == "accept" else {}
        if not self.store.move_ill_request(request_id, from_states, state=to_state, actor=actor, note=note,
                                           **changes):
            raise Conflict(f"request {request_id} was moved meanwhile")
        moved = self.store.ill_request(request_id)
        self._tell(moved, to_state)
        if step in ACTIONS:
            self._tell_lender(moved, ACTIONS[step])
        return moved

    def expire_overdue(self) -> list[IllRequest]:
        """Pass over every lender whose time to answer ran out; returns the requests moved."""
        moved = []
        for request in self.store.overdue_ill_requests(self.clock()):
            try:
                moved.append(self._pass_over(request, "timer", "no answer in time"))
            except Conflict:
                continue        # answered meanwhile
        return moved

    def purge(self) -> int:
        """Delete requests that ended more than `purge_days` ago; returns how many."""
        return self.store.purge_ill_requests(self.clock() - timedelta(days=self.settings.purge_days))

    def _pass_over(self, request: IllRequest, actor: str, note: str | None) -> IllRequest:
        """The current lender declined (or did not answer): ask the next, or end the request as declined."""
        tried = request.tried + (request.lender,)
        if request.candidates:
            changes = {"state": "requested", "lender": request.candidates[0], "candidates": request.candidates[1:],
                       "answer_by": self._answer_by()}
        else:
            changes = {"state": "declined", "answer_by": None}
        if not self.store.move_ill_request(request.id, ("requested",), actor=actor, note=note, tried=tried,
                                           passed_over=request.lender, **changes):
            raise Conflict(f"request {request.id} was moved meanwhile")
        moved = self.store.ill_request(request.id)
        if moved.state == "requested":
            return self._asked(moved, "passed_on")
        self._tell(moved, "declined")
        return moved

    def _check_party(self, request: IllRequest, whose: str, member: str | None,
                     patron: tuple[str, str] | None) -> None:
        if whose == "patron":
            if patron != (request.patron_member, request.patron_card):
                raise Refused("not_yours")
            return
        if patron is not None:
            raise Refused("not_yours")
        expected = request.lender if whose == "lender" else request.patron_member
        if member is not None and member != expected:
            raise Refused("other_members_request")

    def _answer_by(self) -> datetime:
        return self.clock() + timedelta(hours=self.settings.answer_hours)

    def _asked(self, request: IllRequest, step: str) -> IllRequest:
        """Deliver the request to the lender now asked and tell the patron; a lender whose ISO 18626
        endpoint does not take it is passed over at once."""
        try:
            self._deliver(request)
        except DeliveryFailed as exc:
            log.warning("request %s: %s", request.id, exc)
            return self._pass_over(request, "iso18626", f"not delivered: {exc}")
        if self.outbox is not None:
            self.outbox.ask(request)
        self._tell(request, step)
        return request

    def _deliver(self, request: IllRequest) -> None:
        rules = self.settings.rules(request.lender)
        if rules is None or rules.delivery != "iso18626" or rules.iso18626 is None:
            return
        body = request_message(supplier=rules.iso18626.agency, requester=self.settings.agency,
                               request_ref=self.reference(request.id), cluster_id=request.cluster_id,
                               title=request.title, pickup=request.pickup)
        post(rules.iso18626, rules.iso18626.secret(request.lender), body, "requestConfirmation")

    def _tell_lender(self, request: IllRequest, action: str) -> None:
        rules = self.settings.rules(request.lender)
        if rules is None or rules.delivery != "iso18626" or rules.iso18626 is None:
            return
        body = requesting_agency_message(supplier=rules.iso18626.agency, requester=self.settings.agency,
                                         request_ref=self.reference(request.id), action=action,
                                         supplier_ref=request.peer_ref or "")
        try:
            post(rules.iso18626, rules.iso18626.secret(request.lender), body, "requestingAgencyMessageConfirmation")
        except DeliveryFailed as exc:
            # the step stands: the lender's staff see it in their own system when it answers again
            log.warning("request %s: %s not delivered to %s: %s", request.id, action, request.lender, exc)

    def reference(self, request_id: int) -> str:
        """Our requestingAgencyRequestId of a request."""
        return f"{self.settings.agency}-{request_id}"

    def _tell(self, request: IllRequest, step: str) -> None:
        if self.outbox is not None:
            self.outbox.tell_patron(request, step)
