"""Searching SolrCloud: a search plan in, the same `SearchResult` as the Whoosh side out.

One JSON Request API call per search (`/query` on the alias) asks for the
page, the total, the count of my library's holdings and the facets (JSON
Facet API, refined across shards so counts are exact); a search with no
matches asks the spellchecker for a suggestion. No Solr object leaves this
module.
"""

from __future__ import annotations

import json
import re

from index import querytree as qt
from index.plan import beyond_depth, check_page, facet_limit, plan_search, shape_facets
from index.results import FACETS, Edition, Hit, SearchRequest, SearchResult
from index.schema import FACET_FIELDS
from index.solr.client import SolrClient, SolrError
from index.solr.query import facet_tag, filter_term, scored, sort_of, tagged_filters, term
from normalise.text import fold

MAX_VALUES = 10_000
# each shard offers this many more values than are shown, so that a value counted once on each of two
# shards is not lost among values counted once on one; `refine` then makes every count shown exact
OVERREQUEST = 100
_WORD = re.compile(r"\w+")
_OPERATORS = {"AND", "OR", "NOT"}


class SolrSearcher:
    """Searches over the alias of a SolrCloud collection; thread-safe (the client is)."""

    def __init__(self, client: SolrClient, collection: str):
        self.client = client
        self.collection = collection

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a patron's search (see `index.engine.Searching.search`)."""
        plan = plan_search(request)
        request = plan.request
        deep = beyond_depth(request)          # only counted, to name the last page
        body = {"query": scored(plan), "limit": 0 if deep else request.page_size,
                "offset": 0 if deep else (request.page - 1) * request.page_size,
                "sort": sort_of(plan), "fields": "id,payload", "params": {"shards.tolerant": "false"}}
        if plan.facet_filters:
            body["filter"] = tagged_filters(plan)
        facets = _facet_request(plan) if request.facets else {}
        if plan.mine is not None:
            # the facet API takes JSON-DSL queries only by reference to the request's "queries"
            body["queries"] = {"mine": filter_term(plan.mine)}
            facets["mine"] = {"type": "query", "q": "*:*", "domain": {"filter": {"param": "mine"}}}
        if facets:
            body["facet"] = facets
        answer = self._query(body)
        response = answer.get("response", {})
        result = SearchResult(request, int(response.get("numFound", 0)))
        check_page(result)
        counts = answer.get("facets", {})
        if request.facets:
            result.facets, result.cut = shape_facets(_counts(counts), request)
        if plan.mine is not None:
            result.mine_total = int(counts.get("mine", {}).get("count", 0))
        mine_ids = self._mine_ids(plan, response.get("docs", [])) if plan.mine is not None else set()
        result.hits = [_hit(doc, doc["id"] in mine_ids) for doc in response.get("docs", [])]
        if result.total == 0 and request.q.strip():
            result.suggestion = self.suggest(request.q)
        return result

    def editions(self, work: str, exclude: str, limit: int = 20) -> list[Edition]:
        """Other clusters of the same work, newest first."""
        if not work:
            return []
        query = {"bool": {"filter": [term("work", work)], "must_not": [term("id", exclude)]}}
        answer = self._query({"query": query, "limit": limit, "sort": "year desc,id asc", "fields": "id,payload"})
        out = []
        for doc in answer.get("response", {}).get("docs", []):
            data = json.loads(doc["payload"])
            out.append(Edition(data["id"], data["title"], data["year"], data["format"], data.get("edition", "")))
        return out

    def count(self) -> int:
        """Clusters in the collection."""
        return int(self._query({"query": "*:*", "limit": 0})["response"]["numFound"])

    def values(self, facet: str) -> list[str]:
        """Every value of `facet` held by a cluster, in index order."""
        field = FACET_FIELDS[facet]
        answer = self._query({"query": "*:*", "limit": 0, "facet": {"v": {
            "type": "terms", "field": field, "limit": MAX_VALUES, "sort": "index asc", "mincount": 1}}})
        return [bucket["val"] for bucket in answer.get("facets", {}).get("v", {}).get("buckets", [])]

    def suggest(self, text: str) -> str:
        """The query with each unknown word replaced by the closest frequent word, or "" if none helps."""
        words = [w for w in _WORD.findall(text) if w not in _OPERATORS and not w.isdigit()]
        folded = {w: fold(w) for w in words if fold(w) and " " not in fold(w)}
        if not folded:
            return ""
        answer = self.client.get(f"{self.collection}/spell", {
            "spellcheck.q": " ".join(dict.fromkeys(folded.values())), "spellcheck": "true", "spellcheck.count": 1,
            "rows": 0, "wt": "json", "shards.qt": "/spell", "shards.tolerant": "false"})
        found = _suggestions(answer)
        changed = False

        def replace(match: re.Match) -> str:
            nonlocal changed
            better = found.get(folded.get(match.group(0), ""))
            if better:
                changed = True
                return better
            return match.group(0)

        suggestion = _WORD.sub(replace, text)
        return suggestion if changed else ""

    def _query(self, body: dict) -> dict:
        return self.client.post(f"{self.collection}/query", body)

    def _mine_ids(self, plan: qt.SearchPlan, docs: list[dict]) -> set[str]:
        """The ids among `docs` held by my library (asked only for the page's ids)."""
        if not docs:
            return set()
        ids = {"bool": {"should": [term("id", doc["id"]) for doc in docs]}}
        query = {"bool": {"filter": [filter_term(plan.mine), ids]}}
        answer = self._query({"query": query, "limit": len(docs), "fields": "id"})
        return {doc["id"] for doc in answer.get("response", {}).get("docs", [])}


def _facet_request(plan: qt.SearchPlan) -> dict:
    facets = {}
    apart = plan.counted_apart
    for facet in FACETS:
        chosen = len(plan.request.filters.get(facet, ()))
        sort = "index desc" if facet == "year" else "count desc"
        # shape_facets cuts, as on Whoosh (and sees whether there were more values than it shows)
        limit = facet_limit(facet, plan.request) + chosen + OVERREQUEST
        facets[facet] = {"type": "terms", "field": FACET_FIELDS[facet], "limit": limit, "sort": sort, "mincount": 1,
                         "refine": True, "overrequest": OVERREQUEST}
        if facet in apart:      # counted without its own choice: what adding another value gives
            facets[facet]["domain"] = {"excludeTags": facet_tag(facet)}
    return facets


def _counts(facets: dict) -> dict[str, dict[str, int]]:
    return {facet: {b["val"]: int(b["count"]) for b in facets.get(facet, {}).get("buckets", [])} for facet in FACETS}


def _suggestions(answer: dict) -> dict[str, str]:
    """Word -> its best suggestion, from the spellcheck component's answer."""
    found = {}
    raw = answer.get("spellcheck", {}).get("suggestions", [])
    pairs = zip(raw[::2], raw[1::2]) if isinstance(raw, list) else raw.items()
    for word, data in pairs:
        options = data.get("suggestion", []) if isinstance(data, dict) else []
        if options:
            best = options[0]
            found[word] = best.get("word", "") if isinstance(best, dict) else str(best)
    return found


def _hit(doc: dict, mine: bool) -> Hit:
    try:
        data = json.loads(doc["payload"])
    except (KeyError, ValueError) as exc:
        raise SolrError(f"a Solr document has no readable payload: {doc.get('id')}") from exc
    return Hit(data["id"], data["title"], data["authors"], data["year"], data["format"], data["holdings"],
               data.get("edition", ""), data.get("publisher", ""), data.get("isbn", []), mine,
               data.get("languages", []))
