"""Live availability on the record and results pages (issue 14): the endpoint over real peers with every fault."""

from __future__ import annotations

import json
import time

import pytest

from store import Store
from tests.availability_support import RunningPeer, build_network, member_code, with_availability
from web import create_app

TIMEOUT = 0.5
BOUND = TIMEOUT + 1.0          # the endpoint's whole answer, whatever a member does
TOKEN_ENV = "UNIONCAT_TEST_LIVE"
KINDS = ("daia", "koha", "template")


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """Four members holding one edition; the first three are asked live."""
    return build_network(tmp_path_factory.mktemp("live"), 4)


@pytest.fixture(scope="module")
def peers():
    authorized = []
    running = [RunningPeer("daia", 0, delay=TIMEOUT + 1, hold=4, credentials_env=f"{TOKEN_ENV}_0", token="right-token"),
               RunningPeer("koha", 1, delay=TIMEOUT + 1, hold=4, authorized_ips=authorized),
               RunningPeer("template", 2, delay=TIMEOUT + 1, hold=4, credentials_env=f"{TOKEN_ENV}_2",
                           token="right-token")]
    running[1].authorized = authorized
    yield running
    for peer in running:
        peer.stop()


@pytest.fixture(autouse=True)
def fresh_peers(peers, monkeypatch):
    for n in (0, 2):
        monkeypatch.setenv(f"{TOKEN_ENV}_{n}_TOKEN", "right-token")
    yield
    for peer in peers:
        peer.switch.reset()
    peers[1].authorized.clear()


@pytest.fixture
def client(network, peers):
    return create_app(with_availability(network, peers, TIMEOUT, retry_after_failure=0)).test_client()


@pytest.fixture(scope="module")
def cluster(network) -> str:
    with Store(network.store_url) as store:
        return next(cluster_id for cluster_id, _members in store.export_clusters())


def lines(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def by_source(messages: list[dict]) -> dict[str, dict]:
    assert messages[-1] == {"done": True}
    return {m["source"]: m for m in messages[:-1]}


def test_the_record_page_shows_the_harvested_state_and_asks_no_member_system(client, peers, cluster):
    for peer in peers:
        peer.switch.fault = "silent"
    html = client.get(f"/record/{cluster}").get_data(as_text=True)
    assert f'data-availability="/availability?id={cluster}&amp;view=record"' in html
    assert "availability.js" in html
    assert [code for code in map(member_code, range(4)) if f'data-live-source="{code}"' in html] == ["m00", "m01", "m02"]
    assert html.count("821.162.1 ZER") == 4            # every member's harvested holding is on the page as it is
    assert all(not peer.switch.requests for peer in peers)


def test_each_asked_member_answers_live_on_a_line_of_its_own(client, cluster):
    answers = by_source(lines(client.get(f"/availability?id={cluster}")))
    assert set(answers) == {"m00", "m01", "m02"}
    for code, answer in answers.items():
        html = answer["html"][cluster]
        assert answer["live"] and "Available" in html and "On loan until Jan 31, 2030" in html, (code, html)
        assert "Filia 2" in html and "821 ZER" in html


@pytest.mark.parametrize("fault, reason, note", [
    ("silent", "timeout", "did not answer in time"),
    ("slow", "timeout", "did not answer in time"),
    ("malformed", "malformed", "could not read"),
    ("drop", "unreachable", "could not be reached"),
    ("credentials", "refused", "refused our request"),
])
@pytest.mark.parametrize("failing", range(3), ids=KINDS)
def test_a_failing_member_shows_the_harvested_state_with_a_note_within_the_bound(client, peers, cluster, failing,
                                                                                fault, reason, note, monkeypatch):
    peer = peers[failing]
    if fault == "credentials" and peer.kind == "koha":
        peer.authorized.append("10.20.30.40")          # Koha's ILS-DI:AuthorizedIPs without our address
    elif fault == "credentials":
        monkeypatch.setenv(f"{TOKEN_ENV}_{failing}_TOKEN", "a-wrong-token")
    else:
        peer.switch.fault = fault
    started = time.monotonic()
    answers = by_source(lines(client.get(f"/availability?id={cluster}")))
    took = time.monotonic() - started
    failed = answers.pop(member_code(failing))
    assert not failed["live"] and failed["reason"] == reason
    assert note in failed["html"][cluster] and "the holdings above are as harvested" in failed["html"][cluster]
    assert all(answer["live"] for answer in answers.values())
    assert took < BOUND, f"{took:.2f} s"


def test_the_results_page_asks_for_its_hits_and_each_member_is_summed_up(client, cluster):
    html = client.get("/?q=ludzie+bezdomni").get_data(as_text=True)
    assert f'data-availability="/availability?id={cluster}&amp;view=hits"' in html
    assert html.count(f'data-live-cluster="{cluster}"') == 3
    answers = by_source(lines(client.get(f"/availability?id={cluster}&view=hits")))
    assert answers["m00"]["html"][cluster].strip() == "Biblioteka 1: 1 available now"


def test_the_answer_speaks_the_patrons_language(client, peers, cluster):
    peers[1].switch.fault = "drop"
    answers = by_source(lines(client.get(f"/availability?id={cluster}&lang=pl")))
    assert "Wypożyczony do" in answers["m00"]["html"][cluster]
    assert "Nie udało się połączyć" in answers["m01"]["html"][cluster]


def test_what_a_member_system_says_is_escaped_before_it_reaches_the_page(client, peers, cluster):
    from memberpeers import PeerItem
    from tests.availability_support import member_id

    copies = peers[2].copies
    kept = copies.records[member_id("template", 2)]
    copies.add(member_id("template", 2), PeerItem("x1", branch='<img src=x onerror="alert(1)">', call_number="<b>1</b>"))
    try:
        html = by_source(lines(client.get(f"/availability?id={cluster}")))["m02"]["html"][cluster]
    finally:
        copies.records[member_id("template", 2)] = kept
    assert "<img" not in html and "&lt;img src=x onerror=" in html and "&lt;b&gt;1&lt;/b&gt;" in html


def test_robots_txt_keeps_crawlers_off_the_live_endpoint(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and "Disallow: /availability" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?id=nope", "?id=x&view=%3Cscript%3E", "?view=hits",
                                   "?" + "&".join(f"id=c{n}" for n in range(80)), "?id=%00%ff"])
def test_odd_questions_get_an_empty_answer_not_an_error(client, peers, query):
    assert lines(client.get("/availability" + query)) == [{"done": True}]
    assert all(not peer.switch.requests for peer in peers)


def test_a_question_is_cut_at_fifty_clusters(client, cluster):
    others = "&".join(f"id=c{n}" for n in range(49))
    assert len(lines(client.get(f"/availability?{others}&id={cluster}"))) == 4      # the 50th: its 3 members, done
    assert lines(client.get(f"/availability?{others}&id=c49&id={cluster}")) == [{"done": True}]


def test_without_live_availability_the_pages_are_as_before(network, cluster):
    client = create_app(network).test_client()
    html = client.get(f"/record/{cluster}").get_data(as_text=True)
    assert "data-availability" not in html and "availability.js" not in html and "data-live-source" not in html
    assert lines(client.get(f"/availability?id={cluster}")) == [{"done": True}]
