"""Deletion reconciliation for servers that do not keep deletions, and retrying quarantined records.

A real OAI-PMH server on 127.0.0.1 (oaiserver) serves Duke's real records; a
repository with `deletedRecord` `no` forgets deleted records entirely, which
is what reconciliation exists for.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from harvest import HarvestOptions, RetryPolicy, harvest_one, harvest_sources, retry_quarantined
from oaiserver import Repository, load_marc_files, make_app, serve_in_thread
from settings import SourceConfig
from tests.conftest import SHARED

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
MARC = "http://www.loc.gov/MARC21/slim"


@pytest.fixture(scope="module")
def duke_records():
    paths = sorted((SHARED / "trln-marc-to-argot" / "duke").glob("*.xml"))
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=lambda i: START + timedelta(hours=i))


def serve(records, deleted_record="no"):
    repository = Repository(records, deleted_record=deleted_record)
    return repository, serve_in_thread(make_app(repository, batch_size=10))


@pytest.fixture
def forgetful(duke_records):
    """(repository, server) whose Identify says deletedRecord `no`."""
    repository, server = serve(duke_records)
    with server:
        yield repository, server


def source_for(server, **extra) -> SourceConfig:
    return SourceConfig(code="duke", name="Duke", type="oai", url=server.url, **extra)


def harvest(store, server, **options):
    policy = RetryPolicy(timeout=5, max_retries=2, sleep=lambda seconds: None)
    return harvest_one(store, source_for(server), policy, HarvestOptions(**options))


def live_ids(store) -> set[str]:
    return store.live_identifiers("duke")


def server_live(repository) -> set[str]:
    return {r.identifier for r in repository if not r.deleted}


def test_reconciliation_marks_records_the_server_no_longer_lists_deleted(store, forgetful):
    repository, server = forgetful
    harvest(store, server)
    gone = sorted(server_live(repository))[:3]
    for identifier in gone:
        repository.delete(identifier)
    plain = harvest(store, server)
    assert plain.counts.deleted == 0 and live_ids(store) > server_live(repository)   # nothing told us
    reconciled = harvest(store, server, reconcile=True)
    assert reconciled.ok, reconciled.error
    assert reconciled.counts.deleted == 3 and not reconciled.warnings
    assert live_ids(store) == server_live(repository)
    assert all(store.record_by_public_id(f"duke:{r.local_id}").deleted
               for r in store.records(source="duke", live_only=False) if r.oai_identifier in gone)


def test_a_record_reconciled_away_that_comes_back_unchanged_is_live_again(store, forgetful):
    repository, server = forgetful
    harvest(store, server)
    back = sorted(server_live(repository))[0]
    kept = repository.get(back)
    repository.delete(back)
    assert harvest(store, server, reconcile=True).counts.deleted == 1
    repository.add(back, kept.marcxml, datetime.now(timezone.utc) + timedelta(seconds=1))   # the very same bytes
    again = harvest(store, server)
    assert again.counts.changed == 1 and back in live_ids(store)
    assert live_ids(store) == server_live(repository)


def test_reconciliation_refuses_when_the_listing_shrank_by_more_than_the_allowed_share(store, forgetful):
    repository, server = forgetful
    harvest(store, server)
    for identifier in sorted(server_live(repository))[:15]:          # 15 of 49: 31%
        repository.delete(identifier)
    refused = harvest(store, server, reconcile=True)
    assert refused.counts.deleted == 0
    assert refused.warnings and "15 of 49" in refused.warnings[0] and "--force" in refused.warnings[0]
    allowed = harvest(store, server, reconcile=True, max_shrink=0.5)
    assert allowed.counts.deleted == 15 and live_ids(store) == server_live(repository)


def test_reconciliation_never_deletes_on_an_empty_listing_unless_forced(store, forgetful):
    repository, server = forgetful
    harvest(store, server)
    for identifier in server_live(repository):
        repository.delete(identifier)
    refused = harvest(store, server, reconcile=True, max_shrink=1.0)
    assert refused.counts.deleted == 0 and "listed no identifiers" in refused.warnings[0]
    assert len(live_ids(store)) == 49
    forced = harvest(store, server, reconcile=True, force=True)
    assert forced.counts.deleted == 49 and live_ids(store) == set()


def test_reconciliation_is_skipped_when_the_server_keeps_deletions(store, duke_records):
    repository, server = serve(duke_records, deleted_record="persistent")
    with server:
        report = harvest(store, server, reconcile=True)
    assert report.ok and any("deletedRecord persistent" in note for note in report.notes)


def test_reconciliation_fetches_records_listed_but_never_stored(store, forgetful):
    repository, server = forgetful
    harvest(store, server)
    # a record the incremental harvest cannot see: its datestamp is older than the last run
    repository.add("oai:duke:backdated", _marcxml("BACKDATED", "Dated in the past"), START - timedelta(days=1))
    incremental = harvest(store, server)
    assert "oai:duke:backdated" not in live_ids(store) and incremental.counts.new == 0
    reconciled = harvest(store, server, reconcile=True)
    assert reconciled.counts.new == 1 and "oai:duke:backdated" in live_ids(store)
    assert live_ids(store) == server_live(repository)


def test_a_source_configured_to_reconcile_does_so_on_every_harvest(store, forgetful, write_store_config):
    repository, server = forgetful
    config = write_store_config([{"code": "duke", "name": "Duke", "type": "oai", "url": server.url, "reconcile": True}])
    harvest_sources(store, config, list(config.sources))
    repository.delete(sorted(server_live(repository))[0])
    [report] = harvest_sources(store, config, list(config.sources))
    assert report.counts.deleted == 1 and live_ids(store) == server_live(repository)


def _marcxml(control: str, title: str) -> str:
    return (f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>'
            f'<controlfield tag="001">{control}</controlfield>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield></record>')


def _without_001(title: str) -> str:
    return (f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield></record>')


def retry(store, server):
    return retry_quarantined(store, [source_for(server)], lambda source: RetryPolicy(timeout=5, max_retries=1))


def test_retry_fetches_a_record_again_when_its_kept_bytes_are_still_unusable(store, forgetful):
    repository, server = forgetful
    repository.add("oai:duke:nameless", _without_001("Nameless for now"), START)
    harvest(store, server)
    assert [q.oai_identifier for q in store.quarantined("duke")] == ["oai:duke:nameless"]
    still = retry(store, server)
    assert not still.resolved and "no control number" in still.remaining[0][1]
    repository.update("oai:duke:nameless", _marcxml("NAMED", "Named at last"))     # fixed at the member library
    fixed = retry(store, server)
    assert [q.oai_identifier for q in fixed.resolved] == ["oai:duke:nameless"] and not fixed.remaining
    assert store.quarantined("duke") == [] and store.record_by_public_id("duke:NAMED").record.title == "Named at last"


def test_retry_stores_a_record_whose_kept_bytes_now_read(store, forgetful):
    repository, server = forgetful
    repository.add("oai:duke:first", _marcxml("SHARED001", "First holder"), START)
    repository.add("oai:duke:second", _marcxml("SHARED001", "Second holder"), START + timedelta(minutes=1))
    harvest(store, server)
    [kept] = store.quarantined("duke")
    assert kept.oai_identifier == "oai:duke:second" and "already used by oai:duke:first" in kept.reason
    repository.delete("oai:duke:first")
    harvest(store, server, reconcile=True)
    report = retry(store, server)
    assert [q.oai_identifier for q in report.resolved] == ["oai:duke:second"]
    assert store.record_by_public_id("duke:SHARED001").oai_identifier == "oai:duke:second"


def test_a_record_quarantined_once_leaves_the_quarantine_when_a_harvest_brings_it_fixed(store, forgetful):
    repository, server = forgetful
    repository.add("oai:duke:nameless", _without_001("Nameless for now"), START)
    harvest(store, server)
    repository.update("oai:duke:nameless", _marcxml("NAMED", "Named at last"),
                      datestamp=datetime.now(timezone.utc) + timedelta(seconds=1))
    harvest(store, server)
    assert store.quarantined("duke") == []


def test_options_for_a_source_keep_the_run_options(forgetful):
    _repository, server = forgetful
    from harvest.runner import source_options

    options = HarvestOptions(full=True, max_shrink=0.3)
    assert source_options(options, source_for(server, reconcile=True)) == replace(options, reconcile=True)
    assert source_options(options, source_for(server)) == options
