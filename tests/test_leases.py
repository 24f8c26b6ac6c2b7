"""Leases in the store: acquire, refuse naming the holder, expire and take over, renew, release by hand,
`status`; and a librarian's merge while a dedup run in another process holds the writer lease.

Every test runs on SQLite and on PostgreSQL (`store_url`); processes are real
subprocesses of the `unioncat` command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from click.testing import CliRunner

from cli import main
from settings import LeaseSettings
from store import WRITER, LeaseHeld, Store
from web import create_app
from web.auth import hash_password
from tests.conftest import ROOT, shared

RUN = [sys.executable, "-c", "from cli import main; main()"]


@pytest.fixture
def leases(store_url):
    with Store(store_url) as opened:
        yield opened


def invoke(config, *args):
    return CliRunner().invoke(main, ["--config", str(config.path), *args])


def test_a_second_holder_is_refused_with_the_holder_named(leases):
    taken, _lease = leases.try_lease(WRITER, "dedup", expiry=60)
    assert taken
    with pytest.raises(LeaseHeld) as refused:
        leases.acquire_lease(WRITER, "merge by anna", expiry=60)
    message = str(refused.value)
    assert f"pid {os.getpid()} (dedup) since" in message and "unioncat lease release writer" in message
    assert [(l.name, l.command) for l in leases.leases()] == [(WRITER, "dedup")]


def test_only_one_of_many_simultaneous_claimants_gets_the_lease(leases):
    start = threading.Barrier(8)

    def claim(n: int) -> bool:
        start.wait()
        return leases.try_lease("harvest:duke", f"worker {n}", expiry=60)[0]

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(claim, range(8)))
    assert won.count(True) == 1


def test_an_expired_lease_is_taken_over_and_its_old_holder_can_no_longer_renew_it(leases):
    taken, first = leases.try_lease("harvest:duke", "killed worker", expiry=0.3)
    assert taken
    assert not leases.try_lease("harvest:duke", "second worker", expiry=60)[0]
    time.sleep(0.4)                               # the first holder stopped renewing: as if it were killed
    taken, second = leases.try_lease("harvest:duke", "second worker", expiry=60)
    assert taken and second.command == "second worker"
    assert not leases.renew_lease("harvest:duke", first.token, 60)
    assert leases.release_lease("harvest:duke", first.token) is None     # nor release it
    assert [l.command for l in leases.leases()] == ["second worker"]


def test_the_heartbeat_keeps_a_lease_well_past_its_expiry_and_release_frees_it(leases):
    held = leases.acquire_lease(WRITER, "nightly", expiry=0.3)
    time.sleep(1.0)                               # three expiries: only renewals keep it
    assert not leases.try_lease(WRITER, "merge", expiry=60)[0]
    assert not held.lost.is_set()
    leases.drop_lease(held)
    assert leases.leases() == []
    assert leases.try_lease(WRITER, "merge", expiry=60)[0]


def test_a_waiting_claimant_gets_the_lease_when_the_holder_releases_it(leases):
    held = leases.acquire_lease(WRITER, "dedup", expiry=60)
    waited = []
    threading.Timer(0.5, leases.drop_lease, args=(held,)).start()
    got = leases.acquire_lease(WRITER, "merge", expiry=60, wait=30, on_wait=waited.append)
    assert [l.command for l in waited] == ["dedup"]
    assert [l.command for l in leases.leases()] == ["merge"]
    leases.drop_lease(got)


@pytest.fixture
def config(store_url, write_config):
    return write_config([{"code": "duke", "name": "Duke", "type": "file",
                          "path": str(shared("trln-marc-to-argot/duke")) + "/record_*.xml"}],
                        store=store_url, leases={"expiry": 60, "wait": 0.5})


def test_status_shows_the_leases_and_their_holders_and_an_operator_releases_one_by_hand(config, leases):
    leases.try_lease("harvest:duke", "harvest --worker", expiry=60)
    status = invoke(config, "status")
    assert status.exit_code == 0, status.output
    assert "harvest:duke" in status.output and f"pid {os.getpid()} (harvest --worker)" in status.output
    listed = json.loads(invoke(config, "status", "--json").output)["leases"]
    assert [(l["name"], l["pid"], l["command"], l["expired"]) for l in listed] == [
        ("harvest:duke", os.getpid(), "harvest --worker", False)]
    released = invoke(config, "lease", "release", "harvest:duke")
    assert released.exit_code == 0, released.output
    assert "released the harvest:duke lease" in released.output and "(still renewed)" in released.output
    assert "leases: none held" in invoke(config, "status").output
    again = invoke(config, "lease", "release", "harvest:duke")
    assert again.exit_code == 1 and "no lease named harvest:duke" in again.output


def test_a_command_waits_a_bounded_time_for_the_writer_lease_then_exits_1_naming_the_holder(config, leases):
    leases.try_lease(WRITER, "nightly", expiry=60)
    result = invoke(config, "dedup")
    assert result.exit_code == 1, result.output
    assert "waiting up to 0.5s for the writer lease" in result.output
    assert f"the writer lease is held by" in result.output and f"pid {os.getpid()} (nightly)" in result.output


def test_a_configuration_written_before_leases_still_loads_and_keeps_its_reports_folder(tmp_path, write_config):
    old = write_config([], lock_file="run/nightly.lock")
    assert old.reports_dir == tmp_path / "run" / "reports" and old.leases.expiry == 120
    assert write_config([], reports="out").reports_dir == tmp_path / "out"
    bad = tmp_path / "bad.yaml"
    bad.write_text("store: s.sqlite\nindex: ix\nleases: {expiry: 0}\nsources: []\n")
    refused = CliRunner().invoke(main, ["--config", str(bad), "status"])
    assert refused.exit_code == 2 and "leases.expiry: 0 is not allowed; expected a number of seconds above 0" in refused.output


def test_a_held_source_lease_skips_that_source_only(tmp_path, store_url, write_config, leases):
    config = write_config([
        {"code": "duke", "name": "Duke", "type": "file", "path": str(shared("trln-marc-to-argot/duke")) + "/record_*.xml"},
        {"code": "ada", "name": "DNB", "type": "file", "path": str(shared("dnb-marc21-rs/ada.mrc"))},
    ], store=store_url)
    leases.try_lease("harvest:duke", "harvest --worker", expiry=60)
    result = invoke(config, "harvest")
    assert result.exit_code == 1, result.output
    assert "ada: ok; 1 new" in result.output and "duke skipped: the harvest:duke lease is held by" in result.output
    assert {s.source: s.records for s in leases.status(["duke", "ada"])} == {"duke": 0, "ada": 1}


# --- a librarian's merge while a dedup run holds the writer lease --------------------------------------

@pytest.fixture
def catalogue(tmp_path, store_url, write_config):
    """alpha and gamma harvested and clustered; beta (alpha's edition) harvested but not yet deduplicated."""
    for code, relative in (("alpha", "libris/batchimport/batch2.xml"), ("beta", "libris/batchimport/batch3.xml"),
                           ("gamma", "trln-marc-to-argot/duke/record_with_holding.xml")):
        (tmp_path / code).mkdir()
        shutil.copy(shared(relative), tmp_path / code / "records.xml")
    sources = [{"code": c, "name": c.title(), "type": "file", "path": f"{c}/*.xml"} for c in ("alpha", "beta", "gamma")]
    config = write_config(sources, store=store_url)
    assert invoke(config, "harvest", "--source", "alpha", "--source", "gamma").exit_code == 0
    assert invoke(config, "dedup").exit_code == 0
    assert invoke(config, "harvest", "--source", "beta").exit_code == 0
    return config


def exported(config) -> list[list[str]]:
    lines = invoke(config, "export", "clusters").output.splitlines()
    return sorted(sorted(f"{r['source']}:{r['id']}" for r in c["records"]) for c in map(json.loads, lines))


def test_a_librarians_merge_while_a_dedup_run_holds_the_writer_lease_is_queued_and_applied_once_at_its_end(
        catalogue, tmp_path, store_url):
    """Regression: the merge ran without a lock and dedup's save replaced the whole clustering, so the
    last writer won and the merge vanished. Issue 13: the merge no longer waits for the lease either: it is
    stored at once as queued, and the run applies it before it gives the lease up. The pause point holds
    dedup after it decided, before it saves."""
    [gamma] = [ids[0] for ids in exported(catalogue) if ids[0].startswith("gamma:")]
    assert ["alpha:20203738"] in exported(catalogue)                   # beta is not clustered yet
    pauses = tmp_path / "pauses"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dedup = subprocess.Popen([*RUN, "--config", str(catalogue.path), "dedup"], cwd=ROOT, text=True,
                             env={**env, "UNIONCAT_TEST_PAUSE": f"dedup-before-save:{pauses}"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: (pauses / "dedup-before-save.paused").exists() or dedup.poll() is not None)
        assert dedup.poll() is None, dedup.communicate()
        merge = subprocess.run([*RUN, "--config", str(catalogue.path), "merge", "alpha:20203738", gamma, "--by", "anna",
                                "--yes", "--override", "--note", "one work"], cwd=ROOT, env=env, text=True,
                               capture_output=True, timeout=60)
        assert merge.returncode == 0, merge.stdout + merge.stderr
        assert "queued behind tonight's run" in merge.stdout
        with Store(store_url) as store:
            [queued] = store.decisions()
            assert queued.status == "queued" and store.resolve_cluster(gamma) != store.resolve_cluster("alpha:20203738")
        (pauses / "dedup-before-save.release").touch()
        dedup_out, dedup_err = dedup.communicate(timeout=60)
    finally:
        if dedup.poll() is None:
            dedup.kill()
            dedup.wait()
    assert dedup.returncode == 0, dedup_out + dedup_err
    # the run clustered beta with alpha; the librarian's merge, applied at the run's end, put gamma in
    assert [ids for ids in exported(catalogue) if gamma in ids] == [["alpha:20203738", "beta:20203738", gamma]]
    assert f"queued decision {queued.id} applied" in dedup_err
    with Store(store_url) as store:
        [applied] = store.decisions()
        assert applied.status == "applied" and applied.side_b == [gamma]
    assert invoke(catalogue, "dedup").exit_code == 0                 # the next holder finds nothing left to apply
    with Store(store_url) as store:
        assert [d.status for d in store.decisions()] == ["applied"] and store.queued_decisions() == []


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_librarians_merge_on_the_web_while_the_writer_lease_is_held_is_queued_and_changes_nothing_yet(
        catalogue, store_url):
    """Issue 13: a confirmed correction no longer waits for the lease or fails: it is stored as queued."""
    assert invoke(catalogue, "index").exit_code == 0
    [gamma] = [ids[0] for ids in exported(catalogue) if ids[0].startswith("gamma:")]
    with Store(store_url) as store:
        store.set_staff_password("anna", hash_password("correct horse"))
        cluster = store.resolve_cluster("alpha:20203738")
        store.try_lease(WRITER, "nightly", expiry=60)
    client = create_app(replace(catalogue, leases=LeaseSettings(web_wait=0.2))).test_client()
    form = client.get("/staff/login")
    client.post("/staff/login", data={"csrf_token": _token(form), "username": "anna", "password": "correct horse"})
    preview = client.get(f"/staff/preview/merge?a={cluster}&b={gamma}")
    state = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    done = client.post("/staff/confirm", data={"token": state, "override": "1", "note": "one work",
                                               "csrf_token": _token(preview)}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Queued behind tonight&#39;s run" in html
    with Store(store_url) as store:
        assert [d.status for d in store.decisions()] == ["queued"] and [l.command for l in store.leases()] == ["nightly"]
    assert [ids for ids in exported(catalogue) if gamma in ids] == [[gamma]]


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_closing_the_store_releases_the_leases_still_held_through_it(store_url):
    store = Store(store_url)
    held = store.acquire_lease(WRITER, "dedup", expiry=60)
    store.close()
    assert held._stop.is_set()
    with Store(store_url) as other:
        assert other.leases() == []
