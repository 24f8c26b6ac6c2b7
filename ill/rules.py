"""Lending rules: who may lend an edition to a patron of which member, and in what order lenders are asked."""

from __future__ import annotations

from dataclasses import dataclass

from ill.errors import Refused
from normalise import Holding
from settings import InterlendingSettings, MemberRules


@dataclass(frozen=True)
class Wanted:
    """The edition a patron asks for: a cluster, its title and format, and every member's copies of it."""

    cluster_id: str
    title: str
    format: str
    holdings: tuple[Holding, ...]


def on_shelf_at_home(member: str, wanted: Wanted) -> Holding | None:
    """A copy on the shelf (harvested availability) at one of the patron's own member's libraries, or None."""
    return next((h for h in wanted.holdings if h.source == member and (h.available or 0) > 0), None)


def lenders(settings: InterlendingSettings, borrower: str, wanted: Wanted) -> list[str]:
    """The members that may lend `wanted` to a patron of `borrower`: those with a copy on the shelf first,
    then in the configured order, then by code."""
    able = {}
    for holding in wanted.holdings:
        rules = settings.rules(holding.source)
        if holding.source == borrower or rules is None or not rules.lends_to_member(borrower):
            continue
        if wanted.format.casefold() in rules.formats_not_lent or _type_not_lent(holding, rules):
            continue
        able[holding.source] = able.get(holding.source, False) or (holding.available or 0) > 0
    order = {code: n for n, code in enumerate(settings.lender_order)}
    return sorted(able, key=lambda code: (not able[code], order.get(code, len(order)), code))


def _type_not_lent(holding: Holding, rules: MemberRules) -> bool:
    described = " ".join((holding.location, holding.note, holding.availability)).casefold()
    return any(kind in described for kind in rules.item_types_not_lent)


def check_request(settings: InterlendingSettings, borrower: str, wanted: Wanted, pickup: str,
                  open_requests: int) -> list[str]:
    """The lenders to ask, in order; `Refused` with the rule's reason when the request may not be placed."""
    rules = settings.rules(borrower)
    if rules is None:
        raise Refused("member_takes_no_part")
    if pickup not in rules.pickup:
        raise Refused("unknown_pickup")
    home = on_shelf_at_home(borrower, wanted)
    if home is not None:
        raise Refused("on_shelf_at_home", library=home.library_name or home.library)
    if open_requests >= rules.max_open:
        raise Refused("too_many_open", limit=rules.max_open)
    found = lenders(settings, borrower, wanted)
    if not found:
        raise Refused("no_lender")
    return found
