"""From what a patron typed to the engine-neutral query tree, limited to what is safe to run.

The search box understands words, "quoted phrases", AND, OR, NOT and
parentheses, over the public text fields only. The rules, each with a test:

- a public field's name and a colon before a word, a "phrase" or a group
  searches that field only: `author:byron`, `title:"crisis in art"`,
  `subject:(art OR music)`, `isbn:0-906495-34-2` (case does not matter);
- every other character than letters, digits, quotes and parentheses is read
  as a space before parsing, so there are no other field prefixes
  (`payload:x`, `library:duke` are two plain words), wildcards, ranges, fuzzy
  terms or boosts (`x*`, `[a TO z]`, `x~2`, `x^9` are plain words);
- phrases match exactly (a slop typed as `"a b"~9` is ignored);
- at most MAX_QUERY_LENGTH characters, MAX_WORDS words and MAX_NESTING levels
  of parentheses; beyond that a `QueryError` says what to change.

An ISBN, ISSN or ISMN typed with or without hyphens, as 10 or 13 digits,
searches the identifier field.

Whoosh's query parser is used as a parser only (with the schema's analysers,
the same as `index.querytree.analyse`): what leaves this module is a tree of
`index.querytree`, which every engine executes.
"""

from __future__ import annotations

import re

from stdnum import isbn as isbn_mod
from stdnum import issn as issn_mod
from whoosh import qparser, query

from index import querytree as qt
from index.documents import compact_identifier, isbn_forms
from index.errors import QueryError
from index.results import BRANCH_SEPARATOR, FACETS, SearchRequest
from index.schema import LANGUAGE_FIELDS, TEXT_FIELDS, make_schema

MAX_QUERY_LENGTH = 500
MAX_WORDS = 32
MAX_NESTING = 8
SCHEMA = make_schema()
FIELDED = {"title": ("title",), "author": ("authors",), "subject": ("subjects",)}
# the field prefixes a patron may type in the box (`author:byron`), and the index field each searches;
# any other `name:` is a plain word
PUBLIC_PREFIXES = {"author": "authors", "title": "title", "subject": "subjects", "isbn": "ident"}
_PUBLIC_PREFIX = re.compile(rf"(?<![\w:])({'|'.join(PUBLIC_PREFIXES)}):(?=[\w\"(])", re.IGNORECASE)
_FIELD_NAMES = rf"(?P<text>{'|'.join(PUBLIC_PREFIXES.values())}):"
# an identifier as typed: digits with hyphens or spaces, a final X allowed
_IDENTIFIER_LIKE = re.compile(r"(?<![\w-])\d[\d\- ]{6,20}[\dXx](?![\w-])")
_WORD = re.compile(r"\w+")
_SYNTAX = re.compile(r'[^\w\s"()]+')
_OPERATORS = {"AND", "OR", "NOT"}


def parse_request(request: SearchRequest) -> qt.Node:
    """The query of a whole search: the box, the fielded boxes and the year range, all required."""
    parts = []
    if request.q.strip():
        parts.append(_box(request.q))
    for name, text in request.fielded.items():
        parts.append(_identifier(text) if name == "isbn" else _box(text, FIELDED[name]))
    if request.year_from or request.year_to:
        years = year_range(request.year_from, request.year_to)
        parts.append(query.NumericRange("year", years.start, years.end))
    if not parts:
        return qt.MatchAll()
    return _tree(parts[0] if len(parts) == 1 else query.And(parts).normalize())


def parse_box(text: str, fields: tuple[str, ...] = TEXT_FIELDS + LANGUAGE_FIELDS) -> qt.Node:
    """A search-box query over `fields`; `QueryError` when it cannot be run."""
    return _tree(_box(text, fields))


def parse_identifier(text: str) -> qt.Node:
    """An ISBN, ISSN or other identifier box: every form of each number typed."""
    return _tree(_identifier(text))


def year_range(start: int | None, end: int | None) -> qt.YearRange:
    """Clusters published from `start` to `end` (either may be open, within the years that exist)."""
    start, end = start or 1, end or 9999
    if start > end:
        raise QueryError(f"The year range {start}–{end} is empty: the first year must not be after the last.",
                         "empty_years", start=start, end=end)
    return qt.YearRange(start, end)


def _box(text: str, fields: tuple[str, ...] = TEXT_FIELDS + LANGUAGE_FIELDS) -> query.Query:
    text = _check_size(text.strip())
    parsed = _parser(fields).parse(_cleaned(text))
    parsed = parsed.accept(_make_safe)
    if parsed is query.NullQuery or not list(parsed.leaves()):
        raise QueryError("The search has no words we can look for; try a title, an author or a subject.", "no_words")
    return parsed.normalize()


def _cleaned(text: str) -> str:
    """What the parser sees: words, quotes, parentheses and operators, and a public field's prefix (`author:`)
    as its index field's (`authors:`) where the patron typed one before a word, phrase or group."""
    prefixes = [m for m in _PUBLIC_PREFIX.finditer(text) if not text.count('"', 0, m.start()) % 2]  # not in a phrase
    pieces = [_plain(text[:prefixes[0].start()] if prefixes else text)]
    for match, following in zip(prefixes, [*prefixes[1:], None]):
        end = following.start() if following else len(text)
        pieces.append(f" {PUBLIC_PREFIXES[match.group(1).lower()]}:{_plain(text[match.end():end]).lstrip()}")
    return "".join(pieces)


def _plain(text: str) -> str:
    """`text` with identifiers compacted and every other character of syntax read as a space."""
    text = _IDENTIFIER_LIKE.sub(lambda m: _compact_if_identifier(m.group(0)), text)
    return _SYNTAX.sub(" ", text)


def _identifier(text: str) -> query.Query:
    _check_size(text)
    terms = []
    for candidate in re.split(r"[,;]", text):
        value = compact_identifier(candidate)
        if value:
            terms.extend(query.Term("ident", form) for form in dict.fromkeys([value, *isbn_forms(value)]))
    if not terms:
        raise QueryError("Type an ISBN or ISSN, with or without hyphens.", "no_identifier")
    return terms[0] if len(terms) == 1 else query.Or(terms)


def facet_filter(name: str, value: str) -> qt.Node:
    """The filter of one facet value; a year facet value is a range like 1990-1999, and a library
    value may name one library of a member ("libris|U", as the advanced search offers)."""
    if name == "year":
        start, _, end = value.partition("-")
        if not (start.isdigit() and end.isdigit()):
            raise QueryError(f"The year range {value[:20]!r} is not two years such as 1990-1999.", "bad_year_range",
                             value=value[:20])
        return year_range(int(start), int(end))
    if name not in FACETS:
        raise QueryError(f"There is no filter called {name[:20]!r}.", "unknown_filter", value=name[:20])
    if name == "library" and BRANCH_SEPARATOR in value:     # one library of a member ("libris|U")
        return qt.Filter("branch", value)
    return qt.Filter(name, value)


def _check_size(text: str) -> str:
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"The search is too long ({len(text)} characters; at most {MAX_QUERY_LENGTH}).", "too_long",
                         length=len(text), limit=MAX_QUERY_LENGTH)
    words = [w for w in _WORD.findall(text) if w not in _OPERATORS]
    if len(words) > MAX_WORDS:
        raise QueryError(f"The search has too many words ({len(words)}; at most {MAX_WORDS}).", "too_many_words",
                         count=len(words), limit=MAX_WORDS)
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise QueryError(f"The search nests parentheses too deeply (at most {MAX_NESTING} levels).", "too_deep",
                         limit=MAX_NESTING)
    return text


def _compact_if_identifier(raw: str) -> str:
    """A valid ISBN or ISSN as its compact form (so it is routed to the identifier field); else unchanged."""
    compact = compact_identifier(raw)
    if isbn_mod.is_valid(compact) or (len(compact) == 8 and issn_mod.is_valid(compact)):
        return f" {compact} "
    return raw


def _is_identifier(text: str) -> bool:
    return len(text) in (8, 10, 13) and (isbn_mod.is_valid(text) or (len(text) == 8 and issn_mod.is_valid(text)))


def _parser(fields: tuple[str, ...]) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(fields), schema=SCHEMA, group=qparser.AndGroup)
    for plugin in (qparser.WildcardPlugin, qparser.RangePlugin, qparser.BoostPlugin, qparser.FieldsPlugin,
                   qparser.EveryPlugin, qparser.SingleQuotePlugin, qparser.OperatorsPlugin):
        parser.remove_plugin_class(plugin)
    # only the public fields' prefixes `_cleaned` writes (no colon the patron typed reaches the parser)
    parser.add_plugin(qparser.FieldsPlugin(expr=_FIELD_NAMES))
    # AND, OR and NOT only: no ANDNOT, ANDMAYBE or REQUIRE
    parser.add_plugin(qparser.OperatorsPlugin(AndNot=None, AndMaybe=None, Require=None))
    return parser


def _make_safe(node: query.Query) -> query.Query:
    """Route identifiers to the identifier field and make phrases exact (called bottom-up)."""
    if isinstance(node, query.Phrase):
        if node.fieldname not in TEXT_FIELDS:
            return query.NullQuery       # stemmed fields keep no positions
        node.slop = 1
        return node
    if isinstance(node, query.Term) and node.fieldname == "ident" and _is_identifier(node.text):
        return query.Or([query.Term("ident", form) for form in dict.fromkeys([node.text, *isbn_forms(node.text)])])
    if isinstance(node, (query.Or, query.And)) and node.subqueries:
        texts = {getattr(q, "text", None) for q in node.subqueries}
        if len(texts) == 1 and all(isinstance(q, query.Term) for q in node.subqueries):
            text = texts.pop()
            if isinstance(text, str) and _is_identifier(text):
                return query.Or([query.Term("ident", form) for form in dict.fromkeys([text, *isbn_forms(text)])])
    if not isinstance(node, (query.Term, query.Phrase, query.Or, query.And, query.Not, query.AndNot,
                             query.NullQuery.__class__, query.Every)):
        raise QueryError("That kind of search is not supported; use words, \"phrases\", AND, OR and NOT.", "unsupported")
    return node


def _tree(node: query.Query) -> qt.Node:
    """The query tree of a parsed, made-safe and normalised Whoosh query."""
    if isinstance(node, query.Term):
        return qt.Term(node.fieldname, node.text)
    if isinstance(node, query.Phrase):
        return qt.Phrase(node.fieldname, tuple(node.words))
    if isinstance(node, query.And):
        return qt.And(tuple(_tree(sub) for sub in node.subqueries))
    if isinstance(node, query.Or):
        return qt.Or(tuple(_tree(sub) for sub in node.subqueries))
    if isinstance(node, query.Not):
        return qt.Not(_tree(node.query))
    if isinstance(node, query.AndNot):
        return qt.And((_tree(node.a), qt.Not(_tree(node.b))))
    if isinstance(node, query.NumericRange) and node.fieldname == "year":
        return qt.YearRange(node.start, node.end)
    if isinstance(node, query.Every):
        return qt.MatchAll()
    if node is query.NullQuery:
        return qt.MatchNone()
    raise QueryError("That kind of search is not supported; use words, \"phrases\", AND, OR and NOT.", "unsupported")
