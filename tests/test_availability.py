"""Live availability (issue 14): each adapter against its real peer on 127.0.0.1, with every fault."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from availability import AvailabilityService, Item, member_ids
from memberpeers import (KOHA_PATH, TEMPLATE, FaultSwitch, PeerCatalogue, PeerItem, make_daia_app, make_json_app,
                         make_koha_app, serve_in_thread)
from settings import ConfigError
from settings.availability import parse_availability

TIMEOUT = 0.5            # each member's time in these tests
BOUND = TIMEOUT + 0.6    # what a question may take however the member fails (its time, the grace, a slow machine)
KINDS = ("daia", "koha", "koha-availability", "template")


@dataclass
class Peer:
    kind: str
    switch: FaultSwitch
    base: str

    def settings(self, **member):
        adapter = self.kind.partition("-")[0]
        path = {"daia": "/", "koha": KOHA_PATH, "template": "/api/availability?ids={ids}"}[adapter]
        config = {"adapter": adapter, "url": self.base + path, "timeout": TIMEOUT}
        if self.kind == "koha-availability":
            config["service"] = "GetAvailability"
        if adapter == "template":
            config["template"] = TEMPLATE
        shared = {"retry_after_failure": member.pop("retry_after_failure", 0)}
        return parse_availability(shared, [{"code": "m", "availability": {**config, **member}}])

    def service(self, **member) -> AvailabilityService:
        return AvailabilityService(self.settings(**member))


@pytest.fixture
def catalogue() -> PeerCatalogue:
    copies = PeerCatalogue()
    copies.add("101", PeerItem("9001", branch="Centrum", call_number="821 ABC"),
               PeerItem("9002", "on_loan", due="2030-01-31", branch="Filia 3", call_number="821 ABC"))
    copies.add("102", PeerItem("9003", "not_for_loan", branch="Czytelnia", call_number="R 12"))
    return copies


def start(app, kind: str, request) -> Peer:
    switch = FaultSwitch(app, delay=TIMEOUT + 1.0, hold=4.0)
    server = serve_in_thread(switch)
    request.addfinalizer(server.stop)
    request.addfinalizer(switch.release)
    return Peer(kind, switch, f"http://{server.host}:{server.port}")


def make(kind: str, catalogue: PeerCatalogue, **options):
    adapter = kind.partition("-")[0]
    return {"daia": make_daia_app, "koha": make_koha_app, "template": make_json_app}[adapter](catalogue, **options)


@pytest.fixture(params=KINDS)
def peer(request, catalogue) -> Peer:
    return start(make(request.param, catalogue), request.param, request)


def ask(service: AvailabilityService, ids=("101", "102", "999")):
    started = time.monotonic()
    answers = list(service.ask_all({"m": list(ids)}))
    assert len(answers) == 1
    return answers[0], time.monotonic() - started


def test_each_adapter_reads_its_peers_copies_into_the_same_model(peer):
    answer, _took = ask(peer.service())
    assert answer.live and answer.reason == ""
    on_loan_due = "" if peer.kind == "koha-availability" else "2030-01-31"   # GetAvailability carries no due date
    assert answer.items["101"] == [Item("available", location="Centrum", call_number="821 ABC"),
                                   Item("on_loan", due=on_loan_due, location="Filia 3", call_number="821 ABC")]
    assert answer.items["102"] == [Item("not_for_loan", location="Czytelnia", call_number="R 12")]
    assert "999" not in answer.items      # the system does not know it: nothing live to show


@pytest.mark.parametrize("fault, reason", [("silent", "timeout"), ("slow", "timeout"), ("malformed", "malformed"),
                                           ("drop", "unreachable"), ("drip", "timeout")])
def test_a_member_that_fails_answers_within_its_bound_with_the_reason(peer, fault, reason):
    peer.switch.fault = fault
    answer, took = ask(peer.service())
    assert not answer.live and answer.reason == reason and answer.items == {}
    assert took < BOUND, f"{fault}: {took:.2f} s"


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_credentials_are_refused_as_each_protocol_refuses_them(request, catalogue, kind, monkeypatch):
    if kind.startswith("koha"):
        # Koha's only caller check: the address must be in ILS-DI:AuthorizedIPs
        peer = start(make(kind, catalogue, authorized_ips=("10.9.8.7",)), kind, request)
        service = peer.service()
    else:
        peer = start(make(kind, catalogue, token="the-right-token"), kind, request)
        monkeypatch.setenv("UNIONCAT_TEST_PEER_TOKEN", "a-wrong-token")
        service = peer.service(credentials_env="UNIONCAT_TEST_PEER")
    answer, took = ask(service)
    assert not answer.live and answer.reason == "refused" and took < BOUND


@pytest.mark.parametrize("kind", ["daia", "template"])
def test_the_right_token_from_the_environment_is_accepted(request, catalogue, kind, monkeypatch):
    peer = start(make(kind, catalogue, token="the-right-token"), kind, request)
    monkeypatch.setenv("UNIONCAT_TEST_PEER_TOKEN", "the-right-token")
    answer, _took = ask(peer.service(credentials_env="UNIONCAT_TEST_PEER"))
    assert answer.live and answer.items["102"][0].status == "not_for_loan"


def test_koha_with_ils_di_switched_off_is_a_refusal(request, catalogue):
    peer = start(make_koha_app(catalogue, enabled=False), "koha", request)
    answer, _took = ask(peer.service())
    assert answer.reason == "refused"


def test_an_answer_is_reused_within_the_cache_time_and_asked_again_after_it(peer):
    service = peer.service()
    ask(service)
    ask(service, ["102", "101"])
    assert len(peer.switch.requests) == 1
    expired = AvailabilityService(parse_availability({"cache": 0}, [
        {"code": "m", "availability": {**_member_dict(peer)}}]))
    ask(expired), ask(expired)
    assert len(peer.switch.requests) == 3


def _member_dict(peer: Peer) -> dict:
    member = peer.settings().members["m"]
    out = {"adapter": member.adapter, "url": member.url, "timeout": TIMEOUT, "service": member.service}
    if member.adapter == "template":
        out["template"] = TEMPLATE
    return out


def test_ids_are_sent_in_batches_of_the_members_size(peer, catalogue):
    for n in range(200, 245):
        catalogue.add(str(n), PeerItem(f"i{n}"))
    answer, _took = ask(peer.service(batch=20), [str(n) for n in range(200, 245)])
    assert len(answer.items) == 45
    assert len(peer.switch.requests) == 3


def test_a_template_with_one_id_per_address_asks_once_per_id(request, catalogue):
    peer = start(make_json_app(catalogue), "template", request)
    answer, _took = ask(peer.service(url=peer.base + "/api/availability?ids={id}"))
    assert set(answer.items) == {"101", "102"} and len(peer.switch.requests) == 3


def test_past_its_rate_limit_a_member_is_not_asked_and_says_so(peer):
    service = peer.service(rate_limit=1)
    first, _took = ask(service, ["101"])
    second, took = ask(service, ["102"])
    assert first.live and not second.live and second.reason == "rate_limited" and took < 0.1
    assert len(peer.switch.requests) == 1


def test_a_member_that_just_failed_rests_and_answers_at_once(peer):
    service = peer.service(retry_after_failure=30)
    peer.switch.fault = "silent"
    assert ask(service)[0].reason == "timeout"
    peer.switch.fault = None
    answer, took = ask(service, ["102"])
    assert answer.reason == "resting" and took < 0.1


def test_members_are_asked_in_parallel_and_a_silent_one_does_not_delay_the_others(request, catalogue):
    peers = [start(make(kind, catalogue), kind, request) for kind in KINDS]
    peers[0].switch.fault = "silent"
    members = []
    for n, peer in enumerate(peers):
        member = _member_dict(peer)
        members.append({"code": f"m{n}", "availability": member})
    service = AvailabilityService(parse_availability({}, members))
    started, arrivals = time.monotonic(), {}
    for answer in service.ask_all({f"m{n}": ["101"] for n in range(len(peers))}):
        arrivals[answer.source] = (time.monotonic() - started, answer.live)
    assert all(live and took < TIMEOUT for source, (took, live) in arrivals.items() if source != "m0"), arrivals
    assert arrivals["m0"][1] is False and arrivals["m0"][0] < BOUND
    assert list(arrivals)[-1] == "m0"     # the others were given as they came, before the silent one's time ran out


def test_the_recorded_daia_answers_map_to_the_model(request):
    peer = start(make_daia_app(PeerCatalogue()), "daia", request)
    answer, _took = ask(peer.service(id_prefix="ppn:"), ["361809549", "57441022X"])
    first = answer.items["361809549"]
    assert [i.status for i in first] == ["available", "not_for_loan", "on_loan"]
    assert first[0].location == "Stadtbibliothek Beispiel, Freihand 2. OG" and first[0].call_number == "LIT 420 MIC"
    assert first[1].note == "nur im Lesesaal" and first[2].due == "2031-03-14"
    assert [i.status for i in answer.items["57441022X"]] == ["available", "on_loan"]
    assert [r for r in peer.switch.requests if "ppn%3A361809549%7Cppn%3A57441022X" in r]


MARCXML = b"""<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>
<controlfield tag="001">ocm123 </controlfield>
<datafield tag="035" ind1=" " ind2=" "><subfield code="a">(PL-KrBN)b456</subfield></datafield>
<datafield tag="035" ind1=" " ind2=" "><subfield code="a">(OCoLC)789</subfield></datafield>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">A title</subfield></datafield>
<datafield tag="999" ind1=" " ind2=" "><subfield code="c">4242</subfield><subfield code="d">4243</subfield></datafield>
</record>"""


@pytest.mark.parametrize("id_field, expected", [("001", ["ocm123"]), ("999$c", ["4242"]), ("035:(PL-KrBN)", ["b456"]),
                                                ("035:(SE-LIBR)", []), ("998$c", [])])
def test_the_id_a_members_system_knows_comes_from_the_configured_field(id_field, expected):
    assert member_ids(MARCXML, "marcxml", id_field) == expected


def test_a_record_that_cannot_be_read_has_no_member_id():
    assert member_ids(b"<record><broken", "marcxml", "001") == []


@pytest.mark.parametrize("member, words", [
    ({"adapter": "sru", "url": "http://x/"}, "adapter"),
    ({"adapter": "daia", "url": "ftp://x/"}, "url"),
    ({"adapter": "daia", "url": "http://x/", "id_field": "245"}, "id_field"),
    ({"adapter": "daia", "url": "http://x/", "timeout": 0}, "timeout"),
    ({"adapter": "daia", "url": "http://x/", "credentials_env": "token: abc"}, "credentials_env"),
    ({"adapter": "daia", "url": "http://x/", "password": "abc"}, "unknown keys"),
    ({"adapter": "template", "url": "http://x/api"}, "{ids}"),
    ({"adapter": "template", "url": "http://x/{id}", "template": {"statuses": {"In": "here"}}}, "statuses"),
])
def test_a_wrong_availability_setting_is_refused_naming_its_key(member, words):
    with pytest.raises(ConfigError, match=words.replace("{", r"\{").replace("}", r"\}")):
        parse_availability({}, [{"code": "m", "availability": member}])


def test_availability_is_off_unless_a_member_is_configured():
    assert not parse_availability(None, [{"code": "m"}]).enabled
