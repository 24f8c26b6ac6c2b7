"""WSGI middleware that injects the faults harvesters meet in the wild.

Faults are data. A :class:`Fault` names what goes wrong, a :class:`Match`
says on which requests, and ``times`` how often::

    injector = FaultInjector(make_app(repository), [
        Fault("status", status=503, retry_after="1", times=2,
              when=Match(verb="ListRecords", nth=2)),
        Fault("truncate", at=300, when=Match(verb="ListRecords", nth=5)),
    ])

Each request fires at most one fault: the first in the plan that matches
and has not been used up. Every request is recorded in
``injector.requests`` with the status actually sent, so tests can count
requests and retries.

Kinds:

``status``        answer ``status`` (403, 429, 500, 502, 503, 504, ...) with an
                  optional ``Retry-After: retry_after`` (sent verbatim: seconds,
                  an HTTP date, a huge number or garbage) and a text body.
``truncate``      cut the body after ``at`` bytes; Content-Length matches the cut
                  (valid HTTP, broken XML) unless ``full_length`` declares the
                  original size, so the connection closes mid-body.
``invalid_xml``   insert ``chars`` (default ``\\x0b``; ``&#x1A;`` also works) into
                  the first MARC field of the page.
``bad_token``     answer with the server's own ``badResumptionToken`` error.
``repeat_token``  give back the token the request carried instead of the next
                  one (only requests with a token match); ``times=None`` loops
                  forever.
``slow``          sleep ``delay`` seconds before sending anything.
``drop``          close the connection without a response (with this package's
                  runner; other servers send a 500 instead).
``latin1``        re-encode the body as ISO-8859-1 while declaring UTF-8.
``empty_page``    send the list with no items and a fresh token that resumes
                  at the page that was withheld.
``gzip_bomb``     answer ``Content-Encoding: gzip`` with ``size`` zero bytes
                  compressed (1 GiB is about 1 MB on the wire), no length.
``endless``       start the real page, then send records without end.
``drip``          send the real page one byte every ``delay`` seconds.
``huge_page``     the real page padded with a comment to ``size`` bytes.
``redirect``      answer ``302`` to ``location`` with the request's query.
"""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import urlencode

from oaiserver import hostile, mangle
from oaiserver.app import MAX_BODY_BYTES, plain_response, request_pairs
from oaiserver.errors import DropConnection

KINDS = ("status", "truncate", "invalid_xml", "bad_token", "repeat_token",
         "slow", "drop", "latin1", "empty_page", "gzip_bomb", "endless", "drip", "huge_page", "redirect")
STREAMED = ("gzip_bomb", "endless", "drip", "huge_page")
INVALID_TOKEN = "injected-invalid-token"


@dataclass
class SeenRequest:
    """One request as the injector saw it, and what it sent back."""

    number: int
    verb_number: int
    verb: str | None
    args: dict[str, str]
    status: int | None = None
    fault: str | None = None


@dataclass(frozen=True)
class Match:
    """Which requests a fault may fire on.

    ``nth`` is the first request it may fire on, counted among requests with
    ``verb`` (or among all requests when ``verb`` is None), starting at 1;
    ``predicate`` is an extra test on the :class:`SeenRequest`.
    """

    verb: str | None = None
    nth: int = 1
    predicate: Callable[[SeenRequest], bool] | None = None

    def matches(self, request: SeenRequest) -> bool:
        """True if *request* is one this match selects."""
        if self.verb is not None and request.verb != self.verb:
            return False
        count = request.verb_number if self.verb is not None else request.number
        return count >= self.nth and (self.predicate is None or self.predicate(request))


@dataclass(frozen=True)
class Fault:
    """One kind of failure, where it fires, how often, and its parameters.

    ``times=None`` fires on every matching request. Only the parameters of
    the fault's ``kind`` are used; see the module documentation.
    """

    kind: str
    when: Match = field(default_factory=Match)
    times: int | None = 1
    status: int = 503
    retry_after: str | None = None
    at: int = 512
    full_length: bool = False
    chars: str = "\x0b"
    delay: float = 1.0
    size: int = 50_000_000
    location: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for always")
        if not 100 <= self.status <= 599 or self.at < 0 or self.delay < 0 or self.size < 0:
            raise ValueError("status must be an HTTP status; at, delay and size not negative")
        if self.kind == "redirect" and not self.location:
            raise ValueError("a redirect needs a location")

    def applies_to(self, request: SeenRequest) -> bool:
        """True if this fault can act on *request* (a repeat needs a token to repeat)."""
        if self.kind == "repeat_token" and "resumptionToken" not in request.args:
            return False
        return self.when.matches(request)


@dataclass
class _Armed:
    """A planned fault and how many more times it may fire (None: always)."""

    fault: Fault
    remaining: int | None

    def fire_on(self, request: SeenRequest) -> bool:
        """Use up one firing if the fault applies to *request*."""
        if self.remaining == 0 or not self.fault.applies_to(request):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


def retry_after_date(seconds: float) -> str:
    """An HTTP date *seconds* from now, for a ``Retry-After`` given as a date."""
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds), usegmt=True)


class FaultInjector:
    """WSGI middleware running *app* and breaking its responses as planned."""

    def __init__(self, app, faults: Iterable[Fault] = ()):
        self.app = app
        self.requests: list[SeenRequest] = []
        self._plan: list[_Armed] = []
        self._aliases: dict[str, dict[str, str]] = {}
        self._verb_counts: dict[str | None, int] = {}
        self._fresh = itertools.count(1)
        self._lock = threading.Lock()
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> Fault:
        """Append *fault* to the plan."""
        with self._lock:
            self._plan.append(_Armed(fault, fault.times))
        return fault

    def clear(self) -> None:
        """Drop every planned fault; the request log is kept."""
        with self._lock:
            self._plan.clear()

    def count(self, verb: str | None = None) -> int:
        """How many requests were seen, with *verb* or in all."""
        with self._lock:
            return sum(1 for seen in self.requests if verb is None or seen.verb == verb)

    def __call__(self, environ, start_response):
        environ = _buffered(environ)
        args = dict(request_pairs(environ))
        environ["wsgi.input"].seek(0)
        with self._lock:
            seen = self._record(args)
            fault = self._take(seen)
            target = self._aliases.get(args.get("resumptionToken", ""))
        if target is not None:
            environ = _with_args(environ, target)
        if fault is None:
            return self._pass_through(environ, start_response, seen)
        seen.fault = fault.kind
        return self._inject(fault, environ, start_response, seen)

    def _record(self, args: dict[str, str]) -> SeenRequest:
        verb = args.get("verb")
        self._verb_counts[verb] = self._verb_counts.get(verb, 0) + 1
        seen = SeenRequest(len(self.requests) + 1, self._verb_counts[verb], verb, args)
        self.requests.append(seen)
        return seen

    def _take(self, seen: SeenRequest) -> Fault | None:
        return next((armed.fault for armed in self._plan if armed.fire_on(seen)), None)

    def _pass_through(self, environ, start_response, seen: SeenRequest):
        def start(status, headers, exc_info=None):
            seen.status = int(status[:3])
            return start_response(status, headers, exc_info)

        return self.app(environ, start)

    def _inject(self, fault: Fault, environ, start_response, seen: SeenRequest):
        if fault.kind == "status":
            seen.status = fault.status
            extra = [("Retry-After", fault.retry_after)] if fault.retry_after is not None else []
            return plain_response(start_response, fault.status, extra)
        if fault.kind == "drop":
            raise DropConnection("fault injected: drop")
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return self._pass_through(environ, start_response, seen)
        if fault.kind == "redirect":
            seen.status = 302
            query = environ.get("QUERY_STRING", "")
            return plain_response(start_response, 302, [("Location", fault.location + (f"?{query}" if query else ""))])
        if fault.kind in STREAMED:
            return self._streamed(fault, environ, start_response, seen)
        if fault.kind == "bad_token":
            invalid = {"verb": seen.verb or "", "resumptionToken": INVALID_TOKEN}
            return self._pass_through(_with_args(environ, invalid), start_response, seen)
        return self._rewritten(fault, environ, start_response, seen)

    def _rewritten(self, fault: Fault, environ, start_response, seen: SeenRequest):
        status, headers, body = _run(self.app, environ)
        damaged = self._damage(fault, body, environ, seen)
        length = len(body) if fault.kind == "truncate" and fault.full_length else len(damaged)
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(length))])
        seen.status = int(status[:3])
        return [damaged]

    def _streamed(self, fault: Fault, environ, start_response, seen: SeenRequest):
        status, headers, body = _run(self.app, environ)
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        seen.status = int(status[:3])
        if fault.kind == "gzip_bomb":
            start_response(status, [*headers, ("Content-Encoding", "gzip")])
            return hostile.gzip_bomb(fault.size)
        if fault.kind == "huge_page":
            start_response(status, [*headers, ("Content-Length", str(max(fault.size, len(body) + 7)))])
            return hostile.padded(body, fault.size)
        start_response(status, headers)
        if fault.kind == "drip":
            return hostile.drip(body, fault.delay)
        return hostile.endless(body[:body.find(b"<record>")] if b"<record>" in body else body)

    def _damage(self, fault: Fault, body: bytes, environ, seen: SeenRequest) -> bytes:
        if fault.kind == "truncate":
            return mangle.truncated(body, fault.at)
        if fault.kind == "invalid_xml":
            return mangle.with_invalid_characters(body, fault.chars)
        if fault.kind == "latin1":
            return mangle.as_latin1(body)
        if fault.kind == "repeat_token":
            return mangle.with_token(body, seen.args["resumptionToken"])
        return mangle.emptied(body, self._alias_for(environ))

    def _alias_for(self, environ) -> str:
        """A fresh token that stands for the request *environ* carries."""
        token = f"fresh-{next(self._fresh)}"
        with self._lock:
            self._aliases[token] = dict(request_pairs(environ))
        return token


def _buffered(environ) -> dict:
    """A copy of *environ* whose body can be read twice."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES)) if length else b""
    return {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}


def _with_args(environ, args: dict[str, str]) -> dict:
    """A copy of *environ* as a GET request carrying exactly *args*."""
    return {**environ, "REQUEST_METHOD": "GET", "QUERY_STRING": urlencode(args),
            "CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO(b"")}


def _run(app, environ) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app and collect its whole response."""
    captured: dict = {}
    chunks: list[bytes] = []

    def start(status, headers, exc_info=None):
        captured.update(status=status, headers=list(headers))
        return chunks.append

    result = app(environ, start)
    try:
        chunks.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return captured["status"], captured["headers"], b"".join(chunks)
