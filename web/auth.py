"""Staff login: hashed passwords, versioned sessions, and CSRF tokens for every staff form."""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import abort, g, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

CSRF_FIELD = "csrf_token"
STAFF_KEY, VERSION_KEY = "staff", "staff_version"
_DUMMY_HASH: list[str] = []


def hash_password(password: str) -> str:
    """A salted, slow hash (scrypt) of a password."""
    return generate_password_hash(password, method="scrypt")


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; an unknown user costs one hash check too, so names cannot be timed."""
    if not stored_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(stored_hash, password)


def _dummy_hash() -> str:
    # made once per process with the same method and cost as real hashes
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


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


def start_staff_session(username: str, version: int) -> None:
    """A fresh session for `username`, valid while the account keeps session version `version`."""
    session.clear()
    session[STAFF_KEY] = username
    session[VERSION_KEY] = version


def current_staff() -> str | None:
    """The logged-in staff member's name, while the account exists with the session's version."""
    if "current_staff" not in g:
        g.current_staff = _checked_staff()
    return g.current_staff


def _checked_staff() -> str | None:
    from web.app import services

    username, version = session.get(STAFF_KEY), session.get(VERSION_KEY)
    if not isinstance(username, str) or not isinstance(version, int):
        return None
    _config, store, _searcher = services()
    if store.staff_session_version(username) != version:
        session.pop(STAFF_KEY, None)
        session.pop(VERSION_KEY, None)
        return None
    return username


def staff_required(view):
    """Send anyone not logged in to the login page."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_staff() is None:
            return redirect(url_for("staff.login", next=request.path))
        return view(*args, **kwargs)
    return wrapper
