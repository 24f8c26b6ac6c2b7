"""One pass over a pymarc record: its fields indexed by tag, for every rule to share.

pymarc's `get_fields` scans every field of the record on each call; the
normaliser asks for some forty tags per record, so it indexes them once.
"""

from __future__ import annotations

import pymarc

_NO_FIELDS: tuple = ()


class MarcView:
    """Read-only access to a record's leader and fields by tag."""

    __slots__ = ("record", "leader", "_by_tag")

    def __init__(self, record: pymarc.Record):
        self.record = record
        self.leader = str(record.leader or "").ljust(24)
        by_tag: dict[str, list[pymarc.Field]] = {}
        for fld in record.fields:
            by_tag.setdefault(fld.tag, []).append(fld)
        self._by_tag = by_tag

    def fields(self, *tags: str) -> list[pymarc.Field]:
        """Fields with any of these tags, in record order for one tag, tag order for several."""
        if len(tags) == 1:
            return self._by_tag.get(tags[0], _NO_FIELDS)
        return [fld for tag in tags for fld in self._by_tag.get(tag, _NO_FIELDS)]

    def fields_in_order(self, tags) -> list[pymarc.Field]:
        """Fields with any of these tags, in the order the record has them."""
        wanted = [t for t in tags if t in self._by_tag]
        if len(wanted) <= 1:
            return list(self._by_tag.get(wanted[0], _NO_FIELDS)) if wanted else []
        chosen = set(wanted)
        return [fld for fld in self.record.fields if fld.tag in chosen]

    def first(self, tag: str) -> pymarc.Field | None:
        found = self._by_tag.get(tag)
        return found[0] if found else None

    def has(self, tag: str) -> bool:
        return tag in self._by_tag

    def control(self, tag: str) -> str:
        """The data of a control field, as catalogued (not stripped); empty when absent."""
        fld = self.first(tag)
        if fld is None:
            return ""
        if fld.control_field:
            return fld.data or ""
        return " ".join(sf.value for sf in fld.subfields)

    def tags(self):
        return self._by_tag.keys()
