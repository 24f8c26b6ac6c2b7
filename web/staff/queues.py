"""Review queues: possible duplicates (the near misses dedup stored), suspicious clusters, quarantined records."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dedup import may_correct
from store import WRITER, LeaseHeld
from web.app import services
from web.audit import audit
from web.auth import check_csrf, staff_required
from web.staff.blueprint import current_account, page_number, staff
from web.staff.corrections import RULE_LABELS, titles

PAGE = 25


@staff.route("/queues/duplicates")
@staff_required
def duplicates():
    """Pairs dedup compared and did not merge although they came close, highest score first, with evidence."""
    _config, store, _searcher = services()
    page = page_number(request.args.get("page"))
    pairs = store.near_misses("open", limit=PAGE + 1, offset=(page - 1) * PAGE)
    shown = pairs[:PAGE]
    return render_template("staff/duplicates.html", pairs=shown, page=page, more=len(pairs) > PAGE,
                           titles=titles(store, {p.record_a for p in shown} | {p.record_b for p in shown}))


@staff.route("/queues/duplicates/<int:near_miss_id>/dismiss", methods=["POST"])
@staff_required
def dismiss(near_miss_id: int):
    """Take a pair off the queue: they are not one edition (kept, so the next run does not offer it again)."""
    check_csrf()
    _config, store, _searcher = services()
    pair = next((p for p in store.near_misses("open", limit=10_000) if p.id == near_miss_id), None)
    if pair is None:
        abort(404)
    if not may_correct(current_account(), [pair.record_a, pair.record_b]):
        abort(403)
    store.review_near_miss(near_miss_id, "dismissed", current_account().username)
    audit("dismiss", current_account().username, near_miss=near_miss_id)
    flash(_("Dismissed: %(a)s and %(b)s stay apart.", a=pair.record_a, b=pair.record_b), "info")
    return redirect(url_for("staff.duplicates"))


@staff.route("/queues/suspicious")
@staff_required
def suspicious():
    """Clusters whose members disagree (identifiers, years, formats), with the reasons."""
    _config, store, _searcher = services()
    page = page_number(request.args.get("page"))
    found = store.suspicious_clusters(limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render_template("staff/suspicious.html", clusters=found[:PAGE], page=page, more=len(found) > PAGE,
                           rule_labels=RULE_LABELS)


@staff.route("/queues/quarantine")
@staff_required
def quarantine():
    """Records harvests kept aside, with their reason, and a retry button when the harvester is at hand."""
    config, store, _searcher = services()
    page = page_number(request.args.get("page"))
    entries = store.quarantined()
    return render_template("staff/quarantine.html", entries=entries[(page - 1) * PAGE:page * PAGE], page=page,
                           more=len(entries) > page * PAGE, total=len(entries), can_retry=_retrier() is not None,
                           names={s.code: s.name for s in config.sources})


def _retrier():
    from flask import current_app

    return current_app.extensions["unioncat"].get("retry_quarantined")


@staff.route("/queues/quarantine/<int:entry_id>/retry", methods=["POST"])
@staff_required
def retry(entry_id: int):
    """Read one quarantined record again (fetch it again for OAI-PMH), under the writer lease."""
    check_csrf()
    config, store, _searcher = services()
    entry = next((q for q in store.quarantined() if q.id == entry_id), None)
    if entry is None or _retrier() is None:
        abort(404)
    account = current_account()
    if account.member and not account.administrator and entry.source != account.member:
        abort(403)
    try:
        with store.lease(WRITER, f"web: quarantine retry by {account.username}", expiry=config.leases.expiry,
                         wait=config.leases.web_wait):
            reason = _retrier()(store, entry_id)
    except LeaseHeld as exc:
        flash(_("Not retried: the catalogue is being updated (%(holder)s). Please try again in a few minutes.",
                holder=exc.lease.holder()), "error")
        return redirect(url_for("staff.quarantine"))
    audit("quarantine retry", account.username, entry=entry_id, resolved=reason is None)
    if reason is None:
        flash(_("The record now reads and left the quarantine; it appears after the next dedup and index run."), "info")
    else:
        flash(_("The record still cannot be read: %(reason)s", reason=reason), "error")
    return redirect(url_for("staff.quarantine"))
