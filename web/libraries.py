"""Library names as patrons read them, and a record's holdings ordered for the patron's library.

A library is named by config.yaml (a member's `name`, its holdings'
`library_names`) when the page is drawn, so a corrected name shows without a
re-harvest. A code nobody named is shown once, after its member's name, never
in brackets inside brackets. Location codes and placeholder call numbers
("XX") say nothing to a patron and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from index import BRANCH_SEPARATOR

# a location that is one short token in one case ("STACKS", "aada", "DESM-CIR") is a code, not a name
_LOCATION_CODE = re.compile(r"^(?:[A-Z0-9][A-Z0-9._-]{0,11}|[a-z0-9][a-z0-9._-]{0,11})$")
# Library of Congress "XX" (no call number assigned), alone or with a cutter or a note: "XX", "XX(1234567.1)"
_PLACEHOLDER_CALL_NUMBER = re.compile(r"^XX\b|^XX\(", re.IGNORECASE)


@dataclass(frozen=True)
class LibraryNames:
    """Members by code and their libraries by "member|code", as config.yaml names them."""

    members: dict[str, str] = field(default_factory=dict)
    libraries: dict[str, str] = field(default_factory=dict)

    def label(self, value: str) -> str:
        """A member ("duke") or one of its libraries ("duke|LILLY") by name."""
        member, separator, code = value.partition(BRANCH_SEPARATOR)
        member_name = self.members.get(member, member)
        if not separator or code == member:
            return member_name
        named = self.libraries.get(value)
        if named:
            return named
        return _("%(member)s: %(code)s", member=member_name, code=code)

    def within(self, value: str) -> str:
        """A library ("duke|LILLY") by name among its member's own libraries, where the member goes without saying."""
        member, _separator, code = value.partition(BRANCH_SEPARATOR)
        return self.library(member, code)

    def library(self, source: str, code: str, recorded: str = "") -> str:
        """The name of library `code` of member `source` among that member's holdings: configured, else
        the name the record itself gave (`recorded`), else the code."""
        if code == source or not code:
            return self.members.get(source, source)
        return self.libraries.get(f"{source}{BRANCH_SEPARATOR}{code}") or recorded or code


def location_label(location: str) -> str:
    """A holding's location when it is a name a patron can read, else ""."""
    location = " ".join((location or "").split())
    return "" if _LOCATION_CODE.match(location) else location


def call_number_label(call_number: str) -> str:
    """A holding's call number, or "" for a placeholder such as "XX"."""
    call_number = " ".join((call_number or "").split())
    return "" if _PLACEHOLDER_CALL_NUMBER.match(call_number) else call_number


def order_for_patron(groups: list[dict], my_library: str) -> list[dict]:
    """Holdings groups (see `web.views.holdings_by_source`) with the patron's library first and marked.

    A group is marked `mine` only when the patron chose the whole member; a
    library only when the patron chose that very library. Either way the
    member holding it comes first, and the chosen library first within it.
    """
    member, separator, code = my_library.partition(BRANCH_SEPARATOR)
    for group in groups:
        group["mine"] = bool(my_library) and not separator and group["source"] == member
        group["holds_mine"] = bool(my_library) and group["source"] == member
        for library in group["libraries"]:
            library.mine = bool(separator) and group["source"] == member and library.library == code
        group["libraries"].sort(key=lambda library: not library.mine)
    return sorted(groups, key=lambda group: not group["holds_mine"])
