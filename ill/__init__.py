"""Requests between members: lending rules, lenders asked in turn, states, purging (over the store)."""

from ill.errors import Conflict, IllError, Refused
from ill.rules import Wanted, check_request, lenders, on_shelf_at_home
from ill.service import STEPS, Interlending, Outbox, PatronRef

__all__ = ["Conflict", "IllError", "Interlending", "Outbox", "PatronRef", "Refused", "STEPS", "Wanted",
           "check_request", "lenders", "on_shelf_at_home"]
