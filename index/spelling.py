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
    """The most frequent indexed word within MAX_EDITS edits sharing the first letter."""
    if len(word) < 3:
        return ""
    best, best_freq = "", 0
    for field in SPELLING_FIELDS:
        for candidate in reader.terms_within(field, word, MAX_EDITS if len(word) > 4 else 1, prefix=1):
            freq = reader.doc_frequency(field, candidate)
            if freq > best_freq:
                best, best_freq = candidate, freq
    return best
