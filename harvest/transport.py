"""HTTP for OAI-PMH: the only place that talks to the network.

Requests go out through one `requests` session per source; this module adds
what a harvester needs around it: an explicit timeout on every request,
retries with exponential backoff and jitter on connection errors, timeouts,
broken bodies, 429 and 5xx, `Retry-After` in seconds or as an HTTP date
(capped), and a retry budget per source. Other HTTP errors are not retried,
except that a body which is an OAI-PMH response is handed on (Zenodo answers
`noRecordsMatch` and `badResumptionToken` with HTTP 422), so the protocol
error is what gets reported.

Nothing a server sends is unbounded: a body is read within the maximum
response size, counted on the wire and after decompression (`harvest.body`);
a request has a wall-clock deadline for its whole response, enforced by
shutting its socket, so a server sending one byte a second is cut at the
deadline, not at the per-read timeout; a page has a deadline covering its
retries. Redirects are followed by hand, only within the source's own origin
(scheme, host, port) unless the source allows any, and each one followed is
noted for the run report.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from harvest.body import read_bounded
from harvest.diagnosis import BROKEN_BODY, HTTP_ADVICE, describe, html_title, is_html, unreachable
from harvest.errors import DeadlineExceeded, PermanentError, RedirectRefused, TransportError

RETRY_STATUSES = {429, 500, 502, 503, 504}
UNREACHABLE_RETRIES = 1      # an unknown host or a refused connection: one more try, then the source stops
UNREACHABLE_WAIT = 1.0       # seconds before that try
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 300.0
MAX_RESPONSE_BYTES = 100 * 1024 * 1024
REDIRECT_POLICIES = ("origin", "any")
_CHUNK = 64 * 1024
_BROKEN_BODY = BROKEN_BODY


@dataclass
class RetryPolicy:
    """How hard to try and how much to take: retries, a budget for the whole source, timeouts and limits."""

    timeout: float = 60.0
    max_retries: int = 5
    budget: int = 50
    backoff: float = 2.0
    max_delay: float = MAX_RETRY_AFTER
    sleep: Callable[[float], None] = time.sleep
    max_response_bytes: int = MAX_RESPONSE_BYTES
    request_deadline: float = 300.0     # seconds for one whole response, redirects included
    page_deadline: float = 900.0        # seconds for one page, its retries and waits included
    follow_redirects: str = "origin"    # origin: same scheme, host and port only; any


@dataclass
class Fetched:
    """A response body with what it cost to get it."""

    content: bytes
    status: int
    headers: dict = field(default_factory=dict)


class Transport:
    """Fetches OAI-PMH responses for one source, counting requests, retries and redirects."""

    def __init__(self, url: str, policy: RetryPolicy):
        self.policy = policy
        self.endpoint = url
        self.session = _session()
        self.requests = 0
        self.retries = 0
        self.redirects: Counter[tuple[str, str]] = Counter()
        self._page_ends: float | None = None

    @property
    def notes(self) -> list[str]:
        """Every redirect followed, for the run report."""
        return [f"redirect followed{f' {n} times' if n > 1 else ''}: {old} -> {new}"
                for (old, new), n in self.redirects.items()]

    def close(self) -> None:
        """Close the connections kept open between pages."""
        self.session.close()

    def begin_page(self) -> None:
        """Start the deadline of a page: its requests, retries and waits from now on."""
        self._page_ends = time.monotonic() + self.policy.page_deadline

    def fetch(self, **params) -> Fetched:
        """One OAI-PMH request, retried as the policy allows."""
        if self._page_ends is None:
            self.begin_page()
        attempt = 0
        while True:
            self.requests += 1
            try:
                fetched = self._get(params)
                if fetched.status < 400:
                    return self._xml_or_refuse(fetched)
                delay, reason = self._http_error(fetched)
                if reason is None:
                    return fetched
            except _PastDeadline as exc:
                if exc.ends_page:
                    raise DeadlineExceeded(f"{exc} (request to {self.endpoint})") from exc
                delay, reason = None, str(exc)
            except (requests.ConnectionError, requests.Timeout, *_BROKEN_BODY, OSError) as exc:
                delay, reason = self._unreachable_or_retry(exc, attempt)
            except requests.RequestException as exc:
                raise TransportError(f"request to {self.endpoint} failed: {describe(exc)}") from exc
            attempt += 1
            self._wait_or_give_up(attempt, delay, reason)

    def _unreachable_or_retry(self, exc: Exception, attempt: int) -> tuple[float | None, str]:
        """(delay, reason) to retry a connection error; `PermanentError` for a host that is not there.

        An unknown host or a refused connection gets one more try after a short wait (a server
        restarting), not the whole retry budget: nothing listens, and waiting minutes will not change it.
        """
        cause = unreachable(exc)
        if cause is None:
            return None, describe(exc)
        if attempt >= UNREACHABLE_RETRIES:
            raise PermanentError(f"cannot connect to {self.endpoint}: {cause}; check the source's url, or whether "
                                 "the member's server is up") from exc
        return UNREACHABLE_WAIT, cause

    def _xml_or_refuse(self, fetched: Fetched) -> Fetched:
        """The response, unless it is an HTML page (a login page, a portal, an error page): never OAI-PMH."""
        if is_html(str(fetched.headers.get("Content-Type", "")), fetched.content):
            title = html_title(fetched.content)
            raise PermanentError(f"{self.endpoint} answered with an HTML page{f' ({title!r})' if title else ''}, "
                                 "not OAI-PMH XML: check the source's url (it should be the OAI-PMH base URL, "
                                 "often ending in /oai)")
        return fetched

    def _http_error(self, fetched: Fetched) -> tuple[float | None, str | None]:
        """(delay, reason) for a retryable status; (None, None) for an OAI-PMH error body; else raise."""
        if fetched.status in RETRY_STATUSES:
            delay = retry_after_seconds(fetched.headers.get("Retry-After"), self.policy.max_delay)
            return delay, f"HTTP {fetched.status}"
        if _is_oai_body(fetched.content):
            return None, None
        advice = HTTP_ADVICE.get(fetched.status)
        if advice:
            raise PermanentError(f"HTTP {fetched.status} from {self.endpoint}: {advice}")
        raise TransportError(f"HTTP {fetched.status} from {self.endpoint}")

    def _get(self, params: dict) -> Fetched:
        """One response, following redirects the policy allows, all within the request deadline."""
        ends = min(time.monotonic() + self.policy.request_deadline, self._page_ends)
        url, query = self.endpoint, params
        for _hop in range(MAX_REDIRECTS + 1):
            with _Watch(ends, *self._deadline_reason(ends)) as watch:
                response = watch.guard(lambda: self.session.get(url, params=query, stream=True, allow_redirects=False,
                                                                timeout=self._timeouts(ends)))
                try:
                    target = self._redirect_target(response)
                    if target is None:
                        content = watch.guard(lambda: read_bounded(
                            response.raw.stream(_CHUNK, decode_content=False),
                            response.headers.get("Content-Encoding"), self.policy.max_response_bytes))
                        response.raw.release_conn()      # read to its end: the connection can serve the next page
                        return Fetched(content, response.status_code, CaseInsensitiveDict(response.headers))
                finally:
                    response.close()
            self.redirects[(_shown_url(response.url), _shown_url(target))] += 1
            url, query = target, None
        raise TransportError(f"more than {MAX_REDIRECTS} redirects from {self.endpoint}")

    def _redirect_target(self, response: requests.Response) -> str | None:
        """Where a redirect leads, if it may be followed; None when the response is not a redirect."""
        location = response.headers.get("Location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return None
        target = urljoin(response.url, location)
        if self.policy.follow_redirects != "any" and _origin(target) != _origin(self.endpoint):
            raise RedirectRefused(f"redirected to another origin ({_shown_url(target)}, from "
                                  f"{_shown_url(response.url)}); not followed, as follow_redirects is "
                                  f"{self.policy.follow_redirects!r}")
        return target

    def _timeouts(self, ends: float) -> tuple[float, float]:
        remaining = max(0.001, ends - time.monotonic())
        read = min(self.policy.timeout, remaining)
        return min(10.0, read), read

    def _deadline_reason(self, ends: float) -> tuple[str, bool]:
        """What to say when the request is cut at `ends`, and whether that ends the page."""
        if ends >= self._page_ends:
            return f"page deadline of {self.policy.page_deadline:g}s passed", True
        return f"request deadline of {self.policy.request_deadline:g}s passed", False

    def retry_later(self, attempt: int, reason: str) -> None:
        """Wait before re-fetching a response that arrived but was unusable."""
        self._wait_or_give_up(attempt, None, reason)

    def _wait_or_give_up(self, attempt: int, delay: float | None, reason: str) -> None:
        if attempt > self.policy.max_retries:
            raise TransportError(f"{reason}; gave up after {attempt} attempts")
        if self.retries >= self.policy.budget:
            raise TransportError(f"{reason}; retry budget of {self.policy.budget} spent")
        delay = delay if delay is not None else self._backoff(attempt)
        if self._page_ends is not None and time.monotonic() + delay >= self._page_ends:
            raise DeadlineExceeded(f"{reason}; no time left to retry before the page deadline of "
                                   f"{self.policy.page_deadline:g}s ({attempt} attempts)")
        self.retries += 1
        self.policy.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        base = min(self.policy.max_delay, self.policy.backoff ** attempt)
        return base / 2 + random.uniform(0, base / 2)


class _PastDeadline(Exception):
    """A request cut at its deadline: retried while the page deadline allows, unless it was the page's."""

    def __init__(self, reason: str, ends_page: bool):
        super().__init__(reason)
        self.ends_page = ends_page


class _Watch:
    """Shuts the socket of the request under way when its deadline passes.

    A per-read timeout cannot stop a server that sends a byte now and then;
    shutting the socket from a timer thread ends any read at once, wherever
    it is blocked (headers or body).
    """

    _current = threading.local()

    def __init__(self, ends: float, reason: str, ends_page: bool):
        self.reason, self.ends_page = reason, ends_page
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, ends - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        _Watch._current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        _Watch._current.watch = None

    def guard(self, step: Callable):
        """Run `step`; an error caused by the deadline is reported as the deadline."""
        if self.fired:
            raise _PastDeadline(self.reason, self.ends_page)
        try:
            result = step()
        except (requests.RequestException, *_BROKEN_BODY, OSError) as exc:
            if self.fired:
                raise _PastDeadline(self.reason, self.ends_page) from exc
            raise
        if self.fired:           # a body without a length ends where the socket was shut: cut, not complete
            raise _PastDeadline(self.reason, self.ends_page)
        return result

    @classmethod
    def attach(cls, sock: socket.socket | None) -> None:
        """Called by the connection once a request is sent on `sock`."""
        watch = getattr(cls._current, "watch", None)
        if watch is not None and sock is not None:
            with watch._lock:
                watch._sock = sock
                fired = watch.fired
            if fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._sock
        if sock is not None:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass                     # already closed


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args, **kwargs):
        super().request(*args, **kwargs)
        _Watch.attach(self.sock)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args, **kwargs):
        super().request(*args, **kwargs)
        _Watch.attach(self.sock)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections that report their socket to the request's deadline watch."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    adapter = _WatchedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _shown_url(url: str) -> str:
    """A URL without its query (resumption tokens would make every note different)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


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


def _is_oai_body(content: bytes) -> bool:
    return b"<OAI-PMH" in content[:2048] or b":OAI-PMH" in content[:2048]
