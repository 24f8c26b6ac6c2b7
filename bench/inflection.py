"""Benchmark: how many inflected searches meet the word of a real title, per analyser candidate.

Reads bench/data/inflection_pairs.tsv (a word of a real BN, LIBRIS or Deichman
title and a form a patron might type, with the record it comes from) and
counts, per language, the pairs whose two words share a token under each
candidate, with the query typed as written and again without diacritics:

  folded        today's unstemmed fields: folding only (the baseline, in the same run)
  snowball      today's Snowball stemmer (Swedish, Norwegian; Whoosh has none for Polish)
  simplemma     simplemma's lemmatiser (pl, sv, nb)
  pystempel     the Stempel stemmer, Polimorf tables (Polish only)
  morfeusz2     Morfeusz 2's analyser, every lemma it offers (Polish only)
  unioncat      the index as built: every public field of the record's language
                (folded, Snowball, lemma), through index.querytree.analyse

Each candidate's tokens are folded at the end, as the index folds them. The
last column is the time each candidate took to load (its first call).

Usage: python bench/inflection.py [--pairs FILE] [--misses]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from normalise.text import fold  # noqa: E402

PAIRS = Path(__file__).with_name("data") / "inflection_pairs.tsv"
LANGUAGES = ("pl", "sv", "nb")
WHOOSH_STEMMERS = {"sv": "sv", "nb": "no"}
MARC = {"pl": "pol", "sv": "swe", "nb": "nob"}


@dataclass(frozen=True)
class Pair:
    lang: str
    title_word: str
    query: str
    source: str


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    """The pairs of the data file (comment lines start with #)."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, word, query, source, _title = line.split("\t")
            pairs.append(Pair(lang, word, query, source))
    return pairs


def folded(lang: str, word: str) -> set[str]:
    return {fold(word)}


def snowball(lang: str, word: str) -> set[str] | None:
    if lang not in WHOOSH_STEMMERS:
        return None
    from whoosh.lang import stemmer_for_language
    return {fold(stemmer_for_language(WHOOSH_STEMMERS[lang])(word.lower()))}


def simplemma(lang: str, word: str) -> set[str]:
    import simplemma as sm
    return {fold(sm.lemmatize(word, lang=lang))}


_STEMPEL = []


def pystempel(lang: str, word: str) -> set[str] | None:
    if lang != "pl":
        return None
    if not _STEMPEL:
        from pystempel import Stemmer
        with contextlib.redirect_stderr(io.StringIO()):      # its progress bar, drawn while loading
            _STEMPEL.append(Stemmer.polimorf())
    return {fold(_STEMPEL[0](word) or word)}


_MORFEUSZ = []


def morfeusz2(lang: str, word: str) -> set[str] | None:
    if lang != "pl":
        return None
    if not _MORFEUSZ:
        import morfeusz2 as mf
        _MORFEUSZ.append(mf.Morfeusz(generate=False, expand_tags=False))
    return {fold(lemma.split(":")[0]) for _s, _e, (_form, lemma, *_rest) in _MORFEUSZ[0].analyse(word)}


def unioncat(lang: str, word: str) -> set[str]:
    """Tokens per field, for every public field a record of `lang` is indexed in."""
    from index.documents import language_fields
    from index.querytree import analyse
    return {f"{field}:{token}" for field in ("title", *language_fields([MARC[lang]]))
            for token in analyse(field, word)}


CANDIDATES = {"folded": folded, "snowball": snowball, "simplemma": simplemma, "pystempel": pystempel,
              "morfeusz2": morfeusz2, "unioncat": unioncat}


def meets(candidate, pair: Pair, query: str) -> bool | None:
    """Whether the query and the title's word share a token (None: the candidate has no such language)."""
    title, typed = candidate(pair.lang, pair.title_word), candidate(pair.lang, query)
    if title is None or typed is None:
        return None
    return bool(title & typed)


def measure(pairs: list[Pair], show_misses: bool) -> None:
    print(f"{len(pairs)} pairs from {PAIRS.name}: " +
          ", ".join(f"{lang} {sum(p.lang == lang for p in pairs)}" for lang in LANGUAGES))
    print("candidate   | " + " | ".join(f"{lang} typed | {lang} no diacritics" for lang in LANGUAGES)
          + " | all typed | all no diacritics | load s")
    for name, candidate in CANDIDATES.items():
        started = time.perf_counter()
        for lang in LANGUAGES:
            candidate(lang, "a")
        load = time.perf_counter() - started
        row, total = [], {True: [0, 0], False: [0, 0]}
        for lang in LANGUAGES:
            for with_marks in (True, False):
                mine = [p for p in pairs if p.lang == lang]
                results = [meets(candidate, p, p.query if with_marks else fold(p.query)) for p in mine]
                if None in results:
                    row.append("–")
                    continue
                hits = sum(results)
                total[with_marks][0] += hits
                total[with_marks][1] += len(mine)
                row.append(f"{hits}/{len(mine)} ({100 * hits / len(mine):.0f}%)")
                if show_misses:
                    missed = [f"{p.title_word}/{p.query if with_marks else fold(p.query)}"
                              for p, hit in zip(mine, results) if not hit]
                    print(f"  {name} {lang} {'typed' if with_marks else 'folded'} misses: {', '.join(missed)}")
        totals = [f"{hits}/{n} ({100 * hits / n:.0f}%)" if n else "–" for hits, n in (total[True], total[False])]
        print(f"{name:<11} | " + " | ".join(row + totals) + f" | {load:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--misses", action="store_true", help="list the pairs each candidate misses")
    args = parser.parse_args()
    measure(load_pairs(args.pairs), args.misses)


if __name__ == "__main__":
    main()
