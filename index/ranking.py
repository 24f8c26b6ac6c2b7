"""Relevance ranking: title matches first, then author, then subject, then elsewhere.

For a search of up to MAX_TIERED_WORDS words or phrases joined by AND (the
usual case), each word is placed at the best field it occurs in (title 4,
author 2.5, subject 1.5, anywhere else 1) and weighted by its rarity (idf).
Every combination of placements is a tier; tiers are visited best first as
set intersections, and inside a tier clusters held by more libraries come
first, then shorter titles. Only the tiers needed for the page asked for are
ever computed, so a word found in 30,000 titles costs one postings read and
a walk along a precomputed order, not 30,000 scores.

Other searches (OR, many words) are ranked by Whoosh's BM25F over the title,
author, subject and identifier fields, best RERANK_DEPTH re-ranked with the
number of holding libraries.
"""

from __future__ import annotations

import itertools
import math

from whoosh import query
from whoosh.collectors import FilterCollector, TimeLimitCollector
from whoosh.searching import TimeLimit

from index.docsets import EVERYTHING, difference, intersect, size
from index.querytree import RANKING_FIELDS
from index.results import MAX_DEPTH

LEVELS = (("title", 4.0), ("authors", 2.5), ("subjects", 1.5), (None, 1.0))
MAX_TIERED_WORDS = 4
RERANK_DEPTH = 100           # BM25F's best N are re-ranked with the number of holders
HOLDERS_WEIGHT = 0.15        # score x (1 + weight * log2(holders))
WITHIN_TIER = "best"         # most holders first, then the shortest title


def ranked_page(evaluator, q, docs, start: int, stop: int) -> tuple[list[int], bool]:
    """Documents `start` to `stop` of `docs` by relevance to `q`, and whether time ran out."""
    words = tiered_words(q)
    if words is None:
        return _bm25(evaluator, q, docs, start, stop)
    return _tiered(evaluator, words, docs, start, stop), False


def tiered_words(q) -> list | None:
    """The positive words or phrases of an AND search, each as its Or over fields; None if not tierable."""
    parts = q.subqueries if isinstance(q, query.And) else [q]
    words = [p for p in parts if not isinstance(p, (query.Not, query.NumericRange))]
    if not words or len(words) > MAX_TIERED_WORDS:
        return None
    for word in words:
        leaves = word.subqueries if isinstance(word, query.Or) else [word]
        if not all(isinstance(leaf, (query.Term, query.Phrase)) for leaf in leaves):
            return None
        if len({_text(leaf) for leaf in leaves if leaf.fieldname in _FIELDS}) > 1:
            return None          # an OR of different words: not one word's placements
    return words


_FIELDS = tuple(name for name, _boost in LEVELS if name)


def _text(leaf) -> tuple:
    return tuple(leaf.words) if isinstance(leaf, query.Phrase) else (leaf.text,)


def _tiered(evaluator, words, docs, start: int, stop: int) -> list[int]:
    tables = evaluator.tables
    placements = [_Placements(evaluator, word, docs) for word in words]
    tiers = sorted(itertools.product(range(len(LEVELS)), repeat=len(words)),
                   key=lambda levels: -sum(p.idf * LEVELS[lv][1] for p, lv in zip(placements, levels)))
    page, seen = [], 0
    for levels in tiers:
        tier = docs
        for placement, level in zip(placements, levels):
            tier = intersect(tier, placement.at(level))
            if not tier:
                break
        count = size(tier, tables)
        if count and seen + count > start:
            page += tables.ordered(tier, WITHIN_TIER, max(0, start - seen), stop - seen)
        seen += count
        if seen >= stop:
            break
    return page


class _Placements:
    """Where one word sits in each matching document: its best field, computed when first needed."""

    def __init__(self, evaluator, word, docs):
        self.evaluator = evaluator
        self.docs = docs
        leaves = word.subqueries if isinstance(word, query.Or) else [word]
        self.by_field = {leaf.fieldname: leaf for leaf in leaves if leaf.fieldname in _FIELDS}
        matched = size(evaluator.docs(word), evaluator.tables)
        self.idf = math.log(1 + evaluator.tables.live_count / max(1, matched))
        self._levels: dict[int, object] = {}
        self._better: object = set()      # documents placed at a better level already

    def at(self, level: int):
        """Documents of `docs` whose best field for this word is LEVELS[level]."""
        for lv in range(len(self._levels), level + 1):
            self._levels[lv] = self._compute(lv)
        return self._levels[level]

    def _compute(self, level: int):
        field = LEVELS[level][0]
        if field is None:
            found = self.docs
        elif field in self.by_field:
            found = intersect(self.docs, self.evaluator.docs(self.by_field[field]))
        else:
            found = set()
        placed = difference(found, self._better, self.evaluator.tables) if self._better else found
        self._better = placed if not self._better else self._better | placed
        return placed


def ranking_query(q: query.Query) -> query.Query:
    """The part of `q` that ranks (see `index.querytree.ranking_part`): its words in RANKING_FIELDS,
    without negations or year ranges."""
    def keep(node: query.Query) -> query.Query:
        if isinstance(node, (query.Term, query.Phrase)):
            return node if node.fieldname in RANKING_FIELDS else query.NullQuery
        if isinstance(node, (query.Not, query.NumericRange)):
            return query.NullQuery
        if isinstance(node, query.AndNot):
            return node.a
        return node

    return q.accept(keep).normalize()


def _bm25(evaluator, q, docs, start: int, stop: int) -> tuple[list[int], bool]:
    """BM25F's best over the ranking fields, then the documents matching only elsewhere."""
    tables = evaluator.tables
    ranking = ranking_query(q)
    strong = set() if ranking is query.NullQuery else intersect(docs, evaluator.docs(ranking))
    n_strong = size(strong, tables)
    page, partial = [], False
    if start < n_strong:
        page, partial = _top(evaluator, ranking, strong, start, min(stop, n_strong))
    if stop > n_strong:
        rest = difference(docs, strong, tables)
        page += tables.ordered(rest, WITHIN_TIER, max(0, start - n_strong), stop - n_strong)
    return page, partial


def _top(evaluator, ranking, docs, start: int, stop: int) -> tuple[list[int], bool]:
    """Documents `start` to `stop` of `docs` by score; only the best RERANK_DEPTH or so are ever scored."""
    searcher = evaluator.searcher
    collector = searcher.collector(limit=min(max(stop, RERANK_DEPTH), MAX_DEPTH))
    # no SIGALRM: searches run in the web server's worker threads, where signals cannot be set
    collector = TimeLimitCollector(collector, evaluator.deadline.left, greedy=True, use_alarm=False)
    if docs is not EVERYTHING:
        # outermost: a wrapping collector inside it would bypass the filter
        collector = FilterCollector(collector, docs)
    partial = False
    try:
        searcher.search_with_collector(ranking, collector)
    except TimeLimit:
        partial = True
    holders = evaluator.tables.holders
    scored = [(hit.score * (1 + HOLDERS_WEIGHT * math.log2(max(1, holders[hit.docnum]))), hit.docnum)
              for hit in collector.results()]
    scored.sort(key=lambda sd: (-sd[0], sd[1]))
    return [docnum for _score, docnum in scored[start:stop]], partial
