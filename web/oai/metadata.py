"""The metadata formats and the `about` of a record: MARCXML, MARCXML with holdings, Dublin Core, provenance.

Each function returns one XML fragment as text, written directly (no tree)
so that a page of hundreds of records costs little; every value goes
through `text()`, which escapes markup and drops characters XML forbids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pymarc

from dedup import ClusterView
from normalise import parse_raw
from store import StoredRecord

MARC_NS = "http://www.loc.gov/MARC21/slim"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
PROVENANCE_NS = "http://www.openarchives.org/OAI/2.0/provenance"


@dataclass(frozen=True)
class Format:
    """A metadata format: its prefix, schema and namespace."""

    prefix: str
    schema: str
    namespace: str


FORMATS = {
    "marc21": Format("marc21", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARC_NS),
    "marc21_includehold": Format("marc21_includehold", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
                                 MARC_NS),
    "oai_dc": Format("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
}
# the members' own holdings fields: dropped, so a harvester never mistakes one member's items for the cluster's
HOLDINGS_TAGS = frozenset({"852", "866", "867", "868", "850", "949", "952", "999", "AVA"})
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def text(value) -> str:
    """`value` as XML character data."""
    return escape(_FORBIDDEN.sub("", str(value)))


def attr(value) -> str:
    """`value` as a quoted XML attribute."""
    return quoteattr(_FORBIDDEN.sub("", str(value)))


def marc_xml(view: ClusterView, best: StoredRecord, repository: str, *, holdings: bool) -> str:
    """The displayed record as MARCXML: 001 the cluster id, 003 the repository, with an 852 per holding if asked."""
    record, _flags = parse_raw(best.raw, best.raw_format)
    out = [f'<record xmlns="{MARC_NS}"><leader>{text(_leader(record.leader))}</leader>',
           f'<controlfield tag="001">{text(view.id)}</controlfield>',
           f'<controlfield tag="003">{text(repository)}</controlfield>']
    for fld in record.fields:
        if fld.tag in ("001", "003") or fld.tag in HOLDINGS_TAGS:
            continue
        out.append(_field(fld))
    if holdings:
        out.extend(_holding_field(h) for h in view.holdings)
    out.append("</record>")
    return "".join(out)


def _leader(leader) -> str:
    value = str(leader or "")
    value = (value + " " * 24)[:24]
    return value[:9] + "a" + value[10:]     # the text is Unicode now, whatever the member's leader said


def _field(fld: pymarc.Field) -> str:
    if fld.control_field:
        return f"<controlfield tag={attr(fld.tag)}>{text(fld.data or '')}</controlfield>"
    ind1, ind2 = (fld.indicators or [" ", " "])[:2] if fld.indicators else (" ", " ")
    subfields = "".join(f"<subfield code={attr(sf.code)}>{text(sf.value)}</subfield>"
                        for sf in fld.subfields if sf.code and sf.value is not None)
    return f"<datafield tag={attr(fld.tag)} ind1={attr(_indicator(ind1))} ind2={attr(_indicator(ind2))}>{subfields}</datafield>"


def _indicator(value) -> str:
    value = str(value or " ")[:1]
    return value if re.fullmatch(r"[\da-z ]", value) else " "


def _holding_field(holding) -> str:
    """852: $a member, $b library code, $c location, $h call number."""
    parts = [("a", holding.source), ("b", holding.library), ("c", holding.location), ("h", holding.call_number)]
    subfields = "".join(f'<subfield code="{code}">{text(value)}</subfield>' for code, value in parts if value)
    return f'<datafield tag="852" ind1=" " ind2=" ">{subfields}</datafield>'


def dublin_core(view: ClusterView) -> str:
    """Simple Dublin Core of the displayed record."""
    record = view.record
    values = [("title", record.title), *(("creator", name) for name in record.authors),
              *(("subject", s.heading) for s in view.subjects), ("description", record.summary),
              ("publisher", record.publisher), ("date", record.year or ""), ("type", record.format),
              *(("identifier", f"{i.kind.upper()} {i.value}") for i in view.identifiers if i.valid and i.value),
              *(("language", code) for code in view.languages)]
    body = "".join(f"<dc:{name}>{text(value)}</dc:{name}>" for name, value in values if value not in ("", None))
    return (f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd">{body}</oai_dc:dc>')


def provenance(members: list[StoredRecord], origins: dict[str, str], namespace: str, fallback_date: str) -> list[str]:
    """The member records a cluster was built from, one OAI provenance `about` each."""
    out = []
    for member in members:
        base = origins.get(member.source) or f"urn:unioncat:source:{member.source}"
        identifier = member.oai_identifier or f"{member.source}:{member.local_id}"
        datestamp = member.datestamp if _DATESTAMP.match(member.datestamp or "") else fallback_date
        out.append(f'<provenance xmlns="{PROVENANCE_NS}"><originDescription harvestDate={attr(fallback_date)} '
                   f'altered="true"><baseURL>{text(base)}</baseURL><identifier>{text(identifier)}</identifier>'
                   f"<datestamp>{text(datestamp)}</datestamp><metadataNamespace>{text(namespace)}</metadataNamespace>"
                   "</originDescription></provenance>")
    return out


_DATESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")
