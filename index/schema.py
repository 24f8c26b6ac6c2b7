"""The Whoosh schema over clusters, and its analysers.

Every text field is folded ("Łódź", "LODZ" and "lodz" index alike). Beside
the unstemmed fields there is one stemmed field per catalogue language that
Whoosh has a Snowball stemmer for; a cluster's text goes into the stemmed
field of each of its languages, so "books" finds "book" in English records
and "böckerna" finds "böcker" in Swedish ones. Beside them, one lemma field per
language that `index.lemmas` has a lemmatiser for (Polish, Swedish, Norwegian
Bokmål) holds each word's dictionary forms, so "warszawy" meets "Warszawie"
and "bok" meets "böcker". A record's words go into the fields of its own
languages (008/041); a query is analysed for every language field (a
patron's query does not say its language).

UNIONCAT_LEMMAS=off in the environment leaves the lemma fields out (the
benchmark's "before"; an index must be built and searched with one setting).

Facet fields keep their values in per-document list columns: faceting reads
them for the matched documents instead of un-inverting the whole field.
"""

from __future__ import annotations

import os

from whoosh import analysis, columns, fields, formats

from index import lemmas
from index.results import FACETS
from normalise.text import fold

# Whoosh stemmer code -> the MARC language codes whose records it stems
STEM_LANGUAGES = {
    "en": ("eng",), "sv": ("swe",), "no": ("nor", "nob", "nno"), "da": ("dan",), "de": ("ger", "deu"),
    "fr": ("fre", "fra"),
}
STEM_FIELDS = tuple(f"stem_{code}" for code in STEM_LANGUAGES)
# lemmatiser code -> the MARC language codes whose records it lemmatises
LEMMA_LANGUAGES = {} if os.environ.get("UNIONCAT_LEMMAS") == "off" else dict(lemmas.LANGUAGES)
LEMMA_FIELDS = tuple(f"lemma_{code}" for code in LEMMA_LANGUAGES)
# the fields analysed per language: a record's words go into those of its languages
LANGUAGE_FIELDS = STEM_FIELDS + LEMMA_FIELDS
# what the search box reaches; the fielded search reaches one field each
TEXT_FIELDS = ("title", "authors", "subjects", "series", "publisher", "notes")
# every word of TEXT_FIELDS again, without positions or frequencies: matching a word
# anywhere reads one short postings list instead of six positional ones
MATCH_FIELD = "text"
PUBLIC_FIELDS = TEXT_FIELDS + LANGUAGE_FIELDS + ("ident",)
# facet name -> the index field holding its values
# library: the member catalogues holding a cluster; branch: the libraries within them ("member|code"),
# for members whose holdings name their libraries (a shared catalogue of many, such as Libris)
FACET_FIELDS = {"library": "library", "branch": "branch", "online": "online", "collection": "collection",
                "format": "format", "language": "language",
                "year": "decade", "subject": "subject_facet", "author": "author_facet"}
assert tuple(FACET_FIELDS) == FACETS, "every facet of a search has its index field"
LIST_FACETS = ("library", "branch", "collection", "language", "subject", "author")   # several values per cluster
VALUE_SEPARATOR = "\x1f"


class FoldingTokenizer(analysis.RegexTokenizer):
    """Words of the folded text: the whole value is folded once, then split."""

    def __init__(self):
        super().__init__(r"\w+")

    def __call__(self, value, **kwargs):
        # ASCII needs only lower-casing: the word pattern already drops punctuation
        return super().__call__(value.lower() if value.isascii() else fold(value), **kwargs)


class FoldFilter(analysis.Filter):
    """Fold each token as matching does, after stemming has seen the diacritics."""

    def __call__(self, tokens):
        for token in tokens:
            if not token.text.isascii():
                token.text = fold(token.text)
            if token.text:
                yield token


class LemmaFilter(analysis.Filter):
    """Each token's dictionary forms in one language (`index.lemmas`), each a token at the word's position."""

    def __init__(self, lang: str):
        self.lang = lang

    def __eq__(self, other):
        return type(other) is type(self) and other.lang == self.lang

    def __call__(self, tokens):
        for token in tokens:
            for lemma in lemmas.lemmas(self.lang, token.text):
                token.text = lemma
                yield token


class ValuesTokenizer(analysis.Tokenizer):
    """Each whole value of a list (or of a string joined by VALUE_SEPARATOR) is one token."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        values = value.split(VALUE_SEPARATOR) if isinstance(value, str) else value
        token = analysis.Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, text in enumerate(dict.fromkeys(v for v in values if v)):
            token.text = token.original = text
            token.stopped = False
            token.boost = 1.0
            if positions:
                token.pos = start_pos + pos
            yield token


def folding_analyzer() -> analysis.Analyzer:
    """Words, folded, unstemmed: the same for every language."""
    return FoldingTokenizer()


def stemming_analyzer(lang: str) -> analysis.Analyzer:
    """Words, lower-cased, stemmed with the Snowball stemmer of `lang`, then folded."""
    return (analysis.RegexTokenizer(r"\w+") | analysis.LowercaseFilter()
            | analysis.StemFilter(lang=lang, cachesize=100_000) | FoldFilter())


def lemma_analyzer(lang: str) -> analysis.Analyzer:
    """Words, lower-cased, as their dictionary forms in `lang`, then folded."""
    return analysis.RegexTokenizer(r"\w+") | analysis.LowercaseFilter() | LemmaFilter(lang) | FoldFilter()


class FacetValues(fields.FieldType):
    """Exact values (not analysed) indexed as terms and kept in a per-document list column."""

    def __init__(self):
        self.format = formats.Existence()
        self.analyzer = ValuesTokenizer()
        self.scorable = False
        self.stored = False
        self.unique = False
        self.vector = None
        self.column_type = columns.VarBytesListColumn()

    def to_column_value(self, value):
        values = value.split(VALUE_SEPARATOR) if isinstance(value, str) else value
        return [v.encode("utf-8") for v in dict.fromkeys(values) if v]

    def from_column_value(self, value):
        return [v.decode("utf-8") for v in value]


def matching_only(analyzer: analysis.Analyzer) -> fields.TEXT:
    """A text field that records only which documents hold a word: for matching, never for scoring."""
    field = fields.TEXT(analyzer=analyzer, phrase=False)
    field.format = formats.Existence()
    field.scorable = False
    return field


def make_schema() -> fields.Schema:
    """The index schema."""
    text = folding_analyzer()
    stemmed = {name: matching_only(stemming_analyzer(code)) for name, code in zip(STEM_FIELDS, STEM_LANGUAGES)}
    lemmatised = {name: matching_only(lemma_analyzer(code)) for name, code in zip(LEMMA_FIELDS, LEMMA_LANGUAGES)}
    for field in lemmatised.values():
        field.multitoken_query = "or"       # a word with several lemmas meets any of them
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text, field_boost=4.0),
        authors=fields.TEXT(analyzer=text, field_boost=2.5),
        subjects=fields.TEXT(analyzer=text, field_boost=1.5),
        series=fields.TEXT(analyzer=text),
        publisher=fields.TEXT(analyzer=text, field_boost=0.5),
        notes=fields.TEXT(analyzer=text, field_boost=0.5),
        text=matching_only(text),
        ident=FacetValues(),
        year=fields.NUMERIC(int, bits=16, sortable=True, default=0),
        title_sort=fields.ID(sortable=True),
        author_sort=fields.ID(sortable=True),
        holders=fields.NUMERIC(int, bits=16, sortable=True, default=0),
        work=fields.ID(),
        payload=fields.STORED,
        **{field: FacetValues() for field in FACET_FIELDS.values()},
        **stemmed,
        **lemmatised,
    )
