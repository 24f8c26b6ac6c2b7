"""The search state as criteria a patron can see and remove one by one (the chips above the results).

Each criterion of a search (the words, each fielded box, the year range, each
chosen facet value, my library) becomes a `Criterion` whose `remove` link is
this search without exactly that criterion, from page 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from index import FACETS, SearchRequest
from web.helpers import FACET_LABELS, current_args, url_without

# the boxes of the search, as their URL parameter and a label
BOXES = (("q", _l("Words")), ("in_title", _l("Title")), ("in_author", _l("Author")), ("in_subject", _l("Subject")),
         ("isbn", _l("ISBN or ISSN")))
YEAR_PARAMETERS = ("year_from", "year_to")


@dataclass(frozen=True)
class Criterion:
    """One criterion of the search shown: what it is, its value as read, and this search without it."""

    kind: str           # the URL parameter it comes from ("q", "in_author", "years", "format", "mylib", ...)
    label: str
    text: str
    remove: str


def search_criteria(search: SearchRequest, facet_value, library_label, my_library: str) -> list[Criterion]:
    """Every criterion of `search`, in the order of the form: boxes, years, facet values, my library."""
    out = [Criterion(name, str(label), value.strip(), _without(name)) for name, label in BOXES
           for value in [request.args.get(name, "")] if value.strip()]
    if search.year_from or search.year_to:
        out.append(Criterion("years", str(_l("Published")), year_text(search.year_from, search.year_to),
                             _without(*YEAR_PARAMETERS)))
    for name, values in search.filters.items():
        out += [Criterion(name, str(FACET_LABELS.get(name, name)), facet_value(name, value), url_without(name, value))
                for value in values]
    if my_library:
        out.append(Criterion("mylib", str(_l("My library")), library_label(my_library),
                             url_for("pages.preferences", mylib="", next=request.full_path)))
    return out


def year_text(start: int | None, end: int | None) -> str:
    """A year range as read: "1985–1990", "from 1985", "until 1990"."""
    if start and end:
        return f"{start}–{end}"
    return str(_l("from %(year)s", year=start)) if start else str(_l("until %(year)s", year=end))


@dataclass
class AdvancedForm:
    """The advanced form's values from a search's query string: the boxes as typed (a mistyped year too, to be
    corrected), the first chosen value of each select, and every other filter kept as a checked checkbox."""

    boxes: dict[str, str]
    selected: dict[str, str]
    kept: list[tuple[str, str]]
    sort: str


def advanced_form(args, options: dict[str, list[str]]) -> AdvancedForm:
    """The advanced form filled with the search of `args` (a request's query string), where `options` are the
    values each select offers (a chosen value it does not offer is kept as a checkbox)."""
    boxes = {name: args.get(name, "") for name, _label in BOXES}
    boxes.update({name: args.get(name, "") for name in YEAR_PARAMETERS})
    selected, kept = {}, []
    for name in FACETS:
        values = list(dict.fromkeys(v for v in args.getlist(name) if v))
        offered = [v for v in values if v in options.get(name, ())]
        if offered:
            selected[name] = offered[0]
            values.remove(offered[0])
        kept += [(name, value) for value in values]
    return AdvancedForm(boxes, selected, kept, args.get("sort", ""))


def url_more(facet: str) -> str:
    """This search, on the same page, with every value of `facet` shown."""
    args = current_args(exclude=("more",)) + [("more", facet)]
    return f"{url_for('pages.search')}?{urlencode(args)}#facet-{facet}"


def advanced_url() -> str:
    """The advanced search form, filled with this search."""
    args = current_args(exclude=("page",))
    return url_for("pages.advanced") + ("?" + urlencode(args) if args else "")


def _without(*names: str) -> str:
    """This search without the parameters `names` (the words emptied, so that the rest still runs), from page 1."""
    args = current_args(exclude=("page", *names))
    if "q" in names:
        args.insert(0, ("q", ""))
    return url_for("pages.search") + "?" + urlencode(args)
