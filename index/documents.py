"""Index documents from displayed cluster records, and hits back into plain data."""

from __future__ import annotations

import json

from stdnum import isbn as isbn_mod

from dedup import ClusterView
from normalise.text import fold


def document_for(view: ClusterView, source_names: dict[str, str]) -> dict:
    """The Whoosh document of a cluster."""
    record = view.record
    members = view.members
    sources = view.sources
    return {
        "id": view.id,
        "title": " ".join(filter(None, [record.title, *(r.title for r in members if r.title != record.title),
                                        *record.vernacular.get("245", [])])),
        "authors": " ; ".join(dict.fromkeys(name for r in members for name in r.authors)),
        "subjects": " ; ".join(s.heading for s in view.subjects),
        "series": " ; ".join(dict.fromkeys(s for r in members for s in r.series)),
        "publisher": " ; ".join(dict.fromkeys(r.publisher for r in members if r.publisher)),
        "notes": " ".join([record.summary, *record.notes])[:5000],
        "isbn": ",".join(_isbn_forms(view) + [i.value for i in view.identifiers if i.kind in ("issn", "ismn", "ean")]),
        "title_sort": fold(record.title_sort or record.title)[:100],
        "year": record.year if record.year and 0 < record.year < 65000 else None,
        "holders": len(sources),
        "library": sources,
        "format": [record.format],
        "language": view.languages[:5],
        "payload": json.dumps(_payload(view, source_names), ensure_ascii=False),
    }


def _isbn_forms(view: ClusterView) -> list[str]:
    out = []
    for ident in view.identifiers:
        if ident.kind == "isbn" and ident.valid:
            out.append(ident.value)
            ten = isbn_mod.to_isbn10(ident.value) if ident.value.startswith("978") else None
            if ten:
                out.append(ten.lower())
    return list(dict.fromkeys(out))


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
    return {
        "id": view.id, "title": record.title, "authors": record.authors[:5], "year": record.year,
        "format": record.format, "holdings": list(holdings.values()),
    }
