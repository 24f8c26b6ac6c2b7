"""Accounts in the web, for administrators: create, give a role and a member scope, remove."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from store import ROLES
from web.app import services
from web.audit import audit
from web.auth import check_csrf, hash_password
from web.staff.blueprint import admin_required, current_account, staff
from web.staff.session import MIN_PASSWORD

ROLE_LABELS = {"administrator": _l("Administrator"), "cataloguer": _l("Cataloguer")}
MAX_USERNAME = 100


@staff.route("/accounts")
@admin_required
def accounts():
    """Every account with its role and member, and the forms to change them."""
    return _page(None, 200)


def _page(error: str | None, status: int):
    config, store, _searcher = services()
    return render_template("staff/accounts.html", accounts=store.staff_accounts(), roles=ROLE_LABELS,
                           members=[(s.code, s.name) for s in config.sources], error=error,
                           me=current_account().username), status


@staff.route("/accounts", methods=["POST"])
@admin_required
def create_account():
    """A new account with a password, a role and perhaps a member."""
    check_csrf()
    _config, store, _searcher = services()
    username, password = request.form.get("username", "").strip(), request.form.get("password", "")
    role, member = _role_and_member()
    error = _username_problem(username) or _role_problem(role, member)
    if error is None and store.staff_account(username) is not None:
        error = _("There is already an account %(name)s.", name=username)
    if error is None and len(password) < MIN_PASSWORD:
        error = _("The new password must have at least %(num)d characters.", num=MIN_PASSWORD)
    if error:
        return _page(error, 400)
    store.set_staff_password(username, hash_password(password))
    store.set_staff_role(username, role, member)
    audit("account created", current_account().username, account=username, role=role, member=member)
    flash(_("Account %(name)s created.", name=username), "info")
    return redirect(url_for("staff.accounts"))


@staff.route("/accounts/<username>/role", methods=["POST"])
@admin_required
def change_role(username: str):
    """Another role or member scope for an account."""
    check_csrf()
    _config, store, _searcher = services()
    role, member = _role_and_member()
    error = _role_problem(role, member)
    if error is None and username == current_account().username and role != "administrator":
        error = _("You cannot take the administrator role from your own account.")
    if error:
        return _page(error, 400)
    if not store.set_staff_role(username, role, member):
        return _page(_("There is no account %(name)s.", name=username), 404)
    audit("account role", current_account().username, account=username, role=role, member=member)
    flash(_("Account %(name)s saved.", name=username), "info")
    return redirect(url_for("staff.accounts"))


@staff.route("/accounts/<username>/remove", methods=["POST"])
@admin_required
def remove_account(username: str):
    """Remove an account; its sessions end at once."""
    check_csrf()
    _config, store, _searcher = services()
    if username == current_account().username:
        return _page(_("You cannot remove your own account."), 400)
    if not store.remove_staff(username):
        return _page(_("There is no account %(name)s.", name=username), 404)
    audit("account removed", current_account().username, account=username)
    flash(_("Account %(name)s removed.", name=username), "info")
    return redirect(url_for("staff.accounts"))


def _role_and_member() -> tuple[str, str | None]:
    return request.form.get("role", ""), request.form.get("member", "").strip() or None


def _username_problem(username: str) -> str | None:
    if not username or len(username) > MAX_USERNAME or not username.isprintable() or " " in username:
        return _("A username is 1 to %(num)d characters without spaces.", num=MAX_USERNAME)
    return None


def _role_problem(role: str, member: str | None) -> str | None:
    config, _store, _searcher = services()
    if role not in ROLES:
        return _("Choose a role.")
    if member is not None and member not in {s.code for s in config.sources}:
        return _("There is no member %(code)s.", code=member)
    return None
