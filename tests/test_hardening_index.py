"""Issue 12, findings 1 and 2: an index that is never half there.

A real store of real records, indexed by `unioncat index` run as a real
subprocess and killed with SIGKILL at chosen points of a rebuild (the writer's
`UNIONCAT_INDEX_FAULT` hook, and after half its CPU time, wherever the
rebuild happens to be); the real Flask app searching while a rebuild runs in
another process.
"""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
import index.feed as feed
from dedup import merge_clusters
from index import SearchRequest
from index.searcher import Searcher
from index.writer import update_index
from index.storage import open_index
from settings import load_config
from store import Store
from tests.conftest import shared
from web import create_app

RUN = [sys.executable, "-c", "from cli import main; main()"]
ROOT = Path(__file__).parents[1]
FILES = {"lul": "evergreen/lul_fre_500.mrc"}
_BUILT: dict = {}


def unioncat(folder: Path, *args: str, fault: str = "") -> subprocess.CompletedProcess:
    """`unioncat ARGS` in a subprocess, optionally killing itself at a fault point of a rebuild."""
    return subprocess.run([*RUN, "--config", str(folder / "config.yaml"), *args], cwd=ROOT, env=env(fault),
                          capture_output=True, text=True, timeout=600)


def env(fault: str = "") -> dict:
    return {"PATH": "/usr/bin:/bin", "UNIONCAT_INDEX_FAULT": fault}


def killed_after_cpu(folder: Path, seconds: float, *args: str) -> int:
    """Run `unioncat ARGS` and SIGKILL it once it has used `seconds` of CPU time; its return code."""
    process = subprocess.Popen([*RUN, "--config", str(folder / "config.yaml"), *args], cwd=ROOT, env=env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tick = os.sysconf("SC_CLK_TCK")
    try:
        while process.poll() is None:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            if (int(fields[11]) + int(fields[12])) / tick >= seconds:   # utime + stime
                process.send_signal(signal.SIGKILL)
            time.sleep(0.005)
    except FileNotFoundError:   # it ended between poll() and the read
        pass
    return process.wait()


def live_folder(index_dir: Path) -> Path:
    """The live index as the README describes the layout: the generation `CURRENT` names, else the folder itself."""
    pointer = index_dir / "CURRENT"
    return index_dir / pointer.read_text().strip() if pointer.exists() else index_dir


def generations(index_dir: Path) -> list[Path]:
    return sorted(index_dir.glob("gen-*"))


def searchable(folder: Path) -> tuple[set[str], int]:
    """The ids of the clusters in the live index, and the total a patron's empty search reports."""
    index_dir = load_config(folder / "config.yaml").index_dir
    with open_index(live_folder(index_dir)).searcher() as searcher:
        ids = {fields["id"] for fields in searcher.all_stored_fields()}
    return ids, Searcher(index_dir).search(SearchRequest(q="")).total


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """About 500 clusters from a real catalogue (Lund University's French records), harvested, deduplicated and indexed by a clean run."""
    if "folder" not in _BUILT:
        folder = tmp_path_factory.mktemp("catalogue")
        sources = [{"code": code, "name": code, "type": "file", "path": str(shared(path))} for code, path in FILES.items()]
        (folder / "config.yaml").write_text(yaml.safe_dump(    # no rate limit: the poller searches hundreds of times
            {"store": "var/store.sqlite", "index": "var/index", "lock_file": "var/nightly.lock", "sources": sources,
             "web": {"rate_limit": "off"}}))
        for step in ("migrate", "harvest", "dedup"):
            done = CliRunner().invoke(main, ["--config", str(folder / "config.yaml"), step])
            assert done.exit_code in (0, 1), done.output    # harvest names a record without 001
        started = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = unioncat(folder, "index")
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr
        ids, total = searchable(folder)
        assert len(ids) == total > 400
        _BUILT.update(folder=folder, clean=(ids, total),
                      build_cpu=used.ru_utime + used.ru_stime - started.ru_utime - started.ru_stime)
    return _BUILT


@pytest.fixture
def catalogue(built, tmp_path):
    """A fresh copy of the built catalogue: its store and its live index."""
    shutil.copytree(built["folder"], tmp_path / "catalogue")
    return tmp_path / "catalogue"


def index_dir(folder: Path) -> Path:
    return load_config(folder / "config.yaml").index_dir


@pytest.mark.parametrize("point", ["documents:300", "committed", "saved", "switched"])
def test_finding_01_a_rebuild_killed_at_any_point_leaves_the_index_serving_and_the_next_run_finishes_it(
        catalogue, built, point):
    before = live_folder(index_dir(catalogue))
    killed = unioncat(catalogue, "index", "--rebuild", fault=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert searchable(catalogue) == built["clean"]          # the previous (or the switched) index serves
    finished = unioncat(catalogue, "index")
    assert finished.returncode == 0, finished.stderr
    total = built["clean"][1]
    redone = total if point in ("documents:300", "committed") else 0    # an unfinished rebuild is done again
    assert f"index: {redone} clusters indexed, 0 removed, {total} in the index" in finished.stdout
    assert live_folder(index_dir(catalogue)) != before
    assert searchable(catalogue) == built["clean"]
    assert len(generations(index_dir(catalogue))) <= 2      # the live one and at most the one before


def test_finding_01_an_index_from_before_generations_survives_a_rebuild_killed_midway(catalogue, built):
    # the layout of earlier versions: Whoosh's files and state.json directly in the index folder
    folder = index_dir(catalogue)
    if (folder / "CURRENT").exists():
        for path in live_folder(folder).iterdir():
            path.rename(folder / path.name)
        for generation in generations(folder):
            shutil.rmtree(generation)
        (folder / "CURRENT").unlink()
    assert searchable(catalogue) == built["clean"]
    # killed wherever half its CPU time falls: a kill at any point must come to the same
    assert killed_after_cpu(catalogue, built["build_cpu"] / 2, "index", "--rebuild") == -signal.SIGKILL
    assert searchable(catalogue) == built["clean"]
    finished = unioncat(catalogue, "index")
    assert finished.returncode == 0, finished.stderr
    assert searchable(catalogue) == built["clean"]
    assert live_folder(folder) != folder                    # replaced by a generation


def test_finding_01_a_second_writer_is_refused_by_name_while_one_holds_the_index(catalogue, built):
    with open(index_dir(catalogue) / "WRITELOCK", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)     # as a running rebuild holds it
        refused = unioncat(catalogue, "index", "--rebuild")
    assert refused.returncode == 1 and "being written by another process" in refused.stderr, refused.stderr
    assert searchable(catalogue) == built["clean"]


def test_finding_01_a_rebuild_saves_the_position_it_started_from_so_changes_made_meanwhile_come_next(
        tmp_path, monkeypatch):
    for code, relative in (("alpha", "libris/batchimport/batch2.xml"),
                           ("gamma", "trln-marc-to-argot/duke/record_with_holding.xml")):
        (tmp_path / code).mkdir()
        shutil.copy(shared(relative), tmp_path / code / "records.xml")
    sources = [{"code": code, "name": code, "type": "file", "path": f"{code}/*.xml"} for code in ("alpha", "gamma")]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"store": "store.sqlite", "index": "index", "sources": sources}))
    assert CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "nightly"]).exit_code == 0
    config = load_config(tmp_path / "config.yaml")
    read_views, seen = feed.cluster_views, []

    def merge_once_all_are_read(store, cluster_ids):
        views = read_views(store, cluster_ids)
        seen.extend(cluster_ids)
        if len(seen) == len(store.cluster_ids()):    # a librarian merges two clusters the rebuild has read
            gamma = next(r.public_id for r in store.records(source="gamma"))
            merge_clusters(store, "alpha:20203738", gamma, "anna", "", several_per_cluster=False)
        return views

    with Store(config.store_url) as store:
        monkeypatch.setattr(feed, "cluster_views", merge_once_all_are_read)   # the rebuild reads in batches
        update_index(store, config.index_dir, {}, rebuild=True)
        monkeypatch.undo()
        assert update_index(store, config.index_dir, {}).removed == 1
        assert searchable(tmp_path)[0] == set(store.cluster_ids())


def test_finding_02_searches_throughout_a_rebuild_see_no_error_and_no_changed_total(catalogue, built):
    client = create_app(load_config(catalogue / "config.yaml")).test_client()
    before = live_folder(index_dir(catalogue))
    rebuild = subprocess.Popen([*RUN, "--config", str(catalogue / "config.yaml"), "index", "--rebuild"], cwd=ROOT,
                               env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    answers = []
    try:
        while rebuild.poll() is None:
            answers.append(poll(client))
        answers += [poll(client) for _ in range(3)]
    finally:
        rebuild.kill()
        output = rebuild.communicate()[0]
    assert rebuild.returncode == 0, output
    assert len(answers) > 10
    assert {answer for answer in answers} == {(200, built["clean"][1])}
    assert live_folder(index_dir(catalogue)) != before
    serving = client.application.extensions["unioncat"]["engine"].searcher.snapshot()
    assert getattr(serving, "folder", None) == live_folder(index_dir(catalogue))   # picked up without a restart


def poll(client) -> tuple[int, int | None]:
    response = client.get("/api/search?q=")
    time.sleep(0.02)
    return response.status_code, (response.get_json() or {}).get("total")
