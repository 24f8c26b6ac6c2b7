"""A lenient reader for one ISO 2709 (binary MARC) record.

Real files break the format in every way the marc4j and pymarc test
corpora collect: lengths counted in characters instead of bytes, base
addresses and directory offsets that point nowhere, leaders with letters
where digits belong, fields cut off in the middle of a character, text in
UTF-8 under a leader that claims MARC-8. Field terminators are the one
thing that stays reliable, so fields are located by them and the directory
is only asked for tags. Every repair is named in the record's flags.
"""

from __future__ import annotations

import re

import pymarc
from pymarc import Field, Indicators, Subfield

from normalise.errors import MarcReadError
from normalise.fieldmaker import control_field, data_field, new_tuple
from normalise.marc8 import ESCAPE, Marc8Error, decode_marc8
from normalise.text import repair_text

LEADER_LENGTH = 24
FIELD_END, SUBFIELD, RECORD_END = b"\x1e", b"\x1f", b"\x1d"
_VALID_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_TRUNCATED_TAIL = re.compile(rb"(?:[\xc2-\xf4]|[\xe0-\xf4][\x80-\xbf]|[\xf0-\xf4][\x80-\xbf]{2})$")
_CUT_CHARACTER = re.compile(rb"(?:[\xc2-\xf4]|[\xe0-\xf4][\x80-\xbf]|[\xf0-\xf4][\x80-\xbf]{2})(?=[\x1e\x1f]|$)")
_INDICATOR_CHARACTERS = " 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ|"
_INDICATOR_PAIRS = frozenset(a + b for a in _INDICATOR_CHARACTERS for b in _INDICATOR_CHARACTERS)
# share of non-ASCII bytes that must form valid UTF-8 sequences before text is read as UTF-8 against its leader
_UTF8_MAJORITY = 0.9


def parse_iso2709(chunk: bytes) -> tuple[pymarc.Record, list[str]]:
    """Parse one record (with or without its terminator) into a pymarc record and repair flags."""
    body = chunk[:-1] if chunk.endswith(RECORD_END) else chunk
    if len(body) < LEADER_LENGTH:
        raise MarcReadError(f"record of {len(chunk)} bytes is shorter than a leader")
    flags: list[str] = []
    directory_end = body.find(FIELD_END, LEADER_LENGTH)
    if directory_end < 0:
        raise MarcReadError("no field terminator after the leader: not a MARC record")
    leader = _leader(body, len(chunk), directory_end, flags)
    located = _locate_fields(body, directory_end, flags)
    if not located:
        raise MarcReadError("the record has a leader but no fields")
    decode = _decoder(leader[9], body[directory_end + 1:], flags)
    record = pymarc.Record(leader=leader)
    record.fields = [_field(tag, decode(piece), flags) for tag, piece in located]
    return record, sorted(set(flags))


def _leader(body: bytes, length: int, directory_end: int, flags: list[str]) -> str:
    """The leader as text, with length and base address made true and junk bytes blanked."""
    text = body[:LEADER_LENGTH].decode("latin-1")
    cleaned = "".join(ch if " " <= ch <= "~" else " " for ch in text)
    if cleaned != text:
        flags.append("leader-repaired")
    if cleaned[:5] != f"{length:05d}" and length <= 99999:
        flags.append("length-repaired")
    base = f"{directory_end + 1:05d}"
    if cleaned[12:17] != base:
        flags.append("base-address-repaired")
    return f"{min(length, 99999):05d}" + cleaned[5:12] + base + cleaned[17:]


def _locate_fields(body: bytes, directory_end: int, flags: list[str]) -> list[tuple[str, bytes]]:
    """Tags from the directory paired with the field bytes they describe.

    When every directory offset starts a field (the normal case) that is
    all. Otherwise, if the record has as many fields as entries, the n-th
    entry by offset is the n-th field (offsets counted wrongly, as in
    characters rather than bytes); if it has not (a terminator lost or
    doubled), each field runs from its offset to the next terminator or
    the next field's offset, whichever comes first.
    """
    data = body[directory_end + 1:]
    pieces = data.split(FIELD_END)
    if pieces[-1]:
        flags.append("field-truncated")   # the last field has no terminator: cut off
    else:
        pieces.pop()
    starts, offset = {}, 0
    for index, piece in enumerate(pieces):
        starts[offset] = index
        offset += len(piece) + 1
    entries = _directory(body, directory_end, starts, flags)
    if not entries and directory_end > LEADER_LENGTH:
        raise MarcReadError("the directory has no readable entry (3-character tag, 4-digit length, 5-digit offset)")
    chosen = [starts.get(entry_offset) for _tag, entry_offset in entries]
    if None not in chosen:
        return [(tag, pieces[i]) for (tag, _offset), i in zip(entries, chosen)]
    flags.append("directory-repaired")
    if len(pieces) == len(entries):
        order = sorted(range(len(entries)), key=lambda i: entries[i][1])
        by_rank = {entry_index: rank for rank, entry_index in enumerate(order)}
        return [(tag, pieces[by_rank[i]]) for i, (tag, _offset) in enumerate(entries)]
    return _by_offsets(entries, data)


def _by_offsets(entries: list[tuple[str, int]], data: bytes) -> list[tuple[str, bytes]]:
    """Each field from its offset to the next terminator or the next field's offset."""
    offsets = sorted({offset for _tag, offset in entries if 0 <= offset < len(data)})
    # where the next field starts, less the terminator that should sit before it
    next_start = dict(zip(offsets, [o - 1 for o in offsets[1:]] + [len(data)]))
    out = []
    for tag, offset in entries:
        if offset not in next_start:
            continue   # an offset past the end of the data: nothing to read
        terminator = data.find(FIELD_END, offset)
        end = min(len(data) if terminator < 0 else terminator, next_start[offset])
        out.append((tag, data[offset:end]))
    return out


# (length digits, offset digits) of directory entries: the standard 4 + 5 first; some systems write
# wider numbers once a record passes 99,999 bytes, and from there on keep to them
_ENTRY_WIDTHS = ((4, 5), (4, 6), (5, 5), (5, 6), (4, 7))
_PLAIN_ENTRIES = re.compile(rb"([\x21-\x7e]{3})\d{4}(\d{5})")
_ENTRY_FORMS = {widths: re.compile(rb"([\x21-\x7e]{3})(\d{%d})(\d{%d})" % widths) for widths in _ENTRY_WIDTHS}


def _directory(body: bytes, directory_end: int, starts: dict[int, int], flags: list[str]) -> list[tuple[str, int]]:
    """(tag, offset) of each readable directory entry."""
    if (directory_end - LEADER_LENGTH) % 12 == 0:
        entries = [(tag.decode("ascii"), int(offset)) for tag, offset in _PLAIN_ENTRIES.findall(body, LEADER_LENGTH, directory_end)]
        if len(entries) * 12 == directory_end - LEADER_LENGTH and all(offset in starts for _tag, offset in entries):
            return entries
    entries = []
    position, widths = LEADER_LENGTH, (4, 5)
    while position + 12 <= directory_end:
        found = _entry(body, position, directory_end, starts, widths)
        if found is None:
            flags.append("directory-repaired")
            position += 12
            continue
        entry, widths = found
        entries.append(entry)
        position += 3 + sum(widths)
    if position != directory_end or widths != (4, 5):
        flags.append("directory-repaired")
    return entries


def _entry(body: bytes, position: int, end: int, starts: dict[int, int], preferred: tuple[int, int]):
    """The entry at `position` in the widths whose offset starts a field, trying the current widths first."""
    for widths in (preferred, *(w for w in _ENTRY_WIDTHS if w != preferred)):
        match = _ENTRY_FORMS[widths].match(body, position, end)
        if match and int(match.group(3)) in starts:
            return (match.group(1).decode("ascii"), int(match.group(3))), widths
    match = _ENTRY_FORMS[(4, 5)].match(body, position, end)
    return ((match.group(1).decode("ascii"), int(match.group(3))), (4, 5)) if match else None


def _decoder(declared: str, data: bytes, flags: list[str]):
    """A bytes-to-text function for this record's fields, chosen from the leader and the bytes."""
    if data.isascii():
        return _ascii
    encoding = _encoding(declared, data)
    if encoding == "utf-8" and declared != "a":
        flags.append("encoding-mislabelled")
    if encoding == "utf-8":
        return lambda piece: _utf8(piece, flags)
    if declared == "a":
        flags.append("encoding-mislabelled")
    return lambda piece: _marc8(piece, flags)


def _encoding(declared: str, data: bytes) -> str:
    """UTF-8 or MARC-8: what the bytes are, whatever the leader says.

    MARC-8 diacritics are almost never valid UTF-8 and MARC-8 escape
    sequences never occur in UTF-8. So bytes are UTF-8 when they decode as
    UTF-8 once characters cut in half at the end of a field are set aside
    (they show a field truncated at a byte count), or when nearly all their
    non-ASCII bytes form UTF-8 sequences.
    """
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x1b" in data and declared != "a":
        return "marc-8"
    whole = _CUT_CHARACTER.sub(b"", data)
    if _VALID_UTF8.search(whole):
        try:
            whole.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
    covered = sum(len(m) for m in _VALID_UTF8.findall(data))
    high = len(_HIGH_BYTE.findall(data))
    return "utf-8" if covered >= _UTF8_MAJORITY * high else "marc-8"


def _ascii(piece: bytes) -> str:
    return piece.decode("ascii")


def _utf8(piece: bytes, flags: list[str]) -> str:
    try:
        return _unmangled(piece.decode("utf-8"), flags)
    except UnicodeDecodeError:
        pass
    parts = piece.split(SUBFIELD)
    repaired = []
    for part in parts:
        if _TRUNCATED_TAIL.search(part):
            flags.append("character-truncated")   # a field cut at a byte count, mid-character
            part = _TRUNCATED_TAIL.sub(b"", part)
        text = part.decode("utf-8", "replace")
        if "\ufffd" in text:
            flags.append("encoding-errors")
        repaired.append(text)
    return _unmangled("\x1f".join(repaired), flags)


def _unmangled(text: str, flags: list[str]) -> str:
    """Text with subfields that were UTF-8 decoded as Latin-1, or escaped once too often, repaired."""
    if text.isascii() and "&#" not in text:
        return text
    return "\x1f".join(repair_text(part, flags) for part in text.split("\x1f"))


def _marc8(piece: bytes, flags: list[str]) -> str:
    if piece.isascii() and ESCAPE not in piece:
        return piece.decode("ascii")
    out = []
    for part in piece.split(SUBFIELD):
        try:
            text, unmapped = decode_marc8(part)
        except Marc8Error:
            text, unmapped = part.decode("latin-1"), True
        if unmapped:
            flags.append("encoding-errors")
        out.append(text)
    return "\x1f".join(out)


def _field(tag: str, text: str, flags: list[str]) -> Field:
    if tag < "010" and tag.isdigit():
        return control_field(tag, text.replace("\x1f", " "))
    head, _, rest = text.partition("\x1f")
    if head not in _INDICATOR_PAIRS:
        if len(head) != 2:
            flags.append("indicators-repaired")
        head = "".join(ch if ch in _INDICATOR_CHARACTERS else " " for ch in (head + "  ")[:2])
    subfields = [new_tuple(Subfield, (part[0], part[1:])) for part in rest.split("\x1f") if part] if rest else []
    return data_field(tag, new_tuple(Indicators, (head[0], head[1])), subfields)


def with_control_fields(chunk: bytes, values: dict[str, str]) -> bytes:
    """The record's bytes with control fields set (replaced, or added at the end); other fields untouched."""
    body = chunk[:-1] if chunk.endswith(RECORD_END) else chunk
    directory_end = body.find(FIELD_END, LEADER_LENGTH)
    if directory_end < 0:
        raise MarcReadError("no field terminator after the leader: not a MARC record")
    located = [(tag, piece) for tag, piece in _locate_fields(body, directory_end, []) if tag not in values]
    located += [(tag, value.encode("utf-8")) for tag, value in sorted(values.items())]
    located.sort(key=lambda item: item[0] >= "010")   # control fields first, as the format expects
    directory, data, offset = [], [], 0
    for tag, piece in located:
        directory.append(b"%s%04d%05d" % (tag.encode("ascii"), len(piece) + 1, offset))
        data.append(piece + FIELD_END)
        offset += len(piece) + 1
    base = LEADER_LENGTH + 12 * len(located) + 1
    length = base + offset + 1
    leader = b"%05d" % min(length, 99999) + body[5:12] + b"%05d" % base + body[17:LEADER_LENGTH]
    return leader + b"".join(directory) + FIELD_END + b"".join(data) + RECORD_END
