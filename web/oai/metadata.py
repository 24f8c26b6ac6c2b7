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


_NEEDS_WORK = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')
_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
_CODE = re.compile(r"^[0-9A-Za-z!\"#$%&'()*+,\-./:;<=>?{}_^`~\[\]\\]$")
_INDICATOR = re.compile(r"^[0-9a-z ]$")
FIELD_MARK, SUBFIELD_MARK = "\x1e", "\x1f"


def text(value) -> str:
    """`value` as XML character data (or a quoted attribute's content)."""
    value = str(value)
    if not _NEEDS_WORK.search(value):
        return value
    return escape(_FORBIDDEN.sub("", value), {'"': "&quot;"})


def attr(value) -> str:
    """`value` as a quoted XML attribute."""
    return quoteattr(_FORBIDDEN.sub("", str(value)))


def marc_xml(view: ClusterView, best: StoredRecord, repository: str, *, holdings: bool) -> str:
    """The displayed record as MARCXML: 001 the cluster id, 003 the repository, with an 852 per holding if asked."""
    leader, fields = _fields(best, view)
    out = [f'<record xmlns="{MARC_NS}"><leader>{text(_leader(leader))}</leader>',
           f'<controlfield tag="001">{text(view.id)}</controlfield>',
           f'<controlfield tag="003">{text(repository)}</controlfield>']
    for tag, content in fields:
        if tag in ("001", "003") or tag in HOLDINGS_TAGS or not _TAG.match(tag):
            continue
        out.append(_field(tag, content))
    if holdings:
        out.extend(_holding_field(h) for h in view.holdings)
    out.append("</record>")
    return "".join(out)


def _fields(best: StoredRecord, view: ClusterView) -> tuple[str, list[tuple[str, object]]]:
    """(leader, [(tag, control data or (indicators, [(code, value)]))]): straight from UTF-8 ISO 2709 when the
    bytes are clean, else through the normaliser's forgiving reader."""
    if best.raw_format == "iso2709" and best.raw:
        fast = iso2709_fields(best.raw)
        if fast is not None:
            return fast
    record = _marc(best, view)
    fields = [(f.tag, f.data if f.control_field else ("".join(f.indicators or "  ")[:2],
                                                      [(sf.code, sf.value) for sf in f.subfields]))
              for f in record.fields]
    return str(record.leader), fields


def iso2709_fields(raw: bytes) -> tuple[str, list[tuple[str, object]]] | None:
    """The fields of a well-formed UTF-8 ISO 2709 record, or None for anything the full reader must see."""
    try:
        leader = raw[:24].decode("ascii")
        if leader[9] != "a":
            return None
        base = int(leader[12:17])
        directory = raw[24:base - 1]
        if len(directory) % 12 or raw[base - 1:base] != b"\x1e":
            return None
        fields = []
        for at in range(0, len(directory), 12):
            tag = directory[at:at + 3].decode("ascii")
            length, start = int(directory[at + 3:at + 7]), int(directory[at + 7:at + 12])
            chunk = raw[base + start:base + start + length].decode("utf-8")
            if not chunk.endswith(FIELD_MARK):
                return None
            chunk = chunk[:-1]
            if tag.startswith("00"):
                fields.append((tag, chunk))
            else:
                parts = chunk.split(SUBFIELD_MARK)
                # a backslash indicator (MARCMaker's blank, kept by some conversions) is a blank, as the full reader has it
                fields.append((tag, (parts[0][:2].replace("\\", " "), [(part[:1], part[1:]) for part in parts[1:] if part])))
        return leader, fields
    except (ValueError, UnicodeDecodeError, IndexError):
        return None


def _marc(best: StoredRecord, view: ClusterView) -> pymarc.Record:
    """The member's MARC as received; a record whose bytes are gone or unreadable is described from its
    normalised form instead (title, authors, year), so one bad record never breaks a page."""
    try:
        if best.raw:
            return parse_raw(best.raw, best.raw_format)[0]
    except Exception:      # noqa: BLE001 - any reader failure: the fallback below still describes the edition
        pass
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    record.add_field(pymarc.Field("245", ["0", "0"], [pymarc.Subfield("a", view.record.title or view.id)]))
    for name in view.record.authors[:1]:
        record.add_field(pymarc.Field("100", ["1", " "], [pymarc.Subfield("a", name)]))
    if view.record.year:
        record.add_field(pymarc.Field("264", [" ", "1"], [pymarc.Subfield("c", str(view.record.year))]))
    return record


def _leader(leader) -> str:
    value = str(leader or "")
    value = (value + " " * 24)[:24]
    # the text is Unicode now, whatever the member's leader said; the entry map is always 4500 in MARC 21
    return value[:9] + "a" + value[10:20] + "4500"


def _field(tag: str, content) -> str:
    if isinstance(content, str):
        return f'<controlfield tag="{tag}">{text(content)}</controlfield>'
    indicators, subfields = content
    ind1, ind2 = _indicator(indicators[:1]), _indicator(indicators[1:2])
    inner = "".join(f'<subfield code="{text(code)}">{text(value)}</subfield>'
                    for code, value in subfields if code and _CODE.match(code) and value is not None)
    return f'<datafield tag="{tag}" ind1="{ind1}" ind2="{ind2}">{inner}</datafield>'


def _indicator(value) -> str:
    value = str(value or " ")[:1]
    return value if _INDICATOR.match(value) else " "


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
