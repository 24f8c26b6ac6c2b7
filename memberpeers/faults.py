"""Faults a member's system shows, switched on and off while the peer runs.

    peer = FaultSwitch(make_daia_app(catalogue))
    peer.fault = "silent"      # accept the connection and never answer (until released or `hold` seconds)
    peer.fault = "slow"        # answer correctly after `delay` seconds
    peer.fault = "malformed"   # answer 200 with the real body cut in half
    peer.fault = "drop"        # close the connection without a byte
    peer.fault = "drip"        # send the real answer one byte every `delay / 10` seconds
    peer.fault = None          # answer normally

Wrong credentials are each protocol's own answer (see the peers' `token` and
`authorized_ips`), not a fault of the transport.
"""

from __future__ import annotations

import threading
import time

from oaiserver import DropConnection

FAULTS = (None, "silent", "slow", "malformed", "drop", "drip")


class FaultSwitch:
    """WSGI middleware: the wrapped peer, failing as `fault` says; `requests` counts what reached it."""

    def __init__(self, app, *, delay: float = 1.5, hold: float = 8.0):
        self.app, self.delay, self.hold = app, delay, hold
        self.fault: str | None = None
        self.requests: list[str] = []
        self._released = threading.Event()

    def release(self) -> None:
        """Let every silent request end (without an answer) now."""
        self._released.set()

    def reset(self) -> None:
        """Answer normally again, end the silent requests and forget the requests seen."""
        self._released.set()
        self._released = threading.Event()
        self.fault = None
        self.requests.clear()

    def __call__(self, environ, start_response):
        self.requests.append(environ.get("QUERY_STRING", "") or environ.get("PATH_INFO", ""))
        fault = self.fault
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        if fault == "silent":
            self._released.wait(self.hold)
            raise DropConnection()
        if fault == "drop":
            raise DropConnection()
        if fault == "slow":
            time.sleep(self.delay)
        if fault not in ("malformed", "drip"):
            return self.app(environ, start_response)
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: None))
        if fault == "drip":
            start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
            return self._drip(body)
        cut = body[: len(body) // 2]
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(cut)))])
        return [cut]

    def _drip(self, body: bytes):
        for position in range(len(body)):
            if self._released.wait(self.delay / 10):
                return
            yield body[position:position + 1]
