"""Real OAI-PMH responses from ../shared/data replayed on 127.0.0.1 and harvested.

- Alma (vufindharvest's marc.xml): 100 MARCXML records and a resumption token;
  the follow-up page is the empty-token last page some servers send.
- Deichman's Bibliofil (marc2rdf's example.oairesponse.xml): marcxchange
  namespace, NORMARC, 2 deleted records, a resumption token.
- Zenodo (oaipmh-scythe's recorded exchanges): three pages chained by real
  tokens, errors answered with HTTP 422 (noRecordsMatch, badResumptionToken,
  idDoesNotExist), oai_dc rather than MARC.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from lxml import etree

from harvest import HarvestOptions, RetryPolicy, harvest_one
from oaiserver import serve_in_thread
from settings import SourceConfig
from tests.conftest import shared

OAI = "http://www.openarchives.org/OAI/2.0/"
LAST_PAGE = (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}"><responseDate>2024-01-01T00:00:00Z'
             '</responseDate><request verb="ListRecords">http://127.0.0.1/oai</request>'
             '<ListRecords><resumptionToken/></ListRecords></OAI-PMH>').encode()
DEICHMAN_IDENTIFY = (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}"><responseDate>2012-07-31T11:14:04Z'
                     '</responseDate><request verb="Identify">http://127.0.0.1/oai</request><Identify>'
                     '<repositoryName>Bibliofil (replayed)</repositoryName><baseURL>http://127.0.0.1/oai</baseURL>'
                     '<protocolVersion>2.0</protocolVersion><adminEmail>oai@localhost</adminEmail>'
                     '<earliestDatestamp>2000-01-01</earliestDatestamp><deletedRecord>persistent</deletedRecord>'
                     '<granularity>YYYY-MM-DD</granularity></Identify></OAI-PMH>').encode()


class Replay:
    """A WSGI app answering each request with the first recorded response whose rule matches."""

    def __init__(self, rules):
        self.rules = rules          # [(predicate on the request's arguments, HTTP status, body)]
        self.requests: list[dict] = []

    def __call__(self, environ, start_response):
        args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        self.requests.append(args)
        status, body = next(((s, b) for matches, s, b in self.rules if matches(args)), (404, b"not recorded"))
        start_response(f"{status} Recorded", [("Content-Type", "text/xml; charset=utf-8"),
                                              ("Content-Length", str(len(body)))])
        return [body]


def verb(name, **args):
    return lambda request: request.get("verb") == name and all(request.get(k) == v for k, v in args.items())


def token_of(path) -> str:
    return etree.parse(str(path)).getroot().findtext(f".//{{{OAI}}}resumptionToken").strip()


def headers(path) -> list[etree._Element]:
    return etree.parse(str(path)).getroot().findall(f".//{{{OAI}}}header")


def harvest(store, url, prefix, **options):
    source = SourceConfig(code="peer", name="Replayed", type="oai", url=url, metadata_prefix=prefix)
    return harvest_one(store, source, RetryPolicy(timeout=5, max_retries=1, sleep=lambda s: None),
                       HarvestOptions(**options))


@pytest.fixture
def replay():
    servers = []

    def start(rules) -> tuple[Replay, str]:
        app = Replay(rules)
        servers.append(serve_in_thread(app))
        return app, servers[-1].url

    yield start
    for server in servers:
        server.stop()


def stored(store) -> tuple[dict, set[str], dict]:
    rows = list(store.records(source="peer", live_only=False))
    return ({r.oai_identifier: r for r in rows if not r.deleted}, {r.oai_identifier for r in rows if r.deleted},
            {q.oai_identifier: q.reason for q in store.quarantined("peer")})


def test_alma_page_then_an_empty_token_last_page(store, replay):
    page = shared("vufindharvest/marc.xml")
    app, url = replay([
        (verb("Identify"), 200, shared("vufindharvest/identify_response.xml").read_bytes()),
        (verb("ListRecords", resumptionToken="fakeresumptiontoken"), 200, LAST_PAGE),
        (verb("ListRecords", metadataPrefix="marc21"), 200, page.read_bytes()),
    ])
    report = harvest(store, url, "marc21")
    assert report.ok, report.error
    assert report.pages == 2 and [r.get("resumptionToken") for r in app.requests[1:]] == [None, "fakeresumptiontoken"]
    live, deleted, quarantined = stored(store)
    expected = {h.findtext(f"{{{OAI}}}identifier") for h in headers(page)}
    assert len(expected) == 100 and set(live) | set(quarantined) == expected and not deleted
    assert len(live) == report.counts.new == 100, quarantined
    record = live["oai:urm_publish:9925821506101791"]
    assert record.local_id == "9925821506101791" and record.record.title.startswith("Der Soldat")
    assert store.source_state("peer").next_from == "2016-07-12T16:19:54Z"      # Identify's responseDate


def test_deichman_bibliofil_page_with_marcxchange_and_deletions(store, replay):
    page = shared("deichman/marc2rdf/example.oairesponse.xml")
    token = token_of(page)
    app, url = replay([
        (verb("Identify"), 200, DEICHMAN_IDENTIFY),
        (verb("ListRecords", resumptionToken=token), 200, LAST_PAGE),
        (verb("ListRecords", metadataPrefix="bibliofilmarc"), 200, page.read_bytes()),
    ])
    report = harvest(store, url, "bibliofilmarc")
    assert report.ok, report.error
    live, deleted, quarantined = stored(store)
    gone = {h.findtext(f"{{{OAI}}}identifier") for h in headers(page) if h.get("status") == "deleted"}
    assert len(gone) == 2 and deleted == gone
    assert len(live) == 10 and not quarantined and report.counts.new == 10 and report.counts.deleted == 2
    record = live["oai:bibliofil.no:NO-2030000:103215"]
    assert record.local_id == "103215" and record.record.title.startswith("Historien om Abraham Lincoln")
    assert b"marcxchange" in record.raw
    assert any(ch in r.record.title for r in live.values() for ch in "æøåÆØÅ")


ZENODO = "oaipmh-scythe/responses/"


def zenodo_rules():
    first, second, last = (shared(f"{ZENODO}list_records_{n}.xml") for n in ("05", "09", "08"))
    return [
        (verb("Identify"), 200, shared(f"{ZENODO}identify_02.xml").read_bytes()),
        (lambda r: r.get("verb") == "ListRecords" and "from" in r, 422, shared(f"{ZENODO}list_records_02.xml").read_bytes()),
        (verb("ListRecords", resumptionToken=token_of(first)), 200, second.read_bytes()),
        (verb("ListRecords", resumptionToken=token_of(second)), 200, last.read_bytes()),
        *zenodo_identifier_rules(),
        (lambda r: "resumptionToken" in r, 422, shared(f"{ZENODO}list_records_10.xml").read_bytes()),
        (verb("ListRecords", metadataPrefix="oai_dc"), 200, first.read_bytes()),
        (verb("GetRecord"), 422, shared(f"{ZENODO}id_does_not_exist_00.xml").read_bytes()),
    ]


def zenodo_identifier_rules():
    first, second, last = (shared(f"{ZENODO}list_identifiers_{n}.xml") for n in ("05", "09", "08"))
    return [
        (verb("ListIdentifiers", resumptionToken=token_of(first)), 200, second.read_bytes()),
        (verb("ListIdentifiers", resumptionToken=token_of(second)), 200, last.read_bytes()),
        (verb("ListIdentifiers", metadataPrefix="oai_dc"), 200, first.read_bytes()),
    ]


def zenodo_headers(kind: str) -> list[etree._Element]:
    return [h for n in ("05", "09", "08") for h in headers(shared(f"{ZENODO}{kind}_{n}.xml"))]


def test_zenodo_three_pages_with_a_deletion_and_422_errors(store, replay):
    app, url = replay(zenodo_rules())
    report = harvest(store, url, "oai_dc")
    assert report.ok, report.error
    assert report.pages == 3
    live, deleted, quarantined = stored(store)
    listed = zenodo_headers("list_records")
    gone = {h.findtext(f"{{{OAI}}}identifier") for h in listed if h.get("status") == "deleted"}
    assert len(listed) == 9 and len(gone) == 1 and deleted == gone
    # oai_dc is not MARC: every live record is kept aside, by identifier, with the reason
    assert not live and set(quarantined) == {h.findtext(f"{{{OAI}}}identifier") for h in listed} - gone
    assert all("not a MARC record" in reason for reason in quarantined.values())
    incremental = harvest(store, url, "oai_dc")      # Zenodo's 422 noRecordsMatch: nothing new, not a failure
    assert incremental.ok, incremental.error
    assert "from" in app.requests[-1] and incremental.counts.new == incremental.counts.quarantined == 0


def test_zenodo_expired_token_at_resume_lists_the_window_again(store, replay):
    app, url = replay(zenodo_rules())
    store.save_checkpoint(source="peer", window_from=None, window_until=None, token="XXX", pages_done=7,
                          response_date="2026-08-10T08:56:30Z")
    report = harvest(store, url, "oai_dc")
    assert report.ok, report.error
    assert any("badResumptionToken" in note for note in report.notes)
    assert [r.get("resumptionToken", "") [:3] for r in app.requests if r["verb"] == "ListRecords"] == ["XXX", "", ".eJ", ".eJ"]
    assert len(stored(store)[1]) == 1 and len(stored(store)[2]) == 8


def test_zenodo_identifiers_reconcile_through_real_pages_and_422_id_does_not_exist(store, replay):
    app, url = replay(zenodo_rules())
    report = harvest(store, url, "oai_dc", reconcile=True)
    assert report.ok, report.error
    listed = [r for r in app.requests if r["verb"] == "ListIdentifiers"]
    assert len(listed) == 6          # the three pages twice: 9 records of 8,091,628 announced, then reconciliation
    assert any("9 records listed of 8091628 announced" in note for note in report.notes)
    live_listed = {h.findtext(f"{{{OAI}}}identifier") for h in zenodo_headers("list_identifiers")
                   if h.get("status") != "deleted"}
    kept_aside = set(stored(store)[2])
    asked = {r["identifier"] for r in app.requests if r["verb"] == "GetRecord"}
    assert asked == live_listed - kept_aside            # listed, never stored: fetched, and gone (idDoesNotExist)
    assert report.counts.deleted == 1                    # the tombstone of the records' list; nothing else removed
