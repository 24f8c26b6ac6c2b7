"""The `oai:` section: unioncat as an OAI-PMH provider for the next catalogue up (Libris, a national union).

The provider is on when `repository_identifier` is set. Identifiers are
`oai:<repository_identifier>:<cluster id>` and the base URL comes from
`web.public_base_url`: neither is ever built from a request's `Host` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings.errors import ConfigError
from settings.table import default, value
from settings.web import RATE_LIMIT

# a domain name, as OAI's identifier guidelines ask for the repository identifier
REPOSITORY_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class OaiSettings:
    """The OAI-PMH provider at `/oai`."""

    repository_identifier: str | None = None    # "katalog.example.org": off when None
    repository_name: str = default("oai.repository_name")
    admin_email: str = default("oai.admin_email")
    page_size: int = default("oai.page_size")               # records (or identifiers) per ListRecords page
    token_lifetime: int = default("oai.token_lifetime")     # seconds a resumption token stays valid
    rate_limit: str | None = default("oai.rate_limit")      # requests per harvester address; None: off
    rate_limit_storage: str = default("oai.rate_limit_storage")

    @property
    def enabled(self) -> bool:
        """Whether the catalogue is published over OAI-PMH."""
        return self.repository_identifier is not None


def parse_oai(item: dict) -> OaiSettings:
    """The `oai:` mapping (checked against the settings table) as `OaiSettings`, with errors that name the key."""
    return OaiSettings(
        repository_identifier=_repository_id(item.get("repository_identifier")),
        repository_name=str(value(item, "oai.repository_name")),
        admin_email=_email(value(item, "oai.admin_email")),
        page_size=value(item, "oai.page_size"),
        token_lifetime=value(item, "oai.token_lifetime"),
        rate_limit=_rate_limit(item.get("rate_limit", default("oai.rate_limit"))),   # empty: off
        rate_limit_storage=str(value(item, "oai.rate_limit_storage")),
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


def _rate_limit(value) -> str | None:
    if value in (None, "", False, "off"):
        return None
    if not RATE_LIMIT.match(str(value).strip()):
        raise ConfigError(f"oai.rate_limit: {value!r} is not a limit such as '600 per minute' or '10/second'")
    return str(value)
