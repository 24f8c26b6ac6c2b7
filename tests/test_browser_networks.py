"""A network's shared collections in a real browser (issue 15): licensed e-books and a regional bibliography.

The e-book is a stand-in: BN's real e-book record b0000001459197 (856 to Academica) in samples/ebooks, licensed in
config.yaml for the members `bn` and `vastmanland` (example.org access addresses). The article is BN's real record
of an article in Tygodnik Powszechny (samples/bibliografia); the host's record is BN's one real serial record adapted
to describe that weekly (samples/bn/adapted-host.mrc, see samples/PROVENANCE.md). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import yaml

from tests.conftest import ROOT
from tests.test_browser import ARTIFACTS, catalogue, page, search_for, served  # noqa: F401 (fixtures)

LICENCE = yaml.safe_load((ROOT / "config.yaml").read_text())["licences"][0]
ACCESS = {entry["member"]: entry for entry in LICENCE["access"]}
EBOOK = "Judaika w zbiorach Biblioteki"
EBOOK_URL = "https://academica.edu.pl/reading/readMeta?uid=37147649"


def open_first(page, served, words: str) -> None:
    search_for(page, served, words)
    page.locator("li.hit h2 a").first.click()
    page.wait_for_selector("article.record h1")


def choose_my_library(page, value: str) -> None:
    page.get_by_label("My library", exact=True).select_option(value)
    page.get_by_role("button", name="Save").click()


def test_an_ebook_is_online_for_the_licensed_members_only_with_each_ones_link(page, served):
    open_first(page, served, EBOOK)
    online = page.locator("section.online-access")
    heading = online.locator("h2").inner_text()
    assert heading == "Online for patrons of: Katalog sieciowy BN (OMNIS), Biblioteken i Västmanland (Koha)"
    links = {item.get_attribute("data-member"): item.locator("a").get_attribute("href")
             for item in online.locator("li").all()}
    assert links == {"bn": ACCESS["bn"]["proxy"] + EBOOK_URL,
                     "vastmanland": ACCESS["vastmanland"]["login"]}
    assert page.locator("section.holdings").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "networks-ebook.png"), full_page=True)


def test_my_library_with_access_gets_its_own_link_and_one_without_is_told_plainly(page, served):
    search_for(page, served, EBOOK)
    choose_my_library(page, "vastmanland")
    page.locator("li.hit h2 a").first.click()
    mine = page.locator("p.my-access")
    assert mine.inner_text().startswith("Patrons of Biblioteken i Västmanland (Koha) have access.")
    assert mine.locator("a").get_attribute("href") == ACCESS["vastmanland"]["login"]
    page.screenshot(path=str(ARTIFACTS / "networks-ebook-my-library.png"), full_page=True)
    for member in ("bn", "deichman"):               # the cookie the chooser above sets, for the other members
        page.context.add_cookies([{"name": "mylib", "value": member, "url": served}])
        page.reload()
        if member == "bn":
            assert page.locator("p.my-access a").get_attribute("href") == ACCESS["bn"]["proxy"] + EBOOK_URL
    assert page.locator("article.record h1").inner_text().startswith("Judaika w zbiorach")    # never hidden
    assert page.locator("p.my-access").inner_text() == ("Patrons of Deichman (Oslo) have no access to this e-book: "
                                                        "the licence covers only the libraries listed here.")
    assert page.locator("p.my-access a").count() == 0
    page.screenshot(path=str(ARTIFACTS / "networks-ebook-no-access.png"), full_page=True)


def test_an_article_shows_its_host_and_the_libraries_holding_the_host_record(page, served):
    open_first(page, served, "tupała nóżką bosą")
    host = page.locator("section.host-items")
    assert "Tygodnik Powszechny : katolickie pismo społeczno-kulturalne, 2022, nr 33, s. 68-71" in \
        host.locator(".host-title").inner_text()
    assert host.locator(".host-number").inner_text() == "ISSN 0041-4808"
    assert host.locator("ul.host-holders").inner_text() == "Katalog sieciowy BN (OMNIS): Biblioteka Jagiellońska (Kraków)"
    page.screenshot(path=str(ARTIFACTS / "networks-article-host.png"), full_page=True)
    host.locator(".host-title a").click()
    assert page.locator("article.record h1").inner_text() == "Tygodnik Powszechny : katolickie pismo społeczno-kulturalne"
    page.go_back()
    page.locator("section.host-items .host-search a").click()
    assert "Tygodnik Powszechny" in page.locator("li.hit h2").first.inner_text()
