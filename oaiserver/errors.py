"""Exceptions raised by the oaiserver package, all under one base."""

from __future__ import annotations


class OaiServerError(Exception):
    """Base class of every exception this package raises on purpose."""


class RecordError(OaiServerError, ValueError):
    """A record could not be stored: bad MARCXML, or its identifier is taken."""


class UnknownRecordError(OaiServerError, LookupError):
    """No record with this identifier is held by the repository."""


class DropConnection(OaiServerError):
    """Raised by a WSGI app to make the runner close the socket unanswered.

    The runner in :mod:`oaiserver.runner` sends nothing at all; other WSGI
    servers turn it into an ordinary HTTP 500.
    """
