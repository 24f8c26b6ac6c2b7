"""Exceptions of the harvest stage."""


class HarvestError(Exception):
    """A source could not be harvested completely; the message names the fault."""


class TransportError(HarvestError):
    """The server could not be reached or kept failing after every retry."""


class InvalidPage(HarvestError):
    """A response could not be parsed as OAI-PMH XML, even after retries."""


class OAIProtocolError(HarvestError):
    """The server answered with an OAI-PMH error code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"OAI-PMH error {code}: {message}".rstrip(": "))
        self.code = code


class ResponseTooLarge(TransportError):
    """A response grew past the configured maximum, on the wire or decompressed; `prefix` is its start."""

    def __init__(self, message: str, prefix: bytes = b""):
        super().__init__(message)
        self.prefix = prefix


class DeadlineExceeded(TransportError):
    """A request or a page (with its retries) outlasted its configured deadline."""


class RedirectRefused(TransportError):
    """The server redirected to another origin than the source's, and the source does not allow it."""
