"""HTTP for OAI-PMH: the only place that talks to the network.

sickle sends the requests; this module adds what sickle lacks: an explicit
timeout on every request, retries with exponential backoff and jitter on
connection errors, timeouts, 429 and 5xx, `Retry-After` in seconds or as an
HTTP date (capped), and a retry budget per source.
"""

from __future__ import annotations

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
                return Fetched(response.content, response.status_code, dict(response.headers))
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status not in RETRY_STATUSES:
                    raise TransportError(f"HTTP {status} from {self.client.endpoint}") from exc
                delay = retry_after_seconds(exc.response.headers.get("Retry-After"), self.policy.max_delay)
                reason = f"HTTP {status}"
            except (requests.ConnectionError, requests.Timeout) as exc:
                delay, reason = None, _describe(exc)
            attempt += 1
            self._wait_or_give_up(attempt, delay, reason)

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


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timeout ({type(exc).__name__})"
    return f"connection failed ({type(exc).__name__})"
