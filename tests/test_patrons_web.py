"""Patrons on the web (issue 14) with the Flask test client over a real store and index: sign-in over SIP2
against the test SIP2 server, requests between members worked in the staff queues, e-mails kept by the
test SMTP server.

The catalogue is tests/test_staff_web.py's: alpha and beta hold one Libris edition, gamma a Duke book.
Patrons of gamma sign in; beta takes requests by e-mail (and in its queue), alpha in its queue.
"""

from __future__ import annotations

import re
import time

import pytest
import yaml
from werkzeug.security import generate_password_hash

from settings import load_config
from store import Store
from tests.sip2_peer import Patron, Sip2Peer
from tests.smtp_peer import SmtpPeer
from tests.test_staff_web import CHEAP, PASSWORD, built_on_sqlite, copied, login, token
from web import create_app

ANNA_CARD, PIN = "2100001", "1234"
LOST = "    Y" + " " * 9


@pytest.fixture
def sip2():
    with Sip2Peer({ANNA_CARD: Patron(PIN, "Anna Svensson", "anna@example.org"),
                   "2100002": Patron("5555", "Bo Ek", "bo@example.org")}) as peer:
        yield peer


@pytest.fixture
def smtp():
    with SmtpPeer() as peer:
        yield peer


@pytest.fixture
def network(request, tmp_path, sip2, smtp):
    """The staff catalogue with patron sign-in for gamma and requests between the three members."""
    built = built_on_sqlite(request.getfixturevalue("built_once"), request.getfixturevalue("tmp_path_factory"))
    config = copied(built, tmp_path / "catalogue")
    data = yaml.safe_load(config.path.read_text())
    data.update({
        "mail": smtp.config(),
        "web": {"login_throttle": {"max_failures": 3, "window": 900, "lockout": 900}},
        "patrons": {"idle_timeout": 600, "answer_time": 0.2, "sip2": {"gamma": sip2.settings_section(timeout=0.5)}},
        "requests": {"lender_order": ["beta", "alpha"], "members": {
            "gamma": {"pickup": {"PERKINS": "Perkins Library", "LILLY": "Lilly Library"}, "max_open": 3},
            "alpha": {"delivery": "staff"},
            "beta": {"delivery": "email", "email": "ill@beta.example.org"}}},
    })
    config.path.write_text(yaml.safe_dump(data, allow_unicode=True))
    config = load_config(config.path)
    with Store(config.store_url) as store:
        for name, member in (("alfa", "alpha"), ("bea", "beta")):
            store.set_staff_password(name, generate_password_hash(PASSWORD, CHEAP))
            store.set_staff_role(name, "cataloguer", member)
    return config


@pytest.fixture
def app(network):
    return create_app(network)


@pytest.fixture
def patron(app):
    return app.test_client()


@pytest.fixture
def store(network):
    with Store(network.store_url) as opened:
        yield opened


def html(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, card=ANNA_CARD, pin=PIN, member="gamma"):
    form = client.get("/patron/login")
    return client.post("/patron/login", data={"csrf_token": token(form), "member": member, "card": card, "pin": pin})


def post(client, path, form_page, data=None, follow=False):
    return client.post(path, data={"csrf_token": token(client.get(form_page)), **(data or {})},
                       follow_redirects=follow)


def polisbilen(store) -> str:
    return store.resolve_cluster("alpha:20203738")


def staff_step(app, username, request_id, step):
    client = app.test_client()
    login(client, username)
    return post(client, f"/staff/requests/{request_id}/{step}", "/staff/requests")


def test_a_patron_signs_in_with_card_and_pin_and_no_pin_is_kept(app, patron, store, sip2):
    assert sign_in(patron).status_code == 302
    page = patron.get("/patron/requests")
    assert page.status_code == 200 and "anna@example.org" in html(page) and ANNA_CARD in html(page)
    with patron.session_transaction() as session:
        assert PIN not in repr(dict(session))
    assert sip2.received[-1].startswith("63") and f"|AD{PIN}|" in sip2.received[-1]
    assert "Sign in with your library card" in html(app.test_client().get("/"))
    assert "My requests" in html(patron.get("/"))


def test_an_unknown_card_and_a_wrong_pin_get_the_same_answer_no_sooner_than_the_answer_time(patron):
    answers = []
    for card, pin in ((ANNA_CARD, "0000"), ("2199999", PIN)):
        started = time.monotonic()
        response = sign_in(patron, card, pin)
        answers.append((response.status_code, re.sub(r'value="[^"]+"', "", html(response))))
        assert time.monotonic() - started >= 0.2
    assert answers[0] == answers[1] and answers[0][0] == 401 and "Wrong card number or PIN." in answers[0][1]
    assert patron.get("/patron/requests").status_code == 302


def test_repeated_wrong_pins_lock_the_card_out_as_staff_sign_in_does(app, patron):
    for _attempt in range(3):
        assert sign_in(patron, pin="0000").status_code == 401
    locked = sign_in(patron)
    assert locked.status_code == 429 and "Too many failed logins" in html(locked)
    # the card is locked from another address too
    other = app.test_client()
    response = other.post("/patron/login", environ_base={"REMOTE_ADDR": "192.0.2.9"},
                          data={"csrf_token": token(other.get("/patron/login")), "member": "gamma",
                                "card": ANNA_CARD, "pin": PIN})
    assert response.status_code == 429


def test_a_silent_sip2_server_is_named_and_counts_no_failure(network, patron, sip2):

    sip2.fault = "silent"
    for _attempt in range(network.web.login_throttle.max_failures):
        response = sign_in(patron)
        assert response.status_code == 503 and "did not answer" in html(response)
    sip2.fault = None
    assert sign_in(patron).status_code == 302


def test_the_session_ends_after_the_idle_time(patron):
    sign_in(patron)
    assert patron.get("/patron/requests").status_code == 200
    with patron.session_transaction() as session:
        session["patron"] = {**session["patron"], "seen": time.time() - 601}
    assert patron.get("/patron/requests").status_code == 302


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_before_requesting(patron, store):
    response = patron.get(f"/patron/request/{polisbilen(store)}")
    assert response.status_code == 302 and "/patron/login" in response.headers["Location"]


def test_a_request_goes_from_lender_to_lender_through_the_staff_queues_to_returned_with_emails(app, patron, store,
                                                                                             smtp):
    sign_in(patron)
    cluster = polisbilen(store)
    form = patron.get(f"/patron/request/{cluster}")
    assert "Perkins Library" in html(form)
    placed = patron.post(f"/patron/request/{cluster}", data={"csrf_token": token(form), "pickup": "LILLY"})
    assert placed.status_code == 302, html(placed)
    [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    assert (request.lender, request.candidates, request.patron_email) == ("beta", ("alpha",), "anna@example.org")
    mails = smtp.wait_for(2)
    assert {m["To"] for m in mails} == {"ill@beta.example.org", "anna@example.org"}
    assert "Beta" in smtp.to("anna@example.org")[0].get_content()
    # alpha's staff do not see it yet, beta's do; beta declines, alpha is asked
    alfa = app.test_client()
    login(alfa, "alfa")
    assert f'id="request-{request.id}"' not in html(alfa.get("/staff/requests"))
    assert staff_step(app, "alfa", request.id, "accept").status_code == 403
    assert staff_step(app, "bea", request.id, "decline").status_code == 302
    assert f'id="request-{request.id}"' in html(alfa.get("/staff/requests"))
    assert "Declined (Beta)" in html(patron.get("/patron/requests"))
    for username, step, state in [("alfa", "accept", "accepted"), ("alfa", "ship", "shipped"),
                                  ("carl", "receive", "received"), ("alfa", "return", "returned")]:
        assert staff_step(app, username, request.id, step).status_code == 302
        assert store.ill_request(request.id).state == state
        if state == "received":
            assert 'data-state="received"' in html(patron.get("/patron/requests"))
            assert "Ready for pick-up" in html(patron.get("/patron/requests"))
    notices = [m.get_content() for m in smtp.wait_for(7) if m["To"] == "anna@example.org"]
    assert len(notices) == 6, notices
    assert "we have now asked Alpha" in notices[1] and "Lilly Library" in notices[4]


def test_the_card_is_checked_again_when_a_request_is_placed(patron, store, sip2):
    sign_in(patron)
    sip2.patrons[ANNA_CARD].status = LOST
    cluster = polisbilen(store)
    refused = post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"})
    assert refused.status_code == 403 and "could not be confirmed" in html(refused)
    assert store.ill_requests_of(("gamma", ANNA_CARD)) == []
    assert sip2.received[-1].startswith("63") and "|AD" not in sip2.received[-1]
    assert patron.get("/patron/requests").status_code == 302      # signed out


def test_a_request_for_what_only_the_patrons_own_member_holds_is_refused_with_the_reason(patron, store):
    sign_in(patron)
    own = store.resolve_cluster(next(r.public_id for r in store.records(source="gamma")))
    refused = post(patron, f"/patron/request/{own}", f"/patron/request/{own}", {"pickup": "LILLY"})
    assert refused.status_code == 409
    assert ("No library in the network can lend this edition to you." in html(refused)
            or "Your own library has a copy on the shelf" in html(refused))
    assert store.ill_requests_of(("gamma", ANNA_CARD)) == []


def test_a_patron_cancels_a_request_and_deletes_their_ended_requests(patron, store, smtp):
    sign_in(patron)
    cluster = polisbilen(store)
    post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"})
    [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    cancelled = post(patron, f"/patron/requests/{request.id}/cancel", "/patron/requests", follow=True)
    assert "Your request was cancelled." in html(cancelled) and store.ill_request(request.id).state == "cancelled"
    deleted = post(patron, "/patron/data/delete", "/patron/requests", follow=True)
    assert "Deleted 1 ended requests" in html(deleted) and store.ill_requests_of(("gamma", ANNA_CARD)) == []


def test_another_patron_cannot_cancel_someone_elses_request(app, patron, store):
    sign_in(patron)
    cluster = polisbilen(store)
    post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"})
    [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    bo = app.test_client()
    sign_in(bo, "2100002", "5555")
    assert post(bo, f"/patron/requests/{request.id}/cancel", "/patron/requests").status_code == 404
    assert store.ill_request(request.id).state == "requested"


def test_the_cli_passes_over_a_lender_past_its_time_and_purges_ended_requests(network, patron, store, smtp):
    from datetime import timedelta

    from click.testing import CliRunner
    from sqlalchemy import update

    from cli import main
    from store import now, schema

    sign_in(patron)
    cluster = polisbilen(store)
    post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"})
    [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(network.path), "requests", "tick"])
    assert result.exit_code == 0 and "0 passed on" in result.output, result.output
    with store.transaction() as conn:
        conn.execute(update(schema.ill_requests).values(answer_by=now() - timedelta(minutes=1)))
    result = runner.invoke(main, ["--config", str(network.path), "requests", "tick"])
    assert result.exit_code == 0 and "1 passed on" in result.output, result.output
    assert (store.ill_request(request.id).lender, store.ill_events(request.id)[1].note) == ("alpha",
                                                                                           "no answer in time")
    assert "we have now asked Alpha" in smtp.to("anna@example.org")[-1].get_content()
    result = runner.invoke(main, ["--config", str(network.path), "requests", "purge", "--older-than", "0"])
    assert result.exit_code == 0 and "0 ended" in result.output, result.output
    post(patron, f"/patron/requests/{request.id}/cancel", "/patron/requests")
    result = runner.invoke(main, ["--config", str(network.path), "requests", "purge", "--older-than", "0"])
    assert result.exit_code == 0 and "1 ended" in result.output, result.output
    assert store.ill_request(request.id) is None


def test_a_patron_who_uses_the_catalogue_in_polish_gets_the_notices_in_polish(patron, store, smtp):
    patron.get("/?lang=pl")
    sign_in(patron)
    cluster = polisbilen(store)
    assert post(patron, f"/patron/request/{cluster}", f"/patron/request/{cluster}", {"pickup": "LILLY"}
                ).status_code == 302
    smtp.wait_for(2)
    [notice] = smtp.to("anna@example.org")
    assert notice["Subject"].startswith("Twoje zamówienie:")
    assert "Poprosiliśmy bibliotekę Beta o wypożyczenie." in notice.get_content()
    assert "Moje zamówienia" in html(patron.get("/patron/requests"))
