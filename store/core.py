"""The connection to the record store: engine, transactions and schema versions."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

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


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and foreign keys."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True, connect_args=_connect_args(url))
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot open the store {url}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _connect_args(url: str) -> dict:
    # the web server answers from several threads; each checks out its own connection
    return {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}


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
            raise StoreError(f"cannot migrate the store {self.url}: {exc}") from exc

    def check_version(self) -> None:
        """Raise StoreError unless the tables are at this unioncat's revision."""
        try:
            with self.engine.connect() as conn:
                versioning.check(conn, self.url)
        except versioning.SchemaVersionError as exc:
            raise StoreError(str(exc)) from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store {self.url}: {exc}") from exc
