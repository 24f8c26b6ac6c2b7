"""Staff accounts: usernames and password hashes (hashing itself is the web layer's)."""

from __future__ import annotations

from sqlalchemy import delete, select

from store import schema
from store.core import now, upsert

S = schema.staff_users


class StaffMixin:
    """Staff accounts; see `store.Store`."""

    def set_staff_password(self, username: str, password_hash: str) -> None:
        """Create an account or change its password."""
        with self.transaction() as conn:
            upsert(conn, S, {"username": username, "password_hash": password_hash, "created_at": now()},
                   ("username",), keep=("created_at",))

    def staff_password_hash(self, username: str) -> str | None:
        """The stored hash, or None for an unknown user."""
        with self.reading() as conn:
            return conn.execute(select(S.c.password_hash).where(S.c.username == username)).scalar()

    def remove_staff(self, username: str) -> bool:
        """Delete an account; False when there was none."""
        with self.transaction() as conn:
            return bool(conn.execute(delete(S).where(S.c.username == username)).rowcount)

    def staff_usernames(self) -> list[str]:
        """Every account, sorted."""
        with self.reading() as conn:
            return list(conn.execute(select(S.c.username).order_by(S.c.username)).scalars())
