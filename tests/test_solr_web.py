"""The web with SolrCloud as its search engine: the same pages, and a readable 503 when no node answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from settings import SearchSettings
from tests.conftest import solr_engine, solr_settings
from tests.test_web import sample_catalogue
from web import create_app

# one SolrCloud per run: every test that reaches the session's cluster runs in the same xdist worker
pytestmark = pytest.mark.xdist_group("solr")


@pytest.fixture(scope="module")
def catalogue(request, tmp_path_factory):
    """The sample catalogue on SQLite, its Solr collection fed."""
    built = sample_catalogue(request, tmp_path_factory, "sqlite")
    solr_engine(request, built).close()
    return built


@pytest.fixture
def client(request, catalogue):
    return create_app(replace(catalogue, search=solr_settings(request))).test_client()


def test_pages_and_the_api_on_solr_give_what_they_give_on_whoosh(client, catalogue):
    on_whoosh = create_app(catalogue).test_client()
    for query in ("q=beyond+the+crisis+in+art", "q=Goteborg", "q=&library=duke&format=book", "isbn=0-14-044913-6",
                  "q=art&sort=year", "q=&library=duke&library=unc&format=book&format=ebook&year_from=1900",
                  "q=&more=subject&language=eng", "q=author:fuller"):
        solr, whoosh = client.get(f"/api/search?{query}"), on_whoosh.get(f"/api/search?{query}")
        assert solr.status_code == whoosh.status_code == 200, solr.get_data(as_text=True)
        assert solr.get_json()["total"] == whoosh.get_json()["total"]
        assert solr.get_json()["facets"] == whoosh.get_json()["facets"]
    html = client.get("/?q=beyond+the+crisis+in+art").get_data(as_text=True)
    assert "Beyond the crisis in art" in html
    first = client.get("/api/search?q=beyond+the+crisis+in+art").get_json()["hits"][0]["id"]
    record = client.get(f"/record/{first}")
    assert record.status_code == 200 and "Beyond the crisis in art" in record.get_data(as_text=True)


def test_when_no_solr_node_answers_the_web_says_the_catalogue_is_unavailable(catalogue):
    dead = SearchSettings(engine="solr", nodes=("http://127.0.0.1:9/solr", "http://127.0.0.1:7/solr"),
                          collection="contract", timeout=1)
    client = create_app(replace(catalogue, search=dead)).test_client()
    page = client.get("/?q=art")
    assert page.status_code == 503, page.get_data(as_text=True)[:500]
    text = page.get_data(as_text=True)
    assert "<html" in text.lower() and "cannot be searched just now" in text
    assert "127.0.0.1:9" not in text and page.headers["Retry-After"] == "60"     # the cause is for the log
    polish = client.get("/?q=art&lang=pl")
    assert polish.status_code == 503 and "nie można przeszukiwać katalogu" in polish.get_data(as_text=True)
    api = client.get("/api/search?q=art")
    assert api.status_code == 503 and "no Solr node answered" in api.get_json()["error"]
