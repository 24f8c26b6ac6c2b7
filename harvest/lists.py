"""Walk an OAI-PMH list (ListRecords or ListIdentifiers) page by page.

Every page is parsed strictly; an unreadable page is fetched again and, when
it stays unreadable, kept aside with its bytes: it is never taken for the end
of the list. `badResumptionToken` lists the window again from its start
(once). Guards stop a server that returns the same token with the same
records, or empty pages without end.
"""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

from harvest.body import KEPT_PREFIX
from harvest.errors import HarvestError, InvalidPage, OAIProtocolError, ResponseTooLarge, TransportError
from harvest.pages import Page, parse_list_page
from harvest.transport import Transport

MAX_SAME_TOKEN = 3          # the same token and the same records again: a loop
MAX_SAME_TOKEN_ANY = 100    # the same token with new records (a stateful server), as RecordManager allows
MAX_EMPTY_PAGES = 50
T = TypeVar("T")


class KeptAside(InvalidPage):
    """An unreadable page, with the start of its bytes (at most `KEPT_PREFIX`), for the caller to keep in quarantine."""

    def __init__(self, message: str, content: bytes, params: dict):
        kept = f"page kept aside (its first {KEPT_PREFIX} of {len(content)} bytes)" if len(content) > KEPT_PREFIX \
            else "page kept aside"
        super().__init__(f"{message} (request {_shown(params)}); {kept}")
        self.content = content[:KEPT_PREFIX]
        self.params = params


def fetch_parsed(transport: Transport, params: dict, parse: Callable[[bytes], T]) -> T:
    """Fetch and parse one response, fetching again while it cannot be read, within the page deadline."""
    attempt = 0
    transport.begin_page()
    while True:
        try:
            content = transport.fetch(**params).content
        except ResponseTooLarge as exc:
            raise KeptAside(str(exc), exc.prefix, params) from exc
        try:
            return parse(content)
        except InvalidPage as exc:
            attempt += 1
            try:
                transport.retry_later(attempt, str(exc))
            except TransportError as spent:
                raise KeptAside(str(spent), content, params) from exc


class Listing:
    """One list of one window; `token` is where it stands after the last page handed out."""

    def __init__(self, transport: Transport, params: dict, token: str | None = None):
        self.transport = transport
        self.params = params            # verb, metadataPrefix, from, set: the start of the window
        self.token = token
        self.notes: list[str] = []
        self._restarted = False
        self._same_token = 0
        self._loops = 0
        self._last_ids: frozenset[str] = frozenset()
        self._empty = 0

    def pages(self) -> Iterator[Page]:
        """Each page of the list; set `token` from it only after the caller has stored it."""
        while True:
            page = self._next_page()
            if page is None or page.no_records:
                return
            self._guard(page)
            yield page
            self.token = page.token
            if not page.token:
                return

    def _next_page(self) -> Page | None:
        request = {"verb": self.params["verb"], "resumptionToken": self.token} if self.token else self.params
        try:
            return fetch_parsed(self.transport, request, parse_list_page)
        except OAIProtocolError as exc:
            if exc.code != "badResumptionToken" or self._restarted or self.token is None:
                raise
        # the token expired or was lost: list the whole window again; storing is idempotent
        self.notes.append("badResumptionToken: the window was listed again from its start")
        self.token, self._restarted = None, True
        return self._next_page()

    def _guard(self, page: Page) -> None:
        ids = frozenset(item.identifier for item in page.items)
        if page.token and page.token == self.token:
            self._same_token += 1
            self._loops = self._loops + 1 if ids == self._last_ids else 0
            if self._loops >= MAX_SAME_TOKEN or self._same_token >= MAX_SAME_TOKEN_ANY:
                raise HarvestError(f"server returned the same resumption token {page.token!r} "
                                   f"{self._same_token + 1} times" + (" with the same records" if self._loops else ""))
        else:
            self._same_token = self._loops = 0
        self._last_ids = ids
        self._empty = self._empty + 1 if not page.items and page.token else 0
        if self._empty > MAX_EMPTY_PAGES:
            raise HarvestError(f"{self._empty} empty pages in a row, each with a new resumption token")


def _shown(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())
