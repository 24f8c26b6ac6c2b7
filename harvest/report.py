"""What a harvest of one source did, as plain data for the run report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from store import PageCounts


@dataclass
class SourceReport:
    """Counts and outcome of one source's harvest."""

    source: str
    outcome: str = "ok"            # ok | failed
    error: str = ""
    counts: PageCounts = field(default_factory=PageCounts)
    requests: int = 0
    retries: int = 0
    pages: int = 0
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the source was harvested completely."""
        return self.outcome == "ok"

    def to_dict(self) -> dict:
        """JSON-ready summary (quarantined records named, not their bytes)."""
        data = asdict(self)
        counts = data.pop("counts")
        items = counts.pop("quarantined_items")
        data.update(counts)
        data["quarantined_records"] = [
            {"oai_identifier": q["oai_identifier"], "local_id": q["local_id"], "position": q["position"], "reason": q["reason"]}
            for q in items
        ]
        return data
