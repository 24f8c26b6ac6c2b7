"""Requests between members over a real store (SQLite and PostgreSQL): lending rules, every state, lenders
asked in turn with a time limit, purging and a patron's own data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ill import Conflict, Interlending, PatronRef, Refused, Wanted
from normalise import Holding
from settings.interlending import parse_interlending

MEMBERS = ("home", "alpha", "beta", "gamma")
ANNA = PatronRef("home", "2100001", "anna@example.org", "sv")


def settings(**members):
    rules = {"home": {"pickup": {"CEN": "Central library", "NOR": "North branch"}, "max_open": 2},
             "alpha": {}, "beta": {}, "gamma": {}}
    for code, extra in members.items():
        rules[code] = {**rules.get(code, {}), **extra}
    return parse_interlending({"answer_hours": 48, "purge_days": 30, "lender_order": ["gamma", "beta", "alpha"],
                               "members": rules}, MEMBERS)


def wanted(*holdings, format="book") -> Wanted:
    return Wanted("c1", "Pippi Långstrump", format, tuple(holdings))


def copy(source, available=0, location="", library=None) -> Holding:
    return Holding(source=source, library=library or source.upper(), location=location, available=available)


class Outbox:
    """Keeps what would go out: lenders asked, patrons told."""

    def __init__(self):
        self.asked, self.told = [], []

    def ask(self, request):
        self.asked.append((request.id, request.lender))

    def tell_patron(self, request, step):
        self.told.append((request.id, step))


class Clock:
    def __init__(self):
        self.at = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)

    def __call__(self):
        return self.at


@pytest.fixture
def outbox():
    return Outbox()


def network(store, outbox, **members) -> Interlending:
    return Interlending(store, settings(**members), outbox)


def test_lenders_with_a_copy_on_the_shelf_are_asked_first_then_in_the_configured_order(store, outbox):
    service = network(store, outbox)
    request = service.place(ANNA, wanted(copy("alpha"), copy("beta"), copy("gamma", 0), copy("alpha", 1)), "CEN")
    assert (request.state, request.lender, request.candidates) == ("requested", "alpha", ("gamma", "beta"))
    assert (request.patron_email, request.language, request.pickup) == ("anna@example.org", "sv", "CEN")
    assert outbox.asked == [(request.id, "alpha")] and outbox.told == [(request.id, "requested")]


def test_a_request_goes_through_every_state_to_returned(store, outbox):
    service = network(store, outbox)
    request = service.place(ANNA, wanted(copy("beta", 1)), "NOR")
    for step, member, state in [("accept", "beta", "accepted"), ("ship", "beta", "shipped"),
                                ("receive", "home", "received"), ("return", "beta", "returned")]:
        request = service.step(request.id, step, member=member, actor=f"staff of {member}")
        assert request.state == state
    assert request.ended_at is not None and not request.open
    assert [e.state for e in store.ill_events(request.id)] == ["requested", "accepted", "shipped", "received",
                                                                "returned"]
    assert [step for _id, step in outbox.told] == ["requested", "accepted", "shipped", "received", "returned"]


def test_a_decline_asks_the_next_lender_and_the_last_decline_ends_the_request(store, outbox):
    service = network(store, outbox)
    request = service.place(ANNA, wanted(copy("alpha"), copy("beta")), "CEN")
    assert request.lender == "beta"
    request = service.step(request.id, "decline", member="beta", actor="bo", note="lost")
    assert (request.state, request.lender, request.tried, request.candidates) == ("requested", "alpha", ("beta",), ())
    request = service.step(request.id, "decline", member="alpha", actor="cy")
    assert (request.state, request.ended_at is not None) == ("declined", True)
    events = [(e.state, e.member) for e in store.ill_events(request.id)]
    assert events == [("requested", "beta"), ("declined", "beta"), ("requested", "alpha"), ("declined", "alpha"),
                      ("declined", "alpha")]
    assert outbox.asked == [(request.id, "beta"), (request.id, "alpha")]
    assert [step for _id, step in outbox.told] == ["requested", "passed_on", "declined"]


def test_a_lender_that_does_not_answer_in_time_is_passed_over(store, outbox):
    clock = Clock()
    service = Interlending(store, settings(), outbox, clock=clock)
    request = service.place(ANNA, wanted(copy("alpha"), copy("beta")), "CEN")
    clock.at += timedelta(hours=47)
    assert service.expire_overdue() == []
    clock.at += timedelta(hours=2)
    [moved] = service.expire_overdue()
    assert (moved.lender, moved.tried) == ("alpha", ("beta",))
    assert store.ill_events(request.id)[1].note == "no answer in time"


def test_the_patron_cancels_while_requested_or_accepted_but_not_once_shipped(store, outbox):
    service = network(store, outbox)
    first = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    assert service.step(first.id, "cancel", member=None, actor="patron", patron=ANNA.key).state == "cancelled"
    second = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    service.step(second.id, "accept", member="alpha", actor="a")
    service.step(second.id, "ship", member="alpha", actor="a")
    with pytest.raises(Conflict, match="shipped"):
        service.step(second.id, "cancel", member=None, actor="patron", patron=ANNA.key)
    with pytest.raises(Refused, match="not_yours"):
        service.step(second.id, "cancel", member=None, actor="patron", patron=("home", "other"))


def test_staff_of_another_member_cannot_answer_or_receive(store, outbox):
    service = network(store, outbox)
    request = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    with pytest.raises(Refused, match="other_members_request"):
        service.step(request.id, "accept", member="beta", actor="b")
    service.step(request.id, "accept", member=None, actor="admin")      # an administrator may
    service.step(request.id, "ship", member="alpha", actor="a")
    with pytest.raises(Refused, match="other_members_request"):
        service.step(request.id, "receive", member="alpha", actor="a")   # only the pick-up side receives
    with pytest.raises(Conflict):
        service.step(request.id, "accept", member="alpha", actor="a")


@pytest.mark.parametrize("rules, holdings, reason", [
    ({}, [copy("home", 1, library="CEN"), copy("alpha", 1)], "on_shelf_at_home"),
    ({"alpha": {"lends_to": "none"}}, [copy("alpha", 1)], "no_lender"),
    ({"alpha": {"lends_to": ["beta"]}}, [copy("alpha", 1)], "no_lender"),
    ({"alpha": {"not_lent": {"formats": ["book"]}}}, [copy("alpha", 1)], "no_lender"),
    ({"alpha": {"not_lent": {"item_types": ["reference"]}}}, [copy("alpha", 1, location="Reference shelf")],
     "no_lender"),
    ({}, [copy("home", 0)], "no_lender"),
])
def test_lending_rules_refuse_with_their_reason(store, outbox, rules, holdings, reason):
    with pytest.raises(Refused) as refused:
        network(store, outbox, **rules).place(ANNA, wanted(*holdings), "CEN")
    assert refused.value.reason == reason
    assert store.ill_requests_of(ANNA.key) == [] and outbox.asked == []


def test_refusals_for_the_pickup_library_the_open_limit_and_a_member_outside_the_scheme(store, outbox):
    service = network(store, outbox)
    with pytest.raises(Refused, match="unknown_pickup"):
        service.place(ANNA, wanted(copy("alpha", 1)), "ALPHA")
    service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    with pytest.raises(Refused) as refused:
        service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    assert (refused.value.reason, refused.value.details) == ("too_many_open", {"limit": 2})
    with pytest.raises(Refused, match="member_takes_no_part"):
        Interlending(store, parse_interlending({"members": {"alpha": {}}}, MEMBERS)).place(
            ANNA, wanted(copy("alpha", 1)), "CEN")


def test_ended_requests_are_purged_after_the_configured_days_and_open_ones_stay(store, outbox):
    clock = Clock()
    service = Interlending(store, settings(), outbox)
    ended = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    service.step(ended.id, "cancel", member=None, actor="patron", patron=ANNA.key)
    still_open = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    later = Interlending(store, settings(), outbox, clock=clock)
    clock.at = datetime.now(timezone.utc) + timedelta(days=29)
    assert later.purge() == 0
    clock.at = datetime.now(timezone.utc) + timedelta(days=31)
    assert later.purge() == 1
    assert [r.id for r in store.ill_requests_of(ANNA.key)] == [still_open.id]
    assert store.ill_events(ended.id) == []


def test_a_patron_deletes_their_ended_requests_and_keeps_the_open_ones(store, outbox):
    service = network(store, outbox)
    ended = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    service.step(ended.id, "cancel", member=None, actor="patron", patron=ANNA.key)
    kept = service.place(ANNA, wanted(copy("alpha", 1)), "CEN")
    other = service.place(PatronRef("home", "2100002"), wanted(copy("alpha", 1)), "CEN")
    service.step(other.id, "cancel", member=None, actor="patron", patron=("home", "2100002"))
    assert store.delete_patron_ill_data(ANNA.key) == 1
    assert [r.id for r in store.ill_requests_of(ANNA.key)] == [kept.id]
    assert store.ill_request(other.id) is not None
