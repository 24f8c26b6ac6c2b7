"""The patrons package's one exception tree."""

from __future__ import annotations


class PatronError(Exception):
    """A patron's card could not be checked."""


class SipError(PatronError):
    """The member's SIP2 server could not be reached, did not answer in time, or answered nonsense."""
