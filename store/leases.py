"""Leases: who may change clusters, who harvests a source; kept in the database so they span machines.

A lease has a name (`writer`, `harvest:<source>`), a holder (host, process,
command and a random token) and an expiry. Its holder renews it from a
heartbeat thread every third of the expiry; a holder that dies stops renewing,
and the next claimant takes the lease over once it has expired. Times come
from the claimant's clock: hosts keep their clocks in step (NTP) and the
expiry is far longer than any skew between them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from store import schema
from store.core import StoreError, now

log = logging.getLogger(__name__)
L = schema.leases
WRITER = "writer"                 # changes to clusters: dedup, split, merge, quarantine retry
DEFAULT_EXPIRY = 120.0
DEFAULT_WAIT = 60.0


def harvest_lease(source: str) -> str:
    """The name of the lease that lets one process harvest `source`."""
    return f"harvest:{source}"


@dataclass
class Lease:
    """A lease as stored: its name, its holder and until when it holds."""

    name: str
    host: str
    pid: int
    command: str
    token: str
    acquired_at: datetime
    expires_at: datetime

    @property
    def expired(self) -> bool:
        """True once the holder has stopped renewing it for longer than the expiry."""
        return self.expires_at <= now()

    def holder(self) -> str:
        """Who holds it, for messages: host, process, command and since when."""
        since = self.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.host} pid {self.pid} ({self.command}) since {since}"


class LeaseHeld(StoreError):
    """Another process holds the lease (and kept it for as long as we could wait)."""

    def __init__(self, lease: Lease):
        self.lease = lease
        until = lease.expires_at.strftime("%H:%M:%S UTC")
        super().__init__(f"the {lease.name} lease is held by {lease.holder()}, renewed until {until}; "
                         f"try again later, or if that process is gone run `unioncat lease release {lease.name}`")


class LeaseLost(StoreError):
    """This process's lease expired (it was frozen or cut off) and another process took it over."""


@dataclass
class HeldLease:
    """A lease this process holds, kept alive by a heartbeat thread until released."""

    name: str
    token: str
    expiry: float
    lost: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None


class LeasesMixin:
    """Leases; see `store.Store`."""

    def try_lease(self, name: str, command: str, expiry: float = DEFAULT_EXPIRY, *, token: str | None = None) -> tuple[bool, Lease]:
        """One attempt: take `name` if it is free or expired (or ours); (taken, the lease as it now stands).

        One statement does it, atomic on SQLite and PostgreSQL alike: insert
        the lease, or on conflict update it only where it has expired or the
        token is ours.
        """
        token = token or secrets.token_hex(16)
        stamp = now()
        values = {"name": name, "host": socket.gethostname(), "pid": os.getpid(), "command": command[:200],
                  "token": token, "acquired_at": stamp, "expires_at": stamp + timedelta(seconds=expiry)}
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        claim = dialect.insert(L).values(**values)
        claim = claim.on_conflict_do_update(
            index_elements=[L.c.name], set_={k: claim.excluded[k] for k in values if k != "name"},
            where=(L.c.expires_at <= stamp) | (L.c.token == token))
        with self.transaction() as conn:
            conn.execute(claim)
            row = conn.execute(select(L).where(L.c.name == name)).one()
        lease = _lease(row)
        return lease.token == token, lease

    def renew_lease(self, name: str, token: str, expiry: float = DEFAULT_EXPIRY) -> bool:
        """Push the expiry on; False when the lease is no longer ours (it expired and was taken)."""
        with self.transaction() as conn:
            result = conn.execute(update(L).where(L.c.name == name, L.c.token == token)
                                  .values(expires_at=now() + timedelta(seconds=expiry)))
        return result.rowcount == 1

    def release_lease(self, name: str, token: str | None = None) -> Lease | None:
        """Give a lease up (by its holder, with its token; by hand, without); the lease released, if any."""
        query = select(L).where(L.c.name == name)
        removal = delete(L).where(L.c.name == name)
        if token is not None:
            query, removal = query.where(L.c.token == token), removal.where(L.c.token == token)
        with self.transaction() as conn:
            row = conn.execute(query).first()
            conn.execute(removal)
        return _lease(row) if row is not None else None

    def leases(self) -> list[Lease]:
        """Every lease on record, by name (expired ones too, until someone takes or releases them)."""
        with self.reading() as conn:
            return [_lease(row) for row in conn.execute(select(L).order_by(L.c.name))]

    def acquire_lease(self, name: str, command: str, *, expiry: float = DEFAULT_EXPIRY, wait: float = 0.0,
                      on_wait: Callable[[Lease], None] | None = None) -> HeldLease:
        """Take `name`, waiting up to `wait` seconds for its holder; `LeaseHeld` naming the holder after that.

        The lease is renewed by a daemon thread until `drop_lease`.
        """
        deadline = time.monotonic() + wait
        token = secrets.token_hex(16)
        taken, lease = self.try_lease(name, command, expiry, token=token)
        if not taken and on_wait is not None and wait > 0:
            on_wait(lease)
        while not taken:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LeaseHeld(lease)
            time.sleep(min(left, _poll_interval(expiry, lease)))
            taken, lease = self.try_lease(name, command, expiry, token=token)
        return self._hold(HeldLease(name, token, expiry))

    def drop_lease(self, held: HeldLease) -> None:
        """Stop renewing `held` and release it (a release that fails leaves it to expire)."""
        self._held_leases().pop(held.name + held.token, None)
        held._stop.set()
        if held._thread is not None:
            held._thread.join(5)
        try:
            self.release_lease(held.name, held.token)
        except StoreError as exc:
            log.warning("could not release the %s lease (it will expire): %s", held.name, exc)

    @contextmanager
    def lease(self, name: str, command: str, *, expiry: float = DEFAULT_EXPIRY, wait: float = 0.0,
              on_wait: Callable[[Lease], None] | None = None) -> Iterator[HeldLease]:
        """Hold `name` for the length of a block (see `acquire_lease`)."""
        held = self.acquire_lease(name, command, expiry=expiry, wait=wait, on_wait=on_wait)
        try:
            yield held
        finally:
            self.drop_lease(held)

    def holds_lease(self, name: str) -> bool:
        """True while this store holds lease `name` (taken through `acquire_lease` and not lost)."""
        return any(held.name == name and not held.lost.is_set() for held in list(self._held_leases().values()))

    def check_fences(self, conn, sources: set[str]) -> None:
        """Inside a harvest's write: `LeaseLost` (the transaction rolls back) when this store held the
        harvest lease of one of `sources` and it has since passed to another process.

        The lease row is locked until the write commits (PostgreSQL: FOR UPDATE; SQLite: the
        write lock already held), so a takeover waits for the write or the write sees it.
        """
        for source in sorted(sources):
            name = harvest_lease(source)
            mine = {held.token for held in list(self._held_leases().values()) if held.name == name}
            if not mine:
                continue
            query = select(L.c.token).where(L.c.name == name)
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update()
            if conn.execute(query).scalar() not in mine:
                raise LeaseLost(f"lost the {name} lease: it expired and another process took it over; "
                                "this page was not saved (the new holder goes on from the last checkpoint)")

    def close(self) -> None:
        """Release the leases still held through this store, then its connections."""
        for held in list(self._held_leases().values()):
            self.drop_lease(held)
        super().close()

    def _held_leases(self) -> dict[str, HeldLease]:
        return self.__dict__.setdefault("_leases_held", {})

    def _hold(self, held: HeldLease) -> HeldLease:
        self._held_leases()[held.name + held.token] = held
        held._thread = threading.Thread(target=self._heartbeat, args=(held,), name=f"lease:{held.name}", daemon=True)
        held._thread.start()
        return held

    def _heartbeat(self, held: HeldLease) -> None:
        while not held._stop.wait(held.expiry / 3):
            try:
                if not self.renew_lease(held.name, held.token, held.expiry):
                    log.error("lost the %s lease: it expired and another process took it", held.name)
                    held.lost.set()
                    return
            except StoreError as exc:       # a database blip: try again at the next beat
                log.warning("could not renew the %s lease: %s", held.name, exc)


def _poll_interval(expiry: float, lease: Lease) -> float:
    """How long to sleep before asking again: a fraction of the expiry, sooner if it is about to expire."""
    until_expiry = (lease.expires_at - now()).total_seconds()
    return max(0.05, min(1.0, expiry / 10, until_expiry + 0.05))


def _lease(row) -> Lease:
    return Lease(row.name, row.host, row.pid, row.command, row.token, row.acquired_at, row.expires_at)
