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
from settings.errors import ConfigError
from settings.oai import OaiSettings, parse_oai
from settings.search import SearchSettings, parse_search
from settings.web import WebSettings, parse_web

SOURCE_TYPES = ("oai", "file")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
REDIRECT_POLICIES = ("origin", "any")
MAX_RESPONSE_BYTES = 100 * 1024 * 1024
HOLDINGS_ROLES = ("member", "library", "location", "call_number", "items", "availability", "barcode", "note")


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
    metadata_prefix: str = "marc21"
    set: str | None = None
    paths: tuple[str, ...] = ()
    holdings: HoldingsMapping | None = None
    record_url: str | None = None
    timeout: float = 60.0
    several_per_cluster: bool = False   # a catalogue that holds duplicates of its own (merged like any other)
    reconcile: bool = False          # (oai) list identifiers each harvest and mark the missing deleted
    max_response_bytes: int | None = None   # (oai) this server's own limit instead of harvest.max_response_bytes
    follow_redirects: str | None = None     # (oai) origin | any, instead of harvest.follow_redirects


@dataclass(frozen=True)
class HarvestSettings:
    """Transport policy shared by every OAI-PMH source."""

    timeout: float = 60.0
    max_retries: int = 5
    retry_budget: int = 50           # retries one source may spend in a run before it is stopped
    backoff: float = 2.0
    concurrency: int = 2
    max_shrink: float = 0.2          # largest share of a source that may be marked deleted in one run
    max_response_bytes: int = MAX_RESPONSE_BYTES   # largest response read, on the wire and decompressed
    request_deadline: float = 300.0  # seconds for one whole response, however the server trickles it
    page_deadline: float = 900.0     # seconds for one page with its retries
    follow_redirects: str = "origin"  # origin: only within the source's scheme, host and port; any


@dataclass(frozen=True)
class LeaseSettings:
    """How long a lease lasts without renewal, and how long a command waits for one."""

    expiry: float = 120.0            # seconds a holder that stopped renewing keeps a lease (a killed worker's cost)
    wait: float = 60.0               # seconds dedup, split, merge, quarantine retry and nightly wait for the writer lease
    web_wait: float = 10.0           # seconds a librarian's split or merge on the web waits for it


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
    change_log_keep_days: int = 30      # change-log entries every consumer has passed are kept this long
    oai: OaiSettings = OaiSettings()
    search: SearchSettings = SearchSettings()
    availability: AvailabilitySettings = AvailabilitySettings()

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
    base = path.parent
    sources = tuple(_source(item, base, n) for n, item in enumerate(_list(data, "sources")))
    codes = [s.code for s in sources]
    if len(set(codes)) != len(codes):
        raise ConfigError("sources: every source needs its own code")
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
        change_log_keep_days=_keep_days(data.get("change_log") or {}),
        oai=parse_oai(data.get("oai") or {}),
        search=parse_search(data.get("search")),
        availability=parse_availability(data.get("availability"), _list(data, "sources")),
    )


def _reports_dir(data: dict, base: Path) -> Path:
    """`reports`, or for a configuration written before leases the `reports/` folder beside `lock_file`."""
    if data.get("reports"):
        return base / data["reports"]
    if data.get("lock_file"):
        return (base / data["lock_file"]).parent / "reports"
    return base / "var" / "reports"


def _leases(item: dict) -> LeaseSettings:
    if not isinstance(item, dict):
        raise ConfigError("leases: expected a mapping with expiry, wait and web_wait (seconds)")
    unknown = set(item) - {"expiry", "wait", "web_wait"}
    if unknown:
        raise ConfigError(f"leases: unknown keys {sorted(unknown)}; expected expiry, wait and web_wait")
    try:
        settings = LeaseSettings(**{key: float(value) for key, value in item.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"leases: {exc}") from exc
    if settings.expiry <= 0 or settings.wait < 0 or settings.web_wait < 0:
        raise ConfigError("leases: expiry must be positive, wait and web_wait not negative (seconds)")
    return settings


def _store_url(value: str, base: Path) -> str:
    """A database URL as given, or an SQLite file path made into one."""
    if "://" in value:
        return value
    return f"sqlite:///{(base / value).resolve()}"


def _source(item, base: Path, position: int) -> SourceConfig:
    where = f"sources[{position}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with code, name and type")
    code = str(_required(item, "code", where))
    if not CODE_PATTERN.match(code):
        raise ConfigError(f"{where}.code: {code!r} must be lower-case letters, digits, - or _ (at most 32)")
    kind = _required(item, "type", where)
    if kind not in SOURCE_TYPES:
        raise ConfigError(f"{where}.type: {kind!r} is not one of {', '.join(SOURCE_TYPES)}")
    paths: tuple[str, ...] = ()
    if kind == "oai":
        _required(item, "url", where)
    else:
        raw = _required(item, "path", where)
        paths = tuple(str(base / p) for p in ([raw] if isinstance(raw, str) else raw))
    return SourceConfig(
        code=code,
        name=str(item.get("name") or code),
        type=kind,
        url=item.get("url"),
        metadata_prefix=str(item.get("metadata_prefix") or "marc21"),
        set=item.get("set"),
        paths=paths,
        holdings=_holdings(item.get("holdings"), where),
        record_url=item.get("record_url"),
        several_per_cluster=bool(item.get("several_per_cluster", False)),
        timeout=float(item.get("timeout", 60.0)),
        reconcile=_flag(item.get("reconcile", False), f"{where}.reconcile"),
        max_response_bytes=_optional(item, "max_response_bytes", _positive_int, where),
        follow_redirects=_optional(item, "follow_redirects", _redirect_policy, where),
    )


def _optional(item: dict, key: str, check, where: str):
    """A source's own value of a harvest setting, checked, or None."""
    if item.get(key) is None:
        return None
    try:
        return check(item[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}.{key}: {exc}") from exc


def _holdings(item, where: str) -> HoldingsMapping | None:
    if item is None:
        return None
    if not isinstance(item, dict) or "tag" not in item:
        raise ConfigError(f"{where}.holdings: expected a mapping with a tag and subfields per role")
    subfields = {k: str(v) for k, v in item.items() if k in HOLDINGS_ROLES}
    unknown = set(item) - set(HOLDINGS_ROLES) - {"tag", "library_names", "indicators", "items_from"}
    if unknown:
        raise ConfigError(f"{where}.holdings: unknown keys {sorted(unknown)}; roles are {HOLDINGS_ROLES}")
    names = {str(k): str(v) for k, v in (item.get("library_names") or {}).items()}
    indicators = item.get("indicators")
    return HoldingsMapping(tag=str(item["tag"]), subfields=subfields, library_names=names,
                           indicators=None if indicators is None else str(indicators),
                           items_from=_items_from(item.get("items_from"), where))


def _items_from(item, where: str) -> tuple[str, str, str] | None:
    if item is None:
        return None
    if not isinstance(item, dict) or set(item) != {"tag", "library", "location"}:
        raise ConfigError(f"{where}.holdings.items_from: expected tag, library and location (subfield codes)")
    return str(item["tag"]), str(item["library"]), str(item["location"])


def _harvest(item: dict) -> HarvestSettings:
    try:
        return HarvestSettings(
            timeout=float(item.get("timeout", 60.0)),
            max_retries=int(item.get("max_retries", 5)),
            retry_budget=int(item.get("retry_budget", 50)),
            backoff=float(item.get("backoff", 2.0)),
            concurrency=max(1, int(item.get("concurrency", 2))),
            max_shrink=_share(item.get("max_shrink", 0.2)),
            max_response_bytes=_positive_int(item.get("max_response_bytes", MAX_RESPONSE_BYTES)),
            request_deadline=_positive(item.get("request_deadline", 300.0), "request_deadline"),
            page_deadline=_positive(item.get("page_deadline", 900.0), "page_deadline"),
            follow_redirects=_redirect_policy(item.get("follow_redirects", "origin")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"harvest: {exc}") from exc


def _keep_days(item) -> int:
    days = item.get("keep_days", 30) if isinstance(item, dict) else None
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ConfigError(f"change_log.keep_days: expected a whole number of days, 0 or more, not {days!r}")
    return days


def _share(value) -> float:
    share = float(value)
    if not 0 <= share <= 1:
        raise ValueError(f"max_shrink must be a share between 0 and 1, not {value!r}")
    return share


def _positive_int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_response_bytes must be a whole number of bytes above 0, not {value!r}")
    return value


def _positive(value, name: str) -> float:
    seconds = float(value)
    if not seconds > 0:
        raise ValueError(f"{name} must be a number of seconds above 0, not {value!r}")
    return seconds


def _redirect_policy(value) -> str:
    if value not in REDIRECT_POLICIES:
        raise ValueError(f"follow_redirects must be one of {', '.join(REDIRECT_POLICIES)}, not {value!r}")
    return value


def _flag(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, not {value!r}")
    return value


def _demo_server(item, base: Path, codes: list[str]) -> DemoServer:
    if not isinstance(item, dict):
        raise ConfigError("demo.oai_servers: expected mappings with source, port and path")
    source = _required(item, "source", "demo.oai_servers")
    if source not in codes:
        raise ConfigError(f"demo.oai_servers: {source!r} is not a configured source")
    raw = _required(item, "path", "demo.oai_servers")
    paths = tuple(str(base / p) for p in ([raw] if isinstance(raw, str) else raw))
    return DemoServer(source=source, port=int(item.get("port", 8790)), paths=paths)


def _required(item: dict, key: str, where: str):
    value = item.get(key)
    if value in (None, ""):
        raise ConfigError(f"{where}: the key {key!r} is required")
    return value


def _list(item: dict, key: str) -> list:
    value = item.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list")
    return value
