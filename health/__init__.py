"""Each source's health over recent nightly runs: the trend of its records, deletions and kept-aside
records, and the flags an operator must see. `source_health` is pure (run reports in, plain data
out); `healths` reads the runs from the store for the CLI and the staff workspace.

A source is flagged `failing` when its harvest failed in each of the last
`failed_runs` runs, and `dropped` when its live records fell by more than
`drop` (a share) from one run to the next, which is how a member's server
that suddenly lists a fraction of its catalogue shows itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from settings import Config
    from store import Store

FAILING = "failing"
DROPPED = "dropped"


@dataclass(frozen=True)
class RunPoint:
    """One source in one nightly run: its outcome and its totals after the run (None: not counted then)."""

    run_id: int
    finished: datetime | None
    outcome: str
    live: int | None
    deleted: int | None
    quarantined: int | None


@dataclass(frozen=True)
class SourceHealth:
    """One source: its last success, its recent runs (oldest first) and its flags with their reasons."""

    source: str
    last_success: datetime | None
    points: tuple[RunPoint, ...]
    failed_in_a_row: int
    drop: float | None              # the share of live records lost in the last run (None: not known)
    flags: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        """Whether an operator must look at this source."""
        return bool(self.flags)


def source_health(runs: list[dict], sources: list[str], last_success: dict[str, datetime], *,
                  failed_runs: int = 3, drop: float = 0.1) -> list[SourceHealth]:
    """Per source, from `runs` (the store's recent nightly runs, newest first, each with its report)."""
    return [_health(source, _points(source, runs), last_success.get(source), failed_runs, drop) for source in sources]


def _points(source: str, runs: list[dict]) -> list[RunPoint]:
    points = []
    for run in reversed(runs):
        entry = next((s for s in (run.get("report") or {}).get("sources", []) if s.get("source") == source), None)
        if entry is not None:
            points.append(RunPoint(run["id"], run.get("finished_at"), entry.get("outcome", "?"), entry.get("live"),
                                   entry.get("deleted_total"), entry.get("quarantined_total")))
    return points


def _health(source: str, points: list[RunPoint], last_success, failed_runs: int, threshold: float) -> SourceHealth:
    in_a_row = 0
    for point in reversed(points):
        if point.outcome != "failed":
            break
        in_a_row += 1
    share = _drop(points)
    flags = []
    if failed_runs and in_a_row >= failed_runs:
        flags.append(FAILING)
    if share is not None and share > threshold:
        flags.append(DROPPED)
    return SourceHealth(source, last_success, tuple(points), in_a_row, share, tuple(flags))


def _drop(points: list[RunPoint]) -> float | None:
    """The share of live records the last run lost against the run before it."""
    counted = [p.live for p in points if p.live is not None]
    if len(counted) < 2 or not counted[-2]:
        return None
    return max(0.0, (counted[-2] - counted[-1]) / counted[-2])


def newly_flagged(now: list[SourceHealth], before: list[SourceHealth]) -> list[SourceHealth]:
    """Sources flagged now with a flag they did not have one run earlier (so an alert is sent once)."""
    earlier = {h.source: set(h.flags) for h in before}
    return [h for h in now if set(h.flags) - earlier.get(h.source, set())]


def healths(store: "Store", config: "Config", runs: list[dict] | None = None) -> list[SourceHealth]:
    """Every configured source's health over the last `health.runs` nightly runs."""
    runs = store.recent_runs("nightly", config.health.runs) if runs is None else runs
    return source_health(runs, [s.code for s in config.sources], store.last_successes(),
                         failed_runs=config.health.failed_runs, drop=config.health.drop)


def flagged_since_last_run(store: "Store", config: "Config") -> list[SourceHealth]:
    """Sources the run just finished flagged that the run before it had not (each alert is sent once)."""
    runs = store.recent_runs("nightly", config.health.runs + 1)
    return newly_flagged(healths(store, config, runs[:-1] if len(runs) > config.health.runs else runs),
                         healths(store, config, runs[1:]))
