"""Match keys: the values under which two records of one edition can find each other."""

from __future__ import annotations

import re

from normalise import Record, fold

# kind -> how much a shared value of this kind says on its own
STRONG_KINDS = ("isbn", "issn", "ismn", "ean", "oclc", "lccn", "nbn")
_LONG_WORD = re.compile(r"\w{4,}")


def match_keys(record: Record) -> set[tuple[str, str]]:
    """Identifier keys plus one title-author-year key."""
    keys = {(kind, value) for kind in STRONG_KINDS for value in record.ids(kind)}
    title_key = title_author_key(record)
    if title_key:
        keys.add(("tay", title_key))
    return keys


def title_author_key(record: Record) -> str:
    """The filing title cut short, the main author's surname and the year.

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
    return f"{' '.join(cut)}|{surname}|{record.year or ''}"
