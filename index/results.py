"""What a search is asked and what it returns: plain dataclasses, no Whoosh objects."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PAGE_SIZE = 100
MAX_DEPTH = 1000          # results beyond this rank cannot be paged to
SORTS = ("relevance", "year", "year_asc", "title", "author")
# the facets a search counts and filters by, in the order they are shown
# online: "online" for clusters of a licensed e-book collection; collection: the regional bibliographies holding one
FACETS = ("library", "branch", "online", "collection", "format", "language", "year", "subject", "author")
# facets whose several chosen values widen the search (held by duke OR unc); each is counted without its own
# choice, so its other values say what adding them gives. Several subjects or authors narrow (AND), as a
# record has many of those.
OR_FACETS = ("library", "branch", "format", "language", "year")
# a library of a member catalogue, as a facet value: "libris|U" (the branch facet; the library filter takes it too)
BRANCH_SEPARATOR = "|"


@dataclass
class SearchRequest:
    """A patron's search: the box, the fielded search, filters, order and page."""

    q: str = ""
    title: str = ""
    author: str = ""
    subject: str = ""
    isbn: str = ""
    year_from: int | None = None
    year_to: int | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    my_library: str = ""
    mine_first: bool = False
    facets: bool = True
    expand: str = ""          # the facet whose values are all shown, not only the commonest

    @property
    def fielded(self) -> dict[str, str]:
        """The fielded-search boxes that were filled in."""
        boxes = {"title": self.title, "author": self.author, "subject": self.subject, "isbn": self.isbn}
        return {name: value for name, value in boxes.items() if value and value.strip()}

    @property
    def is_empty(self) -> bool:
        """True when nothing was asked: no words, no fielded box, no filter, no year."""
        return not (self.q.strip() or self.fielded or self.filters or self.year_from or self.year_to)


@dataclass
class Hit:
    """One cluster in a results list."""

    id: str
    title: str
    authors: list[str]
    year: int | None
    format: str
    holdings: list[dict]
    edition: str = ""
    publisher: str = ""
    isbn: list[str] = field(default_factory=list)
    mine: bool = False
    languages: list[str] = field(default_factory=list)     # MARC codes (008/041), the first few


@dataclass
class FacetValue:
    """One value of a facet with the number of matching clusters."""

    value: str
    count: int
    selected: bool = False


@dataclass
class SearchResult:
    """A page of results with facet counts and suggestions."""

    request: SearchRequest
    total: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str = ""
    partial: bool = False
    mine_total: int | None = None
    cut: tuple[str, ...] = ()     # the facets with more values than `facets` holds

    @property
    def page(self) -> int:
        """The page shown."""
        return self.request.page

    @property
    def page_size(self) -> int:
        """Results per page."""
        return self.request.page_size

    @property
    def pages(self) -> int:
        """The number of pages a patron can reach (deep paging is bounded)."""
        return max(1, -(-min(self.total, MAX_DEPTH) // self.page_size))

    @property
    def query(self) -> str:
        """The words of the search box."""
        return self.request.q

    @property
    def filters(self) -> dict[str, list[str]]:
        """The active facet filters."""
        return self.request.filters


@dataclass
class Edition:
    """Another edition of the same work, for the record page."""

    id: str
    title: str
    year: int | None
    format: str
    edition: str = ""


@dataclass
class IndexReport:
    """What an index run did."""

    indexed: int = 0
    removed: int = 0
    rebuilt: bool = False
    total: int = 0

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)
