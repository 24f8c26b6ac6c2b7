"""The main job: harvest, dedup, index, serve, nightly and the demo."""

from __future__ import annotations

import faulthandler
import glob
import ipaddress
import json
import secrets
import signal
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from cli.base import Context, Failures, handled, main, pass_context
from cli.health import with_totals
from cli.leases import writer_lease
from cli.progress import ProgressLine
from cli.server import ServeOptions
from dedup import run_dedup
from harvest import HarvestOptions, SourceReport, WorkerReport, harvest_sources, policy_for, retry_entry, run_worker
from harvest.renormalise import RenormaliseReport, pending, renormalise as renormalise_records
from index import SourceNames, engine_for
from cli.oai import publish_oai
from settings import Config, require_secret_key, secret_key_problem
from store import CLOSING_LEASE, LeaseHeld, Store


@main.command()
@click.option("--source", "sources", multiple=True, metavar="CODE", help="Harvest only this source (repeatable).")
@click.option("--full", is_flag=True, help="Re-harvest everything instead of only what changed.")
@click.option("--force", is_flag=True, help="Mark missing records deleted even if the catalogue shrank a lot.")
@click.option("--reconcile", is_flag=True,
              help="Also list every identifier and mark records no longer listed deleted (deletedRecord no/transient).")
@click.option("--worker", is_flag=True, help="Share the sources of a round with other workers (see the README).")
@click.option("--then-dedup/--no-dedup", default=True, show_default=True,
              help="(--worker) When the round is done, one worker runs dedup and index before closing it.")
@click.option("--deadline", type=click.FloatRange(min=0), metavar="SECONDS",
              help="(--worker) Claim no source later than this long after the round began; then dedup and index.")
@pass_context
@handled
def harvest(ctx: Context, sources: tuple[str, ...], full: bool, force: bool, reconcile: bool, worker: bool,
            then_dedup: bool, deadline: float | None) -> None:
    """Harvest sources into the record store, each under its harvest lease.

    A source whose lease another process holds is skipped and named (exit 1).
    With --worker, several processes (on several machines) share the sources.
    """
    config = ctx.config
    if worker:
        if sources:
            raise click.UsageError("--worker shares every configured source; it takes no --source")
        _worker(ctx, full, force, reconcile, then_dedup, deadline)
        return
    if deadline is not None:
        raise click.UsageError("--deadline goes with --worker")
    chosen = [config.source(code) for code in sources] or list(config.sources)
    with ctx.store() as store, ProgressLine() as progress:
        reports = harvest_sources(store, config, chosen, _options(config, full, force, reconcile, progress))
    _print_harvest(reports)
    _fail_on(reports)


def _worker(ctx: Context, full: bool, force: bool, reconcile: bool, then_dedup: bool, deadline: float | None) -> None:
    config = ctx.config
    with ctx.store(migrate_embedded=True) as store:
        with ProgressLine() as progress:
            report = run_worker(store, config, _options(config, full, force, reconcile, progress), deadline=deadline)
        click.echo(f"round {report.round_id}: {len(report.sources)} source(s) harvested by this worker")
        _print_harvest(report.sources)
        missed = _finish_round(config, store, report, then_dedup)
    if missed:
        raise Failures(f"round {report.round_id} closed at its deadline before these sources were harvested: "
                       + ", ".join(missed))
    _fail_on(report.sources)


def _finish_round(config: Config, store: Store, report: WorkerReport, then_dedup: bool) -> list[str]:
    """Close the round once it is done (after dedup and index, unless --no-dedup), by the one worker that
    takes the closing lease first; the sources it closed without are returned."""
    try:
        closing = store.acquire_lease(CLOSING_LEASE, "harvest --worker", expiry=config.leases.expiry)
    except LeaseHeld as exc:
        click.echo(f"round {report.round_id}: dedup and index by {exc.lease.holder()}")
        return []
    try:
        current = store.harvest_round(report.round_id)
        if current.finished_at is not None:
            click.echo(f"round {report.round_id}: finished by another worker")
            return []
        if then_dedup:
            _dedup_and_index(config, store, "harvest --worker")
        return store.close_round(report.round_id, "deadline" if current.todo() else "done")
    finally:
        store.drop_lease(closing)


def _dedup_and_index(config: Config, store: Store, command: str) -> tuple:
    """Dedup under the writer lease, then the index step outside it.

    The index only reads clusters and follows the change log from a position
    taken before it reads, so a librarian's correction made while it runs is
    picked up next time; holding the lease through a long index run would
    only turn librarians away.
    """
    with writer_lease(config, store, command):
        dedup_report = run_dedup(store, several_per_cluster=config.several_per_cluster)
    index_report = engine_for(config).update(store, source_names(config))
    publish_oai(config, store)
    store.prune_changes(timedelta(days=config.change_log_keep_days))
    click.echo(f"dedup: {dedup_report.records} records in {dedup_report.clusters} clusters, "
               f"{dedup_report.multi_member} held by several sources")
    if dedup_report.keys_upgraded:
        click.echo(f"dedup: match keys upgraded for {dedup_report.keys_upgraded} records, so every record was matched again")
    click.echo(f"index: {index_report.total} clusters searchable")
    return dedup_report, index_report


@main.command()
@click.option("--full", is_flag=True, help="Match every record again, not only those that changed.")
@pass_context
@handled
def dedup(ctx: Context, full: bool) -> None:
    """Group records of the same edition into clusters (holding the writer lease)."""
    with ctx.store() as store, writer_lease(ctx.config, store, "dedup"):
        report = run_dedup(store, full=full, several_per_cluster=ctx.config.several_per_cluster)
    click.echo(f"dedup: {report.records} records in {report.clusters} clusters, "
               f"{report.multi_member} held by several sources; {report.rematched} matched again")
    if report.keys_upgraded:
        click.echo(f"dedup: match keys upgraded for {report.keys_upgraded} records, so every record was matched again")


@main.command()
@click.option("--source", "sources", multiple=True, metavar="CODE", help="Only this source's records (repeatable).")
@click.option("--all", "every", is_flag=True,
              help="Every record of the named sources, not only those older rules made (after a change to a "
                   "source's holdings mapping or record address in config.yaml).")
@click.option("--time-limit", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Stop after the batch that passes this; the rest is done next time.")
@click.option("--then-dedup/--no-dedup", default=True, show_default=True,
              help="Match and index the records whose normalised form changed.")
@pass_context
@handled
def renormalise(ctx: Context, sources: tuple[str, ...], every: bool, time_limit: float | None, then_dedup: bool) -> None:
    """Derive stored records again from their raw MARC under today's normalisation rules (no re-harvest)."""
    config = ctx.config
    if every and not sources:
        raise click.UsageError("--all needs --source: name the sources whose configuration changed")
    unknown = sorted(set(sources) - {s.code for s in config.sources})
    if unknown:
        raise click.UsageError(f"no source {', '.join(unknown)} in the configuration")
    with ctx.store() as store:
        with writer_lease(config, store, "renormalise"):
            report = renormalise_records(store, config, sources=list(sources) or None, every=every,
                                         time_limit=time_limit)
        _print_renormalise(report)
        if then_dedup and report.changed:
            _dedup_and_index(config, store, "renormalise")


@main.command()
@click.option("--rebuild", is_flag=True, help="Build the index from scratch instead of updating it.")
@pass_context
@handled
def index(ctx: Context, rebuild: bool) -> None:
    """Write clusters into the search index."""
    with ctx.store() as store:
        report = engine_for(ctx.config).update(store, source_names(ctx.config), rebuild=rebuild)
    click.echo(f"index: {report.indexed} clusters indexed, {report.removed} removed, {report.total} in the index")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", default=ServeOptions.workers, show_default="one per core", type=click.IntRange(1, 256),
              help="Worker processes; each opens its own index snapshot.")
@click.option("--threads", default=ServeOptions.threads, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker: requests each worker answers at once.")
@click.option("--connections", default=ServeOptions.connections, show_default=True, type=click.IntRange(1, 100_000),
              help="Open connections per worker, idle ones included; beyond it new ones wait to be accepted.")
@click.option("--keepalive", default=ServeOptions.keepalive, show_default=True, type=click.IntRange(1, 300),
              help="Seconds an idle connection, or one still sending its request header, stays open.")
@pass_context
@handled
def serve(ctx: Context, host: str, port: int, workers: int, threads: int, connections: int, keepalive: int) -> None:
    """Serve the web catalogue on gunicorn: worker processes of threads.

    A connection takes a thread only once its whole request header has
    arrived, so idle and slow clients do not keep others waiting. In
    production, run it behind a buffering reverse proxy (see the README).
    """
    from cli.server import serve as run_server
    from web import create_app

    config = ctx.config
    _check_web(config)
    options = ServeOptions(host=host, port=port, workers=workers, threads=threads, connections=connections,
                           keepalive=keepalive)
    run_server(lambda: create_app(config, retry_quarantined=web_retry(config)), options, on_ready=lambda: click.echo(
        f"unioncat is serving {config.web.title} at http://{host}:{port}/ "
        f"({workers} worker(s) of {threads} threads; SIGTERM stops it gracefully, Ctrl+C at once)"))


@main.command()
@click.option("--full", is_flag=True, help="Re-harvest everything instead of only what changed.")
@click.option("--force", is_flag=True, help="Mark missing records deleted even if a catalogue shrank a lot.")
@click.option("--reconcile", is_flag=True, help="Reconcile deletions of every OAI-PMH source (see harvest --reconcile).")
@pass_context
@handled
def nightly(ctx: Context, full: bool, force: bool, reconcile: bool) -> None:
    """Harvest every source (each under its harvest lease), then deduplicate and index under the writer lease.

    Exits 0 when every source succeeded, 1 when a source failed or another
    process was harvesting it, records were newly quarantined or deletions were
    refused (each named), 2 on usage or configuration errors. A run report per
    source is written to the `reports` folder.
    """
    _nightly(ctx, full=full, force=force, reconcile=reconcile)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="UNIONCAT_DEMO_HOST",
              help="Address the catalogue listens on (or $UNIONCAT_DEMO_HOST).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="UNIONCAT_DEMO_PORT",
              help="Port the catalogue listens on (or $UNIONCAT_DEMO_PORT).")
@click.option("--oai-port", type=click.IntRange(1, 65535), envvar="UNIONCAT_DEMO_OAI_PORT",
              help="Port of the demo's OAI-PMH endpoint, instead of demo.oai_servers' port; the source it serves is "
                   "harvested there (or $UNIONCAT_DEMO_OAI_PORT; several endpoints take the ports after it).")
@pass_context
@handled
def demo(ctx: Context, host: str, port: int, oai_port: int | None) -> None:
    """Run the whole job on the bundled sample libraries and serve the result.

    Starts the configured demo OAI-PMH endpoints on 127.0.0.1, harvests every
    sample library, deduplicates, indexes, then serves the catalogue until
    interrupted.
    """
    from oaiserver import Repository, load_marc_files, make_app, serve_in_thread

    if oai_port is not None:
        ctx.replace_config(demo_ports(ctx.config, oai_port))
    config = ctx.config
    servers = []
    for demo_server in config.demo_servers:
        paths = sorted(p for pattern in demo_server.paths for p in glob.glob(pattern))
        records = load_marc_files(paths, identifier_prefix=f"oai:{demo_server.source}:")
        repository = Repository(records, name=f"unioncat demo: {config.source(demo_server.source).name}")
        servers.append(serve_in_thread(make_app(repository), port=demo_server.port))
        click.echo(f"OAI-PMH endpoint for {demo_server.source}: {servers[-1].url}")
    try:
        _nightly(ctx, full=False, force=False, fail=False)
        _serve_demo(demo_secret(config, host), host, port)
    finally:
        for server in servers:
            server.stop()


def demo_ports(config: Config, first_port: int) -> Config:
    """The configuration with its demo endpoints on `first_port` and after, and their sources' URLs to match."""
    servers = tuple(replace(server, port=first_port + n) for n, server in enumerate(config.demo_servers))
    ports = {server.source: server.port for server in servers}
    sources = tuple(replace(s, url=_with_port(s.url, ports[s.code])) if s.code in ports and s.url else s
                    for s in config.sources)
    return replace(config, demo_servers=servers, sources=sources)


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def _nightly(ctx: Context, *, full: bool, force: bool, fail: bool = True, reconcile: bool = False) -> None:
    config = ctx.config
    with ctx.store(migrate_embedded=True) as store:
        run_id = store.start_run("nightly")
        started, began = time.monotonic(), _utc_now()
        with ProgressLine() as progress:
            reports = harvest_sources(store, config, list(config.sources),
                                      _options(config, full, force, reconcile, progress), run_id=run_id,
                                      command="nightly")
        _print_harvest(reports)
        rederived = _renormalise_pending(config, store)
        dedup_report, index_report = _dedup_and_index(config, store, "nightly")
        outcome = "ok" if all(r.ok and not r.counts.quarantined and not r.warnings for r in reports) else "failures"
        report = {"run": run_id, "command": "nightly", "started": began, "finished": _utc_now(), "outcome": outcome,
                  "sources": with_totals(store, config, [r.to_dict() for r in reports]),
                  "renormalise": rederived.to_dict(),
                  "dedup": dedup_report.to_dict(), "index": index_report.to_dict(),
                  "duration": round(time.monotonic() - started, 3)}
        store.finish_run(run_id, outcome, report)
        click.echo(f"run {run_id}: {outcome}; report written to {_write_report(config, run_id, report)}")
    if fail:
        _fail_on(reports)


def _renormalise_pending(config: Config, store: Store) -> RenormaliseReport:
    """After the harvest: records older rules made, derived again within the night's time for it."""
    if not config.renormalise_seconds or not pending(store):
        return RenormaliseReport()
    with writer_lease(config, store, "nightly"):
        report = renormalise_records(store, config, time_limit=config.renormalise_seconds)
    _print_renormalise(report)
    return report


def _print_renormalise(report: RenormaliseReport) -> None:
    click.echo(f"renormalise: {report.examined} records derived again under rules version {report.version}, "
               f"{report.changed} changed, {report.failed} kept as they were"
               + (f", {report.remaining} left for next time" if report.remaining else ""))
    for failure in report.failures:
        click.echo(f"  kept as it was: {failure}")


def _write_report(config: Config, run_id: int, report: dict) -> Path:
    folder = config.reports_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run_id:06d}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    return path


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def demo_secret(config: Config, host: str) -> Config:
    """The configuration with a random secret key when the demo on a loopback address has no fit one."""
    if secret_key_problem(config.web.secret_key) is None or not is_loopback(host):
        return config
    click.echo("demo: signing sessions with a random key made for this run (set web.secret_key to keep them)")
    return replace(config, web=replace(config.web, secret_key=secrets.token_hex(32)))


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or name (the demo may then make its own secret key)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_web(config: Config) -> None:
    """`ConfigError` for a secret key unfit for production; a note when no public base URL is set."""
    require_secret_key(config.web)
    if not config.web.public_base_url:
        click.echo("note: web.public_base_url is not set: permalinks and OpenSearch stay relative", err=True)


def web_retry(config: Config):
    """The staff area's quarantine retry: the harvester's, for one entry (the web never imports harvest)."""
    return lambda store, entry_id: retry_entry(store, list(config.sources), lambda s: policy_for(config, s), entry_id)


def _serve_demo(config: Config, host: str, port: int) -> None:
    from cli.server import serve_waitress
    from web import create_app

    _check_web(config)
    app = create_app(config, retry_quarantined=web_retry(config))
    click.echo(f"unioncat is serving {config.web.title} at http://{host}:{port}/ (Ctrl+C to stop)")
    signal.signal(signal.SIGINT, _stop_within_seconds)
    serve_waitress(app, host, port, threads=4)


STOP_WITHIN = 10     # seconds the demo may take to stop after Ctrl+C


def _stop_within_seconds(signum, frame) -> None:
    """Ctrl+C: stop serving as usual, and be gone within STOP_WITHIN seconds whatever hangs on the way out.

    Rarely, under heavy load, the demo did not exit after Ctrl+C (seen in the test suite, never
    reproduced alone). faulthandler's watchdog is a C thread that works even where Python's own
    shutdown waits on a lock: past the limit it prints every thread's stack, so the cause can be
    found, and ends the process (exit status 1).
    """
    faulthandler.dump_traceback_later(STOP_WITHIN, exit=True)
    raise KeyboardInterrupt


def _options(config: Config, full: bool, force: bool, reconcile: bool, progress) -> HarvestOptions:
    return HarvestOptions(full=full, force=force, reconcile=reconcile, max_shrink=config.harvest.max_shrink,
                          progress=progress)


def source_names(config: Config) -> SourceNames:
    """Member names by code, with the licensed collections and regional bibliographies among them."""
    return SourceNames({s.code: s.name for s in config.sources}, licensed=config.collections.licensed_sources,
                       regional=config.collections.regional_bibliographies)


def _print_harvest(reports: list[SourceReport]) -> None:
    for r in reports:
        c = r.counts
        line = (f"{r.source}: {r.outcome}; {c.new} new, {c.changed} changed, {c.unchanged} unchanged, "
                f"{c.deleted} deleted, {c.quarantined} quarantined; {r.requests} requests, {r.retries} retries, "
                f"{r.duration:.1f}s")
        click.echo(line + (f"; {r.error}" if r.error else ""))
        for note in r.notes + r.warnings:
            click.echo(f"  {note}")


def _fail_on(reports: list[SourceReport]) -> None:
    problems = [f"{r.source} {'skipped' if r.outcome == 'held' else 'failed'}: {r.error}" for r in reports if not r.ok]
    problems += [f"{r.source}: {warning}" for r in reports for warning in r.warnings]
    for r in reports:
        for q in r.counts.quarantined_items:
            problems.append(f"{r.source}: quarantined {q.oai_identifier or q.local_id or q.position}: {q.reason}")
    if problems:
        raise Failures("\n  ".join(["the run finished with problems:", *problems]))
