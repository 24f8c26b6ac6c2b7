"""OAI-PMH 2.0 requests: the verbs, their arguments, the errors, and the UTC datetimes of `from` and `until`.

Pure functions over the request's arguments; nothing here reads the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
LIST_ARGS = ("metadataPrefix", "from", "until", "set")
# verb -> (required, optional); "resumptionToken" is exclusive wherever it is allowed
VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class OaiError(Exception):
    """An OAI-PMH error condition: its code and a message for the harvester."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OaiRequest:
    """A checked request: its verb and arguments (each given once)."""

    verb: str
    args: dict[str, str]

    def get(self, name: str) -> str | None:
        """An argument, or None."""
        return self.args.get(name)


def parse_request(pairs: list[tuple[str, str]]) -> OaiRequest:
    """Check the verb and its arguments; `OaiError` (badVerb, badArgument) otherwise."""
    verbs = [value for name, value in pairs if name == "verb"]
    if len(verbs) != 1 or verbs[0] not in VERBS:
        what = "no verb" if not verbs else "more than one verb" if len(verbs) > 1 else f"unknown verb {verbs[0]!r}"
        raise OaiError("badVerb", f"{what}; the verbs are {', '.join(VERBS)}")
    verb = verbs[0]
    args: dict[str, str] = {}
    for name, value in pairs:
        if name == "verb":
            continue
        if name in args:
            raise OaiError("badArgument", f"the argument {name} is given more than once")
        args[name] = value
    _check_arguments(verb, args)
    return OaiRequest(verb, args)


def _check_arguments(verb: str, args: dict[str, str]) -> None:
    required, optional = VERBS[verb]
    unknown = sorted(set(args) - set(required) - set(optional))
    if unknown:
        raise OaiError("badArgument", f"{verb} does not take {', '.join(unknown)}")
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument: give it alone with the verb")
        return
    missing = [name for name in required if not args.get(name)]
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(missing)}")
    window(args.get("from"), args.get("until"))


def window(start: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """`from` and `until` as an inclusive start and an exclusive end; `OaiError` when they are not valid."""
    low = _datetime(start, "from") if start is not None else None
    high = _datetime(until, "until") if until is not None else None
    if start is not None and until is not None and len(start) != len(until):
        raise OaiError("badArgument", "from and until must have the same granularity")
    if low is not None and high is not None and low[0] > high[0]:
        raise OaiError("badArgument", "from is later than until")
    return (low[0] if low else None), (high[0] + high[1] if high else None)


def _datetime(value: str, name: str) -> tuple[datetime, timedelta]:
    """The moment and the granularity step of a UTCdatetime argument."""
    try:
        if _SECONDS.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc), timedelta(seconds=1)
        if _DAY.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc), timedelta(days=1)
    except ValueError:
        pass
    raise OaiError("badArgument", f"{name} must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDThh:mm:ssZ)")


def utc(moment: datetime) -> str:
    """A datestamp or responseDate in seconds granularity."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def identifier_for(repository: str, cluster_id: str) -> str:
    """The OAI identifier of a cluster."""
    return f"oai:{repository}:{cluster_id}"


def cluster_of(repository: str, identifier: str) -> str | None:
    """The cluster an OAI identifier names, or None when it is not one of this repository's."""
    prefix = f"oai:{repository}:"
    return identifier[len(prefix):] or None if identifier.startswith(prefix) else None
