"""The operator's commands for SolrCloud: `solr setup`."""

from __future__ import annotations

import json

import click

from cli.base import Context, handled, main, pass_context
from index import engine_for
from settings import ConfigError


@main.group()
def solr() -> None:
    """SolrCloud, when `search: {engine: solr, ...}` is configured."""


@solr.command()
@pass_context
@handled
def setup(ctx: Context) -> None:
    """Upload the configset and create the collection behind the alias; safe to run again.

    The collection gets `search.shards` shards of `search.replicas` replicas
    each. When the configset kept in unioncat changed since the collection
    was made, nothing changes under the patrons: `unioncat index --rebuild`
    builds a new collection with it and switches the alias when complete.
    """
    if ctx.config.search.engine != "solr":
        raise ConfigError("search.engine is not solr: `unioncat solr setup` needs search: {engine: solr, nodes: [...]}")
    engine = engine_for(ctx.config)
    try:
        report = engine.setup()
    finally:
        engine.close()
    click.echo(json.dumps(report.to_dict()))
    if report.created:
        click.echo(f"created {report.collection} behind the alias {ctx.config.search.collection}", err=True)
    elif report.rebuild_needed:
        click.echo(f"the configset changed: run `unioncat index --rebuild` to move {ctx.config.search.collection}"
                   f" to a new collection built with {report.configset}", err=True)
    else:
        click.echo(f"{ctx.config.search.collection} is {report.collection}: nothing to do", err=True)
