"""The mail module against a real SMTP server on 127.0.0.1 (tests/smtp_peer.py), with its faults."""

from __future__ import annotations

import socket
import time

import pytest

from mail import MailError, send
from settings import ConfigError, MailSettings
from settings.mail import PASSWORD_ENV, USERNAME_ENV, parse_mail
from tests.smtp_peer import SilentPeer, SmtpPeer


@pytest.fixture
def peer():
    with SmtpPeer(refuse=("nobody@example.org",)) as running:
        yield running


def test_a_message_reaches_the_server_with_its_subject_sender_and_utf8_body(peer):
    sent = send(peer.settings(), "anna@example.org", "Zamówienie przyjęte", "Książka czeka w bibliotece.\n")
    [message] = peer.wait_for(1)
    assert message["Subject"] == "Zamówienie przyjęte"
    assert message["From"] == "katalog@example.org"
    assert message["Message-ID"] == sent.message_id
    assert message.get_content().replace("\r\n", "\n") == "Książka czeka w bibliotece.\n"
    assert peer.envelopes == [("katalog@example.org", ("anna@example.org",))]
    assert sent.recipients == ("anna@example.org",)


def test_a_newline_in_the_subject_cannot_add_a_header(peer):
    send(peer.settings(), "anna@example.org", "Hello\r\nBcc: eve@example.org", "x")
    [message] = peer.wait_for(1)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: eve@example.org"
    assert peer.envelopes[0][1] == ("anna@example.org",)


def test_a_refused_recipient_is_a_clear_error(peer):
    with pytest.raises(MailError, match="refused every recipient: nobody@example.org: 550"):
        send(peer.settings(), "nobody@example.org", "Hello", "x")
    assert peer.messages == []


def test_one_refused_recipient_of_two_is_named_in_the_result(peer):
    sent = send(peer.settings(), ["anna@example.org", "nobody@example.org"], "Hello", "x")
    assert sent.recipients == ("anna@example.org",)
    assert len(peer.wait_for(1)) == 1


def test_a_server_that_never_answers_fails_within_the_timeout():
    with SilentPeer() as silent:
        started = time.monotonic()
        with pytest.raises(MailError, match="did not answer within 0.5 s"):
            send(MailSettings(host="127.0.0.1", port=silent.port, timeout=0.5), "anna@example.org", "Hello", "x")
        assert time.monotonic() - started < 3


def test_a_closed_port_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailError, match=f"cannot send through 127.0.0.1:{port}"):
        send(MailSettings(host="127.0.0.1", port=port, timeout=2), "anna@example.org", "Hello", "x")


def test_starttls_asked_of_a_server_without_it_is_refused_before_anything_is_sent(peer):
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send(peer.settings(starttls=True), "anna@example.org", "Hello", "x")
    assert peer.messages == []


def test_credentials_come_from_the_environment_and_a_server_without_auth_says_so(peer, monkeypatch):
    monkeypatch.setenv(USERNAME_ENV, "relay")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert peer.settings().credentials() == ("relay", "s3cret")
    with pytest.raises(MailError, match="cannot send through"):
        send(peer.settings(), "anna@example.org", "Hello", "x")
    assert peer.messages == []


def test_mail_off_or_a_bad_address_is_a_clear_error_without_a_connection():
    with pytest.raises(MailError, match="mail is off"):
        send(MailSettings(), "anna@example.org", "Hello", "x")
    with pytest.raises(MailError, match="is not an e-mail address"):
        send(MailSettings(host="127.0.0.1"), "not an address", "Hello", "x")


@pytest.mark.parametrize("section, message", [
    ({"host": "smtp.example.org", "port": "25"}, "mail.port"),
    ({"host": "smtp.example.org", "from": "nobody"}, "mail.from"),
    ({"host": "smtp.example.org", "starttls": "yes"}, "mail.starttls"),
    ({"host": "smtp.example.org", "timeout": 0}, "mail.timeout"),
    ({"host": "smtp.example.org", "password": "x"}, "unknown keys"),
])
def test_the_mail_section_refuses_bad_values_naming_the_key(section, message):
    with pytest.raises(ConfigError, match=message):
        parse_mail(section)


def test_the_mail_section_reads_into_the_configuration(write_config):
    config = write_config([], mail={"host": "smtp.example.org", "port": 587, "from": "katalog@example.org",
                                    "starttls": True})
    assert config.mail == MailSettings(host="smtp.example.org", port=587, sender="katalog@example.org",
                                       starttls=True)
    assert not write_config([]).mail.enabled


def test_unioncat_mail_test_sends_a_message_and_names_a_failure_with_exit_code_1(write_config, peer):
    from click.testing import CliRunner

    from cli import main

    config = write_config([], mail={"host": "127.0.0.1", "port": peer.port, "from": "katalog@example.org"})
    result = CliRunner().invoke(main, ["--config", str(config.path), "mail", "test", "anna@example.org"])
    assert result.exit_code == 0 and "mail: sent to anna@example.org" in result.output, result.output
    assert peer.wait_for(1)[0]["Subject"] == "unioncat: test message"
    result = CliRunner().invoke(main, ["--config", str(config.path), "mail", "test", "nobody@example.org"])
    assert result.exit_code == 1 and "refused every recipient" in result.output, result.output
