"""The Solr engine's HTTP client: the only user of HTTP towards SolrCloud.

It holds a list of node addresses and spreads requests over the nodes that
answer. A node that fails (refused, timed out, 5xx) is skipped for
RETRY_AFTER seconds and then tried again; the live nodes are refreshed from
the Collections API's CLUSTERSTATUS, so nodes added to the cluster are used
too. Any node routes a request to the shards that hold the data, so no
ZooKeeper is needed here. Every call has a timeout; a search asks for
`shards.tolerant=false`, so a shard without a live replica is an error,
never a smaller total. Every failure is a `SolrError` (a `SearchIndexError`,
which the web shows as its 503 page).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import requests

from index.errors import SearchIndexError

log = logging.getLogger(__name__)
RETRY_AFTER = 5.0            # seconds a failed node is left alone before it is tried again
REFRESH_EVERY = 30.0         # seconds between refreshes of the live nodes from CLUSTERSTATUS
_RETRYABLE = (requests.ConnectionError, requests.Timeout)


class SolrError(SearchIndexError):
    """SolrCloud did not answer, or answered with an error; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class SolrClient:
    """Requests to a SolrCloud, spread over its live nodes; thread-safe."""

    def __init__(self, nodes, *, timeout: float = 5.0, credentials: tuple[str, str] | None = None,
                 refresh_every: float = REFRESH_EVERY):
        if not nodes:
            raise SolrError("no Solr node addresses are configured (search.nodes)")
        self.timeout = timeout
        self.refresh_every = refresh_every
        self._configured = [n.rstrip("/") for n in nodes]
        self._nodes = list(self._configured)
        self._down: dict[str, float] = {}
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self._refreshed = 0.0
        self.answered: Counter = Counter()     # node -> requests it answered (for operators and tests)
        self._session = requests.Session()
        self._session.auth = credentials

    def for_another_process(self) -> "SolrClient":
        """A client to the same nodes with connections of its own (a forked process must not share sockets)."""
        return SolrClient(self._configured, timeout=self.timeout, credentials=self._session.auth,
                          refresh_every=self.refresh_every)

    def get(self, path: str, params: dict | None = None, *, timeout: float | None = None) -> dict:
        """GET `path` (relative to a node's /solr) with `params`; the answer's JSON."""
        return self.request("GET", path, params=params, timeout=timeout)

    def post(self, path: str, body=None, params: dict | None = None, *, timeout: float | None = None,
             content_type: str = "application/json") -> dict:
        """POST `body` (JSON-ready, or bytes with `content_type`) to `path`; the answer's JSON."""
        return self.request("POST", path, params=params, body=body, timeout=timeout, content_type=content_type)

    def request(self, method: str, path: str, *, params=None, body=None, timeout: float | None = None,
                content_type: str = "application/json") -> dict:
        """One request, tried on each live node in turn until one answers; `SolrError` when none does."""
        self._maybe_refresh()
        return self._request(method, path, params, body, timeout or self.timeout, content_type)

    def _request(self, method: str, path: str, params, body, timeout: float, content_type: str) -> dict:
        errors = []
        for node in self._candidates():
            try:
                answer = self._send(node, method, path, params, body, timeout, content_type)
            except _NodeFailed as exc:
                self._mark_down(node)
                errors.append(f"{node}: {exc}")
            else:
                self.answered[node] += 1
                return answer
        raise SolrError("no Solr node answered: " + "; ".join(errors) if errors else "no Solr node is known")

    def live_nodes(self) -> list[str]:
        """The node addresses in use now (the configured ones until CLUSTERSTATUS names others)."""
        with self._lock:
            return list(self._nodes)

    def refresh(self) -> None:
        """Learn the live nodes from CLUSTERSTATUS (asked of any node that answers)."""
        self._refreshed = time.monotonic()
        answer = self._request("GET", "admin/collections", {"action": "CLUSTERSTATUS", "wt": "json"}, None,
                               self.timeout, "application/json")
        names = answer.get("cluster", {}).get("live_nodes") or []
        scheme = urlsplit(self._configured[0]).scheme
        found = [address_of(name, scheme) for name in names]
        if found:
            with self._lock:
                self._nodes = sorted(found)

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def _maybe_refresh(self) -> None:
        if time.monotonic() - self._refreshed < self.refresh_every:
            return
        self._refreshed = time.monotonic()      # one refresh at a time; a failure waits for the next period
        try:
            self.refresh()
        except SolrError as exc:
            log.warning("solr: live nodes not refreshed: %s", exc)

    def down_nodes(self) -> set[str]:
        """The nodes skipped now because they failed less than RETRY_AFTER seconds ago."""
        now = time.monotonic()
        with self._lock:
            return {node for node, until in self._down.items() if until > now}

    def _candidates(self) -> list[str]:
        """The nodes to try, in turn: the live ones not failed recently, starting at the next in rotation;
        then, as a last resort, the failed ones and configured addresses the cluster does not list as live."""
        now = time.monotonic()
        with self._lock:
            nodes = list(self._nodes) or list(self._configured)
            start = next(self._turn) % len(nodes)
            rotated = nodes[start:] + nodes[:start]
            up = [n for n in rotated if self._down.get(n, 0) <= now]
            rest = [n for n in rotated if n not in up] + [n for n in self._configured if n not in nodes]
        return up + rest

    def _mark_down(self, node: str) -> None:
        with self._lock:
            self._down[node] = time.monotonic() + RETRY_AFTER
        log.warning("solr: node %s failed; skipped for %.0f s", node, RETRY_AFTER)

    def _send(self, node: str, method: str, path: str, params, body, timeout: float, content_type: str) -> dict:
        kwargs = {"params": params, "timeout": (min(timeout, 3.0), timeout)}
        if body is not None:
            kwargs["data"] = body if isinstance(body, bytes) else _json_bytes(body)
            kwargs["headers"] = {"Content-Type": content_type}
        try:
            response = self._session.request(method, f"{node}/{path.lstrip('/')}", **kwargs)
        except _RETRYABLE as exc:
            raise _NodeFailed(type(exc).__name__) from exc
        except requests.RequestException as exc:
            raise SolrError(f"request to Solr failed: {exc}") from exc
        if response.status_code in (502, 503, 504) or (response.status_code == 404 and "<html" in response.text[:200]):
            raise _NodeFailed(f"HTTP {response.status_code}")
        return _answer(response)


class _NodeFailed(Exception):
    """This node did not answer usefully; another may."""


def address_of(node_name: str, scheme: str = "http") -> str:
    """A node's base URL from its live-node name ("127.0.0.1:8983_solr" -> "http://127.0.0.1:8983/solr")."""
    host, _, context = node_name.partition("_")
    return f"{scheme}://{host}/{context.replace('%2F', '/')}" if context else f"{scheme}://{host}"


def _answer(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400 or not isinstance(data, dict):
        raise SolrError(f"Solr answered HTTP {response.status_code}: {_error_message(data, response)}",
                        response.status_code)
    if data.get("error"):
        raise SolrError(f"Solr answered with an error: {_error_message(data, response)}", 500)
    return data


def _error_message(data, response: requests.Response) -> str:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("msg") or error)[:500]
        if error:
            return str(error)[:500]
        failure = data.get("failure") or data.get("exception")
        if failure:
            return str(failure)[:500]
    return response.text[:300]


def _json_bytes(body) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
