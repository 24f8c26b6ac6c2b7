"""The change log: its consumers and pruning."""

from __future__ import annotations

from datetime import timedelta

import click

from cli.base import Context, handled, main, pass_context


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
    for consumer in consumers:
        click.echo(f"{consumer.name}: at {consumer.position} ({latest - consumer.position} behind), "
                   f"moved {consumer.updated_at:%Y-%m-%d %H:%M}")


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
