"""Clusters from real records: identifier matches, vetoes, stable ids, deletions."""

from __future__ import annotations

import gc
import shutil

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import shared


@pytest.fixture
def libris_copies(tmp_path):
    """Three member catalogues holding variants of one Libris record (see libris/batchimport/DEDUP_CASES.md)."""
    folders = {}
    for code, batch in (("alpha", "batch2"), ("beta", "batch3"), ("gamma", "batch6"), ("delta", "batch0")):
        folder = tmp_path / code
        folder.mkdir()
        shutil.copy(shared(f"libris/batchimport/{batch}.xml"), folder / "records.xml")
        folders[code] = folder
    return folders


def config_for(write, folders, codes):
    return write([{"code": c, "name": c.title(), "type": "file", "path": str(folders[c] / "*.xml")} for c in codes])


def run(config, *args):
    result = CliRunner().invoke(main, ["--config", str(config.path), *args])
    assert result.exit_code in (0, 1), result.output
    return result


def clusters(config):
    import json
    lines = run(config, "export", "clusters").output.splitlines()
    return {c["cluster"]: sorted(r["source"] for r in c["records"]) for c in map(json.loads, lines)}


def test_isbn10_and_isbn13_copies_are_one_cluster_and_a_computer_file_stays_apart(write_store_config, libris_copies):
    config = config_for(write_store_config, libris_copies, ["alpha", "beta", "gamma", "delta"])
    run(config, "nightly")
    groups = sorted(clusters(config).values())
    assert ["alpha", "beta"] in groups          # 91-27-10850-3 == 9789127108509
    # gamma and delta share 978-91-502-2231-9, but gamma's leader/06-07 "cm" makes it a computer file
    assert ["delta"] in groups and ["gamma"] in groups


def test_cluster_id_survives_a_member_joining_and_leaving(write_store_config, libris_copies):
    first = config_for(write_store_config, libris_copies, ["alpha", "beta"])
    run(first, "nightly")
    (cluster_id,) = [cid for cid, members in clusters(first).items() if members == ["alpha", "beta"]]
    shutil.copy(shared("libris/batchimport/batch3.xml"), libris_copies["gamma"] / "records.xml")   # gamma buys the book
    joined = config_for(write_store_config, libris_copies, ["alpha", "beta", "gamma"])
    run(joined, "nightly")
    assert clusters(joined)[cluster_id] == ["alpha", "beta", "gamma"]
    (libris_copies["alpha"] / "records.xml").unlink()
    shutil.copy(shared("trln-marc-to-argot/duke/record_with_holding.xml"), libris_copies["alpha"] / "other.xml")
    run(joined, "nightly", "--force")
    assert clusters(joined)[cluster_id] == ["beta", "gamma"]


def test_deleted_record_leaves_its_cluster_and_the_index(write_store_config, libris_copies):
    from settings import load_config
    from web import create_app

    config = config_for(write_store_config, libris_copies, ["alpha", "beta"])
    run(config, "nightly")
    client = create_app(load_config(config.path)).test_client()
    (hit,) = client.get("/api/search?q=polisbilen").get_json()["hits"]
    assert sorted(h["source"] for h in hit["holdings"]) == ["alpha", "beta"]
    (libris_copies["beta"] / "records.xml").unlink()
    shutil.copy(shared("trln-marc-to-argot/duke/record_with_holding.xml"), libris_copies["beta"] / "other.xml")
    run(config, "nightly", "--force")          # beta's catalogue no longer has the book
    (after,) = client.get("/api/search?q=polisbilen").get_json()["hits"]
    assert after["id"] == hit["id"]
    assert [h["source"] for h in after["holdings"]] == ["alpha"]
    record = client.get(f"/api/records/{hit['id']}").get_json()
    assert [m["source"] for m in record["members"]] == ["alpha"]


def test_only_changed_records_and_their_cluster_mates_are_matched_again(write_store_config, libris_copies):
    from dedup import run_dedup
    from store import Store

    config = config_for(write_store_config, libris_copies, ["alpha", "beta", "gamma", "delta"])
    run(config, "nightly")
    with Store(config.store_url) as store:
        assert run_dedup(store).rematched == 0            # nothing changed since the nightly run
    shutil.copy(shared("libris/batchimport/batch1.xml"), libris_copies["delta"] / "records.xml")   # delta's title edited
    run(config, "harvest")
    with Store(config.store_url) as store:
        report = run_dedup(store)
    assert report.rematched == 1                          # delta's record, alone in its cluster
    assert ["delta"] in sorted(clusters(config).values())


def test_displayed_record_prefers_the_fuller_member_and_not_one_in_capitals():
    from dataclasses import replace

    from dedup import build_view
    from normalise import RawRecord, normalise, read_file

    (raw,) = [r for r in read_file(shared("libris/batchimport/batch2.xml")) if isinstance(r, RawRecord) and r.record.leader[6] == "a"]
    full = normalise(raw.record, "alpha")
    shouting = replace(full, source="beta", title=full.title.upper(), subjects=[], summary="x" * 10)
    sparse = replace(full, source="gamma", subjects=[], notes=[], summary="", series=[], publisher="")
    view = build_view("c1", [shouting, sparse, full])
    assert view.record is full and view.title == full.title
    assert len(view.holdings) == sum(len(m.holdings) for m in (shouting, sparse, full))   # every holding listed


def test_a_source_configured_for_several_records_per_cluster_gets_them_merged(write_store_config, tmp_path):
    folder = tmp_path / "union"
    folder.mkdir()
    shutil.copy(shared("libris/batchimport/batch2.xml"), folder / "a.xml")
    # the same edition catalogued twice in one catalogue, under another control number
    twin = shared("libris/batchimport/batch3.xml").read_text(encoding="utf-8").replace(">20203738<", ">20203739<")
    (folder / "b.xml").write_text(twin, encoding="utf-8")
    for several in (False, True):
        config = write_store_config([{"code": "union", "name": "Union", "type": "file", "path": str(folder / "*.xml"),
                                "several_per_cluster": several}])
        run(config, "nightly")
        run(config, "dedup", "--full")
        expected = [["union", "union"]] if several else [["union"], ["union"]]
        assert sorted(clusters(config).values()) == expected


def test_a_dedup_run_leaves_the_garbage_collector_as_it_found_it(write_store_config, libris_copies):
    config = config_for(write_store_config, libris_copies, ["alpha", "beta"])
    assert gc.isenabled()
    run(config, "nightly")
    assert gc.isenabled() and ["alpha", "beta"] in clusters(config).values()
    gc.disable()
    try:
        run(config, "dedup", "--full")
        assert not gc.isenabled()
    finally:
        gc.enable()
