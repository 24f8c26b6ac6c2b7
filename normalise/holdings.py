"""Holdings: which libraries and branches of a source hold a record.

Each member system keeps holdings in its own field. A source may configure
its mapping; otherwise the built-in table below is tried in order and the
first field present in the record wins. Item-level fields (one per copy, as
Koha's 952) are grouped into one holding per library, location and call number.
A record without any holdings field is held by the source as a whole.
"""

from __future__ import annotations

import pymarc

from normalise.model import Holding
from normalise.text import nfc, trim_punctuation
from settings import HoldingsMapping

BUILT_IN: tuple[HoldingsMapping, ...] = (
    # Alma publishing
    HoldingsMapping("AVA", {"library": "qb", "location": "cj", "call_number": "d", "availability": "e", "items": "f"}),
    # Koha items
    HoldingsMapping("952", {"library": "ab", "location": "c", "call_number": "o", "availability": "q", "note": "z"}),
    # MARC holdings (Evergreen, Libris and many others)
    HoldingsMapping("852", {"library": "ab", "location": "c", "call_number": "hij", "note": "z"}),
    # SirsiDynix Symphony items, and Unicorn's 949 of the same layout
    HoldingsMapping("999", {"library": "m", "location": "lk", "call_number": "a"}),
    HoldingsMapping("949", {"library": "m", "location": "l", "call_number": "a"}),
    # NORMARC (Bibliofil): branch codes
    HoldingsMapping("850", {"library": "a"}),
)


def extract_holdings(
    record: pymarc.Record,
    source: str,
    source_name: str = "",
    mapping: HoldingsMapping | None = None,
    record_url: str = "",
) -> list[Holding]:
    """The holdings of a record, grouped per library, location and call number."""
    mappings = (mapping,) if mapping else BUILT_IN
    for candidate in mappings:
        fields = [f for f in record.get_fields(candidate.tag) if _indicators_match(f, candidate.indicators)]
        if fields:
            holdings = _group([_holding(f, candidate, source, source_name, record_url) for f in fields])
            if holdings:
                return holdings
    return [Holding(source=source, library=source, library_name=source_name or source, url=record_url)]


def _holding(fld: pymarc.Field, mapping: HoldingsMapping, source: str, source_name: str, url: str) -> Holding | None:
    if fld.is_control_field():
        return None
    roles = {role: _first(fld, codes) for role, codes in mapping.subfields.items()}
    # a catalogue of one library may name no library in its item fields
    library = roles.get("library", "") if "library" in mapping.subfields else source
    if not library:
        return None
    call_number = " ".join(nfc(v) for v in fld.get_subfields(*mapping.subfields.get("call_number", ""))).strip()
    return Holding(
        source=source,
        library=library,
        library_name=mapping.library_names.get(library, source_name if library == source else library),
        location=roles.get("location", ""),
        call_number=trim_punctuation(call_number) if call_number else "",
        items=_count(roles.get("items", "")),
        available=_available(fld, mapping),
        availability=roles.get("availability", ""),
        note=roles.get("note", ""),
        url=url,
    )


def _indicators_match(fld: pymarc.Field, wanted: str | None) -> bool:
    if not wanted:
        return True
    if fld.is_control_field():
        return False
    return f"{fld.indicator1 or ' '}{fld.indicator2 or ' '}".startswith(wanted)


def _first(fld: pymarc.Field, codes: str) -> str:
    """The first non-empty subfield among `codes`, in order of preference."""
    for code in codes:
        for value in fld.get_subfields(code):
            if value and value.strip():
                return nfc(value)
    return ""


def _count(value: str) -> int:
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _available(fld: pymarc.Field, mapping: HoldingsMapping) -> int | None:
    """Copies on the shelf, where the field says: Koha 952 and Alma AVA."""
    if mapping.tag == "952":
        unavailable = any(fld.get(code, "0") not in ("", "0") for code in "7014") or bool(fld.get("q"))
        return 0 if unavailable else 1
    if mapping.tag == "AVA":
        total = _count(fld.get("f", "") or "")
        missing = fld.get("g", "") or ""
        return max(0, total - int(missing)) if missing.isdigit() else (total if fld.get("e") == "available" else 0)
    return None


def _group(holdings: list[Holding | None]) -> list[Holding]:
    grouped: dict[tuple[str, str, str], Holding] = {}
    for holding in holdings:
        if holding is None:
            continue
        key = (holding.library, holding.location, holding.call_number)
        if key not in grouped:
            grouped[key] = holding
            continue
        into = grouped[key]
        into.items += holding.items
        if holding.available is not None:
            into.available = (into.available or 0) + holding.available
    return list(grouped.values())
