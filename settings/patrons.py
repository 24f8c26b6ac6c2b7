"""The `patrons:` section: patrons sign in with their home member's card and PIN, checked over SIP2.

    patrons:
      idle_timeout: 1800         # seconds without a request after which a patron's session ends
      answer_time: 1.0           # seconds every sign-in answer takes at least (unknown card = wrong PIN)
      sip2:                      # per member (a source code): its SIP2 server
        vastmanland:
          host: sip.example.org
          port: 6001
          institution: VMB       # the AO field
          location: unioncat     # the CP field of the login message
          login: true            # send a Login (93) first, with the credentials below
          message: patron_information   # or patron_status (23/24)
          timeout: 5             # seconds for connecting and the whole exchange

SIP2 credentials never live in the file: UNIONCAT_SIP2_<MEMBER>_USERNAME and
UNIONCAT_SIP2_<MEMBER>_PASSWORD (member code upper-cased, - as _).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from settings.errors import ConfigError
from settings.table import default

KEYS = ("idle_timeout", "answer_time", "sip2")
SIP2_KEYS = ("host", "port", "institution", "location", "login", "message", "timeout")
MESSAGES = ("patron_information", "patron_status")


def env_name(member: str, what: str) -> str:
    """The environment variable that holds `what` (USERNAME, PASSWORD, SECRET) of `member`'s server."""
    return f"UNIONCAT_SIP2_{member.upper().replace('-', '_')}_{what}"


@dataclass(frozen=True)
class Sip2Settings:
    """One member's SIP2 server."""

    member: str
    host: str
    port: int = default("patrons.sip2.<member>.port")
    institution: str = default("patrons.sip2.<member>.institution")
    location: str = default("patrons.sip2.<member>.location")
    login: bool = default("patrons.sip2.<member>.login")
    message: str = default("patrons.sip2.<member>.message")
    timeout: float = default("patrons.sip2.<member>.timeout")

    def credentials(self) -> tuple[str, str] | None:
        """(login user, password) for the Login message from the environment, or None when unset."""
        user = os.environ.get(env_name(self.member, "USERNAME"), "")
        return (user, os.environ.get(env_name(self.member, "PASSWORD"), "")) if user else None


@dataclass(frozen=True)
class PatronSettings:
    """Patron sign-in."""

    idle_timeout: int = default("patrons.idle_timeout")
    answer_time: float = default("patrons.answer_time")
    sip2: dict[str, Sip2Settings] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """Whether any member's patrons can sign in."""
        return bool(self.sip2)


def parse_patrons(item, members: tuple[str, ...]) -> PatronSettings:
    """The `patrons:` mapping; `members` are the configured source codes."""
    if item is None:
        return PatronSettings()
    if not isinstance(item, dict) or set(item) - set(KEYS):
        raise ConfigError(f"patrons: expected a mapping with {', '.join(KEYS)}")
    servers = item.get("sip2") or {}
    if not isinstance(servers, dict):
        raise ConfigError("patrons.sip2: expected a mapping of member codes to SIP2 servers")
    for member in servers:
        if member not in members:
            raise ConfigError(f"patrons.sip2.{member}: not a configured source")
    return PatronSettings(
        idle_timeout=int(_number(item.get("idle_timeout", PatronSettings.idle_timeout), "patrons.idle_timeout", 60, 7 * 86400)),
        answer_time=_number(item.get("answer_time", PatronSettings.answer_time), "patrons.answer_time", 0, 10),
        sip2={member: _server(member, value) for member, value in servers.items()},
    )


def _server(member: str, item) -> Sip2Settings:
    where = f"patrons.sip2.{member}"
    if not isinstance(item, dict) or "host" not in item:
        raise ConfigError(f"{where}: expected a mapping with host, port, institution, ...")
    unknown = set(item) - set(SIP2_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} (credentials come from the environment: "
                          f"{env_name(member, 'USERNAME')}, {env_name(member, 'PASSWORD')})")
    if item.get("message", Sip2Settings.message) not in MESSAGES:
        raise ConfigError(f"{where}.message: expected one of {', '.join(MESSAGES)}")
    if not isinstance(item.get("login", False), bool):
        raise ConfigError(f"{where}.login: expected true or false")
    return Sip2Settings(member=member, host=str(item["host"]),
                        port=int(_number(item.get("port", Sip2Settings.port), f"{where}.port", 1, 65535)),
                        institution=str(item.get("institution") or ""), location=str(item.get("location") or ""),
                        login=item.get("login", Sip2Settings.login), message=item.get("message", Sip2Settings.message),
                        timeout=_number(item.get("timeout", Sip2Settings.timeout), f"{where}.timeout", 0.1, 60))


def _number(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where}: expected a number from {low:g} to {high:g}, not {value!r}")
    return float(value)
