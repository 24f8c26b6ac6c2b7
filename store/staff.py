"""Staff accounts: usernames, password hashes, session versions, roles (hashing itself is the web layer's).

A role is `administrator` (accounts, every member) or `cataloguer`; an account
may name a member (a source code) and then corrects only that member's records.

A removed account keeps its row (without a usable hash) so that its session
version goes on counting: re-creating the name never revives old sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update

from store import schema
from store.core import StoreError, now

S = schema.staff_users
REMOVED_HASH = ""
ROLES = ("administrator", "cataloguer")


@dataclass(frozen=True)
class Account:
    """A staff account as corrections see it: who, in which role, scoped to which member (None: every member)."""

    username: str
    role: str = "administrator"
    member: str | None = None

    @property
    def administrator(self) -> bool:
        """True for an administrator (accounts, every member's records)."""
        return self.role == "administrator"


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

    def set_staff_role(self, username: str, role: str, member: str | None = None) -> bool:
        """Give an account a role (see `ROLES`) and a member scope (None: every member); False when there is none."""
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        with self.transaction() as conn:
            return bool(conn.execute(update(S).where(S.c.username == username, S.c.removed_at.is_(None))
                                     .values(role=role, member=member or None)).rowcount)

    def staff_account(self, username: str) -> Account | None:
        """The current account named `username`, or None."""
        with self.reading() as conn:
            row = conn.execute(select(S.c.username, S.c.role, S.c.member).where(
                S.c.username == username, S.c.removed_at.is_(None))).first()
        return Account(row.username, row.role, row.member) if row is not None else None

    def staff_accounts(self) -> list[Account]:
        """Every current account, sorted by name."""
        with self.reading() as conn:
            rows = conn.execute(select(S.c.username, S.c.role, S.c.member).where(S.c.removed_at.is_(None))
                                .order_by(S.c.username)).all()
        return [Account(r.username, r.role, r.member) for r in rows]
