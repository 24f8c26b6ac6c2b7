"""Benchmark: a full nightly, then one after a 1% change, on SQLite and on PostgreSQL.

Builds a store of N records from generated editions (bench/editions.py:
real records recombined, shards of clones to any size), written through the
store's API: the harvest is skipped, its cost follows the sources' changes
alone (bench/harvest.py measures it). Then:
  full         dedup of every record (matched in slices; the baseline, measured on
               a copy of the same store, matches them in one), and an index rebuild;
  incremental  after 1% of the records changed (a third new, a third
               retitled, a third deleted): dedup and index again;
  merge        one librarian's merge of two clusters, answered;
and prints seconds per stage, the ratio incremental/full, the dedup step's
peak memory (the high-water RSS of the process that ran it, VmHWM: every
stage runs in a fresh process of its own), and the index rebuild's clusters per second
against the way index runs read the store before the change log (one query
pair per cluster, one process), measured in the same run on the first 5,000
clusters. PostgreSQL is a throwaway server like the test suite's (tests/pg.py;
fsync off, so writes are cheaper than on a production server).

Usage: python bench/nightly.py [--size 200000 | --large] [--databases sqlite postgresql] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.dedup import SOURCES  # noqa: E402
from bench.editions import Copy, as_new_record, base_corpus, editions, fill, shard, with_new_title  # noqa: E402
from dedup.run import MATCH_BATCH  # noqa: E402
from store import IncomingRecord, Store  # noqa: E402

NAMES: dict[str, str] = {}
BASELINE_SAMPLE = 5_000


def stage(name: str, url: str, index_dir: str) -> dict:
    """One stage in this process (called in a fresh one): its seconds, peak RSS and report."""
    from dedup import run_dedup
    from index.writer import update_index

    started = time.perf_counter()    # imports done: the stage itself is timed
    with Store(url) as store:
        if name == "dedup":
            report = run_dedup(store).to_dict()
        elif name == "dedup-one-slice":       # the baseline: every changed record matched at once, as before slices
            from dedup import run as dedup_run

            dedup_run.MATCH_BATCH = 10**12
            report = run_dedup(store).to_dict()
        elif name == "index":
            report = update_index(store, Path(index_dir), NAMES).to_dict()
        else:
            report = {"rate": _baseline_rate(store)}
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return {"seconds": time.perf_counter() - started, "peak_mb": _high_water_mb(),
            "cpu": sum(u.ru_utime + u.ru_stime for u in used), "report": report}


def _high_water_mb() -> float:
    """This process's peak RSS since its exec (VmHWM; getrusage's maxrss would count the forking parent's pages)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline_rate(store: Store) -> float:
    """Clusters per second the old way: one cluster's members and holdings per query pair, one writer."""
    from dedup import cluster_view
    from index.documents import document_for
    from index.schema import make_schema
    from index.storage import create_index
    from index.writer import Codec

    ids = next(store.cluster_id_batches(BASELINE_SAMPLE))
    with tempfile.TemporaryDirectory() as folder:
        writer = create_index(Path(folder), make_schema()).writer(limitmb=256, codec=Codec())
        started = time.perf_counter()
        for cluster_id in ids:
            writer.add_document(**document_for(cluster_view(store, cluster_id), NAMES))
        writer.commit(optimize=True)
        return len(ids) / (time.perf_counter() - started)


def run_stage(name: str, url: str, index_dir: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--stage", name, url, str(index_dir)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def change_one_percent(store: Store, copies: list[Copy], base: list[Copy], rng: random.Random) -> dict:
    """1% of the records: a third new (new editions and new copies of held ones), a third retitled, a third deleted."""
    count = max(3, len(copies) // 100)
    picked = rng.sample(copies, 2 * (count // 3))
    retitled, deleted = picked[: count // 3], picked[count // 3:]
    fresh: list[Copy] = []
    for number in range(10_000, 10_100):                       # shards of editions no store has yet
        fresh += shard(base, number)[: count - len(picked) - len(fresh)]
    pages = [IncomingRecord(c.source, c.local_id, b"revised", "", with_new_title(c.record)) for c in retitled]
    for n, c in enumerate(fresh):
        if n % 2:   # a copy of a held edition in a member that lacks it
            held = rng.choice(copies)
            source = next(s for s in SOURCES if s != held.source)
            pages.append(IncomingRecord(source, f"{held.local_id}-copy", b"new", "", as_new_record(held.record, source, f"{held.local_id}-copy")))
        else:
            pages.append(IncomingRecord(c.source, c.local_id, b"new", "", c.record))
    for start in range(0, len(pages), 5000):
        store.write_page(pages[start:start + 5000])
    by_source: dict[str, list[str]] = {}
    for c in deleted:
        by_source.setdefault(c.source, []).append(c.local_id)
    for source, ids in by_source.items():
        store.mark_deleted(source, ids, by_oai=False)
    return {"new": len(fresh), "changed": len(retitled), "deleted": len(deleted)}


def timed_merge(store: Store, copies: list[Copy], rng: random.Random) -> float:
    from dedup import merge_clusters

    while True:
        a, b = rng.sample(copies, 2)
        first, second = (store.resolve_cluster(f"{c.source}:{c.local_id}") for c in (a, b))
        if first and second and first != second:
            started = time.perf_counter()
            merge_clusters(store, first, second, "bench", "bench: any two clusters", override=True)
            return time.perf_counter() - started


def bench(database: str, url: str, folder: Path, size: int, seed: int, base: list[Copy], copy_store) -> dict:
    rng = random.Random(seed)
    started = time.perf_counter()
    copies = editions(base, size)
    with Store(url, migrate=True) as store:
        fill(store, copies)
    built = time.perf_counter() - started
    whole = run_stage("dedup-one-slice", copy_store(), folder / "unused")
    full = {name: run_stage(name, url, folder / "index") for name in ("dedup", "index")}
    baseline = run_stage("baseline", url, folder / "index")["report"]["rate"]
    with Store(url) as store:
        changes = change_one_percent(store, copies, base, rng)
    incremental = {name: run_stage(name, url, folder / "index") for name in ("dedup", "index")}
    with Store(url) as store:
        merge = timed_merge(store, copies, rng)
    return {"database": database, "size": size, "built": built, "full": full, "incremental": incremental,
            "changes": changes, "merge": merge, "baseline_rate": baseline, "one_slice": whole}


def print_result(r: dict) -> None:
    print(json.dumps(r), file=sys.stderr)     # every figure, for the record
    full, inc = r["full"], r["incremental"]
    full_total = full["dedup"]["seconds"] + full["index"]["seconds"]
    inc_total = inc["dedup"]["seconds"] + inc["index"]["seconds"]
    clusters = full["index"]["report"]["indexed"]
    print(f"\n{r['database']}, {r['size']:,} records (store built in {r['built']:.0f}s; "
          f"change: {r['changes']['new']} new, {r['changes']['changed']} changed, {r['changes']['deleted']} deleted)")
    print(f"  {'stage':<8}{'full s':>10}{'1% s':>10}{'ratio':>9}{'full cpu s':>12}{'1% cpu s':>10}"
          f"{'peak MB full':>14}{'peak MB 1%':>12}")
    for name in ("dedup", "index"):
        f, i = full[name], inc[name]
        print(f"  {name:<8}{f['seconds']:>10.1f}{i['seconds']:>10.2f}{i['seconds'] / f['seconds']:>9.2%}"
              f"{f['cpu']:>12.1f}{i['cpu']:>10.2f}{f['peak_mb']:>14.0f}{i['peak_mb']:>12.0f}")
    print(f"  {'both':<8}{full_total:>10.1f}{inc_total:>10.2f}{inc_total / full_total:>9.2%}   (aim: at most 3%)")
    whole = r["one_slice"]
    print(f"  first load's dedup in slices of {MATCH_BATCH:,}: {full['dedup']['seconds']:.1f}s, peak"
          f" {full['dedup']['peak_mb']:,.0f} MB; baseline in one slice (the way before): {whole['seconds']:.1f}s,"
          f" peak {whole['peak_mb']:,.0f} MB")
    print(f"  index rebuild: {clusters:,} clusters at {clusters / full['index']['seconds']:,.0f}/s "
          f"(baseline, one query pair per cluster in one process: {r['baseline_rate']:,.0f}/s; aim 1,500/s)")
    print(f"  one librarian merge: {r['merge']:.2f}s (aim under 1 s at 1,000,000 records)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--large", action="store_true", help="1,000,000 records")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stage", nargs=3, metavar=("NAME", "URL", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(stage(*args.stage)))
        return
    size = 1_000_000 if args.large else args.size
    base = base_corpus(2_000, args.seed)
    for database in args.databases:
        with tempfile.TemporaryDirectory() as folder:
            if database == "sqlite":
                def copy_sqlite(folder=folder):
                    shutil.copyfile(f"{folder}/store.sqlite", f"{folder}/one-slice.sqlite")
                    return f"sqlite:///{folder}/one-slice.sqlite"

                print_result(bench(database, f"sqlite:///{folder}/store.sqlite", Path(folder), size, args.seed, base,
                                   copy_sqlite))
                continue
            from tests.pg import PostgresServer
            server = PostgresServer().start()
            try:
                server.execute("CREATE DATABASE bench")

                def copy_postgresql(server=server):
                    server.execute("CREATE DATABASE one_slice TEMPLATE bench")
                    return server.url("one_slice")

                print_result(bench(database, server.url("bench"), Path(folder), size, args.seed, base,
                                   copy_postgresql))
            finally:
                server.stop()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
