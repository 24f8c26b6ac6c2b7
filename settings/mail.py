"""The `mail:` section: the SMTP server unioncat sends its e-mail through (patrons' request notices, alerts).

    mail:
      host: smtp.example.org     # off while unset: nothing is sent, and sending says why
      port: 587
      from: katalog@example.org
      starttls: true             # upgrade the connection before authenticating
      timeout: 10                # seconds for connecting and for each SMTP exchange

Credentials are never kept in the file: they are read from the environment
variables USERNAME_ENV and PASSWORD_ENV when a message is sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from settings.errors import ConfigError
from settings.table import default

USERNAME_ENV = "UNIONCAT_SMTP_USERNAME"
PASSWORD_ENV = "UNIONCAT_SMTP_PASSWORD"
KEYS = ("host", "port", "from", "starttls", "timeout")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom e-mail is sent."""

    host: str | None = None             # the SMTP server; None: mail is off
    port: int = default("mail.port")
    sender: str = default("mail.from")
    starttls: bool = default("mail.starttls")
    timeout: float = default("mail.timeout")

    @property
    def enabled(self) -> bool:
        """Whether an SMTP server is configured."""
        return self.host is not None

    def credentials(self) -> tuple[str, str] | None:
        """(user, password) for SMTP AUTH from the environment, or None when unset."""
        user, password = os.environ.get(USERNAME_ENV, ""), os.environ.get(PASSWORD_ENV, "")
        return (user, password) if user else None


def parse_mail(item) -> MailSettings:
    """The `mail:` mapping as `MailSettings`; `ConfigError` naming the key that is wrong."""
    if item is None:
        return MailSettings()
    if not isinstance(item, dict):
        raise ConfigError("mail: expected a mapping with host, port, from, starttls and timeout")
    unknown = set(item) - set(KEYS)
    if unknown:
        raise ConfigError(f"mail: unknown keys {sorted(unknown)}; expected {', '.join(KEYS)}")
    return MailSettings(
        host=_host(item.get("host")),
        port=_port(item.get("port", MailSettings.port)),
        sender=_address(item.get("from", MailSettings.sender)),
        starttls=_flag(item.get("starttls", MailSettings.starttls)),
        timeout=_timeout(item.get("timeout", MailSettings.timeout)),
    )


def _host(value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9.:\[\]-]+$", value):
        raise ConfigError(f"mail.host: {value!r} is not a host name or address")
    return value


def _port(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ConfigError(f"mail.port: expected a port number from 1 to 65535, not {value!r}")
    return value


def _address(value) -> str:
    if value == "unioncat@localhost" or (isinstance(value, str) and EMAIL.match(value)):
        return value
    raise ConfigError(f"mail.from: {value!r} is not an e-mail address")


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"mail.starttls: expected true or false, not {value!r}")
    return value


def _timeout(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 300:
        raise ConfigError(f"mail.timeout: expected seconds above 0 and at most 300, not {value!r}")
    return float(value)
