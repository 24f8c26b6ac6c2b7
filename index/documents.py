"""Index documents from displayed cluster records."""

from __future__ import annotations

import json
import re

from stdnum import isbn as isbn_mod

from dedup import ClusterView
from dedup.keys import work_key as record_work_key
from index.results import BRANCH_SEPARATOR
from index.schema import LEMMA_LANGUAGES, STEM_LANGUAGES, TEXT_FIELDS
from normalise.text import fold


def _fields_by_marc_code() -> dict[str, list[str]]:
    """MARC language code -> the fields its words are analysed in (a Snowball stem, a lemma)."""
    out: dict[str, list[str]] = {}
    for prefix, languages in (("stem", STEM_LANGUAGES), ("lemma", LEMMA_LANGUAGES)):
        for code, marc_codes in languages.items():
            for marc in marc_codes:
                out.setdefault(marc, []).append(f"{prefix}_{code}")
    return out


_MARC_TO_FIELDS = _fields_by_marc_code()
_IDENTIFIER_KINDS = ("isbn", "issn", "ismn", "ean", "upc", "lccn", "oclc", "nbn", "urn", "doi")
MAX_NOTES = 3000


ONLINE = "online"


class SourceNames(dict):
    """Member names by code, knowing which members are licensed collections and regional bibliographies."""

    def __init__(self, names=(), *, licensed=(), regional=()):
        super().__init__(names)
        self.licensed = frozenset(licensed)
        self.regional = frozenset(regional)


def document_for(view: ClusterView, source_names: dict[str, str]) -> dict:
    """The Whoosh document of a cluster."""
    record, members = view.record, view.members
    titles = [record.title, *(r.title for r in members if r.title != record.title), *record.vernacular.get("245", [])]
    authors = list(dict.fromkeys(name for r in [record, *members] for name in r.authors))
    doc = {
        "id": view.id,
        "title": " ".join(filter(None, titles)),
        "authors": " ; ".join(authors),
        "subjects": " ; ".join(s.heading for s in view.subjects),
        "series": " ; ".join(dict.fromkeys(s for r in members for s in r.series)),
        # the place of publication too: patrons look for what was published in Kraków or Warszawa
        "publisher": " ; ".join(dict.fromkeys(text for r in members for text in (r.place, r.publisher) if text)),
        "notes": " ".join([record.summary, *record.notes])[:MAX_NOTES],
        "ident": identifier_terms(view),
        "title_sort": fold(record.title_sort or record.title)[:80],
        "author_sort": fold(authors[0])[:60] if authors else "",
        "holders": min(len(view.sources), 65000),
        "work": work_key(view),
        "library": view.sources,
        "branch": branch_values(view, getattr(source_names, "licensed", frozenset())),
        "online": [ONLINE] if set(view.sources) & getattr(source_names, "licensed", frozenset()) else [],
        "collection": [s for s in view.sources if s in getattr(source_names, "regional", frozenset())],
        "format": [record.format],
        "language": view.languages[:5],
        "subject_facet": list(dict.fromkeys(s.heading for s in view.subjects if s.kind != "genre"))[:12],
        "author_facet": authors[:6],
        "payload": json.dumps(_payload(view, source_names), ensure_ascii=False),
    }
    if record.year and 0 < record.year < 10000:
        doc["year"] = record.year
        doc["decade"] = [str(record.year // 10 * 10)]
    doc["text"] = " ".join(doc[name] for name in TEXT_FIELDS)
    doc.update(_language_text(view, doc))
    return doc


def language_fields(languages: list[str]) -> list[str]:
    """The stemmed and lemma fields that words of records in `languages` (MARC codes) are analysed in."""
    return list(dict.fromkeys(name for code in languages for name in _MARC_TO_FIELDS.get(code, ())))


def _language_text(view: ClusterView, doc: dict) -> dict:
    """The cluster's words for the stemmed and lemma fields of each of its languages."""
    # notes stay unstemmed: stemming them would double the largest part of the index for little gain
    # the place of publication (in "publisher") is analysed too: "krakowie" should find what was published in Kraków
    text = " ".join((doc["title"], doc["subjects"], doc["series"], doc["publisher"]))
    return {name: text for name in language_fields(view.languages)}


def branch_values(view: ClusterView, licensed: frozenset[str] = frozenset()) -> list[str]:
    """Each library the holdings name, as "member|library" (a member that is one library names none);
    a licensed collection has no shelves, so no libraries."""
    return sorted({f"{h.source}{BRANCH_SEPARATOR}{h.library}" for h in view.holdings
                   if h.library and h.library != h.source and h.source not in licensed})


def identifier_terms(view: ClusterView) -> list[str]:
    """Every identifier in the forms a patron may type, compacted: ISBNs as 13 and 10 digits."""
    out = []
    for ident in view.identifiers:
        if ident.kind not in _IDENTIFIER_KINDS or not ident.value:
            continue
        out.append(compact_identifier(ident.value))
        if ident.kind == "isbn" and ident.valid:
            out.extend(isbn_forms(ident.value))
    return list(dict.fromkeys(v for v in out if v))


def compact_identifier(value: str) -> str:
    """An identifier without hyphens, spaces or case: how both documents and queries store it."""
    return re.sub(r"[\s\-‐‑–]", "", value).lower()


def isbn_forms(value: str) -> list[str]:
    """The ISBN-13 and, for 978 numbers, the ISBN-10 of a valid ISBN."""
    try:
        thirteen = isbn_mod.to_isbn13(isbn_mod.compact(value))
        forms = [thirteen]
        if thirteen.startswith("978"):
            forms.append(isbn_mod.to_isbn10(thirteen).lower())
        return forms
    except Exception:
        return []


def work_key(view: ClusterView) -> str:
    """The key that editions of one work share (see `dedup.keys.work_key`)."""
    return record_work_key(view.record)


def _payload(view: ClusterView, source_names: dict[str, str]) -> dict:
    """What a results list shows, so a search needs no database read."""
    record = view.record
    holdings = {}
    for holding in view.holdings:
        entry = holdings.setdefault(holding.source, {"source": holding.source,
                                                     "name": source_names.get(holding.source, holding.source),
                                                     "libraries": []})
        label = holding.library_name or holding.library
        if label not in entry["libraries"]:
            entry["libraries"].append(label)
    isbns = [i.value for i in view.identifiers if i.kind == "isbn" and i.valid and not i.cancelled]
    return {
        "id": view.id, "title": record.title, "authors": record.authors[:5], "year": record.year,
        "format": record.format, "holdings": list(holdings.values()), "edition": record.edition,
        "publisher": record.publisher, "isbn": isbns[:1], "languages": view.languages[:3],
    }
