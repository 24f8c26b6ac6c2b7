"""Login throttling: failures counted per account and per address in the store, with lockouts that end by themselves.

A small service over the store, so staff logins and (later) patron logins share
it; every worker and web node sees the same counts because they live in the
store, not in a process. Keys are (scope, value) pairs such as
("staff", "anna") or ("address", "192.0.2.7").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from settings import LoginThrottleSettings
from store import now

Key = tuple[str, str]


@dataclass
class LoginThrottle:
    """Counts failed logins per key and locks a key after too many within the window."""

    store: object
    settings: LoginThrottleSettings
    clock: Callable[[], datetime] = now

    def locked_for(self, keys: list[Key]) -> int:
        """Seconds until the latest lockout among `keys` ends; 0 when none is locked."""
        at = self.clock()
        until = [self.store.login_locked_until(scope, value) for scope, value in keys]
        remaining = [(end - at).total_seconds() for end in until if end is not None and end > at]
        return int(max(remaining) + 0.999) if remaining else 0

    def failed(self, keys: list[Key]) -> bool:
        """Count one failure against each key; True when that locked any of them."""
        at = self.clock()
        window, lockout = timedelta(seconds=self.settings.window), timedelta(seconds=self.settings.lockout)
        return any([self.store.record_login_failure(scope, value, at, window=window, lockout=lockout,
                                                    max_failures=self.settings.max_failures)
                    for scope, value in keys])

    def succeeded(self, key: Key) -> None:
        """Forget the failures of `key` (the account), not those of the address it came from."""
        self.store.clear_login_failures(*key)
