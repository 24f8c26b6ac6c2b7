"""The OAI-PMH provider at /oai: every verb and error valid against the schemas, tokens, the configured
identity, the rate limit, the schemas themselves, and sickle as an outside client."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from cli import main
from settings import load_config
from store import Store
from tests.conftest import DATABASES, ROOT
from tests.oai_support import (NS, REPOSITORY, build, cluster_count, error_code, identifiers, list_all, oai,
                               unverified)
from web import create_app
from web.oai import tokens
from web.oai.validation import SchemaMissing, load_schema, problems


@pytest.fixture(scope="module", params=DATABASES)
def catalogue(request, tmp_path_factory):
    """A published catalogue, built once per database for the tests that only read it."""
    folder = tmp_path_factory.mktemp(f"oai-{request.param}")
    store = "var/store.sqlite"
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        store = server.url(server.create_database())
    return build(folder, store)


@pytest.fixture
def client(catalogue):
    return create_app(catalogue).test_client()


@pytest.mark.parametrize("args, element", [
    ({"verb": "Identify"}, "Identify"),
    ({"verb": "ListMetadataFormats"}, "ListMetadataFormats"),
    ({"verb": "ListSets"}, "ListSets"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "marc21"}, "ListIdentifiers"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "ListRecords"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21_includehold", "set": "member:deichman"}, "ListRecords"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "format:book"}, "ListRecords"),
])
def test_every_verb_answers_valid_oai_pmh_with_valid_records(client, args, element):
    root = oai(client, **args)
    assert root.find(f"o:{element}", NS) is not None, etree.tostring(root)[:800]


def test_identify_promises_persistent_deletions_in_seconds_and_the_configured_base_url(client):
    identify = oai(client, verb="Identify").find("o:Identify", NS)
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:baseURL", namespaces=NS) == "https://katalog.example.org/oai"


def test_get_record_and_list_metadata_formats_of_one_record(client):
    first = identifiers(oai(client, verb="ListIdentifiers", metadataPrefix="marc21").find("o:ListIdentifiers", NS))[0]
    for prefix in ("marc21", "marc21_includehold", "oai_dc"):
        record = oai(client, verb="GetRecord", identifier=first, metadataPrefix=prefix).find("o:GetRecord/o:record", NS)
        assert record.findtext("o:header/o:identifier", namespaces=NS) == first
        assert record.find("o:about/p:provenance", NS) is not None
    formats = oai(client, verb="ListMetadataFormats", identifier=first)
    assert [f.text for f in formats.iterfind(".//o:metadataPrefix", NS)] == ["marc21", "marc21_includehold", "oai_dc"]


@pytest.mark.parametrize("args, code", [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "Identify", "set": "member:libris"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-13-45"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-01-02", "until": "2026-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-01-01", "until": "2026-01-02T00:00:00Z"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "resumptionToken": "x"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "dc"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "oai:katalog.example.org:nope"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "oai:elsewhere.org:c1"}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "nope"}, "idDoesNotExist"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2999-01-01"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "marc21", "set": "member:nobody"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "forged.token"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
])
def test_every_error_is_valid_oai_pmh_with_its_code(client, args, code):
    root = oai(client, **args)
    assert error_code(root) == code, etree.tostring(root)
    if code in ("badVerb", "badArgument"):
        assert root.find("o:request", NS).attrib == {}, "a bad request is not echoed"


def test_a_repeated_argument_is_a_bad_argument(client):
    response = client.get("/oai?verb=ListRecords&metadataPrefix=marc21&metadataPrefix=oai_dc")
    assert problems(response.get_data()) == []
    assert error_code(etree.fromstring(response.get_data())) == "badArgument"


def test_post_requests_are_answered_like_get(client):
    response = client.post("/oai", data={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "member:libris"})
    root = etree.fromstring(response.get_data())
    assert problems(response.get_data()) == [] and root.find("o:ListIdentifiers", NS) is not None


def test_lists_page_by_signed_tokens_with_cursor_and_size_to_every_record_once(client, catalogue):
    items, seen = list_all(client, "ListIdentifiers", metadataPrefix="marc21")
    ids = identifiers(items)
    assert len(ids) == len(set(ids)) == cluster_count(catalogue)
    assert len(seen) == -(-len(ids) // 25)
    assert [int(t.get("cursor")) for t in seen] == [25 * n for n in range(len(seen))]
    assert {int(t.get("completeListSize")) for t in seen} == {len(ids)}
    assert all(t.get("expirationDate") for t in seen[:-1]) and not (seen[-1].text or "").strip()


def test_tokens_survive_a_restart_and_are_refused_when_altered_expired_or_from_another_key(catalogue):
    first = oai(create_app(catalogue).test_client(), verb="ListIdentifiers", metadataPrefix="marc21")
    token = first.findtext(".//o:resumptionToken", namespaces=NS)
    again = oai(create_app(catalogue).test_client(), verb="ListIdentifiers", resumptionToken=token)
    assert again.find("o:ListIdentifiers", NS) is not None, "a token outlives the process that issued it"
    client = create_app(catalogue).test_client()
    key = client.application.extensions["unioncat"]["oai"].key
    position = unverified(token)
    body, _, signature = token.rpartition(".")
    resigned_elsewhere = tokens.issue(position, b"another repository's key")
    expired = tokens.issue(replace(position, expires=int(time.time()) - 1), key)
    altered = tokens.issue(replace(position, cursor=0), key).rpartition(".")[0] + "." + signature
    for bad in (resigned_elsewhere, expired, altered, token + "x", body):
        assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=bad)) == "badResumptionToken", bad
    assert error_code(oai(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken", \
        "a ListIdentifiers token does not resume ListRecords"


def test_identifiers_and_base_url_never_come_from_the_host_header(client):
    response = client.get("/oai?verb=ListIdentifiers&metadataPrefix=marc21", headers={"Host": "evil.example.net"})
    text = response.get_data(as_text=True)
    assert "evil.example.net" not in text
    assert "oai:katalog.example.org:" in text and ">https://katalog.example.org/oai<" in text


def test_holdings_format_has_an_852_per_holding_library_with_member_and_code(client):
    items, _ = list_all(client, "ListRecords", metadataPrefix="marc21_includehold", set="member:deichman")
    record = max(items, key=lambda r: len(r.findall(".//m:datafield[@tag='852']", NS)))
    fields = record.findall(".//m:datafield[@tag='852']", NS)
    assert len(fields) > 1
    assert {f.findtext("m:subfield[@code='a']", namespaces=NS) for f in fields} >= {"deichman"}
    assert all(f.findtext("m:subfield[@code='b']", namespaces=NS) for f in fields)
    assert not record.findall(".//m:datafield[@tag='850']", NS), "the member's own holdings field is not passed on"
    assert record.findtext(".//m:controlfield[@tag='001']", namespaces=NS) == \
        record.findtext("o:header/o:identifier", namespaces=NS).rsplit(":", 1)[1]


def test_a_harvester_over_its_rate_limit_gets_503_with_retry_after(catalogue):
    data = yaml.safe_load(catalogue.path.read_text())
    data["oai"]["rate_limit"] = "3 per minute"
    path = catalogue.path.parent / "limited.yaml"     # beside the original: its paths are relative
    path.write_text(yaml.safe_dump(data))
    client = create_app(load_config(path)).test_client()
    answers = [client.get("/oai?verb=Identify") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 503]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    other = client.get("/oai?verb=Identify", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200, "the limit counts per address"


def test_without_a_repository_identifier_there_is_no_provider(catalogue):
    data = yaml.safe_load(catalogue.path.read_text())
    data.pop("oai")
    path = catalogue.path.parent / "without-oai.yaml"
    path.write_text(yaml.safe_dump(data))
    assert create_app(load_config(path)).test_client().get("/oai?verb=Identify").status_code == 404


def test_a_schema_file_that_cannot_be_loaded_fails_the_validation(tmp_path):
    from web.oai.validation import SCHEMAS

    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    (tmp_path / "schemas" / "MARC21slim.xsd").unlink()
    with pytest.raises(SchemaMissing):
        load_schema(tmp_path / "schemas")


def test_the_fast_iso2709_reader_gives_the_fields_of_the_full_reader():
    from normalise import parse_raw, read_file
    from web.oai.metadata import _leader, iso2709_fields

    compared = 0
    for path in sorted((ROOT / "samples").glob("*/*.mrc")):
        for raw in read_file(path):
            fast = iso2709_fields(raw.raw) if hasattr(raw, "raw") else None
            if fast is None:
                continue
            record = parse_raw(raw.raw, "iso2709")[0]
            full = [(f.tag, f.data if f.control_field else ("".join(f.indicators)[:2], [(s.code, s.value) for s in f.subfields]))
                    for f in record.fields]
            assert (_leader(fast[0]), fast[1]) == (_leader(str(record.leader)), full), path
            compared += 1
    assert compared > 50


@pytest.mark.parametrize("section, key", [
    ({"repository_identifier": "not a domain"}, "oai.repository_identifier"),
    ({"repository_identifier": REPOSITORY, "page_size": 0}, "oai.page_size"),
    ({"repository_identifier": REPOSITORY, "rate_limit": "lots"}, "oai.rate_limit"),
    ({"repository_identifier": REPOSITORY, "admin_email": "nobody"}, "oai.admin_email"),
    ({"repository_identifier": REPOSITORY, "base_url": "https://elsewhere/"}, "unknown key"),
])
def test_bad_oai_settings_are_refused_naming_the_key(tmp_path, section, key):
    from settings import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"store": "s.sqlite", "index": "i", "sources": [], "oai": section}))
    with pytest.raises(ConfigError, match=key):
        load_config(path)


def test_oai_update_without_a_repository_identifier_is_a_usage_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"store": "s.sqlite", "index": "i", "sources": []}))
    result = CliRunner().invoke(main, ["--config", str(path), "oai", "update"])
    assert result.exit_code == 2 and "oai.repository_identifier" in result.output, result.output


def test_sickle_lists_every_record_and_set_without_error(catalogue):
    from sickle import Sickle

    from oaiserver.runner import serve_in_thread

    with serve_in_thread(create_app(catalogue)) as server:
        sickle = Sickle(server.url, max_retries=0, timeout=30)
        records = list(sickle.ListRecords(metadataPrefix="marc21_includehold", ignore_deleted=False))
        headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc"))
        sets = list(sickle.ListSets())
    with Store(catalogue.store_url) as store:
        live = store.alive_cluster_ids()
        specs = store.oai_set_specs()
    assert sorted(r.header.identifier.rsplit(":", 1)[1] for r in records) == sorted(live)
    assert all(r.metadata for r in records) and len(headers) == len(live)
    assert sorted(s.setSpec for s in sets) == specs and "member:deichman" in specs

