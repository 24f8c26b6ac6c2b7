"""The public pages' finish (issue 17) through Flask's test client: library names, the patron's library on a
record page, citations, record navigation, the results as RIS and BibTeX, the start page, the favicon."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_web import search
from tests.web_sample import catalogue, client  # noqa: F401 (fixtures)
from web.libraries import LibraryNames, call_number_label, location_label


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def crisis_id(client) -> str:
    return search(client, "q=beyond+the+crisis+in+art")["hits"][0]["id"]


def test_a_library_nobody_named_is_its_code_after_its_member_without_brackets_inside_brackets():
    names = LibraryNames({"deichman": "Deichman (Oslo)"}, {"deichman|hutl": "Hovedbiblioteket"})
    assert names.label("deichman|fbjo") == "Deichman (Oslo): fbjo"           # was "fbjo (Deichman (Oslo))"
    assert names.label("deichman|hutl") == "Hovedbiblioteket"
    assert names.label("deichman") == names.label("deichman|deichman") == "Deichman (Oslo)"
    assert names.within("deichman|fbjo") == "fbjo"                          # under its member's own heading


def test_location_codes_and_placeholder_call_numbers_are_not_shown():
    assert [location_label(code) for code in ("STACKS", "aada", "DESM-CIR", "PK")] == ["", "", "", ""]
    assert location_label("Main Library, 3rd floor") == "Main Library, 3rd floor"
    assert [call_number_label(c) for c in ("XX", "XX(1234567.1)", "xx 12")] == ["", "", ""]
    assert call_number_label("N6512 .F85 1982") == "N6512 .F85 1982"


def test_library_names_on_the_pages_are_resolved_once(client):
    results, record = page(client, "/?q="), page(client, f"/record/{crisis_id(client)}")
    for html in (results, record):
        assert "((" not in html and "))" not in html
    assert "LILLY (" not in results and ">Lilly Library<" in results        # config names duke|LILLY
    assert "Library Service Center" in record                             # LSC, which was called Lilly Library
    holdings = record.split('class="holdings"', 1)[1]
    assert ">PSK<" not in holdings and ">aada<" not in holdings and ">STACKS<" not in holdings


def test_my_library_chosen_as_one_library_comes_first_on_a_record_page_and_only_that_library_is_marked(client):
    client.set_cookie("mylib", "libris|L")
    html = page(client, f"/record/{crisis_id(client)}")
    members = re.findall(r'<section class="holding-source[^"]*" data-source="(\w+)"', html)
    assert members[0] == "libris" and len(members) == 5
    libris = html.split('data-source="libris"', 1)[1].split("</section>", 1)[0]
    assert libris.index("Lunds universitetsbibliotek") < libris.index("Uppsala universitetsbibliotek")
    assert html.count('<span class="mine">(your library)</span>') == 1
    assert 'class="holding-source mine"' not in html                      # Libris as a whole was not chosen
    client.set_cookie("mylib", "duke")
    html = page(client, f"/record/{crisis_id(client)}")
    assert re.findall(r'data-source="(\w+)"', html)[0] == "duke" and 'class="holding-source mine"' in html


def test_a_record_page_cites_the_record_in_apa_chicago_and_mla(client):
    html = page(client, f"/record/{crisis_id(client)}")
    cited = dict(re.findall(r"<dt>(APA|Chicago|MLA)</dt><dd class=\"citation\">(.*?)</dd>", html))
    assert cited["APA"].startswith("Fuller, P. (1980). <i>Beyond the crisis in art</i>")
    assert cited["Chicago"].startswith("Fuller, P. 1980. <i>Beyond the Crisis in Art</i>")
    assert cited["MLA"].startswith("Fuller, P. <i>Beyond the Crisis in Art</i>")
    assert cited["MLA"].endswith("1980.")
    polish = page(client, f"/record/{crisis_id(client)}?lang=pl")
    assert "Fuller, P. (1980)" in polish


def test_a_hostile_title_is_text_in_its_citation(client):
    hostile = search(client, "q=proceedings+xss+title")["hits"][0]["id"]
    html = page(client, f"/record/{hostile}")
    citations = html.split('class="citations"', 1)[1].split("</section>", 1)[0]
    assert "&lt;script&gt;" in citations and "<script" not in citations


def test_a_record_opened_from_results_links_back_to_its_page_and_to_its_neighbours(client):
    titles = [hit["id"] for hit in search(client, "q=&sort=title&size=40")["hits"]]
    html = page(client, f"/record/{titles[19]}?q=&sort=title&n=20")
    nav = html.split('class="record-nav"', 1)[1].split("</nav>", 1)[0].replace("&amp;", "&")
    back = re.search(r'class="back" href="([^"]+)"', nav).group(1)
    assert back == "/?q=&sort=title#hit-20"
    previous = re.search(r'rel="prev" href="([^"]+)"', nav).group(1)
    following = re.search(r'rel="next" href="([^"]+)"', nav).group(1)
    assert previous == f"/record/{titles[18]}?q=&sort=title&n=19"
    assert following == f"/record/{titles[20]}?q=&sort=title&n=21"           # across the page boundary
    nav_21 = page(client, following).split('class="record-nav"', 1)[1].split("</nav>", 1)[0].replace("&amp;", "&")
    assert "/?q=&sort=title&page=2#hit-21" in nav_21
    assert 'class="record-nav"' not in page(client, f"/record/{titles[19]}")  # opened on its own: no list
    assert 'class="record-nav"' not in page(client, f"/record/{titles[19]}?n=abc")


def test_results_links_carry_the_search_and_each_record_s_place_in_it(client):
    html = page(client, "/?q=art&format=book&page=1").replace("&amp;", "&")
    first = re.search(r'<li class="hit" id="hit-1">\s*<h2><a href="([^"]+)"', html).group(1)
    assert parse_qs(urlsplit(first).query) == {"q": ["art"], "format": ["book"], "n": ["1"]}
    link = re.search(r'id="search-link" type="text" readonly value="([^"]+)"', html).group(1)
    assert link.endswith("/?q=art&format=book")


@pytest.mark.parametrize("fmt, marker", [("ris", "TY  - "), ("bib", "@")])
def test_the_results_of_a_search_download_as_ris_and_bibtex(client, fmt, marker):
    total = search(client, "q=art")["total"]
    response = client.get(f"/export.{fmt}?q=art")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.count(marker) == total > 1 and "Beyond the crisis in art" in body
    assert client.get("/export.xml?q=art").status_code == 404
    assert client.get("/export.ris?q=art&year_from=abc").status_code == 400


def test_the_start_page_says_what_the_catalogue_spans_and_what_came_in_last(client, catalogue):
    html = page(client, "/")
    figures = dict((label, int(number)) for number, label in re.findall(r"<strong>(\d+)</strong> ([\w ]+)</li>", html))
    assert figures["member catalogues"] == len(catalogue.sources)
    assert figures["editions"] == search(client, "q=")["total"] and figures["libraries"] > len(catalogue.sources)
    recent = html.split('class="recent"', 1)[1].split("</section>", 1)[0]
    assert recent.count("<li>") == 6
    assert 'href="/?q=&amp;library=duke"' in html and 'href="/?q=&amp;format=book"' in html
    assert "<title>unioncat</title>" in html


def test_a_favicon_and_a_title_on_every_page(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"      # an ICO file
    record = crisis_id(client)
    titles = {path: re.search(r"<title>(.*?)</title>", client.get(path).get_data(as_text=True)).group(1)
              for path in ("/?q=art", "/?q=&page=2", "/advanced", f"/record/{record}", "/record/nope")}
    assert titles == {"/?q=art": "Results: art – unioncat", "/?q=&page=2": "Results (page 2) – unioncat",
                      "/advanced": "Advanced search – unioncat",
                      f"/record/{record}": "Beyond the crisis in art – unioncat", "/record/nope": "Not found – unioncat"}
    assert 'rel="icon"' in page(client, "/")
