"""Holdings: which libraries and branches of a source hold a record, and whether copies are in.

Each member system keeps holdings in its own field (see the field notes).
A source may configure its mapping; otherwise the conventions below are
tried in order, item-level ones first, and the first that recognises fields
in the record wins. Item fields (one per copy, as Koha's 952) are grouped
into one holding per library, location and call number. A record without
any holdings field is held by the source as a whole.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import pymarc

from normalise.model import Holding
from normalise.text import nfc, trim_punctuation
from normalise.view import MarcView
from settings import HoldingsMapping

_SUBFIELD_MARKS = re.compile(r"\|[a-z0-9]\s*")   # III writes "|a614.0985 |bL732c" inside one subfield
_SUMMARY_TAGS = ("866", "867", "868")


def _always(_fld: pymarc.Field) -> bool:
    return True


def _unknown(_fld: pymarc.Field) -> tuple[int | None, str]:
    return None, ""


@dataclass(frozen=True)
class Convention:
    """One member system's way of keeping holdings: a mapping, how to recognise it, what it says of availability."""

    system: str
    mapping: HoldingsMapping
    recognise: Callable[[pymarc.Field], bool] = _always
    status: Callable[[pymarc.Field], tuple[int | None, str]] = _unknown   # (copies available, status text)
    names: str = ""                # subfields that give the library's name beside its code


def _has(*codes: str) -> Callable[[pymarc.Field], bool]:
    return lambda fld: any(fld.get(code) for code in codes)


def _koha_item(fld: pymarc.Field) -> bool:
    """Koha's 952 has a branch and item data; OCLC-style 952s (other libraries' holdings) have neither."""
    return bool(fld.get("a") or fld.get("b")) and any(fld.get(code) is not None for code in "oy70148c")


def _koha_status(fld: pymarc.Field) -> tuple[int | None, str]:
    """$7 not for loan, $0 withdrawn, $1 lost, $4 damaged, $q due date (on loan)."""
    for code, word in (("0", "withdrawn"), ("1", "lost"), ("4", "damaged"), ("7", "not for loan")):
        if (fld.get(code) or "0") not in ("", "0"):
            return 0, word
    if fld.get("q"):
        return 0, f"on loan until {nfc(fld.get('q'))}"
    return 1, "available"


def _ava_status(fld: pymarc.Field) -> tuple[int | None, str]:
    """Alma: $e available / unavailable / check_holdings, $f items, $g unavailable items."""
    total, missing, state = _count(fld.get("f") or ""), fld.get("g") or "", nfc(fld.get("e") or "")
    if missing.isdigit():
        return max(0, total - int(missing)), state
    if state == "available":
        return total, state
    return (0 if state == "unavailable" else None), state


# Symphony's current location ($k) when a copy is not on its shelf
_SIRSI_AWAY = {"CHECKEDOUT", "MISSING", "LOST", "LOST-ASSUM", "LOST-CLAIM", "INTRANSIT", "ON-ORDER", "INPROCESS",
               "BINDERY", "REPAIR", "DISCARD", "WITHDRAWN", "HOLDS", "RESERVES"}


def _sirsi_status(fld: pymarc.Field) -> tuple[int | None, str]:
    """Symphony: no $k means the copy is in its home location."""
    current = nfc(fld.get("k") or "")
    if current.upper() in _SIRSI_AWAY:
        return 0, current.lower()
    return 1, "available"


_III_STATUS = {"-": "available", "o": "library use only", "c": "checked out", "m": "missing", "t": "in transit",
               "p": "in process", "$": "lost and paid", "n": "billed", "z": "claims returned", "w": "withdrawn",
               "d": "damaged", "!": "on holdshelf", "j": "on order"}


def _iii_status(fld: pymarc.Field) -> tuple[int | None, str]:
    """Sierra item status in $s; a due date in $d means the item is out."""
    code = (fld.get("s") or "").strip()
    if not code:
        return None, ""
    if code in ("-", "o") and (fld.get("d") or "").strip():
        return 0, "checked out"
    return int(code in ("-", "o")), _III_STATUS.get(code, code)


BUILT_IN: tuple[Convention, ...] = (
    Convention("Alma", HoldingsMapping("AVA", {"library": "bq", "location": "cj", "call_number": "d", "items": "f"}),
               _has("b", "q"), _ava_status, names="q"),
    Convention("Koha", HoldingsMapping("952", {"library": "ab", "location": "c", "call_number": "o", "note": "z"}),
               _koha_item, _koha_status),
    Convention("Symphony", HoldingsMapping("999", {"library": "m", "location": "l", "call_number": "a"}),
               _has("m"), _sirsi_status),
    Convention("Sierra", HoldingsMapping("999", {"location": "l", "call_number": "q"}, indicators="91"),
               _has("l", "q"), _iii_status),
    Convention("Unicorn", HoldingsMapping("949", {"library": "m", "location": "l", "call_number": "a"}),
               _has("m"), _sirsi_status),
    Convention("MARC holdings", HoldingsMapping("852", {"library": "ba", "location": "c", "call_number": "khijm",
                                                         "note": "z"}), _has("a", "b")),
    Convention("NORMARC", HoldingsMapping("850", {"library": "ba", "location": "c"}), _has("a", "b")),
)


def extract_holdings(
    view: MarcView,
    source: str,
    source_name: str = "",
    mapping: HoldingsMapping | None = None,
    record_url: str = "",
    call_number: str = "",
) -> list[Holding]:
    """The holdings of a record, grouped per library, location and call number.

    `call_number` is the record's own shelf mark (NORMARC 090), used where a
    holding field gives none.
    """
    for convention in _conventions(mapping):
        fields = [f for f in view.fields(convention.mapping.tag)
                  if not f.control_field and _indicators_match(f, convention.mapping.indicators) and convention.recognise(f)]
        if fields:
            notes = _summary_holdings(view) if convention.mapping.tag == "852" else {}
            holdings = _group([_holding(f, convention, source, source_name, record_url, call_number, notes.get(id(f), ""))
                               for f in fields])
            if holdings:
                return _with_item_counts(view, holdings, convention.mapping.items_from)
    return [Holding(source=source, library=source, library_name=source_name or source, call_number=call_number,
                    url=record_url)]


def _with_item_counts(view: MarcView, holdings: list[Holding], items_from: tuple[str, str, str] | None) -> list[Holding]:
    """Copies counted from a field of their own, one per copy, matched to holdings by library and location."""
    if items_from is None:
        return holdings
    tag, library_code, location_code = items_from
    copies = Counter((_first(f, library_code), _first(f, location_code)) for f in view.fields(tag) if not f.control_field)
    # holdings at one library and location (other call numbers) cannot tell its copies apart: left as they are
    places = Counter((h.library, h.location) for h in holdings)
    for holding in holdings:
        place = (holding.library, holding.location)
        if copies[place] and places[place] == 1:
            holding.items = copies[place]
    return holdings


def _conventions(mapping: HoldingsMapping | None) -> tuple[Convention, ...]:
    """The configured mapping (with the availability rules of the built-in convention for its field), or all."""
    if mapping is None:
        return BUILT_IN
    known = next((c for c in BUILT_IN if c.mapping.tag == mapping.tag
                  and (c.mapping.indicators or "") == (mapping.indicators or "")), None)
    return (Convention("configured", mapping, _always, known.status if known else _unknown),)


def _holding(fld: pymarc.Field, convention: Convention, source: str, source_name: str, url: str,
             record_call_number: str, summary: str) -> Holding | None:
    mapping = convention.mapping
    roles = {role: _first(fld, codes) for role, codes in mapping.subfields.items()}
    # a catalogue of one library may name no library in its item fields
    library = roles.get("library", "") if "library" in mapping.subfields else source
    if not library:
        return None
    available, status = convention.status(fld)
    note = "; ".join(n for n in (roles.get("note", ""), summary) if n)
    name = mapping.library_names.get(library) or (_first(fld, convention.names) if convention.names else "")
    return Holding(
        # a union catalogue upstream names the member catalogue of each holding (unioncat's own 852 $a)
        source=roles.get("member") or source,
        library=library,
        library_name=name or (source_name if library == source else library),
        location=roles.get("location", ""),
        call_number=_call_number(fld, mapping.subfields.get("call_number", "")) or record_call_number,
        items=_count(roles.get("items", "")),
        available=available,
        availability=roles.get("availability", "") or status,
        note=note,
        url=url,
    )


def _call_number(fld: pymarc.Field, codes: str) -> str:
    text = " ".join(nfc(sf.value) for sf in fld.subfields if sf.code in codes and sf.value and sf.value.strip())
    text = _SUBFIELD_MARKS.sub(" ", text).strip()
    return trim_punctuation(text) if text else ""


def _summary_holdings(view: MarcView) -> dict[int, str]:
    """Textual holdings (866-868 $a) of each 852, which they follow in the record."""
    out: dict[int, list[str]] = {}
    current = None
    for fld in view.fields_in_order(("852", *_SUMMARY_TAGS)):
        if fld.tag == "852":
            current = id(fld)
        elif current is not None:
            out.setdefault(current, []).extend(trim_punctuation(v) for v in fld.get_subfields("a") if v.strip())
    return {key: "; ".join(values) for key, values in out.items()}


def _indicators_match(fld: pymarc.Field, wanted: str | None) -> bool:
    if not wanted:
        return True
    return f"{fld.indicator1 or ' '}{fld.indicator2 or ' '}".startswith(wanted)


def _first(fld: pymarc.Field, codes: str) -> str:
    """The first non-empty subfield among `codes`, in order of preference."""
    for code in codes:
        for value in fld.get_subfields(code):
            if value and value.strip():
                return trim_punctuation(value)
    return ""


def _count(value: str) -> int:
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _group(holdings: list[Holding | None]) -> list[Holding]:
    """One holding per library, location and call number; copies counted, statuses summed up."""
    grouped: dict[tuple[str, str, str, str], Holding] = {}
    statuses: dict[tuple[str, str, str, str], set[str]] = {}
    for holding in holdings:
        if holding is None:
            continue
        key = (holding.source, holding.library, holding.location, holding.call_number)
        statuses.setdefault(key, set()).add(holding.availability)
        if key not in grouped:
            grouped[key] = holding
            continue
        into = grouped[key]
        into.items += holding.items
        if holding.available is not None:
            into.available = (into.available or 0) + holding.available
    for key, holding in grouped.items():
        if len(statuses[key]) > 1:   # copies in different states: say how many are in
            holding.availability = f"{holding.available} of {holding.items} available" if holding.available is not None else ""
    return list(grouped.values())
