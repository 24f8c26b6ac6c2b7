"""What a failed request means, in plain words an operator can act on (the transport's messages).

A refused connection or an unknown host, an HTML page where OAI-PMH XML
should be, and the HTTP statuses that waiting cannot mend are told apart here
from the faults worth retrying (timeouts, bodies cut short).
"""

from __future__ import annotations

import http.client
import re
import socket

import requests
import urllib3

from harvest.body import BrokenBody

# bodies cut short or undecodable: the server or the network failed mid-response
BROKEN_BODY = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
               urllib3.exceptions.HTTPError, BrokenBody)
HTTP_ADVICE = {
    401: "the server wants credentials: ask the member to open its OAI-PMH endpoint to this harvester",
    403: "the server refuses this harvester: ask the member to allow its address",
    404: "nothing at this address: check the source's url (the OAI-PMH base URL)",
    410: "the endpoint is gone: ask the member for its new OAI-PMH address",
}


def is_html(content_type: str, content: bytes) -> bool:
    """Whether a response is an HTML page (a login page, a portal, an error page): never OAI-PMH."""
    kind = content_type.split(";")[0].strip().lower()
    start = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return kind in ("text/html", "application/xhtml+xml") or start.startswith((b"<!doctype html", b"<html"))


def html_title(content: bytes) -> str:
    """The page's <title>, shortened, or "" when it has none."""
    match = re.search(rb"<title[^>]*>([^<]{1,120})", content[:8192], re.IGNORECASE)
    return " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""


def unreachable(exc: BaseException) -> str | None:
    """In plain words, why nothing answers at the address (unknown host, connection refused), or None."""
    if _caused_by(exc, (socket.gaierror, urllib3.exceptions.NameResolutionError)):
        return "the host name is not known (DNS)"
    if _caused_by(exc, (ConnectionRefusedError,)):
        return "connection refused (nothing listens at that host and port)"
    return None


def describe(exc: Exception) -> str:
    """A connection error or a broken body in words (retried: these may pass)."""
    if isinstance(exc, (requests.Timeout, urllib3.exceptions.TimeoutError)):
        return f"timeout: no answer in time ({type(exc).__name__})"
    if isinstance(exc, BrokenBody):
        return f"response cut short ({exc})"
    if isinstance(exc, BROKEN_BODY):
        return f"response cut short ({type(exc).__name__})"
    if _caused_by(exc, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "the server closed the connection without an answer"
    return f"connection failed ({type(exc).__name__})"


def _caused_by(exc: BaseException, kinds: tuple) -> bool:
    """Whether `exc`, or an error it wraps (requests and urllib3 wrap each other's), is one of `kinds`."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return True
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None),
                 *(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))]
    return False
