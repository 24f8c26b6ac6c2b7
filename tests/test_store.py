"""The store on SQLite and on PostgreSQL: what real input holds fits, upserts, URLs and pools."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from store import ClusterChange, ClusterPlan, IncomingRecord, QuarantineItem, Store, StoreError


def test_values_longer_than_the_old_column_limits_are_kept_whole(store):
    """Pins the String(32)/String(255) limits SQLite ignored and PostgreSQL enforces."""
    oai_id, local_id = "oai:" + "i" * 600, "L" * 300
    position, token, stamp = "page 3: " + "p" * 400, "t" * 5000, "2024-03-01T00:00:00.123456789+01:00 (server)"
    cluster_id = "c" + "0123456789abcdef" * 3
    store.write_page([IncomingRecord("src", local_id, raw=b"x", oai_identifier=oai_id, datestamp=stamp)],
                     [QuarantineItem("src", "unreadable", position=position, oai_identifier="oai:q" * 200)],
                     checkpoint={"source": "src", "window_from": stamp, "window_until": stamp, "token": token,
                                 "pages_done": 1, "response_date": stamp})
    [stored] = store.records(source="src")
    store.save_clusters(ClusterChange([ClusterPlan(cluster_id, {stored.id: {"why": "alone"}})],
                                      {"c" + "9" * 45: cluster_id}, matched={stored.id}))
    store.add_decision("split", f"src:{local_id}", f"src:{local_id}", "anna " * 40, "n" * 2000)
    store.set_source_state("src", next_from=stamp, granularity=stamp)

    assert (stored.oai_identifier, stored.local_id, stored.datestamp) == (oai_id, local_id, stamp)
    assert [q.position for q in store.quarantined("src")] == [position]
    checkpoint = store.checkpoint("src")
    assert (checkpoint.token, checkpoint.window_from, checkpoint.response_date) == (token, stamp, stamp)
    assert store.resolve_cluster("c" + "9" * 45) == cluster_id == store.resolve_cluster(f"src:{local_id}")
    assert store.decisions()[0].record_a == f"src:{local_id}"
    assert store.source_state("src").next_from == stamp


def test_saving_a_checkpoint_source_state_or_password_twice_updates_the_one_row(store):
    store.save_checkpoint(source="s", window_from=None, window_until=None, token="a", pages_done=1, response_date=None)
    store.save_checkpoint(source="s", window_from=None, window_until=None, token="b", pages_done=2, response_date=None)
    store.set_source_state("s", last_outcome="ok")
    store.set_source_state("s", last_error="boom")
    store.set_staff_password("anna", "hash-1")
    created = _created_at(store, "anna")
    store.set_staff_password("anna", "hash-2")

    assert (store.checkpoint("s").token, store.checkpoint("s").pages_done) == ("b", 2)
    state = store.source_state("s")
    assert (state.last_outcome, state.last_error) == ("ok", "boom")    # the second update kept the first's column
    assert store.staff_password_hash("anna") == "hash-2" and _created_at(store, "anna") == created


def test_times_come_back_in_utc_with_their_zone_on_both_databases(store):
    store.add_decision("merge", "a:1", "b:2", "anna")
    made_at = store.decisions()[0].made_at
    assert made_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - made_at) < timedelta(minutes=5)


def _created_at(store, username):
    from sqlalchemy import select

    from store import schema
    with store.reading() as conn:
        return conn.execute(select(schema.staff_users.c.created_at).where(
            schema.staff_users.c.username == username)).scalar()


def test_a_postgresql_url_opens_with_psycopg_and_the_pool_size_it_names(pg_store_url):
    plain = pg_store_url.replace("postgresql+psycopg://", "postgresql://") + "?pool_size=3&max_overflow=1"
    with Store(plain) as store:
        assert store.engine.dialect.driver == "psycopg"
        assert (store.engine.pool.size(), store.engine.pool._max_overflow) == (3, 1)
        assert store.record_counts() == {}


def test_a_bad_pool_size_or_an_unreachable_server_is_a_store_error_without_the_password(pg_store_url):
    with pytest.raises(StoreError, match="pool_size must be a whole number"):
        Store(pg_store_url + "?pool_size=many")
    with pytest.raises(StoreError) as raised:
        Store("postgresql://anna:secret@127.0.0.1:1/nowhere")
    assert "secret" not in str(raised.value) and "127.0.0.1" in str(raised.value)


def test_a_record_with_an_identifier_or_author_too_long_to_index_is_kept_aside_and_the_rest_stored(store, tmp_path):
    """PostgreSQL refuses index entries over about 2,700 bytes; one such record must not fail its page or dedup."""
    from dedup import run_dedup
    from harvest import harvest_files
    from pymarc import Field, Record as MarcRecord, Subfield

    from settings import SourceConfig

    def marc(control: str, author: str) -> bytes:
        record = MarcRecord(force_utf8=True)
        record.add_field(Field(tag="001", data=control))
        record.add_field(Field(tag="100", indicators=["1", " "], subfields=[Subfield("a", author)]))
        record.add_field(Field(tag="245", indicators=["0", "0"], subfields=[Subfield("a", "A title of some length")]))
        return record.as_marc()

    noise = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(100))  # 6,400 bytes, incompressible
    (tmp_path / "long.mrc").write_bytes(marc("ok1", "Short, Ann") + marc(noise, "Short, Ann")
                                        + marc("ok2", noise + ", Ann"))
    report = harvest_files(store, SourceConfig(code="lib", name="lib", type="file", paths=(str(tmp_path / "long.mrc"),)))
    assert (report.counts.new, report.counts.quarantined) == (2, 1), report
    [kept] = store.quarantined("lib")
    assert "control number is longer than" in kept.reason and kept.raw.startswith(b"0")
    run_dedup(store)
    assert sorted(len(store.member_public_ids(cid)) for cid in store.cluster_ids()) == [1, 1]
