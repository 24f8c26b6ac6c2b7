"""The `unioncat` command: the only place that prints and chooses exit codes.

Exit codes: 0 all good; 1 finished, but with failures it names (a source
failed, records were newly quarantined, deletions were refused, an input could
not be read, another nightly run holds the lock); 2 bad usage or configuration.
"""

from __future__ import annotations

import fcntl
import functools
import glob
import json
import logging
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import click

from dedup import CorrectionError, merge_clusters, run_dedup, split_record
from harvest import HarvestOptions, Progress, SourceReport, harvest_sources, policy_for, retry_quarantined
from index import SearchIndexError, update_index
from normalise import ReadFailure, normalise, read_file
from settings import Config, ConfigError, default_config, load_config
from store import Store, StoreError

log = logging.getLogger("unioncat")


class Failures(Exception):
    """The command finished but something it names went wrong (exit code 1)."""


def handled(command):
    """Turn the library's exceptions into messages and exit codes."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            raise click.UsageError(f"configuration: {exc}") from exc
        except Failures as exc:
            click.echo(f"unioncat: {exc}", err=True)
            sys.exit(1)
        except CorrectionError as exc:
            raise click.UsageError(str(exc)) from exc
        except (StoreError, SearchIndexError) as exc:
            click.echo(f"unioncat: {exc}", err=True)
            sys.exit(1)
    return wrapper


class Context:
    """The configuration, loaded on first use so that `inspect` needs none."""

    def __init__(self, path: Path):
        self.path = path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.path)
        return self._config

    def store(self) -> Store:
        return Store(self.config.store_url)


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=default_config,
              show_default="config.yaml, or $UNIONCAT_CONFIG", help="The configuration file.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debugging).")
@click.pass_context
def main(ctx: click.Context, config_path: Path, verbose: int) -> None:
    """unioncat: one search across every member library's shelves.

    Harvests member catalogues (OAI-PMH or MARC files), deduplicates editions
    into clusters, indexes them and serves the catalogue on the web.
    """
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # pymarc logs every odd indicator; unioncat reports what matters through flags and quarantine
    logging.getLogger("pymarc").setLevel(logging.DEBUG if verbose > 1 else logging.ERROR)
    ctx.obj = Context(config_path)


@main.command()
@click.option("--source", "sources", multiple=True, metavar="CODE", help="Harvest only this source (repeatable).")
@click.option("--full", is_flag=True, help="Re-harvest everything instead of only what changed.")
@click.option("--force", is_flag=True, help="Mark missing records deleted even if the catalogue shrank a lot.")
@click.option("--reconcile", is_flag=True,
              help="Also list every identifier and mark records no longer listed deleted (deletedRecord no/transient).")
@pass_context
@handled
def harvest(ctx: Context, sources: tuple[str, ...], full: bool, force: bool, reconcile: bool) -> None:
    """Harvest sources into the record store."""
    config = ctx.config
    chosen = [config.source(code) for code in sources] or list(config.sources)
    with _lock(config.lock_file), ctx.store() as store, _Progress() as progress:
        reports = harvest_sources(store, config, chosen, _options(config, full, force, reconcile, progress))
    _print_harvest(reports)
    _fail_on(reports)


@main.command()
@click.option("--full", is_flag=True, help="Match every record again, not only those that changed.")
@pass_context
@handled
def dedup(ctx: Context, full: bool) -> None:
    """Group records of the same edition into clusters."""
    with ctx.store() as store:
        report = run_dedup(store, full=full, several_per_cluster=ctx.config.several_per_cluster)
    click.echo(f"dedup: {report.records} records in {report.clusters} clusters, "
               f"{report.multi_member} held by several sources; {report.rematched} matched again")


@main.command()
@click.argument("record")
@click.option("--by", "made_by", default="cli", show_default=True, help="Who made the decision (kept with it).")
@click.option("--note", default="", help="Why, for the next librarian.")
@pass_context
@handled
def split(ctx: Context, record: str, made_by: str, note: str) -> None:
    """Take RECORD (source:001) out of its cluster, for this and every later run."""
    with ctx.store() as store:
        split_record(store, record, made_by, note, several_per_cluster=ctx.config.several_per_cluster)
        update_index(store, ctx.config.index_dir, _names(ctx.config))
        click.echo(f"{record} is now in cluster {store.resolve_cluster(record)}")


@main.command()
@click.argument("first")
@click.argument("second")
@click.option("--by", "made_by", default="cli", show_default=True, help="Who made the decision (kept with it).")
@click.option("--note", default="", help="Why, for the next librarian.")
@pass_context
@handled
def merge(ctx: Context, first: str, second: str, made_by: str, note: str) -> None:
    """Merge the clusters of FIRST and SECOND (cluster ids or source:001), for every later run."""
    with ctx.store() as store:
        merge_clusters(store, first, second, made_by, note, several_per_cluster=ctx.config.several_per_cluster)
        update_index(store, ctx.config.index_dir, _names(ctx.config))
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


@main.command()
@click.option("--rebuild", is_flag=True, help="Build the index from scratch instead of updating it.")
@pass_context
@handled
def index(ctx: Context, rebuild: bool) -> None:
    """Write clusters into the search index."""
    with ctx.store() as store:
        report = update_index(store, ctx.config.index_dir, _names(ctx.config), rebuild=rebuild)
    click.echo(f"index: {report.indexed} clusters indexed, {report.removed} removed, {report.total} in the index")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads.")
@pass_context
@handled
def serve(ctx: Context, host: str, port: int, threads: int) -> None:
    """Serve the web catalogue on a production WSGI server (waitress)."""
    _serve(ctx.config, host, port, threads)


@main.command()
@click.option("--full", is_flag=True, help="Re-harvest everything instead of only what changed.")
@click.option("--force", is_flag=True, help="Mark missing records deleted even if a catalogue shrank a lot.")
@click.option("--reconcile", is_flag=True, help="Reconcile deletions of every OAI-PMH source (see harvest --reconcile).")
@pass_context
@handled
def nightly(ctx: Context, full: bool, force: bool, reconcile: bool) -> None:
    """Harvest every source, deduplicate and index, in one locked run.

    Exits 0 when every source succeeded, 1 when a source failed, records were
    newly quarantined or deletions were refused (each named), 2 on usage or
    configuration errors. A run report per source is written to reports/
    beside the lock file.
    """
    _nightly(ctx.config, full=full, force=force, reconcile=reconcile)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_code", metavar="CODE", help="Apply this configured source's holdings mapping.")
@click.pass_obj
@handled
def inspect(ctx: Context, files: tuple[Path, ...], source_code: str | None) -> None:
    """Print each record of MARC FILES (binary or XML) as normalised JSON, one per line."""
    source = ctx.config.source(source_code) if source_code else None
    options = {"source_name": source.name, "holdings": source.holdings, "record_url": source.record_url or ""} if source else {}
    failures = printed = 0
    for path in files:
        for raw in read_file(path):
            if isinstance(raw, ReadFailure):
                failures += 1
                click.echo(f"{path}#{raw.position}: {raw.reason}", err=True)
                continue
            record = normalise(raw.record, source.code if source else path.stem, flags=raw.flags, **options)
            click.echo(json.dumps(record.to_dict(), ensure_ascii=False))
            printed += 1
    click.echo(f"{printed} record(s) normalised, {failures} reported", err=True)
    if failures:
        raise Failures(f"{failures} record(s) could not be read")


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
@pass_context
@handled
def status(ctx: Context, quarantined: bool, as_json: bool) -> None:
    """Per source: the last harvest, records, deleted, quarantined, last error."""
    with ctx.store() as store:
        if quarantined:
            _print_quarantined(store.quarantined(), as_json)
            return
        rows = store.status([s.code for s in ctx.config.sources])
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in rows], default=str, indent=2))
        return
    click.echo(f"{'source':<12} {'last harvest':<20} {'outcome':<8} {'records':>8} {'deleted':>8} {'quarant.':>8}  last error")
    for r in rows:
        when = r.last_finished.strftime("%Y-%m-%d %H:%M:%S") if r.last_finished else "never"
        click.echo(f"{r.source:<12} {when:<20} {r.last_outcome or '-':<8} {r.records:>8} {r.deleted:>8} "
                   f"{r.quarantined:>8}  {r.last_error or ''}")


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
    with _lock(config.lock_file), ctx.store() as store:
        report = retry_quarantined(store, chosen, lambda source: policy_for(config, source))
    for q in report.resolved:
        click.echo(f"resolved #{q.id} {q.source} {q.oai_identifier or q.local_id or q.position}")
    click.echo(f"{len(report.resolved)} resolved, {len(report.remaining)} still quarantined")
    if report.remaining:
        raise Failures("\n  ".join(["still quarantined:", *(
            f"#{q.id} {q.source} {q.oai_identifier or q.local_id or q.position}: {reason}" for q, reason in report.remaining)]))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the catalogue listens on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port the catalogue listens on.")
@pass_context
@handled
def demo(ctx: Context, host: str, port: int) -> None:
    """Run the whole job on the bundled sample libraries and serve the result.

    Starts the configured demo OAI-PMH endpoints on 127.0.0.1, harvests every
    sample library, deduplicates, indexes, then serves the catalogue until
    interrupted.
    """
    from oaiserver import Repository, load_marc_files, make_app, serve_in_thread

    config = ctx.config
    servers = []
    for demo_server in config.demo_servers:
        paths = sorted(p for pattern in demo_server.paths for p in glob.glob(pattern))
        records = load_marc_files(paths, identifier_prefix=f"oai:{demo_server.source}:")
        repository = Repository(records, name=f"unioncat demo: {config.source(demo_server.source).name}")
        servers.append(serve_in_thread(make_app(repository), port=demo_server.port))
        click.echo(f"OAI-PMH endpoint for {demo_server.source}: {servers[-1].url}")
    try:
        _nightly(config, full=False, force=False, fail=False)
        _serve(config, host, port, 4)
    finally:
        for server in servers:
            server.stop()


def _nightly(config: Config, *, full: bool, force: bool, fail: bool = True, reconcile: bool = False) -> None:
    with _lock(config.lock_file), Store(config.store_url) as store:
        run_id = store.start_run("nightly")
        started = time.monotonic()
        with _Progress() as progress:
            reports = harvest_sources(store, config, list(config.sources),
                                      _options(config, full, force, reconcile, progress), run_id=run_id)
        _print_harvest(reports)
        dedup_report = run_dedup(store, several_per_cluster=config.several_per_cluster)
        index_report = update_index(store, config.index_dir, _names(config))
        report = {"sources": [r.to_dict() for r in reports], "dedup": dedup_report.to_dict(),
                  "index": index_report.to_dict(), "duration": round(time.monotonic() - started, 3)}
        outcome = "ok" if all(r.ok and not r.counts.quarantined and not r.warnings for r in reports) else "failures"
        store.finish_run(run_id, outcome, report)
        _write_report(config, run_id, report)
    click.echo(f"dedup: {dedup_report.records} records in {dedup_report.clusters} clusters, "
               f"{dedup_report.multi_member} held by several sources")
    click.echo(f"index: {index_report.total} clusters searchable")
    if fail:
        _fail_on(reports)


@contextmanager
def _lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Failures(f"another nightly run (or harvest) holds the lock {path}") from exc
        yield


def _write_report(config: Config, run_id: int, report: dict) -> None:
    folder = config.lock_file.parent / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"run-{run_id:06d}.json").write_text(json.dumps(report, indent=2, default=str))


def _serve(config: Config, host: str, port: int, threads: int) -> None:
    import waitress

    from web import create_app

    app = create_app(config)
    click.echo(f"unioncat is serving {config.web.title} at http://{host}:{port}/ (Ctrl+C to stop)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="unioncat")


def _options(config: Config, full: bool, force: bool, reconcile: bool, progress) -> HarvestOptions:
    return HarvestOptions(full=full, force=force, reconcile=reconcile, max_shrink=config.harvest.max_shrink,
                          progress=progress)


class _Progress:
    """Harvest progress: one line redrawn in place on a terminal; plain log lines otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.latest: dict[str, Progress] = {}
        self.lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.tty and self.latest:
            self.stream.write("\n")
            self.stream.flush()

    def __call__(self, event: Progress) -> None:
        with self.lock:
            if not self.tty:
                # cron and CI logs: one plain, timestamped line per page
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                total = f" of {event.total}" if event.total else ""
                self.stream.write(f"{stamp} {event.source}: {event.pages} page(s), {event.records} records{total}\n")
                self.stream.flush()
                return
            self.latest[event.source] = event
            line = "  ".join(_bar(e) for e in self.latest.values())
            self.stream.write("\r" + line[:200] + "\x1b[K")
            self.stream.flush()


def _bar(event: Progress) -> str:
    if not event.total:
        return f"{event.source} {event.records} records, {event.pages} page(s)"
    done = min(1.0, event.records / event.total)
    return f"{event.source} [{'#' * int(done * 20):<20}] {done:4.0%} {event.records}/{event.total}"


def _names(config: Config) -> dict[str, str]:
    return {s.code: s.name for s in config.sources}


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
    problems = [f"{r.source} failed: {r.error}" for r in reports if not r.ok]
    problems += [f"{r.source}: {warning}" for r in reports for warning in r.warnings]
    for r in reports:
        for q in r.counts.quarantined_items:
            problems.append(f"{r.source}: quarantined {q.oai_identifier or q.local_id or q.position}: {q.reason}")
    if problems:
        raise Failures("\n  ".join(["the run finished with problems:", *problems]))


def _print_quarantined(items, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([{k: v for k, v in q.__dict__.items() if k != "raw"} for q in items], default=str, indent=2))
        return
    for q in items:
        click.echo(f"#{q.id} {q.source} {q.oai_identifier or q.local_id or '-'} at {q.position}: {q.reason}")
    click.echo(f"{len(items)} quarantined record(s)")
