"""HTML pages: search and results, the fielded search, the record page, exports and OpenSearch."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_babel import get_locale

from dedup import cluster_views
from index import MAX_PAGE_SIZE, OR_FACETS, QueryError, SearchIndexError, SearchRequest
from web import exports
from web.app import cookie_options, services
from web.collections import host_views, licensed_urls
from web.citations import citations
from web.criteria import advanced_form, advanced_url, search_criteria, url_more
from web.messages import query_error_message, query_error_tip
from web.navigation import neighbours, record_url, search_args
from web.overview import overview
from web.urls import external_url, local_target, site_root
from web.views import (
    MINE_FIRST_COOKIE, MY_LIBRARY_COOKIE, find_cluster, holdings_by_source, library_choices, my_library_choice,
    other_editions, parse_search_request, run_search, valid_library,
)

pages = Blueprint("pages", __name__)
for _global in (search_criteria, advanced_url, url_more):
    pages.add_app_template_global(_global)
pages.add_app_template_global(OR_FACETS, "or_facets")
EXPORTS = {
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "marcxml": ("application/marcxml+xml; charset=utf-8", "xml"),
}
YEAR = 365 * 24 * 3600


@pages.route("/")
def search():
    """The search box, and results when anything was asked."""
    q = request.args.get("q", "")
    try:
        search_request = parse_search_request()
        result = None if search_request.is_empty and "q" not in request.args else run_search(search_request)
    except QueryError as exc:
        return render_template("search.html", result=None, error=query_error_message(exc), q=q,
                               error_kind=exc.kind, error_params=exc.params, tip=query_error_tip(exc)), 400
    except SearchIndexError as exc:
        return unavailable(exc)
    active = [(name, value) for name, values in search_request.filters.items() for value in values]
    return render_template("search.html", result=result, error=None, q=search_request.q, active_filters=active)


@pages.route("/advanced")
def advanced():
    """The fielded search form, with the formats and languages the catalogue holds, filled with the search
    it was opened from (its query string), so that a search can be changed there and nothing is lost."""
    _config, _store, searcher = services()
    try:
        facets = searcher.search(SearchRequest(page_size=1)).facets
    except SearchIndexError:
        facets = {}
    formats = [fv.value for fv in facets.get("format", [])]
    languages = sorted(fv.value for fv in facets.get("language", []))
    libraries = [value for code, _name, within in library_choices() for value in (code, *within)]
    form = advanced_form(request.args, {"format": formats, "language": languages, "library": libraries})
    return render_template("advanced.html", formats=formats, languages_present=languages, form=form)


@pages.route("/preferences")
def preferences():
    """Remember the patron's library and whether its holdings come first, then go back."""
    response = redirect(local_target(request.args.get("next"), url_for("pages.search")), code=303)
    chosen = request.args.get("mylib", "")
    if valid_library(chosen):
        response.set_cookie(MY_LIBRARY_COOKIE, chosen, max_age=YEAR, **cookie_options())
    else:
        response.delete_cookie(MY_LIBRARY_COOKIE)
    response.set_cookie(MINE_FIRST_COOKIE, "1" if request.args.get("minefirst") == "1" else "0",
                        max_age=YEAR, **cookie_options())
    return response


@pages.route("/record/<path:any_id>")
def record(any_id: str):
    """A cluster: its displayed record, every holding library and its other editions."""
    cluster_id, view = find_cluster(any_id)
    if cluster_id is None or view is None:
        abort(404)
    if cluster_id != any_id:
        query = request.query_string.decode("utf-8", "replace")
        return redirect(url_for("pages.record", any_id=cluster_id) + (f"?{query}" if query else ""), code=301)
    permalink = external_url("pages.record", any_id=cluster_id)
    sources = holdings_by_source(view, my_library_choice())
    try:
        editions = other_editions(view)
    except SearchIndexError:
        editions = []
    config, _store, searcher = services()
    licensed = licensed_urls(config, view)      # shown only through each member's own link
    links = [link for link in exports.web_links(view) if link.url not in licensed]
    return render_template("record.html", view=view, sources=sources, editions=editions, permalink=permalink,
                           links=links, hosts=host_views(view, searcher), jsonld=exports.json_ld(view, permalink, sources),
                           nav=neighbours(), citations=citations(view, str(get_locale())))


@pages.route("/export.<fmt>")
def export_results(fmt: str):
    """The first results of a search (up to 100) as RIS or BibTeX, as a download."""
    if fmt not in ("ris", "bib"):
        abort(404)
    _config, store, _searcher = services()
    try:
        search = parse_search_request()
        result = run_search(replace(search, page=1, page_size=MAX_PAGE_SIZE, facets=False))
    except QueryError as exc:
        abort(400, description=query_error_message(exc))
    except SearchIndexError as exc:
        return unavailable(exc)
    write = exports.ris if fmt == "ris" else exports.bibtex
    views = cluster_views(store, [hit.id for hit in result.hits])
    entries = [write(view, external_url("pages.record", any_id=cluster_id))
               for cluster_id, view in views.items() if view is not None]
    body = ("" if fmt == "ris" else "\n").join(entries)
    mimetype, extension = EXPORTS[fmt]
    return Response(body, content_type=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="search.{extension}"'})


@pages.route("/record/<path:any_id>/export.<fmt>")
def export(any_id: str, fmt: str):
    """The cluster as RIS, BibTeX or its members' MARCXML, as a download."""
    if fmt not in EXPORTS:
        abort(404)
    _config, store, _searcher = services()
    cluster_id, view = find_cluster(any_id)
    if cluster_id is None or view is None:
        abort(404)
    permalink = external_url("pages.record", any_id=cluster_id)
    if fmt == "ris":
        body = exports.ris(view, permalink)
    elif fmt == "bib":
        body = exports.bibtex(view, permalink)
    else:
        body = exports.marcxml(stored for stored, _evidence in store.cluster_members(cluster_id))
    mimetype, extension = EXPORTS[fmt]
    safe_name = "".join(ch for ch in cluster_id if ch.isalnum()) or "record"
    return Response(body, content_type=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}.{extension}"'})


@pages.route("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it without being told."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=YEAR)


@pages.route("/opensearch.xml")
def opensearch():
    """The OpenSearch description, so browsers can add the catalogue as a search engine."""
    body = render_template("opensearch.xml", base=(site_root() or request.script_root + "/").rstrip("/"))
    return Response(body, content_type="application/opensearchdescription+xml; charset=utf-8")


pages.add_app_template_global(record_url)
pages.add_app_template_global(overview)


@pages.app_template_global()
def search_link() -> str:
    """This search's address to give away (without its page and language)."""
    return external_url("pages.search") + "?" + urlencode(search_args())


@pages.app_template_global()
def results_export_url(fmt: str) -> str:
    """This search's results as a download in `fmt` (ris or bib)."""
    return url_for("pages.export_results", fmt=fmt) + "?" + urlencode(search_args())


@pages.app_context_processor
def patron_choices():
    """The patron's library, for every page."""
    try:
        return {"my_library": my_library_choice(), "library_choices": library_choices}
    except (KeyError, RuntimeError):
        return {"my_library": "", "library_choices": list}


def unavailable(error: Exception):
    """The 503 page when the search engine cannot answer: the patron reads a sentence in their language;
    the cause (a path, a node address) goes to the log for the operator, not onto the page."""
    current_app.logger.error("search unavailable: %s", error)
    return render_template("error.html", code=503), 503, {"Retry-After": "60"}
