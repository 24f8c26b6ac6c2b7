"""Setting SolrCloud up for unioncat: the configset, collections and the alias, through Solr's own APIs.

Patrons and the writer always use the alias (`search.collection`); the
collections behind it are versions named `<alias>_<configset>_<time>`. The
configset kept in the project (`configset/conf`) is uploaded under a name
carrying a hash of its files, so a changed schema is a new configset and a
new collection filled by a rebuild, then an alias switch: never a live
schema edit. The writer's position in the store's change log is a property
of the alias, set after each commit.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from index.solr.client import SolrClient, SolrError

log = logging.getLogger(__name__)
CONFIGSET_DIR = Path(__file__).parent / "configset" / "conf"
POSITION_PROPERTY = "unioncat.position"
ADMIN_TIMEOUT = 180.0        # creating or deleting a collection waits for every replica


@dataclass
class SetupReport:
    """What `unioncat solr setup` found and did."""

    configset: str
    collection: str
    created: bool = False
    rebuild_needed: bool = False

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)


def configset_name() -> str:
    """The configset's name in the cluster: "unioncat-" and a hash of its files."""
    digest = hashlib.sha256()
    for path in sorted(CONFIGSET_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(CONFIGSET_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return f"unioncat-{digest.hexdigest()[:10]}"


def upload_configset(client: SolrClient) -> str:
    """Upload the project's configset unless the cluster has it already; its name."""
    name = configset_name()
    known = client.get("admin/configs", {"action": "LIST", "wt": "json"}).get("configSets", [])
    if name not in known:
        client.post("admin/configs", _zipped(CONFIGSET_DIR), {"action": "UPLOAD", "name": name, "wt": "json"},
                    content_type="application/octet-stream", timeout=ADMIN_TIMEOUT)
        log.info("solr: configset %s uploaded", name)
    return name


def aliases(client: SolrClient) -> tuple[dict[str, str], dict[str, dict]]:
    """The cluster's aliases (alias -> collection) and their properties."""
    answer = client.get("admin/collections", {"action": "LISTALIASES", "wt": "json"})
    return answer.get("aliases", {}), answer.get("properties", {})


def aliased_collection(client: SolrClient, alias: str) -> str | None:
    """The collection `alias` points to, or None."""
    return aliases(client)[0].get(alias)


def collections(client: SolrClient) -> list[str]:
    """The names of the cluster's collections."""
    return client.get("admin/collections", {"action": "LIST", "wt": "json"}).get("collections", [])


def create_collection(client: SolrClient, alias: str, configset: str, shards: int, replicas: int) -> str:
    """A new, empty collection for `alias` with the configset; no two replicas of one shard on one node."""
    name = f"{alias}_{configset.rsplit('-', 1)[-1]}_{time.strftime('%Y%m%d%H%M%S')}{int(time.time() * 1000) % 1000:03d}"
    client.get("admin/collections", {"action": "CREATE", "name": name, "collection.configName": configset,
                                     "numShards": shards, "replicationFactor": replicas, "wt": "json"},
               timeout=ADMIN_TIMEOUT)
    return name


def switch_alias(client: SolrClient, alias: str, collection: str, position: int | None) -> None:
    """Point `alias` at `collection` and record the writer's `position` with it."""
    client.get("admin/collections", {"action": "CREATEALIAS", "name": alias, "collections": collection, "wt": "json"},
               timeout=ADMIN_TIMEOUT)
    if position is not None:
        save_position(client, alias, position)


def load_position(client: SolrClient, alias: str) -> int | None:
    """The change-log position the alias's collection holds every change up to, or None."""
    value = aliases(client)[1].get(alias, {}).get(POSITION_PROPERTY)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def save_position(client: SolrClient, alias: str, position: int) -> None:
    """Record `position` on the alias (after the collection's commit)."""
    client.get("admin/collections", {"action": "ALIASPROP", "name": alias,
                                     f"property.{POSITION_PROPERTY}": str(position), "wt": "json"})


def add_replicas(client: SolrClient, collection: str, replicas: int) -> None:
    """Give each shard of `collection` `replicas` replicas in all (a rebuild fills one per shard first)."""
    for shard, count in replica_counts(client, collection).items():
        for _ in range(replicas - count):
            client.get("admin/collections", {"action": "ADDREPLICA", "collection": collection, "shard": shard,
                                             "wt": "json"}, timeout=ADMIN_TIMEOUT)


def replica_counts(client: SolrClient, collection: str) -> dict[str, int]:
    """Shard name -> number of replicas of `collection`."""
    return {name: len(shard.get("replicas", {})) for name, shard in shard_states(client, collection).items()}


def shard_states(client: SolrClient, collection: str) -> dict[str, dict]:
    """CLUSTERSTATUS's shards of `collection`: name -> {"replicas": {...}, ...}."""
    answer = client.get("admin/collections", {"action": "CLUSTERSTATUS", "collection": collection, "wt": "json"})
    state = answer.get("cluster", {}).get("collections", {}).get(collection)
    if state is None:
        raise SolrError(f"Solr has no collection {collection}")
    return state.get("shards", {})


def wait_active(client: SolrClient, collection: str, timeout: float = ADMIN_TIMEOUT) -> None:
    """Wait until every replica of `collection` is active on a live node."""
    end = time.monotonic() + timeout
    while True:
        answer = client.get("admin/collections", {"action": "CLUSTERSTATUS", "collection": collection, "wt": "json"})
        cluster = answer.get("cluster", {})
        live = set(cluster.get("live_nodes", []))
        shards = cluster.get("collections", {}).get(collection, {}).get("shards", {})
        replicas = [r for s in shards.values() for r in s.get("replicas", {}).values()]
        if replicas and all(r.get("state") == "active" and r.get("node_name") in live for r in replicas):
            return
        if time.monotonic() > end:
            raise SolrError(f"the replicas of {collection} did not become active within {timeout:.0f} s")
        time.sleep(0.5)


def delete_collection(client: SolrClient, collection: str) -> None:
    """Delete `collection` (one no alias points to any more)."""
    client.get("admin/collections", {"action": "DELETE", "name": collection, "wt": "json"}, timeout=ADMIN_TIMEOUT)


def setup(client: SolrClient, alias: str, shards: int, replicas: int) -> SetupReport:
    """Upload the configset and give `alias` a collection if it has none; safe to run again.

    When the alias's collection uses an older configset, nothing is changed
    under the patrons: the report says a rebuild is needed, and the rebuild
    builds a new collection with the new configset and switches the alias.
    """
    configset = upload_configset(client)
    current = aliased_collection(client, alias)
    if current is not None:
        return SetupReport(configset, current, rebuild_needed=not _uses(current, configset))
    collection = create_collection(client, alias, configset, shards, replicas)
    wait_active(client, collection)
    switch_alias(client, alias, collection, None)
    return SetupReport(configset, collection, created=True)


def uses_current_configset(collection: str) -> bool:
    """Whether `collection` was created with the project's configset as it is now."""
    return _uses(collection, configset_name())


def _uses(collection: str, configset: str) -> bool:
    return f"_{configset.rsplit('-', 1)[-1]}_" in collection


def _zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
