"""The exceptions normalise raises: one base, so callers can catch them all."""


class NormaliseError(Exception):
    """Base of every error raised by the normalise package."""


class MarcReadError(NormaliseError):
    """A record's bytes could not be read as MARC."""
