"""The field extraction rules: which MARC subfields fill which `Record` field.

Simple fields are a table of `Rule`s, read like traject's `to_field`; fields
that need logic (identifiers, contributors, dates, formats, holdings) are
named functions in their own modules. The table is checked when the module
loads, so a typo in a rule fails at import, not in the middle of a harvest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Callable

import pymarc

from normalise.model import Record
from normalise.text import nfc, trim_punctuation
from normalise.view import MarcView

_SPEC = re.compile(r"^(\d{3})(?:\[(.)\])?([a-z0-9]*)$")
_ENDS_IN_PUNCTUATION = re.compile(r"[.:;,/=+!?\-]\s*$")
# ISBD separators a cataloguer would have typed before these subfields (NORMARC and some RDA
# records leave them out): added only when the text before does not already end in punctuation
TITLE_ISBD = {"b": " : ", "n": ". ", "p": ". "}
PHYSICAL_ISBD = {"b": " : ", "c": " ; ", "e": " + "}


@dataclass(frozen=True)
class Rule:
    """Fill `target` from MARC `spec`: "245abnp", or alternatives "264[1]b|260b".

    The first alternative that yields anything wins (with `every`, all of
    them add to the result); `[x]` restricts to fields whose second
    indicator is x. Single-valued targets take the
    first value found, list targets take all. With `join` each subfield is
    cleaned on its own and the parts joined; otherwise the subfields are
    joined with spaces (or the `isbd` separators) and cleaned as a whole.
    """

    target: str
    spec: str
    clean: Callable[[str], str] = trim_punctuation
    join: str = ""
    isbd: dict[str, str] = field(default_factory=dict)
    every: bool = False
    parsed: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "parsed", tuple(_parse_spec(self.target, part) for part in self.spec.split("|")))

    def values(self, view: MarcView) -> list[str]:
        """Every value the rule yields for a record, cleaned, in field order."""
        found: list[str] = []
        for tag, ind2, codes in self.parsed:
            if not self.every:
                found = []
            for fld in view.fields(tag):
                if ind2 is not None and fld.indicator2 != ind2:
                    continue
                value = self._value(fld, codes)
                if value:
                    found.append(value)
            if found and not self.every:
                return found
        return found

    def _value(self, fld: pymarc.Field, codes: str) -> str:
        if self.join:
            parts = [self.clean(v) for v in subfield_values(fld, codes)]
            return self.join.join(p for p in parts if p)
        return self.clean(subfield_text(fld, codes, self.isbd))


def _parse_spec(target: str, part: str) -> tuple[str, str | None, str]:
    match = _SPEC.match(part)
    if not match:
        raise ValueError(f"bad rule spec {part!r} for {target}")
    return match.group(1), match.group(2), match.group(3)


def subfield_values(fld: pymarc.Field, codes: str) -> list[str]:
    """The chosen subfields' values, NFC, in catalogued order, empty ones left out."""
    if fld.control_field:
        return [nfc(fld.data or "")]
    return [text for sf in fld.subfields if sf.code in codes for text in (nfc(sf.value or ""),) if text]


def subfield_text(fld: pymarc.Field, codes: str, isbd: dict[str, str] | None = None) -> str:
    """The chosen subfields of a field joined with spaces, or with ISBD separators where missing."""
    if fld.control_field:
        return nfc(fld.data or "")
    out = ""
    for sf in fld.subfields:
        if sf.code not in codes:
            continue
        text = nfc(sf.value or "")
        if not text:
            continue
        if out:
            separator = isbd.get(sf.code) if isbd else None
            out += " " + text if separator is None or _ENDS_IN_PUNCTUATION.search(out) else separator + text
        else:
            out = text
    return out


RULES: tuple[Rule, ...] = (
    Rule("title", "245abnp|245k", isbd=TITLE_ISBD),
    Rule("part", "245np", isbd=TITLE_ISBD),
    Rule("uniform_title", "130adfklmnoprs|240adfklmnoprs"),
    Rule("responsibility", "245c"),
    Rule("edition", "250ab"),
    Rule("place", "264[1]a|260a|264[0]a|264[2]a|264[3]a|264a", join=" ; "),
    Rule("publisher", "264[1]b|260b|264[0]b|264[2]b|264[3]b|264b", join=" ; "),
    Rule("physical", "300abcef", isbd=PHYSICAL_ISBD),
    Rule("notes", "500a|501a|502abcd|503a|504a|505agrt|506a|508a|511a|518a|530a|533abcdn|534pt|538a"
                  "|546ab|550a|574a|580a|588a", clean=nfc, every=True),
    Rule("summary", "520ab", clean=nfc),
    Rule("host", "773tgdh|773a"),
)

SINGLE_VALUED = {"title", "part", "uniform_title", "responsibility", "edition", "place", "publisher", "physical",
                 "summary", "host"}


def _check_rules() -> None:
    names = {f.name for f in fields(Record)}
    for rule in RULES:
        if rule.target not in names:
            raise ValueError(f"rule target {rule.target!r} is not a Record field")


_check_rules()


def apply_rules(view: MarcView, out: Record) -> None:
    """Fill `out` from the table."""
    for rule in RULES:
        values = rule.values(view)
        if not values:
            continue
        if rule.target in SINGLE_VALUED:
            setattr(out, rule.target, values[0])
        else:
            getattr(out, rule.target).extend(values)
