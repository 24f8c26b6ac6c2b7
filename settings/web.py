"""The `web:` section: interface, secrets, the public address, login throttling and rate limits.

`public_base_url(config)` is the one place other parts (the OAI-PMH provider,
permalinks) ask where the catalogue is published; `secret_key_problem` and
`require_secret_key` decide whether a key may sign production sessions.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from settings.errors import ConfigError
from settings.table import default, value

SECRET_ENV = "UNIONCAT_SECRET_KEY"
SHIPPED_SECRET = "change-me"
MIN_SECRET_BYTES = 32
# values people paste from tutorials; refused whatever their length
WELL_KNOWN_SECRETS = frozenset({
    SHIPPED_SECRET, "changeme", "change_me", "secret", "secret-key", "secret_key", "secretkey", "dev", "development",
    "password", "default", "test", "testing", "unioncat", "flask", "please-change-me", "your-secret-key", "s3cr3t",
    "supersecret", "super-secret", "super-secret-key", "notsecret", "insecure", "xxx", "12345678",
})
# the grammar of the `limits` library ("120 per minute", "10/second", "1000 per 2 hours"), checked without importing it
RATE_LIMIT = re.compile(r"^\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?$", re.IGNORECASE)
HOW_TO_SET_SECRET = (f"set web.secret_key in the configuration or the environment variable {SECRET_ENV} to a long "
                     "random value, e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))'")


@dataclass(frozen=True)
class LoginThrottleSettings:
    """Failed logins allowed per account and per address before a lockout that ends by itself."""

    max_failures: int = default("web.login_throttle.max_failures")
    window: int = default("web.login_throttle.window")      # seconds in which the failures are counted
    lockout: int = default("web.login_throttle.lockout")    # seconds a locked account or address waits


@dataclass(frozen=True)
class WebSettings:
    """The web front end."""

    secret_key: str = default("web.secret_key")
    languages: tuple[str, ...] = default("web.languages")
    default_language: str = default("web.default_language")
    page_size: int = default("web.page_size")
    title: str = default("web.title")
    public_base_url: str | None = None      # "https://katalog.example.org/": absolute links, HSTS, Secure cookies
    trusted_proxies: int = default("web.trusted_proxies")   # proxies whose X-Forwarded-* headers are believed
    rate_limit: str | None = default("web.rate_limit")      # per address, on the search API and exports; None: off
    rate_limit_storage: str = default("web.rate_limit_storage")   # a limits storage URI; memory:// per process
    login_throttle: LoginThrottleSettings = field(default_factory=LoginThrottleSettings)

    @property
    def https(self) -> bool:
        """Whether the catalogue is published over https (Secure cookies, HSTS)."""
        return bool(self.public_base_url) and self.public_base_url.startswith("https://")


def public_base_url(config) -> str | None:
    """Where the catalogue's root is published ("https://katalog.example.org/"), or None when not configured."""
    return config.web.public_base_url


def secret_key_problem(key: str | None) -> str | None:
    """Why `key` must not sign production sessions, or None when it is fit."""
    if not key:
        return "no secret key is set"
    if key.strip().lower() in WELL_KNOWN_SECRETS:
        return "the secret key is a well-known value" + (" (the shipped example)" if key == SHIPPED_SECRET else "")
    if len(key.encode("utf-8")) < MIN_SECRET_BYTES:
        return f"the secret key is too short ({len(key.encode('utf-8'))} bytes; at least {MIN_SECRET_BYTES})"
    return None


def require_secret_key(web: WebSettings) -> None:
    """`ConfigError` saying how to set one unless the secret key is fit for production."""
    problem = secret_key_problem(web.secret_key)
    if problem:
        raise ConfigError(f"web.secret_key: {problem}; {HOW_TO_SET_SECRET}")


def parse_web(item: dict) -> WebSettings:
    """The `web:` mapping as `WebSettings` (the environment's secret key wins over the file's)."""
    if not isinstance(item, dict):
        raise ConfigError("web: expected a mapping")
    languages = value(item, "web.languages")
    languages = tuple(str(code) for code in ([languages] if isinstance(languages, str) else languages))
    language = value(item, "web.default_language")
    if language not in languages:
        raise ConfigError(f"web.default_language: {language!r} is not among web.languages")
    return WebSettings(
        secret_key=str(os.environ.get(SECRET_ENV) or value(item, "web.secret_key")),
        languages=languages,
        default_language=language,
        page_size=value(item, "web.page_size"),
        title=str(value(item, "web.title")),
        public_base_url=_base_url(item.get("public_base_url")),
        trusted_proxies=value(item, "web.trusted_proxies"),
        rate_limit=_rate_limit(item.get("rate_limit", default("web.rate_limit"))),   # empty: off
        rate_limit_storage=str(value(item, "web.rate_limit_storage")),
        login_throttle=_throttle(item.get("login_throttle") or {}),
    )


def _base_url(value) -> str | None:
    if value in (None, ""):
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"web.public_base_url: {value!r} must be an http(s) address such as "
                          "https://katalog.example.org/ (no query or fragment)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/"


def _rate_limit(value) -> str | None:
    if value in (None, "", False, "off"):
        return None
    if not all(RATE_LIMIT.match(part.strip()) for part in re.split(r"[;,]", str(value))):
        raise ConfigError(f"web.rate_limit: {value!r} is not a limit such as '120 per minute' or '10/second'")
    return str(value)


def _throttle(item) -> LoginThrottleSettings:
    return LoginThrottleSettings(**{name: value(item, f"web.login_throttle.{name}")
                                    for name in LoginThrottleSettings.__dataclass_fields__})
