"""A member with a simple REST endpoint: an address template and where its JSON keeps what we need.

    url: https://opac.example.org/api/availability?ids={ids}    # a batch, joined by template.separator
    url: https://opac.example.org/api/items/{id}                 # one request per id
    template:
      records: records          # dotted path to the list of records ("" when the answer is that list)
      record_id: id             # in each record
      items: items              # in each record: its items, each with:
      status: status            #   the system's status, mapped by `statuses` (or already one of ours)
      statuses: {In: available, Out: on_loan, Transit: in_transit, Ref: not_for_loan}
      due: due
      location: branch.name
      call_number: callno
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from availability.errors import MalformedAnswer, MemberTimeout
from availability.http import fetch
from availability.model import UNKNOWN, Item
from settings import MemberAvailability, TemplateMapping
from settings.availability import STATUSES


def ask(member: MemberAvailability, ids: list[str]) -> dict[str, list[Item]]:
    """Items per member id: one request for the batch ({ids}) or one per id ({id}) within the member's time."""
    sent = {member.id_prefix + i: i for i in ids}
    mapping = member.template
    if "{ids}" in member.url:
        url = member.url.replace("{ids}", quote(mapping.separator.join(sent), safe=""))
        return parse(fetch(url, None, timeout=member.timeout, credentials=member.credentials()), mapping, sent)
    found: dict[str, list[Item]] = {}
    deadline = time.monotonic() + member.timeout
    for asked in sent:
        left = deadline - time.monotonic()
        if left <= 0:
            raise MemberTimeout(f"{member.url}: {len(sent)} ids did not fit in {member.timeout:g} s")
        url = member.url.replace("{id}", quote(asked, safe=""))
        found.update(parse(fetch(url, None, timeout=left, credentials=member.credentials()), mapping, {asked: sent[asked]}))
    return found


def parse(body: bytes, mapping: TemplateMapping, wanted: dict[str, str]) -> dict[str, list[Item]]:
    """Items per member id from one answer."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise MalformedAnswer(f"not JSON: {exc}") from exc
    records = _dig(data, mapping.records)
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise MalformedAnswer(f"{mapping.records or 'the answer'} is not a list of records")
    found: dict[str, list[Item]] = {}
    for record in records:
        record_id = str(_dig(record, mapping.record_id) or "")
        member_id = wanted.get(record_id) or (next(iter(wanted.values())) if len(wanted) == 1 and not record_id else None)
        if member_id is not None:
            found.setdefault(member_id, []).extend(_item(i, mapping) for i in _items(record, mapping))
    return found


def _items(record: dict, mapping: TemplateMapping) -> list[dict]:
    items = _dig(record, mapping.items) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedAnswer(f"{mapping.items} is not a list of items")
    return items


def _item(item: dict, mapping: TemplateMapping) -> Item:
    raw = str(_dig(item, mapping.status) or "")
    status = dict(mapping.statuses).get(raw, raw if raw in STATUSES else UNKNOWN)
    return Item(status=status, due=str(_dig(item, mapping.due) or "")[:10],
                location=str(_dig(item, mapping.location) or ""), call_number=str(_dig(item, mapping.call_number) or ""),
                note="" if status != UNKNOWN or not raw else raw)


def _dig(data, path: str):
    """The value at a dotted path (None when any step is missing)."""
    for step in [s for s in path.split(".") if s]:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data
