"""The Solr engine against a real SolrCloud (tests/solr.py: 3 nodes, embedded ZooKeeper, started once per run).

Each test works on an alias of its own, so that tests never see each
other's collections; the store is a small generated catalogue (bench/editions.py).
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner

from bench.editions import base_corpus, cluster_by_truth, fill, with_new_title
from cli import main
from dedup import run_dedup
from index.errors import SearchIndexError
from index.results import SearchRequest
from index.solr import SolrClient, SolrError, admin
from index.solr.engine import SolrEngine
from index import feed
from index.solr import writer as solr_writer
from index.solr.writer import FAULT_ENV
from store import IncomingRecord, Store
from tests.solr import wait_for

# one SolrCloud per run: every test that reaches the session's cluster runs in the same xdist worker
pytestmark = pytest.mark.xdist_group("solr")

NAMES: dict[str, str] = {}
_aliases = itertools.count()
SEARCHES = [SearchRequest(q="the"), SearchRequest(q="", filters={"format": ["book"]}), SearchRequest(q="a OR of")]


@pytest.fixture(scope="module")
def base():
    return base_corpus(300, seed=5)


@pytest.fixture(scope="module")
def built(base, tmp_path_factory):
    """A clustered SQLite store of the generated records, made once; tests copy it."""
    path = tmp_path_factory.mktemp("solr-store") / "store.sqlite"
    with Store(f"sqlite:///{path}", migrate=True) as store:
        fill(store, base)
        cluster_by_truth(store, base)
    return path


@pytest.fixture
def store(built, tmp_path):
    shutil.copyfile(built, tmp_path / "store.sqlite")
    with Store(f"sqlite:///{tmp_path / 'store.sqlite'}") as opened:
        yield opened


@pytest.fixture
def alias(solr_cluster):
    """An alias of this test's own; its collections are deleted afterwards."""
    name = f"t{next(_aliases)}_{int(time.time())}"
    yield name
    client = SolrClient(solr_cluster.nodes, timeout=30)
    for collection in admin.collections(client):
        if collection.startswith(f"{name}_"):
            client.get("admin/collections", {"action": "DELETEALIAS", "name": name})
            admin.delete_collection(client, collection)


@pytest.fixture
def solr(solr_cluster, alias):
    opened = SolrEngine(solr_cluster.nodes, alias, shards=2, replicas=2, timeout=5)
    yield opened
    opened.close()


def snapshot(solr) -> list[tuple]:
    """Totals and facet counts of SEARCHES: what a patron sees, minus the order of equals."""
    out = []
    for request in SEARCHES:
        result = solr.search(request)
        out.append((result.total, {k: [(v.value, v.count) for v in vs] for k, vs in result.facets.items()}))
    return out


def change_one(store: Store, base) -> str:
    """A new title for one record (and a dedup run): the change log names its cluster."""
    record = base[3]
    store.write_page([IncomingRecord(record.source, record.local_id, b"revised", "", with_new_title(record.record))])
    run_dedup(store)
    return store.resolve_cluster(f"{record.source}:{record.local_id}")


def test_setup_uploads_the_configset_and_creates_the_collection_once(solr_cluster, alias, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"store": "var/store.sqlite", "index": "var/index", "sources": [], "search": {
        "engine": "solr", "nodes": solr_cluster.nodes, "collection": alias, "shards": 2, "replicas": 2}}))
    first = CliRunner().invoke(main, ["--config", str(config), "solr", "setup"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(main, ["--config", str(config), "solr", "setup"])
    assert again.exit_code == 0, again.output
    assert '"created": true' in first.output and '"created": false' in again.output
    client = SolrClient(solr_cluster.nodes)
    behind = [c for c in admin.collections(client) if c.startswith(f"{alias}_")]
    assert behind == [admin.aliased_collection(client, alias)]
    shards = admin.shard_states(client, behind[0])
    assert len(shards) == 2
    for shard in shards.values():
        nodes = [replica["node_name"] for replica in shard["replicas"].values()]
        assert len(nodes) == 2 and len(set(nodes)) == 2, "two replicas of one shard on one node"


def test_setup_without_a_node_that_answers_fails_with_a_message_not_a_traceback(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"store": "var/store.sqlite", "index": "var/index", "sources": [], "search": {
        "engine": "solr", "nodes": ["http://127.0.0.1:9/solr"], "timeout": 1}}))
    result = CliRunner().invoke(main, ["--config", str(config), "solr", "setup"])
    assert result.exit_code == 1, result.output
    assert "no Solr node answered" in result.output and "Traceback" not in result.output


def test_the_first_update_builds_the_collection_and_later_ones_send_only_what_changed(solr, store, base):
    first = solr.update(store, NAMES)
    assert first.rebuilt and first.indexed == first.total == len(store.alive_cluster_ids())
    assert store.consumer_position(solr.writer.consumer_name) == store.latest_change()
    cluster = change_one(store, base)
    doomed = store.resolve_cluster(f"{base[10].source}:{base[10].local_id}")
    for public_id in store.member_public_ids(doomed):
        source, _, local = public_id.partition(":")
        store.mark_deleted(source, [local], by_oai=False)
    run_dedup(store)
    report = solr.update(store, NAMES)
    assert not report.rebuilt and report.removed >= 1 and report.indexed >= 1
    assert report.total == len(store.alive_cluster_ids()) == first.total - 1
    assert cluster in [hit.id for hit in solr.search(SearchRequest(q='"revised printing"')).hits]
    assert store.consumer_position(solr.writer.consumer_name) == store.latest_change()


def test_a_forgotten_collection_is_rebuilt_when_the_log_was_pruned_past_its_position(solr, store, base):
    solr.update(store, NAMES)
    assert store.forget_consumer(solr.writer.consumer_name)
    cluster = change_one(store, base)
    assert store.prune_changes(timedelta(0)) > 0     # the change is gone from the log before the index read it
    report = solr.update(store, NAMES)
    assert report.rebuilt and store.consumer_position(solr.writer.consumer_name) == store.latest_change()
    assert cluster in [hit.id for hit in solr.search(SearchRequest(q='"revised printing"')).hits]


def test_a_rebuild_switches_the_alias_and_deletes_the_old_collection(solr, store, alias):
    solr.update(store, NAMES)
    client = solr.client
    before = admin.aliased_collection(client, alias)
    report = solr.update(store, NAMES, rebuild=True)
    after = admin.aliased_collection(client, alias)
    assert report.rebuilt and after != before and report.total == len(store.alive_cluster_ids())
    assert before not in admin.collections(client)
    assert sorted(admin.replica_counts(client, after).values()) == [2, 2]


def test_a_failed_rebuild_leaves_the_alias_where_it_was_and_removes_its_collection(solr, store, alias, monkeypatch):
    solr.update(store, NAMES)
    client = solr.client
    before, totals = admin.aliased_collection(client, alias), snapshot(solr)
    monkeypatch.setenv(FAULT_ENV, "documents:100")
    with pytest.raises(SolrError, match="fault injected"):
        solr.update(store, NAMES, rebuild=True)
    assert admin.aliased_collection(client, alias) == before
    assert [c for c in admin.collections(client) if c.startswith(f"{alias}_")] == [before]
    assert snapshot(solr) == totals


def on_two_processes(monkeypatch) -> None:
    """The small catalogue fed as a large one is: batches of 50 shared out to two forked processes."""
    monkeypatch.setattr(feed, "PARALLEL_FROM", 1)
    monkeypatch.setattr(solr_writer, "BATCH", 50)


def test_a_rebuild_on_two_processes_sends_every_cluster_once(solr, store, alias, monkeypatch):
    solr.update(store, NAMES)
    totals = snapshot(solr)
    on_two_processes(monkeypatch)
    report = solr.update(store, NAMES, rebuild=True, procs=2)
    assert report.rebuilt and report.indexed == report.total == len(store.alive_cluster_ids())
    assert snapshot(solr) == totals


def test_a_rebuild_process_that_fails_leaves_the_alias_where_it_was(solr, store, alias, monkeypatch):
    solr.update(store, NAMES)
    client = solr.client
    before, totals = admin.aliased_collection(client, alias), snapshot(solr)
    on_two_processes(monkeypatch)
    monkeypatch.setenv(FAULT_ENV, "documents:40")      # each process fails after sending 40 of its documents
    with pytest.raises(SearchIndexError, match="an index worker failed: (.|\n)*fault injected"):
        solr.update(store, NAMES, rebuild=True, procs=2)
    assert admin.aliased_collection(client, alias) == before
    assert [c for c in admin.collections(client) if c.startswith(f"{alias}_")] == [before]
    assert snapshot(solr) == totals


def test_searches_go_on_while_a_rebuild_switches_the_alias(solr, store):
    solr.update(store, NAMES)
    total = solr.search(SearchRequest(q="")).total
    failures, smaller, done = [], [], threading.Event()

    def search_until_done():
        while not done.is_set():
            try:
                found = solr.search(SearchRequest(q="")).total
                if found < total:
                    smaller.append(found)
            except Exception as exc:  # noqa: BLE001 - any failure is what the test looks for
                failures.append(exc)

    searcher = threading.Thread(target=search_until_done)
    searcher.start()
    try:
        report = solr.update(store, NAMES, rebuild=True)
    finally:
        done.set()
        searcher.join(30)
    assert report.rebuilt and report.total == total
    assert failures == [] and smaller == []


def test_a_shard_leader_stops_searches_keep_their_totals_an_update_succeeds_and_replicas_catch_up(
        solr_cluster, solr, store, base, alias):
    solr.update(store, NAMES)
    before = snapshot(solr)
    client = solr.client
    collection = admin.aliased_collection(client, alias)
    leader = _a_leader_node(client, collection)
    number = solr_cluster.nodes.index(leader)
    solr_cluster.stop_node(number)
    try:
        started = time.monotonic()
        assert snapshot(solr) == before
        assert time.monotonic() - started < 3 * solr.client.timeout * len(SEARCHES)
        cluster = change_one(store, base)
        report = solr.update(store, NAMES)
        assert report.indexed >= 1
        assert cluster in [hit.id for hit in solr.search(SearchRequest(q='"revised printing"')).hits]
    finally:
        solr_cluster.start_node(number)
    admin.wait_active(client, collection)
    counts = wait_for(lambda: _replica_counts_if_equal(client, collection), timeout=60)
    assert all(len(set(per_shard)) == 1 for per_shard in counts.values()), counts


def _a_leader_node(client: SolrClient, collection: str) -> str:
    for shard in admin.shard_states(client, collection).values():
        for replica in shard["replicas"].values():
            if replica.get("leader") == "true":
                return replica["base_url"]
    raise AssertionError(f"{collection} has no leader")


def _replica_counts_if_equal(client: SolrClient, collection: str) -> dict | None:
    """Shard -> document count of each replica (asked of that core alone), once every shard's agree."""
    counts = {}
    for name, shard in admin.shard_states(client, collection).items():
        counts[name] = [_core_count(client, replica) for replica in shard["replicas"].values()]
    return counts if all(len(set(c)) == 1 for c in counts.values()) else None


def _core_count(client: SolrClient, replica: dict) -> int:
    import requests

    answer = requests.get(f"{replica['base_url']}/{replica['core']}/select",
                          params={"q": "*:*", "rows": 0, "distrib": "false", "wt": "json"}, timeout=10).json()
    return answer["response"]["numFound"]


def test_the_client_skips_a_node_that_refuses_and_uses_the_others(solr_cluster):
    dead = "http://127.0.0.1:9/solr"
    client = SolrClient([dead, *solr_cluster.nodes], timeout=5, refresh_every=float("inf"))  # the list as given
    for _ in range(6):
        assert "live_nodes" in client.get("admin/collections", {"action": "CLUSTERSTATUS"})["cluster"]
    assert dead in client.down_nodes() and client.answered[dead] == 0
    assert set(client.answered) == set(solr_cluster.nodes)


def test_no_node_answering_is_a_search_index_error(solr_cluster):
    client = SolrClient(["http://127.0.0.1:9/solr", "http://127.0.0.1:7/solr"], timeout=1)
    with pytest.raises(SolrError, match="no Solr node answered"):
        client.get("admin/collections", {"action": "CLUSTERSTATUS"})
