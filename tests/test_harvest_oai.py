"""Harvesting over OAI-PMH from a real server on 127.0.0.1 serving real records.

The server is `oaiserver` (oaipmh's BatchingServer) wrapped in our fault
injection middleware; sleeps between retries are injected so that faults with
`Retry-After` cost no wall-clock time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harvest import HarvestOptions, RetryPolicy, harvest_one
from oaiserver import Fault, FaultInjector, Match, Repository, load_marc_files, make_app, serve_in_thread
from settings import SourceConfig
from tests.conftest import SHARED

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
PAGE = 10


def hourly(index: int) -> datetime:
    return START + timedelta(hours=index)


@pytest.fixture(scope="module")
def duke_records():
    paths = sorted((SHARED / "trln-marc-to-argot" / "duke").glob("*.xml"))
    assert paths, "../shared/data is missing"
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=hourly)


@pytest.fixture
def peer(duke_records):
    """(repository, fault injector, running server) with the Duke records."""
    repository = Repository(duke_records)
    injector = FaultInjector(make_app(repository, batch_size=PAGE))
    with serve_in_thread(injector) as server:
        yield repository, injector, server


@pytest.fixture
def sleeps():
    return []


def source_for(server) -> SourceConfig:
    return SourceConfig(code="duke", name="Duke", type="oai", url=server.url, metadata_prefix="marc21")


def harvest(store, server, sleeps, **options):
    policy = RetryPolicy(timeout=5, max_retries=3, sleep=sleeps.append)
    return harvest_one(store, source_for(server), policy, HarvestOptions(**options))


def store_ids(store) -> tuple[set[str], set[str]]:
    """(live, deleted) OAI identifiers in the store."""
    records = list(store.records(source="duke", live_only=False))
    return ({r.oai_identifier for r in records if not r.deleted}, {r.oai_identifier for r in records if r.deleted})


def server_ids(repository) -> tuple[set[str], set[str]]:
    records = list(repository)
    return ({r.identifier for r in records if not r.deleted}, {r.identifier for r in records if r.deleted})


def test_harvest_stores_every_record_of_the_server(store, peer, sleeps):
    repository, injector, server = peer
    report = harvest(store, server, sleeps)
    assert report.ok, report.error
    live, _deleted = server_ids(repository)
    assert store_ids(store)[0] == live
    assert report.counts.new + report.counts.quarantined == len(live)
    assert report.pages == -(-len(live) // PAGE)


def test_second_harvest_stores_nothing_twice(store, peer, sleeps):
    repository, injector, server = peer
    harvest(store, server, sleeps)
    before = len(list(store.records(source="duke", live_only=False)))
    again = harvest(store, server, sleeps, full=True)
    assert again.ok and again.counts.new == 0 and again.counts.changed == 0
    assert len(list(store.records(source="duke", live_only=False))) == before


def test_incremental_harvest_asks_from_the_last_response_date_and_gets_changes(store, peer, sleeps):
    repository, injector, server = peer
    harvest(store, server, sleeps)
    gone = sorted(server_ids(repository)[0])[0]
    repository.delete(gone, datestamp=datetime.now(timezone.utc) + timedelta(seconds=5))
    report = harvest(store, server, sleeps)
    last_list = [r for r in injector.requests if r.verb == "ListRecords"][-1]
    assert "from" in last_list.args
    assert report.counts.deleted == 1
    assert store_ids(store) == server_ids(repository)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_and_nothing_is_lost(store, peer, sleeps, status):
    repository, injector, server = peer
    injector.add(Fault("status", status=status, retry_after="1", times=2, when=Match(verb="ListRecords", nth=2)))
    report = harvest(store, server, sleeps)
    assert report.ok, report.error
    assert report.retries == 2 and sleeps == [1.0, 1.0]
    assert store_ids(store)[0] == server_ids(repository)[0]


def test_truncated_page_is_never_taken_for_the_end_of_the_list(store, peer, sleeps):
    repository, injector, server = peer
    injector.add(Fault("truncate", at=2000, times=1, when=Match(verb="ListRecords", nth=3)))
    report = harvest(store, server, sleeps)
    assert report.ok, report.error
    assert store_ids(store)[0] == server_ids(repository)[0]


def test_a_page_that_stays_broken_fails_the_source_by_name_and_resumes_next_run(store, peer, sleeps):
    repository, injector, server = peer
    injector.add(Fault("truncate", at=2000, times=4, when=Match(verb="ListRecords", nth=3)))
    failed = harvest(store, server, sleeps)
    assert not failed.ok and "not well-formed" in failed.error
    assert 0 < len(store_ids(store)[0]) < len(server_ids(repository)[0])
    assert store.checkpoint("duke").pages_done == 2
    resumed = harvest(store, server, sleeps)
    assert resumed.ok, resumed.error
    assert store_ids(store)[0] == server_ids(repository)[0]


def test_server_down_is_a_named_failure_and_loses_nothing(store, peer, sleeps):
    repository, injector, server = peer
    harvest(store, server, sleeps)
    before = store_ids(store)
    server.stop()
    report = harvest(store, server, sleeps)
    assert not report.ok and "connection refused" in report.error
    assert store_ids(store) == before


def test_same_token_forever_is_stopped(store, peer, sleeps):
    repository, injector, server = peer
    injector.add(Fault("repeat_token", times=None, when=Match(verb="ListRecords", nth=2)))
    report = harvest(store, server, sleeps)
    assert not report.ok and "same resumption token" in report.error


def test_forbidden_is_not_retried(store, peer, sleeps):
    repository, injector, server = peer
    injector.add(Fault("status", status=403, times=None, when=Match(verb="Identify")))
    report = harvest(store, server, sleeps)
    assert not report.ok and "HTTP 403" in report.error and sleeps == []
