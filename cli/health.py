"""Sources' health over recent nightly runs, for `status --history` and the nightly run's alerts."""

from __future__ import annotations

import click

from health import DROPPED, FAILING, SourceHealth, healths
from settings import Config
from store import Store

FLAG_WORDS = {FAILING: "failed {n} runs in a row", DROPPED: "live records fell by {share:.0%} in the last run"}


def with_totals(store: Store, config: Config, entries: list[dict]) -> list[dict]:
    """The run report's source entries with each source's totals after the run (the trend is made of them)."""
    totals = {s.source: s for s in store.status([s.code for s in config.sources])}
    for entry in entries:
        status = totals.get(entry["source"])
        if status is not None:
            entry.update(live=status.records, deleted_total=status.deleted, quarantined_total=status.quarantined)
    return entries


def reasons(health: SourceHealth) -> list[str]:
    """The flags in words."""
    return [FLAG_WORDS[flag].format(n=health.failed_in_a_row, share=health.drop or 0) for flag in health.flags]


def print_history(store: Store, config: Config) -> None:
    """`status --history`: per source, its last success, its recent runs and its flags."""
    for health in healths(store, config):
        when = health.last_success.strftime("%Y-%m-%d %H:%M") if health.last_success else "never"
        flag = "; ".join(reasons(health))
        click.echo(f"{health.source}: last success {when}" + (f"  FLAGGED: {flag}" if flag else ""))
        if not health.points:
            click.echo("  no nightly run yet")
        for point in health.points:
            finished = point.finished.strftime("%Y-%m-%d %H:%M") if point.finished else "-"
            click.echo(f"  run {point.run_id:<5} {finished}  {point.outcome:<7} live {_n(point.live):>8}  "
                       f"deleted {_n(point.deleted):>7}  kept aside {_n(point.quarantined):>6}")


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
