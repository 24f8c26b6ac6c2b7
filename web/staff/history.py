"""Librarians' decisions: every one or one librarian's, newest first, on a page or as CSV."""

from __future__ import annotations

from flask import Response, render_template, request

from dedup import history as decisions, history_csv
from web.app import services
from web.auth import staff_required
from web.staff.blueprint import staff

SHOWN = 200


@staff.route("/history")
@staff_required
def history():
    """Decisions newest first, optionally of one librarian (`by`)."""
    _config, store, _searcher = services()
    by = request.args.get("by", "").strip()[:100] or None
    entries = decisions(store, by=by, limit=SHOWN)
    return render_template("staff/history.html", entries=entries, by=by or "",
                           librarians=[a.username for a in store.staff_accounts()], shown=SHOWN)


@staff.route("/history.csv")
@staff_required
def history_export():
    """The same decisions as CSV, every one of them."""
    _config, store, _searcher = services()
    by = request.args.get("by", "").strip()[:100] or None
    name = "".join(ch for ch in (by or "all") if ch.isalnum() or ch in "-_") or "history"
    return Response(history_csv(decisions(store, by=by)), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="decisions-{name}.csv"'})
