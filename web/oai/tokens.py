"""Resumption tokens: where a list stands, signed, with their expiry, valid across restarts.

A token carries the request (verb, format, set, from, until), the last
(datestamp, cluster id) served and how many came before, so a list resumes
after the last item whatever changed meanwhile: nothing is addressed by an
offset. It is signed with HMAC-SHA256 under the web secret key; a forged,
altered or expired token is refused as badResumptionToken.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass


class TokenError(Exception):
    """A resumption token that is forged, altered, unreadable or expired."""


@dataclass(frozen=True)
class Position:
    """Where a list stands and what it lists."""

    verb: str
    prefix: str
    set_spec: str
    start: str | None           # from, as the harvester gave it
    until: str | None
    datestamp: str              # the last item served (ISO, microseconds)
    cluster_id: str
    cursor: int                 # items served before the next page
    expires: int                # Unix seconds


def issue(position: Position, key: bytes) -> str:
    """The token for `position`."""
    body = base64.urlsafe_b64encode(json.dumps(asdict(position), separators=(",", ":")).encode()).rstrip(b"=")
    return f"{body.decode()}.{_signature(body, key)}"


def read(token: str, key: bytes, *, clock=time.time) -> Position:
    """The position a token names; `TokenError` when it is not ours, was altered or has expired."""
    body, _, signature = token.strip().rpartition(".")
    if not body or not hmac.compare_digest(signature, _signature(body.encode(), key)):
        raise TokenError("the resumption token is not one this repository issued")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        position = Position(**data)
    except (ValueError, TypeError) as exc:
        raise TokenError("the resumption token cannot be read") from exc
    if position.expires < clock():
        raise TokenError("the resumption token has expired; start the list again")
    return position


def _signature(body: bytes, key: bytes) -> str:
    digest = hmac.new(key, b"oai-token:" + body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
