"""Librarians' corrections from the command line: split, merge, and staff accounts."""

from __future__ import annotations

import click

from cli.base import Context, Failures, handled, main, pass_context
from cli.leases import writer_lease
from cli.pipeline import source_names
from dedup import merge_clusters, split_record
from index import engine_for


@main.command()
@click.argument("record")
@click.option("--by", "made_by", default="cli", show_default=True, help="Who made the decision (kept with it).")
@click.option("--note", default="", help="Why, for the next librarian.")
@pass_context
@handled
def split(ctx: Context, record: str, made_by: str, note: str) -> None:
    """Take RECORD (source:001) out of its cluster, for this and every later run (under the writer lease)."""
    with ctx.store() as store, writer_lease(ctx.config, store, f"split by {made_by}"):
        split_record(store, record, made_by, note, several_per_cluster=ctx.config.several_per_cluster)
        engine_for(ctx.config).update(store, source_names(ctx.config))
        click.echo(f"{record} is now in cluster {store.resolve_cluster(record)}")


@main.command()
@click.argument("first")
@click.argument("second")
@click.option("--by", "made_by", default="cli", show_default=True, help="Who made the decision (kept with it).")
@click.option("--note", default="", help="Why, for the next librarian.")
@pass_context
@handled
def merge(ctx: Context, first: str, second: str, made_by: str, note: str) -> None:
    """Merge the clusters of FIRST and SECOND (cluster ids or source:001), for every later run (under the writer lease)."""
    with ctx.store() as store, writer_lease(ctx.config, store, f"merge by {made_by}"):
        merge_clusters(store, first, second, made_by, note, several_per_cluster=ctx.config.several_per_cluster)
        engine_for(ctx.config).update(store, source_names(ctx.config))
        click.echo(f"merged into cluster {store.resolve_cluster(first)}")


@main.group()
def staff() -> None:
    """Staff accounts for the web staff area."""


@staff.command("add")
@click.argument("username")
@click.password_option(help="The new password (asked for when not given).")
@pass_context
@handled
def staff_add(ctx: Context, username: str, password: str) -> None:
    """Create USERNAME, or set a new password."""
    from web.auth import hash_password

    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    with ctx.store() as store:
        store.set_staff_password(username, hash_password(password))
    click.echo(f"staff account {username} saved")


@staff.command("remove")
@click.argument("username")
@pass_context
@handled
def staff_remove(ctx: Context, username: str) -> None:
    """Delete USERNAME."""
    with ctx.store() as store:
        if not store.remove_staff(username):
            raise Failures(f"no staff account {username}")
    click.echo(f"staff account {username} removed")


@staff.command("list")
@pass_context
@handled
def staff_list(ctx: Context) -> None:
    """List the staff accounts."""
    with ctx.store() as store:
        for username in store.staff_usernames():
            click.echo(username)
