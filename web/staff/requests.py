"""The request queue of a member's staff: requests its patrons' neighbours asked of it, to accept or decline,
send and take back, and requests on their way to its own libraries, to mark received at pick-up.

Staff of a member see and work only their member's requests; an account with
no member (an administrator of the network) sees every member's.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from ill import STEPS, Conflict, IllError, Refused
from web.app import services
from web.audit import audit
from web.auth import check_csrf, staff_required
from web.interlending import STATE_LABELS, interlending
from web.staff.blueprint import current_account, staff
from web.urls import site_root

STEP_LABELS = {"accept": _l("Accept"), "decline": _l("Decline"), "ship": _l("Mark sent"),
               "receive": _l("Mark received at pick-up"), "return": _l("Mark returned")}
# which buttons a request shows to its lender's staff and to the pick-up side's staff, per state
LENDER_STEPS = {"requested": ("accept", "decline"), "accepted": ("ship",), "received": ("return",)}
BORROWER_STEPS = {"shipped": ("receive",)}


@staff.route("/requests")
@staff_required
def requests_queue():
    """Open requests this account's member must work, oldest first."""
    config, store, _searcher = services()
    account = current_account()
    interlending(config, store, site_root()).expire_overdue()
    queue = store.ill_queue(account.member)
    rows = [(r, _steps(r, account.member)) for r in queue]
    return render_template("staff/requests.html", rows=rows, member=account.member,
                           names={s.code: s.name for s in config.sources}, step_label=lambda s: str(STEP_LABELS[s]),
                           state_label=lambda s: str(STATE_LABELS.get(s, s)),
                           pickups={code: rules.pickup for code, rules in config.interlending.members.items()})


def _steps(req, member: str | None) -> tuple[str, ...]:
    steps: tuple[str, ...] = ()
    if member is None or member == req.lender:
        steps += LENDER_STEPS.get(req.state, ())
    if member is None or member == req.patron_member:
        steps += BORROWER_STEPS.get(req.state, ())
    return steps


@staff.route("/requests/<int:request_id>/<step>", methods=["POST"])
@staff_required
def request_step(request_id: int, step: str):
    """Take one step on a request (accept, decline, send, received, returned)."""
    check_csrf()
    if step not in STEPS or step == "cancel":
        abort(404)
    config, store, _searcher = services()
    account = current_account()
    note = request.form.get("note", "").strip()[:500] or None
    try:
        interlending(config, store, site_root()).step(request_id, step, member=account.member,
                                                      actor=account.username, note=note)
    except Refused:
        abort(403)
    except Conflict:
        flash(_("This request was already moved on; the queue shows where it stands now."), "error")
        return redirect(url_for("staff.requests_queue"))
    except IllError:
        abort(404)
    audit("request " + step, account.username, request=request_id)
    flash(_("Request %(id)s: %(step)s.", id=request_id, step=str(STEP_LABELS[step])), "info")
    return redirect(url_for("staff.requests_queue"))
