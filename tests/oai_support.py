"""Helpers for the OAI-PMH provider's tests: a published catalogue from the samples, requests checked against
the schemas, lists followed through their tokens."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import datetime, timezone

import yaml
from click.testing import CliRunner
from lxml import etree

from cli import main
from settings import load_config
from store import Store
from tests.conftest import ROOT
from web.oai import tokens
from web.oai.validation import problems

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "m": "http://www.loc.gov/MARC21/slim",
      "dc": "http://purl.org/dc/elements/1.1/", "p": "http://www.openarchives.org/OAI/2.0/provenance"}
SECRET = "a-test-secret-that-is-long-enough-0123456789"
REPOSITORY = "katalog.example.org"


def write_catalogue(folder, store: str, sources=("libris", "deichman"), **oai) -> object:
    """A catalogue of sample members (files) plus `extra` (tests/data files copied into `folder`)."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["sources"] = [s for s in data["sources"] if s["code"] in sources]
    for source in data["sources"]:
        source.update(type="file", path=[str(p) for p in sorted((ROOT / "samples" / source["code"]).glob("records.*"))])
        for key in ("url", "metadata_prefix", "set"):
            source.pop(key, None)
    extra = folder / "extra"
    extra.mkdir(exist_ok=True)
    for name in ("beyond_the_crisis_in_art_second_edition.xml", "xss_title_and_javascript_856.xml"):
        shutil.copy(ROOT / "tests" / "data" / name, extra / name)
    data["sources"].append({"code": "extra", "name": "Test additions", "type": "file", "path": str(extra / "*.xml")})
    for key in ("demo", "licences", "regional_bibliographies"):     # the latter two name sources left out
        data.pop(key, None)
    data.update(store=store, index="var/index", reports="var/reports")
    data["web"].update(secret_key=SECRET, public_base_url="https://katalog.example.org/")
    data["oai"] = {"repository_identifier": REPOSITORY, "page_size": 25, **oai}
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_config(folder / "config.yaml")


def run(config, *args):
    result = CliRunner().invoke(main, ["--config", str(config.path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def build(folder, store: str, **kwargs):
    """Harvested, deduplicated and published (no search index: the provider reads the store)."""
    config = write_catalogue(folder, store, **kwargs)
    for command in (["migrate"], ["harvest"], ["dedup"], ["oai", "update"]):
        run(config, *command)
    return config


def oai(client, **args) -> etree._Element:
    """One request; the response must be valid OAI-PMH with valid metadata and about parts."""
    response = client.get("/oai", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    body = response.get_data()
    assert problems(body) == [], body[:2000]
    return etree.fromstring(body)


def error_code(root) -> str | None:
    found = root.find("o:error", NS)
    return found.get("code") if found is not None else None


def list_all(client, verb: str, **args) -> tuple[list[etree._Element], list[etree._Element]]:
    """Every item of a list, following tokens; and the token elements seen."""
    items, tokens_seen = [], []
    root = oai(client, verb=verb, **args)
    while True:
        body = root.find(f"o:{verb}", NS)
        assert body is not None, etree.tostring(root)[:500]
        items += [el for el in body if el.tag != f"{{{NS['o']}}}resumptionToken"]
        token = body.find("o:resumptionToken", NS)
        if token is None or not (token.text or "").strip():
            if token is not None:
                tokens_seen.append(token)
            return items, tokens_seen
        tokens_seen.append(token)
        root = oai(client, verb=verb, resumptionToken=token.text)


def identifiers(items) -> list[str]:
    return [el.findtext(".//o:header/o:identifier", namespaces=NS) or el.findtext("o:identifier", namespaces=NS)
            for el in items]


def cluster_count(config) -> int:
    with Store(config.store_url) as store:
        return store.cluster_totals()[1]


def unverified(token: str) -> tokens.Position:
    """What a token says, read without checking its signature (as a forger would)."""
    body = token.rpartition(".")[0]
    return tokens.Position(**json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def headers_in(client, **args) -> dict[str, bool]:
    """identifier -> deleted, for every header of a ListIdentifiers (none when nothing matches)."""
    root = oai(client, verb="ListIdentifiers", metadataPrefix="marc21", **args)
    if error_code(root) == "noRecordsMatch":
        return {}
    items, _ = list_all(client, "ListIdentifiers", metadataPrefix="marc21", **args)
    return {el.findtext("o:identifier", namespaces=NS): el.get("status") == "deleted" for el in items}

