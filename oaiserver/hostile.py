"""Response bodies a hostile or broken server streams: generated lazily, so they cost the server nothing
until a client reads them (and stop costing when it stops).

:mod:`oaiserver.faults` sends them for the ``gzip_bomb``, ``endless``,
``drip`` and ``huge_page`` faults.
"""

from __future__ import annotations

import itertools
import time
import zlib
from collections.abc import Iterator

_BLOCK = 1024 * 1024
_RECORD = (b'<record><header><identifier>oai:endless:%d</identifier><datestamp>2024-01-01</datestamp>'
           b'</header></record>\n')


def gzip_bomb(size: int) -> Iterator[bytes]:
    """A gzip stream of *size* zero bytes (a 1 GiB bomb is about 1 MB on the wire)."""
    engine = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(_BLOCK)
    for start in range(0, size, _BLOCK):
        piece = engine.compress(zeros[:min(_BLOCK, size - start)])
        if piece:
            yield piece
    yield engine.flush()


def endless(head: bytes) -> Iterator[bytes]:
    """*head*, then OAI-PMH records without end."""
    yield head
    for start in itertools.count(step=1000):
        yield b"".join(_RECORD % n for n in range(start, start + 1000))


def drip(body: bytes, delay: float) -> Iterator[bytes]:
    """*body* one byte at a time, *delay* seconds apart."""
    for position in range(len(body)):
        yield body[position:position + 1]
        time.sleep(delay)


def padded(body: bytes, size: int) -> Iterator[bytes]:
    """*body* followed by an XML comment that makes the whole *size* bytes: still well-formed."""
    yield body + b"<!--"
    filler = size - len(body) - len(b"<!---->")
    block = b" " * _BLOCK
    for start in range(0, filler, _BLOCK):
        yield block[:min(_BLOCK, filler - start)]
    yield b"-->"
