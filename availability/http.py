"""The availability package's only HTTP user: one GET with a deadline for the whole answer."""

from __future__ import annotations

import time

import requests

from availability.errors import CredentialsRefused, MemberTimeout, MemberUnreachable

MAX_ANSWER_BYTES = 2 * 1024 * 1024
USER_AGENT = "unioncat-availability/1"
_CHUNK = 16384


def fetch(url: str, params: dict | None, *, timeout: float, credentials: tuple[str, str] | None = None,
          accept: str = "application/json") -> bytes:
    """The body of a 200 answer to GET `url`, read whole within `timeout` seconds.

    Raises `MemberTimeout` past the deadline (however slowly the body trickles),
    `CredentialsRefused` on 401/403, `MemberUnreachable` on any other failure.
    """
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    auth = None
    if credentials and credentials[0] == "bearer":
        headers["Authorization"] = f"Bearer {credentials[1]}"
    elif credentials:
        auth = tuple(credentials[1].split(":", 1))
    try:
        with requests.get(url, params=params, headers=headers, auth=auth, timeout=(timeout, timeout),
                          stream=True, allow_redirects=False) as response:
            if response.status_code in (401, 403):
                raise CredentialsRefused(f"{url}: HTTP {response.status_code}")
            if response.status_code != 200:
                raise MemberUnreachable(f"{url}: HTTP {response.status_code}")
            return _read(response, deadline, url)
    except requests.Timeout as exc:
        raise MemberTimeout(f"{url}: no answer within {timeout:g} s") from exc
    except requests.RequestException as exc:
        raise MemberUnreachable(f"{url}: {exc.__class__.__name__}") from exc


def _read(response, deadline: float, url: str) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if time.monotonic() > deadline:
            raise MemberTimeout(f"{url}: the answer took longer than its time")
        if len(body) > MAX_ANSWER_BYTES:
            raise MemberUnreachable(f"{url}: an answer over {MAX_ANSWER_BYTES} bytes")
    return bytes(body)
