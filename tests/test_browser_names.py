"""Language and format names in a real browser (Debian's chromium driven by Playwright), issue 15.

With the interface in Polish, a results list and a record page name the
record's format and languages in Polish, not by their codes. Screenshots of
both are saved in test-artifacts/ for review.
"""

from __future__ import annotations

from tests.test_browser import ARTIFACTS, catalogue, page, served  # noqa: F401 (fixtures)


def test_results_and_record_pages_show_language_and_format_names_in_polish(page, served):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{served}/?q=beyond+the+crisis+in+art&lang=pl")
    first = page.locator("li.hit").first
    assert first.locator(".format").inner_text() == "Książka"
    assert first.locator(".languages").inner_text() == "Angielski"
    languages = page.locator('section.facet[data-facet="language"]').inner_text()
    formats = page.locator('section.facet[data-facet="format"]').inner_text()
    assert "Angielski" in languages and "eng" not in languages.split() and "Książka" in formats
    page.screenshot(path=str(ARTIFACTS / "names-results-pl.png"), full_page=True)
    first.locator("h2 a").click()
    details = page.locator("dl.details")
    assert "Książka" in details.locator("dt:has-text('Typ dokumentu') + dd").inner_text()
    assert details.locator("dt:has-text('Język') + dd").inner_text() == "Angielski"
    page.screenshot(path=str(ARTIFACTS / "names-record-pl.png"), full_page=True)
