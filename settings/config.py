"""Read and validate `config.yaml` into frozen dataclasses.

Paths in the file are relative to the file itself, so a configuration can be
moved together with its data. Validation errors name the key and say what was
expected; they are raised as `ConfigError`, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from settings.availability import AvailabilitySettings, parse_availability
from settings.collections import CollectionSettings, parse_collections
from settings.errors import ConfigError
from settings.interlending import InterlendingSettings, parse_interlending
from settings.mail import MailSettings, parse_mail
from settings.patrons import PatronSettings, parse_patrons
from settings.health import HealthSettings, parse_health
from settings.metrics import MetricsSettings, parse_metrics
from settings.oai import OaiSettings, parse_oai
from settings.search import SearchSettings, parse_search
from settings.table import default, value
from settings.validate import check_config
from settings.web import WebSettings, parse_web

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_RESPONSE_BYTES = default("harvest.max_response_bytes")
HOLDINGS_ROLES = ("member", "library", "location", "call_number", "items", "availability", "note")


@dataclass(frozen=True)
class HoldingsMapping:
    """Where a source keeps its holdings: one MARC field and a subfield per role.

    `subfields` maps a role (library, location, call_number, ...) to the
    subfield codes that carry it, in order of preference.
    """

    tag: str
    subfields: dict[str, str] = field(default_factory=dict)
    library_names: dict[str, str] = field(default_factory=dict)
    indicators: str | None = None    # only fields whose indicators start so ("91": III Sierra's item 999)
    # copies listed in another field, one per copy (Aleph's 940 beside its 852): tag, then the
    # subfields giving the library and the location that match them to a holding
    items_from: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class SourceConfig:
    """One member catalogue: an OAI-PMH endpoint or a set of MARC files."""

    code: str
    name: str
    type: str
    url: str | None = None
    metadata_prefix: str = default("sources[].metadata_prefix")
    set: str | None = None
    paths: tuple[str, ...] = ()
    holdings: HoldingsMapping | None = None
    record_url: str | None = None
    timeout: float = default("sources[].timeout")
    several_per_cluster: bool = False   # a catalogue that holds duplicates of its own (merged like any other)
    reconcile: bool = False          # (oai) list identifiers each harvest and mark the missing deleted
    max_response_bytes: int | None = None   # (oai) this server's own limit instead of harvest.max_response_bytes
    follow_redirects: str | None = None     # (oai) origin | any, instead of harvest.follow_redirects


@dataclass(frozen=True)
class HarvestSettings:
    """Transport policy shared by every OAI-PMH source."""

    timeout: float = default("harvest.timeout")
    max_retries: int = default("harvest.max_retries")
    retry_budget: int = default("harvest.retry_budget")     # retries one source may spend in a run
    backoff: float = default("harvest.backoff")
    concurrency: int = default("harvest.concurrency")
    max_shrink: float = default("harvest.max_shrink")       # largest share of a source marked deleted in a run
    max_response_bytes: int = MAX_RESPONSE_BYTES            # largest response read, on the wire and decompressed
    request_deadline: float = default("harvest.request_deadline")   # one whole response, however trickled
    page_deadline: float = default("harvest.page_deadline")         # one page with its retries
    follow_redirects: str = default("harvest.follow_redirects")     # origin (scheme, host, port) or any


@dataclass(frozen=True)
class LeaseSettings:
    """How long a lease lasts without renewal, and how long a command waits for one."""

    expiry: float = default("leases.expiry")       # a holder that stopped renewing keeps a lease (a killed worker's cost)
    wait: float = default("leases.wait")           # dedup, split, merge, quarantine retry and nightly wait this long
    web_wait: float = default("leases.web_wait")   # a librarian's split or merge on the web waits this long


@dataclass(frozen=True)
class DemoServer:
    """An OAI-PMH endpoint that `unioncat demo` serves from local files."""

    source: str
    port: int
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    """The whole configuration, with every path made absolute."""

    path: Path
    store_url: str
    index_dir: Path
    sources: tuple[SourceConfig, ...]
    harvest: HarvestSettings = HarvestSettings()
    web: WebSettings = WebSettings()
    demo_servers: tuple[DemoServer, ...] = ()
    reports_dir: Path | None = None
    leases: LeaseSettings = LeaseSettings()
    change_log_keep_days: int = default("change_log.keep_days")   # entries every consumer has passed are kept
    renormalise_seconds: int = default("renormalise.nightly_seconds")   # a night's time for older forms
    oai: OaiSettings = OaiSettings()
    search: SearchSettings = SearchSettings()
    mail: MailSettings = MailSettings()
    patrons: PatronSettings = PatronSettings()
    interlending: InterlendingSettings = InterlendingSettings()   # the `requests:` section
    availability: AvailabilitySettings = AvailabilitySettings()
    metrics: MetricsSettings = MetricsSettings()
    health: HealthSettings = HealthSettings()
    collections: CollectionSettings = CollectionSettings()   # licensed collections, regional bibliographies

    @property
    def several_per_cluster(self) -> frozenset[str]:
        """Sources allowed more than one record in a cluster."""
        return frozenset(s.code for s in self.sources if s.several_per_cluster)

    def source(self, code: str) -> SourceConfig:
        """The source with this code; `ConfigError` if there is none."""
        for source in self.sources:
            if source.code == code:
                return source
        known = ", ".join(s.code for s in self.sources) or "none"
        raise ConfigError(f"unknown source {code!r} (configured: {known})")


def default_config() -> Path:
    """The configuration path the CLI uses when none is given."""
    return Path(os.environ.get("UNIONCAT_CONFIG", "config.yaml"))


def load_config(path: str | os.PathLike) -> Config:
    """Read, validate and resolve a configuration file."""
    path = Path(path).resolve()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys")
    return parse_config(data, path)


def parse_config(data: dict, path: Path) -> Config:
    """Turn the parsed YAML mapping into a `Config` (paths relative to `path`)."""
    check_config(data)
    base = path.parent
    sources = tuple(_source(item, base, n) for n, item in enumerate(_list(data, "sources")))
    codes = [s.code for s in sources]
    doubled = sorted({code for code in codes if codes.count(code) > 1})
    if doubled:
        raise ConfigError(f"sources: the code {', '.join(map(repr, doubled))} is given to more than one source; "
                          "every source needs its own code")
    harvest = _harvest(data.get("harvest") or {})
    return Config(
        path=path,
        store_url=_store_url(_required(data, "store", "config"), base),
        index_dir=base / _required(data, "index", "config"),
        sources=sources,
        harvest=harvest,
        web=parse_web(data.get("web") or {}),
        demo_servers=tuple(_demo_server(item, base, codes) for item in _list(data.get("demo") or {}, "oai_servers")),
        reports_dir=_reports_dir(data, base),
        leases=_leases(data.get("leases") or {}),
        change_log_keep_days=value(data.get("change_log"), "change_log.keep_days"),
        renormalise_seconds=value(data.get("renormalise"), "renormalise.nightly_seconds"),
        oai=parse_oai(data.get("oai") or {}),
        search=parse_search(data.get("search")),
        mail=parse_mail(data.get("mail")),
        patrons=parse_patrons(data.get("patrons"), tuple(codes)),
        interlending=parse_interlending(data.get("requests"), tuple(codes)),
        availability=parse_availability(data.get("availability"), _list(data, "sources")),
        metrics=parse_metrics(data.get("metrics")),
        health=parse_health(data.get("health")),
        collections=parse_collections(data, codes),
    )


def _reports_dir(data: dict, base: Path) -> Path:
    """`reports`, or for a configuration written before leases the `reports/` folder beside `lock_file`."""
    if data.get("reports") is None and data.get("lock_file"):
        return (base / str(data["lock_file"])).parent / "reports"
    return base / str(value(data, "reports"))


def _leases(item: dict) -> LeaseSettings:
    return LeaseSettings(**{name: value(item, f"leases.{name}") for name in LeaseSettings.__dataclass_fields__})


def _store_url(given: str, base: Path) -> str:
    """A database URL as given, or an SQLite file path made into one."""
    if "://" in given:
        return given
    return f"sqlite:///{(base / given).resolve()}"


def _source(item, base: Path, position: int) -> SourceConfig:
    where = f"sources[{position}]"
    code = str(_required(item, "code", where))
    if not CODE_PATTERN.match(code):
        raise ConfigError(f"{where}.code: {code!r} must be lower-case letters, digits, - or _ (at most 32)")
    kind = _required(item, "type", where)
    paths: tuple[str, ...] = ()
    if kind == "oai":
        _required(item, "url", where)
    else:
        raw = _required(item, "path", where)
        paths = tuple(str(base / str(p)) for p in ([raw] if isinstance(raw, str) else raw))
    return SourceConfig(
        code=code,
        name=str(item.get("name") or code),
        type=kind,
        url=item.get("url"),
        metadata_prefix=str(value(item, "sources[].metadata_prefix")),
        set=None if item.get("set") is None else str(item["set"]),
        paths=paths,
        holdings=_holdings(item.get("holdings")),
        record_url=item.get("record_url"),
        several_per_cluster=value(item, "sources[].several_per_cluster"),
        timeout=float(value(item, "sources[].timeout")),
        reconcile=value(item, "sources[].reconcile"),
        max_response_bytes=item.get("max_response_bytes"),
        follow_redirects=item.get("follow_redirects"),
    )


def _holdings(item) -> HoldingsMapping | None:
    if item is None:
        return None
    subfields = {k: str(v) for k, v in item.items() if k in HOLDINGS_ROLES}
    names = {str(k): str(v) for k, v in (item.get("library_names") or {}).items()}
    indicators = item.get("indicators")
    return HoldingsMapping(tag=str(item["tag"]), subfields=subfields, library_names=names,
                           indicators=None if indicators is None else str(indicators),
                           items_from=_items_from(item.get("items_from")))


def _items_from(item) -> tuple[str, str, str] | None:
    if item is None:
        return None
    return str(item["tag"]), str(item["library"]), str(item["location"])


def _harvest(item: dict) -> HarvestSettings:
    return HarvestSettings(**{name: value(item, f"harvest.{name}") for name in HarvestSettings.__dataclass_fields__})


def _demo_server(item, base: Path, codes: list[str]) -> DemoServer:
    source = item["source"]
    if source not in codes:
        raise ConfigError(f"demo.oai_servers: {source!r} is not a configured source")
    raw = item["path"]
    paths = tuple(str(base / str(p)) for p in ([raw] if isinstance(raw, str) else raw))
    return DemoServer(source=source, port=value(item, "demo.oai_servers[].port"), paths=paths)


def _required(item: dict, key: str, where: str):
    found = item.get(key)
    if found in (None, ""):
        raise ConfigError(f"{where}: the key {key!r} is required")
    return found


def _list(item: dict, key: str) -> list:
    value = item.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list")
    return value
