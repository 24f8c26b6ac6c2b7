"""The connection to the record store: engine, transactions and schema versions."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from store import versioning


class StoreError(Exception):
    """The record store cannot be opened, migrated or written."""


def now() -> datetime:
    """The current time in UTC; one place so that tests can reason about it."""
    return datetime.now(timezone.utc)


def chunks(items: list, size: int) -> Iterator[list]:
    """`items` in lists of at most `size`: IN (...) lists and inserts stay within database limits."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


# Pool settings a store URL may carry as query parameters (`...?pool_size=10`), with their defaults:
# they are ours, not the driver's, so they are taken off the URL before it reaches the driver.
POOL_SETTINGS = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 30}
CONNECT_TIMEOUT = 10    # seconds to reach a database server
# The longest value the store puts in an indexed column: PostgreSQL refuses btree entries over
# 2,704 bytes (SQLite has no limit), so that one odd record cannot fail a page or a run there.
MAX_INDEXED_BYTES = 1000


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and foreign keys, PostgreSQL the psycopg 3 driver."""
    try:
        parsed, pool = _parse_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args=_connect_args(parsed), **pool)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot open the store {safe_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _refuse_missing_file(url: str) -> None:
    """StoreError for an SQLite store that does not exist: opening it would create an empty file at a wrong path."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return                   # make_engine says what is wrong with the URL
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:" \
            and not database.startswith("file:") and not Path(database).exists():
        raise StoreError(f"there is no store at {database}: check `store:` in the configuration, or run "
                         "`unioncat migrate` to create it there")


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _parse_url(url: str) -> tuple[URL, dict]:
    """The SQLAlchemy URL (`postgresql://` means psycopg 3) and the engine's pool settings."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "postgresql":
        return parsed, {}
    pool = {}
    for name, default in POOL_SETTINGS.items():
        value = parsed.query.get(name, default)
        try:
            pool[name] = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    # a web node's pooled connection may have been closed by a server restart: test it before use
    return parsed.difference_update_query(POOL_SETTINGS), {**pool, "pool_pre_ping": True}


def _connect_args(url: URL) -> dict:
    if url.get_backend_name() == "sqlite":
        # the web server answers from several threads; each checks out its own connection
        return {"check_same_thread": False, "timeout": 30}
    return {"connect_timeout": CONNECT_TIMEOUT}


def upsert(conn: Connection, table: Table, values: dict, keys: tuple[str, ...], *, keep: tuple[str, ...] = ()) -> None:
    """Insert a row, or update the row with the same `keys` (but not its `keep` columns), in one
    statement safe against a concurrent writer (SQLite and PostgreSQL both have ON CONFLICT)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys + keep}
    if changes:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(statement)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class StoreBase:
    """Engine, transactions and schema versions shared by the store's parts.

    Opening a store never alters a table unless `migrate=True` (`unioncat
    migrate`, and `nightly` and `demo` on the embedded SQLite default): it
    checks that the tables are at this unioncat's version and otherwise
    raises StoreError naming the command that brings them there.
    """

    def __init__(self, url: str, *, migrate: bool = False):
        self.url = url
        if not migrate:
            _refuse_missing_file(url)
        self.engine = make_engine(url)
        self.last_migration: tuple[str | None, str] | None = None
        try:
            if migrate:
                self.last_migration = self.migrate()
            else:
                self.check_version()
        except StoreError:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store operation failed: {exc}") from exc

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store read failed: {exc}") from exc

    def migrate(self) -> tuple[str | None, str]:
        """Apply pending schema revisions; returns the revision before and after."""
        try:
            return versioning.upgrade(self.engine)
        except (SQLAlchemyError, versioning.SchemaVersionError) as exc:
            raise StoreError(f"cannot migrate the store {safe_url(self.url)}: {exc}") from exc

    def check_version(self) -> None:
        """Raise StoreError unless the tables are at this unioncat's revision."""
        try:
            with self.engine.connect() as conn:
                versioning.check(conn, self.url)
        except versioning.SchemaVersionError as exc:
            raise StoreError(str(exc)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store {safe_url(self.url)}: {exc}") from exc
