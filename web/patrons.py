"""Patrons: signing in with a card and PIN checked over SIP2, their requests between members and their data.

The PIN goes to the member's SIP2 server and nowhere else. Failed sign-ins
are counted per card and per address and lock out as staff sign-in does; an
unknown card and a wrong PIN get the same answer, and every answer takes at
least `patrons.answer_time`, so neither can be told from the other by time.
"""

from __future__ import annotations

import functools
import logging
import time

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _, ngettext

from ill import Conflict, PatronRef, Refused
from patrons import PatronCheck, Sip2Client, SipError
from web.app import services
from web.audit import client_address, security_log
from web.auth import check_csrf
from web.interlending import EVENT_LABELS, STATE_LABELS, interlending, refusal_message, wanted_from
from web.throttle import LoginThrottle
from web.urls import local_target, site_root

patron = Blueprint("patron", __name__)
log = logging.getLogger("unioncat.requests")
PATRON_KEY = "patron"
MAX_CARD = 64


def current_patron() -> PatronRef | None:
    """The signed-in patron, while their session has not been idle longer than `patrons.idle_timeout`."""
    if "current_patron" in g:
        return g.current_patron
    config, _store, _engine = services()
    data = session.get(PATRON_KEY)
    g.current_patron = None
    if isinstance(data, dict) and data.get("member") in config.patrons.sip2:
        if time.time() - float(data.get("seen", 0)) <= config.patrons.idle_timeout:
            data["seen"] = time.time()
            session[PATRON_KEY] = data
            g.current_patron = PatronRef(data["member"], data["card"], data.get("email", ""), str(get_locale()))
        else:
            session.pop(PATRON_KEY, None)
    return g.current_patron


def patron_required(view):
    """Send a patron who is not signed in (or whose session ended) to the sign-in page."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_patron() is None:
            return redirect(url_for("patron.login", next=request.path))
        return view(*args, **kwargs)
    return wrapper


@patron.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a library card and PIN of one's home member."""
    config, _store, _engine = services()
    if not config.patrons.enabled:
        abort(404)
    error, status = None, 200
    if request.method == "POST":
        check_csrf()
        error, status = _sign_in(request.form.get("member", ""), request.form.get("card", "").strip()[:MAX_CARD],
                                 request.form.get("pin", ""))
        if error is None:
            flash(_("You are signed in."), "info")
            return redirect(local_target(request.args.get("next"), url_for("patron.requests")))
    members = [(s.code, s.name) for s in config.sources if s.code in config.patrons.sip2]
    return render_template("patron/login.html", error=error, members=members,
                           chosen=request.form.get("member", "")), status


def _sign_in(member: str, card: str, pin: str) -> tuple[str | None, int]:
    """(None, 200) after signing the patron in, else (what to tell them, the status); never quicker than
    `answer_time`, whatever the outcome."""
    config, store, _engine = services()
    started = time.monotonic()
    try:
        return _check_card(config, store, member, card, pin)
    finally:
        time.sleep(max(0.0, config.patrons.answer_time - (time.monotonic() - started)))


def _check_card(config, store, member: str, card: str, pin: str) -> tuple[str | None, int]:
    if member not in config.patrons.sip2:
        return _("Please choose your library."), 400
    throttle = LoginThrottle(store, config.web.login_throttle)
    keys = [("patron", f"{member}:{card}"), ("address", client_address())]
    wait = throttle.locked_for(keys)
    if wait:
        _security(member, card, "locked")
        return ngettext("Too many failed logins. Please try again in %(num)d minute.",
                        "Too many failed logins. Please try again in %(num)d minutes.", -(-wait // 60)), 429
    try:
        check = Sip2Client(config.patrons.sip2[member]).check(card, pin) if card and pin else None
    except SipError as exc:
        log.warning("patron sign-in at %s: %s", member, exc)
        return _("Your library's system did not answer. Please try again later."), 503
    if check is None or not check.valid:
        locked = throttle.failed(keys)
        _security(member, card, "wrong card or PIN" + ("; now locked" if locked else ""))
        return _("Wrong card number or PIN."), 401
    throttle.succeeded(("patron", f"{member}:{card}"))
    _start_session(check)
    return None, 200


def _security(member: str, card: str, reason: str) -> None:
    security_log.warning("failed patron login member=%s card=%r address=%s reason=%s", member, card[-4:],
                         client_address(), reason)


def _start_session(check: PatronCheck) -> None:
    # a fresh session (with a new CSRF token), keeping a staff sign-in of the same browser apart from it
    for key in list(session):
        if key not in ("staff", "staff_version"):
            session.pop(key)
    session[PATRON_KEY] = {"member": check.member, "card": check.card, "name": check.name, "email": check.email,
                           "seen": time.time()}


@patron.route("/logout", methods=["POST"])
def logout():
    """End the patron's session."""
    check_csrf()
    session.pop(PATRON_KEY, None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("pages.search"))


@patron.route("/requests")
@patron_required
def requests():
    """The patron's requests with their states and history, and what unioncat keeps about them."""
    config, store, _engine = services()
    me = current_patron()
    interlending(config, store, site_root()).expire_overdue()
    mine = store.ill_requests_of(me.key)
    return render_template("patron/requests.html", requests=mine, me=me, events={r.id: store.ill_events(r.id)
                                                                                 for r in mine},
                           names=_names(config), pickups=_pickups(config, me.member), state_label=_state_label,
                           event_label=lambda state: str(EVENT_LABELS.get(state, state)),
                           name=session[PATRON_KEY].get("name", ""), purge_days=config.interlending.purge_days)


def _names(config) -> dict[str, str]:
    return {s.code: s.name for s in config.sources}


def _pickups(config, member: str) -> dict[str, str]:
    rules = config.interlending.rules(member)
    return dict(rules.pickup) if rules else {}


def _state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@patron.route("/requests/<int:request_id>/cancel", methods=["POST"])
@patron_required
def cancel(request_id: int):
    """Cancel one's own request while it has not been sent."""
    check_csrf()
    config, store, _engine = services()
    try:
        interlending(config, store, site_root()).step(request_id, "cancel", member=None, actor="patron",
                                                      patron=current_patron().key)
        flash(_("Your request was cancelled."), "info")
    except Refused:
        abort(404)
    except Conflict:
        flash(_("This request can no longer be cancelled."), "error")
    return redirect(url_for("patron.requests"))


@patron.route("/data/delete", methods=["POST"])
@patron_required
def delete_data():
    """Delete the patron's ended requests now (open ones stay until they end)."""
    check_csrf()
    _config, store, _engine = services()
    removed = store.delete_patron_ill_data(current_patron().key)
    flash(_("Deleted %(count)s ended requests. Open requests are kept until they end.", count=removed), "info")
    return redirect(url_for("patron.requests"))


@patron.route("/request/<path:cluster_id>", methods=["GET", "POST"])
@patron_required
def new_request(cluster_id: str):
    """Ask for an edition to be sent to one of the patron's own member's libraries."""
    from web.views import find_cluster

    config, store, _engine = services()
    found, view = find_cluster(cluster_id)
    if found is None or view is None or not config.interlending.enabled:
        abort(404)
    me = current_patron()
    error, status = None, 200
    if request.method == "POST":
        check_csrf()
        error, status = _place(config, store, me, view, request.form.get("pickup", ""))
        if error is None:
            flash(_("Your request was sent."), "info")
            return redirect(url_for("patron.requests"))
    return render_template("patron/request.html", view=view, error=error, pickups=_pickups(config, me.member),
                           chosen=request.form.get("pickup", "")), status


def _place(config, store, me: PatronRef, view, pickup: str) -> tuple[str | None, int]:
    """Check the card again, then place the request: (None, 200), or (why not, status)."""
    try:
        check = Sip2Client(config.patrons.sip2[me.member]).check(me.card)
    except SipError as exc:
        log.warning("card re-check at %s: %s", me.member, exc)
        return _("Your library's system did not answer. Please try again later."), 503
    if not check.valid:
        session.pop(PATRON_KEY, None)
        return _("Your library card could not be confirmed. Please ask your library."), 403
    try:
        interlending(config, store, site_root()).place(me, wanted_from(view), pickup)
    except Refused as refused:
        return refusal_message(refused), 409
    return None, 200
