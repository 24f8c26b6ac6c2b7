"""Assemble a `Record` from a pymarc record: the rule table plus the special fields."""

from __future__ import annotations

import pymarc

from normalise import fields
from normalise.formats import detect_format
from normalise.holdings import extract_holdings
from normalise.identifiers import extract_identifiers
from normalise.marc import parse_raw
from normalise.model import Record
from normalise.rules import apply_rules
from settings import HoldingsMapping


def normalise(
    marc: pymarc.Record,
    source: str = "",
    *,
    source_name: str = "",
    holdings: HoldingsMapping | None = None,
    record_url: str = "",
    flags: list[str] | None = None,
) -> Record:
    """The normalised form of one MARC record of `source`.

    `record_url` is a template with `{id}` for the member's own catalogue page.
    """
    out = Record(source=source, local_id=fields.local_id(marc), flags=list(flags or []))
    apply_rules(marc, out)
    out.title_sort = fields.title_sort(marc, out.title)
    out.contributors = fields.contributors(marc)
    out.year = fields.year(marc)
    out.pages = fields.pages(out.physical)
    out.subjects = fields.subjects(marc)
    out.languages = fields.languages(marc)
    out.format = detect_format(marc)
    out.identifiers = extract_identifiers(marc)
    out.links = fields.links(marc)
    out.vernacular = fields.vernacular(marc)
    url = record_url.format(id=out.local_id) if record_url and out.local_id else ""
    out.holdings = extract_holdings(marc, source, source_name, holdings, url)
    if out.is_holdings:
        out.holdings_of = fields.control(marc, "004")
    if any(not i.valid for i in out.identifiers if i.kind == "isbn" and not i.cancelled):
        out.flags.append("isbn-invalid")
    return out


def normalise_raw(raw: bytes, fmt: str, source: str = "", **options) -> Record:
    """Parse stored raw bytes and normalise them; raises `MarcReadError`."""
    marc, flags = parse_raw(raw, fmt)
    return normalise(marc, source, flags=flags, **options)
