"""Material format from leader/06-07, 007 and 008, as one word a patron knows."""

from __future__ import annotations

import pymarc

FORMATS = (
    "book", "ebook", "serial", "ejournal", "article", "map", "score", "sound_recording",
    "music_recording", "audiobook", "video", "dvd", "bluray", "computer_file", "image",
    "kit", "object", "manuscript", "mixed", "holdings", "unknown",
)

# leader/06 -> format when nothing finer applies
_BY_TYPE = {
    "a": "book", "t": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map",
    "g": "video", "i": "sound_recording", "j": "music_recording", "k": "image",
    "m": "computer_file", "o": "kit", "p": "mixed", "r": "object",
}
# 008/23 (books, serials) or 008/29 (maps, visual): forms of item meaning online/electronic
_ELECTRONIC_FORMS = {"o", "q", "s"}


def detect_format(record: pymarc.Record) -> str:
    """The material format of a record (one of `FORMATS`)."""
    leader = str(record.leader or "").ljust(24)
    kind, level = leader[6], leader[7]
    physical = [f.data or "" for f in record.get_fields("007")]
    fixed = _field_data(record, "008").ljust(40)
    if kind in "uvxy":
        return "holdings"
    if kind in "at":
        return _text_format(kind, level, physical, fixed)
    if kind == "g":
        return _video_format(physical)
    if kind == "i" and _is_spoken_word(fixed):
        return "audiobook"
    return _BY_TYPE.get(kind, "unknown")


def _text_format(kind: str, level: str, physical: list[str], fixed: str) -> str:
    electronic = fixed[23] in _ELECTRONIC_FORMS or any(p[:1] == "c" for p in physical)
    if level in "ab":
        return "article"
    if level in "is":
        return "ejournal" if electronic else "serial"
    if kind == "t":
        return "manuscript"
    return "ebook" if electronic else "book"


def _video_format(physical: list[str]) -> str:
    for data in physical:
        if data[:1] == "v" and len(data) > 4:
            return {"v": "dvd", "s": "bluray"}.get(data[4], "video")
    return "video"


def _is_spoken_word(fixed: str) -> bool:
    """008/30-31 literary text codes for sound recordings: spoken-word content."""
    return any(code in "dfhp" for code in fixed[30:32] if code.strip())


def _field_data(record: pymarc.Record, tag: str) -> str:
    fld = record.get(tag)
    return (fld.data or "") if fld is not None and fld.is_control_field() else ""
