"""Live availability for the browser: `/availability` streams each member's answer as it arrives.

    GET /availability?id=<cluster>&id=<cluster>&view=record|hits
    -> one JSON object per line (application/x-ndjson), per member:
       {"source": "krakow", "live": true, "reason": "", "checked": "2026-12-01T19:02:03Z",
        "html": {"<cluster>": "<rendered fragment>"}}
       and last {"done": true}

The pages never wait for a member: they show the harvested state with its
time, and static/availability.js asks here and fills in each member's answer.
Member systems are asked only when a browser asks (`/availability` is kept out
of robots.txt). A member that fails shows the harvested state and says why.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_babel import format_date, format_time

from availability import AvailabilityService, MemberAnswer, member_ids
from store import StoreError
from web.app import services

live = Blueprint("live", __name__)
MAX_CLUSTERS = 50
VIEWS = ("record", "hits")
logger = logging.getLogger(__name__)


def availability_service() -> AvailabilityService | None:
    """The application's service, or None when no member is asked live."""
    return current_app.extensions["unioncat"].get("availability")


def live_sources() -> frozenset[str]:
    """The members whose own systems are asked (for the templates)."""
    service = availability_service()
    return frozenset(service.settings.members) if service else frozenset()


@live.route("/availability")
def availability():
    """Each asked member's answer for the clusters named, one JSON line per member as it arrives."""
    service = availability_service()
    clusters = list(dict.fromkeys(request.args.getlist("id")))[:MAX_CLUSTERS]
    view = request.args.get("view", "record")
    if service is None or not clusters or view not in VIEWS:
        return _lines([{"done": True}])
    try:
        wanted, owners = _member_ids(service, clusters)
    except StoreError:
        logger.exception("availability: the store could not be read")
        return _lines([{"done": True, "error": "store"}])
    names = {s.code: s.name for s in services()[0].sources}
    return _lines(_stream(service, wanted, owners, names, view))


def _member_ids(service: AvailabilityService, clusters: list[str]) -> tuple[dict, dict]:
    """(member ids per source, (source, member id) -> its clusters) for the asked members of `clusters`."""
    _config, store, _engine = services()
    wanted: dict[str, list[str]] = {}
    owners: dict[tuple[str, str], list[str]] = {}
    for cluster_id in clusters:
        for stored, _evidence in store.cluster_members(cluster_id):
            member = service.settings.members.get(stored.source)
            if member is None:
                continue
            for member_id in member_ids(stored.raw, stored.raw_format, member.id_field):
                wanted.setdefault(stored.source, []).append(member_id)
                owners.setdefault((stored.source, member_id), []).append(cluster_id)
    return wanted, owners


def _stream(service, wanted: dict, owners: dict, names: dict, view: str):
    try:
        for answer in service.ask_all(wanted):
            yield _message(answer, owners, names.get(answer.source, answer.source), view)
    except Exception:  # noqa: BLE001 - the page keeps its harvested state; the stream just ends
        logger.exception("availability: answering the browser failed")
    yield {"done": True}


def _message(answer: MemberAnswer, owners: dict, name: str, view: str) -> dict:
    per_cluster: dict[str, list] = {}
    for (source, member_id), clusters in owners.items():
        if source == answer.source:
            for cluster_id in clusters:
                per_cluster.setdefault(cluster_id, []).extend(answer.items.get(member_id, []))
    checked = datetime.fromtimestamp(answer.checked or 0, timezone.utc)
    when = format_time(checked, "short")
    html = {cluster_id: render_template(f"_live_{view}.html", answer=answer, items=items, name=name, when=when,
                                        format_date=_date)
            for cluster_id, items in per_cluster.items()}
    return {"source": answer.source, "live": answer.live, "reason": answer.reason,
            "checked": checked.strftime("%Y-%m-%dT%H:%M:%SZ"), "html": html}


def _date(text: str) -> str:
    """A due date in the patron's language when it is YYYY-MM-DD, else as the system gave it."""
    try:
        return format_date(datetime.strptime(text[:10], "%Y-%m-%d").date(), "medium")
    except ValueError:
        return text


def _lines(messages) -> Response:
    body = stream_with_context(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)
    response = Response(body, mimetype="application/x-ndjson")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Accel-Buffering"] = "no"      # nginx: pass each line on as it comes
    return response


@live.route("/robots.txt")
def robots():
    """Crawlers keep away from the live availability endpoint (it asks the members' own systems)."""
    return Response("User-agent: *\nDisallow: /availability\n", mimetype="text/plain")
