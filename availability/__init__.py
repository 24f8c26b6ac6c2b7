"""Live availability from the members' own systems (Koha ILS-DI, DAIA, a JSON template): the only part that asks them."""

from availability.errors import (AvailabilityError, CredentialsRefused, MalformedAnswer, MemberTimeout,
                                 MemberUnreachable)
from availability.ids import member_ids
from availability.model import (AVAILABLE, IN_TRANSIT, MALFORMED, NOT_FOR_LOAN, ON_LOAN, RATE_LIMITED, REASONS,
                                REFUSED, RESTING, TIMEOUT, UNKNOWN, UNREACHABLE, Item, MemberAnswer)
from availability.service import AvailabilityService

__all__ = [
    "AVAILABLE", "IN_TRANSIT", "MALFORMED", "NOT_FOR_LOAN", "ON_LOAN", "RATE_LIMITED", "REASONS", "REFUSED",
    "RESTING", "TIMEOUT", "UNKNOWN", "UNREACHABLE",
    "AvailabilityError", "AvailabilityService", "CredentialsRefused", "Item", "MalformedAnswer", "MemberAnswer",
    "MemberTimeout", "MemberUnreachable", "member_ids",
]
