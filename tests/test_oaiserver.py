"""The demo OAI-PMH server, proved over real sockets with sickle and raw HTTP.

Every test starts its own server on 127.0.0.1 with records read from
../shared/data, so what is checked is what a harvester sees on the wire.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import BadResumptionToken, NoRecordsMatch

from oaiserver import (
    Fault,
    FaultInjector,
    Match,
    RecordError,
    Repository,
    UnknownRecordError,
    load_marc_files,
    make_app,
    retry_after_date,
    serve_in_thread,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DUKE = DATA / "trln-marc-to-argot" / "duke"
LIBRIS = DATA / "libris" / "batchimport"
EVERGREEN_NO_NAMESPACE = DATA / "evergreen" / "serials_mfhd.xml"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
MARC = "{http://www.loc.gov/MARC21/slim}"
START = datetime(2024, 3, 1, tzinfo=timezone.utc)
TIMEOUT = 5
PAGE = 10


def hourly(index: int) -> datetime:
    """Datestamps one hour apart from START, so date windows are easy to reason about."""
    return START + timedelta(hours=index)


@pytest.fixture(scope="module")
def duke_records():
    """Duke's sample MARCXML and ISO 2709 files (123 distinct records), an hour apart."""
    paths = sorted(DUKE.glob("*.xml")) + sorted(DUKE.glob("*.mrc"))
    return load_marc_files(paths, identifier_prefix="oai:duke:", datestamp=hourly)


@pytest.fixture
def repository(duke_records):
    """A fresh repository holding the Duke records."""
    return Repository(duke_records)


@pytest.fixture
def serve():
    """Start servers on 127.0.0.1 for this test; all are stopped afterwards."""
    running = []

    def start(app):
        running.append(serve_in_thread(app))
        return running[-1]

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def server(repository, serve):
    """The repository served ten records a page."""
    return serve(make_app(repository, batch_size=PAGE))


def injected(repository, serve, *faults):
    """Serve *repository* behind a FaultInjector planned with *faults*."""
    injector = FaultInjector(make_app(repository, batch_size=PAGE), faults)
    return injector, serve(injector)


def oai_get(url, **params):
    """One raw OAI-PMH GET request."""
    return requests.get(url, params=params, timeout=TIMEOUT)


def parsed(response) -> etree._Element:
    """Parse strictly: a damaged page must fail here, not be recovered."""
    return etree.fromstring(response.content)


def token_in(response) -> str | None:
    element = parsed(response).find(f".//{OAI}resumptionToken")
    return None if element is None else element.text


def error_code(response) -> str | None:
    element = parsed(response).find(f"{OAI}error")
    return None if element is None else element.get("code")


def first_page(url):
    return oai_get(url, verb="ListRecords", metadataPrefix="marc21")


# --- listing, paging, deletions, dates -------------------------------------


def test_sickle_lists_every_record_across_pages(repository, serve):
    injector, server = injected(repository, serve)
    harvested = list(Sickle(server.url, timeout=TIMEOUT).ListRecords(metadataPrefix="marc21"))
    assert [record.header.identifier for record in harvested] == [r.identifier for r in repository]
    assert len(harvested) == len(repository) == 123
    assert injector.count("ListRecords") == math.ceil(len(repository) / PAGE)


def test_list_identifiers_pages_like_list_records(repository, server):
    headers = list(Sickle(server.url, timeout=TIMEOUT).ListIdentifiers(metadataPrefix="marcxml"))
    assert [header.identifier for header in headers] == [r.identifier for r in repository]


def test_last_page_has_no_resumption_token(repository, serve):
    small = Repository(list(repository)[:PAGE])
    response = first_page(serve(make_app(small, batch_size=PAGE)).url)
    assert len(parsed(response).findall(f".//{OAI}record")) == PAGE
    assert token_in(response) is None


def test_record_metadata_is_the_marcxml_record_in_the_slim_namespace(server):
    response = oai_get(server.url, verb="GetRecord", metadataPrefix="marc21",
                       identifier="oai:duke:001378390")
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    marc = parsed(response).find(f".//{OAI}metadata/{MARC}record")
    assert marc.findtext(f"{MARC}controlfield[@tag='001']") == "001378390"
    assert marc.find(f"{MARC}leader") is not None


def test_unnamespaced_marcxml_and_iso2709_are_served_as_slim_records(serve):
    paths = [EVERGREEN_NO_NAMESPACE, DUKE / "base.mrc"]
    repository = Repository(load_marc_files(paths, identifier_prefix="oai:mixed:"))
    harvested = list(Sickle(serve(make_app(repository)).url, timeout=TIMEOUT)
                     .ListRecords(metadataPrefix="marcxml"))
    assert len(harvested) == len(repository) == 7 + 6
    for record in harvested:
        marc = record.xml.find(f".//{OAI}metadata/{MARC}record")
        assert marc is not None and marc.find(f"{MARC}leader") is not None
    identifiers = {record.header.identifier for record in harvested}
    assert {"oai:mixed:a814607", "oai:mixed:DUKE000091908"} <= identifiers


def test_deleted_record_is_listed_with_status_deleted_and_no_metadata(repository, server):
    gone = list(repository)[5].identifier
    repository.delete(gone, START + timedelta(days=30))
    harvested = list(Sickle(server.url, timeout=TIMEOUT).ListRecords(metadataPrefix="marc21"))
    deleted = [record for record in harvested if record.deleted]
    assert [record.header.identifier for record in deleted] == [gone]
    assert harvested[-1].header.identifier == gone  # its new datestamp is the latest
    raw = oai_get(server.url, verb="GetRecord", metadataPrefix="marc21", identifier=gone)
    header = parsed(raw).find(f".//{OAI}header")
    assert header.get("status") == "deleted"
    assert parsed(raw).find(f".//{OAI}metadata") is None


def test_deletion_mid_harvest_shifts_offsets_and_loses_a_record(repository, server):
    skipped = list(repository)[PAGE].identifier  # first of page 2, moves up into page 1
    pages = Sickle(server.url, timeout=TIMEOUT).ListIdentifiers(metadataPrefix="marc21")
    seen = [next(pages).identifier for _ in range(PAGE)]
    repository.delete(seen[0], START + timedelta(days=30))
    seen += [header.identifier for header in pages]
    assert skipped not in seen
    assert seen.count(seen[0]) == 2  # once live, once as the newest tombstone
    assert len(seen) == len(repository)


def test_from_and_until_select_records_by_datestamp_inclusively(repository, server):
    client = Sickle(server.url, timeout=TIMEOUT)
    window = {"from": "2024-03-01T05:00:00Z", "until": "2024-03-01T14:00:00Z"}
    headers = list(client.ListIdentifiers(metadataPrefix="marc21", **window))
    assert [h.identifier for h in headers] == [r.identifier for r in list(repository)[5:15]]
    later = list(client.ListIdentifiers(metadataPrefix="marc21", **{"from": "2024-03-05"}))
    assert [h.identifier for h in later] == [r.identifier for r in list(repository)[96:]]
    with pytest.raises(NoRecordsMatch):
        list(client.ListRecords(metadataPrefix="marc21", until="2024-02-29"))


def test_from_later_than_until_is_a_bad_argument(server):
    response = oai_get(server.url, verb="ListRecords", metadataPrefix="marc21",
                       **{"from": "2024-03-02", "until": "2024-03-01"})
    assert error_code(response) == "badArgument"


@pytest.mark.parametrize("granularity", ["YYYY-MM-DDThh:mm:ssZ", "YYYY-MM-DD"])
def test_identify_reports_granularity_and_deleted_record_policy(duke_records, serve, granularity):
    repository = Repository(duke_records, granularity=granularity, deleted_record="transient")
    server = serve(make_app(repository))
    identify = Sickle(server.url, timeout=TIMEOUT).Identify()
    assert identify.granularity == granularity
    assert identify.deletedRecord == "transient"
    assert identify.baseURL == server.url
    assert identify.earliestDatestamp.startswith("2024-03-01")


def test_day_granularity_writes_days_and_rejects_times(duke_records, serve):
    server = serve(make_app(Repository(duke_records, granularity="YYYY-MM-DD"), batch_size=PAGE))
    response = oai_get(server.url, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": "2024-03-02"})
    stamps = [stamp.text for stamp in parsed(response).iter(f"{OAI}datestamp")]
    assert stamps and all(len(stamp) == 10 and stamp >= "2024-03-02" for stamp in stamps)
    assert parsed(response).find(f"{OAI}request").get("from") == "2024-03-02"
    seconds = oai_get(server.url, verb="ListIdentifiers", metadataPrefix="marc21",
                      **{"from": "2024-03-02T00:00:00Z"})
    assert error_code(seconds) == "badArgument"


def test_post_form_requests_are_answered_like_get(repository, server):
    harvested = list(Sickle(server.url, http_method="POST", timeout=TIMEOUT)
                     .ListIdentifiers(metadataPrefix="marc21"))
    assert len(harvested) == len(repository)


@pytest.mark.parametrize(("params", "code"), [
    ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": "cursor%3D5"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "metadataPrefix%3Dmarc21%26cursor%3D0"}, "badResumptionToken"),
    ({"verb": "GetMetadata", "metadataPrefix": "marc21", "identifier": "x"}, "badVerb"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "oai:duke:nope"}, "idDoesNotExist"),
    ({"verb": "ListSets"}, "noSetHierarchy"),
])
def test_bad_requests_get_oai_errors_not_http_errors(server, params, code):
    response = oai_get(server.url, **params)
    assert response.status_code == 200
    assert error_code(response) == code


def test_sets_filter_records_and_are_listed(duke_records, serve):
    records = load_marc_files(sorted(DUKE.glob("*.mrc")), identifier_prefix="oai:duke:", sets=["duke:binary"])
    repository = Repository(records + duke_records[:3])
    client = Sickle(serve(make_app(repository)).url, timeout=TIMEOUT)
    assert [s.setSpec for s in client.ListSets()] == ["duke", "duke:binary"]
    in_set = list(client.ListIdentifiers(metadataPrefix="marc21", set="duke"))
    assert len(in_set) == len(records)


def test_deletions_leave_no_trace_when_the_policy_is_no(duke_records, serve):
    repository = Repository(duke_records[:3], deleted_record="no")
    repository.delete(duke_records[0].identifier)
    client = Sickle(serve(make_app(repository)).url, timeout=TIMEOUT)
    assert client.Identify().deletedRecord == "no"
    listed = [header.identifier for header in client.ListIdentifiers(metadataPrefix="marc21")]
    assert listed == [record.identifier for record in duke_records[1:3]]


def test_repository_refuses_a_taken_identifier_and_an_unknown_one(duke_records):
    repository = Repository(duke_records[:2])
    with pytest.raises(RecordError):
        repository.add(duke_records[0].identifier, duke_records[0].marcxml)
    with pytest.raises(UnknownRecordError):
        repository.update("oai:duke:nope", sets=["x"])


def test_server_listens_on_loopback_on_a_free_port_until_stopped(repository):
    with serve_in_thread(make_app(repository)) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/oai" and server.port > 0
        assert oai_get(server.url, verb="Identify").status_code == 200
    with pytest.raises(requests.ConnectionError):
        oai_get(server.url, verb="Identify")


# --- faults on the wire ------------------------------------------------------


@pytest.mark.parametrize(("status", "retry_after"), [
    (503, "1"), pytest.param(503, retry_after_date(120), id="503-date"), (503, "99999999999"), (503, "soon"),
    (429, "2"), (403, None), (500, None), (502, None), (504, None),
])
def test_status_fault_sends_status_and_retry_after_then_recovers(repository, serve, status, retry_after):
    fault = Fault("status", status=status, retry_after=retry_after, times=2,
                  when=Match(verb="ListRecords", nth=2))
    injector, server = injected(repository, serve, fault)
    token = token_in(first_page(server.url))
    failures = [oai_get(server.url, verb="ListRecords", resumptionToken=token) for _ in range(2)]
    assert [r.status_code for r in failures] == [status, status]
    assert all(r.headers.get("Retry-After") == retry_after for r in failures)
    assert oai_get(server.url, verb="ListRecords", resumptionToken=token).status_code == 200
    assert [seen.status for seen in injector.requests] == [200, status, status, 200]


def test_retry_after_date_is_an_http_date_in_the_future():
    assert parsedate_to_datetime(retry_after_date(60)) > datetime.now(timezone.utc)


def test_injector_counts_the_retries_sickle_makes(repository, serve):
    fault = Fault("status", status=503, retry_after="0", times=2, when=Match(verb="ListRecords", nth=3))
    injector, server = injected(repository, serve, fault)
    harvested = list(Sickle(server.url, max_retries=3, timeout=TIMEOUT).ListRecords(metadataPrefix="marc21"))
    assert len(harvested) == len(repository)
    assert injector.count("ListRecords") == math.ceil(len(repository) / PAGE) + 2


def test_truncate_fault_cuts_the_xml_and_sickle_silently_stops_short(repository, serve):
    fault = Fault("truncate", at=4000, when=Match(verb="ListRecords", nth=3))
    injector, server = injected(repository, serve, fault)
    harvested = list(Sickle(server.url, timeout=TIMEOUT).ListRecords(metadataPrefix="marc21"))
    assert 2 * PAGE <= len(harvested) < 3 * PAGE  # no error raised: records lost
    assert injector.count("ListRecords") == 3


def test_truncate_fault_sends_exactly_the_cut_body(repository, serve):
    _injector, server = injected(repository, serve, Fault("truncate", at=700))
    response = first_page(server.url)
    assert len(response.content) == int(response.headers["Content-Length"]) == 700
    with pytest.raises(etree.XMLSyntaxError):
        parsed(response)


def test_truncate_with_full_length_breaks_the_connection_mid_body(repository, serve):
    _injector, server = injected(repository, serve, Fault("truncate", at=700, full_length=True))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        first_page(server.url)


@pytest.mark.parametrize("chars", ["\x0b", "&#x1A;"])
def test_invalid_xml_fault_puts_a_forbidden_character_in_a_record(repository, serve, chars):
    _injector, server = injected(repository, serve, Fault("invalid_xml", chars=chars))
    response = first_page(server.url)
    metadata = response.content.split(b"<metadata>", 1)[1]
    assert chars.encode() + b"</subfield>" in metadata
    with pytest.raises(etree.XMLSyntaxError):
        parsed(response)


def test_bad_token_fault_answers_bad_resumption_token(repository, serve):
    fault = Fault("bad_token", when=Match(verb="ListRecords", nth=2), times=None)
    _injector, server = injected(repository, serve, fault)
    token = token_in(first_page(server.url))
    assert error_code(oai_get(server.url, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    with pytest.raises(BadResumptionToken):
        list(Sickle(server.url, timeout=TIMEOUT).ListRecords(metadataPrefix="marc21"))


def test_repeat_token_fault_hands_back_the_same_token_forever(repository, serve):
    _injector, server = injected(repository, serve, Fault("repeat_token", times=None))
    token = token_in(first_page(server.url))
    pages = [oai_get(server.url, verb="ListRecords", resumptionToken=token) for _ in range(3)]
    assert [token_in(page) for page in pages] == [token] * 3
    identifiers = [[h.text for h in parsed(page).iter(f"{OAI}identifier")] for page in pages]
    assert identifiers[0] == identifiers[1] == identifiers[2]


def test_slow_fault_makes_the_client_time_out_then_serves_normally(repository, serve):
    _injector, server = injected(repository, serve, Fault("slow", delay=0.6))
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url, params={"verb": "Identify"}, timeout=(2, 0.2))
    assert oai_get(server.url, verb="Identify").status_code == 200


def test_drop_fault_closes_the_connection_without_a_response(repository, serve):
    injector, server = injected(repository, serve, Fault("drop", when=Match(verb="Identify")))
    with pytest.raises(requests.ConnectionError):
        oai_get(server.url, verb="Identify")
    assert injector.requests[-1].status is None and injector.requests[-1].fault == "drop"
    assert oai_get(server.url, verb="Identify").status_code == 200


def test_latin1_fault_sends_iso_8859_1_while_declaring_utf8(serve):
    repository = Repository(load_marc_files([LIBRIS / "batch0.xml"], identifier_prefix="oai:libris:"))
    _injector, server = injected(repository, serve, Fault("latin1"))
    response = first_page(server.url)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "får".encode("iso-8859-1") in response.content
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_empty_page_fault_sends_no_items_and_a_token_that_resumes(repository, serve):
    fault = Fault("empty_page", when=Match(verb="ListRecords", nth=2))
    injector, server = injected(repository, serve, fault)
    harvested = list(Sickle(server.url, timeout=TIMEOUT).ListRecords(metadataPrefix="marc21"))
    assert [r.header.identifier for r in harvested] == [r.identifier for r in repository]
    withheld = injector.requests[1].args["resumptionToken"]
    again = oai_get(server.url, verb="ListRecords", resumptionToken=withheld)
    assert parsed(again).find(f".//{OAI}record") is not None  # the fault fired once only
    assert injector.requests[2].args["resumptionToken"].startswith("fresh-")


def test_fault_fires_only_where_its_predicate_matches(repository, serve):
    resuming = Match(predicate=lambda seen: "resumptionToken" in seen.args)
    injector, server = injected(repository, serve, Fault("status", status=500, when=resuming, times=None))
    assert first_page(server.url).status_code == 200
    token = token_in(first_page(server.url))
    assert oai_get(server.url, verb="ListRecords", resumptionToken=token).status_code == 500
    assert [seen.fault for seen in injector.requests] == [None, None, "status"]


def test_fault_rejects_an_unknown_kind():
    with pytest.raises(ValueError):
        Fault("gremlins")
