"""A DAIA server on 127.0.0.1: recorded answers (answers/daia/) and the copies of a `PeerCatalogue`.

    GET /?id=ppn:1|ppn:2&format=json    -> {"document": [{"id", "requested", "item": [...]}], ...}

Follows the DAIA 1.0 specification (gbv.github.io/daia): request identifiers
split at "|", one document per identifier found (none for an unknown one,
never a 404), `format=json` required (422 otherwise), an access token as
`Authorization: Bearer` or `access_token` when the peer has one (401
`invalid_grant` when missing or wrong). See PROVENANCE.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

from memberpeers.catalogue import PeerCatalogue, PeerItem

RECORDED = Path(__file__).parent / "answers" / "daia"
ALL_SERVICES = ("presentation", "loan", "interloan")


def make_daia_app(catalogue: PeerCatalogue, *, token: str | None = None, recorded: Path = RECORDED):
    """The WSGI app of a DAIA server answering from `recorded` files, then from `catalogue`."""

    def app(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if token is not None and token not in (_bearer(environ), (query.get("access_token") or [""])[0]):
            return _json(start_response, 401, {"error": "invalid_grant", "code": 401,
                                               "error_description": "The access token was missing, invalid, or expired"})
        if (query.get("format") or [""])[0] != "json" or not query.get("id"):
            return _json(start_response, 422, {"error": "invalid_request", "code": 422,
                                               "error_description": "Missing or invalid query parameters"})
        requested = [rid for rid in query["id"][0].split("|") if rid]
        documents = [doc for doc in (_document(rid, catalogue, recorded) for rid in requested) if doc]
        return _json(start_response, 200, {"document": documents, "institution": {
            "id": "http://uri.example.org/organization/isil/DE-999", "content": "unioncat test peer"}})

    return app


def _bearer(environ) -> str:
    header = environ.get("HTTP_AUTHORIZATION", "")
    return header[7:] if header.startswith("Bearer ") else ""


def _document(rid: str, catalogue: PeerCatalogue, recorded: Path) -> dict | None:
    path = recorded / f"{rid.replace(':', '_')}.json"     # answers/daia/ppn_361809549.json answers "ppn:361809549"
    if "/" not in rid and path.is_file():
        return {**json.loads(path.read_text(encoding="utf-8")), "requested": rid}
    items = catalogue.items(rid)
    if items is None:
        return None
    return {"id": f"http://uri.example.org/document/{rid}", "requested": rid, "item": [_item(i) for i in items]}


def _item(item: PeerItem) -> dict:
    out = {"id": f"http://uri.example.org/item/{item.itemnumber}", "label": item.call_number,
           "department": {"id": f"http://uri.example.org/branch/{item.branch_code}", "content": item.branch}}
    if item.state == "available":
        out["available"] = [{"service": s} for s in ALL_SERVICES]
    elif item.state == "on_loan":
        out["unavailable"] = [{"service": s, "expected": item.due} for s in ALL_SERVICES]
    elif item.state == "in_transit":
        out["unavailable"] = [{"service": s, "expected": "unknown"} for s in ALL_SERVICES]
    elif item.state == "not_for_loan":
        out["available"] = [{"service": "presentation"}]
        out["unavailable"] = [{"service": "loan"}, {"service": "interloan"}]
    else:
        out["unavailable"] = [{"service": s} for s in ALL_SERVICES]
    return out


def _json(start_response, status: int, body: dict):
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    reason = {200: "OK", 401: "Unauthorized", 422: "Unprocessable Entity"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json; charset=utf-8"),
                                          ("X-DAIA-Version", "1.0.0"), ("Content-Length", str(len(data)))])
    return [data]
