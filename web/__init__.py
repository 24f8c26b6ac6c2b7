"""The web front end: Flask app factory, pages, JSON API, translations."""

from web.app import create_app

__all__ = ["create_app"]
