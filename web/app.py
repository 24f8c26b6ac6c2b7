"""The Flask application factory."""

from __future__ import annotations

import secrets
from typing import Callable

from flask import Flask, render_template, request
from flask_babel import Babel, get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from availability import AvailabilityService
from index import BRANCH_SEPARATOR, engine_for
from settings import Config
from store import Store
from web.i18n import LANGUAGE_NAMES, compile_translations, select_locale
from web.libraries import LibraryNames


def create_app(config: Config, test_config: dict | None = None, *,
               retry_quarantined: Callable[[Store, int], str | None] | None = None) -> Flask:
    """A configured application serving the catalogue described by `config`.

    `retry_quarantined(store, entry_id)` retries one quarantined record (None
    when it left the quarantine, else why it stays): the harvester's, handed
    in by the CLI because the web never imports it; without it the staff
    area's quarantine queue offers no retry button.

    The factory takes whatever secret key it is given (tests, the demo);
    `unioncat serve` refuses weak ones before it gets here. Without any key it
    makes a random one, so sessions last as long as the process.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.web.secret_key or secrets.token_hex(32),
        JSON_SORT_KEYS=False,
        BABEL_DEFAULT_LOCALE=config.web.default_language,
        BABEL_TRANSLATION_DIRECTORIES=str(compile_translations()),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web.https,
    )
    app.config.update(test_config or {})
    if config.web.trusted_proxies:
        hops = config.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    engine = engine_for(config)
    app.extensions["unioncat"] = {"config": config, "store": Store(config.store_url), "engine": engine,
                                  "retry_quarantined": retry_quarantined, "names": library_names(config),
                                  "availability": AvailabilityService(config.availability)
                                  if config.availability.enabled else None}
    engine.warm()
    Babel(app, locale_selector=lambda: select_locale(config.web.languages))
    _register(app, config)
    return app


def _register(app: Flask, config: Config) -> None:
    from web.api import api
    from web.availability import live, live_sources
    from web.pages import pages

    from web.helpers import register as register_helpers
    from web.limits import install_rate_limit
    from web.metrics import install as install_metrics
    from web.oai import install as install_oai

    register_helpers(app, library_names(config))
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(live)
    app.context_processor(lambda: {"live_sources": live_sources()})
    _register_staff(app)
    _register_patrons(app, config)
    install_oai(app, config)
    install_metrics(app, config)
    install_rate_limit(app, config.web)
    app.after_request(lambda response: _security_headers(response, config.web.https))
    app.context_processor(lambda: {"site_title": config.web.title, "languages": [
        (code, LANGUAGE_NAMES.get(code, code)) for code in config.web.languages], "current_lang": str(get_locale())})
    app.register_error_handler(400, lambda e: (render_template("error.html", code=400, message=e.description), 400))
    app.register_error_handler(403, lambda e: (render_template("error.html", code=403, message=None), 403))
    app.register_error_handler(404, lambda e: (render_template("error.html", code=404, message=None), 404))
    app.register_error_handler(500, lambda e: (render_template("error.html", code=500, message=None), 500))

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in config.web.languages:
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, **cookie_options())
        return response


def library_names(config: Config) -> LibraryNames:
    """The members and their libraries as config.yaml names them."""
    return LibraryNames({s.code: s.name for s in config.sources},
                        {f"{s.code}{BRANCH_SEPARATOR}{code}": name for s in config.sources if s.holdings
                         for code, name in s.holdings.library_names.items()})


def _register_staff(app: Flask) -> None:
    from web.auth import csrf_token, current_staff
    from web.staff import staff

    app.register_blueprint(staff, url_prefix="/staff")
    app.jinja_env.globals["csrf_token"] = csrf_token
    # every page says who is signed in (the header, and "Staff view" on record pages)
    app.context_processor(lambda: {"staff_name": current_staff()})


def _register_patrons(app: Flask, config: Config) -> None:
    from web.iso18626 import iso18626
    from web.patrons import current_patron, patron

    app.register_blueprint(patron, url_prefix="/patron")
    app.register_blueprint(iso18626)
    # the header offers sign-in (or the patron's requests) when patrons can sign in
    app.context_processor(lambda: {"patrons_enabled": config.patrons.enabled,
                                   "requests_enabled": config.patrons.enabled and config.interlending.enabled,
                                   "patron": current_patron() if config.patrons.enabled else None})


def cookie_options() -> dict:
    """HttpOnly, SameSite=Lax, and Secure when the catalogue is published over https."""
    from flask import current_app

    return {"samesite": "Lax", "httponly": True, "secure": current_app.config["SESSION_COOKIE_SECURE"]}


def _security_headers(response, https: bool):
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if https or request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def services():
    """(config, store, search engine) of the running application."""
    from flask import current_app

    ext = current_app.extensions["unioncat"]
    return ext["config"], ext["store"], ext["engine"]
