"""The `health:` section: when a source is flagged, how many runs are shown, and who hears of it."""

from __future__ import annotations

from dataclasses import dataclass

from settings.table import default, value

@dataclass(frozen=True)
class HealthSettings:
    """See the `health.` rows of `settings.table`."""

    failed_runs: int = default("health.failed_runs")
    drop: float = default("health.drop")
    runs: int = default("health.runs")
    alert_to: tuple[str, ...] = default("health.alert_to")


def parse_health(item: dict | None) -> HealthSettings:
    """The (already checked) `health:` mapping."""
    alert_to = value(item, "health.alert_to")
    return HealthSettings(
        failed_runs=value(item, "health.failed_runs"),
        drop=value(item, "health.drop"),
        runs=value(item, "health.runs"),
        alert_to=(alert_to,) if isinstance(alert_to, str) else tuple(alert_to),
    )

