"""The three documented repairs of a page that is not well-formed XML.

Both fix faults that are in the server's data, so fetching the page again
would not help; anything else (a page cut short, a wrong envelope) is never
repaired, only retried and then kept aside.

- `xml-repaired`: characters XML 1.0 forbids (C0 controls other than tab,
  newline and carriage return), raw or as character references such as
  `&#x1A;`, are dropped.
- `entity-reference-kept`: a reference to an entity nobody declared
  (`&xxe;`, which makes the page not well-formed) is escaped into the literal
  text it is; nothing is ever resolved. (References to entities a DTD
  declares parse, and `harvest.pages` keeps those as text the same way.)
- `encoding-mislabelled`: a page declared (or defaulting to) UTF-8 whose
  bytes are not UTF-8 has each invalid byte read as Windows-1252 (Latin-1
  where 1252 leaves a byte undefined); valid UTF-8 around it is kept.

Each repaired character is followed by a marker (a Unicode noncharacter,
which XML allows and real records never hold), so that only the records that
were actually touched are flagged; `strip_marks` removes the markers again.
"""

from __future__ import annotations

import codecs
import re

from normalise import keep_entity_references

XML_MARK = "\ufdd0"
ENCODING_MARK = "\ufdd1"
ENTITY_MARK = "\ufdd2"
FLAGS = {XML_MARK: "xml-repaired", ENCODING_MARK: "encoding-mislabelled", ENTITY_MARK: "entity-reference-kept"}
_MARK_BYTES = {mark.encode("utf-8"): flag for mark, flag in FLAGS.items()}
_FORBIDDEN = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f]"
    rb"|&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));")
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_HANDLER = "unioncat-cp1252"


def _as_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start:error.end]
    text = "".join(_byte_char(byte) + ENCODING_MARK for byte in bad)
    return text, error.end


def _byte_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


codecs.register_error(_HANDLER, _as_cp1252)


def repair(content: bytes) -> tuple[bytes, list[str]]:
    """The page with both repairs applied and marked, and the flags of the repairs made."""
    done: list[str] = []
    declared = _DECLARED.match(content[:200])
    if declared is None or declared.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8"):
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            content = content.decode("utf-8", errors=_HANDLER).encode("utf-8")
            done.append(FLAGS[ENCODING_MARK])
    cleaned = _FORBIDDEN.sub(XML_MARK.encode("utf-8"), content)
    if cleaned != content:
        done.append(FLAGS[XML_MARK])
    kept = keep_entity_references(cleaned, ENTITY_MARK.encode("utf-8"))
    if kept != cleaned:
        done.append(FLAGS[ENTITY_MARK])
    return kept, done


def strip_marks(data: bytes) -> tuple[bytes, list[str]]:
    """`data` without repair markers, and the flags of the repairs they stood for."""
    flags = []
    for mark, flag in _MARK_BYTES.items():
        if mark in data:
            data = data.replace(mark, b"")
            flags.append(flag)
    return data, flags


def strip_text_marks(text: str) -> str:
    """A header value (identifier, datestamp) without repair markers."""
    for mark in FLAGS:
        text = text.replace(mark, "")
    return text
