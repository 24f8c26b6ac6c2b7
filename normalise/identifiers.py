"""Identifiers: ISBN (always 13 digits), ISSN, ISMN, EAN/UPC, system numbers, LCCN, NBN, URN, DOI."""

from __future__ import annotations

import re

import pymarc
from stdnum import ean, isbn, ismn, issn

from normalise.model import Identifier
from normalise.text import nfc

_ISBN_CANDIDATE = re.compile(r"[0-9][0-9Xx\- ]{8,16}[0-9Xx]")
_QUALIFIER = re.compile(r"\(([^)]*)\)")
_PREFIX = re.compile(r"^\(([^)]+)\)\s*(.+)$")
_OCLC_PREFIXES = ("ocolc", "oclc")
_OCLC_NOISE = re.compile(r"^(ocm|ocn|on)")


def extract_identifiers(record: pymarc.Record) -> list[Identifier]:
    """Every identifier of a record, in catalogued order."""
    out: list[Identifier] = []
    for fld in record.get_fields("020"):
        out += [_isbn(v, fld, cancelled=False) for v in fld.get_subfields("a")]
        out += [_isbn(v, fld, cancelled=True) for v in fld.get_subfields("z")]
    for fld in record.get_fields("022"):
        out += [_issn(v, cancelled=False) for v in fld.get_subfields("a", "l")]
        out += [_issn(v, cancelled=True) for v in fld.get_subfields("y", "z")]
    for fld in record.get_fields("024"):
        out += [_standard_number(v, fld.indicator1, fld.get("2", "")) for v in fld.get_subfields("a")]
    for fld in record.get_fields("035"):
        out += [_system_number(v) for v in fld.get_subfields("a")]
    for fld in record.get_fields("010"):
        out += [Identifier("lccn", _lccn(v)) for v in fld.get_subfields("a") if _lccn(v)]
    for fld in record.get_fields("015"):
        out += [Identifier("nbn", nfc(v), scheme=fld.get("2", "")) for v in fld.get_subfields("a")]
    for fld in record.get_fields("016"):
        out += [Identifier("nbn", nfc(v), scheme=fld.get("2", "") or "lac") for v in fld.get_subfields("a")]
    return [i for i in out if i.value]


def isbn13(value: str) -> str | None:
    """The 13-digit form of a valid ISBN, or None."""
    try:
        return isbn.to_isbn13(isbn.validate(value))
    except Exception:
        return None


def _isbn(raw: str, fld: pymarc.Field, cancelled: bool) -> Identifier:
    raw = nfc(raw)
    match = _ISBN_CANDIDATE.search(raw)
    number = match.group(0) if match else raw
    rest = raw[: match.start()] + raw[match.end():] if match else ""
    qualifiers = [_QUALIFIER.sub(r"\1", rest).strip(" :;,()")] + [nfc(q).strip("() ") for q in fld.get_subfields("q")]
    normal = isbn13(number)
    return Identifier(
        "isbn",
        normal or re.sub(r"[\s-]", "", number),
        qualifier="; ".join(q for q in qualifiers if q),
        valid=normal is not None,
        cancelled=cancelled,
    )


def _issn(raw: str, cancelled: bool) -> Identifier:
    number = nfc(raw).split(" ")[0]
    valid = issn.is_valid(number)
    return Identifier("issn", issn.format(number) if valid else number, valid=valid, cancelled=cancelled)


def _standard_number(raw: str, indicator1: str, scheme: str) -> Identifier:
    number = nfc(raw).split(" ")[0]
    kind = {"0": "isrc", "1": "upc", "2": "ismn", "3": "ean", "7": scheme.lower() or "other"}.get(indicator1, "other")
    if kind == "ismn":
        return Identifier("ismn", ismn.to_ismn13(number) if ismn.is_valid(number) else number, valid=ismn.is_valid(number))
    if kind in ("ean", "upc"):
        return Identifier(kind, ean.compact(number) if ean.is_valid(number) else number, valid=ean.is_valid(number))
    if kind in ("doi", "urn", "uri", "hdl"):
        return Identifier("doi" if kind == "doi" else kind, number.lower() if kind == "doi" else number)
    return Identifier(kind, number, scheme=scheme)


def _system_number(raw: str) -> Identifier:
    raw = nfc(raw)
    match = _PREFIX.match(raw)
    if not match:
        return Identifier("system", raw)
    prefix, number = match.group(1), match.group(2).strip()
    if prefix.lower() in _OCLC_PREFIXES:
        digits = _OCLC_NOISE.sub("", number.lower()).lstrip("0")
        return Identifier("oclc", digits, valid=digits.isdigit())
    return Identifier("system", number, scheme=prefix)


def _lccn(raw: str) -> str:
    """LCCN normalised as the Library of Congress describes (no spaces, hyphen expanded)."""
    value = nfc(raw).split("/")[0].replace(" ", "")
    if "-" in value:
        head, tail = value.split("-", 1)
        value = head + tail.zfill(6)
    return value
