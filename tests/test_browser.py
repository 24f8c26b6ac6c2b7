"""A real browser (Debian's chromium driven by Playwright) against the served sample catalogue.

Screenshots of a results page and a record page are saved in test-artifacts/
for review. The accessibility test injects axe-core (installed from the npm
registry into test-artifacts/node on first use) and fails on any WCAG 2.1 A
or AA violation.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import threading

import pytest
from waitress import create_server

from tests.conftest import DATABASES, ROOT
from tests.test_web import sample_catalogue
from web import create_app

# one SolrCloud per run: every test that reaches the session's cluster runs in the same xdist worker
pytestmark = pytest.mark.xdist_group("solr")

ARTIFACTS = ROOT / "test-artifacts"
AXE_VERSION = "4.10.3"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def catalogue(request, tmp_path_factory):
    """The shared sample catalogue on SQLite (one smoke test runs on PostgreSQL too)."""
    return sample_catalogue(request, tmp_path_factory, "sqlite")


def serve(config):
    server = create_server(create_app(config), host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def served(catalogue):
    server = serve(catalogue)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def served_on_postgresql(request, tmp_path_factory):
    server = serve(sample_catalogue(request, tmp_path_factory, "postgresql"))
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def served_on_solr(request, catalogue):
    """The same catalogue served by the web with SolrCloud as its search engine."""
    from dataclasses import replace

    from tests.conftest import solr_engine, solr_settings

    solr_engine(request, catalogue).close()      # feeds the session cluster's "contract" collection
    server = serve(replace(catalogue, search=solr_settings(request)))
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    dialogs = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's browser build, installed from the npm registry into test-artifacts/node."""
    target = ARTIFACTS / "node" / "node_modules" / "axe-core" / "axe.min.js"
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "node.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # two xdist workers (or two clones' runs) never install at once
        if not target.exists():
            npm = shutil.which("npm")
            if npm is None:
                pytest.fail("npm is needed to install axe-core for the accessibility test")
            done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(ARTIFACTS / "node"),
                                   f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=300)
            assert done.returncode == 0 and target.exists(), done.stderr
    return str(target)


def search_for(page, served, words: str) -> None:
    page.goto(served + "/")
    page.get_by_label("Search every library").fill(words)
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_selector("#results-heading")


def result_count(page) -> int:
    return int(page.locator("#results-heading").inner_text().split()[0])


def test_a_word_typed_without_its_diacritics_finds_it_with_them(page, served):
    search_for(page, served, "colette cinema")
    assert "Colette et le cinéma" in page.locator("li.hit h2").first.inner_text()


@pytest.mark.parametrize("engine_served", ["served", "served_on_solr"])
def test_applying_and_removing_two_facets(page, request, engine_served):
    served = request.getfixturevalue(engine_served)
    search_for(page, served, "")
    everything = result_count(page)
    with page.expect_navigation():          # a facet's checkbox applies it at once
        page.locator('[data-facet="library"] label', has_text="Duke University Libraries").click()
    duke = result_count(page)
    with page.expect_navigation():
        page.locator('[data-facet="format"] label', has_text="Book").first.click()
    duke_books = result_count(page)
    assert everything > duke > duke_books > 0
    assert page.locator("a.remove-filter").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)
    page.locator("a.remove-filter", has_text="Duke University Libraries").click()
    books = result_count(page)
    assert books > duke_books and page.locator("a.remove-filter").count() == 1
    page.locator("a.remove-filter").click()
    assert result_count(page) == everything and page.locator("a.remove-filter").count() == 0


def test_paging_forward_and_back(page, served):
    search_for(page, served, "")
    first_page = page.locator("li.hit h2").all_inner_texts()
    page.get_by_role("link", name="Next").click()
    assert page.locator(".pager [aria-current=page]").inner_text().endswith("2")
    assert page.locator("ol.hits").get_attribute("start") == "21"
    assert page.locator("li.hit h2").all_inner_texts() != first_page
    page.get_by_role("link", name="Previous").click()
    assert page.locator("li.hit h2").all_inner_texts() == first_page


@pytest.mark.parametrize("database", DATABASES)
def test_opening_a_record_shows_holdings_from_several_libraries(page, request, database):
    served = request.getfixturevalue("served" if database == "sqlite" else "served_on_postgresql")
    search_for(page, served, "beyond the crisis in art")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_selector("section.holdings")
    members = page.locator("section.holding-source h3").all_inner_texts()
    assert len(members) == 5 and "UNC Chapel Hill" in members and "Libris (Sweden)" in members
    assert page.locator("section.holding-source th.library").count() >= 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"record-{database}.png"), full_page=True)



def test_choosing_one_library_of_a_shared_catalogue_as_my_library(page, served):
    search_for(page, served, "")
    page.get_by_label("My library", exact=True).select_option(label="Uppsala universitetsbibliotek")
    page.get_by_label("List my library's holdings first").check()
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".mine-summary").inner_text()
    assert "of these are at Uppsala universitetsbibliotek" in summary
    mine = int(summary.split()[0])
    first = page.locator("li.hit").first
    assert mine > 0 and "Libris (Sweden)" in first.inner_text()
    page.get_by_role("link", name="Show only those").click()
    assert result_count(page) == mine
    page.get_by_label("My library", exact=True).select_option("")            # leave no cookie for the other tests
    page.get_by_label("List my library's holdings first").uncheck()
    page.get_by_role("button", name="Save").click()

def test_switching_the_interface_to_swedish(page, served):
    search_for(page, served, "art")
    page.get_by_role("link", name="Svenska").click()
    page.wait_for_selector("html[lang=sv]")
    assert "träffar" in page.locator("#results-heading").inner_text()
    assert page.get_by_role("button", name="Sök", exact=True).is_visible()
    page.goto(served + "/")                        # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "sv"


def test_an_isbn_typed_with_hyphens(page, served):
    search_for(page, served, "978-0-906495-34-6")
    assert result_count(page) == 1
    assert page.locator("li.hit h2").inner_text() == "Beyond the crisis in art"


def test_a_hostile_record_runs_no_script(page, served):
    search_for(page, served, "proceedings xss title")
    assert "<script>" in page.locator("li.hit h2").first.inner_text()     # shown as text
    page.locator("li.hit h2 a").first.click()
    page.wait_for_selector("section.holdings")
    assert page.dialogs == []
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert all(href.startswith(("http://", "https://")) for href in hrefs)


def test_the_skip_link_is_the_first_stop_for_the_keyboard(page, served):
    page.goto(served + "/?q=art")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_meet_wcag_2_1_aa_according_to_axe(browser, served, axe_script):
    # axe is injected as a script, which the site's own CSP (rightly) forbids
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    paths = ["/", "/?q=art", "/?q=&library=duke&format=book&page=2", "/advanced", "/?q=crisiss", "/?page=abc",
             "/?q=art&lang=pl", "/record/nope"]
    page.goto(served + "/?q=beyond+the+crisis+in+art")
    paths.append(page.locator("li.hit h2 a").first.get_attribute("href"))
    problems = {}
    for path in paths:
        page.goto(served + path)
        page.add_script_tag(path=axe_script)
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        assert len(found["passes"]) > 10, path          # axe really looked at the page
        if found["violations"]:
            problems[path] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found["violations"]]
    context.close()
    assert not problems, json.dumps(problems, indent=1)
