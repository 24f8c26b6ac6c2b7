"""Outgoing mail (a test message) and requests between members (lenders passed over, ended requests purged)."""

from __future__ import annotations

from datetime import timedelta

import click

from cli.base import Context, handled, main, pass_context
from settings import Config, public_base_url
from store import Store, now


@main.group("mail")
def mail_group() -> None:
    """Outgoing e-mail (the `mail:` section of the configuration)."""


@mail_group.command("test")
@click.argument("address")
@pass_context
@handled
def mail_test(ctx: Context, address: str) -> None:
    """Send a test message to ADDRESS through the configured SMTP server."""
    from mail import send

    sent = send(ctx.config.mail, address, "unioncat: test message",
                f"This message was sent by `unioncat mail test` through {ctx.config.mail.host}.\n")
    click.echo(f"mail: sent to {', '.join(sent.recipients)} as {sent.message_id}")


@main.group("requests")
def requests_group() -> None:
    """Requests between members (see the `requests:` section of the configuration)."""


@requests_group.command("tick")
@pass_context
@handled
def requests_tick(ctx: Context) -> None:
    """Ask the next lender wherever a lender's time to answer ran out (nightly does this too)."""
    with ctx.store() as store:
        moved = service(ctx.config, store).expire_overdue()
    click.echo(f"requests: {len(moved)} passed on to the next lender or ended")


@requests_group.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=0), metavar="DAYS",
              help="Delete requests that ended more than DAYS ago (default: requests.purge_days).")
@pass_context
@handled
def requests_purge(ctx: Context, days: int | None) -> None:
    """Delete ended requests (returned, cancelled, declined) and their history after the configured days."""
    keep = ctx.config.interlending.purge_days if days is None else days
    with ctx.store() as store:
        removed = store.purge_ill_requests(now() - timedelta(days=keep))
    click.echo(f"requests: {removed} ended more than {keep} days ago deleted")


def upkeep(config: Config, store: Store) -> None:
    """Nightly's share: lenders past their time passed over, old ended requests purged."""
    if not config.interlending.enabled:
        return
    interlending = service(config, store)
    moved, removed = len(interlending.expire_overdue()), interlending.purge()
    click.echo(f"requests: {moved} passed on, {removed} ended requests purged")


def service(config: Config, store: Store):
    """The network's requests, with their e-mails (links from web.public_base_url)."""
    from web.interlending import interlending

    return interlending(config, store, public_base_url(config))
