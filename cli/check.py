"""`unioncat check`: the configuration read and checked, the store opened, every source probed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import click

from cli.base import Context, Failures, handled, main, pass_context
from harvest import policy_for
from harvest.probe import Probe, probe_source
from store import Store, StoreError


@main.command()
@click.option("--source", "sources", multiple=True, metavar="CODE", help="Probe only this source (repeatable).")
@pass_context
@handled
def check(ctx: Context, sources: tuple[str, ...]) -> None:
    """Check the configuration, the store and every source, one line each, storing nothing.

    OAI-PMH sources: Identify, the metadata prefix, the set, one record
    fetched and normalised, the next page's resumption token. File sources:
    every path matches, one record normalised. Exits 0 when all is well, 1
    naming what is wrong and what to do, 2 when the configuration is invalid.
    """
    config = ctx.config
    click.echo(f"configuration: ok ({config.path})")
    problems = []
    store_problem = _check_store(config.store_url)
    if store_problem:
        problems.append(f"store: {store_problem}")
    chosen = [config.source(code) for code in sources] or list(config.sources)
    with ThreadPoolExecutor(max_workers=max(1, config.harvest.concurrency)) as pool:
        probes = list(pool.map(lambda s: probe_source(s, policy_for(config, s)), chosen))
    for probe in probes:
        click.echo(_line(probe))
        problems += [f"{probe.source}: {problem}" for problem in probe.problems]
    if problems:
        raise Failures("\n  ".join(["check found problems:", *problems]))


def _check_store(url: str) -> str | None:
    """Why the store cannot be used as it is (it is never created or migrated here), or None."""
    try:
        Store(url).close()
    except StoreError as exc:
        click.echo(f"store: PROBLEM: {exc}")
        return str(exc)
    click.echo("store: ok")
    return None


def _line(probe: Probe) -> str:
    if probe.problems:
        return f"{probe.source}: PROBLEM: {'; '.join(probe.problems)}"
    warnings = "".join(f"; warning: {w}" for w in probe.warnings)
    return f"{probe.source}: ok ({'; '.join(probe.facts)}){warnings}"
