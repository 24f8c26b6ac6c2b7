"""Staff login: hashed passwords, a session, and CSRF tokens for every staff form."""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import abort, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

CSRF_FIELD = "csrf_token"


def hash_password(password: str) -> str:
    """A salted, slow hash (scrypt) of a password."""
    return generate_password_hash(password, method="scrypt")


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; constant work for unknown users too."""
    if stored_hash is None:
        check_password_hash(generate_password_hash("x", method="scrypt"), password)
        return False
    return check_password_hash(stored_hash, password)


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    """Abort with 400 unless the form carries the session's token."""
    sent = request.form.get(CSRF_FIELD, "")
    if not sent or not hmac.compare_digest(sent, session.get(CSRF_FIELD, "")):
        abort(400, description="The form expired or did not come from this site; please try again.")


def current_staff() -> str | None:
    """The logged-in staff member's name."""
    return session.get("staff")


def staff_required(view):
    """Send anyone not logged in to the login page."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_staff() is None:
            return redirect(url_for("staff.login", next=request.path))
        return view(*args, **kwargs)
    return wrapper
