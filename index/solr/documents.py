"""Cluster documents for Solr: the Whoosh side's documents with every text field analysed in Python.

The fields and values are those of `index.documents.document_for`; each text
field's value becomes the tokens the Whoosh schema's analyser gives
(`index.querytree.analyse`), joined by spaces, and Solr's fields for them
split on whitespace only. So a word matches on Solr exactly when it matches
on Whoosh, in every language, by construction.
"""

from __future__ import annotations

from index.querytree import analyse
from index.schema import FACET_FIELDS, LANGUAGE_FIELDS, MATCH_FIELD, TEXT_FIELDS

VALUE_FIELDS = ("id", "ident", "work", "year", "title_sort", "author_sort", "holders", "payload",
                *FACET_FIELDS.values())
NO_TITLE_LENGTH = 999
SPELLING_FIELDS = ("title", "authors", "subjects")


def solr_document(doc: dict) -> dict:
    """The Solr document of a Whoosh document (from `index.documents.document_for`)."""
    out = {name: doc[name] for name in VALUE_FIELDS if doc.get(name) not in (None, "", [])}
    for name in TEXT_FIELDS + LANGUAGE_FIELDS:
        if doc.get(name):
            tokens = analyse(name, doc[name])
            if tokens:
                out[name] = " ".join(tokens)
    # `text` is the text fields' words again, through the same folding analyser: their tokens, joined
    # (analysing the joined text once more would double the cost of a document for the same tokens)
    out[MATCH_FIELD] = " ".join(out[name] for name in TEXT_FIELDS if name in out)
    out["spell"] = " ".join(out[name] for name in SPELLING_FIELDS if name in out)
    # ranking among equals: most holders first, then the shortest (most specific) title, as on Whoosh
    out["title_length"] = len(doc.get("title_sort") or "") or NO_TITLE_LENGTH
    return out
