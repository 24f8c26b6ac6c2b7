"""Benchmark: a librarian's merge preview, its confirm, a split and an undo, on a large store and a small one.

Builds, per database, a store of N generated editions' records (bench/editions.py)
clustered by truth (as a dedup run would leave them, without running one), and
a baseline store of 10,000 records built the same way in the same run. Then
times, on random pairs of clusters, `preview_merge`, `confirm` of it (with an
override, as two random editions break rules), `preview_split` + `confirm`,
and `undo` of the merge; and prints the median and the slowest of each, on
both stores: a correction reads and writes only the clusters it involves, so
the figures should not grow with the store (issue 13's aim: under 1 s at
1,000,000 records).

Usage: python bench/corrections.py [--size 200000 | --large] [--databases sqlite postgresql] [--tries 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.editions import Copy, base_corpus, cluster_by_truth, editions, fill  # noqa: E402
from store import Account, Store  # noqa: E402

BASELINE = 10_000
OPERATIONS = ("preview merge", "confirm merge", "split (preview+confirm)", "undo merge")


def build(url: str, size: int, base: list[Copy]) -> tuple[float, list[str]]:
    """Seconds to build the store, and its records' public ids.

    Only the ids are kept: a process holding a million records as objects
    would time its own garbage collector walking them, which a librarian's
    command or web request does not hold.
    """
    started = time.perf_counter()
    copies = editions(base, size)
    with Store(url, migrate=True) as store:
        fill(store, copies)
        cluster_by_truth(store, copies)
    public_ids = [f"{c.source}:{c.local_id}" for c in copies]
    del copies
    gc.collect()
    return time.perf_counter() - started, public_ids


def timed(store: Store, copies: list[str], rng: random.Random, tries: int) -> dict[str, list[float]]:
    from dedup import confirm, preview_merge, preview_split, undo

    account, out = Account("bench"), {name: [] for name in OPERATIONS}
    while len(out["undo merge"]) < tries:
        a, b = rng.sample(copies, 2)
        first, second = (store.resolve_cluster(c) for c in (a, b))
        if not first or not second or first == second:
            continue
        started = time.perf_counter()
        preview = preview_merge(store, first, second, account)
        out["preview merge"].append(time.perf_counter() - started)
        started = time.perf_counter()
        merged = confirm(store, preview, account, "bench: any two clusters", override=True)
        out["confirm merge"].append(time.perf_counter() - started)
        started = time.perf_counter()
        split = confirm(store, preview_split(store, b, account), account, "bench")
        out["split (preview+confirm)"].append(time.perf_counter() - started)
        undo(store, split.decision_id, account)
        started = time.perf_counter()
        undo(store, merged.decision_id, account, "bench")
        out["undo merge"].append(time.perf_counter() - started)
    return out


def run(database: str, url_for, sizes: list[int], base: list[Copy], tries: int, seed: int) -> None:
    results = {}
    for size in sizes:
        url = url_for(size)
        built, copies = build(url, size, base)
        with Store(url) as store:
            results[size] = timed(store, copies, random.Random(seed), tries)
        print(f"{database}: store of {size:,} records built in {built:.0f}s", flush=True)
    print(f"\n{database}: seconds, median / slowest of {tries} (aim: under 1 s at 1,000,000 records)")
    print(f"  {'operation':<26}" + "".join(f"{f'{size:,} records':>24}" for size in sizes))
    for name in OPERATIONS:
        cells = "".join(f"{statistics.median(results[s][name]):>14.3f} / {max(results[s][name]):<7.3f}" for s in sizes)
        print(f"  {name:<26}{cells}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--large", action="store_true", help="1,000,000 records")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = [BASELINE, 1_000_000 if args.large else args.size]
    base = base_corpus(2_000, args.seed)
    for database in args.databases:
        with tempfile.TemporaryDirectory() as folder:
            if database == "sqlite":
                run(database, lambda size: f"sqlite:///{folder}/store{size}.sqlite", sizes, base, args.tries, args.seed)
                continue
            from tests.pg import PostgresServer
            server = PostgresServer().start()
            try:
                for size in sizes:
                    server.execute(f"CREATE DATABASE bench{size}")
                run(database, lambda size: server.url(f"bench{size}"), sizes, base, args.tries, args.seed)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
