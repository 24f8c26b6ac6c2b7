"""Collections a network shares: licensed e-book collections and regional bibliographies.

    licences:
      - source: ebooks                   # a source whose records are a licensed collection (IBUK Libra, Legimi ...)
        members: all                     # whose patrons may read it: all, or a list of member codes
        access:                          # each member's own way in; a member without one gets the record's link
          - {member: bn, proxy: "https://proxy.example.org/login?url="}      # put before the record's link
          - {member: vastmanland, login: "https://platform.example.org/login/vastmanland"}   # the member login
    regional_bibliographies: [bibliography]    # sources that are a regional bibliography: own scope and facet

A licensed collection's records show "Online for patrons of: ..." instead of
shelf holdings. Every code named must be a configured source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from settings.errors import ConfigError

ALL_MEMBERS = "all"
ACCESS_KINDS = ("proxy", "login")


@dataclass(frozen=True)
class MemberAccess:
    """How one member's patrons reach a licensed collection: a proxy prefix or the platform's login page."""

    proxy: str = ""
    login: str = ""

    def link(self, url: str) -> str:
        """The member's own link to a resource at `url` (the record's 856)."""
        if self.proxy:
            return self.proxy + url if url else ""
        return self.login or url


@dataclass(frozen=True)
class Licence:
    """A source whose records are licensed for all members or a listed group of them."""

    source: str
    members: tuple[str, ...] | None = None      # None: every member of the network
    access: dict[str, MemberAccess] = field(default_factory=dict)

    def covers(self, member: str) -> bool:
        """Whether patrons of `member` (a member code) may read the collection."""
        return self.members is None or member in self.members

    def link(self, member: str, url: str) -> str:
        """The member's own link to a resource of the collection at `url`."""
        access = self.access.get(member)
        return access.link(url) if access else url


@dataclass(frozen=True)
class CollectionSettings:
    """The licensed collections and regional bibliographies among the sources."""

    licences: tuple[Licence, ...] = ()
    regional_bibliographies: tuple[str, ...] = ()

    def licence(self, source: str) -> Licence | None:
        """The licence of a licensed collection's source, or None for a source with shelf holdings."""
        return next((licence for licence in self.licences if licence.source == source), None)

    @property
    def licensed_sources(self) -> frozenset[str]:
        return frozenset(licence.source for licence in self.licences)


def parse_collections(data: dict, codes: list[str]) -> CollectionSettings:
    """`licences` and `regional_bibliographies` of the configuration; `ConfigError` naming a wrong key."""
    licences = data.get("licences") or []
    if not isinstance(licences, list):
        raise ConfigError("licences: expected a list of {source, members, access}")
    regional = data.get("regional_bibliographies") or []
    if not isinstance(regional, list):
        raise ConfigError("regional_bibliographies: expected a list of source codes")
    parsed = tuple(_licence(item, n, codes) for n, item in enumerate(licences))
    if len({licence.source for licence in parsed}) != len(parsed):
        raise ConfigError("licences: each source may have one licence")
    return CollectionSettings(licences=parsed,
                              regional_bibliographies=tuple(_code(str(c), "regional_bibliographies", codes)
                                                            for c in regional))


def _licence(item, position: int, codes: list[str]) -> Licence:
    where = f"licences[{position}]"
    if not isinstance(item, dict) or "source" not in item:
        raise ConfigError(f"{where}: expected a mapping with source, members and access")
    unknown = set(item) - {"source", "members", "access"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; expected source, members and access")
    source = _code(str(item["source"]), f"{where}.source", codes)
    members = item.get("members", ALL_MEMBERS)
    if members != ALL_MEMBERS:
        members = [members] if isinstance(members, str) else members
        if not isinstance(members, list) or not members:
            raise ConfigError(f"{where}.members: expected all or a list of member codes")
        members = tuple(_code(str(m), f"{where}.members", codes) for m in members)
    access = item.get("access") or []
    if not isinstance(access, list):
        raise ConfigError(f"{where}.access: expected a list of {{member, proxy}} or {{member, login}}")
    entries = [_access(entry, f"{where}.access[{n}]", codes) for n, entry in enumerate(access)]
    return Licence(source=source, members=None if members == ALL_MEMBERS else members, access=dict(entries))


def _access(item, where: str, codes: list[str]) -> tuple[str, MemberAccess]:
    kinds = [kind for kind in ACCESS_KINDS if isinstance(item, dict) and item.get(kind)]
    if not isinstance(item, dict) or "member" not in item or len(kinds) != 1 or set(item) - {"member", *ACCESS_KINDS}:
        raise ConfigError(f"{where}: expected {{member: <code>, proxy: <prefix>}} or {{member: <code>, login: <address>}}")
    member, kind = _code(str(item["member"]), f"{where}.member", codes), kinds[0]
    url = str(item[kind])
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}.{kind}: {url!r} is not an http(s) address")
    return member, MemberAccess(**{kind: url})


def _code(code: str, where: str, codes: list[str]) -> str:
    if code not in codes:
        raise ConfigError(f"{where}: {code!r} is not a configured source (configured: {', '.join(codes) or 'none'})")
    return code
