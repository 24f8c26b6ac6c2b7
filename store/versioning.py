"""Schema versions of the record store, kept by Alembic.

`upgrade` is the one way tables change (`unioncat migrate`, and `nightly` and
`demo` on the embedded SQLite default); every other open only checks the
version, so a web node or a worker needs no right to alter tables. A store
made by unioncat 0.1.0 (its own `schema_version` table, no Alembic) is
adopted: stamped at the baseline, whose tables it already has, then upgraded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

SCRIPTS = Path(__file__).parent / "migrations"
BASELINE = "0001_baseline"
LEGACY_BASELINE_VERSION = 2     # unioncat 0.1.0's last hand-rolled migration: the baseline's tables


class SchemaVersionError(Exception):
    """The store's tables are at another version than this unioncat needs."""


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


@cache
def heads() -> tuple[str, ...]:
    """The newest revisions of the migration scripts (exactly one, or the scripts are broken)."""
    return tuple(ScriptDirectory.from_config(_config()).get_heads())


def head() -> str:
    """The revision this unioncat's tables are at."""
    found = heads()
    if len(found) != 1:
        raise SchemaVersionError(f"the store's migrations have {len(found)} heads ({', '.join(found)}); expected one")
    return found[0]


def current(conn: Connection) -> str | None:
    """The revision a database is at; None for an empty database (or one made before Alembic)."""
    return MigrationContext.configure(conn).get_current_revision()


def check(conn: Connection, url: str) -> None:
    """Raise SchemaVersionError unless the database is at this unioncat's revision."""
    found = current(conn)
    if found == head():
        return
    if found is None and _legacy_version(conn) is None:
        raise SchemaVersionError(f"the store {_safe(url)} has no tables yet: run `unioncat migrate`")
    if found is None or found in _known():
        raise SchemaVersionError(f"the store {_safe(url)} is at an older version ({found or 'unioncat 0.1.0'}) "
                                 f"than this unioncat needs ({head()}): run `unioncat migrate`")
    raise SchemaVersionError(f"the store {_safe(url)} is at revision {found}, which this unioncat does not know: "
                             "it was migrated by a newer unioncat")


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending revision; returns (revision before, revision after)."""
    with engine.begin() as conn:
        before = current(conn)
        if before is None and (legacy := _legacy_version(conn)) is not None:
            _adopt(conn, legacy)
        config = _config(conn)
        command.upgrade(config, "head")
        return before, current(conn)


def _adopt(conn: Connection, legacy: int) -> None:
    """Stamp a unioncat 0.1.0 store at the baseline; its `schema_version` table goes."""
    if legacy == 0 and "records" not in inspect(conn).get_table_names():
        conn.execute(text("DROP TABLE schema_version"))     # 0.1.0 stopped before its first table: start afresh
        return
    if legacy != LEGACY_BASELINE_VERSION:
        raise SchemaVersionError(f"the store is at unioncat 0.1.0's schema version {legacy}; open it once with "
                                 "unioncat 0.1.0 to bring it to version 2, then run `unioncat migrate`")
    command.stamp(_config(conn), BASELINE)
    conn.execute(text("DROP TABLE schema_version"))


def _legacy_version(conn: Connection) -> int | None:
    if "schema_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0


def _known() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def _safe(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
