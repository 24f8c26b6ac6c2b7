"""Corrections from the web: a merge, split or undo is previewed, then confirmed with the preview's token.

Every rule is the core's (`dedup.corrections`): the web shows its preview,
passes the token back, and turns its refusals into pages: a stale preview is
shown afresh (409), broken rules ask for an override with a note (400),
another member's records are refused (403).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from dedup import (
    CorrectionError, NotPermitted, RulesBroken, StaleCorrection, UndoNeedsConfirmation, confirm as confirm_correction,
    may_correct, preview_merge as merge_preview, preview_split as split_preview, undo as undo_decision,
)
from web.app import services
from web.audit import audit
from web.auth import check_csrf, staff_required
from web.staff.blueprint import current_account, staff
from web.staff.reasons import refusal

RULE_LABELS = {
    "same-member": _l("Two records of one member in one cluster"),
    "conflicting-identifiers": _l("The members carry different identifiers and share none"),
    "different-formats": _l("The members have different formats or carriers"),
    "years-apart": _l("The members' years are far apart"),
}
MAX_NOTE = 2000


@staff.route("/preview/merge")
@staff_required
def preview_merge():
    """What merging the cluster of `b` into the cluster of `a` would do."""
    a, b = request.args.get("a", "").strip()[:200], request.args.get("b", "").strip()[:200]
    several = services()[0].several_per_cluster
    return _previewed(lambda store: merge_preview(store, a, b, current_account(), several_per_cluster=several))


@staff.route("/preview/split")
@staff_required
def preview_split():
    """What taking `record` out of its cluster would do."""
    record_id = request.args.get("record", "").strip()[:200]
    return _previewed(lambda store: split_preview(store, record_id, current_account()))


def _previewed(make):
    _config, store, _searcher = services()
    try:
        preview = make(store)
    except CorrectionError as exc:
        return render_template("staff/preview.html", preview=None, error=refusal(exc)), 400
    return show_preview(preview)


def show_preview(preview, *, notice: str | None = None, status: int = 200):
    """The preview page: clusters before and after, moves, broken rules, and the confirm form."""
    _config, store, _searcher = services()
    ids = {m for side in preview.before + preview.after for m in side.members}
    return render_template("staff/preview.html", preview=preview, error=None, notice=notice, titles=titles(store, ids),
                           rule_labels=RULE_LABELS, near_miss=request.values.get("near_miss", ""),
                           permitted=may_correct(current_account(), preview.moved_records) or not preview.moves,
                           note=request.form.get("note", "")), status


def titles(store, public_ids) -> dict[str, str]:
    """The title of each record named, for people who do not read ids."""
    out = {}
    for public_id in sorted(public_ids):
        stored = store.record_by_public_id(public_id)
        out[public_id] = stored.record.title if stored is not None and stored.record is not None else ""
    return out


@staff.route("/confirm", methods=["POST"])
@staff_required
def confirm():
    """Apply exactly the previewed correction, or say why not (and show the fresh preview when it changed)."""
    check_csrf()
    config, store, _searcher = services()
    note, override = request.form.get("note", "").strip()[:MAX_NOTE], request.form.get("override") == "1"
    try:
        outcome = confirm_correction(store, request.form.get("token", ""), current_account(), note, override,
                                     several_per_cluster=config.several_per_cluster)
    except NotPermitted:
        abort(403)
    except StaleCorrection as exc:
        return show_preview(exc.preview, status=409, notice=_(
            "Refused: the clusters changed since the preview. This is what the correction would do now."))
    except RulesBroken as exc:
        return show_preview(exc.preview, status=400, notice=_(
            "Not saved: the result breaks the rules listed. To go ahead, tick the override and say why in the note."))
    except (CorrectionError, ValueError) as exc:
        return render_template("staff/preview.html", preview=None, error=refusal(exc)), 400
    audit(outcome.preview.kind, current_account().username, **_asked(outcome.preview), decision=outcome.decision_id,
          status=outcome.status)
    _settle_near_miss(store)
    _flash_outcome(outcome)
    return redirect(_cluster_after(store, outcome.preview))


def _asked(preview) -> dict:
    """What the librarian asked for, as the audit line names it."""
    if preview.kind == "split":
        return {"record": preview.asked[0]}
    if preview.kind == "merge":
        return {"cluster": preview.asked[0], "other": preview.asked[1]}
    return {"undoes": preview.undoes}


def _settle_near_miss(store) -> None:
    raw = request.form.get("near_miss", "")
    if raw.isdigit():
        store.review_near_miss(int(raw), "merged", current_account().username)


def _flash_outcome(outcome) -> None:
    if outcome.status == "queued":
        flash(_("Queued behind tonight's run: the correction is saved and will be applied as soon as the run "
                "ends."), "info")
    else:
        flash(_("Saved. The change appears in search after the next index run."), "info")


def _cluster_after(store, preview) -> str:
    """The staff view to land on: the first cluster after the correction, wherever it lives now."""
    for side in preview.after + preview.before:
        resolved = store.resolve_cluster(side.id) or (side.members and store.resolve_cluster(side.members[0]))
        if resolved:
            return url_for("staff.record", cluster_id=resolved)
    return url_for("staff.home")


@staff.route("/undo/<int:decision_id>", methods=["POST"])
@staff_required
def undo(decision_id: int):
    """Undo a decision: at once when nothing else changed its clusters since, else through its preview."""
    check_csrf()
    config, store, _searcher = services()
    note = request.form.get("note", "").strip()[:MAX_NOTE]
    try:
        outcome = undo_decision(store, decision_id, current_account(), note,
                                several_per_cluster=config.several_per_cluster)
    except NotPermitted:
        abort(403)
    except UndoNeedsConfirmation as exc:
        return show_preview(exc.preview, notice=_(
            "Other changes touched these clusters since. This is what the undo would do now; confirm it to go ahead."))
    except CorrectionError as exc:
        return render_template("staff/preview.html", preview=None, error=refusal(exc)), 400
    audit("undo", current_account().username, decision=decision_id, status=outcome.status)
    _flash_outcome(outcome)
    return redirect(_cluster_after(store, outcome.preview))
