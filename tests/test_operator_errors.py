"""Errors an operator can act on (issue 18): permanent faults fail fast naming the source, the address and
the cause; missing files and doubled source codes are named; reading commands never create a store.

Servers are real, on 127.0.0.1: oaiserver with its fault injector, and a small WSGI app answering the
HTML page a portal or a login screen sends. The harvest settings are the defaults unless a test says.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from oaiserver import Fault, FaultInjector, Match, Repository, load_marc_files, make_app, serve_in_thread
from tests.conftest import shared
from tests.test_check import write_config  # noqa: F401  (over a copy of a migrated store: no migration per test)

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
HTML = b"<!DOCTYPE html>\n<html><head><title>Library portal - sign in</title></head><body>Hello</body></html>"


@pytest.fixture(scope="module")
def records():
    paths = sorted(shared("trln-marc-to-argot/duke").glob("*.xml"))
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=lambda i: START + timedelta(hours=i))


@pytest.fixture
def peer(records):
    """(injector, server): Duke's records over OAI-PMH through the fault injector."""
    injector = FaultInjector(make_app(Repository(records), batch_size=10))
    with serve_in_thread(injector) as server:
        yield injector, server


def html_portal(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(HTML)))])
    return [HTML]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def invoke(config, *args):
    return CliRunner().invoke(main, ["--config", str(config.path), *args])


def oai_source(url: str, **extra) -> dict:
    return {"code": "duke", "name": "Duke", "type": "oai", "url": url, **extra}


def timed_harvest(config):
    started = time.monotonic()
    result = invoke(config, "harvest")
    return result, time.monotonic() - started


def test_an_html_page_at_the_oai_address_fails_at_once_naming_the_url_and_the_cause(write_config):
    with serve_in_thread(html_portal) as server:
        config = write_config([oai_source(server.url)])
        result, seconds = timed_harvest(config)
    assert result.exit_code == 1, result.output
    assert f"duke failed: {server.url} answered with an HTML page ('Library portal - sign in')" in result.output
    assert "not OAI-PMH XML: check the source's url" in result.output
    assert seconds < 5, f"{seconds:.1f}s with the default settings"    # was retried for 51 s before


def test_a_refused_connection_fails_within_seconds_naming_the_url_and_the_cause(write_config):
    url = f"http://127.0.0.1:{closed_port()}/oai"
    config = write_config([oai_source(url)])
    result, seconds = timed_harvest(config)
    assert result.exit_code == 1, result.output
    assert f"duke failed: cannot connect to {url}: connection refused" in result.output
    assert "0 requests" not in result.output and "1 retries" in result.output   # one short retry, not the budget
    assert seconds < 5, f"{seconds:.1f}s with the default settings"    # was 42 s of retries before


@pytest.mark.parametrize("status, advice", [(404, "nothing at this address"), (401, "the server wants credentials"),
                                            (403, "the server refuses this harvester")])
def test_http_statuses_that_retrying_cannot_mend_fail_at_once_and_say_what_to_do(write_config, peer, status, advice):
    injector, server = peer
    injector.add(Fault("status", status=status, times=None, when=Match(verb="Identify")))
    config = write_config([oai_source(server.url)])
    result = invoke(config, "harvest")
    assert result.exit_code == 1, result.output
    assert f"duke failed: HTTP {status} from {server.url}: {advice}" in result.output
    assert len(injector.requests) == 1


def test_a_timeout_names_the_address_and_keeps_its_retries(write_config, peer):
    injector, server = peer
    injector.add(Fault("status", status=503, times=None, when=Match(verb="Identify")))
    config = write_config([oai_source(server.url)], harvest={"max_retries": 2, "backoff": 0.01})
    result = invoke(config, "harvest")
    assert result.exit_code == 1, result.output
    assert f"HTTP 503; gave up after 3 attempts (at {server.url})" in result.output
    assert len(injector.requests) == 3


def test_an_unknown_metadata_prefix_fails_at_once_saying_what_to_change(write_config, peer):
    injector, server = peer
    config = write_config([oai_source(server.url, metadata_prefix="marc21x")])
    result = invoke(config, "harvest")
    assert result.exit_code == 1, result.output
    assert "OAI-PMH error cannotDisseminateFormat" in result.output
    assert "set the source's metadata_prefix to one it offers" in result.output and server.url in result.output
    assert [r.verb for r in injector.requests] == ["Identify", "ListRecords"]


def test_a_missing_file_in_a_sources_list_is_named_and_the_source_is_not_ok(write_config, tmp_path):
    present = shared("dnb-marc21-rs/ada.mrc")
    gone = tmp_path / "export" / "second.mrc"
    config = write_config([{"code": "ada", "name": "DNB", "type": "file", "path": [str(present), str(gone)]}])
    result = invoke(config, "harvest")
    assert result.exit_code == 1, result.output
    assert f"ada failed: no file matches {gone}: check the source's path" in result.output
    assert "ada: failed; 1 new" in result.output        # what was there is kept, nothing marked deleted


def test_a_source_code_given_twice_is_named(write_config, tmp_path):
    path = str(shared("dnb-marc21-rs/ada.mrc"))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"store": "s.sqlite", "index": "i", "sources": [
        {"code": "ada", "type": "file", "path": path}, {"code": "ada", "type": "file", "path": path}]}))
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "status"])
    assert result.exit_code == 2, result.output
    assert "the code 'ada' is given to more than one source" in result.output


def test_status_pointed_at_a_wrong_store_path_creates_nothing(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"store": "typo/unioncat.sqlite", "index": "i",
                                                          "sources": []}))
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "status"])
    assert result.exit_code == 1, result.output
    assert f"there is no store at {tmp_path / 'typo' / 'unioncat.sqlite'}" in result.output
    assert not (tmp_path / "typo").exists()


def test_a_nightly_report_carries_times_and_outcomes_and_nightly_says_where_it_is(write_config):
    config = write_config([oai_source(f"http://127.0.0.1:{closed_port()}/oai"),
                           {"code": "ada", "name": "DNB", "type": "file", "path": str(shared("dnb-marc21-rs/ada.mrc"))}])
    result = invoke(config, "nightly")
    assert result.exit_code == 1, result.output
    [path] = config.reports_dir.glob("run-*.json")
    assert f"run 1: failures; report written to {path}" in result.output
    report = json.loads(path.read_text())
    assert report["outcome"] == "failures" and report["run"] == 1 and report["command"] == "nightly"
    assert datetime.fromisoformat(report["started"]) <= datetime.fromisoformat(report["finished"])
    outcomes = {s["source"]: s["outcome"] for s in report["sources"]}
    assert outcomes == {"duke": "failed", "ada": "ok"}
    for source in report["sources"]:
        assert datetime.fromisoformat(source["started"]) <= datetime.fromisoformat(source["finished"])


def test_an_unknown_host_is_told_apart_from_a_timeout():
    """Tests talk only to 127.0.0.1, so the resolver's error is built as requests raises it, not looked up."""
    import requests
    import urllib3

    from harvest.diagnosis import unreachable

    failed = urllib3.exceptions.NameResolutionError("opac.example.invalid", None, socket.gaierror(-2, "Name unknown"))
    wrapped = requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/oai", reason=failed))
    assert unreachable(wrapped) == "the host name is not known (DNS)"
    assert unreachable(requests.exceptions.ReadTimeout("read timed out")) is None
