"""A member with a simple REST endpoint of its own: `GET /api/availability?ids=1,2` answers JSON.

    {"records": [{"id": "1", "items": [{"status": "In", "due": "", "branch": {"name": "..."}, "callno": "..."}]}]}

Statuses are the system's own words (In, Out, Transit, Ref, Lost), so the
template adapter's `statuses` mapping is exercised. A token, when the peer has
one, is required as `Authorization: Bearer` (401 otherwise).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from memberpeers.catalogue import PeerCatalogue

WORDS = {"available": "In", "on_loan": "Out", "in_transit": "Transit", "not_for_loan": "Ref", "lost": "Lost"}
TEMPLATE = {"records": "records", "record_id": "id", "items": "items", "status": "status", "due": "due",
            "location": "branch.name", "call_number": "callno",
            "statuses": {"In": "available", "Out": "on_loan", "Transit": "in_transit", "Ref": "not_for_loan"}}


def make_json_app(catalogue: PeerCatalogue, *, token: str | None = None):
    """The WSGI app of the REST endpoint over `catalogue`."""

    def app(environ, start_response):
        if token is not None and environ.get("HTTP_AUTHORIZATION", "") != f"Bearer {token}":
            return _send(start_response, "401 Unauthorized", {"error": "unauthorised"})
        ids = [i for i in (parse_qs(environ.get("QUERY_STRING", "")).get("ids") or [""])[0].split(",") if i]
        records = [{"id": i, "items": [{"status": WORDS[item.state], "due": item.due, "branch": {"name": item.branch},
                                        "callno": item.call_number} for item in catalogue.items(i)]}
                   for i in ids if catalogue.items(i) is not None]
        return _send(start_response, "200 OK", {"records": records})

    return app


def _send(start_response, status: str, body: dict):
    data = json.dumps(body).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
