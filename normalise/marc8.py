"""MARC-8 to Unicode, fast for the common case.

Almost all MARC-8 text uses only the default character sets: ASCII in G0
and ANSEL (Latin letters and combining diacritics) in G1. For that case a
256-entry table decodes a whole subfield in C, and one regular expression
moves each diacritic from before its letter (MARC-8 order) to after it
(Unicode order). Text with escape sequences (Hebrew, Cyrillic, CJK, ...)
goes to pymarc's full converter.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from pymarc import marc8_mapping
from pymarc.marc8 import MARC8ToUnicode

from normalise.errors import NormaliseError

ESCAPE = 0x1B
_BASIC_LATIN, _ANSEL = 0x42, 0x45
_COMBINING_RANGE = "\u0300-\u036f\ufe20-\ufe23"


class Marc8Error(NormaliseError):
    """MARC-8 bytes that cannot be decoded."""


def _build_table() -> tuple[str, str]:
    """The decoding table and the set of combining characters it can produce."""
    table = [chr(b) if b < 0x20 else "\ufffd" for b in range(256)]
    combining = set()
    for charset in (_BASIC_LATIN, _ANSEL):
        for byte, (code_point, is_combining) in marc8_mapping.CODESETS[charset].items():
            if byte < 256:
                table[byte] = chr(code_point)
                if is_combining:
                    combining.add(chr(code_point))
    if not all(re.match(f"[{_COMBINING_RANGE}]", ch) for ch in combining):
        raise RuntimeError("an ANSEL diacritic lies outside the combining range the decoder reorders")
    return "".join(table), "".join(sorted(combining))


_TABLE, _COMBINING = _build_table()
_DIACRITICS_BEFORE_LETTER = re.compile(f"([{_COMBINING_RANGE}]+)([^{_COMBINING_RANGE}])")


def decode_marc8(data: bytes) -> tuple[str, bool]:
    """Unicode NFC text of MARC-8 bytes, and whether any byte could not be mapped.

    Raises `Marc8Error` when escape sequences lead to bytes pymarc cannot read.
    """
    if data.isascii() and ESCAPE not in data:
        return data.decode("ascii"), False
    if ESCAPE in data:
        return _decode_with_escapes(data)
    text = codecs.charmap_decode(data, "strict", _TABLE)[0]
    text = _DIACRITICS_BEFORE_LETTER.sub(r"\2\1", text)
    return unicodedata.normalize("NFC", text), "\ufffd" in text


def _decode_with_escapes(data: bytes) -> tuple[str, bool]:
    try:
        text = MARC8ToUnicode(quiet=True).translate(data)
    except (IndexError, TypeError, KeyError, ValueError) as exc:
        raise Marc8Error(f"MARC-8 escape sequence cannot be read: {exc}") from exc
    return text, False
