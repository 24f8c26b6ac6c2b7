"""The staff area: each member's MARC, the merge evidence, and split or merge corrections."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, ngettext

from dedup import CorrectionError, NotPermitted, confirm, preview_merge, preview_split
from normalise import MarcReadError, parse_raw
from store import WRITER, Account, LeaseHeld
from web.app import services
from web.audit import audit, client_address, failed_login
from web.auth import check_csrf, current_staff, password_matches, staff_required, start_staff_session
from web.throttle import LoginThrottle
from web.urls import local_target, referrer_target

staff = Blueprint("staff", __name__)


@staff.route("/login", methods=["GET", "POST"])
def login():
    """Log a staff member in, unless the account or the address is locked out after too many failures."""
    error, status = None, 200
    if request.method == "POST":
        check_csrf()
        username = request.form.get("username", "").strip()[:100]
        refusal = _refusal(username, request.form.get("password", ""))
        if refusal is None:
            audit("login", username)
            return redirect(local_target(request.args.get("next"), url_for("pages.search")))
        error, status = refusal
    return render_template("staff_login.html", error=error), status


def _refusal(username: str, password: str) -> tuple[str, int] | None:
    """None after logging `username` in, else (what to tell them, the status)."""
    config, store, _searcher = services()
    throttle = LoginThrottle(store, config.web.login_throttle)
    keys = [("staff", username), ("address", client_address())]
    wait = throttle.locked_for(keys)
    if wait:
        failed_login(username, "locked")
        return ngettext("Too many failed logins. Please try again in %(num)d minute.",
                        "Too many failed logins. Please try again in %(num)d minutes.", -(-wait // 60)), 429
    if password_matches(store.staff_password_hash(username), password):
        version = store.staff_session_version(username)
        if version is not None:
            throttle.succeeded(("staff", username))
            start_staff_session(username, version)
            return None
    locked = throttle.failed(keys)
    failed_login(username, "wrong username or password" + ("; now locked" if locked else ""))
    return _("Wrong username or password."), 401


@staff.route("/logout", methods=["POST"])
def logout():
    """End the staff session."""
    check_csrf()
    audit("logout", current_staff())
    session.clear()
    return redirect(url_for("pages.search"))


@staff.route("/record/<path:cluster_id>")
@staff_required
def record(cluster_id: str):
    """Every member's MARC with the evidence for its place in the cluster."""
    _config, store, _searcher = services()
    resolved = store.resolve_cluster(cluster_id)
    if resolved is None:
        abort(404)
    if resolved != cluster_id:
        return redirect(url_for("staff.record", cluster_id=resolved))
    members = [{"id": stored.public_id, "marc": _marc_text(stored), "evidence": evidence, "flags": stored.flags}
               for stored, evidence in store.cluster_members(cluster_id)]
    return render_template("staff_record.html", cluster_id=cluster_id, members=members, staff_name=current_staff())


@staff.route("/record/<path:cluster_id>/split", methods=["POST"])
@staff_required
def split(cluster_id: str):
    """Take one member out of the cluster, for good."""
    check_csrf()
    several = services()[0].several_per_cluster
    record_id = request.form.get("record", "")
    return _correct(lambda store, account: confirm(store, preview_split(store, record_id, account), account,
                                                   request.form.get("note", ""), several_per_cluster=several), record_id,
                    ("split", {"cluster": cluster_id, "record": record_id}))


@staff.route("/record/<path:cluster_id>/merge", methods=["POST"])
@staff_required
def merge(cluster_id: str):
    """Merge another cluster into this one, for good."""
    check_csrf()
    other = request.form.get("other", "").strip()
    several = services()[0].several_per_cluster
    return _correct(lambda store, account: confirm(
        store, preview_merge(store, cluster_id, other, account, several_per_cluster=several), account,
        request.form.get("note", ""), bool(request.form.get("override")), several_per_cluster=several), cluster_id,
                    ("merge", {"cluster": cluster_id, "other": other}))


def _correct(action, follow: str, what: tuple[str, dict]):
    """Apply a split or merge under the writer lease, waiting for its holder up to `leases.web_wait`.

    The web never writes the index (several workers would fight over its one
    writer): the next index run picks the correction up.
    """
    config, store, _searcher = services()
    try:
        with store.lease(WRITER, f"web: {request.endpoint} by {current_staff()}", expiry=config.leases.expiry,
                         wait=config.leases.web_wait):
            action(store, store.staff_account(current_staff()) or Account(current_staff(), "cataloguer"))
            audit(what[0], current_staff(), **what[1])
    except LeaseHeld as exc:
        flash(_("Not saved: the catalogue is being updated (%(holder)s). Please try again in a few minutes.",
                holder=exc.lease.holder()), "error")
        return redirect(referrer_target(url_for("pages.search")))
    except NotPermitted:
        abort(403)
    except CorrectionError as exc:
        flash(str(exc), "error")
        return redirect(referrer_target(url_for("pages.search")))
    flash(_("Saved. The change appears in search after the next index run."), "info")
    cluster_id = store.resolve_cluster(follow)
    return redirect(url_for("staff.record", cluster_id=cluster_id) if cluster_id else url_for("pages.search"))


def _marc_text(stored) -> str:
    try:
        marc, _flags = parse_raw(stored.raw, stored.raw_format)
    except MarcReadError as exc:
        return f"(the stored MARC cannot be read: {exc})"
    return str(marc)
