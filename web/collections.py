"""What the record page says of a network's shared collections: licensed e-books and regional bibliographies.

A licensed collection's records show which members' patrons may read them,
each member's own link, and plainly whether the patron's own library is
among them. An article of a regional bibliography shows its host item (773)
with a search for it and, when the host is in the catalogue, its holders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dedup import ClusterView
from index import BRANCH_SEPARATOR, SearchIndexError, SearchRequest
from normalise import HostItem
from settings import Config, Licence
from web.helpers import safe_url

HOST_FORMATS_NOT = ("article",)     # a host is the journal or book, never another article


@dataclass
class MemberLink:
    """A member whose patrons may read a licensed resource, with its own way in."""

    code: str
    name: str
    url: str = ""


@dataclass
class OnlineAccess:
    """A licensed collection's record: who may read it, and whether the patron's library may."""

    members: list[MemberLink]
    mine: MemberLink | None = None       # the patron's library, when it has access
    my_name: str = ""                    # the patron's library's name, when one is chosen


@dataclass
class HostView:
    """An article's or chapter's host item, and the host's record where the catalogue has one."""

    item: HostItem
    search: dict = field(default_factory=dict)      # url_for arguments of a search for the host
    record_id: str = ""
    record_title: str = ""
    holders: list[dict] = field(default_factory=list)   # {"name": member, "libraries": [...]}


def online_access(config: Config, licence: Licence, view: ClusterView, my_library: str) -> OnlineAccess:
    """Who may read a licensed record of `view`, with each member's own link to it."""
    url = _resource_url(view, licence.source)
    members = [MemberLink(s.code, s.name, safe_url(licence.link(s.code, url)))
               for s in config.sources if _is_library_member(config, s.code) and licence.covers(s.code)]
    member = my_library.partition(BRANCH_SEPARATOR)[0]
    names = {s.code: s.name for s in config.sources}
    return OnlineAccess(members=members, mine=next((m for m in members if m.code == member), None),
                        my_name=names.get(member, "") if member else "")


def _is_library_member(config: Config, code: str) -> bool:
    """A member with patrons of its own: not a licensed collection nor a bibliography."""
    return code not in config.collections.licensed_sources and code not in config.collections.regional_bibliographies


def _resource_url(view: ClusterView, source: str) -> str:
    """The licensed record's own address (856), the resource itself before a related page."""
    links = [link for record in view.members if record.source == source for link in record.links]
    links.sort(key=lambda link: link.relationship != "resource")
    return next((link.url for link in links if safe_url(link.url)), "")


def licensed_urls(config: Config, view: ClusterView) -> set[str]:
    """The addresses of the cluster's licensed records, which only members' own links may show."""
    licensed = config.collections.licensed_sources
    return {link.url for record in view.members if record.source in licensed for link in record.links}


def host_views(view: ClusterView, searcher) -> list[HostView]:
    """The host items of an article or chapter, each with its record in the catalogue where there is one."""
    out = []
    for item in view.record.host_items:
        number = item.issn or item.isbn
        host = HostView(item=item, search={"isbn": number} if number else {"in_title": f'"{item.title}"'})
        if number:
            _find_host(host, number, view.id, searcher)
        out.append(host)
    return out


def _find_host(host: HostView, number: str, own_id: str, searcher) -> None:
    try:
        hits = searcher.search(SearchRequest(isbn=number, page_size=5, facets=False)).hits
    except SearchIndexError:
        return
    found = next((hit for hit in hits if hit.id != own_id and hit.format not in HOST_FORMATS_NOT), None)
    if found is not None:
        host.record_id, host.record_title = found.id, found.title
        host.holders = [{"name": h.get("name", h.get("source", "")), "libraries": h.get("libraries", [])}
                        for h in found.holdings]
