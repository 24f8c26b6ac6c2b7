"""The product's SIP2 client: checks a card (and PIN) against a member's server, one short connection per check."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from patrons.errors import SipError
from patrons.sip2 import SipMessage, frame, parse, timestamp
from settings.patrons import Sip2Settings

# patron status positions that stop a patron from placing requests: charge privileges denied,
# hold privileges denied, card reported lost
BLOCKING = (0, 3, 4)
MAX_MESSAGE = 64 * 1024


@dataclass(frozen=True)
class PatronCheck:
    """What the member's system said about a card: valid (known, PIN right when given, not blocked), name, e-mail."""

    member: str
    card: str
    valid: bool
    name: str = ""
    email: str = ""


class Sip2Client:
    """One member's SIP2 server; every exchange is bounded by `settings.timeout` in all."""

    def __init__(self, settings: Sip2Settings):
        self.settings = settings
        self.sequence = 0

    def check(self, card: str, pin: str | None = None) -> PatronCheck:
        """Whether `card` is valid (with `pin`, when given, right); `SipError` when the server cannot tell us."""
        deadline = time.monotonic() + self.settings.timeout
        try:
            with socket.create_connection((self.settings.host, self.settings.port),
                                          timeout=self.settings.timeout) as conn:
                if self.settings.login:
                    self._login(conn, deadline)
                answer = self._exchange(conn, deadline, *self._patron_request(card, pin))
        except TimeoutError as exc:
            raise SipError(f"{self._where()} did not answer within {self.settings.timeout:g} s") from exc
        except OSError as exc:
            raise SipError(f"cannot reach {self._where()}: {exc}") from exc
        return self._judge(card, pin, answer)

    def _where(self) -> str:
        return f"the SIP2 server of {self.settings.member} ({self.settings.host}:{self.settings.port})"

    def _login(self, conn: socket.socket, deadline: float) -> None:
        user, password = self.settings.credentials() or ("", "")
        answer = self._exchange(conn, deadline, "93", "00",
                                [("CN", user), ("CO", password), ("CP", self.settings.location)])
        if answer.code != "94" or answer.fixed != "1":
            raise SipError(f"{self._where()} refused our login (check {self.settings.member}'s SIP2 credentials)")

    def _patron_request(self, card: str, pin: str | None) -> tuple[str, str, list[tuple[str, str]]]:
        fields = [("AO", self.settings.institution), ("AA", card), ("AC", "")]
        if pin is not None:
            fields.append(("AD", pin))
        now = timestamp(datetime.now(timezone.utc))
        if self.settings.message == "patron_status":
            return "23", "000" + now, fields
        return "63", "000" + now + " " * 10, fields

    def _exchange(self, conn: socket.socket, deadline: float, code: str, fixed: str, fields) -> SipMessage:
        """Send one message and read its answer; a resend request (96) is honoured once."""
        sequence = self.sequence
        self.sequence = (self.sequence + 1) % 10
        request = frame(code, fixed, fields, sequence).encode("utf-8")
        for _attempt in range(2):
            conn.sendall(request)
            answer = parse(_read(conn, deadline))
            if answer.code != "96":
                break
        expected = {"93": "94", "63": "64", "23": "24"}[code]
        if answer.code != expected:
            raise SipError(f"{self._where()} answered message {code} with {answer.code}")
        if answer.sequence is not None and answer.sequence != sequence:
            raise SipError(f"{self._where()} answered with sequence number {answer.sequence}, not {sequence}")
        return answer

    def _judge(self, card: str, pin: str | None, answer: SipMessage) -> PatronCheck:
        status = answer.fixed[:14]
        valid = (answer.get("BL") == "Y" and (pin is None or answer.get("CQ") == "Y")
                 and answer.get("AA") == card and not any(status[i:i + 1] == "Y" for i in BLOCKING))
        return PatronCheck(self.settings.member, card, valid, answer.get("AE") if valid else "",
                           answer.get("BE").strip() if valid else "")


def _read(conn: socket.socket, deadline: float) -> str:
    """Bytes up to the CR that ends a message, within the deadline."""
    received = b""
    while not received.endswith(b"\r"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        conn.settimeout(remaining)
        chunk = conn.recv(4096)
        if not chunk:
            raise SipError("the SIP2 server closed the connection before answering")
        received += chunk
        if len(received) > MAX_MESSAGE:
            raise SipError("the SIP2 server's answer is too long")
    try:
        return received.decode("utf-8")
    except UnicodeDecodeError:
        return received.decode("latin-1")
