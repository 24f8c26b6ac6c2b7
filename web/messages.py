"""What to tell a patron whose search cannot run, in the interface language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from index import QueryError

QUERY_ERRORS = {
    "no_words": _l("The search has no words we can look for; try a title, an author or a subject."),
    "no_identifier": _l("Type an ISBN or ISSN, with or without hyphens."),
    "empty_years": _l("The year range %(start)s–%(end)s is empty: the first year must not be after the last."),
    "bad_year_range": _l("The year range “%(value)s” is not two years such as 1990-1999."),
    "bad_year": _l("“%(value)s” is not a year such as 1999."),
    "too_long": _l("The search is too long (%(length)s characters; at most %(limit)s)."),
    "too_many_words": _l("The search has too many words (%(count)s; at most %(limit)s)."),
    "too_deep": _l("The search nests parentheses too deeply (at most %(limit)s levels)."),
    "unsupported": _l("That kind of search is not supported; use words, \"phrases\", AND, OR and NOT."),
    "too_slow": _l("The search took too long; add words or filters to narrow it."),
    "page_range": _l("There is no page %(page)s of these results; the last is page %(limit)s."),
    "page_start": _l("There is no page %(page)s; results start at page 1."),
    "bad_sort": _l("Results cannot be sorted by “%(value)s”."),
    "unknown_filter": _l("There is no filter called “%(value)s”."),
    "too_many_values": _l("At most %(limit)s values of one filter can be combined."),
    "bad_number": _l("“%(value)s” is not a whole number."),
}


YEAR_TIP = _l("Type each year as a number such as 1990, the earlier year first; either may be left empty.")
WORDS_TIP = _l('Try fewer or simpler words. You can use "quoted phrases", AND, OR and NOT.')
# what to try next, by the kind of mistake (none where the message says it)
TIPS = {"empty_years": YEAR_TIP, "bad_year": YEAR_TIP, "bad_year_range": YEAR_TIP, "no_words": WORDS_TIP,
        "too_long": WORDS_TIP, "too_many_words": WORDS_TIP, "too_deep": WORDS_TIP, "unsupported": WORDS_TIP,
        "too_slow": _l("Add words or filters to narrow the search.")}


def query_error_tip(error: QueryError) -> str:
    """What the patron could try instead, for this kind of mistake; "" when the message is enough."""
    tip = TIPS.get(getattr(error, "kind", ""))
    return str(tip) if tip else ""


def query_error_message(error: QueryError) -> str:
    """The error's message in the interface language (English when the rule is not known here)."""
    template = QUERY_ERRORS.get(getattr(error, "kind", ""))
    if template is None:
        return str(error)
    try:
        return str(template) % error.params
    except (KeyError, TypeError, ValueError):
        return str(error)
