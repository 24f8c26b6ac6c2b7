"""Identifiers that do not identify (one ISBN printed on every volume of a series): mark them, or take a mark back."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from dedup import CorrectionError, NotPermitted, mark_not_identifying, unmark_not_identifying
from dedup.keys import STRONG_KINDS
from web.app import services
from web.audit import audit
from web.auth import check_csrf, staff_required
from web.staff.blueprint import current_account, staff
from web.staff.reasons import refusal
from web.urls import local_target

MAX_NOTE = 2000


def member_identifiers(members) -> list[tuple[str, str, bool]]:
    """(scheme, value, marked) of the strong identifiers the members carry, sorted and unique."""
    _config, store, _searcher = services()
    marks = store.identifier_marks()
    found = {(kind, value) for stored in members if stored.record for kind in STRONG_KINDS
             for value in stored.record.ids(kind)}
    return [(kind, value, (kind, value) in marks) for kind, value in sorted(found)]


@staff.route("/marks", methods=["POST"])
@staff_required
def mark():
    """Mark an identifier as not identifying (`action=mark`) or take the mark back (`action=unmark`)."""
    check_csrf()
    _config, store, _searcher = services()
    scheme, value = request.form.get("scheme", "")[:16], request.form.get("value", "")[:200]
    note, marking = request.form.get("note", "").strip()[:MAX_NOTE], request.form.get("action") != "unmark"
    change = mark_not_identifying if marking else unmark_not_identifying
    try:
        decision = change(store, scheme, value, current_account(), note)
    except NotPermitted:
        abort(403)
    except CorrectionError as exc:
        flash(_("Not saved: %(reason)s", reason=refusal(exc)), "error")
    else:
        audit("mark" if marking else "unmark", current_account().username, scheme=scheme, value=value, decision=decision)
        flash(_("Saved: %(scheme)s %(value)s no longer counts as evidence from the next dedup run.", scheme=scheme,
                value=value) if marking else _("Saved: %(scheme)s %(value)s counts as evidence again from the next "
                                                "dedup run.", scheme=scheme, value=value), "info")
    return redirect(local_target(request.form.get("back"), url_for("staff.home")))
