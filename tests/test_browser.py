"""A real browser (Debian's chromium driven by Playwright) against the served catalogue."""

from __future__ import annotations

import shutil
import threading

import pytest
from waitress import create_server

from web import create_app
from tests.test_web import catalogue  # noqa: F401  (the module-scoped harvested catalogue)

ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def served(catalogue):  # noqa: F811
    server = create_server(create_app(catalogue), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed; `make test` installs Debian's chromium")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


def test_search_page_submits_a_query_and_shows_results(page, served):
    page.goto(served + "/")
    page.get_by_label("Search every library").fill("poésies")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("li.hit")
    assert page.locator("li.hit").count() >= 1
    assert "poésies" in page.locator("li.hit h2").first.inner_text().lower()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)


def test_record_page_lists_holding_libraries_in_the_browser(page, served):
    page.goto(served + "/?q=Berlinerpoplene")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_selector("section.holdings")
    libraries = page.locator("section.holding-source td:first-child").all_inner_texts()
    assert "hutl" in libraries and "fnyd" in libraries
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "record.png"), full_page=True)
