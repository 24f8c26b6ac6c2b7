"""Pages and the JSON API over a real store and a real Whoosh index on disk."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main
from settings import load_config
from tests.conftest import shared
from web import create_app


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Three real member catalogues harvested, deduplicated and indexed."""
    folder = tmp_path_factory.mktemp("web")
    (folder / "config.yaml").write_text(f"""
store: var/store.sqlite
index: var/index
sources:
  - {{code: koha, name: Koha library, type: file, path: "{shared('deichman/ls.ext/marc.xml')}"}}
  - {{code: lul, name: Laurentian, type: file, path: "{shared('evergreen/lul_fre_100.mrc')}"}}
  - {{code: alpha, name: Alpha, type: file, path: "{shared('libris/batchimport/batch2.xml')}"}}
  - {{code: beta, name: Beta, type: file, path: "{shared('libris/batchimport/batch3.xml')}"}}
""")
    result = CliRunner().invoke(main, ["--config", str(folder / "config.yaml"), "nightly"])
    assert result.exit_code in (0, 1), result.output
    return load_config(folder / "config.yaml")


@pytest.fixture
def client(catalogue):
    return create_app(catalogue).test_client()


def test_api_search_finds_a_record_by_a_title_word_and_lists_its_holding_libraries(client):
    body = client.get("/api/search?q=Berlinerpoplene").get_json()
    assert body["total"] == 1
    (hit,) = body["hits"]
    assert hit["title"].startswith("Berlinerpoplene")
    assert hit["holdings"][0]["source"] == "koha" and hit["holdings"][0]["name"] == "Koha library"
    assert {"hutl", "fnyd"} <= set(hit["holdings"][0]["libraries"])
    assert set(body["facets"]) == {"library", "format", "language"}


def test_api_record_lists_every_member_and_holding_and_explains_the_merge(client):
    (hit,) = client.get("/api/search?q=polisbilen").get_json()["hits"]
    body = client.get(f"/api/records/{hit['id']}?explain=1").get_json()
    assert sorted(m["source"] for m in body["members"]) == ["alpha", "beta"]
    assert sorted(group["source"] for group in body["holdings"]) == ["alpha", "beta"]
    matched = [m for entry in body["evidence"] for m in entry["evidence"]["matched"]]
    assert {m["with"] for m in matched} == {"alpha:20203738", "beta:20203738"}
    assert all(m["route"] == "identifier" and "shared isbn:9789127108509" in m["reasons"] for m in matched)


def test_member_record_id_redirects_to_its_cluster(client):
    (hit,) = client.get("/api/search?q=polisbilen").get_json()["hits"]
    response = client.get("/api/records/alpha:20203738")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/api/records/{hit['id']}")
    assert client.get("/record/beta:20203738").status_code == 301


def test_record_page_renders_every_holding_library(client):
    (hit,) = client.get("/api/search?q=Berlinerpoplene").get_json()["hits"]
    page = client.get(f"/record/{hit['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Berlinerpoplene" in html and "hutl" in html and "fnyd" in html


def test_search_page_shows_results_with_facets_and_translates(client):
    html = client.get("/?q=poésies").get_data(as_text=True)
    assert 'class="hit"' in html and 'data-facet="format"' in html
    swedish = client.get("/?q=poésies&lang=sv")
    assert "träff" in swedish.get_data(as_text=True)
    assert '<html lang="sv">' in swedish.get_data(as_text=True)
    assert "lang=sv" in swedish.headers.get("Set-Cookie", "")


def test_folded_query_finds_diacritics(client):
    plain = client.get("/api/search?q=poesies").get_json()
    accented = client.get("/api/search?q=poésies").get_json()
    assert plain["total"] == accented["total"] > 0


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=99999", "q=" + "word+" * 200, "q=%22open+phrase",
                                   "q=title:x*", "q=(((", "q=NOT", "q=AND+OR+NOT", "library=nope&q=x"])
def test_malformed_input_gets_a_helpful_page_never_a_500(client, query):
    page = client.get(f"/?{query}")
    assert page.status_code in (200, 400)
    api = client.get(f"/api/search?{query}")
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.get_json()["error"]


def test_unknown_record_is_a_404_page(client):
    assert client.get("/record/nope").status_code == 404
    assert client.get("/api/records/nope").status_code == 404


def test_security_headers_are_set(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_facet_filters_narrow_the_results_and_combine(client):
    everything = client.get("/api/search?q=").get_json()
    koha = client.get("/api/search?q=&library=koha").get_json()
    assert 0 < koha["total"] < everything["total"]
    assert all(any(h["source"] == "koha" for h in hit["holdings"]) for hit in koha["hits"])
    both = client.get("/api/search?q=&library=alpha&library=beta").get_json()
    assert both["total"] == 1 and both["hits"][0]["title"].startswith("Polisbilen")
    french = client.get("/api/search?q=&language=fre").get_json()
    assert 0 < french["total"] < everything["total"]


def test_removing_a_filter_link_drops_only_that_filter(client):
    html = client.get("/?q=&library=lul&format=book").get_data(as_text=True)
    assert 'class="remove-filter"' in html
    assert "?q=&amp;format=book" in html and "?q=&amp;library=lul" in html
