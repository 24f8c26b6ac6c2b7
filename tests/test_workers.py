"""`unioncat harvest --worker`: separate worker processes sharing the sources of a round.

Sources are real OAI-PMH servers on 127.0.0.1 (oaiserver with fault
injection) that count every request; workers are real processes, and one is
killed with SIGKILL in the middle of a page.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from cli import main
from oaiserver.marcfiles import control_number
from oaiserver import Fault, FaultInjector, Match, Repository, load_marc_files, make_app, serve_in_thread
from store import Store
from tests.conftest import ROOT, shared

RUN = [sys.executable, "-c", "from cli import main; main()"]
START = datetime(2024, 3, 1, tzinfo=timezone.utc)
SOURCES = {                      # six member catalogues, each its own OAI-PMH server
    "duke": "trln-marc-to-argot/duke/*.xml",
    "unc": "trln-marc-to-argot/unc/*.xml",
    "ncsu": "trln-marc-to-argot/ncsu/*.xml",
    "libris": "libris/batchimport/*.xml",
    "uncmrc": "trln-marc-to-argot/unc/*.mrc",
    "vastmanland": "vastmanland-koha/*.xml",
}
PAGE = 10


@pytest.fixture(scope="module")
def catalogues():
    """code -> the member's records, read once for the module."""
    out = {}
    for code, pattern in SOURCES.items():
        paths = sorted(glob.glob(str(shared(pattern.split("/")[0]) / pattern.split("/", 1)[1])))
        records = load_marc_files(paths, identifier_prefix=f"oai:{code}:", datestamp=lambda i: START + timedelta(hours=i))
        # records without a 001 are quarantined: a clean run of whole sources exits 0
        out[code] = [r for r in records if (control_number(r.element()) or "").strip()]
    return out


@pytest.fixture
def peers(catalogues):
    """code -> (injector, server): every member on its own real OAI-PMH server, ten records to a page."""
    with ExitStack() as stack:
        out = {}
        for code, records in catalogues.items():
            injector = FaultInjector(make_app(Repository(records), batch_size=PAGE))
            out[code] = (injector, stack.enter_context(serve_in_thread(injector)))
        yield out


@pytest.fixture
def worker_store_url(pg_store_url):
    """The store the workers share: a fresh migrated PostgreSQL database (several workers need a server)."""
    return pg_store_url


@pytest.fixture
def clean_store_url(pg_server):
    """A second fresh PostgreSQL database, for the clean single-worker run."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


def worker_config(write_config, peers, store_url, name="workers.yaml"):
    sources = [{"code": code, "name": code.title(), "type": "oai", "url": server.url} for code, (_i, server) in peers.items()]
    config = write_config(sources, store=store_url, index=f"var/index-{name}",
                          harvest={"timeout": 60, "max_retries": 1, "backoff": 0.01, "concurrency": 1},
                          leases={"expiry": 2, "wait": 60})
    target = config.path.with_name(name)
    config.path.rename(target)
    return target


def pages_fetched(injector) -> Counter:
    """How often each page of the list was fetched (the first page has no token)."""
    return Counter(r.args.get("resumptionToken", "") for r in injector.requests if r.verb == "ListRecords")


def stored(url: str) -> list[tuple]:
    """Every record of a store, comparable across stores: source, ids, deleted flag, datestamp, bytes, flags
    and the normalised record."""
    with Store(url) as store:
        rows = [(r.source, r.local_id, r.oai_identifier, r.deleted, r.datestamp, bytes(r.raw or b""), r.raw_format,
                 sorted(r.flags), json.dumps(r.record.to_dict() if r.record else None, sort_keys=True))
                for r in store.records(live_only=False)]
    return sorted(rows, key=lambda row: (row[0], row[2] or "", row[1] or ""))


def spawn(path, log):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([*RUN, "--config", str(path), "harvest", "--worker"], cwd=ROOT, env=env, text=True,
                            stdout=log, stderr=subprocess.STDOUT)


def test_two_workers_share_six_sources_and_one_killed_mid_page_leaves_a_store_equal_to_a_clean_run(
        tmp_path, write_config, peers, worker_store_url, clean_store_url, catalogues):
    first_code = next(iter(peers))
    started, stalled, second_working = threading.Event(), threading.Event(), threading.Event()
    injector = peers[first_code][0]
    injector.add(Fault("slow", delay=30, when=Match(verb="ListRecords", predicate=lambda r: started.set() or False)))
    # the first worker's second page of the first source hangs until the worker is killed
    injector.add(Fault("slow", delay=30, when=Match(verb="ListRecords", nth=2, predicate=lambda r: stalled.set() or True)))
    for code, (other, _server) in peers.items():
        if code != first_code:
            other.add(Fault("slow", delay=0, when=Match(predicate=lambda r: second_working.set() or False)))
    path = worker_config(write_config, peers, worker_store_url)
    logs = {name: (tmp_path / f"{name}.log").open("w+") for name in ("first", "second")}
    first = spawn(path, logs["first"])
    second = None
    try:
        assert started.wait(60), "the first worker never asked for a page"
        second = spawn(path, logs["second"])       # joins the round while the first harvests the first source
        assert stalled.wait(60) and second_working.wait(60), "the workers never got going"
        with Store(worker_store_url) as store:
            holders = {lease.name: lease.pid for lease in store.leases()}
        assert holders[f"harvest:{first_code}"] == first.pid
        os.kill(first.pid, signal.SIGKILL)         # in the middle of a page, holding its lease
        first.wait(30)
        second.wait(180)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    output = {name: (log.seek(0), log.read())[1] for name, log in logs.items()}
    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, output["second"]
    assert "index:" in output["second"] and "dedup:" in output["second"]   # the survivor closed the round

    # each page fetched once, but the page the killed worker was in: fetched again by the second worker
    resumed = next(r.args["resumptionToken"] for r in injector.requests if r.fault == "slow" and r.verb_number == 2)
    for code, (each, _server) in peers.items():
        fetched = pages_fetched(each)
        again = {token: n for token, n in fetched.items() if n > 1}
        assert again == ({resumed: 2} if code == first_code else {}), code
        assert len(fetched) == -(-len(catalogues[code]) // PAGE), code
    with Store(worker_store_url) as store:
        assert store.leases() == []

    clean = worker_config(write_config, peers, clean_store_url, name="clean.yaml")
    alone = CliRunner().invoke(main, ["--config", str(clean), "harvest", "--worker", "--no-dedup"])
    assert alone.exit_code == 0, alone.output
    assert stored(worker_store_url) == stored(clean_store_url)
    assert len(stored(clean_store_url)) == sum(len(records) for records in catalogues.values())
    with Store(clean_store_url) as store:
        assert store.harvest_round(1).finished_at is not None       # closed without dedup (--no-dedup)


def test_a_failing_source_never_stops_the_other_workers_sources_and_the_round_still_closes(
        tmp_path, write_config, peers, worker_store_url, catalogues):
    injector, _server = peers["unc"]
    injector.add(Fault("status", status=403, times=None, when=Match(verb="ListRecords", nth=2)))
    path = worker_config(write_config, peers, worker_store_url)
    result = CliRunner().invoke(main, ["--config", str(path), "harvest", "--worker", "--no-dedup"])
    assert result.exit_code == 1, result.output
    assert "unc failed: HTTP 403" in result.output
    with Store(worker_store_url) as store:
        counts = {s.source: s.records for s in store.status(list(SOURCES))}
        [last_round] = [store.harvest_round(1)]
    assert all(counts[code] == len(records) for code, records in catalogues.items() if code != "unc")
    assert last_round.finished_at is not None and last_round.sources["unc"] == "failed"
    assert {state for code, state in last_round.sources.items() if code != "unc"} == {"done"}



def test_a_round_closed_at_its_deadline_names_the_sources_left_and_the_next_round_harvests_them(
        write_config, peers, worker_store_url, catalogues):
    path = worker_config(write_config, peers, worker_store_url)
    late = CliRunner().invoke(main, ["--config", str(path), "harvest", "--worker", "--deadline", "0"])
    assert late.exit_code == 1, late.output
    assert "round 1 closed at its deadline before these sources were harvested: duke, libris, ncsu, unc, uncmrc, vastmanland" in late.output
    assert sum(each.count("ListRecords") for each, _server in peers.values()) == 0
    following = CliRunner().invoke(main, ["--config", str(path), "harvest", "--worker", "--no-dedup"])
    assert following.exit_code == 0, following.output
    assert "round 2: 6 source(s) harvested by this worker" in following.output
    with Store(worker_store_url) as store:
        assert store.harvest_round(1).sources == dict.fromkeys(sorted(SOURCES), "missed")
        assert store.harvest_round(2).sources == dict.fromkeys(sorted(SOURCES), "done")
        assert sum(s.records for s in store.status(list(SOURCES))) == sum(len(r) for r in catalogues.values())


def test_a_worker_frozen_past_its_lease_saves_nothing_once_it_wakes_and_leaves_the_source_to_its_new_holder(
        tmp_path, write_config, peers, worker_store_url):
    """A fencing check: a process stopped (SIGSTOP) mid-page loses its lease; when it wakes, its page and
    checkpoint are refused in the same transaction, so the new holder's checkpoint is never overwritten."""
    injector, server = peers["duke"]
    reached, go_on = threading.Event(), threading.Event()
    injector.add(Fault("slow", delay=0, when=Match(verb="ListRecords", nth=2,
                                                   predicate=lambda r: reached.set() or not go_on.wait(120))))
    config = write_config([{"code": "duke", "name": "Duke", "type": "oai", "url": server.url}], store=worker_store_url,
                          harvest={"timeout": 120, "max_retries": 0, "concurrency": 1}, leases={"expiry": 1, "wait": 60})
    log = (tmp_path / "frozen.log").open("w+")
    frozen = spawn(config.path, log)
    try:
        assert reached.wait(60), "the worker never asked for duke's second page"
        os.kill(frozen.pid, signal.SIGSTOP)
        with Store(worker_store_url) as store:
            while not store.leases()[0].expired:
                time.sleep(0.1)
            taken, _lease = store.try_lease("harvest:duke", "the worker that took over", expiry=60)
            assert taken
            before = (store.checkpoint("duke"), store.source_state("duke").records)
            store.set_source_state("duke", last_outcome="ok")        # as the new holder would at its end
            os.kill(frozen.pid, signal.SIGCONT)
            go_on.set()
            deadline = time.monotonic() + 60
            while "this page was not saved" not in (tmp_path / "frozen.log").read_text():
                assert time.monotonic() < deadline and frozen.poll() is None, (tmp_path / "frozen.log").read_text()
                time.sleep(0.1)
            assert (store.checkpoint("duke"), store.source_state("duke").records) == before
            assert before[1] == PAGE and before[0].pages_done == 1
            assert store.harvest_round(1).sources["duke"] == "todo"       # not marked by the frozen worker
            store.finish_round_source(1, "duke", "done", "the worker that took over")
            store.release_lease("harvest:duke")
        frozen.wait(120)
        with Store(worker_store_url) as store:
            assert store.source_state("duke").last_outcome == "ok"        # nor its state overwritten with "failed"
    finally:
        go_on.set()
        if frozen.poll() is None:
            os.kill(frozen.pid, signal.SIGCONT)
            frozen.kill()
            frozen.wait()
    log.seek(0)
    output = log.read()
    assert frozen.returncode == 1, output
    assert "duke failed: lost the harvest:duke lease" in output
