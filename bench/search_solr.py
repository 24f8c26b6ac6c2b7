"""`bench/search.py --engine solr`: the same generated catalogue in Whoosh and in SolrCloud, in one run.

The SolrCloud is the test launcher's (solr/launcher: 3 nodes and an embedded
ZooKeeper in one JVM on this machine, `make solr` builds it), with a
collection of 2 shards. It prints, for each engine:
  feed        making the documents alone (ClusterView -> document_for, and for Solr the Python analysis
              into pre-analysed tokens), with no engine involved
  indexing    the engine alone: Whoosh's build_index over documents made beforehand; for Solr, posting
              JSON batches of 1,000 documents made beforehand into one replica per shard, the commit,
              and then adding the second replica of each shard (timed apart)
then p50/p95 of every query kind, with and without facets, through each
engine's `search` (the web's code path). Both engines answer from the same
machine's 2 cores, so the figures compare engines, not a cluster of machines.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from index.solr import admin
from index.solr.client import SolrClient
from index.solr.documents import solr_document
from index.solr.engine import SolrEngine
from index.whoosh_engine import WhooshEngine
from index.writer import build_index
from tests.solr import SolrCluster

ALIAS = "bench"
BATCH = 1000
SHARDS, REPLICAS = 2, 2


def run(documents, pick_queries, percentiles, timed, kinds, count: int, folder: Path, rounds: int, per_kind: int,
        rng) -> None:
    """Build both, then time both; `documents(count, sample, isbns)` yields the same documents every time."""
    sample, isbns = [], []
    started = time.perf_counter()
    made = list(documents(count, sample, isbns))
    feed_whoosh = count / (time.perf_counter() - started)
    started = time.perf_counter()
    build_index(folder / "ours", iter(made), limitmb=512)
    whoosh_rate = count / (time.perf_counter() - started)
    print(f"  whoosh: feed {feed_whoosh:,.0f} docs/s (document_for alone), indexing {whoosh_rate:,.0f} docs/s alone")
    batches = folder / "solr-batches.jsonl"
    started = time.perf_counter()
    with batches.open("w") as out:
        for start in range(0, count, BATCH):
            out.write(json.dumps([solr_document(d) for d in made[start:start + BATCH]], ensure_ascii=False) + "\n")
    analysis = time.perf_counter() - started
    feed_solr = 1 / (1 / feed_whoosh + analysis / count)
    del made
    queries = pick_queries(folder, sample, isbns, per_kind, rng)
    # 3 nodes in one JVM: 1.5 GB holds 100,000 clusters' 4 cores; a million needs room for their docValues
    cluster = SolrCluster(_base(folder), heap="1536m" if count <= 200_000 else "6g", quick_start=False)
    try:
        print(f"  solrcloud: 3 nodes up in {cluster.info['start_ms'] / 1000:.1f}s")
        client = SolrClient(cluster.nodes, timeout=60)
        indexing, replicas = _index_solr(client, batches, count)
        print(f"  solr: feed {feed_solr:,.0f} docs/s (document_for and the Python analysis alone), indexing"
              f" {count / indexing:,.0f} docs/s alone (2 shards x 1 replica, with the commit), second replicas"
              f" added in {replicas:.1f}s")
        size = _index_bytes(client)
        print(f"  solr index: {size / 2**20:,.0f} MB over {SHARDS} shards x {REPLICAS} replicas,"
              f" {size / REPLICAS / count:,.0f} bytes per cluster per replica")
        _compare(WhooshEngine(folder / "ours", time_limit=60), SolrEngine(cluster.nodes, ALIAS, timeout=60),
                 queries, kinds, percentiles, timed, rounds)
    finally:
        cluster.stop_all()


def _base(folder: Path) -> Path:
    base = folder / "solr"
    base.mkdir(exist_ok=True)
    return base


def _index_solr(client: SolrClient, batches: Path, count: int) -> tuple[float, float]:
    configset = admin.upload_configset(client)
    collection = admin.create_collection(client, ALIAS, configset, SHARDS, 1)
    admin.wait_active(client, collection)
    started = time.perf_counter()
    with batches.open() as lines:
        for line in lines:
            client.post(f"{collection}/update", line.encode("utf-8"), {"wt": "json"}, timeout=300)
    client.get(f"{collection}/update", {"commit": "true", "waitSearcher": "true", "wt": "json"}, timeout=600)
    indexing = time.perf_counter() - started
    started = time.perf_counter()
    admin.add_replicas(client, collection, REPLICAS)
    admin.wait_active(client, collection, timeout=1800)
    replicas = time.perf_counter() - started
    admin.switch_alias(client, ALIAS, collection, None)
    found = client.get(f"{ALIAS}/select", {"q": "*:*", "rows": 0, "wt": "json"})["response"]["numFound"]
    assert found == count, f"Solr holds {found} documents, not {count}"
    return indexing, replicas


def _index_bytes(client: SolrClient) -> int:
    """Bytes of every replica's index on disk (CoreAdmin STATUS of each node)."""
    total = 0
    for node in client.live_nodes():
        status = SolrClient([node], timeout=60, refresh_every=float("inf")).get("admin/cores", {
            "action": "STATUS", "wt": "json"})["status"]
        total += sum(core.get("index", {}).get("sizeInBytes", 0) for core in status.values())
    return total


def _compare(whoosh, solr, queries: dict, kinds, percentiles, timed, rounds: int) -> None:
    whoosh.search(replace(queries[kinds[0]][0]))      # the Whoosh snapshot's tables, built once per commit
    header = (f"  {'query':<10} {'n':>3} | {'whoosh p50/p95 ms':>18} {'+facets':>16}"
              f" | {'solr p50/p95 ms':>16} {'+facets':>16}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for kind in kinds:
        requests = queries[kind]
        if not requests:
            print(f"  {kind:<10}   0 | no such queries in a catalogue this small")
            continue
        row = [percentiles(timed(engine, requests, f, rounds)) for engine in (whoosh, solr) for f in (False, True)]
        cells = [f"{p50:7.1f}/{p95:7.1f}" for p50, p95 in row]
        print(f"  {kind:<10} {len(requests):>3} | {cells[0]:>18} {cells[1]:>16} | {cells[2]:>16} {cells[3]:>16}")


def temporary_folder() -> Path:
    """A folder for both engines' data."""
    return Path(tempfile.mkdtemp(prefix="unioncat-bench-solr-"))
