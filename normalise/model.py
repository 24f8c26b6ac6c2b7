"""The plain record model every later stage works with.

Dataclasses only: no pymarc, no SQL, no Whoosh. `to_dict`/`from_dict` give
the JSON form the store keeps and `unioncat inspect` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cache


@dataclass
class Contributor:
    """A person, body or meeting responsible for the work, with roles."""

    name: str
    kind: str = "person"          # person | body | meeting
    roles: list[str] = field(default_factory=list)        # relator terms, in English where known
    main: bool = False            # from 1XX rather than 7XX
    role_codes: list[str] = field(default_factory=list)   # MARC relator codes (aut, ill, trl, ...)
    dates: str = ""               # $d: life dates, as catalogued


@dataclass
class Identifier:
    """One identifier as catalogued, normalised where it can be."""

    kind: str                     # isbn, issn, ismn, ean, upc, oclc, lccn, nbn, urn, doi, system
    value: str
    qualifier: str = ""
    valid: bool = True
    cancelled: bool = False       # from $z: cancelled or invalid in the source
    scheme: str = ""              # e.g. the (prefix) of a 035 or the source of a 016


@dataclass
class Link:
    """An electronic location (856) with its label."""

    url: str
    label: str = ""
    relationship: str = ""        # resource, version, related


@dataclass
class HostItem:
    """The journal, book or other whole an article or chapter is part of (773)."""

    title: str
    issn: str = ""                # $x
    isbn: str = ""                # $z
    issue: str = ""               # $g: volume, issue and pages ("2022, nr 33, s. 68-71")
    published: str = ""           # $d


@dataclass
class Holding:
    """Copies of the record at one library or branch of a source."""

    source: str
    library: str
    library_name: str = ""
    location: str = ""
    call_number: str = ""
    items: int = 1
    available: int | None = None
    availability: str = ""
    note: str = ""
    url: str = ""


@dataclass
class Series:
    """A series the record belongs to, with its numbering (490, 440, 8XX)."""

    title: str
    number: str = ""
    issn: str = ""
    controlled: bool = False      # from 8XX (or 440): an authorised series heading


@dataclass
class Vernacular:
    """A field in its original script (880), paired with its romanised field."""

    tag: str                      # the tag of the field it pairs with (245, 100, ...)
    text: str                     # the original script
    latin: str = ""               # the paired field's text; empty for an unpaired 880
    script: str = ""              # from $6: arabic, cjk, cyrillic, greek, hebrew, latin
    right_to_left: bool = False


@dataclass
class Subject:
    """A subject or genre heading with its vocabulary."""

    heading: str
    vocabulary: str = ""
    kind: str = "topic"           # topic, person, body, place, genre, title


@dataclass
class Record:
    """A bibliographic record of one source, normalised."""

    source: str = ""
    local_id: str = ""
    title: str = ""
    title_sort: str = ""
    part: str = ""
    uniform_title: str = ""
    responsibility: str = ""
    contributors: list[Contributor] = field(default_factory=list)
    edition: str = ""
    place: str = ""
    publisher: str = ""
    year: int | None = None
    physical: str = ""
    pages: int | None = None
    series: list[str] = field(default_factory=list)   # display form: "Title ; number"
    subjects: list[Subject] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    format: str = "unknown"
    identifiers: list[Identifier] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""
    host: str = ""
    holdings_of: str = ""         # a separate holdings record: the 001 of its bibliographic record (004)
    vernacular: dict[str, list[str]] = field(default_factory=dict)
    holdings: list[Holding] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    series_entries: list[Series] = field(default_factory=list)
    vernacular_fields: list[Vernacular] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)   # RDA 336 codes: txt, sti, prm, spw, tdi, ...
    media_types: list[str] = field(default_factory=list)     # RDA 337 codes: n, c, s, v, h, ...
    carrier_types: list[str] = field(default_factory=list)   # RDA 338 codes: nc, cr, sd, vd, ...
    dialect: str = "marc21"       # marc21 | normarc
    record_url: str = ""          # the member's own catalogue page for this record
    host_items: list[HostItem] = field(default_factory=list)   # 773: what an article or chapter is part of

    @property
    def is_holdings(self) -> bool:
        """True for a separate MARC holdings record (leader/06 u, v, x or y)."""
        return self.format == "holdings"

    @property
    def authors(self) -> list[str]:
        """Contributor names, main entry first."""
        return [c.name for c in sorted(self.contributors, key=lambda c: not c.main)]

    def ids(self, kind: str, *, include_cancelled: bool = False) -> list[str]:
        """Valid identifier values of one kind."""
        return [
            i.value for i in self.identifiers
            if i.kind == kind and i.valid and (include_cancelled or not i.cancelled)
        ]

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        """The inverse of `to_dict`; unknown keys are ignored."""
        known = _field_names(cls)
        values = dict(data) if data.keys() <= known else {k: v for k, v in data.items() if k in known}
        for key, kind in _NESTED.items():
            names = _field_names(kind)
            # a record read back by the same version has no unknown keys: skip filtering them
            values[key] = [kind(**item) if item.keys() <= names else kind(**{k: v for k, v in item.items() if k in names})
                           for item in values.get(key, ())]
        return cls(**values)


@cache
def _field_names(kind: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(kind))


_NESTED = {
    "contributors": Contributor, "identifiers": Identifier, "links": Link,
    "holdings": Holding, "subjects": Subject, "series_entries": Series,
    "vernacular_fields": Vernacular, "host_items": HostItem,
}
