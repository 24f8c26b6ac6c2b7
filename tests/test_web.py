"""Pages and the JSON API over a real store and a real Whoosh index built from the demo's sample libraries."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from settings import load_config
from tests.conftest import DATABASES, ROOT
from web import create_app

DATA = ROOT / "tests" / "data"
EXTRA_FILES = ["xss_title_and_javascript_856.xml", "beyond_the_crisis_in_art_second_edition.xml"]


def build_catalogue(folder, store: str = "var/store.sqlite"):
    """The six sample members (all read from files) plus `extra`, harvested, deduplicated and indexed."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    for source in data["sources"]:
        paths = sorted((ROOT / "samples" / source["code"]).glob("*.*"))
        source.update(type="file", path=[str(p) for p in paths if p.suffix in (".xml", ".mrc")])
        for key in ("url", "metadata_prefix", "set"):
            source.pop(key, None)
    data["sources"].append({"code": "extra", "name": "Test additions", "type": "file",
                            "path": [str(DATA / name) for name in EXTRA_FILES]})
    data.pop("demo", None)
    data.update(store=store, index="var/index", lock_file="var/nightly.lock")
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(main, ["--config", str(folder / "config.yaml"), "nightly"])
    assert result.exit_code in (0, 1), result.output
    return load_config(folder / "config.yaml")


def sample_catalogue(request, tmp_path_factory, database: str):
    """The sample catalogue on `database`, built once per test run (other web modules share it)."""
    built = request.getfixturevalue("built_once")
    key = f"sample catalogue on {database}"
    if key not in built:
        store = "var/store.sqlite"
        if database == "postgresql":
            server = request.getfixturevalue("pg_server")
            store = server.url(server.create_database())    # kept until the server stops with the session
        built[key] = build_catalogue(tmp_path_factory.mktemp(f"catalogue-{database}"), store)
    return built[key]


@pytest.fixture(scope="module", params=DATABASES)
def catalogue(request, tmp_path_factory):
    """The sample catalogue, on SQLite and on PostgreSQL."""
    return sample_catalogue(request, tmp_path_factory, request.param)


@pytest.fixture
def client(catalogue):
    return create_app(catalogue).test_client()


def search(client, query: str) -> dict:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def first_id(client, query: str) -> str:
    return search(client, query)["hits"][0]["id"]


def test_api_search_finds_an_edition_held_by_five_members_with_every_facet(client):
    body = search(client, "q=beyond+the+crisis+in+art")
    hit = body["hits"][0]
    assert hit["title"] == "Beyond the crisis in art"
    assert len(hit["holdings"]) == 5
    assert set(body["facets"]) == {"library", "branch", "online", "collection", "format", "language", "year", "subject",
                                   "author"}


def test_a_word_without_its_diacritics_finds_the_word_with_them(client):
    plain = search(client, "q=Goteborg")
    accented = search(client, "q=Göteborg")
    assert plain["total"] == accented["total"] > 0
    assert [h["id"] for h in plain["hits"]] == [h["id"] for h in accented["hits"]]


def test_an_isbn_with_hyphens_as_10_or_13_digits_finds_the_book(client):
    for typed in ("978-0-906495-34-6", "9780906495346", "0-906495-34-2", "0906495342"):
        (hit,) = search(client, f"q={typed}")["hits"]
        assert hit["title"] == "Beyond the crisis in art", typed
    (hit,) = search(client, "isbn=978-0-906495-34-6")["hits"]
    assert hit["title"] == "Beyond the crisis in art"


def test_fielded_search_and_year_range_narrow_the_results(client):
    everything = search(client, "in_author=fuller")
    assert everything["total"] >= 2
    later = search(client, "in_author=fuller&year_from=1985&year_to=1990")
    assert [h["year"] for h in later["hits"]] == [1988]
    assert search(client, "in_title=crisis&in_subject=art")["total"] >= 1


def test_facet_filters_narrow_the_results_and_combine(client):
    everything = search(client, "q=")
    duke = search(client, "q=&library=duke")
    assert 0 < duke["total"] < everything["total"]
    assert all(any(h["source"] == "duke" for h in hit["holdings"]) for hit in duke["hits"])
    both = search(client, "q=&library=duke&format=book")
    assert 0 < both["total"] < duke["total"]
    held_by_either = search(client, "q=&library=duke&library=unc")          # several libraries: any of them
    assert held_by_either["total"] > duke["total"]
    assert all({"duke", "unc"} & {h["source"] for h in hit["holdings"]} for hit in held_by_either["hits"])


def test_facet_counts_match_what_the_filter_then_finds(client):
    body = search(client, "q=")
    for name in ("library", "format", "language", "year"):
        top = body["facets"][name][0]
        assert search(client, f"q=&{name}={top['value']}")["total"] == top["count"], name


def test_year_facet_values_are_decades_that_filter_by_range(client):
    body = search(client, "q=&year=2010-2019")
    assert body["total"] > 0
    assert all(2010 <= hit["year"] <= 2019 for hit in body["hits"])


def test_sorting_by_year_and_title(client):
    newest = [h["year"] for h in search(client, "q=&sort=year&size=50")["hits"]]
    assert newest == sorted(newest, reverse=True)
    titles = [h["title"].casefold() for h in search(client, "q=&sort=title&size=50")["hits"]]
    assert titles[0] <= titles[-1]


def test_relevance_puts_title_matches_first_and_more_holders_first_among_them(client):
    hits = search(client, "q=crisis")["hits"]
    in_title = ["crisis" in h["title"].casefold() for h in hits]
    assert in_title == sorted(in_title, reverse=True)
    assert hits[0]["title"] == "Beyond the crisis in art"          # five holders, among the title matches


def test_my_library_first_lists_its_holdings_before_the_others(client):
    client.set_cookie("mylib", "deichman")
    client.set_cookie("minefirst", "1")
    body = search(client, "q=&size=100")
    held = [any(h["source"] == "deichman" for h in hit["holdings"]) for hit in body["hits"]]
    assert body["mine_total"] == held.count(True) > 0
    assert held == sorted(held, reverse=True)



def test_my_library_can_be_one_library_of_a_shared_member_catalogue(client):
    # Libris is one member catalogue of many libraries; 852 $b "U" is Uppsala (config.yaml names it)
    client.set_cookie("mylib", "libris|U")
    client.set_cookie("minefirst", "1")
    body = search(client, "q=&size=100")
    held = [any(h["source"] == "libris" and "Uppsala universitetsbibliotek" in h["libraries"] for h in hit["holdings"])
            for hit in body["hits"]]
    at_libris = [any(h["source"] == "libris" for h in hit["holdings"]) for hit in body["hits"]]
    assert body["mine_total"] == held.count(True) > 0 and held.count(True) < at_libris.count(True)
    assert held == sorted(held, reverse=True)
    html = client.get("/?q=").get_data(as_text=True)
    assert f"{held.count(True)} of these are at Uppsala universitetsbibliotek." in html
    assert '<optgroup label="Libris (Sweden)">' in html and '<option value="libris|U" selected>' in html
    assert "branch=libris%7CU" in html                                  # "show only those"
    record = client.get(f"/record/{body['hits'][0]['id']}").get_data(as_text=True)
    uppsala_row = record.split("Uppsala universitetsbibliotek", 1)[1].split("</th>")[0]
    assert '<span class="mine">(your library)</span>' in uppsala_row
    assert record.count('<span class="mine">(your library)</span>') == 1


def test_the_holding_library_facet_names_libraries_within_members_and_filters_by_them(client):
    body = search(client, "q=beyond+the+crisis+in+art")
    branches = {fv["value"] for fv in body["facets"]["branch"]}
    assert {"libris|U", "libris|L", "deichman|hutl", "duke|LSC"} <= branches
    assert not any(member == code for member, _, code in (v.partition("|") for v in branches))   # UNC names none
    narrowed = search(client, "q=&branch=libris%7CU")
    libris = search(client, "q=&library=libris")
    assert 0 < narrowed["total"] < libris["total"]
    html = client.get("/?q=beyond+the+crisis+in+art").get_data(as_text=True)
    assert "Holding library" in html and 'value="libris|U"> Uppsala universitetsbibliotek <' in html
    advanced = client.get("/advanced").get_data(as_text=True)
    assert '<option value="libris|U">Uppsala universitetsbibliotek</option>' in advanced
    assert search(client, "q=&library=libris%7CU")["total"] == narrowed["total"]     # as the advanced form sends it

def test_preferences_set_the_cookies_and_go_back_only_within_the_site(client):
    response = client.get("/preferences?mylib=duke&minefirst=1&next=/%3Fq%3Dart")
    assert response.status_code == 303 and response.headers["Location"].endswith("/?q=art")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("mylib=duke") for c in cookies) and any(c.startswith("minefirst=1") for c in cookies)
    away = client.get("/preferences?mylib=duke&next=//evil.example/")
    assert away.headers["Location"] == "/"
    unknown = client.get("/preferences?mylib=nope&next=/")
    assert any(c.startswith("mylib=;") for c in unknown.headers.getlist("Set-Cookie"))
    library = client.get("/preferences?mylib=libris%7CU&next=/")
    assert any(c.startswith('mylib="libris|U"') or c.startswith("mylib=libris|U") for c in library.headers.getlist("Set-Cookie"))
    not_a_member = client.get("/preferences?mylib=nope%7CU&next=/")
    assert any(c.startswith("mylib=;") for c in not_a_member.headers.getlist("Set-Cookie"))


def test_page_size_is_capped_and_deep_paging_is_bounded(client):
    assert len(search(client, "q=&size=5000")["hits"]) == 100
    assert client.get("/api/search?q=&size=100&page=11").status_code == 400
    last = search(client, "q=")["pages"]
    assert len(search(client, f"q=&page={last}")["hits"]) > 0
    assert client.get(f"/api/search?q=&page={last + 1}").status_code == 400     # past the last page


def test_spelling_suggestion_for_a_misspelt_word(client):
    body = search(client, "q=crisiss")
    assert body["total"] == 0 and body["suggestion"] == "crisis"
    html = client.get("/?q=crisiss").get_data(as_text=True)
    assert "Did you mean" in html and "q=crisis" in html


def test_record_page_groups_every_holding_by_member_and_library(client):
    page = client.get(f"/record/{first_id(client, 'q=beyond+the+crisis+in+art')}")
    html = page.get_data(as_text=True)
    assert html.count('class="holding-source') == 5
    assert "Holdings as harvested on" in html
    assert '<th scope="rowgroup"' in html



def test_a_holding_links_to_the_members_own_catalogue_when_its_address_is_configured(client, catalogue):
    libris = next(source for source in catalogue.sources if source.code == "libris")
    assert libris.record_url == "http://libris.kb.se/bib/{id}"       # as config.yaml sets it
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    members = client.get(f"/api/records/{cluster}").get_json()["members"]
    libris_ids = {m["local_id"] for m in members if m["source"] == "libris"}
    html = client.get(f"/record/{cluster}").get_data(as_text=True)
    links = re.findall(r'<a href="http://libris\.kb\.se/bib/([^"]+)"', html)
    assert libris_ids and set(links) == libris_ids
    assert "(in its own catalogue)" in html
    duke = html.split("Duke University Libraries</h3>")[1]
    assert "<a href" not in duke.split("</table>")[0]                # no address configured: plain names

def test_record_page_lists_other_editions_of_the_same_work(client):
    html = client.get(f"/record/{first_id(client, 'q=beyond+the+crisis+in+art')}").get_data(as_text=True)
    editions = html.split('class="editions"')[1]
    assert "Beyond the crisis in art" in editions and "2nd ed" in editions and "(1988)" in editions


def test_record_page_carries_schema_org_json_ld_and_a_permalink(client):
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    html = client.get(f"/record/{cluster}").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Book" and data["name"] == "Beyond the crisis in art"
    assert "9780906495346" in data["isbn"] and len(data["offers"]) == 5
    assert data["url"].endswith(f"/record/{cluster}") and f'value="{data["url"]}"' in html


def test_exports_as_ris_bibtex_and_marcxml(client):
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    ris = client.get(f"/record/{cluster}/export.ris")
    assert ris.headers["Content-Type"].startswith("application/x-research-info-systems")
    assert "TY  - BOOK" in ris.get_data(as_text=True) and "SN  - 9780906495346" in ris.get_data(as_text=True)
    bib = client.get(f"/record/{cluster}/export.bib").get_data(as_text=True)
    assert bib.startswith("@book{") and "title = {Beyond the crisis in art}" in bib
    marcxml = ElementTree.fromstring(client.get(f"/record/{cluster}/export.marcxml").data)
    records = marcxml.findall("{http://www.loc.gov/MARC21/slim}record")
    assert len(records) == 5
    assert client.get(f"/record/{cluster}/export.exe").status_code == 404


def test_opensearch_description_is_linked_from_every_page(client):
    assert 'type="application/opensearchdescription+xml"' in client.get("/").get_data(as_text=True)
    description = ElementTree.fromstring(client.get("/opensearch.xml").data)
    urls = description.findall("{http://a9.com/-/spec/opensearch/1.1/}Url")
    assert any("?q={searchTerms}" in url.get("template") for url in urls)


def test_member_record_id_redirects_to_its_cluster(client):
    cluster = first_id(client, "q=beyond+the+crisis+in+art")
    response = client.get("/api/records/extra:7419795x2")
    assert response.status_code == 301
    assert client.get("/record/unc:7419795").headers["Location"].endswith(f"/record/{cluster}")


def test_advanced_search_form_labels_every_field(client):
    html = client.get("/advanced").get_data(as_text=True)
    for field in ("adv-q", "adv-title", "adv-author", "adv-subject", "adv-isbn", "adv-from", "adv-to",
                  "adv-format", "adv-language", "adv-library"):
        assert f'<label for="{field}"' in html, field


def test_interface_switches_to_swedish_and_remembers_it(client):
    swedish = client.get("/?q=art&lang=sv")
    html = swedish.get_data(as_text=True)
    assert '<html lang="sv">' in html and "träffar" in html and "Sortera efter" in html
    assert "lang=sv" in swedish.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("language", ["pl", "sv", "nb"])
def test_every_interface_string_is_translated(language):
    from babel.messages.pofile import read_po

    with (ROOT / "web" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    assert not untranslated
    assert not [m.id for m in catalog if m.id and m.fuzzy]


def test_every_string_in_the_code_and_templates_is_in_every_catalogue():
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.pofile import read_po

    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.xml", "jinja2")]
    wanted = {m[2] if isinstance(m[2], str) else m[2][0]
              for m in extract_from_dir(str(ROOT / "web"), method_map, keywords=keywords)}
    for language in ("pl", "sv", "nb"):
        with (ROOT / "web" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        assert not wanted - {m.id if isinstance(m.id, str) else m.id[0] for m in catalog}, language


def test_unknown_record_is_a_404_page(client):
    assert client.get("/record/nope").status_code == 404
    assert client.get("/api/records/nope").status_code == 404


def test_removing_a_filter_link_drops_only_that_filter(client):
    html = client.get("/?q=&library=duke&format=book").get_data(as_text=True)
    assert html.count('class="remove-filter"') == 2
    assert "?q=&amp;format=book" in html and "?q=&amp;library=duke" in html


def test_a_catalogue_without_its_index_answers_503_in_the_patrons_language_and_keeps_the_path_to_the_log(
        catalogue, tmp_path, caplog):
    from dataclasses import replace

    missing = tmp_path / "no-index-here"
    client = create_app(replace(catalogue, index_dir=missing)).test_client()
    page = client.get("/?q=art&lang=sv")
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and "Katalogen går inte att söka i just nu" in text
    assert str(missing) not in text and any(str(missing) in r.getMessage() for r in caplog.records)
