"""The store's schema versions: Alembic revisions, one head, no table altered on open, 0.1.0 stores upgraded."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import String, create_engine, inspect, text

from cli import main
from store import Account, ClusterChange, ClusterPlan, Store, StoreError, schema, versioning
from tests.conftest import ROOT

LEGACY_DUMP = ROOT / "tests" / "data" / "store-0.1.0.sql"
TABLES = ("records", "match_keys", "clusters", "cluster_members", "cluster_redirects", "dedup_decisions",
          "source_state", "checkpoints", "quarantine", "runs", "staff_users")


def legacy_store(path):
    """An SQLite file made from the 0.1.0 dump, as that release left it."""
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_DUMP.read_text(encoding="utf-8"))
    return path


LEGACY_COLUMNS: dict[str, list[str]] = {}


def rows(path, table):
    """The rows of `table` in the columns the 0.1.0 dump has (later revisions may add columns)."""
    with sqlite3.connect(path) as conn:
        if table not in LEGACY_COLUMNS:
            LEGACY_COLUMNS[table] = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        columns = ", ".join(LEGACY_COLUMNS[table])
        return sorted(conn.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def config_for(tmp_path, store_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"store: {store_path}\nindex: {tmp_path / 'index'}\nsources: []\n")
    return path


def test_the_migrations_have_exactly_one_head():
    assert len(versioning.heads()) == 1, f"two revisions claim the same parent: {versioning.heads()}"


def test_the_tables_the_code_uses_are_the_tables_the_migrations_make(store_url):
    with create_engine(store_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": _types_differ})
        differences = compare_metadata(context, schema.metadata)
    assert differences == []


def _types_differ(context, _inspected_column, _metadata_column, inspected_type, metadata_type):
    """Alembic's own comparison, except that SQLite's VARCHAR(n) is its TEXT: SQLite ignores lengths,
    so revision pg_text_columns widens columns on PostgreSQL only."""
    if context.dialect.name == "sqlite" and isinstance(inspected_type, String) and isinstance(metadata_type, String):
        return False
    return None


def test_opening_a_store_never_creates_or_alters_a_table(tmp_path):
    path = tmp_path / "empty.sqlite"
    with pytest.raises(StoreError, match="no store at .*run `unioncat migrate`"):
        Store(f"sqlite:///{path}")
    assert not path.exists()
    sqlite3.connect(path).close()
    with pytest.raises(StoreError, match="no tables yet: run `unioncat migrate`"):
        Store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_a_store_from_the_release_before_is_refused_with_the_command_that_upgrades_it(tmp_path):
    path = legacy_store(tmp_path / "old.sqlite")
    before = {table: rows(path, table) for table in ("schema_version", *TABLES)}
    with pytest.raises(StoreError, match="older version .*run `unioncat migrate`"):
        Store(f"sqlite:///{path}")
    assert {table: rows(path, table) for table in ("schema_version", *TABLES)} == before


def test_unioncat_migrate_upgrades_a_0_1_0_store_in_place_with_everything_intact(tmp_path):
    path = legacy_store(tmp_path / "old.sqlite")
    before = {table: rows(path, table) for table in TABLES}
    assert len(before["records"]) == 86 and len(before["dedup_decisions"]) == 2 and len(before["checkpoints"]) == 1

    result = CliRunner().invoke(main, ["--config", str(config_for(tmp_path, path)), "migrate"])
    assert result.exit_code == 0, result.output
    assert f"to {versioning.head()}" in result.output

    assert {table: rows(path, table) for table in TABLES} == before
    with Store(f"sqlite:///{path}") as store:           # opens without a word now
        assert store.checkpoint("libris").token == "x" * 300
        assert [d.kind for d in store.decisions()] == ["split", "merge"]
        # issue 13: each earlier decision's pair became its two sides, and it still counts
        assert [(d.side_a, d.side_b, d.status) for d in store.decisions(counting=True)] == [
            (["deichman:1337437"], ["libris:13884869"], "applied"), (["deichman:1332060"], ["deichman:1310245"], "applied")]
        assert store.resolve_cluster("deichman:1337437") is not None
        assert len(list(store.records(live_only=False))) == 86
        assert store.staff_usernames() == ["anna"]
        assert store.staff_account("anna") == Account("anna", "administrator", None)   # accounts before roles
    assert "schema_version" not in inspect(create_engine(f"sqlite:///{path}")).get_table_names()


def test_migrate_again_changes_nothing(tmp_path):
    config = config_for(tmp_path, tmp_path / "store.sqlite")
    first = CliRunner().invoke(main, ["--config", str(config), "migrate"])
    again = CliRunner().invoke(main, ["--config", str(config), "migrate"])
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "from empty to" in first.output and "nothing to do" in again.output


def test_a_store_migrated_by_a_newer_unioncat_is_refused_by_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    Store(url, migrate=True).close()
    with create_engine(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(StoreError, match="from_the_future.*newer unioncat"):
        Store(url)


def test_commands_other_than_migrate_nightly_and_demo_do_not_migrate(tmp_path):
    config = config_for(tmp_path, tmp_path / "store.sqlite")
    result = CliRunner().invoke(main, ["--config", str(config), "dedup"])
    assert result.exit_code == 1 and "run `unioncat migrate`" in result.output


def test_migrate_widens_a_postgresql_store_at_the_baseline_keeping_its_rows(pg_server, tmp_path):
    from alembic import command

    name = pg_server.create_database(template=None)
    url = pg_server.url(name)
    try:
        with create_engine(url).begin() as conn:
            command.upgrade(versioning._config(conn), versioning.BASELINE)
            conn.execute(text("INSERT INTO records (id, source, local_id, deleted, flags, needs_match) "
                              "VALUES (1, 'lib', '42', false, '', false)"))
            conn.execute(text("INSERT INTO clusters VALUES ('c0123456789', true, 1, now(), now())"))
            conn.execute(text("INSERT INTO cluster_members VALUES (1, 'c0123456789', '{}')"))
        with pytest.raises(StoreError, match="run `unioncat migrate`"):
            Store(url)
        result = CliRunner().invoke(main, ["--config", str(config_for(tmp_path, url)), "migrate"])
        assert result.exit_code == 0, result.output
        with Store(url) as store:
            assert store.resolve_cluster("lib:42") == "c0123456789"
            longer = "c" + "f" * 40                      # an id grown past the baseline's 32 characters
            store.save_clusters(ClusterChange([ClusterPlan(longer, {1: {}})], {"c0123456789": longer}, matched={1}))
            assert store.resolve_cluster("c0123456789") == longer == store.resolve_cluster("lib:42")
    finally:
        pg_server.drop_database(name)
