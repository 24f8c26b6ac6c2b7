"""Looking at records: inspect files, export clusters, status and quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.base import Context, Failures, handled, main, pass_context
from cli.health import print_history
from cli.leases import lease_rows, print_leases, writer_lease
from harvest import policy_for, retry_quarantined
from normalise import ReadFailure, normalise, read_file


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_code", metavar="CODE", help="Apply this configured source's holdings mapping.")
@click.pass_obj
@handled
def inspect(ctx: Context, files: tuple[Path, ...], source_code: str | None) -> None:
    """Print each record of MARC FILES (binary or XML) as normalised JSON, one per line.

    Exits 1 when a record could not be read, or a file holds no MARC record at all.
    """
    source = ctx.config.source(source_code) if source_code else None
    options = {"source_name": source.name, "holdings": source.holdings, "record_url": source.record_url or ""} if source else {}
    failures = printed = 0
    problems: list[str] = []
    for path in files:
        found, reasons = _inspect_file(path, source, options)
        printed, failures = printed + found, failures + len(reasons)
        if not found:
            problems.append(f"no MARC records found in {path}: {reasons[0] if reasons else _nothing_in(path)}")
    click.echo(f"{printed} record(s) normalised, {failures} reported", err=True)
    if failures and len(problems) < len(files):
        problems.insert(0, f"{failures} record(s) could not be read")
    if problems:
        raise Failures("\n  ".join(problems))


def _inspect_file(path: Path, source, options: dict) -> tuple[int, list[str]]:
    """Print the records of one file; how many were printed, and why the others could not be read."""
    printed, reasons = 0, []
    for raw in read_file(path):
        if isinstance(raw, ReadFailure):
            reasons.append(raw.reason)
            click.echo(f"{path}#{raw.position}: {raw.reason}", err=True)
            continue
        record = normalise(raw.record, source.code if source else path.stem, flags=raw.flags, **options)
        click.echo(json.dumps(record.to_dict(), ensure_ascii=False))
        printed += 1
    return printed, reasons


def _nothing_in(path: Path) -> str:
    if not path.read_bytes().strip():
        return "the file is empty"
    return "it is XML without any MARC record element (HTML, or another format)"


@main.group()
def export() -> None:
    """Export data from the store."""


@export.command("clusters")
@pass_context
@handled
def export_clusters(ctx: Context) -> None:
    """Every cluster with its member records, one JSON object per line."""
    with ctx.store() as store:
        for cluster_id, members in store.export_clusters():
            click.echo(json.dumps({"cluster": cluster_id, "records": [{"source": s, "id": i} for s, i in members]},
                                  ensure_ascii=False))


@main.command()
@click.option("--quarantined", is_flag=True, help="List the quarantined records instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--history", is_flag=True,
              help="Per source: its last success, its recent nightly runs (live, deleted and kept-aside records) "
                   "and its flags (health.failed_runs, health.drop).")
@pass_context
@handled
def status(ctx: Context, quarantined: bool, as_json: bool, history: bool) -> None:
    """Per source: the last harvest, records, deleted, quarantined, last error; then the leases and their holders.

    --json prints {"sources": [...], "leases": [...]}.
    """
    with ctx.store() as store:
        if history:
            print_history(store, ctx.config)
            return
        if quarantined:
            _print_quarantined(store.quarantined(), as_json)
            return
        rows = store.status([s.code for s in ctx.config.sources])
        leases = store.leases()
    if as_json:
        click.echo(json.dumps({"sources": [r.__dict__ for r in rows], "leases": lease_rows(leases)}, default=str, indent=2))
        return
    click.echo(f"{'source':<12} {'last harvest':<20} {'outcome':<8} {'records':>8} {'deleted':>8} {'quarant.':>8}  last error")
    for r in rows:
        when = r.last_finished.strftime("%Y-%m-%d %H:%M:%S") if r.last_finished else "never"
        click.echo(f"{r.source:<12} {when:<20} {r.last_outcome or '-':<8} {r.records:>8} {r.deleted:>8} "
                   f"{r.quarantined:>8}  {r.last_error or ''}")
    print_leases(leases)


@main.group()
def quarantine() -> None:
    """Records kept aside by harvests: list them with `status --quarantined`, retry them here."""


@quarantine.command("retry")
@click.option("--source", "sources", multiple=True, metavar="CODE", help="Retry only this source's records (repeatable).")
@pass_context
@handled
def quarantine_retry(ctx: Context, sources: tuple[str, ...]) -> None:
    """Read quarantined records again (GetRecord for OAI-PMH records whose bytes are unusable).

    Records that now read leave the quarantine; exits 1 naming those that stay.
    """
    config = ctx.config
    chosen = [config.source(code) for code in sources] or list(config.sources)
    with ctx.store() as store, writer_lease(config, store, "quarantine retry"):
        report = retry_quarantined(store, chosen, lambda source: policy_for(config, source))
    for q in report.resolved:
        click.echo(f"resolved #{q.id} {q.source} {q.oai_identifier or q.local_id or q.position}")
    click.echo(f"{len(report.resolved)} resolved, {len(report.remaining)} still quarantined")
    if report.remaining:
        raise Failures("\n  ".join(["still quarantined:", *(
            f"#{q.id} {q.source} {q.oai_identifier or q.local_id or q.position}: {reason}" for q, reason in report.remaining)]))


def _print_quarantined(items, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([{k: v for k, v in q.__dict__.items() if k != "raw"} for q in items], default=str, indent=2))
        return
    for q in items:
        click.echo(f"#{q.id} {q.source} {q.oai_identifier or q.local_id or '-'} at {q.position}: {q.reason}")
    click.echo(f"{len(items)} quarantined record(s)")
