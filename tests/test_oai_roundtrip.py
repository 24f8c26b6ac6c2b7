"""Round trip: a second unioncat harvests the first one's /oai with its own harvester (both on 127.0.0.1) and
ends with the same editions and holdings; later changes reach it incrementally."""

from __future__ import annotations

import shutil
import time

import pytest
import yaml

from dedup import cluster_views, merge_clusters
from oaiserver.runner import serve_in_thread
from settings import load_config
from store import Store
from tests.conftest import ROOT
from tests.oai_support import SECRET, build, run
from web import create_app


@pytest.fixture
def upstream(tmp_path, store_url):
    """The first unioncat (libris, deichman and the extra files), published and served over HTTP."""
    folder = tmp_path / "first"
    folder.mkdir()
    config = build(folder, store_url, sources=("libris", "deichman"))
    server = serve_in_thread(create_app(config))
    yield config, server
    server.stop()


def downstream(tmp_path, url: str):
    """A second unioncat whose only source is the first one's /oai, with unioncat's 852 read back."""
    folder = tmp_path / "second"
    folder.mkdir()
    data = {"store": "var/store.sqlite", "index": "var/index", "reports": "var/reports",
            "web": {"secret_key": SECRET},
            "sources": [{"code": "up", "name": "Upstream unioncat", "type": "oai", "url": url,
                         "metadata_prefix": "marc21_includehold",
                         "holdings": {"tag": "852", "member": "a", "library": "b", "location": "c", "call_number": "h"}}]}
    (folder / "config.yaml").write_text(yaml.safe_dump(data))
    config = load_config(folder / "config.yaml")
    run(config, "migrate")
    return config


def editions(config) -> dict[str, frozenset]:
    """cluster id -> its (member, library code) holdings; for the second unioncat keyed by the first one's id."""
    with Store(config.store_url) as store:
        ids = sorted(store.alive_cluster_ids())
        views = cluster_views(store, ids)
    out = {}
    for cid, view in views.items():
        key = view.members[0].local_id if config.sources[0].code == "up" else cid
        assert key not in out, f"two editions downstream for {key}"
        out[key] = frozenset((h.source, h.library) for h in view.holdings)
    return out


def test_a_second_unioncat_harvests_the_first_and_follows_its_changes(upstream, tmp_path):
    first, server = upstream
    second = downstream(tmp_path, server.url)
    # datestamps are to the second and `from` is inclusive: a harvest in the second of the first's publication
    # would (rightly) list it all again next time
    time.sleep(1.1)
    run(second, "harvest")
    run(second, "dedup")
    before = editions(first)
    assert editions(second) == before
    assert any(len({member for member, _library in holdings}) > 1 for holdings in before.values()), \
        "the round trip includes an edition held by several members"

    extra = first.path.parent / "extra"
    shutil.copy(ROOT / "tests" / "data" / "alma_ava_9979201969103681.xml", extra)      # a new record
    (extra / "xss_title_and_javascript_856.xml").unlink()                               # a deletion
    run(first, "harvest", "--force")
    run(first, "dedup")
    run(first, "oai", "update")
    with Store(first.store_url) as store:
        libris = next(cid for cid, members in store.export_clusters() if {s for s, _ in members} == {"libris"})
        deichman = next(cid for cid, members in store.export_clusters() if {s for s, _ in members} == {"deichman"})
        merge_clusters(store, libris, deichman, "test", "a merge", override=True)                     # a merge
    run(first, "oai", "update")
    after = editions(first)
    assert after != before and (libris not in after or deichman not in after)

    output = run(second, "harvest")
    run(second, "dedup")
    assert editions(second) == after
    summary = next(line for line in output.splitlines() if line.startswith("up: ok"))
    print(summary)
    assert "0 unchanged" in summary and "0 deleted" not in summary and "0 new" not in summary, output
