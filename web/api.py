"""The JSON API: search and clusters."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, redirect, request, url_for

from index import QueryError, SearchIndexError
from web.messages import query_error_message
from web.views import evidence_for, find_cluster, holdings_by_source, parse_search_request, run_search

api = Blueprint("api", __name__)
# the only query parameters a record's redirect carries on to its cluster
RECORD_PARAMETERS = ("explain",)


@api.route("/search")
def search():
    """`{"total", "page", "pages", "hits": [...], "facets": {...}, ...}` for a search."""
    try:
        result = run_search(parse_search_request(api=True))
    except QueryError as exc:
        return jsonify(error=query_error_message(exc), rule=exc.kind), 400
    except SearchIndexError as exc:
        return jsonify(error=str(exc)), 503
    return jsonify(
        query=result.query, total=result.total, page=result.page, page_size=result.page_size, pages=result.pages,
        hits=[asdict(hit) for hit in result.hits],
        facets={name: [{"value": fv.value, "count": fv.count, "selected": fv.selected} for fv in values]
                for name, values in result.facets.items()},
        filters=result.filters, partial=result.partial, suggestion=result.suggestion,
        mine_total=result.mine_total,
    )


@api.route("/records/<path:any_id>")
def record(any_id: str):
    """A cluster with every member record and holding; other ids redirect to their cluster."""
    cluster_id, view = find_cluster(any_id)
    if cluster_id is None or view is None:
        return jsonify(error=f"no record {any_id}"), 404
    if cluster_id != any_id:
        kept = {name: request.args[name] for name in RECORD_PARAMETERS if request.args.get(name) == "1"}
        return redirect(url_for("api.record", any_id=cluster_id, **kept), code=301)
    body = {
        "id": cluster_id,
        "title": view.title,
        "record": view.record.to_dict(),
        "members": [member.to_dict() for member in view.members],
        "holdings": [
            {"source": group["source"], "name": group["name"], "holdings": [asdict(h) for h in group["holdings"]]}
            for group in holdings_by_source(view)
        ],
        "identifiers": [asdict(i) for i in view.identifiers],
    }
    if request.args.get("explain") == "1":
        body["evidence"] = evidence_for(cluster_id)
    return jsonify(body)
