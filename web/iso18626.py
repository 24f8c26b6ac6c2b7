"""The ISO 18626 endpoint at /iso18626: lending members' SupplyingAgencyMessages (see ill.iso18626.inbound)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from ill.iso18626 import SIGNATURE_HEADER, receive
from ill.iso18626.messages import MAX_MESSAGE
from web.app import services
from web.audit import client_address
from web.interlending import interlending
from web.urls import site_root

iso18626 = Blueprint("iso18626", __name__)


@iso18626.route("/iso18626", methods=["POST"])
def inbound():
    """One message from a member's ISO 18626 peer, answered with its confirmation."""
    config, store, _engine = services()
    if not any(r.iso18626 for r in config.interlending.members.values()):
        abort(404)
    if (request.content_length or 0) > MAX_MESSAGE:
        abort(413)
    body = request.get_data(cache=False)[:MAX_MESSAGE + 1]
    answer = receive(interlending(config, store, site_root()), body, request.headers.get(SIGNATURE_HEADER),
                     client_address())
    return Response(answer.body, status=answer.status, content_type="application/xml; charset=utf-8")
