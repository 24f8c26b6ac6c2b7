"""HTTP for OAI-PMH: the only place that talks to the network.

sickle sends the requests; this module adds what sickle lacks: an explicit
timeout on every request, retries with exponential backoff and jitter on
connection errors, timeouts, broken bodies, 429 and 5xx, `Retry-After` in
seconds or as an HTTP date (capped), a retry budget per source, and bodies
gzipped without a Content-Encoding read as what they are. Other
HTTP errors are not retried, except that a body which is an OAI-PMH response
is handed on (Zenodo answers `noRecordsMatch` and `badResumptionToken` with
HTTP 422), so the protocol error is what gets reported.
"""

from __future__ import annotations

import gzip
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

import requests
from sickle import Sickle

from harvest.errors import TransportError

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 300.0
# bodies cut short or undecodable: the server or the network failed mid-response
_BROKEN_BODY = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


@dataclass
class RetryPolicy:
    """How hard to try: per-request retries, a budget for the whole source, timeouts."""

    timeout: float = 60.0
    max_retries: int = 5
    budget: int = 50
    backoff: float = 2.0
    max_delay: float = MAX_RETRY_AFTER
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Fetched:
    """A response body with what it cost to get it."""

    content: bytes
    status: int
    headers: dict = field(default_factory=dict)


class Transport:
    """Fetches OAI-PMH responses for one source, counting requests and retries."""

    def __init__(self, url: str, policy: RetryPolicy):
        self.policy = policy
        self.client = Sickle(url, max_retries=0, timeout=(min(10.0, policy.timeout), policy.timeout))
        self.requests = 0
        self.retries = 0

    def fetch(self, **params) -> Fetched:
        """One OAI-PMH request, retried as the policy allows."""
        attempt = 0
        while True:
            self.requests += 1
            try:
                response = self.client.harvest(**params).http_response
                return Fetched(_gunzipped(response.content), response.status_code, dict(response.headers))
            except requests.HTTPError as exc:
                delay, reason = self._http_error(exc.response)
                if reason is None:
                    return Fetched(exc.response.content, exc.response.status_code, dict(exc.response.headers))
            except (requests.ConnectionError, requests.Timeout, *_BROKEN_BODY) as exc:
                delay, reason = None, _describe(exc)
            except requests.RequestException as exc:
                raise TransportError(f"request to {self.client.endpoint} failed: {_describe(exc)}") from exc
            attempt += 1
            self._wait_or_give_up(attempt, delay, reason)

    def _http_error(self, response) -> tuple[float | None, str | None]:
        """(delay, reason) for a retryable status; (None, None) for an OAI-PMH error body; else raise."""
        status = response.status_code if response is not None else 0
        if status in RETRY_STATUSES:
            return retry_after_seconds(response.headers.get("Retry-After"), self.policy.max_delay), f"HTTP {status}"
        if response is not None and _is_oai_body(response.content):
            return None, None
        raise TransportError(f"HTTP {status} from {self.client.endpoint}")

    def retry_later(self, attempt: int, reason: str) -> None:
        """Wait before re-fetching a response that arrived but was unusable."""
        self._wait_or_give_up(attempt, None, reason)

    def _wait_or_give_up(self, attempt: int, delay: float | None, reason: str) -> None:
        if attempt > self.policy.max_retries:
            raise TransportError(f"{reason}; gave up after {attempt} attempts")
        if self.retries >= self.policy.budget:
            raise TransportError(f"{reason}; retry budget of {self.policy.budget} spent")
        self.retries += 1
        self.policy.sleep(delay if delay is not None else self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        base = min(self.policy.max_delay, self.policy.backoff ** attempt)
        return base / 2 + random.uniform(0, base / 2)


def retry_after_seconds(value: str | None, cap: float = MAX_RETRY_AFTER) -> float | None:
    """Seconds to wait from a `Retry-After` header: a number or an HTTP date.

    Garbage gives None (use the backoff); a huge value is capped; a date in
    the past gives 0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, min((when - datetime.now(timezone.utc)).total_seconds(), cap))


def _gunzipped(content: bytes) -> bytes:
    """The body, decompressed if the server gzipped it without saying so (Content-Encoding)."""
    if content[:2] != b"\x1f\x8b":
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError):
        return content          # not gzip after all, or cut short: the parser will say so


def _is_oai_body(content: bytes) -> bool:
    return b"<OAI-PMH" in content[:2048] or b":OAI-PMH" in content[:2048]


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, _BROKEN_BODY):
        return f"response cut short ({type(exc).__name__})"
    return f"connection failed ({type(exc).__name__})"
