"""A cluster in other formats: schema.org JSON-LD, RIS, BibTeX and its members' MARCXML."""

from __future__ import annotations

import re

import pymarc

from dedup import ClusterView
from normalise import MarcReadError, parse_raw
from web.helpers import safe_url

RIS_TYPES = {"book": "BOOK", "ebook": "EBOOK", "serial": "JFULL", "ejournal": "EJOUR", "article": "JOUR",
             "map": "MAP", "score": "MUSIC", "music_recording": "SOUND", "sound_recording": "SOUND",
             "audiobook": "SOUND", "video": "VIDEO", "dvd": "VIDEO", "bluray": "VIDEO", "computer_file": "COMP",
             "image": "ART", "manuscript": "MANSCPT", "kit": "GEN", "object": "GEN", "mixed": "GEN"}
BIBTEX_TYPES = {"book": "book", "ebook": "book", "article": "article", "manuscript": "unpublished"}
SCHEMA_TYPES = {"book": "Book", "ebook": "Book", "audiobook": "Audiobook", "serial": "Periodical",
                "ejournal": "Periodical", "article": "ScholarlyArticle", "map": "Map", "score": "SheetMusic",
                "music_recording": "MusicRecording", "sound_recording": "AudioObject", "video": "Movie",
                "dvd": "Movie", "bluray": "Movie", "computer_file": "SoftwareApplication", "image": "VisualArtwork",
                "manuscript": "Manuscript"}
MARCXML_NS = "http://www.loc.gov/MARC21/slim"


def isbns(view: ClusterView) -> list[str]:
    """The valid ISBNs of a cluster."""
    return list(dict.fromkeys(i.value for i in view.identifiers if i.kind == "isbn" and i.valid and not i.cancelled))


def web_links(view: ClusterView) -> list:
    """The cluster's electronic locations that are http or https addresses."""
    return [link for link in view.links if safe_url(link.url)]


def json_ld(view: ClusterView, permalink: str, libraries: list[dict]) -> dict:
    """schema.org description of the cluster, with one offer per holding member library."""
    record = view.record
    data = {
        "@context": "https://schema.org", "@type": SCHEMA_TYPES.get(record.format, "CreativeWork"),
        "@id": permalink, "url": permalink, "name": view.title,
        "author": [{"@type": "Person", "name": name} for name in record.authors],
        "datePublished": str(record.year) if record.year else None,
        "publisher": {"@type": "Organization", "name": record.publisher} if record.publisher else None,
        "bookEdition": record.edition or None, "isbn": isbns(view) or None,
        "inLanguage": view.languages or None, "about": [s.heading for s in view.subjects] or None,
        "sameAs": [safe_url(link.url) for link in web_links(view)] or None,
        "offers": [{"@type": "Offer", "businessFunction": "http://purl.org/goodrelations/v1#LeaseOut",
                    "offeredBy": {"@type": "Library", "name": group["name"]}} for group in libraries] or None,
    }
    return {key: value for key, value in data.items() if value is not None}


def ris(view: ClusterView, permalink: str) -> str:
    """The cluster as one RIS reference."""
    record = view.record
    lines = [("TY", RIS_TYPES.get(record.format, "GEN")), ("TI", view.title)]
    lines += [("AU", name) for name in record.authors]
    lines += [("PY", str(record.year) if record.year else ""), ("PB", record.publisher), ("CY", record.place),
              ("ET", record.edition)]
    lines += [("SN", value) for value in isbns(view)]
    lines += [("LA", code) for code in view.languages] + [("KW", s.heading) for s in view.subjects]
    lines += [("UR", permalink)] + [("L2", safe_url(link.url)) for link in web_links(view)]
    lines += [("ID", view.id)]
    body = "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines if value)
    return body + "ER  - \r\n"


def bibtex(view: ClusterView, permalink: str) -> str:
    """The cluster as one BibTeX entry."""
    record = view.record
    fields = [("title", view.title), ("author", " and ".join(record.authors)),
              ("year", str(record.year) if record.year else ""), ("publisher", record.publisher),
              ("address", record.place), ("edition", record.edition), ("isbn", ", ".join(isbns(view))),
              ("url", permalink)]
    body = ",\n".join(f"  {name} = {{{_bibtex_escape(value)}}}" for name, value in fields if value)
    key = re.sub(r"[^A-Za-z0-9]", "", view.id) or "record"
    return f"@{BIBTEX_TYPES.get(record.format, 'misc')}{{{key},\n{body}\n}}\n"


def marcxml(members) -> bytes:
    """A MARCXML collection of the member records as harvested (`StoredRecord`s)."""
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n', f'<collection xmlns="{MARCXML_NS}">\n'.encode()]
    for stored in members:
        if not stored.raw:
            continue
        try:
            record, _flags = parse_raw(stored.raw, stored.raw_format)
        except MarcReadError:
            continue
        parts.append(pymarc.record_to_xml(record, namespace=False) + b"\n")
    parts.append(b"</collection>\n")
    return b"".join(parts)


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _bibtex_escape(value: str) -> str:
    value = _one_line(value)
    for char, escaped in (("\\", r"\textbackslash{}"), ("{", r"\{"), ("}", r"\}"), ("&", r"\&"), ("%", r"\%"),
                          ("$", r"\$"), ("#", r"\#"), ("_", r"\_")):
        value = value.replace(char, escaped)
    return value.replace(r"\textbackslash\{\}", r"\textbackslash{}")
