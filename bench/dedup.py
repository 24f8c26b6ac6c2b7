"""Benchmark: deduplication quality and speed on a corpus with known truth.

The corpus is made from real records (titles, authors, publishers, years and
page counts from ../shared/data), recombined into distinct editions, then
copied into up to four member catalogues the way real catalogues differ:
ISBN-10 or ISBN-13 or hyphenated, ISBD punctuation or none, a subtitle
present or missing, a typo, other holdings, a missing ISBN or author. Near
misses that must stay apart are added beside some editions: another volume
under the same ISBN (one ISBN on a whole set), a later edition, an e-book.
Every copy is real MARC run through the normaliser; the timed part is
`run_dedup` on a real SQLite store. Prints pairwise precision and recall and
records per second. Usage: python bench/dedup.py [--sizes 10000 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pymarc
from stdnum import ean
from stdnum import isbn as isbn_mod

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dedup import run_dedup  # noqa: E402
from normalise import RawRecord, normalise, read_file  # noqa: E402
from store import IncomingRecord, Store  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SEEDS = ["evergreen/lul_fre_500.mrc", "evergreen/jazz_1k.mrc", "evergreen/nepali.marc", "marc4j/datos-20161010-slice.mrc",
         "evergreen/hebrew.marc", "evergreen/FSL.marc", "evergreen/oss.marc"]
SOURCES = [f"lib{n:02d}" for n in range(20)]


def seed_pools():
    """Titles, authors, publishers, places, years and page counts of real records."""
    pools = defaultdict(set)
    for relative in SEEDS:
        for raw in read_file(SHARED / relative):
            if not isinstance(raw, RawRecord):
                continue
            r = normalise(raw.record, "seed")
            if r.title and len(r.title) > 8:
                pools["title"].add(r.title.split(" / ")[0])
            pools["author"].update(a for a in r.authors[:1] if "," in a)
            pools["publisher"].update([r.publisher] if r.publisher else [])
            pools["place"].update([r.place] if r.place else [])
    return {k: sorted(v) for k, v in pools.items()}


def random_isbn(rng: random.Random) -> str:
    body = "978" + "".join(rng.choice("0123456789") for _ in range(9))
    return body + ean.calc_check_digit(body)


def make_edition(rng, pools, n):
    title = rng.choice(pools["title"])
    subtitle = rng.choice(pools["title"]).split(" : ")[0].lower()
    return {"id": n, "title": title.split(" : ")[0], "subtitle": subtitle, "author": rng.choice(pools["author"]),
            "publisher": rng.choice(pools["publisher"]), "place": rng.choice(pools["place"]),
            "year": rng.randint(1950, 2024), "pages": rng.randint(40, 900), "isbn": random_isbn(rng),
            "part": "", "edition": "", "electronic": False}


def near_miss(rng, edition, n):
    kind = rng.choice(["volume", "edition", "ebook"])
    other = dict(edition, id=n)
    if kind == "volume":      # the set's ISBN printed on every volume
        edition["part"] = edition["part"] or "1"
        other["part"] = "2"
    elif kind == "edition":
        other.update(edition="2nd ed.", year=edition["year"] + rng.randint(2, 10), isbn=random_isbn(rng))
        edition["edition"] = edition["edition"] or "1st ed."
    else:
        other.update(electronic=True)
    return other


def marc_copy(rng, edition, local_id, variants):
    """One member's MARC record of an edition, with that member's variants."""
    fields = [pymarc.Field(tag="001", data=local_id),
              pymarc.Field(tag="008", data=f"000101s{edition['year']}    xx {'o' if edition['electronic'] else ' '}          000 0 eng d".ljust(40)[:40])]
    isbn = edition["isbn"]
    if "no-isbn" not in variants:
        shown = isbn_mod.format(isbn) if "hyphens" in variants else isbn
        if "isbn10" in variants and isbn_mod.to_isbn10(isbn):
            shown = isbn_mod.to_isbn10(isbn)
        fields.append(_df("020", [("a", shown + (" (pbk.)" if "qualifier" in variants else ""))]))
    if "no-author" not in variants:
        fields.append(_df("100", [("a", edition["author"] + ("," if "isbd" in variants else ""))], "1 "))
    title = _typo(rng, edition["title"]) if "typo" in variants else edition["title"]
    sub = [("a", title + (" :" if "isbd" in variants and "no-subtitle" not in variants else ""))]
    if "no-subtitle" not in variants:
        sub.append(("b", edition["subtitle"]))
    if edition["part"]:
        sub.append(("n", edition["part"]))
    fields.append(_df("245", sub, "10"))
    if edition["edition"]:
        fields.append(_df("250", [("a", edition["edition"])]))
    fields.append(_df("264", [("a", edition["place"]), ("b", edition["publisher"]), ("c", str(edition["year"]))], " 1"))
    fields.append(_df("300", [("a", f"{edition['pages']} p.")]))
    if edition["electronic"]:
        fields.insert(1, pymarc.Field(tag="007", data="cr |||||||||||"))
    fields.append(_df("852", [("a", local_id.split("-")[0]), ("b", rng.choice(["Main", "East", "West", "Branch 2"]))]))
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    for f in fields:
        record.add_field(f)
    return record


def _df(tag, subfields, indicators="  "):
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(indicators[0], indicators[1]),
                        subfields=[pymarc.Subfield(c, v) for c, v in subfields])


def _typo(rng, text):
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


VARIANTS = ["isbn10", "hyphens", "qualifier", "isbd", "no-subtitle", "typo", "no-isbn", "no-author"]


def corpus(size, rng, pools):
    """(source, local id, MARC record, true edition id) for `size` records."""
    out, n = [], 0
    while len(out) < size:
        edition = make_edition(rng, pools, n)
        n += 1
        group = [edition]
        if rng.random() < 0.15:
            group.append(near_miss(rng, edition, n))
            n += 1
        for ed in group:
            for source in rng.sample(SOURCES, rng.choice([1, 2, 2, 3, 3, 4])):
                variants = {v for v in VARIANTS if rng.random() < (0.04 if v in ("no-isbn", "no-author", "typo") else 0.2)}
                out.append((source, f"{source}-{len(out)}", marc_copy(rng, ed, f"{source}-{len(out)}", variants), ed["id"]))
    return out[:size]


def pairwise(truth: dict, predicted: dict):
    """Precision and recall over pairs of records."""
    def pairs(assignment):
        groups = defaultdict(list)
        for key, group_id in assignment.items():
            groups[group_id].append(key)
        return {p for members in groups.values() for p in itertools.combinations(sorted(members), 2)}
    true_pairs, found = pairs(truth), pairs(predicted)
    tp = len(true_pairs & found)
    return tp / max(1, len(found)), tp / max(1, len(true_pairs)), len(true_pairs), len(found)


def run(size, rng, pools):
    records = corpus(size, rng, pools)
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/bench.sqlite", migrate=True) as store:
        started = time.perf_counter()
        batch = []
        for source, local_id, marc, _ in records:
            batch.append(IncomingRecord(source, local_id, b"", "marcxml", normalise(marc, source)))
            if len(batch) == 5000:
                store.write_page(batch)
                batch = []
        store.write_page(batch)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        report = run_dedup(store)
        elapsed = time.perf_counter() - started
        predicted = {(s, i): c for c, members in store.export_clusters() for s, i in members}
    truth = {(s, i): edition for s, i, _, edition in records}
    precision, recall, true_pairs, found_pairs = pairwise(truth, predicted)
    print(f"{size:>7} records: normalise+store {loaded:6.1f}s; dedup {elapsed:6.1f}s = {size / elapsed:8,.0f} records/s; "
          f"{report.clusters} clusters; pairs true {true_pairs}, found {found_pairs}; "
          f"precision {precision:.4f}, recall {recall:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    pools = seed_pools()
    print(f"seed pools from real records: {', '.join(f'{k} {len(v)}' for k, v in pools.items())}")
    for size in args.sizes:
        run(size, random.Random(args.seed), pools)


if __name__ == "__main__":
    main()
