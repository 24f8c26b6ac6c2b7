"""The workspace's home page (who is signed in, what needs attention) and search inside the staff area."""

from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from flask_babel import ngettext

from dedup import apply_queued_if_free
from web.app import services
from web.auth import staff_required
from web.staff.blueprint import current_account, staff
from web.staff.finding import SEARCH_KINDS, find_clusters

COUNT_CAP = 500
# the operator's health page, when another part of the site provides one (the workspace links it, never rebuilds it)
HEALTH_ENDPOINTS = ("staff.health",)


@staff.route("/")
@staff_required
def home():
    """Sign-in state, sign-out, and the counts of what needs attention, each linking to its queue."""
    config, store, _searcher = services()
    # corrections queued behind a run that ended without applying them (it crashed, or took no lease) go in now
    applied = apply_queued_if_free(store, several_per_cluster=config.several_per_cluster)
    if applied:
        flash(ngettext("%(num)d queued correction was applied.", "%(num)d queued corrections were applied.",
                       len(applied)), "info")
    attention = [
        ("duplicates", _capped(len(store.near_misses("open", limit=COUNT_CAP + 1)))),
        ("suspicious", _capped(len(store.suspicious_clusters(limit=COUNT_CAP + 1)))),
        # counted by the store (the quarantine list itself carries every kept record's bytes)
        ("quarantine", str(sum(s.quarantined for s in store.status([s.code for s in config.sources])))),
        ("queued", _capped(len(store.queued_decisions()))),
    ]
    return render_template("staff/home.html", attention=attention, account=current_account(),
                           health_url=health_url(), kinds=SEARCH_KINDS)


def _capped(count: int) -> str:
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def health_url() -> str | None:
    """The address of the operator's health page, or None when this site has none."""
    for endpoint in HEALTH_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return None


@staff.route("/search")
@staff_required
def search():
    """Clusters by words, title, identifier or id, each linking to its staff view."""
    q, by = request.args.get("q", "")[:500], request.args.get("by", "any")
    by = by if by in SEARCH_KINDS else "any"
    found, error = find_clusters(q, by)
    return render_template("staff/search.html", q=q, by=by, kinds=SEARCH_KINDS, found=found, error=error,
                           searched=bool(q.strip())), 400 if error else 200
