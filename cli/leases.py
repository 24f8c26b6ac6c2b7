"""Leases from the command line: the writer lease that commands take, and releasing one by hand."""

from __future__ import annotations

from contextlib import contextmanager

import click

from cli.base import Context, Failures, handled, main, pass_context
from dedup import apply_queued
from settings import Config
from store import WRITER, Lease, Store


@contextmanager
def writer_lease(config: Config, store: Store, command: str):
    """Hold the writer lease for a change to clusters, waiting up to `leases.wait` for its holder.

    After that the command stops with `LeaseHeld` (exit 1) naming the holder. Before the lease is given
    up, the corrections queued behind its holder are applied.
    """
    def waiting(lease: Lease) -> None:
        click.echo(f"unioncat: waiting up to {config.leases.wait:g}s for the writer lease held by {lease.holder()}",
                   err=True)

    with store.lease(WRITER, command, expiry=config.leases.expiry, wait=config.leases.wait, on_wait=waiting):
        yield
        # corrections librarians confirmed while another process held the lease wait for its next holder
        for outcome in apply_queued(store, several_per_cluster=config.several_per_cluster):
            click.echo(f"unioncat: queued decision {outcome.decision_id} {outcome.message}", err=True)


@main.group()
def lease() -> None:
    """Leases: who changes clusters (writer), who harvests each source (harvest:CODE); `status` lists them."""


@lease.command("release")
@click.argument("name")
@pass_context
@handled
def lease_release(ctx: Context, name: str) -> None:
    """Release lease NAME by hand, when its holder is gone and you cannot wait for it to expire.

    A holder still running loses the lease at its next renewal and says so in its log.
    """
    with ctx.store() as store:
        released = store.release_lease(name)
    if released is None:
        raise Failures(f"no lease named {name}; `unioncat status` lists the leases held")
    state = "expired" if released.expired else "still renewed"
    click.echo(f"released the {name} lease of {released.holder()} ({state})")


def lease_rows(leases: list[Lease]) -> list[dict]:
    """The leases as `status --json` shows them."""
    return [{"name": l.name, "host": l.host, "pid": l.pid, "command": l.command, "acquired_at": l.acquired_at,
             "expires_at": l.expires_at, "expired": l.expired} for l in leases]


def print_leases(leases: list[Lease]) -> None:
    """The leases as `status` shows them, below the sources."""
    if not leases:
        click.echo("leases: none held")
        return
    click.echo("leases:")
    for l in leases:
        state = "expired" if l.expired else f"until {l.expires_at:%H:%M:%S} UTC"
        click.echo(f"  {l.name:<20} {l.holder()}, {state}")
