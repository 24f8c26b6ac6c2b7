"""The mail package's one exception."""

from __future__ import annotations


class MailError(Exception):
    """A message could not be handed to the SMTP server (off, unreachable, too slow, refused)."""
