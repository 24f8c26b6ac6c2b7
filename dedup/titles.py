"""Title agreement for the content routes: near-identical titles, where a typo agrees and another word does not.

A ratio of 0.9 (difflib) lets a one-letter typo through in a long title but
not in a short one ("Pastoral" / "Psatoral" is 0.875), and lets a whole
word through in a long one ("... 27 juillet 1794" / "... 27 juin 1794").
So titles whose compact forms are one edit apart agree at any length, and
titles that agree only by the ratio must not differ by a word.
"""

from __future__ import annotations

from functools import lru_cache

from normalise import fold as _fold

fold = lru_cache(maxsize=262_144)(_fold)
CLOSE = 0.9                 # the ratio that made titles agree before one edit did
MIN_ONE_EDIT = 5            # shorter titles one edit apart are other words ("Fiat" / "Flat"), not typos
WORD = 4                    # shorter words ("and", "de", "&") differ between catalogues without meaning much


def titles_agree(ratio: float, main_a: str, main_b: str) -> bool:
    """Folded main titles (articles dropped) agree: one edit apart, or alike by `ratio` with no word differing."""
    if main_a == main_b:
        return True
    compact_a, compact_b = main_a.replace(" ", ""), main_b.replace(" ", "")
    if min(len(compact_a), len(compact_b)) >= MIN_ONE_EDIT and one_edit_apart(compact_a, compact_b):
        return True
    return ratio >= CLOSE and not words_differ(main_a, main_b)


def words_differ(main_a: str, main_b: str) -> bool:
    """A word of `WORD` letters or more in one title has no counterpart within one edit in the other."""
    words_a, words_b = set(main_a.split()), set(main_b.split())
    only_a, only_b = words_a - words_b, words_b - words_a
    return _unmatched(only_a, only_b) or _unmatched(only_b, only_a)


def _unmatched(words: set[str], others: set[str]) -> bool:
    return any(len(w) >= WORD and not any(one_edit_apart(w, o) for o in others) for w in words)


def one_edit_apart(x: str, y: str) -> bool:
    """At most one letter added, dropped, changed, or two neighbours transposed."""
    if x == y:
        return True
    if abs(len(x) - len(y)) > 1:
        return False
    start = 0
    while start < min(len(x), len(y)) and x[start] == y[start]:
        start += 1
    if len(x) == len(y):
        if x[start + 1:] == y[start + 1:]:
            return True
        return x[start:start + 2] == y[start:start + 2][::-1] and x[start + 2:] == y[start + 2:]
    longer, shorter = (x, y) if len(x) > len(y) else (y, x)
    return longer[start + 1:] == shorter[start:]
