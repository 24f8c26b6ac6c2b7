"""SIP2: the codec against the specification's examples, the test server against the independent client from
PyPI (`sip2`), and the product's client against the test server with every fault."""

from __future__ import annotations

import socket
import time

import pytest
from Sip2.sip2 import Sip2

from patrons import SipError, Sip2Client, checksum, frame, parse
from settings import ConfigError
from settings.patrons import Sip2Settings, env_name, parse_patrons
from tests.sip2_peer import Patron, Sip2Peer

LOST = "    Y" + " " * 9


@pytest.fixture
def peer():
    patrons = {"2100001": Patron("1234", "Anna Svensson", "anna@example.org"),
               "2100002": Patron("9999", "Bo Ek"),
               "2100003": Patron("1234", "Lost Card", status=LOST)}
    with Sip2Peer(patrons) as running:
        yield running


def client(peer, **overrides) -> Sip2Client:
    return Sip2Client(Sip2Settings(member="vastmanland", host="127.0.0.1", port=peer.port, institution="VMB",
                                   timeout=overrides.pop("timeout", 1.0), **overrides))


@pytest.mark.parametrize("text, expected", [
    ("9900302.00AY1AZ", "FCA5"),     # the SC Status example of the SIP2 2.00 specification
    # the examples in the checksum documentation of the `sip2` package (a checkin message)
    ("09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZ", "EB80"),
    ("09N20160419    12171320160419    121713APReading Room 1|AO830|AB830$28170815|AC|AY2AZ", "EB7C"),
])
def test_the_checksum_matches_the_published_examples(text, expected):
    assert checksum(text) == expected
    # the specification's own check: every character plus the checksum's value sums to zero
    assert (sum(map(ord, text)) + int(expected, 16)) & 0xFFFF == 0


def test_a_framed_message_parses_back_with_its_fields_and_sequence_number():
    message = frame("64", " " * 14 + "000" + "20260101   Z120000" + "0000" * 6,
                    [("AO", "VMB"), ("AA", "21|00"), ("BE", "a@example.org"), ("AF", "one"), ("AF", "two")], 7)
    assert message.endswith("\r") and "|AY7AZ" in message
    parsed = parse(message, require_checksum=True)
    assert (parsed.code, parsed.sequence, parsed.get("AA")) == ("64", 7, "21 00")
    assert parsed.fields["AF"] == ["one", "two"]


@pytest.mark.parametrize("text, problem", [
    ("9900302.00AY1AZFCA6\r", "checksum FCA6 is wrong"),
    ("XX12\r", "unknown or malformed"),
    ("9400", "fixed part"),
    ("941AOok|zz|AY1AZ", "malformed field"),
])
def test_a_damaged_message_is_refused(text, problem):
    if problem == "malformed field":
        text += checksum(text) + "\r"
    if problem == "fixed part":
        text = "64" + "Y" * 10 + "\r"
    with pytest.raises(SipError, match=problem):
        parse(text)


def test_the_independent_sip2_client_logs_in_and_reads_a_patron_from_the_test_server(tmp_path):
    patrons = {"2100001": Patron("1234", "Anna Svensson", "anna@example.org")}
    with Sip2Peer(patrons, login=("unioncat", "s3cret")) as peer:
        other = Sip2()
        other.hostName, other.hostPort, other.tlsEnable, other.socketTimeout = "127.0.0.1", peer.port, False, 2
        other.logfile_path, other.institutionId = str(tmp_path), "VMB"
        other.connect()
        try:
            login = other.sip_login_response(other.get_response(other.sip_login_request("unioncat", "s3cret")))
            other.patron, other.patronpwd = "2100001", "1234"
            raw = other.get_response(other.sip_patron_information_request("none"))
            info = other.sip_patron_information_response(raw)
            status = other.sip_patron_status_response(other.get_response(other.sip_patron_status_request()))
        finally:
            other.disconnect()
    assert login["fixed"]["Ok"] == "1"
    assert info["variable"]["BL"] == ["Y"] and info["variable"]["CQ"] == ["Y"]
    assert info["variable"]["BE"] == ["anna@example.org"] and info["variable"]["AE"] == ["Anna Svensson"]
    assert status["variable"]["BL"] == ["Y"]
    # the server answered each message with its sequence number and a checksum that verifies
    assert parse(raw, require_checksum=True).sequence == parse(peer.received[1]).sequence == 1
    assert [m[:2] for m in peer.received] == ["93", "63", "23"]


def test_the_test_server_asks_for_a_resend_when_a_checksum_is_wrong(peer):
    with socket.create_connection(("127.0.0.1", peer.port), timeout=2) as conn:
        conn.sendall(b"9900302.00AY1AZFCA6\r")
        assert conn.recv(100) == b"96\r"
        conn.sendall(b"9900302.00AY1AZFCA5\r")
        answer = parse(conn.recv(500).decode(), require_checksum=True)
    assert (answer.code, answer.sequence, answer.get("AO")) == ("98", 1, "VMB")


def test_a_right_card_and_pin_are_valid_with_the_patrons_name_and_email(peer):
    check = client(peer).check("2100001", "1234")
    assert (check.valid, check.name, check.email, check.member) == (True, "Anna Svensson", "anna@example.org",
                                                                    "vastmanland")
    request = parse(peer.received[-1], require_checksum=True)
    assert (request.code, request.get("AO"), request.get("AA"), request.get("AD")) == ("63", "VMB", "2100001", "1234")


@pytest.mark.parametrize("card, pin", [("2100001", "0000"), ("2199999", "1234"), ("2100003", "1234"), ("", "")])
def test_a_wrong_pin_an_unknown_card_and_a_lost_card_are_not_valid_and_tell_nothing(peer, card, pin):
    check = client(peer).check(card, pin)
    assert (check.valid, check.name, check.email) == (False, "", "")


def test_the_card_alone_is_checked_again_without_a_pin_over_patron_status(peer):
    assert client(peer, message="patron_status").check("2100001").valid
    assert not client(peer, message="patron_status").check("2100003").valid
    request = parse(peer.received[-1])
    assert request.code == "23" and "AD" not in request.fields


def test_the_login_uses_credentials_from_the_environment(monkeypatch):
    with Sip2Peer({"2100001": Patron("1234", "Anna")}, login=("unioncat", "s3cret")) as peer:
        monkeypatch.setenv(env_name("vastmanland", "USERNAME"), "unioncat")
        monkeypatch.setenv(env_name("vastmanland", "PASSWORD"), "s3cret")
        assert client(peer, login=True).check("2100001", "1234").valid
        monkeypatch.setenv(env_name("vastmanland", "PASSWORD"), "wrong")
        with pytest.raises(SipError, match="refused our login"):
            client(peer, login=True).check("2100001", "1234")


@pytest.mark.parametrize("fault", ["silent", "slow", "malformed", "bad_checksum", "wrong_sequence"])
def test_a_faulty_server_is_a_clear_error_within_the_timeout(peer, fault):
    peer.fault, peer.delay = fault, 1.5
    started = time.monotonic()
    with pytest.raises(SipError):
        client(peer, timeout=0.5).check("2100001", "1234")
    assert time.monotonic() - started < 1.0


def test_a_closed_port_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SipError, match="cannot reach the SIP2 server of vastmanland"):
        Sip2Client(Sip2Settings(member="vastmanland", host="127.0.0.1", port=port)).check("1", "2")


def test_the_patrons_section_refuses_credentials_in_the_file_and_unknown_members():
    with pytest.raises(ConfigError, match="UNIONCAT_SIP2_VASTMANLAND_PASSWORD"):
        parse_patrons({"sip2": {"vastmanland": {"host": "h", "password": "x"}}}, ("vastmanland",))
    with pytest.raises(ConfigError, match="not a configured source"):
        parse_patrons({"sip2": {"nowhere": {"host": "h"}}}, ("vastmanland",))
    settings = parse_patrons({"idle_timeout": 600, "sip2": {"vastmanland": {"host": "h", "port": 6001}}},
                             ("vastmanland",))
    assert settings.idle_timeout == 600 and settings.sip2["vastmanland"].port == 6001
