"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, ngettext

from web.app import services
from web.audit import audit, client_address, failed_login
from web.auth import check_csrf, current_staff, hash_password, password_matches, staff_required, start_staff_session
from web.staff.blueprint import staff
from web.throttle import LoginThrottle
from web.urls import local_target

MIN_PASSWORD = 8


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
            flash(_("Signed in as %(name)s.", name=username), "info")
            return redirect(local_target(request.args.get("next"), url_for("staff.home")))
        error, status = refusal
    return render_template("staff/login.html", error=error), status


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
    flash(_("Signed out."), "info")
    return redirect(url_for("pages.search"))


@staff.route("/password", methods=["GET", "POST"])
@staff_required
def password():
    """Change one's own password: every other session of the account ends, this one goes on."""
    error, status = None, 200
    if request.method == "POST":
        check_csrf()
        error = _password_problem(request.form)
        if error is None:
            _config, store, _searcher = services()
            username = current_staff()
            store.set_staff_password(username, hash_password(request.form["new_password"]))
            start_staff_session(username, store.staff_session_version(username))
            audit("password", username)
            flash(_("Your password was changed. Other sessions of this account have ended."), "info")
            return redirect(url_for("staff.home"))
        status = 400
    return render_template("staff/password.html", error=error), status


def _password_problem(form) -> str | None:
    """What is wrong with a password change form, or None."""
    _config, store, _searcher = services()
    if not password_matches(store.staff_password_hash(current_staff()), form.get("current_password", "")):
        return _("The current password is wrong.")
    new = form.get("new_password", "")
    if len(new) < MIN_PASSWORD:
        return _("The new password must have at least %(num)d characters.", num=MIN_PASSWORD)
    if new != form.get("repeat_password", ""):
        return _("The two new passwords differ.")
    return None
