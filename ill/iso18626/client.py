"""Sending ISO 18626 messages to a member's endpoint (the only HTTP user of `ill`), signed, with a timeout."""

from __future__ import annotations

import requests

from ill.errors import IllError
from ill.iso18626.messages import SIGNATURE_HEADER, Message, MessageError, parse, sign
from settings import Iso18626Peer

MAX_ANSWER = 1024 * 1024


class DeliveryFailed(IllError):
    """The member's endpoint did not take the message: no answer in time, an HTTP error, nonsense, or ERROR."""


def post(peer: Iso18626Peer, secret: str, body: bytes, expected: str) -> Message:
    """POST `body` to the member's endpoint and return its confirmation (of kind `expected`) when it says OK."""
    headers = {"Content-Type": "application/xml; charset=utf-8", SIGNATURE_HEADER: sign(secret, body)}
    try:
        with requests.post(peer.url, data=body, headers=headers, timeout=peer.timeout, stream=True,
                           allow_redirects=False) as response:
            answer = response.raw.read(MAX_ANSWER + 1, decode_content=True)
            status = response.status_code
    except requests.Timeout as exc:
        raise DeliveryFailed(f"{peer.url} did not answer within {peer.timeout:g} s") from exc
    except requests.RequestException as exc:
        raise DeliveryFailed(f"cannot reach {peer.url}: {exc}") from exc
    if status != 200:
        raise DeliveryFailed(f"{peer.url} answered HTTP {status}")
    try:
        confirmation = parse(answer)
    except MessageError as exc:
        raise DeliveryFailed(f"{peer.url} answered with a malformed confirmation: {exc}") from exc
    if confirmation.kind != expected:
        raise DeliveryFailed(f"{peer.url} answered with {confirmation.kind}, not {expected}")
    if confirmation.status != "OK":
        raise DeliveryFailed(f"{peer.url} refused the message: {confirmation.error or confirmation.status}")
    return confirmation
