"""Dictionary forms of words: Morfeusz 2 for Polish, simplemma for Swedish and Norwegian Bokmål.

The only user of `morfeusz2` and `simplemma`. Each was chosen by measured
recall over real titles (bench/inflection.py, the README's table): for Polish,
Morfeusz 2 meets every pair typed with diacritics and loads in a fraction of
a second; simplemma meets more Swedish and Norwegian pairs than Snowball. A
word can have several lemmas ("krakowie": Krak, Kraka, Kraków): all are kept,
so a search meets every reading of a word, and the unstemmed fields still rank
the exact word first.

Dictionaries load on first use (simplemma's Swedish and Norwegian ones take
a second or two each; its low-memory mode keeps them at about 30 MB). A word
the dictionary does not know is its own lemma, lower-cased.
"""

from __future__ import annotations

from functools import lru_cache

# our lemmatiser language code -> the MARC language codes whose records it lemmatises
LANGUAGES = {"pl": ("pol",), "sv": ("swe",), "nb": ("nob", "nor")}
CACHE_SIZE = 200_000
_SKIPPED_TAGS = ("aglt", "interp")     # agglutinated "-em", "-ś" (być) and punctuation are not the word


def lemmas(lang: str, word: str) -> tuple[str, ...]:
    """The dictionary forms of the lower-cased `word` in `lang` (one of LANGUAGES), lower-cased."""
    return _LEMMATISERS[lang](word)


@lru_cache(maxsize=CACHE_SIZE)
def _polish(word: str) -> tuple[str, ...]:
    found = []
    for start, _end, (_form, lemma, tag, *_rest) in _morfeusz().analyse(word):
        if start == 0 and not tag.startswith(_SKIPPED_TAGS):
            found.append(lemma.split(":", 1)[0].lower())     # "zamek:Sm3~a": the lemma, then its homonym
    return tuple(dict.fromkeys(f for f in found if f)) or (word,)


@lru_cache(maxsize=None)
def _morfeusz():
    import morfeusz2

    return morfeusz2.Morfeusz(generate=False, expand_tags=False)


def _simplemma(lang: str):
    @lru_cache(maxsize=CACHE_SIZE)
    def lemmatise(word: str) -> tuple[str, ...]:
        import simplemma

        return (simplemma.lemmatize(word, lang=lang, low_memory=True).lower(),)

    return lemmatise


_LEMMATISERS = {"pl": _polish, "sv": _simplemma("sv"), "nb": _simplemma("nb")}
assert set(_LEMMATISERS) == set(LANGUAGES), "every lemma language has its lemmatiser"
