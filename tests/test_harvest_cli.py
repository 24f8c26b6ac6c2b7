"""`unioncat harvest`, `nightly` and `quarantine retry`: exit codes, run reports, the lock, progress.

Sources are a real OAI-PMH server on 127.0.0.1 (oaiserver with fault
injection) and real MARC files; two-process and terminal cases run the
command in subprocesses.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from cli import main
from oaiserver import Fault, FaultInjector, Match, Repository, load_marc_files, make_app, serve_in_thread
from store import Store
from tests.conftest import ROOT, shared

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
MARC = "http://www.loc.gov/MARC21/slim"
RUN = [sys.executable, "-c", "from cli import main; main()"]


@pytest.fixture(scope="module")
def duke_records():
    paths = sorted(shared("trln-marc-to-argot/duke").glob("*.xml"))
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=lambda i: START + timedelta(hours=i))


@pytest.fixture
def peer(duke_records):
    """(repository, injector, server): Duke's records over OAI-PMH, ten to a page."""
    repository = Repository(duke_records)
    injector = FaultInjector(make_app(repository, batch_size=10))
    with serve_in_thread(injector) as server:
        yield repository, injector, server


@pytest.fixture
def config(peer, write_store_config):
    """A configuration with the OAI-PMH source and a file source, retrying without long waits."""
    _repository, _injector, server = peer
    return write_store_config([
        {"code": "duke", "name": "Duke", "type": "oai", "url": server.url},
        {"code": "ada", "name": "DNB", "type": "file", "path": str(shared("dnb-marc21-rs/ada.mrc"))},
    ], harvest={"timeout": 5, "max_retries": 1, "backoff": 0.01})


def invoke(config, *args):
    return CliRunner().invoke(main, ["--config", str(config.path), *args])


def test_nightly_exits_0_and_writes_a_report_per_source(config):
    result = invoke(config, "nightly")
    assert result.exit_code == 0, result.output
    assert "duke: ok; 49 new" in result.output and "ada: ok; 1 new" in result.output
    [report_file] = config.reports_dir.glob("run-*.json")
    sources = {s["source"]: s for s in json.loads(report_file.read_text())["sources"]}
    for key in ("new", "changed", "deleted", "quarantined", "requests", "retries", "duration", "outcome"):
        assert key in sources["duke"], key
    assert sources["duke"]["new"] == 49 and sources["duke"]["requests"] == 6 and sources["duke"]["outcome"] == "ok"


def test_nightly_exits_1_naming_a_failed_source_and_still_harvests_the_others(config, peer):
    _repository, injector, _server = peer
    injector.add(Fault("status", status=403, times=None, when=Match(verb="ListRecords", nth=3)))
    result = invoke(config, "nightly")
    assert result.exit_code == 1, result.output
    assert "duke failed: HTTP 403" in result.stderr
    assert "ada: ok; 1 new" in result.output
    injector.clear()
    again = invoke(config, "nightly")
    assert again.exit_code == 0, again.output
    assert "resumed after page 2" in again.output


def test_nightly_exits_1_naming_newly_quarantined_records_then_0(config, peer):
    repository, _injector, _server = peer
    repository.add("oai:duke:nameless", f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>'
                   '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">No 001</subfield></datafield></record>',
                   START)
    result = invoke(config, "nightly")
    assert result.exit_code == 1, result.output
    assert "duke: quarantined oai:duke:nameless: record has no control number (001)" in result.stderr
    again = invoke(config, "nightly", "--full")
    assert again.exit_code == 0, again.output          # still quarantined, but not newly
    listed = invoke(config, "status", "--quarantined")
    assert "oai:duke:nameless" in listed.output and "1 quarantined record(s)" in listed.output


@pytest.mark.databases("sqlite")    # the configuration's checks; no store is opened
def test_usage_and_configuration_errors_exit_2(config, tmp_path):
    assert invoke(config, "harvest", "--source", "nope").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("store: s.sqlite\nindex: ix\nharvest: {max_shrink: 3}\nsources: []\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "nightly"])
    assert result.exit_code == 2 and "max_shrink" in result.output


def test_harvest_reconcile_refuses_a_large_shrink_by_name_and_force_accepts_it(config, peer):
    repository, _injector, _server = peer
    assert invoke(config, "harvest", "--source", "duke").exit_code == 0
    repository.deleted_record = "no"                  # the server now forgets deleted records
    for record in list(repository)[:20]:
        repository.delete(record.identifier)
    refused = invoke(config, "harvest", "--source", "duke", "--reconcile")
    assert refused.exit_code == 1, refused.output
    assert "20 of 49 records are no longer listed" in refused.stderr and "--force" in refused.stderr
    forced = invoke(config, "harvest", "--source", "duke", "--reconcile", "--force")
    assert forced.exit_code == 0, forced.output
    assert "20 deleted" in forced.output


def test_quarantine_retry_resolves_what_now_reads_and_exits_1_naming_what_does_not(config, peer):
    repository, _injector, _server = peer
    nameless = (f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>'
                '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{}</subfield></datafield></record>')
    repository.add("oai:duke:a", nameless.format("A"), START)
    repository.add("oai:duke:b", nameless.format("B"), START)
    invoke(config, "harvest")
    repository.update("oai:duke:a", nameless.format("A").replace("<datafield", '<controlfield tag="001">A1</controlfield><datafield'))
    result = invoke(config, "quarantine", "retry", "--source", "duke")
    assert result.exit_code == 1, result.output
    assert "resolved" in result.output and "oai:duke:a" in result.output
    assert "oai:duke:b: record has no control number" in result.stderr
    listed = invoke(config, "status", "--quarantined")
    assert "oai:duke:b" in listed.output and "oai:duke:a" not in listed.output


def test_a_second_run_never_harvests_a_source_another_process_harvests_and_names_the_holder(peer, write_config):
    """The per-source harvest lease replaced the file lock: a nightly run and a harvest started while
    another nightly run harvests duke skip duke (exit 1, naming the holder) and still harvest the rest."""
    _repository, injector, server = peer
    config = write_config([
        {"code": "duke", "name": "Duke", "type": "oai", "url": server.url},
        {"code": "ada", "name": "DNB", "type": "file", "path": str(shared("dnb-marc21-rs/ada.mrc"))},
    ], harvest={"timeout": 120, "max_retries": 1, "backoff": 0.01})
    first_is_harvesting, go_on = threading.Event(), threading.Event()

    def hold_the_second_page(request) -> bool:
        first_is_harvesting.set()
        return not go_on.wait(120)        # the first run waits here, holding duke's lease, until the test goes on

    injector.add(Fault("slow", delay=0, when=Match(verb="ListRecords", nth=2, predicate=hold_the_second_page)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([*RUN, "--config", str(config.path), "nightly"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first_is_harvesting.wait(60), "the first run never reached duke's second page"
        for command in ("nightly", "harvest"):
            second = subprocess.run([*RUN, "--config", str(config.path), command], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=60)
            assert second.returncode == 1, second.stdout + second.stderr
            assert "duke skipped: the harvest:duke lease is held by" in second.stderr
            assert f"pid {first.pid} (nightly)" in second.stderr
            assert "ada: ok" in second.stdout
    finally:
        go_on.set()
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    assert injector.count("ListRecords") == 5             # duke's five pages, each fetched by the first run only
    third = subprocess.run([*RUN, "--config", str(config.path), "nightly"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert third.returncode == 0, third.stdout + third.stderr        # the leases were released


@pytest.mark.databases("sqlite")    # the terminal's output; the store does the same on both
def test_progress_is_redrawn_on_a_terminal_and_logged_as_plain_lines_otherwise(config):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    controller, terminal = pty.openpty()
    process = subprocess.Popen([*RUN, "--config", str(config.path), "harvest", "--source", "duke"], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    seen = _read_all(controller, process)
    assert process.returncode == 0
    assert "\r" in seen and "duke 49 records, 5 page(s)" in seen
    plain = subprocess.run([*RUN, "--config", str(config.path), "harvest", "--source", "duke", "--full"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert plain.returncode == 0, plain.stderr
    assert "\r" not in plain.stderr and "duke: 5 page(s), 49 records" in plain.stderr


def _read_all(fd: int, process: subprocess.Popen) -> str:
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            data = os.read(fd, 65536)
        except OSError:          # the terminal closed: the process is gone
            break
        if not data:
            break
        chunks.append(data)
    process.wait(30)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_deleted_header_takes_the_record_out_of_its_cluster_in_the_next_nightly(config, peer):
    repository, _injector, _server = peer
    assert invoke(config, "nightly").exit_code == 0

    def exported() -> set[str]:
        lines = invoke(config, "export", "clusters").output.splitlines()
        return {f"{r['source']}:{r['id']}" for line in lines for r in json.loads(line)["records"]}

    record = sorted(r.identifier for r in repository)[0]
    with Store(config.store_url) as store:
        public = next(r.public_id for r in store.records(source="duke") if r.oai_identifier == record)
    assert public in exported()
    repository.delete(record, datestamp=datetime.now(timezone.utc) + timedelta(seconds=1))
    result = invoke(config, "nightly")
    assert result.exit_code == 0, result.output
    assert "1 deleted" in result.output and public not in exported()
