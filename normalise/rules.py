"""The field extraction rules: which MARC subfields fill which `Record` field.

Simple fields are a table of `Rule`s, read like traject's `to_field`; fields
that need logic (identifiers, contributors, dates, formats, holdings) are
named functions in their own modules. The table is checked when the module
loads, so a typo in a rule fails at import, not in the middle of a harvest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Callable

import pymarc

from normalise.model import Record
from normalise.text import nfc, trim_punctuation

_SPEC = re.compile(r"^(\d{3})(?:\[(.)\])?([a-z0-9]*)$")


@dataclass(frozen=True)
class Rule:
    """Fill `target` from MARC `spec`: "245abnp", or alternatives "264[1]b|260b".

    The first alternative that yields anything wins; `[x]` restricts to
    fields whose second indicator is x. Single-valued targets take the
    first value found, list targets take all.
    """

    target: str
    spec: str
    clean: Callable[[str], str] = trim_punctuation
    join: str = " "

    def parsed(self) -> list[tuple[str, str | None, str]]:
        """(tag, second indicator or None, subfield codes) per alternative."""
        out = []
        for part in self.spec.split("|"):
            match = _SPEC.match(part)
            if not match:
                raise ValueError(f"bad rule spec {part!r} for {self.target}")
            out.append((match.group(1), match.group(2), match.group(3)))
        return out

    def values(self, record: pymarc.Record) -> list[str]:
        """Every value the rule yields for a record, cleaned, in field order."""
        for tag, ind2, codes in self.parsed():
            found = [
                value for fld in record.get_fields(tag)
                if ind2 is None or fld.indicator2 == ind2
                for value in [self.clean(subfield_text(fld, codes, self.join))]
                if value
            ]
            if found:
                return found
        return []


def subfield_text(fld: pymarc.Field, codes: str, join: str = " ") -> str:
    """The chosen subfields of a field, in their catalogued order, joined."""
    if fld.is_control_field():
        return nfc(fld.data or "")
    parts = [nfc(sf.value) for sf in fld.subfields if sf.code in codes and sf.value and sf.value.strip()]
    return join.join(parts)


RULES: tuple[Rule, ...] = (
    Rule("title", "245abfgknps"),
    Rule("part", "245np"),
    Rule("uniform_title", "130adfklmnoprs|240adfklmnoprs"),
    Rule("responsibility", "245c"),
    Rule("edition", "250ab"),
    Rule("place", "264[1]a|260a|264a"),
    Rule("publisher", "264[1]b|260b|264b"),
    Rule("physical", "300abce"),
    Rule("series", "830anpv|800tv|810tv|811tv|490av"),
    Rule("notes", "500a|501a|502a|504a|505agrt|508a|511a|518a|530a|546a|588a", clean=nfc),
    Rule("summary", "520ab", clean=nfc),
    Rule("host", "773tgdh"),
)

SINGLE_VALUED = {"title", "part", "uniform_title", "responsibility", "edition", "place", "publisher", "physical", "summary", "host"}


def _check_rules() -> None:
    names = {f.name for f in fields(Record)}
    for rule in RULES:
        if rule.target not in names:
            raise ValueError(f"rule target {rule.target!r} is not a Record field")
        rule.parsed()


_check_rules()


def apply_rules(record: pymarc.Record, out: Record) -> None:
    """Fill `out` from the table."""
    for rule in RULES:
        values = rule.values(record)
        if not values:
            continue
        if rule.target in SINGLE_VALUED:
            setattr(out, rule.target, values[0])
        else:
            getattr(out, rule.target).extend(values)
