"""The change log: its consumers and pruning."""

from __future__ import annotations

from datetime import timedelta

import click

from cli.base import Context, Failures, handled, main, pass_context
from store import now


@main.group()
def changes() -> None:
    """The change log that the index (and later other consumers) follow."""


@changes.command("consumers")
@pass_context
@handled
def changes_consumers(ctx: Context) -> None:
    """List the change log's consumers and how far each has come."""
    with ctx.store() as store:
        latest, consumers = store.latest_change(), store.consumers()
    click.echo(f"latest entry: {latest}")
    keep = timedelta(days=ctx.config.change_log_keep_days)
    for consumer in consumers:
        behind = latest - consumer.position
        line = f"{consumer.name}: at {consumer.position} ({behind} behind), moved {consumer.updated_at:%Y-%m-%d %H:%M}"
        if behind and now() - consumer.updated_at > keep:
            # a retired node's index keeps every entry after its position for good
            line += f"; holds back pruning (if it is retired: unioncat changes forget {consumer.name})"
        click.echo(line)


@changes.command("forget")
@click.argument("name")
@pass_context
@handled
def changes_forget(ctx: Context, name: str) -> None:
    """Stop keeping entries for consumer NAME (a retired node's index); if it comes back it is rebuilt."""
    with ctx.store() as store:
        if not store.forget_consumer(name):
            raise Failures(f"no consumer {name!r}; `unioncat changes consumers` lists them")
    click.echo(f"change log: {name} forgotten; entries it had not read can now be pruned")


@changes.command("prune")
@click.option("--older-than", "days", type=click.IntRange(min=0), metavar="DAYS",
              help="Keep entries younger than this (default: change_log.keep_days of the configuration).")
@pass_context
@handled
def changes_prune(ctx: Context, days: int | None) -> None:
    """Remove entries that every consumer has passed and that are older than DAYS."""
    keep = ctx.config.change_log_keep_days if days is None else days
    with ctx.store() as store:
        removed = store.prune_changes(timedelta(days=keep))
    click.echo(f"change log: {removed} entries older than {keep} days removed")
