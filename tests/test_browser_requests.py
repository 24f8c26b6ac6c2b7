"""A request between members end to end in a real browser (Debian's chromium driven by Playwright), issue 14.

A patron of gamma signs in over SIP2 (the test SIP2 server), requests the
Libris edition that only alpha and beta hold; beta's staff decline it in their
queue, alpha's system accepts and sends it over ISO 18626 (the test peer), and
gamma's staff mark it received at pick-up. The patron's page and e-mails (the
test SMTP server) follow each state to "received"; alpha's staff see the same
request in their queue. axe-core checks the new pages on the way against WCAG
2.1 AA; a screenshot of the patron's page is saved in test-artifacts/.
"""

from __future__ import annotations

import json

import pytest
import requests

from store import Store
from tests.test_browser import ARTIFACTS, WCAG_TAGS, axe_script, serve  # noqa: F401 (fixtures)
from tests.test_iso18626 import iso_network, peer  # noqa: F401 (fixtures)
from tests.test_patrons_web import ANNA_CARD, PIN, network, sip2, smtp  # noqa: F401 (fixtures)
from tests.test_staff_web import PASSWORD


@pytest.fixture
def served(iso_network):
    server = serve(iso_network)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def axe_violations(page, axe_script) -> list:  # noqa: F811
    page.add_script_tag(path=axe_script)
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                          WCAG_TAGS)
    assert len(found["passes"]) > 10
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found["violations"]]


def staff_page(browser, served, username):
    context = browser.new_context(locale="en-GB", bypass_csp=True)     # axe is injected as a script
    opened = context.new_page()
    opened.goto(served + "/staff/login?next=/staff/requests")
    opened.get_by_label("Username").fill(username)
    opened.get_by_label("Password").fill(PASSWORD)
    opened.get_by_role("button", name="Log in").click()
    opened.wait_for_selector("h1:has-text('Requests between libraries')")
    return opened


def patron_state(page, served) -> str:
    page.goto(served + "/patron/requests")
    return page.locator("ol.requests > li .state").first.inner_text()


def test_a_patron_request_is_declined_by_one_member_and_lent_by_another_over_iso18626(
        browser, served, iso_network, peer, smtp, axe_script):  # noqa: F811
    page = browser.new_context(locale="en-GB", bypass_csp=True).new_page()
    problems = {}
    page.goto(served + "/")
    page.get_by_role("link", name="Sign in with your library card").click()
    problems["sign-in"] = axe_violations(page, axe_script)
    page.get_by_label("Your library").select_option("gamma")
    page.get_by_label("Card number").fill(ANNA_CARD)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1:has-text('My requests')")
    page.get_by_label("Search every library").fill("polisbilen")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("li.hit h2 a").first.click()
    page.get_by_role("link", name="Request to my library").click()
    problems["request form"] = axe_violations(page, axe_script)
    page.get_by_label("Pick up at").select_option("LILLY")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_selector(".flash:has-text('Your request was sent.')")
    assert page.locator("ol.requests > li .state").first.inner_text() == "Requested"
    problems["patron's requests"] = axe_violations(page, axe_script)
    with Store(iso_network.store_url) as store:
        [request] = store.ill_requests_of(("gamma", ANNA_CARD))
    row = f"#request-{request.id}"

    beta = staff_page(browser, served, "bea")                 # beta, asked first, declines in its queue
    problems["request queue"] = axe_violations(beta, axe_script)
    beta.locator(row).get_by_role("button", name="Decline").click()
    beta.wait_for_selector(".flash:has-text('Decline')")
    assert beta.locator(row).count() == 0
    assert [m.kind for m in peer.received] == ["request"]      # so alpha is asked over ISO 18626

    alfa = staff_page(browser, served, "alfa")                 # alpha's staff see it in their queue
    assert alfa.locator(row).get_attribute("data-state") == "requested"
    ref = f"UNIONCAT-{request.id}"
    for status, shown in [("WillSupply", "Accepted"), ("Loaned", "Sent")]:
        assert peer.send(served + "/iso18626", ref, status).status_code == 200
        assert patron_state(page, served) == shown
    alfa.reload()
    assert alfa.locator(row).get_attribute("data-state") == "shipped"

    carl = staff_page(browser, served, "carl")                 # the pick-up member marks it received
    carl.locator(row).get_by_role("button", name="Mark received at pick-up").click()
    carl.wait_for_selector(".flash:has-text('Mark received')")
    assert patron_state(page, served) == "Ready for pick-up"
    assert peer.received[-1].action == "Received"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "patron-requests.png"), full_page=True)

    notices = [m.get_content() for m in smtp.wait_for(6) if m["To"] == "anna@example.org"]
    assert len(notices) == 5, notices     # requested, passed on, accepted, sent, received
    assert "Beta" in notices[0] and "Alpha" in notices[1] and "Lilly Library" in notices[-1]
    forged = requests.post(served + "/iso18626", data=peer.status(ref, "LoanCompleted")[0],
                           headers={"Content-Type": "application/xml"}, timeout=5)
    assert forged.status_code == 403

    for context in (page.context, alfa.context, beta.context, carl.context):
        context.close()
    problems = {name: found for name, found in problems.items() if found}
    assert not problems, json.dumps(problems, indent=1)
