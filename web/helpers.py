"""Template helpers: links that add or remove a facet filter, and readable labels."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from babel import Locale
from babel.core import UnknownLocaleError
from flask import Flask, request, url_for
from flask_babel import get_locale, lazy_gettext as _l

FORMAT_LABELS = {
    "book": _l("Book"), "ebook": _l("E-book"), "serial": _l("Journal"), "ejournal": _l("E-journal"),
    "article": _l("Article"), "map": _l("Map"), "score": _l("Score"), "sound_recording": _l("Sound recording"),
    "music_recording": _l("Music recording"), "audiobook": _l("Audiobook"), "video": _l("Video"),
    "dvd": _l("DVD"), "bluray": _l("Blu-ray"), "computer_file": _l("Computer file"), "image": _l("Image"),
    "kit": _l("Kit"), "object": _l("Object"), "manuscript": _l("Manuscript"), "mixed": _l("Mixed materials"),
    "unknown": _l("Other"),
}
FACET_LABELS = {"library": _l("Library"), "format": _l("Format"), "language": _l("Language")}


def register(app: Flask, source_names: dict[str, str]) -> None:
    """Make the helpers available in every template."""

    def facet_value(name: str, value: str) -> str:
        if name == "library":
            return source_names.get(value, value)
        if name == "format":
            return str(FORMAT_LABELS.get(value, value))
        return language_name(value) if name == "language" else value

    app.jinja_env.globals.update(
        url_with=url_with, url_without=url_without, url_page=url_page, facet_value=facet_value,
        facet_label=lambda name: str(FACET_LABELS.get(name, name)),
        format_label=lambda value: str(FORMAT_LABELS.get(value, value)),
    )
    app.jinja_env.filters["replace_lang"] = replace_lang
    app.jinja_env.filters["language_name"] = language_name


def _args() -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k not in ("lang",)]


def url_with(name: str, value: str) -> str:
    """This search with one more filter, from page 1."""
    args = [(k, v) for k, v in _args() if k != "page"]
    if (name, value) not in args:
        args.append((name, value))
    return url_for("pages.search") + "?" + urlencode(args)


def url_without(name: str, value: str) -> str:
    """This search without one filter, from page 1."""
    args = [(k, v) for k, v in _args() if k != "page" and (k, v) != (name, value)]
    return url_for("pages.search") + "?" + urlencode(args)


def url_page(page: int) -> str:
    """This search at another page."""
    args = [(k, v) for k, v in _args() if k != "page"] + [("page", str(page))]
    return url_for("pages.search") + "?" + urlencode(args)


def replace_lang(query_string: str, code: str) -> str:
    """The current query string with the interface language set to `code`."""
    args = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "lang"]
    return urlencode(args + [("lang", code)])


def language_name(code: str) -> str:
    """An ISO 639-2 code as a language name in the interface language."""
    try:
        return Locale.parse(_ISO639_2_TO_1.get(code, code)).get_display_name(str(get_locale())) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


# bibliographic codes Babel does not know under their three-letter form
_ISO639_2_TO_1 = {
    "eng": "en", "swe": "sv", "nor": "nb", "nob": "nb", "nno": "nn", "pol": "pl", "fin": "fi", "dan": "da",
    "ger": "de", "deu": "de", "fre": "fr", "fra": "fr", "spa": "es", "ita": "it", "rus": "ru", "heb": "he",
    "arm": "hy", "hye": "hy", "nep": "ne", "chi": "zh", "zho": "zh", "jpn": "ja", "ara": "ar", "lat": "la",
    "dut": "nl", "nld": "nl", "por": "pt", "cze": "cs", "ces": "cs", "ice": "is", "isl": "is", "ukr": "uk",
}
