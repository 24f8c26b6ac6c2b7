"""The OAI-PMH WSGI application: HTTP in, oaipmh's ``BatchingServer`` inside.

The oaipmh library does the protocol (argument validation, envelopes,
error codes, stateless resumption tokens); this module adds what it leaves
out: parsing GET and POST requests, rejecting what the library would turn
into an HTTP 500 (unknown verbs such as its private ``GetMetadata``,
forged resumption tokens), enforcing day granularity, echoing ``from`` and
``until`` as sent, and writing day-granularity datestamps as days.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from urllib.parse import parse_qsl
from wsgiref.util import request_uri

from lxml import etree
from oaipmh import error
from oaipmh.datestamp import DatestampError
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import NS_OAIPMH, BatchingServer, decodeResumptionToken

from oaiserver.provider import MarcDataSource, write_marcxml
from oaiserver.repository import Repository

CONTENT_TYPE = "text/xml; charset=utf-8"
VERBS = ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord")
MAX_BODY_BYTES = 64 * 1024
_LIST_TOKEN_KEYS = {"metadataPrefix", "set", "from_", "until", "batch_size"}
_SET_TOKEN_KEYS = {"batch_size"}

logger = logging.getLogger(__name__)


def make_app(repository: Repository, metadata_prefixes: Sequence[str] = ("marc21", "marcxml"),
             batch_size: int = 50) -> OaiApp:
    """Build the WSGI app serving *repository*, *batch_size* items per page."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return OaiApp(repository, metadata_prefixes, batch_size)


class OaiApp:
    """A WSGI application answering OAI-PMH 2.0 requests on every path."""

    def __init__(self, repository: Repository, metadata_prefixes: Sequence[str], batch_size: int):
        self.repository = repository
        self.metadata_prefixes = tuple(metadata_prefixes)
        self.batch_size = batch_size
        self._registry = MetadataRegistry()
        for prefix in self.metadata_prefixes:
            self._registry.registerWriter(prefix, write_marcxml)

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "POST"):
            return plain_response(start_response, 405, [("Allow", "GET, POST")])
        try:
            body = self.respond(request_pairs(environ), self._base_url(environ))
        except Exception:  # noqa: BLE001 - one failed request must not take the server down
            logger.exception("OAI-PMH request failed: %s", environ.get("QUERY_STRING", ""))
            return plain_response(start_response, 500)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return [body]

    def respond(self, pairs: list[tuple[str, str]], base_url: str) -> bytes:
        """Answer one request given as (name, value) pairs; returns the XML body."""
        source = MarcDataSource(self.repository, self.metadata_prefixes, base_url)
        server = BatchingServer(source, self._registry, resumption_batch_size=self.batch_size)
        args = dict(pairs)
        problem = request_problem(pairs, self.repository.day_granularity)
        if problem is not None:
            return server.handleException(args, (type(problem), problem, None))
        body = server.handleRequest(dict(args))
        return tidy_response(body, args, self.repository.day_granularity)

    def _base_url(self, environ) -> str:
        return self.repository.base_url or request_uri(environ, include_query=False)


def request_pairs(environ) -> list[tuple[str, str]]:
    """The request's arguments, from the query string (GET) or the form body (POST)."""
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        query = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES)).decode("utf-8", "replace")
    else:
        query = environ.get("QUERY_STRING", "")
    return parse_qsl(query, keep_blank_values=True)


def request_problem(pairs: list[tuple[str, str]], day_granularity: bool) -> error.ErrorBase | None:
    """Return the OAI error for a request the library would mishandle, if any."""
    names = [name for name, _value in pairs]
    args = dict(pairs)
    if names.count("verb") > 1:
        return error.BadVerbError("The verb argument is repeated.")
    if "verb" in args and args["verb"] not in VERBS:
        return error.BadVerbError(f"Illegal verb: {args['verb']}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return error.BadArgumentError(f"Repeated arguments: {', '.join(repeated)}")
    if day_granularity and any("T" in args.get(name, "") for name in ("from", "until")):
        return error.BadArgumentError("This repository's granularity is YYYY-MM-DD.")
    if "resumptionToken" in args and "verb" in args:
        return token_problem(args["verb"], args["resumptionToken"])
    return None


def token_problem(verb: str, token: str) -> error.ErrorBase | None:
    """Reject a token the library would decode into arguments that crash it."""
    try:
        arguments, cursor = decodeResumptionToken(token)
    except (error.BadResumptionTokenError, DatestampError, ValueError):
        return error.BadResumptionTokenError(f"Invalid resumption token: {token}")
    allowed = _SET_TOKEN_KEYS if verb == "ListSets" else _LIST_TOKEN_KEYS
    malformed = set(arguments) - allowed or cursor < 0
    if malformed or (verb != "ListSets" and "metadataPrefix" not in arguments):
        return error.BadResumptionTokenError(f"Invalid resumption token: {token}")
    return None


def tidy_response(body: bytes, args: dict[str, str], day_granularity: bool) -> bytes:
    """Echo ``from``/``until`` as sent and shorten datestamps to days if needed.

    The library echoes ``from`` and ``until`` as full datetimes (``until``
    becomes ``...T23:59:59Z``) and always writes datestamps with seconds.
    """
    echoed = {name: args[name] for name in ("from", "until") if name in args}
    if not echoed and not day_granularity:
        return body
    root = etree.fromstring(body)
    request = root.find(f"{{{NS_OAIPMH}}}request")
    for name, value in echoed.items():
        if request is not None and name in request.attrib:
            request.set(name, value)
    if day_granularity:
        for stamp in root.iter(f"{{{NS_OAIPMH}}}datestamp", f"{{{NS_OAIPMH}}}earliestDatestamp"):
            stamp.text = stamp.text[:10]
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)


def plain_response(start_response, status: int, headers: list[tuple[str, str]] = ()) -> list[bytes]:
    """Send a short plain-text response for an HTTP-level status."""
    phrase = HTTPStatus(status).phrase
    body = f"{status} {phrase}\n".encode("ascii")
    start_response(f"{status} {phrase}", [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *headers,
    ])
    return [body]
