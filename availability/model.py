"""What a member's system says about its copies, whatever protocol it speaks: plain dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from settings.availability import STATUSES

AVAILABLE, ON_LOAN, IN_TRANSIT, NOT_FOR_LOAN, UNKNOWN = STATUSES
# why a member's harvested state is shown instead of its live answer
TIMEOUT = "timeout"              # no answer within the member's time
UNREACHABLE = "unreachable"      # connection refused, reset or closed without an answer
MALFORMED = "malformed"          # an answer that could not be read
REFUSED = "refused"              # the system refused our credentials or address
RATE_LIMITED = "rate_limited"    # asked too often: not asked this time
RESTING = "resting"              # failed a moment ago: not asked again yet
REASONS = (TIMEOUT, UNREACHABLE, MALFORMED, REFUSED, RATE_LIMITED, RESTING)


@dataclass(frozen=True)
class Item:
    """One copy as its library's system reports it now."""

    status: str                  # available | on_loan | in_transit | not_for_loan | unknown
    due: str = ""                # on loan: the due date as the system gives it (YYYY-MM-DD when it can)
    location: str = ""           # library, branch or shelving location
    call_number: str = ""
    note: str = ""               # the system's own message ("Item lost", a limitation)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return asdict(self)


@dataclass
class MemberAnswer:
    """One member's answer for a set of its own ids: live items per id, or why there are none."""

    source: str
    live: bool
    reason: str = ""                                       # one of REASONS when not live
    checked: float = 0.0                                   # epoch seconds of the answer (or of the failure)
    items: dict[str, list[Item]] = field(default_factory=dict)   # member id -> its items (absent: not known)
    detail: str = ""                                       # for logs: what went wrong
