"""The copies a peer's library system holds: what each peer protocol renders in its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

# the circulation states a library system keeps for a copy (Koha's item columns, a DAIA server's backend)
STATES = ("available", "on_loan", "in_transit", "not_for_loan", "lost")


@dataclass
class PeerItem:
    """One copy in a peer's system."""

    itemnumber: str
    state: str = "available"
    due: str = ""                 # on loan: YYYY-MM-DD
    branch: str = "Main library"
    branch_code: str = "MAIN"
    call_number: str = ""

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"unknown state {self.state!r}; one of {STATES}")


@dataclass
class PeerCatalogue:
    """Bibliographic id -> its copies; tests change it while the peer runs."""

    records: dict[str, list[PeerItem]] = field(default_factory=dict)

    def add(self, bib_id: str, *items: PeerItem) -> None:
        """Give `bib_id` these copies (replacing any it had)."""
        self.records[str(bib_id)] = list(items)

    def items(self, bib_id: str) -> list[PeerItem] | None:
        """The copies of `bib_id`, or None when the system has no such record."""
        return self.records.get(str(bib_id))
