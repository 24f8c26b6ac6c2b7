"""The staff workspace in a real browser (Debian's chromium driven by Playwright), issue 13.

A librarian signs in, finds a record, opens its staff view, finds a merge
candidate, previews and confirms the merge, sees it in the history and undoes
it; works through a possible duplicate; compares two members side by side.
axe-core checks the staff pages against WCAG 2.1 AA. Screenshots of the staff
home, a preview and a comparison are saved in test-artifacts/.
"""

from __future__ import annotations

import json
import re

import pytest

from store import NearMissPair, Store
from tests.test_browser import ARTIFACTS, WCAG_TAGS, axe_script, page, serve  # noqa: F401 (fixtures)
from tests.test_staff_web import PASSWORD, built_on_sqlite, copied


@pytest.fixture(scope="module")
def catalogue(built_once, tmp_path_factory):
    """A copy of the four-member catalogue of tests/test_staff_web.py on SQLite, for this module."""
    return copied(built_on_sqlite(built_once, tmp_path_factory), tmp_path_factory.mktemp("browser") / "catalogue")


@pytest.fixture(scope="module")
def served(catalogue):
    server = serve(catalogue)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def store(catalogue):
    with Store(catalogue.store_url) as opened:
        yield opened


def sign_in(page, served, path: str = "/staff/") -> None:
    page.goto(served + path)
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def memberships(store) -> list[list[str]]:
    return sorted(sorted(f"{s}:{local}" for s, local in members) for _cid, members in store.export_clusters())


def gamma_record(store) -> str:
    return next(r.public_id for r in store.records(source="gamma"))


def test_a_librarian_merges_a_candidate_after_its_preview_sees_it_in_the_history_and_undoes_it(page, served, store):
    before = memberships(store)
    sign_in(page, served)
    page.wait_for_selector("text=Signed in as anna")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-home.png"), full_page=True)
    page.get_by_label("Search every library").fill("polisbilen")                 # find a record as patrons do
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("li.hit h2 a").first.click()
    page.get_by_role("link", name="Staff view").click()
    page.wait_for_selector("h1:has-text('Staff view of cluster')")
    page.get_by_role("searchbox", name="Find merge candidates").fill(gamma_record(store))
    page.locator("#candidate-q-by").select_option("record")
    page.locator("form.staff-find").get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Preview merge into this cluster").click()
    page.wait_for_selector("h1:has-text('Preview of a merge')")
    assert page.locator("li.moved").count() >= 1 and memberships(store) == before
    page.screenshot(path=str(ARTIFACTS / "staff-preview.png"), full_page=True)
    if page.locator("#override").count():                                        # a Libris and a Duke book
        page.get_by_role("checkbox", name=re.compile("^Override")).check()
    page.get_by_role("textbox", name=re.compile("^Note")).fill("checked against the books")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector(".flash:has-text('Saved.')")
    assert memberships(store) != before
    merge_row = page.locator("table.history tr[data-kind=merge]")
    assert "checked against the books" in merge_row.inner_text() and "anna" in merge_row.inner_text()
    merge_row.get_by_role("button", name=re.compile("Undo decision")).click()
    page.wait_for_selector(".flash:has-text('Saved.')")
    assert memberships(store) == before
    assert page.locator("table.history tr[data-kind=undo]").count() == 1


def test_working_through_a_possible_duplicate_compare_then_merge_from_the_queue(page, served, store):
    before = memberships(store)
    alpha, gamma = store.record_by_public_id("alpha:20203738"), next(store.records(source="gamma"))
    store.save_near_misses([], [NearMissPair(min(alpha.id, gamma.id), max(alpha.id, gamma.id), "close-title", 66.0,
                                             {"reasons": ["title similarity 0.91"], "vetoes": []})])
    sign_in(page, served, "/staff/queues/duplicates")
    pair = page.locator("li.pair", has_text="title similarity 0.91")
    near_miss = pair.get_attribute("data-near-miss")
    pair.get_by_role("link", name="Compare side by side").click()                 # two members side by side
    page.wait_for_selector("table.compare")
    headers = page.locator("table.compare thead th").all_inner_texts()
    assert {headers[1].split()[0], headers[2].split()[0]} == {"alpha:20203738", gamma.public_id}
    title_row = page.locator("table.compare tbody tr", has=page.locator("th", has_text="245")).first
    assert all(cell.strip() not in ("", "—") for cell in title_row.locator("td").all_inner_texts())   # aligned by tag
    assert "differs" in title_row.get_attribute("class")                         # two different books
    assert page.locator("ul.for li").count() > 0 and "Dedup would" in page.locator("main").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-compare.png"), full_page=True)
    page.go_back()
    page.locator(f"li.pair[data-near-miss='{near_miss}']").get_by_role("link", name="Preview merge").click()
    if page.locator("#override").count():
        page.get_by_role("checkbox", name=re.compile("^Override")).check()
    page.get_by_role("textbox", name=re.compile("^Note")).fill("one work: queue")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector(".flash:has-text('Saved.')")
    page.goto(served + "/staff/queues/duplicates")
    assert page.locator(f"li.pair[data-near-miss='{near_miss}']").count() == 0   # it left the queue as merged
    page.goto(served + "/staff/history?by=anna")
    page.locator("tr[data-kind=merge]").first.get_by_role("button", name=re.compile("Undo decision")).click()   # leave the catalogue as it was
    page.wait_for_selector(".flash")
    assert memberships(store) == before


def test_staff_pages_meet_wcag_2_1_aa_according_to_axe(browser, served, store, axe_script):  # noqa: F811
    context = browser.new_context(locale="en-GB", bypass_csp=True)     # axe is injected as a script
    page = context.new_page()
    cluster = store.resolve_cluster("alpha:20203738")
    store.save_near_misses([], [NearMissPair(*sorted((store.record_by_public_id("alpha:20203738").id,
                                                      next(store.records(source="gamma")).id)), "one-veto", 60.0,
                                             {"reasons": ["title similarity 0.9"], "vetoes": ["years far apart"]})])
    store.save_suspicious([], {cluster: [{"rule": "years-apart", "records": ["alpha:20203738"], "detail": "x"}]})
    sign_in(page, served)
    paths = ["/staff/", f"/staff/record/{cluster}?q=polisbilen&by=title",
             f"/staff/preview/merge?a={cluster}&b={gamma_record(store)}", "/staff/compare?a=alpha:20203738&b=beta:20203738",
             "/staff/queues/duplicates", "/staff/queues/suspicious", "/staff/queues/quarantine", "/staff/history"]
    problems = {}
    for path in paths:
        page.goto(served + path)
        page.add_script_tag(path=axe_script)
        found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                              WCAG_TAGS)
        assert len(found["passes"]) > 10, path
        if found["violations"]:
            problems[path] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found["violations"]]
    context.close()
    assert not problems, json.dumps(problems, indent=1)
