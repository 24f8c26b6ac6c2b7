"""Interface languages: choosing one per request and compiling the catalogues."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "sv": "Svenska", "nb": "Norsk bokmål"}


def select_locale(languages: tuple[str, ...]) -> str:
    """?lang=, then the cookie, then the browser's Accept-Language, then the default."""
    for candidate in (request.args.get("lang"), request.cookies.get("lang")):
        if candidate in languages:
            return candidate
    return request.accept_languages.best_match(list(languages)) or languages[0]


def compile_translations() -> Path:
    """Compile every `.po` whose `.mo` is missing or older, so a plain install works."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
    return TRANSLATIONS
