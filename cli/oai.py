"""The OAI-PMH provider's commands: bring its datestamps and deletions up to the change log."""

from __future__ import annotations

import click

from cli.base import Context, handled, main, pass_context
from settings import Config
from store import Store


def publish_oai(config: Config, store: Store) -> None:
    """After dedup and index: the provider follows the change log too (when it is configured)."""
    if not config.oai.enabled:
        return
    from web.oai import update_provider     # here, not above: every other command stays without Flask in memory

    report = update_provider(store, config)
    click.echo(f"oai: {report.published} records published, {report.deleted} deleted, at change {report.position}")


@main.group()
def oai() -> None:
    """unioncat as an OAI-PMH provider (oai.repository_identifier in the configuration)."""


@oai.command("update")
@click.option("--rebuild", is_flag=True, help="Publish every cluster again (new datestamps for all).")
@pass_context
@handled
def oai_update(ctx: Context, rebuild: bool) -> None:
    """Publish the clusters the change log names since the last update: new datestamps, deletions, sets."""
    if not ctx.config.oai.enabled:
        raise click.UsageError("the OAI-PMH provider is off: set oai.repository_identifier in the configuration")
    from web.oai import update_provider

    with ctx.store() as store:
        report = update_provider(store, ctx.config, rebuild=rebuild)
    what = "rebuilt" if report.rebuilt else "updated"
    click.echo(f"oai {what}: {report.published} records published, {report.deleted} deleted, at change {report.position}")
