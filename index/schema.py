"""The Whoosh schema over clusters and the analyser that folds case and diacritics."""

from __future__ import annotations

from whoosh import analysis, columns, fields

from normalise.text import fold


class FoldFilter(analysis.Filter):
    """Fold each token as matching does: "Łódź" and "Lodz" index alike."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            if token.text:
                yield token


def folding_analyzer() -> analysis.Analyzer:
    """Words, folded; no stemming so that every catalogue language is treated alike."""
    return analysis.RegexTokenizer(r"\w+") | FoldFilter()


class ListKeyword(fields.KEYWORD):
    """A multi-valued keyword stored as a per-document list column, for fast facets."""

    def __init__(self, **kwargs):
        super().__init__(lowercase=False, commas=True, scorable=False, **kwargs)
        self.column_type = columns.VarBytesListColumn()

    def to_column_value(self, value):
        values = value.split(",") if isinstance(value, str) else value
        return [v.strip().encode("utf-8") for v in values if v.strip()]

    def from_column_value(self, value):
        return [v.decode("utf-8") for v in value]


# the fields a patron's query may reach; everything else is only for filters
PUBLIC_FIELDS = ("title", "authors", "subjects", "series", "publisher", "notes", "isbn")
FACET_FIELDS = ("library", "format", "language")


def make_schema() -> fields.Schema:
    """The index schema."""
    text = folding_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text, field_boost=4.0),
        authors=fields.TEXT(analyzer=text, field_boost=2.0),
        subjects=fields.TEXT(analyzer=text),
        series=fields.TEXT(analyzer=text),
        publisher=fields.TEXT(analyzer=text),
        notes=fields.TEXT(analyzer=text, field_boost=0.5),
        isbn=fields.KEYWORD(lowercase=True, commas=True),
        title_sort=fields.ID(sortable=True),
        year=fields.NUMERIC(int, bits=16, sortable=True, stored=True),
        holders=fields.NUMERIC(int, bits=16, sortable=True),
        library=ListKeyword(),
        format=ListKeyword(),
        language=ListKeyword(),
        payload=fields.STORED,
    )
