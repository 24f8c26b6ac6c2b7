"""Assemble a `Record` from a pymarc record: the rule table plus the special fields."""

from __future__ import annotations

import pymarc

from normalise import fields, normarc
from normalise.formats import detect_format
from normalise.holdings import extract_holdings
from normalise.identifiers import extract_identifiers
from normalise.marc import parse_raw
from normalise.model import Record
from normalise.rules import apply_rules
from normalise.text import nfc
from normalise.vernacular import vernacular
from normalise.view import MarcView
from settings import HoldingsMapping

_NOT_BIBLIOGRAPHIC = {"holdings", "authority"}
# The version of the normalisation rules. Raise it whenever what `normalise` makes of a record changes
# (tests/test_normalise_golden.py fails until you do): stored records of an older version are then
# re-derived from their raw MARC by the next nightly run or `unioncat renormalise`.
RULES_VERSION = 2      # 2: host items (773) of articles and chapters


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
    view = MarcView(marc)
    out = Record(source=source, local_id=fields.local_id(view), flags=list(flags or []))
    out.dialect = "normarc" if normarc.is_normarc(view) else "marc21"
    apply_rules(view, out)
    _describe(view, out)
    out.format = (normarc.document_format(view) if out.dialect == "normarc" else "") or detect_format(view)
    out.identifiers = extract_identifiers(view, out.dialect)
    out.record_url = _record_url(view, out, record_url)
    shelf_mark = normarc.shelf_mark(view) if out.dialect == "normarc" else ""
    out.holdings = extract_holdings(view, source, source_name, holdings, out.record_url, shelf_mark)
    if out.format == "holdings":
        out.holdings_of = nfc(view.control("004"))
    _flag(out)
    return out


def _describe(view: MarcView, out: Record) -> None:
    """The descriptive fields the rule table cannot express."""
    out.title_sort = fields.title_sort(view, out.title)
    out.contributors = fields.contributors(view, out.dialect)
    out.year = fields.publication_year(view)
    out.pages = fields.pages(out.physical)
    out.subjects = fields.subjects(view, out.dialect)
    out.languages = fields.languages(view)
    out.series_entries = fields.series(view)
    out.series = fields.series_display(out.series_entries)
    out.links = fields.links(view)
    out.host_items = fields.host_items(view)
    out.vernacular, out.vernacular_fields = vernacular(view)
    out.content_types = fields.rda_types(view, "336")
    out.media_types = fields.rda_types(view, "337")
    out.carrier_types = fields.rda_types(view, "338")


def _record_url(view: MarcView, out: Record, template: str) -> str:
    if template and out.local_id:
        return template.replace("{id}", out.local_id)
    return normarc.catalogue_link(view) if out.dialect == "normarc" else ""


def _flag(out: Record) -> None:
    if any(not i.valid for i in out.identifiers if i.kind == "isbn" and not i.cancelled):
        out.flags.append("isbn-invalid")
    if out.format in _NOT_BIBLIOGRAPHIC and out.format != "holdings":
        out.flags.append("not-bibliographic")
    out.flags = sorted(set(out.flags))


def normalise_raw(raw: bytes, fmt: str, source: str = "", **options) -> Record:
    """Parse stored raw bytes and normalise them; raises `MarcReadError`."""
    marc, flags = parse_raw(raw, fmt)
    return normalise(marc, source, flags=flags, **options)
