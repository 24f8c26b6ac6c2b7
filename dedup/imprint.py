"""What two records without an author must share to be one edition: publisher, year and extent, and for
articles and chapters the host item and pages.

Each check returns the evidence that agreed, or None; a value missing on
either side never counts as agreement.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from functools import lru_cache

from normalise import Record
from normalise import fold as _fold

# folding is pure and the same names come back pair after pair
fold = lru_cache(maxsize=65_536)(_fold)

# words that name a publisher's trade, not the publisher: "Otava" and "Kustannusosakeyhtiö Otava" are one
_TRADE_WORDS = {"publisher", "publishers", "publishing", "press", "verlag", "inc", "ltd", "co", "oy", "ab", "as",
                "forlag", "forlaget", "kustannus", "kustannusosakeyhtio", "wydawnictwo", "wydawn", "wyd", "sp", "z", "o",
                "oo", "and", "the", "et", "och", "og", "i", "company", "gmbh", "s", "a"}
# "sine nomine" and its translations: the publisher is unknown, which agrees with nothing
_UNKNOWN = {"s n", "sn", "sine nomine", "b w", "bw", "publisher not identified", "wydawca nieznany", "utgivare okand",
            "s l s n", "x"}
_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)")
_PAGE = re.compile(r"\b(?:s|p|pp|str|sid|side)\.?\s*(\d+)")
SAME_EXTENT = 2              # pages either way: a cataloguer counting an unnumbered leaf or not
SUBTITLE_AGREEMENT = 0.8     # both subtitles present: they must be this alike


def publishers_agree(a: Record, b: Record) -> str | None:
    """The same publisher, trade words aside, or one name inside the other ("PWN" in "Wydawnictwo Naukowe PWN")."""
    words_a, words_b = _publisher_words(a.publisher), _publisher_words(b.publisher)
    if not words_a or not words_b or not (words_a <= words_b or words_b <= words_a):
        return None
    return f"same publisher {a.publisher}" if words_a == words_b else f"publishers agree: {a.publisher} / {b.publisher}"


def years_agree(a: Record, b: Record) -> str | None:
    return f"same year {a.year}" if a.year and b.year and a.year == b.year else None


def extents_agree(a: Record, b: Record) -> str | None:
    """Page counts within `SAME_EXTENT`, or, with no page count on either side, the same extent statement."""
    if a.pages and b.pages:
        return f"same extent {a.pages} and {b.pages} pages" if abs(a.pages - b.pages) <= SAME_EXTENT else None
    if not a.pages and not b.pages and fold(a.physical) and fold(a.physical) == fold(b.physical):
        return f"same extent {a.physical}"
    return None


def hosts_agree(a: Record, b: Record) -> str | None:
    """Articles and chapters: the same host item (773) and the same pages in it."""
    if not a.host or fold(a.host) != fold(b.host):
        return None
    pages_a, pages_b = article_pages(a), article_pages(b)
    return f"same host {a.host}, pages {pages_a}" if pages_a and pages_a == pages_b else None


def article_pages(record: Record) -> str:
    """The pages an article or chapter occupies, from its host entry (773 $g) or extent: "45-67", or "" when unsaid."""
    for text in (record.host, record.physical):
        if match := _RANGE.search(text):
            return f"{match.group(1)}-{match.group(2)}"
        if match := _PAGE.search(fold(text)):
            return match.group(1)
    return ""


def subtitles_agree(a: Record, b: Record, main_a: str, main_b: str) -> bool:
    """Both subtitles, when both records have one, alike: for a generic title ("Katalog wystawy") the subtitle names the book."""
    rest_a, rest_b = _rest(a, main_a), _rest(b, main_b)
    return not rest_a or not rest_b or SequenceMatcher(None, rest_a, rest_b, autojunk=False).ratio() >= SUBTITLE_AGREEMENT


def _rest(record: Record, main: str) -> str:
    """The title after the main title, without the statement of parts."""
    full, head, part = fold(record.title), fold(main), fold(record.part)
    if part and full.endswith(part):
        full = full[: -len(part)].rstrip()
    return full[len(head):].strip() if full.startswith(head) else ""


def _publisher_words(publisher: str) -> frozenset[str]:
    folded = fold(publisher)
    return frozenset() if folded in _UNKNOWN else frozenset(folded.split()) - _TRADE_WORDS
