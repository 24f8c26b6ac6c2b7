"""The availability package's exceptions: one base, one kind per way a member's system fails."""

from __future__ import annotations


class AvailabilityError(Exception):
    """A member's system could not tell us its availability."""

    reason = "unreachable"


class MemberTimeout(AvailabilityError):
    """No (whole) answer within the member's time."""

    reason = "timeout"


class MemberUnreachable(AvailabilityError):
    """The connection failed or closed without an answer."""

    reason = "unreachable"


class MalformedAnswer(AvailabilityError):
    """An answer arrived but could not be read."""

    reason = "malformed"


class CredentialsRefused(AvailabilityError):
    """The system refused our credentials or our address."""

    reason = "refused"
