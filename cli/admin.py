"""The operator's commands for the store and the configuration: `migrate`, `settings`."""

from __future__ import annotations

import click

from cli.base import Context, handled, main, pass_context
from settings import table
from store import Store


@main.command()
@pass_context
@handled
def migrate(ctx: Context) -> None:
    """Create the store's tables, or bring them to this unioncat's version.

    The only command that alters tables on PostgreSQL (on the embedded SQLite
    default, `nightly` and `demo` also do it). Safe to run again: a store
    already at this version is left as it is.
    """
    with Store(ctx.config.store_url, migrate=True) as store:
        before, after = store.last_migration
    if before == after:
        click.echo(f"the store is at {after}: nothing to do")
    else:
        click.echo(f"the store went from {before or 'empty'} to {after}")


@main.command("settings")
@click.option("--markdown", is_flag=True, help="Print the README's table (markdown) instead of plain lines.")
def settings_table(markdown: bool) -> None:
    """Every key config.yaml may hold: what it allows, its default and what it is for."""
    if markdown:
        click.echo(table.markdown(), nl=False)
        return
    for row in table.SETTINGS.values():
        shown = "required" if row.required else f"default {table.default(row.key)!r}"
        click.echo(f"{row.key}  ({row.allowed()}; {shown})\n    {row.help}")
