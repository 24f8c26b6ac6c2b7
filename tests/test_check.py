"""`unioncat check` (issue 18): one line per source saying what is wrong and what to do, against a real
OAI-PMH server on 127.0.0.1 with each fault of its fault injector, and against the mistakes of file sources.

The server is oaiserver with Duke's real records, ten to a page. Limits are set low in the test
configuration (timeout, deadlines, response size) so that the slow and large faults end in a second.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from oaiserver import Fault, FaultInjector, Match, Repository, load_marc_files, make_app, serve_in_thread
from oaiserver.faults import KINDS
from settings import load_config
from tests.conftest import shared

START = datetime(2024, 3, 1, tzinfo=timezone.utc)
MiB = 1024 * 1024
LIMITS = {"timeout": 1, "backoff": 0.01, "request_deadline": 1.5, "max_response_bytes": MiB}


@pytest.fixture(scope="module")
def records():
    paths = sorted(shared("trln-marc-to-argot/duke").glob("*.xml"))
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=lambda i: START + timedelta(hours=i))


@pytest.fixture
def write_config(tmp_path, sqlite_template):
    """conftest's `write_config`, over a copy of the session's migrated SQLite store instead of migrating one."""

    def write(sources: list[dict], **extra):
        shutil.copyfile(sqlite_template, tmp_path / "store.sqlite")
        data = {"store": "store.sqlite", "index": "var/index", "sources": sources, **extra}
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        return load_config(tmp_path / "config.yaml")

    return write


@pytest.fixture
def peer(records):
    """(injector, server): Duke's records over OAI-PMH through the fault injector."""
    injector = FaultInjector(make_app(Repository(records), batch_size=10))
    with serve_in_thread(injector) as server:
        yield injector, server


def check(write_config, sources: list[dict], **harvest):
    config = write_config(sources, harvest={**LIMITS, **harvest})
    return CliRunner().invoke(main, ["--config", str(config.path), "check"])


def line_of(result, code: str) -> str:
    [line] = [line for line in result.output.splitlines() if line.startswith(f"{code}: ")]
    return line


def duke(url: str, **extra) -> dict:
    return {"code": "duke", "name": "Duke", "type": "oai", "url": url, **extra}


def test_a_healthy_oai_source_reports_what_it_offers(write_config, peer):
    _injector, server = peer
    result = check(write_config, [duke(server.url)])
    assert result.exit_code == 0, result.output
    line = line_of(result, "duke")
    assert line.startswith("duke: ok (granularity YYYY-MM-DDThh:mm:ssZ, deletedRecord ")
    assert "marc21 offered" in line and "10 records on the first page, one normalised" in line
    assert "resumption token followed" in line
    assert "configuration: ok" in result.output and "store: ok" in result.output


# each fault of the injector: where it fires, and what the source's line must say
FAULTS = {
    "status": (dict(status=403, when=Match(verb="Identify")), "HTTP 403 from {url}: the server refuses this harvester"),
    "truncate": (dict(at=300, when=Match(verb="ListRecords")), "response is not well-formed XML"),
    "invalid_xml": (dict(when=Match(verb="ListRecords")), "ok (", "warning: the first page needed repair"),
    "bad_token": (dict(when=Match(verb="ListRecords", nth=2)), "the second page could not be fetched with the "
                  "server's own resumption token (OAI-PMH error badResumptionToken"),
    "repeat_token": (dict(), "the server gave back the same resumption token"),
    "slow": (dict(delay=3, when=Match(verb="Identify")), "timeout: no answer in time"),
    "drop": (dict(when=Match(verb="ListMetadataFormats")), "the server closed the connection without an answer"),
    "latin1": (dict(when=Match(verb="ListRecords")), "ok (", "warning: the first page needed repair"),
    "empty_page": (dict(when=Match(verb="ListRecords", nth=2)), "ok (", "warning: the second page is empty"),
    "gzip_bomb": (dict(when=Match(verb="ListRecords")), "larger than"),
    "endless": (dict(when=Match(verb="ListRecords")), "larger than"),
    "drip": (dict(delay=0.2, when=Match(verb="Identify")), "request deadline of 1.5s passed"),
    "huge_page": (dict(size=2 * MiB, when=Match(verb="ListRecords")), "larger than"),
    "redirect": (dict(location="http://127.0.0.2:9/oai", when=Match(verb="Identify")),
                 "redirected to another origin (http://127.0.0.2:9/oai"),
}


def test_every_fault_of_the_injector_has_a_case():
    assert set(FAULTS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_check_names_each_fault_of_the_server_on_the_sources_line(write_config, peer, kind):
    injector, server = peer
    params, *expected = FAULTS[kind]
    injector.add(Fault(kind, times=None, **params))
    result = check(write_config, [duke(server.url)])
    line = line_of(result, "duke")
    for text in expected:
        assert text.format(url=server.url) in line, result.output
    problem = expected[0] != "ok ("
    assert result.exit_code == (1 if problem else 0), result.output
    assert ("PROBLEM" in line) == problem and "Traceback" not in result.output


def test_an_unknown_metadata_prefix_is_named_with_the_prefixes_offered(write_config, peer):
    _injector, server = peer
    result = check(write_config, [duke(server.url, metadata_prefix="marc21x")])
    assert result.exit_code == 1, result.output
    assert ("duke: PROBLEM: the metadata prefix 'marc21x' is not offered: set metadata_prefix to one of "
            "marc21") in result.output


def test_a_set_on_a_server_without_sets_is_named(write_config, peer):
    _injector, server = peer
    result = check(write_config, [duke(server.url, set="bib")])
    assert result.exit_code == 1, result.output
    assert "the server has no sets, so set 'bib' cannot be harvested: remove the source's set" in result.output


def test_file_sources_missing_unreadable_or_not_marc_are_each_named(write_config, tmp_path):
    html = tmp_path / "export.mrc"
    html.write_bytes(b"<!DOCTYPE html><html><body>Export failed</body></html>")
    good = str(shared("dnb-marc21-rs/ada.mrc"))
    result = check(write_config, [
        {"code": "gone", "type": "file", "path": [good, str(tmp_path / "missing" / "*.mrc")]},
        {"code": "html", "type": "file", "path": str(html)},
        {"code": "ada", "type": "file", "path": good},
    ])
    assert result.exit_code == 1, result.output
    assert f"gone: PROBLEM: no file matches {tmp_path / 'missing' / '*.mrc'}: check the source's path" in result.output
    assert line_of(result, "html").startswith("html: PROBLEM: ") and str(html) in line_of(result, "html")
    assert line_of(result, "ada").startswith("ada: ok (1 file(s); one record normalised (")


def test_a_bad_configuration_is_exit_2_before_anything_is_probed(tmp_path):
    (tmp_path / "config.yaml").write_text("store: s.sqlite\nindex: i\nsources: []\nharvst: {}\n")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "check"])
    assert result.exit_code == 2 and "did you mean 'harvest'?" in result.output


def test_a_missing_store_is_named_and_not_created(tmp_path):
    (tmp_path / "config.yaml").write_text("store: var/nowhere.sqlite\nindex: i\nsources: []\n")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "check"])
    assert result.exit_code == 1, result.output
    assert "store: PROBLEM: there is no store at" in result.output and not (tmp_path / "var").exists()
