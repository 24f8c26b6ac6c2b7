"""A cluster's staff view: every member's MARC with its evidence, split and merge (both previewed first),
merge candidates found by title, identifier or record id, and the cluster's history."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dedup import history
from normalise import MarcReadError, parse_raw
from web.app import services
from web.auth import check_csrf, staff_required
from web.staff.blueprint import current_account, staff
from web.staff.finding import SEARCH_KINDS, find_clusters
from web.staff.marks import member_identifiers

HISTORY_SHOWN = 50


@staff.route("/record/<path:cluster_id>")
@staff_required
def record(cluster_id: str):
    """Every member's MARC with the evidence for its place in the cluster, and what can be done about it."""
    _config, store, _searcher = services()
    resolved = store.resolve_cluster(cluster_id)
    if resolved is None:
        abort(404)
    if resolved != cluster_id:
        return redirect(url_for("staff.record", cluster_id=resolved, **request.args))
    stored_members = store.cluster_members(cluster_id)
    members = [{"id": stored.public_id, "source": stored.source, "marc": marc_text(stored), "evidence": evidence,
                "flags": stored.flags} for stored, evidence in stored_members]
    q, by = request.args.get("q", "")[:500], request.args.get("by", "any")
    by = by if by in SEARCH_KINDS else "any"
    candidates, error = find_clusters(q, by, exclude=cluster_id)
    return render_template("staff/record.html", cluster_id=cluster_id, members=members, q=q, by=by,
                           kinds=SEARCH_KINDS, candidates=candidates, search_error=error, searched=bool(q.strip()),
                           history=history(store, cluster=cluster_id, limit=HISTORY_SHOWN),
                           account=current_account(), identifiers=member_identifiers(s for s, _e in stored_members))


@staff.route("/record/<path:cluster_id>/split", methods=["POST"])
@staff_required
def split(cluster_id: str):
    """A split is never made unseen: show its preview."""
    check_csrf()
    return redirect(url_for("staff.preview_split", record=request.form.get("record", "")), code=303)


@staff.route("/record/<path:cluster_id>/merge", methods=["POST"])
@staff_required
def merge(cluster_id: str):
    """A merge is never made unseen: show its preview."""
    check_csrf()
    return redirect(url_for("staff.preview_merge", a=cluster_id, b=request.form.get("other", "").strip()), code=303)


def marc_text(stored) -> str:
    """A stored record's MARC as text, or why it cannot be read."""
    try:
        marc, _flags = parse_raw(stored.raw, stored.raw_format)
    except MarcReadError as exc:
        return _("(the stored MARC cannot be read: %(reason)s)", reason=exc)
    return str(marc)
