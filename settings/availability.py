"""Live availability: per member catalogue, which system to ask and how (issue 14).

Off unless a source carries an `availability:` mapping; the `availability:`
section at the top holds what all members share:

    availability:
      cache: 60                # seconds an answer is reused
      retry_after_failure: 15  # seconds a member that failed is not asked again
    sources:
      - code: krakow
        availability:
          adapter: daia          # daia | koha | template
          url: https://daia.example.org/
          id_field: "001"        # 001 | 999$c (a tag and a subfield) | 035:(PL-KrBN) (a 035 prefix)
          id_prefix: "ppn:"      # put before every id sent (DAIA's request identifiers)
          timeout: 2             # seconds for the whole answer
          rate_limit: 10         # requests per second to this system; beyond it the harvested state is shown
          batch: 20              # ids per request
          credentials_env: UNIONCAT_KRAKOW   # _TOKEN (Bearer) or _USER and _PASSWORD (Basic) from the environment

The template adapter reads a simple REST answer (see `availability/template.py`
for every key of `template:`). Credentials are read from the environment only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from settings.errors import ConfigError
from settings.table import default

ADAPTERS = ("daia", "koha", "template")
# what an item can be, whatever the system says (the model in availability/ uses the same names)
STATUSES = ("available", "on_loan", "in_transit", "not_for_loan", "unknown")
KOHA_SERVICES = ("GetRecords", "GetAvailability")
ID_FIELD = re.compile(r"^(?:00[1-9]|(?P<tag>[0-9]{3})\$(?P<code>[a-z0-9])|035:(?P<prefix>.+))$")
MEMBER_KEYS = {"adapter", "url", "id_field", "id_prefix", "timeout", "rate_limit", "batch", "credentials_env",
               "service", "template"}
TEMPLATE_KEYS = {"records", "record_id", "items", "status", "statuses", "due", "location", "call_number",
                 "separator"}
SHARED_KEYS = {"cache", "retry_after_failure"}
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_M = "sources[].availability"        # the rows of settings.table this module reads its defaults from
_T = "sources[].availability.template"


@dataclass(frozen=True)
class TemplateMapping:
    """Where a simple REST answer keeps records, ids and item fields (dotted paths into the JSON)."""

    records: str = default(f"{_T}.records")        # the list of records ("" when the answer is that list)
    record_id: str = default(f"{_T}.record_id")
    items: str = default(f"{_T}.items")
    status: str = default(f"{_T}.status")
    statuses: tuple[tuple[str, str], ...] = ()     # the system's value -> our status
    due: str = default(f"{_T}.due")
    location: str = default(f"{_T}.location")
    call_number: str = default(f"{_T}.call_number")
    separator: str = default(f"{_T}.separator")    # joins the ids of one request in {ids}


@dataclass(frozen=True)
class MemberAvailability:
    """How to ask one member's own system."""

    source: str
    adapter: str
    url: str
    id_field: str = default(f"{_M}.id_field")
    id_prefix: str = default(f"{_M}.id_prefix")
    timeout: float = default(f"{_M}.timeout")
    rate_limit: float = default(f"{_M}.rate_limit")
    batch: int = default(f"{_M}.batch")
    credentials_env: str | None = None
    service: str = default(f"{_M}.service")     # (koha) GetRecords carries due dates and call numbers
    template: TemplateMapping = TemplateMapping()

    def credentials(self) -> tuple[str, str] | None:
        """("bearer", token) or ("basic", "user:password") from the environment, or None."""
        if not self.credentials_env:
            return None
        token = os.environ.get(f"{self.credentials_env}_TOKEN", "")
        if token:
            return "bearer", token
        user = os.environ.get(f"{self.credentials_env}_USER", "")
        return ("basic", f"{user}:{os.environ.get(f'{self.credentials_env}_PASSWORD', '')}") if user else None


@dataclass(frozen=True)
class AvailabilitySettings:
    """Every member asked live, and what they share."""

    members: dict[str, MemberAvailability] = field(default_factory=dict)
    cache: float = default("availability.cache")
    retry_after_failure: float = default("availability.retry_after_failure")

    @property
    def enabled(self) -> bool:
        """Whether any member is asked at all."""
        return bool(self.members)


def parse_availability(shared, sources: list) -> AvailabilitySettings:
    """The top-level `availability:` mapping and each source's own `availability:`."""
    shared = {} if shared is None else shared
    if not isinstance(shared, dict) or set(shared) - SHARED_KEYS:
        raise ConfigError(f"availability: expected a mapping of {', '.join(sorted(SHARED_KEYS))}")
    members = {}
    for position, source in enumerate(sources):
        if isinstance(source, dict) and source.get("availability") is not None:
            code = str(source.get("code"))
            members[code] = _member(source["availability"], code, f"sources[{position}].availability")
    return AvailabilitySettings(
        members=members,
        cache=_seconds(shared.get("cache", AvailabilitySettings.cache), "availability.cache", allow_zero=True),
        retry_after_failure=_seconds(shared.get("retry_after_failure", AvailabilitySettings.retry_after_failure),
                                     "availability.retry_after_failure", allow_zero=True),
    )


def _member(item, code: str, where: str) -> MemberAvailability:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with adapter and url")
    unknown = set(item) - MEMBER_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; expected {', '.join(sorted(MEMBER_KEYS))}")
    adapter = item.get("adapter")
    if adapter not in ADAPTERS:
        raise ConfigError(f"{where}.adapter: {adapter!r} is not one of {', '.join(ADAPTERS)}")
    url = str(item.get("url") or "")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url: {url!r} is not an http(s) address")
    if adapter == "template" and "{ids}" not in url and "{id}" not in url:
        raise ConfigError(f"{where}.url: a template address needs {{ids}} (a batch) or {{id}} (one id a request)")
    return MemberAvailability(
        source=code, adapter=adapter, url=url,
        id_field=_id_field(item.get("id_field", MemberAvailability.id_field), where),
        id_prefix=str(item.get("id_prefix") or ""),
        timeout=_seconds(item.get("timeout", MemberAvailability.timeout), f"{where}.timeout", limit=30),
        rate_limit=_seconds(item.get("rate_limit", MemberAvailability.rate_limit), f"{where}.rate_limit", limit=10000),
        batch=_batch(item.get("batch", MemberAvailability.batch), where),
        credentials_env=_env_name(item.get("credentials_env"), where),
        service=_service(item.get("service", MemberAvailability.service), where),
        template=_template(item.get("template"), where) if adapter == "template" else TemplateMapping(),
    )


def _id_field(value, where: str) -> str:
    text = str(value)
    if not ID_FIELD.match(text):
        raise ConfigError(f"{where}.id_field: {value!r} is not 001, a tag and subfield such as 999$c,"
                          " or a 035 prefix such as 035:(SE-LIBR)")
    return text


def _seconds(value, where: str, *, limit: float = 86400, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value if allow_zero else 0 < value) \
            or value > limit:
        raise ConfigError(f"{where}: expected a number above 0 (at most {limit:g}), not {value!r}")
    return float(value)


def _batch(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 200:
        raise ConfigError(f"{where}.batch: expected a whole number from 1 to 200, not {value!r}")
    return value


def _env_name(value, where: str) -> str | None:
    if value in (None, ""):
        return None
    if not ENV_NAME.match(str(value)):
        raise ConfigError(f"{where}.credentials_env: {value!r} must be an environment variable prefix such as"
                          " UNIONCAT_KRAKOW (the credentials themselves never go in this file)")
    return str(value)


def _service(value, where: str) -> str:
    if value not in KOHA_SERVICES:
        raise ConfigError(f"{where}.service: {value!r} is not one of {', '.join(KOHA_SERVICES)}")
    return value


def _template(item, where: str) -> TemplateMapping:
    item = item or {}
    if not isinstance(item, dict) or set(item) - TEMPLATE_KEYS:
        raise ConfigError(f"{where}.template: expected a mapping of {', '.join(sorted(TEMPLATE_KEYS))}")
    statuses = item.get("statuses") or {}
    if not isinstance(statuses, dict):
        raise ConfigError(f"{where}.template.statuses: expected a mapping of the system's values to ours")
    unknown = {str(v) for v in statuses.values()} - set(STATUSES)
    if unknown:
        raise ConfigError(f"{where}.template.statuses: {sorted(unknown)} not among {', '.join(STATUSES)}")
    texts = {key: str(item[key]) for key in TEMPLATE_KEYS - {"statuses"} if item.get(key) is not None}
    return TemplateMapping(**texts, statuses=tuple((str(k), str(v)) for k, v in statuses.items()))
