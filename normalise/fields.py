"""Record fields that need logic beyond the rule table."""

from __future__ import annotations

import re

import pymarc

from normalise.model import Contributor, Link, Subject
from normalise.rules import subfield_text
from normalise.text import nfc, trim_punctuation

_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_PAGES = re.compile(r"(\d+)\s*(?:p\b|pages|s\.|sider|sidor|stron|str\.|pp)", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-z]{3}$")
_SAFE_SCHEMES = ("http://", "https://")

_CONTRIBUTOR_FIELDS = {
    "100": ("person", "abcdq", True), "110": ("body", "abcdn", True), "111": ("meeting", "acdenq", True),
    "700": ("person", "abcdq", False), "710": ("body", "abcdn", False), "711": ("meeting", "acdenq", False),
}
_SUBJECT_FIELDS = {
    "600": ("person", "abcdqtvxyz"), "610": ("body", "abcdtvxyz"), "611": ("meeting", "acdentvxyz"),
    "630": ("title", "adfklmnoprstvxyz"), "648": ("topic", "avxyz"), "650": ("topic", "abvxyz"),
    "651": ("place", "avxyz"), "653": ("topic", "a"), "655": ("genre", "avxyz"),
}
_VOCABULARIES = {"0": "lcsh", "1": "lcshac", "2": "mesh", "3": "nal", "5": "cash", "6": "rvm"}


def local_id(record: pymarc.Record) -> str:
    """The control number (001), stripped."""
    return control(record, "001")


def control(record: pymarc.Record, tag: str) -> str:
    """The data of a control field, stripped; empty when absent."""
    fld = record.get(tag)
    return nfc(fld.data or "") if fld is not None and fld.is_control_field() else ""


def title_sort(record: pymarc.Record, title: str) -> str:
    """The title without its non-filing characters (245 second indicator)."""
    fld = record.get("245")
    skip = int(fld.indicator2) if fld is not None and (fld.indicator2 or "").isdigit() else 0
    return title[skip:].lstrip() if skip < len(title) else title


def contributors(record: pymarc.Record) -> list[Contributor]:
    """Authors and other contributors with their relator terms and codes."""
    out = []
    for fld in record.get_fields(*_CONTRIBUTOR_FIELDS):
        kind, codes, main = _CONTRIBUTOR_FIELDS[fld.tag]
        name = trim_punctuation(subfield_text(fld, codes))
        if name:
            roles = [trim_punctuation(r) for r in fld.get_subfields("e", "4") if trim_punctuation(r)]
            out.append(Contributor(name=name, kind=kind, roles=roles, main=main))
    return out


def subjects(record: pymarc.Record) -> list[Subject]:
    """Subject and genre headings with their vocabulary (ind2, or $2 when ind2 is 7)."""
    out, seen = [], set()
    for fld in record.get_fields(*_SUBJECT_FIELDS):
        kind, codes = _SUBJECT_FIELDS[fld.tag]
        heading = trim_punctuation(subfield_text(fld, codes, " -- "))
        vocabulary = fld.get("2", "") if fld.indicator2 == "7" else _VOCABULARIES.get(fld.indicator2 or "", "")
        if heading and (heading, kind) not in seen:
            seen.add((heading, kind))
            out.append(Subject(heading=heading, vocabulary=nfc(vocabulary), kind=kind))
    return out


def year(record: pymarc.Record) -> int | None:
    """Year of publication: 264/260 $c, falling back to 008/07-10."""
    for fld in record.get_fields("264", "260"):
        if fld.tag == "264" and fld.indicator2 not in ("1", " "):
            continue
        for value in fld.get_subfields("c"):
            match = _YEAR.search(value)
            if match:
                return int(match.group(1))
    fixed = record.get("008")
    if fixed is not None and fixed.is_control_field():
        match = _YEAR.fullmatch((fixed.data or "")[7:11])
        if match:
            return int(match.group(1))
    return None


def pages(physical: str) -> int | None:
    """The page count of a 300 $a, when it states one."""
    counts = [int(n) for n in _PAGES.findall(physical)]
    return max(counts) if counts else None


def languages(record: pymarc.Record) -> list[str]:
    """ISO 639-2 codes from 008/35-37 and 041 $a $d, without duplicates."""
    found = []
    fixed = record.get("008")
    if fixed is not None and fixed.is_control_field():
        found.append((fixed.data or "")[35:38].strip().lower())
    for fld in record.get_fields("041"):
        for value in fld.get_subfields("a", "d"):
            value = value.strip().lower()
            # some catalogues run several codes together in one subfield
            found += [value[i:i + 3] for i in range(0, len(value), 3)]
    return list(dict.fromkeys(code for code in found if _LANGUAGE.match(code) and code not in ("und", "zxx", "mul", "|||")))


def links(record: pymarc.Record) -> list[Link]:
    """856 links; only http and https, so a record cannot inject script URLs."""
    out = []
    for fld in record.get_fields("856"):
        relationship = {"0": "resource", "1": "version", "2": "related"}.get(fld.indicator2 or "", "")
        label = nfc(" ".join(fld.get_subfields("y", "3", "z")))
        for url in fld.get_subfields("u"):
            url = url.strip()
            if url.lower().startswith(_SAFE_SCHEMES):
                out.append(Link(url=url, label=label, relationship=relationship))
    return out


def vernacular(record: pymarc.Record) -> dict[str, list[str]]:
    """880 fields in their original script, keyed by the tag they pair with."""
    out: dict[str, list[str]] = {}
    for fld in record.get_fields("880"):
        linkage = fld.get("6", "")
        tag = linkage[:3]
        text = trim_punctuation(" ".join(nfc(sf.value) for sf in fld.subfields if sf.code not in "68" and sf.value))
        if tag.isdigit() and text:
            out.setdefault(tag, []).append(text)
    return out
