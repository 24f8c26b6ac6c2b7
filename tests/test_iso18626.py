"""ISO 18626 between unioncat and a lending member's system (tests/iso18626_peer.py on 127.0.0.1): Requests
out, SupplyingAgencyMessages in, with every fault of the peer and every forged or invalid message refused.

The network is tests/test_patrons_web.py's, with alpha taking requests over ISO 18626.
"""

from __future__ import annotations

import logging

import pytest
import yaml

from ill.iso18626 import parse, sign
from settings import load_config
from settings.interlending import secret_env
from store import Store
from tests.iso18626_peer import Iso18626Peer
from tests.test_patrons_web import (  # noqa: F401  (fixtures)
    ANNA_CARD, network, polisbilen, post, sign_in, sip2, smtp, staff_step,
)
from web import create_app

SECRET = "alpha's shared secret"


@pytest.fixture
def peer(monkeypatch):
    monkeypatch.setenv(secret_env("alpha"), SECRET)
    with Iso18626Peer("SE-ALPHA", SECRET) as running:
        yield running


@pytest.fixture
def iso_network(network, peer):
    data = yaml.safe_load(network.path.read_text())
    data["requests"]["members"]["alpha"] = {"delivery": "iso18626", "iso18626": peer.section()}
    network.path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_config(network.path)


@pytest.fixture
def app(iso_network):
    return create_app(iso_network)


@pytest.fixture
def store(iso_network):
    with Store(iso_network.store_url) as opened:
        yield opened


def asked_of_alpha(app, store):
    """A patron's request that beta declined, so that alpha is asked over ISO 18626."""
    patron = app.test_client()
    sign_in(patron)
    cluster = polisbilen(store)
    assert post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"}
                ).status_code == 302
    [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    assert staff_step(app, "bea", request.id, "decline").status_code == 302
    return patron, store.ill_request(request.id)


def inbound(app, body, headers, address="127.0.0.1"):
    return app.test_client().post("/iso18626", data=body, headers=headers, environ_base={"REMOTE_ADDR": address})


def status(app, peer, request, code, **options):
    body, headers = peer.status(f"UNIONCAT-{request.id}", code, **options)
    return inbound(app, body, headers)


def test_alpha_gets_a_valid_request_and_its_status_messages_move_it_to_returned(app, store, peer, smtp):
    patron, request = asked_of_alpha(app, store)
    assert (request.state, request.lender) == ("requested", "alpha")
    [sent] = peer.received
    assert (sent.kind, sent.request_ref, sent.supplying_agency, sent.requesting_agency) == (
        "request", f"UNIONCAT-{request.id}", "SE-ALPHA", "UNIONCAT")
    for code, state in [("RequestReceived", "requested"), ("WillSupply", "accepted"), ("Loaned", "shipped")]:
        answer = status(app, peer, request, code)
        confirmed = parse(answer.data)
        assert (answer.status_code, confirmed.kind, confirmed.status) == (200, "supplyingAgencyMessageConfirmation",
                                                                          "OK")
        assert store.ill_request(request.id).state == state
    assert store.ill_request(request.id).peer_ref == f"SE-ALPHA-loan-UNIONCAT-{request.id}"
    assert staff_step(app, "carl", request.id, "receive").status_code == 302
    assert (peer.received[-1].kind, peer.received[-1].action) == ("requestingAgencyMessage", "Received")
    assert status(app, peer, request, "LoanCompleted").status_code == 200
    assert store.ill_request(request.id).state == "returned"
    assert [e.actor for e in store.ill_events(request.id)][-1] == "iso18626"
    assert len([m for m in smtp.wait_for(7) if m["To"] == "anna@example.org"]) == 6


def test_a_loan_sent_without_a_will_supply_first_is_accepted_and_sent(app, store, peer):
    _patron, request = asked_of_alpha(app, store)
    assert status(app, peer, request, "Loaned").status_code == 200
    assert [e.state for e in store.ill_events(request.id)][-2:] == ["accepted", "shipped"]


def test_unfilled_over_iso18626_ends_the_request_when_no_lender_is_left(app, store, peer):
    _patron, request = asked_of_alpha(app, store)
    assert status(app, peer, request, "Unfilled", reason="RequestResponse").status_code == 200
    assert store.ill_request(request.id).state == "declined"


def test_a_cancel_by_the_patron_is_sent_to_the_lender(app, store, peer):
    patron, request = asked_of_alpha(app, store)
    post(patron, f"/patron/requests/{request.id}/cancel", "/patron/requests")
    assert (peer.received[-1].kind, peer.received[-1].action) == ("requestingAgencyMessage", "Cancel")
    assert status(app, peer, request, "Cancelled", reason="CancelResponse").status_code == 200
    assert parse(status(app, peer, request, "Cancelled", reason="CancelResponse").data).status == "OK"


@pytest.mark.parametrize("fault", ["silent", "slow", "malformed", "error", "wrong_credentials"])
def test_a_lender_whose_endpoint_fails_is_passed_over_at_once(app, store, peer, fault):
    peer.fault, peer.delay = fault, 1.5
    _patron, request = asked_of_alpha(app, store)
    assert (request.state, request.lender) == ("declined", "alpha")
    [passed_over] = [e for e in store.ill_events(request.id) if e.member == "alpha" and e.note]
    assert passed_over.state == "declined" and passed_over.note.startswith("not delivered:")


def test_a_slow_endpoint_that_answers_within_its_timeout_is_fine(app, store, peer):
    peer.fault, peer.delay = "slow", 0.3
    _patron, request = asked_of_alpha(app, store)
    assert (request.state, request.lender) == ("requested", "alpha")


def test_forged_messages_are_refused_and_logged(app, store, peer, caplog):
    _patron, request = asked_of_alpha(app, store)
    body, headers = peer.status(f"UNIONCAT-{request.id}", "WillSupply")
    caplog.set_level(logging.WARNING, logger="unioncat.security")
    forged = [
        inbound(app, body, {**headers, "X-ILL-Signature": sign("a guess", body)}),        # wrong credentials
        inbound(app, body, {"Content-Type": "application/xml"}),                             # no signature
        inbound(app, body, headers, address="192.0.2.7"),                                    # not the peer
        inbound(app, *peer.status(f"UNIONCAT-{request.id}", "WillSupply", agency="SE-OTHER")),  # unknown agency
    ]
    assert [r.status_code for r in forged] == [403, 403, 403, 403]
    assert store.ill_request(request.id).state == "requested"
    assert len([r for r in caplog.records if "ISO 18626 message refused" in r.getMessage()]) == 4


def test_invalid_and_unknown_and_out_of_order_messages_get_an_error_confirmation(app, store, peer, caplog):
    _patron, request = asked_of_alpha(app, store)
    caplog.set_level(logging.WARNING, logger="unioncat.security")
    malformed = inbound(app, b"<not-xml", {"X-ILL-Signature": sign(SECRET, b"<not-xml")})
    assert malformed.status_code == 400 and parse(malformed.data).error.startswith("BadlyFormedMessage")
    body = peer.status(f"UNIONCAT-{request.id}", "WillSupply")[0].replace(b">WillSupply<", b">Teleported<")
    invalid = inbound(app, body, {"X-ILL-Signature": sign(SECRET, body)})
    assert invalid.status_code == 400 and "not valid ISO 18626" in parse(invalid.data).error
    unknown = inbound(app, *peer.status("UNIONCAT-999999", "WillSupply"))
    assert (unknown.status_code, parse(unknown.data).error) == (200, "UnrecognisedDataValue unknown request")
    out_of_order = status(app, peer, request, "LoanCompleted")
    assert out_of_order.status_code == 200
    assert parse(out_of_order.data).error.startswith("UnrecognisedDataValue status LoanCompleted out of order")
    assert store.ill_request(request.id).state == "requested"
    assert len([r for r in caplog.records if "ISO 18626 message refused" in r.getMessage()]) == 4


def test_a_message_about_another_lenders_request_is_unknown(app, store, peer):
    patron = app.test_client()
    sign_in(patron)
    cluster = polisbilen(store)
    post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"})
    [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    assert request.lender == "beta"
    answer = status(app, peer, request, "WillSupply")
    assert parse(answer.data).error == "UnrecognisedDataValue unknown request"
    assert store.ill_request(request.id).state == "requested"
