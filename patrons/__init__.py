"""Patrons: their cards and PINs checked against their home member's system over SIP2 (the only SIP2 user)."""

from patrons.client import PatronCheck, Sip2Client
from patrons.errors import PatronError, SipError
from patrons.sip2 import SipMessage, checksum, frame, parse

__all__ = ["PatronCheck", "PatronError", "SipError", "SipMessage", "Sip2Client", "checksum", "frame", "parse"]
