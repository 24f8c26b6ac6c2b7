"""What a patron's search means, as a tree any search engine can execute.

The patron's text is parsed once, by unioncat's own safe query language
(`index.query`), into these frozen dataclasses; each engine turns the tree into
its own queries (Whoosh query objects, Solr's JSON query DSL). Nothing the
patron typed reaches an engine's parser as syntax: a `Term` holds one
analysed token of one public field, a `Phrase` the analysed tokens of one.

Tokens are analysed here, by `analyse`, with exactly the analysers of the
index schema (`index.schema`): folded words for the text fields, stemmed and
folded words for each language's stemmed field, whole values for identifiers
and facets. An engine that indexes pre-analysed tokens calls `analyse` at
index time too, so analysis is identical on every engine by construction.

Fields are named as in the schema: the text fields (`title`, `authors`,
`subjects`, `series`, `publisher`, `notes`), the stemmed fields (`stem_en`,
...), the identifier field `ident`, and `text`, every word of the text fields
again. Facet filters name the facet (`library`, `branch`, `format`,
`language`, `subject`, `author`), not a field; years are a `YearRange`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Union

from index.results import OR_FACETS, SearchRequest


@dataclass(frozen=True)
class MatchAll:
    """Every cluster (a search with no words: browsing)."""


@dataclass(frozen=True)
class MatchNone:
    """No cluster."""


@dataclass(frozen=True)
class Term:
    """Clusters whose `field` holds the analysed `token`."""

    field: str
    token: str


@dataclass(frozen=True)
class Phrase:
    """Clusters whose `field` holds the analysed `tokens` next to each other, in order."""

    field: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class YearRange:
    """Clusters published from `start` to `end`, both included."""

    start: int
    end: int


@dataclass(frozen=True)
class Filter:
    """Clusters with `value` in the facet `facet` (a chosen facet value, or my library)."""

    facet: str
    value: str


@dataclass(frozen=True)
class And:
    """Clusters matching every part."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Clusters matching at least one part."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """Clusters not matching `part`: alone, every cluster but those; inside an `And`, the other parts' without them."""

    part: Node


Node = Union[MatchAll, MatchNone, Term, Phrase, YearRange, Filter, And, Or, Not]
LEAVES = (Term, Phrase, YearRange, Filter, MatchAll, MatchNone)
RANKING_FIELDS = ("title", "authors", "subjects", "ident")


@dataclass(frozen=True)
class SearchPlan:
    """A whole search, parsed and checked once: what any engine runs.

    `query` is what matches and ranks (the box, the fielded boxes, the year
    range); `facet_filters` pairs each facet with a chosen value's node (an
    `Or` of a facet's values in OR_FACETS, one node per value of the others),
    and every one must match as well; `mine` marks and, with `mine_first`,
    orders my library's holdings first. `request` is the checked request (page
    size capped, filters known, empty values dropped).
    """

    request: SearchRequest
    query: Node
    facet_filters: tuple[tuple[str, Node], ...] = ()
    mine: Filter | None = None

    @property
    def filters(self) -> tuple[Node, ...]:
        """Every filter node, each of which must match."""
        return tuple(node for _facet, node in self.facet_filters)

    def filters_without(self, facet: str) -> tuple[Node, ...]:
        """The filters of every facet but `facet` (what that facet's own values are counted under)."""
        return tuple(node for name, node in self.facet_filters if name != facet)

    @property
    def counted_apart(self) -> tuple[str, ...]:
        """The facets counted without their own choice: the OR facets with a value chosen."""
        return tuple(dict.fromkeys(name for name, _node in self.facet_filters if name in OR_FACETS))

    @property
    def ranked(self) -> bool:
        """Whether results are ordered by relevance to words (else by a sort key, or "best" when browsing)."""
        return self.request.sort == "relevance" and bool(self.request.q.strip() or self.request.fielded)

    @property
    def order(self) -> str:
        """The order of an unranked result: a sort of `SORTS`, or "best" (most holders, then the shortest title)."""
        return "best" if self.request.sort == "relevance" else self.request.sort


def analyse(field: str, text) -> list[str]:
    """The tokens the index schema's analyser of `field` gives for `text` (a string, or a list of facet values)."""
    return [token.text for token in _analyser(field)(text, mode="query")]


@lru_cache(maxsize=None)
def _analyser(field: str):
    from index.schema import make_schema     # the schema's analysers are the definition of analysis

    schema = make_schema()
    if field not in schema.names() or getattr(schema[field], "analyzer", None) is None:
        raise ValueError(f"the index has no analysed field {field!r}")
    return schema[field].analyzer


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly under `node`."""
    if isinstance(node, (And, Or)):
        return node.parts
    if isinstance(node, Not):
        return (node.part,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """`node` and every node under it, parents first."""
    yield node
    for child in children(node):
        yield from walk(child)


def leaves(node: Node) -> list[Node]:
    """The leaves of `node` (terms, phrases, ranges, filters), left to right."""
    return [n for n in walk(node) if isinstance(n, LEAVES)]


def ranking_part(node: Node) -> Node:
    """The part of `node` that ranks: its words in RANKING_FIELDS, without negations or year ranges.

    Matching is decided by the whole query; ranking scores only title, author,
    subject and identifier matches, which is both what patrons expect first and
    a fraction of the postings to score. `MatchNone` when nothing ranks.
    """
    if isinstance(node, (Term, Phrase)):
        return node if node.field in RANKING_FIELDS else MatchNone()
    if isinstance(node, (And, Or)):
        parts = tuple(p for p in (ranking_part(p) for p in node.parts) if not isinstance(p, MatchNone))
        if not parts:
            return MatchNone()
        return parts[0] if len(parts) == 1 else type(node)(parts)
    return MatchNone()
