"""Material format from leader/06-07, 007 and 008, as one word a patron knows.

NORMARC records say it more directly in 019 $b; see `normarc.document_format`.
"""

from __future__ import annotations

from normalise.view import MarcView

FORMATS = (
    "book", "ebook", "serial", "ejournal", "newspaper", "article", "map", "score", "sound_recording",
    "music_recording", "audiobook", "video", "dvd", "bluray", "vhs", "computer_file", "game", "image",
    "kit", "object", "manuscript", "microform", "mixed", "holdings", "authority", "unknown",
)

# leader/06 -> format when nothing finer applies
_BY_TYPE = {
    "a": "book", "t": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map",
    "g": "video", "i": "sound_recording", "j": "music_recording", "k": "image",
    "m": "computer_file", "o": "kit", "p": "mixed", "r": "object",
    "u": "holdings", "v": "holdings", "x": "holdings", "y": "holdings", "z": "authority",
}
# 007/00 category of material -> format, for a leader/06 that names no known type
_BY_CATEGORY = {
    "a": "map", "d": "map", "c": "computer_file", "g": "image", "h": "microform", "k": "image", "m": "video",
    "o": "kit", "q": "score", "r": "image", "s": "sound_recording", "t": "book", "v": "video",
}
# 008/23 (books, serials, music, mixed) and 008/29 (maps, visual): form of item
_ONLINE_FORMS = {"o", "q", "s"}
_MICROFORMS = {"a", "b", "c"}
# 008/30-31 of sound recordings: literary text codes that make a spoken-word recording an audiobook
_SPOKEN_WORD = set("abdefhkmop")
# 007 videorecording (v): 007/04 format
_VIDEO_CARRIERS = {"v": "dvd", "s": "bluray", "b": "vhs"}


def detect_format(view: MarcView) -> str:
    """The material format of a record (one of `FORMATS`)."""
    kind, level = view.leader[6], view.leader[7]
    physical = [f.data or "" for f in view.fields("007") if f.control_field]
    fixed = view.control("008").ljust(40)
    if kind in "at":
        return text_format(kind, level, physical, fixed)
    if kind == "g":
        return _video_format(physical, fixed)
    if kind == "i" and _is_spoken_word(fixed):
        return "audiobook"
    if kind == "m" and fixed[26] == "g":
        return "game"
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    return next((_BY_CATEGORY[p[0]] for p in physical if p[:1] in _BY_CATEGORY), "unknown")


def text_format(kind: str, level: str, physical: list[str], fixed: str) -> str:
    online = fixed[23] in _ONLINE_FORMS or any(p[:2] == "cr" for p in physical)
    if level in ("a", "b"):
        return "article"
    if level in "is":
        if fixed[21] == "n":
            return "newspaper"
        return "ejournal" if online else "serial"
    if kind == "t":
        return "manuscript"
    if fixed[23] in _MICROFORMS or any(p[:1] == "h" for p in physical):
        return "microform"
    return "ebook" if online or any(p[:1] == "c" for p in physical) else "book"


def _video_format(physical: list[str], fixed: str) -> str:
    """DVD, Blu-ray, VHS or video from 007 (category v, format at 007/04); slides and such are images."""
    for data in physical:
        if data[:1] == "v" and len(data) > 4:
            return _VIDEO_CARRIERS.get(data[4], "video")
    if fixed[33] in ("s", "t", "f", "c"):   # slide, transparency, filmstrip, toy-like graphics
        return "image"
    return "video"


def _is_spoken_word(fixed: str) -> bool:
    """008/30-31 literary text codes for sound recordings: spoken-word content."""
    return any(code in _SPOKEN_WORD for code in fixed[30:32] if code.strip())
