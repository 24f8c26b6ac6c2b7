"""Identifiers: ISBN (always 13 digits), ISSN, ISMN, EAN/UPC, system numbers, LCCN, NBN, URN, DOI."""

from __future__ import annotations

import re

from stdnum import ean, isbn, ismn, issn

from normalise.model import Identifier
from normalise.text import nfc
from normalise.view import MarcView

_ISBN_CANDIDATE = re.compile(r"[0-9][0-9Xx\- ]{8,16}[0-9Xx]")
_QUALIFIER = re.compile(r"\(([^)]*)\)")
_PREFIX = re.compile(r"^\(([^)]+)\)\s*(.+)$")
_OCLC_PREFIXES = ("ocolc", "oclc")
_OCLC_NOISE = re.compile(r"^(ocm|ocn|on)")
_OCLC_BARE = re.compile(r"^(?:ocm|ocn|on)\d+$")
# a DOI or URN anywhere in a link, also behind a proxy ("...login?url=http://dx.doi.org/10.1007/...")
_DOI = re.compile(r"(?:doi\.org/|doi:)(10\.\d{4,9}/[^\s?#&]+)", re.IGNORECASE)
_URN = re.compile(r"(urn:nbn:[^\s?#&]+)", re.IGNORECASE)
# 024 first indicator -> kind; 7 means "source in $2"
_STANDARD_NUMBER_KINDS = {"0": "isrc", "1": "upc", "2": "ismn", "3": "ean", "4": "sici"}


def extract_identifiers(view: MarcView, dialect: str = "marc21") -> list[Identifier]:
    """Every identifier of a record, in catalogued order."""
    out: list[Identifier] = []
    for fld in view.fields("020"):
        qualifiers = [nfc(q).strip("() ") for q in fld.get_subfields("q", "b")]
        out += [_isbn(v, qualifiers, cancelled=False) for v in fld.get_subfields("a")]
        out += [_isbn(v, qualifiers, cancelled=True) for v in fld.get_subfields("z")]
    for fld in view.fields("022"):
        out += [_issn(v, cancelled=False) for v in fld.get_subfields("a", "l")]
        out += [_issn(v, cancelled=True) for v in fld.get_subfields("y", "z")]
    for fld in view.fields("024"):
        out += [_standard_number(v, fld.indicator1, fld.get("2") or "") for v in fld.get_subfields("a")]
    out += _system_numbers(view)
    for fld in view.fields("010"):
        out += [Identifier("lccn", lccn(v)) for v in fld.get_subfields("a") if lccn(v)]
        out += [Identifier("lccn", lccn(v), cancelled=True) for v in fld.get_subfields("z") if lccn(v)]
    out += _national_numbers(view, dialect)
    out += _from_links(view)
    return _unique([i for i in out if i.value])


def isbn13(value: str) -> str | None:
    """The 13-digit form of a valid ISBN, or None."""
    try:
        return isbn.to_isbn13(isbn.validate(value))
    except Exception:   # stdnum raises its own ValidationError family and ValueError
        return None


def _isbn(raw: str, qualifiers: list[str], cancelled: bool) -> Identifier:
    raw = nfc(raw)
    match = _ISBN_CANDIDATE.search(raw)
    number = match.group(0) if match else raw
    rest = raw[: match.start()] + raw[match.end():] if match else ""
    found = [_QUALIFIER.sub(r"\1", rest).strip(" :;,()")] + qualifiers
    normal = isbn13(number)
    return Identifier(
        "isbn",
        normal or re.sub(r"[\s-]", "", number),
        qualifier="; ".join(dict.fromkeys(q for q in found if q)),
        valid=normal is not None,
        cancelled=cancelled,
    )


def _issn(raw: str, cancelled: bool) -> Identifier:
    number = nfc(raw).split(" ")[0]
    valid = issn.is_valid(number)
    return Identifier("issn", issn.format(number) if valid else number, valid=valid, cancelled=cancelled)


def _standard_number(raw: str, indicator1: str, source: str) -> Identifier:
    number = nfc(raw).split(" ")[0]
    source = nfc(source).lower()
    kind = _STANDARD_NUMBER_KINDS.get(indicator1, source or "other") if indicator1 != "7" else (source or "other")
    if kind == "ismn":
        valid = ismn.is_valid(number)
        return Identifier("ismn", ismn.to_ismn13(number) if valid else number, valid=valid)
    if kind in ("ean", "upc"):
        valid = ean.is_valid(number)
        return Identifier(kind, ean.compact(number) if valid else number, valid=valid)
    if kind == "doi":
        return Identifier("doi", number.lower())
    if kind in ("urn", "uri", "hdl", "handle"):
        return Identifier("urn" if kind == "urn" else kind, number)
    return Identifier(kind, number, scheme=source)


def _system_numbers(view: MarcView) -> list[Identifier]:
    """035 numbers (OCLC recognised by prefix) and an 001 that 003 says is an OCLC number."""
    out = [_system_number(v, False) for fld in view.fields("035") for v in fld.get_subfields("a")]
    out += [_system_number(v, True) for fld in view.fields("035") for v in fld.get_subfields("z")]
    if nfc(view.control("003")).lower() in _OCLC_PREFIXES:
        own = _oclc(nfc(view.control("001")), cancelled=False)
        if own.valid:   # some catalogues keep 003 OCoLC over a 001 of their own
            out.append(own)
    return out


def _system_number(raw: str, cancelled: bool) -> Identifier:
    raw = nfc(raw)
    match = _PREFIX.match(raw)
    if not match:
        if _OCLC_BARE.match(raw.lower()):
            return _oclc(raw, cancelled)
        return Identifier("system", raw, cancelled=cancelled)
    prefix, number = match.group(1), match.group(2).strip()
    if prefix.lower() in _OCLC_PREFIXES:
        return _oclc(number, cancelled)
    return Identifier("system", number, scheme=prefix, cancelled=cancelled)


def _oclc(number: str, cancelled: bool) -> Identifier:
    digits = _OCLC_NOISE.sub("", number.lower()).lstrip("0")
    return Identifier("oclc", digits, valid=digits.isdigit(), cancelled=cancelled)


def lccn(raw: str) -> str:
    """LCCN normalised as the Library of Congress describes (no spaces, hyphen expanded)."""
    value = nfc(raw).split("/")[0].replace(" ", "")
    if "-" in value:
        head, tail = value.split("-", 1)
        value = head + tail.zfill(6)
    return value


def _national_numbers(view: MarcView, dialect: str) -> list[Identifier]:
    """015 national bibliography and 016 national agency numbers.

    NORMARC uses 015 for any other bibliographic control number, with its
    source in $b (BIBBI, BibliofilID): those are system numbers.
    """
    out = []
    for fld in view.fields("015"):
        if dialect == "normarc" and fld.get("b"):
            out += [Identifier("system", nfc(v), scheme=nfc(fld.get("b"))) for v in fld.get_subfields("a")]
            continue
        out += [Identifier("nbn", nfc(v), scheme=nfc(fld.get("2") or "")) for v in fld.get_subfields("a")]
        out += [Identifier("nbn", nfc(v), scheme=nfc(fld.get("2") or ""), cancelled=True) for v in fld.get_subfields("z")]
    for fld in view.fields("016"):
        scheme = nfc(fld.get("2") or "") if fld.indicator1 == "7" else "lac"
        out += [Identifier("nbn", nfc(v), scheme=scheme) for v in fld.get_subfields("a")]
    return out


def _from_links(view: MarcView) -> list[Identifier]:
    """DOIs and URNs written as resolver links in 856 $u."""
    out = []
    for fld in view.fields("856"):
        for url in fld.get_subfields("u"):
            url = url.strip()
            doi = _DOI.search(url)
            if doi:
                out.append(Identifier("doi", doi.group(1).lower(), scheme="856"))
            urn = _URN.search(url)
            if urn:
                out.append(Identifier("urn", urn.group(1), scheme="856"))
    return out


def _unique(found: list[Identifier]) -> list[Identifier]:
    """One identifier per kind, value and status; qualifiers of repeats are kept together."""
    out: dict[tuple[str, str, bool], Identifier] = {}
    for ident in found:
        key = (ident.kind, ident.value, ident.cancelled)
        if key not in out:
            out[key] = ident
        elif ident.qualifier and ident.qualifier not in out[key].qualifier:
            kept = out[key]
            kept.qualifier = "; ".join(q for q in (kept.qualifier, ident.qualifier) if q)
    return list(out.values())
