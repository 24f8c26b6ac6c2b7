"""880 fields: text in its original script, paired with the romanised field it renders.

An 880's $6 reads "245-01/(N": the tag it pairs with, an occurrence number,
and the script. The romanised field carries the mirror "880-01" in its own
$6. Occurrence "00" (or a number no field carries) marks an 880 with no
romanised partner; it is kept, unpaired.
"""

from __future__ import annotations

import pymarc

from normalise.fields import vernacular_script
from normalise.model import Vernacular
from normalise.text import nfc, trim_punctuation
from normalise.view import MarcView

_TEXT_CODES = set("abcdefghijklmnopqrstuvwxyz")


def vernacular(view: MarcView) -> tuple[dict[str, list[str]], list[Vernacular]]:
    """(texts by paired tag, pairs with their romanised text) for every 880 of a record."""
    by_tag: dict[str, list[str]] = {}
    pairs: list[Vernacular] = []
    if not view.has("880"):
        return by_tag, pairs
    latin = _romanised_by_link(view)
    for fld in view.fields("880"):
        linkage = (fld.get("6") or "").strip()
        tag, occurrence = linkage[:3], linkage[4:6]
        text = field_text(fld)
        if not text:
            continue
        script, rtl = vernacular_script(linkage)
        paired = latin.get((tag, occurrence), "") if occurrence.isdigit() and occurrence != "00" else ""
        pairs.append(Vernacular(tag=tag if tag.isdigit() else "", text=text, latin=paired, script=script,
                                right_to_left=rtl))
        if tag.isdigit():
            by_tag.setdefault(tag, []).append(text)
    return by_tag, pairs


def _romanised_by_link(view: MarcView) -> dict[tuple[str, str], str]:
    """(tag, occurrence) -> text of every field that links to an 880."""
    out = {}
    for fld in view.record.fields:
        if fld.control_field or fld.tag == "880":
            continue
        for link in fld.get_subfields("6"):
            if link.startswith("880-") and link[4:6].isdigit():
                out[(fld.tag, link[4:6])] = field_text(fld)
    return out


def field_text(fld: pymarc.Field) -> str:
    """A field's text subfields (not $6 linkage, $8, or numbered control subfields), trimmed."""
    return trim_punctuation(" ".join(nfc(sf.value) for sf in fld.subfields if sf.code in _TEXT_CODES and sf.value))
