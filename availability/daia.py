"""DAIA (Document Availability Information API): request identifiers joined by "|", a JSON answer.

The answer's `document[].item[]` carry `available` and `unavailable`
services (loan, presentation, interloan, openaccess) with `expected` dates;
see the specification at gbv.github.io/daia.
"""

from __future__ import annotations

import json

from availability.errors import CredentialsRefused, MalformedAnswer, MemberUnreachable
from availability.http import fetch
from availability.model import AVAILABLE, NOT_FOR_LOAN, ON_LOAN, UNKNOWN, Item
from settings import MemberAvailability


def ask(member: MemberAvailability, ids: list[str]) -> dict[str, list[Item]]:
    """Items per member id from one DAIA request for all of `ids`."""
    wanted = {member.id_prefix + i: i for i in ids}
    body = fetch(member.url, {"id": "|".join(wanted), "format": "json"}, timeout=member.timeout,
                 credentials=member.credentials())
    return parse(body, wanted)


def parse(body: bytes, wanted: dict[str, str]) -> dict[str, list[Item]]:
    """Items per member id from a DAIA answer; `wanted` maps request identifiers to member ids."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise MalformedAnswer(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedAnswer("a DAIA answer is a JSON object")
    if "error" in data and "document" not in data:
        _raise_error(data)
    documents = data.get("document") or []
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        raise MalformedAnswer("document is not a list of objects")
    found: dict[str, list[Item]] = {}
    for document in documents:
        member_id = _requested(document, wanted, len(documents))
        if member_id is not None:
            found.setdefault(member_id, []).extend(_item(i) for i in _list(document.get("item"), "item"))
    return found


def _raise_error(data: dict) -> None:
    if data.get("code") in (401, 403) or data.get("error") in ("invalid_grant", "insufficient_scope"):
        raise CredentialsRefused(f"DAIA error {data.get('error')}")
    raise MemberUnreachable(f"DAIA error {data.get('error')}: {str(data.get('error_description', ''))[:200]}")


def _requested(document: dict, wanted: dict[str, str], documents: int) -> str | None:
    """The member id a document answers: its `requested`, its `id`, an id ending in one, or the only one asked."""
    for key in (document.get("requested"), document.get("id")):
        if isinstance(key, str) and key in wanted:
            return wanted[key]
    document_id = str(document.get("id") or "")
    for asked, member_id in wanted.items():
        if document_id.endswith(":" + asked) or document_id.endswith("=" + asked):
            return member_id
    return next(iter(wanted.values())) if len(wanted) == 1 and documents == 1 else None


def _item(item) -> Item:
    if not isinstance(item, dict):
        raise MalformedAnswer("an item is not an object")
    available = {s.get("service"): s for s in _list(item.get("available"), "available")}
    unavailable = {s.get("service"): s for s in _list(item.get("unavailable"), "unavailable")}
    status, due = _status(available, unavailable)
    place = [_content(item.get("department")), _content(item.get("storage"))]
    limits = [_content(x) for s in [*available.values(), *unavailable.values()] for x in _list(s.get("limitation"), "limitation")]
    return Item(status=status, due=due, location=", ".join(p for p in place if p), call_number=str(item.get("label") or ""),
                note="; ".join(dict.fromkeys(x for x in limits if x)))


def _status(available: dict, unavailable: dict) -> tuple[str, str]:
    if "loan" in available or "openaccess" in available:
        return AVAILABLE, ""
    if "loan" in unavailable:
        expected = str(unavailable["loan"].get("expected") or "")
        if expected:
            return ON_LOAN, "" if expected == "unknown" else expected[:10]
    if "presentation" in available:
        return NOT_FOR_LOAN, ""
    return UNKNOWN, ""


def _list(value, name: str) -> list:
    if value is None:
        return []
    value = [value] if isinstance(value, dict) else value
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise MalformedAnswer(f"{name} is not a list of objects")
    return value


def _content(entity) -> str:
    if isinstance(entity, dict):
        return str(entity.get("content") or "")
    return str(entity) if isinstance(entity, str) and not entity.startswith("http") else ""
