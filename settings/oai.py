"""The `oai:` section: unioncat as an OAI-PMH provider for the next catalogue up (Libris, a national union).

The provider is on when `repository_identifier` is set. Identifiers are
`oai:<repository_identifier>:<cluster id>` and the base URL comes from
`web.public_base_url`: neither is ever built from a request's `Host` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings.errors import ConfigError
from settings.web import RATE_LIMIT

# a domain name, as OAI's identifier guidelines ask for the repository identifier
REPOSITORY_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KEYS = ("repository_identifier", "repository_name", "admin_email", "page_size", "token_lifetime", "rate_limit",
        "rate_limit_storage")


@dataclass(frozen=True)
class OaiSettings:
    """The OAI-PMH provider at `/oai`."""

    repository_identifier: str | None = None    # "katalog.example.org": off when None
    repository_name: str = "unioncat"
    admin_email: str = "admin@example.org"
    page_size: int = 500                        # records (or identifiers) per ListRecords page
    token_lifetime: int = 86400                 # seconds a resumption token stays valid
    rate_limit: str | None = "600 per minute"   # requests per harvester address; None: off
    rate_limit_storage: str = "memory://"

    @property
    def enabled(self) -> bool:
        """Whether the catalogue is published over OAI-PMH."""
        return self.repository_identifier is not None


def parse_oai(item) -> OaiSettings:
    """The `oai:` mapping as `OaiSettings`, with errors that name the key."""
    if not isinstance(item, dict):
        raise ConfigError("oai: expected a mapping (repository_identifier, repository_name, admin_email, ...)")
    unknown = set(item) - set(KEYS)
    if unknown:
        raise ConfigError(f"oai: unknown keys {sorted(unknown)}; expected {', '.join(KEYS)}")
    return OaiSettings(
        repository_identifier=_repository_id(item.get("repository_identifier")),
        repository_name=str(item.get("repository_name") or "unioncat"),
        admin_email=_email(item.get("admin_email", OaiSettings.admin_email)),
        page_size=_whole(item.get("page_size", OaiSettings.page_size), "oai.page_size", 1, 10000),
        token_lifetime=_whole(item.get("token_lifetime", OaiSettings.token_lifetime), "oai.token_lifetime", 60, 30 * 86400),
        rate_limit=_rate_limit(item.get("rate_limit", OaiSettings.rate_limit)),
        rate_limit_storage=str(item.get("rate_limit_storage") or "memory://"),
    )


def _repository_id(value) -> str | None:
    if value in (None, ""):
        return None
    if not REPOSITORY_ID.match(str(value)):
        raise ConfigError(f"oai.repository_identifier: {value!r} must be a domain name such as katalog.example.org")
    return str(value)


def _email(value) -> str:
    if not EMAIL.match(str(value)):
        raise ConfigError(f"oai.admin_email: {value!r} is not an e-mail address")
    return str(value)


def _whole(value, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}: expected a whole number from {low} to {high}, not {value!r}")
    return value


def _rate_limit(value) -> str | None:
    if value in (None, "", False, "off"):
        return None
    if not RATE_LIMIT.match(str(value).strip()):
        raise ConfigError(f"oai.rate_limit: {value!r} is not a limit such as '600 per minute' or '10/second'")
    return str(value)
