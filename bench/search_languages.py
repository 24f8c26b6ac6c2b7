"""The cost of the lemma fields (index/lemmas.py), for bench/search.py --languages.

One run builds the same generated catalogue twice, a fifth of its clusters
made from real Polish records (the rest from the other real records), in two
fresh processes running side by side: "before" with the lemma fields
switched off (UNIONCAT_LEMMAS=off, so the index is today's: folded and
Snowball fields), "after" with them. Each process reports its build rate
(documents generated on the fly, as bench/search.py's build) per second and
per CPU second (the fair figure on a machine shared with other work), and
the p50/p95 of faceted searches of each kind, plus Polish title words; the
same queries run in both.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from pathlib import Path

POLISH_SHARE = 5          # one cluster in five made from a Polish record
PHASES = {"before": "off", "after": "on"}


def mixed_pool(pool: list, share: int = POLISH_SHARE) -> list:
    """`pool` reordered so that every `share`th record is Polish (Polish records reused in turn)."""
    polish = [r for r in pool if "pol" in r.languages]
    others = [r for r in pool if "pol" not in r.languages]
    if not polish:
        raise SystemExit("no Polish records among the real records: ../shared/data/bn-poland is needed")
    out, p = [], 0
    for n, record in enumerate(others):
        if n % (share - 1) == 0:
            out.append(polish[p % len(polish)])
            p += 1
        out.append(record)
    return out


def run(pool: list, count: int, folder: Path, rounds: int, per_kind: int, procs: int, kinds: tuple) -> None:
    """Both phases, one after the other, and the table comparing them."""
    pool = mixed_pool(pool)
    print(f"  {sum('pol' in r.languages for r in pool):,} of {len(pool):,} records in the pool are Polish"
          f" (one in {POLISH_SHARE})")
    context = multiprocessing.get_context("spawn")
    queues, children = {}, []
    # both phases at once, so that whatever else the machine runs weighs on both alike
    for phase, switch in PHASES.items():
        queues[phase] = context.Queue()
        os.environ["UNIONCAT_LEMMAS"] = switch        # read by index.schema when the child imports it
        children.append(context.Process(target=measure, args=(pool, count, folder / phase, rounds, per_kind, procs,
                                                              queues[phase])))
        children[-1].start()
    os.environ.pop("UNIONCAT_LEMMAS", None)
    results = {phase: _result(queue, child) for (phase, queue), child in zip(queues.items(), children)}
    for child in children:
        child.join()
    for phase, result in results.items():
        print(f"  {phase}: fields {', '.join(result['fields'])}")
    for unit in ("wall", "cpu"):
        before, after = results["before"][unit], results["after"][unit]
        print(f"  build rate ({'per second' if unit == 'wall' else 'per CPU second'}): before {before:,.0f} docs/s,"
              f" after {after:,.0f} docs/s ({100 * (after / before - 1):+.1f}%)")
    print(f"  {'faceted query':<14} {'n':>3} | {'before p50/p95 ms':>18} | {'after p50/p95 ms':>18}")
    for kind in (*kinds, "polish"):
        cells = [results[phase]["times"].get(kind) for phase in PHASES]
        if not cells[0]:
            continue
        n = cells[0][2]
        print(f"  {kind:<14} {n:>3} | " + " | ".join(f"{p50:8.1f}/{p95:8.1f}" for p50, p95, _n in cells))


def _result(queue, child) -> dict:
    """What `child` put in `queue`; SystemExit when it died without."""
    import queue as queues

    while True:
        try:
            return queue.get(timeout=5)
        except queues.Empty:
            if not child.is_alive():
                raise SystemExit(f"a benchmark process failed (exit code {child.exitcode})") from None


def measure(pool: list, count: int, folder: Path, rounds: int, per_kind: int, procs: int, queue) -> None:
    """One phase, in its own process: build, then time faceted searches; the figures go to `queue`."""
    from bench.search import documents, percentiles, pick_queries, time_ours
    from index import SearchRequest
    from index.schema import LEMMA_FIELDS
    from index.searcher import Searcher
    from index.writer import build_index

    folder.mkdir(parents=True)
    sample, isbns = [], []
    started, cpu = time.perf_counter(), time.process_time()
    build_index(folder / "ours", documents(pool, count, sample, isbns), procs=procs, limitmb=512)
    wall, cpu = count / (time.perf_counter() - started), count / (time.process_time() - cpu)
    rng = random.Random(7)
    queries = pick_queries(folder, sample, isbns, per_kind, rng)
    polish = sorted({w for doc in sample if "pol" in doc["language"] for w in doc["title"].split()
                     if w.isalpha() and len(w) > 4})
    queries["polish"] = [SearchRequest(q=w) for w in rng.sample(polish, min(per_kind, len(polish)))]
    searcher = Searcher(folder / "ours", time_limit=60)
    times = {}
    for kind, requests in queries.items():
        if requests:
            p50, p95 = percentiles(time_ours(searcher, requests, True, rounds))
            times[kind] = (p50, p95, len(requests))
    queue.put({"wall": wall, "cpu": cpu, "times": times, "fields": list(LEMMA_FIELDS) or ["no lemma fields"]})
