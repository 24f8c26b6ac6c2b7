"""The `unioncat` group, its context, and the one place that turns exceptions into exit codes.

Exit codes: 0 all good; 1 finished, but with failures it names (a source
failed, records were newly quarantined, deletions were refused, an input could
not be read, another process held a lease for longer than the command waits:
`LeaseHeld` names the holder); 2 bad usage or configuration.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from cli.server import ServeError
from dedup import CorrectionError
from index import SearchIndexError
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
        except (StoreError, SearchIndexError, ServeError) as exc:
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

    def replace_config(self, config: Config) -> None:
        """Use `config` from now on (a command line option changed part of it)."""
        self._config = config

    def store(self, *, migrate_embedded: bool = False) -> Store:
        """The configured store; `migrate_embedded` brings an SQLite store's tables up to date first.

        Only `nightly`, `demo` and `harvest --worker` ask for that: the embedded default has one
        user, while a shared PostgreSQL store changes only by `unioncat migrate`.
        """
        url = self.config.store_url
        return Store(url, migrate=migrate_embedded and url.startswith("sqlite"))


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
