"""Log lines for security events and staff writes, on two named loggers.

`unioncat.security` gets a warning for every failed login and lockout;
`unioncat.audit` gets one info line for every staff write (login, logout,
split, merge). Both go wherever the deployment sends Python logging.
"""

from __future__ import annotations

import logging

from flask import request

security_log = logging.getLogger("unioncat.security")
audit_log = logging.getLogger("unioncat.audit")


def client_address() -> str:
    """The requesting address (the proxy's client when `web.trusted_proxies` is set)."""
    return request.remote_addr or "unknown"


def audit(action: str, staff: str | None, **details) -> None:
    """One line: who did what, from where, with the details as key=value."""
    extra = "".join(f" {key}={value!r}" for key, value in details.items())
    audit_log.info("staff=%r action=%s address=%s%s", staff, action, client_address(), extra)


def failed_login(username: str, reason: str) -> None:
    """A warning for a refused login (wrong password, unknown user, locked)."""
    security_log.warning("failed staff login username=%r address=%s reason=%s", username[:100], client_address(),
                         reason)
