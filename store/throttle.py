"""Failed-login counters per (scope, key), shared by every process that opens the store.

Times are kept as Unix seconds, so comparisons are the same on SQLite and
PostgreSQL. Each change is one conditional UPDATE, so concurrent workers
never lose a count.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from store import schema
from store.core import StoreError

T = schema.login_throttle


def _key(scope: str, key: str):
    return and_(T.c.scope == scope, T.c.key == key[:255])


class ThrottleMixin:
    """Login failure counts and lockouts; see `web.throttle.LoginThrottle` for the policy."""

    def login_locked_until(self, scope: str, key: str) -> datetime | None:
        """When the lockout of (scope, key) ends, or None when it was never locked."""
        with self.reading() as conn:
            until = conn.execute(select(T.c.locked_until).where(_key(scope, key))).scalar()
        return None if until is None else datetime.fromtimestamp(until, timezone.utc)

    def record_login_failure(self, scope: str, key: str, at: datetime, *, window: timedelta, lockout: timedelta,
                             max_failures: int) -> bool:
        """Count a failure at `at`; True when it reached `max_failures` within `window` and locked the key."""
        for _attempt in range(3):
            try:
                with self.transaction() as conn:
                    return self._count_failure(conn, scope, key, at.timestamp(), window.total_seconds(),
                                               lockout.total_seconds(), max_failures)
            except StoreError as exc:
                # two workers inserting the first failure of one key at once: count again
                if not isinstance(exc.__cause__, IntegrityError):
                    raise
        raise StoreError(f"could not count a failed login for {scope} {key!r}")

    def clear_login_failures(self, scope: str, key: str) -> None:
        """Forget the failures and any lockout of (scope, key)."""
        with self.transaction() as conn:
            conn.execute(delete(T).where(_key(scope, key)))

    @staticmethod
    def _count_failure(conn, scope, key, at, window, lockout, max_failures) -> bool:
        unlocked = or_(T.c.locked_until.is_(None), T.c.locked_until <= at)
        counted = conn.execute(update(T).where(_key(scope, key), unlocked, T.c.window_started > at - window)
                               .values(failures=T.c.failures + 1)).rowcount
        if not counted:
            if conn.execute(select(T.c.locked_until).where(_key(scope, key), ~unlocked)).first():
                return False            # still locked: the lockout is not extended
            restarted = conn.execute(update(T).where(_key(scope, key))
                                     .values(failures=1, window_started=at, locked_until=None)).rowcount
            if not restarted:
                conn.execute(insert(T).values(scope=scope, key=key[:255], failures=1, window_started=at))
        failures = conn.execute(select(T.c.failures).where(_key(scope, key))).scalar()
        if failures < max_failures:
            return False
        conn.execute(update(T).where(_key(scope, key)).values(failures=0, window_started=at, locked_until=at + lockout))
        return True
