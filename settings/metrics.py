"""The `metrics:` section: the Prometheus endpoint, off by default, answering only listed addresses."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from settings.errors import ConfigError
from settings.table import default

LOOPBACK = default("metrics.allow")


@dataclass(frozen=True)
class MetricsSettings:
    """`/metrics` in the Prometheus text format, for the addresses (networks) in `allow`."""

    enabled: bool = default("metrics.enabled")
    allow: tuple[str, ...] = LOOPBACK

    def allows(self, address: str) -> bool:
        """Whether a client at `address` (as the web's proxy handling gives it) may read the metrics."""
        try:
            client = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(client in ipaddress.ip_network(network) for network in self.allow)


def parse_metrics(item) -> MetricsSettings:
    """The section as written; a usage error naming the key for anything else."""
    if item is None:
        return MetricsSettings()
    if not isinstance(item, dict):
        raise ConfigError(f"metrics: expected a mapping with enabled and allow, not {item!r}")
    enabled = item.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"metrics.enabled: expected true or false, not {enabled!r}")
    allow = item.get("allow", list(LOOPBACK))
    if isinstance(allow, str) or not isinstance(allow, list):
        raise ConfigError(f"metrics.allow: expected a list of addresses or networks, not {allow!r}")
    for network in allow:
        try:
            ipaddress.ip_network(str(network), strict=False)
        except ValueError:
            raise ConfigError(f"metrics.allow: {network!r} is not an address or a network "
                              "(such as 10.0.0.0/8 or 127.0.0.1)") from None
    return MetricsSettings(enabled, tuple(str(ipaddress.ip_network(str(n), strict=False)) for n in allow))
