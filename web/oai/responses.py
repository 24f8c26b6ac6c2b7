"""The six verbs: each checks its request and reads what it needs, then returns the response body as a stream.

Every error is raised before the first byte, so a harvester gets either an
OAI error or a whole list page; records are read and written 100 at a time,
so a page's memory stays small however large the catalogue is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator
from urllib.parse import unquote

from dedup import cluster_views_with_records
from store import OAI_ALL, OaiHeader, OaiWindow, Store
from web.oai import tokens
from web.oai.metadata import FORMATS, attr, dublin_core, marc_xml, provenance, text
from web.oai.protocol import GRANULARITY, OaiError, OaiRequest, cluster_of, identifier_for, utc, window

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
SCHEMA_LOCATION = f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
CHUNK = 100


@dataclass
class Provider:
    """What the verbs need: the store, the settings and the published addresses."""

    store: Store
    repository: str                # the repository identifier
    name: str
    admin_email: str
    base_url: str
    key: bytes
    page_size: int
    token_lifetime: int
    origins: dict[str, str] = field(default_factory=dict)        # source code -> its OAI base URL
    set_names: dict[str, str] = field(default_factory=dict)      # set spec -> a name, where configured


def envelope(response_date: datetime, base_url: str, request: OaiRequest | None) -> str:
    """The start of every response; `request` None for badVerb and badArgument (no attributes then)."""
    attributes = "" if request is None else "".join(
        f" {name}={attr(value)}" for name, value in [("verb", request.verb), *sorted(request.args.items())])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{SCHEMA_LOCATION}"><responseDate>{utc(response_date)}</responseDate>'
            f"<request{attributes}>{text(base_url)}</request>")


def error_body(error: OaiError) -> Iterator[str]:
    """An error element."""
    yield f"<error code={attr(error.code)}>{text(error.message)}</error>"


def identify(p: Provider, _request: OaiRequest, horizon: datetime) -> Iterator[str]:
    earliest = p.store.oai_earliest() or horizon
    yield (f"<Identify><repositoryName>{text(p.name)}</repositoryName><baseURL>{text(p.base_url)}</baseURL>"
           f"<protocolVersion>2.0</protocolVersion><adminEmail>{text(p.admin_email)}</adminEmail>"
           f"<earliestDatestamp>{utc(earliest)}</earliestDatestamp><deletedRecord>persistent</deletedRecord>"
           f"<granularity>{GRANULARITY}</granularity></Identify>")


def list_metadata_formats(p: Provider, request: OaiRequest, _horizon: datetime) -> Iterator[str]:
    if request.get("identifier") is not None:
        _header_of(p, request.get("identifier"))
    formats = "".join(f"<metadataFormat><metadataPrefix>{f.prefix}</metadataPrefix><schema>{f.schema}</schema>"
                      f"<metadataNamespace>{f.namespace}</metadataNamespace></metadataFormat>" for f in FORMATS.values())
    return iter([f"<ListMetadataFormats>{formats}</ListMetadataFormats>"])


def list_sets(p: Provider, request: OaiRequest, _horizon: datetime) -> Iterator[str]:
    if request.get("resumptionToken") is not None:
        raise OaiError("badResumptionToken", "this repository lists every set in one response and issues no token")
    specs = p.store.oai_set_specs()
    if not specs:
        raise OaiError("noSetHierarchy", "no set holds any record yet")
    return iter(["<ListSets>", *(f"<set><setSpec>{text(spec)}</setSpec><setName>{text(set_name(p, spec))}</setName></set>"
                                 for spec in specs), "</ListSets>"])


def set_name(p: Provider, spec: str) -> str:
    """A set's name: configured member and library names where known, else its codes."""
    if spec in p.set_names:
        return p.set_names[spec]
    kind, *parts = spec.split(":")
    codes = [unquote(part.replace("~", "%")) for part in parts]
    labels = {"member": "Member catalogue", "library": "Library", "format": "Format"}
    return f"{labels.get(kind, kind)} {' '.join(codes)}"


def get_record(p: Provider, request: OaiRequest, _horizon: datetime) -> Iterator[str]:
    fmt = _format(request.get("metadataPrefix"))
    header = _header_of(p, request.get("identifier"))
    header.sets = p.store.oai_sets_of([header.cluster_id]).get(header.cluster_id, [])

    def body() -> Iterator[str]:
        yield "<GetRecord>"
        yield from _records(p, [header], fmt)
        yield "</GetRecord>"
    return body()


def list_identifiers(p: Provider, request: OaiRequest, _horizon: datetime) -> Iterator[str]:
    return _list(p, request, records=False)


def list_records(p: Provider, request: OaiRequest, _horizon: datetime) -> Iterator[str]:
    return _list(p, request, records=True)


VERB_HANDLERS: dict[str, Callable[[Provider, OaiRequest, datetime], Iterator[str]]] = {
    "Identify": identify, "ListMetadataFormats": list_metadata_formats, "ListSets": list_sets,
    "GetRecord": get_record, "ListIdentifiers": list_identifiers, "ListRecords": list_records,
}


def _format(prefix: str | None):
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"the formats are {', '.join(FORMATS)}")
    return FORMATS[prefix]


def _header_of(p: Provider, identifier: str | None) -> OaiHeader:
    cluster_id = cluster_of(p.repository, identifier or "")
    header = p.store.oai_header(cluster_id) if cluster_id else None
    if header is None:
        raise OaiError("idDoesNotExist", f"no record has the identifier {identifier!r}")
    return header


def _list(p: Provider, request: OaiRequest, *, records: bool) -> Iterator[str]:
    position = _resumed(p, request)
    if position is None:
        fmt = _format(request.get("metadataPrefix"))
        spec, start, until, after, cursor = request.get("set") or OAI_ALL, request.get("from"), request.get("until"), None, 0
    else:
        fmt, spec, start, until = FORMATS[position.prefix], position.set_spec, position.start, position.until
        after, cursor = (datetime.fromisoformat(position.datestamp), position.cluster_id), position.cursor
    low, high = window(start, until)
    selection = OaiWindow(spec, low, high)
    headers = p.store.oai_headers(selection, after, p.page_size + 1)
    more, headers = len(headers) > p.page_size, headers[:p.page_size]
    if not headers:
        raise OaiError("noRecordsMatch", "no record matches the arguments given")
    token = ""
    if more or position is not None:
        token = _token_element(p, request.verb, fmt.prefix, spec, start, until, headers[-1] if more else None,
                               cursor, p.store.oai_count(selection))
    sets = p.store.oai_sets_of([h.cluster_id for h in headers])
    for header in headers:
        header.sets = [] if header.deleted else sets.get(header.cluster_id, [])
    return _list_body(p, request.verb, headers, fmt if records else None, token)


def _list_body(p: Provider, verb: str, headers: list[OaiHeader], fmt, token: str) -> Iterator[str]:
    yield f"<{verb}>"
    for start in range(0, len(headers), CHUNK):
        chunk = headers[start:start + CHUNK]
        if fmt is None:
            yield "".join(_header(p, h) for h in chunk)
        else:
            yield from _records(p, chunk, fmt)
    yield f"{token}</{verb}>"


def _resumed(p: Provider, request: OaiRequest) -> tokens.Position | None:
    raw = request.get("resumptionToken")
    if raw is None:
        return None
    try:
        position = tokens.read(raw, p.key)
    except tokens.TokenError as exc:
        raise OaiError("badResumptionToken", str(exc)) from exc
    if position.verb != request.verb or position.prefix not in FORMATS:
        raise OaiError("badResumptionToken", f"the resumption token belongs to another list than {request.verb}")
    return position


def _token_element(p: Provider, verb: str, prefix: str, spec: str, start, until, last: OaiHeader | None,
                   cursor: int, total: int) -> str:
    sizes = f'completeListSize="{max(total, cursor)}" cursor="{cursor}"'
    if last is None:
        return f"<resumptionToken {sizes}/>"
    expires = int(time.time()) + p.token_lifetime
    value = tokens.issue(tokens.Position(verb, prefix, spec, start, until, last.datestamp.isoformat(), last.cluster_id,
                                         cursor + p.page_size, expires), p.key)
    expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    return f'<resumptionToken expirationDate="{expiry}" {sizes}>{value}</resumptionToken>'


def _header(p: Provider, header: OaiHeader, deleted: bool | None = None) -> str:
    deleted = header.deleted if deleted is None else deleted
    status = ' status="deleted"' if deleted else ""
    specs = "" if deleted else "".join(f"<setSpec>{text(s)}</setSpec>" for s in header.sets)
    return (f"<header{status}><identifier>{text(identifier_for(p.repository, header.cluster_id))}</identifier>"
            f"<datestamp>{utc(header.datestamp)}</datestamp>{specs}</header>")


def _records(p: Provider, headers: list[OaiHeader], fmt) -> Iterator[str]:
    found = cluster_views_with_records(p.store, [h.cluster_id for h in headers if not h.deleted])
    for header in headers:
        entry = None if header.deleted else found.get(header.cluster_id)
        if entry is None:       # gone since the provider's last update: deleted until that update says so
            yield f"<record>{_header(p, header, deleted=True)}</record>"
            continue
        view, members = entry
        yield f"<record>{_header(p, header)}<metadata>{_metadata(p, fmt.prefix, view, members)}</metadata>"
        yield "".join(f"<about>{about}</about>" for about in provenance(members, p.origins, fmt.namespace,
                                                                         utc(header.datestamp)))
        yield "</record>"


def _metadata(p: Provider, prefix: str, view, members) -> str:
    if prefix == "oai_dc":
        return dublin_core(view)
    best = next(m for m in members if m.record is view.record)
    return marc_xml(view, best, p.repository, holdings=prefix == "marc21_includehold")
