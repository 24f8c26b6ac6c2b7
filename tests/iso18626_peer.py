"""An ISO 18626 peer on 127.0.0.1 for the tests: a lending member's interlibrary-loan system.

It takes Requests and RequestingAgencyMessages at /iso18626 (checking their
signature and validating them against the schema), answers with
confirmations, and writes the SupplyingAgencyMessages a lender sends. Faults
for what it answers, set on `peer.fault`: "silent" (holds the connection past
any timeout), "slow" (answers after `peer.delay` seconds), "malformed" (answers
garbage), "error" (an ERROR confirmation), "wrong_credentials" (HTTP 401).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from ill.iso18626 import (
    SIGNATURE_HEADER, MessageError, confirmation, parse, sign, signed_by, supplying_agency_message,
)

CONFIRMATIONS = {"request": "requestConfirmation", "requestingAgencyMessage": "requestingAgencyMessageConfirmation"}


class Iso18626Peer:
    """A lender's ISO 18626 system in a thread of its own."""

    def __init__(self, agency: str, secret: str, *, requester: str = "UNIONCAT"):
        self.agency, self.secret, self.requester = agency, secret, requester
        self.fault: str | None = None
        self.delay = 0.0
        self.received = []          # every valid message it took, parsed
        self.refused = []           # (why, body) of what it did not take
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                peer._serve(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/iso18626"

    def __enter__(self) -> "Iso18626Peer":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()

    def section(self, **overrides) -> dict:
        """The member's `iso18626` entry under `requests.members` that points here."""
        return {"url": self.url, "agency": self.agency, "peer": "127.0.0.1", "timeout": 1, **overrides}

    def _serve(self, handler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if self.fault == "silent":
            time.sleep(self.delay or 3)
            return
        if self.fault == "slow":
            time.sleep(self.delay)
        answer, status = self._answer(body, handler.headers.get(SIGNATURE_HEADER))
        if self.fault == "malformed":
            answer, status = b"<html><body>Gateway timeout</body></html>", 200
        if self.fault == "wrong_credentials":
            answer, status = b"", 401
        handler.send_response(status)
        handler.send_header("Content-Type", "application/xml")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def _answer(self, body: bytes, signature: str | None) -> tuple[bytes, int]:
        if not signed_by(self.secret, body, signature):
            self.refused.append(("signature", body))
            return b"", 401
        try:
            message = parse(body)
        except MessageError as exc:
            self.refused.append((str(exc), body))
            return confirmation("requestConfirmation", error=("BadlyFormedMessage", str(exc))), 200
        self.received.append(message)
        error = ("UnrecognisedDataValue", "no such item") if self.fault == "error" else None
        return confirmation(CONFIRMATIONS.get(message.kind, "requestConfirmation"), supplier=self.agency,
                            requester=message.requesting_agency, request_ref=message.request_ref, error=error,
                            answer=message.action), 200

    def status(self, request_ref: str, status: str, *, secret: str | None = None, agency: str | None = None,
               reason: str = "StatusChange", note: str = "") -> tuple[bytes, dict]:
        """A signed SupplyingAgencyMessage (body, headers) about our request `request_ref`."""
        body = supplying_agency_message(supplier=agency or self.agency, requester=self.requester,
                                        request_ref=request_ref, status=status, reason=reason,
                                        supplier_ref=f"{self.agency}-loan-{request_ref}", note=note)
        return body, {"Content-Type": "application/xml", SIGNATURE_HEADER: sign(secret or self.secret, body)}

    def send(self, url: str, request_ref: str, status: str, **options) -> requests.Response:
        """Send a status message to a running unioncat at `url` (its /iso18626)."""
        body, headers = self.status(request_ref, status, **options)
        return requests.post(url, data=body, headers=headers, timeout=5)
