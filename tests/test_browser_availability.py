"""Live availability in a real browser (Debian's chromium driven by Playwright), issue 14.

The record page shows every member's harvested holdings at once; the script
then fills in each member's live answer as it arrives: one answering slowly,
one whose system never answers (it keeps its harvested state and says so).
"""

from __future__ import annotations

from store import Store
from tests.availability_support import RunningPeer, build_network, with_availability
from tests.test_browser import ARTIFACTS, page, serve  # noqa: F401 (fixtures)

import pytest


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    network = build_network(tmp_path_factory.mktemp("live-browser"), 3)
    peers = [RunningPeer("daia", 0, delay=1.0), RunningPeer("koha", 1, hold=4)]
    peers[0].switch.fault = "slow"          # answers, after a second
    peers[1].switch.fault = "silent"        # never answers
    server = serve(with_availability(network, peers, timeout=2.0))
    with Store(network.store_url) as store:
        cluster = next(cluster_id for cluster_id, _members in store.export_clusters())
    yield f"http://127.0.0.1:{server.effective_port}", cluster
    server.close()
    for peer in peers:
        peer.stop()


def test_a_record_page_shows_the_harvested_state_then_each_members_live_answer(page, live_site):
    served, cluster = live_site
    page.goto(f"{served}/record/{cluster}")
    slow = page.locator('[data-live-source="m00"]')
    silent = page.locator('[data-live-source="m01"]')
    # at once: every harvested holding, and the two asked members being asked
    assert page.locator("section.holding-source table").count() == 3
    assert slow.locator(".live-checking").is_visible() and "Asking the library" in slow.inner_text()
    assert page.locator('[data-live-source="m02"]').count() == 0          # not asked live: harvested only
    page.wait_for_selector('[data-live-source="m00"][data-live-state="live"]', timeout=5000)
    assert "Available" in slow.inner_text() and "On loan until Jan 31, 2030" in slow.inner_text()
    assert silent.get_attribute("aria-busy") == "true"                   # still waiting for the silent one
    page.wait_for_selector('[data-live-source="m01"][data-live-state="timeout"]', timeout=5000)
    assert "did not answer in time; the holdings above are as harvested" in silent.inner_text()
    assert page.locator("[data-availability-done=true]").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "record-live-availability.png"), full_page=True)


def test_without_javascript_the_harvested_state_stays(browser, live_site):
    served, cluster = live_site
    context = browser.new_context(java_script_enabled=False)
    try:
        quiet = context.new_page()
        quiet.goto(f"{served}/record/{cluster}")
        assert quiet.locator("section.holding-source table").count() == 3
        assert not quiet.locator('[data-live-source="m00"] .live-checking').is_visible()
    finally:
        context.close()
