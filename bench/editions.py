"""Generated editions at any size, for store-sized benchmarks and tests.

A base corpus from bench/dedup.py's generator (real titles, authors,
publishers and years recombined into editions, each copied into up to four
member catalogues with that member's variants, real MARC run through the
normaliser) is made once; a larger store is shards of clones of it, each
shard with its own first title word and its own ISBNs. A store ten times as
large thus holds ten times as many editions, not larger ones: a record has
as many candidates in a store of 20,000 as in one of 2,000, as in a real
catalogue that grows by new titles. Cloning a normalised record is about
twenty times faster than making and normalising its MARC.
"""

from __future__ import annotations

import copy

import logging
import pickle
import random
from dataclasses import dataclass

from stdnum import ean

from bench.dedup import corpus, seed_pools
from normalise import Record, normalise
from store import ClusterChange, ClusterPlan, IncomingRecord, Store

_SYLLABLES = ["ka", "lo", "mi", "ru", "te", "vo", "za", "ne", "pi", "do", "su", "ha", "ge", "bo", "ti", "wa"]


@dataclass
class Copy:
    """One member's record of an edition."""

    source: str
    local_id: str
    record: Record
    edition: int


def base_corpus(size: int, seed: int = 7) -> list[Copy]:
    """`size` normalised records from the generator of bench/dedup.py."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    made = corpus(size, random.Random(seed), seed_pools())
    return [Copy(source, local_id, normalise(marc, source), edition) for source, local_id, marc, edition in made]


def shard(base: list[Copy], number: int) -> list[Copy]:
    """Clones of `base` that are other editions: shard 0 is the base itself."""
    if number == 0:
        return base
    word = shard_word(number)
    editions = max(c.edition for c in base) + 1
    return [Copy(c.source, f"{c.local_id}-s{number}", _clone(c.record, f"{c.local_id}-s{number}", word, number),
                 c.edition + number * editions) for c in base]


def editions(base: list[Copy], size: int) -> list[Copy]:
    """`size` records: as many shards of `base` as needed."""
    out: list[Copy] = []
    number = 0
    while len(out) < size:
        out += shard(base, number)[: size - len(out)]
        number += 1
    return out


def shard_word(number: int) -> str:
    """A made-up word of at least four letters, its own for each shard number."""
    syllables = []
    while True:
        number, rest = divmod(number, len(_SYLLABLES))
        syllables.append(_SYLLABLES[rest])
        if number == 0 and len(syllables) >= 2:
            return "".join(syllables).capitalize()


def _clone(record: Record, local_id: str, word: str, number: int) -> Record:
    clone = pickle.loads(pickle.dumps(record, pickle.HIGHEST_PROTOCOL))   # five times faster than deepcopy
    clone.local_id = local_id
    clone.title = f"{word} {clone.title}".strip()
    clone.title_sort = f"{word} {clone.title_sort}".strip() if clone.title_sort else ""
    for identifier in clone.identifiers:
        if identifier.kind == "isbn" and len(identifier.value) == 13 and identifier.value.isdigit():
            identifier.value = other_isbn(identifier.value, number)
    return clone


def other_isbn(isbn: str, number: int) -> str:
    """A valid ISBN-13 of its own for each (ISBN, shard number)."""
    body = "978" + f"{(int(isbn[3:12]) + number * 104_729) % 10**9:09d}"
    return body + ean.calc_check_digit(body)


def fill(store: Store, copies: list[Copy], page: int = 5000) -> None:
    """Write the records into the store through its API, a page at a time (no harvest)."""
    for start in range(0, len(copies), page):
        store.write_page([IncomingRecord(c.source, c.local_id, b"", "marcxml", c.record)
                          for c in copies[start:start + page]])


def cluster_by_truth(store: Store, copies: list[Copy]) -> None:
    """Give a filled store the true clustering (one cluster per edition) and its match keys, as a dedup run would."""
    from dedup import match_keys
    from dedup.clusterer import new_id_candidates
    from dedup.keys import KEYS_VERSION

    edition = {(c.source, c.local_id): c.edition for c in copies}
    record_of = {(c.source, c.local_id): c.record for c in copies}
    ids = store.live_record_ids()
    facts = store.record_facts(ids)
    by_edition: dict[int, dict[int, dict]] = {}
    keys = {}
    for rid, info in sorted(facts.items()):
        source, _, local = info["public_id"].partition(":")
        by_edition.setdefault(edition[(source, local)], {})[rid] = {"matched": []}
        keys[rid] = match_keys(record_of[(source, local)])
    store.replace_match_keys(keys)
    store.set_dedup_state("keys_version", str(KEYS_VERSION))     # the keys are today's: no upgrade to make
    plans = [ClusterPlan(new_id_candidates(facts[min(members)]["public_id"])[0], members)
             for members in by_edition.values()]
    store.save_clusters(ClusterChange(plans, matched=set(ids)))


def with_new_title(record: Record) -> Record:
    """A copy of `record` as a member would send it after correcting its title."""
    clone = copy.deepcopy(record)
    clone.title += " (revised printing)"
    return clone


def as_new_record(record: Record, source: str, local_id: str) -> Record:
    """A copy of `record` as another member's new record."""
    clone = copy.deepcopy(record)
    clone.source, clone.local_id = source, local_id
    return clone
