"""Match keys: the values under which two records of one edition can find each other."""

from __future__ import annotations

import re
from functools import lru_cache

from normalise import Record
from normalise import fold as _fold

# folding is pure and the same titles and names come back pair after pair
fold = lru_cache(maxsize=262_144)(_fold)

# identifiers that can identify an edition on their own (with agreeing titles)
STRONG_KINDS = ("isbn", "issn", "ismn", "ean", "oclc", "lccn", "nbn")
# keys that only find candidates; the pairwise decision needs more
WEAK_KINDS = ("isbnz", "tay", "ty")
_LONG_WORD = re.compile(r"\w{4,}")


def match_keys(record: Record) -> set[tuple[str, str]]:
    """Identifier keys, cancelled ISBNs, and title keys for records without identifiers."""
    keys = {(kind, value) for kind in STRONG_KINDS for value in record.ids(kind)}
    keys |= {("isbnz", i.value) for i in record.identifiers if i.kind == "isbn" and i.cancelled and i.valid}
    title_key = title_author_key(record)
    if title_key:
        keys.add(("tay", title_key))
    short = title_year_key(record)
    if short:
        keys.add(("ty", short))
    return keys


def title_author_key(record: Record) -> str:
    """The work key and the year: copies of one edition share it."""
    work = work_key(record)
    return f"{work}|{record.year or ''}" if work else ""


def work_key(record: Record) -> str:
    """The filing title cut short and the main author's surname: editions of one work share it.

    As RecordManager does: the title is cut after its fourth long word or 35
    characters, so subtitles and punctuation do not keep copies apart.
    """
    title = fold(record.title_sort or record.title)
    if not title:
        return ""
    cut, long_words = [], 0
    for word in title.split():
        cut.append(word)
        long_words += bool(_LONG_WORD.fullmatch(word))
        if long_words >= 4 or len(" ".join(cut)) >= 35:
            break
    authors = record.authors
    surname = fold(authors[0].split(",")[0]).split(" ")[0] if authors else ""
    return f"{' '.join(cut)}|{surname}"


def title_year_key(record: Record) -> str:
    """The first two long words of the title and the year: finds copies whose author is missing or misspelt."""
    words = [w for w in fold(record.title_sort or record.title).split() if _LONG_WORD.fullmatch(w)][:2]
    return f"{' '.join(words)}|{record.year}" if words and record.year else ""
