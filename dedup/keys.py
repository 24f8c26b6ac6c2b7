"""Match keys: the values under which two records of one edition can find each other.

Exact keys (identifiers, the RecordManager-style title and author key) find
copies catalogued alike. The typo keys find copies whose titles differ by
one edit anywhere, the first letter included: the compact title (folded,
without leading article, spaces or punctuation) is keyed by its first and
its last `EDGE` characters, and one edit can reach only one of the two when
the title is longer than twice `EDGE` (each end is keyed with the title's
length, and with that length plus one); a shorter title is keyed by itself
and every form of it with one character deleted (a dropped, added, changed
or transposed letter leaves a deleted form in common). Every title key
carries the year: copies of one edition share it, and it keeps buckets small.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dedup.decide import ARTICLES, main_title
from normalise import Record
from normalise import fold as _fold

# folding is pure and the same titles and names come back pair after pair
fold = lru_cache(maxsize=262_144)(_fold)

# identifiers that can identify an edition on their own (with agreeing titles)
STRONG_KINDS = ("isbn", "issn", "ismn", "ean", "oclc", "lccn", "nbn")
# keys that only find candidates; the pairwise decision needs more
WEAK_KINDS = ("isbnz", "tay", "ty", "tp", "ts", "td")
# the candidate keys before the typo keys came (issue 19)
BEFORE_TYPO_KEYS = frozenset((*STRONG_KINDS, "isbnz", "tay", "ty"))
# stored keys made by an older version are replaced once, in batches, by the first dedup run after an upgrade
KEYS_VERSION = 2
# characters of a long compact title keyed at each end: 8 found no more pairs in bench/dedup.py and made 40%
# more keys (short titles get deleted forms), and an author-and-year key found almost none the title keys did not
EDGE = 6
MIN_DELETED = 4              # a shorter title is keyed only as it is: its deleted forms would find anything
_LONG_WORD = re.compile(r"\w{4,}")


def match_keys(record: Record) -> set[tuple[str, str]]:
    """Identifier keys, cancelled ISBNs, title keys and typo keys."""
    keys = {(kind, value) for kind in STRONG_KINDS for value in record.ids(kind)}
    keys |= {("isbnz", i.value) for i in record.identifiers if i.kind == "isbn" and i.cancelled and i.valid}
    title_key = title_author_key(record)
    if title_key:
        keys.add(("tay", title_key))
    short = title_year_key(record)
    if short:
        keys.add(("ty", short))
    keys |= typo_keys(record)
    return keys


def typo_keys(record: Record) -> set[tuple[str, str]]:
    """Keys that survive one edit in the title, with the year: "tp" and "ts" its ends, "td" its deleted forms."""
    if not record.year:
        return set()
    keys = set()
    compact = compact_title(record)
    if len(compact) >= 2 * EDGE + 1:
        # with the title's length and the length one letter longer: one edit changes the length by one at most,
        # so copies still share a key, and ends common to many titles ("histoi") find only titles of their length
        for length in (len(compact), len(compact) + 1):
            keys |= {("tp", f"{compact[:EDGE]}|{length}|{record.year}"), ("ts", f"{compact[-EDGE:]}|{length}|{record.year}")}
    if compact and len(compact) <= 2 * EDGE + 1:
        keys |= {("td", f"{form}|{record.year}") for form in _deleted_forms(compact)}
    return keys


def compact_title(record: Record) -> str:
    """The folded main title without a leading article, spaces or punctuation."""
    words = fold(main_title(record)).split()
    if len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return "".join(words)


@lru_cache(maxsize=65_536)
def _deleted_forms(text: str) -> frozenset[str]:
    if len(text) < MIN_DELETED:
        return frozenset((text,))
    return frozenset((text, *(text[:i] + text[i + 1:] for i in range(len(text)))))


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
