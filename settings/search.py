"""The `search:` section: which search engine serves the catalogue, and how to reach it.

    search: {engine: whoosh}                     # the default: the index folder of `index:`
    search:
      engine: solr
      nodes: [http://solr1:8983/solr, http://solr2:8983/solr]
      collection: unioncat
      shards: 2                                  # for `unioncat solr setup` and rebuilds
      replicas: 2
      timeout: 5                                 # seconds for every request to a node

Solr credentials are never kept in the file: they are read from the
environment variables USERNAME_ENV and PASSWORD_ENV when the engine starts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from settings.errors import ConfigError
from settings.table import default, setting, value

ENGINES = setting("search.engine").choices
USERNAME_ENV = "UNIONCAT_SOLR_USERNAME"
PASSWORD_ENV = "UNIONCAT_SOLR_PASSWORD"
COLLECTION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_KEYS = {"whoosh": {"engine"}, "solr": {"engine", "nodes", "collection", "shards", "replicas", "timeout"}}


@dataclass(frozen=True)
class SearchSettings:
    """The search engine and, for Solr, the cluster's nodes and collection."""

    engine: str = default("search.engine")
    nodes: tuple[str, ...] = ()        # (solr) base URLs of the nodes, ending in /solr
    collection: str = default("search.collection")   # (solr) the alias searched and fed; collections behind it
    shards: int = default("search.shards")
    replicas: int = default("search.replicas")
    timeout: float = default("search.timeout")       # (solr) seconds for one request to one node

    def credentials(self) -> tuple[str, str] | None:
        """(user, password) for Solr's basic authentication from the environment, or None when unset."""
        user, password = os.environ.get(USERNAME_ENV, ""), os.environ.get(PASSWORD_ENV, "")
        return (user, password) if user else None


def parse_search(item) -> SearchSettings:
    """The `search:` mapping as settings; `ConfigError` naming the key that is wrong."""
    if item is None:
        return SearchSettings()
    if not isinstance(item, dict):
        raise ConfigError("search: expected a mapping such as {engine: whoosh} or {engine: solr, nodes: [...], ...}")
    engine = value(item, "search.engine")
    if engine not in ENGINES:
        raise ConfigError(f"search.engine: {engine!r} is not one of {', '.join(ENGINES)}")
    unknown = set(item) - _KEYS[engine]
    if unknown:
        raise ConfigError(f"search: unknown keys {sorted(unknown)} for the {engine} engine;"
                          f" expected {', '.join(sorted(_KEYS[engine]))}")
    if engine == "whoosh":
        return SearchSettings()
    return SearchSettings(
        engine="solr",
        nodes=_nodes(item.get("nodes")),
        collection=_collection(value(item, "search.collection")),
        shards=_count(value(item, "search.shards"), "shards"),
        replicas=_count(value(item, "search.replicas"), "replicas"),
        timeout=_timeout(value(item, "search.timeout")),
    )


def _nodes(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError("search.nodes: expected a list of Solr node addresses such as http://solr1:8983/solr")
    nodes = []
    for node in value:
        parts = urlsplit(str(node))
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError(f"search.nodes: {node!r} is not an http(s) address such as http://solr1:8983/solr")
        if parts.username or parts.password:
            raise ConfigError(f"search.nodes: {parts.hostname} carries credentials; set {USERNAME_ENV} and"
                              f" {PASSWORD_ENV} in the environment instead")
        nodes.append(str(node).rstrip("/"))
    return tuple(dict.fromkeys(nodes))


def _collection(value) -> str:
    if not isinstance(value, str) or not COLLECTION_PATTERN.match(value):
        raise ConfigError(f"search.collection: {value!r} must be letters, digits, '.', '_' or '-' (at most 100)")
    return value


def _count(value, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ConfigError(f"search.{key}: expected a whole number from 1 to 1000, not {value!r}")
    return value


def _timeout(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise ConfigError(f"search.timeout: expected seconds above 0 (at most 600), not {value!r}")
    return float(value)
