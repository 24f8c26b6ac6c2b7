"""The staff blueprint and what every staff page shares: the signed-in account, roles, flashes and 403s."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, g
from flask_babel import lazy_gettext as _l

from store import Account
from web.app import services
from web.auth import current_staff, staff_required

staff = Blueprint("staff", __name__)


def current_account() -> Account:
    """The signed-in account with its role and member scope (call only behind `staff_required`)."""
    if "staff_account" not in g:
        _config, store, _searcher = services()
        g.staff_account = store.staff_account(current_staff()) or abort(403)
    return g.staff_account


def admin_required(view):
    """Staff pages for administrators only: others are sent to the login page, or get 403 when signed in."""
    @functools.wraps(view)
    @staff_required
    def wrapper(*args, **kwargs):
        if not current_account().administrator:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def page_number(raw: str | None) -> int:
    """A page number from the query string: 1 for anything that is not a small whole number."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 4 and int(raw) > 0 else 1


KIND_LABELS = {"merge": _l("Merge"), "split": _l("Split"), "undo": _l("Undo"), "mark": _l("Identifier marked"),
               "unmark": _l("Identifier mark taken back")}
STATUS_LABELS = {"applied": _l("Applied"), "queued": _l("Queued behind tonight's run"), "refused": _l("Refused")}


@staff.context_processor
def labels():
    """Readable names of decision kinds and states for the staff templates."""
    return {"kind_label": lambda kind: str(KIND_LABELS.get(kind, kind)),
            "status_label": lambda status: str(STATUS_LABELS.get(status, status))}
