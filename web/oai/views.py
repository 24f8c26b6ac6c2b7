"""The `/oai` blueprint: OAI-PMH 2.0 over GET and POST, streamed, limited per harvester address.

The base URL and the identifiers come from the configuration (web.public_base_url,
oai.repository_identifier), never from the request's Host header. Over its rate
limit a harvester gets 503 with Retry-After, as OAI-PMH's flow control expects.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from settings import Config
from store import WRITER, StoreError
from web.oai.feed import CONSUMER, LEASE
from web.oai.protocol import OaiError, parse_request
from web.oai.responses import VERB_HANDLERS, Provider, envelope, error_body

log = logging.getLogger("unioncat.oai")
oai = Blueprint("oai", __name__)
XML = "text/xml; charset=utf-8"


def install(app: Flask, config: Config) -> None:
    """Serve `/oai` when the configuration names a repository identifier."""
    settings = config.oai
    if not settings.enabled:
        return
    base = (config.web.public_base_url or "http://localhost/") + "oai"
    key = hashlib.sha256(b"unioncat-oai:" + app.config["SECRET_KEY"].encode("utf-8")).digest()
    app.extensions["unioncat"]["oai"] = Provider(
        store=app.extensions["unioncat"]["store"], repository=settings.repository_identifier,
        name=settings.repository_name, admin_email=settings.admin_email, base_url=base, key=key,
        page_size=settings.page_size, token_lifetime=settings.token_lifetime,
        origins={s.code: s.url for s in config.sources if s.type == "oai" and s.url},
        set_names=_set_names(config))
    if settings.rate_limit:
        app.extensions["unioncat"]["oai_limit"] = (FixedWindowRateLimiter(storage_from_string(settings.rate_limit_storage)),
                                                   parse_limit(settings.rate_limit))
    app.register_blueprint(oai)


def _set_names(config: Config) -> dict[str, str]:
    from web.oai.feed import spec_part

    names = {f"member:{spec_part(s.code)}": s.name for s in config.sources}
    for s in config.sources:
        for code, name in (s.holdings.library_names.items() if s.holdings else ()):
            names[f"library:{spec_part(s.code)}:{spec_part(code)}"] = f"{name} ({s.name})"
    return names


@oai.route("/oai", methods=["GET", "POST"])
def endpoint():
    provider: Provider = current_app.extensions["unioncat"]["oai"]
    limited = _over_limit()
    if limited:
        return limited
    pairs = list(request.form.items(multi=True)) if request.method == "POST" else list(request.args.items(multi=True))
    try:
        horizon = provider.store.oai_horizon(CONSUMER, (WRITER, LEASE))
        oai_request, body = _prepare(provider, pairs, horizon)
    except StoreError as exc:
        log.warning("OAI-PMH request answered 503: %s", exc)
        return Response("the catalogue's store is not reachable; try again later", 503, {"Retry-After": "60"},
                        mimetype="text/plain")
    return Response(_stream(provider, horizon, oai_request, body), mimetype=XML)


def _prepare(provider: Provider, pairs: list[tuple[str, str]], horizon):
    """(the request to echo, the body): every error is decided here, before the first byte is sent."""
    oai_request = None
    try:
        oai_request = parse_request(pairs)
        return oai_request, VERB_HANDLERS[oai_request.verb](provider, oai_request, horizon)
    except OaiError as error:
        return (None if error.code in ("badVerb", "badArgument") else oai_request), error_body(error)


def _stream(provider: Provider, horizon, oai_request, body):
    yield envelope(horizon, provider.base_url, oai_request)
    yield from body
    yield "</OAI-PMH>\n"


def _over_limit() -> Response | None:
    limit = current_app.extensions["unioncat"].get("oai_limit")
    if limit is None:
        return None
    limiter, item = limit
    address = get_remote_address()
    try:
        if limiter.hit(item, "oai", address):
            return None
        reset = limiter.get_window_stats(item, "oai", address).reset_time
    except Exception as exc:     # a shared counter that is down must not stop harvesting
        log.warning("OAI-PMH rate limit not counted: %s", exc)
        return None
    wait = max(1, int(reset - time.time()) + 1)
    return Response(f"too many requests from {address}; retry after {wait} seconds", 503,
                    {"Retry-After": str(wait)}, mimetype="text/plain")
