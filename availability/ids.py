"""Which id a member's own system knows a record by: 001, a tag and subfield (Koha's 999 $c) or a 035 prefix."""

from __future__ import annotations

from normalise import MarcReadError, parse_raw


def member_ids(raw: bytes, raw_format: str, id_field: str) -> list[str]:
    """The ids `id_field` names in a stored record ([] when it has none or cannot be read)."""
    try:
        record, _flags = parse_raw(raw, raw_format)
    except (MarcReadError, ValueError):
        return []
    if id_field.startswith("035:"):
        prefix = id_field[4:]
        values = [v for f in record.get_fields("035") for v in f.get_subfields("a")]
        return _unique(v[len(prefix):].strip() for v in values if v.startswith(prefix))
    if "$" in id_field:
        tag, code = id_field.split("$", 1)
        return _unique(v.strip() for f in record.get_fields(tag) if not f.is_control_field()
                       for v in f.get_subfields(code))
    return _unique(f.data.strip() for f in record.get_fields(id_field) if f.is_control_field())


def _unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
