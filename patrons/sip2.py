"""The SIP2 (3M Standard Interchange Protocol 2.00) codec: framing, fields, sequence numbers and checksums.

A message is a two-digit code, fixed-length fields, then variable fields
`XXvalue|`, optionally `AY<sequence digit>AZ<checksum>` and a CR. The
checksum is the two's complement of the low 16 bits of the sum of every
character up to and including "AZ", as four upper-case hex digits; Koha's and
Evergreen's SIP servers sum characters (code points), not bytes, and so does
this codec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from patrons.errors import SipError

TERMINATOR = "\r"
# length of the fixed part after the two-digit code, per message code
FIXED = {"93": 2, "94": 1, "63": 31, "64": 59, "23": 21, "24": 35, "99": 8, "98": 34, "96": 0, "97": 0}
ERROR_DETECTION = re.compile(r"AY(\d)AZ([0-9A-Fa-f]{4})$")
FIELD_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class SipMessage:
    """One parsed message: its code, its fixed part, its variable fields (a code may repeat), its sequence."""

    code: str
    fixed: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    sequence: int | None = None

    def get(self, code: str, default: str = "") -> str:
        """The first value of field `code`, or `default`."""
        values = self.fields.get(code)
        return values[0] if values else default


def checksum(text: str) -> str:
    """The SIP2 checksum of `text` (which ends with "AZ")."""
    return format(-sum(map(ord, text)) & 0xFFFF, "04X")


def frame(code: str, fixed: str = "", fields: list[tuple[str, str]] = (), sequence: int | None = None) -> str:
    """A whole message, CR-terminated; with a sequence number (0-9) it carries AY and AZ."""
    if len(fixed) != FIXED.get(code, len(fixed)):
        raise SipError(f"message {code}: the fixed part must have {FIXED[code]} characters, not {len(fixed)}")
    body = code + fixed + "".join(f"{name}{_clean(value)}|" for name, value in fields)
    if sequence is not None:
        body += f"AY{sequence % 10}AZ"
        body += checksum(body)
    return body + TERMINATOR


def _clean(value: str) -> str:
    # a field value cannot carry the field or message separators
    return str(value).replace("|", " ").replace("\r", " ").replace("\n", " ")


def parse(message: str, *, require_checksum: bool = False) -> SipMessage:
    """A received message as `SipMessage`; `SipError` when it is malformed or its checksum is wrong."""
    body = message.rstrip("\r\n")
    code = body[:2]
    if code not in FIXED:
        raise SipError(f"unknown or malformed SIP2 message {body[:20]!r}")
    sequence, body = _error_detection(body, require_checksum)
    fixed_end = 2 + FIXED[code]
    if len(body) < fixed_end:
        raise SipError(f"SIP2 message {code} is shorter than its fixed part")
    fields: dict[str, list[str]] = {}
    for part in body[fixed_end:].split("|"):
        if not part:
            continue
        if not FIELD_CODE.match(part[:2]):
            raise SipError(f"SIP2 message {code} has a malformed field {part[:10]!r}")
        fields.setdefault(part[:2], []).append(part[2:])
    return SipMessage(code, body[2:fixed_end], fields, sequence)


def _error_detection(body: str, required: bool) -> tuple[int | None, str]:
    """(sequence number, the body without AY/AZ), after checking the checksum."""
    found = ERROR_DETECTION.search(body)
    if found is None:
        if required:
            raise SipError("SIP2 message without the sequence number and checksum")
        return None, body
    expected = checksum(body[:found.start(2)])
    if found.group(2).upper() != expected:
        raise SipError(f"SIP2 checksum {found.group(2)} is wrong (expected {expected})")
    return int(found.group(1)), body[:found.start()]


def timestamp(at: datetime) -> str:
    """A SIP2 date and time, YYYYMMDDZZZZHHMMSS, in UTC (Z in the zone's last place)."""
    return at.strftime("%Y%m%d") + "   Z" + at.strftime("%H%M%S")
