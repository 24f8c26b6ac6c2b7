"""Exceptions of the harvest stage."""


class HarvestError(Exception):
    """A source could not be harvested completely; the message names the fault."""


class TransportError(HarvestError):
    """The server could not be reached or kept failing after every retry."""


class PermanentError(TransportError):
    """A fault retrying cannot mend (unknown host, connection refused, 401/403/404, an HTML page): the
    source stops at once, without spending the retry budget; the message says what to do."""


class InvalidPage(HarvestError):
    """A response could not be parsed as OAI-PMH XML, even after retries."""


class OAIProtocolError(HarvestError):
    """The server answered with an OAI-PMH error code."""

    def __init__(self, code: str, message: str):
        advice = OAI_ERROR_ADVICE.get(code)
        super().__init__(f"OAI-PMH error {code}: {message}".rstrip(": ") + (f" ({advice})" if advice else ""))
        self.code = code


# what an operator can do about the OAI-PMH errors a misconfigured source meets
OAI_ERROR_ADVICE = {
    "cannotDisseminateFormat": "the server does not offer this metadata prefix: set the source's metadata_prefix "
                               "to one it offers (`unioncat check` lists them)",
    "noSetHierarchy": "the server has no sets: remove the source's `set`",
    "badArgument": "the server refused the request's arguments: check the source's set and metadata_prefix",
    "badVerb": "the address does not answer OAI-PMH verbs: check the source's url",
}


class ResponseTooLarge(TransportError):
    """A response grew past the configured maximum, on the wire or decompressed; `prefix` is its start."""

    def __init__(self, message: str, prefix: bytes = b""):
        super().__init__(message)
        self.prefix = prefix


class DeadlineExceeded(TransportError):
    """A request or a page (with its retries) outlasted its configured deadline."""


class RedirectRefused(TransportError):
    """The server redirected to another origin than the source's, and the source does not allow it."""
