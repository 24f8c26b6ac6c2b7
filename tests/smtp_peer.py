"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, with faults for the tests.

    with SmtpPeer() as peer:
        send(peer.settings(), "anna@example.org", "Hello", "Body")
        peer.messages[0]["Subject"]

Faults: `refuse` (addresses answered 550 at RCPT), `SilentPeer` (accepts the
connection and never greets, so a client waits for its timeout).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP

from settings import MailSettings


class _Keeper:
    def __init__(self, peer: "SmtpPeer"):
        self.peer = peer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.peer.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.peer.lock:
            self.peer.envelopes.append((envelope.mail_from, tuple(envelope.rcpt_tos)))
            self.peer.messages.append(message)
        return "250 Message accepted"


class SmtpPeer:
    """An SMTP server in a thread of its own, on a free port of 127.0.0.1."""

    def __init__(self, refuse: tuple[str, ...] = ()):
        self.refuse = set(refuse)
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, tuple[str, ...]]] = []
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None
        self.port = 0

    def __enter__(self) -> "SmtpPeer":
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self.server = future.result(timeout=10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _serve(self):
        handler = _Keeper(self)
        return await self.loop.create_server(lambda: SMTP(handler, hostname="peer.test"), "127.0.0.1", 0)

    def __exit__(self, *exc_info) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def settings(self, **overrides) -> MailSettings:
        """Mail settings that send to this peer."""
        return MailSettings(**{"host": "127.0.0.1", "port": self.port, "sender": "katalog@example.org",
                               "timeout": 5.0, **overrides})

    def config(self, **overrides) -> dict:
        """The `mail:` section of a configuration that sends to this peer."""
        return {"host": "127.0.0.1", "port": self.port, "from": "katalog@example.org", "timeout": 5, **overrides}

    def to(self, address: str) -> list[EmailMessage]:
        """The messages kept so far for `address`, in the order they came."""
        with self.lock:
            return [m for m, (_sender, rcpts) in zip(self.messages, self.envelopes) if address in rcpts]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The kept messages once there are at least `count` (or as many as came within `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)


class SilentPeer:
    """A listening socket that never greets: the connection opens, and no answer ever comes."""

    def __enter__(self) -> "SilentPeer":
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = self.socket.getsockname()[1]
        return self

    def __exit__(self, *exc_info) -> None:
        self.socket.close()
