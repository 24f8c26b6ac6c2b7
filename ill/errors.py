"""The ill package's exception tree: `Refused` carries a reason code the web turns into a sentence."""

from __future__ import annotations


class IllError(Exception):
    """A request between members could not be placed or moved."""


class Refused(IllError):
    """A request the rules do not allow; `reason` names the rule, `details` fill its sentence."""

    def __init__(self, reason: str, **details):
        super().__init__(f"{reason}: {details}" if details else reason)
        self.reason = reason
        self.details = details


class Conflict(IllError):
    """The request is not in a state this step starts from (someone moved it first, or the step is wrong)."""
