"""Benchmark: deduplication quality and speed on a corpus with known truth, against today's keys and routes.

The corpus (bench/dedup_corpus.py) is made from real records (titles,
authors, publishers, years and page counts from ../shared/data), recombined
into distinct editions of three classes (`base`, `typo`: one edit in the
title and no shared identifier, `no-author`: no main entry and no
identifier), each with near misses that must stay apart, and copied into up
to four member catalogues. Every copy is real MARC run through the
normaliser; the timed part is `run_dedup` on a real SQLite store, run twice
on the same records: the baseline with dedup/keys.py and dedup/decide.py as
they were before issue 19 (read from git), then as they are.
Prints pairwise precision and recall overall and per class, records per
second (wall and CPU), and for each key kind the keys stored, the candidate
pairs it makes, those no other kind makes and the true pairs only it finds.
Usage: python bench/dedup.py [--sizes 10000 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pymarc
from stdnum import ean
from stdnum import isbn as isbn_mod

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.dedup_corpus import CLASSES, SOURCES, _base_near_miss, _df, _transposed as _typo, class_corpus  # noqa: E402
import dedup.run  # noqa: E402
from dedup.keys import BEFORE_TYPO_KEYS, match_keys  # noqa: E402
from dedup.run import MAX_CANDIDATES_PER_KEY  # noqa: E402
from normalise import RawRecord, normalise, read_file  # noqa: E402
from store import IncomingRecord, Store  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SEEDS = ["evergreen/lul_fre_500.mrc", "evergreen/jazz_1k.mrc", "evergreen/nepali.marc", "marc4j/datos-20161010-slice.mrc",
         "evergreen/hebrew.marc", "evergreen/FSL.marc", "evergreen/oss.marc"]
PROFILES = ("baseline", "issue 19")
BASELINE_COMMIT = "ba852ff1b0444ff0323e47282f48d4954e10ea85"    # main before issue 19


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


# The base corpus other benchmarks and tests build on (bench/editions.py): editions copied into member catalogues
# the way real catalogues differ; unchanged, so their figures stay comparable. The classes of issue 19 are made by
# bench/dedup_corpus.py.
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
    """Another edition of `edition`'s work (a volume, an edition, the e-book) that must stay apart."""
    return _base_near_miss(rng, edition, dict(edition, id=n))


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


def true_and_found(truth: dict, predicted: dict) -> tuple[set, set]:
    """Pairs of records of one edition, and pairs put in one cluster."""
    def pairs(assignment):
        groups = defaultdict(list)
        for key, group_id in assignment.items():
            groups[group_id].append(key)
        return {p for members in groups.values() for p in itertools.combinations(sorted(members), 2)}
    return pairs(truth), pairs(predicted)


def quality(true_pairs: set, found: set, klass: dict) -> dict[str, tuple[float, float, int, int]]:
    """class (and "all") -> (precision, recall, true pairs, found pairs); a pair's class is its first record's."""
    out = {}
    for name in ("all", *CLASSES):
        def mine(pairs):
            return pairs if name == "all" else {p for p in pairs if klass[p[0]] == name}
        t, f = mine(true_pairs), mine(found)
        tp = len(t & f)
        out[name] = (tp / max(1, len(f)), tp / max(1, len(t)), len(t), len(f))
    return out


def baseline_modules() -> tuple[ModuleType, ModuleType]:
    """dedup/keys.py and dedup/decide.py as they were before issue 19, read from git."""
    root = Path(__file__).resolve().parents[1]
    modules = []
    for name in ("keys", "decide"):
        source = subprocess.run(["git", "-C", str(root), "show", f"{BASELINE_COMMIT}:dedup/{name}.py"],
                                capture_output=True, text=True, check=True, timeout=30).stdout
        module = sys.modules.setdefault(f"baseline_{name}", ModuleType(f"baseline_{name}"))   # dataclasses look it up
        exec(compile(source, f"{BASELINE_COMMIT[:7]}:dedup/{name}.py", "exec"), module.__dict__)
        modules.append(module)
    return modules[0], modules[1]


@contextmanager
def profile(name: str):
    """`run_dedup` with the keys and decision of `name` ("baseline": before issue 19), put back afterwards."""
    saved = dedup.run.match_keys, dedup.run.decide
    if name == "baseline":
        keys, decision = baseline_modules()
        dedup.run.match_keys, dedup.run.decide = keys.match_keys, decision.decide
    try:
        yield
    finally:
        dedup.run.match_keys, dedup.run.decide = saved


def timed_run(name, normalised, truth, klass):
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/bench.sqlite", migrate=True) as store:
        for start in range(0, len(normalised), 5000):
            store.write_page(normalised[start:start + 5000])
        with profile(name):
            wall, cpu = time.perf_counter(), time.process_time()
            report = dedup.run.run_dedup(store)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        predicted = {(s, i): c for c, members in store.export_clusters() for s, i in members}
    size = len(normalised)
    print(f"  {name:>9}: dedup {wall:6.1f}s wall = {size / wall:7,.0f} records/s, {cpu:6.1f}s CPU = "
          f"{size / cpu:7,.0f} records/s; {report.clusters} clusters, {report.compared} matching pairs")
    for cls, (precision, recall, t, f) in quality(*true_and_found(truth, predicted), klass).items():
        print(f"  {'':>9}  {cls:>9}: precision {precision:.4f}, recall {recall:.4f} (pairs true {t}, found {f})")


def key_costs(records, truth):
    """Per key kind: keys stored, candidate pairs (buckets over `MAX_CANDIDATES_PER_KEY` left out as dedup does),
    pairs no other kind makes, and true pairs only it finds; plus the time to make every record's keys."""
    started = time.perf_counter()
    keys = [match_keys(r) for _s, _i, r in records]
    elapsed = time.perf_counter() - started
    buckets = defaultdict(list)
    for n, ks in enumerate(keys):
        for key in ks:
            buckets[key].append(n)
    by_kind = defaultdict(set)
    for (kind, _v), members in buckets.items():
        if 1 < len(members) <= MAX_CANDIDATES_PER_KEY + 1:
            by_kind[kind] |= {(a, b) for a, b in itertools.combinations(members, 2) if records[a][0] != records[b][0]}
    stored = defaultdict(int)
    for ks in keys:
        for kind, _v in ks:
            stored[kind] += 1
    print(f"  match keys made in {elapsed:.1f}s ({len(records) / elapsed:,.0f} records/s); per kind:")
    ids = [(s, i) for s, i, _r in records]
    for kind in sorted(by_kind, key=lambda k: -len(by_kind[k])):
        others = set().union(*(p for k, p in by_kind.items() if k != kind))
        only = by_kind[kind] - others
        true_only = sum(truth[ids[a]] == truth[ids[b]] for a, b in only)
        base = "baseline" if kind in BEFORE_TYPO_KEYS else "new"
        print(f"  {kind:>7} ({base:>8}): {stored[kind]:8,} keys, {len(by_kind[kind]):8,} candidate pairs, "
              f"{len(only):7,} only by it, of which {true_only:6,} true")


def run(size, rng, pools):
    records = class_corpus(size, rng, pools)
    started = time.perf_counter()
    normalised = [IncomingRecord(source, local, b"", "marcxml", normalise(marc, source)) for source, local, marc, _e, _c in records]
    print(f"{size:>7} records ({', '.join(f'{c} {sum(r[4] == c for r in records)}' for c in CLASSES)}): "
          f"normalised in {time.perf_counter() - started:.1f}s")
    truth = {(s, i): edition for s, i, _m, edition, _c in records}
    klass = {(s, i): cls for s, i, _m, _e, cls in records}
    key_costs([(r.source, r.local_id, r.record) for r in normalised], truth)
    for name in PROFILES:
        timed_run(name, normalised, truth, klass)


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
