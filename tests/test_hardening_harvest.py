"""Issue 12, findings 4, 5, 9, 12 and 13: a harvest that nothing a server sends can make unbounded.

Hostile OAI-PMH servers run on 127.0.0.1 (oaiserver behind the fault
injector): a gzip bomb, an endless body, one byte a second, a redirect to
another port, a 50 MB page; entity references in records; `inspect` on files
without MARC. Limits and deadlines are set small so each case ends in seconds.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from harvest import HarvestOptions, RetryPolicy, harvest_one, policy_for
from harvest.quarantine import from_kept_bytes
from normalise import MARCXML, parse_raw, read_file
from oaiserver import Fault, Match, Repository
from settings import ConfigError, SourceConfig
from store import Store
from tests.conftest import ROOT
from tests.test_harvest_faults import Peer, assert_invariants, duke_records, hourly, marcxml  # noqa: F401 (a fixture)

MiB = 1024 * 1024
LIMIT = 1 * MiB


@pytest.fixture
def peer(duke_records):
    """Thirty of Duke's records, ten to a page: enough pages to fail on the third."""
    served = Peer(Repository(list(duke_records)[:30]))
    yield served
    served.down()


@pytest.fixture
def elsewhere():
    """Another origin (another port) with records of its own, none of which may ever be stored."""
    repository = Repository([])
    for n in range(3):
        repository.add(f"oai:elsewhere:{n}", marcxml(f"ELSEWHERE{n}", f"From another origin {n}"), hourly(n))
    served = Peer(repository)
    yield served
    served.down()


def source_for(url: str, **settings) -> SourceConfig:
    return SourceConfig(code="duke", name="Duke", type="oai", url=url, **settings)


def policy(**limits) -> RetryPolicy:
    return RetryPolicy(**{"timeout": 5.0, "max_retries": 3, "budget": 8, "sleep": lambda seconds: None, **limits})


def harvest(store, peer, url: str | None = None, **limits):
    return harvest_one(store, source_for(url or peer.url), policy(**limits), HarvestOptions())


def harvest_within(store, peer, seconds: float, url: str | None = None, **limits):
    """Harvest in a thread; fail (without waiting for it) when it outlasts `seconds`."""
    done = {}
    worker = threading.Thread(target=lambda: done.update(report=harvest(store, peer, url, **limits)), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"the harvest was still running after {seconds}s"
    return done["report"], time.monotonic() - started


# --- finding 4: a maximum response size, on the wire and after decompression ----------------------------

@pytest.mark.parametrize("fault", [Fault("gzip_bomb", size=64 * MiB), Fault("huge_page", size=50_000_000)],
                         ids=["gzip-bomb", "50-mb-page"])
def test_finding_04_an_oversized_page_ends_by_name_keeps_a_bounded_prefix_and_the_next_run_resumes(store, peer, fault):
    peer.injector.add(Fault(fault.kind, size=fault.size, times=None, when=Match(verb="ListRecords", nth=3)))
    failed = harvest(store, peer, max_response_bytes=LIMIT)
    assert not failed.ok and f"response larger than {LIMIT} bytes" in failed.error, failed.error
    assert peer.injector.count("ListRecords") == 3            # a limit is not retried
    assert store.checkpoint("duke").pages_done == 2           # the list is not taken as complete
    [kept] = [q for q in store.quarantined("duke") if q.raw_format == "oai-page"]
    assert f"response larger than {LIMIT} bytes" in kept.reason and 0 < len(kept.raw) < LIMIT / 4   # a prefix
    peer.injector.clear()
    resumed = harvest(store, peer, max_response_bytes=LIMIT)
    assert resumed.ok and "resumed after page 2" in resumed.notes, resumed.error
    assert not [q for q in store.quarantined("duke") if q.raw_format == "oai-page"]   # the list got past it
    assert_invariants(store, peer.repository)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "two-gzip-members", "undeclared-gzip",
                                      "gzip-twice"])
def test_finding_04_bodies_decode_whatever_their_encoding_and_stop_at_the_limit_decompressed(encoding):
    from harvest.body import read_bounded
    from harvest.errors import ResponseTooLarge

    def encoded(data: bytes) -> tuple[bytes, str | None]:
        raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        return {"gzip": (gzip.compress(data), "gzip"), "deflate": (zlib.compress(data), "deflate"),
                "raw-deflate": (raw.compress(data) + raw.flush(), "deflate"),
                "two-gzip-members": (gzip.compress(data[:1000]) + gzip.compress(data[1000:]), "gzip"),
                "undeclared-gzip": (gzip.compress(data), None),
                "gzip-twice": (gzip.compress(gzip.compress(data)), "gzip")}[encoding]

    def chunks(data: bytes, size: int):
        return (data[start:start + size] for start in range(0, len(data), size))

    page = b"<OAI-PMH>" + b"".join(b"<record>%d</record>" % n for n in range(5000)) + b"</OAI-PMH>"
    body, header = encoded(page)
    assert read_bounded(chunks(body, 1000), header, len(page)) == page
    bomb, header = encoded(bytes(8 * LIMIT))
    with pytest.raises(ResponseTooLarge, match=f"larger than {LIMIT} bytes"):
        read_bounded(chunks(bomb, 64 * 1024), header, LIMIT)


def test_finding_04_the_limit_is_configured_with_a_default_and_a_per_source_override(write_config):
    config = write_config([{"code": "a", "name": "A", "type": "oai", "url": "http://127.0.0.1:1/oai"},
                           {"code": "b", "name": "B", "type": "oai", "url": "http://127.0.0.1:1/oai",
                            "max_response_bytes": 2048, "follow_redirects": "any"}])
    assert policy_for(config, config.source("a")).max_response_bytes == 100 * MiB
    assert policy_for(config, config.source("b")).max_response_bytes == 2048
    assert (policy_for(config, config.source("a")).follow_redirects,
            policy_for(config, config.source("b")).follow_redirects) == ("origin", "any")
    documented = yaml.safe_load((ROOT / "config.yaml").read_text())["harvest"]
    assert {"max_response_bytes", "request_deadline", "page_deadline", "follow_redirects"} <= set(documented)


@pytest.mark.parametrize("harvest_settings, source_settings, named", [
    ({"max_response_bytes": "100 MB"}, {}, "max_response_bytes"),
    ({"request_deadline": 0}, {}, "request_deadline"),
    ({"follow_redirects": "anywhere"}, {}, "follow_redirects"),
    ({}, {"max_response_bytes": -1}, "sources[0].max_response_bytes"),
])
def test_finding_04_a_bad_limit_is_a_configuration_error_naming_the_key(write_config, harvest_settings,
                                                                         source_settings, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        write_config([{"code": "a", "name": "A", "type": "oai", "url": "http://127.0.0.1:1/oai", **source_settings}],
                     harvest=harvest_settings)


# --- finding 5: deadlines per request and per page ----------------------------------------------------

def test_finding_05_a_server_sending_one_byte_a_second_is_cut_at_the_deadline_and_the_next_run_resumes(store, peer):
    peer.injector.add(Fault("drip", delay=1.0, times=None, when=Match(verb="ListRecords", nth=2)))
    failed, took = harvest_within(store, peer, 15, request_deadline=1.0, page_deadline=2.5)
    assert not failed.ok and "page deadline of 2.5s" in failed.error, failed.error
    assert took < 10                         # at this pace the page alone would take hours
    assert store.checkpoint("duke").pages_done == 1
    peer.injector.clear()
    resumed = harvest(store, peer)
    assert resumed.ok and "resumed after page 1" in resumed.notes, resumed.error
    assert_invariants(store, peer.repository)


def test_finding_05_headers_sent_one_byte_a_second_are_cut_at_the_deadline_too(store):
    stop = threading.Event()

    class Dripping(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.recv(65536)
            for byte in b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n" * 1000:
                if stop.is_set():
                    return
                self.request.sendall(bytes([byte]))
                time.sleep(0.5)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Dripping)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/oai"
        failed, took = harvest_within(store, None, 15, url=url, request_deadline=1.0, page_deadline=2.0)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
    assert not failed.ok and "page deadline of 2s" in failed.error, failed.error
    assert took < 10


def test_finding_05_the_page_deadline_covers_every_retry_of_a_slow_page(store, peer):
    peer.injector.add(Fault("slow", delay=1.0, times=None, when=Match(verb="ListRecords", nth=2)))
    failed, took = harvest_within(store, peer, 15, timeout=0.4, max_retries=50, backoff=0.01, page_deadline=2.0)
    assert not failed.ok and "page deadline of 2s" in failed.error, failed.error
    assert took < 10 and failed.retries >= 2         # retried, until the page's time was up


# --- finding 9: redirects only within the source's origin, each one noted -----------------------------

def test_finding_09_a_redirect_to_another_port_ends_the_page_by_name_and_nothing_from_there_is_stored(
        store, peer, elsewhere):
    peer.injector.add(Fault("redirect", location=elsewhere.url, times=None, when=Match(verb="ListRecords", nth=2)))
    failed = harvest(store, peer)
    assert not failed.ok and "redirected to another origin" in failed.error and elsewhere.url in failed.error
    assert elsewhere.injector.count() == 0
    assert not [r for r in store.records(source="duke", live_only=False) if "elsewhere" in r.oai_identifier]
    assert store.checkpoint("duke").pages_done == 1
    peer.injector.clear()
    assert harvest(store, peer).ok
    assert_invariants(store, peer.repository)


def test_finding_09_a_redirect_within_the_origin_is_followed_and_noted(store, peer):
    moved = peer.url.replace("/oai", "/moved")
    peer.injector.add(Fault("redirect", location=moved, times=1, when=Match(verb="ListRecords", nth=2)))
    report = harvest(store, peer)
    assert report.ok, report.error
    assert f"redirect followed: {peer.url} -> {moved}" in report.notes
    assert_invariants(store, peer.repository)


def test_finding_09_follow_redirects_any_follows_another_origin_and_notes_it(tmp_path, peer, duke_records):
    mirror = Peer(Repository(list(duke_records)[:30]))
    try:
        peer.injector.add(Fault("redirect", location=mirror.url, times=None, when=Match(verb="ListRecords")))
        with Store(f"sqlite:///{tmp_path / 'any.sqlite'}", migrate=True) as store:
            report = harvest(store, peer, follow_redirects="any")
            assert report.ok, report.error
            assert any(f"-> {mirror.url}" in note for note in report.notes)
            assert_invariants(store, mirror.repository)
    finally:
        mirror.down()


# --- findings 4, 5 and 9 together: `unioncat harvest` in a subprocess, its memory measured --------------

# The child reports its own peak (VmHWM) as it exits. Not ru_maxrss: on Linux a child started by
# fork or vfork carries the parent's high-water mark across exec, so it would measure pytest.
MEASURED = [sys.executable, "-c", "import atexit, sys\n"
            "atexit.register(lambda: print(next(line for line in open('/proc/self/status')\n"
            "                                   if line.startswith('VmHWM:')), file=sys.stderr))\n"
            "from cli import main\nmain()"]


def run_measured(args: list[str], output: Path, seconds: float, rss_ceiling_kb: int) -> tuple[int, int, float]:
    """(exit code, peak resident kB, seconds) of `args`; killed past `seconds` or `rss_ceiling_kb`."""
    started = time.monotonic()
    with open(output, "wb") as sink:
        child = subprocess.Popen([*MEASURED, *args], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    while child.poll() is None:
        if time.monotonic() - started > seconds or _kb(child.pid, "VmRSS:") > rss_ceiling_kb:
            os.kill(child.pid, signal.SIGKILL)
        time.sleep(0.05)
    took = time.monotonic() - started
    peak = [line for line in output.read_text().splitlines() if line.startswith("VmHWM:")]
    assert peak, f"the harvest did not finish (killed?):\n{output.read_text()}"
    return child.returncode, int(peak[0].split()[1]), took


def _kb(pid: int, field: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith(field)), 0)


def test_finding_04_05_09_hostile_servers_beside_a_good_one_end_within_deadlines_and_bounded_memory(
        tmp_path, duke_records, elsewhere):
    limit, request_deadline, page_deadline = 8 * MiB, 1.0, 2.0
    plans = {"bomb": Fault("gzip_bomb", size=4 * 1024 * MiB, times=None, when=Match(verb="ListRecords", nth=2)),
             "endless": Fault("endless", times=None, when=Match(verb="ListRecords", nth=2)),
             "drip": Fault("drip", delay=1.0, times=None, when=Match(verb="ListRecords", nth=2)),
             "redirect": Fault("redirect", location=elsewhere.url, times=None, when=Match(verb="ListRecords", nth=2)),
             "huge": Fault("huge_page", size=50_000_000, times=None, when=Match(verb="ListRecords", nth=2))}
    # the slowest first: two sources at a time (the default concurrency), and the others meanwhile
    peers = {code: Peer(Repository(duke_records)) for code in ["drip", "good", "bomb", "endless", "redirect", "huge"]}
    try:
        for code, fault in plans.items():
            peers[code].injector.add(fault)
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump({
            "store": "store.sqlite", "index": "index",
            "sources": [{"code": code, "name": code, "type": "oai", "url": p.url} for code, p in peers.items()],
            "harvest": {"timeout": 5, "max_retries": 2, "backoff": 0.05, "concurrency": 2,
                        "max_response_bytes": limit, "request_deadline": request_deadline,
                        "page_deadline": page_deadline}}))
        Store(f"sqlite:///{tmp_path / 'store.sqlite'}", migrate=True).close()     # `unioncat migrate`, once
        code, peak_kb, took = run_measured(["--config", str(path), "harvest"], tmp_path / "output.txt", 60,
                                           rss_ceiling_kb=(limit + 400 * MiB) // 1024)
        output = (tmp_path / "output.txt").read_text()
    finally:
        for served in peers.values():
            served.down()
    assert code == 1, output
    assert peak_kb * 1024 < limit + 100 * MiB, f"peak resident memory {peak_kb} kB\n{output}"
    assert took < 45, output                 # without deadlines the drip alone would take half a day
    lines = {line.split(":")[0]: line for line in output.splitlines() if ": " in line and "; " in line}
    assert lines["good"].startswith("good: ok;"), output
    expected = {"bomb": f"larger than {limit} bytes", "endless": f"larger than {limit} bytes",
                "huge": f"larger than {limit} bytes", "drip": "deadline", "redirect": "another origin"}
    for source, reason in expected.items():
        assert lines[source].startswith(f"{source}: failed;") and reason in lines[source], output
        assert float(lines[source].split("s; ")[0].rsplit(", ", 1)[1]) < page_deadline + 8, lines[source]
    assert elsewhere.injector.count() == 0
    with Store(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        good = {r.oai_identifier for r in store.records(source="good", live_only=False)}
        good |= {q.oai_identifier for q in store.quarantined("good")}
        assert good == {r.identifier for r in peers["good"].repository}
        assert store.checkpoint("good") is None
        for source in expected:
            assert store.checkpoint(source).pages_done == 1, source
        stored = [r.oai_identifier for s in peers for r in store.records(source=s, live_only=False)]
        assert not [i for i in stored if "elsewhere" in i]


# --- finding 12: entity references kept as literal text, flagged, and readable again -------------------

XXE_TITLE = "XXE:&xxe;:END"
DOCTYPES = {
    "no-doctype": b"",
    "declared-file-entity": b'<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "external-dtd": b'<!DOCTYPE OAI-PMH SYSTEM "%s">',
}


def with_entity(peer, doctype: bytes):
    """Serve the pages with the record titled XXE-TITLE carrying `&xxe;`, and `doctype` after the declaration."""
    def app(environ, start_response):
        captured = {}
        body = b"".join(peer.app(environ, lambda status, headers, exc=None: captured.update(s=status, h=headers)))
        if b"XXE-TITLE" in body:
            body = body.replace(b"XXE-TITLE", XXE_TITLE.encode())
            declaration = body.index(b"?>") + 2
            body = body[:declaration] + doctype + body[declaration:]
        start_response(captured["s"], [(k, v) for k, v in captured["h"] if k.lower() != "content-length"])
        return [body]
    peer.injector.app = app


@pytest.mark.parametrize("doctype", list(DOCTYPES))
def test_finding_12_an_entity_reference_is_kept_as_literal_text_flagged_and_never_resolved(store, peer, elsewhere,
                                                                                             doctype):
    peer.repository.add("oai:duke:xxe", marcxml("XXE1", "XXE-TITLE"), hourly(4))
    with_entity(peer, DOCTYPES[doctype].replace(b"%s", elsewhere.url.encode()))
    report = harvest(store, peer)
    assert report.ok and report.retries == 0, report.error
    record = store.record_by_public_id("duke:XXE1")
    assert record.record.title == XXE_TITLE and "entity-reference-kept" in record.flags
    assert [r.local_id for r in store.records(source="duke") if "entity-reference-kept" in r.flags] == ["XXE1"]
    assert b"root:" not in record.raw and elsewhere.injector.count() == 0      # nothing read, nothing fetched
    again, _flags = parse_raw(record.raw, MARCXML)                              # the stored bytes read again
    assert again["245"]["a"] == XXE_TITLE
    assert_invariants(store, peer.repository)


def test_finding_12_the_kept_bytes_of_a_quarantined_record_with_an_entity_reference_read_again(store, peer):
    no_001 = (f'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
              '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">XXE-TITLE</subfield></datafield></record>')
    peer.repository.add("oai:duke:xxe", no_001, hourly(4))
    with_entity(peer, DOCTYPES["declared-file-entity"])
    assert harvest(store, peer).ok
    [kept] = [q for q in store.quarantined("duke") if q.oai_identifier == "oai:duke:xxe"]
    assert "no control number" in kept.reason
    again = from_kept_bytes(source_for(peer.url), kept)      # what `quarantine retry` reads first
    assert again.reason == "record has no control number (001)" and b"XXE:&amp;xxe;:END" in again.raw


def test_finding_12_raw_bytes_kept_with_a_bare_reference_by_an_older_harvest_read_again_flagged():
    raw = marcxml("OLD1", XXE_TITLE)
    record, flags = parse_raw(raw, MARCXML)
    assert record["245"]["a"] == XXE_TITLE and "entity-reference-kept" in flags


def test_finding_12_a_marcxml_file_with_a_declared_entity_is_read_with_the_reference_kept(tmp_path):
    path = tmp_path / "entity.xml"
    path.write_bytes(b'<?xml version="1.0"?>' + DOCTYPES["declared-file-entity"].replace(b"OAI-PMH", b"record")
                     + marcxml("FILE1", XXE_TITLE))
    [raw] = list(read_file(path))
    assert raw.record["245"]["a"] == XXE_TITLE and "entity-reference-kept" in raw.flags
    assert parse_raw(raw.raw, raw.format)[0]["245"]["a"] == XXE_TITLE


# --- finding 13: inspect on a file without MARC --------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"<html><head><title>Catalogue</title></head><body><p>Hello</p></body></html>",
                                     b"<!DOCTYPE html>\n<html><body><p>Broken<br></body></html>"],
                         ids=["empty", "html", "broken-html"])
def test_finding_13_inspect_on_a_file_without_marc_exits_1_naming_the_file(tmp_path, monkeypatch, content):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "page.html"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 1, result.output
    assert f"no MARC records found in {path}: " in result.output
    assert "Traceback" not in result.output


def test_finding_13_inspect_still_exits_0_on_a_good_file_next_to_nothing_wrong(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "one.xml"
    path.write_bytes(marcxml("GOOD1", "A good record"))
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert '"title": "A good record"' in result.output
