"""The `requests:` section: requests between members, each member's lending rules and how requests reach it.

    requests:
      answer_hours: 48           # hours a lender has to answer before the next one is asked
      purge_days: 90             # ended requests (and their history) are deleted this many days after they end
      lender_order: [bjk, wbp]   # after members with a copy on the shelf, lenders are asked in this order
      members:
        vastmanland:
          lends_to: all          # all | none | a list of member codes
          not_lent:              # never lent: formats (the record's) and item types (a holding's location or note)
            formats: [video]
            item_types: [reference, referens, short loan]
          max_open: 5            # open requests one patron of this member may have at once
          pickup: {VAS: Västerås stadsbibliotek}   # libraries its patrons pick up at (code: name)
          delivery: staff        # staff (its queue in the staff workspace) | email | iso18626
          email: fjarrlan@example.org              # (email) where requests are sent
          iso18626:              # (iso18626) its endpoint and the peer allowed to answer
            url: https://ill.example.org/iso18626
            agency: SE-VAS       # its agency id
            peer: 192.0.2.10     # the only address inbound messages are taken from

The shared secret of a member's ISO 18626 peer is read from the environment
variable UNIONCAT_ISO18626_<MEMBER>_SECRET, never from this file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from ipaddress import ip_address

from settings.errors import ConfigError
from settings.table import default

KEYS = ("answer_hours", "purge_days", "lender_order", "agency", "members")
MEMBER_KEYS = ("lends_to", "not_lent", "max_open", "pickup", "delivery", "email", "iso18626")
DELIVERIES = ("staff", "email", "iso18626")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def secret_env(member: str) -> str:
    """The environment variable holding the shared secret of `member`'s ISO 18626 peer."""
    return f"UNIONCAT_ISO18626_{member.upper().replace('-', '_')}_SECRET"


@dataclass(frozen=True)
class Iso18626Peer:
    """A member's ISO 18626 endpoint and the peer allowed to send us its messages."""

    url: str
    agency: str
    peer: str
    timeout: float = 5.0

    def secret(self, member: str) -> str:
        """The shared secret from the environment ('' when unset: nothing is then accepted)."""
        return os.environ.get(secret_env(member), "")


@dataclass(frozen=True)
class MemberRules:
    """One member's lending rules and delivery."""

    lends_to: str | tuple[str, ...] = "all"        # "all", "none" or the members it lends to
    formats_not_lent: tuple[str, ...] = ()
    item_types_not_lent: tuple[str, ...] = ()
    max_open: int = default("requests.members.<member>.max_open")
    pickup: dict[str, str] = field(default_factory=dict)
    delivery: str = default("requests.members.<member>.delivery")
    email: str | None = None
    iso18626: Iso18626Peer | None = None

    def lends_to_member(self, member: str) -> bool:
        """Whether this member lends to patrons of `member`."""
        if self.lends_to == "all":
            return True
        return self.lends_to != "none" and member in self.lends_to


@dataclass(frozen=True)
class InterlendingSettings:
    """Requests between members."""

    answer_hours: float = default("requests.answer_hours")
    purge_days: int = default("requests.purge_days")
    lender_order: tuple[str, ...] = ()
    agency: str = default("requests.agency")        # our own agency id in ISO 18626 messages
    members: dict[str, MemberRules] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """Whether any member takes part."""
        return bool(self.members)

    def rules(self, member: str) -> MemberRules | None:
        """A member's rules, or None when it takes no part."""
        return self.members.get(member)


def parse_interlending(item, members: tuple[str, ...]) -> InterlendingSettings:
    """The `requests:` mapping; `members` are the configured source codes."""
    if item is None:
        return InterlendingSettings()
    if not isinstance(item, dict) or set(item) - set(KEYS):
        raise ConfigError(f"requests: expected a mapping with {', '.join(KEYS)}")
    order = tuple(item.get("lender_order") or ())
    for code in order:
        _known(code, members, "requests.lender_order")
    rules = item.get("members") or {}
    if not isinstance(rules, dict):
        raise ConfigError("requests.members: expected a mapping of member codes to their rules")
    return InterlendingSettings(
        answer_hours=_number(item.get("answer_hours", InterlendingSettings.answer_hours), "requests.answer_hours", 0.01, 24 * 60),
        purge_days=int(_number(item.get("purge_days", InterlendingSettings.purge_days), "requests.purge_days", 0, 3650)),
        lender_order=order,
        agency=str(item.get("agency") or InterlendingSettings.agency),
        members={_known(code, members, "requests.members"): _member(code, value, members)
                 for code, value in rules.items()},
    )


def _member(code: str, item, members: tuple[str, ...]) -> MemberRules:
    where = f"requests.members.{code}"
    if not isinstance(item, dict) or set(item) - set(MEMBER_KEYS):
        raise ConfigError(f"{where}: expected a mapping with {', '.join(MEMBER_KEYS)}")
    delivery = item.get("delivery", MemberRules.delivery)
    if delivery not in DELIVERIES:
        raise ConfigError(f"{where}.delivery: {delivery!r} is not one of {', '.join(DELIVERIES)}")
    email = item.get("email")
    if delivery == "email" and not (isinstance(email, str) and EMAIL.match(email)):
        raise ConfigError(f"{where}.email: delivery by e-mail needs an e-mail address")
    not_lent = item.get("not_lent") or {}
    if not isinstance(not_lent, dict) or set(not_lent) - {"formats", "item_types"}:
        raise ConfigError(f"{where}.not_lent: expected formats and item_types (lists)")
    return MemberRules(
        lends_to=_lends_to(item.get("lends_to", "all"), members, where),
        formats_not_lent=tuple(str(v).casefold() for v in not_lent.get("formats") or ()),
        item_types_not_lent=tuple(str(v).casefold() for v in not_lent.get("item_types") or ()),
        max_open=int(_number(item.get("max_open", MemberRules.max_open), f"{where}.max_open", 0, 1000)),
        pickup=_pickup(item.get("pickup"), where),
        delivery=delivery,
        email=email,
        iso18626=_iso(item.get("iso18626"), where) if delivery == "iso18626" or item.get("iso18626") else None,
    )


def _lends_to(value, members: tuple[str, ...], where: str):
    if value in ("all", "none"):
        return value
    if not isinstance(value, list):
        raise ConfigError(f"{where}.lends_to: expected all, none or a list of member codes")
    return tuple(_known(code, members, f"{where}.lends_to") for code in value)


def _pickup(value, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}.pickup: expected a mapping of library codes to names")
    return {str(code): str(name) for code, name in value.items()}


def _iso(value, where: str) -> Iso18626Peer:
    if not isinstance(value, dict) or set(value) - {"url", "agency", "peer", "timeout"} or "url" not in value:
        raise ConfigError(f"{where}.iso18626: expected url, agency and peer (an IP address), and timeout")
    if not str(value["url"]).startswith(("http://", "https://")):
        raise ConfigError(f"{where}.iso18626.url: expected an http(s) address")
    try:
        peer = str(ip_address(str(value.get("peer", ""))))
    except ValueError:
        raise ConfigError(f"{where}.iso18626.peer: expected the IP address of the member's peer") from None
    return Iso18626Peer(url=str(value["url"]), agency=str(value.get("agency") or ""), peer=peer,
                        timeout=_number(value.get("timeout", 5), f"{where}.iso18626.timeout", 0.1, 60))


def _known(code, members: tuple[str, ...], where: str) -> str:
    if code not in members:
        raise ConfigError(f"{where}: {code!r} is not a configured source")
    return code


def _number(value, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where}: expected a number from {low:g} to {high:g}, not {value!r}")
    return float(value)
