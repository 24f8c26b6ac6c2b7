"""A small SIP2 2.00 server of our own on 127.0.0.1 for the tests: a member's circulation system as a
discovery layer meets it (Login 93/94, Patron Information 63/64, Patron Status 23/24, SC Status 99/98).

It checks the checksum of every message that carries one (a wrong one gets a
resend request, 96), answers with the request's sequence number, and keeps
every message it received. Faults, set on `peer.fault`: "silent" (reads, never
answers), "slow" (answers after `peer.delay` seconds), "malformed" (answers
garbage), "bad_checksum" (answers with a wrong checksum), "wrong_sequence".
"""

from __future__ import annotations

import socketserver
import threading
import time
from dataclasses import dataclass

from patrons.sip2 import SipError, frame, parse, timestamp
from datetime import datetime, timezone


@dataclass
class Patron:
    pin: str
    name: str
    email: str = ""
    status: str = " " * 14          # the 14 patron status flags, "Y" where set


class Sip2Peer:
    """A SIP2 server in a thread of its own, on a free port of 127.0.0.1."""

    def __init__(self, patrons: dict[str, Patron], *, institution: str = "VMB",
                 login: tuple[str, str] | None = None):
        self.patrons = patrons
        self.institution = institution
        self.login = login                  # required (user, password), or None: no login needed
        self.fault: str | None = None
        self.delay = 0.0
        self.received: list[str] = []
        peer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                peer._serve(self)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.daemon_threads = True
        self.server.allow_reuse_address = True
        self.server.server_bind()
        self.server.server_activate()
        self.port = self.server.server_address[1]

    def __enter__(self) -> "Sip2Peer":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings_section(self, **overrides) -> dict:
        """A member's entry under `patrons.sip2` that points here."""
        return {"host": "127.0.0.1", "port": self.port, "institution": self.institution, "timeout": 2,
                "login": self.login is not None, **overrides}

    def _serve(self, handler) -> None:
        logged_in = self.login is None
        while True:
            line = _read_message(handler.rfile)
            if not line:
                return
            self.received.append(line)
            if self.fault == "silent":
                continue
            if self.fault == "slow":
                time.sleep(self.delay)
            try:
                message = parse(line)
            except SipError:
                handler.wfile.write(b"96\r")
                continue
            reply, logged_in = self._answer(message, logged_in)
            handler.wfile.write(self._damage(reply).encode("utf-8"))

    def _answer(self, message, logged_in: bool) -> tuple[str, bool]:
        seq = message.sequence
        if seq is not None and self.fault == "wrong_sequence":
            seq = (seq + 1) % 10
        if message.code == "93":
            ok = self.login is not None and (message.get("CN"), message.get("CO")) == self.login
            return frame("94", "1" if ok else "0", [], seq), logged_in or ok
        if message.code == "99":
            return frame("98", "YYYYNN" + "030" + "003" + timestamp(datetime.now(timezone.utc)) + "2.00",
                         [("AO", self.institution), ("BX", "YYYYYYYYYYYYYYYY")], seq), logged_in
        if message.code in ("63", "23") and logged_in:
            return self._patron(message, seq), logged_in
        return frame("96", "", [], None), logged_in

    def _patron(self, message, seq) -> str:
        card, pin = message.get("AA"), message.fields.get("AD", [None])[0]
        patron = self.patrons.get(card)
        known = patron is not None
        fields = [("AO", self.institution), ("AA", card), ("AE", patron.name if known else ""),
                  ("BL", "Y" if known else "N")]
        if pin is not None:
            fields.append(("CQ", "Y" if known and pin == patron.pin else "N"))
        if known and patron.email:
            fields.append(("BE", patron.email))
        status = patron.status if known else "Y" * 14
        head = status + "000" + timestamp(datetime.now(timezone.utc))
        if message.code == "63":
            return frame("64", head + "0000" * 6, fields, seq)
        return frame("24", head, fields, seq)

    def _damage(self, reply: str) -> str:
        if self.fault == "malformed":
            return "<html>Service Unavailable</html>\r"
        if self.fault == "bad_checksum" and "AZ" in reply:
            return reply[:-5] + ("0000" if not reply.endswith("0000\r") else "FFFF") + "\r"
        return reply


def _read_message(rfile) -> str:
    data = b""
    while not data.endswith(b"\r"):
        byte = rfile.read(1)
        if not byte:
            return ""
        data += byte
    return data.decode("utf-8")


__all__ = ["Patron", "Sip2Peer"]
