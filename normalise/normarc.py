"""NORMARC, Norway's national MARC format (Bibliofil and BSMARC records, Deichman samples).

Where it differs from MARC 21 in what the normaliser reads:
- 019 $b gives the document type directly ("l" book, "ee" DVD, "di" audiobook);
  019 $a is the audience. (OCLC's MARC 21 019 holds only numbers in $a.)
- 090 is the library's own shelf mark: $b department, $c class, $d author letters.
- 6XX second indicators do not name a thesaurus; only $2 does ("BS" for Biblioteksentralen).
- 015 carries other systems' numbers, their source in $b (BIBBI, BibliofilID).
- 850 lists the branches holding copies; 996 $u links to the record in the library's catalogue.
- leader/09 is blank even though the text is UTF-8 (the reader detects that from the bytes).
"""

from __future__ import annotations

from normalise.formats import text_format
from normalise.text import nfc
from normalise.view import MarcView

# 019 $b codes (Bibliofil's list) -> format; a letter alone is the group, two letters a carrier within it
_DOCUMENT_TYPES = {
    "a": "map", "ab": "map", "aj": "map", "b": "manuscript", "c": "score",
    "d": "sound_recording", "da": "sound_recording", "db": "sound_recording", "dc": "sound_recording",
    "dd": "audiobook", "de": "sound_recording", "dg": "music_recording", "dh": "sound_recording",
    "di": "audiobook", "dj": "sound_recording", "dk": "sound_recording",
    "e": "video", "ec": "video", "ed": "vhs", "ee": "dvd", "ef": "bluray", "eg": "video",
    "f": "image", "fd": "image", "ff": "image", "fi": "image",
    "g": "computer_file", "gb": "computer_file", "gc": "computer_file", "gd": "computer_file",
    "ge": "computer_file", "gi": "game", "gt": "game",
    "h": "object", "i": "microform", "j": "serial", "k": "article", "l": "book",
}


def is_normarc(view: MarcView) -> bool:
    """A NORMARC record: 019 with a document type or audience code, or a Bibliofil 090 shelf mark."""
    for fld in view.fields("019"):
        if fld.get("b") or any(not v.strip().isdigit() for v in fld.get_subfields("a")):
            return True
    return any(not fld.get("a") and (fld.get("c") or fld.get("d")) for fld in view.fields("090"))


def document_format(view: MarcView) -> str:
    """The format that 019 $b names, or "" when it names none this module knows.

    A carrier code that is a sound recording of music ("dc" CD) is a music
    recording when the leader says so; a book ("l") is an e-book when 007/008 say it is online.
    """
    for fld in view.fields("019"):
        for value in fld.get_subfields("b"):
            for code in value.replace(";", ",").split(","):
                found = _DOCUMENT_TYPES.get(code.strip().lower())
                if found:
                    return _refined(found, view)
    return ""


def _refined(found: str, view: MarcView) -> str:
    if found == "sound_recording" and view.leader[6] == "j":
        return "music_recording"
    if found == "book":
        physical = [f.data or "" for f in view.fields("007") if f.control_field]
        return text_format("a", "m", physical, view.control("008").ljust(40))
    return found


def shelf_mark(view: MarcView) -> str:
    """The library's own call number from 090 ($b department, $c class, $d author letters)."""
    fld = view.first("090")
    if fld is None or fld.control_field:
        return ""
    return nfc(" ".join(v for v in fld.get_subfields("b", "c", "d") if v.strip()))


def catalogue_link(view: MarcView) -> str:
    """996 $u: the record's page in the library's own catalogue (Bibliofil's OAI export)."""
    for fld in view.fields("996"):
        for url in fld.get_subfields("u"):
            if url.strip().lower().startswith(("http://", "https://")):
                return url.strip()
    return ""
