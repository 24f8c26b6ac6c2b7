"""The harvester against a real OAI-PMH server on 127.0.0.1 that fails the way member servers do.

The server is `oaiserver` (oaipmh's BatchingServer) serving Duke's 123 real
records, ten to a page, wrapped in our fault-injecting middleware. Every case
ends with the same invariants: the store's live identifiers (plus those kept
in quarantine) and its deleted identifiers equal the server's, nothing is
stored twice, and the outcome names the fault. Sleeps between retries are
injected, so `Retry-After` costs no wall-clock time.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from harvest import HarvestOptions, RetryPolicy, harvest_one
from oaiserver import Fault, FaultInjector, Match, Repository, load_marc_files, make_app, retry_after_date, serve_in_thread
from settings import SourceConfig
from store import Store
from tests.conftest import ROOT, SHARED

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
PAGE = 10
MARC = "http://www.loc.gov/MARC21/slim"


def hourly(index: int) -> datetime:
    return START + timedelta(hours=index)


@pytest.fixture(scope="module")
def duke_records():
    folder = SHARED / "trln-marc-to-argot" / "duke"
    paths = sorted(folder.glob("*.xml")) + sorted(folder.glob("*.mrc"))
    assert paths, "../shared/data is missing"
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=hourly)


class Peer:
    """A repository served on 127.0.0.1 through the fault injector; can go down and come back."""

    def __init__(self, repository: Repository, app=None):
        self.repository = repository
        self.app = app or make_app(repository, batch_size=PAGE)
        self.injector = FaultInjector(self.app)
        self.server = serve_in_thread(self.injector)
        self.url, self.port = self.server.url, self.server.port

    def down(self) -> None:
        self.server.stop()

    def up(self) -> None:
        self.server = serve_in_thread(self.injector, port=self.port)

    def list_requests(self):
        return [r for r in self.injector.requests if r.verb == "ListRecords"]


@pytest.fixture
def peer(duke_records):
    served = Peer(Repository(duke_records))
    yield served
    served.down()


@pytest.fixture
def sleeps():
    return []


def source_for(url: str) -> SourceConfig:
    return SourceConfig(code="duke", name="Duke", type="oai", url=url, metadata_prefix="marc21")


def harvest(store, peer, sleeps, *, timeout=5.0, **options):
    policy = RetryPolicy(timeout=timeout, max_retries=3, budget=8, sleep=sleeps.append)
    return harvest_one(store, source_for(peer.url), policy, HarvestOptions(**options))


def assert_invariants(store: Store, repository: Repository) -> None:
    """Live (or quarantined) and deleted identifiers equal the server's; nothing stored twice."""
    rows = list(store.records(source="duke", live_only=False))
    oai_ids = [r.oai_identifier for r in rows]
    assert len(oai_ids) == len(set(oai_ids)), "an identifier is stored twice"
    local_ids = [r.local_id for r in rows if r.local_id]
    assert len(local_ids) == len(set(local_ids)), "a control number is stored twice"
    live = {r.oai_identifier for r in rows if not r.deleted}
    deleted = {r.oai_identifier for r in rows if r.deleted}
    quarantined = {q.oai_identifier for q in store.quarantined("duke") if q.oai_identifier}
    server = list(repository)
    assert live | (quarantined - deleted) == {r.identifier for r in server if not r.deleted}
    assert deleted == {r.identifier for r in server if r.deleted}


def marcxml(control: str, title: str, leader: str = "00000nam a2200000 a 4500", extra: str = "") -> bytes:
    return (f'<record xmlns="{MARC}"><leader>{leader}</leader><controlfield tag="001">{control}</controlfield>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield></datafield>'
            f"{extra}</record>").encode("utf-8")


# --- the server is not there, or refuses -------------------------------------------------------

def test_server_down_at_the_start_fails_by_name_then_the_next_run_harvests_everything(store, peer, sleeps):
    peer.down()
    failed = harvest(store, peer, sleeps)
    assert not failed.ok and f"cannot connect to {peer.url}: connection refused" in failed.error
    assert failed.retries == 1 and sleeps == [1.0]      # one short retry: nothing listens (issue 18)
    peer.up()
    again = harvest(store, peer, sleeps)
    assert again.ok, again.error
    assert_invariants(store, peer.repository)


def test_server_down_mid_run_keeps_every_stored_page_and_the_next_run_resumes(store, peer, sleeps):
    crashing = threading.Thread(target=peer.down)

    def crash(_request):
        crashing.start()
        return True

    peer.injector.add(Fault("drop", times=1, when=Match(verb="ListRecords", nth=4, predicate=crash)))
    policy = RetryPolicy(timeout=5, max_retries=3, sleep=lambda seconds: crashing.join())
    failed = harvest_one(store, source_for(peer.url), policy)
    assert not failed.ok and "connection refused" in failed.error
    assert failed.counts.new + failed.counts.quarantined == 3 * PAGE
    checkpoint = store.checkpoint("duke")
    assert checkpoint.pages_done == 3 and checkpoint.token
    peer.up()
    asked_before = len(peer.list_requests())
    resumed = harvest(store, peer, sleeps)
    assert resumed.ok, resumed.error
    assert peer.list_requests()[asked_before].args.get("resumptionToken") == checkpoint.token
    assert resumed.counts.new + resumed.counts.quarantined == len(peer.repository) - 3 * PAGE
    assert_invariants(store, peer.repository)


@pytest.mark.parametrize("where", ["Identify", "ListRecords"])
def test_forbidden_stops_the_source_without_retrying_and_loses_nothing(store, peer, sleeps, where):
    nth = 1 if where == "Identify" else 3
    peer.injector.add(Fault("status", status=403, times=None, when=Match(verb=where, nth=nth)))
    failed = harvest(store, peer, sleeps)
    assert not failed.ok and "HTTP 403" in failed.error and sleeps == []
    stored = len(list(store.records(source="duke")))
    assert stored + failed.counts.quarantined == (0 if where == "Identify" else 2 * PAGE)
    peer.injector.clear()
    resumed = harvest(store, peer, sleeps)
    assert resumed.ok, resumed.error
    if where == "ListRecords":
        assert "resumed after page 2" in resumed.notes
    assert_invariants(store, peer.repository)


# --- HTTP errors and Retry-After ---------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_and_nothing_is_lost(store, peer, sleeps, status):
    peer.injector.add(Fault("status", status=status, retry_after="1", times=2, when=Match(verb="ListRecords", nth=2)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert report.retries == 2 and sleeps == [1.0, 1.0]
    assert_invariants(store, peer.repository)


@pytest.mark.parametrize("retry_after, expected", [
    ("1", (1.0, 1.0)),
    ("date", (25.0, 30.0)),
    ("86400000", (300.0, 300.0)),          # huge: capped
    ("soon, maybe", (1.0, 2.0)),           # garbage: the backoff (2**1, with jitter) is used instead
])
def test_retry_after_in_seconds_as_a_date_huge_or_garbage_is_honoured_or_replaced(store, peer, sleeps,
                                                                                  retry_after, expected):
    value = retry_after_date(30) if retry_after == "date" else retry_after
    peer.injector.add(Fault("status", status=503, retry_after=value, times=1, when=Match(verb="ListRecords", nth=3)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert len(sleeps) == 1 and expected[0] <= sleeps[0] <= expected[1]
    assert_invariants(store, peer.repository)


def test_retry_budget_spent_stops_the_source_by_name_and_the_next_run_resumes(store, peer, sleeps):
    peer.injector.add(Fault("status", status=503, retry_after="1", times=None, when=Match(verb="ListRecords", nth=5)))
    failed = harvest(store, peer, sleeps)
    assert not failed.ok and "HTTP 503" in failed.error and "gave up" in failed.error
    assert store.checkpoint("duke").pages_done == 4
    peer.injector.clear()
    resumed = harvest(store, peer, sleeps)
    assert resumed.ok and "resumed after page 4" in resumed.notes
    assert_invariants(store, peer.repository)


def test_the_retry_budget_of_a_source_stops_it_by_name_even_when_each_request_recovers(store, peer, sleeps):
    every_other = Match(verb="ListRecords", predicate=lambda request: request.verb_number % 2 == 0)
    peer.injector.add(Fault("status", status=503, retry_after="1", times=None, when=every_other))
    policy = RetryPolicy(timeout=5, max_retries=3, budget=4, sleep=sleeps.append)
    failed = harvest_one(store, source_for(peer.url), policy)
    assert not failed.ok and "retry budget of 4 spent" in failed.error
    assert failed.retries == 4 and store.checkpoint("duke").pages_done == 5
    peer.injector.clear()
    assert harvest(store, peer, sleeps).ok
    assert_invariants(store, peer.repository)


def test_a_page_gzipped_without_saying_so_is_read(store, peer, sleeps):
    def undeclared_gzip(environ, start_response):
        captured = {}
        body = b"".join(peer.app(environ, lambda status, headers, exc=None: captured.update(s=status, h=headers)))
        if "ListRecords" in environ.get("QUERY_STRING", ""):
            body = gzip.compress(body)
        start_response(captured["s"], [(k, v) for k, v in captured["h"] if k.lower() != "content-length"])
        return [body]

    peer.injector.app = undeclared_gzip
    report = harvest(store, peer, sleeps)
    assert report.ok and report.retries == 0, report.error
    assert_invariants(store, peer.repository)


def test_a_read_timeout_mid_list_is_retried(store, peer, sleeps):
    peer.injector.add(Fault("slow", delay=1.0, times=1, when=Match(verb="ListRecords", nth=3)))
    report = harvest(store, peer, sleeps, timeout=0.3)
    assert report.ok, report.error
    assert report.retries == 1
    assert_invariants(store, peer.repository)


# --- broken pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("full_length", [False, True], ids=["cut-with-matching-length", "connection-closed-mid-body"])
def test_a_truncated_page_is_fetched_again_never_taken_for_the_end(store, peer, sleeps, full_length):
    peer.injector.add(Fault("truncate", at=2000, full_length=full_length, times=1, when=Match(verb="ListRecords", nth=3)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert report.retries == 1
    assert_invariants(store, peer.repository)


def test_a_page_that_stays_truncated_is_kept_aside_and_the_source_fails_by_name(store, peer, sleeps):
    peer.injector.add(Fault("truncate", at=2000, times=None, when=Match(verb="ListRecords", nth=3)))
    failed = harvest(store, peer, sleeps)
    assert not failed.ok and "not well-formed" in failed.error and "kept aside" in failed.error
    kept = [q for q in store.quarantined("duke") if q.raw_format == "oai-page"]
    assert len(kept) == 1 and len(kept[0].raw) == 2000
    peer.injector.clear()
    resumed = harvest(store, peer, sleeps)
    assert resumed.ok, resumed.error
    assert not [q for q in store.quarantined("duke") if q.raw_format == "oai-page"]   # the list got past it
    assert_invariants(store, peer.repository)


@pytest.mark.parametrize("chars", ["\x0b", "&#x1A;"])
def test_invalid_xml_characters_are_dropped_and_only_the_touched_records_flagged(store, peer, sleeps, chars):
    peer.injector.add(Fault("invalid_xml", chars=chars, times=None, when=Match(verb="ListRecords", nth=2)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert report.retries == 0                  # the characters are the server's data: fetching again cannot help
    flagged = [r for r in store.records(source="duke") if "xml-repaired" in r.flags]
    assert len(flagged) == report.pages - 1     # the first record of every page from the second on
    assert all(b"\x0b" not in r.raw and b"&#x1A;" not in r.raw for r in flagged)
    assert_invariants(store, peer.repository)


def test_a_page_in_the_wrong_encoding_is_read_as_latin1_and_its_records_flagged(tmp_path, store, peer, sleeps):
    peer.injector.add(Fault("latin1", times=None, when=Match(verb="ListRecords", nth=1)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    flagged = {r.oai_identifier: r for r in store.records(source="duke") if "encoding-mislabelled" in r.flags}
    assert flagged and all(any(byte > 127 for byte in r.raw) for r in flagged.values())
    with Store(f"sqlite:///{tmp_path / 'clean.sqlite'}", migrate=True) as clean:
        peer.injector.clear()
        harvest(clean, peer, sleeps, full=True)
        titles = {r.oai_identifier: r.record.title for r in clean.records(source="duke")}
    assert all(r.record.title == titles[oai] for oai, r in flagged.items())
    assert_invariants(store, peer.repository)


def test_bad_resumption_token_mid_list_lists_the_window_again(store, peer, sleeps):
    peer.injector.add(Fault("bad_token", times=1, when=Match(verb="ListRecords", nth=4)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert any("badResumptionToken" in note for note in report.notes)
    assert_invariants(store, peer.repository)


def test_the_same_token_forever_stops_the_source_by_name_and_the_next_run_resumes(store, peer, sleeps):
    peer.injector.add(Fault("repeat_token", times=None, when=Match(verb="ListRecords", nth=2)))
    failed = harvest(store, peer, sleeps)
    assert not failed.ok and "same resumption token" in failed.error
    assert len(peer.list_requests()) < 10
    peer.injector.clear()
    resumed = harvest(store, peer, sleeps)
    assert resumed.ok, resumed.error
    assert_invariants(store, peer.repository)


def test_endless_empty_pages_are_stopped(store, peer, sleeps):
    peer.injector.add(Fault("empty_page", times=None, when=Match(verb="ListRecords", nth=2)))
    failed = harvest(store, peer, sleeps)
    assert not failed.ok and "empty pages" in failed.error


def test_a_few_empty_pages_are_skipped(store, peer, sleeps):
    peer.injector.add(Fault("empty_page", times=3, when=Match(verb="ListRecords", nth=2)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert_invariants(store, peer.repository)


# --- the list shifts under the harvest --------------------------------------------------------

def assert_current_versions(store, repository) -> None:
    """Every record is stored as the server holds it now (by datestamp)."""
    stored = {r.oai_identifier: r.datestamp for r in store.records(source="duke", live_only=False)}
    assert stored == {r.identifier: r.datestamp.strftime("%Y-%m-%dT%H:%M:%SZ") for r in repository}


def test_a_record_changed_mid_list_shifts_the_offsets_and_the_skipped_record_is_fetched(store, peer, sleeps):
    moved = [r.identifier for r in peer.repository][2]

    def change(_request):
        peer.repository.update(moved, datestamp=datetime.now(timezone.utc))    # from page 1 to the end
        return False

    peer.injector.add(Fault("slow", delay=0, when=Match(verb="ListRecords", nth=3, predicate=change)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert any("listed twice" in note for note in report.notes)
    assert [r.args["identifier"] for r in peer.injector.requests if r.verb == "GetRecord"]   # the skipped one
    assert_invariants(store, peer.repository)
    assert_current_versions(store, peer.repository)


def test_a_change_mid_list_in_an_incremental_run_fetches_the_skipped_new_version(store, peer, sleeps):
    harvest(store, peer, sleeps)
    later = datetime.now(timezone.utc) + timedelta(seconds=1)
    changed = sorted(r.identifier for r in peer.repository)[:25]
    for n, identifier in enumerate(changed):
        peer.repository.update(identifier, marcxml(f"V2-{n}", f"Second version {n}"), later + timedelta(seconds=n))

    def change_again(_request):
        peer.repository.update(changed[0], datestamp=later + timedelta(minutes=5))
        return False

    peer.injector.add(Fault("slow", delay=0, when=Match(verb="ListRecords", nth=len(peer.list_requests()) + 2,
                                                        predicate=change_again)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert any("listed twice" in note for note in report.notes)
    assert_current_versions(store, peer.repository)
    assert_invariants(store, peer.repository)


# --- odd records -------------------------------------------------------------------------------

def test_a_broken_leader_quarantines_that_record_only(store, peer, sleeps):
    peer.repository.add("oai:duke:broken", marcxml("BROKEN1", "Leader gone wrong", leader="BROKEN"), hourly(15))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    [kept] = [q for q in store.quarantined("duke") if q.oai_identifier == "oai:duke:broken"]
    assert "broken leader" in kept.reason and kept.position.startswith("page ")
    assert b"Leader gone wrong" in kept.raw
    assert_invariants(store, peer.repository)


def test_records_without_001_or_metadata_are_quarantined_with_their_identifier(store, peer, sleeps):
    no_001 = f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>' \
             '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Nameless</subfield></datafield></record>'
    peer.repository.add("oai:duke:nameless", no_001, hourly(5))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    reasons = {q.oai_identifier: q.reason for q in report.counts.quarantined_items}
    assert "no control number" in reasons["oai:duke:nameless"]
    assert_invariants(store, peer.repository)


def test_duplicate_identifiers_across_pages_are_stored_once(store, peer, sleeps):
    first_page = {}

    def duplicating(environ, start_response):
        captured = {}
        body = b"".join(peer.app(environ, lambda status, headers, exc=None: captured.update(s=status, h=headers)))
        root = etree.fromstring(body)
        listing = root.find("{http://www.openarchives.org/OAI/2.0/}ListRecords")
        if listing is not None and not first_page:
            first_page["record"] = etree.tostring(listing[0])
        elif listing is not None:
            listing.insert(0, etree.fromstring(first_page["record"]))
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        start_response(captured["s"], [(k, v) for k, v in captured["h"] if k.lower() != "content-length"])
        return [body]

    peer.injector.app = duplicating
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert report.counts.unchanged == report.pages - 1     # each page after the first repeats one record
    assert_invariants(store, peer.repository)


def test_deleted_records_on_the_first_and_the_last_page(store, peer, sleeps):
    ordered = [r.identifier for r in peer.repository]
    peer.repository.delete(ordered[0], datestamp=hourly(-1))                 # stays first
    peer.repository.delete(ordered[50])                                      # now: moves to the last page
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert report.counts.deleted == 2
    assert_invariants(store, peer.repository)


def test_a_record_deleted_then_recreated_is_live_again_with_its_new_content(store, peer, sleeps):
    harvest(store, peer, sleeps)
    later = datetime.now(timezone.utc) + timedelta(seconds=2)
    peer.repository.add("oai:duke:phoenix", marcxml("PHOENIX", "First life"), later)
    harvest(store, peer, sleeps)
    peer.repository.delete("oai:duke:phoenix", datestamp=later + timedelta(seconds=1))
    gone = harvest(store, peer, sleeps)
    assert gone.counts.deleted == 1 and store.record_by_public_id("duke:PHOENIX").deleted
    peer.repository.add("oai:duke:phoenix", marcxml("PHOENIX", "Second life"), later + timedelta(seconds=2))
    back = harvest(store, peer, sleeps)
    assert back.ok and back.counts.changed == 1
    record = store.record_by_public_id("duke:PHOENIX")
    assert not record.deleted and record.record.title == "Second life"
    assert_invariants(store, peer.repository)


def test_a_granularity_change_between_runs_is_read_from_identify(store, peer, sleeps):
    harvest(store, peer, sleeps)
    assert "T" in store.source_state("duke").next_from
    peer.repository.granularity = "YYYY-MM-DD"
    peer.repository.update(sorted(r.identifier for r in peer.repository)[3], datestamp=datetime.now(timezone.utc))
    days = harvest(store, peer, sleeps)
    assert days.ok, days.error                            # a `from` with seconds would be a badArgument
    assert len(peer.list_requests()[-1].args["from"]) == 10
    peer.repository.granularity = "YYYY-MM-DDThh:mm:ssZ"
    seconds = harvest(store, peer, sleeps)
    assert seconds.ok and "T" in peer.list_requests()[-1].args["from"]
    assert_invariants(store, peer.repository)


def test_a_ten_times_larger_page_mid_list(store, peer, sleeps):
    def grow(request):
        peer.app.batch_size = PAGE * 10
        return False

    peer.injector.add(Fault("slow", delay=0, when=Match(verb="ListRecords", nth=3, predicate=grow)))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    assert report.pages == 4                 # 10, 10, then 100 and the last 3 (123 records)
    assert_invariants(store, peer.repository)


def test_a_10_mb_field_is_kept_as_received_and_flagged_where_iso2709_cannot_carry_it(store, peer, sleeps):
    huge = "x" * 10_000_000
    wide = "".join(f'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">{"y" * 6000}</subfield></datafield>'
                   for _ in range(20))
    peer.repository.add("oai:duke:huge", marcxml("HUGE1", "A field of ten megabytes",
                        extra=f'<datafield tag="520" ind1=" " ind2=" "><subfield code="a">{huge}</subfield></datafield>'),
                        hourly(7))
    peer.repository.add("oai:duke:wide", marcxml("WIDE1", "Twenty notes of 6000 bytes", extra=wide), hourly(8))
    report = harvest(store, peer, sleeps)
    assert report.ok, report.error
    big = store.record_by_public_id("duke:HUGE1")
    assert huge.encode() in big.raw and "iso2709-too-long" in big.flags
    assert "iso2709-too-long" in store.record_by_public_id("duke:WIDE1").flags     # no field too long, the record is
    assert sum("iso2709-too-long" in r.flags for r in store.records(source="duke")) == 2
    assert_invariants(store, peer.repository)


# --- the harvester killed ----------------------------------------------------------------------

CHILD = """
import sys, time
from pathlib import Path
from harvest import RetryPolicy, harvest_one
from settings import SourceConfig
from store import Store
import store.records as records

url, store_url, stall_page, marker = sys.argv[1:5]
pages = {"n": 0}
original_resolve = records._resolve_stored

def resolve_stored(conn, stored):
    # runs after the page's records are inserted and before its checkpoint is saved
    pages["n"] += 1
    if pages["n"] == int(stall_page):
        Path(marker).write_text("inside the page transaction")
        time.sleep(60)
    return original_resolve(conn, stored)

records._resolve_stored = resolve_stored
with Store(store_url) as store:
    source = SourceConfig(code="duke", name="Duke", type="oai", url=url)
    report = harvest_one(store, source, RetryPolicy(timeout=5, max_retries=1))
print(report.outcome, report.error)
"""


def start_child(peer, store_url, tmp_path, stall_page=0):
    marker = tmp_path / "stalled"
    args = [sys.executable, "-c", CHILD, peer.url, store_url, str(stall_page), str(marker)]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE), marker


def kill_when(child, ready, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, f"the harvester never got {what}"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)


def stored_rows(store):
    return sorted((r.oai_identifier, r.local_id, r.deleted, r.raw, tuple(r.flags), r.record.title if r.record else None)
                  for r in store.records(source="duke", live_only=False))


def assert_equals_a_clean_run(store, peer, sleeps, tmp_path):
    with Store(f"sqlite:///{tmp_path / 'clean.sqlite'}", migrate=True) as clean:
        assert harvest(clean, peer, sleeps).ok
        assert stored_rows(store) == stored_rows(clean)
        assert sorted(q.oai_identifier for q in store.quarantined()) == sorted(q.oai_identifier for q in clean.quarantined())


def test_sigkill_between_pages_then_a_restart_ends_like_a_clean_run(tmp_path, store_url, peer, sleeps):
    asked = threading.Event()
    peer.injector.add(Fault("slow", delay=3, when=Match(verb="ListRecords", nth=5, predicate=lambda r: asked.set() or True)))
    child, _ = start_child(peer, store_url, tmp_path)
    kill_when(child, asked.is_set, "to page 5")
    with Store(store_url) as store:
        assert store.checkpoint("duke").pages_done == 4
        assert len(list(store.records(source="duke", live_only=False))) + len(store.quarantined()) == 4 * PAGE
        peer.injector.clear()
        resumed = harvest(store, peer, sleeps)
        assert resumed.ok and "resumed after page 4" in resumed.notes
        assert store.checkpoint("duke") is None
        assert_equals_a_clean_run(store, peer, sleeps, tmp_path)
        assert_invariants(store, peer.repository)


def test_sigkill_while_writing_a_page_loses_the_half_page_and_the_restart_ends_like_a_clean_run(tmp_path, store_url, peer,
                                                                                               sleeps):
    child, marker = start_child(peer, store_url, tmp_path, stall_page=4)    # page 4's records written, not its checkpoint
    kill_when(child, marker.exists, "into page 4")
    with Store(store_url) as store:
        assert store.checkpoint("duke").pages_done == 3
        assert len(list(store.records(source="duke", live_only=False))) + len(store.quarantined()) == 3 * PAGE
        resumed = harvest(store, peer, sleeps)
        assert resumed.ok and "resumed after page 3" in resumed.notes
        assert_equals_a_clean_run(store, peer, sleeps, tmp_path)
        assert_invariants(store, peer.repository)
