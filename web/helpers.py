"""Template helpers: links that keep the search, readable labels, and safe links from records."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask, request, url_for
from flask_babel import format_datetime, format_percent, get_locale, lazy_gettext as _l

from web import names as names_of_codes
from web.libraries import LibraryNames, call_number_label, location_label

FACET_LABELS = {"library": _l("Library"), "branch": _l("Holding library"), "online": _l("Online"),
                "collection": _l("Collection"), "format": _l("Format"),
                "language": _l("Language"), "year": _l("Year"), "subject": _l("Subject"), "author": _l("Author")}
SORT_LABELS = {"relevance": _l("Relevance"), "year": _l("Newest first"), "year_asc": _l("Oldest first"),
               "title": _l("Title A–Z"), "author": _l("Author A–Z")}
AVAILABILITY_LABELS = {"available": _l("Available"), "unavailable": _l("Not available"),
                       "check_holdings": _l("Ask the library"), "on_loan": _l("On loan")}
SAFE_SCHEMES = ("http", "https")
_TABS_NEWLINES = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def register(app: Flask, names: LibraryNames) -> None:
    """Make the helpers available in every template; `names` names the members and their libraries."""
    library_label = names.label

    def facet_value(name: str, value: str) -> str:
        if name in ("library", "branch", "collection"):
            return library_label(value)
        if name == "online":
            return str(_l("Online access"))
        if name == "format":
            return names_of_codes.format_name(value)
        if name == "year":
            return value.replace("-", "–")
        return language_name(value) if name == "language" else value

    app.jinja_env.globals.update(
        url_with=url_with, url_without=url_without, url_page=url_page, url_replace=url_replace,
        current_args=current_args, page_window=page_window, facet_value=facet_value,
        facet_label=lambda name: str(FACET_LABELS.get(name, name)),
        format_label=names_of_codes.format_name, carrier_label=names_of_codes.carrier_name,
        availability_label=lambda value: str(AVAILABILITY_LABELS.get(value, value)),
        sort_options=lambda: [(code, str(label)) for code, label in SORT_LABELS.items()],
        format_datetime=format_datetime,
        format_percent=format_percent,
    )
    app.jinja_env.globals.update(library_label=library_label, library_in_member=names.within, location_label=location_label,
                                 call_number_label=call_number_label)
    app.jinja_env.filters["by_library_label"] = lambda values: sorted(values, key=lambda v: names.within(v).casefold())
    app.jinja_env.filters["replace_lang"] = replace_lang
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["carrier_label"] = names_of_codes.carrier_name
    app.jinja_env.filters["safe_url"] = safe_url


def safe_url(url: str | None) -> str:
    """`url` if it is an http or https address, else "": records cannot link to javascript: or data:."""
    # as browsers do: strip control characters and spaces at the ends, drop tabs and newlines inside
    cleaned = _TABS_NEWLINES.sub("", (url or "").strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e"
                                                      "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b"
                                                      "\x1c\x1d\x1e\x1f "))
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc or _CONTROL.search(cleaned):
        return ""
    return cleaned.replace(" ", "%20")


def current_args(exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The query string as pairs, without the language and the names in `exclude`."""
    return [(k, v) for k, v in request.args.items(multi=True) if k != "lang" and k not in exclude]


def url_with(name: str, value: str) -> str:
    """This search with one more filter, from page 1."""
    args = current_args(exclude=("page",))
    if (name, value) not in args:
        args.append((name, value))
    return url_for("pages.search") + "?" + urlencode(args)


def url_without(name: str, value: str) -> str:
    """This search without one filter, from page 1."""
    args = [(k, v) for k, v in current_args(exclude=("page",)) if (k, v) != (name, value)]
    return url_for("pages.search") + "?" + urlencode(args)


def url_page(page: int) -> str:
    """This search at another page."""
    return url_for("pages.search") + "?" + urlencode(current_args(exclude=("page",)) + [("page", str(page))])


def url_replace(**values: str) -> str:
    """This search with some parameters replaced, from page 1."""
    args = current_args(exclude=("page", *values)) + list(values.items())
    return url_for("pages.search") + "?" + urlencode(args)


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to offer: the first, the last and a few around the current one; None marks a gap."""
    wanted = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in wanted:
        if out and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


def replace_lang(query_string: str, code: str) -> str:
    """The current query string with the interface language set to `code`."""
    args = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "lang"]
    return urlencode(args + [("lang", code)])


def language_name(code: str) -> str:
    """An ISO 639-2 code as a language name in the interface language (`web.names`)."""
    return names_of_codes.language_name(code, str(get_locale()))

