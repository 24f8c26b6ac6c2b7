"""Staff accounts: usernames, password hashes and session versions (hashing itself is the web layer's).

A removed account keeps its row (without a usable hash) so that its session
version goes on counting: re-creating the name never revives old sessions.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from store import schema
from store.core import now

S = schema.staff_users
REMOVED_HASH = ""


class StaffMixin:
    """Staff accounts; see `store.Store`."""

    def set_staff_password(self, username: str, password_hash: str) -> None:
        """Create an account or change its password; either way its earlier sessions end."""
        with self.transaction() as conn:
            changed = conn.execute(update(S).where(S.c.username == username).values(
                password_hash=password_hash, removed_at=None, session_version=S.c.session_version + 1)).rowcount
            if not changed:
                conn.execute(insert(S).values(username=username, password_hash=password_hash, created_at=now(),
                                              session_version=1))

    def staff_password_hash(self, username: str) -> str | None:
        """The stored hash, or None for an unknown or removed user."""
        with self.reading() as conn:
            return conn.execute(select(S.c.password_hash).where(S.c.username == username,
                                                                S.c.removed_at.is_(None))).scalar()

    def staff_session_version(self, username: str) -> int | None:
        """The account's current session version, or None when there is no such account (or it was removed)."""
        with self.reading() as conn:
            return conn.execute(select(S.c.session_version).where(S.c.username == username,
                                                                  S.c.removed_at.is_(None))).scalar()

    def remove_staff(self, username: str) -> bool:
        """Remove an account and end its sessions; False when there was none."""
        with self.transaction() as conn:
            return bool(conn.execute(update(S).where(S.c.username == username, S.c.removed_at.is_(None)).values(
                password_hash=REMOVED_HASH, removed_at=now(), session_version=S.c.session_version + 1)).rowcount)

    def staff_usernames(self) -> list[str]:
        """Every current account, sorted."""
        with self.reading() as conn:
            return list(conn.execute(select(S.c.username).where(S.c.removed_at.is_(None))
                                     .order_by(S.c.username)).scalars())
