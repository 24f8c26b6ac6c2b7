"""The public pages on a phone (390×844) and on a desk (1280×800) in a real browser, issue 17.

One chromium for the run (tests/conftest.py); each test loads few pages and
checks several things on each. Screenshots of every page at both sizes are
written to test-artifacts/ui-*.png for review.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.test_browser import ARTIFACTS, WCAG_TAGS, axe_script, catalogue, serve, served  # noqa: F401 (fixtures)

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 800}
LANGUAGES = ("en", "pl", "sv", "nb")
# the page a patron reaches from a results list keeps the search: q and n (its position)
RECORD_FROM_RESULTS = "/record/{id}?q=beyond+the+crisis+in+art&n=1"

# every visible control smaller than 44×44 px, except links inside running text (WCAG 2.5.8's inline exception)
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, select, input, summary, textarea')) {
    let target = el;
    if (el.type === 'hidden') continue;
    if (el.type === 'checkbox' || el.type === 'radio') target = el.closest('label') || el;
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (!box.width || !box.height || style.visibility === 'hidden' || box.right <= 0 || box.left >= innerWidth) continue;
    const block = el.parentElement.closest('p, li, dd, td, th, h1, h2, h3');
    const inline = el.tagName === 'A' && block && block.tagName === 'P'
                   && block.textContent.trim().length > el.textContent.trim().length + 1;
    if (inline) continue;
    if (box.width < 44 || box.height < 44)
      small.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || el.id).trim().slice(0, 30)}" `
                 + `${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


@pytest.fixture(scope="module")
def record_id(served):
    """The cluster of "Beyond the crisis in art", held by five members (Libris by two of its libraries)."""
    import urllib.request

    with urllib.request.urlopen(f"{served}/api/search?q=beyond+the+crisis+in+art", timeout=30) as response:
        return json.load(response)["hits"][0]["id"]


def public_pages(record_id: str) -> dict[str, str]:
    return {"start": "/", "results": "/?q=", "record": RECORD_FROM_RESULTS.format(id=record_id),
            "advanced": "/advanced", "error": "/record/nope"}


def open_page(browser, viewport, **options):
    context = browser.new_context(locale="en-GB", viewport=viewport, **options)
    return context, context.new_page()


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_no_public_page_scrolls_sideways_in_any_language(browser, served, record_id, viewport):
    context, page = open_page(browser, viewport)
    context.add_cookies([{"name": "mylib", "value": "libris|U", "url": served}])   # the longest chooser label
    ARTIFACTS.mkdir(exist_ok=True)
    wide = {}
    for language in LANGUAGES:
        for name, path in public_pages(record_id).items():
            page.goto(f"{served}{path}{'&' if '?' in path else '?'}lang={language}")
            if sideways(page):
                wide[f"{name} ({language})"] = sideways(page)
            if language == "en":
                page.screenshot(path=str(ARTIFACTS / f"ui-{name}-{viewport['width']}.png"), full_page=True)
    if viewport is PHONE:                   # from 360 px up: the narrowest phone too
        page.set_viewport_size(NARROWEST)
        for name, path in public_pages(record_id).items():
            page.goto(f"{served}{path}{'&' if '?' in path else '?'}lang=nb")
            if sideways(page):
                wide[f"{name} (nb, 360 px)"] = sideways(page)
    context.close()
    assert not wide, wide


def test_on_a_phone_results_come_first_and_the_filters_open_from_a_button_without_script(browser, served):
    context, page = open_page(browser, PHONE, java_script_enabled=False)
    page.goto(f"{served}/?q=")
    first_hit = page.locator("li.hit").first.bounding_box()
    assert first_hit["y"] < PHONE["height"] / 2, first_hit              # in the first half of the first screen
    facet = page.locator('section[data-facet="format"]')
    assert not facet.is_visible()
    page.locator("details.filters > summary").click()
    assert facet.is_visible() and facet.bounding_box()["y"] < first_hit["y"] + first_hit["height"] + 2000
    page.screenshot(path=str(ARTIFACTS / "ui-results-filters-open-390.png"), full_page=True)
    # format is an OR facet: a checkbox, applied with its button when there is no script
    page.locator('section[data-facet="format"] label', has_text="Book").first.click()
    page.locator('section[data-facet="format"] button.apply').click()
    assert "format=book" in page.url and page.locator("a.remove-filter").count() == 1
    context.close()
    context, page = open_page(browser, DESK)
    page.goto(f"{served}/?q=")
    hit, facet = page.locator("li.hit").first.bounding_box(), page.locator('section[data-facet="format"]').bounding_box()
    assert facet["x"] < hit["x"]                                        # on a desk, a column beside the results
    assert not page.locator("details.filters > summary").is_visible()
    context.close()


def test_every_control_is_at_least_44_px_square_on_a_phone(browser, served, record_id):
    context, page = open_page(browser, PHONE)
    small = {}
    for name, path in public_pages(record_id).items():
        page.goto(served + path)
        for summary in page.locator("details > summary").all():      # what the filters and the chooser hold too
            summary.click()
        found = page.evaluate(SMALL_TARGETS)
        if found:
            small[name] = found[:8]
    context.close()
    assert not small, json.dumps(small, indent=1)


def test_previous_and_next_walk_through_the_results_across_pages_and_back_returns_to_the_list(browser, served):
    context, page = open_page(browser, DESK)
    page.goto(f"{served}/?q=&sort=title")
    titles_page_1 = page.locator("li.hit h2").all_inner_texts()
    page.locator("li.hit h2 a").last.click()                            # the 20th result
    assert page.locator("h1").inner_text() == titles_page_1[-1]
    assert page.locator(".record-nav .position").inner_text().startswith("Result 20 of ")
    page.get_by_role("link", name="Next result").click()
    twenty_first = page.locator("h1").inner_text()
    page.get_by_role("link", name="Previous result").click()
    assert page.locator("h1").inner_text() == titles_page_1[-1]
    page.get_by_role("link", name="Next result").click()
    page.get_by_role("link", name="Back to results").click()
    assert urlsplit(page.url).fragment == "hit-21" and "page=2" in page.url and "sort=title" in page.url
    assert page.locator("li.hit h2").first.inner_text() == twenty_first
    context.close()


def test_my_library_comes_first_on_a_record_page_and_only_it_is_marked(browser, served, record_id):
    context, page = open_page(browser, PHONE)
    context.add_cookies([{"name": "mylib", "value": "libris|L", "url": served}])     # Lund, one of Libris's libraries
    page.goto(f"{served}/record/{record_id}")
    groups = page.locator("section.holding-source")
    assert groups.count() == 5 and groups.first.locator("h3").inner_text() == "Libris (Sweden)"
    first_library = groups.first.locator("th.library").first.inner_text()
    assert first_library.startswith("Lunds universitetsbibliotek") and "(your library)" in first_library
    assert page.get_by_text("(your library)").count() == 1              # not Libris as a whole, not Uppsala
    assert groups.first.get_attribute("class") == "holding-source"
    page.screenshot(path=str(ARTIFACTS / "ui-record-my-library-390.png"), full_page=True)
    page.emulate_media(media="print")                                   # the print-friendly view
    assert not page.locator("header.site").is_visible() and not page.locator(".exports").is_visible()
    assert page.locator("section.holdings").is_visible() and page.locator(".citations").is_visible()
    context.close()


def test_the_library_chooser_groups_libraries_under_their_member_and_narrows_as_the_patron_types(browser, served):
    context, page = open_page(browser, DESK)
    page.goto(f"{served}/?q=")
    chooser = page.get_by_label("My library", exact=True)
    assert chooser.locator("optgroup[label='Libris (Sweden)'] option").count() > 2
    page.get_by_label("Find a library").fill("lunds")
    shown = chooser.evaluate("s => [...s.querySelectorAll('option')].filter(o => !o.hidden).map(o => o.textContent)")
    assert shown == ["(none chosen)", "Lunds universitetsbibliotek"], shown
    chooser.select_option(label="Lunds universitetsbibliotek")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".my-library-panel summary").inner_text() == "My library: Lunds universitetsbibliotek"
    context.close()


def test_public_pages_meet_wcag_2_1_aa_on_a_phone_and_on_a_desk_in_two_languages(browser, served, record_id,
                                                                                axe_script):
    # every page on a phone in English; in Polish the pages whose text comes most from the catalogues, on a
    # phone and on a desk (on a desk in English: tests/test_browser.py's test_pages_meet_wcag_2_1_aa_according_to_axe)
    pages = public_pages(record_id)
    runs = [(PHONE, "en", name) for name in pages] + [(PHONE, "pl", "results"), (PHONE, "pl", "record")]
    runs += [(DESK, "pl", name) for name in ("start", "results", "record")]
    problems = {}
    for viewport in (PHONE, DESK):
        context = browser.new_context(locale="en-GB", viewport=viewport, bypass_csp=True)   # axe is injected
        page = context.new_page()
        for language, name in [(language, name) for size, language, name in runs if size is viewport]:
            path = pages[name]
            page.goto(f"{served}{path}{'&' if '?' in path else '?'}lang={language}")
            page.add_script_tag(path=axe_script)
            found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                                  "resultTypes: ['violations']})", WCAG_TAGS)
            assert len(found["passes"]) > 10, path                      # axe really looked at the page
            if found["violations"]:
                problems[f"{name} ({language}, {viewport['width']} px)"] = [
                    (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found["violations"]]
        context.close()
    assert not problems, json.dumps(problems, indent=1)


WEIGHTS = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .filter(entry => entry.entryType === 'navigation' || /[.](css|js)([?]|$)/.test(entry.name))
  .map(entry => [entry.name, entry.decodedBodySize])"""


def test_the_results_page_weighs_under_60_kb_and_asks_nothing_of_another_site(browser, served, record_id):
    context, page = open_page(browser, DESK)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{served}/?q=")
    page.wait_for_load_state("networkidle")
    weight = dict(page.evaluate(WEIGHTS))           # HTML, CSS and JS as the browser decoded them (uncompressed)
    for path in ("/", f"/record/{record_id}"):
        page.goto(served + path)
        page.wait_for_load_state("networkidle")
    context.close()
    assert {urlsplit(url).netloc for url in requested} == {urlsplit(served).netloc}, requested
    assert any(url.endswith(".js") for url in weight) and any(url.endswith(".css") for url in weight), weight
    assert 10_000 < sum(weight.values()) < 60_000, weight
