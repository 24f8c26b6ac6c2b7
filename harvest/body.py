"""Read a response body within a maximum size, on the wire and after decompression.

The body arrives as raw chunks (still gzip- or deflate-encoded as the server
sent them). Each decoding layer gives its output in pieces of at most
`PIECE` bytes, so a gzip bomb is counted as it inflates and stopped before it
fills the memory; the wire bytes are counted too. A body gzipped without a
Content-Encoding (some servers do this) is recognised by its first two bytes
and inflated the same way. Nothing here touches the network: the transport
hands the chunks in.
"""

from __future__ import annotations

import io
import zlib
from typing import Iterable, Iterator

from harvest.errors import ResponseTooLarge

PIECE = 64 * 1024                 # the most one decoding step may produce at once
KEPT_PREFIX = 64 * 1024           # what a too-large response leaves for the quarantine
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS


class BrokenBody(Exception):
    """The body's compressed data is invalid or ends early (the transport retries)."""


class _Inflate:
    """One gzip or deflate layer, producing bounded pieces."""

    def __init__(self, wbits: int, raw_fallback: bool = False):
        self.wbits = wbits
        self.raw_fallback = raw_fallback      # `deflate` is sometimes sent without its zlib header
        self.started = False
        self.engine = zlib.decompressobj(wbits)

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decompressed pieces of `data`."""
        while data:
            piece = self._step(data)
            if piece:
                yield piece
            if self.engine.eof:
                data = self.engine.unused_data
                if not data.strip(b"\0"):
                    return
                self.engine = zlib.decompressobj(self.wbits)     # another gzip member follows
                continue
            data = self.engine.unconsumed_tail
            while not data and len(piece) == PIECE:              # output still pending inside zlib
                piece = self._step(b"")
                if piece:
                    yield piece

    def finish(self) -> Iterator[bytes]:
        """Raise when the compressed data stopped before its end."""
        if self.started and not self.engine.eof:
            raise BrokenBody("compressed data ends before its end")
        return iter(())

    def _step(self, data: bytes) -> bytes:
        try:
            piece = self.engine.decompress(data, PIECE)
        except zlib.error as exc:
            if self.started or not self.raw_fallback:
                raise BrokenBody(f"invalid compressed data ({exc})") from exc
            self.wbits, self.raw_fallback = -zlib.MAX_WBITS, False
            self.engine = zlib.decompressobj(self.wbits)
            return self._step(data)
        self.started = True
        return piece


class _Sniff:
    """Inflates a body that starts with the gzip magic although no Content-Encoding said so."""

    def __init__(self):
        self.head = b""
        self.inner: _Inflate | None = None
        self.decided = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        if not self.decided:
            self.head += data
            if len(self.head) < len(_GZIP_MAGIC):
                return
            data, self.head, self.decided = self.head, b"", True
            if data.startswith(_GZIP_MAGIC):
                self.inner = _Inflate(_GZIP_OR_ZLIB)
        yield from (self.inner.decode(data) if self.inner else _pieces(data))

    def finish(self) -> Iterator[bytes]:
        if not self.decided and self.head:
            self.decided = True
            yield self.head
        if self.inner:
            yield from self.inner.finish()


def _layer(encoding: str) -> _Inflate:
    if encoding in ("gzip", "x-gzip"):
        return _Inflate(_GZIP_OR_ZLIB)
    if encoding == "deflate":
        return _Inflate(zlib.MAX_WBITS, raw_fallback=True)
    raise BrokenBody(f"unsupported Content-Encoding {encoding!r}")


def _pieces(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), PIECE):
        yield data[start:start + PIECE]


def read_bounded(chunks: Iterable[bytes], content_encoding: str | None, limit: int) -> bytes:
    """The decoded body of `chunks`; `ResponseTooLarge` as soon as it (or its wire size) passes `limit`."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    layers = [_layer(e) for e in reversed(encodings) if e != "identity"] + [_Sniff()]
    out = io.BytesIO()
    wire = 0

    def keep(pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            if out.tell() + len(piece) > limit:
                out.write(piece[:max(0, KEPT_PREFIX - out.tell())])
                raise ResponseTooLarge(f"response larger than {limit} bytes (decompressed)", _prefix(out))
            out.write(piece)

    for chunk in chunks:
        wire += len(chunk)
        keep(_through(layers, chunk))
        if wire > limit:
            raise ResponseTooLarge(f"response larger than {limit} bytes", _prefix(out))
    for depth in range(len(layers)):
        keep(_finished(layers, depth))
    return out.getvalue()


def _through(layers: list, data: bytes, start: int = 0) -> Iterator[bytes]:
    """`data` passed through the layers from `start` on, piece by piece."""
    if start == len(layers):
        yield data
        return
    for piece in layers[start].decode(data):
        yield from _through(layers, piece, start + 1)


def _finished(layers: list, depth: int) -> Iterator[bytes]:
    """What layer `depth` still holds at the end of the body, passed through the layers after it."""
    for piece in layers[depth].finish():
        yield from _through(layers, piece, depth + 1)


def _prefix(out: io.BytesIO) -> bytes:
    return out.getbuffer()[:KEPT_PREFIX].tobytes()
