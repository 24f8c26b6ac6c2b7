"""The search state on the results page: criteria as removable chips, the advanced form filled with the search,
the facet column (checkboxes for OR, "show more", a year range) and messages that fit the mistake.

Over the sample catalogue (the store does nothing new here: SQLite only) and the real Whoosh index.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from lxml import html as lxml_html

from tests.web_sample import catalogue, client  # noqa: F401 (fixtures)

FULL = ("/?q=art&in_title=crisis&in_author=fuller&year_from=1980&year_to=1995&library=duke&library=unc"
        "&format=book&sort=year")


def page(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return lxml_html.fromstring(response.get_data(as_text=True))


def chips(doc) -> dict[tuple[str, str], str]:
    """(criterion kind, its text as shown) -> the link that removes it."""
    return {(a.get("data-criterion"), " ".join(a.text_content().split()[:-3])): a.get("href")
            for a in doc.xpath("//section[@class='criteria']//a[@class='remove-filter']")}


def total(client, url: str) -> int:
    return client.get("/api/search?" + urlsplit(url).query).get_json()["total"]


def test_every_criterion_is_a_chip_and_each_removes_exactly_itself(client):
    shown = chips(page(client, FULL))
    assert set(shown) == {("q", "Words: art"), ("in_title", "Title: crisis"), ("in_author", "Author: fuller"),
                          ("years", "Published: 1980–1995"), ("library", "Library: Duke University Libraries"),
                          ("library", "Library: UNC Chapel Hill"), ("format", "Format: Book")}
    for criterion, link in shown.items():
        left = chips(page(client, link))
        assert set(left) == set(shown) - {criterion}, criterion
        assert "sort=year" in link and "page=" not in link


def test_a_search_with_chips_removed_finds_more(client):
    narrow = "/?q=&library=duke&format=book"
    (format_chip,) = [link for (kind, _text), link in chips(page(client, narrow)).items() if kind == "format"]
    assert total(client, format_chip) > total(client, narrow) > 0


def test_a_subject_followed_from_a_record_is_a_chip(client):
    hit = client.get("/api/search?q=beyond+the+crisis+in+art").get_json()["hits"][0]
    record = page(client, f"/record/{hit['id']}")
    subject_link = record.xpath("//ul[@class='subjects']//a")[0]
    shown = chips(page(client, subject_link.get("href")))
    assert [kind for kind, _text in shown] == ["in_subject"]
    assert subject_link.text_content().strip() in next(iter(shown))[1]


def test_my_library_is_a_chip_whose_link_forgets_it_and_comes_back(client):
    client.set_cookie("mylib", "libris|U")
    shown = chips(page(client, "/?q=art"))
    (link,) = [link for (kind, text), link in shown.items() if kind == "mylib"]
    assert ("mylib", "My library: Uppsala universitetsbibliotek") in shown
    response = client.get(link)
    assert response.status_code == 303 and response.headers["Location"].endswith("/?q=art")
    assert any(c.startswith("mylib=;") for c in response.headers.getlist("Set-Cookie"))


def test_show_only_my_librarys_holdings_replaces_the_libraries_chosen(client):
    # several libraries widen the search, so "only those" must not add mine to the ones chosen
    client.set_cookie("mylib", "unc")
    doc = page(client, "/?q=&library=duke")
    (only,) = [a.get("href") for a in doc.xpath("//p[@class='mine-summary']/a")]
    assert "library=unc" in only and "library=duke" not in only


def submitted(form) -> str:
    """The query string a browser sends for `form` as it stands."""
    return urlencode(form.form_values())


def test_the_advanced_form_opens_filled_with_the_search_and_sends_it_back_unchanged(client):
    search = FULL + "&subject=Art&format=score&year=1980-1989"
    form = page(client, "/advanced?" + urlsplit(search).query).xpath("//form[@class='advanced']")[0]
    assert form.get_element_by_id("adv-author").value == "fuller"
    assert form.get_element_by_id("adv-from").value == "1980"
    assert form.get_element_by_id("adv-format").value == "book"
    again = "/?" + submitted(form)
    assert set(chips(page(client, again))) == set(chips(page(client, search)))
    assert total(client, again) == total(client, search)


def test_the_advanced_form_keeps_a_mistyped_year_to_correct(client):
    form = page(client, "/advanced?q=art&year_from=19x0").xpath("//form[@class='advanced']")[0]
    assert form.get_element_by_id("adv-from").value == "19x0"


def test_the_or_facets_are_checkboxes_whose_form_keeps_the_rest_of_the_search(client):
    # the library facet shown whole: with the networks' members in the sample, UNC is not among the first five
    doc = page(client, "/?q=&library=duke&format=book&year_from=1900&more=library")
    form = doc.xpath("//section[@id='facet-library']//form[@class='facet-choices']")[0]
    boxes = {box.get("value"): box for box in form.xpath(".//input[@type='checkbox']")}
    assert boxes["duke"].checked and not boxes["unc"].checked
    boxes["unc"].checked = True
    either = page(client, "/?" + submitted(form))
    assert {text for kind, text in chips(either)} == {"Library: Duke University Libraries",
                                                       "Library: UNC Chapel Hill", "Format: Book", "Published: from 1900"}
    assert doc.xpath("//section[@id='facet-subject']//a") and not doc.xpath("//section[@id='facet-subject']//input")


def test_a_facet_shows_its_first_values_and_all_of_them_on_show_more(client):
    doc = page(client, "/?q=")
    collapsed = doc.xpath("//section[@id='facet-format']//li")
    (more,) = doc.xpath("//section[@id='facet-format']//p[@class='more']/a")
    expanded = page(client, more.get("href")).xpath("//section[@id='facet-format']//li")
    assert len(collapsed) == 5 < len(expanded)
    assert not page(client, more.get("href")).xpath("//section[@id='facet-format']//p[@class='more']")
    chosen_late = expanded[-1].xpath(".//input")[0].get("value")
    again = page(client, f"/?q=&format={chosen_late}").xpath("//section[@id='facet-format']//input[@checked]")
    assert [box.get("value") for box in again] == [chosen_late]       # a chosen value is always shown


def test_the_year_range_form_filters_and_shows_the_range_chosen(client):
    form = page(client, "/?q=art&year_from=1980").xpath("//form[@class='year-range']")[0]
    assert form.get_element_by_id("facet-year-from").value == "1980"
    form.get_element_by_id("facet-year-to").value = "1989"
    url = "/?" + submitted(form)
    assert ("years", "Published: 1980–1989") in chips(page(client, url))
    years = [hit["year"] for hit in client.get("/api/search?" + urlsplit(url).query).get_json()["hits"]]
    assert years and all(1980 <= year <= 1989 for year in years)


def test_paging_beyond_the_end_names_the_real_last_page_and_links_to_it(client):
    last = client.get("/api/search?q=the").get_json()["pages"]
    doc = page(client, "/?q=the&page=99", 400)
    assert f"There is no page 99 of these results; the last is page {last}." in doc.text_content()
    (link,) = [a for a in doc.xpath("//div[@class='notice']//a") if "last page" in a.text_content()]
    assert page(client, link.get("href")).xpath("//nav[@class='pager']//a[@class='current']")[0].text_content().split()[-1] == str(last)


@pytest.mark.parametrize("query", ["year_from=1990&year_to=1980", "year_from=19x0", "q=art&year=old"])
def test_a_mistaken_year_gets_a_year_tip_not_a_words_tip(client, query):
    notice = page(client, f"/?{query}", 400).xpath("//div[@class='notice']")[0].text_content()
    assert "the earlier year first" in notice and "simpler words" not in notice


def test_a_search_without_words_gets_the_words_tip(client):
    notice = page(client, "/?q=*", 400).xpath("//div[@class='notice']")[0].text_content()
    assert "simpler words" in notice and "year" not in notice


def test_a_field_typed_in_the_box_searches_that_field(client):
    assert total(client, "/?q=author:fuller") == total(client, "/?in_author=fuller") > 0
    assert 0 < total(client, "/?q=subject:art") == total(client, "/?in_subject=art") < total(client, "/?q=art")
    assert total(client, "/?q=library:duke") == total(client, "/?q=library+duke")       # not a public field


@pytest.mark.parametrize("language, word", [("pl", "Zmień to wyszukiwanie"), ("sv", "Ändra den här sökningen"),
                                            ("nb", "Endre dette søket")])
def test_the_criteria_speak_the_interface_language(client, language, word):
    assert word in page(client, f"/?q=art&lang={language}").text_content()
