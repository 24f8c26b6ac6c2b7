"""A per-address rate limit on the search API and the exports (flask-limiter).

The counts live in `web.rate_limit_storage`: `memory://` counts per process, so
with several workers or web nodes each counts alone; production should either
point it at a shared storage (`redis://...`, `memcached://...`) or leave the
limit to nginx's `limit_req` in front. Addresses are the client's own when
`web.trusted_proxies` says which X-Forwarded-For hops to believe.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from settings import WebSettings

LIMITED_ENDPOINTS = ("api.search", "pages.export", "pages.export_results")


def install_rate_limit(app: Flask, web: WebSettings) -> Limiter | None:
    """Limit each address on the search API and the exports, answering 429 with a page or JSON that says why."""
    app.register_error_handler(429, too_many_requests)
    if not web.rate_limit:
        return None
    # a shared storage that is down must not turn searches into 500s: count in memory until it is back
    limiter = Limiter(get_remote_address, app=app, storage_uri=web.rate_limit_storage, headers_enabled=True,
                      default_limits=[], strategy="fixed-window", swallow_errors=True,
                      in_memory_fallback_enabled=True)
    for endpoint in LIMITED_ENDPOINTS:
        app.view_functions[endpoint] = limiter.limit(web.rate_limit)(app.view_functions[endpoint])
    return limiter


def too_many_requests(error):
    """429 in the interface language: JSON under /api/, else the error page."""
    message = _("Too many requests from your address. Please wait a minute and try again.")
    if request.blueprint == "api":
        response = jsonify(error=message, limit=str(error.description))
    else:
        response = render_template("error.html", code=429, message=message)
    return response, 429
