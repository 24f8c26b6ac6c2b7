"""HTML pages: search, results and the record page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from index import QueryError, SearchIndexError
from web.views import find_cluster, holdings_by_source, parse_search_request, run_search

pages = Blueprint("pages", __name__)


@pages.route("/")
def search():
    """The search box, and results when a query or filter was given."""
    try:
        search_request = parse_search_request()
        asked = bool(search_request.q.strip() or search_request.filters or "q" in request.args)
        result = run_search(search_request) if asked else None
    except QueryError as exc:
        return render_template("search.html", result=None, search=None, error=str(exc), q=request.args.get("q", "")), 400
    except SearchIndexError as exc:
        return render_template("error.html", code=503, message=str(exc)), 503
    return render_template("search.html", result=result, search=search_request, error=None, q=search_request.q)


@pages.route("/record/<path:any_id>")
def record(any_id: str):
    """A cluster: its displayed record and every holding library."""
    cluster_id, view = find_cluster(any_id)
    if cluster_id is None or view is None:
        abort(404)
    if cluster_id != any_id:
        return redirect(url_for("pages.record", any_id=cluster_id), code=301)
    return render_template("record.html", view=view, sources=holdings_by_source(view))
