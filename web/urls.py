"""Addresses the site gives out: safe redirect targets and absolute links.

Redirect targets from a request (`next`, the referrer) are only ever paths on
this site. Absolute links use the configured public base URL, never the Host
header; without one they are built from the request only when it was made to a
loopback name (the demo), and are otherwise left relative.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request, url_for

from settings import public_base_url
from web.app import services

MAX_TARGET = 2000
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")   # control characters, spaces and backslashes


def local_target(value: str | None, fallback: str = "/") -> str:
    """`value` when it is a path on this site (`/record/x?q=1`), else `fallback`.

    Refuses what a browser could read as another host: `//x`, `/\\x`, `/%09/x`
    (a tab the browser drops), schemes, CR/LF and any control character.
    """
    value = value or ""
    if not value.startswith("/") or value.startswith("//") or len(value) > MAX_TARGET or _UNSAFE.search(value):
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return fallback
    return value


def referrer_target(fallback: str = "/") -> str:
    """The page the request came from, as a path on this site when it was one of ours, else `fallback`."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return fallback
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return local_target(path, fallback)


def external_url(endpoint: str, **values) -> str:
    """An address for `endpoint` to give away (permalinks, JSON-LD, OpenSearch): absolute when it can be trusted."""
    path = url_for(endpoint, **values)
    root = site_root()
    return root.rstrip("/") + path[len(request.script_root):] if root else path


def site_root() -> str | None:
    """The catalogue's root address ("https://katalog.example.org/"), or None when it cannot be trusted."""
    config, _store, _searcher = services()
    configured = public_base_url(config)
    if configured:
        return configured
    if request.host.rsplit(":", 1)[0].lower() in LOOPBACK_HOSTS or request.host.lower() in LOOPBACK_HOSTS:
        return request.url_root
    return None
