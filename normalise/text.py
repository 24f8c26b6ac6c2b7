"""Text clean-up: Unicode NFC, ISBD punctuation trimming and folding for matching."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into base letter + mark.
_FOLD_SPECIAL = str.maketrans({
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ß": "ss", "ı": "i",
})
_TRAILING_PUNCTUATION = re.compile(r"[\s/:;,=+]+$")
# a final period stays after an initial ("J.") and an ellipsis, not after a number ("no. 6.")
_TRAILING_PERIOD = re.compile(r"(?<!\b[^\W\d_])(?<!\.\.)\.$")
_SPACES = re.compile(r"\s+")
_ENDINGS = frozenset(" /:;,=+.]")
_NON_WORD = re.compile(r"[^\w\s]+")
# a UTF-8 lead byte read as Latin-1 (Ã, Â, ...) followed by a continuation byte read as Latin-1
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")
_CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")
_MAX_LAYERS = 64
# an XML character reference escaped once too often, so that it reached the record as text
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
_REPLACEMENT = 0xFFFD


def nfc(value: str) -> str:
    """Unicode NFC with collapsed white space and no control characters."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if value.isprintable() and "  " not in value:   # the common case: nothing to collapse or remove
        return value.strip()
    value = _CONTROL.sub(" ", value)
    return _SPACES.sub(" ", value).strip()


def repair_mojibake(value: str) -> tuple[str, bool]:
    """UTF-8 that was decoded as Latin-1 (once or many times over), decoded again.

    Only a value that decodes cleanly all the way back is changed, so text
    that merely contains "Ã" followed by a symbol stays as it is.
    """
    if value.isascii() or not _MOJIBAKE.search(value):
        return value, False
    current = value
    for _ in range(_MAX_LAYERS):
        try:
            current = current.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            break
        if not _MOJIBAKE.search(current):
            return current, True
    return value, False


def repair_text(value: str, flags: list[str]) -> str:
    """One subfield's text with UTF-8 read as Latin-1 and character references escaped once too often
    repaired; each repair is named in `flags`."""
    if not value.isascii():
        value, repaired = repair_mojibake(value)
        if repaired:
            flags.append("mojibake-repaired")
    value, decoded = decode_character_references(value)
    if decoded:
        flags.append("character-references-decoded")
    return value


def decode_character_references(value: str) -> tuple[str, bool]:
    """Numeric character references left in text ("Stormont, &#38; Cars") decoded, and whether any were.

    A reference to U+FFFD stands for a character lost before the record was
    exported ("R&#xFFFD;evolution", where an accent was): it is dropped. A
    reference to a control character or to no character stays as it is.
    """
    if "&#" not in value:
        return value, False
    decoded = _CHARACTER_REFERENCE.sub(_referenced, value)
    return decoded, decoded != value


def _referenced(match: re.Match) -> str:
    code = int(match[1], 16) if match[1] else int(match[2])
    if code == _REPLACEMENT:
        return ""
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or _CONTROL.match(chr(code)):
        return match[0]
    return chr(code)


def trim_punctuation(value: str) -> str:
    """Remove the ISBD punctuation that ends a subfield (" /", " :", ",", ".").

    A final period is kept after an initial ("J.") and an ellipsis; square
    brackets around the whole value, or left unbalanced, are dropped.
    """
    value = nfc(value)
    if not value or (value[-1] not in _ENDINGS and value[0] != "["):
        return value
    value = _TRAILING_PUNCTUATION.sub("", value)
    value = _TRAILING_PERIOD.sub("", value)
    value = _TRAILING_PUNCTUATION.sub("", value)
    if value.startswith("[") and value.endswith("]") and value.count("[") == 1:
        value = value[1:-1]
    elif value.startswith("[") and "]" not in value:
        value = value[1:]
    elif value.endswith("]") and "[" not in value:
        value = value[:-1]
    return value.strip()


def fold(value: str) -> str:
    """Lower-case, diacritic-free, punctuation-free form for matching ("Łódź" -> "lodz")."""
    if not value.isascii():      # ASCII has nothing to decompose
        value = unicodedata.normalize("NFKD", value.translate(_FOLD_SPECIAL))
        value = "".join(ch for ch in value if not unicodedata.combining(ch))
    value = _NON_WORD.sub(" ", value.casefold().translate(_FOLD_SPECIAL))
    return _SPACES.sub(" ", value).strip()


def is_all_capitals(value: str) -> bool:
    """True for a title typed in capitals, which makes a poor display title."""
    letters = [ch for ch in value if ch.isalpha()]
    return len(letters) > 3 and all(ch.isupper() for ch in letters)
