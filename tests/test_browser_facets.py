"""The facet column and the criteria chips in a real browser (Debian's chromium driven by Playwright), issue 17,
on a phone (390×844) and on a desk (1280×800): OR within a facet with its counts, a year range, "show more"
without a reload, and each chip removing its criterion. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, serve  # noqa: F401 (fixtures)
from tests.test_web import sample_catalogue

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def served(request, tmp_path_factory):
    server = serve(sample_catalogue(request, tmp_path_factory, "sqlite"))
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def page(request, browser):
    context = browser.new_context(locale="en-GB", viewport=VIEWPORTS[request.param],
                                  is_mobile=request.param == "phone", has_touch=request.param == "phone")
    opened = context.new_page()
    opened.viewport_name = request.param
    yield opened
    context.close()


def total(page) -> int:
    return int(page.locator("#results-heading").inner_text().split()[0])


def show_facets(page) -> None:
    """Open the facet column where a narrow layout folds it away behind a button."""
    if not page.locator("#facets").is_visible():
        page.locator('[aria-controls="facets"], a[href="#facets"], details:has(#facets) > summary').first.click()
    page.locator("#facets").wait_for(state="visible")


def value_label(page, facet: str, text: str):
    return page.locator(f'#facet-{facet} label', has_text=text).first


def shown_count(page, facet: str, text: str) -> int:
    return int(value_label(page, facet, text).locator(".count").inner_text())


def chips(page) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(".criteria a.remove-filter").all_inner_texts()]


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.viewport_name}.png"), full_page=True)


def test_two_libraries_combine_with_or_and_each_keeps_its_count(page, served):
    page.goto(served + "/?q=")
    show_facets(page)
    duke, unc = shown_count(page, "library", "Duke University"), shown_count(page, "library", "UNC Chapel Hill")
    with page.expect_navigation():
        value_label(page, "library", "Duke University").click()
    assert total(page) == duke
    show_facets(page)
    assert shown_count(page, "library", "UNC Chapel Hill") == unc      # counted without the library chosen
    with page.expect_navigation():
        value_label(page, "library", "UNC Chapel Hill").click()
    either = page.request.get(served + "/api/search?q=&library=duke&library=unc").json()["total"]
    assert max(duke, unc) < total(page) == either < duke + unc
    show_facets(page)
    assert page.locator("#facet-library input:checked").count() == 2
    screenshot(page, "facets-or")
    with page.expect_navigation():
        page.locator(".criteria a.remove-filter", has_text="Duke University").click()
    assert total(page) == unc and chips(page) == ["Library: UNC Chapel Hill × (remove filter)"]


def test_a_year_range_from_the_facet_column(page, served):
    page.goto(served + "/?q=art")
    show_facets(page)
    form = page.locator("#facet-year form.year-range")
    form.get_by_label("From").fill("1980")
    form.get_by_label("To").fill("1989")
    with page.expect_navigation():
        form.get_by_role("button", name="Apply").click()
    years = [int(year) for year in page.locator("li.hit .year").all_inner_texts()]
    assert years and all(1980 <= year <= 1989 for year in years) and total(page) == len(years)
    assert "Published: 1980–1989 × (remove filter)" in chips(page)
    screenshot(page, "facets-years")


def test_show_more_brings_a_facets_values_without_a_reload(page, served):
    page.goto(served + "/?q=")
    show_facets(page)
    page.evaluate("window.notReloaded = true")
    before = page.locator("#facet-format li").count()
    page.locator("#facet-format .more a").click()
    page.locator("#facet-format li").nth(before).wait_for()
    assert before == 5 and page.locator("#facet-format li").count() > before
    assert page.evaluate("window.notReloaded === true") and "more=" not in page.url
    assert page.locator("#facet-format .more").count() == 0


def test_each_chip_removes_its_criterion_until_none_is_left(page, served):
    page.goto(served + "/?q=art&in_author=fuller&year_from=1980&year_to=1995&format=book")
    left = chips(page)
    assert len(left) == 4
    screenshot(page, "criteria")
    while left:
        with page.expect_navigation():
            page.locator(".criteria a.remove-filter").first.click()
        assert chips(page) == left[1:]
        left = left[1:]
