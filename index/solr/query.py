"""From the engine-neutral query tree to Solr's JSON query DSL: field queries only.

Every leaf the patron's words produce becomes a JSON DSL object whose value is
one analysed token (`{"term": {"f": field, "query": token}}`) or the analysed
tokens of a phrase (`{"field": ...}` over a field that splits on whitespace
only); Solr's JSON converter passes each value to its parser as a parameter,
never as query syntax. No patron text reaches the `lucene`, `edismax` or
`{!...}` parsers. The only query strings written here are constants (`*:*`)
and year ranges of two integers.

Ranking follows the Whoosh side's tiers: each word scores by the best field
it is found in (title 4, author 2.5, subject 1.5, anywhere else 1), words add
up; equal scores are ordered by the number of holding libraries, then the
shortest title. My library's holdings, when asked first, add MINE_FIRST,
more than any words can.
"""

from __future__ import annotations

from index import querytree as qt
from index.results import BRANCH_SEPARATOR
from index.schema import FACET_FIELDS

MATCH_ALL = "*:*"
LEVELS = (("title", 4.0), ("authors", 2.5), ("subjects", 1.5))
_RANKED = tuple(field for field, _weight in LEVELS)
ANYWHERE = 1.0
MINE_FIRST = 10_000.0
BEST = "holders desc,title_length asc,id asc"
SORTS = {
    "best": BEST,
    "year": "year desc,id asc",
    "year_asc": "year asc,id asc",
    "title": "title_sort asc,id asc",
    "author": "author_sort asc,title_sort asc,id asc",
}


def to_dsl(node: qt.Node):
    """The JSON DSL query matching what `node` matches (scores are not meaningful)."""
    if isinstance(node, qt.MatchAll):
        return MATCH_ALL
    if isinstance(node, qt.MatchNone):
        return {"bool": {"must": [MATCH_ALL], "must_not": [MATCH_ALL]}}
    if isinstance(node, qt.Term):
        return term(node.field, node.token)
    if isinstance(node, qt.Phrase):
        if len(node.tokens) == 1:
            return term(node.field, node.tokens[0])
        return {"field": {"f": node.field, "query": " ".join(node.tokens)}}
    if isinstance(node, qt.YearRange):
        return f"year:[{int(node.start)} TO {int(node.end)}]"
    if isinstance(node, qt.Filter):
        return filter_term(node)
    if isinstance(node, qt.And):
        return _and(node.parts)
    if isinstance(node, qt.Or):
        return {"bool": {"should": [to_dsl(p) for p in node.parts]}}
    if isinstance(node, qt.Not):
        return {"bool": {"must": [MATCH_ALL], "must_not": [to_dsl(node.part)]}}
    raise TypeError(f"not a query tree node: {node!r}")


def term(field: str, token: str) -> dict:
    """One indexed token of one field, taken as a value."""
    return {"term": {"f": field, "query": token}}


def filter_term(node: qt.Filter) -> dict:
    """A facet value (a library's "member|code" is a branch value)."""
    if node.facet == "library" and BRANCH_SEPARATOR in node.value:
        return term(FACET_FIELDS["branch"], node.value)
    return term(FACET_FIELDS[node.facet], node.value)


def _and(parts) -> dict:
    positives = [to_dsl(p) for p in parts if not isinstance(p, qt.Not)]
    negatives = [to_dsl(p.part) for p in parts if isinstance(p, qt.Not)]
    return {"bool": {"must": positives or [MATCH_ALL], **({"must_not": negatives} if negatives else {})}}


def scored(plan: qt.SearchPlan) -> dict:
    """The query of `plan` (the box, fielded boxes and years): matching as a filter, and scoring clauses for
    words and my library. The facet filters are `tagged_filters`, apart."""
    should = word_scores(plan.query) if plan.ranked else []
    if plan.mine is not None and plan.request.mine_first:
        should.append(constant(MINE_FIRST, filter_term(plan.mine)))
    return {"bool": {"filter": [to_dsl(plan.query)], **({"should": should} if should else {})}}


def tagged_filters(plan: qt.SearchPlan) -> list[dict]:
    """The facet filters of `plan` as the request's filters, each tagged with its facet (`facet_tag`) so that
    the facet counted without its own choice can exclude it."""
    return [{f"#{facet_tag(facet)}": to_dsl(node)} for facet, node in plan.facet_filters]


def facet_tag(facet: str) -> str:
    """The tag of a facet's filters in a request."""
    return f"f_{facet}"


def sort_of(plan: qt.SearchPlan) -> str:
    """Solr's sort for `plan`: score first when words rank or my library comes first."""
    order = SORTS["best"] if plan.ranked else SORTS[plan.order]
    if plan.ranked or (plan.mine is not None and plan.request.mine_first):
        return f"score desc,{order}"
    return order


def word_scores(node: qt.Node) -> list[dict]:
    """One scoring clause per positive word or phrase: its best field's weight (tiers exclusive)."""
    return [_word_score(word) for word in _words(node)]


def _words(node: qt.Node) -> list[list]:
    """The positive words of `node`, each as the leaves that look for it in the several fields."""
    if isinstance(node, (qt.Term, qt.Phrase)):
        return [[node]]
    if isinstance(node, qt.Or):
        # one word looked for in several fields (its stemmed forms differ: only the ranking fields count)
        texts = {_text(p) for p in node.parts if isinstance(p, (qt.Term, qt.Phrase)) and p.field in _RANKED}
        if len(texts) == 1 and all(isinstance(p, (qt.Term, qt.Phrase)) for p in node.parts):
            return [list(node.parts)]
        return [w for p in node.parts for w in _words(p)]
    if isinstance(node, qt.And):
        return [w for p in node.parts if not isinstance(p, qt.Not) for w in _words(p)]
    return []


def _text(leaf) -> tuple:
    return leaf.tokens if isinstance(leaf, qt.Phrase) else (leaf.token,)


def _word_score(leaves: list) -> dict:
    by_field = {leaf.field: leaf for leaf in leaves}
    clauses, better = [], []
    for field, weight in LEVELS:
        if field in by_field:
            found = to_dsl(by_field[field])
            clauses.append(constant(weight, found, better))
            better = [*better, found]
    anywhere = {"bool": {"should": [to_dsl(leaf) for leaf in leaves]}}
    clauses.append(constant(ANYWHERE, anywhere, better))
    return {"bool": {"should": clauses}}


def constant(score: float, query, excluding=()) -> dict:
    """`score` for each document `query` matches (and none of `excluding` does)."""
    clause = {"must": [{"func": {"query": f"{score:g}"}}], "filter": [query]}
    if excluding:
        clause["must_not"] = list(excluding)
    return {"bool": clause}
