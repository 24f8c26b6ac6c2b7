"""Spelling suggestions: "did you mean" from the words of titles, authors and subjects."""

from __future__ import annotations

import re

from normalise.text import fold

SPELLING_FIELDS = ("title", "authors", "subjects")
MAX_EDITS = 2
_WORD = re.compile(r"\w+")
_OPERATORS = {"AND", "OR", "NOT"}


def suggest(searcher, text: str) -> str:
    """The query with each unknown word replaced by the most frequent close word, or "" if none helps."""
    reader = searcher.reader()
    changed = False

    def replace(match: re.Match) -> str:
        nonlocal changed
        word = match.group(0)
        if word in _OPERATORS or word.isdigit():
            return word
        folded = fold(word)
        if not folded or " " in folded or any((field, folded) in reader for field in SPELLING_FIELDS):
            return word
        better = _closest(reader, folded)
        if better:
            changed = True
            return better
        return word

    suggestion = _WORD.sub(replace, text)
    return suggestion if changed else ""


def _closest(reader, word: str) -> str:
    """The most frequent indexed word at the fewest edits (up to MAX_EDITS) sharing the first letter."""
    if len(word) < 3:
        return ""
    for edits in range(1, (MAX_EDITS if len(word) > 4 else 1) + 1):
        frequency: dict[str, int] = {}
        for field in SPELLING_FIELDS:
            for candidate in reader.terms_within(field, word, edits, prefix=1):
                frequency[candidate] = frequency.get(candidate, 0) + reader.doc_frequency(field, candidate)
        if frequency:
            return max(frequency, key=lambda c: (frequency[c], c))
    return ""
